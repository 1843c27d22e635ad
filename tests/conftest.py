"""Shared pytest fixtures (kept small: the server itself lives in tests/http_fixture.py)."""

import pytest

from tests.http_fixture import HttpFixture, install_default_routes


@pytest.fixture
def http_server():
    """A loopback server with the default good and misbehaving routes; add more with .add()."""
    with HttpFixture() as server:
        install_default_routes(server)
        yield server
