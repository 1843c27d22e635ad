"""Parameter counts of a Flamingo config, computed on the meta device (no weights allocated).

    flamingo params --preset flamingo-9b
    {"lm": ..., "resampler": ..., "total": ..., "vision": ..., "xattn": ...}

The paper's table (Flamingo-3B / 9B / 80B): xattn 1.2B / 1.6B / 10B, resampler 194M,
frozen LM 1.4B / 7.1B / 70B, vision 435M (NFNet-F6; our presets use CLIP ViT-L/14, 304M).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import torch

from flamingo.model.config import PRESETS, FlamingoConfig

logger = logging.getLogger(__name__)


def count_parameters(config: FlamingoConfig) -> dict[str, int]:
    """Counts by part: `vision`, `resampler`, `xattn` (gated blocks), `lm` (frozen LM plus the
    added token rows), `total`. The model is built on the meta device, so an 80B config costs
    no memory; tied parameters are counted once."""
    from flamingo.model.flamingo import Flamingo

    with torch.device("meta"):
        model = Flamingo(config)
    counts = {"vision": 0, "resampler": 0, "xattn": 0, "lm": 0}
    for name, param in model.named_parameters():
        counts[_part_of(name)] += param.numel()
    counts["total"] = sum(counts.values())
    return counts


def _part_of(name: str) -> str:
    if name.startswith("vision."):
        return "vision"
    if name.startswith("resampler."):
        return "resampler"
    if ".xattn." in name:
        return "xattn"
    return "lm"


def main(argv: list[str] | None = None) -> int:
    """`flamingo params --preset NAME`: print the counts as JSON."""
    parser = argparse.ArgumentParser(prog="flamingo params", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", required=True, choices=sorted(PRESETS))
    args = parser.parse_args(argv)
    counts = count_parameters(FlamingoConfig.preset(args.preset))
    sys.stdout.write(json.dumps(counts, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
