"""The resolved pipeline → an Argo ``Workflow`` dict with one DAG template.

- ``spec.entrypoint`` is the DAG template; DAG ``failFast: false`` so that a failure never stops
  independent branches or failure handlers (argo-semantics.md §2); the pipeline's ``concurrency``
  is the DAG template's ``parallelism``.
- Labels ``polyflow.io/pipeline``, ``polyflow.io/spec-hash`` and ``tags.polyflow.io/<tag>`` on the
  Workflow, ``polyflow.io/*`` on every pod; title/description annotations for the Argo UI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..resolve import Node
from .build import (
    BuildPlan,
    BuildTemplates,
    after_build,
    build_failures,
    build_task,
    image_argument,
    plan_builds,
    pull_secrets,
)
from .context import TranslateContext
from .dag import depends, when
from .events import event_template, given_params, is_builtin_event
from .hashing import spec_digest
from .k8s import check_pod_settings
from .kinds import KINDS
from .names import DISPLAY_NAME, LABEL_VALUE, Namer, dns_label, label_value
from .params import argument_value
from .pod import OP_PARAM, merged_environment, semaphore_configmap
from .target import Feature
from .templates import TemplatePlan, template_key

API_VERSION = "argoproj.io/v1alpha1"
ENTRYPOINT = "pipeline"


def spec_hash(ctx: TranslateContext) -> str:
    """12 hex digits of the validated spec (formatting and comments do not change it); once per run."""
    if ctx.spec_hash is None:
        ctx.spec_hash = spec_digest(ctx.ir.spec)  # the sorted JSON's sha256 (hashing.py)
    return ctx.spec_hash


def metadata(ctx: TranslateContext, kind_limit: int = 63) -> dict[str, Any]:
    spec = ctx.ir.spec
    meta: dict[str, Any] = {}
    if ctx.options.name:
        meta["name"] = ctx.options.name
    else:
        meta["generateName"] = dns_label(spec.name or "polyflow", kind_limit - 6) + "-"
    if ctx.options.namespace:
        meta["namespace"] = ctx.options.namespace
    labels = {
        "polyflow.io/pipeline": label_value(spec.name or "unnamed"),
        "polyflow.io/spec-hash": spec_hash(ctx),
    }
    for tag in spec.tags or []:
        labels[f"tags.polyflow.io/{label_value(tag)}"] = "true"
    meta["labels"] = labels
    annotations = {"workflows.argoproj.io/title": spec.name or "Polyflow pipeline"}
    if spec.description:
        annotations["workflows.argoproj.io/description"] = spec.description
    if spec.tags:
        annotations["polyflow.io/tags"] = ",".join(spec.tags)
    meta["annotations"] = annotations
    return meta


def task_names(ctx: TranslateContext) -> dict[str, str]:
    # `polyflow-previous-run` is the gate task of chained backfill runs (translate/backfill.py).
    return Namer(reserved=("polyflow-previous-run",), prefix="op").assign(list(ctx.ir.nodes))


@dataclass
class BuiltSpec:
    spec: dict[str, Any]
    extra: list[dict[str, Any]]
    renamed: dict[str, str]


def workflow_spec(ctx: TranslateContext) -> BuiltSpec:
    """The ``spec`` of the Workflow (also a CronWorkflow's ``workflowSpec``) and extra objects.

    Everything a task or template depends on beyond its own op is decided first, for every op: the
    name the Argo UI shows, the image build (translate/build.py: a ``<op>-build`` task, the image
    input), and whether a shared template shows each op's name; then each task and template is
    written once, in its final form.
    """
    ir = ctx.ir
    tasks = task_names(ctx)
    builds = plan_builds(ctx, tasks)  # image builds (translate/build.py): `<op>-build` tasks
    failures = build_failures(tasks, builds)  # one_failed also counts an upstream's failed build
    labels, renamed = _op_labels(ctx, tasks)
    keys = {node.name: template_key(node) for node in ir.nodes.values()  # made once (templates.py)
            if node.template is not None and node.template.entry is None}
    display = _display_names(ctx, tasks, labels, keys)
    template_namer = Namer(reserved=(ENTRYPOINT,), prefix="tpl")
    templates: list[dict[str, Any]] = []
    by_key: dict[str, str] = {}
    build_templates = BuildTemplates()  # identical builds share one template
    dag_tasks = []
    check_pod_settings(ctx)  # Kubernetes validity of labels, annotations, resources; `{{` (k8s.py)
    for node in ir.nodes.values():
        name, label, plan = tasks[node.name], labels[node.name], builds[node.name]
        ref = registry_ref(ctx, node)
        if ref is not None:
            task: dict[str, Any] = {"name": name, "templateRef": ref}
        elif is_builtin_event(node):
            event = event_template(ctx, node, template_namer.unique(f"event-{name}"))
            templates.append(event)
            task = {"name": name, "template": event["name"]}
        else:
            template = _template_for(ctx, node, template_namer, by_key, templates, plan, display, keys)
            task = {"name": name, "template": template or "missing"}
        dep = depends(node, tasks, failures)
        cond = when(ctx, node, tasks)
        arguments = _arguments(ctx, node, tasks, label)
        if plan.task is not None and plan.spec is not None:  # [<op>-build,] <op>
            builder = build_templates.name(plan.spec, template_namer.unique, templates)
            dag_tasks.append(build_task(plan, builder, dep, cond, label))
            dep = after_build(dep, plan.task)
            arguments.append(image_argument(plan))
        if dep:
            task["depends"] = dep
        if cond:
            task["when"] = cond
        task["arguments"] = {"parameters": arguments}
        dag_tasks.append(task)
    dag_template: dict[str, Any] = {"name": ENTRYPOINT, "dag": {"failFast": False, "tasks": dag_tasks}}
    concurrency = ir.spec.concurrency
    if concurrency is not None:
        if concurrency < 1:
            ctx.error(
                "PF412", f"pipeline concurrency must be at least 1, got {concurrency}", ("concurrency",)
            )
        else:
            dag_template["parallelism"] = concurrency
    spec: dict[str, Any] = {"entrypoint": ENTRYPOINT}
    account = service_account(ctx)
    if account:
        spec["serviceAccountName"] = account
    spec.update(run_hygiene(ctx))  # activeDeadlineSeconds, ttlStrategy, podGC: only those set
    pull = _image_pull_secrets(ctx)
    pull += pull_secrets(ctx, builds, pull)  # image builds: the build registry's pull secret
    if pull:
        spec["imagePullSecrets"] = [{"name": s} for s in pull]
    pod_labels = {
        "polyflow.io/pipeline": label_value(ir.spec.name or "unnamed"),
        "polyflow.io/spec-hash": spec_hash(ctx),
    }
    spec["podMetadata"] = {"labels": pod_labels}
    spec["templates"] = [dag_template] + templates
    extra = _semaphores(ctx, tasks)
    return BuiltSpec(spec, extra, renamed)


def service_account(ctx: TranslateContext) -> str | None:
    """``--service-account``, else ``service_account`` of the project config (polyflow.yaml)."""
    from ..language.project import service_account_ok

    name = ctx.options.service_account or getattr(ctx.options.project_config, "service_account", None)
    if name and not service_account_ok(name):
        ctx.error("PF459", f"service account {name!r} (--service-account) is not a valid ServiceAccount name",
                  (), "lower case letters, digits, '-' and '.', alphanumeric at both ends")
        return None
    return name


def run_hygiene(ctx: TranslateContext) -> dict[str, Any]:
    """The run-hygiene fields of the Workflow spec: the project config's (and its pipeline's), under
    the flags (docs/cluster.md); empty when none is set, so nothing is emitted."""
    from ..errors import PolyflowError
    from ..language.project import HYGIENE_FLAGS
    from ..language.project import run_hygiene as effective

    flags = {name: getattr(ctx.options, name) for name in HYGIENE_FLAGS}
    try:
        return effective(ctx.options.project_config, ctx.ir.spec.name, flags).argo()
    except PolyflowError as exc:  # a bad value given through the API (the CLI checks its flags)
        ctx.sink.extend(exc.diagnostics)
        return {}


OP_OVERRIDES = ("environment", "build", "logging", "max_retries", "retry_delay", "retry_exp_backoff",
                "max_retry_delay", "concurrency")


def registry_ref(ctx: TranslateContext, node: Node) -> dict[str, Any] | None:
    """An op using a registry action/event → ``templateRef`` to its published WorkflowTemplate."""
    if node.template is None or node.template.entry is None or is_builtin_event(node):
        return None
    from ..registry import Entry, template_ref_name

    entry = node.template.entry
    if not isinstance(entry, Entry):  # a built-in event has no published template (checked above)
        return None
    for key in OP_OVERRIDES:
        if node.op.given(key):
            ctx.error(
                "PF446",
                f"op '{node.name}' sets `{key}`, but it uses {entry.kind} {entry.ref}, which runs as "
                "published in the registry",
                node.path + (key,),
                f"set it in the {entry.kind}'s template and publish a new version, or use a `path:` template",
            )
    ref: dict[str, Any] = {"name": template_ref_name(entry), "template": REGISTRY_TEMPLATE}
    if ctx.options.registry_cluster_scope:
        ref["clusterScope"] = True
    return ref


REGISTRY_TEMPLATE = "main"


def _template_for(
    ctx: TranslateContext,
    node: Node,
    namer: Namer,
    by_key: dict[str, str],
    templates: list[dict[str, Any]],
    build: BuildPlan,
    display: set[str],
    keys: dict[str, str],
) -> str | None:
    """The template of an op's task, made the first time its ``template_key`` is seen (``display``:
    the keys whose templates show each op's name, :func:`_display_names`; ``keys``: the keys
    made for the ops, :func:`workflow_spec`)."""
    if node.template is None:
        ref = node.op.template
        ctx.error(
            "PF445",
            f"op '{node.name}' uses a `{ref.source}` template ('{ref.value}'), which compile cannot resolve "
            "yet",
            node.path + ("template", ref.source),
            "only inline templates (`template: {name: ...}`) compile for now",
        )
        return None
    key = keys.get(node.name) or template_key(node)
    if key in by_key:
        return by_key[key]
    name = namer.unique(node.template.name)
    plan = TemplatePlan(name, namer.unique, build, key in display)
    made = KINDS[node.template.kind](ctx, node, plan)
    if made is None:
        return None
    pipeline_logging = ctx.ir.spec.logging
    for template in made:
        if pipeline_logging is not None:
            _default_logging(template, pipeline_logging)
    by_key[key] = name
    templates.extend(made)
    return name


def _default_logging(template: dict[str, Any], logging: Any) -> None:
    if "container" not in template:  # resource templates set the env of their own pods
        return
    env = template["container"].setdefault("env", [])
    have = {e["name"] for e in env}
    for key, var in (("level", "POLYAXON_LOG_LEVEL"), ("formatter", "POLYAXON_LOG_FORMATTER")):
        value = getattr(logging, key)
        if value and var not in have:
            env.append({"name": var, "value": value})
    if not env:
        template["container"].pop("env")


def op_label(value: str) -> str:
    """The ``polyflow-op`` argument: it is the pod label ``polyflow.io/op``, so a valid label value
    (a task name may end in '-', which a label value may not)."""
    return value if LABEL_VALUE.match(value) and len(value) <= 63 else label_value(value)


def _op_labels(ctx: TranslateContext, tasks: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each op's ``polyflow-op`` argument, and task → op of the tasks that could not keep the op's name.

    A renamed task shows the op's own name when that is a valid display name, else the task name.
    """
    labels: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for node in ctx.ir.nodes.values():
        name = tasks[node.name]
        shown = name
        if name != node.name:
            renamed[name] = node.name
            if DISPLAY_NAME.match(node.name):
                shown = node.name
        labels[node.name] = op_label(shown)
    return labels, renamed


