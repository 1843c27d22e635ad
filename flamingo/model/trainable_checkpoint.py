"""Trainable-only model checkpoints (safetensors): resampler, gated blocks, added token rows.

The frozen base models are not saved (they are the LM / vision tower named in the config);
a checkpoint is a directory with
    config.json            the FlamingoConfig (rebuilds the same base models)
    trainable.safetensors  the trainable parameters by name; metadata: format, base fingerprint
The base fingerprint (a hash of names, shapes and leading values of every frozen tensor)
makes loading onto a different base LM / vision tower an error instead of silent garbage.
`Flamingo.from_pretrained(directory)` (flamingo/model/hub.py) loads one back. (Trainer state -
optimizer, RNG, loader positions - is flamingo.train.checkpoint's business.)
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

FORMAT = "flamingo-trainable-v1"
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "trainable.safetensors"
_FINGERPRINT_VALUES = 64  # leading values per frozen tensor: cheap, yet any re-init changes them


def trainable_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Trainable parameters by name (a tied parameter appears once)."""
    return {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}


def base_fingerprint(model: torch.nn.Module) -> str:
    """Hash of the frozen parameters' names, shapes and first values."""
    digest = hashlib.sha256()
    for name, param in model.named_parameters():
        if param.requires_grad:
            continue
        digest.update(f"{name}:{tuple(param.shape)}".encode())
        if param.device.type != "meta":
            head = param.detach().flatten()[:_FINGERPRINT_VALUES].float().cpu()
            digest.update(head.numpy().tobytes())
    return digest.hexdigest()


def save_trainable(
    model: torch.nn.Module, path: str | Path, *, tensors: dict | None = None, fingerprint: str | None = None
) -> None:
    """Write the trainable parameters of `model` to one safetensors file.

    `tensors` and `fingerprint` are given by a caller that holds them already (FSDP gathers the
    full tensors on rank 0 and hashes the frozen weights before sharding); default: from `model`.
    """
    from safetensors.torch import save_file

    if tensors is None:
        tensors = {name: t.contiguous().cpu() for name, t in trainable_tensors(model).items()}
    fingerprint = fingerprint if fingerprint is not None else base_fingerprint(model)
    save_file(tensors, str(path), metadata={"format": FORMAT, "base_fingerprint": fingerprint})


def load_trainable(model: torch.nn.Module, path: str | Path, *, check_base: bool = True) -> None:
    """Load a `save_trainable` file into `model` in place; the key sets must match exactly."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
        state = {key: handle.get_tensor(key) for key in handle.keys()}
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not a Flamingo trainable checkpoint (format={metadata.get('format')!r})")
    if check_base and metadata.get("base_fingerprint") != base_fingerprint(model):
        raise ValueError(
            f"{path}: saved on a different base LM / vision tower than this model's "
            "(fingerprint mismatch); build the model from the checkpoint's config.json"
        )
    params = dict(model.named_parameters())
    expected = set(trainable_tensors(model))
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise ValueError(f"{path}: missing trainable tensors {missing[:5]}, unexpected {unexpected[:5]}")
    with torch.no_grad():
        for name, tensor in state.items():
            target = params[name]
            if target.shape != tensor.shape:
                raise ValueError(
                    f"{path}: {name} has shape {tuple(tensor.shape)}, model has {tuple(target.shape)}"
                )
            target.copy_(tensor.to(dtype=target.dtype, device=target.device))
    logger.info("loaded %d trainable tensors from %s", len(state), path)


def save_model_checkpoint(
    model: torch.nn.Module,
    directory: str | Path,
    *,
    tensors: dict | None = None,
    fingerprint: str | None = None,
) -> Path:
    """Write `config.json` and `trainable.safetensors` into `directory` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG_NAME).write_text(model.config.to_json())
    save_trainable(model, directory / WEIGHTS_NAME, tensors=tensors, fingerprint=fingerprint)
    return directory
