"""Data parallelism for the trainer under `torchrun`: one process, DDP, or FSDP2 (`fully_shard`).

    strategy: ddp    every rank holds the whole model; gradients all-reduced (the default)
    strategy: fsdp   parameters, gradients and AdamW state sharded across ranks (torch FSDP2)

FSDP shards the resampler, every GATED XATTN-DENSE block and - so a large frozen LM does not
sit whole on every GPU - each frozen LM decoder layer; the root group takes the rest (vision
tower, embeddings with the added token rows). FSDP2 tracks `requires_grad` per parameter, so
frozen and trainable parameters share a group and only the trainable ones get gradients.

The paper's accumulation over datasets keeps one gradient reduction per step on both paths:
DDP's `no_sync()`, FSDP2's `set_requires_gradient_sync(False)` for all but the last backward.

Checkpoints keep the single-process format (flamingo.model.trainable_checkpoint): under FSDP the
trainable tensors (only those: the frozen LM is never gathered) are all-gathered, rank 0 writes
`config.json` + `trainable.safetensors`; the AdamW state is gathered to rank 0 as a full state
dict (on rank 0's CPU: 2 fp32 tensors per trainable parameter) and scattered back on resume, so
FSDP resume is exact (same world size: loader positions and RNG are per rank, as under DDP).
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

import torch
from torch import nn

from flamingo.model.trainable_checkpoint import WEIGHTS_NAME, base_fingerprint, load_trainable
from flamingo.train.checkpoint import STATE_NAME, load_state
from flamingo.train.config import STRATEGIES

log = logging.getLogger(__name__)


class Parallel:
    """What the training loop needs from the strategy: wrap, sync, save, restore."""

    def __init__(self, strategy: str, *, rank: int, world: int) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        self.strategy = strategy if world > 1 else "single"
        self.rank, self.world = rank, world
        self.fingerprint = ""

    @property
    def fsdp(self) -> bool:
        return self.strategy == "fsdp"

    def wrap(self, model: nn.Module) -> nn.Module:
        """The module to call in the loop; FSDP shards `model` in place (the optimizer comes after)."""
        if self.strategy == "ddp":
            return nn.parallel.DistributedDataParallel(model)
        if self.fsdp:
            self.fingerprint = base_fingerprint(model)  # frozen weights: hash them while whole
            shard_flamingo(model)
        return model

    def sync(self, wrapped: nn.Module, last: bool):
        """Context for one dataset's backward: reduce gradients only on the step's last one."""
        if self.strategy == "ddp":
            return contextlib.nullcontext() if last else wrapped.no_sync()
        if self.fsdp:
            wrapped.set_requires_gradient_sync(last)
        return contextlib.nullcontext()

    def clip(self, params: list[nn.Parameter], max_norm: float) -> float:
        """One global-norm clip; on DTensor gradients the norm is reduced over the shards."""
        norm = nn.utils.clip_grad_norm_(params, max_norm)
        return float(norm.full_tensor() if hasattr(norm, "full_tensor") else norm)

    def save(
        self, directory: str, model: nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any]
    ) -> None:
        """Every rank calls this (FSDP gathers collectively); written to .tmp, then renamed."""
        from flamingo.train.checkpoint import save_checkpoint

        if not self.fsdp:
            save_checkpoint(directory, model=model, state={**state, "optimizer": optimizer.state_dict()})
            return
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

        weights = {}
        for name, param in model.named_parameters():
            if param.requires_grad:  # same order on every rank: one all-gather each
                full = param.detach().full_tensor()
                if self.rank == 0:
                    weights[name] = full.contiguous().cpu()
        optim = get_optimizer_state_dict(
            model, optimizer, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
        )
        # Loader positions and RNG are per rank; the weights and the optimizer's full state only
        # on rank 0 (the frozen weights' fingerprint was taken before sharding).
        save_checkpoint(
            directory,
            model=model,
            state={**state, "optimizer": optim if self.rank == 0 else {}},
            write_model=self.rank == 0,
            tensors=weights,
            fingerprint=self.fingerprint,
        )

    def restore_weights(
        self, directory: str, model: nn.Module, *, rank0_directory: str
    ) -> dict[str, Any] | None:
        """Before `wrap`: this rank's state, trainable weights loaded (FSDP: rank 0's, broadcast)."""
        path = os.path.join(directory, STATE_NAME)
        if not self.fsdp:
            if not os.path.exists(path):
                return None
            load_trainable(model, os.path.join(directory, WEIGHTS_NAME))
            return load_state(path)
        # Every rank must agree on resuming, or the collectives below would hang.
        found = torch.tensor([float(os.path.exists(path))])
        torch.distributed.all_reduce(found, op=torch.distributed.ReduceOp.MIN)
        if not found.item():
            return None
        if self.rank == 0:
            load_trainable(model, os.path.join(rank0_directory, WEIGHTS_NAME))
        for param in (p for p in model.parameters() if p.requires_grad):  # no shared FS needed
            torch.distributed.broadcast(param.data, src=0)
        return load_state(path)

    def restore_optimizer(
        self, model: nn.Module, optimizer: torch.optim.Optimizer, saved: dict[str, Any]
    ) -> None:
        """After `wrap` and building the optimizer."""
        if not self.fsdp:
            optimizer.load_state_dict(saved)
            return
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

        set_optimizer_state_dict(
            model, optimizer, saved, options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
        )


def shard_flamingo(model: nn.Module) -> None:
    """fully_shard the resampler, each gated block, each frozen decoder layer, then the root."""
    from torch.distributed.fsdp import fully_shard

    from flamingo.model.lm import XattnDecoderLayer, find_decoder_layers

    fully_shard(model.resampler)
    for layer in find_decoder_layers(model.lm):
        if isinstance(layer, XattnDecoderLayer):
            fully_shard(layer.xattn)
            fully_shard(layer.decoder_layer)
        else:
            fully_shard(layer)
    fully_shard(model)
    log.info(
        "FSDP: sharded %d parameters over %d ranks",
        sum(1 for _ in model.parameters()),
        torch.distributed.get_world_size(),
    )
