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

from flamingo.model.attention import attend, project_kv
from flamingo.model.feedforward import FeedForward


@dataclass(frozen=True)
class XattnInputs:
    """What every GATED XATTN-DENSE block of one LM forward call reads.

    Built once per forward by `Flamingo.forward` (`XattnInputs.build`) and passed down the LM
    as a forward keyword argument (`flamingo_xattn=`); never stored on a module.

    Per-image masking is done by grouping, not by a mask: the tokens of row b that see image
    k form one contiguous run (the index never decreases along the text), so their queries
    are gathered into slot group (b, k) of `[B*N, max_run, ...]` and attend to image k's R
    tokens only. A masked `[L, N*R]` score matrix would spend N times the attention work to
    give the other images' keys zero weight; both give the same result. The gather indices
    are built here once, not in each block.
    """

    media_tokens: torch.Tensor  # [B, N, R, D_visual] resampler outputs
    max_run: int  # longest run of tokens seeing one image (0: no token sees any)
    query_source: torch.Tensor  # [B*N*max_run] flat text position feeding each slot (padding: 0)
    slot_of_token: torch.Tensor  # [B*L] slot whose output each text position takes
    # [B, L, 1] 1.0 where an image precedes the token, else 0.0; None when every token has one
    # (the usual training batch), which saves a pass over the output in every block.
    has_media: torch.Tensor | None

    @classmethod
    def build(cls, media_tokens: torch.Tensor, text_media_index: torch.Tensor) -> XattnInputs:
        device = media_tokens.device
        index = text_media_index.to(device)
        batch, length = index.shape
        num_media = media_tokens.shape[1]
        images = torch.arange(1, num_media + 1, device=device).expand(batch, num_media).contiguous()
        start = torch.searchsorted(index.contiguous(), images)  # [B, N] first token seeing image k
        end = torch.searchsorted(index.contiguous(), images, right=True)
        has_media = index > 0  # [B, L]
        zero = index.new_zeros(())
        # One host sync per forward for the three facts (not per block, not one per fact).
        decreasing, max_run, all_visible = torch.stack(
            [
                (index[:, 1:] < index[:, :-1]).any().long() if length > 1 else zero,
                (end - start).amax() if batch * num_media else zero,
                has_media.all().long(),
            ]
        ).tolist()
        if decreasing:
            raise ValueError(
                "text_media_index must be non-decreasing along the text (a running <image> count)"
            )
        image = (index - 1).clamp(min=0)  # [B, L] 0-based image of each token (0 where none)
        position = torch.arange(length, device=device) - start.gather(1, image)  # place in its run
        rows = torch.arange(batch, device=device).unsqueeze(1)
        slot = (rows * num_media + image) * max_run + position  # [B, L]
        num_slots = batch * num_media * max_run
        # Tokens that see no image write to a spare slot past the end, dropped after the scatter.
        source = torch.zeros(num_slots + 1, dtype=torch.long, device=device).scatter_(
            0,
            slot.where(has_media, num_slots).flatten(),
            (rows * length + torch.arange(length, device=device)).flatten(),
        )[:num_slots]
        visible = None if all_visible else has_media.unsqueeze(-1).to(media_tokens.dtype)
        return cls(
            media_tokens=media_tokens,
            max_run=max_run,
            query_source=source,
            slot_of_token=slot.where(has_media, 0).flatten(),
            has_media=visible,
        )


class MaskedCrossAttention(nn.Module):
    """Text queries, visual keys/values, with per-image masking (see `XattnInputs`)."""

    def __init__(self, *, dim: int, dim_visual: int, num_heads: int, dim_head: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        inner = num_heads * dim_head
        self.norm = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim_visual, 2 * inner, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def forward(self, x: torch.Tensor, inputs: XattnInputs) -> torch.Tensor:
        batch, length, _ = x.shape
        if inputs.max_run == 0:  # no token sees an image
            return torch.zeros_like(x)
        media = inputs.media_tokens.flatten(0, 1)  # [B*N, R, D_visual]
        q = self.to_q(self.norm(x)).flatten(0, 1)  # [B*L, inner]
        q = q.index_select(0, inputs.query_source).unflatten(0, (media.shape[0], inputs.max_run))
        k, v = project_kv(self.to_kv, media)  # [B*N, R, inner]
        q, k, v = (t.unflatten(-1, (self.num_heads, -1)).transpose(1, 2) for t in (q, k, v))
        out = attend(q, k, v).transpose(1, 2).flatten(-2)  # [B*N, max_run, inner]
        out = out.flatten(0, 1).index_select(0, inputs.slot_of_token).unflatten(0, (batch, length))
        out = self.to_out(out)  # [B, L, D]
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
        self.attn = MaskedCrossAttention(
            dim=dim, dim_visual=dim_visual, num_heads=num_heads, dim_head=dim_head
        )
        self.attn_gate = nn.Parameter(torch.zeros(1))
        self.ffw = FeedForward(dim=dim, mult=ff_mult)
        self.ffw_gate = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, inputs: XattnInputs) -> torch.Tensor:
        # addcmul: x + tanh(gate) * f(x) in one pass (same value as the two-op form).
        x = torch.addcmul(x, torch.tanh(self.attn_gate).to(x.dtype), self.attn(x, inputs))
        return torch.addcmul(x, torch.tanh(self.ffw_gate).to(x.dtype), self.ffw(x))
