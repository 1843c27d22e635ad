"""FlamingoConfig: the single source of truth for a Flamingo model's shape.

The base models are described either by a local directory / hub name (`lm_path`,
`vision_path`: pretrained weights; a hub name loads from the local cache, and from the Hub
unless HF_HUB_OFFLINE is set: flamingo/model/hub.py)
or by a Hugging Face config dict (`lm_config`, `vision_config`: random weights, built from
`init_seed`, used by the presets and tests). The added parts (resampler, cross-attention)
are always described by the fields below.

Presets (`FlamingoConfig.preset(name)`):
- "tiny": CLIP-style vision tower on 32x32 images and a 2-layer GPT-2, ~0.3M parameters;
  a training step takes milliseconds on one CPU core. `flamingo params --preset tiny`.
- "flamingo-3b" / "flamingo-9b" / "flamingo-80b": the shapes of the paper's model table
  (resampler 6 layers, D=1536, 16 heads; xattn every 1st / 4th / 7th LM layer). Meant for
  `count_parameters` (meta device) and for GPU runs; see the notes at `_PAPER_PRESETS`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

# Words of the synthetic captions the demo trains on ("a red circle on a blue background"):
# the tiny word-level tokenizer is built from this text when no tokenizer is given.
DEFAULT_TINY_CORPUS: tuple[str, ...] = (
    "a an the this that is are of on in at to and with next above below left right of it",
    "red green blue yellow orange purple white black gray pink brown cyan magenta",
    "circle square triangle rectangle star line dot shape shapes image picture photo video",
    "small large big tiny background foreground center corner top bottom one two three four",
    "question answer what color which where how many there . , ? : !",
)


@dataclass(kw_only=True)
class FlamingoConfig:
    """Shapes of the frozen base models and of the trainable Flamingo parts.

    Exactly one of `lm_path` / `lm_config` and one of `vision_path` / `vision_config` is set.
    `lm_config` / `vision_config` are `{"model_type": ..., **kwargs}` dicts for
    `transformers.AutoConfig.for_model`; an `lm_config` without `vocab_size` gets the
    tokenizer's size.
    """

    lm_path: str | None = None
    lm_config: dict[str, Any] | None = None
    vision_path: str | None = None
    vision_config: dict[str, Any] | None = None
    # Tokenizer: a directory / hub name; default: `lm_path`'s tokenizer, or a tiny word-level
    # tokenizer built from `tokenizer_corpus` (see flamingo.model.tokenizer).
    tokenizer_path: str | None = None
    tokenizer_corpus: tuple[str, ...] = DEFAULT_TINY_CORPUS
    media_token: str = "<image>"
    eoc_token: str = "<|endofchunk|>"

    # Perceiver Resampler (paper table: L=6, D=1536, H=16, squared ReLU).
    resampler_depth: int = 6
    resampler_dim: int = 1536
    resampler_num_heads: int = 16
    resampler_dim_head: int = 128
    resampler_ff_mult: float = 4.0
    num_latents: int = 64  # R: visual tokens per image/video (paper: 64)
    max_num_frames: int = 8  # size of the learned time-embedding table (videos sampled at 1 FPS)

    # GATED XATTN-DENSE, inserted before decoder layers 0, k, 2k, ... (k = xattn_every).
    xattn_every: int = 1
    xattn_num_heads: int = 16
    xattn_dim_head: int = 128
    xattn_ff_mult: float = 4.0

    init_seed: int = 0  # random base models and the added parts are built from this seed
    attn_implementation: str = "sdpa"  # the LM's; "eager" and "sdpa" both work on CPU

    def __post_init__(self) -> None:
        if (self.lm_path is None) == (self.lm_config is None):
            raise ValueError("FlamingoConfig: set exactly one of lm_path (pretrained) or lm_config (random)")
        if (self.vision_path is None) == (self.vision_config is None):
            raise ValueError(
                "FlamingoConfig: set exactly one of vision_path (pretrained) or vision_config (random)"
            )
        for name in ("lm_config", "vision_config"):
            value = getattr(self, name)
            if value is not None and "model_type" not in value:
                raise ValueError(f"FlamingoConfig.{name} needs a 'model_type' key, got keys {sorted(value)}")
        if self.xattn_every < 1:
            raise ValueError(f"FlamingoConfig.xattn_every must be >= 1, got {self.xattn_every}")
        self.tokenizer_corpus = tuple(self.tokenizer_corpus)

    # -- serialisation (written next to checkpoints) -------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["tokenizer_corpus"] = list(self.tokenizer_corpus)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlamingoConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"FlamingoConfig: unknown fields {unknown}; valid fields: {sorted(known)}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FlamingoConfig:
        return cls.from_dict(json.loads(text))

    def replace(self, **changes: Any) -> FlamingoConfig:
        return dataclasses.replace(self, **changes)

    # -- presets ---------------------------------------------------------------------------
    @classmethod
    def preset(cls, name: str, **overrides: Any) -> FlamingoConfig:
        """A named preset ("tiny", "flamingo-3b", "flamingo-9b", "flamingo-80b"), with overrides."""
        if name not in PRESETS:
            raise ValueError(f"unknown Flamingo preset {name!r}; valid presets: {sorted(PRESETS)}")
        fields = copy.deepcopy(PRESETS[name])
        fields.update(overrides)
        return cls(**fields)


_TINY = dict(
    lm_config=dict(
        model_type="gpt2",
        n_layer=2,
        n_embd=64,
        n_head=4,
        n_positions=256,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    ),
    vision_config=dict(
        model_type="clip_vision_model",
        image_size=32,
        patch_size=8,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
    ),
    resampler_depth=2,
    resampler_dim=64,
    resampler_num_heads=4,
    resampler_dim_head=16,
    resampler_ff_mult=2.0,
    num_latents=8,
    max_num_frames=4,
    xattn_every=1,
    xattn_num_heads=4,
    xattn_dim_head=16,
    xattn_ff_mult=2.0,
)

# The paper's table gives L, D, H and the activation of each part, not the attention head
# width nor the FFW width. We use head width D/H = 128 (the LM rows of the table imply it) and
# fit the FFW multipliers so the counts land on the table's rounded values (xattn 1.2B / 1.6B /
# 10B, resampler 194M, LM 1.4B / 7.1B / 70B); tests/flamingo/test_params.py checks them.
# The frozen LMs (Chinchilla family, relative positions) are not public: a GPT-NeoX LM of the
# table's L/D/H with GeLU, a 32k vocabulary and rotary positions stands in. The vision encoder
# (NFNet-F6, 435M, unreleased) is replaced by CLIP ViT-L/14 (304M), the paper's ablation (x).
_CLIP_L14 = dict(
    model_type="clip_vision_model",
    image_size=224,
    patch_size=14,
    hidden_size=1024,
    intermediate_size=4096,
    num_hidden_layers=24,
    num_attention_heads=16,
)


def _paper_lm(num_layers: int, dim: int, num_heads: int, intermediate_size: int) -> dict[str, Any]:
    return dict(
        model_type="gpt_neox",
        num_hidden_layers=num_layers,
        hidden_size=dim,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        hidden_act="gelu",
        vocab_size=32000,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
    )


def _paper_preset(*, lm: dict[str, Any], every: int, heads: int, ff_mult: float) -> dict[str, Any]:
    return dict(
        lm_config=lm,
        vision_config=_CLIP_L14,
        resampler_depth=6,
        resampler_dim=1536,
        resampler_num_heads=16,
        resampler_dim_head=128,
        resampler_ff_mult=4.0,
        num_latents=64,
        max_num_frames=8,
        xattn_every=every,
        xattn_num_heads=heads,
        xattn_dim_head=128,
        xattn_ff_mult=ff_mult,
    )


PRESETS: dict[str, dict[str, Any]] = {
    "tiny": _TINY,
    "flamingo-3b": _paper_preset(lm=_paper_lm(24, 2048, 16, 8704), every=1, heads=16, ff_mult=4.25),
    "flamingo-9b": _paper_preset(lm=_paper_lm(40, 4096, 32, 12800), every=4, heads=32, ff_mult=3.5),
    "flamingo-80b": _paper_preset(lm=_paper_lm(80, 8192, 64, 36864), every=7, heads=64, ff_mult=5.0),
}
