"""The scale bench's control: Beam alone over the same WARC bytes, to tell the runner's memory from ours.

    python -m bench.scale_control --input 'warcs/*.warc.gz' --output out/control --runner FnApiRunner
    python -m bench.scale_control        # 250 generated pages in a temporary folder

Reads every response record of the WARC files (page and image bytes), shuffles them once into
buckets of about 100 records (GroupByKey, as the shard writer groups samples) and counts them:
no extraction, no images decoded, nothing of this project's pipeline/. Whatever its peak RSS does
as the input grows is what the runner does with a build's bytes; bench/scale.py runs it beside
the m3w job on the same files (job "control").
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import zlib

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from warcio.archiveiterator import ArchiveIterator

from bench.scale_inputs import write_warcs

RECORDS_PER_BUCKET = 100


def records(path: str):
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type == "response":
                uri = rec.rec_headers.get_header("WARC-Target-URI")
                yield uri, rec.content_stream().read()


def _count(kv):
    _, members = kv
    members = list(members)
    return len(members), sum(len(body) for _, body in members)


def _add(pairs) -> tuple[int, int]:
    count = size = 0
    for c, s in pairs:
        count, size = count + c, size + s
    return count, size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", help="WARC glob (default: 250 generated realistic pages)")
    p.add_argument("--output", help="default: a temporary folder")
    args, beam_args = p.parse_known_args(argv)
    if args.input is None or args.output is None:  # `make bench` runs every bench module bare
        with tempfile.TemporaryDirectory(prefix="bench-control-") as tmp:
            write_warcs(os.path.join(tmp, "warcs"), 250)
            code = main(
                [
                    "--input", args.input or os.path.join(tmp, "warcs", "*.warc.gz"),
                    "--output", args.output or os.path.join(tmp, "out"),
                    *(beam_args or ["--runner", "FnApiRunner"]),
                ]
            )  # fmt: skip
            with open(os.path.join(args.output or os.path.join(tmp, "out"), "manifest.json")) as f:
                print(f.read())
            return code
    paths = sorted(glob.glob(args.input))
    num_buckets = max(1, sum(1 for _ in paths) * 1000 // RECORDS_PER_BUCKET)
    os.makedirs(args.output, exist_ok=True)
    totals = os.path.join(args.output, "totals")
    with beam.Pipeline(options=PipelineOptions(beam_args)) as pipe:
        _ = (
            pipe
            | "Files" >> beam.Create(paths)
            | "SpreadFiles" >> beam.Reshuffle()
            | "Records" >> beam.FlatMap(records)
            | "Bucket" >> beam.Map(lambda r: (zlib.crc32(r[0].encode()) % num_buckets, r))
            | "GroupBuckets" >> beam.GroupByKey()
            | "Count" >> beam.Map(_count)
            | "Total" >> beam.CombineGlobally(_add)
            | "Json" >> beam.Map(lambda t: json.dumps(list(t)))
            | "Write" >> beam.io.WriteToText(totals, shard_name_template="")
        )
    with open(totals) as f:
        count, size = json.loads(f.read())
    pages = sum(
        1 for path in paths for uri, _ in records(path) if "/media/" not in uri and "/thumbs/" not in uri
    )
    with open(os.path.join(args.output, "manifest.json"), "w") as f:
        json.dump({"inputs": pages, "written": pages, "records": count, "bytes": size}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
