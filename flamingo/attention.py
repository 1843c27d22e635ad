"""Scaled dot-product attention for the resampler and the cross-attention blocks."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v, with a boolean `mask` (True = may attend).

    On GPU this is `scaled_dot_product_attention` (fused kernels). On CPU, for these short key
    sets (64-256 visual tokens, one thread), the CPU flash kernel took more time than the
    explicit matmul-softmax-matmul in a profile of bench/model.py (on a loaded 2-core machine:
    re-measure before relying on it); masked keys get exactly zero weight either way.
    """
    if q.is_cuda:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-1, -2)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v
