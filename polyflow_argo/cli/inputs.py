"""The FILE arguments of the commands that read pipelines: paths, and ``-`` for stdin.

A module of its own so that every command (``compile`` and its batch, ``lint``, ``schedule``,
``backfill``, ``lock``) can import it without importing another command.
"""

from __future__ import annotations

import sys
from typing import Any

STDIN = "-"


def inputs(files: list[str]) -> list[Any]:
    """The FILE arguments as compiler inputs: paths, and ``-`` for stdin (once; read up to the input
    size limit, then checked like a file: docs/api.md)."""
    if files.count(STDIN) > 1:
        from . import UsageError

        raise UsageError("`-` (stdin) can be given only once")
    if STDIN not in files:
        return list(files)
    from ..compiler import Text
    from ..source import max_bytes

    data = sys.stdin.buffer.read(max_bytes() + 1)
    return [Text(data, "<stdin>") if f == STDIN else f for f in files]