def _display_names(
    ctx: TranslateContext, tasks: dict[str, str], labels: dict[str, str], keys: dict[str, str]
) -> set[str]:
    """The template keys whose template makes the Argo UI show each op under its ``polyflow-op``
    (``keys``: the template key of each op with a template of the pipeline's).

    Wanted when an op of the template is renamed but has a valid display name of its own; Argo v4
    puts a node whose display name does not match ``DISPLAY_NAME`` in Error, so only when the
    argument of every op using the template matches.
    """
    if not ctx.target.has(Feature.TEMPLATE_DISPLAY_NAME):
        return set()
    values: dict[str, list[str]] = {}
    wanted: set[str] = set()
    for node in ctx.ir.nodes.values():
        if node.template is None or node.template.entry is not None:  # no template, or the registry's
            continue
        key = keys[node.name]
        values.setdefault(key, []).append(labels[node.name])
        if tasks[node.name] != node.name and DISPLAY_NAME.match(node.name):
            wanted.add(key)
    return {key for key in wanted if all(DISPLAY_NAME.match(v) for v in values[key])}


def _arguments(ctx: TranslateContext, node: Node, tasks: dict[str, str], shown: str) -> list[dict[str, str]]:
    args = [{"name": OP_PARAM, "value": shown}]
    if node.template is None:
        return args
    declared = set(given_params(node)) if is_builtin_event(node) else None
    for io in node.template.inputs:
        param = node.params.get(io.name)
        if declared is not None and io.name not in declared:
            continue
        if param is None:
            value: str | None = ""
        else:
            value = argument_value(ctx, node, param, tasks)
        args.append({"name": io.name, "value": value or ""})
    return args


