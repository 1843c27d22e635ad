"""Flamingo models as Hugging Face Hub repositories: save_pretrained, from_pretrained, push_to_hub.

    model.save_pretrained("out/my-flamingo")
    model = Flamingo.from_pretrained("out/my-flamingo")        # a folder, or a hub name:
    model = Flamingo.from_pretrained("me/my-flamingo")         # the local cache, else the Hub
    model.push_to_hub("me/my-flamingo")                        # huggingface_hub (needs a token)

A saved model is a folder (a hub repository holds the same files):
    config.json            the FlamingoConfig: rebuilds the base models by name/path or from configs
    trainable.safetensors  the trainable weights only (flamingo/model/trainable_checkpoint.py)
    base_models.json       each base model's name or path and the fingerprint of its frozen weights
    README.md              a model card
The frozen LM and vision tower are not copied: they load from their own names. Their
fingerprints make loading onto other weights than the ones trained with an error that names
the tower, instead of a model that quietly computes garbage.

Hub names (of a saved model or of its base models) resolve through the local Hugging Face
cache; the network is used only when the Hub is not marked offline (`HF_HUB_OFFLINE=1` or
`TRANSFORMERS_OFFLINE=1`, read at each call, so a process can change it): `hub_kwargs()` is the
one place that decides, and every loader (LM, vision tower, tokenizer, this module) uses it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from flamingo.model.trainable_checkpoint import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    base_fingerprint,
    load_trainable,
    save_model_checkpoint,
)

logger = logging.getLogger(__name__)

BASE_MODELS_NAME = "base_models.json"
CARD_NAME = "README.md"
FILES = (CONFIG_NAME, WEIGHTS_NAME, BASE_MODELS_NAME, CARD_NAME)
_TRUE = {"1", "ON", "YES", "TRUE"}


class BaseModelMismatch(ValueError):
    """A saved model's base LM / vision tower is not the one this process loaded."""


def hub_offline() -> bool:
    """Whether the Hub is marked offline now (huggingface_hub reads the variable once, at import)."""
    from huggingface_hub import constants

    now = (os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or "").upper()
    return now in _TRUE or bool(constants.HF_HUB_OFFLINE)


def hub_kwargs() -> dict[str, Any]:
    """`from_pretrained` keyword arguments for a local directory or a hub name: the cache only
    when offline, else the cache and the network."""
    return {"local_files_only": hub_offline()}


def resolve_pretrained(name_or_path: str | Path, *, revision: str | None = None) -> Path:
    """The local folder of a saved model: `name_or_path` itself, or the hub repository's snapshot."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(
            str(name_or_path), revision=revision, allow_patterns=list(FILES), **hub_kwargs()
        )
    except LocalEntryNotFoundError as exc:
        where = "the local cache (HF_HUB_OFFLINE is set)" if hub_offline() else "the cache or the Hub"
        raise FileNotFoundError(
            f"{name_or_path!r} is neither a folder nor a model found in {where}: {exc}"
        ) from None
    return Path(folder)


def base_models(model: torch.nn.Module) -> dict[str, Any]:
    """Each base model's source (hub name or path, or the config it was built from) and the
    fingerprint of its frozen weights."""
    config = model.config
    return {
        "lm": {
            "name_or_path": config.lm_path,
            "built_from_config": config.lm_config is not None,
            "fingerprint": base_fingerprint(model.lm),
        },
        "vision": {
            "name_or_path": config.vision_path,
            "built_from_config": config.vision_config is not None,
            "fingerprint": base_fingerprint(model.vision),
        },
        "tokenizer": {"name_or_path": config.tokenizer_path or config.lm_path},
        "base_fingerprint": base_fingerprint(model),
    }


def save_pretrained(model: torch.nn.Module, directory: str | Path) -> Path:
    """Write config.json, trainable.safetensors, base_models.json and README.md into `directory`."""
    directory = save_model_checkpoint(model, directory)
    bases = base_models(model)
    (directory / BASE_MODELS_NAME).write_text(json.dumps(bases, indent=2, sort_keys=True) + "\n")
    (directory / CARD_NAME).write_text(_model_card(model, bases))
    return directory


def from_pretrained(
    cls: type, name_or_path: str | Path, *, revision: str | None = None, **config_overrides: Any
) -> torch.nn.Module:
    """Rebuild a saved model (its base models by name, path or config) and load its trainable weights.

    `config_overrides` replace config fields, e.g. `lm_path=` when the base LM lives elsewhere here;
    the base models' fingerprints must still match the ones saved.
    """
    from flamingo.model.config import FlamingoConfig

    folder = resolve_pretrained(name_or_path, revision=revision)
    data = json.loads((folder / CONFIG_NAME).read_text())
    data.update(config_overrides)
    model = cls(FlamingoConfig.from_dict(data))
    bases_file = folder / BASE_MODELS_NAME
    if bases_file.exists():  # a plain trainer checkpoint has no per-tower record; the whole one is checked
        saved = json.loads(bases_file.read_text())
        for tower, module in (("lm", model.lm), ("vision", model.vision)):
            if saved[tower]["fingerprint"] != base_fingerprint(module):
                here = getattr(model.config, f"{tower}_path")
                raise BaseModelMismatch(
                    f"{name_or_path}: the {tower} loaded here ({here!r}) is "
                    f"not the one it was saved with ({saved[tower]['name_or_path']!r}): its frozen weights "
                    f"differ; point {tower}_path= at the original weights"
                )
    load_trainable(model, folder / WEIGHTS_NAME)
    return model


def push_to_hub(
    model: torch.nn.Module,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str = "Upload Flamingo model (trainable weights)",
    endpoint: str | None = None,
) -> str:
    """Save the model to a temporary folder and upload it to `repo_id` (created if missing);
    returns the commit URL. Fails at once when the Hub is marked offline."""
    from huggingface_hub import HfApi

    if hub_offline():
        raise RuntimeError(f"cannot push {repo_id}: HF_HUB_OFFLINE is set")
    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        save_pretrained(model, tmp)
        commit = api.upload_folder(
            repo_id=repo_id, folder_path=tmp, revision=revision, commit_message=commit_message
        )
    logger.info("pushed %s: %s", repo_id, commit.commit_url)
    return commit.commit_url


def _model_card(model: torch.nn.Module, bases: dict[str, Any]) -> str:
    config = model.config
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())

    def source(tower: str) -> str:
        name = bases[tower]["name_or_path"]
        return f"`{name}`" if name else "built from the config in config.json (random weights)"

    return (
        "---\nlibrary_name: flamingo-data\ntags:\n- flamingo\n- image-text-to-text\n---\n\n"
        "# A Flamingo model (flamingo-data)\n\n"
        f"Frozen LM: {source('lm')}; frozen vision tower: {source('vision')}. This repository holds "
        f"the trainable parts only ({trainable:,} of {total:,} parameters: Perceiver Resampler, "
        f"{model.num_xattn_blocks} GATED XATTN-DENSE blocks, the rows of `{config.media_token}` and "
        f"`{config.eoc_token}`); the base models load from their own names.\n\n"
        "```python\nfrom flamingo import Flamingo\n\n"
        "model = Flamingo.from_pretrained(REPO_OR_FOLDER)\n```\n\n"
        "`base_models.json` records each base model's fingerprint; loading onto other weights is an error.\n"
    )
