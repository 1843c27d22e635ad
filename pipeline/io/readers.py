"""Pair lists and img2dataset shards as rows: `(source, row)` where source says "file:line".

    files = expand_inputs("lists/*.parquet")          # a file, a glob or a directory
    for source, row in read_rows(files[0]):           # row: dict, or a RowError for a bad line
        ...
    for source, group in read_webdataset_tar(path):    # group.members: {"jpg": b"...", "json": b"..."}

Formats by extension (parquet, csv, tsv, jsonl, json, txt, each optionally .gz) or forced with
`fmt=`. All I/O goes through Beam's FileSystems (local, gs://, s3://); `.gz` is decompressed while
streaming. A line that cannot be parsed is yielded as a RowError so the
job rejects it with a reason and the count of inputs stays exact.
"""

from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import gzip
import io
import json
import tarfile
import zlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import CompressionTypes, FileSystems

from crawlers.shard_tar import MAX_MEMBER_BYTES, iter_tar_groups

FORMATS = ("parquet", "csv", "tsv", "jsonl", "json", "txt")
_ALIASES = {"ndjson": "jsonl", "parq": "parquet"}
PARQUET_BATCH_ROWS = 8192
MAX_LINE_BYTES = 1 << 20  # a physical line past this is not a row of a list
MAX_RECORD_CHARS = 128 * 1024  # a CSV record past this is not a row (also csv's own field limit)
MAX_RECORD_LINES = 64  # physical lines one quoted CSV field may span


def source_order(source: str) -> tuple[str, int, str]:
    """Sort key of a row's source "PATH:LINE" in file order (line 10 after line 9)."""
    path, _, line = source.rpartition(":")
    return (path, int(line), "") if line.isdigit() else (source, 0, "")


class InputError(ValueError):
    """An input file that cannot be read at all (not just one bad row): the message names the
    file, what is wrong and what to do; the command line shows it as one line."""


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
        raise InputError(f"no input files match {pattern!r}: check the path or glob (and its bucket access)")
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


def _open_binary(path: str):
    raw = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    if path.lower().endswith(".gz"):
        # Beam's own gzip reader lacks the io methods readline needs; GzipFile has them
        raw = gzip.GzipFile(fileobj=raw, mode="rb")
    return raw


def physical_lines(path: str) -> Iterator[tuple[int, str | RowError]]:
    """(line number, text) for every physical line, decoded as strict UTF-8 (a UTF-8 byte-order
    mark is dropped); a line that is not UTF-8, or longer than MAX_LINE_BYTES, is a RowError
    (U+FFFD in a URL would be a different URL, and one bad line must not hide the others)."""
    with _open_binary(path) as f:
        n = 0
        while raw := f.readline(MAX_LINE_BYTES + 1):
            n += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := f.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass  # the rest of an overlong line: read through, never held
                yield n, RowError(f"line {n} is longer than {MAX_LINE_BYTES} bytes")
                continue
            if n == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield n, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield (
                    n,
                    RowError(
                        f"line {n} is not UTF-8 (byte {exc.start}: {exc.reason}); save the list as UTF-8"
                    ),
                )


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
        num_row_groups = _open_parquet(path, f).metadata.num_row_groups  # the footer only
    return [(path, i) for i in range(num_row_groups)] or [(path, None)]


def read_unit_rows(unit: ReadUnit, fmt: str | None = None) -> Iterator[tuple[str, dict[str, Any] | RowError]]:
    """The rows of one read unit; sources number rows within the whole file, as `read_rows` does."""
    path, row_group = unit
    if row_group is None:
        yield from read_rows(path, fmt)
        return
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        parquet = _open_parquet(path, f)
        n = sum(parquet.metadata.row_group(i).num_rows for i in range(row_group))
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=[row_group]):
            for row in batch.to_pylist():
                n += 1
                yield f"{path}:{n}", row


def _open_parquet(path: str, source) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path} is not a parquet file ({exc}); give a .parquet list, or name its format"
        ) from None


def _read_parquet(path: str):
    gz = path.lower().endswith(".gz")
    # Parquet needs random access: a gzipped file is inflated into memory first
    with FileSystems.open(
        path, compression_type=CompressionTypes.GZIP if gz else CompressionTypes.UNCOMPRESSED
    ) as f:
        source = io.BytesIO(f.read()) if gz else f
        n = 0
        parquet = _open_parquet(path, source)
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            for row in batch.to_pylist():
                n += 1
                yield f"{path}:{n}", row


