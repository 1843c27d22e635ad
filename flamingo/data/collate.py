"""Examples -> a padded batch: `input_ids`, `attention_mask`, `labels` [B, L], media
[B, N, T, C, H, W] and `media_mask` [B, N] (True where a real image/video sits).

Text is right-padded (training; generation left-pads its prompts itself). Rows with fewer
media than the batch's most are padded with zero images that no `<image>` token points at.
"""

from __future__ import annotations

import numpy as np
import torch

from flamingo.data.tokens import IGNORE, Example


def _stack(tensors: list[torch.Tensor]) -> torch.Tensor:
    """torch.stack's result; by numpy for plain CPU tensors: one copy on this thread, where torch's
    copy runs an intra-op parallel region whose OpenMP threads spin on a loaded machine (a batch of
    32 224 px images took 300 ms median in torch.stack with other jobs on the 2-core dev box)."""
    if all(t.device.type == "cpu" and not t.requires_grad for t in tensors):
        return torch.from_numpy(np.stack([t.numpy() for t in tensors]))
    return torch.stack(tensors)


def collate(examples: list[Example], *, pad_id: int) -> dict:
    if not examples:
        raise ValueError("collate needs at least one example")
    batch_size = len(examples)
    length = max(len(e.input_ids) for e in examples)
    input_ids = torch.full((batch_size, length), pad_id, dtype=torch.long)
    labels = torch.full((batch_size, length), IGNORE, dtype=torch.long)
    attention_mask = torch.zeros((batch_size, length), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e.input_ids)
        input_ids[row, :n] = torch.tensor(e.input_ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(e.labels, dtype=torch.long)
        attention_mask[row, :n] = 1

    first = examples[0].media.shape
    if first[0] > 0 and all(e.media.shape == first for e in examples):
        # Same media shape in every row (pairs, videos, packed pairs): one stack, no padding.
        media = _stack([e.media for e in examples])  # [B, N, T, C, H, W]
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": labels,
            "media": media,
            "media_mask": torch.ones(media.shape[:2], dtype=torch.bool),
            "keys": [e.key for e in examples],
        }
    shapes = [e.media.shape for e in examples if e.media.shape[0] > 0]
    num_media = max([s[0] for s in shapes], default=0)
    frames = max([s[1] for s in shapes], default=1)
    chw = shapes[0][2:] if shapes else (3, 1, 1)
    media = torch.zeros((batch_size, max(num_media, 1), frames, *chw), dtype=torch.float32)
    media_mask = torch.zeros((batch_size, max(num_media, 1)), dtype=torch.bool)
    for row, e in enumerate(examples):
        n, t = e.media.shape[:2] if e.media.shape[0] else (0, 0)
        if n:
            media[row, :n, :t] = e.media
            media_mask[row, :n] = True
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "labels": labels,
        "media": media,
        "media_mask": media_mask,
        "keys": [e.key for e in examples],
    }
