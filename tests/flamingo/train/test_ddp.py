"""DDP through torchrun: two CPU processes (gloo) train in lockstep on disjoint shards."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml
from safetensors.torch import load_file

from tests.flamingo.shardmaker import write_pair_shards


def test_torchrun_two_processes_keep_replicas_identical(tmp_path):
    pairs = write_pair_shards(tmp_path, 2, 8)  # one shard per rank
    config = {
        "output_dir": str(tmp_path / "out"),
        "model_preset": "tiny",
        "num_steps": 3,
        "learning_rate": 1e-3,
        "warmup_steps": 1,
        "progress": False,
        "seed": 3,
        "datasets": [{"name": "pairs", "kind": "pairs", "urls": pairs, "weight": 1.0, "batch_size": 2}],
    }
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
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
            str(tmp_path / "cfg.yaml"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stderr.count("trained 3 steps") == 2
    ranks = [
        load_file(str(tmp_path / "out" / f"checkpoint-rank{r}" / "trainable.safetensors")) for r in (0, 1)
    ]
    assert ranks[0].keys() == ranks[1].keys()
    for name, tensor in ranks[0].items():  # gradients were all-reduced: the replicas never drift
        assert (tensor == ranks[1][name]).all(), name
