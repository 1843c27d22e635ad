"""`flamingo extract FILE --url URL` prints the Document as JSON."""

from __future__ import annotations

import json

from pipeline.cli import main as cli_main
from schemas import Document


def test_extract_cli_prints_the_document(tmp_path, capsys):
    page = tmp_path / "p.html"
    page.write_text(
        "<html><body><article><p>A red circle on a blue background, drawn by hand today.</p>"
        "<img src='img/a.jpg' alt='circle'></article></body></html>"
    )
    assert cli_main(["extract", str(page), "--url", "http://example.com/x/p.html"]) == 0
    doc = Document.from_dict(json.loads(capsys.readouterr().out))
    assert doc.texts[0] == "A red circle on a blue background, drawn by hand today."
    assert doc.images[1].url == "http://example.com/x/img/a.jpg" and doc.images[1].alt == "circle"


def test_extract_cli_missing_file(tmp_path, capsys):
    assert cli_main(["extract", str(tmp_path / "nope.html"), "--url", "http://e.com/"]) == 2
    assert "cannot read" in capsys.readouterr().err
