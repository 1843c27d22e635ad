"""Perceiver Resampler: a variable number of visual features -> R visual tokens per media item.

Follows the paper's pseudo-code (Flamingo, Fig. 5 / the seed slides):

    x_f = x_f + time_embeddings          # [T, S, d] + [T, 1, d]
    x_f = flatten(x_f)                   # [T*S, d]
    for i in range(num_layers):
        x = x + attention_i(q=x, kv=concat([x_f, x]))
        x = x + ffw_i(x)

Feed-forward blocks (flamingo/model/feedforward.py) use squared ReLU (the paper's table, "Sq. ReLU").
"""

from __future__ import annotations

import torch
from torch import nn

from flamingo.model.attention import attend, project_kv
from flamingo.model.feedforward import FeedForward


class PerceiverAttention(nn.Module):
    """Latents attend to concat(media features, latents) (the paper's kv=concat([x_f, x]))."""

    def __init__(self, *, dim: int, num_heads: int, dim_head: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        inner = num_heads * dim_head
        self.norm_media = nn.LayerNorm(dim)
        self.norm_latents = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, 2 * inner, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def forward(self, x_f: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        # x_f: [B, N, T*S, d]; latents: [B, N, R, d]
        x_f = self.norm_media(x_f)
        latents = self.norm_latents(latents)
        q = self.to_q(latents)
        k, v = project_kv(self.to_kv, torch.cat([x_f, latents], dim=-2))  # [B, N, T*S+R, inner]
        q, k, v = (t.unflatten(-1, (self.num_heads, -1)).transpose(-3, -2) for t in (q, k, v))
        out = attend(q, k, v)  # [B, N, H, R, dh]
        return self.to_out(out.transpose(-3, -2).flatten(-2))  # [B, N, R, d]


class PerceiverResampler(nn.Module):
    """Maps vision features `[B, N, T, S, d_vision]` to visual tokens `[B, N, R, d]`.

    `input_dim` is the vision tower's width; when it differs from `dim` a linear projection
    comes first (the paper's NFNet features are also projected to the resampler's D=1536).
    """

    def __init__(
        self,
        *,
        input_dim: int,
        dim: int,
        depth: int,
        num_heads: int,
        dim_head: int,
        num_latents: int,
        max_num_frames: int,
        ff_mult: float,
    ) -> None:
        super().__init__()
        self.input_proj = nn.Linear(input_dim, dim) if input_dim != dim else nn.Identity()
        # Small random init, as for transformer embeddings (std 0.02).
        self.latents = nn.Parameter(torch.randn(num_latents, dim) * 0.02)
        self.time_embeddings = nn.Parameter(torch.randn(max_num_frames, 1, dim) * 0.02)  # [T_max, 1, d]
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [
                    PerceiverAttention(dim=dim, num_heads=num_heads, dim_head=dim_head),
                    FeedForward(dim=dim, mult=ff_mult),
                ]
            )
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)

    def forward(self, x_f: torch.Tensor) -> torch.Tensor:
        batch, num_media, num_frames = x_f.shape[:3]
        if num_frames > self.time_embeddings.shape[0]:
            raise ValueError(
                f"media has {num_frames} frames but the resampler's time embeddings cover "
                f"{self.time_embeddings.shape[0]} (FlamingoConfig.max_num_frames)"
            )
        x_f = self.input_proj(x_f)  # [B, N, T, S, d]
        x_f = x_f + self.time_embeddings[:num_frames]
        x_f = x_f.flatten(2, 3)  # [B, N, T*S, d]
        x = self.latents.expand(batch, num_media, *self.latents.shape)  # [B, N, R, d]
        for attention, ffw in self.layers:
            x = x + attention(x_f, x)
            x = x + ffw(x)
        return self.norm(x)  # [B, N, R, d]
