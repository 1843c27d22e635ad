"""`flamingo sample write DIR` and `flamingo sample serve DIR`."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

logger = logging.getLogger(__name__)


def write_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="flamingo sample write",
        description="Write the embedded sample web (site, WARC, lists, eval split).",
    )
    parser.add_argument("out_dir", type=Path, help="output directory (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same bytes")
    parser.add_argument("--num-pages", type=int, default=50, help="number of article pages (at least 8)")
    args = parser.parse_args(argv)
    from demo.sample.generate import write_sample_web

    args.out_dir.mkdir(parents=True, exist_ok=True)
    summary = write_sample_web(args.out_dir, seed=args.seed, num_pages=args.num_pages)
    sys.stdout.write(json.dumps({"paths": summary["paths"], "counts": summary["counts"]}, indent=2) + "\n")
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="flamingo sample serve",
        description="Serve a written sample site on a loopback HTTP server until Ctrl-C.",
    )
    parser.add_argument(
        "out_dir", type=Path, help="directory given to `flamingo sample write` (or its site/)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument(
        "--lists",
        type=Path,
        default=None,
        help="also write pairs.csv, videos.csv and urls.txt with this server's absolute URLs here",
    )
    args = parser.parse_args(argv)
    from demo.sample.lists import write_lists
    from demo.sample.server import base_url_of, make_server

    site = args.out_dir / "site" if (args.out_dir / "site").is_dir() else args.out_dir
    server = make_server(site, args.host, args.port)
    base = base_url_of(server)
    if args.lists is not None:
        write_lists(site.parent, base, args.lists)
        logger.info("wrote lists for %s to %s", base, args.lists)
    sys.stdout.write(f"serving {site} at {base} (Ctrl-C to stop)\n")
    sys.stdout.flush()
    # Stop cleanly on SIGTERM (how services are stopped) and on SIGINT even when the shell that
    # started us in the background left SIGINT ignored (Python then never raises KeyboardInterrupt).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise_interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        server.server_close()
    return 0
