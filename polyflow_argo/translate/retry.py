"""Op retries → Argo ``retryStrategy`` (argo-semantics.md §4).

``max_retries`` → ``limit``; ``retry_delay`` → ``backoff.duration``; ``retry_exp_backoff`` →
``factor: 2``; ``max_retry_delay`` → ``backoff.cap`` (Argo 3.7+). ``retryPolicy: Always`` retries
both Failed and Error phases. Polyaxon's defaults apply when only ``max_retries`` is given: delay
60 s, cap 3600 s. Argo's delay before attempt n+1 is ``duration × factor^(n-1)`` capped at
``cap``; Polyaxon's was ``min(max(2^n, retry_delay), max_retry_delay)`` (docs/semantics.md).
"""

from __future__ import annotations

from typing import Any

from ..resolve import Node
from .context import TranslateContext
from .target import Feature

DEFAULT_RETRY_DELAY = 60
DEFAULT_MAX_RETRY_DELAY = 3600


def retry_strategy(ctx: TranslateContext, node: Node) -> dict[str, Any] | None:
    op = node.op
    if op.max_retries is None:
        return None
    if op.max_retries < 0:
        ctx.error("PF410", f"`max_retries` must be >= 0, got {op.max_retries}", node.path + ("max_retries",))
        return None
    if op.max_retries == 0:
        return None
    delay = op.retry_delay if op.retry_delay is not None else DEFAULT_RETRY_DELAY
    cap = op.max_retry_delay if op.max_retry_delay is not None else DEFAULT_MAX_RETRY_DELAY
    for key, value in (("retry_delay", delay), ("max_retry_delay", cap)):
        if value < 0:
            ctx.error("PF410", f"`{key}` must be >= 0 seconds, got {value}", node.path + (key,))
            return None
    backoff: dict[str, Any] = {"duration": f"{delay}s"}
    if op.retry_exp_backoff:
        backoff["factor"] = "2"
        if ctx.target.has(Feature.BACKOFF_CAP):
            backoff["cap"] = f"{cap}s"
        else:
            ctx.unsupported(
                node.path + ("max_retry_delay",),
                "a cap on one retry delay (backoff.cap)",
                "it needs Argo 3.7 or later; delays grow without a cap",
                "target --argo-version 3.7 or later",
            )
    return {"limit": str(op.max_retries), "retryPolicy": "Always", "backoff": backoff}
