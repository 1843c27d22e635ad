"""Opening a report in a real browser (Debian's `chromium`, headless) and reading back what it rendered.

`render(report, screenshot)` loads the page twice from its file:
1. with a small probe script added (the page itself has no script, and its Content-Security-Policy
   forbids any; the copy's policy allows exactly the probe, by its hash, and nothing else): after
   the load event it marks every <img> with data-decoded="1|0" (complete with a natural width),
   lists the resources the page fetched (Resource Timing) and the requests its policy blocked
   (securitypolicyviolation events) in a #probe element, and chromium's --dump-dom returns the DOM;
2. unchanged, for a screenshot as tall as the page, written to `screenshot` for people to look at.

Without chromium the tests that need it skip with the reason; `make setup` installs it with
apt-get where it can (the Debian package `chromium`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_S = 60
WIDTH = 1100
MAX_HEIGHT = 16000  # px of a full-page screenshot

PROBE = """
var blocked = [];
document.addEventListener('securitypolicyviolation', function (e) {
  blocked.push(e.blockedURI || e.violatedDirective);
});
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img');
  for (var i = 0; i < imgs.length; i++) {
    imgs[i].setAttribute('data-decoded', imgs[i].complete && imgs[i].naturalWidth > 0 ? '1' : '0');
  }
  var out = document.createElement('div');
  out.id = 'probe';
  var fetched = performance.getEntriesByType('resource').map(function (e) { return e.name; });
  out.setAttribute('data-resources', JSON.stringify(fetched));
  out.setAttribute('data-blocked', JSON.stringify(blocked));
  out.setAttribute('data-height', String(document.documentElement.scrollHeight));
  document.body.appendChild(out);
});
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    path = chromium()
    if path is None:
        pytest.skip(
            "chromium is not installed, so the report is not checked in a browser: "
            "`apt-get install chromium` (make setup tries it)"
        )
    return path


@dataclass
class Rendered:
    dom: str  # what --dump-dom printed
    resources: list[str]  # URLs the page fetched
    blocked: list[str]  # requests its Content-Security-Policy stopped
    height: int  # px of the whole page
    screenshot: Path

    def images(self, cls: str | None = None) -> list[dict[str, str]]:
        """The attributes of every <img> (of class `cls`), in document order."""
        tags = re.findall(r"<img\b([^>]*)>", self.dom)
        found = [dict(re.findall(r'([\w-]+)="([^"]*)"', t)) for t in tags]
        return [a for a in found if cls is None or cls in a.get("class", "").split()]


def _probed_copy(report: Path, tmp: Path) -> Path:
    page = report.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert csp is not None, f"{report} has no Content-Security-Policy"
    allowed = f"{csp.group(1)}; script-src 'sha256-{digest}'"
    page = page.replace(
        csp.group(0),
        f'<meta http-equiv="Content-Security-Policy" content="{allowed}"><script>{PROBE}</script>',
        1,
    )
    copy = tmp / report.name
    copy.write_text(page, encoding="utf-8")
    return copy


def _run(binary: str, profile: Path, *args: str) -> str:
    done = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def render(report: Path, screenshot: Path) -> Rendered:
    binary = require_chromium()
    report = report.resolve()
    with tempfile.TemporaryDirectory(prefix="report-browser-") as tmp:
        tmp_path = Path(tmp)
        copy = _probed_copy(report, tmp_path)
        dom = _run(binary, tmp_path / "profile", "--dump-dom", copy.as_uri())
        probe = re.search(r'<div id="probe"([^>]*)>', dom)
        assert probe is not None, "the probe did not run: the page's load event never came"
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', probe.group(1)))
        height = min(int(attrs["data-height"]), MAX_HEIGHT)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        _run(
            binary,
            tmp_path / "profile",
            f"--window-size={WIDTH},{height}",
            f"--screenshot={screenshot}",
            "--hide-scrollbars",
            report.as_uri(),
        )
    resources, blocked = (json.loads(html.unescape(attrs[a])) for a in ("data-resources", "data-blocked"))
    return Rendered(dom, resources, blocked, height, screenshot)


def headings_and_figures(dom: str) -> list[tuple[str, str]]:
    """(tag, text or class) of every h1-h3 and chart figure, in document order."""
    out = []
    for m in re.finditer(r'<(h[1-3])\b[^>]*>(.*?)</\1>|<figure class="chart">', dom, re.S):
        if m.group(1):
            out.append((m.group(1), re.sub(r"<[^>]+>", "", m.group(2)).strip()))
        else:
            out.append(("figure", "chart"))
    return out
