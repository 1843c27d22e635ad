"""The small base every data contract shares: dict/JSON round-trips with validation.

Records are plain dataclasses. `from_dict` rejects unknown fields, missing required fields and
wrong types with an error that names the record, the field and what was expected, so a
malformed JSON line fails where it is read rather than three stages later.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


class SchemaError(ValueError):
    """A record does not match its schema; the message says which field and why."""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _check_value(owner: str, name: str, value: Any, tp: Any) -> Any:
    """Check (and, for nested records, convert) one value against a type hint."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None and len(arms) < len(typing.get_args(tp)):
            return None
        if len(arms) == 1:  # `X | None`: the error of X says more than "expected X | None"
            return _check_value(owner, name, value, arms[0])
        for arm in arms:
            try:
                return _check_value(owner, name, value, arm)
            except SchemaError:
                continue
        raise SchemaError(
            f"{owner}.{name}: expected {_type_name(tp)}, got {type(value).__name__} {value!r:.60}"
        )
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise SchemaError(f"{owner}.{name}: expected a list, got {type(value).__name__}")
        (item_tp,) = typing.get_args(tp) or (Any,)
        return [_check_value(owner, f"{name}[{i}]", v, item_tp) for i, v in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise SchemaError(f"{owner}.{name}: expected a dict, got {type(value).__name__}")
        return dict(value)
    if tp is Any:
        return value
    if isinstance(tp, type) and issubclass(tp, Record):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise SchemaError(f"{owner}.{name}: expected a {tp.__name__} object, got {type(value).__name__}")
        return tp.from_dict(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SchemaError(f"{owner}.{name}: expected a number, got {type(value).__name__} {value!r:.60}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(
                f"{owner}.{name}: expected an integer, got {type(value).__name__} {value!r:.60}"
            )
        return value
    if isinstance(tp, type):
        if not isinstance(value, tp):
            raise SchemaError(
                f"{owner}.{name}: expected {tp.__name__}, got {type(value).__name__} {value!r:.60}"
            )
        return value
    raise TypeError(f"{owner}.{name}: unsupported type hint {tp!r}")


@dataclasses.dataclass
class Record:
    """Base of the data contracts: validated construction from dicts, JSON round-trips."""

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R:
        if not isinstance(data, dict):
            raise SchemaError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise SchemaError(f"{cls.__name__}: unknown field(s) {unknown}; known fields: {sorted(fields)}")
        kwargs = {}
        for name, f in fields.items():
            if name not in data:
                required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                if required:
                    raise SchemaError(f"{cls.__name__}: missing required field {name!r}")
                continue
            kwargs[name] = _check_value(cls.__name__, name, data[name], hints[name])
        obj = cls(**kwargs)
        obj.validate()
        return obj

    def validate(self) -> None:
        """Cross-field rules; subclasses extend. Field types are checked by `from_dict`."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls: type[R], text: str | bytes) -> R:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{cls.__name__}: not valid JSON ({exc})") from None
        return cls.from_dict(data)