def _image_pull_secrets(ctx: TranslateContext) -> list[str]:
    seen: list[str] = []
    for node in ctx.ir.nodes.values():
        if node.template is None:
            continue
        for secret in merged_environment(node).get("image_pull_secrets") or []:
            if secret not in seen:
                seen.append(secret)
    return seen


def _semaphores(ctx: TranslateContext, tasks: dict[str, str]) -> list[dict[str, Any]]:
    limits = {}
    for node in ctx.ir.nodes.values():
        if node.op.concurrency and node.op.concurrency > 1:
            lock = f"polyflow-{ctx.ir.name or 'pipeline'}-{node.name}".lower().replace("_", "-")
            limits[lock] = str(node.op.concurrency)
    if not limits:
        return []
    meta: dict[str, Any] = {"name": semaphore_configmap(ctx)}
    if ctx.options.namespace:
        meta["namespace"] = ctx.options.namespace
    meta["labels"] = {"polyflow.io/pipeline": label_value(ctx.ir.spec.name or "unnamed")}
    return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": limits}]


def workflow(ctx: TranslateContext) -> list[dict[str, Any]]:
    built = workflow_spec(ctx)
    spec, extra, renamed = built.spec, built.extra, built.renamed
    meta = metadata(ctx)
    if renamed:
        # Task names had to change: the UI shows the task name; this maps it back to the op.
        meta["annotations"]["polyflow.io/op-names"] = json.dumps(renamed, sort_keys=True)
    doc = {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": meta, "spec": spec}
    return [doc] + extra
