"""Pass and model: the pipeline's schedule, checked, with the instants it means.

What a schedule means (docs/schedules.md):

- ``cron``: every instant whose wall-clock time in ``timezone`` (UTC when not given) matches the
  expression, read as Argo reads it (:mod:`.cronexpr`). On a daylight-saving day a wall time that
  does not exist does not fire and a wall time that happens twice fires twice, as on Argo.
- ``interval``: ``start_at`` (its seconds dropped, with a warning) and every ``frequency`` seconds
  after it, in UTC, so daylight saving cannot shift it.
- both: never before ``start_at`` nor after ``end_at``; naive datetimes are read in the schedule's
  time zone (cron) or UTC (interval).

:func:`spec_instants` computes those instants with croniter; the translator must make Argo fire at
exactly the same ones, which the test suite proves with Argo's own cron parser.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from ..errors import Problem
from .context import Context
from .cronexpr import CronExpr, parse

UTC = timezone.utc


@dataclass(frozen=True)
class ResolvedSchedule:
    kind: str  # "cron" | "interval"
    timezone: str
    cron: CronExpr | None = None
    frequency: int | None = None  # seconds (interval)
    start: datetime | None = None  # aware; for intervals, truncated to the minute
    end: datetime | None = None  # aware
    depends_on_past: bool = False
    dropped_seconds: int = 0  # seconds of start_at an interval cannot keep (start is rounded up)

    @property
    def zone(self) -> tzinfo:
        return zone(self.timezone)

    def describe(self) -> str:
        """One line for the ``polyflow.io/schedule`` annotation (the Argo UI's columns) and for
        ``graph``: ``cron '0 2 * * *' UTC from … until …``, ``every 600s from …, depends on past``."""
        if self.kind == "cron":
            assert self.cron is not None
            text = f"cron '{self.cron.text}' {self.timezone}"
            if self.start is not None:
                text += f" from {self.start.isoformat()}"
        else:
            assert self.start is not None
            text = f"every {self.frequency}s from {utc_text(self.start)}"
        if self.end is not None:
            text += f" until {self.end.isoformat()}"
        if self.depends_on_past:
            text += ", depends on past"
        return text


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def check_timezone(name: str) -> str | None:
    """None if ``name`` is an IANA zone Argo can load, else what is wrong."""
    if name in ("Local", "localtime", ""):
        return f"{name!r} is the controller's local time, which the pipeline cannot know"
    try:
        zone(name)
    except (ValueError, OSError, LookupError):
        return f"unknown time zone {name!r}"
    return None


def timezone_hint(name: str) -> str:
    from zoneinfo import available_timezones

    close = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "use an IANA name such as 'UTC', 'Europe/Paris' or 'America/New_York'"


def _aware(value: datetime | None, tz: tzinfo) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value


def utc_text(t: datetime) -> str:
    """``t`` in UTC as ``2019-08-01T00:00:00Z``, with a four-digit year (strftime's ``%Y`` writes
    year 1 as ``1`` on glibc)."""
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _dates_usable(ctx: Context, start: datetime | None, end: datetime | None) -> bool:
    """PF356 for a ``start_at`` or ``end_at`` outside the dates a schedule can use (the instant
    may not even exist: 9999-12-31T23:59-14:00 is past the last date Python holds, in UTC)."""
    usable = True
    for field, value, last in (("start_at", start, LAST_START), ("end_at", end, LAST_END)):
        if value is None:
            continue
        try:
            inside = FIRST_INSTANT <= value.astimezone(UTC) <= last
        except OverflowError:
            inside = False
        if not inside:
            ctx.error(
                "PF356",
                f"`{field}` {value.isoformat()} is outside the dates a schedule can use",
                ("schedule", field),
                f"use an instant between {FIRST_INSTANT.date()} and {last.date()} (UTC)",
            )
            usable = False
    return usable


def resolve_schedule(ctx: Context) -> None:
    """Pass: check the schedule and store the resolved one in ``ctx.schedule``."""
    spec = ctx.spec.schedule
    if spec is None:
        return
    base = ("schedule",)
    ok = True
    tz_name = getattr(spec, "timezone", None)
    if spec.kind == "interval" and tz_name is not None:
        ctx.error(
            "PF350",
            "an interval schedule runs every `frequency` seconds in UTC: a time zone cannot change when it "
            "fires",
            base + ("timezone",),
            "remove `timezone`, or use `kind: cron` for wall-clock times in a zone",
            key=True,
        )
        ok = False
        tz_name = None
    if tz_name is not None:
        problem = check_timezone(tz_name)
        if problem:
            ctx.error("PF351", problem, base + ("timezone",), timezone_hint(tz_name))
            ok = False
    tz_name = tz_name or "UTC"
    tz = zone(tz_name) if ok else UTC
    start = _aware(spec.start_at, tz)
    end = _aware(spec.end_at, tz)
    if not _dates_usable(ctx, start, end):  # nothing more to compute from such dates
        ok = False
        start = end = None
    if start is not None and end is not None and end < start:
        ctx.error(
            "PF352",
            f"end_at ({end.isoformat()}) is before start_at ({start.isoformat()}): the schedule never fires",
            base + ("end_at",),
            "swap them, or fix the dates",
        )
        ok = False
    cron = None
    cron_text = ""
    frequency = None
    dropped = 0
    if spec.kind == "cron":
        cron_text = spec.cron
        try:
            cron = parse(spec.cron)
        except Problem as exc:
            ctx.error(
                "PF353", f"invalid cron expression {spec.cron!r}: {exc.message}", base + ("cron",), exc.hint
            )
            ok = False
    else:
        frequency = spec.frequency
        if frequency <= 0:
            ctx.error(
                "PF354",
                f"frequency must be a positive number of seconds, got {frequency}",
                base + ("frequency",),
                "e.g. `frequency: 3600` runs every hour",
            )
            ok = False
        elif frequency > MAX_FREQUENCY:
            ctx.error(
                "PF354",
                f"frequency must be at most {MAX_FREQUENCY} seconds (292 years, Argo's longest duration), "
                f"got {frequency}",
                base + ("frequency",),
                "e.g. `frequency: 31536000` runs every 365 days",
            )
            ok = False
        if start is not None:
            start = start.astimezone(UTC)
            # Argo has minute precision: round up, so that no run is before start_at
            floor = start.replace(second=0, microsecond=0)
            dropped = int((start - floor).total_seconds() + 0.999999)
            start = floor if floor == start else floor + timedelta(minutes=1)
    if not ok:
        return
    rs = ResolvedSchedule(
        spec.kind, tz_name, cron, frequency, start, end, bool(spec.depends_on_past), dropped
    )
    if cron is not None and next(spec_instants(rs, datetime(2000, 1, 1, tzinfo=UTC), limit=1), None) is None:
        # a warning here (lint: Polyflow 0.5.6 accepted such files); compile makes it an error
        ctx.warning(
            "PF355",
            f"the cron expression {cron_text!r} never fires"
            + (" between start_at and end_at" if start or end else ""),
            base + ("cron",),
            "check the day of month against the month (e.g. 30 February)",
        )
    ctx.schedule = rs


def spec_instants(
    rs: ResolvedSchedule, after: datetime, limit: int | None = None, until: datetime | None = None
) -> Iterator[datetime]:
    """The instants (UTC, ascending) strictly after ``after`` at which the schedule fires."""
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    stop = rs.end
    if until is not None:
        stop = until if stop is None else min(stop, until)
    source = _interval(rs, after) if rs.kind == "interval" else _cron(rs, after)
    for produced, t in enumerate(source):
        if stop is not None and t > stop:
            return
        if limit is not None and produced >= limit:
            return
        yield t


def _interval(rs: ResolvedSchedule, after: datetime) -> Iterator[datetime]:
    assert rs.start is not None and rs.frequency
    step = timedelta(seconds=rs.frequency)
    k = 0
    if after >= rs.start:
        k = int((after - rs.start).total_seconds() // rs.frequency) + 1
    if after >= LAST_INSTANT or rs.start + timedelta(seconds=rs.frequency * k) > LAST_INSTANT:
        return
    t = rs.start + k * step
    while t <= LAST_INSTANT:
        yield t
        t += step


def _cron(rs: ResolvedSchedule, after: datetime) -> Iterator[datetime]:
    assert rs.cron is not None
    if rs.start is not None and rs.start > after:
        after = rs.start - timedelta(microseconds=1)
    return cron_instants(rs.cron, rs.zone, after)


# The instants computed: croniter loops forever near year 9999 (datetime's end), and converting
# year 1 to a zone west of UTC overflows, so every schedule is read between these two instants.
FIRST_INSTANT = datetime(1, 1, 2, tzinfo=UTC)
LAST_INSTANT = datetime(9900, 1, 1, tzinfo=UTC)

# What a schedule may say: start_at and end_at from FIRST_INSTANT (start_at until LAST_START, room to
# round it up to the minute); a frequency a Go time.Duration (Argo's `@every`) holds, ~292 years.
LAST_START = datetime(9999, 12, 30, tzinfo=UTC)
LAST_END = datetime.max.replace(tzinfo=UTC)
MAX_FREQUENCY = (2**63 - 1) // 10**9


def cron_instants(expr: CronExpr, tz: tzinfo, after: datetime) -> Iterator[datetime]:
    """Instants (UTC) strictly after ``after`` whose wall-clock time in ``tz`` matches ``expr``, up to
    :data:`LAST_INSTANT`."""
    from croniter import CroniterBadDateError, croniter

    if after >= LAST_INSTANT:
        return
    it = croniter(expr.normalized, max(after, FIRST_INSTANT).astimezone(tz))
    last = None
    while True:
        try:
            t = it.get_next(datetime)
        except CroniterBadDateError:
            return
        if t.astimezone(UTC) > LAST_INSTANT:
            return
        if not expr.matches(t.astimezone(tz)):
            continue  # croniter moves a time that falls in a DST gap; Argo skips it
        t = t.astimezone(UTC)
        if t == last or t <= after:
            continue
        last = t
        yield t
