"""Reading WebDataset tars member by member, bounded: the one walker the shard readers share.

Members are grouped by key the WebDataset way (the member path up to the first dot of its base
name, so `KEY.000.jpg` is member `000.jpg` of sample `KEY`), in tar order. A tar is untrusted
input (an img2dataset folder, a downloaded shard): a member whose header claims more than
`max_member_bytes`, or that would take its sample past `max_sample_bytes`, is not read (tarfile
skips its data while streaming, so nothing large is ever held), and a member whose name is not
KEY.EXT is left out; both are reported in `TarGroup.skipped` and the walk goes on, so one bad
member never costs the rest of the shard.
"""

from __future__ import annotations

import dataclasses
import tarfile
from collections.abc import Iterator
from typing import BinaryIO

MAX_MEMBER_BYTES = 64 * 2**20  # an image or a frame is far smaller; a kept clip is a few MB
MAX_SAMPLE_BYTES = 512 * 2**20

BAD_MEMBER_NAME = "bad_member_name"
MEMBER_TOO_LARGE = "member_too_large"


@dataclasses.dataclass
class TarGroup:
    key: str
    members: dict[str, bytes]
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (reason, detail)


def split_member_name(name: str) -> tuple[str, str] | None:
    """(key, extension) of a member named KEY.EXT (the key keeps its folder), else None."""
    directory, _, base = name.rpartition("/")
    stem, dot, ext = base.partition(".")
    if not dot or not stem or not ext:
        return None
    return (f"{directory}/{stem}" if directory else stem), ext


def iter_tar_groups(
    stream: BinaryIO, *, max_member_bytes: int = MAX_MEMBER_BYTES, max_sample_bytes: int = MAX_SAMPLE_BYTES
) -> Iterator[TarGroup]:
    """The samples of one tar stream (plain or compressed), read sequentially; tar damage raises
    tarfile.TarError/OSError/EOFError after the samples before it were yielded."""
    group: TarGroup | None = None
    size = 0
    orphans: list[tuple[str, str]] = []  # skipped members before the first well-named one
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for info in tar:
            if not info.isfile():
                continue
            parsed = split_member_name(info.name)
            if parsed is None:
                problem = (BAD_MEMBER_NAME, f"tar member {info.name[:200]!r} has no KEY.EXT form")
                (group.skipped if group is not None else orphans).append(problem)
                continue
            key, ext = parsed
            if group is None or key != group.key:
                if group is not None:
                    yield group
                group, size = TarGroup(key, {}, orphans), 0
                orphans = []
            if info.size > max_member_bytes or size + info.size > max_sample_bytes:
                limit = "max_member_bytes" if info.size > max_member_bytes else "max_sample_bytes"
                group.skipped.append((MEMBER_TOO_LARGE, f"{info.name[:200]}: {info.size} bytes over {limit}"))
                continue
            data = tar.extractfile(info)
            group.members[ext] = data.read() if data is not None else b""
            size += info.size
    if group is not None:
        yield group
    elif orphans:  # nothing but badly named members: still reported
        yield TarGroup("", {}, orphans)
