"""What the sample site sends besides file bytes: content types, per-path headers, redirects.

The live server (server.py) and the WARC writer (warc.py) both read this, from one file
`site/_headers.json`, so the two copies of the site agree on every header.
Content types come from a fixed table rather than the `mimetypes` module, whose answers
depend on the machine's /etc/mime.types (e.g. .webp is missing on some systems).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

HEADERS_FILE = "_headers.json"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".mp4": "video/mp4",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
SERVER_NAME = "flamingo-sample/1.0"
# Served for missing paths by both copies of the site (a small HTML body, like real servers).
NOT_FOUND_BODY = (
    b"<!doctype html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
)


def content_type_for(path: str) -> str:
    return CONTENT_TYPES.get(posixpath.splitext(path)[1].lower(), DEFAULT_CONTENT_TYPE)


@dataclass(kw_only=True)
class SiteHeaders:
    """Extra response headers by root-relative path, and redirects (path -> target path)."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)

    def extra_headers(self, path: str) -> dict[str, str]:
        return dict(self.headers.get(path, {}))

    def redirect_target(self, path: str) -> str | None:
        return self.redirects.get(path)

    def to_json(self) -> bytes:
        doc = {"headers": self.headers, "redirects": self.redirects}
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()

    def save(self, site_dir: str | Path) -> Path:
        path = Path(site_dir) / HEADERS_FILE
        path.write_bytes(self.to_json())
        return path


def load_site_headers(site_dir: str | Path) -> SiteHeaders:
    """Read site/_headers.json; a site without one simply has no extra headers."""
    path = Path(site_dir) / HEADERS_FILE
    if not path.exists():
        return SiteHeaders()
    try:
        doc = json.loads(path.read_text())
        headers = {str(k): {str(n): str(v) for n, v in h.items()} for k, h in doc.get("headers", {}).items()}
        redirects = {str(k): str(v) for k, v in doc.get("redirects", {}).items()}
    except (ValueError, AttributeError) as err:
        raise ValueError(
            f"{path}: malformed headers file ({err}); expected "
            '{"headers": {PATH: {NAME: VALUE}}, "redirects": {PATH: TARGET}}'
        ) from err
    return SiteHeaders(headers=headers, redirects=redirects)
