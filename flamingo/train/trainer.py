"""Training Flamingo on shards: the paper's objective, resumable, one process or `torchrun`.

    flamingo train --config configs/tiny-demo.yaml [key=value ...]
    torchrun --nproc_per_node 8 -m flamingo.train.trainer --config configs/flamingo-3b.yaml [strategy=fsdp]

Under torchrun, `strategy` picks DDP (default) or FSDP2 sharding (flamingo/train/distributed.py).

Each optimizer step (paper, "Training on a mixture of vision and language datasets"):
    loss = Σ_m λ_m · mean NLL_m(batch_m),   gradients accumulated over every dataset m,
then one global-norm clip, one AdamW step, one scheduler step. Losses are per-token means over
the targets of each dataset's batch (labels != -100, see flamingo/data/tokens.py).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from flamingo.data import Mixture, make_loader
from flamingo.train.checkpoint import set_rng_state
from flamingo.train.config import TrainConfig, load_train_config
from flamingo.train.distributed import Parallel
from flamingo.train.schedule import warmup_cosine

log = logging.getLogger(__name__)
CHECKPOINT = "checkpoint"


@dataclass
class TrainResult:
    steps: int
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per step
    data_errors: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    checkpoint_dir: str = ""


def build_model(cfg: TrainConfig):
    from flamingo.model.config import FlamingoConfig
    from flamingo.model.flamingo import Flamingo

    return Flamingo(FlamingoConfig.preset(cfg.model_preset, **cfg.model_overrides))


def build_mixture(cfg: TrainConfig, model, *, num_nodes: int = 1, node_rank: int = 0) -> Mixture:
    loaders = {
        d.name: make_loader(
            d.urls,
            kind=d.kind,
            model=model,
            batch_size=d.batch_size,
            max_length=d.max_length,
            template=d.template,
            num_workers=d.num_workers,
            seed=cfg.seed,
            split=d.split,
            shuffle_buffer=d.shuffle_buffer,
            num_nodes=num_nodes,
            node_rank=node_rank,
            pack=d.pack,
            **d.options,
        )
        for d in cfg.datasets
    }
    return Mixture(loaders, {d.name: d.weight for d in cfg.datasets}, mode=cfg.mixture, seed=cfg.seed)


def build_optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    # Decay matrices only; gates, norms, biases, latents' offsets keep their scale.
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, betas=(cfg.beta1, cfg.beta2))


def _device(cfg: TrainConfig) -> torch.device:
    if cfg.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(cfg.device)


def _autocast(cfg: TrainConfig, device: torch.device):
    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and device.type == "cuda")
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _to(batch: dict, device: torch.device) -> dict:
    return {k: (v.to(device, non_blocking=True) if torch.is_tensor(v) else v) for k, v in batch.items()}


def train(cfg: TrainConfig, *, model=None, stop_after: int | None = None) -> TrainResult:
    """Run (or resume) training; `stop_after` ends this call early (tests of resume use it)."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = torch.distributed.get_rank() if distributed else 0
    world = torch.distributed.get_world_size() if distributed else 1
    device = _device(cfg)
    if device.type == "cuda" and distributed:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    _seed_everything(cfg.seed + rank)
    model = model if model is not None else build_model(cfg)
    model.to(device)
    model.train()
    mixture = build_mixture(cfg, model, num_nodes=world, node_rank=rank)
    parallel = Parallel(cfg.strategy, rank=rank, world=world)
    ckpt_dir = os.path.join(cfg.output_dir, CHECKPOINT if world == 1 else f"{CHECKPOINT}-rank{rank}")
    # Weights load into the whole model; FSDP then shards it, and the optimizer is built on the shards.
    rank0_dir = os.path.join(cfg.output_dir, f"{CHECKPOINT}-rank0")
    state = parallel.restore_weights(ckpt_dir, model, rank0_directory=rank0_dir) if cfg.resume else None
    wrapped = parallel.wrap(model)
    optimizer = build_optimizer(cfg, model)
    scheduler = warmup_cosine(
        optimizer, warmup_steps=cfg.warmup_steps, total_steps=cfg.num_steps, min_ratio=cfg.min_lr_ratio
    )
    history: list[dict[str, Any]] = []
    step = 0
    if state is not None:
        parallel.restore_optimizer(model, optimizer, state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        mixture.load_state_dict(state["mixture"])
        set_rng_state(state["rng"])
        step, history = state["step"], state["history"]
        log.info("resumed from %s at step %d", ckpt_dir, step)
    params = [p for p in model.parameters() if p.requires_grad]
    weights = {d.name: (d.weight if cfg.mixture == "accumulate" else 1.0) for d in cfg.datasets}

    def checkpoint() -> None:
        state = {
            "scheduler": scheduler.state_dict(),
            "mixture": mixture.state_dict(),
            "step": step,
            "history": history,
            "config": cfg.to_dict(),
        }
        parallel.save(ckpt_dir, model, optimizer, state)

    bar = None
    if cfg.progress and rank == 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.num_steps, initial=step, desc="train", unit="step")
    start, calls = time.perf_counter(), 0
    while step < cfg.num_steps and (stop_after is None or calls < stop_after):
        t0 = time.perf_counter()
        batches = next(mixture)
        optimizer.zero_grad(set_to_none=True)
        row: dict[str, Any] = {"step": step + 1, "lr": scheduler.get_last_lr()[0]}
        tokens = 0
        for i, (name, batch) in enumerate(batches.items()):
            batch = _to(batch, device)
            # DDP/FSDP: reduce gradients once, on the last dataset's backward.
            with parallel.sync(wrapped, i == len(batches) - 1), _autocast(cfg, device):
                out = wrapped(
                    batch["input_ids"],
                    batch["media"],
                    attention_mask=batch["attention_mask"],
                    labels=batch["labels"],
                    media_mask=batch["media_mask"],
                )
                (weights[name] * out.loss).backward()
            row[f"loss/{name}"] = float(out.loss.detach())
            tokens += int(batch["attention_mask"].sum())
        row["grad_norm"] = parallel.clip(params, cfg.grad_clip)
        optimizer.step()
        scheduler.step()
        step, calls = step + 1, calls + 1
        row["loss"] = sum(weights[n] * row[f"loss/{n}"] for n in batches)
        row["tokens_per_s"] = tokens * world / max(time.perf_counter() - t0, 1e-9)
        history.append(row)
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in row.items() if k.startswith("loss/")})
        if step % max(1, cfg.log_every) == 0 or step == cfg.num_steps:
            log.info("step %d %s", step, " ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "step"))
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
            checkpoint()
    if bar is not None:
        bar.close()
    checkpoint()
    errors = mixture.errors()
    if any(errors.values()):
        log.warning("data errors (samples skipped) by dataset: %s", errors)
    return TrainResult(
        steps=step,
        history=history,
        data_errors=errors,
        seconds=time.perf_counter() - start,
        checkpoint_dir=ckpt_dir,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flamingo train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="YAML train config (see configs/)")
    parser.add_argument(
        "overrides", nargs="*", help="key=value overrides, e.g. num_steps=10 datasets.0.batch_size=4"
    )
    args = parser.parse_args(argv)
    cfg = load_train_config(args.config, args.overrides)
    os.makedirs(cfg.output_dir, exist_ok=True)
    import yaml

    with open(os.path.join(cfg.output_dir, "train_config.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(cfg.to_dict(), f, sort_keys=False)
    result = train(cfg)
    last = result.history[-1] if result.history else {}
    log.info(
        "trained %d steps in %.1f s; last loss %.4f; checkpoint %s",
        result.steps,
        result.seconds,
        last.get("loss", float("nan")),
        result.checkpoint_dir,
    )
    return 0
