"""Helpers shared by the model tests (tiny models, media, gate opening)."""

from __future__ import annotations

from pathlib import Path

import torch

from flamingo.model.config import FlamingoConfig
from flamingo.model.flamingo import Flamingo

torch.set_num_threads(1)


def tiny_model(**overrides) -> Flamingo:
    torch.manual_seed(0)
    return Flamingo(FlamingoConfig.preset("tiny", **overrides))


def set_gates(model: Flamingo, value: float) -> None:
    """Open every tanh gate (they start at 0, where images cannot change anything).

    Only trainable parameters: Llama-family LMs have frozen `mlp.gate_proj` weights.
    """
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.requires_grad and name.endswith("_gate"):
                param.fill_(value)


def randomise_trainable(model: Flamingo, seed: int = 0) -> None:
    """Give the trainable parts non-trivial values, as after some training."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.requires_grad and "gate" not in name:
                param.add_(torch.randn(param.shape, generator=gen) * 0.1)


def open_model(model: Flamingo) -> Flamingo:
    set_gates(model, 1.0)
    randomise_trainable(model)
    return model


def random_media(
    model: Flamingo, batch: int, num_media: int, num_frames: int = 1, seed: int = 0
) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    size = model.image_size
    return torch.randn(batch, num_media, num_frames, 3, size, size, generator=gen)


def random_interleaved_ids(model: Flamingo, *, length: int, num_images: int, seed: int) -> torch.Tensor:
    """[1, length] random word ids with `num_images` <image> tokens at random positions."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, model.media_token_id, (1, length), generator=gen)
    positions = torch.randperm(length, generator=gen)[:num_images]
    ids[0, positions] = model.media_token_id
    return ids


def write_base_models(root: Path) -> tuple[Path, Path]:
    """A tiny Llama (with its tokenizer) and a tiny SigLIP vision tower, saved as hub repos hold them."""
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    from flamingo.model.tokenizer import build_tiny_tokenizer

    tok = build_tiny_tokenizer(["a red circle on a blue background"])
    tok.save_pretrained(root / "lm")
    lm_config = AutoConfig.for_model(
        "llama",
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        vocab_size=len(tok),
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(lm_config).save_pretrained(root / "lm")
    vision_config = AutoConfig.for_model(
        "siglip_vision_model",
        image_size=16,
        patch_size=8,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
    )
    AutoModel.from_config(vision_config).save_pretrained(root / "vision")
    return root / "lm", root / "vision"
