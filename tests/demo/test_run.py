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
            icl_seeds=(0, 1),
            max_episodes=6,
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
    # The in-context-learning entries: the shots curves over two seeds, and the binding task.
    ev = saved["eval"]
    assert set(ev["shots_curve"]) == set(ev["shots_curve_random"]) == {"0", "1", "2", "4", "8"}
    assert all(0.0 <= acc <= 1.0 for acc in ev["shots_curve"].values())
    rices = ev["shots_curve_detail"]["rices"]
    assert all(len(runs) == 2 for runs in rices["runs"].values()) and rices["mean"] == ev["shots_curve"]
    binding = ev["binding"]
    assert binding["episodes"] == 6 and binding["chance"] == 0.25 and binding["seeds"] == [0, 1]
    assert {"accuracy", "zero_shot", "shuffled_support"} <= set(binding)
    assert (tmp_path / "demo" / "shots.png").stat().st_size > 1000
    assert "shots.png" in html and "Fast binding" in html


def test_demo_help_exits_cleanly(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "--output" in capsys.readouterr().out
