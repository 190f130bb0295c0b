"""Pod basics shared by every kind of template: resources, environment variables, volumes, pod
metadata, placement, restarts, logging and concurrency locks (``environment`` of a template or op).

templates.py (job/experiment containers, the ``KINDS`` table), build.py and distributed.py build on
these; nothing here depends on a template kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..language.hints import did_you_mean
from ..resolve import Node
from ..source import PathT
from .context import TranslateContext
from .names import dns_label
from .params import PARAMS_ENV, io_kind, param_env, params_expression
from .target import Feature

OUTPUTS_DIR = "/polyflow/outputs"
OP_PARAM = "polyflow-op"
DISPLAY_ANNOTATION = "workflows.argoproj.io/display-name"
GPU_KEY = "nvidia.com/gpu"
TPU_KEY = "cloud-tpus.google.com/v2"


def _cpu(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{round(value * 1000)}m"


def _memory(value: float) -> str:  # Polyaxon memory is in MiB
    return f"{int(value)}Mi" if float(value).is_integer() else f"{round(value * 1024)}Ki"


def _count(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_RESOURCES: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("cpu", "cpu", _cpu),
    ("memory", "memory", _memory),
    ("gpu", GPU_KEY, _count),
    ("tpu", TPU_KEY, _count),
)


def merged_environment(node: Node) -> dict[str, Any]:
    """The template's environment with the op's environment fields laid over it."""
    assert node.template is not None
    base = getattr(node.template.spec, "environment", None)
    env: dict[str, Any] = {}
    if base is not None:
        env.update({k: getattr(base, k) for k in base.model_fields_set})
    if node.op.environment is not None:
        env.update({k: getattr(node.op.environment, k) for k in node.op.environment.model_fields_set})
    return env


def template_head(name: str, display_name: bool = False) -> dict[str, Any]:
    """The first keys of an op's template: its name and, with ``display_name``, the annotation that
    makes the Argo UI show each op under its ``polyflow-op`` argument (workflow.py decides when: Argo
    v4 puts a node whose display name is not valid in Error)."""
    head: dict[str, Any] = {"name": name}
    if display_name:
        head["annotations"] = {DISPLAY_ANNOTATION: f"{{{{inputs.parameters.{OP_PARAM}}}}}"}
    return head


def resource_names(ctx: TranslateContext) -> dict[str, str]:
    """Polyflow's ``gpu``/``tpu`` → the extended resource names of the project config (``resources``)."""
    project = ctx.options.project_config
    names = getattr(project, "resources", None)
    return {} if names is None else {"gpu": names.gpu, "tpu": names.tpu}


