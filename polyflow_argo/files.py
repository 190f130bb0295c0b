"""Writing files atomically: the manifests ``emit`` renders, the lock file and the url cache
(inputs.py), the generated schema. Here, below every stage, so each can write without
importing a later one.

- One file (``write_atomic``): written to a temporary file beside it, flushed, then renamed over
  the target, so a reader sees the old file or the new one, never half of it.
- A set of files (``write_files``, e.g. ``compile --out DIR`` with several manifests): every file
  is written into a staging directory inside DIR first; only when all of them are on disk are they
  renamed into place, and a failed rename puts back what was there before. A failure leaves DIR as
  it was (and no DIR at all when it did not exist).
- Modes follow the umask, like any file a shell redirect creates (0644 under umask 022): the
  temporary files are created with 0666 and the process umask applied by the kernel, not with
  ``mkstemp``'s 0600.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import Diagnostic, OutputError

_FILE_MODE = 0o666  # the umask applies


def _error(target: Path, exc: OSError) -> OutputError:
    return OutputError(Diagnostic("PF500", f"cannot write {target}: {exc.strerror or exc}",
                                  hint="write to a directory you can create and write, with space left"))


def _create(directory: Path, prefix: str) -> tuple[int, Path]:
    """A new file in ``directory`` with a random name, mode 0666 less the umask."""
    while True:
        tmp = directory / f".{prefix}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                           _FILE_MODE), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def _write_new(directory: Path, prefix: str, text: str) -> Path:
    """``text`` in a new temporary file of ``directory``, on disk when this returns."""
    fd, tmp = _create(directory, prefix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _sync_dir(directory: Path) -> None:
    """Make the renames in ``directory`` durable (best effort: not every platform opens dirs)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _write_new(target.parent, target.name, text)
        try:
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _sync_dir(target.parent)
    except OSError as exc:
        raise _error(target, exc) from None


def write_files(directory: str | os.PathLike[str], files: Iterable[tuple[str, str]]) -> list[Path]:
    """Write each ``(file name, text)`` into ``directory`` as one set: all of them or none.

    Names are plain file names (no directory part), made by the caller from validated Kubernetes
    names; two files with the same name are an error before anything is written. Returns the
    paths written, in order."""
    out = Path(directory)
    pairs = list(files)
    seen: set[str] = set()
    for name, _ in pairs:
        if not name or name in (".", "..") or "/" in name or os.sep in name or "\0" in name:
            raise ValueError(f"not a plain file name: {name!r}")  # a caller's bug, never input
        if name in seen:
            raise OutputError(Diagnostic(
                "PF500", f"cannot write {out / name}: two manifests would be written to the same file",
                hint="give the manifests different names (--name), or write them to stdout"))
        seen.add(name)
    try:
        created = _make_dirs(out)
    except OSError as exc:
        raise _error(out, exc) from None
    staging: Path | None = None
    target = out  # what was being written when something failed, for the message
    try:
        staging = _staging_dir(out)
        staged = []
        for name, text in pairs:
            target = out / name
            staged.append((name, _write_new(staging, name, text)))
        for failed_at in _move_into_place(out, staging, staged):
            target = failed_at
    except BaseException as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for d in reversed(created):
            with contextlib.suppress(OSError):
                d.rmdir()
        if isinstance(exc, OSError):
            raise _error(target, exc) from None
        raise
    shutil.rmtree(staging, ignore_errors=True)
    _sync_dir(out)
    return [out / name for name, _ in pairs]


def _make_dirs(out: Path) -> list[Path]:
    """Create ``out`` and its missing parents (modes per the umask); the ones created, outermost
    first, so a failure can remove them again."""
    missing: list[Path] = []
    d = out
    while not d.exists():
        missing.append(d)
        if d.parent == d:
            break
        d = d.parent
    created: list[Path] = []
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
    except OSError:
        for d in reversed(created):
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
    return created


def _staging_dir(out: Path) -> Path:
    while True:
        staging = out / f".polyflow-staging.{secrets.token_hex(6)}"
        try:
            staging.mkdir(mode=0o700)
            return staging
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def _move_into_place(out: Path, staging: Path, staged: list[tuple[str, Path]]) -> Iterator[Path]:
    """Rename every staged file over its target, yielding each target first (so a failure names
    it); on a failure, put the old files back."""
    done: list[tuple[Path, Path | None]] = []  # (target, backup of what it replaced)
    try:
        for i, (name, tmp) in enumerate(staged):
            target = out / name
            yield target
            backup: Path | None = None
            if target.is_symlink() or target.is_file():
                backup = staging / f".old-{i}"
                _keep(target, backup)
            os.replace(tmp, target)
            done.append((target, backup))
    except BaseException:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    os.unlink(target)
        raise


def _keep(target: Path, backup: Path) -> None:
    """Keep what ``target`` is now reachable at ``backup`` (a link, or a copy) for a rollback."""
    if target.is_symlink():
        os.symlink(os.readlink(target), backup)
        return
    try:
        os.link(target, backup)
    except OSError:  # a file system without hard links
        shutil.copy2(target, backup)
