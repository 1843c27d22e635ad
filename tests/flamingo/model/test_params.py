"""Parameter counts on the meta device against the paper's model table."""

from __future__ import annotations

import json

import pytest

from flamingo import count_parameters
from flamingo.model.config import FlamingoConfig
from flamingo.model.params import main
from tests.flamingo.model_helpers import tiny_model

# Paper, model table: trainable GATED XATTN-DENSE and Resampler counts, frozen LM counts.
PAPER = {
    "flamingo-3b": dict(xattn=1.2e9, lm=1.4e9, every=1, blocks=24),
    "flamingo-9b": dict(xattn=1.6e9, lm=7.1e9, every=4, blocks=10),
    "flamingo-80b": dict(xattn=10e9, lm=70e9, every=7, blocks=12),
}
PAPER_RESAMPLER = 194e6


@pytest.mark.parametrize("name", sorted(PAPER))
def test_presets_match_the_paper_table(name):
    config = FlamingoConfig.preset(name)
    counts = count_parameters(config)
    paper = PAPER[name]
    assert abs(counts["xattn"] / paper["xattn"] - 1) <= 0.03, counts
    assert abs(counts["resampler"] / PAPER_RESAMPLER - 1) <= 0.05, counts
    assert abs(counts["lm"] / paper["lm"] - 1) <= 0.05, counts
    assert counts["total"] == counts["vision"] + counts["resampler"] + counts["xattn"] + counts["lm"]
    assert config.xattn_every == paper["every"]
    assert (config.resampler_depth, config.resampler_dim, config.resampler_num_heads) == (6, 1536, 16)
    num_layers = config.lm_config["num_hidden_layers"]
    assert len(range(0, num_layers, config.xattn_every)) == paper["blocks"]


def test_meta_count_equals_the_built_model():
    model = tiny_model()
    counts = count_parameters(FlamingoConfig.preset("tiny"))
    assert counts["total"] == sum(p.numel() for p in model.parameters())
    assert counts["resampler"] == sum(p.numel() for p in model.resampler.parameters())
    assert counts["vision"] == sum(p.numel() for p in model.vision.parameters())


def test_cli_prints_json(capsys):
    assert main(["--preset", "tiny"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"vision", "resampler", "xattn", "lm", "total"}
    assert printed == count_parameters(FlamingoConfig.preset("tiny"))


def test_unknown_preset_lists_valid_ones():
    with pytest.raises(ValueError, match="valid presets: .*flamingo-3b.*tiny"):
        FlamingoConfig.preset("flamingo-7b")
