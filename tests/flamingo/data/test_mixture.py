"""The mixture: per-dataset batches every step (paper), or weighted draws; exact resume."""

from __future__ import annotations

import collections

import pytest

from flamingo.data import Mixture, make_loader
from tests.flamingo.shardmaker import m3w_sample, tiny_tokenizer, write_pair_shards, write_tar


@pytest.fixture(scope="module")
def loaders_factory(tmp_path_factory):
    d = tmp_path_factory.mktemp("mix")
    tok = tiny_tokenizer()
    pairs = write_pair_shards(d, 2, 6)
    m3w = str(write_tar(d / "m3w-00000.tar", [m3w_sample(i) for i in range(5)]))

    def make():
        return {
            "pairs": make_loader(pairs, kind="pairs", tokenizer=tok, image_size=16, batch_size=4, seed=1),
            "m3w": make_loader(m3w, kind="m3w", tokenizer=tok, image_size=16, batch_size=2, seed=1),
        }

    return make


def test_accumulate_mode_gives_every_dataset_every_step(loaders_factory):
    mix = Mixture(loaders_factory(), {"pairs": 1.0, "m3w": 0.5})
    for _ in range(5):
        step = next(mix)
        assert set(step) == {"pairs", "m3w"}
        assert len(step["pairs"]["keys"]) == 4 and len(step["m3w"]["keys"]) == 2


def test_sample_mode_draws_datasets_in_proportion_to_weights(loaders_factory):
    mix = Mixture(loaders_factory(), {"pairs": 3.0, "m3w": 1.0}, mode="sample", seed=0)
    counts = collections.Counter(name for _ in range(400) for name in next(mix))
    assert sum(counts.values()) == 400
    # Binomial(400, 0.75): sd ~8.7; 4 sd bounds.
    assert 300 - 35 <= counts["pairs"] <= 300 + 35


def test_mixture_resume_continues_every_dataset_exactly(loaders_factory):
    straight = Mixture(loaders_factory(), {"pairs": 1.0, "m3w": 1.0})
    expected = [{n: b["keys"] for n, b in next(straight).items()} for _ in range(7)]
    first = Mixture(loaders_factory(), {"pairs": 1.0, "m3w": 1.0})
    got = [{n: b["keys"] for n, b in next(first).items()} for _ in range(3)]
    state = first.state_dict()
    second = Mixture(loaders_factory(), {"pairs": 1.0, "m3w": 1.0})
    second.load_state_dict(state)
    got += [{n: b["keys"] for n, b in next(second).items()} for _ in range(4)]
    assert got == expected


def test_bad_weights_are_refused(loaders_factory):
    with pytest.raises(ValueError, match="do not match"):
        Mixture(loaders_factory(), {"pairs": 1.0})
    with pytest.raises(ValueError, match="positive sum"):
        Mixture(loaders_factory(), {"pairs": 0.0, "m3w": -1.0})