def _needs_more_lines(text: str, delimiter: str) -> bool:
    """True while a quoted field is still open at the end of `text` (csv's strict mode says so)."""
    try:
        list(csv.reader(io.StringIO(text), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def delimited_records(
    lines: Iterator[tuple[int, str | RowError]], delimiter: str
) -> Iterator[tuple[int, list[str] | RowError]]:
    """(first line number, fields) per CSV/TSV record, each line read as part of exactly one record
    or one RowError. A quoted field may span lines (up to MAX_RECORD_LINES and MAX_RECORD_CHARS);
    a quote that does not close within them makes its opening line a RowError, and the lines after
    it are read again as records of their own: one stray quote costs one row, not the file."""
    pushed: collections.deque = collections.deque()

    def next_line():
        return pushed.popleft() if pushed else next(lines, None)

    while (item := next_line()) is not None:
        n, text = item
        if isinstance(text, RowError) or not text.strip():
            if isinstance(text, RowError):
                yield n, text
            continue  # blank lines are not rows
        taken, record = [item], text
        while '"' in record and _needs_more_lines(record, delimiter):
            nxt = None if len(taken) >= MAX_RECORD_LINES or len(record) > MAX_RECORD_CHARS else next_line()
            if nxt is None or isinstance(nxt[1], RowError):
                if nxt is not None:
                    taken.append(nxt)
                yield (
                    n,
                    RowError(
                        f"unterminated quote: the field opened on line {n} does not close "
                        f"within {len(taken)} lines or {MAX_RECORD_CHARS} characters"
                    ),
                )
                pushed.extendleft(reversed(taken[1:]))
                break
            taken.append(nxt)
            record += nxt[1]
        else:
            if len(record) > MAX_RECORD_CHARS:
                yield n, RowError(f"row of {len(record)} characters is longer than {MAX_RECORD_CHARS}")
                continue
            yield n, next(csv.reader([record], delimiter=delimiter))


def _read_delimited(path: str, delimiter: str):
    records = delimited_records(physical_lines(path), delimiter)
    first = next(records, None)
    if first is None:
        return
    if isinstance(first[1], RowError):
        raise InputError(f"{path}: its header (line {first[0]}) cannot be read: {first[1].detail}")
    header = [h.strip() for h in first[1]]
    for n, row in records:
        source = f"{path}:{n}"
        if isinstance(row, RowError):
            yield source, row
        elif len(row) != len(header):
            yield source, RowError(f"{len(row)} fields where the header has {len(header)}")
        else:
            yield source, dict(zip(header, row, strict=True))


def _read_jsonl(path: str):
    for n, line in physical_lines(path):
        source = f"{path}:{n}"
        if isinstance(line, RowError):
            yield source, line
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield source, RowError(f"not JSON: {exc}")
            continue
        yield (
            source,
            row if isinstance(row, dict) else RowError(f"a JSON {type(row).__name__}, not an object"),
        )


def _read_json(path: str):
    with _open_binary(path) as f:
        raw = f.read()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 (byte {exc.start}: {exc.reason}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path} is not a JSON document ({exc}); use .jsonl for one object per line"
        ) from None
    if not isinstance(data, list):
        raise InputError(
            f"{path} is a JSON {type(data).__name__}, not an array of row objects: give [{{...}}, ...], "
            "or use .jsonl for one object per line"
        )
    for n, row in enumerate(data, 1):
        yield (
            f"{path}:{n}",
            row if isinstance(row, dict) else RowError(f"item {n} is a {type(row).__name__}, not an object"),
        )


def _read_txt(path: str):
    for n, line in physical_lines(path):
        if isinstance(line, RowError):
            yield f"{path}:{n}", line
        elif line.strip():
            yield f"{path}:{n}", {"url": line.strip()}


_READERS = {
    "parquet": _read_parquet,
    "csv": lambda p: _read_delimited(p, ","),
    "tsv": lambda p: _read_delimited(p, "\t"),
    "jsonl": _read_jsonl,
    "json": _read_json,
    "txt": _read_txt,
}


TAR_TAIL = "tail"  # the key part of a damaged tar's unreadable rest, one input like a WARC's


def read_webdataset_tar(path: str, max_member_bytes: int = MAX_MEMBER_BYTES) -> Iterator[tuple[str, Any]]:
    """(source, TarGroup) per sample of a WebDataset tar, e.g. img2dataset output, in tar order;
    `source` is "PATH:KEY". Oversized and badly named members are left out and named in the
    group's `skipped` (crawlers/shard_tar.py). A tar damaged part-way yields its samples, then
    (source "PATH:tail", TarDamage) for the unreadable rest: one input, not a crashed job.
    """
    with FileSystems.open(path, compression_type=CompressionTypes.AUTO) as f:
        try:
            for group in iter_tar_groups(f, max_member_bytes=max_member_bytes):
                yield f"{path}:{group.key}", group
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            yield f"{path}:{TAR_TAIL}", TarDamage(f"{type(exc).__name__}: {exc}"[:500])


@dataclasses.dataclass(frozen=True)
class TarDamage:
    """The rest of a tar could not be read; `detail` says why."""

    detail: str
