"""`template: {url: ...}` served from a loopback HTTP server: lock, pinned compile, cache, errors."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import polyflow_argo
from polyflow_argo import PolyflowError
from polyflow_argo.cli.compile import render
from polyflow_argo.translate.check import hera_round_trip, schema_errors
from tests.loopback import responder, serving
from tests.support import REMOTE_TEMPLATE as TEMPLATE
from tests.support import cli
from tests.test_golden import _expect

ROOT = Path(__file__).resolve().parents[2]
ARGO_SCHEMA = (
    Path(os.environ.get("POLYFLOW_SHARED", ROOT.parent / "shared")) / "argo" / "argo-workflows.schema.json"
)


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, object]]]:
    """Files by path; a value that is an int is the status to answer instead."""
    files: dict[str, object] = {"/trainer.yaml": TEMPLATE}

    def answer(path: str) -> tuple[int, str]:
        content = files.get(path, 404)
        return (200, content) if isinstance(content, str) else (int(content), "")  # type: ignore[call-overload]

    with serving(responder(answer)) as base:
        yield base, files


def pipeline(project: Path, url: str) -> Path:
    p = project / "p.yaml"
    p.write_text(f"version: 1\nkind: pipeline\nname: p\nops:\n  - name: a\n    template: {{url: '{url}'}}\n"
                 "    params: {lr: 0.1}\n")
    return p


def lock(project: Path, p: Path) -> subprocess.CompletedProcess[str]:
    """`polyflow-argo lock` with the project's download cache (the `project` fixture's)."""
    return cli("lock", str(p), env={"XDG_CACHE_HOME": str(project / "cache")})


def test_unpinned_url_is_refused(project: Path, served: tuple[str, dict]) -> None:
    p = pipeline(project, served[0] + "/trainer.yaml")
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p)
    (err,) = info.value.errors
    assert err.code == "PF326" and err.span.line == 6 and "polyflow-argo lock" in (err.hint or "")


def test_lock_then_compile_then_offline(
    project: Path, served: tuple[str, dict], request: pytest.FixtureRequest
) -> None:
    base, files = served
    p = pipeline(project, base + "/trainer.yaml")
    res = lock(project, p)
    assert res.returncode == 0, res.stderr
    assert "sha256:" in (project / "polyflow.lock").read_text()
    (wf,) = polyflow_argo.compile(p)
    assert [t["name"] for t in wf["spec"]["templates"]] == ["pipeline", "remote-trainer"]
    text = render([wf], "yaml")
    assert "127.0.0.1" not in text  # the content is pinned, not the address
    # the spec hash covers the pipeline text, which holds the loopback URL and so its random port
    text = re.sub(r"(polyflow.io/spec-hash): [0-9a-f]+", r"\1: <hash of a text with a random port>", text)
    _expect(ROOT / "tests" / "golden" / "url" / "remote-trainer.argo.yaml", text, request)
    assert hera_round_trip(wf) == []
    if ARGO_SCHEMA.exists():  # ../shared beside the repo; tests/test_golden.py says so when it is absent
        assert schema_errors(wf, ARGO_SCHEMA) == []
    files["/trainer.yaml"] = 500  # the server breaks: the pinned content comes from the cache
    (again,) = polyflow_argo.compile(p)
    assert again == wf


def test_changed_content_is_refused(project: Path, served: tuple[str, dict], tmp_path: Path) -> None:
    base, files = served
    p = pipeline(project, base + "/trainer.yaml")
    assert lock(project, p).returncode == 0
    for cached in (project / "cache").rglob("*.yaml"):
        cached.unlink()
    files["/trainer.yaml"] = TEMPLATE.replace("busybox", "evil:latest")
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p)
    (err,) = info.value.errors
    assert err.code == "PF327" and "changed" in err.message and "polyflow-argo lock" in (err.hint or "")


def test_fetch_errors_and_bad_content(project: Path, served: tuple[str, dict]) -> None:
    base, files = served
    res = lock(project, pipeline(project, base + "/missing.yaml"))
    assert res.returncode == 1 and "answered 404" in res.stderr and "p.yaml:6:" in res.stderr
    files["/bad.yaml"] = TEMPLATE.replace("float", "flaot")
    p = pipeline(project, base + "/bad.yaml")
    assert lock(project, p).returncode == 0
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p)
    (err,) = info.value.errors
    assert err.span.file == base + "/bad.yaml" and err.span.line == 3 and "flaot" in err.message
    files["/big.yaml"] = "x" * (2 << 20)
    res = lock(project, pipeline(project, base + "/big.yaml"))
    assert res.returncode == 1 and "over 1048576 bytes" in res.stderr


def test_only_https_urls(project: Path) -> None:
    p = pipeline(project, "http://example.com/t.yaml")
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p)
    assert info.value.errors[0].code == "PF327" and "must be https://" in info.value.errors[0].message
