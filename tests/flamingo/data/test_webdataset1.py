"""webdataset 1.x (the main environment's) reads every shard kind as our reader does, and the loader
opens `pipe:` URLs through its gopen."""

from __future__ import annotations

from importlib.metadata import version

import webdataset as wds

from flamingo.data import make_loader
from flamingo.data.tar_reader import iter_tar_samples
from tests.flamingo.shardmaker import m3w_sample, pair_sample, tiny_tokenizer, video_sample, write_tar


def test_the_environment_runs_webdataset_1():
    assert int(version("webdataset").split(".")[0]) >= 1


def test_webdataset_groups_every_shard_kind_as_our_reader_does(tmp_path):
    kinds = {
        "pairs": [pair_sample(i) for i in range(4)],
        "m3w": [m3w_sample(i, num_images=3) for i in range(3)],  # KEY.json + KEY.001.jpg ...
        "videos": [video_sample(i, num_frames=4) for i in range(3)],  # KEY.000.jpg ... KEY.003.jpg
    }
    for kind, samples in kinds.items():
        path = str(write_tar(tmp_path / f"{kind}-00000.tar", samples))
        theirs = [
            {k: v for k, v in s.items() if not k.startswith("__")}
            for s in wds.WebDataset(path, shardshuffle=False)
        ]
        ours = list(iter_tar_samples(path))
        assert [s.key for s in ours] == [key for key, _ in samples]
        assert theirs == [s.members for s in ours], kind
        assert [s["__key__"] for s in wds.WebDataset(path, shardshuffle=False)] == [s.key for s in ours]


def test_loader_reads_a_pipe_url_through_webdataset_gopen(tmp_path):
    path = write_tar(tmp_path / "pairs-00000.tar", [pair_sample(i) for i in range(6)])
    tok = tiny_tokenizer()

    def keys(url):
        loader = make_loader(url, kind="pairs", tokenizer=tok, image_size=16, batch_size=3, epochs=1, seed=0)
        return sorted(k for batch in loader for k in batch["keys"])

    assert keys(f"pipe:cat {path}") == keys(str(path)) == [f"k{i:05d}" for i in range(6)]
