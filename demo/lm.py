"""The demo's frozen language model: a tiny GPT-2 pretrained for a few seconds on the text of
the training shards, then frozen inside Flamingo.

Why: the paper freezes a *pretrained* LM (Chinchilla). A randomly initialised frozen LM cannot
become confident about any token (its tied output embeddings have std 0.02 after a LayerNorm,
so logits stay within about ±1.5 and the loss floors near the uniform distribution: measured
3.1 nats per token on the sample captions after 100 steps), and then the image signal drowns.
No weights can be downloaded, so we make the pretrained LM here, from the training text only
(never the eval split), and save it where `FlamingoConfig(lm_path=..., tokenizer_path=...)`
loads it like any Hugging Face checkpoint.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import torch

log = logging.getLogger(__name__)


MEDIA, EOC = "<image>", "<|endofchunk|>"  # Flamingo's two tokens (FlamingoConfig defaults)


def _interleaved(doc: dict) -> str:
    """An M3W document as Flamingo reads it (each text after its image), images as `<image>`."""
    pieces, open_chunk = [], False
    for text, image in zip(doc.get("texts", []), doc.get("images", []), strict=False):
        if image is not None:
            pieces.append((EOC if open_chunk else "") + MEDIA)
            open_chunk = True
        elif isinstance(text, str) and text.strip():
            pieces.append(" " + text.strip())
    return "".join(pieces) + (EOC if open_chunk else "")


def shard_texts(shards: list[tuple[str, str]], template: str = "Output: {caption}") -> list[str]:
    """The text of the training shards, given as (kind, shard directory or URLs) pairs, in the
    interleaved form Flamingo trains on: `<image>Output: caption<|endofchunk|>` for pairs and
    videos, each M3W document's texts and `<image>` slots in page order."""
    from flamingo.data.split import expand_urls
    from flamingo.data.tar_reader import iter_tar_samples

    texts: list[str] = []
    for kind, directory in shards:
        for url in expand_urls(directory):
            for sample in iter_tar_samples(url):
                if kind == "m3w" and "json" in sample.members:
                    texts.append(_interleaved(json.loads(sample.members["json"])))
                elif "txt" in sample.members:
                    caption = sample.members["txt"].decode("utf-8").strip()
                    texts.append(MEDIA + template.format(caption=caption) + EOC)
    return texts


def _copy_rows(num_rows: int, seq_len: int, vocab_size: int, gen: torch.Generator, span: int = 32):
    """Rows of random token spans, each followed by its copy: induction-head training."""
    num_spans = -(-seq_len // (2 * span))
    spans = torch.randint(3, vocab_size, (num_rows, num_spans, span), generator=gen)
    return torch.cat([spans, spans], dim=2).flatten(1)[:, :seq_len]


def pretrain_lm(
    texts: list[str],
    out_dir: Path,
    *,
    corpus: tuple[str, ...],
    lm_config: dict,
    steps: int = 300,
    batch_size: int = 32,
    seq_len: int = 48,
    lr: float = 3e-3,
    seed: int = 0,
    copy_steps: int = 0,
    copy_fraction: float = 0.0,
) -> str:
    """Train a causal LM of `lm_config` on `texts` (packed, EOS between texts); save model and
    tokenizer to out_dir; return out_dir."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from flamingo.model.tokenizer import add_flamingo_tokens, build_tiny_tokenizer

    if not texts:
        raise ValueError("no training text to pretrain the demo LM on")
    tok = build_tiny_tokenizer(corpus)
    num_words = len(tok)  # copy rows draw from the words, not from the Flamingo tokens
    add_flamingo_tokens(tok, media_token=MEDIA, eoc_token=EOC)
    kwargs = dict(lm_config)
    config = AutoConfig.for_model(
        kwargs.pop("model_type"),
        vocab_size=len(tok),
        bos_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        **kwargs,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    stream: list[int] = []
    for text in texts:
        stream += tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    data = torch.tensor(stream)
    if len(data) <= seq_len + 1:
        raise ValueError(f"only {len(data)} tokens of text; need more than {seq_len + 1}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for step in range(copy_steps + steps):
        num_copy = batch_size if step < copy_steps else round(batch_size * copy_fraction)
        starts = [rng.randrange(len(data) - seq_len) for _ in range(batch_size - num_copy)]
        rows = [data[s : s + seq_len] for s in starts]
        if num_copy:
            rows += list(_copy_rows(num_copy, seq_len, num_words, gen))
        ids = torch.stack(rows)
        loss = model(input_ids=ids, labels=ids).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step in (0, steps - 1):
            log.info("demo LM pretraining step %d: loss %.3f", step + 1, float(loss.detach()))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return str(out_dir)
