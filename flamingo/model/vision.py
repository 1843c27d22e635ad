"""The frozen vision encoder: any Hugging Face vision tower, timm or open_clip, frame by frame.

Flamingo feeds the resampler the encoder's spatial feature grid, not a pooled vector, so we
keep the patch tokens of `last_hidden_state` and drop class/register tokens (CLIP, ViT and timm
ViTs put them first); a convolutional tower's map `[N, D, h, w]` becomes `h*w` tokens. Media
`[B, N, T, C, H, W]` become features `[B, N, T, S, D]`.

Towers, by `vision_config["model_type"]` or what `vision_path` holds:
- Hugging Face vision models (CLIP, SigLIP, ViT, ...): image, patch and hidden size from their config;
- timm models through transformers' `TimmWrapperModel` (`model_type: timm_wrapper`, or a timm
  hub name): image size from `pretrained_cfg.input_size` (or `model_args.img_size`), patch size
  from `model_args.patch_size` or the architecture's name (`vit_base_patch16_224`), width from
  the built model;
- open_clip (`model_type: open_clip`): `model_name` (+ `pretrained`, a tag or a file) through
  `open_clip.create_model`, or `vision_cfg` (+ `embed_dim`, `text_cfg`) for random weights; the
  `OpenClipVisionTower` adapter returns its patch tokens.
timm and open_clip import torchvision. PyPI's torchvision is built against CUDA torch and fails
to import beside the CPU torch wheel ("operator torchvision::nms does not exist"), so both go
through `import_tower_library`, which turns that into one `VisionTowerUnavailable` error saying
what to install; nothing else in the model imports them.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

from flamingo.model.hub import hub_kwargs

_PIP_NAMES = {"timm": "timm", "open_clip": "open_clip_torch"}
# open_clip's CLIP always builds a text tower: a minimal one when only the vision tower is wanted
_TINY_TEXT_CFG = {"context_length": 8, "vocab_size": 64, "width": 16, "heads": 1, "layers": 1}


class VisionTowerUnavailable(ImportError):
    """The library a vision tower needs (timm, open_clip) cannot be imported here."""


def import_tower_library(name: str) -> Any:
    """`timm` or `open_clip`, or one error that says why not and what to do."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise VisionTowerUnavailable(
            f"this vision tower needs {name}, which is not installed (pip install {_PIP_NAMES[name]})"
        ) from exc
    except (ImportError, RuntimeError) as exc:  # torchvision's compiled ops failing to register
        raise VisionTowerUnavailable(
            f"this vision tower needs {name}, which fails to import here ({type(exc).__name__}: {exc}); "
            "it imports torchvision, and a torchvision built for another torch (PyPI's CUDA build "
            "beside the CPU torch wheel) cannot register its operators: install the torchvision "
            "build that matches your torch"
        ) from exc


def build_vision_tower(*, path: str | None, config: dict[str, Any] | None) -> nn.Module:
    """A vision tower from a local directory / hub name (weights) or a config dict.

    A full CLIP / SigLIP checkpoint (text + vision) yields its vision tower.
    """
    from transformers import AutoConfig, AutoModel

    if config is not None and config.get("model_type") == "open_clip":
        return build_open_clip_tower(config)
    if path is not None:
        hf_config = AutoConfig.from_pretrained(path, **hub_kwargs())
        if hf_config.model_type == "timm_wrapper":
            import_tower_library("timm")
        if hasattr(hf_config, "vision_config") and not _is_vision_config(hf_config):
            return AutoModel.from_pretrained(path, **hub_kwargs()).vision_model
        return AutoModel.from_pretrained(path, **hub_kwargs())
    kwargs = dict(config)
    model_type = kwargs.pop("model_type")
    if model_type == "timm_wrapper":
        import_tower_library("timm")
    return AutoModel.from_config(AutoConfig.for_model(model_type, **kwargs))


def _is_vision_config(hf_config: Any) -> bool:
    return "vision" in type(hf_config).__name__.lower() or type(hf_config).__name__ == "ViTConfig"


