"""Scaled dot-product attention for the resampler and the cross-attention blocks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) v over `[..., heads, len, dim_head]`, every query to every key
    (per-image masking is done by grouping the queries: flamingo/model/xattn.py).

    `scaled_dot_product_attention` on every device: it reads the head-transposed views of
    the projections as they are (no layout copy) and scales inside the kernel. Measured on
    CPU, one thread, forward + backward, shapes of bench/model.py, interleaved runs: 21.1 ms
    vs 24.9 ms (explicit matmul-softmax-matmul) for the resampler.
    """
    if q.ndim > 4:  # the fused CPU kernel takes [B, H, L, dh]; fold the extra batch dims
        batch = q.shape[:-3]
        out = F.scaled_dot_product_attention(q.flatten(0, -4), k.flatten(0, -4), v.flatten(0, -4))
        return out.unflatten(0, batch)
    return F.scaled_dot_product_attention(q, k, v)


def project_kv(to_kv: nn.Linear, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`to_kv(x).chunk(2, -1)` as two products with the weight's halves (contiguous views).

    Same values; but in backward the input gradients of the halves add up over `x`'s width,
    where the chunked form concatenates the k and v gradients over the 2*inner width first.
    """
    weight_k, weight_v = to_kv.weight.chunk(2, dim=0)
    return F.linear(x, weight_k), F.linear(x, weight_v)
