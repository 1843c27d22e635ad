"""Properties of the Flamingo wrapper on the tiny preset (GPT-2 LM, CLIP vision tower)."""

from __future__ import annotations

import pytest
import torch

from flamingo.model.flamingo import Flamingo
from tests.flamingo.model_helpers import (
    open_model,
    random_interleaved_ids,
    random_media,
    tiny_model,
)


@pytest.fixture(scope="module")
def model() -> Flamingo:
    return tiny_model()


@pytest.fixture(scope="module")
def trained() -> Flamingo:
    return open_model(tiny_model())


def test_public_attributes(model):
    assert model.media_token_id == model.tokenizer.convert_tokens_to_ids("<image>")
    assert model.eoc_token_id == model.tokenizer.convert_tokens_to_ids("<|endofchunk|>")
    assert model.image_size == 32
    ids = model.tokenizer("<image>a red circle<|endofchunk|>").input_ids
    assert ids[0] == model.media_token_id and ids[-1] == model.eoc_token_id
    assert model.num_xattn_blocks == 2


@pytest.mark.parametrize("seed", range(4))
def test_init_logits_equal_frozen_lm_whatever_the_media(model, seed):
    from transformers import AutoConfig, AutoModelForCausalLM

    # The untouched base LM, built from the same config and seed as the model's.
    cfg = dict(model.config.lm_config)
    hf_cfg = AutoConfig.for_model(cfg.pop("model_type"), vocab_size=model.media_token_id, **cfg)
    torch.manual_seed(model.config.init_seed)
    base = AutoModelForCausalLM.from_config(hf_cfg).eval()

    ids = random_interleaved_ids(model, length=12, num_images=3, seed=seed)
    media = random_media(model, 1, 3, seed=seed) * (seed + 1)
    with torch.no_grad():
        logits = model(ids, media).logits
        text_only = model.lm(input_ids=ids).logits  # the LM with the added rows, no xattn
        plain = ids.clone()
        plain[plain == model.media_token_id] = 5  # the base LM cannot embed <image>
        base_logits = base(input_ids=plain).logits
        ours_plain = model(plain, media).logits
    assert torch.equal(logits, text_only)
    vocab = base_logits.shape[-1]
    assert torch.equal(ours_plain[..., :vocab], base_logits)


@pytest.mark.parametrize("seed", range(6))
def test_changing_image_k_changes_nothing_before_its_image_token(trained, seed):
    ids = random_interleaved_ids(trained, length=16, num_images=3, seed=seed)
    image_positions = (ids[0] == trained.media_token_id).nonzero().flatten().tolist()
    media = random_media(trained, 1, 3, seed=seed)
    with torch.no_grad():
        reference = trained(ids, media).logits
        for k, position in enumerate(image_positions):
            changed = media.clone()
            changed[:, k] = torch.randn_like(changed[:, k]) * 3
            logits = trained(ids, changed).logits
            assert torch.equal(logits[:, :position], reference[:, :position])
            # ...and it does change the text it is attached to (the test is not vacuous).
            assert not torch.allclose(logits[:, position:], reference[:, position:])


def test_only_the_last_image_is_seen(trained):
    # Image 1 is visible from its <image> up to (not including) the next <image>, never after.
    ids = random_interleaved_ids(trained, length=14, num_images=0, seed=1)
    ids[0, 2] = ids[0, 8] = trained.media_token_id
    media = random_media(trained, 1, 2)
    changed = media.clone()
    changed[:, 0] = -media[:, 0]
    with torch.no_grad():
        a = trained.lm.transformer.h[0].xattn.attn
        inputs = _xattn_inputs(trained, ids, media)
        changed_inputs = _xattn_inputs(trained, ids, changed)
        x = torch.randn(1, 14, trained.hidden_size)
        out, out_changed = a(x, inputs), a(x, changed_inputs)
    differs = ~(out == out_changed).all(-1)[0]
    assert differs.tolist() == [i in range(2, 8) for i in range(14)]


def _xattn_inputs(model, ids, media):
    from flamingo.model.xattn import XattnInputs

    index = (ids == model.media_token_id).cumsum(1)
    return XattnInputs.build(model.encode_media(media), index)


def test_text_before_first_image_is_unaffected_and_xattn_output_is_zero(trained):
    ids = random_interleaved_ids(trained, length=12, num_images=0, seed=3)
    ids[0, 5] = trained.media_token_id
    with torch.no_grad():
        a = trained(ids, random_media(trained, 1, 1, seed=1)).logits
        b = trained(ids, random_media(trained, 1, 1, seed=2) * 5).logits
        inputs = _xattn_inputs(trained, ids, random_media(trained, 1, 1))
        xattn_out = trained.lm.transformer.h[0].xattn.attn(torch.randn(1, 12, trained.hidden_size), inputs)
    assert torch.equal(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])
    assert torch.count_nonzero(xattn_out[:, :5]) == 0
    assert torch.count_nonzero(xattn_out[:, 5:]) > 0


