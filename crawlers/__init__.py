"""Getting bytes and reading them: WARC reading, HTTP fetching, HTML extraction, media decoding.

`crawlers.extract_document` (the public entry point) is imported on first use, so that a module
needing only a small reader here (the shard tar walker, say) does not load the HTML stack.
"""

from __future__ import annotations

import importlib

__all__ = ["extract_document"]


def __getattr__(name: str):
    if name == "extract_document":
        return importlib.import_module("crawlers.html.extract").extract_document
    raise AttributeError(f"module 'crawlers' has no attribute {name!r}")
