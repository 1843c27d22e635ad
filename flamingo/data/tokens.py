"""Token ids and loss labels for interleaved text, shared by the three dataset pipelines.

Labels follow the paper's objective (next-token NLL of the text given the preceding images):
- `<image>` tokens are never targets (the model cannot know where an image will appear);
- text before the first `<image>` is not a target: it attends to no image, so it would train
  the frozen LM's job, not Flamingo's (and the frozen LM cannot change);
- padding is never a target (set in collate; the pad id may equal EOS, so masks come from
  positions, not ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

IGNORE = -100


@dataclass
class Example:
    key: str
    input_ids: list[int]
    labels: list[int]
    media: torch.Tensor  # [N, T, C, H, W]; N may be 0 only for text-only prompts (eval)


class TextEncoder:
    """Tokenises interleaved strings; holds the ids of the two Flamingo tokens."""

    def __init__(self, tokenizer: Any, *, media_token: str = "<image>", eoc_token: str = "<|endofchunk|>"):
        self.tokenizer = tokenizer
        self.media_token, self.eoc_token = media_token, eoc_token
        self.media_id = tokenizer.convert_tokens_to_ids(media_token)
        self.eoc_id = tokenizer.convert_tokens_to_ids(eoc_token)
        unk = getattr(tokenizer, "unk_token_id", None)
        if (
            self.media_id is None
            or self.eoc_id is None
            or unk is not None
            and unk in (self.media_id, self.eoc_id)
        ):
            raise ValueError(
                f"tokenizer lacks {media_token!r} / {eoc_token!r}; "
                "use the model's tokenizer (model.tokenizer)"
            )
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def encode(self, text: str) -> list[int]:
        # verbose=False: M3W documents exceed model_max_length before their window is cut.
        return list(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def labels_for(self, ids: list[int]) -> list[int]:
        labels = list(ids)
        seen_image = False
        for i, token in enumerate(ids):
            if token == self.media_id:
                seen_image = True
                labels[i] = IGNORE
            elif not seen_image:
                labels[i] = IGNORE
        return labels


def pack_examples(examples: list[Example]) -> Example:
    """Several examples as one interleaved sequence (`<image>a<|endofchunk|><image>b...`).

    Each part keeps its own labels: per-image masking makes every part's text attend to its
    own image only, so packing adds in-context structure (like M3W's interleaving) without
    leaking an image into another part's caption."""
    if len(examples) == 1:
        return examples[0]
    return Example(
        key="+".join(e.key for e in examples),
        input_ids=[t for e in examples for t in e.input_ids],
        labels=[t for e in examples for t in e.labels],
        media=torch.cat([e.media for e in examples]),  # [sum N, T, C, H, W]
    )
