"""Inputs for bench/scale.py, made in code: WARC files of realistic pages with their images, and a
pairs URL list served by a loopback image server in its own process.

Every image is its own (seeded noise over a gradient: sha256 always differs), so the writer sees
nearly every sample and the bench measures the build, not what dedup throws away; a few per
cent look alike to pHash, as web photos do (the pairs job dropped 30 of 2000 as perceptual
duplicates in `python -m bench.scale --pairs-sizes 2000`).

- m3w: `write_warcs(dir, num_pages)` writes bench/realistic_pages.py's pages (40-80 KB of
  HTML each, three markup styles) as WARC responses under https://news.example/, each followed by
  a response for every image its article shows (the largest srcset candidate, as the extractor
  picks), in files of PAGES_PER_WARC pages so that two workers get work.
- pairs: `ImageServer(num_images)` serves /img/N.jpg for N < num_images, generated on request
  (nothing held), from a child process so that it does not share the job's GIL.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from random import Random

from PIL import Image
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from bench.realistic_pages import STYLES, realistic_page

PAGES_PER_WARC = 250
IMAGE_SIZE = (320, 240)  # a web thumbnail; the job resizes to 224 either way
_MEDIA = re.compile(r"(/media/\d+-\d+)-\d+\.jpg")
_THUMBS = re.compile(r'src="(/thumbs/c?\d+\.jpg)"')  # the sidebar's and teaser grid's: on every page


def distinct_jpeg(index: int, size: tuple[int, int] = IMAGE_SIZE) -> bytes:
    """A photo-like JPEG unique to `index` (seeded noise, upscaled, over a rotated gradient)."""
    w, h = size
    rng = Random(f"scale-image:{index}")
    noise = Image.frombytes("L", (w // 8, h // 8), rng.randbytes((w // 8) * (h // 8)))
    noise = noise.resize((w, h), Image.BICUBIC).convert("RGB")
    base = Image.linear_gradient("L").resize((w, h)).rotate(index % 360).convert("RGB")
    tint = Image.new("RGB", (w, h), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    im = Image.blend(Image.blend(base, noise, 0.5), tint, 0.3)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _response(writer: WARCWriter, url: str, ctype: str, body: bytes) -> None:
    headers = StatusAndHeaders(
        "200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
    )
    writer.write_record(
        writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
    )


def write_warcs(out_dir: str, num_pages: int, seed: int = 0) -> dict[str, int]:
    """WARC.gz files of `num_pages` realistic pages and their images; returns counts."""
    os.makedirs(out_dir, exist_ok=True)
    counts = {"pages": 0, "images": 0, "html_bytes": 0, "image_bytes": 0, "files": 0}
    image_index = 0
    for start in range(0, num_pages, PAGES_PER_WARC):
        path = os.path.join(out_dir, f"crawl-{start // PAGES_PER_WARC:05d}.warc.gz")
        with open(path, "wb") as f:
            writer = WARCWriter(f, gzip=True)
            if start == 0:  # the site's shared thumbnails, captured once (the over-frequent rule's case)
                thumbs = sorted(
                    {
                        t
                        for i in range(min(num_pages, 20))
                        for t in _THUMBS.findall(realistic_page(seed, i).html)
                    }
                )
                for n, thumb in enumerate(thumbs):
                    _response(writer, f"https://news.example{thumb}", "image/jpeg", distinct_jpeg(-1 - n))
                    counts["images"] += 1
            for i in range(start, min(start + PAGES_PER_WARC, num_pages)):
                page = realistic_page(seed, i)
                page_url = f"https://news.example/{STYLES[i % len(STYLES)]}/{i}"  # as realistic_page's
                html = page.html.encode("utf-8")
                _response(writer, page_url, "text/html; charset=utf-8", html)
                counts["pages"] += 1
                counts["html_bytes"] += len(html)
                for media in sorted(set(_MEDIA.findall(page.html))):
                    body = distinct_jpeg(image_index)
                    image_index += 1
                    _response(writer, f"https://news.example{media}-1024.jpg", "image/jpeg", body)
                    counts["images"] += 1
                    counts["image_bytes"] += len(body)
        counts["files"] += 1
    return counts


class _ImageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802 - http.server's naming
        m = re.fullmatch(r"/img/(\d+)\.jpg", self.path)
        if not m or int(m.group(1)) >= self.server.num_images:  # type: ignore[attr-defined]
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = distinct_jpeg(int(m.group(1)))
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # a line per request would be the bench's whole output
        pass


def _serve(num_images: int, conn) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    server.daemon_threads = True
    server.num_images = num_images  # type: ignore[attr-defined]
    conn.send(f"http://127.0.0.1:{server.server_address[1]}")
    server.serve_forever()


class ImageServer:
    """`with ImageServer(n) as base:` serves base/img/0.jpg .. base/img/{n-1}.jpg from a child process."""

    def __init__(self, num_images: int):
        self.num_images = num_images

    def __enter__(self) -> str:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(self.num_images, child), daemon=True)
        self._proc.start()
        return parent.recv()

    def __exit__(self, *exc) -> None:
        self._proc.terminate()
        self._proc.join(10)


def write_pairs_csv(path: str, base: str, num_images: int) -> None:
    with open(path, "w") as f:
        f.write("url,caption\n")
        for i in range(num_images):
            f.write(f"{base}/img/{i}.jpg,photo number {i} of the scale bench\n")


def image_cpu_seconds(num: int = 24) -> dict[str, float]:
    """CPU seconds per image of the jobs' decode + resize + encode (ImageProcessor, defaults), for
    the bench's images and for web-size photos (bench/pairs.py's WEB_SIZES, 400-1600 px): what
    the capacity model adds per image where the web's images are bigger than the bench's."""
    import time

    from bench.pairs import WEB_SIZES, make_images
    from crawlers.media.images import ImageProcessor
    from crawlers.media.resizer import ResizeConfig

    processor = ImageProcessor(ResizeConfig())
    sets = {"bench": [distinct_jpeg(i) for i in range(num)], "web": make_images(num, sizes=WEB_SIZES)}
    out = {}
    for name, images in sets.items():
        processor.process(images[0])  # warm-up
        start = time.process_time()
        for raw in images:
            processor.process(raw)
        out[name] = (time.process_time() - start) / num
    return out
