"""The feed-forward block of the Perceiver Resampler and of GATED XATTN-DENSE: a pre-norm MLP with
squared ReLU (the paper's table, "Sq. ReLU"; So et al., Primer).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _SquaredReLUFunction(torch.autograd.Function):
    """relu(x)**2 with a one-pass backward, grad * 2 * relu(x).

    Autograd of `square(relu(x))` runs four passes over the hidden activations in backward
    (pow, two muls, threshold); this saves relu(x) once and needs two (mul, in-place scale).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        r = F.relu(x)
        ctx.save_for_backward(r)
        return r * r

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (r,) = ctx.saved_tensors
        return (grad * r).mul_(2.0)  # in place on a fresh tensor: one read of r, not two


class SquaredReLU(nn.Module):
    """relu(x)**2 (So et al., Primer), the activation of the paper's resampler and xattn FFWs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return _SquaredReLUFunction.apply(x)
        return torch.square(F.relu(x))


class FeedForward(nn.Sequential):
    """Pre-norm MLP: LayerNorm -> Linear(d, mult*d) -> squared ReLU -> Linear(mult*d, d)."""

    def __init__(self, *, dim: int, mult: float) -> None:
        hidden = int(round(dim * mult))
        super().__init__(
            nn.LayerNorm(dim),
            nn.Linear(dim, hidden, bias=False),
            SquaredReLU(),
            nn.Linear(hidden, dim, bias=False),
        )
