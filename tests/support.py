"""What many test modules need, once: the CLI as a user runs it (:func:`cli`) and the diagnostics a
compile refuses with (:func:`errors`, :func:`diagnostics`). The ``project`` fixture is in
tests/conftest.py.

One runner keeps every CLI test on the same terms: the venv's interpreter (``sys.executable``, so
the checkout's package and its pinned dependencies), text mode, a timeout so a hang fails the test
instead of the run, and no traceback on stderr (a traceback is our bug, exit 4, never a user error).
One ``errors`` keeps the same reading of a :class:`PolyflowError`: tests pick the fields they assert
on, so a test that compares ``(code, line)`` cannot silently start ignoring a column it never read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.errors import Diagnostic, PolyflowError

ROOT = Path(__file__).resolve().parent.parent

#: ``python -m polyflow_argo`` with the venv's interpreter: for ``Popen`` when a test must signal or
#: read the process while it runs; everything else uses :func:`cli`.
CLI = (sys.executable, "-m", "polyflow_argo")

#: seconds before a CLI subprocess is killed and the test fails (a compile takes well under one)
TIMEOUT = 60.0

#: variables that point the CLI at a cluster or change its settings: dropped by ``isolated=True``
_AMBIENT = ("ARGO_", "KUBE", "POLYFLOW_")


def isolated_env() -> dict[str, str]:
    """This process's environment without the cluster, Argo and Polyflow settings or proxies of the
    machine the tests run on, so a test against a double or a test cluster reaches only that."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_AMBIENT) and "proxy" not in k.lower()}


def cli(
    *args: str,
    cwd: Path | str = ROOT,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    isolated: bool = False,
    kubeconfig: Path | str | None = None,
    timeout: float = TIMEOUT,
    preexec_fn: Callable[[], Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m polyflow_argo *args`` and return what it did; asserts there is no traceback.

    ``env`` is laid over this process's environment, or over :func:`isolated_env` when ``isolated``
    or when ``kubeconfig`` is given (which also sets ``KUBECONFIG``); ``preexec_fn`` runs in the
    child before the CLI (a umask, a memory cap)."""
    base = isolated_env() if isolated or kubeconfig is not None else dict(os.environ)
    if kubeconfig is not None:
        base["KUBECONFIG"] = str(kubeconfig)
    res = subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,  # noqa: PLW1509 - the test process does not fork from threads here
    )
    assert "Traceback" not in res.stderr, res.stderr
    return res


# --- diagnostics -------------------------------------------------------------------------------------

_FIELDS: dict[str, Callable[[Diagnostic], object]] = {
    "code": lambda d: d.code,
    "message": lambda d: d.message,
    "hint": lambda d: d.hint or "",
    "severity": lambda d: d.severity,
    "file": lambda d: d.span.file if d.span else "",
    "line": lambda d: d.span.line if d.span else 0,
    "column": lambda d: d.span.column if d.span else 0,
    # `line:column`, or "" without a span
    "at": lambda d: f"{d.span.line}:{d.span.column}" if d.span else "",
    # `name:line:column` with the file's base name, or "" without a span
    "where": lambda d: f"{Path(d.span.file).name}:{d.span.line}:{d.span.column}" if d.span else "",
}


def diagnostics(
    source: str | Path,
    *,
    severity: str | None = "error",
    require: Sequence[str] = (),
    compile: Callable[..., object] = polyflow_argo.compile,  # noqa: A002 - the function under test
    **options: Any,
) -> list[Diagnostic]:
    """The diagnostics of the :class:`PolyflowError` that ``compile(source, **options)`` must raise.

    ``severity`` keeps only that severity (``None``: every diagnostic, warnings included);
    ``require`` names attributes every kept diagnostic must have (``("span", "hint")``: each error
    has a place and says how to fix it); ``compile`` is the call under test (the API's ``compile`` by
    default, or a test's own wrapper that builds the text or the options first)."""
    with pytest.raises(PolyflowError) as info:
        compile(source, **options)
    found = [d for d in info.value.diagnostics if severity is None or d.severity == severity]
    for d in found:
        assert all(getattr(d, name) for name in require), d
    return found


def errors(
    source: str | Path,
    *,
    select: str = "code line message",
    severity: str | None = "error",
    require: Sequence[str] = (),
    compile: Callable[..., object] = polyflow_argo.compile,  # noqa: A002 - the function under test
    **options: Any,
) -> list[tuple[Any, ...]]:
    """:func:`diagnostics` as tuples of the fields named in ``select`` (space-separated, in order):
    ``code``, ``message``, ``hint`` (``""`` when none), ``severity``, ``file``, ``line``, ``column``
    (``0`` without a span), ``at`` (``"line:column"``) and ``where`` (``"name:line:column"``)."""
    fields = [_FIELDS[name] for name in select.split()]
    found = diagnostics(source, severity=severity, require=require, compile=compile, **options)
    return [tuple(field(d) for field in fields) for d in found]


# A url template, served by the loopback tests of `template: {url: ...}` and `lock`.
REMOTE_TEMPLATE = """\
kind: job
name: remote-trainer
inputs: [{name: lr, type: float}]
build: {image: busybox}
run: {cmd: 'train --lr={{ lr }}'}
"""
