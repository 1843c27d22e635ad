"""A build whose output is not on this machine: s3:// through Beam's own S3 filesystem.

The driver reads back what the run wrote (the manifest, to add the run's throughput and write
report.html; pipeline/runner/launch.py, pipeline/report/build_report.py) through Beam's
`FileSystems`, so a `gs://` or `s3://` output works from a laptop. Beam has no in-memory
filesystem; its S3 filesystem (boto3) against moto's S3 server on 127.0.0.1 is a real object store
API over real HTTP, offline. The bucket's objects must then be the bytes of the same build made
to a local folder (tests/pipeline/build_snapshot.py).
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto.server import ThreadedMotoServer

from demo.sample import write_sample_web
from pipeline.jobs import m3w
from tests.pipeline.build_snapshot import differences, snapshot

BUCKET = "flamingo-builds"


@pytest.fixture(scope="module")
def s3():
    """(an S3 client, the Beam flags that point Beam's S3 filesystem at the same server)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        credentials = {
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
            "region_name": "us-east-1",
        }
        client = boto3.client("s3", endpoint_url=endpoint, **credentials)
        client.create_bucket(Bucket=BUCKET)
        flags = [
            f"--s3_endpoint_url={endpoint}",
            "--s3_access_key_id=test",
            "--s3_secret_access_key=test",
            "--s3_region_name=us-east-1",
        ]
        yield client, flags
    finally:
        server.stop()


def _download(client, prefix: str, dest) -> list[str]:
    names = []
    for obj in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]:
        name = obj["Key"][len(prefix) :]
        (dest / name).write_bytes(client.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read())
        names.append(name)
    return sorted(names)


@pytest.mark.timeout(600)
def test_build_to_an_object_store_is_the_local_build(s3, tmp_path, monkeypatch):
    client, s3_flags = s3
    web = tmp_path / "web"
    write_sample_web(web, seed=0, num_pages=12)
    flags = ["--input", str(web / "sample.warc.gz"), "--samples-per-shard", "3", "--no-progress"]
    monkeypatch.chdir(tmp_path)  # a path misread as local would appear here (s3:/...)
    manifest = m3w.run([*flags, "--output", f"s3://{BUCKET}/builds/m3w", *s3_flags])
    local = m3w.run([*flags, "--output", str(tmp_path / "local")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["local", "web"]

    # the driver read the manifest back from the bucket and rewrote it there with the throughput
    assert manifest["written"] == local["written"] > 0 and manifest["num_shards"] >= 2
    stored = json.loads(client.get_object(Bucket=BUCKET, Key="builds/m3w/manifest.json")["Body"].read())
    assert stored["throughput"]["stages"] and stored == manifest
    remote = tmp_path / "remote"
    remote.mkdir()
    names = _download(client, "builds/m3w/", remote)
    assert "report.html" in names and "report_error.txt" not in names
    assert differences(snapshot(tmp_path / "local"), snapshot(remote)) == []
