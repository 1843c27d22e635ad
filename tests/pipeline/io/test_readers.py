"""List readers: every format, gzip, globs and directories, malformed lines as RowErrors."""

import gzip
import io
import json
import tarfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.io.readers import (
    InputError,
    RowError,
    expand_inputs,
    list_format,
    read_rows,
    read_webdataset_tar,
)

ROWS = [
    {"url": "http://a.com/1.jpg", "caption": "one"},
    {"url": "http://a.com/2.jpg", "caption": "two, with comma"},
]


def write(path, fmt, rows=ROWS):
    if fmt == "parquet":
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buf)
        data = buf.getvalue()
    elif fmt in ("csv", "tsv"):
        import csv

        text = io.StringIO()
        w = csv.DictWriter(text, fieldnames=list(rows[0]), delimiter="," if fmt == "csv" else "\t")
        w.writeheader()
        w.writerows(rows)
        data = text.getvalue().encode()
    elif fmt == "jsonl":
        data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    elif fmt == "json":
        data = json.dumps(rows).encode()
    else:
        data = "".join(r["url"] + "\n" for r in rows).encode()
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "tsv", "jsonl", "json", "txt"])
@pytest.mark.parametrize("gz", [False, True])
def test_each_format_plain_and_gzipped(tmp_path, fmt, gz):
    path = write(tmp_path / f"list.{fmt}{'.gz' if gz else ''}", fmt)
    rows = [row for _, row in read_rows(path)]
    expected = [{"url": r["url"]} for r in ROWS] if fmt == "txt" else ROWS
    assert rows == expected
    assert [s for s, _ in read_rows(path)][0].startswith(path + ":")


def test_malformed_lines_are_row_errors(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"url": "http://a.com/x"}\nnot json\n[1, 2]\n\n')
    got = list(read_rows(str(p)))
    assert [type(r).__name__ for _, r in got] == ["dict", "RowError", "RowError"]
    assert got[2][1] == RowError("a JSON list, not an object") and got[1][0] == f"{p}:2"
    c = tmp_path / "bad.csv"
    c.write_text("url,caption\nhttp://a.com/x,hi\nhttp://a.com/y,hi,extra\n")
    assert [r for _, r in read_rows(str(c))][1] == RowError("3 fields where the header has 2")


def test_glob_and_directory(tmp_path):
    a = write(tmp_path / "a.csv", "csv")
    b = write(tmp_path / "b.jsonl.gz", "jsonl")
    (tmp_path / "notes.md").write_text("ignored")
    assert expand_inputs(str(tmp_path)) == [a, b]
    assert expand_inputs(str(tmp_path / "*.csv")) == [a]
    assert expand_inputs(a) == [a]
    with pytest.raises(InputError, match="no input files match"):
        expand_inputs(str(tmp_path / "*.parquet"))


def test_unknown_extension_is_an_error_listing_formats():
    with pytest.raises(ValueError, match="parquet"):
        list_format("list.xlsx")
    assert list_format("gs://b/list.TSV.gz") == "tsv"


def test_webdataset_tar_groups_members_by_key(tmp_path):
    path = tmp_path / "s.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in [
            ("dir/k1.jpg", b"J1"),
            ("dir/k1.json", b"{}"),
            ("dir/k2.jpg", b"J2"),
            ("dir/k2.seg.png", b"P"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    got = [(source, group.members) for source, group in read_webdataset_tar(str(path))]
    assert got == [
        (f"{path}:dir/k1", {"jpg": b"J1", "json": b"{}"}),
        (f"{path}:dir/k2", {"jpg": b"J2", "seg.png": b"P"}),
    ]


def _rows(path) -> list:
    return [
        (src.rsplit(":", 1)[1], row if isinstance(row, RowError) else (row["url"], row["caption"]))
        for src, row in read_rows(str(path))
    ]


def test_an_unterminated_quote_costs_its_own_row_only(tmp_path):
    """12 rows with a stray quote in row 2 were read as 2 inputs (the rest merged into one caption):
    every physical line is one row or one reject (issue 16, item 2)."""
    lines = ["url,caption"] + [f"http://x.test/{i}.jpg,caption {i}" for i in range(12)]
    lines[2] = 'http://x.test/1.jpg,"a caption that never closes'
    path = tmp_path / "lies.csv"
    path.write_text("\n".join(lines) + "\n")
    rows = _rows(path)
    assert len(rows) == 12
    assert (
        isinstance(rows[1][1], RowError) and "unterminated quote" in rows[1][1].detail and rows[1][0] == "3"
    )
    assert rows[2] == ("4", ("http://x.test/2.jpg", "caption 2")) and rows[11][1][0] == "http://x.test/11.jpg"


def test_quoted_fields_may_span_lines_and_quotes_mid_field_stay_literal(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text(
        'url,caption\nhttp://x.test/a.jpg,"two\nlines"\nhttp://x.test/b.jpg,a 5" screen\n'
        'http://x.test/c.jpg,"say ""hi"""\n'
    )
    assert _rows(path) == [
        ("2", ("http://x.test/a.jpg", "two\nlines")),
        ("4", ("http://x.test/b.jpg", 'a 5" screen')),
        ("5", ("http://x.test/c.jpg", 'say "hi"')),
    ]


def test_a_huge_field_is_one_reject_not_a_crashed_build(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(f"url,caption\nhttp://x.test/a.jpg,{'x' * 200_000}\nhttp://x.test/b.jpg,fine\n")
    rows = _rows(path)
    assert isinstance(rows[0][1], RowError) and "longer than" in rows[0][1].detail
    assert rows[1] == ("3", ("http://x.test/b.jpg", "fine"))


def test_byte_order_mark_and_invalid_utf8(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbfurl,caption\nhttp://x.test/a.jpg,caf\xc3\xa9\nhttp://x.test/b.jpg,caf\xe9\n"
    )
    rows = _rows(path)
    assert rows[0] == ("2", ("http://x.test/a.jpg", "café"))  # the BOM did not rename the url column
    assert isinstance(rows[1][1], RowError) and "not UTF-8" in rows[1][1].detail
    jsonl = tmp_path / "l.jsonl"
    jsonl.write_bytes(b'\xef\xbb\xbf{"url": "http://x.test/a.jpg", "caption": "c"}\n{"url": "\xff"}\n')
    got = list(read_rows(str(jsonl)))
    assert got[0][1] == {"url": "http://x.test/a.jpg", "caption": "c"} and isinstance(got[1][1], RowError)


def test_a_json_file_that_is_not_an_array_is_one_clear_error(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('{"url": "http://x.test/a.jpg"}')
    with pytest.raises(InputError, match="is a JSON dict, not an array of row objects"):
        list(read_rows(str(path)))
