"""The sample's URL lists (pairs.csv, videos.csv, urls.txt), and re-basing them onto a live server.

`write_sample_web` writes root-relative URLs ("/images/p0001.jpg") because the live
server's port is only known once it is serving; `write_lists` turns them into absolute
URLs for a given base. Only the path (and query) of each URL is kept, so lists that were
already re-based can be re-based again onto another base.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit


def write_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def rebase_url(url: str, base_url: str) -> str:
    """`base_url` + the path (and query) of `url`; `url` may be root-relative or absolute."""
    parts = urlsplit(url)
    if not parts.path.startswith("/"):
        raise ValueError(f"cannot re-base {url!r}: expected a root-relative or absolute URL")
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    return base_url.rstrip("/") + tail


def write_lists(out_dir: str | Path, base_url: str, dest_dir: str | Path | None = None) -> dict[str, Path]:
    """Rewrite pairs.csv, videos.csv and urls.txt of a written sample with absolute URLs under base_url.

    Reads the lists in out_dir and writes them to dest_dir (default: out_dir, in place).
    Returns {"pairs": path, "videos": path, "urls": path}.
    """
    src, dest = Path(out_dir), Path(dest_dir) if dest_dir is not None else Path(out_dir)
    dest.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in ("pairs.csv", "videos.csv"):
        with open(src / name, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = tuple(next(reader))
            rows = [(rebase_url(row[0], base_url), *row[1:]) for row in reader]
        write_csv(dest / name, header, rows)
        written[name.split(".")[0]] = dest / name
    urls = [
        rebase_url(line, base_url) for line in (src / "urls.txt").read_text().splitlines() if line.strip()
    ]
    (dest / "urls.txt").write_text("".join(u + "\n" for u in urls))
    written["urls"] = dest / "urls.txt"
    return written
