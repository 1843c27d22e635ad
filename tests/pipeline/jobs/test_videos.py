"""The videos job end to end: lists in, shards + rejects + manifest out, every row accounted for."""

from __future__ import annotations

import csv
import functools
import gzip
import http.server
import json
import tarfile
import threading

import pyarrow.parquet as pq
import pytest

from pipeline.io.readers import RowError
from pipeline.jobs import videos
from pipeline.steps.video_rows import VideoRowError, list_dir_of, local_path, parse_row
from schemas import VideoTextPair, stable_key
from tests.crawlers.media.video_media import ffmpeg, make_testsrc


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("job")
    make_testsrc(d / "moving.mp4", duration=10.0, audio=True)
    make_testsrc(d / "short.mp4", duration=3.0)
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=128x96:r=10:d=9", "-c:v", "libx264", str(d / "static.mp4"))
    (d / "random.mp4").write_bytes(bytes(range(256)) * 20)
    (d / "empty.mp4").write_bytes(b"")
    return d


def _members(tar_path) -> dict[str, bytes]:
    with tarfile.open(tar_path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def video_key(url: str, caption: str, start: float | None = None, end: float | None = None) -> str:
    return stable_key("video", url, start, end, caption)


def _rejects(out) -> list[dict]:
    return sorted(
        (r for f in out.glob("rejects-*.parquet") for r in pq.read_table(f).to_pylist()),
        key=lambda r: r["source"],
    )


def test_local_list_to_shards(media, tmp_path):
    rows = [
        ("moving.mp4", "a moving test pattern", "", ""),
        ("moving.mp4", "the same video, one segment", "1.5", "9.75"),
        (f"file://{media}/short.mp4", "too short", "", ""),
        ("static.mp4", "a blue screen", "", ""),
        ("random.mp4", "random bytes", "", ""),
        ("empty.mp4", "nothing", "", ""),
        ("missing.mp4", "not there", "", ""),
        ("moving.mp4", "", "", ""),
        ("moving.mp4", "bad segment", "5", "2"),
        ("ftp://example.com/a.mp4", "ftp", "", ""),
    ]
    listing = media / "list.csv"
    with open(listing, "w", newline="") as f:
        csv.writer(f).writerows([("url", "caption", "start", "end"), *rows])
    out = tmp_path / "out"
    manifest = videos.run(
        [
            "--input",
            str(listing),
            "--output",
            str(out),
            "--image-size",
            "32",
            "--keep-clip",
            "--no-progress",
            "--allow-local",
            str(media),
        ]
    )
    assert (manifest["inputs"], manifest["written"], manifest["rejected"]) == (10, 2, 8)
    assert manifest["conservation_ok"]
    assert manifest["rejected_by_reason"] == {
        "video_too_short": 1,
        "video_static": 1,
        "not_a_video": 2,
        "http_404": 1,
        "empty_caption": 1,
        "malformed_row": 1,
        "unsupported_scheme": 1,
    }
    assert manifest["rejected_by_stage"] == {"window": 1, "filter": 1, "probe": 2, "fetch": 1, "read": 3}

    whole = video_key("moving.mp4", "a moving test pattern")
    segment = video_key("moving.mp4", "the same video, one segment", 1.5, 9.75)
    members = _members(out / "videos-00000.tar")
    for key in (whole, segment):
        names = sorted(n for n in members if n.startswith(key))
        assert names == [f"{key}.{i:03d}.jpg" for i in range(8)] + [f"{key}.json", f"{key}.mp4", f"{key}.txt"]
    pair = VideoTextPair.from_json(members[f"{segment}.json"])
    assert members[f"{segment}.txt"].decode() == "the same video, one segment"
    assert (pair.num_frames, pair.fps, pair.width, pair.height, pair.source_fps) == (8, 1.0, 32, 32, 25.0)
    assert 1.5 <= pair.start <= 1.75 and pair.timestamps == [round(pair.start + k, 6) for k in range(8)]
    assert pair.extra["original_width"] == 128 and pair.extra["video"]["has_audio"] is True

    sidecar = pq.read_table(out / "videos-00000.parquet").to_pylist()
    assert sorted(r["key"] for r in sidecar) == sorted([whole, segment])
    assert all(len(r["timestamps"]) == 8 for r in sidecar)

    rejects = _rejects(out)
    assert [r["reason"] for r in rejects if r["source"] == "random.mp4"] == ["not_a_video"]
    assert [
        r["stage"] for r in rejects if r["source"].endswith("list.csv:9")
    ]  # line 9: the header is line 1 == ["read"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture()
def server(media):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(media)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_http_jsonl_gz_list_is_fetched(media, server, tmp_path):
    listing = tmp_path / "videos.jsonl.gz"
    lines = [
        {"url": f"{server}/moving.mp4", "caption": "fetched", "source": "web"},
        {"url": f"{server}/nope.mp4", "caption": "404"},
        {"url": f"{server}/moving.mp4", "caption": "a segment of it", "start": 0.5},
    ]
    listing.write_bytes(gzip.compress(("\n".join(json.dumps(x) for x in lines) + "\n{broken\n").encode()))
    out = tmp_path / "out"
    manifest = videos.run(
        [
            "--input",
            str(listing),
            "--output",
            str(out),
            "--allow-private",
            "--no-progress",
            "--image-size",
            "32",
            "--num-frames",
            "4",
            "--fps",
            "2",
            "--resize-mode",
            "border",
        ]
    )
    assert (manifest["inputs"], manifest["written"]) == (4, 2)
    assert manifest["rejected_by_reason"] == {"http_404": 1, "malformed_row": 1}
    members = _members(out / "videos-00000.tar")
    pair = VideoTextPair.from_json(members[f"{video_key(f'{server}/moving.mp4', 'fetched')}.json"])
    assert pair.extra["source"] == "web" and pair.num_frames == 4
    assert pair.timestamps == [round(pair.start + k * 0.5, 6) for k in range(4)]  # the port changes the key


def test_cli_table_names_this_job():
    from pipeline.cli import COMMANDS

    assert (("build", "videos"), "pipeline.jobs.videos:main") in [(w, t) for w, t, _ in COMMANDS]


@pytest.mark.parametrize(
    "row,reason",
    [
        ({"caption": "x"}, "missing_url"),
        ({"url": "  ", "caption": "x"}, "missing_url"),
        ({"url": "a.mp4", "caption": " "}, "empty_caption"),
        ({"url": "mailto:a@b.c", "caption": "x"}, "unsupported_scheme"),
        ({"url": "a.mp4", "caption": "x", "start": "abc"}, "malformed_row"),
        ({"url": "a.mp4", "caption": "x", "start": "-1"}, "malformed_row"),
        ({"url": "a.mp4", "caption": "x", "end": "nan"}, "malformed_row"),
        (RowError("3 fields where the header has 4"), "malformed_row"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(row, reason):
    with pytest.raises(VideoRowError) as err:
        parse_row(row)
    assert err.value.reason.value == reason


def test_row_keys_extra_and_local_paths(tmp_path):
    whole = parse_row({"url": "v.mp4", "caption": " a cat ", "lang": "en"})
    assert (whole.key, whole.caption, whole.extra) == (video_key("v.mp4", "a cat"), "a cat", {"lang": "en"})
    seg = parse_row({"url": "v.mp4", "caption": "x", "start": "1", "end": "2.5"})
    assert seg.key == video_key("v.mp4", "x", 1.0, 2.5) and (seg.start, seg.end) == (1.0, 2.5)
    # one video, two captions: two samples (one key wrote one sample twice and lost the other)
    assert parse_row({"url": "v.mp4", "caption": "a dog"}).key != whole.key
    assert local_path("v.mp4", str(tmp_path)) == str(tmp_path / "v.mp4")
    assert local_path("file:///data/v.mp4", str(tmp_path)) == "/data/v.mp4"
    assert local_path("gs://bucket/v.mp4", str(tmp_path)) is None
    assert list_dir_of(f"{tmp_path}/list.csv:3") == str(tmp_path)


def test_process_videos_transform_emits_one_output_per_row(media):
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from crawlers.media.video_frames import FrameSamplerConfig
    from crawlers.media.video_processor import VideoProcessorConfig
    from pipeline.steps.videos import ProcessVideos

    config = VideoProcessorConfig(sampler=FrameSamplerConfig(image_size=16, num_frames=2))
    rows = [
        (f"{media}/l.csv:2", {"url": "moving.mp4", "caption": "ok"}),
        (f"{media}/l.csv:3", {"url": "random.mp4", "caption": "bad"}),
    ]
    with TestPipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        out = p | beam.Create(rows) | ProcessVideos(config, apply_filters=False, allow_local=(str(media),))
        samples = out.samples | "SampleKeys" >> beam.Map(lambda s: (s.key, sorted(s.to_shard().members)))
        rejects = out.rejects | "Reasons" >> beam.Map(lambda r: (r.key, r.stage, r.reason.value))
        assert_that(
            samples,
            equal_to([(video_key("moving.mp4", "ok"), ["000.jpg", "001.jpg", "json", "txt"])]),
            label="S",
        )
        assert_that(rejects, equal_to([(video_key("random.mp4", "bad"), "probe", "not_a_video")]), label="R")


def test_local_and_bucket_sources_need_a_named_root(media, tmp_path):
    """A list is untrusted: it reads no local file and no bucket object outside the roots the job
    names, whatever --allow-private says (issue 16, item 6)."""
    outside = tmp_path / "secret.mp4"
    outside.write_bytes((media / "moving.mp4").read_bytes())
    (media / "link.mp4").unlink(missing_ok=True)
    (media / "link.mp4").symlink_to(outside)
    rows = [
        ("moving.mp4", "inside the root"),
        (str(outside), "outside the root"),
        ("../" + outside.name, "dot-dot out of the list's folder"),
        (f"file://{outside}", "a file URL outside"),
        ("link.mp4", "a symlink leading out"),
        ("gs://other-bucket/v.mp4", "a bucket nobody named"),
    ]
    listing = media / "untrusted.csv"
    with open(listing, "w", newline="") as f:
        csv.writer(f).writerows([("url", "caption"), *rows])
    manifest = videos.run(
        [
            "--input",
            str(listing),
            "--output",
            str(tmp_path / "out"),
            "--image-size",
            "32",
            "--no-progress",
            "--allow-private",
            "--allow-local",
            str(media),
            "--allow-bucket",
            "gs://flamingo-allowed/videos",
        ]
    )
    assert (manifest["written"], manifest["rejected_by_reason"]) == (1, {"source_not_allowed": 5})
    without = videos.run(
        ["--input", str(listing), "--output", str(tmp_path / "out2"), "--no-progress", "--allow-private"]
    )
    assert without["rejected_by_reason"] == {"source_not_allowed": 6}
