"""Distributed experiments (``environment.replicas``) → an Argo ``resource`` template that creates a
Kubeflow training-operator job and waits for it to finish.

Target: training-operator **v1.9.0**, API ``kubeflow.org/v1`` (``TFJob``, ``PyTorchJob``, ``MPIJob``).
MXJob was removed in that release, so ``framework: mxnet`` is rejected unless ``backend: mpi``.
docs/distributed.md has the mapping, the conditions and what is rejected, with the reasons.

Argo: https://argo-workflows.readthedocs.io/en/latest/walk-through/kubernetes-resources/
Operator API: https://github.com/kubeflow/training-operator/tree/v1.9.0/pkg/apis/kubeflow.org/v1
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..language.template import ExperimentTemplate, JobTemplate
from ..resolve import Node
from ..source import PathT
from .context import TranslateContext
from .names import dns_label
from .params import matrix_kinds, render_command
from .pod import (
    OP_PARAM,
    container_env,
    env_from,
    io_names_ok,
    merged_environment,
    placement,
    pod_metadata,
    resource_names,
    resources,
    synchronization,
    template_head,
)
from .retry import retry_strategy
from .shell import check_image_shell, shell_command

OPERATOR_VERSION = "v1.9.0"
API_VERSION = "kubeflow.org/v1"


@dataclass(frozen=True)
class JobKind:
    """One training-operator job kind and the replica types a Polyaxon experiment maps to."""

    kind: str
    specs_key: str
    container: str  # the operator finds the training container by this name (ports, env)
    master: str  # Polyaxon's master: one replica, the experiment's own environment
    ps: str | None  # n_ps replicas (tensorflow only)
    workers_run_command: bool  # MPI workers sleep; the launcher runs `mpirun` over them


TFJOB = JobKind("TFJob", "tfReplicaSpecs", "tensorflow", "Chief", "PS", True)
PYTORCHJOB = JobKind("PyTorchJob", "pytorchReplicaSpecs", "pytorch", "Master", None, True)
MPIJOB = JobKind("MPIJob", "mpiReplicaSpecs", "mpi", "Launcher", None, False)
WORKER = "Worker"
JOB_KINDS = {"tensorflow": TFJOB, "pytorch": PYTORCHJOB, "horovod": MPIJOB}

# Argo reads these with k8s label-selector syntax over gjson paths (workflow/executor/resource.go):
# every success requirement must hold, any one failure requirement fails the step, and failure is
# checked first. Keys must be label keys, so gjson queries like `conditions.#(type=="Failed")` are
# impossible: the Failed condition is looked for at each index it can occupy (an operator job has
# at most 5 condition types at once: Created, Running or Restarting, Suspended, Succeeded, Failed;
# one spare). The operator sets completionTime in the same status write as Succeeded or Failed.
SUCCESS_CONDITION = "status.completionTime"
FAILURE_CONDITION = ",".join(f"status.conditions.{i}.type=Failed" for i in range(6))

CLEAN_POD_POLICY = "Running"  # delete pods still running at the end (PS servers, MPI workers)
_POD_FIELDS = ("resources", "node_selector", "tolerations", "affinity", "labels", "annotations")
_ENV_DROPPED = {
    "data_refs": "data volumes need a project config (a later version)",
    "artifact_refs": "artifact volumes need a project config (a later version)",
    "persistence": "deprecated; data volumes need a project config (a later version)",
    "outputs": "deprecated outputs of earlier Polyaxon runs cannot be mounted on Argo",
    "index": "only meaningful in a replica's environment",
}
_TAG = re.compile(r"\{\{inputs\.parameters\.([A-Za-z0-9_-]+)\}\}")
_EXPRESSION = re.compile(r"\{\{=(.*)\}\}", re.S)


def job_kind(framework: str | None, backend: str | None) -> JobKind | None:
    """The job kind for a framework and backend (``backend: mpi`` always gives an MPIJob)."""
    return MPIJOB if backend == "mpi" else JOB_KINDS.get(framework or "")


def training_job_template(
    ctx: TranslateContext, node: Node, name: str, extra_inputs: Sequence[str] = (), display_name: bool = False
) -> dict[str, Any] | None:
    """A resource template creating the training-operator job of a distributed experiment op
    (``extra_inputs``: the matrix names when it is the trial of a group; ``display_name``: as
    :func:`.pod.template_head`).

    The caller (``container_template``) has checked that the op has ``build: {image}``.
    """
    tpl = node.template
    assert tpl is not None
    spec = tpl.spec
    assert isinstance(spec, JobTemplate | ExperimentTemplate), "container_template runs only these"
    build = node.op.build or spec.build
    assert build is not None and build.image, "container_template checks the build first"
    env = merged_environment(node)
    replicas = env["replicas"]
    where = _replicas_path(node)
    kind = _choose_kind(ctx, node, where)
    if kind is None or not _check_io(ctx, node) or not _check_fields(ctx, node, kind, replicas, where):
        return None
    n_workers, n_ps = _counts(ctx, kind, replicas, where)
    if n_workers is None or n_ps is None:
        return None
    worker = _role_settings(ctx, "worker", replicas.default_worker, replicas.worker, n_workers, where)
    ps = _role_settings(ctx, "ps", replicas.default_ps, replicas.ps, n_ps, where) if kind.ps else {}
    if worker is None or ps is None:
        return None
    inputs = [io.name for io in tpl.inputs] + list(extra_inputs)
    container: dict[str, Any] = {"name": kind.container, "image": build.image}
    if spec.run is not None:
        container["command"] = shell_command(ctx)  # /bin/bash -c, or `shell` of polyflow.yaml
        check_image_shell(ctx, node, container["command"])
        flags = [io.name for io in tpl.inputs if io.is_flag]
        container["args"] = [render_command(ctx, spec.run.command, inputs, tpl.path + ("run", "cmd"), flags)]
    container.update(_container_env(ctx, node, inputs, env, matrix_kinds(node, extra_inputs)))
    job = _job(kind, name, container, env, (worker, n_workers), (ps, n_ps), resource_names(ctx))
    out = template_head(name, display_name)
    out["metadata"] = {"labels": {"polyflow.io/op": f"{{{{inputs.parameters.{OP_PARAM}}}}}"}}
    out["inputs"] = {"parameters": [{"name": OP_PARAM}] + [{"name": n} for n in inputs]}
    out["resource"] = {
        "action": "create",
        "setOwnerReference": True,
        "manifest": manifest_text(job),
        "successCondition": SUCCESS_CONDITION,
        "failureCondition": FAILURE_CONDITION,
    }
    retry = retry_strategy(ctx, node)
    if retry:
        out["retryStrategy"] = retry
    sync = synchronization(ctx, node)
    if sync:
        out["synchronization"] = sync
    _report_dropped(ctx, node, env, replicas, where)
    return out


def _job(
    kind: JobKind,
    name: str,
    container: dict[str, Any],
    env: dict[str, Any],
    worker: tuple[dict[str, Any], int],
    ps: tuple[dict[str, Any], int],
    names: dict[str, str],
) -> dict[str, Any]:
    """The training-operator job: the master from the experiment's environment, then PS and workers
    (``names``: the project's gpu/tpu resource names)."""
    restart, backoff = _restart_policy(env)
    master = {k: env.get(k) for k in ("resources", "node_selector", "tolerations", "affinity")}
    specs = {kind.master: _replica_spec(container, 1, restart, master, env, names, runs=True)}
    if kind.ps and ps[1]:
        specs[kind.ps] = _replica_spec(container, ps[1], restart, ps[0], env, names, runs=True)
    if worker[1]:
        specs[WORKER] = _replica_spec(
            container, worker[1], restart, worker[0], env, names, kind.workers_run_command
        )
    run_policy: dict[str, Any] = {"cleanPodPolicy": CLEAN_POD_POLICY}
    if backoff is not None:
        run_policy["backoffLimit"] = backoff
    return {
        "apiVersion": API_VERSION,
        "kind": kind.kind,
        "metadata": {"generateName": _generate_name(name), "labels": _job_labels()},
        "spec": {"runPolicy": run_policy, kind.specs_key: specs},
    }


def _replicas_path(node: Node) -> PathT:
    assert node.template is not None
    op_env = node.op.environment
    if op_env is not None and "replicas" in op_env.model_fields_set:
        return node.path + ("environment", "replicas")
    return node.template.path + ("environment", "replicas")


def _choose_kind(ctx: TranslateContext, node: Node, where: PathT) -> JobKind | None:
    assert node.template is not None
    spec = node.template.spec
    if node.template.kind != "experiment":
        ctx.error(
            "PF447",
            f"op '{node.name}' sets `environment.replicas`, but template '{node.template.name}' is a "
            f"`{node.template.kind}`: only experiments run distributed",
            where,
            "use an experiment template with `framework:`, or remove `replicas`",
        )
        return None
    assert isinstance(spec, ExperimentTemplate)  # kind: experiment
    framework, backend = spec.framework, spec.backend
    kind = job_kind(framework, backend)
    if kind is not None:
        return kind
    if framework == "mxnet":
        ctx.error(
            "PF441",
            f"op '{node.name}': distributed mxnet needs an MXJob, which training-operator {OPERATOR_VERSION} "
            "no longer has (removed in v1.9.0, kubeflow/training-operator#2150)",
            node.template.path + ("framework",),
            "run it with `backend: mpi` (an MPIJob: the launcher runs `run.cmd`, e.g. mpirun or horovodrun), "
            "or remove `replicas` to run a single pod",
        )
        return None
    ctx.error(
        "PF447",
        f"op '{node.name}' sets `environment.replicas`, but template '{node.template.name}' has no "
        f"distributed `framework` (got {framework!r})",
        where if framework is None else node.template.path + ("framework",),
        "set `framework:` to tensorflow, pytorch or horovod on the template",
    )
    return None


def _check_io(ctx: TranslateContext, node: Node) -> bool:
    tpl = node.template
    assert tpl is not None
    if not io_names_ok(ctx, tpl, [io.name for io in tpl.inputs]):
        return False
    if tpl.outputs:
        ctx.error(
            "PF449",
            f"template '{tpl.name}' declares outputs, but op '{node.name}' is a distributed experiment: its "
            "pods belong to the training operator, so Argo cannot read files from them",
            tpl.path + ("outputs",),
            "write results to storage and pass the path as a literal, or run the step as a single pod",
        )
        return False
    return True


def _check_fields(ctx: TranslateContext, node: Node, kind: JobKind, replicas: Any, where: PathT) -> bool:
    allowed = {"n_workers", "default_worker", "worker"} | ({"n_ps", "default_ps", "ps"} if kind.ps else set())
    for key in sorted(replicas.model_fields_set - allowed):
        ctx.error(
            "PF447",
            f"`replicas.{key}` has no replica type in a {kind.kind} (op '{node.name}')",
            where + (key,),
            "a " + kind.kind + " takes " + ", ".join(sorted(allowed)),
        )
        return False
    return True


def _counts(
    ctx: TranslateContext, kind: JobKind, replicas: Any, where: PathT
) -> tuple[int | None, int | None]:
    out: list[int | None] = []
    for key in ("n_workers", "n_ps"):
        value = getattr(replicas, key) or 0
        if value < 0:
            ctx.error("PF447", f"`replicas.{key}` must be >= 0, got {value}", where + (key,))
            out.append(None)
        else:
            out.append(value)
    if kind is MPIJOB and out[0] == 0:
        ctx.error(
            "PF447",
            "an MPI job needs at least one worker: the launcher only runs mpirun",
            where + ("n_workers",) if replicas.n_workers is not None else where,
            "set `replicas.n_workers: 1` or more",
        )
        out[0] = None
    return out[0], out[1]


def _role_settings(
    ctx: TranslateContext, role: str, default: Any, entries: list[Any] | None, count: int, where: PathT
) -> dict[str, Any] | None:
    """The pod settings every replica of ``role`` gets, or None (reported) when indexes differ.

    The operator gives all replicas of a type one pod template, so per-index entries are applied
    only when every index ends up with the same settings.
    """
    by_index: dict[int, Any] = {}
    positions: dict[int, int] = {}
    for pos, entry in enumerate(entries or []):
        at = where + (role, pos)
        if entry.index is None or entry.index in by_index:
            what = "has no `index`" if entry.index is None else f"repeats index {entry.index}"
            ctx.error(
                "PF448", f"`replicas.{role}[{pos}]` {what}", at, f"give each `{role}` entry its own index"
            )
            return None
        if not 0 <= entry.index < count:
            ctx.warning(
                "PF448",
                f"`replicas.{role}[{pos}]` is for index {entry.index}, but there are {count} {role} "
                "replicas: it is ignored (as Polyaxon did)",
                at + ("index",),
            )
        by_index[entry.index] = entry
        positions[entry.index] = pos
    settings = [_pod_settings(by_index.get(i, default)) for i in range(count)]
    differ = [i for i in range(count) if settings[i] != settings[0]]
    if differ:
        fields = sorted(k for k in _POD_FIELDS if any(s.get(k) != settings[0].get(k) for s in settings))
        found = positions.get(differ[0], positions.get(0))
        ctx.error(
            "PF448",
            f"{role} replicas 0 and {differ[0]} get different {', '.join(fields)}: a training-operator job "
            f"has one pod template per replica type, so per-index `{role}` settings cannot be expressed",
            where + ((role,) if found is None else (role, found)),
            f"put the settings in `default_{role}`, or give every index the same ones",
        )
        return None
    return settings[0] if settings else {}


def _pod_settings(env: Any) -> dict[str, Any]:
    if env is None:
        return {}
    return {k: getattr(env, k) for k in _POD_FIELDS if getattr(env, k) is not None}


def _container_env(
    ctx: TranslateContext, node: Node, inputs: list[str], env: dict[str, Any], kinds: dict[str, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env_vars = container_env(node, inputs, [], kinds)
    if ctx.scheduled:
        env_vars.append({"name": "POLYFLOW_SCHEDULED_TIME", "value": "{{workflow.scheduledTime}}"})
    logging = ctx.ir.spec.logging  # the pipeline's, under the op's and template's (workflow._default_logging)
    have = {e["name"] for e in env_vars}
    for key, var in (("level", "POLYAXON_LOG_LEVEL"), ("formatter", "POLYAXON_LOG_FORMATTER")):
        value = getattr(logging, key, None) if logging is not None else None
        if value and var not in have:
            env_vars.append({"name": var, "value": value})
    if env_vars:
        out["env"] = env_vars
    refs = env_from(env)
    if refs:
        out["envFrom"] = refs
    return out


def _restart_policy(env: dict[str, Any]) -> tuple[str, int | None]:
    """Polyaxon: an effective ``max_restarts`` of 0 gives ``Never``, more gives ``OnFailure``."""
    limit = env.get("max_restarts")
    if not limit or limit < 0:
        return "Never", None
    return "OnFailure", int(limit)


def _replica_spec(
    container: dict[str, Any],
    count: int,
    restart: str,
    settings: dict[str, Any],
    env: dict[str, Any],
    names: dict[str, str],
    runs: bool,
) -> dict[str, Any]:
    main = {k: v for k, v in container.items() if runs or k not in ("command", "args")}
    res = resources({"resources": settings.get("resources")}, names)
    if res:
        main["resources"] = res
    metadata = pod_metadata(settings)
    pod: dict[str, Any] = {"containers": [main], **placement(settings, env)}
    if env.get("image_pull_secrets"):
        pod["imagePullSecrets"] = [{"name": s} for s in env["image_pull_secrets"]]
    return {"replicas": count, "restartPolicy": restart, "template": {"metadata": metadata, "spec": pod}}


def _generate_name(name: str) -> str:
    """``metadata.generateName``: job names must be DNS-1035 labels, and the operator's pod and
    service names (``<job>-launcher-12``) must stay within 63 characters."""
    base = dns_label(name, limit=30)
    return ("pf-" + base if not base[:1].isalpha() else base) + "-"


def _job_labels() -> dict[str, str]:
    return {
        "polyflow.io/op": f"{{{{inputs.parameters.{OP_PARAM}}}}}",
        "polyflow.io/workflow": "{{workflow.name}}",
    }


def manifest_text(job: dict[str, Any]) -> str:
    """The job as JSON text, each string that holds an input parameter written as an Argo expression.

    Argo pastes a ``{{inputs.parameters.x}}`` value into the manifest text unescaped, so a value
    with a quote or a newline would break it. ``{{=toJson(...)}}`` gives a quoted JSON string
    instead (Argo ≥ 3.1; its linter replaces such tags before parsing the manifest). Literal braces
    are written ``\\u007b`` / ``\\u007d`` so no ``}}`` can end the tag early. A string that is
    itself one expression tag (``POLYAXON_PARAMS``: ``{{=toJson({...})}}``, whose result is JSON
    text) becomes ``{{=toJson(<expression>)}}``: the JSON text, quoted once more as a JSON string.
    """
    exprs: list[str] = []

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        whole = _EXPRESSION.fullmatch(node) if isinstance(node, str) else None
        if whole is not None:
            exprs.append("{{=toJson(" + whole.group(1) + ")}}")
            return f"\0{len(exprs) - 1}\0"
        if isinstance(node, str) and any(m.group(1) != OP_PARAM for m in _TAG.finditer(node)):
            exprs.append(_to_json_expression(node))
            return f"\0{len(exprs) - 1}\0"
        return node

    text = json.dumps(walk(job), indent=2, ensure_ascii=False)
    for i, expr in enumerate(exprs):
        text = text.replace(json.dumps(f"\0{i}\0"), expr, 1)
    return text + "\n"


def _to_json_expression(value: str) -> str:
    parts: list[str] = []
    last = 0
    for match in _TAG.finditer(value):
        if match.start() > last:
            parts.append(_expr_string(value[last : match.start()]))
        parts.append(f"inputs.parameters['{match.group(1)}']")
        last = match.end()
    if last < len(value):
        parts.append(_expr_string(value[last:]))
    return "{{=toJson(" + " + ".join(parts) + ")}}"


def _expr_string(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("{", "\\u007b").replace("}", "\\u007d")


def _report_dropped(
    ctx: TranslateContext, node: Node, env: dict[str, Any], replicas: Any, where: PathT
) -> None:
    assert node.template is not None
    env_path = (
        node.path + ("environment",)
        if node.op.environment is not None
        else node.template.path + ("environment",)
    )
    for key, why in _ENV_DROPPED.items():
        if env.get(key) not in (None, [], {}):
            ctx.unsupported(env_path, f"`environment.{key}`", why)
    used = set(_POD_FIELDS) | {"index"}
    for role in ("default_worker", "default_ps", "worker", "ps"):
        value = getattr(replicas, role)
        entries = value if isinstance(value, list) else [value] if value is not None else []
        for pos, entry in enumerate(entries):
            at = where + ((role, pos) if isinstance(value, list) else (role,))
            for key in sorted(entry.model_fields_set - used):
                ctx.unsupported(
                    at + (key,),
                    f"`replicas.{role}.{key}`",
                    "every replica gets the experiment's own environment for this field, as in Polyaxon",
                    "set it on the experiment's `environment`",
                )
