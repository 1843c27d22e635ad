"""Tokenizers: the LM's own (a local directory or hub name) or a tiny word-level one built offline.

The tiny tokenizer serves the tiny preset and the demo (synthetic captions such as
"a red circle on a blue background"): one token per lower-cased word or punctuation mark,
built from a given corpus, with `<unk>` for words outside it. Flamingo's own special
tokens (`<image>`, `<|endofchunk|>`) are added by `add_flamingo_tokens`, for any tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
_WORD = re.compile(r"\w+|[^\w\s]")  # the same split as the `Whitespace` pre-tokenizer


def build_tiny_tokenizer(corpus_texts: Iterable[str], *, max_length: int = 256) -> Any:
    """A `PreTrainedTokenizerFast` whose vocabulary is `<pad> </s> <unk>` + the corpus' words.

    Words are sorted so the ids do not depend on corpus order. Save it with
    `tok.save_pretrained(dir)` and load it with `transformers.AutoTokenizer.from_pretrained(dir)`.
    """
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for text in corpus_texts for w in _WORD.findall(text.lower())})
    specials = [PAD, EOS, UNK]
    vocab = {tok: i for i, tok in enumerate(specials + [w for w in words if w not in specials])}
    backend = Tokenizer(WordLevel(vocab=vocab, unk_token=UNK))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    # Words are joined back with spaces ("a red circle ."): readable, not byte-exact.
    backend.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        model_max_length=max_length,
    )


def load_tokenizer(path: str) -> Any:
    """The tokenizer of a local directory or hub name (the network only when the Hub is online)."""
    from transformers import AutoTokenizer

    from flamingo.model.hub import hub_kwargs

    return AutoTokenizer.from_pretrained(path, **hub_kwargs())


def add_flamingo_tokens(tokenizer: Any, *, media_token: str, eoc_token: str) -> tuple[int, int]:
    """Add `<image>` and `<|endofchunk|>` as special tokens; give the tokenizer a pad token.

    A tokenizer without a pad token (GPT-2, Llama) pads with its EOS token, so no extra
    embedding row is needed; loss masks must come from the attention mask, not the pad id.
    Returns (media_token_id, eoc_token_id).
    """
    tokenizer.add_special_tokens({"additional_special_tokens": [media_token, eoc_token]})
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ValueError("tokenizer has neither a pad nor an EOS token; add a pad token first")
        tokenizer.pad_token = tokenizer.eos_token
    media_id = tokenizer.convert_tokens_to_ids(media_token)
    eoc_id = tokenizer.convert_tokens_to_ids(eoc_token)
    return media_id, eoc_id
