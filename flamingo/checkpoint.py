"""Trainable-only checkpoints with everything an exact resume needs.

`DIR/trainable.pt`: the parameters that train (resampler, gated xattn blocks, the added token
rows); the frozen towers are rebuilt from the model config (random bases from `init_seed`, or
the pretrained paths), so a tiny-preset checkpoint is kilobytes, not the whole model.
`DIR/state.pt`: optimizer, scheduler, loader positions, RNG states, step, loss history.
`DIR/model_config.json`: the FlamingoConfig. Written to a temporary directory and renamed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from typing import Any

import numpy as np
import torch
from torch import nn


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().cpu().clone() for name, p in model.named_parameters() if p.requires_grad}


def load_trainable(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    expected = {name for name, p in model.named_parameters() if p.requires_grad}
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise ValueError(f"checkpoint does not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(directory: str, *, model: nn.Module, model_config_json: str, state: dict[str, Any]) -> None:
    tmp = f"{directory}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    torch.save(trainable_state(model), os.path.join(tmp, "trainable.pt"))
    torch.save({**state, "rng": rng_state()}, os.path.join(tmp, "state.pt"))
    with open(os.path.join(tmp, "model_config.json"), "w", encoding="utf-8") as f:
        f.write(model_config_json)
    old = f"{directory}.old"
    if os.path.exists(directory):
        os.replace(directory, old)
    os.replace(tmp, directory)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(directory: str, model: nn.Module) -> dict[str, Any]:
    """Load the trainable parameters into `model`; return the state (RNG is NOT yet restored)."""
    load_trainable(model, torch.load(os.path.join(directory, "trainable.pt"), map_location="cpu"))
    return torch.load(os.path.join(directory, "state.pt"), map_location="cpu", weights_only=False)


def load_model(directory: str):
    """A Flamingo built from a checkpoint's model config with its trained parameters."""
    from flamingo.config import FlamingoConfig
    from flamingo.model import Flamingo

    with open(os.path.join(directory, "model_config.json"), encoding="utf-8") as f:
        model = Flamingo(FlamingoConfig.from_dict(json.load(f)))
    load_trainable(model, torch.load(os.path.join(directory, "trainable.pt"), map_location="cpu"))
    return model
