"""One video sample from the shards -> a `[T, C, H, W]` frames tensor (the loader's video input).

A sample is what the webdataset library yields for one key (`{"__key__": ..., "000.jpg": ...,
"json": ...}`, values as bytes or already decoded) or a `schemas.ShardSample` (its members).
Frames are the members named `NNN.jpg` (any image extension), in index order; when the sample's
JSON says `num_frames`, the count must match it, so a shard missing a frame fails here with
the key instead of producing a short clip. torch is imported inside the function: data
commands import this package without torch.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import numpy as np
from PIL import Image

_FRAME_MEMBER = re.compile(r"^(\d+)\.(jpg|jpeg|png|webp)$")


class VideoSampleError(ValueError):
    """A video sample's frames are missing, undecodable or of mixed sizes."""


def _members(sample: Any) -> dict[str, Any]:
    members = getattr(sample, "members", None)
    if isinstance(members, dict):
        return {**members, "__key__": getattr(sample, "key", "?")}
    if isinstance(sample, dict):
        return sample
    raise VideoSampleError(f"expected a webdataset sample dict or a ShardSample, got {type(sample).__name__}")


def _as_array(value: Any, key: str, name: str) -> np.ndarray:
    if isinstance(value, (bytes, bytearray)):
        try:
            value = Image.open(io.BytesIO(value))
            value.load()
        except (OSError, Image.DecompressionBombError) as exc:
            raise VideoSampleError(
                f"video sample {key}: frame {name} is not a decodable image ({exc})"
            ) from None
    if isinstance(value, Image.Image):
        value = np.asarray(value.convert("RGB"))
    array = np.asarray(value)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3:
        raise VideoSampleError(
            f"video sample {key}: frame {name} has shape {array.shape}, expected [H, W, C]"
        )
    return array


def _declared_frames(members: dict[str, Any]) -> int | None:
    meta = members.get("json")
    if isinstance(meta, (bytes, bytearray, str)):
        meta = json.loads(meta)
    return meta.get("num_frames") if isinstance(meta, dict) else None


def sample_to_frames_tensor(sample: Any, as_float: bool = True):
    """Frames as a `[T, C, H, W]` tensor: float32 in [0, 1] (as_float) or uint8."""
    import torch

    members = _members(sample)
    key = str(members.get("__key__", "?"))
    frames = sorted(
        (int(m.group(1)), name)
        for name in members
        if isinstance(name, str) and (m := _FRAME_MEMBER.match(name))
    )
    if not frames:
        raise VideoSampleError(f"video sample {key}: no NNN.jpg frame members (has {sorted(members)})")
    indices = [i for i, _ in frames]
    if indices != list(range(len(frames))):
        raise VideoSampleError(f"video sample {key}: frame indices {indices} are not 0..{len(frames) - 1}")
    declared = _declared_frames(members)
    if declared is not None and declared != len(frames):
        raise VideoSampleError(f"video sample {key}: json says {declared} frames, found {len(frames)}")
    arrays = [_as_array(members[name], key, name) for _, name in frames]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise VideoSampleError(f"video sample {key}: frames of mixed shapes {sorted(shapes)}")
    video = (
        torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    )  # [T, H, W, C] -> [T, C, H, W]
    return video.float().div_(255.0) if as_float else video
