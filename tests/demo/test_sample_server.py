"""The sample web served live on 127.0.0.1: pages, images, robots, headers, hang-ups, the lists
rebased onto the server, and the CLI (tests/demo/test_sample_web.py checks the files themselves)."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo.sample import serve_site, write_lists
from pipeline.cli import main as flamingo_main
from tests.demo.test_sample_web import _rows


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


# -- the live copy ------------------------------------------------------------------------------


def test_server_serves_pages_images_robots_and_headers(sample):
    out, info = sample
    site = out / "site"
    ok_images = {
        Path(u).suffix: u
        for u, e in info["expected_pairs"].items()
        if e == "ok" and u not in info["redirects"]
    }
    with serve_site(site) as base:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", base)
        status, headers, body = _get(base + "robots.txt")
        assert (status, headers["Content-Type"], body) == (
            200,
            "text/plain; charset=utf-8",
            b"User-agent: *\nDisallow: /private/\n",
        )
        page = info["private_pages"][0]
        status, headers, body = _get(base + page.lstrip("/"))
        assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
        assert body == (site / page.lstrip("/")).read_bytes()
        for suffix, ctype in ((".jpg", "image/jpeg"), (".png", "image/png"), (".webp", "image/webp")):
            status, headers, body = _get(base + ok_images[suffix].lstrip("/"))
            assert (status, headers["Content-Type"], "X-Robots-Tag" in headers) == (200, ctype, False)
            assert body == (site / ok_images[suffix].lstrip("/")).read_bytes()
        for url in info["noai"]:
            status, headers, _ = _get(base + url.lstrip("/"))
            assert (status, headers["X-Robots-Tag"]) == (200, "noai")
        for url in (
            info["missing_images"] + info["missing_pages"] + ["/_headers.json", "/images/", "/../etc/passwd"]
        ):
            assert _get(base + url.lstrip("/"))[0] == 404, url
        assert _get(base + "videos/v000.mp4")[1]["Content-Type"] == "video/mp4"
        assert _get(base)[2] == (site / "index.html").read_bytes()
        ((src, target),) = info["redirects"].items()
        conn = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port, timeout=5)
        conn.request("HEAD", src)
        resp = conn.getresponse()
        assert (resp.status, resp.getheader("Location")) == (301, target)
        conn.close()
        assert (
            _get(base + src.lstrip("/"))[2] == (site / target.lstrip("/")).read_bytes()
        )  # urllib follows it
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "robots.txt", timeout=2)  # shut down cleanly: nothing listens


def test_server_takes_a_client_hanging_up_quietly(sample, capfd):
    """A reset connection (a fetcher dropping a pooled socket) is routine, not a printed traceback."""
    import socket
    import struct
    import time

    out, _ = sample
    with serve_site(out / "site") as base:
        port = urlsplit(base).port
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x")  # half a request, then a reset
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        time.sleep(0.3)
        assert _get(base + "robots.txt")[0] == 200  # still serving
    assert "Traceback" not in capfd.readouterr().err


def test_write_lists_rebases_onto_the_live_server(sample, tmp_path):
    out, info = sample
    with serve_site(out / "site") as base:
        paths = write_lists(out, base, tmp_path)
        pairs = _rows(paths["pairs"])
        assert [r["url"] for r in pairs] == [base.rstrip("/") + u for u in info["expected_pairs"]]
        ok = [r["url"] for r in pairs if info["expected_pairs"][urlsplit(r["url"]).path] == "ok"]
        assert all(_get(u)[0] == 200 for u in ok[:10])
        assert _get(_rows(paths["videos"])[0]["url"])[0] == 200
    again = write_lists(tmp_path, "http://example.test:8080/", tmp_path / "again")
    assert (
        again["urls"].read_text().splitlines()[0]
        == "http://example.test:8080" + (out / "urls.txt").read_text().splitlines()[0]
    )
    assert (out / "pairs.csv").read_text().splitlines()[1].startswith("/")  # the source lists stay relative


# -- the CLI ------------------------------------------------------------------------------------


def test_cli_write_and_serve(tmp_path, capsys):
    assert flamingo_main(["sample", "write", str(tmp_path), "--seed", "3", "--num-pages", "8"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["counts"]["pages"] == 8 and Path(printed["paths"]["warc"]).is_file()
    code = "import sys; from demo.sample.cli import serve_main; sys.exit(serve_main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path), "--lists", str(tmp_path / "live")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        base = re.search(r"at (http://127\.0\.0\.1:\d+/)", line).group(1)
        assert _get(base + "robots.txt")[0] == 200
        assert (tmp_path / "live/urls.txt").read_text().startswith(base.rstrip("/") + "/articles/")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
