"""Checks on emitted manifests: Argo's limits (always), and in tests Argo's JSON Schema and Hera.

``check_limits`` runs on every compile: 200 DAG tasks and 200 templates per object (Argo 4's full
CRDs), 500 input parameters per template, names ≤ 63 (CronWorkflow ≤ 52), and the ~1 MiB object
size. ``lift=True`` (``CompileOptions(lift_limits=True)``, ``compile --lift-limits``) lifts the
limits a cluster can raise (the task and template counts of the full CRDs, the object size) and
keeps the rest (docs/performance.md says what the cluster then needs).

``validate_schema`` / ``validate_hera`` are for tests and ``--validate``; they import
jsonschema and Hera lazily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import Diagnostic
from .target import ArgoTarget, Feature

MAX_TASKS = 200
MAX_TEMPLATES = 200
MAX_INPUTS = 500
MAX_OBJECT_BYTES = 1024 * 1024
MAX_NAME = {"Workflow": 63, "WorkflowTemplate": 63, "ClusterWorkflowTemplate": 63, "CronWorkflow": 52}
SCHEMA_DEFINITIONS = {
    "Workflow": "io.argoproj.workflow.v1alpha1.Workflow",
    "CronWorkflow": "io.argoproj.workflow.v1alpha1.CronWorkflow",
    "WorkflowTemplate": "io.argoproj.workflow.v1alpha1.WorkflowTemplate",
    "ClusterWorkflowTemplate": "io.argoproj.workflow.v1alpha1.ClusterWorkflowTemplate",
}


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = doc.get("spec", {})
    inner: dict[str, Any] = spec.get("workflowSpec", spec) if doc.get("kind") == "CronWorkflow" else spec
    return inner


def check_limits(docs: list[dict[str, Any]], target: ArgoTarget, lift: bool = False) -> list[Diagnostic]:
    """Errors for every Argo limit a document exceeds, saying which limit and by how much; ``lift``
    skips the limits a cluster can raise (task and template counts, object size)."""
    out: list[Diagnostic] = []
    counts = target.has(Feature.FULL_CRD_LIMITS) and not lift
    for doc in docs:
        kind = doc.get("kind", "")
        if kind not in MAX_NAME:
            continue
        name = doc["metadata"].get("name")
        if name and len(name) > MAX_NAME[kind]:
            out.append(
                Diagnostic(
                    "PF450",
                    f"{kind} name '{name}' has {len(name)} characters; Argo allows {MAX_NAME[kind]}",
                    hint="choose a shorter --name",
                )
            )
        spec = _spec(doc)
        templates = spec.get("templates", [])
        if counts and len(templates) > MAX_TEMPLATES:
            out.append(
                Diagnostic(
                    "PF451",
                    f"{kind} has {len(templates)} templates; Argo's CRD allows {MAX_TEMPLATES} "
                    f"({len(templates) - MAX_TEMPLATES} too many)",
                    hint="let ops share templates (same template, environment and retries), or "
                    "--lift-limits on a cluster with raised limits (docs/performance.md)",
                )
            )
        for template in templates:
            tasks = template.get("dag", {}).get("tasks", [])
            if counts and len(tasks) > MAX_TASKS:
                out.append(
                    Diagnostic(
                        "PF452",
                        f"the pipeline has {len(tasks)} ops; Argo's CRD allows {MAX_TASKS} tasks per DAG "
                        f"({len(tasks) - MAX_TASKS} too many)",
                        hint="split the pipeline into several pipelines, or --lift-limits on a cluster "
                        "with raised limits (docs/performance.md)",
                    )
                )
            params = template.get("inputs", {}).get("parameters", [])
            if len(params) > MAX_INPUTS:
                out.append(
                    Diagnostic(
                        "PF453",
                        f"template '{template['name']}' has {len(params)} inputs; Argo allows {MAX_INPUTS}",
                    )
                )
        if lift:
            continue
        size = len(json.dumps(doc, separators=(",", ":")))
        if size > MAX_OBJECT_BYTES:
            out.append(
                Diagnostic(
                    "PF454",
                    f"{kind} is {size} bytes; Argo stores objects up to {MAX_OBJECT_BYTES} bytes "
                    f"({size - MAX_OBJECT_BYTES} over)",
                    hint="split the pipeline, or --lift-limits on a cluster with raised limits "
                    "(docs/performance.md)",
                )
            )
    return out


def schema_errors(doc: dict[str, Any], schema_path: str | Path) -> list[str]:
    """Errors of ``doc`` against Argo's JSON Schema (``../shared/argo/argo-workflows.schema.json``)."""
    from jsonschema import Draft202012Validator

    schema = _load_schema(str(schema_path))
    definition = SCHEMA_DEFINITIONS[doc["kind"]]
    validator = Draft202012Validator(
        {
            "$schema": schema["$schema"],
            "$ref": "#/definitions/" + definition,
            "definitions": schema["definitions"],
        }
    )
    return ["/".join(map(str, e.absolute_path)) + ": " + e.message for e in validator.iter_errors(doc)]


_SCHEMAS: dict[str, Any] = {}


def _load_schema(path: str) -> Any:
    if path not in _SCHEMAS:
        _SCHEMAS[path] = json.loads(Path(path).read_text())
    return _SCHEMAS[path]


def hera_round_trip(doc: dict[str, Any]) -> list[str]:
    """Validate with Hera's generated Argo models; report keys Hera drops (typos, unknown fields)."""
    from hera.workflows import models

    model = getattr(models, doc["kind"])
    parsed = model.model_validate(doc)
    back = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
    return _diff(doc, back, "")


OPAQUE = ("/plugin",)  # Hera's Plugin model has no fields: a plugin body is any object, not checked here


def _diff(a: Any, b: Any, path: str) -> list[str]:
    if path.endswith(OPAQUE):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key, value in a.items():
            if key not in b:
                out.append(f"{path}/{key}: dropped by Hera")
            else:
                out.extend(_diff(value, b[key], f"{path}/{key}"))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: list length {len(a)} != {len(b)}"]
        return [e for i, (x, y) in enumerate(zip(a, b, strict=True)) for e in _diff(x, y, f"{path}/{i}")]
    if a != b and str(a) != str(b):
        return [f"{path}: {a!r} != {b!r}"]
    return []
