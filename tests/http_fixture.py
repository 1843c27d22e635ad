"""A loopback HTTP server with programmable routes, for every test that fetches.

    with HttpFixture() as server:          # or the `http_server` pytest fixture
        server.add("/a.jpg", jpeg_bytes(), "image/jpeg")
        url = server.url("/a.jpg")

`install_default_routes` adds the misbehaving servers the fetcher must survive (404, 500 then
200, 429 + Retry-After, stalls, resets, slow drips, redirect loops, oversize and lying bodies,
HTML served as an image, truncated and bomb images, opt-out headers). `DEFAULT_ROUTES` names
each route with the outcome a correct fetcher + image processor must report.
"""

from __future__ import annotations

import collections
import functools
import io
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

Handler = Callable[[BaseHTTPRequestHandler], None]


# -- images made in code ---------------------------------------------------------------------
def image_bytes(size=(64, 48), mode="RGB", fmt="JPEG", colour=(200, 30, 30), **save) -> bytes:
    im = Image.new(mode, size, colour if mode != "P" else 3)
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def exif_rotated_jpeg(size=(64, 32), orientation=6) -> bytes:
    """A JPEG stored landscape whose EXIF says 'rotate 90 CW' (orientation 6): shown portrait."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return image_bytes(size, exif=exif.tobytes())


def animated_gif(size=(32, 32), frames=3) -> bytes:
    ims = [Image.new("P", size, i + 1) for i in range(frames)]
    buf = io.BytesIO()
    ims[0].save(buf, "GIF", save_all=True, append_images=ims[1:], duration=50)
    return buf.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (10 Gpx by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# -- the server ------------------------------------------------------------------------------
class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's pool is exercised
    # TCP_NODELAY, as nginx sets on keep-alive connections: http.server writes the headers and
    # the body separately, and with Nagle on the body waits for the client's delayed ACK (~40 ms
    # per response on a reused connection; a fetch took 44 ms here instead of 1).
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802 - http.server's naming
        server: HttpFixture = self.server.fixture  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        with server.lock:
            server.hits[path] += 1
            route = server.routes.get(path)
        if route is None:
            send(self, 404, b"not found", "text/plain")
            return
        route(self)

    def log_message(self, fmt, *args):  # keep test output quiet
        pass


def send(
    h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, headers: dict | None = None
) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        for v in value if isinstance(value, list) else [value]:
            h.send_header(name, v)
    h.end_headers()
    h.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a client opening dozens of connections at once
    # (img2dataset's 32 threads per process, one connection per image) overflows it, and each
    # dropped SYN costs that fetch a 1 s retransmit. 128 is Linux's default somaxconn before 5.4.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # clients hanging up mid-body is what half the routes provoke; not worth a traceback
        pass


class HttpFixture:
    def __init__(self):
        self.routes: dict[str, Handler] = {}
        self.hits: collections.Counter = collections.Counter()
        self.lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _RequestHandler)
        self._httpd.daemon_threads = True
        self._httpd.fixture = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        # a short poll interval so stop() (shutdown) returns in ~50 ms, not the default 0.5 s
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes, ctype: str = "image/jpeg", status: int = 200, headers=None) -> str:
        self.routes[path] = lambda h: send(h, status, body, ctype, headers)
        return self.url(path)

    def add_handler(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def start(self) -> HttpFixture:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HttpFixture:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- misbehaving routes ----------------------------------------------------------------------
def fail_then(
    fixture: HttpFixture, path: str, failures: int, status: int, ok_body: bytes, headers=None
) -> Handler:
    """`status` for the first `failures` requests to `path`, then 200 with `ok_body`."""

    def handler(h):
        if fixture.hits[path] <= failures:
            send(h, status, b"try later", "text/plain", headers)
        else:
            send(h, 200, ok_body, "image/jpeg")

    return handler


def stall(seconds: float) -> Handler:
    def handler(h):
        time.sleep(seconds)
        h.close_connection = True

    return handler


def reset(h) -> None:
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.close_connection = True
    h.connection.close()


def drip(total: int, every: float) -> Handler:
    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "image/jpeg")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        try:
            for _ in range(total):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(every)
        except OSError:
            pass  # the client gave up, as it should
        h.close_connection = True

    return handler


def drip_headers(every: float, count: int = 200) -> Handler:
    """A status line and headers sent one byte at a time (each recv is quick; the whole is not)."""

    def handler(h):
        head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"v" * 20) for i in range(count))
        try:
            for byte in head:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(every)
        except OSError:
            pass  # the client hung up on us, as it should
        h.close_connection = True

    return handler


def lying_length(claimed: int, body: bytes) -> Handler:
    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "image/jpeg")
        h.send_header("Content-Length", str(claimed))
        h.end_headers()
        h.wfile.write(body)
        h.close_connection = True

    return handler


def unsized(body: bytes, ctype="image/jpeg", headers=None) -> Handler:
    """A close-delimited body (no Content-Length), so only a streamed cap can stop it."""

    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        try:
            h.wfile.write(body)
        except OSError:
            pass
        h.close_connection = True

    return handler


def redirect(to: str) -> Handler:
    return lambda h: send(h, 302, b"", "text/plain", {"Location": to})


# route -> (expected fetch+decode outcome: "ok" or a RejectReason value)
DEFAULT_ROUTES: dict[str, str] = {
    "/good.jpg": "ok",
    "/good.png": "ok",
    "/rgba.png": "ok",
    "/good.webp": "ok",
    "/anim.gif": "ok",
    "/cmyk.jpg": "ok",
    "/rotated.jpg": "ok",
    "/palette.png": "ok",
    "/redirect": "ok",
    "/missing": "http_404",
    "/flaky": "ok",
    "/always500": "http_5xx",
    "/429-short": "ok",
    "/429-long": "http_429",
    "/timeout": "timeout",
    "/reset": "connection_error",
    "/drip": "timeout",
    "/loop-a": "too_many_redirects",
    "/oversize": "too_large",
    "/oversize-unsized": "too_large",
    "/lying": "truncated",
    "/html-as-image": "not_an_image",
    "/truncated.jpg": "truncated",
    "/bomb.png": "decompression_bomb",
    "/gzip-bomb": "too_large",
    "/noai.jpg": "opted_out",
    "/noai-otherbot.jpg": "ok",
    "/noai-ua.jpg": "opted_out",
    "/text.svg": "unsupported_format",
}


def install_default_routes(s: HttpFixture, stall_seconds: float = 2.0, big: int = 2 * 2**20) -> HttpFixture:
    jpg = image_bytes((64, 48))
    s.add("/good.jpg", jpg)
    s.add("/good.png", image_bytes((40, 80), fmt="PNG"), "image/png")
    s.add("/rgba.png", image_bytes((30, 30), "RGBA", "PNG", (0, 0, 0, 0)), "image/png")
    s.add("/good.webp", image_bytes((50, 50), fmt="WEBP"), "image/webp")
    s.add("/anim.gif", animated_gif(), "image/gif")
    s.add("/cmyk.jpg", image_bytes((20, 20), "CMYK", colour=(0, 255, 255, 0)))
    s.add("/rotated.jpg", exif_rotated_jpeg())
    s.add("/palette.png", image_bytes((16, 16), "P", "PNG"), "image/png")
    s.add_handler("/redirect", redirect("/good.jpg"))
    s.add_handler("/flaky", fail_then(s, "/flaky", 1, 500, jpg))
    s.add_handler("/always500", lambda h: send(h, 503, b"down", "text/plain"))
    s.add_handler("/429-short", fail_then(s, "/429-short", 1, 429, jpg, {"Retry-After": "0"}))
    s.add_handler("/429-long", lambda h: send(h, 429, b"slow down", "text/plain", {"Retry-After": "3600"}))
    s.add_handler("/timeout", stall(stall_seconds))
    s.add_handler("/reset", reset)
    s.add_handler("/drip", drip(10_000, 0.02))
    s.add_handler("/loop-a", redirect("/loop-b"))
    s.add_handler("/loop-b", redirect("/loop-a"))
    s.add("/oversize", b"\0" * big)
    s.add_handler("/oversize-unsized", unsized(b"\0" * big))
    s.add_handler("/lying", lying_length(10_000, jpg[:100]))
    s.add("/html-as-image", b"<!doctype html><html><body>hello</body></html>", "image/jpeg")
    s.add("/truncated.jpg", image_bytes((256, 256), quality=95)[:1500])
    s.add("/bomb.png", png_bomb(), "image/png")
    s.add("/gzip-bomb", _gzip_zeros(8 * big), "image/jpeg", headers={"Content-Encoding": "gzip"})
    s.add("/noai.jpg", jpg, headers={"X-Robots-Tag": "noai"})
    s.add("/noai-otherbot.jpg", jpg, headers={"X-Robots-Tag": "otherbot: noai, noindex"})
    s.add("/noai-ua.jpg", jpg, headers={"X-Robots-Tag": ["otherbot: noindex", "flamingo-data: noimageai"]})
    s.add("/text.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "image/svg+xml")
    return s


@functools.lru_cache(maxsize=4)
def _gzip_zeros(n: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    return z.compress(b"\0" * n) + z.flush()
