"""Pair lists and img2dataset shards as rows: `(source, row)` where source says "file:line".

    files = expand_inputs("lists/*.parquet")          # a file, a glob or a directory
    for source, row in read_rows(files[0]):           # row: dict, or a RowError for a bad line
        ...
    for source, members in read_webdataset_tar(path):  # {"jpg": b"...", "txt": b"...", "json": b"..."}

Formats by extension (parquet, csv, tsv, jsonl, json, txt, each optionally .gz) or forced with
`fmt=`. All I/O goes through Beam's FileSystems (local, gs://, s3://); `.gz` is decompressed while
streaming. A line that cannot be parsed is yielded as a RowError so the
job rejects it with a reason and the count of inputs stays exact.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tarfile
from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
from apache_beam.io.filesystems import CompressionTypes, FileSystems

FORMATS = ("parquet", "csv", "tsv", "jsonl", "json", "txt")
_ALIASES = {"ndjson": "jsonl", "parq": "parquet"}
PARQUET_BATCH_ROWS = 8192


class RowError:
    """A line of an input file that is not a row (bad JSON, wrong column count, ...)."""

    def __init__(self, detail: str):
        self.detail = detail

    def __repr__(self) -> str:
        return f"RowError({self.detail!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RowError) and other.detail == self.detail


def list_format(path: str) -> str:
    """The format named by a path's extension (`.gz` ignored); an error lists the valid ones."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(".gz"):
        name = name[:-3]
    ext = _ALIASES.get(name.rsplit(".", 1)[-1], name.rsplit(".", 1)[-1]) if "." in name else ""
    if ext not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {path!r} from its extension; use one of {FORMATS} (optionally .gz)"
        )
    return ext


def expand_inputs(pattern: str, extensions: tuple[str, ...] | None = None) -> list[str]:
    """Files named by a path, a glob or a directory (its files with a known extension), sorted."""
    if FileSystems.exists(pattern) and not _is_dir(pattern):
        return [pattern]
    if _is_dir(pattern):
        base = pattern.rstrip("/")
        found = [m.path for m in FileSystems.match([base + "/*"])[0].metadata_list]
        wanted = extensions or tuple(FORMATS)
        files = [p for p in found if _has_ext(p, wanted)]
    else:
        files = [m.path for m in FileSystems.match([pattern])[0].metadata_list]
    if not files:
        raise FileNotFoundError(f"no input files match {pattern!r}")
    return sorted(files)


def _is_dir(path: str) -> bool:
    if "://" not in path:
        import os.path

        return os.path.isdir(path)
    return FileSystems.exists(path.rstrip("/") + "/") and not FileSystems.match([path])[0].metadata_list


def _has_ext(path: str, exts: tuple[str, ...]) -> bool:
    name = path.lower()
    name = name[:-3] if name.endswith(".gz") else name
    return any(name.endswith("." + e) for e in exts)


def _open_text(path: str) -> io.TextIOWrapper:
    raw = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    if path.lower().endswith(".gz"):
        # Beam's own gzip reader lacks the io methods TextIOWrapper needs; GzipFile has them
        raw = gzip.GzipFile(fileobj=raw, mode="rb")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def read_rows(path: str, fmt: str | None = None) -> Iterator[tuple[str, dict[str, Any] | RowError]]:
    """(source, row) for each row of one list file; a line that is not a row is a RowError."""
    fmt = _ALIASES.get(fmt, fmt) if fmt else list_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown list format {fmt!r}; valid formats: {FORMATS}")
    yield from _READERS[fmt](path)


# A list file in parts that workers read separately: a parquet file by row group (one large file
# then spreads over the workers), any other file whole (row_group None).
ReadUnit = tuple[str, int | None]


