"""Autoregressive decoding for Flamingo with the LM's KV cache and cached media.

Our own loop rather than `transformers.GenerationMixin.generate`: the media tokens and the
per-row image count must go with every step as forward arguments, and the logits include
the added tokens' columns, which HF's generate does not know about.
"""

from __future__ import annotations

from typing import Any

import torch


def pick_next_token(
    logits: torch.Tensor, *, temperature: float, top_k: int | None, generator: torch.Generator | None
) -> torch.Tensor:
    """[B, V] logits -> [B] ids: argmax at temperature 0, else a (top-k) sample."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    logits = logits.float() / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def generate_tokens(
    model: Any,
    input_ids: torch.Tensor,
    media: torch.Tensor | None,
    attention_mask: torch.Tensor | None,
    *,
    max_new_tokens: int,
    temperature: float,
    top_k: int | None,
    stop_token_ids: list[int],
    use_cache: bool,
    use_media_cache: bool,
    pad_token_id: int,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """See `Flamingo.generate`."""
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    if not bool(attention_mask[:, -1].all()):
        raise ValueError(
            "generate needs left-padded prompts (the last position of every row must be a real "
            "token); set tokenizer.padding_side = 'left' before tokenising prompts"
        )
    stops = torch.tensor(stop_token_ids, device=input_ids.device, dtype=torch.long)
    media_tokens = model.encode_media(media) if media is not None and use_media_cache else None

    def step_media() -> torch.Tensor | None:
        # Without the media cache the vision tower and resampler run again at every step.
        return media_tokens if media_tokens is not None or media is None else model.encode_media(media)

    # Left padding: positions count real tokens only (as HF's generate does).
    position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    out = model(
        input_ids,
        attention_mask=attention_mask,
        media_tokens=step_media(),
        position_ids=position_ids,
        use_cache=use_cache,
    )
    sequences = input_ids
    finished = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
    media_seen = (input_ids == model.media_token_id).sum(dim=1)
    for _ in range(max_new_tokens):
        # A generated <image> would have no media to point at: never emit it.
        logits = out.logits[:, -1].clone()
        logits[:, model.media_token_id] = float("-inf")
        next_ids = pick_next_token(logits, temperature=temperature, top_k=top_k, generator=generator)
        next_ids = torch.where(finished, torch.full_like(next_ids, pad_token_id), next_ids)
        sequences = torch.cat([sequences, next_ids.unsqueeze(1)], dim=1)
        finished = finished | torch.isin(next_ids, stops)
        if bool(finished.all()):
            break
        attention_mask = torch.cat([attention_mask, (~finished).long().unsqueeze(1)], dim=1)
        if use_cache:
            position_ids = position_ids[:, -1:] + 1
            out = model(
                next_ids.unsqueeze(1),
                attention_mask=attention_mask,
                media_tokens=step_media(),
                media_offset=media_seen,
                position_ids=position_ids,
                cache=out.cache,
                use_cache=True,
            )
            media_seen = media_seen + (next_ids == model.media_token_id).long()
        else:
            position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
            out = model(
                sequences, attention_mask=attention_mask, media_tokens=step_media(), position_ids=position_ids
            )
    return sequences
