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

log = logging.getLogger(__name__)


def shard_texts(shard_dirs: dict[str, str], template: str = "Output: {caption}") -> list[str]:
    """Captions (as the prompt format writes them) and M3W text blocks of the training shards."""
    from flamingo.data.split import expand_urls
    from flamingo.data.tar_reader import iter_tar_samples

    texts: list[str] = []
    for kind, directory in shard_dirs.items():
        for url in expand_urls(directory):
            for sample in iter_tar_samples(url):
                if kind == "m3w" and "json" in sample.members:
                    doc = json.loads(sample.members["json"])
                    texts.extend(t for t in doc.get("texts", []) if isinstance(t, str) and t.strip())
                elif "txt" in sample.members:
                    texts.append(template.format(caption=sample.members["txt"].decode("utf-8").strip()))
    return texts


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
) -> str:
    """Train a causal LM of `lm_config` on `texts` (packed, EOS between texts); save model and
    tokenizer to out_dir; return out_dir."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from flamingo.model.tokenizer import build_tiny_tokenizer

    if not texts:
        raise ValueError("no training text to pretrain the demo LM on")
    tok = build_tiny_tokenizer(corpus)
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
    model.train()
    for step in range(steps):
        starts = [rng.randrange(len(data) - seq_len) for _ in range(batch_size)]
        ids = torch.stack([data[s : s + seq_len] for s in starts])
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
