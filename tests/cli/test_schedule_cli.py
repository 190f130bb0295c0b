"""`polyflow-argo schedule next` and `polyflow-argo backfill` as a user runs them (subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.support import cli

PARIS = """\
version: 1
kind: pipeline
name: paris
schedule: {kind: cron, cron: '30 2 * * *', timezone: Europe/Paris}
ops:
  - {name: a, template: {name: t}}
templates:
  - {kind: job, name: t, build: {image: busybox}, run: {cmd: echo}}
"""


def test_schedule_next_lists_spec_and_argo_instants() -> None:
    res = cli("schedule", "next", "examples/interval.yaml", "--from", "2026-01-01T00:00:00Z", "--count", "3")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "every-ten-minutes: every 600s from 2019-08-01T00:00:00Z, depends on past"
    assert "*/10 * * * *" in lines[1] and "now().Unix() >= 1564617600" in lines[1]
    assert lines[3].split() == ["1", "2026-01-01T00:10:00Z", "2026-01-01T00:10:00Z"]
    assert lines[-1] == "All 3 instants agree."


def test_schedule_next_shows_the_dst_gap_in_local_time(tmp_path: Path) -> None:
    path = tmp_path / "paris.yaml"
    path.write_text(PARIS)
    res = cli("schedule", "next", str(path), "--from", "2026-03-27T00:00:00Z", "--count", "3", "-o", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    # 02:30 does not exist in Paris on 29 March 2026: no run that day, on Argo as in the spec.
    assert (
        out["spec"] == out["argo"] == ["2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"]
    )
    assert out["same"] is True and out["timezone"] == "Europe/Paris"
    text = cli("schedule", "next", str(path), "--from", "2026-03-27T00:00:00Z", "--count", "3").stdout
    assert "2026-03-30T02:30:00+02:00" in text


def test_schedule_next_flags_drift(tmp_path: Path) -> None:
    path = tmp_path / "drift.yaml"
    path.write_text(PARIS.replace("{kind: cron, cron: '30 2 * * *', timezone: Europe/Paris}",
                                  "{kind: interval, frequency: 90, start_at: '2026-01-01T00:00:00Z'}"))
    res = cli(
        "schedule", "next", str(path), "--from", "2026-01-01T00:00:00Z", "--count", "2", "--allow-every-drift"
    )
    assert res.returncode == 1
    assert "(drifts: @every)" in res.stdout and "cannot be predicted" in res.stdout
    res = cli("schedule", "next", str(path), "--from", "2026-01-01T00:00:00Z")
    assert res.returncode == 1 and "90 s is not a whole number of minutes" in res.stderr


def test_schedule_next_bad_date_is_a_usage_error() -> None:
    res = cli("schedule", "next", "examples/interval.yaml", "--from", "yesterday")
    assert res.returncode == 2 and "not an ISO 8601 date-time: 'yesterday'" in res.stderr


def test_backfill_emits_one_named_workflow_per_instant(tmp_path: Path) -> None:
    res = cli(
        "backfill",
        "examples/interval.yaml",
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2026-01-01T00:20:00Z",
        "--out",
        str(tmp_path),
    )
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"workflow-every-ten-minutes-{t}.yaml" for t in (1767225600, 1767226200, 1767226800)]
    first, second = (yaml.safe_load((tmp_path / n).read_text()) for n in names[:2])
    assert first["metadata"]["annotations"]["workflows.argoproj.io/scheduled-time"] == "2026-01-01T00:00:00Z"
    assert first["spec"]["arguments"]["parameters"] == [
        {"name": "scheduled-time", "value": "2026-01-01T00:00:00Z"}
    ]
    # depends_on_past: the first run starts at once; each later one waits for the previous run.
    tasks = second["spec"]["templates"][0]["dag"]["tasks"]
    assert tasks[0] == {"name": "polyflow-previous-run", "template": "polyflow-wait-previous-run"}
    assert all(t["depends"].startswith("polyflow-previous-run") for t in tasks[1:])
    gate = second["spec"]["templates"][-1]["resource"]
    assert json.loads(gate["manifest"])["metadata"]["name"] == "every-ten-minutes-1767225600"
    assert "polyflow-previous-run" not in json.dumps(first)
    assert "backfill: 3 run(s)" in res.stderr


def test_backfill_errors() -> None:
    res = cli("backfill", "examples/diamond.yaml", "--from", "2026-01-01", "--to", "2026-01-02")
    assert res.returncode == 1 and "has no schedule, so there is nothing to backfill" in res.stderr
    res = cli("backfill", "examples/interval.yaml", "--from", "2026-01-02", "--to", "2026-01-01")
    assert res.returncode == 1 and "is before --from" in res.stderr
    res = cli("backfill", "examples/nightly-cron.yaml", "--from", "2026-01-01", "--to", "2026-01-02")
    assert res.returncode == 1 and "no instant between" in res.stderr  # after its end_at
    assert "Traceback" not in res.stderr
    res = cli("backfill", "examples/interval.yaml", "--from", "2026-01-01", "--to", "2027-01-01")
    assert res.returncode == 1 and "more than 1000 runs" in res.stderr


def test_backfill_from_the_first_day_of_the_calendar_is_not_an_internal_error() -> None:
    res = cli("backfill", "examples/nightly-cron.yaml", "--from", "0001-01-01", "--to", "0001-01-05")
    assert res.returncode == 1 and "has no instant between" in res.stderr, res.stderr


def test_interval_start_with_seconds_is_rounded_up_never_before_start_at() -> None:
    """seed.yaml starts at 21:20:07 every 120 s: Argo has minutes only, so the first run is 21:21:00
    (docs/schedules.md: never before start_at), on both sides of the comparison."""
    res = cli(
        "schedule", "next", "examples/seed.yaml", "--from", "2019-06-24T21:00:00Z", "--count", "2",
        "-o", "json",
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["spec"] == out["argo"] == ["2019-06-24T21:21:00Z", "2019-06-24T21:23:00Z"]
    assert "PF465" in res.stderr and "21:21:00" in res.stderr


def test_schedule_next_after_end_at_says_the_schedule_has_ended(tmp_path: Path) -> None:
    path = tmp_path / "ended.yaml"
    ended = PARIS.replace("timezone: Europe/Paris}", "timezone: UTC, end_at: '2020-01-01T00:00:00Z'}")
    path.write_text(ended)
    res = cli("schedule", "next", str(path), "--from", "2026-01-01T00:00:00Z")
    assert res.returncode == 1 and res.stdout == ""
    assert "PF472" in res.stderr and "the schedule has ended: its end_at 2020-01-01T00:00:00Z" in res.stderr
    assert "agree" not in res.stderr


# Schedules at the ends of the calendar and beyond Argo's durations (found by fuzzing: each of these
# crashed a command with exit 4, or made `schedule next` run for hours).
EDGE = """\
version: 1
kind: pipeline
name: p
schedule: {schedule}
ops: [{{name: a, template: {{name: t}}}}]
templates: [{{kind: job, name: t, build: {{image: 'python:3.12'}}, run: {{cmd: 'true'}}}}]
"""

EVERY_COMMAND = (  # (words before the file, words after it)
    (("lint",), ()), (("lint", "--resolve"), ()), (("compile",), ()), (("compile", "-o", "json"), ()),
    (("graph",), ()), (("explain",), ()), (("schedule", "next"), ()),
    (("backfill",), ("--from", "2019-08-01T00:00:00Z", "--to", "2019-08-03T00:00:00Z")),
)


@pytest.mark.parametrize(
    ("schedule", "code", "field"),
    [
        ("{kind: interval, start_at: '9999-12-31T23:59:30+00:00', frequency: 60}", "PF356", "start_at"),
        ("{kind: interval, start_at: '0001-01-01T00:00:00+14:00', frequency: 60}", "PF356", "start_at"),
        ("{kind: interval, start_at: '0001-01-01T00:00:00+00:00', frequency: 60}", "PF356", "start_at"),
        ("{kind: cron, cron: '* * * * *', start_at: '9999-12-31T23:59:30+00:00'}", "PF356", "start_at"),
        ("{kind: cron, cron: '0 0 * * *', start_at: '0001-01-01T00:00:00', timezone: 'Etc/GMT-14'}", "PF356",
         "start_at"),
        ("{kind: cron, cron: '0 0 * * *', end_at: '9999-12-31T23:59:59-14:00'}", "PF356", "end_at"),
        ("{kind: interval, start_at: '2019-08-01T00:00:00+00:00', frequency: 86400000000000}", "PF354",
         "frequency"),
    ],
)
def test_dates_and_frequencies_a_schedule_cannot_use_are_input_errors(
    tmp_path: Path, schedule: str, code: str, field: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(EDGE.format(schedule=schedule))
    column = len("schedule: ") + schedule.index(field) + len(field) + 3  # the value, after `field: `
    for before, after in EVERY_COMMAND:
        res = cli(*before, str(path), *after)
        assert res.returncode == 1, (before, res.stderr)
        assert f"p.yaml:4:{column}: error {code}:" in res.stderr, (before, res.stderr)
    if code == "PF356":
        assert "use an instant between 0001-01-02 and 9999-12-" in res.stderr


def test_a_schedule_that_never_ends_may_say_so_with_the_last_date(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    forever = "{kind: cron, cron: '0 0 * * *', end_at: '9999-12-31T23:59:59+00:00'}"
    path.write_text(EDGE.format(schedule=forever))
    res = cli("schedule", "next", str(path), "--from", "2026-01-01T00:00:00Z", "--count", "2",
              "--no-warnings")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "All 2 instants agree."


@pytest.mark.parametrize("frequency", [9223372020, 315360060, 3153660, 90000])
def test_schedule_next_of_a_long_interval_is_quick(tmp_path: Path, frequency: int) -> None:
    """Entries every minute with a guard that admits one fire in ``frequency``: the guard's windows
    are visited, not every minute of up to 292 years (this took hours)."""
    path = tmp_path / "p.yaml"
    path.write_text(EDGE.format(schedule=f"{{kind: interval, start_at: '2019-08-01T00:00:00+00:00', "
                                          f"frequency: {frequency}}}"))
    res = cli("schedule", "next", str(path), "--from", "2019-07-01T00:00:00Z", "--count", "4",
              "--no-warnings", timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines()[-1] == "All 4 instants agree."


def test_years_before_1000_are_written_with_four_digits(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    hourly = "{kind: interval, start_at: '0001-01-02T00:00:00+00:00', frequency: 3600}"
    path.write_text(EDGE.format(schedule=hourly))
    res = cli("backfill", str(path), "--from", "0001-01-02T00:00:00Z", "--to", "0001-01-02T02:00:00Z",
              "--no-warnings")
    assert res.returncode == 0, res.stderr
    last = res.stderr.splitlines()[-1]
    assert last == "backfill: 3 run(s) from 0001-01-02T00:00:00Z to 0001-01-02T02:00:00Z"
    times = [d["metadata"]["annotations"]["workflows.argoproj.io/scheduled-time"]
             for d in yaml.safe_load_all(res.stdout) if d and d["kind"] == "Workflow"]
    assert times == ["0001-01-02T00:00:00Z", "0001-01-02T01:00:00Z", "0001-01-02T02:00:00Z"]
    res = cli("schedule", "next", str(path), "--from", "0001-01-02T00:00:00Z", "--count", "1",
              "--no-warnings")
    assert res.stdout.splitlines()[0] == "p: every 3600s from 0001-01-02T00:00:00Z"
