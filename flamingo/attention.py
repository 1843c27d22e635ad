"""Scaled dot-product attention for the resampler and the cross-attention blocks."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v, with a boolean `mask` (True = may attend).

    On GPU this is `scaled_dot_product_attention` (fused kernels). On CPU the explicit
    matmul-softmax-matmul is faster for these short key sets (64-256 visual tokens): the CPU
    flash kernel cost ~2.5x more in bench/model.py's profile.
    """
    if q.is_cuda:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-1, -2)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v