def resources(env: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
    """Requests and limits in Kubernetes quantities; ``names`` overrides the gpu/tpu resource names."""
    res = env.get("resources")
    out: dict[str, dict[str, str]] = {}
    if res is None:
        return out
    for field, default_key, convert in _RESOURCES:
        key = (names or {}).get(field, default_key)
        req = getattr(res, field)
        if req is None:
            continue
        for side in ("requests", "limits"):
            value = getattr(req, side)
            if value is None and side == "limits" and field in ("gpu", "tpu"):
                value = req.requests  # Kubernetes requires an extended resource's limit (= its request)
            if value is not None:
                out.setdefault(side, {})[key] = convert(value)
    return out


_CATALOGS = {"data_refs": ("data", "/data", True), "artifact_refs": ("artifacts", "/artifacts", False)}


def volume_refs(
    ctx: TranslateContext, env: dict[str, Any], env_path: PathT
) -> list[tuple[dict[str, Any], dict[str, Any]]] | None:
    """``data_refs``/``artifact_refs`` (and the deprecated ``persistence``) → (volume, mount) pairs of
    the PersistentVolumeClaims the project config names (``data:`` / ``artifacts:``); None after errors."""
    refs = {
        "data_refs": list(env.get("data_refs") or []),
        "artifact_refs": list(env.get("artifact_refs") or []),
    }
    persistence = env.get("persistence")
    if persistence is not None:  # the original converted it: data → data_refs, outputs → artifact_refs
        refs["data_refs"] += list(persistence.data or [])
        refs["artifact_refs"] += [persistence.outputs] if persistence.outputs else []
    out: list[tuple[dict[str, Any], dict[str, Any]]] = []
    ok = True
    for key, names in refs.items():
        section, root, read_only = _CATALOGS[key]
        catalog = getattr(ctx.options.project_config, section, None) or {}
        for name in names:
            ref = catalog.get(name)
            if ref is None:
                known = sorted(catalog)
                ctx.error(
                    "PF483",
                    f"`environment.{key}` names '{name}', which the project config (polyflow.yaml) does not "
                    f"define under `{section}`",
                    env_path + (key,),
                    did_you_mean(name, known)
                    or f"add `{section}: {{{name}: {{claim: <PersistentVolumeClaim>}}}}` to polyflow.yaml "
                    "(docs/templates.md)",
                )
                ok = False
                continue
            volume = f"{section}-{name}".lower().replace("_", "-")[:63].rstrip("-")
            mount: dict[str, Any] = {"name": volume, "mountPath": ref.mount_path or f"{root}/{name}"}
            if ref.sub_path:
                mount["subPath"] = ref.sub_path
            readonly = read_only if ref.read_only is None else ref.read_only
            if readonly:
                mount["readOnly"] = True
            claim: dict[str, Any] = {"claimName": ref.claim}
            if readonly:
                claim["readOnly"] = True
            out.append(({"name": volume, "persistentVolumeClaim": claim}, mount))
    return out if ok else None


def env_from(env: dict[str, Any]) -> list[dict[str, Any]]:
    """``secret_refs`` and ``config_map_refs`` (or its alias ``configmap_refs``) → ``envFrom``."""
    out: list[dict[str, Any]] = [{"secretRef": {"name": s}} for s in env.get("secret_refs") or []]
    refs = env.get("config_map_refs") or env.get("configmap_refs") or []
    return out + [{"configMapRef": {"name": c}} for c in refs]


def pod_metadata(settings: dict[str, Any]) -> dict[str, Any]:
    """Pod labels (``polyflow.io/op`` plus the environment's) and annotations."""
    labels = {"polyflow.io/op": f"{{{{inputs.parameters.{OP_PARAM}}}}}"}
    labels.update({str(k): str(v) for k, v in (settings.get("labels") or {}).items()})
    metadata: dict[str, Any] = {"labels": labels}
    if settings.get("annotations"):
        metadata["annotations"] = {str(k): str(v) for k, v in settings["annotations"].items()}
    return metadata


def placement(settings: dict[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    """Where and as whom a pod runs: node selector, tolerations, affinity from ``settings`` (an
    environment, or a replica's), the service account from the op's ``env``. The keys are the
    same in an Argo template and in a pod spec."""
    out: dict[str, Any] = {}
    if settings.get("node_selector"):
        out["nodeSelector"] = {str(k): str(v) for k, v in settings["node_selector"].items()}
    if settings.get("tolerations"):
        out["tolerations"] = settings["tolerations"]
    if settings.get("affinity"):
        out["affinity"] = settings["affinity"]
    if env.get("service_account"):
        out["serviceAccountName"] = env["service_account"]
    return out


def restarts(ctx: TranslateContext, node: Node, env: dict[str, Any]) -> dict[str, Any] | None:
    """``environment.max_restarts`` (a pod restarted in place by Kubernetes in Polyaxon) → Argo
    retries of a failed container, right away: ``retryStrategy {limit, retryPolicy: OnFailure}``.
    Only when the op has no ``max_retries``, which says more (delays, errors too) and wins."""
    count = env.get("max_restarts")
    if not count:
        return None
    path = (node.path if node.op.environment is not None and node.op.environment.max_restarts is not None
            else node.template.path if node.template else node.path) + ("environment", "max_restarts")
    if count < 0:
        ctx.error("PF443", f"`max_restarts` must be >= 0, got {count}", path)
        return None
    if node.op.max_retries is not None:
        ctx.warning(
            "PF402",
            f"op '{node.name}' sets `max_retries`, so `environment.max_restarts` is not used",
            path,
            "keep one of them",
        )
        return None
    return {"limit": str(count), "retryPolicy": "OnFailure"}


def io_names_ok(ctx: TranslateContext, tpl: Any, names: Sequence[str]) -> bool:
    """Each IO name of ``tpl`` can be an Argo parameter name; reports the first that cannot (PF442)."""
    for io_name in names:
        if not param_name_ok(io_name):
            ctx.error(
                "PF442",
                f"IO name {io_name!r} of template '{tpl.name}' is not a valid Argo parameter name",
                tpl.path,
                "use letters, digits, '-' and '_' only",
            )
            return False
    return True


def param_name_ok(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "-_" for c in name) and name.isascii()


def container_env(
    node: Node, inputs: list[str], outputs: list[str], kinds: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """The container's env: first one variable per input (``POLYFLOW_PARAM_<NAME>``, which the
    command expands: translate/params.py), then ``POLYAXON_PARAMS``, the outputs dir and logging.
    ``kinds``: how ``POLYAXON_PARAMS`` exports inputs that are not IOs of the template (a group's
    matrix names); an IO's own type decides for the others."""
    out = param_env(inputs)
    if inputs:
        ios = {io.name: io for io in node.template.inputs} if node.template is not None else {}
        exported = {n: io_kind(ios[n]) if n in ios else (kinds or {}).get(n, "str") for n in inputs}
        out.append({"name": PARAMS_ENV, "value": params_expression(exported)})
    if outputs:
        out.append({"name": "POLYFLOW_OUTPUTS_DIR", "value": OUTPUTS_DIR})
    logging = effective_logging(node)
    if logging.get("level"):
        out.append({"name": "POLYAXON_LOG_LEVEL", "value": logging["level"]})
    if logging.get("formatter"):
        out.append({"name": "POLYAXON_LOG_FORMATTER", "value": logging["formatter"]})
    return out


def effective_logging(node: Node) -> dict[str, str]:
    """Op logging over template logging (the pipeline's is applied by the caller through the key)."""
    out: dict[str, str] = {}
    for source in (getattr(node.template.spec, "logging", None) if node.template else None, node.op.logging):
        if source is not None:
            out.update({k: v for k, v in source.model_dump(exclude_none=True).items()})
    return out


def synchronization(ctx: TranslateContext, node: Node) -> dict[str, Any] | None:
    """``op.concurrency`` (across pipeline runs) → a mutex (1) or a semaphore (> 1)."""
    limit = node.op.concurrency
    if limit is None:
        return None
    if limit < 1:
        ctx.error("PF443", f"op concurrency must be at least 1, got {limit}", node.path + ("concurrency",))
        return None
    lock = f"polyflow-{ctx.ir.name or 'pipeline'}-{node.name}".lower().replace("_", "-")
    plural = ctx.target.has(Feature.SYNC_PLURAL)
    if limit == 1:
        return {"mutexes": [{"name": lock}]} if plural else {"mutex": {"name": lock}}
    ref = {"configMapKeyRef": {"name": semaphore_configmap(ctx), "key": lock}}
    return {"semaphores": [ref]} if plural else {"semaphore": ref}


def semaphore_configmap(ctx: TranslateContext) -> str:
    return dns_label(f"{ctx.ir.name or 'pipeline'}-polyflow-limits")
