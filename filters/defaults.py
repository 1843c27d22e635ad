"""The paper's default filter chains, per sample kind.

- document (M3W, paper appendix A.3.1): MassiveText text-quality and repetition rules and
  English-only (Gopher A.1.1) on the whole page; images under 64 px or with aspect ratio > 3,
  single-colour images and logo/icon URLs are removed from the page; pages left without an image
  are dropped (an interleaved page needs one).
- image (one M3W image slot or any image, when bytes are at hand): the same image rules plus
  allowed formats.
- pair (ALIGN/LTIP-style pairs): the paper's image rules (64 px, aspect ratio 3, single colour).
- video (VTP): duration, resolution and near-static rules.
The content-safety hook is off by default (see filters/safety.py).
"""

from __future__ import annotations

import copy

_IMAGE_RULES = [
    {"image_size": {"min_side": 64}},
    {"aspect_ratio": {"max_aspect_ratio": 3.0}},
    "single_colour",
]

DEFAULT_CHAINS: dict[str, list] = {
    "document": [
        "text_quality",
        "text_repetition",
        {"language": {"languages": ["en"]}},
        *_IMAGE_RULES,
        "logo_url",
        {"image_count": {"min_images": 1}},
    ],
    "image": ["image_format", *_IMAGE_RULES, "logo_url"],
    "pair": list(_IMAGE_RULES),
    "video": ["video_duration", "video_resolution", "video_static"],
}


def default_config(kind: str) -> list:
    """A fresh copy of the default chain config for `kind` (callers may edit it)."""
    if kind not in DEFAULT_CHAINS:
        raise ValueError(f"no default filter chain for kind {kind!r}; kinds: {', '.join(DEFAULT_CHAINS)}")
    return copy.deepcopy(DEFAULT_CHAINS[kind])
