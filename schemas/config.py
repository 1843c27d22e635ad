"""Typed configs from plain data: nested `kw_only` dataclasses built from a dict, a YAML file and
`key=value` overrides, the way the trainer and every build job take their options.

    config = build_config(PairsConfig, load_yaml("pairs.yaml"), overrides=["resize.image_size=64"])
    config = build_config(PairsConfig, {"output": "out/pairs", "resize": {"image_size": 64}})

Unknown fields are errors that list the valid ones; a nested dataclass field takes a mapping of
the fields to change, on top of that field's own default (a job whose `fetch` defaults to 64
threads keeps them when a file sets only `fetch: {retries: 1}`); a float field takes YAML's
"3e-4" string as the number it means. Torch- and Beam-free.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config names an unknown field, misses a required one, or holds a wrong value."""


def _dataclass_arm(tp: Any) -> type | None:
    """The dataclass a field's type names (`X` or `X | None`), else None."""
    arms = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    found = [a for a in arms if dataclasses.is_dataclass(a)]
    return found[0] if found else None


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


def _coerce(owner: str, field: dataclasses.Field, value: Any, tp: Any, base: Any) -> Any:
    name = field.name
    sub = _dataclass_arm(tp)
    if sub is not None and isinstance(value, dict):
        inner = getattr(base, name) if base is not None else _default(field)
        return build_config(
            sub, value, _owner=f"{owner}.{name}", _base=inner if isinstance(inner, sub) else None
        )
    if tp in (float, "float") and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{owner}.{name}: expected a number, got {value!r}") from None
    return value


def build_config(
    cls: type[T],
    data: dict[str, Any] | None = None,
    *,
    overrides: list[str] = (),
    _owner: str | None = None,
    _base: Any = None,
) -> T:
    """`cls` from `data` (nested dicts for nested dataclasses) with `key=value` overrides on top."""
    owner = _owner or cls.__name__
    data = dict(data or {})
    for override in overrides:
        apply_override(data, override)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{owner}: unknown field(s) {unknown}; valid fields: {sorted(fields)}")
    missing = [
        n
        for n, f in fields.items()
        if n not in data
        and _base is None
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{owner}: missing required field(s) {missing}")
    hints = typing.get_type_hints(cls)
    kwargs = {name: getattr(_base, name) for name in fields if name not in data} if _base is not None else {}
    kwargs.update(
        {name: _coerce(owner, fields[name], value, hints[name], _base) for name, value in data.items()}
    )
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{owner}: {exc}") from None


def apply_override(data: dict[str, Any], override: str) -> None:
    """Set `path=value` in nested data: the value is parsed as YAML, dotted paths go into dicts
    and lists (list items by index)."""
    if "=" not in override:
        raise ConfigError(f"override {override!r} is not key=value")
    path, raw = override.split("=", 1)
    set_path(data, path, yaml.safe_load(raw), what=f"override {override!r}")


def set_path(data: dict[str, Any], path: str, value: Any, what: str | None = None) -> None:
    """`data[a][b][c] = value` for path "a.b.c", creating mappings on the way."""
    keys = path.split(".")
    node: Any = data
    what = what or repr(path)
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ConfigError(f"{what}: {key!r} is not an index of a list of {len(node)}")
            key = int(key)
        elif not isinstance(node, dict):
            raise ConfigError(f"{what}: {'.'.join(keys[:i])} is not a mapping or list")
        if last:
            node[key] = value
        else:
            if isinstance(node, dict) and (key not in node or node[key] is None):
                node[key] = {}
            node = node[key]


def load_yaml(path: str | None) -> dict[str, Any]:
    """A YAML mapping from a file (local path or any fsspec URL); None gives {}."""
    if path is None:
        return {}
    import fsspec

    with fsspec.open(str(path), "r", encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config fields, got a {type(data).__name__}")
    return data


def to_plain(config: Any) -> dict[str, Any]:
    """The config as plain JSON-able data (what a manifest or a resolved-config file records)."""
    return dataclasses.asdict(config)
