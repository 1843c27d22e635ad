"""The trainer's config: typed dataclasses, a YAML file, and `key=value` overrides on top.

    flamingo train --config configs/tiny-demo.yaml num_steps=50 datasets.0.batch_size=4

Override values are parsed as YAML (`lr=3e-4`, `progress=false`, `datasets.1.urls=[a.tar,b.tar]`);
dotted paths go into nested dicts and lists (list items by index), as for the build jobs'
configs (schemas/config.py). The resolved config is written next to the checkpoints.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from schemas.config import build_config, load_yaml

# The multi-process strategies flamingo/train/distributed.py implements (defined here: this
# module is torch-free).
STRATEGIES = ("ddp", "fsdp")


@dataclass(kw_only=True)
class DatasetConfig:
    name: str
    kind: str  # pairs | m3w | videos
    urls: str | list[str]
    weight: float = 1.0  # λ_m in the paper's objective
    batch_size: int = 8
    max_length: int = 256  # tokens (paper: 256 for M3W, 32 for pairs, 32 for videos)
    template: str = "{caption}"  # text around a pair/video caption, e.g. "Output: {caption}"
    shuffle_buffer: int = 0
    num_workers: int = 0
    split: str = "auto"
    pack: int = 1  # pairs/videos joined per sequence; the demo packs pairs to mimic M3W's interleaving
    options: dict[str, Any] = field(default_factory=dict)  # pipeline extras: max_images, p_next, num_frames


@dataclass(kw_only=True)
class TrainConfig:
    output_dir: str
    datasets: list[DatasetConfig]
    num_steps: int
    model_preset: str = "tiny"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    learning_rate: float = 1e-4  # paper: 1e-4 (AdamW)
    weight_decay: float = 0.1  # paper: 0.1 on the Perceiver Resampler and xattn blocks
    beta1: float = 0.9
    beta2: float = 0.999
    warmup_steps: int = 0
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0  # global norm, once per step, after accumulating every dataset
    mixture: str = "accumulate"  # the paper's; "sample" draws one dataset per step by weight
    seed: int = 0
    log_every: int = 10
    checkpoint_every: int = 0  # steps; 0: only at the end
    resume: bool = True  # continue from output_dir/checkpoint when it exists
    device: str = "auto"  # auto: cuda when available, else cpu
    precision: str = "auto"  # auto: bf16 autocast on cuda, fp32 on cpu; or fp32 / bf16
    progress: bool = True
    strategy: str = (
        "ddp"  # under torchrun (WORLD_SIZE > 1): ddp | fsdp (FSDP2, see flamingo/train/distributed.py)
    )

    def __post_init__(self) -> None:
        self.datasets = [
            d if isinstance(d, DatasetConfig) else build_config(DatasetConfig, d) for d in self.datasets
        ]
        if not self.datasets:
            raise ValueError("TrainConfig.datasets is empty; name at least one dataset of shards")
        names = [d.name for d in self.datasets]
        if len(set(names)) != len(names):
            raise ValueError(f"dataset names must be unique, got {names}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {self.num_steps}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_train_config(path: str | None, overrides: list[str] = ()) -> TrainConfig:
    return build_config(TrainConfig, load_yaml(path), overrides=list(overrides))
