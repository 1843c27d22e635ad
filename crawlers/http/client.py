"""One HTTP GET attempt over a pooled urllib3 client: streamed, capped, never unbounded.

No redirects and no retries here (the Fetcher decides those, so every hop is checked by the
SSRF guard and every retry is polite). The connection goes to the address the guard checked,
with the original Host header and TLS server name, so DNS cannot change between check and use.
The body is read raw and decompressed here with a cap on the output, because urllib3's own
decoding would inflate a 1 MB gzip bomb to gigabytes before any size check could run.
"""

from __future__ import annotations

import dataclasses
import time
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    HTTPError,
    IncompleteRead,
    MaxRetryError,
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
    if isinstance(exc, (Urllib3Timeout, TimeoutError)):
        return RejectReason.TIMEOUT, text
    if isinstance(exc, ProtocolError) and any(isinstance(a, IncompleteRead) for a in exc.args):
        return RejectReason.TRUNCATED, text
    if isinstance(exc, IncompleteRead):
        return RejectReason.TRUNCATED, text
    if isinstance(exc, (NewConnectionError, ProtocolError, HTTPError, OSError)):
        return RejectReason.CONNECTION_ERROR, text
    return RejectReason.INTERNAL_ERROR, text


class HttpClient:
    def __init__(self, num_pools: int, pool_size: int, connect_timeout: float, read_timeout: float):
        self._pm = urllib3.PoolManager(num_pools=num_pools, maxsize=pool_size, block=False)
        self._timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)

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
        """GET `url` from `address`; 2xx bodies go to `sink`. Never raises for network faults."""
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
        except BodyTooLarge as exc:
            out.reason, out.detail = RejectReason.TOO_LARGE, str(exc)
        except zlib.error as exc:
            out.reason, out.detail = (
                RejectReason.TRUNCATED,
                f"bad {out.headers.get('content-encoding')} body: {exc}",
            )
        except (HTTPError, OSError) as exc:
            out.reason, out.detail = classify_error(exc)
        finally:
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
