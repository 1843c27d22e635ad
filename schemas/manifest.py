"""The build manifest as readers see it: the one place that says which shard files a build holds.

A manifest is data from a folder anyone may have written to, and its shard names end up in
paths that loaders open (webdataset runs a `pipe:` URL through a shell). So a reader takes the
shard names only through `shard_names`, which accepts plain file names inside the build folder
(`NAME-SSSSS.tar`: no folders, no scheme, no leading dot) and refuses anything else.
"""

from __future__ import annotations

import re
from typing import Any

from schemas.record import SchemaError

MANIFEST_NAME = "manifest.json"
SHARD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.tar$")


def shard_names(manifest: dict[str, Any], where: str = "manifest", *, non_empty: bool = False) -> list[str]:
    """The `tar` names a manifest lists (those holding samples with `non_empty`), each checked."""
    shards = manifest.get("shards")
    if not isinstance(shards, list):
        raise SchemaError(f"{where}: 'shards' is not a list")
    names = []
    for i, shard in enumerate(shards):
        name = shard.get("tar") if isinstance(shard, dict) else None
        if not isinstance(name, str) or not SHARD_NAME.match(name) or ".." in name:
            raise SchemaError(
                f"{where}: shard {i} names {name!r}, not a plain NAME-SSSSS.tar file inside the build folder"
            )
        if non_empty and shard.get("count", 1) <= 0:
            continue
        names.append(name)
    return names
