"""One-line descriptions of what the IR says about an op and a schedule, shared by ``graph`` and
``explain``. Plain text: each view escapes it for its own format."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..resolve import Node
from ..resolve.rules import condition_value
from ..resolve.schedule import ResolvedSchedule


def template_kind(node: Node) -> str:
    """``job``, ``group``, …, with where the template came from when it is not the pipeline's own
    (``job (path templates/t.yaml)``, ``job (action notify:1.0)``, ``event http (built-in)``)."""
    t = node.template
    if t is None:
        return "template ?"
    if t.source == "event":
        return f"event {t.ref or t.name}"
    if t.source == "name":
        return t.kind
    return f"{t.kind} ({t.source} {t.ref or t.name})"


def condition_text(condition: Mapping[str, Any] | None) -> str | None:
    """``if X succeeded`` / ``if X.k == "v" and …`` (values compare as strings), or None."""
    if condition is None:
        return None
    producer = str(condition.get("op"))
    if condition.get("kind") == "status":
        return f"if {producer} {condition.get('trigger')}"
    op = "==" if condition.get("exp") == "eq" else "!="
    terms = [
        f"{producer}.{key} {op} {json.dumps(condition_value(value), ensure_ascii=False)}"
        for key, value in condition.get("params") or []
    ]
    return "if " + " and ".join(terms)


def retries_text(node: Node) -> str | None:
    """What the op says about retries (``retries 3, delay 5s, exponential backoff, max delay 24s``),
    or None without ``max_retries``."""
    op = node.op
    if not op.max_retries:
        return None
    parts = [f"retries {op.max_retries}"]
    if op.retry_delay is not None:
        parts.append(f"delay {op.retry_delay}s")
    if op.retry_exp_backoff:
        parts.append("exponential backoff")
    if op.max_retry_delay is not None:
        parts.append(f"max delay {op.max_retry_delay}s")
    return ", ".join(parts)


def schedule_text(schedule: ResolvedSchedule | None) -> str | None:
    """The resolved schedule in one line, as the ``polyflow.io/schedule`` annotation says it
    (``cron '0 2 * * *' UTC until …``), or None."""
    return None if schedule is None else schedule.describe()
