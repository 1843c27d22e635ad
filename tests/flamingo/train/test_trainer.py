"""The trainer: the paper's weighted objective, two CPU steps, exact checkpoint/resume."""

from __future__ import annotations

import math

import pytest
import torch

from flamingo.model.trainable_checkpoint import trainable_tensors
from flamingo.train.checkpoint import load_model
from flamingo.train.config import TrainConfig, load_train_config
from flamingo.train.schedule import lr_factor
from flamingo.train.trainer import train
from tests.flamingo.shardmaker import m3w_sample, one_thread, write_pair_shards, write_tar


def trainable_state(model):
    return {name: t.clone() for name, t in trainable_tensors(model).items()}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = one_thread()
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    pairs = write_pair_shards(d, 2, 8)
    m3w = str(write_tar(d / "m3w-00000.tar", [m3w_sample(i) for i in range(6)]))
    return pairs, m3w


def _cfg(out, shards, **kw) -> TrainConfig:
    pairs, m3w = shards
    base = dict(
        output_dir=str(out),
        num_steps=4,
        learning_rate=1e-3,
        warmup_steps=1,
        progress=False,
        seed=3,
        datasets=[
            {
                "name": "pairs",
                "kind": "pairs",
                "urls": pairs,
                "weight": 1.0,
                "batch_size": 4,
                "shuffle_buffer": 4,
            },
            {"name": "m3w", "kind": "m3w", "urls": m3w, "weight": 0.5, "batch_size": 2},
        ],
    )
    base.update(kw)
    return TrainConfig(**base)


def test_two_steps_log_each_dataset_and_update_only_trainables(tmp_path, shards):
    from flamingo import Flamingo

    cfg = _cfg(tmp_path, shards, num_steps=2)
    model = Flamingo(__import__("flamingo").FlamingoConfig.preset("tiny"))
    frozen_before = {n: p.clone() for n, p in model.named_parameters() if not p.requires_grad}
    trainable_before = trainable_state(model)
    result = train(cfg, model=model)
    assert result.steps == 2 and len(result.history) == 2
    row = result.history[-1]
    assert math.isclose(row["loss"], row["loss/pairs"] + 0.5 * row["loss/m3w"], rel_tol=1e-6)
    assert row["tokens_per_s"] > 0
    for name, p in model.named_parameters():
        if not p.requires_grad:
            assert torch.equal(p, frozen_before[name]), name
    assert any(not torch.equal(v, trainable_before[k]) for k, v in trainable_state(model).items())


def test_resume_is_exact(tmp_path, shards):
    from flamingo import Flamingo, FlamingoConfig

    straight = Flamingo(FlamingoConfig.preset("tiny"))
    a = train(_cfg(tmp_path / "a", shards), model=straight)
    # Two steps, stop (a checkpoint is written), then a fresh model and process state resume.
    first = Flamingo(FlamingoConfig.preset("tiny"))
    train(_cfg(tmp_path / "b", shards), model=first, stop_after=2)
    torch.manual_seed(12345)  # disturb the global RNG: the checkpoint must restore it
    second = Flamingo(FlamingoConfig.preset("tiny"))
    b = train(_cfg(tmp_path / "b", shards), model=second)
    assert [r["loss"] for r in b.history] == [r["loss"] for r in a.history]
    sa, sb = trainable_state(straight), trainable_state(second)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    reloaded = load_model(b.checkpoint_dir)
    sr = trainable_state(reloaded)
    assert all(torch.equal(sa[k], sr[k]) for k in sa)


def test_a_crafted_state_pt_is_refused_not_run(tmp_path, shards):
    """Resuming reads state.pt with weights_only=True: a pickle that names code is refused, and the
    code never runs (issue 16, item 8)."""
    import pickle

    from flamingo import Flamingo, FlamingoConfig
    from flamingo.train.checkpoint import STATE_NAME, UnsafeCheckpointError

    cfg = _cfg(tmp_path / "c", shards)
    train(cfg, model=Flamingo(FlamingoConfig.preset("tiny")), stop_after=1)
    marker = tmp_path / "owned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    state = next((tmp_path / "c").rglob(STATE_NAME))
    state.write_bytes(pickle.dumps({"step": 1, "evil": Payload()}))
    with pytest.raises(UnsafeCheckpointError, match="other than tensors and plain data"):
        train(cfg, model=Flamingo(FlamingoConfig.preset("tiny")))
    assert not marker.exists()


def test_schedule_warms_up_then_decays_to_the_floor():
    f = [lr_factor(s, warmup_steps=4, total_steps=20, min_ratio=0.1) for s in range(21)]
    assert f[:4] == [0.25, 0.5, 0.75, 1.0]
    assert all(a >= b for a, b in zip(f[3:], f[4:], strict=False))
    assert math.isclose(f[20], 0.1)


def test_yaml_config_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "output_dir: out\nnum_steps: 5\ndatasets:\n  - {name: p, kind: pairs, urls: a.tar}\n",
        encoding="utf-8",
    )
    cfg = load_train_config(str(path), ["num_steps=7", "datasets.0.batch_size=3", "learning_rate=3e-4"])
    assert (cfg.num_steps, cfg.datasets[0].batch_size, cfg.learning_rate) == (7, 3, 3e-4)
    with pytest.raises(ValueError, match="unknown field"):
        load_train_config(str(path), ["num_stepz=7"])
