"""save_pretrained / from_pretrained / push_to_hub: through a folder, through huggingface_hub's real
client against a loopback stand-in of the Hub (tests/flamingo/fake_hub.py), and offline from a
Hugging Face cache laid out by hand, as a user's machine has it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from flamingo.model.config import FlamingoConfig
from flamingo.model.flamingo import Flamingo
from flamingo.model.hub import BaseModelMismatch, hub_kwargs, hub_offline
from tests.flamingo.fake_hub import FakeHub
from tests.flamingo.model_helpers import (
    open_model,
    random_interleaved_ids,
    random_media,
    tiny_model,
    write_base_models,
)

ROOT = Path(__file__).resolve().parents[3]


def logits(model: Flamingo) -> torch.Tensor:
    ids = random_interleaved_ids(model, length=10, num_images=2, seed=0)
    with torch.no_grad():
        return model(ids, random_media(model, 1, 2)).logits


def on_hub_bases(**names) -> FlamingoConfig:
    return FlamingoConfig.preset("tiny", lm_config=None, vision_config=None, **names)


@pytest.fixture
def online_hub(monkeypatch, tmp_path):
    """huggingface_hub pointed at a FakeHub (as HF_ENDPOINT would) with an empty cache, online."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    with FakeHub() as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.url)
        monkeypatch.setattr(
            constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub.url + "/{repo_id}/resolve/{revision}/{filename}"
        )
        yield hub


def test_save_pretrained_round_trips_through_a_folder(tmp_path):
    model = open_model(tiny_model())
    folder = model.save_pretrained(tmp_path / "saved")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "base_models.json",
        "config.json",
        "trainable.safetensors",
    ]
    bases = json.loads((folder / "base_models.json").read_text())
    assert bases["lm"]["name_or_path"] is None and bases["lm"]["built_from_config"] is True
    assert (
        len(bases["lm"]["fingerprint"]) == 64 and bases["lm"]["fingerprint"] != bases["vision"]["fingerprint"]
    )
    assert (folder / "README.md").read_text().startswith("---\nlibrary_name: flamingo-data\n")
    restored = Flamingo.from_pretrained(folder)
    assert torch.equal(logits(restored), logits(model))


def test_loading_onto_other_base_weights_names_the_tower(tmp_path):
    folder = open_model(tiny_model()).save_pretrained(tmp_path / "saved")
    with pytest.raises(BaseModelMismatch, match="the lm loaded here .* is not the one it was saved with"):
        Flamingo.from_pretrained(folder, init_seed=1)  # a random LM of another seed


def test_offline_is_read_at_each_call(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_offline() and hub_kwargs() == {"local_files_only": True}
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert not hub_offline() and hub_kwargs() == {"local_files_only": False}
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "yes")
    assert hub_offline()


def test_push_then_load_by_name_from_the_hub_then_offline_from_the_cache(online_hub, monkeypatch, tmp_path):
    from huggingface_hub import HfApi

    lm_dir, vision_dir = write_base_models(tmp_path / "bases")
    api = HfApi(endpoint=online_hub.url, token="test")
    for repo, folder in (("org/tiny-lm", lm_dir), ("org/tiny-vision", vision_dir)):
        api.create_repo(repo)
        api.upload_folder(repo_id=repo, folder_path=folder)
    # base models by hub name, downloaded into the (empty) cache: the network is used when online
    model = open_model(Flamingo(on_hub_bases(lm_path="org/tiny-lm", vision_path="org/tiny-vision")))
    assert model.image_size == 16

    url = model.push_to_hub("me/tiny-flamingo", token="test")
    assert url.startswith(f"{online_hub.url}/me/tiny-flamingo/commit/")
    assert sorted(online_hub.repos["me/tiny-flamingo"]["files"]) == [
        "README.md",
        "base_models.json",
        "config.json",
        "trainable.safetensors",
    ]
    assert {"library_name": "flamingo-data", "tags": ["flamingo", "image-text-to-text"]} in online_hub.cards
    saved = json.loads(online_hub.repos["me/tiny-flamingo"]["files"]["base_models.json"])
    assert (
        saved["lm"]["name_or_path"] == "org/tiny-lm" and saved["vision"]["name_or_path"] == "org/tiny-vision"
    )

    before = online_hub.requests[("GET", "file")]
    from_hub = Flamingo.from_pretrained("me/tiny-flamingo")
    assert online_hub.requests[("GET", "file")] > before  # the model's files came over HTTP
    assert torch.equal(logits(from_hub), logits(model))

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    seen = sum(online_hub.requests.values())
    offline = Flamingo.from_pretrained("me/tiny-flamingo")
    assert sum(online_hub.requests.values()) == seen  # offline: not one request
    assert torch.equal(logits(offline), logits(model))
    with pytest.raises(FileNotFoundError, match="found in the local cache \\(HF_HUB_OFFLINE is set\\)"):
        Flamingo.from_pretrained("me/never-pushed")
    with pytest.raises(RuntimeError, match="HF_HUB_OFFLINE is set"):
        model.push_to_hub("me/tiny-flamingo", token="test")


def put_in_cache(cache: Path, repo_id: str, folder: Path, commit: str) -> None:
    """A hub repository as huggingface_hub's cache holds it: refs/main names a snapshot folder."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)


def test_hub_names_load_offline_from_a_cache_laid_out_by_hand(tmp_path):
    """What a user with HF_HUB_OFFLINE=1 and a filled cache runs, in a fresh process: the
    variables are read as the libraries read them, at import."""
    lm_dir, vision_dir = write_base_models(tmp_path / "bases")
    model = open_model(Flamingo(on_hub_bases(lm_path=str(lm_dir), vision_path=str(vision_dir))))
    saved = model.save_pretrained(tmp_path / "saved")
    config = json.loads((saved / "config.json").read_text())
    config.update(lm_path="org/tiny-lm", vision_path="org/tiny-vision")  # as if loaded by name
    (saved / "config.json").write_text(json.dumps(config))
    cache = tmp_path / "cache"
    for i, (repo, folder) in enumerate(
        (("org/tiny-lm", lm_dir), ("org/tiny-vision", vision_dir), ("me/tiny-flamingo", saved))
    ):
        put_in_cache(cache, repo, folder, f"{i + 1:040x}")
    expected = logits(model)
    torch.save(expected, tmp_path / "expected.pt")

    script = (
        "import sys, torch\n"
        "from flamingo import Flamingo\n"
        "from tests.flamingo.model_helpers import random_interleaved_ids, random_media\n"
        "m = Flamingo.from_pretrained('me/tiny-flamingo')\n"
        "ids = random_interleaved_ids(m, length=10, num_images=2, seed=0)\n"
        "with torch.no_grad():\n"
        "    out = m(ids, random_media(m, 1, 2)).logits\n"
        "assert torch.equal(out, torch.load(sys.argv[1])), 'logits differ'\n"
        "print('ok', m.config.lm_path, m.config.vision_path)\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_CACHE": str(cache),
        "HF_ENDPOINT": "http://127.0.0.1:9",  # nothing listens: any request would fail, not leave
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "expected.pt")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "ok org/tiny-lm org/tiny-vision"
