"""sample_to_frames_tensor: a video sample's frames -> [T, C, H, W], and specific errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from flamingo.video_sample import VideoSampleError, sample_to_frames_tensor
from schemas import ShardSample


def _jpeg(level: int, size=(6, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (level, level, level)).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def _sample(num: int = 3, **overrides) -> dict:
    sample = {"__key__": "abc", "json": json.dumps({"num_frames": num}).encode(), "txt": b"caption"}
    sample.update({f"{i:03d}.jpg": _jpeg(40 * i) for i in range(num)})
    sample.update(overrides)
    return sample


def test_frames_in_index_order_as_t_c_h_w():
    # insertion order scrambled on purpose: members are ordered by their index, not by dict order
    sample = dict(reversed(list(_sample(3).items())))
    video = sample_to_frames_tensor(sample)
    assert tuple(video.shape) == (3, 3, 4, 6)
    levels = [round(float(v.mean()) * 255) for v in video]
    assert [abs(level - 40 * i) <= 2 for i, level in enumerate(levels)] == [True] * 3
    assert sample_to_frames_tensor(_sample(3), as_float=False).dtype.is_floating_point is False


def test_decoded_members_and_shard_samples_work_too():
    decoded = _sample(2, **{"000.jpg": Image.new("RGB", (6, 4)), "001.jpg": np.zeros((4, 6, 3), np.uint8)})
    assert tuple(sample_to_frames_tensor(decoded).shape) == (2, 3, 4, 6)
    shard = ShardSample(key="abc", members={k: v for k, v in _sample(2).items() if k != "__key__"}, row={})
    assert tuple(sample_to_frames_tensor(shard).shape) == (2, 3, 4, 6)


@pytest.mark.parametrize(
    "sample,message",
    [
        (_sample(3, json=json.dumps({"num_frames": 8}).encode()), "json says 8 frames, found 3"),
        ({k: v for k, v in _sample(3).items() if k != "001.jpg"}, "frame indices [0, 2] are not 0..1"),
        (_sample(2, **{"001.jpg": b"not a jpeg"}), "frame 001.jpg is not a decodable image"),
        (_sample(2, **{"001.jpg": _jpeg(0, size=(8, 8))}), "frames of mixed shapes"),
        ({"__key__": "abc", "txt": b"x"}, "no NNN.jpg frame members"),
    ],
)
def test_broken_samples_name_the_key_and_the_problem(sample, message):
    with pytest.raises(VideoSampleError, match="video sample abc") as err:
        sample_to_frames_tensor(sample)
    assert message in str(err.value)
