"""Docs that are generated from the code stay in step with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_errors_md_lists_every_code() -> None:
    res = subprocess.run([sys.executable, "scripts/errors_doc.py", "--check"], cwd=ROOT)
    assert res.returncode == 0, "docs/errors.md is stale: run `make docs`"
