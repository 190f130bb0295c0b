"""Fixtures of the plugin tests: the executor plugin on loopback HTTP with a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from polyflow_argo.plugin.server import Waits, make_handler
from tests.loopback import serving
from tests.plugin.harness import TOKEN, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def plugin(clock: Clock) -> Iterator[str]:
    """The plugin's base URL."""
    with serving(make_handler(lambda: TOKEN, Waits(), clock)) as base:
        yield base
