"""A fast smoke run of `flamingo demo`: a small sample web, the pairs job, a few training
steps, the evaluation and both report files. (The full demo is `make demo`.)"""

from __future__ import annotations

import json

import torch

from demo.run import main, run


def test_demo_smoke_writes_report_json_and_html(tmp_path):
    threads = torch.get_num_threads()
    try:
        report = run(
            str(tmp_path / "demo"),
            num_steps=3,
            jobs=("pairs", "nonexistent"),
            num_pages=8,
            lm_steps=5,
            max_queries=4,
            progress=False,
        )
    finally:
        torch.set_num_threads(threads)
    saved = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert set(saved["eval"]) >= {"accuracy", "accuracy_shuffled_images", "chance"}
    assert saved["jobs"]["nonexistent"] == {"status": "missing"}
    pairs = saved["jobs"]["pairs"]
    assert pairs["status"] == "ok" and pairs["written"] > 0
    assert pairs["inputs"] == pairs["written"] + pairs["rejected"]
    assert len(saved["train"]["loss"]) == 3 and saved["train"]["loss_by_dataset"].keys() == {"pairs"}
    assert saved["eval"]["queries"] == 4 and 0.0 <= saved["eval"]["accuracy"] <= 1.0
    html = (tmp_path / "demo" / "report.html").read_text()
    assert "rejects by reason" in html and "loss.png" in html
    assert (tmp_path / "demo" / "loss.png").stat().st_size > 1000
    assert report["eval"]["chance"] == saved["eval"]["chance"]


def test_demo_help_exits_cleanly(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "--output" in capsys.readouterr().out
