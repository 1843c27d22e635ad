"""Typed configs from YAML and overrides: nested defaults kept, unknown names refused."""

from __future__ import annotations

import dataclasses

import pytest

from schemas.config import ConfigError, build_config, load_yaml


@dataclasses.dataclass(kw_only=True)
class Inner:
    threads: int = 32
    retries: int = 3
    rate: float = 1.0


@dataclasses.dataclass(kw_only=True)
class Outer:
    output: str
    inner: Inner = dataclasses.field(default_factory=lambda: Inner(threads=64))
    tags: list[str] = dataclasses.field(default_factory=list)


def test_a_partial_nested_mapping_keeps_the_fields_own_defaults():
    config = build_config(Outer, {"output": "o", "inner": {"retries": 1}})
    assert config.inner == Inner(threads=64, retries=1)  # 64 from Outer's default, not Inner's 32


def test_overrides_yaml_values_and_number_strings(tmp_path):
    (tmp_path / "c.yaml").write_text("output: o\ninner: {rate: 3e-4}\n")
    config = build_config(
        Outer, load_yaml(str(tmp_path / "c.yaml")), overrides=["inner.threads=8", "tags=[a, b]"]
    )
    assert (config.inner.rate, config.inner.threads, config.tags) == (3e-4, 8, ["a", "b"])


def test_unknown_and_missing_fields_are_named():
    with pytest.raises(ConfigError, match=r"Outer.inner: unknown field\(s\) \['threds'\]; valid fields"):
        build_config(Outer, {"output": "o", "inner": {"threds": 1}})
    with pytest.raises(ConfigError, match=r"missing required field\(s\) \['output'\]"):
        build_config(Outer, {})
    with pytest.raises(ConfigError, match="not key=value"):
        build_config(Outer, {"output": "o"}, overrides=["threads"])
