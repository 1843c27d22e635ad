"""timm towers (through transformers' TimmWrapperModel) and open_clip towers.

Both libraries import torchvision. On the CPU-torch machines this project is tested on, PyPI's
torchvision (a CUDA build) fails to import ("operator torchvision::nms does not exist"), and
timm / open_clip are not installed: there the guarded import path is what is tested, and the
tests that build real towers skip, saying why. Where the libraries import, they run.
"""

from __future__ import annotations

import importlib

import pytest
import torch
from transformers import AutoConfig

from flamingo.model.config import FlamingoConfig
from flamingo.model.flamingo import Flamingo
from flamingo.model.vision import (
    VisionTowerUnavailable,
    build_vision_tower,
    import_tower_library,
    timm_input_geometry,
)


def importable(name: str) -> str | None:
    """None when `name` imports, else why not."""
    try:
        importlib.import_module(name)
    except (ImportError, RuntimeError) as exc:
        return f"{name} does not import here: {type(exc).__name__}: {str(exc)[:120]}"
    return None


TIMM_MISSING = importable("timm")
OPEN_CLIP_MISSING = importable("open_clip")
TINY_TIMM = dict(
    model_type="timm_wrapper",
    architecture="vit_tiny_patch16_224",
    pretrained_cfg={"input_size": [3, 224, 224]},
    model_args={"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
)
TINY_OPEN_CLIP = dict(
    model_type="open_clip",
    embed_dim=16,
    vision_cfg={"image_size": 32, "patch_size": 8, "width": 32, "layers": 1, "head_width": 16},
)


def timm_config(**fields):
    return AutoConfig.for_model("timm_wrapper", **fields)


def test_timm_image_and_patch_size_come_from_the_config():
    pretrained = {"input_size": [3, 224, 224]}
    assert timm_input_geometry(
        timm_config(architecture="vit_base_patch16_224", pretrained_cfg=pretrained)
    ) == (
        3,
        224,
        16,
    )
    # what the model is built with wins over what it was trained at
    assert timm_input_geometry(timm_config(**{k: v for k, v in TINY_TIMM.items() if k != "model_type"})) == (
        3,
        32,
        8,
    )
    grey = {"input_size": [1, 64, 64]}
    assert timm_input_geometry(timm_config(architecture="resnet18", pretrained_cfg=grey)) == (1, 64, None)
    with pytest.raises(ValueError, match="no image size"):
        timm_input_geometry(timm_config(architecture="vit_base_patch16_224", pretrained_cfg={}))


@pytest.mark.skipif(TIMM_MISSING is None, reason="timm imports here: the guard has nothing to catch")
def test_a_timm_tower_where_timm_cannot_import_is_one_clear_error():
    with pytest.raises(VisionTowerUnavailable, match="this vision tower needs timm, which") as info:
        build_vision_tower(path=None, config=TINY_TIMM)
    message = str(info.value)
    assert "pip install timm" in message or "install the torchvision build that matches your torch" in message


@pytest.mark.skipif(
    OPEN_CLIP_MISSING is None, reason="open_clip imports here: the guard has nothing to catch"
)
def test_an_open_clip_tower_where_open_clip_cannot_import_is_one_clear_error():
    with pytest.raises(VisionTowerUnavailable, match="this vision tower needs open_clip, which"):
        Flamingo(FlamingoConfig.preset("tiny", vision_config=TINY_OPEN_CLIP))


def test_a_library_that_fails_inside_its_import_is_reported_with_the_fix(tmp_path, monkeypatch):
    """The torchvision failure mode, reproduced with a real module that raises as torchvision's
    operator registration does."""
    (tmp_path / "timm.py").write_text("raise RuntimeError('operator torchvision::nms does not exist')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "timm", raising=False)
    with pytest.raises(VisionTowerUnavailable, match="torchvision::nms does not exist.*matches your torch"):
        import_tower_library("timm")


def run_tiny(config: FlamingoConfig) -> torch.Tensor:
    model = Flamingo(config)
    ids = model.tokenizer(["<image>a red circle<|endofchunk|>"], return_tensors="pt").input_ids
    media = torch.randn(1, 1, 1, 3, model.image_size, model.image_size)
    with torch.no_grad():
        return model, model(ids, media).logits


@pytest.mark.skipif(TIMM_MISSING is not None, reason=str(TIMM_MISSING))
def test_a_tiny_timm_vit_from_its_config_feeds_the_resampler():
    model, out = run_tiny(FlamingoConfig.preset("tiny", vision_config=TINY_TIMM))
    assert (model.image_size, model.vision.num_patches, model.vision.hidden_size) == (32, 16, 32)
    features = model.vision(torch.randn(1, 1, 1, 3, 32, 32))
    assert features.shape == (1, 1, 1, 16, 32)  # the class token dropped
    assert torch.isfinite(out).all()


@pytest.mark.skipif(OPEN_CLIP_MISSING is not None, reason=str(OPEN_CLIP_MISSING))
def test_a_tiny_open_clip_vit_from_its_config_feeds_the_resampler():
    model, out = run_tiny(FlamingoConfig.preset("tiny", vision_config=TINY_OPEN_CLIP))
    assert (model.image_size, model.vision.num_patches, model.vision.hidden_size) == (32, 16, 32)
    assert model.vision(torch.randn(1, 1, 1, 3, 32, 32)).shape == (1, 1, 1, 16, 32)
    assert torch.isfinite(out).all()
