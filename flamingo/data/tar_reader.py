"""Reading WebDataset tars sample by sample, from local paths, `pipe:` commands, HTTP or fsspec.

Our own small reader (instead of `webdataset.tarfile_to_samples`) because an exact resumable
position needs to know which shard and which sample of it each sample came from. Members are
grouped by key the WebDataset way (crawlers/shard_tar.py, shared with the build jobs' readers):
`KEY.000.jpg` is member `000.jpg` of sample `KEY` (DESIGN §4: keys hold no dots); members are
size-capped and a badly named one is skipped and counted, never the rest of the shard.
"""

from __future__ import annotations

import contextlib
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from crawlers.shard_tar import MAX_MEMBER_BYTES, iter_tar_groups
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


def iter_tar_samples(
    url: str,
    on_skip: Callable[[SampleError], None] | None = None,
    *,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> Iterator[RawSample]:
    """Samples of one shard, in tar order. A member that is too large or badly named is left out
    and reported to `on_skip` (the shard goes on); a truncated or unreadable tar raises
    `SampleError` ("bad_shard") after the samples read before the damage (those are still yielded)."""
    index = 0
    try:
        with open_url(url) as stream:
            for group in iter_tar_groups(stream, max_member_bytes=max_member_bytes):
                for reason, detail in group.skipped:
                    if on_skip is not None:
                        on_skip(SampleError(reason, f"{url}: {detail}"))
                if group.members:
                    yield RawSample(key=group.key, members=group.members, url=url, index=index)
                    index += 1
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SampleError("bad_shard", f"{url}: {type(exc).__name__}: {exc}") from exc