class OpenClipVisionTower(nn.Module):
    """open_clip's VisionTransformer as a tower: `last_hidden_state` is its patch tokens
    `[N, S, width]` (before the projection to the joint embedding, which Flamingo does not use)."""

    def __init__(self, visual: nn.Module) -> None:
        super().__init__()
        visual.output_tokens = True
        self.visual = visual
        self.config = SimpleNamespace(
            model_type="open_clip",
            image_size=_as_int(visual.image_size, "image_size"),
            patch_size=_as_int(visual.patch_size, "patch_size"),
            hidden_size=visual.transformer.width,
            num_channels=3,
        )

    def forward(self, pixel_values: torch.Tensor) -> SimpleNamespace:
        _, tokens = self.visual(pixel_values)
        return SimpleNamespace(last_hidden_state=tokens)


def build_open_clip_tower(spec: dict[str, Any]) -> OpenClipVisionTower:
    open_clip = import_tower_library("open_clip")
    if spec.get("vision_cfg") is not None:  # random weights from a config, as the tiny presets
        model = open_clip.CLIP(
            embed_dim=spec.get("embed_dim", 32),
            vision_cfg=spec["vision_cfg"],
            text_cfg=spec.get("text_cfg", _TINY_TEXT_CFG),
        )
    else:
        model = open_clip.create_model(spec["model_name"], pretrained=spec.get("pretrained"))
    return OpenClipVisionTower(model.visual)


@dataclasses.dataclass(frozen=True)
class TowerGeometry:
    image_size: int  # H = W the tower expects
    num_patches: int  # spatial tokens per frame
    hidden_size: int
    num_channels: int = 3


def timm_input_geometry(config: Any) -> tuple[int, int, int | None]:
    """(channels, image size, patch size or None for convolutional towers) of a TimmWrapperConfig.

    `model_args` (what the model is built with) win over `pretrained_cfg` (what it was trained at).
    """
    args = dict(getattr(config, "model_args", None) or {})
    input_size = (getattr(config, "pretrained_cfg", None) or {}).get("input_size")
    channels = int(args.get("in_chans", input_size[0] if input_size else 3))
    image = args.get("img_size", input_size[1:] if input_size else None)
    if image is None:
        raise ValueError(
            f"timm config {config.architecture!r}: no image size "
            "(pretrained_cfg.input_size or model_args.img_size)"
        )
    patch = args.get("patch_size")
    if patch is None:
        found = re.search(r"patch(\d+)", config.architecture or "")
        patch = int(found.group(1)) if found else None
    return channels, _as_int(image, "image_size"), None if patch is None else _as_int(patch, "patch_size")


def tower_geometry(tower: nn.Module) -> TowerGeometry:
    cfg = tower.config
    if getattr(cfg, "model_type", None) == "timm_wrapper":
        channels, image, patch = timm_input_geometry(cfg)
        timm_model = tower.timm_model
        # a convolutional tower has no patches: its last feature map is image / reduction wide
        stride = patch if patch is not None else timm_model.feature_info[-1]["reduction"]
        return TowerGeometry(image, (image // stride) ** 2, timm_model.num_features, channels)
    image = _as_int(cfg.image_size, "image_size")
    patch = _as_int(cfg.patch_size, "patch_size")
    return TowerGeometry(image, (image // patch) ** 2, cfg.hidden_size, getattr(cfg, "num_channels", 3))


class VisionEncoder(nn.Module):
    """Wraps a vision tower; its parameters are frozen by the caller (Flamingo)."""

    def __init__(self, tower: nn.Module) -> None:
        super().__init__()
        self.tower = tower
        geometry = tower_geometry(tower)
        self.image_size = geometry.image_size
        self.num_patches = geometry.num_patches
        self.num_channels = geometry.num_channels
        self.hidden_size = geometry.hidden_size

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
        if hidden.ndim == 4:  # a convolutional map [B*N*T, D, h, w] -> [B*N*T, h*w, D]
            hidden = hidden.flatten(2).transpose(1, 2)
        patches = hidden[:, -self.num_patches :]  # drop CLS/register tokens (they come first)
        return patches.unflatten(0, (batch, num_media, num_frames))  # [B, N, T, S, D]


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, (list, tuple)):
        if len(set(value)) != 1:
            raise ValueError(f"non-square vision {name} {value} is not supported")
        value = value[0]
    return int(value)
