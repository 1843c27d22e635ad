"""`python -m filters list|check`."""

from filters.__main__ import describe_filters, main


def test_list_names_every_filter_with_defaults(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out == describe_filters() + "\n"
    assert "image_size  [document, image, pair]" in out and "    min_side = 64" in out


def test_check_reports_chains_and_errors(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("pair:\n  - image_size: {min_side: 100}\n")
    assert main(["check", str(good)]) == 0
    assert "pair: image_size\n" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("pair:\n  - image_sise\n")
    assert main(["check", str(bad)]) == 2
    assert "unknown filter 'image_sise'; valid filters: aspect_ratio" in capsys.readouterr().err
