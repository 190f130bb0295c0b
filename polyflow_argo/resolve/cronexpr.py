"""Cron expressions as Argo reads them: robfig/cron v3 ``ParseStandard`` (argo-semantics.md §6).

Argo's CronWorkflow accepts exactly what the CRD pattern and robfig's standard parser accept: five
fields (minute, hour, day of month, month, day of week), or a descriptor (``@daily`` …, ``@every``).
croniter accepts more (a seconds field, ``L``, ``W``, ``#``, ``7`` for Sunday), so it cannot be the
judge of validity; this module is. It parses into sets of values plus robfig's "star" flags, which
also decide the day rule: when day-of-month and day-of-week are both restricted a day matches
either (OR), otherwise both (AND).

The instants themselves are computed by croniter (``normalized`` gives it an expression with no
ambiguity); :meth:`CronExpr.matches` is then used to keep only instants whose wall-clock time in
the schedule's zone really matches, which is how robfig behaves on daylight-saving days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..errors import Problem

# The CronWorkflow CRD's item pattern (argo-semantics.md §6).
CRD_PATTERN = re.compile(
    r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\s+([0-9]+(ns|us|µs|ms|s|m|h))+"
    r"|([A-Za-z0-9*,/?-]+\s+){4}[A-Za-z0-9*,/?-]+)$"
)

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}


@dataclass(frozen=True)
class _Bounds:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


FIELDS = (
    _Bounds("minute", 0, 59),
    _Bounds("hour", 0, 23),
    _Bounds("day of month", 1, 31),
    _Bounds("month", 1, 12, _MONTHS),
    _Bounds("day of week", 0, 6, _DAYS),
)


@dataclass(frozen=True)
class CronExpr:
    text: str
    values: tuple[frozenset[int], ...]  # minute, hour, dom, month, dow
    star: tuple[bool, ...]

    @property
    def normalized(self) -> str:
        """The same schedule for croniter: ``*`` or explicit value lists, nothing else."""
        return " ".join(
            "*" if star else ",".join(str(v) for v in sorted(vals))
            for vals, star in zip(self.values, self.star, strict=True)
        )

    def matches(self, local: datetime) -> bool:
        """Does this wall-clock time (naive or in the schedule's zone) match, robfig's way?"""
        minute, hour, dom, month, dow = self.values
        if local.minute not in minute or local.hour not in hour or local.month not in month:
            return False
        dom_ok = local.day in dom
        dow_ok = (local.isoweekday() % 7) in dow
        if self.star[2] or self.star[4]:
            return dom_ok and dow_ok
        return dom_ok or dow_ok


def parse(text: str) -> CronExpr:
    """Parse a CronWorkflow schedule item; raise :class:`Problem` where Argo would."""
    spec = text.strip()
    if spec.startswith(("CRON_TZ=", "TZ=")):
        raise Problem(
            "a time zone prefix is not allowed in the expression (Argo's CRD rejects it)",
            "remove the prefix and set `timezone:` on the schedule",
        )
    if spec.startswith("@"):
        if spec.split()[0] == "@every":
            raise Problem(
                "`@every` runs at a fixed delay from whenever Argo last (re)loaded the CronWorkflow, so it "
                "drifts",
                "use `kind: interval` with `frequency:` (in seconds) and `start_at:`",
            )
        if spec == "@reboot":
            raise Problem("`@reboot` is not supported by Argo", "use a 5-field expression")
        if spec not in DESCRIPTORS:
            raise Problem(
                f"unknown descriptor {spec!r}",
                "use one of " + ", ".join(sorted(DESCRIPTORS)) + ", or 5 fields",
            )
        expr = parse(DESCRIPTORS[spec])
        return CronExpr(text, expr.values, expr.star)
    fields = spec.split()
    if len(fields) != 5:
        hint = "Argo has no seconds field: drop the first field" if len(fields) == 6 else None
        raise Problem(
            f"expected exactly 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}",
            hint or "e.g. '0 2 * * *' is every day at 02:00",
        )
    values, stars = [], []
    for field, bounds in zip(fields, FIELDS, strict=True):
        vals, star = _field(field, bounds)
        values.append(vals)
        stars.append(star)
    if not CRD_PATTERN.match(spec):
        raise Problem(f"{spec!r} does not match Argo's CronWorkflow schedule pattern")
    return CronExpr(text, tuple(values), tuple(stars))


def _field(field: str, bounds: _Bounds) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in field.split(","):
        if not part:
            continue  # robfig splits with FieldsFunc: empty items are ignored
        vals, part_star = _range(part, bounds)
        values |= vals
        star = star or part_star
    if not values:  # Argo accepts it, and never fires
        raise Problem(f"the {bounds.name} field {field!r} lists no values, so it never fires")
    return frozenset(values), star


def _range(expr: str, b: _Bounds) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    single = len(low_high) == 1
    star = False
    if low_high[0] in ("*", "?"):
        start, end, star = b.low, b.high, True
    else:
        start = _number(low_high[0], b)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _number(low_high[1], b)
        else:
            raise Problem(f"too many hyphens in {expr!r} ({b.name})")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1], b)
        if single:
            end = b.high
        if step > 1:
            star = False
    else:
        raise Problem(f"too many slashes in {expr!r} ({b.name})")
    if start < b.low:
        raise Problem(f"{b.name} {start} is below the minimum {b.low}", _range_hint(b))
    if end > b.high:
        raise Problem(f"{b.name} {end} is above the maximum {b.high}", _range_hint(b))
    if start > end:
        raise Problem(f"{b.name} range {expr!r} starts after it ends")
    if step == 0:
        raise Problem(f"step of {expr!r} ({b.name}) must be a positive number")
    return set(range(start, end + 1, step)), star


def _range_hint(b: _Bounds) -> str:
    hint = f"{b.name} takes {b.low}-{b.high}"
    if b.name == "day of week":
        hint += ", 0 being Sunday (Argo does not accept 7)"
    return hint


def _number(text: str, b: _Bounds) -> int:
    if b.names is not None and text.lower() in b.names:
        return b.names[text.lower()]
    return _int(text, b)


def _int(text: str, b: _Bounds) -> int:
    if not text.isdigit() or not text.isascii():
        what = f"{b.name} value"
        if text[:1] in "LW#" or text.endswith(("L", "W")) or "#" in text:
            raise Problem(
                f"{text!r} is not a valid {what}: Argo does not support L, W or #",
                "list the days explicitly",
            )
        raise Problem(f"{text!r} is not a valid {what}", _range_hint(b))
    return int(text)
