"""Fixtures of the plugin tests: the executor plugin on loopback HTTP with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from polyflow_argo.plugin import events
from polyflow_argo.plugin.server import Waits, make_handler
from tests.loopback import serving
from tests.plugin.harness import TOKEN, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


LOOPBACK = ("127.0.0.0/8", "::1")  # the test servers http events call: `--http-allow` of the plugin


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """http events may call loopback, as with `plugin serve --http-allow 127.0.0.0/8,::1`."""
    monkeypatch.setattr(events.HTTP, "policy", events.HttpPolicy.from_environment(LOOPBACK))


@pytest.fixture
def plugin(clock: Clock, loopback_allowed: None) -> Iterator[str]:
    """The plugin's base URL (http events may call the loopback test servers)."""
    with serving(make_handler(lambda: TOKEN, Waits(), clock)) as base:
        yield base
