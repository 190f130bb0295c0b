"""Bounded retries with exponential backoff for transient failures (connection dropped or refused, 429
with ``Retry-After``, 500/502/503/504).

Defaults: 5 attempts, waits of 0.5 s, 1 s, 2 s, 4 s (at most 10 s each; a server's ``Retry-After`` is
honoured up to 30 s). Environment variables tune them (tests use tiny values):
``POLYFLOW_RETRIES`` (attempts), ``POLYFLOW_RETRY_BACKOFF`` (first wait, seconds),
``POLYFLOW_RETRY_MAX_WAIT`` (cap of one wait, also of ``Retry-After``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    backoff: float = 0.5
    factor: float = 2.0
    max_wait: float = 10.0
    max_retry_after: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetryPolicy:
        env = os.environ if env is None else env
        base = cls()

        def number(key: str, default: float) -> float:
            try:
                return max(0.0, float(env[key])) if key in env else default
            except ValueError:
                return default

        cap = number("POLYFLOW_RETRY_MAX_WAIT", base.max_wait)
        return cls(attempts=max(1, int(number("POLYFLOW_RETRIES", base.attempts))),
                   backoff=number("POLYFLOW_RETRY_BACKOFF", base.backoff),
                   max_wait=cap, max_retry_after=min(base.max_retry_after, max(cap, 0.0)) if
                   "POLYFLOW_RETRY_MAX_WAIT" in env else base.max_retry_after)

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        wait = min(self.max_wait, self.backoff * self.factor ** (attempt - 1))
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after))
        return wait
