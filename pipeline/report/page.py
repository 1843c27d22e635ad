"""The frame every report page shares: one self-contained HTML file that makes no request.

`page(title, body)` wraps the body with the style sheet and a Content-Security-Policy that allows
inline styles and `data:` images and nothing else (no scripts, no fonts, no fetches), so a report
downloaded from a bucket opens offline and cannot reach out even if a text slipped through
unescaped. Headings go above what they name: `chart(heading, svg)` writes the heading, then the
figure.
"""

from __future__ import annotations

import html
import re

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font-family:sans-serif;max-width:62em;margin:1em auto;padding:0 1em;color:#222;line-height:1.4}
h2{margin-top:1.6em;border-bottom:1px solid #ccc}h3{margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.5em 0}
td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}
td.num,th.num{text-align:right}figure{margin:.3em 0 1em}
.summary{font-size:1.1em;background:#f4f6f8;padding:.6em 1em;border-left:4px solid #4878a8}
.note{color:#555;font-size:.9em}.warn{color:#a33}
.gallery{display:flex;flex-wrap:wrap;gap:10px}
.gallery figure{width:112px;margin:0;font-size:.75em;overflow-wrap:anywhere}
.gallery.rejects figure{width:150px}
img.thumb{display:block;max-width:96px;max-height:96px;border:1px solid #ccc}
img.doc-image{max-width:128px;max-height:128px;margin:.3em 0}
.doc{border:1px solid #ddd;padding:.3em .8em;margin:.6em 0}.doc .block{margin:.3em 0}
.doc-url{font-size:.9em;overflow-wrap:anywhere}
.strip{display:flex;gap:3px}.video{margin:.6em 0}.video figcaption{font-size:.85em}
.url{font-family:monospace;color:#555}.noimage .url{display:block;min-height:3em}
.over-budget,.undecodable{display:inline-block;width:96px;font-size:.75em;color:#a33}
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def chart(heading: str, svg: str) -> str:
    """A chart under its own heading (h3), the heading first."""
    head = f'<h3 class="chart-heading" id="{slug(heading)}">{esc(heading)}</h3>'
    return f'{head}<figure class="chart">{svg}</figure>'


def page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{esc(title)}</h1>",
            *body,
            "</body></html>",
        ]
    )
