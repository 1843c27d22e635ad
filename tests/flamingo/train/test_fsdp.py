"""FSDP2 through torchrun: two CPU processes (gloo) shard the model and do DDP's maths.

One FSDP run stops after 2 steps and resumes to 4; it must end where a straight 4-step DDP run
ends (constant LR after a 1-step warmup, so the schedule does not depend on num_steps). That
checks at once: the sharded maths (accumulation over two datasets, one clip), the rank-0 full
checkpoint in the single-process format, and the exact resume of AdamW's sharded state.
"""

from __future__ import annotations

import os
import subprocess
import sys

import torch
import yaml
from safetensors.torch import load_file

from flamingo.model.flamingo import Flamingo
from flamingo.model.trainable_checkpoint import trainable_tensors
from flamingo.train.checkpoint import load_model
from tests.flamingo.shardmaker import write_pair_shards


def _torchrun(tmp_path, config: dict, *overrides: str) -> subprocess.CompletedProcess:
    path = tmp_path / f"{config['strategy']}.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "flamingo.train",
            "--config",
            str(path),
            *overrides,
        ],
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def test_fsdp_resumed_run_equals_ddp_and_saves_single_process_format(tmp_path):
    pairs = write_pair_shards(tmp_path / "data", 2, 8)  # one shard per rank
    base = {
        "model_preset": "tiny",
        "learning_rate": 1e-3,
        "warmup_steps": 1,
        "min_lr_ratio": 1.0,
        "progress": False,
        "seed": 3,
        # Two datasets: each step accumulates both before its one reduction.
        "datasets": [
            {"name": "a", "kind": "pairs", "urls": pairs, "weight": 1.0, "batch_size": 2},
            {"name": "b", "kind": "pairs", "urls": pairs, "weight": 0.5, "batch_size": 2},
        ],
    }
    fsdp = {**base, "output_dir": str(tmp_path / "fsdp"), "strategy": "fsdp", "num_steps": 2}
    first = _torchrun(tmp_path, fsdp)
    assert first.stderr.count("FSDP: sharded") == 2 and first.stderr.count("trained 2 steps") == 2
    resumed = _torchrun(tmp_path, fsdp, "num_steps=4")
    assert resumed.stderr.count("at step 2") == 2 and resumed.stderr.count("trained 4 steps") == 2
    ddp = _torchrun(
        tmp_path, {**base, "output_dir": str(tmp_path / "ddp"), "strategy": "ddp", "num_steps": 4}
    )
    assert "FSDP" not in ddp.stderr and ddp.stderr.count("trained 4 steps") == 2

    # Rank 0's FSDP checkpoint is a whole single-process checkpoint: it loads into a fresh model.
    model = load_model(str(tmp_path / "fsdp" / "checkpoint-rank0"))
    sharded = trainable_tensors(model)
    reference = load_file(str(tmp_path / "ddp" / "checkpoint-rank0" / "trainable.safetensors"))
    initial = trainable_tensors(Flamingo(model.config))
    assert sharded.keys() == reference.keys() == initial.keys()
    for name, tensor in reference.items():  # the same maths up to summation order
        torch.testing.assert_close(sharded[name], tensor, rtol=1e-4, atol=1e-5, msg=name)
    assert sum(not torch.equal(initial[n], t) for n, t in reference.items()) > len(reference) // 2
