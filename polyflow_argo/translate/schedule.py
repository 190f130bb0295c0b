"""A resolved schedule → what a CronWorkflow needs to fire at exactly its instants.

Argo fires at the union of its ``schedules`` (5-field crons, minute precision, in ``timezone``)
and submits a run only when ``when`` holds (argo-semantics.md §6). A plan is those entries plus a
guard:

- cron: the expression itself, in the schedule's zone; the guard only bounds start_at/end_at.
- interval of F seconds from S (UTC): F must be a whole number of minutes. With g = gcd(F/60,
  1440), the instants' times of day repeat with period g minutes, so the entries that fire at
  exactly those times of day every day are emitted. When g = F/60 (F divides a day) they are the
  instants; a 7-day interval uses the weekday; otherwise the guard keeps the aligned ones:
  ``(now - S) % F < 60``. Any two candidate fires are at least g minutes apart, so the 60 s window
  accepts exactly the aligned fire and tolerates up to 59 s of controller lag.

:func:`plan_instants` replays a plan the way the controller does (robfig's rules through
:mod:`..resolve.cronexpr`, the guard through :meth:`Guard.admits`); tests prove it equal to
argo-sim, and ``schedule next`` uses it to print what the CronWorkflow will do.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..resolve.cronexpr import parse
from ..resolve.schedule import LAST_INSTANT, ResolvedSchedule, cron_instants, zone

UTC = timezone.utc
TOLERANCE = 60  # seconds of controller lag an alignment guard accepts
DAY = 1440  # minutes


@dataclass(frozen=True)
class Guard:
    """Unix-second bounds of the CronWorkflow ``when``: ``start <= now < end`` and alignment."""

    start: int | None = None
    end: int | None = None
    anchor: int | None = None
    period: int | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.start, self.end, self.anchor))

    def expression(self) -> str | None:
        """The ``when`` text: one expr tag evaluated at each fire (``now()`` is the fire time)."""
        parts = []
        if self.start is not None:
            parts.append(f"now().Unix() >= {self.start}")
        if self.anchor is not None:
            parts.append(f"(now().Unix() - {self.anchor}) % {self.period} < {TOLERANCE}")
        if self.end is not None:
            parts.append(f"now().Unix() < {self.end}")
        if not parts:
            return None
        return "{{= " + " && ".join(parts) + " }}"

    def admits(self, t: datetime) -> bool:
        now = int(t.timestamp())
        if self.start is not None and now < self.start:
            return False
        if (
            self.anchor is not None
            and self.period
            and not (0 <= (now - self.anchor) % self.period < TOLERANCE)
        ):
            return False
        return self.end is None or now < self.end


@dataclass(frozen=True)
class CronPlan:
    schedules: tuple[str, ...]
    timezone: str
    guard: Guard
    drifts: bool = False  # an `@every` entry: the instants depend on when Argo loaded the object

    def describe(self) -> str:
        return ", ".join(self.schedules) + f" ({self.timezone})"


class PlanError(ValueError):
    def __init__(self, code: str, message: str, hint: str | None, field: str):
        super().__init__(message)
        self.code, self.message, self.hint, self.field = code, message, hint, field


def _unix(t: datetime) -> int:
    return int(t.timestamp())


def _ceil_minute(t: datetime) -> datetime:
    floor = t.replace(second=0, microsecond=0)
    return floor if floor == t else floor + timedelta(minutes=1)


def plan(rs: ResolvedSchedule, allow_every: bool = False) -> CronPlan:
    """The CronWorkflow entries and guard for ``rs``; :class:`PlanError` when Argo cannot do it."""
    end = None
    if rs.end is not None:
        end = _unix(rs.end.replace(second=0, microsecond=0)) + 60
    if rs.kind == "cron":
        assert rs.cron is not None
        start = _unix(_ceil_minute(rs.start)) if rs.start is not None else None
        text = " ".join(rs.cron.text.split())
        return CronPlan((text,), rs.timezone, Guard(start=start, end=end))
    assert rs.start is not None and rs.frequency is not None
    freq = rs.frequency
    start = _unix(rs.start)
    if freq % 60:
        if not allow_every:
            low, high = freq // 60 * 60, (freq // 60 + 1) * 60
            nearest = " or ".join(str(v) for v in (low, high) if v > 0)
            raise PlanError(
                "PF462",
                f"frequency {freq} s is not a whole number of minutes, and Argo schedules have no seconds",
                f"use {nearest}; or pass --allow-every-drift to run `@every {freq}s`, which Argo "
                "counts from each update of the CronWorkflow (it drifts)",
                "frequency",
            )
        return CronPlan((f"@every {freq}s",), "UTC", Guard(start=start, end=end), drifts=True)
    minutes = freq // 60
    tod = (rs.start.hour * 60 + rs.start.minute) % DAY
    g = math.gcd(minutes, DAY)
    if minutes == 7 * DAY:
        dow = rs.start.isoweekday() % 7
        entries: tuple[str, ...] = (f"{tod % 60} {tod // 60} * * {dow}",)
        return CronPlan(entries, "UTC", Guard(start=start, end=end))
    entries = tuple(day_entries({(tod + k * g) % DAY for k in range(DAY // g)}))
    guard = Guard(start=start, end=end)
    if g != minutes:
        guard = Guard(start=start, end=end, anchor=start, period=freq)
    return CronPlan(entries, "UTC", guard)


def day_entries(times_of_day: Iterable[int]) -> list[str]:
    """5-field crons whose union fires at exactly these minutes of the day, every day."""
    hours_by_minute: dict[int, set[int]] = {}
    for t in times_of_day:
        hours_by_minute.setdefault(t % 60, set()).add(t // 60)
    minutes_by_hours: dict[frozenset[int], list[int]] = {}
    for minute, hours in hours_by_minute.items():
        minutes_by_hours.setdefault(frozenset(hours), []).append(minute)
    out = sorted((min(hours), min(minutes), f"{compact(minutes, 0, 59)} {compact(hours, 0, 23)} * * *")
                 for hours, minutes in minutes_by_hours.items())
    return [entry for _, _, entry in out]


def compact(values: Iterable[int], low: int, high: int) -> str:
    """A cron field for a set of values: ``*``, ``*/n``, ``a-b/n``, ``a-b`` or a list."""
    vals = sorted(set(values))
    if vals == list(range(low, high + 1)):
        return "*"
    if len(vals) == 1:
        return str(vals[0])
    steps = {b - a for a, b in itertools.pairwise(vals)}
    if len(steps) == 1 and len(vals) > 2:
        step = steps.pop()
        if vals[0] == low and vals[-1] + step > high:  # the progression fills the whole field
            return f"*/{step}"
        return f"{vals[0]}-{vals[-1]}/{step}" if step > 1 else f"{vals[0]}-{vals[-1]}"
    return ",".join(str(v) for v in vals)


def plan_instants(
    p: CronPlan, after: datetime, limit: int | None = None, until: datetime | None = None
) -> Iterator[datetime]:
    """When the CronWorkflow of plan ``p`` submits runs (UTC), as the controller decides it."""
    if p.drifts:
        return iter(())
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    g = p.guard
    if g.anchor is not None and g.period and g.start is not None and g.start >= g.anchor:
        return _take(p, _aligned_ticks(p, after), limit, until)
    streams = [_entry_instants(entry, p.timezone, after) for entry in p.schedules]
    return _take(p, heapq.merge(*streams), limit, until)


def _aligned_ticks(p: CronPlan, after: datetime) -> Iterator[datetime]:
    """The entries' fires after ``after`` that fall in the alignment guard's windows, ``[anchor +
    k * period, anchor + k * period + TOLERANCE)`` from the first window on: every other fire is one
    the guard's ``%`` clause turns away, so the windows are visited instead of every fire (a
    292-year interval has entries every minute; replaying them one by one took hours). What the
    guard decides is still decided by ``admits`` in :func:`_take`."""
    g = p.guard
    assert g.anchor is not None and g.period
    k = max(0, (_unix(after) - g.anchor - TOLERANCE) // g.period)  # a window that may still hold one
    last = _unix(LAST_INSTANT)
    while (low := g.anchor + k * g.period) <= last:
        # a second before the window (fires are on whole minutes): croniter reads its start as a
        # float, which holds no microseconds past year ~2300
        begin = max(after, datetime.fromtimestamp(low - 1, UTC))
        for t in heapq.merge(*[_entry_instants(entry, p.timezone, begin) for entry in p.schedules]):
            if _unix(t) >= low + TOLERANCE:
                break
            yield t
        k += 1


def _take(
    p: CronPlan, merged: Iterator[datetime], limit: int | None, until: datetime | None
) -> Iterator[datetime]:
    last = None
    count = 0
    for t in merged:
        if t == last:
            continue  # one child per second: same-instant fires collapse
        last = t
        if until is not None and t > until:
            return
        if p.guard.end is not None and _unix(t) >= p.guard.end:
            return
        if not p.guard.admits(t):
            continue
        if limit is not None and count >= limit:
            return
        count += 1
        yield t


def _entry_instants(entry: str, tz_name: str, after: datetime) -> Iterator[datetime]:
    return cron_instants(parse(entry), zone(tz_name), after)
