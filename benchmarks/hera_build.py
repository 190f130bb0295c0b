"""Hera building the same Workflow as ours (for benchmarks/bench_compile.py), the way Hera's docs write it.

The Workflow is described by plain Python data taken from our manifest before any clock starts
(``plan_from_manifest``), so Hera is timed on building and serializing only; it never parses,
validates or resolves a pipeline. ``build_hera_context`` is the documented style (``with Workflow``,
``with DAG``, ``Task(template=<Container>)`` inside the context); ``build_hera`` passes a prebuilt
task list (Hera's fastest style). ``equivalence`` says where Hera's ``to_dict()`` differs from ours.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

Manifest = dict[str, Any]


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def dag_tasks(manifest: Manifest) -> list[dict[str, Any]]:
    spec = manifest["spec"]
    entry = next(t for t in spec["templates"] if t["name"] == spec["entrypoint"])
    tasks: list[dict[str, Any]] = entry["dag"]["tasks"]
    return tasks


def shared_task_bytes(manifest: Manifest) -> float:
    """Average compact-JSON length of one DAG task entry whose template is used by several tasks."""
    tasks = dag_tasks(manifest)
    uses = Counter(t["template"] for t in tasks)
    shared = [len(compact(t)) for t in tasks if uses[t["template"]] > 1]
    return statistics.fmean(shared) if shared else float("nan")


def task_bytes_by_template(manifest: Manifest) -> dict[str, tuple[int, float]]:
    sizes: dict[str, list[int]] = {}
    for t in dag_tasks(manifest):
        sizes.setdefault(t["template"], []).append(len(compact(t)))
    return {name: (len(v), statistics.fmean(v)) for name, v in sizes.items()}


# --------------------------------------------------------------------------------------------------
# Hera: the same Workflow, built with hera.workflows
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskPlan:
    name: str
    template: str
    depends: str | None
    when: str | None
    arguments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    labels: dict[str, str] | None
    annotations: dict[str, str] | None
    inputs: tuple[str, ...]
    outputs: tuple[tuple[str, str, str | None], ...]  # name, valueFrom.path, valueFrom.default
    image: str
    command: list[str] | None
    args: list[str] | None
    env: tuple[tuple[str, str], ...]
    empty_dirs: tuple[tuple[str, str], ...]  # volume name, mount path
    retry: dict[str, Any] | None


@dataclass(frozen=True)
class WorkflowPlan:
    metadata: dict[str, Any]
    entrypoint: str
    pod_labels: dict[str, str] | None
    dag_name: str
    fail_fast: bool | None
    parallelism: int | None
    tasks: tuple[TaskPlan, ...]
    containers: tuple[ContainerPlan, ...]


def _only(mapping: dict[str, Any], allowed: set[str], where: str) -> None:
    """The walk covers what the generated pipelines need; anything else would be silently dropped."""
    extra = set(mapping) - allowed
    if extra:
        raise NotImplementedError(f"{where}: the Hera rebuild does not handle {sorted(extra)}")


def _container_plan(template: dict[str, Any]) -> ContainerPlan:
    where = f"template {template['name']}"
    _only(template, {"name", "metadata", "inputs", "outputs", "container", "volumes", "retryStrategy"}, where)
    container = template["container"]
    _only(container, {"image", "command", "args", "env", "volumeMounts"}, where)
    meta = template.get("metadata", {})
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    volumes = template.get("volumes", [])
    if any(set(v) != {"name", "emptyDir"} or v["emptyDir"] for v in volumes) or set(mounts) != {
        v["name"] for v in volumes
    }:
        raise NotImplementedError(f"{where}: only mounted, default emptyDir volumes are rebuilt")
    outputs: list[tuple[str, str, str | None]] = []
    for p in template.get("outputs", {}).get("parameters", []):
        _only(p, {"name", "valueFrom"}, where)
        outputs.append((p["name"], p["valueFrom"]["path"], p["valueFrom"].get("default")))
    return ContainerPlan(
        name=template["name"],
        labels=meta.get("labels"),
        annotations=meta.get("annotations"),
        inputs=tuple(p["name"] for p in template.get("inputs", {}).get("parameters", [])),
        outputs=tuple(outputs),
        image=container["image"],
        command=container.get("command"),
        args=container.get("args"),
        env=tuple((e["name"], e["value"]) for e in container.get("env", [])),
        empty_dirs=tuple((v["name"], mounts[v["name"]]) for v in volumes),
        retry=template.get("retryStrategy"),
    )


def plan_from_manifest(manifest: Manifest) -> WorkflowPlan:
    """Plain Python data describing our Workflow, for Hera to rebuild (extracted outside the timing)."""
    _only(manifest, {"apiVersion", "kind", "metadata", "spec"}, "Workflow")
    spec = manifest["spec"]
    _only(spec, {"entrypoint", "podMetadata", "templates"}, "spec")
    dag, *rest = spec["templates"]
    _only(dag, {"name", "dag", "parallelism"}, "DAG template")
    tasks: list[TaskPlan] = []
    for t in dag["dag"]["tasks"]:
        _only(t, {"name", "template", "depends", "when", "arguments"}, f"task {t['name']}")
        args = tuple((p["name"], p["value"]) for p in t.get("arguments", {}).get("parameters", []))
        tasks.append(TaskPlan(t["name"], t["template"], t.get("depends"), t.get("when"), args))
    return WorkflowPlan(
        metadata=manifest["metadata"],
        entrypoint=spec["entrypoint"],
        pod_labels=spec.get("podMetadata", {}).get("labels"),
        dag_name=dag["name"],
        fail_fast=dag["dag"].get("failFast"),
        parallelism=dag.get("parallelism"),
        tasks=tuple(tasks),
        containers=tuple(_container_plan(t) for t in rest),
    )


def _hera_container(c: ContainerPlan) -> Any:
    from hera.workflows import Container, EmptyDirVolume, Env, Parameter, RetryStrategy
    from hera.workflows.models import Backoff, ValueFrom

    retry = None
    if c.retry is not None:
        backoff = c.retry.get("backoff")
        retry = RetryStrategy(
            limit=c.retry.get("limit"),
            retry_policy=c.retry.get("retryPolicy"),
            backoff=Backoff.model_validate(backoff) if backoff else None,
        )
    return Container(
        name=c.name,
        labels=c.labels,
        annotations=c.annotations,
        inputs=[Parameter(name=p) for p in c.inputs] or None,
        outputs=[Parameter(name=o, value_from=ValueFrom(path=p, default=d)) for o, p, d in c.outputs] or None,
        image=c.image,
        command=c.command,
        args=c.args,
        env=[Env(name=k, value=v) for k, v in c.env] or None,
        volumes=[EmptyDirVolume(name=v, mount_path=m) for v, m in c.empty_dirs] or None,
        retry_strategy=retry,
    )


def _hera_workflow_fields(plan: WorkflowPlan) -> dict[str, Any]:
    from hera.workflows.models import Metadata

    meta = plan.metadata
    return {
        "name": meta.get("name"),
        "generate_name": meta.get("generateName"),
        "namespace": meta.get("namespace"),
        "labels": meta.get("labels"),
        "annotations": meta.get("annotations"),
        "entrypoint": plan.entrypoint,
        "pod_metadata": Metadata(labels=plan.pod_labels) if plan.pod_labels else None,
    }


def _hera_task(t: TaskPlan, template: Any) -> Any:
    from hera.workflows import Parameter, Task

    return Task(
        name=t.name,
        template=template,
        depends=t.depends,
        when=t.when,
        arguments=[Parameter(name=k, value=v) for k, v in t.arguments],
    )


def build_hera(plan: WorkflowPlan) -> Any:
    """The Workflow of ``plan`` written with Hera's DSL, tasks passed as a list (Hera's fastest style)."""
    from hera.workflows import DAG, Workflow

    containers = {c.name: _hera_container(c) for c in plan.containers}
    dag = DAG(
        name=plan.dag_name,
        fail_fast=plan.fail_fast,
        parallelism=plan.parallelism,
        tasks=[_hera_task(t, containers[t.template]) for t in plan.tasks],
    )
    return Workflow(**_hera_workflow_fields(plan), templates=[dag, *containers.values()])


def build_hera_context(plan: WorkflowPlan) -> Any:
    """The same Workflow in the style of Hera's documentation: ``with Workflow(...)`` and ``with DAG(...)``
    context managers, each template declared inside the context when first used, tasks created inside
    the DAG context with their template object (``Task(template=container)``)."""
    from hera.workflows import DAG, Workflow

    specs = {c.name: c for c in plan.containers}
    with Workflow(**_hera_workflow_fields(plan)) as w:  # noqa: SIM117 - nested as Hera's docs write it
        with DAG(name=plan.dag_name, fail_fast=plan.fail_fast, parallelism=plan.parallelism):
            containers: dict[str, Any] = {}
            for t in plan.tasks:
                if t.template not in containers:
                    containers[t.template] = _hera_container(specs[t.template])
                _hera_task(t, containers[t.template])
    return w


def hera_yaml(plan: WorkflowPlan) -> str:
    text: str = build_hera(plan).to_yaml()
    return text


def hera_json(plan: WorkflowPlan) -> str:
    return json.dumps(build_hera(plan).to_dict())


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Where two JSON-like values differ (dict key order ignored), as ``path: ours != theirs``."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for key in ours.keys() | theirs.keys():
            if key not in theirs:
                out.append(f"{path}/{key}: only in ours")
            elif key not in ours:
                out.append(f"{path}/{key}: only in Hera's ({compact(theirs[key])})")
            else:
                out.extend(differences(ours[key], theirs[key], f"{path}/{key}"))
        return sorted(out)
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        pairs = enumerate(zip(ours, theirs, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}/{i}")]
    return [] if ours == theirs else [f"{path or '/'}: {compact(ours)[:60]} != {compact(theirs)[:60]}"]


def equivalence(ours: Manifest) -> tuple[list[str], list[str]]:
    """Differences between Hera's ``to_dict()`` and our manifest: (on the DAG tasks, on the whole object)."""
    theirs = build_hera(plan_from_manifest(ours)).to_dict()
    keys = ("name", "depends", "when", "template", "arguments")
    tasks = differences(
        [{k: t.get(k) for k in keys} for t in dag_tasks(ours)],
        [{k: t.get(k) for k in keys} for t in dag_tasks(theirs)],
        "/tasks",
    )
    return tasks, differences(ours, theirs)


