"""cluster/watch.py: a Workflow's status → rows, change lines and the live table (pure, no cluster).

``FLAKY``, ``SCHEDULED``, :func:`flaky_workflow`, :func:`story` and :func:`transcript` are shared with the
CLI test (tests/cli/test_cluster_cli.py), which replays the same story through the API double.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest

from polyflow_argo.cluster.watch import (
    LineRenderer,
    LiveView,
    duration,
    exit_code,
    op_names,
    render_table,
    rows,
)
from tests.apidouble import node_id

FLAKY = """\
version: 1
kind: pipeline
name: flaky
ops:
  - name: prepare
    template: {name: step}
  - name: Train_Model
    template: {name: step}
    dependencies: [prepare]
    max_retries: 2
    retry_delay: 1
  - name: sign-off
    template: {event: approval}
    dependencies: [Train_Model]
templates:
  - kind: job
    name: step
    build: {image: 'debian:bookworm-slim'}
    run: {cmd: 'echo hi'}
"""

SCHEDULED = """\
version: 1
kind: pipeline
name: nightly
schedule: {kind: cron, cron: '0 2 * * *', depends_on_past: true}
ops:
  - name: extract
    template: {name: step}
templates:
  - kind: job
    name: step
    build: {image: 'debian:bookworm-slim'}
    run: {cmd: 'echo hi'}
