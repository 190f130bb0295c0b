"""Writing files atomically: the manifests ``emit`` renders, the lock file and the url cache
(resolve/remote.py), the generated schema. Here, below every stage, so each can write without
importing a later one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import Diagnostic, OutputError


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise OutputError(Diagnostic("PF500", f"cannot write {target}: {exc.strerror or exc}")) from None
