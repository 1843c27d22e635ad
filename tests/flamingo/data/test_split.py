"""Node/worker splitting and exact resume: the sample sets, not just the counts."""

from __future__ import annotations

import collections

import pytest

from flamingo.data import EmptyPipelineError, make_loader
from tests.flamingo.shardmaker import tiny_tokenizer, write_pair_shards

pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")

NUM_SHARDS, PER_SHARD = 5, 7  # 35 samples; 5 shards < 8 consumers exercises the per-sample split


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def urls(tmp_path_factory):
    return write_pair_shards(tmp_path_factory.mktemp("pairs"), NUM_SHARDS, PER_SHARD)


ALL_KEYS = {f"k{i:05d}" for i in range(NUM_SHARDS * PER_SHARD)}


def _keys(loader) -> list[str]:
    return [k for batch in loader for k in batch["keys"]]


@pytest.mark.parametrize("num_workers", [0, 2, 4])
@pytest.mark.parametrize("split", ["auto", "sample"])
def test_two_nodes_times_workers_partition_the_epoch(urls, tok, num_workers, split):
    per_node = []
    for node_rank in range(2):
        loader = make_loader(
            urls,
            kind="pairs",
            tokenizer=tok,
            image_size=32,
            batch_size=3,
            epochs=1,
            num_workers=num_workers,
            num_nodes=2,
            node_rank=node_rank,
            split=split,
            shuffle_buffer=4,
            seed=1,
        )
        per_node.append(_keys(loader))
    everything = per_node[0] + per_node[1]
    duplicates = [k for k, n in collections.Counter(everything).items() if n > 1]
    assert duplicates == []
    assert set(everything) == ALL_KEYS
    assert set(per_node[0]).isdisjoint(per_node[1])


def test_single_consumer_reads_every_sample_once_per_epoch(urls, tok):
    loader = make_loader(
        urls, kind="pairs", tokenizer=tok, image_size=32, batch_size=4, epochs=2, seed=3, shuffle_buffer=5
    )
    keys = _keys(loader)
    assert len(keys) == 2 * len(ALL_KEYS)
    assert collections.Counter(keys) == {k: 2 for k in ALL_KEYS}
    assert keys[: len(ALL_KEYS)] != keys[len(ALL_KEYS) :]  # each epoch has its own order


@pytest.mark.parametrize("num_workers", [0, 2])
def test_resume_mid_epoch_gives_the_same_remaining_samples(urls, tok, num_workers):
    def fresh():
        return make_loader(
            urls,
            kind="pairs",
            tokenizer=tok,
            image_size=32,
            batch_size=2,
            epochs=2,
            num_workers=num_workers,
            shuffle_buffer=6,
            seed=7,
        )

    full = _keys(fresh())
    first = fresh()
    seen, state = [], None
    for i, batch in enumerate(first):
        seen += batch["keys"]
        if i == 12:  # into the second epoch's first half with 2 workers, mid-first with 0
            state = first.state_dict()
            break
    resumed = fresh()
    resumed.load_state_dict(state)
    rest = _keys(resumed)
    assert seen + rest == full


def test_resume_with_another_split_is_refused(urls, tok):
    a = make_loader(urls, kind="pairs", tokenizer=tok, image_size=32, batch_size=2, num_workers=0)
    b = make_loader(urls, kind="pairs", tokenizer=tok, image_size=32, batch_size=2, num_workers=2)
    next(iter(a))
    with pytest.raises(ValueError, match="same split"):
        b.load_state_dict(a.state_dict())


def test_resampled_stream_is_infinite_and_reproducible(urls, tok):
    def first_keys():
        loader = make_loader(
            urls, kind="pairs", tokenizer=tok, image_size=32, batch_size=5, split="resampled"
        )
        it = iter(loader)
        return [k for _ in range(20) for k in next(it)["keys"]]  # 100 samples from 35: wraps around

    keys = first_keys()
    assert len(keys) == 100 and set(keys) <= ALL_KEYS
    assert keys == first_keys()


def test_brace_patterns_and_manifest_expand_to_the_shards(urls, tmp_path, tok):
    directory = urls[0].rsplit("/", 1)[0]
    loader = make_loader(
        directory + "/pairs-{00000..00004}.tar",
        kind="pairs",
        tokenizer=tok,
        image_size=32,
        batch_size=50,
        epochs=1,
    )
    assert loader.urls == urls
    assert len(next(iter(loader))["keys"]) == NUM_SHARDS * PER_SHARD


def test_a_missing_shard_is_an_error_naming_it(tmp_path, tok):
    missing = str(tmp_path / "nope-00000.tar")
    loader = make_loader(missing, kind="pairs", tokenizer=tok, image_size=32, batch_size=2, epochs=1)
    with pytest.raises(EmptyPipelineError, match="nope-00000.tar") as info:
        list(loader)
    assert info.value.errors == {"bad_shard": 1}


def test_a_build_folder_is_read_through_its_manifest_only(urls, tmp_path):
    """A reused folder holds an earlier run's tars: the loader reads the manifest's shards; a folder
    without a manifest is an error unless raw tars are asked for (issue 16, items 5 and 7)."""
    import json
    import shutil

    from flamingo.data.split import expand_urls

    build = tmp_path / "build"
    build.mkdir()
    for url in urls:
        shutil.copy(url, build)
    with pytest.raises(ValueError, match="has no manifest.json: not a finished build"):
        expand_urls(str(build))
    assert expand_urls(str(build), raw_tars=True) == [
        str(build / f"pairs-{i:05d}.tar") for i in range(NUM_SHARDS)
    ]
    shards = [{"tar": f"pairs-{i:05d}.tar", "count": PER_SHARD} for i in range(2)]
    (build / "manifest.json").write_text(json.dumps({"job": "pairs", "shards": shards}))
    assert expand_urls(str(build)) == [str(build / "pairs-00000.tar"), str(build / "pairs-00001.tar")]
    assert expand_urls(str(build / "manifest.json")) == expand_urls(str(build))
    for hostile in (
        "pipe:touch /tmp/owned; cat x.tar",
        "../other/pairs-00000.tar",
        "/etc/x.tar",
        ".hidden.tar",
    ):
        (build / "manifest.json").write_text(json.dumps({"shards": [{"tar": hostile, "count": 1}]}))
        with pytest.raises(ValueError, match="not a plain NAME-SSSSS.tar file"):
            expand_urls(str(build))
