"""The demo LM's pretraining text: M3W pages as Flamingo reads them, and the copy rows."""

from __future__ import annotations

import torch

from demo.lm import EOC, MEDIA, _copy_rows, _interleaved


def test_an_m3w_page_reads_as_images_each_followed_by_its_text():
    doc = {
        "texts": ["Intro text.", None, "ko-ba.", "  ", None, "ko-ba again."],
        "images": [None, {"url": "a.jpg"}, None, None, {"url": "b.jpg"}, None],
    }
    assert _interleaved(doc) == f" Intro text.{MEDIA} ko-ba.{EOC}{MEDIA} ko-ba again.{EOC}"
    assert _interleaved({"texts": ["only text"], "images": [None]}) == " only text"


def test_copy_rows_repeat_each_random_span_and_avoid_the_special_ids():
    rows = _copy_rows(3, seq_len=40, vocab_size=50, gen=torch.Generator().manual_seed(0), span=8)
    assert rows.shape == (3, 40)
    assert torch.equal(rows[:, :8], rows[:, 8:16]) and torch.equal(rows[:, 16:24], rows[:, 24:32])
    assert int(rows.min()) >= 3 and int(rows.max()) < 50  # ids 0-2: pad, eos, unk
