"""A fast smoke run of `flamingo demo` (tests/demo/conftest.py): a small sample web, every job, a few
training steps, the evaluation and the report files. (The full demo is `make demo`.)"""

from __future__ import annotations

import json

from demo.run import main


def test_demo_smoke_writes_report_json_and_html(demo_run):
    out, report = demo_run
    saved = json.loads((out / "report.json").read_text())
    assert set(saved["eval"]) >= {"accuracy", "accuracy_shuffled_images", "chance"}
    assert saved["jobs"]["nonexistent"] == {"status": "missing"}
    for job in ("pairs", "m3w", "videos"):
        built = saved["jobs"][job]
        assert built["status"] == "ok" and built["written"] > 0
        assert built["inputs"] == built["written"] + built["rejected"]
        assert (out / "shards" / job / "report.html").is_file()
    assert len(saved["train"]["loss"]) == 3 and saved["train"]["loss_by_dataset"].keys() == {
        "pairs",
        "m3w",
        "videos",
    }
    assert saved["eval"]["queries"] == 4 and 0.0 <= saved["eval"]["accuracy"] <= 1.0
    # each prediction names the support examples its 4-shot prompt held
    assert [len(e["support"]) for e in saved["eval"]["examples"]] == [4, 4, 4, 4]
    html = (out / "report.html").read_text()
    assert "rejects by reason" in html and 'src="data:image/png;base64,' in html  # the loss chart, inline
    assert (out / "loss.png").stat().st_size > 1000
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
    assert (out / "shots.png").stat().st_size > 1000
    assert "accuracy against shots" in html and "Fast binding" in html


def test_demo_help_exits_cleanly(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "--output" in capsys.readouterr().out
