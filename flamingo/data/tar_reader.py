"""Reading WebDataset tars sample by sample, from local paths, `pipe:` commands, HTTP or fsspec.

Our own small reader (instead of `webdataset.tarfile_to_samples`) because an exact resumable
position needs to know which shard and which sample of it each sample came from. Members are
grouped by key the WebDataset way: the key is the member path up to the first dot of its base
name, so `KEY.000.jpg` is member `000.jpg` of sample `KEY` (DESIGN §4: keys hold no dots).
"""

from __future__ import annotations

import contextlib
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass

from flamingo.data.errors import SampleError

# Schemes `webdataset.gopen` handles itself (curl / gsutil / a shell pipe); other URLs with a
# scheme (s3://, gcs://, az://, memory://, ...) go through fsspec.
_GOPEN_SCHEMES = ("pipe:", "http://", "https://", "file:")


@dataclass
class RawSample:
    key: str
    members: dict[str, bytes]  # extension without the leading dot ("jpg", "000.jpg") -> bytes
    url: str  # the shard it came from
    index: int  # its position in that shard


@contextlib.contextmanager
def open_url(url: str):
    """A binary stream over a shard URL."""
    if url.startswith(_GOPEN_SCHEMES) or "://" not in url:
        from webdataset.gopen import gopen

        stream = gopen(url, "rb")
        try:
            yield stream
        finally:
            stream.close()
    else:
        import fsspec

        with fsspec.open(url, "rb") as stream:
            yield stream


def split_member_name(name: str) -> tuple[str, str]:
    directory, _, base = name.rpartition("/")
    stem, dot, ext = base.partition(".")
    if not dot or not stem or not ext:
        raise SampleError("bad_member_name", f"tar member {name!r} has no KEY.EXT form")
    return (f"{directory}/{stem}" if directory else stem), ext


def iter_tar_samples(url: str) -> Iterator[RawSample]:
    """Samples of one shard, in tar order. A truncated or unreadable tar raises `SampleError`
    ("bad_shard") after the samples read before the damage (those are still yielded)."""
    index = 0
    key: str | None = None
    members: dict[str, bytes] = {}
    try:
        with open_url(url) as stream, tarfile.open(fileobj=stream, mode="r|*") as tar:
            for info in tar:
                if not info.isfile():
                    continue
                member_key, ext = split_member_name(info.name)
                if member_key != key and members:
                    yield RawSample(key=key, members=members, url=url, index=index)
                    index, members = index + 1, {}
                key = member_key
                fileobj = tar.extractfile(info)
                members[ext] = fileobj.read() if fileobj is not None else b""
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SampleError("bad_shard", f"{url}: {type(exc).__name__}: {exc}") from exc
    if members:
        yield RawSample(key=key, members=members, url=url, index=index)
