"""The shard tar writer: byte-identical to tarfile's stream output, so any tar reader opens it."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
import webdataset as wds

from pipeline.io.shard_files import TAR_MTIME, _write_tar, ustar_header
from schemas import ShardSample


def tarfile_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """What tarfile writes for the same members and metadata (the writer this one replaced)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode, info.uname, info.gname = len(data), TAR_MTIME, 0o444, "", ""
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("size", [0, 1, 511, 512, 513, 10_240, 123_457])
def test_header_matches_tarfile(size):
    info = tarfile.TarInfo("0123456789abcdef.jpg")
    info.size, info.mtime, info.mode, info.uname, info.gname = size, TAR_MTIME, 0o444, "", ""
    assert ustar_header("0123456789abcdef.jpg", size) == info.tobuf(
        tarfile.PAX_FORMAT, "utf-8", "surrogateescape"
    )


def test_names_ustar_cannot_hold_are_left_to_tarfile():
    assert ustar_header("k" * 101 + ".jpg", 10) is None
    assert ustar_header("clé.txt", 10) is None
    assert ustar_header("k" * 96 + ".txt", 10) is not None  # exactly 100 bytes fits


def test_whole_tar_is_byte_identical_to_tarfile(tmp_path):
    samples = [
        ShardSample("a1", {"jpg": b"\xff\xd8" + bytes(700), "txt": b"caption", "json": b"{}"}, {}),
        ShardSample("b" * 120, {"txt": b"long key: pax header"}, {}),  # name over 100 bytes
        ShardSample("c\u00e9", {"txt": b"non-ascii key"}, {}),
        ShardSample("d2", {"jpg": bytes(10_240)}, {}),  # ends exactly on a block
    ]
    path = str(tmp_path / "x.tar")
    total, tar_bytes, tar_sha256 = _write_tar(path, samples)
    expected = [(f"{s.key}.{ext}", s.members[ext]) for s in samples for ext in sorted(s.members)]
    data = open(path, "rb").read()
    assert data == tarfile_bytes(expected)
    assert total == sum(len(d) for _, d in expected)
    assert (tar_bytes, tar_sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert len(data) % tarfile.RECORDSIZE == 0
    got = {
        s["__key__"]: sorted(k for k in s if not k.startswith("__"))
        for s in wds.WebDataset(path, shardshuffle=False)
    }
    assert got["a1"] == ["jpg", "json", "txt"] and got["d2"] == ["jpg"]
