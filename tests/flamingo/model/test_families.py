"""Every supported LM family builds from a tiny config and runs forward, backward and generate."""

from __future__ import annotations

import pytest
import torch

from flamingo.model.lm import XattnDecoderLayer, find_decoder_layers
from tests.flamingo.model_helpers import open_model, random_interleaved_ids, random_media, tiny_model

_COMMON = dict(hidden_size=64, num_hidden_layers=4, num_attention_heads=4, max_position_embeddings=128)
FAMILIES = {
    "gpt2": dict(
        model_type="gpt2",
        n_layer=4,
        n_embd=64,
        n_head=4,
        n_positions=128,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    ),
    "opt": dict(model_type="opt", ffn_dim=128, word_embed_proj_dim=64, dropout=0.0, **_COMMON),
    "llama": dict(model_type="llama", intermediate_size=128, num_key_value_heads=2, **_COMMON),
    "mistral": dict(model_type="mistral", intermediate_size=128, num_key_value_heads=2, **_COMMON),
    "qwen2": dict(model_type="qwen2", intermediate_size=128, num_key_value_heads=2, **_COMMON),
    "gpt_neox": dict(
        model_type="gpt_neox", intermediate_size=128, hidden_dropout=0.0, attention_dropout=0.0, **_COMMON
    ),
}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def family_model(request):
    # xattn every 2nd layer: blocks before layers 0 and 2 of 4.
    model = tiny_model(lm_config=FAMILIES[request.param], xattn_every=2)
    return request.param, model


def test_blocks_inserted_before_every_kth_layer(family_model):
    _, model = family_model
    layers = find_decoder_layers(model.lm)
    assert [isinstance(layer, XattnDecoderLayer) for layer in layers] == [True, False, True, False]
    assert model.num_xattn_blocks == 2


def test_init_is_the_frozen_lm_then_forward_backward(family_model):
    name, model = family_model
    ids = random_interleaved_ids(model, length=10, num_images=2, seed=0)
    media = random_media(model, 1, 2)
    with torch.no_grad():
        assert torch.equal(model(ids, media).logits, model.lm(input_ids=ids).logits), name

    open_model(model)
    model.zero_grad(set_to_none=True)
    out = model(ids, media, labels=ids)
    assert out.logits.shape == (1, 10, len(model.tokenizer))
    assert torch.isfinite(out.loss)
    out.loss.backward()
    frozen_with_grad = [n for n, p in model.named_parameters() if not p.requires_grad and p.grad is not None]
    assert frozen_with_grad == []
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.zero_grad(set_to_none=True)


def test_generate_with_cache_equals_without(family_model):
    name, model = family_model
    model.tokenizer.padding_side = "left"
    prompts = ["<image>a red circle<|endofchunk|><image>a", "<image>the"]
    batch = model.tokenizer(prompts, return_tensors="pt", padding=True)
    media = random_media(model, 2, 2, seed=5)
    kwargs = dict(max_new_tokens=6, stop_token_ids=[])
    cached = model.generate(batch.input_ids, media, batch.attention_mask, **kwargs)
    uncached = model.generate(batch.input_ids, media, batch.attention_mask, use_cache=False, **kwargs)
    no_media_cache = model.generate(
        batch.input_ids, media, batch.attention_mask, use_media_cache=False, **kwargs
    )
    assert cached.shape == (2, batch.input_ids.shape[1] + 6)
    assert torch.equal(cached, uncached), name
    assert torch.equal(cached, no_media_cache), name
    assert not (cached[:, batch.input_ids.shape[1] :] == model.media_token_id).any()
