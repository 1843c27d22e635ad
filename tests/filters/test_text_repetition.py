"""Gopher repetition rules at and past each threshold; other rules relaxed to isolate one."""

from filters import Reject, TextRepetitionFilter
from schemas import RejectReason

OFF = dict(
    max_dup_line_fraction=1.0,
    max_dup_paragraph_fraction=1.0,
    max_dup_line_char_fraction=1.0,
    max_dup_paragraph_char_fraction=1.0,
    max_top_ngram_char_fractions=(1.0, 1.0, 1.0),
    max_dup_ngram_char_fractions=(1.0,) * 6,
)


def only(**rule):
    return TextRepetitionFilter(**{**OFF, **rule})


def words(n, start=0):
    return [f"w{i:04d}" for i in range(start, start + n)]  # distinct 5-character words


def reject(detail):
    return Reject(RejectReason.TEXT_REPETITION, detail)


def test_duplicate_line_fraction():
    unique = [" ".join(words(8, i * 8)) for i in range(6)]
    f = only(max_dup_line_fraction=0.3)
    assert f.check_text("\n".join(unique + ["ok"] * 4)) is None  # 3 of 10
    assert f.check_text("\n".join(unique + ["ok"] * 5)) == reject("duplicate line fraction 0.364 > 0.3")


def test_duplicate_line_char_fraction():
    base = [" ".join(words(4, i * 4)) for i in range(8)]
    f = only(max_dup_line_char_fraction=0.2)
    assert f.check_text("\n".join(base + base[:2])) is None  # 2 of 10 equal-length lines
    assert f.check_text("\n".join(base[:7] + base[:3])) == reject(
        "duplicate line character fraction 0.300 > 0.2"
    )


def test_duplicate_paragraph_rules():
    paras = [" ".join(words(4, i * 4)) for i in range(8)]
    f = only(max_dup_paragraph_fraction=0.3, max_dup_paragraph_char_fraction=0.2)
    assert f.check_text("\n\n".join(paras + paras[:2])) is None
    assert f.check_text("\n\n".join(paras[:7] + paras[:3])) == reject(
        "duplicate paragraph character fraction 0.300 > 0.2"
    )
    g = only(max_dup_paragraph_fraction=0.3)
    assert g.check_text("\n\n".join(paras[:6] + paras[:4])) == reject(
        "duplicate paragraph fraction 0.400 > 0.3"
    )


def with_repeat(total_words, gram):
    """`total_words` 5-char words where the first `gram` words appear twice (non-adjacent)."""
    w = words(total_words - gram)
    return " ".join(w + w[:gram])


def test_top_2gram():
    f = only(max_top_ngram_char_fractions=(0.20, 1.0, 1.0))
    assert f.check_text(with_repeat(20, 2)) is None  # 2 x 10 / 100 = 0.2
    assert f.check_text(with_repeat(19, 2)) == reject("top 2-gram character fraction 0.211 > 0.2")


def test_top_3gram_and_4gram():
    f = only(max_top_ngram_char_fractions=(1.0, 0.18, 1.0))
    assert f.check_text(with_repeat(34, 3)) is None  # 30 / 170 = 0.176
    assert f.check_text(with_repeat(33, 3)) == reject("top 3-gram character fraction 0.182 > 0.18")
    g = only(max_top_ngram_char_fractions=(1.0, 1.0, 0.16))
    assert g.check_text(with_repeat(50, 4)) is None  # 40 / 250 = 0.16
    assert g.check_text(with_repeat(49, 4)) == reject("top 4-gram character fraction 0.163 > 0.16")


def test_duplicate_5gram_and_10gram():
    f = only(max_dup_ngram_char_fractions=(0.15, 1.0, 1.0, 1.0, 1.0, 1.0))
    assert f.check_text(with_repeat(67, 5)) is None  # 50 / 335 = 0.149
    assert f.check_text(with_repeat(66, 5)) == reject("duplicate 5-gram character fraction 0.152 > 0.15")
    g = only(max_dup_ngram_char_fractions=(1.0, 1.0, 1.0, 1.0, 1.0, 0.10))
    assert g.check_text(with_repeat(200, 10)) is None  # 100 / 1000 = 0.1
    assert g.check_text(with_repeat(199, 10)) == reject("duplicate 10-gram character fraction 0.101 > 0.1")


def test_defaults_keep_plain_prose_and_reject_spam():
    f = TextRepetitionFilter()
    assert f.check_text(" ".join(words(300))) is None
    assert f.check_text("buy now " * 50).reason == RejectReason.TEXT_REPETITION
