"""One HTTP GET attempt over a pooled urllib3 client: streamed, capped, never unbounded.

No redirects and no retries here (the Fetcher decides those, so every hop is checked by the
SSRF guard and every retry is polite). The connection goes to the address the guard checked,
with the original Host header and TLS server name, so DNS cannot change between check and use.
The body is read raw and decompressed here with a cap on the output, because urllib3's own
decoding would inflate a 1 MB gzip bomb to gigabytes before any size check could run.

The attempt's deadline covers everything after the connect: the request, the status line, the
headers and the body. urllib3's read timeout applies to each recv, so a server that drips one
header byte a second would hold a fetch forever; a reaper thread shuts down the socket of any
attempt still running at its deadline, and the attempt ends as a timeout.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    HTTPError,
    IncompleteRead,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3Timeout,
)

from schemas.reasons import RejectReason

CHUNK = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"  # only what we can decompress with a cap (no br/zstd)


@dataclasses.dataclass
class Response:
    status: int | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    header_lists: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    num_bytes: int = 0
    reason: RejectReason | None = None  # set when the attempt failed
    detail: str = ""


class BodyTooLarge(Exception):
    pass


class _Decoder:
    """Incremental gzip/deflate decoding whose output never exceeds `limit` bytes."""

    def __init__(self, encoding: str, limit: int):
        self._limit = limit
        self._out = 0
        self._raw_deflate_tried = False
        self._encoding = encoding
        # wbits 32+15 accepts gzip or zlib headers; raw deflate is tried if that fails
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding else None

    def feed(self, data: bytes) -> bytes:
        if self._z is None:
            return data
        try:
            out = self._z.decompress(data, self._limit - self._out + 1)
        except zlib.error:
            if self._encoding != "deflate" or self._raw_deflate_tried or self._out:
                raise
            self._raw_deflate_tried = True
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, self._limit - self._out + 1)
        self._out += len(out)
        if self._out > self._limit or self._z.unconsumed_tail:
            raise BodyTooLarge(f"decoded body exceeds {self._limit} bytes ({self._encoding} bomb?)")
        return out


def classify_error(exc: BaseException) -> tuple[RejectReason, str]:
    """The reject reason of a transport exception from urllib3 or the socket layer."""
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    text = f"{type(exc).__name__}: {exc}"[:500]
    # urllib3 2 derives NewConnectionError (refused, unreachable) and NameResolutionError from
    # ConnectTimeoutError for compatibility: test them before the timeout classes
    if isinstance(exc, NameResolutionError):
        return RejectReason.DNS_ERROR, text
    if isinstance(exc, NewConnectionError) or isinstance(exc, ConnectionRefusedError):
        refused = isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower()
        return (RejectReason.CONNECTION_REFUSED if refused else RejectReason.CONNECTION_ERROR), text
    if isinstance(exc, (Urllib3Timeout, TimeoutError)):
        return RejectReason.TIMEOUT, text
    if isinstance(exc, ProtocolError) and any(isinstance(a, IncompleteRead) for a in exc.args):
        return RejectReason.TRUNCATED, text
    if isinstance(exc, IncompleteRead):
        return RejectReason.TRUNCATED, text
    if isinstance(exc, (ProtocolError, HTTPError, OSError)):
        return RejectReason.CONNECTION_ERROR, text
    return RejectReason.INTERNAL_ERROR, text


_attempt = threading.local()  # .holder: {"conn": the connection of this thread's current attempt}


class _TrackedHTTPConnection(HTTPConnection):
    def request(self, *args, **kwargs):
        holder = getattr(_attempt, "holder", None)
        if holder is not None:
            holder["conn"] = self
        return super().request(*args, **kwargs)


class _TrackedHTTPSConnection(HTTPSConnection):
    request = _TrackedHTTPConnection.request


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _Reaper:
    """One thread per client that shuts down the socket of every attempt still open at its deadline."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._active: dict[int, dict] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, holder: dict) -> int:
        with self._cv:
            token = next(self._ids)
            self._active[token] = holder
            heapq.heappush(self._heap, (deadline, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="http-deadlines", daemon=True)
                self._thread.start()
            self._cv.notify()
            return token

    def unwatch(self, token: int) -> None:
        with self._cv:
            self._active.pop(token, None)

    def _loop(self) -> None:
        with self._cv:
            while True:
                while self._heap and self._heap[0][1] not in self._active:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._cv.wait()
                    continue
                deadline, token = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cv.wait(wait)
                    continue
                heapq.heappop(self._heap)
                holder = self._active.pop(token)
                conn = holder.get("conn")
                sock = getattr(conn, "sock", None)
                if sock is not None:
                    holder["reaped"] = True
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:  # already closed by its own thread: nothing left to stop
                        holder["reaped"] = False


class HttpClient:
    def __init__(self, num_pools: int, pool_size: int, connect_timeout: float, read_timeout: float):
        self._pm = urllib3.PoolManager(num_pools=num_pools, maxsize=pool_size, block=False)
        self._pm.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        self._timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self._reaper = _Reaper()

    def get(
        self,
        url: str,
        address: str,
        headers: dict[str, str],
        max_bytes: int,
        deadline: float,
        check_headers: Callable[[Response], tuple[RejectReason, str] | None],
        sink: Callable[[bytes], None],
    ) -> Response:
        """GET `url` from `address`; 2xx bodies go to `sink`. Never raises for network faults; at
        `deadline` (time.monotonic()) the attempt is cut off wherever it is."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        host = parts.hostname or ""
        pool_kwargs = {"server_hostname": host, "assert_hostname": host} if scheme == "https" else None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = port == (443 if scheme == "https" else 80)
        host_header = host if default_port else f"{host}:{port}"
        if ":" in host and not default_port:
            host_header = f"[{host}]:{port}"
        out = Response()
        resp = None
        holder: dict = {}
        _attempt.holder = holder
        token = self._reaper.watch(deadline, holder)
        try:
            pool = self._pm.connection_from_host(address, port, scheme, pool_kwargs=pool_kwargs)
            resp = pool.urlopen(
                "GET",
                target,
                headers={**headers, "Host": host_header, "Accept-Encoding": ACCEPT_ENCODING},
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                timeout=self._timeout,
            )
            if holder.get("reaped"):  # cut off mid-headers: http.client hands back what it had read
                raise TimeoutError("deadline reached")
            out.status = resp.status
            for name in resp.headers:
                values = resp.headers.getlist(name)
                out.header_lists[name.lower()] = values
                out.headers[name.lower()] = ", ".join(values)
            if not 200 <= resp.status < 300:
                return out
            refused = check_headers(out)
            if refused is not None:
                out.reason, out.detail = refused
                return out
            length = out.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                out.reason, out.detail = (
                    RejectReason.TOO_LARGE,
                    f"Content-Length {length} > max_bytes {max_bytes}",
                )
                return out
            self._read_body(resp, out, max_bytes, deadline, sink)
            if holder.get("reaped"):  # cut off mid-body: the socket's EOF is not the body's end
                raise TimeoutError("deadline reached")
        except BodyTooLarge as exc:
            out.reason, out.detail = RejectReason.TOO_LARGE, str(exc)
        except zlib.error as exc:
            out.reason, out.detail = (
                RejectReason.TRUNCATED,
                f"bad {out.headers.get('content-encoding')} body: {exc}",
            )
        except (HTTPError, OSError) as exc:
            out.reason, out.detail = classify_error(exc)
            if holder.get("reaped") or time.monotonic() >= deadline:
                stage = "body" if out.status is not None else "status line or headers"
                out.reason = RejectReason.TIMEOUT
                detail = f"the attempt's total time limit passed while reading the {stage} ({out.detail})"
                out.detail = detail[:500]
        finally:
            self._reaper.unwatch(token)
            _attempt.holder = None
            if resp is not None:
                # an aborted body leaves the socket mid-stream: close it rather than reuse it
                if out.reason is not None or not 200 <= (out.status or 0) < 300:
                    resp.close()
                resp.release_conn()
        return out

    @staticmethod
    def _read_body(resp, out: Response, max_bytes: int, deadline: float, sink) -> None:
        encoding = out.headers.get("content-encoding", "").strip().lower()
        decoder = _Decoder(encoding if encoding in ("gzip", "x-gzip", "deflate") else "", max_bytes)
        raw = 0
        while True:
            # read1 returns what one recv gives, so a slow drip is checked against the deadline
            chunk = resp.read1(CHUNK, decode_content=False)
            if not chunk:
                break
            raw += len(chunk)
            if raw > max_bytes:
                raise BodyTooLarge(f"body exceeds max_bytes {max_bytes}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"total time limit passed after {raw} bytes (slow sender)")
            data = decoder.feed(chunk)
            out.num_bytes += len(data)
            if data:
                sink(data)