def read_units(path: str, fmt: str | None = None) -> list[ReadUnit]:
    """(path, row group) for each row group of a plain parquet file; [(path, None)] for other files."""
    fmt = _ALIASES.get(fmt, fmt) if fmt else list_format(path)
    if fmt != "parquet" or path.lower().endswith(".gz"):
        return [(path, None)]
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        num_row_groups = pq.ParquetFile(f).metadata.num_row_groups  # the footer only
    return [(path, i) for i in range(num_row_groups)] or [(path, None)]


def read_unit_rows(unit: ReadUnit, fmt: str | None = None) -> Iterator[tuple[str, dict[str, Any] | RowError]]:
    """The rows of one read unit; sources number rows within the whole file, as `read_rows` does."""
    path, row_group = unit
    if row_group is None:
        yield from read_rows(path, fmt)
        return
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        parquet = pq.ParquetFile(f)
        n = sum(parquet.metadata.row_group(i).num_rows for i in range(row_group))
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=[row_group]):
            for row in batch.to_pylist():
                n += 1
                yield f"{path}:{n}", row


def _read_parquet(path: str):
    gz = path.lower().endswith(".gz")
    # Parquet needs random access: a gzipped file is inflated into memory first
    with FileSystems.open(
        path, compression_type=CompressionTypes.GZIP if gz else CompressionTypes.UNCOMPRESSED
    ) as f:
        source = io.BytesIO(f.read()) if gz else f
        n = 0
        for batch in pq.ParquetFile(source).iter_batches(batch_size=PARQUET_BATCH_ROWS):
            for row in batch.to_pylist():
                n += 1
                yield f"{path}:{n}", row


def _read_delimited(path: str, delimiter: str):
    with _open_text(path) as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        for row in reader:
            source = f"{path}:{reader.line_num}"
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines are not rows
            if len(row) != len(header):
                yield source, RowError(f"{len(row)} fields where the header has {len(header)}")
                continue
            yield source, dict(zip(header, row, strict=True))


def _read_jsonl(path: str):
    with _open_text(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"{path}:{n}", RowError(f"not JSON: {exc}")
                continue
            yield (
                f"{path}:{n}",
                row if isinstance(row, dict) else RowError(f"a JSON {type(row).__name__}, not an object"),
            )


def _read_json(path: str):
    with _open_text(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{path} is not a JSON document ({exc}); use .jsonl for one object per line"
            ) from None
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON array of row objects, got a {type(data).__name__}")
    for n, row in enumerate(data, 1):
        yield (
            f"{path}:{n}",
            row if isinstance(row, dict) else RowError(f"item {n} is a {type(row).__name__}, not an object"),
        )


def _read_txt(path: str):
    with _open_text(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                yield f"{path}:{n}", {"url": line.strip()}


_READERS = {
    "parquet": _read_parquet,
    "csv": lambda p: _read_delimited(p, ","),
    "tsv": lambda p: _read_delimited(p, "\t"),
    "jsonl": _read_jsonl,
    "json": _read_json,
    "txt": _read_txt,
}


def read_webdataset_tar(path: str) -> Iterator[tuple[str, dict[str, bytes]]]:
    """(source, members by extension) per sample of a WebDataset tar, e.g. img2dataset output.

    Members are grouped by the key before the first dot of the file name, in tar order, as the
    webdataset library does; `source` is "PATH:KEY".
    """
    with FileSystems.open(path, compression_type=CompressionTypes.AUTO) as f:
        key, members = None, {}
        with tarfile.open(fileobj=f, mode="r|*") as tar:
            for info in tar:
                if not info.isfile():
                    continue
                base = info.name.rsplit("/", 1)[-1]
                prefix = info.name[: len(info.name) - len(base)]
                sample_key, _, ext = base.partition(".")
                sample_key = prefix + sample_key
                if sample_key != key and members:
                    yield f"{path}:{key}", members
                    members = {}
                key = sample_key
                data = tar.extractfile(info)
                members[ext] = data.read() if data is not None else b""
        if members:
            yield f"{path}:{key}", members
