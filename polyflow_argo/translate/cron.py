"""A scheduled pipeline → a CronWorkflow whose ``workflowSpec`` is the pipeline's Workflow spec.

The schedule plan (:mod:`.schedule`) gives the entries and the ``when`` guard; ``depends_on_past``
becomes ``concurrencyPolicy: Forbid`` plus ``stopStrategy: cronworkflow.failed > 0`` (a failed or
errored run stops the schedule until ``polyflow-argo schedule clear``). docs/schedules.md.
"""

from __future__ import annotations

import json
from typing import Any

from ..resolve.schedule import ResolvedSchedule
from .context import TranslateContext
from .names import dns_label
from .schedule import CronPlan, PlanError, plan
from .target import Feature
from .workflow import API_VERSION, metadata, workflow_spec

MAX_CRON_NAME = 52
STOP_ON_FAILURE = "cronworkflow.failed > 0"


def cron_name(ctx: TranslateContext) -> str | None:
    """``--name``, else the pipeline name as a DNS label; errors when Argo cannot use it."""
    if ctx.options.name:
        name = ctx.options.name
        where: tuple[Any, ...] = ("schedule",)
        fix = "pass a --name of at most 52 characters"
    elif ctx.ir.spec.name:
        name = dns_label(ctx.ir.spec.name, 253)
        where = ("name",)
        fix = "shorten the pipeline `name`, or pass --name"
    else:
        ctx.error(
            "PF463",
            "a scheduled pipeline needs a name: its CronWorkflow is applied and updated by name",
            ("schedule",),
            "add `name:` to the pipeline, or pass --name",
        )
        return None
    if len(name) > MAX_CRON_NAME:
        ctx.error(
            "PF464",
            f"CronWorkflow name '{name}' has {len(name)} characters; Argo allows {MAX_CRON_NAME} "
            f"({len(name) - MAX_CRON_NAME} too many) because it appends '-<unix time>' to name each run",
            where,
            fix,
        )
        return None
    return name


def schedule_plan(ctx: TranslateContext, rs: ResolvedSchedule) -> CronPlan | None:
    try:
        p = plan(rs, allow_every=ctx.options.allow_every_drift)
    except PlanError as exc:
        ctx.error(exc.code, exc.message, ("schedule", exc.field), exc.hint)
        return None
    if rs.dropped_seconds:
        ctx.warning(
            "PF465",
            "Argo schedules have minute precision: start_at is rounded up to the next minute (no run "
            f"before start_at), so runs are at {rs.start.strftime('%H:%M:%S') if rs.start else ''} UTC "
            f"and every {rs.frequency} s after",
            ("schedule", "start_at"),
            "give start_at on a whole minute to silence this",
        )
    if p.drifts:
        ctx.warning(
            "PF466",
            f"`{p.schedules[0]}` counts from each update of the CronWorkflow, not from start_at: runs drift",
            ("schedule", "frequency"),
            "use a frequency in whole minutes for exact runs",
        )
    return p


def cron_workflow(ctx: TranslateContext) -> list[dict[str, Any]]:
    rs = ctx.ir.schedule
    assert rs is not None, "compile emits a CronWorkflow only for a scheduled pipeline"
    name = cron_name(ctx)
    p = schedule_plan(ctx, rs)
    built = workflow_spec(ctx)
    if name is None or p is None:
        return []
    target = ctx.target
    spec: dict[str, Any] = {}
    if target.has(Feature.CRON_SCHEDULES_LIST):
        spec["schedules"] = list(p.schedules)
    elif len(p.schedules) == 1:
        spec["schedule"] = p.schedules[0]
    else:
        ctx.error(
            "PF467",
            f"this schedule needs {len(p.schedules)} cron entries ({'; '.join(p.schedules)}), and Argo "
            f"{target.version} CronWorkflows take one",
            ("schedule",),
            "target --argo-version 3.6 or newer (a `schedules` list)",
        )
    spec["timezone"] = p.timezone
    if rs.depends_on_past:
        spec["concurrencyPolicy"] = "Forbid"
    opts = ctx.options
    if opts.starting_deadline_seconds is not None:
        spec["startingDeadlineSeconds"] = opts.starting_deadline_seconds
    if opts.successful_history_limit is not None:
        spec["successfulJobsHistoryLimit"] = opts.successful_history_limit
    if opts.failed_history_limit is not None:
        spec["failedJobsHistoryLimit"] = opts.failed_history_limit
    if opts.suspend:
        spec["suspend"] = True
    when = p.guard.expression()
    if when:
        if target.has(Feature.CRON_WHEN):
            spec["when"] = when
        else:
            ctx.error(
                "PF461",
                f"Argo {target.version} CronWorkflows have no `when`, which this schedule needs to "
                "fire only " + _guard_reason(rs, p),
                ("schedule",),
                "target --argo-version 3.6 or newer",
            )
    if rs.depends_on_past:
        if target.has(Feature.CRON_STOP_STRATEGY):
            spec["stopStrategy"] = {"expression": STOP_ON_FAILURE}
        else:
            ctx.error(
                "PF461",
                f"Argo {target.version} CronWorkflows have no `stopStrategy`, which depends_on_past needs "
                "to hold later runs after a failure",
                ("schedule", "depends_on_past"),
                "target --argo-version 3.6 or newer",
            )
    meta = metadata(ctx)
    meta.pop("generateName", None)
    meta = {"name": name, **meta}
    meta["annotations"]["polyflow.io/schedule"] = rs.describe()
    if built.renamed:
        meta["annotations"]["polyflow.io/op-names"] = json.dumps(built.renamed, sort_keys=True)
    child_meta = {
        "labels": dict(meta["labels"]),
        "annotations": {
            k: v
            for k, v in meta["annotations"].items()
            if k.startswith("workflows.argoproj.io/")
            or k == "polyflow.io/op-names"  # watch/logs show op names
        },
    }
    spec["workflowMetadata"] = child_meta
    spec["workflowSpec"] = built.spec
    doc = {"apiVersion": API_VERSION, "kind": "CronWorkflow", "metadata": meta, "spec": spec}
    return [doc] + built.extra


def _guard_reason(rs: ResolvedSchedule, p: CronPlan) -> str:
    reasons = []
    if p.guard.start is not None:
        reasons.append("from start_at")
    if p.guard.end is not None:
        reasons.append("until end_at")
    if p.guard.anchor is not None:
        reasons.append(f"every {rs.frequency} s")
    return " and ".join(reasons)
