"""Pytest fixtures for tests that talk to the double: import them into a conftest or a test module
(``from tests.apidouble.fixtures import api_double, kubeconfig``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .double import ApiDouble

NAMESPACE = "ml"


@pytest.fixture
def api_double() -> Iterator[ApiDouble]:
    """Kubernetes API + Argo Server double with namespaces default, argo and ml; streams end within 10 s;
    fails the test if a server thread outlives it."""
    double = ApiDouble(namespaces=("default", "argo", NAMESPACE), max_watch_seconds=10.0).start()
    try:
        yield double
    finally:
        double.stop()
        left = [t.name for t in threading.enumerate()
                if t.name.startswith("apidouble") or "process_request_thread" in t.name]
        assert not left, f"threads left running after stop(): {left}"


@pytest.fixture
def kubeconfig(api_double: ApiDouble, tmp_path: Path) -> Path:
    """A kubeconfig file (context ``apidouble``, namespace ``ml``, the double's bearer token)."""
    return api_double.kubeconfig(tmp_path / "kubeconfig", namespace=NAMESPACE)
