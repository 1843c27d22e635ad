"""Grouped per-image cross-attention equals the masked form it replaces (values and gradients)."""

from __future__ import annotations

import pytest
import torch

from flamingo.model.xattn import MaskedCrossAttention, XattnInputs


def masked_reference(m: MaskedCrossAttention, x, media, index):
    """The textbook form: every token scores all N*R visual tokens, other images masked out."""
    num_media, num_latents = media.shape[1:3]
    q = m.to_q(m.norm(x))
    k, v = m.to_kv(media.flatten(1, 2)).chunk(2, dim=-1)
    q, k, v = (t.unflatten(-1, (m.num_heads, -1)).transpose(1, 2) for t in (q, k, v))
    key_media = torch.arange(1, num_media + 1).repeat_interleave(num_latents)
    allowed = (index.unsqueeze(-1) == key_media) | (index == 0).unsqueeze(-1)
    scores = (q @ k.transpose(-1, -2)) * q.shape[-1] ** -0.5
    out = scores.masked_fill(~allowed.unsqueeze(1), float("-inf")).softmax(-1) @ v
    return m.to_out(out.transpose(1, 2).flatten(-2)) * (index > 0).unsqueeze(-1)


@pytest.mark.parametrize("seed", range(12))
def test_grouped_equals_masked(seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    m = MaskedCrossAttention(dim=32, dim_visual=16, num_heads=4, dim_head=8).double()
    batch, length, num_media = 3, int(torch.randint(1, 24, (), generator=gen)), 3
    is_media = torch.rand(batch, length, generator=gen) < 0.2
    offset = torch.randint(0, 2, (batch, 1), generator=gen)  # images seen in an earlier chunk
    index = (is_media.long().cumsum(1) + offset).clamp(max=num_media)
    media = torch.randn(batch, num_media, 5, 16, dtype=torch.double, requires_grad=True)
    x = torch.randn(batch, length, 32, dtype=torch.double, requires_grad=True)
    ours = m(x, XattnInputs.build(media, index))
    expected = masked_reference(m, x, media, index)
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-12)
    assert torch.count_nonzero(ours[index == 0]) == 0
    if not ours.requires_grad:  # no token sees an image: the block adds exactly nothing
        assert index.max() == 0
        return
    wrt = [x, media, *m.parameters()]
    grads = torch.autograd.grad(ours.square().sum(), wrt)
    expected_grads = torch.autograd.grad(expected.square().sum(), wrt)
    for a, b in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_index_must_not_decrease():
    media = torch.zeros(1, 2, 4, 8)
    with pytest.raises(ValueError, match="non-decreasing"):
        XattnInputs.build(media, torch.tensor([[1, 2, 1]]))