"""


def flaky_workflow(name: str = "flaky-x7k2p", namespace: str = "ml") -> dict[str, Any]:
    import polyflow_argo

    [doc] = polyflow_argo.compile(FLAKY)
    doc["metadata"].pop("generateName")
    doc["metadata"] = {"name": name, "namespace": namespace, **doc["metadata"]}
    return doc


def _node(wf: str, display: str, **fields: Any) -> dict[str, Any]:
    ident = node_id(wf, f"{wf}.{display}")
    return {ident: {"id": ident, "name": f"{wf}.{display}", "displayName": display, "type": "Pod",
                    "boundaryID": wf, **fields}}


def story(wf: str) -> list[dict[str, Any]]:
    """Status patches (JSON merge) of a run whose Train_Model op fails three times: a retried failure."""
    t = "2026-03-01T10:00:{:02d}Z".format
    attempt = [node_id(wf, f"{wf}.train-model({i})") for i in range(3)]
    root = {
        wf: {"id": wf, "name": wf, "displayName": wf, "type": "DAG", "phase": "Running", "startedAt": t(0)}
    }
    return [
        {"phase": "Running", "startedAt": t(0), "nodes": root},
        {"nodes": _node(wf, "prepare", phase="Running", startedAt=t(1))},
        {"nodes": _node(wf, "prepare", phase="Succeeded", startedAt=t(1), finishedAt=t(3))},
        {
            "nodes": {
                **_node(
                    wf, "train-model", type="Retry", phase="Running", startedAt=t(3), children=attempt[:1]
                ),
                **_node(wf, "train-model(0)", phase="Running", startedAt=t(3)),
            }
        },
        {
            "nodes": _node(
                wf,
                "train-model(0)",
                phase="Failed",
                startedAt=t(3),
                finishedAt=t(5),
                message="Error (exit code 1)",
            )
        },
        {
            "nodes": {
                **_node(
                    wf, "train-model", type="Retry", phase="Running", startedAt=t(3), children=attempt[:2]
                ),
                **_node(wf, "train-model(1)", phase="Running", startedAt=t(15)),
            }
        },
        {
            "nodes": _node(
                wf,
                "train-model(1)",
                phase="Failed",
                startedAt=t(15),
                finishedAt=t(17),
                message="Error (exit code 1)",
            )
        },
        {
            "nodes": {
                **_node(wf, "train-model", type="Retry", phase="Running", startedAt=t(3), children=attempt),
                **_node(wf, "train-model(2)", phase="Running", startedAt=t(27)),
            }
        },
        {
            "nodes": {
                **_node(
                    wf,
                    "train-model(2)",
                    phase="Failed",
                    startedAt=t(27),
                    finishedAt=t(29),
                    message="Error (exit code 2)",
                ),
                **_node(
                    wf,
                    "train-model",
                    type="Retry",
                    phase="Failed",
                    startedAt=t(3),
                    finishedAt=t(29),
                    children=attempt,
                    message="No more retries left",
                ),
            }
        },
        {
            "phase": "Failed",
            "finishedAt": t(30),
            "message": "child 'train-model' failed",
            "nodes": {wf: {**root[wf], "phase": "Failed", "finishedAt": t(30)}},
        },
    ]


def transcript(wf: str, namespace: str = "ml") -> list[str]:
    """What ``watch`` prints, line by line, for :func:`story` when stdout is not a terminal."""
    w = max(len(wf), len("Train_Model"))

    def line(clock: str, op: str, phase: str, rest: str = "") -> str:
        return f"{clock}  {op:<{w}}  {phase:<9}  {rest}".rstrip()

    return [
        f"watching workflow {namespace}/{wf} (pipeline flaky); Ctrl-C stops watching, not the workflow",
        line("10:00:00", wf, "Running"),
        line("10:00:01", "prepare", "Running"),
        line("10:00:03", "prepare", "Succeeded", "2s"),
        line("10:00:03", "Train_Model", "Running"),
        line("10:00:05", "Train_Model", "Running", "last attempt: Error (exit code 1)"),
        line("10:00:15", "Train_Model", "Running", "retries: 1  last attempt: Error (exit code 1)"),
        line("10:00:27", "Train_Model", "Running", "retries: 2  last attempt: Error (exit code 1)"),
        line("10:00:29", "Train_Model", "Failed", "26s  retries: 2  No more retries left"),
        line("10:00:30", wf, "Failed", "30s  child 'train-model' failed"),
    ]


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (what the double's set_status applies)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(out.get(key), value)
    return out


def states(wf: dict[str, Any]) -> list[dict[str, Any]]:
    out, status = [], {}
    for patch in story(wf["metadata"]["name"]):
        status = merge(status, patch)
        out.append({**wf, "status": status})
    return out


def test_transcript_of_a_failing_retried_run_line_by_line() -> None:
    wf = flaky_workflow()
    renderer = LineRenderer()
    printed = [line for state in states(wf) for line in renderer.feed(state)]
    assert printed == transcript("flaky-x7k2p")


def test_the_same_state_twice_prints_nothing_new() -> None:
    wf = flaky_workflow()
    renderer = LineRenderer()
    first = states(wf)[3]
    assert renderer.feed(first)
    assert renderer.feed(copy.deepcopy(first)) == []


def test_rows_name_ops_as_written_in_dag_order_and_fold_attempts() -> None:
    wf = flaky_workflow()
    final = states(wf)[-1]
    got = rows(final)
    assert [r.op for r in got] == ["prepare", "Train_Model", "sign-off"]
    prepare, train, sign = got
    assert (prepare.phase, prepare.retries, prepare.node_type) == ("Succeeded", 0, "Pod")
    assert (train.phase, train.retries, train.message, train.node_type) == (
        "Failed",
        2,
        "No more retries left",
        "Retry",
    )
    assert sign.phase == ""  # never started: shown as "-" in the table, no line in the transcript
    assert op_names(final) == {"train-model": "Train_Model"}


@pytest.mark.parametrize("annotation", ["not json", '["a list"]', ""])
def test_a_broken_op_names_annotation_falls_back_to_task_names(annotation: str) -> None:
    wf = flaky_workflow()
    wf["metadata"]["annotations"]["polyflow.io/op-names"] = annotation
    assert op_names(wf) == {}
    assert [r.op for r in rows(states(wf)[3])][:2] == ["prepare", "train-model"]


def test_nodes_inside_nested_templates_are_not_ops() -> None:
    wf = flaky_workflow()
    state = states(wf)[2]
    inner = _node("flaky-x7k2p", "inner-step", phase="Running", boundaryID="flaky-x7k2p-123")
    state["status"]["nodes"].update(inner)
    assert "inner-step" not in [r.op for r in rows(state)]


def test_a_node_without_a_task_in_the_spec_is_listed_after_the_dag_tasks() -> None:
    wf = flaky_workflow()
    state = states(wf)[2]
    state["status"]["nodes"].update(_node("flaky-x7k2p", "flaky-x7k2p.onExit", phase="Running",
                                          startedAt="2026-03-01T10:00:09Z"))
    assert [r.op for r in rows(state)][-1] == "flaky-x7k2p.onExit"


@pytest.mark.parametrize(("start", "end", "text"), [
    ("2026-03-01T10:00:00Z", "2026-03-01T10:00:09Z", "9s"),
    ("2026-03-01T10:00:00Z", "2026-03-01T10:01:05Z", "1m05s"),
    ("2026-03-01T10:00:00Z", "2026-03-01T12:03:59Z", "2h03m"),
    ("2026-03-01T10:00:00Z", None, ""),
    (None, "2026-03-01T10:00:00Z", ""),
    ("garbage", "2026-03-01T10:00:00Z", ""),
], ids=["seconds", "minutes", "hours", "running-no-now", "not-started", "bad-time"])
def test_duration(start: str | None, end: str | None, text: str) -> None:
    assert duration(start, end) == text


def test_duration_so_far_uses_now() -> None:
    now = datetime(2026, 3, 1, 10, 0, 42, tzinfo=timezone.utc)
    assert duration("2026-03-01T10:00:00Z", None, now) == "42s"


@pytest.mark.parametrize(("phase", "code"), [("Succeeded", 0), ("Failed", 1), ("Error", 1)])
def test_exit_code_of_the_final_phase(phase: str, code: int) -> None:
    assert exit_code(phase) == code


def test_table_shows_every_op_and_wide_adds_template_and_node() -> None:
    wf = flaky_workflow()
    now = datetime(2026, 3, 1, 10, 1, 0, tzinfo=timezone.utc)
    text = render_table(states(wf)[5], now)
    assert text[0] == "ml/flaky-x7k2p  pipeline flaky  Running  1m00s"
    assert text[1].split() == ["OP", "PHASE", "START", "DURATION", "RETRIES", "MESSAGE"]
    assert text[2].split() == ["prepare", "Succeeded", "10:00:01", "2s", "0"]
    assert text[3].split()[:5] == ["Train_Model", "Running", "10:00:03", "57s", "1"]
    assert text[3].endswith("last attempt: Error (exit code 1)")
    assert text[4].split() == ["sign-off", "-"]
    wide = render_table(states(wf)[5], now, wide=True)
    assert wide[1].split() == ["OP", "PHASE", "START", "DURATION", "RETRIES", "TEMPLATE", "NODE", "MESSAGE"]
    assert node_id("flaky-x7k2p", "flaky-x7k2p.prepare") in wide[2]


def test_live_view_redraws_in_place() -> None:
    import io

    out = io.StringIO()
    view = LiveView(out)
    wf = flaky_workflow()
    view.draw(states(wf)[1])
    first = out.getvalue()
    assert "\x1b[" not in first and "prepare" in first
    view.draw(states(wf)[2])
    lines_first = first.count("\n")
    assert out.getvalue()[len(first):].startswith(f"\x1b[{lines_first}F\x1b[J")


ESCAPES = (  # clear screen, cursor home, window title, a hyperlink, 8-bit CSI colours, NUL, CR LF
    "\x1b[2J\x1b[1;1H\x1b]0;pwned\x07\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \x9b31mred\x9b0m\x00\r\nend"
)


def test_escape_sequences_in_node_messages_and_names_are_never_printed() -> None:
    wf = flaky_workflow()
    wf["status"] = {
        "phase": "Failed",
        "startedAt": "2026-03-01T10:00:00Z",
        "finishedAt": "2026-03-01T10:00:09Z",
        "message": "child failed\x1b[1A\x1b[2K",
        "nodes": {
            **_node("flaky-x7k2p", "prepare", phase="Failed", message=ESCAPES,
                    startedAt="2026-03-01T10:00:01Z", finishedAt="2026-03-01T10:00:02Z"),
            **_node("flaky-x7k2p", "rogue\x1b[8m-op\x07", phase="Running", startedAt="2026-03-01T10:00:03Z"),
        },
    }
    now = datetime(2026, 3, 1, 10, 1, tzinfo=timezone.utc)
    printed = "\n".join(LineRenderer().feed(wf) + render_table(wf, now=now))
    assert not [c for c in printed if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F], repr(printed)
    assert "link red end" in printed and "rogue-op" in printed and "child failed" in printed
    assert rows(wf)[0].message == "link red end"


@pytest.mark.parametrize(
    ("phase", "message"),
    [
        ("Running", "last attempt: OOMKilled (exit code 137)"),
        ("Succeeded", "earlier attempt: OOMKilled (exit code 137)"),
        ("Failed", "OOMKilled (exit code 137)"),
    ],
)
def test_a_retried_op_names_its_failed_attempt_by_what_the_op_did_after(phase: str, message: str) -> None:
    """A success after a retry must not read as "Succeeded  OOMKilled" (a newcomer's misreading)."""
    from polyflow_argo.cluster.watch import _row

    attempts = {
        "a0": {"id": "a0", "phase": "Failed", "message": "OOMKilled (exit code 137)"},
        "a1": {"id": "a1", "phase": "Succeeded" if phase == "Succeeded" else "Running"},
    }
    node = {"id": "r", "type": "Retry", "phase": phase, "children": ["a0", "a1"]}
    assert _row("train", node, attempts).message == message
