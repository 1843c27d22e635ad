"""The sample site on a loopback HTTP server, for the live-crawl path of the demo and the tests.

Serves files from the site directory with the fixed content-type table, the extra headers
and redirects of site/_headers.json (X-Robots-Tag: noai on designated images), a 404 with
a small HTML body for anything missing, and no directory listings. Files whose name starts
with "_" (the headers file) are never served.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from demo.sample.headers import (
    NOT_FOUND_BODY,
    SERVER_NAME,
    SiteHeaders,
    content_type_for,
    load_site_headers,
)

logger = logging.getLogger(__name__)


class SampleSiteHandler(BaseHTTPRequestHandler):
    server_version = SERVER_NAME
    sys_version = ""
    protocol_version = "HTTP/1.1"  # keep-alive, so pooled fetchers reuse connections
    # Headers and body go out in separate writes; with Nagle's algorithm on, each keep-alive
    # response would wait ~40 ms for the client's delayed ACK (nginx sets TCP_NODELAY too).
    disable_nagle_algorithm = True
    timeout = 30  # seconds an idle keep-alive connection may hold a handler thread

    def __init__(self, *args, site_dir: Path, site_headers: SiteHeaders, **kwargs) -> None:
        self.site_dir = site_dir
        self.site_headers = site_headers
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        logger.debug("%s - " + format, self.address_string(), *args)

    def _resolve(self, path: str) -> Path | None:
        """The file for a URL path, or None when missing, hidden or outside the site."""
        clean = posixpath.normpath(unquote(path))
        if not clean.startswith("/") or any(part.startswith((".", "_")) for part in clean.split("/") if part):
            return None
        file = (self.site_dir / clean.lstrip("/")).resolve()
        if not file.is_relative_to(self.site_dir) or not file.is_file():
            return None
        return file

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, head_only: bool) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _serve(self, head_only: bool) -> None:
        path = urlsplit(self.path).path or "/"
        if path == "/":
            path = "/index.html"
        target = self.site_headers.redirect_target(path)
        if target is not None:
            body = f'<html><body>Moved to <a href="{target}">{target}</a></body></html>\n'.encode()
            self._send(
                301, [("Location", target), ("Content-Type", "text/html; charset=utf-8")], body, head_only
            )
            return
        file = self._resolve(path)
        if file is None:
            self._send(404, [("Content-Type", "text/html; charset=utf-8")], NOT_FOUND_BODY, head_only)
            return
        headers = [("Content-Type", content_type_for(path))] + sorted(
            self.site_headers.extra_headers(path).items()
        )
        self._send(200, headers, file.read_bytes(), head_only)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head_only=True)


class SampleSiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up (a fetcher closing a pooled connection, a timed-out probe) is
        routine for a crawl target: logged at debug, not printed as a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)):
            logger.debug("client %s hung up: %s", client_address, exc)
            return
        super().handle_error(request, client_address)


def make_server(site_dir: str | Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A bound (not yet serving) server for site_dir; port 0 picks a free port."""
    site = Path(site_dir).resolve()
    if not site.is_dir():
        raise FileNotFoundError(
            f"site directory {site} does not exist; write it with `flamingo sample write DIR`"
        )
    handler = partial(SampleSiteHandler, site_dir=site, site_headers=load_site_headers(site))
    server = SampleSiteServer((host, port), handler)
    return server


def base_url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


@contextlib.contextmanager
def serve_site(site_dir: str | Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve site_dir in a background thread; yields the base URL ("http://127.0.0.1:PORT/")."""
    server = make_server(site_dir, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sample-site-server", daemon=True
    )
    thread.start()
    base = base_url_of(server)
    logger.info("serving %s at %s", site_dir, base)
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
