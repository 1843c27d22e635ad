"""RICES (Retrieval-based In-Context Example Selection, Yang et al. 2021; Flamingo §3): pick
the support examples whose images look most like the query's, by cosine similarity of the
frozen vision encoder's features, and put the most similar LAST (closest to the query), as
the paper does.
"""

from __future__ import annotations

import torch


@torch.no_grad()
def vision_features(model, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Images [N, C, H, W] -> unit-norm features [N, D]: the frozen encoder's patch tokens,
    mean-pooled (the resampler trains; the encoder's features are fixed, so support features
    are computed once)."""
    out = []
    for start in range(0, images.shape[0], batch_size):
        chunk = images[start : start + batch_size]
        patches = model.vision(chunk[:, None, None])  # [B, 1, 1, S, D]
        out.append(torch.nn.functional.normalize(patches.mean(dim=(1, 2, 3)).float(), dim=-1))
    return torch.cat(out) if out else torch.zeros(0, 1)


class RICES:
    def __init__(self, support_features: torch.Tensor):
        self.support = support_features  # [M, D], unit norm

    def select(
        self, query_features: torch.Tensor, k: int, *, exclude: list[int] | None = None
    ) -> list[list[int]]:
        """For each query [Q, D], the indices of its k nearest support examples, ordered from
        least to most similar (most similar last). `exclude[q]` (a support index) is skipped,
        for leave-one-out use on a single pool."""
        similarity = query_features @ self.support.T  # [Q, M]
        if exclude is not None:
            for q, index in enumerate(exclude):
                if index is not None and index >= 0:
                    similarity[q, index] = float("-inf")
        k = min(k, self.support.shape[0] - (1 if exclude is not None else 0))
        top = similarity.topk(k, dim=1).indices  # most similar first
        return [list(reversed(row.tolist())) for row in top]
