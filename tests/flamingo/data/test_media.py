"""ImageTransform's table look-up normalisation gives the bits of the per-pixel torch arithmetic it
replaced, image by image and batch by batch through make_loader, on real photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from flamingo.data import make_loader
from flamingo.data.media import CLIP_MEAN, CLIP_STD, ImageTransform
from tests.crawlers.media.real_images import real_images
from tests.flamingo.shardmaker import tiny_tokenizer, write_tar


def per_pixel_reference(data: bytes, size: int, mean=CLIP_MEAN, std=CLIP_STD) -> torch.Tensor:
    """The transform as it was: Pillow decode and resize, then (x / 255 - mean) / std in torch."""
    with Image.open(io.BytesIO(data)) as img:
        if img.format == "JPEG":
            img.draft("RGB", (size, size))
        rgb = img.convert("RGB")
        if rgb.size != (size, size):
            rgb = rgb.resize((size, size), Image.Resampling.BICUBIC)
        array = np.array(rgb)
    std_t, mean_t = torch.tensor(std).view(3, 1, 1), torch.tensor(mean).view(3, 1, 1)
    pixels = torch.from_numpy(array).permute(2, 0, 1)
    return torch.addcmul(-mean_t / std_t, pixels.to(torch.float32), 1.0 / (255.0 * std_t)).contiguous()


def photos() -> dict[str, bytes]:
    images = dict(real_images())
    # every uint8 value in every channel, at an odd size (vector body and scalar tail alike)
    ramp = (np.arange(111 * 17 * 3) % 256).astype(np.uint8).reshape(111, 17, 3)
    buf = io.BytesIO()
    Image.fromarray(ramp).save(buf, "PNG")
    images["ramp.png"] = buf.getvalue()
    return images


@pytest.mark.parametrize(
    "size, stats", [(224, (CLIP_MEAN, CLIP_STD)), (37, ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)))]
)
def test_table_normalisation_equals_the_per_pixel_arithmetic(size, stats):
    mean, std = stats
    transform = ImageTransform(image_size=size, mean=mean, std=std)
    for name, data in photos().items():
        got = transform(data, name)
        assert got.dtype == torch.float32 and got.is_contiguous() and got.shape == (3, size, size)
        assert torch.equal(got, per_pixel_reference(data, size, mean, std)), name


def test_loader_batches_equal_the_per_pixel_reference(tmp_path):
    images = photos()
    samples = [
        (f"s{i:05d}", {name.rsplit(".", 1)[1]: data, "txt": f"photo {name}".encode()})
        for i, (name, data) in enumerate(sorted(images.items()))
    ]
    shard = write_tar(tmp_path / "pairs-00000.tar", samples)
    tok = tiny_tokenizer()
    loader = make_loader(
        [str(shard)], kind="pairs", tokenizer=tok, image_size=64, batch_size=4, epochs=1, shuffle_shards=False
    )
    seen = 0
    for batch in loader:
        for row, key in enumerate(batch["keys"]):
            members = dict(samples)[key]
            ext = next(e for e in members if e != "txt")
            expected = per_pixel_reference(members[ext], 64)
            assert torch.equal(batch["media"][row, 0, 0], expected), key
            seen += 1
    assert seen == len(samples)
