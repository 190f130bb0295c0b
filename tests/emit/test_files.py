"""Writing output files (polyflow_argo/files.py): one file or a set of files, all or nothing, with
modes that follow the umask (docs/output.md)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from polyflow_argo import files
from polyflow_argo.errors import OutputError
from tests.support import cli


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set the process umask for one test (and put the old one back)."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _tree(d: Path) -> dict[str, str]:
    """Every entry under ``d`` (hidden ones too) and the text of the files."""
    return {str(p.relative_to(d)): (p.read_text() if p.is_file() else "<dir>") for p in sorted(d.rglob("*"))}


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_write_atomic_mode_follows_the_umask(tmp_path: Path, umask: Any, mask: int, expected: int) -> None:
    umask(mask)
    target = tmp_path / "a" / "lock.yaml"
    files.write_atomic(target, "x: 1\n")
    assert target.read_text() == "x: 1\n" and _mode(target) == expected
    files.write_atomic(target, "x: 2\n")  # replacing keeps following the umask, leaves no temp file
    assert target.read_text() == "x: 2\n" and _mode(target) == expected
    assert [p.name for p in target.parent.iterdir()] == ["lock.yaml"]


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600)])
def test_write_files_writes_the_set_with_umask_modes(tmp_path: Path, umask: Any, mask: int,
                                                     expected: int) -> None:
    umask(mask)
    out = tmp_path / "new" / "out"
    (tmp_path / "keep").mkdir()
    written = files.write_files(out, [("a.yaml", "a\n"), ("b.yaml", "b\n"), ("c.yaml", "ç\n")])
    assert written == [out / "a.yaml", out / "b.yaml", out / "c.yaml"]
    assert _tree(out) == {"a.yaml": "a\n", "b.yaml": "b\n", "c.yaml": "ç\n"}  # no staging dir left
    assert {_mode(p) for p in written} == {expected}
    assert _mode(out) == 0o777 & ~mask  # created directories follow the umask too


def test_write_files_replaces_existing_files_and_keeps_others(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("old a\n")
    (tmp_path / "other.txt").write_text("mine\n")
    files.write_files(tmp_path, [("a.yaml", "new a\n"), ("b.yaml", "new b\n")])
    assert _tree(tmp_path) == {"a.yaml": "new a\n", "b.yaml": "new b\n", "other.txt": "mine\n"}


def _failing_nth(real: Any, n: int, exc: OSError) -> Any:
    calls = {"n": 0}

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    return fake


def test_a_failed_write_leaves_the_directory_as_it_was(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "a.yaml").write_text("old a\n")
    before = _tree(tmp_path)
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(files, "_write_new", _failing_nth(files._write_new, 3, full))
    with pytest.raises(OutputError) as err:
        files.write_files(tmp_path, [("a.yaml", "new\n"), ("b.yaml", "new\n"), ("c.yaml", "new\n")])
    d = err.value.diagnostics[0]
    assert d.code == "PF500" and "No space left on device" in d.message and d.hint
    assert _tree(tmp_path) == before


def test_a_failed_rename_puts_the_old_files_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text("old a\n")
    (tmp_path / "c.yaml").write_text("old c\n")
    os.symlink("a.yaml", tmp_path / "link.yaml")
    before = _tree(tmp_path)
    # a.yaml, b.yaml and link.yaml are renamed into place, then c.yaml fails: all three roll back
    denied = PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(os, "replace", _failing_nth(os.replace, 4, denied))
    with pytest.raises(OutputError) as err:
        files.write_files(tmp_path, [("a.yaml", "new\n"), ("b.yaml", "new\n"), ("link.yaml", "new\n"),
                                     ("c.yaml", "new\n")])
    assert err.value.diagnostics[0].message == f"cannot write {tmp_path / 'c.yaml'}: Permission denied"
    assert _tree(tmp_path) == before
    assert os.readlink(tmp_path / "link.yaml") == "a.yaml"


def test_a_target_that_is_a_directory_fails_the_whole_set(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").mkdir()
    with pytest.raises(OutputError, match="b.yaml"):
        files.write_files(tmp_path, [("a.yaml", "new\n"), ("b.yaml", "new\n")])
    assert _tree(tmp_path) == {"b.yaml": "<dir>"}


def test_a_failure_removes_the_directories_it_created(tmp_path: Path, monkeypatch: Any) -> None:
    io_error = OSError(errno.EIO, "I/O error")
    monkeypatch.setattr(files, "_write_new", _failing_nth(files._write_new, 2, io_error))
    with pytest.raises(OutputError):
        files.write_files(tmp_path / "x" / "y", [("a.yaml", "a\n"), ("b.yaml", "b\n")])
    assert _tree(tmp_path) == {}


def test_two_files_with_one_name_are_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="two manifests would be written to the same file"):
        files.write_files(tmp_path / "out", [("a.yaml", "1\n"), ("a.yaml", "2\n")])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["", ".", "..", "a/b.yaml", "../x.yaml"])
def test_a_name_with_a_directory_part_is_a_caller_bug(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a plain file name"):
        files.write_files(tmp_path, [(name, "x\n")])
    assert _tree(tmp_path) == {}


def _umask(mask: int) -> Callable[[], int]:
    """Sets the CLI subprocess's umask before it starts (``cli(preexec_fn=...)``)."""
    return lambda: os.umask(mask)


def test_backfill_out_writes_every_run_with_umask_modes(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    res = cli("backfill", "examples/interval.yaml", "--from", "2026-01-01T00:00:00Z",
              "--to", "2026-01-01T00:20:00Z", "--out", str(out), preexec_fn=_umask(0o027))
    assert res.returncode == 0, res.stderr
    written = sorted(out.iterdir())
    assert len(written) == 3 and all(p.name.startswith("workflow-every-ten-minutes-") for p in written)
    assert {_mode(p) for p in written} == {0o640}


def test_compile_out_that_cannot_be_created_is_an_input_error_and_writes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = cli("compile", "examples/diamond.yaml", "--out", str(blocker / "out"), preexec_fn=_umask(0o022))
    assert res.returncode == 1, res.stderr
    assert "PF500" in res.stderr and f"cannot write {blocker / 'out'}" in res.stderr
    assert "Traceback" not in res.stderr
    assert _tree(tmp_path) == {"file": ""}
