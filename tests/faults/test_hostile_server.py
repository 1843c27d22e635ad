"""The pairs job against a hostile loopback server: it ends within its configured bounds and every
row is accounted with its own reason (issue 16: drip headers, drip body, reset mid-body, lying
lengths, 429 with Retry-After, redirect chains)."""

from __future__ import annotations

import csv
import socket
import struct
import time

import pyarrow.parquet as pq

from pipeline.jobs import pairs
from schemas import url_key
from tests.http_fixture import HttpFixture, drip, drip_headers, image_bytes, install_default_routes, redirect

TOTAL, URL_TIMEOUT, RETRIES = 1.0, 2.5, 2


def reset_mid_body(h) -> None:
    """Headers and half the body, then a TCP reset."""
    body = image_bytes((64, 48))
    h.send_response(200)
    h.send_header("Content-Type", "image/jpeg")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body[: len(body) // 2])
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.close_connection = True
    h.connection.close()


EXPECTED = {
    "/good.jpg": None,
    "/drip-headers": "timeout",
    "/drip": "timeout",
    "/reset-mid-body": "connection_error",  # retried, then given up
    "/lying": "truncated",
    "/429-long": "http_429",
    "/429-short": None,
    "/chain-1": None,  # three hops, then the image
    "/loop-a": "too_many_redirects",
    "/timeout": "timeout",
    "/always500": "http_5xx",
}


def test_pairs_job_is_bounded_and_accounts_for_every_row(tmp_path):
    with HttpFixture() as server:
        install_default_routes(server, stall_seconds=60.0)  # a stall far past every bound
        server.add_handler("/drip-headers", drip_headers(every=0.05))
        server.add_handler("/drip", drip(100_000, 0.02))
        server.add_handler("/reset-mid-body", reset_mid_body)
        for hop in (1, 2, 3):
            server.add_handler(f"/chain-{hop}", redirect(f"/chain-{hop + 1}" if hop < 3 else "/good.jpg"))
        with open(tmp_path / "hostile.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["url", "caption"])
            w.writerows([server.url(path), f"row {path}"] for path in EXPECTED)
        start = time.monotonic()
        manifest = pairs.run([
            "--input", str(tmp_path / "hostile.csv"), "--output", str(tmp_path / "out"), "--allow-private",
            "--timeout", "0.5", "--total-timeout", str(TOTAL), "--retries", str(RETRIES),
            "--url-timeout", str(URL_TIMEOUT),
            "--runner", "FnApiRunner", "--no-progress", "--no-dedup", "--filters", _no_filters(tmp_path),
        ])  # fmt: skip
        took = time.monotonic() - start
    # every URL ends within its own limit (16 threads run them side by side); the job's time is
    # Beam's start-up plus a few seconds, never the 60 s stall
    assert took < 30, took
    rejects = {
        r["key"]: r["reason"] for r in pq.read_table(tmp_path / "out" / "rejects-00000.parquet").to_pylist()
    }
    got = {path: rejects.get(url_key(server.url(path))) for path in EXPECTED}
    assert got == EXPECTED
    assert manifest["inputs"] == len(EXPECTED) == manifest["written"] + manifest["rejected"]


def _no_filters(tmp_path) -> str:
    (tmp_path / "nofilters.yaml").write_text("pair: []\n")
    return str(tmp_path / "nofilters.yaml")
