"""What ``watch`` and ``get`` show: pure functions from a Workflow's ``status`` to rows and text.

- :func:`rows`: one :class:`Row` per op, named as the user wrote it (task names map back through the
  Workflow annotation ``polyflow.io/op-names``; a node's ``displayName`` is its task name), in the
  DAG's order; retry attempts (``task(0)``, ``task(1)``) and fan-out children fold into their op.
- :class:`LineRenderer`: for logs (not a terminal): one line per change of an op or of the workflow.
- :func:`render_table`: the live view redrawn in a terminal, also ``get``'s text output.
- :func:`exit_code`: 0 Succeeded, 1 Failed or Error (docs/cluster.md).

Node types and phases: https://argo-workflows.readthedocs.io/en/latest/fields/#nodestatus
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from typing import Any

from .errors import printable

FINISHED = ("Succeeded", "Failed", "Error")
OP_NAMES = "polyflow.io/op-names"
_CHILD = re.compile(r"^(?P<base>.+)\((?P<index>\d+)(?::.*)?\)\Z")
_FOLDING = ("Retry", "TaskGroup")


@dataclass(frozen=True)
class Row:
    """One op of a run."""

    op: str
    phase: str  # "" while the op has no node yet
    started: str | None = None
    finished: str | None = None
    retries: int = 0
    message: str = ""
    node_id: str = ""
    template: str = ""
    node_type: str = ""
    updated: str | None = None  # the latest time of the node and its attempts: when this state began


def op_names(workflow: dict[str, Any]) -> dict[str, str]:
    """Task name → op name, from the ``polyflow.io/op-names`` annotation (only renamed ops are listed)."""
    meta = workflow.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(OP_NAMES)
    if not raw:
        return {}
    try:
        names = json.loads(raw)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}


def task_order(workflow: dict[str, Any]) -> list[str]:
    """The entrypoint DAG's task names, in the order the pipeline lists its ops."""
    spec = workflow.get("spec") or {}
    entry = spec.get("entrypoint")
    for template in spec.get("templates") or []:
        if isinstance(template, dict) and template.get("name") == entry:
            return [
                str(t.get("name"))
                for t in (template.get("dag") or {}).get("tasks") or []
                if isinstance(t, dict)
            ]
    return []


