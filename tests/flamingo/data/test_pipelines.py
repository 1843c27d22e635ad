"""Per-dataset pipelines, label masking, collate, counted corrupt samples."""

from __future__ import annotations

import json
from random import Random

import pytest
import torch

from flamingo.data import EmptyPipelineError, collate, make_loader
from flamingo.data.media import ImageTransform
from flamingo.data.pipelines import build_pipeline
from flamingo.data.tar_reader import RawSample
from flamingo.data.tokens import IGNORE, TextEncoder
from tests.flamingo.shardmaker import jpeg, m3w_sample, pair_sample, tiny_tokenizer, video_sample, write_tar


@pytest.fixture(scope="module")
def enc():
    return TextEncoder(tiny_tokenizer())


def _pipe(enc, kind, **kw):
    return build_pipeline(kind, encoder=enc, image=ImageTransform(image_size=16), **kw)


def _raw(sample):
    key, members = sample
    return RawSample(key=key, members=members, url="mem.tar", index=0)


def test_pairs_sample_is_image_caption_endofchunk(enc):
    ex = _pipe(enc, "pairs")(_raw(pair_sample(0, "red")), Random(0))
    assert enc.tokenizer.decode(ex.input_ids) == "<image> a red square <|endofchunk|>"
    assert ex.labels == [IGNORE] + ex.input_ids[1:]
    assert ex.media.shape == (1, 1, 3, 16, 16)


def test_label_mask_property(enc):
    """Every target is a text token after the first <image>; every other position is ignored."""
    rng = Random(5)
    words = ["a", "red", "square", "<image>", "<|endofchunk|>", "the"]
    for _ in range(200):
        text = "".join(rng.choice(words) + " " for _ in range(rng.randint(1, 20)))
        ids = enc.encode(text)
        labels = enc.labels_for(ids)
        first = ids.index(enc.media_id) if enc.media_id in ids else len(ids)
        for i, (token, label) in enumerate(zip(ids, labels, strict=False)):
            expect_target = i > first and token != enc.media_id
            assert (label == token) if expect_target else (label == IGNORE)


def test_m3w_window_caps_images_and_keeps_image_order(enc):
    sample = m3w_sample(3, num_images=8, words=6)
    doc = json.loads(sample[1]["json"])
    ex = _pipe(enc, "m3w", max_length=256, max_images=5, p_next=0.0)(_raw(sample), Random(1))
    assert ex.input_ids.count(enc.media_id) == 5 == ex.media.shape[0]
    # "previous" mode: the text after image k names image k's colour (see shardmaker.m3w_sample).
    text = enc.tokenizer.decode(ex.input_ids)
    chunks = text.split("<image>")[1:]
    colours = [t.split()[1] for t in doc["texts"][2::2][:4]]
    assert [c.split()[1] for c in chunks[:4]] == colours
    for k in range(5):  # media k is image slot k (pixels of its colour)
        expected = ImageTransform(image_size=16)(sample[1][f"{k:03d}.jpg"], "x")
        assert torch.allclose(ex.media[k, 0], expected)


def test_m3w_next_mode_puts_each_image_before_its_preceding_text(enc):
    sample = m3w_sample(4, num_images=2, words=3)
    ex = _pipe(enc, "m3w", p_next=1.0)(_raw(sample), Random(0))
    text = enc.tokenizer.decode(ex.input_ids)
    doc = json.loads(sample[1]["json"])
    assert text.startswith("<image> " + doc["texts"][0])
    assert text.endswith("that is <unk> <|endofchunk|>") or text.endswith("that is all <|endofchunk|>")


def test_m3w_random_window_respects_max_length(enc):
    sample = m3w_sample(9, num_images=6, words=30)
    pipe = _pipe(enc, "m3w", max_length=40, max_images=5)
    for seed in range(20):
        ex = pipe(_raw(sample), Random(seed))
        assert 0 < len(ex.input_ids) <= 40
        assert ex.input_ids.count(enc.media_id) == ex.media.shape[0] >= 1


def test_m3w_missing_image_members_drop_their_slots(enc):
    key, members = m3w_sample(2, num_images=3)
    del members["001.jpg"]
    ex = _pipe(enc, "m3w")(_raw((key, members)), Random(0))
    assert ex.media.shape[0] == ex.input_ids.count(enc.media_id) == 2


def test_videos_pick_t_frames_evenly(enc):
    key, members = video_sample(0, num_frames=7)
    for t in range(7):
        members[f"{t:03d}.jpg"] = jpeg(["red", "green", "blue", "yellow"][t % 4])
    ex = _pipe(enc, "videos", num_frames=4)(_raw((key, members)), Random(0))
    assert ex.media.shape == (1, 4, 3, 16, 16)
    image = ImageTransform(image_size=16)
    for i, frame in enumerate([0, 2, 4, 6]):
        assert torch.allclose(ex.media[0, i], image(members[f"{frame:03d}.jpg"], "x"))


