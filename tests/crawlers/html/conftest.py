"""Extraction tests run on both engines: crawlers/html/_fastdom.pyx (C) and the Python reference."""

from __future__ import annotations

import os

import pytest

from crawlers.html import extract


def compiled_or_skip():
    """crawlers.html._fastdom, or a skip (a failure under `make test`: it must be built there)."""
    fast = extract._compiled()
    if fast is None:
        if os.environ.get("FLAMINGO_REQUIRE_COMPILED"):
            pytest.fail("crawlers.html._fastdom is not built (`pip install -e .` builds it)")
        pytest.skip("crawlers.html._fastdom is not built")
    return fast


@pytest.fixture(params=["compiled", "python"])
def extract_engine(request, monkeypatch):
    """Parametrises a test over both engines (use with pytestmark = usefixtures(...))."""
    if request.param == "compiled":
        compiled_or_skip()
    else:
        monkeypatch.setattr(extract, "_compiled", lambda: None)
    return request.param
