"""Small finished builds of every job, written by the real shard writer (a Beam pipeline).

The M3W build is made to trip `datasets`' feature inference: its first five pages (in tar
order) hold one JPEG each, the sixth holds a JPEG, a PNG and an unfetched slot, so a loader that
guesses members from the first samples loses the sixth page's second image. The seventh has no
text and the eighth carries a computed image-text similarity (the MMC4 export's two cases).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.io.shard_writer import ShardConfig, WriteShards
from schemas import (
    DOCUMENT_SCHEMA,
    VIDEO_TEXT_PAIR_SCHEMA,
    Document,
    ImageRef,
    ImageTextPair,
    M3WSample,
    MediaFile,
    PairSample,
    VideoSample,
    VideoTextPair,
)
from tests.pipeline.dedup.test_images import jpeg, picture

RUNNER = "--runner=FnApiRunner"
CLIP_BYTES = b"\x00\x00\x00\x18ftypmp42 not a real clip"


def png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def image_ref(key: str, i: int, data: bytes | None, size: int = 128) -> ImageRef:
    return ImageRef(
        url=f"http://x.test/{key}/{i}.img",
        alt=f"alt {key} {i}",
        sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
        width=size if data is not None else None,
        height=size if data is not None else None,
        original_width=2 * size if data is not None else None,
        original_height=2 * size if data is not None else None,
    )


def m3w_page(key: str, blocks: list, **metadata) -> M3WSample:
    """Blocks in DOM order: str (text), MediaFile (a fetched image), None (an unfetched image)."""
    refs, images = [], {}
    for i, block in enumerate(blocks):
        if isinstance(block, str):
            refs.append(block)
            continue
        refs.append(image_ref(key, i, None if block is None else block.data))
        if block is not None:
            images[i] = block
    meta = {"source": f"crawl.warc.gz@{key[1]}", "warc_file": "crawl.warc.gz", "warc_offset": int(key[1])}
    meta.update(metadata)
    return M3WSample(Document.from_blocks(key, f"http://x.test/{key}.html", refs, meta), images)


M3W_PAGES = [
    *(
        m3w_page(f"a{i}00000000000000000000000", [f"intro {i}", MediaFile(jpeg(picture(i))), f"outro {i}"])
        for i in range(1, 6)
    ),
    m3w_page(
        "a600000000000000000000000",
        [
            MediaFile(jpeg(picture(6))),
            "caption of six",
            MediaFile(png(picture(7)), "png"),
            "middle",
            None,
            "end of six",
        ],
    ),
    # no text at all (MMC4 cannot hold it), and a page carrying a computed image-text similarity
    m3w_page("a700000000000000000000000", [MediaFile(jpeg(picture(8)))]),
    m3w_page(
        "a800000000000000000000000",
        ["first", MediaFile(jpeg(picture(9))), "second"],
        image_text_similarity={"model": "clip-test", "matrix": [[0.3, 0.2]]},
    ),
]
PAIRS = [
    PairSample(
        ImageTextPair(
            key=f"b{i}00000000000000000000000",
            url=f"http://x.test/p{i}.jpg",
            caption=f"pair {i}",
            width=128,
            height=128,
            extra={"license": "cc-by", "row": i},
        ),
        MediaFile(jpeg(picture(10 + i))),
    )
    for i in range(1, 4)
]
VIDEOS = [
    VideoSample(
        VideoTextPair(
            key=f"c{i}00000000000000000000000",
            url=f"http://x.test/v{i}.mp4",
            caption=f"clip {i}",
            fps=1.0,
            num_frames=2,
            timestamps=[0.0, 1.0],
            extra={"segment": [0, 2]},
        ),
        [jpeg(picture(20 + i, 32)), jpeg(picture(30 + i, 32))],
        CLIP_BYTES if i == 1 else None,
    )
    for i in range(1, 3)
]
BUILDS = {
    "m3w": ("m3w", DOCUMENT_SCHEMA, M3W_PAGES),
    "pairs": ("pairs", None, PAIRS),
    "videos": ("videos", VIDEO_TEXT_PAIR_SCHEMA, VIDEOS),
}


def write_builds(root: Path, samples_per_shard: int = 10) -> dict[str, Path]:
    """One build folder per job under `root`; returns name -> folder."""
    with beam.Pipeline(options=PipelineOptions([RUNNER])) as p:
        for name, (job, schema, samples) in BUILDS.items():
            s = p | f"S{name}" >> beam.Create(samples)
            _ = {"samples": s, "rejects": p | f"R{name}" >> beam.Create([]), "inputs": s} | f"W{name}" >> (
                WriteShards(
                    str(root / name),
                    job=job,
                    shards=ShardConfig(samples_per_shard=samples_per_shard),
                    config={"shards": {"samples_per_shard": samples_per_shard}, "dedup": {"enabled": True}},
                    row_schema=schema,
                )
            )
    return {name: root / name for name in BUILDS}
