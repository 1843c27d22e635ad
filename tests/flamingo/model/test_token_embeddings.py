"""Added-token rows: new tokens start from the mean row, tokens the LM was pretrained with keep theirs."""

from __future__ import annotations

import torch
from transformers import GPT2Config, GPT2LMHeadModel

from flamingo.model.token_embeddings import add_token_rows


def _lm(vocab_size: int = 10) -> GPT2LMHeadModel:
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab_size, n_layer=1, n_embd=8, n_head=2, n_positions=16))


def test_new_tokens_start_from_the_mean_row_and_known_tokens_from_their_own():
    lm = _lm()
    table = lm.get_input_embeddings().weight.detach().clone()  # [10, 8]
    # Token 8 was in the LM's pretraining vocabulary; token 11 is new (past the table's end).
    add_token_rows(lm, [8, 11], known=(8,))
    rows = lm.get_input_embeddings().rows.detach()
    assert torch.equal(rows[0], table[8])
    assert torch.allclose(rows[1], table.mean(0))
    # The embedding looks the rows up, and the (tied) head scores them with the same rows.
    embeds = lm.get_input_embeddings()(torch.tensor([[8, 11, 3]]))
    assert torch.equal(embeds[0, 0], table[8]) and torch.equal(embeds[0, 2], table[3])
    logits = lm(input_ids=torch.tensor([[1, 8, 11]])).logits
    assert logits.shape[-1] == 12


def test_without_known_tokens_every_added_row_is_the_mean():
    lm = _lm()
    table = lm.get_input_embeddings().weight.detach().clone()
    add_token_rows(lm, [8, 9])
    rows = lm.get_input_embeddings().rows.detach()
    assert torch.allclose(rows, table.mean(0).expand(2, -1))
