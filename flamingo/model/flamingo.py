"""Flamingo: frozen vision encoder + Perceiver Resampler + frozen causal LM with GATED XATTN-DENSE.

    model = Flamingo(FlamingoConfig.preset("tiny"))
    batch = model.tokenizer(["<image>a red circle<|endofchunk|>"], return_tensors="pt")
    media = torch.zeros(1, 1, 1, 3, model.image_size, model.image_size)  # [B, N_media, T, C, H, W]
    out = model(batch.input_ids, media, attention_mask=batch.attention_mask, labels=batch.input_ids)
    out.loss.backward()
    ids = model.generate(batch.input_ids[:, :3], media, max_new_tokens=5)

Trainable: the resampler, the gated blocks and the rows of the added tokens; everything else
is frozen and kept in eval mode (no dropout in the frozen LM), following the paper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from flamingo.model import hub
from flamingo.model.config import FlamingoConfig
from flamingo.model.generation import generate_tokens
from flamingo.model.lm import (
    XATTN_KWARG,
    build_causal_lm,
    cache_argument_name,
    insert_xattn_blocks,
    output_cache,
    text_config,
)
from flamingo.model.resampler import PerceiverResampler
from flamingo.model.token_embeddings import add_token_rows
from flamingo.model.tokenizer import add_flamingo_tokens, build_tiny_tokenizer, load_tokenizer
from flamingo.model.vision import VisionEncoder, build_vision_tower
from flamingo.model.xattn import XattnInputs

logger = logging.getLogger(__name__)


@dataclass
class FlamingoOutput:
    logits: torch.Tensor  # [B, L, V]
    loss: torch.Tensor | None = None  # mean next-token cross-entropy over labels != -100
    cache: Any = None  # the LM's KV cache when use_cache=True


class Flamingo(nn.Module):
    """The Flamingo model. Public attributes: `tokenizer` (a Hugging Face tokenizer with
    `<image>` and `<|endofchunk|>` added), `media_token_id`, `eoc_token_id`, `image_size`
    (the H = W the vision tower expects), `config`; submodules `vision`, `resampler`, `lm`."""

    def __init__(self, config: FlamingoConfig) -> None:
        super().__init__()
        self.config = config
        # Random base models and added parts come from `init_seed`, so a trainable-only
        # checkpoint loads back onto the same random base (tiny preset, tests).
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.init_seed)
            self._build(config)

    def _build(self, config: FlamingoConfig) -> None:
        tokenizer = _tokenizer_for(config)
        base_vocab = len(tokenizer)
        # A tokenizer that already holds the Flamingo tokens came with an LM pretrained on them.
        pretrained_tokens = [t for t in (config.media_token, config.eoc_token) if t in tokenizer.get_vocab()]
        self.media_token_id, self.eoc_token_id = add_flamingo_tokens(
            tokenizer, media_token=config.media_token, eoc_token=config.eoc_token
        )
        self.tokenizer = tokenizer
        self.lm = build_causal_lm(
            path=config.lm_path,
            config=config.lm_config,
            vocab_size=base_vocab,
            attn_implementation=config.attn_implementation,
            special_token_ids={
                "bos_token_id": tokenizer.bos_token_id,
                "eos_token_id": tokenizer.eos_token_id,
                "pad_token_id": tokenizer.pad_token_id,
            },
        )
        self.vision = VisionEncoder(build_vision_tower(path=config.vision_path, config=config.vision_config))
        self.image_size = self.vision.image_size
        self.requires_grad_(False)  # freeze both base models before adding trainable parts

        num_rows = self.lm.get_input_embeddings().weight.shape[0]
        if base_vocab > num_rows:
            raise ValueError(f"tokenizer has {base_vocab} tokens but the LM only {num_rows} embedding rows")
        add_token_rows(
            self.lm,
            [self.media_token_id, self.eoc_token_id],
            known=tuple(tokenizer.convert_tokens_to_ids(pretrained_tokens)),
        )
        self.resampler = PerceiverResampler(
            input_dim=self.vision.hidden_size,
            dim=config.resampler_dim,
            depth=config.resampler_depth,
            num_heads=config.resampler_num_heads,
            dim_head=config.resampler_dim_head,
            num_latents=config.num_latents,
            max_num_frames=config.max_num_frames,
            ff_mult=config.resampler_ff_mult,
        )
        self.num_xattn_blocks = insert_xattn_blocks(
            self.lm,
            every=config.xattn_every,
            dim_visual=config.resampler_dim,
            num_heads=config.xattn_num_heads,
            dim_head=config.xattn_dim_head,
            ff_mult=config.xattn_ff_mult,
        )
        self._cache_arg = cache_argument_name(self.lm)
        self.train(False)

    # -- saving and loading (flamingo/model/hub.py) -----------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        """config.json + trainable.safetensors + base_models.json + README.md in `directory`."""
        return hub.save_pretrained(self, directory)

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, *, revision: str | None = None, **config_overrides: Any
    ) -> Flamingo:
        """A saved model from a folder or a hub name (the local cache; the Hub unless offline)."""
        return hub.from_pretrained(cls, name_or_path, revision=revision, **config_overrides)

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> str:
        """Upload `save_pretrained`'s files to `repo_id`; returns the commit URL."""
        return hub.push_to_hub(self, repo_id, **kwargs)

    def train(self, mode: bool = True) -> Flamingo:
        super().train(mode)
        # The frozen towers never train: keep their dropout off (the gated blocks have none).
        self.vision.eval()
        self.lm.eval()
        return self

    @property
    def hidden_size(self) -> int:
        return text_config(self.lm).hidden_size

    def encode_media(self, media: torch.Tensor) -> torch.Tensor:
        """Pixels `[B, N, T, C, H, W]` (normalised as the vision tower expects) -> `[B, N, R, D]`."""
        with torch.no_grad():
            dtype = next(self.vision.parameters()).dtype
            features = self.vision(media.to(dtype))  # [B, N, T, S, D_vision], frozen
        return self.resampler(features.to(self.resampler.latents.dtype))

    def forward(
        self,
        input_ids: torch.Tensor,
        media: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        *,
        media_mask: torch.Tensor | None = None,
        media_tokens: torch.Tensor | None = None,
        media_offset: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Any = None,
        use_cache: bool = False,
    ) -> FlamingoOutput:
        """Next-token logits for interleaved text `input_ids` [B, L] and `media` [B, N, T, C, H, W].

        Media items are matched to `<image>` tokens in order: the k-th `<image>` of row b is
        `media[b, k]`. Rows with fewer images are padded; `media_mask` [B, N] (True = real)
        lets the model check that no `<image>` token points at a padding slot. `labels` [B, L]
        (-100 = ignored) gives `.loss`, shifted inside. `media_tokens` (already resampled),
        `media_offset` (images before this chunk, per row), `cache` and `use_cache` serve
        incremental decoding; see `generate`.
        """
        if media_tokens is None and media is not None:
            media_tokens = self.encode_media(media)
        is_media = input_ids == self.media_token_id
        index = is_media.cumsum(dim=1)
        if media_offset is not None:
            index = index + media_offset.unsqueeze(1)
        lm_kwargs: dict[str, Any] = dict(attention_mask=attention_mask, use_cache=use_cache)
        if position_ids is not None:
            lm_kwargs["position_ids"] = position_ids
        if cache is not None:
            lm_kwargs[self._cache_arg] = cache
        if media_tokens is not None:
            self._check_media_counts(index, media_tokens, media_mask)
            lm_kwargs[XATTN_KWARG] = XattnInputs.build(media_tokens, index)
        elif bool(index.gt(0).any()):
            raise ValueError("input_ids contain <image> tokens but no media were given")
        out = self.lm(input_ids=input_ids, **lm_kwargs)
        loss = None if labels is None else next_token_loss(out.logits, labels)
        return FlamingoOutput(logits=out.logits, loss=loss, cache=output_cache(out) if use_cache else None)

    @staticmethod
    def _check_media_counts(
        index: torch.Tensor, media_tokens: torch.Tensor, media_mask: torch.Tensor | None
    ) -> None:
        needed = index.amax(dim=1) if index.shape[1] else index.new_zeros(index.shape[0])  # [B]
        available = (
            media_mask.sum(dim=1).to(needed.device)
            if media_mask is not None
            else torch.full_like(needed, media_tokens.shape[1])
        )
        bad = (needed > available).nonzero().flatten().tolist()
        if bad:
            b = bad[0]
            raise ValueError(
                f"row {b} has {int(needed[b])} <image> tokens but only {int(available[b])} media items; "
                "every <image> token needs a media item (extra media are allowed)"
            )

    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.Tensor,
        media: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        *,
        max_new_tokens: int = 20,
        temperature: float = 0.0,
        top_k: int | None = None,
        stop_token_ids: list[int] | None = None,
        use_cache: bool = True,
        use_media_cache: bool = True,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Continue `input_ids` [B, L] (left-padded when rows differ); returns [B, L + n].

        Greedy when `temperature == 0`, else sampling (optionally top-k). Stops a row at
        `<|endofchunk|>` or EOS (`stop_token_ids` overrides); finished rows are padded.
        With `use_media_cache` the media are encoded once per prompt; with `use_cache` the
        LM's KV cache is reused, so each step feeds one token.
        """
        stops = (
            stop_token_ids
            if stop_token_ids is not None
            else [t for t in (self.eoc_token_id, self.tokenizer.eos_token_id) if t is not None]
        )
        return generate_tokens(
            self,
            input_ids,
            media,
            attention_mask,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            stop_token_ids=stops,
            use_cache=use_cache,
            use_media_cache=use_media_cache,
            pad_token_id=self.tokenizer.pad_token_id,
            generator=generator,
        )


def next_token_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of position l predicting labels[l + 1]; -100 labels are ignored."""
    shifted = logits[:, :-1].flatten(0, 1).float()
    targets = labels[:, 1:].flatten().to(logits.device)
    return F.cross_entropy(shifted, targets, ignore_index=-100)


def _tokenizer_for(config: FlamingoConfig) -> Any:
    if config.tokenizer_path is not None:
        return load_tokenizer(config.tokenizer_path)
    if config.lm_path is not None:
        return load_tokenizer(config.lm_path)
    return build_tiny_tokenizer(config.tokenizer_corpus)
