"""Shared by the plugin tests: the token the served plugin accepts, and a clock the test moves."""

from __future__ import annotations

TOKEN = "s3cr3t-token"


class Clock:
    """``time.time`` for the plugin: the test sets ``now``."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