def op_nodes(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """The status nodes that stand for an op: not the workflow's own node, not a retry attempt or a
    fan-out child (folded into their op), not a node inside a nested template."""
    name = (workflow.get("metadata") or {}).get("name", "")
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    folded = {
        child
        for node in nodes.values()
        if node.get("type") in _FOLDING
        for child in node.get("children") or []
    }
    out = []
    for node_id, node in nodes.items():
        if node_id == name or node.get("name") == name or node_id in folded:
            continue
        boundary = node.get("boundaryID")
        if boundary and boundary != name:
            continue
        out.append({**node, "id": node.get("id", node_id)})
    return out


def rows(workflow: dict[str, Any]) -> list[Row]:
    """One row per op: the DAG's tasks in order (those not started have phase ""), then any other node."""
    names = op_names(workflow)
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    by_task: dict[str, dict[str, Any]] = {}
    for found in op_nodes(workflow):
        by_task.setdefault(str(found.get("displayName") or found.get("name", "")), found)
    out = []
    for task in task_order(workflow):
        node = by_task.pop(task) if task in by_task else None
        if node is None and names.get(task) in by_task:  # the UI display name is the op's own name
            node = by_task.pop(names[task])
        out.append(_row(names.get(task, task), node, nodes) if node else Row(names.get(task, task), ""))
    rest = sorted(by_task.items(), key=lambda kv: (str(kv[1].get("startedAt") or "~"), kv[0]))
    out += [_row(names.get(task, task), node, nodes) for task, node in rest]
    return [_printable(row) for row in out]


_TEXT = [f.name for f in fields(Row) if f.name not in ("retries", "started", "finished", "updated")]


def _printable(row: Row) -> Row:
    """Node names and messages come from the cluster (a pod's output can end up in a message): without
    escape sequences and control characters, so printing them cannot drive the terminal."""
    clean: dict[str, Any] = {name: printable(getattr(row, name)) for name in _TEXT}
    return replace(row, **clean)


def _row(op: str, node: dict[str, Any], nodes: dict[str, Any]) -> Row:
    children = [nodes[c] for c in node.get("children") or [] if c in nodes]
    retries = max(0, len(children) - 1) if node.get("type") == "Retry" else 0
    message = str(node.get("message") or "")
    if not message and children and node.get("type") == "Retry":
        failed = [c for c in children if c.get("phase") in ("Failed", "Error") and c.get("message")]
        if failed:
            last = failed[-1]["message"]
            phase = node.get("phase")
            # a failed run's reason is its last attempt's; a success after retries names the failure
            # as an earlier one, so "Succeeded  OOMKilled" never reads as a killed success
            prefix = "" if phase in ("Failed", "Error") else "earlier attempt: " if phase == "Succeeded" \
                else "last attempt: "
            message = f"{prefix}{last}"
    template = node.get("templateName") or (node.get("templateRef") or {}).get("name", "")
    times = [t for n in [node, *children] for t in (n.get("startedAt"), n.get("finishedAt")) if t]
    updated = max(
        times, key=lambda t: parse_time(t) or datetime.min.replace(tzinfo=timezone.utc), default=None
    )
    return Row(
        op,
        str(node.get("phase") or "Pending"),
        node.get("startedAt"),
        node.get("finishedAt"),
        retries,
        message,
        str(node.get("id", "")),
        str(template),
        str(node.get("type", "")),
        updated,
    )


# ---------------------------------------------------------------- formatting


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def duration(start: str | None, end: str | None, now: datetime | None = None) -> str:
    """``3s``, ``1m05s``, ``2h03m``; the time so far when ``end`` is None (then ``now``)."""
    a = parse_time(start)
    b = parse_time(end) or (now if now is not None else None)
    if a is None or b is None:
        return ""
    seconds = max(0, int((b - a).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def clock(value: str | None) -> str:
    t = parse_time(value)
    return t.astimezone(timezone.utc).strftime("%H:%M:%S") if t else "--:--:--"


def exit_code(phase: str | None) -> int:
    """The exit code of ``watch`` / ``submit --watch`` for the workflow's final phase."""
    return 0 if phase == "Succeeded" else 1


def _status(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow.get("status") or {}


def pipeline_of(workflow: dict[str, Any]) -> str:
    return str(((workflow.get("metadata") or {}).get("labels") or {}).get("polyflow.io/pipeline", ""))


class LineRenderer:
    """One line per change, for logs: ``HH:MM:SS  op  Phase  [duration]  [retries: N]  [message]``.

    The time is the node's own (startedAt, or finishedAt once finished), so a transcript is the same
    however often the watch reconnects. The workflow's lines carry its name in the op column.
    """

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, int, str]] = {}
        self.width = 0
        self.started = False

    def feed(self, workflow: dict[str, Any]) -> list[str]:
        meta = workflow.get("metadata") or {}
        name = printable(str(meta.get("name", "")))
        status = _status(workflow)
        all_rows = rows(workflow)
        lines: list[str] = []
        if not self.started:
            self.started = True
            self.width = max([len(name)] + [len(r.op) for r in all_rows])
            pipeline = pipeline_of(workflow)
            lines.append(printable(f"watching workflow {meta.get('namespace', '')}/{name}"
                                   + (f" (pipeline {pipeline})" if pipeline else ""))
                         + "; Ctrl-C stops watching, not the workflow")
        phase = printable(str(status.get("phase") or "Pending"))
        finished = phase in FINISHED
        if not finished:
            since = status.get("startedAt") or meta.get("creationTimestamp")
            lines += self._line(name, Row(name, phase, since, None, 0, ""), "\0workflow")
        for row in all_rows:
            if row.phase:
                lines += self._line(row.op, row, row.node_id or row.op)
        if finished:
            end = Row(name, phase, status.get("startedAt"), status.get("finishedAt"), 0,
                      str(status.get("message") or ""))
            lines += self._line(name, _printable(end), "\0workflow")
        return lines

    def _line(self, label: str, row: Row, key: str) -> list[str]:
        state = (row.phase, row.retries, row.message)
        if self.seen.get(key) == state:
            return []
        self.seen[key] = state
        done = row.phase in FINISHED
        when = clock(row.updated or (row.finished if done and row.finished else row.started))
        extra = [duration(row.started, row.finished)] if done else []
        if row.retries:
            extra.append(f"retries: {row.retries}")
        if row.message:
            extra.append(row.message)
        text = f"{when}  {label:<{self.width}}  {row.phase:<9}  " + "  ".join(e for e in extra if e)
        return [text.rstrip()]


def summary(workflow: dict[str, Any], now: datetime | None = None) -> str:
    meta, status = workflow.get("metadata") or {}, _status(workflow)
    phase = status.get("phase") or "Pending"
    took = duration(status.get("startedAt"), status.get("finishedAt"), now)
    pipeline = pipeline_of(workflow)
    text = f"{meta.get('namespace', '')}/{meta.get('name', '')}" + (
        f"  pipeline {pipeline}" if pipeline else ""
    )
    text += f"  {phase}" + (f"  {took}" if took else "")
    if status.get("progress"):
        text += f"  progress {status['progress']}"
    if status.get("message"):
        text += f"  {status['message']}"
    return printable(text)


def render_table(workflow: dict[str, Any], now: datetime | None = None, wide: bool = False) -> list[str]:
    """The summary line, then OP PHASE START DURATION RETRIES MESSAGE (wide: TEMPLATE NODE too)."""
    now = now or datetime.now(timezone.utc)
    head = (
        ["OP", "PHASE", "START", "DURATION", "RETRIES"] + (["TEMPLATE", "NODE"] if wide else []) + ["MESSAGE"]
    )
    table = [head]
    for row in rows(workflow):
        cells = [
            row.op,
            row.phase or "-",
            clock(row.started) if row.started else "",
            duration(row.started, row.finished, now) if row.phase else "",
            str(row.retries) if row.phase else "",
        ]
        if wide:
            cells += [row.template, row.node_id]
        table.append(cells + [row.message])
    widths = [max(len(r[i]) for r in table) for i in range(len(head) - 1)]
    out = [summary(workflow, now)]
    for r in table:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1])
    return [line.rstrip() for line in out]


class LiveView:
    """Redraws :func:`render_table` in place on a terminal (ANSI: cursor up, clear to end)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.drawn = 0

    def draw(self, workflow: dict[str, Any]) -> None:
        import shutil

        width = shutil.get_terminal_size((120, 24)).columns
        lines = [line[: max(10, width - 1)] for line in render_table(workflow)]
        if self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self.drawn = len(lines)
