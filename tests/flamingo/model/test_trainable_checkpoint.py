"""Trainable-only checkpoints and base models loaded from local directories."""

from __future__ import annotations

import pytest
import torch

from flamingo.model.config import FlamingoConfig
from flamingo.model.flamingo import Flamingo
from flamingo.model.trainable_checkpoint import (
    load_trainable,
    save_model_checkpoint,
    save_trainable,
)
from tests.flamingo.model_helpers import (
    open_model,
    random_interleaved_ids,
    random_media,
    tiny_model,
    write_base_models,
)


def test_trainable_roundtrip_reproduces_logits(tmp_path):
    trained = open_model(tiny_model())
    directory = save_model_checkpoint(trained, tmp_path / "ckpt")
    from safetensors import safe_open

    with safe_open(str(directory / "trainable.safetensors"), framework="pt") as handle:
        saved = set(handle.keys())
    assert saved == {n for n, p in trained.named_parameters() if p.requires_grad}
    assert not any(".decoder_layer." in n or n.startswith("vision.") for n in saved)

    restored = Flamingo.from_pretrained(directory)
    ids = random_interleaved_ids(trained, length=10, num_images=2, seed=0)
    media = random_media(trained, 1, 2)
    with torch.no_grad():
        assert torch.equal(restored(ids, media).logits, trained(ids, media).logits)


def test_load_onto_a_different_base_is_an_error(tmp_path):
    save_trainable(open_model(tiny_model()), tmp_path / "t.safetensors")
    other = tiny_model(init_seed=1)
    with pytest.raises(ValueError, match="different base"):
        load_trainable(other, tmp_path / "t.safetensors")


def test_load_with_mismatched_shapes_is_an_error(tmp_path):
    save_trainable(tiny_model(), tmp_path / "t.safetensors")
    other = tiny_model(num_latents=4)
    with pytest.raises(ValueError, match="latents"):
        load_trainable(other, tmp_path / "t.safetensors", check_base=False)


def test_base_models_and_tokenizer_from_local_directories(tmp_path):
    from transformers import AutoModelForCausalLM

    write_base_models(tmp_path)
    lm = AutoModelForCausalLM.from_pretrained(tmp_path / "lm")
    vocab = lm.config.vocab_size

    config = FlamingoConfig.preset(
        "tiny",
        lm_config=None,
        vision_config=None,
        lm_path=str(tmp_path / "lm"),
        vision_path=str(tmp_path / "vision"),
    )
    model = Flamingo(config)
    assert model.image_size == 16
    assert model.vision.num_patches == 4  # SigLIP has no CLS token: all 4 tokens are patches
    ids = model.tokenizer(["<image>a red circle<|endofchunk|>"], return_tensors="pt").input_ids
    media = torch.randn(1, 1, 1, 3, 16, 16)
    with torch.no_grad():
        logits = model(ids, media).logits
        plain = torch.tensor([[2, 3, 4]])  # <unk> a blue: ids inside the saved LM's vocabulary
        assert torch.equal(model(plain).logits[..., :vocab], lm.eval()(input_ids=plain).logits)
    assert logits.shape == (1, ids.shape[1], vocab + 2)
    # A trainable checkpoint made on the directory-loaded model loads back onto it.
    open_model(model)
    save_model_checkpoint(model, tmp_path / "ckpt")
    restored = Flamingo.from_pretrained(tmp_path / "ckpt")
    with torch.no_grad():
        assert torch.equal(restored(ids, media).logits, model(ids, media).logits)
