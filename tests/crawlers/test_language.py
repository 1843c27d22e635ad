"""The vectorised language scorer gives py3langid's own answers, bit for bit."""

from __future__ import annotations

import random

import pytest

from crawlers import language

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank, while children watched.",
    "Der Hund läuft schnell über die Straße und bellt laut im Garten.",
    "Le chat dort sur le canapé pendant que la pluie tombe doucement sur la ville.",
    "ЭТО ТЕКСТ НА РУССКОМ ЯЗЫКЕ, НАПИСАННЫЙ ЗАГЛАВНЫМИ БУКВАМИ",
    "日本語のテキストです。東京は日本の首都です。",
    "", "a", "ab", ",d", "   \n\t ", "x" * 1000, "é" * 7,
]


def _random_texts(n: int) -> list[str]:
    rng = random.Random(7)
    alphabet = "abcdefghij klmnopé ñ漢字йж\n.,'"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 1200))) for _ in range(n)]


@pytest.mark.parametrize("text", TEXTS + _random_texts(40))
def test_fast_classify_equals_py3langid(text):
    lang, prob = language._identifier().classify(text)
    assert language.classify(text) == (str(lang), float(prob))


def test_automaton_depth_bounds_every_state():
    fast = language._automaton()
    assert fast is not None and fast.depth >= 4  # 6 for the shipped model: byte n-grams and more


def test_guess_language_thresholds():
    assert language.guess_language("Hi there") == ("und", 0.0)
    lang, prob = language.guess_language(TEXTS[0] * 30)
    assert lang == "en" and 0.9 < prob <= 1.0


def test_capped_guess_equals_the_1000_character_guess():
    """MAX_CHARS was lowered from 1000 on this set: every guess must stay the same."""
    from tests.crawlers.multilingual_texts import multilingual_documents

    docs = multilingual_documents(seed=0, per_language=8) + multilingual_documents(seed=1, per_language=8)
    assert language.MAX_CHARS <= 500 and all(len(text) > language.MAX_CHARS for _, text in docs)
    flipped = [(kind, language.guess_language(text)[0], language.guess_language(text[:1000])[0])
               for kind, text in docs]
    flipped = [f for f in flipped if f[1] != f[2]]
    assert flipped == []


def test_letter_count_threshold_is_exact():
    assert language.guess_language("a" * (language.MIN_LETTERS - 1) + " 123 !!")[0] == "und"
    assert language.guess_language("1 2 3 " + "é" * language.MIN_LETTERS)[0] != "und"
