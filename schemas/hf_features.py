"""Hugging Face `datasets` features of each shard kind: what `load_dataset("webdataset", ...)` needs.

`datasets`' webdataset builder infers features from the first five samples of the first tar and
then drops, without a word, every member a later sample has that those five lacked (an M3W page
with more images than the first pages). With declared features it instead fills a sample's
missing members with None and keeps every declared one, so a build declares the union of the
member names its samples use (`000.jpg`, `001.png`, ... for M3W; frames for videos):

    features = shard_features("m3w", {"json", "000.jpg", "001.jpg"})      # Features.to_dict() form
    datasets.load_dataset("webdataset", data_files=..., features=datasets.Features.from_dict(features))

The `json` member follows its record (Document, VideoTextPair): fields by their type hints, so
the declaration cannot drift from schemas/; free-form dicts (`metadata`, `extra`, a pair's input
columns) are `Json()` (tested with datasets 5.2), which keeps any keys instead of one struct for
all of them.
This module writes plain dicts and never imports `datasets` (the data jobs do not depend on it).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from schemas.document import Document
from schemas.pairs import VideoTextPair
from schemas.record import Record
from schemas.samples import IMAGE_EXTS, parse_indexed_member

FeatureDict = dict[str, Any]

# The webdataset builder's own columns: the sample key and the tar it came from.
KEY_COLUMNS = ("__key__", "__url__")
_SCALARS = {str: "string", int: "int64", float: "float64", bool: "bool"}


def value(dtype: str) -> FeatureDict:
    return {"dtype": dtype, "_type": "Value"}


def list_of(feature: FeatureDict) -> FeatureDict:
    return {"feature": feature, "_type": "List"}


JSON: FeatureDict = {"_type": "Json"}
IMAGE: FeatureDict = {"_type": "Image"}
# Decoding a video needs torchcodec; undecoded ({"bytes", "path"}) loads everywhere, and
# `ds.cast_column("mp4", datasets.Video())` decodes where torchcodec is installed.
VIDEO: FeatureDict = {"decode": False, "_type": "Video"}


def _feature_of_hint(hint: Any) -> FeatureDict:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(arms) != 1:
            raise TypeError(f"no datasets feature for the union {hint!r}")
        return _feature_of_hint(arms[0])
    if origin is list:
        (item,) = typing.get_args(hint)
        return list_of(_feature_of_hint(item))
    if hint is dict or origin is dict:
        return JSON
    if isinstance(hint, type) and issubclass(hint, Record):
        return record_features(hint)
    if hint in _SCALARS:
        return value(_SCALARS[hint])
    raise TypeError(f"no datasets feature for the type {hint!r}")


def record_features(cls: type[Record]) -> FeatureDict:
    """The struct feature of a record, field by field in declaration order."""
    hints = typing.get_type_hints(cls)
    return {f.name: _feature_of_hint(hints[f.name]) for f in dataclasses.fields(cls)}


# The json member of each job (schemas/samples.py writes them): a Document, img2dataset's flat
# fields plus the input row's own columns (any names: Json), a VideoTextPair.
JSON_MEMBER: dict[str, FeatureDict] = {
    "m3w": record_features(Document),
    "pairs": JSON,
    "videos": record_features(VideoTextPair),
}


def member_feature(name: str) -> FeatureDict:
    """The feature of one member suffix (`json`, `txt`, `jpg`, `003.png`, `mp4`, ...)."""
    indexed = parse_indexed_member(name)
    ext = indexed[1] if indexed is not None else name
    if ext in IMAGE_EXTS:
        return IMAGE
    if ext == "txt":
        return value("string")
    if ext == "mp4":
        return VIDEO
    return value("binary")


def _member_order(name: str) -> tuple[int, int, str]:
    indexed = parse_indexed_member(name)
    if name == "json":
        return (0, 0, name)
    if name == "txt":
        return (1, 0, name)
    return (2, indexed[0], name) if indexed is not None else (3, 0, name)


def shard_features(job: str, members: set[str] | list[str]) -> FeatureDict:
    """Features (the `Features.to_dict()` form) of a `job` build whose samples use `members`."""
    if job not in JSON_MEMBER:
        raise ValueError(f"no features for job {job!r}; jobs: {', '.join(JSON_MEMBER)}")
    out: FeatureDict = {name: value("string") for name in KEY_COLUMNS}
    for name in sorted(set(members) | {"json"}, key=_member_order):
        out[name] = JSON_MEMBER[job] if name == "json" else member_feature(name)
    return out


def to_yaml_list(features: FeatureDict) -> list[dict[str, Any]]:
    """The dataset card's `dataset_info.features` form of the same features (what
    `datasets.Features._to_yaml_list()` writes)."""
    return [{"name": name, **_yaml_entry(feature)} for name, feature in features.items()]


def _yaml_entry(feature: FeatureDict) -> dict[str, Any]:
    kind = feature.get("_type")
    if kind is None:  # a struct: a plain mapping of fields
        return {"struct": to_yaml_list(feature)}
    if kind == "List":
        inner = _yaml_entry(feature["feature"])
        if set(inner) == {"dtype"}:
            return {"list": inner["dtype"]}
        return {"list": inner["struct"]} if set(inner) == {"struct"} else {"list": inner}
    if kind == "Value":
        return {"dtype": feature["dtype"]}
    params = {k: v for k, v in feature.items() if k != "_type"}
    return {"dtype": {kind.lower(): params} if params else kind.lower()}
