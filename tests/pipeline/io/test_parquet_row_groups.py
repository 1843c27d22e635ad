"""Parquet pair lists are read by row group: one file spreads over workers, rows keep their numbers."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.io.readers import read_rows, read_unit_rows, read_units
from pipeline.jobs.pairs import run
from schemas import url_key
from tests.http_fixture import HttpFixture, install_default_routes

ROWS = [{"url": f"http://a.test/{i}.jpg", "caption": f"picture {i}"} for i in range(35)]


def write_parquet(path, rows=ROWS, row_group_size=10):
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)
    return str(path)


def test_units_are_row_groups_and_read_as_the_whole_file_does(tmp_path):
    path = write_parquet(tmp_path / "list.parquet")
    units = read_units(path)
    assert units == [(path, 0), (path, 1), (path, 2), (path, 3)]  # 10 + 10 + 10 + 5 rows
    by_unit = [r for unit in reversed(units) for r in read_unit_rows(unit)]  # any order, any worker
    assert sorted(by_unit) == sorted(read_rows(path))
    assert [src for src, _ in read_unit_rows((path, 2))] == [f"{path}:{n}" for n in range(21, 31)]


def test_other_files_are_one_unit(tmp_path):
    gz = tmp_path / "list.parquet.gz"
    gz.write_bytes(gzip.compress(open(write_parquet(tmp_path / "plain.parquet"), "rb").read()))
    csv = tmp_path / "list.csv"
    csv.write_text("url,caption\nhttp://a.test/x.jpg,x\n")
    empty = write_parquet(tmp_path / "empty.parquet", rows=[], row_group_size=10)
    assert read_units(str(gz)) == [(str(gz), None)]  # no random access into a gzip stream
    assert read_units(str(csv)) == [(str(csv), None)]
    assert [r for unit in read_units(empty) for r in read_unit_rows(unit)] == []
    assert len(list(read_unit_rows((str(gz), None)))) == len(ROWS)


def test_pairs_job_reads_a_multi_row_group_list_exactly_once(tmp_path):
    (tmp_path / "nofilters.yaml").write_text("pair: []\n")
    with HttpFixture() as server:
        install_default_routes(server)
        rows = [{"url": server.url(f"/good.jpg?n={i}"), "caption": f"c {i}"} for i in range(25)]
        path = write_parquet(tmp_path / "list.parquet", rows, row_group_size=7)
        assert len(read_units(path)) == 4
        manifest = run(
            ["--input", path, "--output", str(tmp_path / "out"), "--allow-private", "--no-progress"]
            + ["--image-size", "32", "--no-dedup", "--filters", str(tmp_path / "nofilters.yaml")]
        )
    assert (manifest["inputs"], manifest["written"], manifest["rejected"]) == (25, 25, 0)
    sidecar = {
        r["key"] for f in (tmp_path / "out").glob("pairs-*.parquet") for r in pq.read_table(f).to_pylist()
    }
    assert sidecar == {url_key(r["url"]) for r in rows}
