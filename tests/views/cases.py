"""Helpers shared by the explain tests here, in tests/semantics and in tests/e2e."""

from __future__ import annotations

import tempfile
from pathlib import Path

from polyflow_argo.compiler import compile_ir
from polyflow_argo.resolve import Pipeline


def resolve_text(text: str) -> Pipeline:
    """The resolved pipeline of a pipeline text, read from a file as ``polyflow-argo explain FILE``
    reads it (compiled as compile does: views/explain.py works on what compiles)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.yaml"
        path.write_text(text, encoding="utf-8")
        return compile_ir([str(path)])[0]
