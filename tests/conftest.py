"""Shared test fixtures: paths to the repo and, when present, to ../shared (extra conformance checks),
and a project directory. Shared helpers that are not fixtures (the CLI runner, ``errors``) are in
tests/support.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POLYFLOW_SHARED", ROOT.parent / "shared"))
ARGO_SCHEMA = SHARED / "argo" / "argo-workflows.schema.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite the expected golden files")


@pytest.fixture(scope="session")
def argo_sim() -> Path:
    """The argo-sim binary (built from ../shared/argo-sim); skips with the reason when unavailable."""
    env_bin = os.environ.get("ARGO_SIM")
    if env_bin and Path(env_bin).exists():
        return Path(env_bin)
    build = SHARED / "argo-sim" / "build"
    if not build.exists():
        pytest.skip(f"argo-sim is not available: {build} is absent (../shared is not beside the repo)")
    if shutil.which("go") is None and not Path("/usr/share/gocode/src/github.com/antonmedv/expr").exists():
        if os.environ.get("CI"):
            pass  # .ci/run builds it first; the build script installs Go on CI
        else:
            pytest.skip("argo-sim needs Go (Debian golang-go); run ../shared/argo-sim/build once")
    try:
        out = subprocess.run(["bash", str(build)], check=True, capture_output=True, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"argo-sim could not be built: {exc}")
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def argo_schema() -> Path:
    if not ARGO_SCHEMA.exists():
        pytest.skip(f"Argo's JSON schema is absent ({ARGO_SCHEMA}); schema conformance not checked")
    return ARGO_SCHEMA


@pytest.fixture
def project_files() -> Mapping[str, str | None]:
    """The files of the ``project`` fixture, by path relative to it (``None``: an empty directory).
    A module overrides this fixture to give its project a config or template files."""
    return {"polyflow.yaml": ""}


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_files: Mapping[str, str | None]
) -> Path:
    """A project directory (``tmp_path``) holding ``project_files``, with the download cache of
    ``template: {url: ...}`` inside it (``XDG_CACHE_HOME``), so no test reads or fills the user's."""
    for name, content in project_files.items():
        path = tmp_path / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path