def test_collate_pads_text_and_media(enc):
    pipe_pairs, pipe_m3w = _pipe(enc, "pairs"), _pipe(enc, "m3w")
    a = pipe_pairs(_raw(pair_sample(0)), Random(0))
    b = pipe_m3w(_raw(m3w_sample(1, num_images=3)), Random(0))
    batch = collate([a, b], pad_id=enc.pad_id)
    length = max(len(a.input_ids), len(b.input_ids))
    assert batch["input_ids"].shape == (2, length)
    assert batch["media"].shape == (2, 3, 1, 3, 16, 16)
    assert batch["media_mask"].tolist() == [[True, False, False], [True, True, True]]
    assert batch["attention_mask"][0].sum() == len(a.input_ids)
    assert (batch["labels"][0, len(a.input_ids) :] == IGNORE).all()
    assert (batch["media"][0, 1:] == 0).all()


def test_corrupt_samples_are_counted_not_fatal(tmp_path, enc):
    good = [pair_sample(i) for i in range(4)]
    bad_image = ("bad00", {"jpg": b"not a jpeg", "txt": b"a red square"})
    no_caption = ("bad01", {"jpg": jpeg("red")})
    url = str(write_tar(tmp_path / "p-00000.tar", good[:2] + [bad_image, no_caption] + good[2:]))
    loader = make_loader(url, kind="pairs", tokenizer=enc.tokenizer, image_size=16, batch_size=10, epochs=1)
    (batch,) = list(loader)
    assert batch["keys"] == [k for k, _ in good]
    assert loader.errors == {"bad_image": 1, "missing_member": 1}


def test_all_corrupt_is_an_error_naming_the_shard(tmp_path, enc):
    url = str(write_tar(tmp_path / "broken-00000.tar", [("x0", {"jpg": b"junk", "txt": b"a"})]))
    loader = make_loader(url, kind="pairs", tokenizer=enc.tokenizer, image_size=16, batch_size=2, epochs=1)
    with pytest.raises(EmptyPipelineError, match=r"broken-00000\.tar.*bad_image"):
        list(loader)


def test_wrong_kind_for_the_shards_is_an_error(tmp_path, enc):
    url = str(write_tar(tmp_path / "pairs-00000.tar", [pair_sample(0)]))
    loader = make_loader(url, kind="m3w", tokenizer=enc.tokenizer, image_size=16, batch_size=2, epochs=1)
    with pytest.raises(EmptyPipelineError, match="bad_json"):  # a pair JSON has no texts/images
        list(loader)


def test_unknown_kind_lists_valid_ones(enc):
    with pytest.raises(ValueError, match="valid kinds"):
        _pipe(enc, "audio")


def test_packing_joins_examples_and_keeps_each_parts_labels(tmp_path, enc):
    url = str(write_tar(tmp_path / "p-00000.tar", [pair_sample(i) for i in range(5)]))
    loader = make_loader(
        url,
        kind="pairs",
        tokenizer=enc.tokenizer,
        image_size=16,
        batch_size=2,
        epochs=1,
        pack=2,
        shuffle_shards=False,
    )
    batches = list(loader)
    assert [b["keys"] for b in batches] == [["k00000+k00001", "k00002+k00003"], ["k00004"]]
    first = batches[0]
    assert first["media"].shape[:2] == (2, 2) and first["media_mask"].all()
    ids, labels = first["input_ids"][0].tolist(), first["labels"][0].tolist()
    assert (
        enc.tokenizer.decode(ids)
        == "<image> a blue square <|endofchunk|> <image> a green square <|endofchunk|>"
    )
    assert [i for i, t in enumerate(labels) if t == IGNORE] == [
        i for i, t in enumerate(ids) if t == enc.media_id
    ]


def test_an_odd_member_costs_only_itself_and_a_huge_member_is_never_read(tmp_path, enc):
    """One badly named member used to end the shard (6 samples lost, 1 error counted); a member past
    the cap is skipped by the stream, not read into memory (issue 16, items 11 and 13)."""
    import gzip
    import io
    import tarfile

    path = tmp_path / "odd-00000.tar.gz"
    samples = [pair_sample(i) for i in range(8)]
    with gzip.open(path, "wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        for i, (key, members) in enumerate(samples):
            for ext in sorted(members):
                add(f"{key}.{ext}", members[ext])
            if i == 1:
                add("README", b"no KEY.EXT form")  # the odd member
            if i == 4:
                add("k99999.jpg", b"\0" * (3 * 2**20))  # compresses to a few KB; over the 1 MiB cap below
    loader = make_loader(
        str(path),
        kind="pairs",
        tokenizer=enc.tokenizer,
        image_size=16,
        batch_size=20,
        epochs=1,
        max_member_bytes=2**20,
    )
    keys = [key for batch in loader for key in batch["keys"]]
    assert sorted(keys) == [key for key, _ in samples]
    assert loader.errors == {"bad_member_name": 1, "member_too_large": 1}
