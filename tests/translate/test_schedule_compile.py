"""Scheduled pipelines: what compile emits, and every schedule error at its line with a fix."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyflow_argo
from polyflow_argo import PolyflowError
from polyflow_argo.resolve.schedule import ResolvedSchedule, spec_instants
from polyflow_argo.translate.schedule import compact, day_entries, plan, plan_instants
from tests.support import errors

PIPELINE = """\
version: 1
kind: pipeline
name: {name}
schedule: {schedule}
ops:
  - {{name: a, template: {{name: t}}}}
templates:
  - {{kind: job, name: t, build: {{image: 'debian:bookworm-slim'}}, run: {{cmd: echo}}}}
"""


def compile_schedule(schedule: str, pipeline_name: str = "sched", **options: object) -> list[dict]:
    return polyflow_argo.compile(PIPELINE.format(schedule=schedule, name=pipeline_name), **options)


# (code, "line:column", message, hint) of every diagnostic, warnings too, of the error that
# compile_schedule(schedule, pipeline_name=..., **options) raises
diagnostics = partial(errors, select="code at message hint", severity=None, compile=compile_schedule)


ERRORS = [
    (
        "tz-typo",
        "{kind: cron, cron: '0 0 * * *', timezone: Europe/Pari}",
        {},
        "PF351",
        "4:53",
        "unknown time zone 'Europe/Pari'",
        "did you mean 'Europe/Paris'?",
    ),
    (
        "tz-local",
        "{kind: cron, cron: '0 0 * * *', timezone: Local}",
        {},
        "PF351",
        "4:53",
        "controller's local time",
        "IANA name",
    ),
    (
        "tz-on-interval",
        "{kind: interval, frequency: 60, start_at: '2026-01-01T00:00:00Z', timezone: UTC}",
        {},
        "PF350",
        "4:77",
        "interval schedule runs every `frequency` seconds in UTC",
        "use `kind: cron`",
    ),
    (
        "end-before-start",
        "{kind: cron, cron: '0 0 * * *', start_at: '2026-02-01T00:00Z', end_at: '2026-01-01T00:00Z'}",
        {},
        "PF352",
        "4:82",
        "end_at (2026-01-01T00:00:00+00:00) is before start_at",
        "swap them",
    ),
    (
        "seconds-field",
        "{kind: cron, cron: '*/5 * * * * *'}",
        {},
        "PF353",
        "4:30",
        "expected exactly 5 fields",
        "no seconds field",
    ),
    (
        "dow-7",
        "{kind: cron, cron: '0 0 * * 7'}",
        {},
        "PF353",
        "4:30",
        "day of week 7 is above the maximum 6",
        "0 being Sunday",
    ),
    (
        "every-in-cron",
        "{kind: cron, cron: '@every 5m'}",
        {},
        "PF353",
        "4:30",
        "drifts",
        "use `kind: interval`",
    ),
    ("reboot", "{kind: cron, cron: '@reboot'}", {}, "PF353", "4:30", "not supported by Argo", "5-field"),
    (
        "unknown-descriptor",
        "{kind: cron, cron: '@fortnightly'}",
        {},
        "PF353",
        "4:30",
        "unknown descriptor",
        "@daily",
    ),
    (
        "tz-prefix",
        "{kind: cron, cron: 'CRON_TZ=UTC 0 0 * * *'}",
        {},
        "PF353",
        "4:30",
        "time zone prefix",
        "timezone:",
    ),
    (
        "quartz-hash",
        "{kind: cron, cron: '0 0 * * 1#2'}",
        {},
        "PF353",
        "4:30",
        "does not support L, W or #",
        "explicitly",
    ),
    (
        "not-a-cron",
        "{kind: cron, cron: 'not a cron'}",
        {},
        "PF353",
        "4:30",
        "expected exactly 5 fields",
        "'0 2 * * *'",
    ),
    ("never-fires", "{kind: cron, cron: '0 0 30 2 *'}", {}, "PF355", "4:30", "never fires", "30 February"),
    (
        "never-fires-window",
        "{kind: cron, cron: '0 0 1 1 *', start_at: '2026-01-02T00:00Z', end_at: '2026-12-31T00:00Z'}",
        {},
        "PF355",
        "4:30",
        "never fires between start_at and end_at",
        None,
    ),
    (
        "frequency-zero",
        "{kind: interval, frequency: 0, start_at: '2026-01-01T00:00:00Z'}",
        {},
        "PF354",
        "4:39",
        "positive number of seconds",
        "3600",
    ),
    (
        "frequency-seconds",
        "{kind: interval, frequency: 90, start_at: '2026-01-01T00:00:00Z'}",
        {},
        "PF462",
        "4:39",
        "90 s is not a whole number of minutes",
        "use 60 or 120; or pass --allow-every-drift",
    ),
    (
        "frequency-under-a-minute",
        "{kind: interval, frequency: 30, start_at: '2026-01-01T00:00:00Z'}",
        {},
        "PF462",
        "4:39",
        "30 s",
        "use 60;",
    ),
    (
        "multi-entry-on-3.5",
        "{kind: interval, frequency: 5400, start_at: '2026-01-01T00:00:00Z'}",
        {"argo_version": "3.5"},
        "PF467",
        "4:11",
        "needs 2 cron entries",
        "--argo-version 3.6",
    ),
    (
        "guard-on-3.5",
        "{kind: cron, cron: '0 0 * * *', start_at: '2026-01-01T00:00:00Z'}",
        {"argo_version": "3.5"},
        "PF461",
        "4:11",
        "no `when`, which this schedule needs to fire only from start_at",
        "3.6 or newer",
    ),
    (
        "depends-on-past-3.5",
        "{kind: cron, cron: '0 0 * * *', depends_on_past: true}",
        {"argo_version": "3.5"},
        "PF461",
        "4:60",
        "no `stopStrategy`",
        "3.6 or newer",
    ),
    (
        "name-too-long",
        "{kind: cron, cron: '0 0 * * *'}",
        {"name": "n" * 53},
        "PF464",
        "4:11",
        "has 53 characters; Argo allows 52 (1 too many)",
        "--name of at most 52",
    ),
]


@pytest.mark.parametrize(("schedule", "options", "code", "pos", "message", "hint"),
                         [pytest.param(*row[1:], id=row[0]) for row in ERRORS])
def test_schedule_errors(
    schedule: str, options: dict, code: str, pos: str, message: str, hint: str | None
) -> None:
    found = diagnostics(schedule, **options)
    matching = [d for d in found if d[0] == code]
    assert matching, found
    got_code, got_pos, got_message, got_hint = matching[0]
    assert got_pos == pos and message in got_message, matching
    if hint:
        assert hint in got_hint


def test_long_pipeline_name_points_at_name() -> None:
    found = diagnostics("{kind: cron, cron: '0 0 * * *'}", pipeline_name="p" * 60)
    assert found[0][:2] == ("PF464", "3:7") and "shorten the pipeline `name`" in found[0][3]


def test_nameless_scheduled_pipeline() -> None:
    text = PIPELINE.format(schedule="{kind: cron, cron: '0 0 * * *'}", name="x").replace("name: x\n", "")
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(text)
    assert info.value.diagnostics[0].code == "PF463"


def test_cron_workflow_shape_and_options() -> None:
    (doc,) = compile_schedule(
        "{kind: interval, frequency: 25200, start_at: '2026-01-01T00:00:00Z', end_at: "
        "'2026-06-01T00:00:00Z', depends_on_past: true}",
        starting_deadline_seconds=120,
        successful_history_limit=5,
        failed_history_limit=2,
        suspend=True,
        namespace="ml",
    )
    assert doc["kind"] == "CronWorkflow" and doc["metadata"]["name"] == "sched"
    assert doc["metadata"]["namespace"] == "ml"
    spec = doc["spec"]
    assert spec["schedules"] == ["0 * * * *"] and spec["timezone"] == "UTC"
    assert spec["when"] == (
        "{{= now().Unix() >= 1767225600 && (now().Unix() - 1767225600) % 25200 < 60 && now().Unix() < "
        "1780272060 }}"
    )
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["stopStrategy"] == {"expression": "cronworkflow.failed > 0"}
    assert (
        spec["startingDeadlineSeconds"],
        spec["successfulJobsHistoryLimit"],
        spec["failedJobsHistoryLimit"],
        spec["suspend"],
    ) == (120, 5, 2, True)
    assert spec["workflowMetadata"]["labels"]["polyflow.io/pipeline"] == "sched"
    assert "generateName" not in doc["metadata"] and "metadata" not in spec["workflowSpec"]
    env = spec["workflowSpec"]["templates"][1]["container"]["env"]
    assert {"name": "POLYFLOW_SCHEDULED_TIME", "value": "{{workflow.scheduledTime}}"} in env


def test_argo_3_5_uses_singular_schedule() -> None:
    (doc,) = compile_schedule("{kind: cron, cron: '0 2 * * *'}", argo_version="3.5")
    assert doc["spec"]["schedule"] == "0 2 * * *" and "schedules" not in doc["spec"]


def test_ignore_schedule_gives_a_workflow() -> None:
    (doc,) = compile_schedule("{kind: cron, cron: '0 2 * * *'}", ignore_schedule=True)
    assert doc["kind"] == "Workflow"
    env = doc["spec"]["templates"][1]["container"].get("env", [])
    assert all(e["name"] != "POLYFLOW_SCHEDULED_TIME" for e in env)


def test_dropped_seconds_and_every_drift_warn() -> None:
    docs, warnings = polyflow_argo.compiler.compile_with_warnings(
        PIPELINE.format(
            schedule="{kind: interval, frequency: 90, start_at: '2026-01-01T00:00:07Z'}", name="s"
        ),
        polyflow_argo.CompileOptions(allow_every_drift=True),
    )
    assert docs[0]["spec"]["schedules"] == ["@every 90s"]
    assert {w.code for w in warnings} == {"PF465", "PF466"}


def test_cron_text_is_kept_and_whitespace_normalized() -> None:
    (doc,) = compile_schedule("{kind: cron, cron: '0   2 * *  MON-FRI', timezone: Europe/Paris}")
    assert doc["spec"]["schedules"] == ["0 2 * * MON-FRI"] and doc["spec"]["timezone"] == "Europe/Paris"
    assert "when" not in doc["spec"]


@pytest.mark.parametrize(
    ("values", "low", "high", "text"),
    [
        (range(0, 60), 0, 59, "*"), (range(0, 60, 2), 0, 59, "*/2"), (range(1, 60, 2), 0, 59, "1-59/2"),
        ([5], 0, 59, "5"), ([1, 4, 7, 10, 13, 16, 19, 22], 0, 23, "1-22/3"), ([3, 4, 5], 0, 23, "3-5"),
        ([0, 45], 0, 59, "0,45"), ([0, 10, 11], 0, 59, "0,10,11"),
    ],
)
def test_compact_fields(values: list[int], low: int, high: int, text: str) -> None:
    assert compact(values, low, high) == text


def test_day_entries_examples_from_the_issue() -> None:
    assert day_entries({(1280 + 2 * k) % 1440 for k in range(720)}) == ["*/2 * * * *"]
    assert day_entries({(1280 + 90 * k) % 1440 for k in range(16)}) == ["20 */3 * * *", "50 1-22/3 * * *"]


def test_plans_for_each_interval_shape() -> None:
    def p(freq: int) -> tuple[tuple[str, ...], bool]:
        rs = ResolvedSchedule(
            "interval", "UTC", None, freq, datetime(2019, 6, 24, 21, 20, tzinfo=timezone.utc)
        )
        plan_ = plan(rs)
        return plan_.schedules, plan_.guard.anchor is not None

    assert p(120) == (("*/2 * * * *",), False)
    assert p(5400) == (("20 */3 * * *", "50 1-22/3 * * *"), False)
    assert p(86400) == (("20 21 * * *",), False)
    assert p(7 * 86400) == (("20 21 * * 1",), False)  # 2019-06-24 is a Monday
    assert p(7 * 3600) == (("20 * * * *",), True)
    assert p(30 * 86400) == (("20 21 * * *",), True)


RENAMED = """\
version: 1
kind: pipeline
name: nightly
schedule: {kind: cron, cron: '0 3 * * *'}
ops:
  - {name: Train_Model, template: {name: t}}
