"""The pipeline file (spec §1.1, §1.10): header, schedules, ops and templates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, field_validator

from ..source import YamlTimestamp
from .base import NAME_RE, Bool, Int, Name, Spec, Tags, fail, slugify
from .logging import Logging
from .op import Op
from .template import Template

# The original (marshmallow + dateutil.isoparse): two-digit fields, 'T' or ' ', optional seconds and
# fraction, optional 'Z' / ±HH[:MM] offset; a naive datetime is accepted.
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def _datetime(value: Any) -> Any:
    if isinstance(value, YamlTimestamp):
        fail(
            "PF271",
            "an unquoted YAML timestamp is not a valid datetime here",
            hint=f"quote it: '{value}'",
        )
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        fail("PF271", f"expected a datetime string, got {value!r}", hint="e.g. '2019-07-01T00:00:00+00:00'")
    match = _DATETIME.match(value)
    if match is None:
        fail(
            "PF271", f"not a valid datetime: {value!r}", hint="use ISO 8601, e.g. '2019-07-01T00:00:00+00:00'"
        )
    year, month, day, hour, minute, second, fraction, tz = match.groups()
    try:
        tzinfo = None
        if tz:
            if tz == "Z":
                tzinfo = timezone.utc
            else:
                digits = tz[1:].replace(":", "")
                offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
                tzinfo = timezone(-offset if tz[0] == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo
        )
    except ValueError as exc:
        fail("PF271", f"not a valid datetime: {value!r} ({exc})", hint="check the date and time values")


DateTime = Annotated[datetime, BeforeValidator(_datetime)]


class _ScheduleBase(Spec):
    start_at: DateTime | None = None
    """When the schedule starts: a quoted ISO 8601 date and time, e.g. '2019-07-01T00:00:00+00:00' (default:
    now)."""
    end_at: DateTime | None = None
    """When the schedule ends: a quoted ISO 8601 date and time (default: never)."""
    depends_on_past: Bool | None = None
    """Run instances one after another, each only if the previous one succeeded."""
    # Extension (not in Polyflow 2019): the IANA zone of a cron's wall-clock times. Checked in
    # resolve, which also rejects it on interval schedules with a reason.
    timezone: str | None = None
    """Extension: the IANA time zone of a cron's wall-clock times, e.g. Europe/Paris (default UTC; not for
    interval schedules)."""


class CronSchedule(_ScheduleBase):
    kind: Literal["cron"]
    """`cron`: fire at the times of a cron expression."""
    cron: str
    """Five fields `minute hour day-of-month month day-of-week`, e.g. '0 2 * * *' (docs/schedules.md)."""


class IntervalSchedule(_ScheduleBase):
    kind: Literal["interval"]
    """`interval`: fire every `frequency` seconds from `start_at`."""
    start_at: DateTime
    """When the first run fires: a quoted ISO 8601 date and time (required for interval schedules)."""
    frequency: Int
    """Seconds between runs, e.g. 3600 for hourly (a whole number of minutes on Argo)."""


Schedule = Annotated[CronSchedule | IntervalSchedule, Field(discriminator="kind")]

_OTHER_KINDS = ("experiment", "group", "job", "notebook", "tensorboard", "build")


def _description(value: str) -> str:
    # Quirk of the original (spec §1.1): the pipeline description is checked with the name regex.
    if not NAME_RE.match(value):
        fail(
            "PF211",
            f"the pipeline description {value!r} may only contain letters, digits, '-' and '_' "
            "(Polyflow 0.5 checks it like a name)",
            hint=f"use {slugify(value)!r}, or put prose in a comment",
        )
    return value


Description = Annotated[str, AfterValidator(_description)]


class Pipeline(Spec):
    """A Polyflow 2019 pipeline file."""

    version: Any = Field(json_schema_extra={"const": 1})
    """The format version: always 1."""
    kind: Any = Field(json_schema_extra={"const": "pipeline"})
    """Always `pipeline`."""
    name: Name | None = None
    """The pipeline's name: letters, digits, `-` and `_`; names the Workflow (required for a schedule)."""
    description: Description | None = None
    """A short description, checked like a name in Polyflow 0.5 (letters, digits, `-`, `_`); put prose in
    comments."""
    logging: Logging | None = None
    """Logging settings of the pipeline's runs."""
    tags: Tags | None = None
    """Free tags (a list of strings)."""
    backend: str | None = None
    """Free string, not used (Polyaxon's server set `native`)."""
    schedule: Schedule | None = None
    """Run the pipeline on a schedule (a CronWorkflow): `kind: cron` or `kind: interval`."""
    concurrency: Int | None = None
    """At most this many ops of one run at once (at least 1; unset: no limit)."""
    ops: list[Op] | None = None
    """The DAG's nodes: each op runs a template, after its `dependencies` and implicit references."""
    templates: list[Template] | None = None
    """The templates ops use by `template: {name: ...}`; optional when no op does."""
    _doc: Any = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> int:
        if value != 1 or isinstance(value, bool):
            fail(
                "PF201",
                f"version {value!r} is not supported: Polyflow pipelines are `version: 1`",
                hint="set `version: 1`",
            )
        return 1

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        if value == "pipeline":
            return "pipeline"
        if value in _OTHER_KINDS:
            fail(
                "PF202",
                f"this is a `{value}` polyaxonfile, not a pipeline",
                hint=f"wrap it as a template of a pipeline: `templates: [{{kind: {value}, ...}}]`",
            )
        fail("PF202", f"`kind` must be `pipeline`, got {value!r}", hint="set `kind: pipeline`")

    @property
    def template_list(self) -> list[Any]:
        return list(self.templates or [])

    @property
    def op_list(self) -> list[Op]:
        return list(self.ops or [])
