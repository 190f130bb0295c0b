"""``logging`` (spec §1.16): allowed on pipeline, op and template."""

from __future__ import annotations

from typing import Literal

from .base import Spec

LogLevel = Literal["INFO", "DEBUG", "WARN", "ERROR", "FATAL"]


class Logging(Spec):
    """``{level, formatter}``; the level is upper case only."""

    level: LogLevel | None = None
    """INFO, DEBUG, WARN, ERROR or FATAL (upper case)."""
    formatter: str | None = None
    """Free string."""
