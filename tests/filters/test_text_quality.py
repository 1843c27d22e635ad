"""Gopher quality rules: each threshold, at and just past it, with the exact detail."""

import pytest

from filters import Reject, TextQualityFilter
from schemas import RejectReason


def filler(n):
    """n distinct 5-letter words, no stop words."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [letters[i % 26] + letters[(i // 26) % 26] + "xyz" for i in range(n)]


def text(n_words, extra=()):
    return " ".join(["the", "and", *filler(n_words - 2 - len(extra)), *extra])


F = TextQualityFilter()


def reject(detail):
    return Reject(RejectReason.TEXT_QUALITY, detail)


def test_word_count_bounds():
    assert F.check_text(text(50)) is None
    assert F.check_text(text(49)) == reject("word count 49 outside [50, 100000]")
    small = TextQualityFilter(max_words=60)
    assert small.check_text(text(60)) is None
    assert small.check_text(text(61)) == reject("word count 61 outside [50, 60]")


def test_punctuation_only_tokens_are_not_words():
    assert F.check_text(text(49) + " - --- ;") == reject("word count 49 outside [50, 100000]")


def test_mean_word_length_bounds():
    three = " ".join(["the", "and"] + ["cat"] * 48)
    assert F.check_text(three) is None  # exactly 3.0
    short = " ".join(["the", "and"] + ["ab"] * 48)
    assert F.check_text(short) == reject("mean word length 2.040 outside [3.0, 10.0]")
    ten = " ".join(["the", "and"] + ["abcdefghij"] * 47 + ["x" * 24])
    assert F.check_text(ten) is None  # (6 + 470 + 24) / 50 = 10.0
    over = " ".join(["the", "and"] + ["abcdefghij"] * 47 + ["x" * 25])
    assert F.check_text(over) == reject("mean word length 10.020 outside [3.0, 10.0]")


def test_hash_ratio():
    assert F.check_text(text(50, ["#tagx"] * 5)) is None  # 5 / 50 = 0.1
    assert F.check_text(text(50, ["#tagx"] * 6)) == reject("hash-to-word ratio 0.120 > 0.1")


def test_ellipsis_ratio():
    body = text(50, ["wordy..."] * 5) + " end"
    assert F.check_text(body) is None  # 5 / 51
    assert F.check_text(text(50, ["wordy..."] * 6) + " end") == reject("ellipsis-to-word ratio 0.118 > 0.1")
    assert F.check_text(text(50, ["wordy\u2026"] * 6) + " end") == reject(
        "ellipsis-to-word ratio 0.118 > 0.1"
    )


def lines(n_lines, prefix_count, prefix="", suffix_count=0, suffix=""):
    words = ["the", "and", *filler(48)]
    out = []
    for i in range(n_lines):
        line = " ".join(words[i * 5 : i * 5 + 5])
        if i < prefix_count:
            line = prefix + line
        if i < suffix_count:
            line = line + suffix
        out.append(line)
    return "\n".join(out)


def test_bullet_lines():
    assert F.check_text(lines(10, 9, "\u2022 ")) is None  # 0.9
    assert F.check_text(lines(10, 10, "\u2022 ")) == reject("bullet-line fraction 1.000 > 0.9")
    assert F.check_text(lines(10, 10, "- ")) == reject("bullet-line fraction 1.000 > 0.9")


def test_ellipsis_lines():
    assert F.check_text(lines(10, 0, suffix_count=3, suffix="...")) is None  # 0.3
    assert F.check_text(lines(10, 0, suffix_count=4, suffix="...")) == reject(
        "ellipsis-line fraction 0.400 > 0.3"
    )


def test_alphabetic_words():
    assert F.check_text(text(60, ["1234"] * 12)) is None  # 48 / 60 = 0.8
    assert F.check_text(text(60, ["1234"] * 13)) == reject("alphabetic-word fraction 0.783 < 0.8")


def test_stop_words_are_distinct():
    only_the = " ".join(["the"] * 10 + filler(40))
    assert F.check_text(only_the) == reject("1 distinct stop words < 2")
    assert F.check_text(" ".join(["The", "with"] + filler(48))) is None


@pytest.mark.parametrize("level", ["document", "paragraph"])
def test_level_is_validated(level):
    assert TextQualityFilter(level=level).level == level
    with pytest.raises(ValueError, match="level must be one of"):
        TextQualityFilter(level="sentence")