def test_trainable_set_is_exactly_resampler_xattn_and_new_rows(model):
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    expected = {
        n
        for n, _ in model.named_parameters()
        if n.startswith("resampler.") or ".xattn." in n or n.endswith(".rows")
    }
    assert trainable == expected
    assert any(n.endswith("attn_gate") for n in trainable) and any(n.endswith("ffw_gate") for n in trainable)
    # GPT-2 ties input and output embeddings: one shared parameter for the two added rows.
    assert [n for n in trainable if n.endswith(".rows")] == ["lm.transformer.wte.rows"]
    assert model.lm.transformer.wte.rows.shape == (2, model.hidden_size)


def test_frozen_parameters_receive_no_gradient(trained):
    ids = random_interleaved_ids(trained, length=10, num_images=2, seed=0)
    ids[0, -1] = trained.eoc_token_id
    trained.zero_grad(set_to_none=True)
    out = trained(ids, random_media(trained, 1, 2), labels=ids)
    out.loss.backward()
    for name, param in trained.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.count_nonzero(param.grad) > 0, name
        else:
            assert param.grad is None, name
    trained.zero_grad(set_to_none=True)


def test_loss_is_shifted_cross_entropy_ignoring_minus_100(trained):
    ids = random_interleaved_ids(trained, length=8, num_images=1, seed=2)
    labels = ids.clone()
    labels[0, :4] = -100
    with torch.no_grad():
        out = trained(ids, random_media(trained, 1, 1), labels=labels)
    log_probs = out.logits[0, 3:-1].log_softmax(-1)
    expected = -log_probs.gather(-1, ids[0, 4:, None]).mean()
    assert torch.allclose(out.loss, expected, atol=1e-6)


def test_video_frames_and_their_order_matter(trained):
    ids = random_interleaved_ids(trained, length=8, num_images=0, seed=4)
    ids[0, 0] = trained.media_token_id
    video = random_media(trained, 1, 1, num_frames=3)  # [B=1, N=1, T=3, C, H, W]
    with torch.no_grad():
        a = trained(ids, video).logits
        b = trained(ids, video.flip(2)).logits  # same frames, reversed: time embeddings differ
    assert a.shape == (1, 8, len(trained.tokenizer))
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match="max_num_frames"):
        trained(ids, random_media(trained, 1, 1, num_frames=5))


def test_batch_with_different_numbers_of_images(trained):
    tok = trained.tokenizer
    texts = ["<image>a red circle<|endofchunk|><image>a blue square", "<image>a green star"]
    batch = tok(texts, return_tensors="pt", padding=True)
    media = random_media(trained, 2, 2)
    media_mask = torch.tensor([[True, True], [True, False]])
    media[1, 1] = 0  # padding slot
    with torch.no_grad():
        both = trained(
            batch.input_ids, media, attention_mask=batch.attention_mask, media_mask=media_mask
        ).logits
        single = tok(texts[1:], return_tensors="pt")
        alone = trained(single.input_ids, media[1:, :1]).logits
    length = single.input_ids.shape[1]
    assert torch.allclose(both[1, :length], alone[0], atol=1e-5)
    # An <image> token without a real media item is an error, not a silent zero.
    with pytest.raises(ValueError, match="row 1 has 2 <image> tokens but only 1 media"):
        bad = tok(["<image>a", "<image>b<image>c"], return_tensors="pt", padding=True)
        trained(bad.input_ids, media, media_mask=media_mask)
    with pytest.raises(ValueError, match="no media"):
        trained(batch.input_ids)


def test_generate_stops_rows_at_stop_tokens_and_pads_them(trained):
    tok = trained.tokenizer
    tok.padding_side = "left"
    batch = tok(
        ["<image>a red circle<|endofchunk|><image>a", "<image>the"], return_tensors="pt", padding=True
    )
    media = random_media(trained, 2, 2)
    length = batch.input_ids.shape[1]
    free = trained.generate(batch.input_ids, media, batch.attention_mask, max_new_tokens=4, stop_token_ids=[])
    assert free.shape == (2, length + 4)
    first = int(free[0, length])
    stopped = trained.generate(
        batch.input_ids, media, batch.attention_mask, max_new_tokens=4, stop_token_ids=[first]
    )
    assert stopped[0, length] == first
    assert (stopped[0, length + 1 :] == tok.pad_token_id).all()
    row1_stop = (free[1, length:] == first).nonzero()
    if row1_stop.numel() == 0:  # row 1 never emits the stop token: it runs to the end unchanged
        assert torch.equal(stopped[1], free[1])


def test_generate_stops_at_endofchunk_by_default(trained, monkeypatch):
    import flamingo.model.flamingo as model_module

    seen = {}
    monkeypatch.setattr(model_module, "generate_tokens", lambda *a, **kw: seen.update(kw))
    trained.generate(torch.tensor([[trained.media_token_id]]), random_media(trained, 1, 1))
    assert seen["stop_token_ids"] == [trained.eoc_token_id, trained.tokenizer.eos_token_id]
    assert seen["use_media_cache"] and seen["use_cache"]


def test_generate_rejects_right_padded_prompts(trained):
    ids = torch.tensor([[trained.media_token_id, 5], [trained.media_token_id, 0]])
    with pytest.raises(ValueError, match="left-padded"):
        trained.generate(ids, random_media(trained, 2, 1), torch.tensor([[1, 1], [1, 0]]))
