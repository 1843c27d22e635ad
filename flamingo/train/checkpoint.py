"""Training checkpoints: the model's trainable weights plus everything an exact resume needs.

A checkpoint directory holds
    config.json            the FlamingoConfig                  } the same files a model release has,
    trainable.safetensors  resampler, gated xattn, added rows  } flamingo.model.trainable_checkpoint's
    state.pt               optimizer, scheduler, loader positions, RNG states, step, loss history
The frozen towers are rebuilt from the config (random bases from `init_seed`, or the pretrained
paths), so a tiny-preset checkpoint is kilobytes. Written to a temporary directory and renamed,
so a kill mid-save leaves the previous checkpoint intact.

state.pt holds tensors and plain data only (numpy's RNG state is stored as a list), and it is
read with `torch.load(weights_only=True)`: a checkpoint folder is a file anyone could have
written, and a full unpickler would run whatever code a crafted state.pt names.
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
from typing import Any

import numpy as np
import torch
from torch import nn

from flamingo.model.flamingo import Flamingo
from flamingo.model.trainable_checkpoint import save_model_checkpoint

STATE_NAME = "state.pt"


def rng_state() -> dict[str, Any]:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": [name, keys.tolist(), pos, has_gauss, cached],  # plain data: loadable with weights_only
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    directory: str,
    *,
    model: nn.Module,
    state: dict[str, Any],
    write_model: bool = True,
    tensors: dict | None = None,
    fingerprint: str | None = None,
) -> None:
    """The model (config + trainable weights, unless `write_model` is False: an FSDP rank other
    than 0) and the training state, written to DIRECTORY.tmp and then renamed into place."""
    tmp = f"{directory}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    if write_model:
        save_model_checkpoint(model, tmp, tensors=tensors, fingerprint=fingerprint)
    torch.save({**state, "rng": rng_state()}, os.path.join(tmp, STATE_NAME))
    old = f"{directory}.old"
    if os.path.exists(directory):
        os.replace(directory, old)
    os.replace(tmp, directory)
    shutil.rmtree(old, ignore_errors=True)


class UnsafeCheckpointError(ValueError):
    """A state.pt holds something other than tensors and plain data."""


def load_state(path: str) -> dict[str, Any]:
    """A training state written by `save_checkpoint`, read without running any pickled code."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UnsafeCheckpointError(
            f"{path} holds objects other than tensors and plain data, so it is not loaded "
            f"(a training state never does; this file was not written by flamingo train): {exc}"
        ) from None


def load_model(directory: str) -> nn.Module:
    """A Flamingo built from a checkpoint's config with its trained parameters."""
    return Flamingo.from_pretrained(directory)
