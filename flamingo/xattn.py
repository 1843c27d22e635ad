"""Masked cross-attention and the GATED XATTN-DENSE block (Flamingo, Fig. 4 and Sec. 2.3).

Per-image masking (paper Fig. 7): a text token attends only to the visual tokens of the
last `<image>` at or before it. `text_media_index[b, l]` is that image's 1-based number
(the count of `<image>` tokens up to and including position l), 0 before the first image;
tokens with index 0 attend to nothing and their cross-attention output is exactly zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from flamingo.attention import attend
from flamingo.resampler import FeedForward


@dataclass(frozen=True)
class XattnInputs:
    """What every GATED XATTN-DENSE block of one LM forward call reads.

    Built once per forward by `Flamingo.forward` (`XattnInputs.build`) and passed down the LM
    as a forward keyword argument (`flamingo_xattn=`); never stored on a module. The mask is
    built here once rather than in each of the blocks.
    """

    media_tokens: torch.Tensor  # [B, N, R, D_visual] resampler outputs
    text_media_index: torch.Tensor  # [B, L] long, 0 = no image yet
    attn_mask: torch.Tensor  # [B, 1, L, N*R] bool, True = may attend
    # [B, L, 1] 1.0 where an image precedes the token, else 0.0; None when every token has one
    # (the usual training batch), which saves a pass over the output in every block.
    has_media: torch.Tensor | None

    @classmethod
    def build(cls, media_tokens: torch.Tensor, text_media_index: torch.Tensor) -> XattnInputs:
        num_media, num_latents = media_tokens.shape[1], media_tokens.shape[2]
        # Visual token j belongs to image 1 + j // R.
        key_media = torch.arange(1, num_media + 1, device=media_tokens.device).repeat_interleave(num_latents)
        index = text_media_index.to(media_tokens.device)
        has_media = index > 0  # [B, L]
        # A row with no visible key would give softmax over nothing (NaN); let it see every key
        # instead and zero its output, so 0 * output stays exactly 0.
        allowed = (index.unsqueeze(-1) == key_media) | ~has_media.unsqueeze(-1)  # [B, L, N*R]
        # One host sync per forward (not per block); `_check_media_counts` syncs already.
        visible = None if bool(has_media.all()) else has_media.unsqueeze(-1).to(media_tokens.dtype)
        return cls(media_tokens=media_tokens, text_media_index=index, attn_mask=allowed.unsqueeze(1), has_media=visible)


class MaskedCrossAttention(nn.Module):
    """Text queries, visual keys/values, with the per-image mask above."""

    def __init__(self, *, dim: int, dim_visual: int, num_heads: int, dim_head: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        inner = num_heads * dim_head
        self.norm = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim_visual, 2 * inner, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def forward(self, x: torch.Tensor, inputs: XattnInputs) -> torch.Tensor:
        q = self.to_q(self.norm(x))  # [B, L, inner]
        k, v = self.to_kv(inputs.media_tokens.flatten(1, 2)).chunk(2, dim=-1)  # [B, N*R, inner]
        q, k, v = (t.unflatten(-1, (self.num_heads, -1)).transpose(1, 2) for t in (q, k, v))
        out = attend(q, k, v, inputs.attn_mask)  # [B, H, L, dh]
        out = self.to_out(out.transpose(1, 2).flatten(-2))  # [B, L, D]
        if inputs.has_media is None:
            return out
        return out * inputs.has_media.to(out.dtype)  # exactly 0 before the first image


class GatedCrossAttentionBlock(nn.Module):
    """GATED XATTN-DENSE: y = y + tanh(a) * xattn(y, x); y = y + tanh(b) * ffw(y).

    The gates a, b start at 0, so at initialisation the block is the identity and the
    wrapped LM computes exactly what the frozen LM computes (paper Sec. 2.3).
    """

    def __init__(self, *, dim: int, dim_visual: int, num_heads: int, dim_head: int, ff_mult: float) -> None:
        super().__init__()
        self.attn = MaskedCrossAttention(dim=dim, dim_visual=dim_visual, num_heads=num_heads, dim_head=dim_head)
        self.attn_gate = nn.Parameter(torch.zeros(1))
        self.ffw = FeedForward(dim=dim, mult=ff_mult)
        self.ffw_gate = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, inputs: XattnInputs) -> torch.Tensor:
        # addcmul: x + tanh(gate) * f(x) in one pass (same value as the two-op form).
        x = torch.addcmul(x, torch.tanh(self.attn_gate).to(x.dtype), self.attn(x, inputs))
        return torch.addcmul(x, torch.tanh(self.ffw_gate).to(x.dtype), self.ffw(x))
