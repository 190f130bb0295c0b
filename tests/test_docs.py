"""Docs that are generated from the code stay in step with it, and every diagnostic code explains itself.

The code catalogs (scripts/errors_doc.py ``CATALOGS``) give each PFnnn code its meaning, an example
and the fix. Here: every code raised in polyflow_argo/ has an entry, no entry is for a code nothing
raises, every example replayed through the CLI produces its code, and docs/errors.md is current.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from polyflow_argo.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("errors_doc", ROOT / "scripts" / "errors_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DOC = _load_generator()
ENTRIES = DOC.entries()
UNCHECKED = DOC.not_example_checked()


def test_errors_md_is_current() -> None:
    res = subprocess.run([sys.executable, "scripts/errors_doc.py", "--check"], cwd=ROOT)
    assert res.returncode == 0, "docs/errors.md is stale: run `make docs`"


def test_every_raised_code_has_its_catalog_text() -> None:
    raised = DOC.raised_codes()
    missing = sorted(set(raised) - set(ENTRIES))
    assert not missing, "codes raised without a catalog entry (meaning, example, fix): " + ", ".join(
        f"{c} ({', '.join(sorted(raised[c]))})" for c in missing
    )


def test_every_catalog_code_is_raised() -> None:
    stale = sorted(set(ENTRIES) - set(DOC.raised_codes()))
    assert not stale, f"catalog entries for codes nothing raises: {stale}"


def test_entries_are_complete_and_in_their_range() -> None:
    for code, (meaning, example, fix, _) in ENTRIES.items():
        assert re.fullmatch(r"PF\d{3}", code), code
        assert meaning.strip() and example.strip() and fix.strip(), f"{code}: empty meaning, example or fix"
        assert meaning.rstrip().endswith(".") and fix.rstrip().endswith("."), f"{code}: end with a full stop"
    assert set(UNCHECKED) <= set(ENTRIES), sorted(set(UNCHECKED) - set(ENTRIES))


def test_catalogs_are_data_without_imports() -> None:
    for path in DOC.catalog_files():
        tree = ast.parse(path.read_text())
        imports = [
            n for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) and not (
                isinstance(n, ast.ImportFrom) and n.module == "__future__"
            )
        ]
        assert not imports, f"{path}: a catalog is data and imports nothing (line {imports[0].lineno})"


def test_split_example_reads_the_command_and_the_files() -> None:
    command, files = DOC.split_example(
        "# $ polyflow-argo lint p.yaml\n# ==> p.yaml <==\na: 1\n# ==> q.yaml <==\nb: 2\n"
    )
    assert command == "polyflow-argo lint p.yaml"
    assert files == [("p.yaml", "a: 1\n"), ("q.yaml", "b: 2\n")]
    assert DOC.split_example("a: 1\n") == ("polyflow-argo lint pipeline.yaml", [("pipeline.yaml", "a: 1\n")])


CHECKED = sorted(code for code in ENTRIES if code not in UNCHECKED)


@pytest.mark.parametrize("code", CHECKED)
def test_example_produces_its_code(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command, files = DOC.split_example(ENTRIES[code][1])
    for name, text in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    for var in ("POLYFLOW_REGISTRY", "KUBECONFIG"):
        monkeypatch.delenv(var, raising=False)
    argv = shlex.split(command)
    while "=" in argv[0]:  # VAR=value before the command
        name, _, value = argv.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    assert argv[0] == "polyflow-argo", command
    status = main(argv[1:])
    out, err = capsys.readouterr()
    assert re.search(rf"\b{code}\b", err), f"`{command}` exited {status} without {code}:\n{err}"
    assert status != 4, err


def test_text_output_shows_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 2\nkind: pipeline\nops: [{name: a, template: {name: t}}]\n"
        "templates: [{kind: job, name: t}]\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "p.yaml"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "p.yaml:1:10: error PF201: version 2 is not supported: Polyflow pipelines are `version: 1` "
        "(set `version: 1`)"
    )
