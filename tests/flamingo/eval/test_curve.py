"""The shots curve: per-run accuracies, their mean and spread, the gain, merging runs."""

from __future__ import annotations

import pytest
import torch

from flamingo.eval.curve import ShotsCurve, _pool, merge_curves, shots_curve, spread
from flamingo.eval.fewshot import LabeledImage, evaluate
from tests.flamingo.shardmaker import one_thread, tiny_model


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = one_thread()
    yield
    torch.set_num_threads(before)


def test_mean_spread_and_gain_of_known_runs():
    curve = ShotsCurve(retrieval="rices", shots=[0, 2, 8], runs={0: [0.2, 0.4], 2: [0.3, 0.3], 8: [0.5, 0.9]})
    assert curve.mean() == {"0": 0.3, "2": 0.3, "8": 0.7}
    # Sample standard deviation: |a - b| / sqrt(2) for two runs.
    assert curve.spread() == {"0": round(0.2 / 2**0.5, 4), "2": 0.0, "8": round(0.4 / 2**0.5, 4)}
    # Gain per run: 0.5 - 0.2 = 0.3 and 0.9 - 0.4 = 0.5.
    assert curve.gain() == (0.4, round(0.2 / 2**0.5, 4))
    assert spread([0.7]) == 0.0


def test_merge_concatenates_runs_and_rejects_mismatched_curves():
    a = ShotsCurve(retrieval="random", shots=[0, 1], runs={0: [0.1], 1: [0.2]}, shuffled=[0.0], chance=0.5)
    b = ShotsCurve(retrieval="random", shots=[0, 1], runs={0: [0.3], 1: [0.6]}, shuffled=[0.5], chance=0.5)
    merged = merge_curves([a, b])
    assert merged.runs == {0: [0.1, 0.3], 1: [0.2, 0.6]} and merged.shuffled == [0.0, 0.5]
    assert merged.summary()["shuffled_images"] == {"shots": 1, "mean": 0.25, "spread": round(0.5 / 2**0.5, 4)}
    with pytest.raises(ValueError, match="same retrieval"):
        merge_curves([a, ShotsCurve(retrieval="rices", shots=[0, 1], runs={0: [0.1], 1: [0.1]})])


def _colour_squares(model) -> tuple[list[LabeledImage], list[LabeledImage]]:
    size = model.image_size
    values = (-1.0, -0.5, 0.0, 0.5, 1.0)
    words = ("red", "green", "blue", "black", "white")
    support = [
        LabeledImage(image=torch.full((3, size, size), v), answer=f"a {w} square", key=f"s{i}")
        for i, (v, w) in enumerate(zip(values, words, strict=True))
    ]
    queries = [
        LabeledImage(image=torch.full((3, size, size), v + 0.1), answer=f"a {w} square", key=f"q{i}")
        for i, (v, w) in enumerate(zip(values[:3], words[:3], strict=True))
    ]
    return support, queries


def test_shots_curve_runs_are_the_evaluations_of_each_seed_and_pool():
    model = tiny_model()
    support, queries = _colour_squares(model)
    curve = shots_curve(
        model, support, queries, shots=(2, 0), retrieval="random", seeds=(0, 1), support_fraction=0.8
    )
    assert curve.shots == [0, 2] and len(curve.runs[0]) == len(curve.runs[2]) == len(curve.shuffled) == 2
    for i, seed in enumerate((0, 1)):
        pool = _pool(support, 0.8, seed)
        assert len(pool) == 4  # round(5 * 0.8)
        for k in (0, 2):
            expected = evaluate(model, pool, queries, shots=k, retrieval="random", seed=seed).accuracy
            assert curve.runs[k][i] == expected
        shuffled = evaluate(model, pool, queries, shots=2, retrieval="random", seed=seed, shuffle_images=True)
        assert curve.shuffled[i] == shuffled.accuracy
    assert curve.chance == 1 / 3  # three distinct query captions are the candidates
    summary = curve.summary()
    assert summary["gain"]["from"] == 0 and summary["gain"]["to"] == 2
    assert set(summary["mean"]) == {"0", "2"}


def test_shots_curve_rejects_bad_arguments():
    with pytest.raises(ValueError, match="non-negative"):
        shots_curve(None, [], [], shots=(-1, 2))
    with pytest.raises(ValueError, match="at least one seed"):
        shots_curve(None, [], [], seeds=())
    with pytest.raises(ValueError, match="support_fraction"):
        shots_curve(None, [], [], support_fraction=0.0)
