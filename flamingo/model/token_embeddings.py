"""Trainable rows for the added tokens (`<image>`, `<|endofchunk|>`) on top of frozen embeddings.

The paper trains only the resampler, the cross-attention and the new tokens' embeddings.
Unfreezing the whole embedding matrix with a gradient mask would still let weight decay move
the frozen rows, so the new rows are separate parameters instead:
- `AddedTokenEmbedding` looks ids up in the frozen table and replaces the added ids' rows;
- `AddedTokenHead` computes the frozen LM head's logits and writes the added tokens' columns
  (appended when their ids lie beyond the frozen vocabulary).
The added ids may lie inside the frozen table (checkpoints whose embedding matrix is padded
beyond the tokenizer) or past its end; both work.
"""

from __future__ import annotations

import torch
from torch import nn


class AddedTokenEmbedding(nn.Module):
    def __init__(self, *, base: nn.Embedding, token_ids: list[int], rows: nn.Parameter) -> None:
        super().__init__()
        self.base = base
        self.rows = rows  # [K, D] trainable
        self.register_buffer("token_ids", torch.tensor(token_ids, dtype=torch.long), persistent=False)

    @property
    def weight(self) -> torch.Tensor:
        """The frozen table (HF code reads `.weight` for dtype/device and tying)."""
        return self.base.weight

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        num_base = self.base.num_embeddings
        embeds = self.base(input_ids.clamp(max=num_base - 1))  # [B, L, D]
        is_added = (input_ids.unsqueeze(-1) == self.token_ids).to(embeds.dtype)  # [B, L, K]
        added = is_added @ self.rows.to(embeds.dtype)  # [B, L, D]
        return torch.where(is_added.sum(-1, keepdim=True) > 0, added, embeds)


class AddedTokenHead(nn.Module):
    def __init__(self, *, base: nn.Module, token_ids: list[int], rows: nn.Parameter, num_base: int) -> None:
        super().__init__()
        self.base = base
        self.rows = rows  # [K, D]; the same Parameter as the embedding's when the LM ties them
        self.register_buffer("token_ids", torch.tensor(token_ids, dtype=torch.long), persistent=False)
        self.vocab_size = max(num_base, max(token_ids) + 1)

    @property
    def weight(self) -> torch.Tensor:
        return self.base.weight

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = self.base(hidden)  # [B, L, V_base]
        extra = self.vocab_size - logits.shape[-1]
        if extra > 0:
            logits = torch.cat([logits, logits.new_zeros(*logits.shape[:-1], extra)], dim=-1)
        added = hidden @ self.rows.to(hidden.dtype).T  # [B, L, K]
        return logits.index_copy(-1, self.token_ids, added.to(logits.dtype))


def add_token_rows(lm: nn.Module, token_ids: list[int], *, known: tuple[int, ...] = ()) -> None:
    """Give `token_ids` trainable embedding (and output) rows, initialised to the mean row; ids in
    `known` (tokens the LM was pretrained with, e.g. a demo LM that saw `<image>` in its text)
    start from the LM's own row instead."""
    base_in = lm.get_input_embeddings()
    base_out = lm.get_output_embeddings()
    dim = base_in.weight.shape[1]

    def initial_rows(table: torch.Tensor) -> torch.Tensor:
        rows = table.float().mean(0, keepdim=True).expand(len(token_ids), dim).clone()
        for i, token in enumerate(token_ids):
            if token in known and token < table.shape[0]:
                rows[i] = table[token].float()
        return rows.to(table.dtype)

    with torch.no_grad():
        rows_in = nn.Parameter(initial_rows(base_in.weight))
    lm.set_input_embeddings(AddedTokenEmbedding(base=base_in, token_ids=token_ids, rows=rows_in))
    tied = base_out is not None and base_out.weight is base_in.weight
    if base_out is None:
        raise ValueError(f"{type(lm).__name__} has no output embeddings; a causal LM head is required")
    if tied:
        rows_out = rows_in
    else:
        with torch.no_grad():
            rows_out = nn.Parameter(initial_rows(base_out.weight))
    num_base = base_out.weight.shape[0]
    lm.set_output_embeddings(
        AddedTokenHead(base=base_out, token_ids=token_ids, rows=rows_out, num_base=num_base)
    )
    text_cfg = lm.config.get_text_config() if hasattr(lm.config, "get_text_config") else lm.config
    text_cfg.vocab_size = max(num_base, max(token_ids) + 1)