templates:
  - {kind: job, name: t, build: {image: 'python:3.11'}, run: {cmd: 'true'}}
"""


def test_scheduled_and_backfilled_runs_carry_the_op_names() -> None:
    """watch/logs/approve read `polyflow.io/op-names` from the run itself to show the names the user wrote."""
    (cron,) = polyflow_argo.compile(RENAMED)
    child = cron["spec"]["workflowMetadata"]["annotations"]
    assert child["polyflow.io/op-names"] == '{"train-model": "Train_Model"}'
    runs, _ = polyflow_argo.compiler.backfill(
        RENAMED,
        start=datetime(2026, 1, 1, tzinfo=timezone.utc),
        end=datetime(2026, 1, 2, 12, tzinfo=timezone.utc),
    )
    assert len(runs) == 2
    assert all(
        r["metadata"]["annotations"]["polyflow.io/op-names"] == '{"train-model": "Train_Model"}' for r in runs
    )


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=2, max_value=153_722_867),  # up to MAX_FREQUENCY, in minutes
    start_minute=st.integers(min_value=0, max_value=60 * 24 * 365 * 30),
    after_days=st.integers(min_value=-30, max_value=365 * 200),
)
def test_argo_fires_at_the_spec_instants_of_any_interval(
    minutes: int, start_minute: int, after_days: int
) -> None:
    """The emitted CronWorkflow's fires (plan_instants: its entries through its guard; an alignment
    guard's windows are visited rather than every fire between them) are the spec's instants."""
    start = datetime(2000, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=start_minute)
    rs = ResolvedSchedule("interval", "UTC", None, minutes * 60, start)
    after = start + timedelta(days=after_days)
    assert list(plan_instants(plan(rs), after, limit=4)) == list(spec_instants(rs, after, limit=4))
