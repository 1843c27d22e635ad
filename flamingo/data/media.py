"""Image bytes -> normalised pixel tensors `[C, H, W]`, the vision tower's input.

Shards hold images the build jobs already resized (DESIGN §4), so decoding is the cost that
matters: JPEGs are decoded with PIL's draft mode (DCT scaling straight to about the target
size), which is several times faster for images much larger than the model's input.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from flamingo.data.errors import SampleError

# CLIP's preprocessing constants (OpenAI CLIP, also used by open_clip's ViT-L/14): the
# default since the paper-shaped presets use a CLIP vision tower.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGE_EXTS = ("jpg", "jpeg", "png", "webp")


@dataclass(frozen=True, kw_only=True)
class ImageTransform:
    image_size: int
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD

    def __call__(self, data: bytes, where: str) -> torch.Tensor:
        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.format == "JPEG":
                    img.draft("RGB", (self.image_size, self.image_size))
                rgb = img.convert("RGB")
                if rgb.size != (self.image_size, self.image_size):
                    # Squash to the square input: the jobs already letterboxed ("border" mode).
                    rgb = rgb.resize((self.image_size, self.image_size), Image.Resampling.BICUBIC)
                array = np.array(rgb)  # [H, W, 3] uint8, writable (torch warns on read-only arrays)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            raise SampleError("bad_image", f"{where}: {type(exc).__name__}: {exc}") from exc
        scale, shift = self._affine()
        pixels = torch.from_numpy(array).permute(2, 0, 1)  # [C, H, W] uint8 (a view)
        # (x / 255 - mean) / std as one fused multiply-add, written contiguous.
        return torch.addcmul(shift, pixels.to(torch.float32), scale).contiguous()

    def _affine(self) -> tuple[torch.Tensor, torch.Tensor]:
        cached = self.__dict__.get("_affine_cache")
        if cached is None:
            std, mean = torch.tensor(self.std).view(3, 1, 1), torch.tensor(self.mean).view(3, 1, 1)
            cached = (1.0 / (255.0 * std), -mean / std)
            object.__setattr__(self, "_affine_cache", cached)  # frozen dataclass: a private cache
        return cached


def find_image_member(members: dict[str, bytes], stem: str | None = None) -> str | None:
    """The member name of the image `KEY.jpg` (stem None) or `KEY.{stem}.jpg` (any image ext)."""
    for ext in IMAGE_EXTS:
        name = ext if stem is None else f"{stem}.{ext}"
        if name in members:
            return name
    return None
