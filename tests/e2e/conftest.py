"""Fixtures of the e2e suite: a real control plane (tests/e2e/cluster.py), the scripted kubelet
(tests/e2e/kubelet.py) and our real plugin server, started once per session.

The suite skips, saying why, when Go or the module proxy is unavailable, or when the components are
not built yet (``bash tests/e2e/build-components.sh``; ``.ci/run`` builds them). ``POLYFLOW_E2E_BUILD=1``
lets the fixture build them itself. On failure the processes' logs are kept under ``.e2e-artifacts/``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .cluster import Cluster, ClusterError, components, free_port, keep_logs
from .kubelet import ScriptedKubelet
from .runs import Runs

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".e2e-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def e2e_bins() -> dict[str, str]:
    build = os.environ.get("POLYFLOW_E2E_BUILD") == "1"
    if shutil.which("go") is None:
        try:
            return components(build=False)
        except ClusterError:
            pytest.skip(
                "skipped: Go toolchain or module proxy unavailable (the e2e components cannot be built)"
            )
    try:
        return components(build=build)
    except ClusterError as exc:
        pytest.skip(f"skipped: e2e components unavailable: {exc}")


@pytest.fixture(scope="session")
def cluster(
    e2e_bins: dict[str, str], tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Cluster]:
    work = tmp_path_factory.mktemp("e2e-cluster")
    c = Cluster(work, e2e_bins)
    try:
        c.start()
    except ClusterError as exc:
        dest = keep_logs(c, ARTIFACTS / "startup")
        pytest.fail(f"the e2e control plane did not start: {exc} (logs in {dest})")
    sys.stderr.write(f"\n[e2e] control plane up in {c.startup_seconds:.1f}s\n")
    try:
        yield c
    finally:
        c.stop()
        if request.session.testsfailed:
            dest = keep_logs(c, ARTIFACTS / time.strftime("%Y%m%d-%H%M%S"))
            sys.stderr.write(f"\n[e2e] logs of the control plane kept in {dest}\n")


@pytest.fixture(scope="session")
def plugin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Our real executor plugin (`polyflow-argo plugin serve`) on loopback: (url, token)."""
    token = secrets.token_hex(16)
    token_file = tmp_path_factory.mktemp("plugin") / "token"
    token_file.write_text(token)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "polyflow_argo",
            "plugin",
            "serve",
            "--port",
            str(port),
            "--token-file",
            str(token_file),
            "--http-allow",  # the http events of tests/e2e call servers on loopback (docs/plugin.md)
            "127.0.0.0/8,::1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url, token
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def kubelet(cluster: Cluster, plugin_server: tuple[str, str]) -> Iterator[ScriptedKubelet]:
    k = ScriptedKubelet(cluster, *plugin_server).start()
    try:
        yield k
    finally:
        k.stop()


@pytest.fixture(scope="session")
def runs(cluster: Cluster, kubelet: ScriptedKubelet) -> Runs:
    return Runs(cluster, kubelet)
