"""Schedules fire on Argo exactly when the Polyflow spec says (issue [3/6]).

For each schedule below and two 60-day windows (spring and autumn daylight-saving changes in
Europe and North America), three lists of instants must be equal:

1. the spec's: ``resolve.schedule.spec_instants`` (croniter; the semantics in docs/schedules.md);
2. Argo's: the emitted CronWorkflow's ``schedules``, ``timezone``, ``when`` and ``stopStrategy``
   replayed by argo-sim in cron mode, which uses robfig/cron v3 (Argo's parser) and evaluates the
   ``when`` guard as ``evalWhen`` does: each ``{{= expr}}`` tag is evaluated with ``now()`` set to
   the fire instant, then the text goes to govaluate; ``stopStrategy`` is checked before it;
3. our model of Argo (``translate.schedule.plan_instants``), which ``schedule next`` prints.

Real controllers evaluate ``now()`` a little after the fire instant; the alignment guard accepts
up to 59 s of that lag, and ``test_guard_tolerates_controller_lag`` checks it.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import polyflow_argo
from polyflow_argo.compiler import resolve_file
from polyflow_argo.resolve.schedule import spec_instants
from polyflow_argo.translate.schedule import CronPlan, Guard, plan, plan_instants

pytestmark = pytest.mark.argosim

UTC = timezone.utc
WINDOWS = {
    "spring": datetime(2026, 2, 20, tzinfo=UTC),  # Europe: 29 March; America: 8 March
    "autumn": datetime(2026, 10, 1, tzinfo=UTC),  # Europe: 25 October; America: 1 November
}
DAYS = 60
MODEL_LIMIT = 3000

# (id, schedule YAML flow mapping). Windows start 2026-02-20 and 2026-10-01.
SCHEDULES = [
    ("cron-utc-daily", "{kind: cron, cron: '0 2 * * *'}"),
    ("cron-paris-0200-gap", "{kind: cron, cron: '0 2 * * *', timezone: Europe/Paris}"),
    ("cron-ny-0230-gap", "{kind: cron, cron: '30 2 * * *', timezone: America/New_York}"),
    ("cron-ny-0130-twice", "{kind: cron, cron: '30 1 * * *', timezone: America/New_York}"),
    ("cron-paris-quarter-hours", "{kind: cron, cron: '*/15 * * * *', timezone: Europe/Paris}"),
    ("cron-ny-hourly", "{kind: cron, cron: '0 * * * *', timezone: America/New_York}"),
    ("cron-paris-weekdays", "{kind: cron, cron: '0 9 * * 1-5', timezone: Europe/Paris}"),
    ("cron-monthly", "{kind: cron, cron: '0 0 1 * *'}"),
    ("cron-kolkata-daily", "{kind: cron, cron: '@daily', timezone: Asia/Kolkata}"),
    ("cron-lord-howe-hourly", "{kind: cron, cron: '@hourly', timezone: Australia/Lord_Howe}"),
    ("cron-dom-or-dow", "{kind: cron, cron: '0 0 13 * 5'}"),
    ("cron-every-other-day", "{kind: cron, cron: '0 12 */2 * *'}"),
    ("cron-ny-office", "{kind: cron, cron: '15,45 8-18/2 * * MON-FRI', timezone: America/New_York}"),
    ("cron-paris-sunday-0300", "{kind: cron, cron: '0 3 * * SUN', timezone: Europe/Paris}"),
    (
        "cron-bounded",
        "{kind: cron, cron: '0 0 * * *', start_at: '2026-03-05T00:00:00+00:00', end_at: "
        "'2026-10-20T00:00:00+00:00'}",
    ),
    ("cron-start-with-seconds", "{kind: cron, cron: '5 4 * * *', start_at: '2026-03-03T04:05:30+00:00'}"),
    ("cron-weekly", "{kind: cron, cron: '@weekly'}"),
    ("cron-paris-twice-monthly", "{kind: cron, cron: '0 0,12 1,15 * *', timezone: Europe/Paris}"),
    ("cron-end-mid-minute", "{kind: cron, cron: '*/5 * * * *', end_at: '2026-03-10T10:07:30Z'}"),
    (
        "cron-naive-start-in-zone",
        "{kind: cron, cron: '0 8 * * *', timezone: America/New_York, start_at: '2026-03-07T08:00:00', "
        "end_at: '2026-10-31T08:00:00'}",
    ),
    (
        "cron-depends-on-past",
        "{kind: cron, cron: '0 6 * * *', timezone: Europe/Paris, depends_on_past: true}",
    ),
    ("interval-60s", "{kind: interval, frequency: 60, start_at: '2026-02-27T10:00:00+00:00'}"),
    ("interval-120s-odd-start", "{kind: interval, frequency: 120, start_at: '2019-06-24T21:21:07+00:00'}"),
    (
        "interval-120s-fixture",
        "{kind: interval, frequency: 120, start_at: '2019-06-24T21:20:07+00:00', depends_on_past: true}",
    ),
    ("interval-90min", "{kind: interval, frequency: 5400, start_at: '2026-03-02T21:20:00+00:00'}"),
    ("interval-45min-offset", "{kind: interval, frequency: 2700, start_at: '2026-01-01T09:10:00-05:00'}"),
    ("interval-7h", "{kind: interval, frequency: 25200, start_at: '2019-08-01T03:17:00+00:00'}"),
    (
        "interval-7h-end",
        "{kind: interval, frequency: 25200, start_at: '2026-02-21T00:00:00Z', end_at: "
        "'2026-10-15T13:00:00Z'}",
    ),
    ("interval-1d-offset", "{kind: interval, frequency: 86400, start_at: '2026-01-15T06:30:00+01:00'}"),
    (
        "interval-1d-end",
        "{kind: interval, frequency: 86400, start_at: '2026-02-01T23:59:00Z', end_at: "
        "'2026-10-20T23:59:00Z'}",
    ),
    (
        "interval-2d-end",
        "{kind: interval, frequency: 172800, start_at: '2026-03-03T12:00:00Z', end_at: "
        "'2026-10-29T11:59:59Z'}",
    ),
    ("interval-7d", "{kind: interval, frequency: 604800, start_at: '2026-01-06T22:00:00Z'}"),
    ("interval-30d", "{kind: interval, frequency: 2592000, start_at: '2025-12-20T00:00:00Z'}"),
    ("interval-13min", "{kind: interval, frequency: 780, start_at: '2026-02-20T00:05:00Z'}"),
    ("interval-25h", "{kind: interval, frequency: 90000, start_at: '2026-02-10T05:45:00Z'}"),
    (
        "interval-600s-future-start",
        "{kind: interval, frequency: 600, start_at: '2026-03-15T12:03:00Z', depends_on_past: true}",
    ),
]

PIPELINE = """\
version: 1
kind: pipeline
name: sched
schedule: {schedule}
ops:
  - {{name: a, template: {{name: t}}}}
