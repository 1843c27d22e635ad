"""The filter contract: `filter(sample) -> Keep | Reject`, and a registry from config names to classes.

A filter is a frozen, keyword-only dataclass whose fields are its parameters, registered under a
config name with `@register("name")`. `build_filter(name, params)` checks the name and every
parameter against the registry and the dataclass fields, so a typo in a YAML file fails at
pipeline construction with the list of valid names or parameters, not silently at run time.

`Keep` may carry a replacement sample: filters that work below the sample level (per paragraph,
per image slot of a Document) return the sample with the failing parts removed, plus one
`Dropped` entry per removed part, so the Beam layer can count and report them.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar

from schemas.reasons import RejectReason

KINDS = ("document", "pair", "video", "image")


@dataclasses.dataclass(frozen=True)
class Dropped:
    """A part of a sample a filter removed: a paragraph ("text") or an image slot ("image")."""

    part: str
    position: int  # in the sample as the filter saw it (earlier drops shift positions)
    reason: RejectReason
    detail: str = ""
    source: str = ""  # the image URL for image slots


@dataclasses.dataclass(frozen=True)
class Keep:
    """The sample passes. `sample` replaces it when the filter removed parts (see `dropped`)."""

    sample: Any = None
    dropped: tuple[Dropped, ...] = ()


@dataclasses.dataclass(frozen=True)
class Reject:
    """The sample is dropped, for `reason`; `detail` says which rule and by how much."""

    reason: RejectReason
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", RejectReason.parse(self.reason))


KEEP = Keep()


class Filter:
    """Base of every filter: implement `filter(sample)`; declare `kinds` it applies to."""

    name: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset(KINDS)

    def filter(self, sample: Any) -> Keep | Reject:
        raise NotImplementedError(f"{type(self).__name__}.filter")


FILTERS: dict[str, type[Filter]] = {}

F = typing.TypeVar("F", bound=type[Filter])


def register(name: str):
    """Class decorator: make a Filter dataclass buildable from configs under `name`."""

    def wrap(cls: F) -> F:
        if name in FILTERS and FILTERS[name] is not cls:
            raise ValueError(f"filter name {name!r} is already registered to {FILTERS[name].__name__}")
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"filter {cls.__name__} must be a dataclass (its fields are its parameters)")
        cls.name = name
        FILTERS[name] = cls
        return cls

    return wrap


def filter_params(cls: type[Filter]) -> dict[str, Any]:
    """Parameter name -> default (dataclasses.MISSING when required)."""
    out = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = dataclasses.MISSING
    return out


def _coerce(cls: type[Filter], name: str, value: Any, tp: Any) -> Any:
    """Light type checking of YAML values; lists become tuples (filters are frozen)."""
    origin = typing.get_origin(tp)
    arms = typing.get_args(tp) if origin in (typing.Union, types.UnionType) else (tp,)
    if value is None and type(None) in arms:
        return None
    for arm in arms:
        base = typing.get_origin(arm) or arm
        if base in (tuple, list) and isinstance(value, (list, tuple)):
            return tuple(value)
        if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if base is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if base is bool and isinstance(value, bool):
            return value
        if base is str and isinstance(value, str):
            return value
        if arm is Any:
            return value
    raise ValueError(
        f"filter {cls.name!r}: parameter {name!r} expects {tp}, got {type(value).__name__} {value!r:.60}"
    )


def build_filter(name: str, params: dict[str, Any] | None = None) -> Filter:
    """One filter from its config name and parameters; unknown names/params list the valid ones."""
    if name not in FILTERS:
        raise ValueError(f"unknown filter {name!r}; valid filters: {', '.join(sorted(FILTERS))}")
    cls = FILTERS[name]
    params = dict(params or {})
    known = filter_params(cls)
    unknown = sorted(set(params) - set(known))
    if unknown:
        valid = ", ".join(
            f"{k}={v!r}" if v is not dataclasses.MISSING else k for k, v in sorted(known.items())
        )
        raise ValueError(f"filter {name!r}: unknown parameter(s) {unknown}; valid parameters: {valid}")
    hints = typing.get_type_hints(cls)
    kwargs = {k: _coerce(cls, k, v, hints[k]) for k, v in params.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"filter {name!r}: {exc}") from None
