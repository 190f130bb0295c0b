"""Backfill: one Workflow per scheduled instant of a window, as the CronWorkflow would have run it.

Each run is the pipeline's Workflow with:

- ``metadata.name`` ``<cron name>-<unix seconds>``, the name the CronWorkflow controller gives the
  run of that instant: a backfill never runs an instant twice while its run (from the schedule or
  an earlier backfill) still exists, and re-applying a backfill is idempotent (AlreadyExists);
- the annotation ``workflows.argoproj.io/scheduled-time`` (so ``{{workflow.scheduledTime}}`` and
  ``POLYFLOW_SCHEDULED_TIME`` hold the instant, as in scheduled runs) and the workflow parameter
  ``scheduled-time``, shown in the Argo UI;
- with ``depends_on_past``, a first task that waits for the previous instant's run to succeed (a
  ``resource`` template: ``get`` of that Workflow with success/failure conditions) and that every
  task of the pipeline depends on: a failed run fails every later one, in order. Its service
  account needs ``get`` on ``workflows.argoproj.io`` (the Helm chart grants it).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from ..resolve.schedule import utc_text
from .context import TranslateContext
from .cron import cron_name
from .workflow import API_VERSION, ENTRYPOINT, metadata, workflow_spec

SCHEDULED_TIME = "scheduled-time"
GATE_TASK = "polyflow-previous-run"
GATE_TEMPLATE = "polyflow-wait-previous-run"
SCHEDULED_ANNOTATION = "workflows.argoproj.io/scheduled-time"


def rfc3339(t: datetime) -> str:
    return utc_text(t)


def backfill_workflows(ctx: TranslateContext, instants: list[datetime]) -> list[dict[str, Any]]:
    base = cron_name(ctx)
    ctx.scheduled = True
    built = workflow_spec(ctx)
    if base is None or ctx.sink.has_errors:
        return []
    chain = bool(ctx.ir.schedule and ctx.ir.schedule.depends_on_past)
    docs: list[dict[str, Any]] = []
    previous: str | None = None
    for t in instants:
        name = f"{base}-{int(t.timestamp())}"
        meta = metadata(ctx)
        meta.pop("generateName", None)
        meta = {"name": name, **meta}
        meta["labels"]["polyflow.io/backfill"] = "true"
        meta["annotations"][SCHEDULED_ANNOTATION] = rfc3339(t)
        if built.renamed:  # watch/logs/approve map task names back to op names
            meta["annotations"]["polyflow.io/op-names"] = json.dumps(built.renamed, sort_keys=True)
        spec = copy.deepcopy(built.spec)
        entrypoint = spec.pop("entrypoint")
        params = {"parameters": [{"name": SCHEDULED_TIME, "value": rfc3339(t)}]}
        spec = {"entrypoint": entrypoint, "arguments": params, **spec}
        if chain and previous is not None:
            _wait_for(spec, previous, ctx.options.namespace)
        docs.append({"apiVersion": API_VERSION, "kind": "Workflow", "metadata": meta, "spec": spec})
        previous = name
    return docs + built.extra


def _wait_for(spec: dict[str, Any], previous: str, namespace: str | None) -> None:
    """Make every task of the pipeline DAG wait for run ``previous`` to have succeeded."""
    dag = next(t for t in spec["templates"] if t["name"] == ENTRYPOINT)["dag"]
    gated = []
    for task in dag["tasks"]:
        own = task.get("depends")
        out: dict[str, Any] = {}
        for key, value in task.items():  # `depends` right after the template, as the translator writes it
            if key != "depends":
                out[key] = value
            if key in ("template", "templateRef"):
                out["depends"] = f"{GATE_TASK} && ({own})" if own else GATE_TASK
        gated.append(out)
    dag["tasks"] = [{"name": GATE_TASK, "template": GATE_TEMPLATE}, *gated]
    target: dict[str, Any] = {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": {"name": previous}}
    if namespace:
        target["metadata"]["namespace"] = namespace
    spec["templates"].append(
        {
            "name": GATE_TEMPLATE,
            "resource": {
                "action": "get",
                "manifest": json.dumps(target),
                "successCondition": "status.phase == Succeeded",
                "failureCondition": "status.phase in (Failed, Error)",
            },
        }
    )
