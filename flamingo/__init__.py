"""The Flamingo model side: model, data loader, trainer, evaluation.

Public names are imported lazily so that `import flamingo.<submodule>` (and the data
commands of the CLI) never pay for importing torch unless they use the model.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "FlamingoConfig": "flamingo.model.config",
    "Flamingo": "flamingo.model.flamingo",
    "count_parameters": "flamingo.model.params",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'flamingo' has no attribute {name!r}")
