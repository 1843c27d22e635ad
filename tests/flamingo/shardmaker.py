"""Tiny WebDataset shards made in code for the data, train and eval tests (DESIGN §4 layouts)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from random import Random

from PIL import Image

from schemas import Document, ImageRef, M3WSample, MediaFile

COLOURS = {"red": (220, 30, 30), "green": (30, 160, 60), "blue": (30, 70, 210), "yellow": (240, 220, 40)}


def jpeg(colour: str, size: int = 32) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), COLOURS[colour]).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def write_tar(path: Path, samples: list[tuple[str, dict[str, bytes]]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for key, members in samples:
            for ext in sorted(members):
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(members[ext])
                tar.addfile(info, io.BytesIO(members[ext]))
    return path


def pair_sample(i: int, colour: str | None = None) -> tuple[str, dict[str, bytes]]:
    colour = colour or sorted(COLOURS)[i % len(COLOURS)]
    return f"k{i:05d}", {"jpg": jpeg(colour), "txt": f"a {colour} square".encode(), "json": b"{}"}


def write_pair_shards(directory: Path, num_shards: int, per_shard: int, name: str = "pairs") -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    urls = []
    for s in range(num_shards):
        samples = [pair_sample(s * per_shard + j) for j in range(per_shard)]
        urls.append(str(write_tar(directory / f"{name}-{s:05d}.tar", samples)))
    return urls


def m3w_sample(i: int, num_images: int = 3, words: int = 6) -> tuple[str, dict[str, bytes]]:
    """An M3W page (through the shard codec): text, image, text, image, ..., "that is all"."""
    rng = Random(i)
    blocks, images = [], {}
    for k in range(num_images):
        colour = rng.choice(sorted(COLOURS))
        blocks += [
            " ".join(["the", colour, "square"] * (words // 3)),
            ImageRef(url=f"http://x.test/{i}/{k}.jpg"),
        ]
        images[2 * k + 1] = MediaFile(jpeg(colour))
    blocks.append("that is all")
    doc = Document.from_blocks(f"d{i:05d}", f"http://x.test/{i}", blocks)
    shard = M3WSample(doc, images).to_shard()
    return shard.key, shard.members


def video_sample(i: int, num_frames: int = 3) -> tuple[str, dict[str, bytes]]:
    colour = sorted(COLOURS)[i % len(COLOURS)]
    members = {f"{t:03d}.jpg": jpeg(colour) for t in range(num_frames)}
    members["txt"] = f"a {colour} circle".encode()
    members["json"] = json.dumps({"num_frames": num_frames}).encode()
    return f"v{i:05d}", members


def tiny_tokenizer():
    """The tiny preset's word-level tokenizer with the Flamingo tokens (no model needed)."""
    from flamingo.model.config import DEFAULT_TINY_CORPUS
    from flamingo.model.tokenizer import add_flamingo_tokens, build_tiny_tokenizer

    tok = build_tiny_tokenizer(DEFAULT_TINY_CORPUS)
    add_flamingo_tokens(tok, media_token="<image>", eoc_token="<|endofchunk|>")
    return tok


_MODEL = None


def tiny_model():
    """One tiny Flamingo per test process (the first build pays transformers' import cost)."""
    global _MODEL
    if _MODEL is None:
        from flamingo import Flamingo, FlamingoConfig

        _MODEL = Flamingo(FlamingoConfig.preset("tiny"))
    return _MODEL


def one_thread():
    """Tiny models run fastest on one thread; several spin and crawl on a busy 2-core machine
    (measured: 4 train steps 15 s with 2 threads under load, 1.2 s with 1)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    return before