templates:
  - {{kind: job, name: t, build: {{image: busybox}}, run: {{cmd: echo}}}}
"""


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sim(binary: Path, request: dict[str, object]) -> list[str]:
    out = subprocess.run([str(binary)], input=json.dumps(request), capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["errors"] == [], result["errors"]
    return list(result["times"] or [])


def _check(binary: Path, tmp: Path, case: str, schedule: str, window: str) -> str | None:
    path = tmp / f"{case}-{window}.yaml"
    path.write_text(PIPELINE.format(schedule=schedule))
    rs = resolve_file(path).schedule
    (cron,) = [d for d in polyflow_argo.compile(path) if d["kind"] == "CronWorkflow"]
    spec = cron["spec"]
    start = WINDOWS[window]
    stop = start + timedelta(days=DAYS)
    expected = [_iso(t) for t in spec_instants(rs, start, until=stop) if t < stop]
    request: dict[str, object] = {
        "mode": "cron",
        "schedules": spec["schedules"],
        "timezone": spec["timezone"],
        "from": _iso(start),
        "to": _iso(stop),
        "count": 10 * DAYS * 1440,
    }
    if "when" in spec:
        request["when"] = spec["when"]
    if "stopStrategy" in spec:
        request["stopStrategy"] = spec["stopStrategy"]["expression"]
    argo = [t for t in _sim(binary, request) if t < _iso(stop)]
    # The model walks croniter (~40 µs an instant): compared on the first MODEL_LIMIT instants.
    model = [_iso(t) for t in plan_instants(plan(rs), start, limit=MODEL_LIMIT, until=stop) if t < stop]
    if argo != expected:
        missing = sorted(set(expected) - set(argo))[:5]
        extra = sorted(set(argo) - set(expected))[:5]
        return f"{case}/{window}: spec {len(expected)} vs Argo {len(argo)}; missing {missing}; extra {extra}"
    if model != argo[:MODEL_LIMIT]:
        return f"{case}/{window}: our model of Argo differs from argo-sim ({len(model)} vs {len(argo)})"
    return None


def test_at_least_30_schedules() -> None:
    assert len(SCHEDULES) >= 30
    kinds = {s.split(",")[0] for _, s in SCHEDULES}
    assert kinds == {"{kind: cron", "{kind: interval"}


def test_schedules_fire_exactly_when_the_spec_says(argo_sim: Path, tmp_path: Path) -> None:
    jobs = [(case, sched, window) for case, sched in SCHEDULES for window in WINDOWS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(lambda j: _check(argo_sim, tmp_path, *j), jobs) if p]
    assert problems == []


def test_windows_really_cross_dst(tmp_path: Path) -> None:
    """The DST cases are not vacuous: the spec skips the Paris spring gap and doubles the NY autumn hour."""
    path = tmp_path / "p.yaml"
    path.write_text(PIPELINE.format(schedule=dict(SCHEDULES)["cron-paris-0200-gap"]))
    rs = resolve_file(path).schedule
    days = {
        t.date().isoformat()
        for t in spec_instants(rs, WINDOWS["spring"], until=WINDOWS["spring"] + timedelta(60))
    }
    assert "2026-03-28" in days and "2026-03-29" not in days and "2026-03-30" in days
    path.write_text(PIPELINE.format(schedule=dict(SCHEDULES)["cron-ny-0130-twice"]))
    rs = resolve_file(path).schedule
    nov1 = [t for t in spec_instants(rs, WINDOWS["autumn"], until=WINDOWS["autumn"] + timedelta(60))
            if t.date().isoformat() == "2026-11-01"]
    assert [_iso(t) for t in nov1] == ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"]


@pytest.mark.parametrize("lag", [0, 1, 30, 59])
def test_guard_tolerates_controller_lag(argo_sim: Path, tmp_path: Path, lag: int) -> None:
    """A controller evaluates ``now()`` after the fire instant: the same runs pass with up to 59 s lag."""
    path = tmp_path / "p.yaml"
    path.write_text(PIPELINE.format(schedule=dict(SCHEDULES)["interval-7h"]))
    rs = resolve_file(path).schedule
    p = plan(rs)
    start = WINDOWS["spring"]
    unguarded = CronPlan(p.schedules, p.timezone, Guard())
    candidates = list(plan_instants(unguarded, start, until=start + timedelta(days=10)))
    passed = [t for t in candidates if p.guard.admits(t + timedelta(seconds=lag))]
    assert passed == list(spec_instants(rs, start, until=start + timedelta(days=10)))
    assert len(candidates) > 7 * len(passed) - 7


# Cron grammar: what Argo's parser accepts and rejects, against our parser (cronexpr).
GRAMMAR = [
    "0 2 * * *", "*/15 * * * *", "0 0 1 1 *", "5 4 * * sun", "0 9 * * MON-FRI", "0 0 * JAN,jul *",
    "? ? ? ? ?", "0-59/7 */5 1-31/10 */3 0-6", "30 23 L * *", "0 0 * * 7", "60 * * * *", "0 24 * * *",
    "0 0 0 * *", "0 0 32 * *", "0 0 * 13 *", "5-1 * * * *", "*/0 * * * *", "1-2-3 * * * *",
    "1/2/3 * * * *", "0 0 * * 1#2", "0 0 15W * *", "* * * *", "0 * * * * *", "@daily", "@weekly",
    "@hourly", "@monthly", "@yearly", "@annually", "@midnight", "@fortnightly", "a * * * *",
    "0 0 * * mon-fri/2", "1,,2 * * * *", "5/15 * * * *", "*-5 * * * *",
]


def test_cron_grammar_matches_argo(argo_sim: Path) -> None:
    from polyflow_argo.resolve.cronexpr import Problem, parse

    disagreements = []
    for expr in GRAMMAR:
        out = subprocess.run(
            [str(argo_sim)],
            input=json.dumps({"mode": "cron", "schedules": [expr], "timezone": "UTC",
                              "from": "2026-01-01T00:00:00Z", "count": 3}),
            capture_output=True, text=True, check=True,
        )
        argo_ok = json.loads(out.stdout)["errors"] == []
        try:
            parse(expr)
            ours = True
        except Problem:
            ours = False
        if ours != argo_ok:
            disagreements.append((expr, "Argo accepts" if argo_ok else "Argo rejects"))
    assert disagreements == []


CHAINED = """\
version: 1
kind: pipeline
name: chained
schedule: {kind: interval, frequency: 3600, start_at: '2026-01-01T00:00:00Z', depends_on_past: true}
ops:
  - {name: extract, template: {name: t}}
  - {name: report, template: {name: t}, dependencies: [extract], trigger: all_done}
  - {name: alert, template: {name: t}, dependencies: [extract], trigger: one_failed}
templates:
  - {kind: job, name: t, build: {image: busybox}, run: {cmd: echo}}
"""


@pytest.mark.parametrize("previous", ["Succeeded", "Failed", "Error"])
def test_backfill_chain_runs_only_after_a_successful_previous_run(argo_sim: Path, previous: str) -> None:
    """depends_on_past in a backfill: if the previous run did not succeed, no op of this run runs,
    not even `all_done` or `one_failed` handlers."""
    from polyflow_argo.compiler import backfill

    docs, _ = backfill(CHAINED, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC))
    dag = docs[1]["spec"]["templates"][0]["dag"]
    request = {
        "failFast": dag["failFast"],
        "tasks": dag["tasks"],
        "outcomes": {"polyflow-previous-run": previous},
    }
    out = subprocess.run(
        [str(argo_sim)], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    phases = json.loads(out.stdout)["phases"]
    ops = {k: v for k, v in phases.items() if k != "polyflow-previous-run"}
    if previous == "Succeeded":
        assert ops == {"extract": "Succeeded", "report": "Succeeded", "alert": "Omitted"}
    else:
        assert set(ops.values()) == {"Omitted"} and set(ops) == {"extract", "report", "alert"}
