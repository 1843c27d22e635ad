"""The frozen vision encoder: any Hugging Face vision tower, applied frame by frame.

Flamingo feeds the resampler the encoder's spatial feature grid, not a pooled vector, so we
keep the patch tokens of `last_hidden_state` and drop class/register tokens (CLIP and ViT
put them first). Media `[B, N, T, C, H, W]` become features `[B, N, T, S, D]`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def build_vision_tower(*, path: str | None, config: dict[str, Any] | None) -> nn.Module:
    """A vision tower from a local directory / hub name (weights) or a config dict (random).

    A full CLIP / SigLIP checkpoint (text + vision) yields its vision tower.
    """
    from transformers import AutoConfig, AutoModel

    if path is not None:
        hf_config = AutoConfig.from_pretrained(path, local_files_only=True)
        if hasattr(hf_config, "vision_config") and not _is_vision_config(hf_config):
            model = AutoModel.from_pretrained(path, local_files_only=True)
            return model.vision_model
        return AutoModel.from_pretrained(path, local_files_only=True)
    kwargs = dict(config)
    hf_config = AutoConfig.for_model(kwargs.pop("model_type"), **kwargs)
    return AutoModel.from_config(hf_config)


def _is_vision_config(hf_config: Any) -> bool:
    return "vision" in type(hf_config).__name__.lower() or type(hf_config).__name__ == "ViTConfig"


class VisionEncoder(nn.Module):
    """Wraps a vision tower; its parameters are frozen by the caller (Flamingo)."""

    def __init__(self, tower: nn.Module) -> None:
        super().__init__()
        self.tower = tower
        cfg = tower.config
        self.image_size = _as_int(cfg.image_size, "image_size")
        patch = _as_int(cfg.patch_size, "patch_size")
        self.num_patches = (self.image_size // patch) ** 2
        self.num_channels = getattr(cfg, "num_channels", 3)
        self.hidden_size = cfg.hidden_size

    def forward(self, media: torch.Tensor) -> torch.Tensor:
        if media.ndim != 6:
            raise ValueError(f"media must be [B, N_media, T, C, H, W], got shape {tuple(media.shape)}")
        batch, num_media, num_frames, channels, height, width = media.shape
        expected = (self.num_channels, self.image_size, self.image_size)
        if (channels, height, width) != expected:
            raise ValueError(
                f"media frames are {(channels, height, width)}, the vision tower expects {expected}"
            )
        frames = media.flatten(0, 2)  # [B*N*T, C, H, W]
        hidden = self.tower(pixel_values=frames).last_hidden_state  # [B*N*T, prefix + S, D]
        patches = hidden[:, -self.num_patches :]  # drop CLS/register tokens (they come first)
        return patches.unflatten(0, (batch, num_media, num_frames))  # [B, N, T, S, D]


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, (list, tuple)):
        if len(set(value)) != 1:
            raise ValueError(f"non-square vision {name} {value} is not supported")
        value = value[0]
    return int(value)
