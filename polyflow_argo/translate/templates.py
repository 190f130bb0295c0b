"""Op templates → Argo container templates, shared by ops whose template settings are equal.

One function per template kind, found in ``KINDS``; a kind without one is reported as
unsupported at the op's line. Ops that use the same Polyflow template with the same environment,
build, retries, logging and limits share one Argo template; their arguments differ.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence

from ..resolve import Node
from ..source import PathT
from ..spec.hints import did_you_mean
from .context import TranslateContext
from .params import render_command
from .retry import retry_strategy
from .target import Feature

OUTPUTS_DIR = "/polyflow/outputs"
OP_PARAM = "polyflow-op"
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
            if value is not None:
                out.setdefault(side, {})[key] = convert(value)
    return out


_DROPPED_ENV = {
    "outputs": "deprecated outputs of earlier Polyaxon runs cannot be mounted on Argo",
    "index": "only meaningful for replicas",
}


def container_template(
    ctx: TranslateContext, node: Node, name: str, extra_inputs: Sequence[str] = ()
) -> dict[str, Any] | None:
    """A container template for a job or experiment op (``extra_inputs``: a group's matrix names)."""
    tpl = node.template
    assert tpl is not None
    spec = tpl.spec
    # --- image builds (translate/build.py): the image to run, a `ref`, or the build task's output
    from .build import IMAGE_PARAM, image_param, run_image

    image = run_image(ctx, node)
    if image is None:
        return None
    built = image == image_param()
    # --- end image builds
    env = merged_environment(node)
    if "replicas" in env and env["replicas"] is not None and env["replicas"].model_fields_set:
        from .distributed import training_job_template

        return training_job_template(ctx, node, name, extra_inputs)
    inputs = [io.name for io in tpl.inputs] + list(extra_inputs)
    outputs = [io.name for io in tpl.outputs]
    if not io_names_ok(ctx, tpl, inputs + outputs):
        return None
    container: dict[str, Any] = {"image": image}
    if spec.run is not None:
        container["command"] = ["/bin/bash", "-c"]
        container["args"] = [render_command(ctx, spec.run.command, inputs, tpl.path + ("run", "cmd"))]
    env_vars = container_env(node, inputs, outputs)
    if ctx.scheduled:
        env_vars.append({"name": "POLYFLOW_SCHEDULED_TIME", "value": "{{workflow.scheduledTime}}"})
    if env_vars:
        container["env"] = env_vars
    refs = env_from(env)
    if refs:
        container["envFrom"] = refs
    res = resources(env, resource_names(ctx))
    if res:
        container["resources"] = res
    env_path = node.path + ("environment",) if node.op.environment is not None else tpl.path + ("environment",)
    claims = volume_refs(ctx, env, env_path)
    if claims is None:
        return None
    mounts = [m for _, m in claims]
    if outputs:
        mounts.insert(0, {"name": "polyflow-outputs", "mountPath": OUTPUTS_DIR})
    if mounts:
        container["volumeMounts"] = mounts
    out: dict[str, Any] = {"name": name}
    out["metadata"] = pod_metadata(env)
    out["inputs"] = {"parameters": [{"name": OP_PARAM}] + [{"name": n} for n in inputs]
                     + ([{"name": IMAGE_PARAM}] if built else [])}  # image builds
    if outputs:
        out["outputs"] = {
            "parameters": [
                {"name": o, "valueFrom": {"path": f"{OUTPUTS_DIR}/{o}", "default": ""}} for o in outputs
            ]
        }
    out["container"] = container
    volumes = [v for v, _ in claims]
    if outputs:
        volumes.insert(0, {"name": "polyflow-outputs", "emptyDir": {}})
    if volumes:
        out["volumes"] = volumes
    out.update(placement(env, env))
    retry = retry_strategy(ctx, node)
    restart = restarts(ctx, node, env)  # None (with a warning) when max_retries is set
    retry = retry or restart
    if retry:
        out["retryStrategy"] = retry
    sync = synchronization(ctx, node)
    if sync:
        out["synchronization"] = sync
    for key, why in _DROPPED_ENV.items():
        if env.get(key) not in (None, [], {}):
            ctx.unsupported(env_path, f"`environment.{key}`", why)
    return out


_CATALOGS = {"data_refs": ("data", "/data", True), "artifact_refs": ("artifacts", "/artifacts", False)}


def volume_refs(
    ctx: TranslateContext, env: dict[str, Any], env_path: PathT
) -> list[tuple[dict[str, Any], dict[str, Any]]] | None:
    """``data_refs``/``artifact_refs`` (and the deprecated ``persistence``) → (volume, mount) pairs of
    the PersistentVolumeClaims the project config names (``data:`` / ``artifacts:``); None after errors."""
    refs = {"data_refs": list(env.get("data_refs") or []), "artifact_refs": list(env.get("artifact_refs") or [])}
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


def container_env(node: Node, inputs: list[str], outputs: list[str]) -> list[dict[str, str]]:
    out = []
    if inputs:
        params = "{" + ", ".join(f'"{n}": "{{{{inputs.parameters.{n}}}}}"' for n in inputs) + "}"
        out.append({"name": "POLYAXON_PARAMS", "value": params})
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
    from .names import dns_label

    return dns_label(f"{ctx.ir.name or 'pipeline'}-polyflow-limits")


def template_key(node: Node) -> str:
    """Ops with equal keys share one Argo template."""
    assert node.template is not None
    op = node.op
    key = {
        "template": node.template.key,
        "environment": op.environment.model_dump(exclude_none=True) if op.environment else None,
        "build": op.build.model_dump(exclude_none=True) if op.build else None,
        "logging": op.logging.model_dump(exclude_none=True) if op.logging else None,
        "retries": [op.max_retries, op.retry_delay, op.retry_exp_backoff, op.max_retry_delay],
        "concurrency": op.concurrency,
        "lock": node.name if op.concurrency else None,
    }
    return json.dumps(key, sort_keys=True, default=str)


def unsupported_kind(ctx: TranslateContext, node: Node, name: str) -> dict[str, Any] | None:
    assert node.template is not None
    kind = node.template.kind
    later = {
        # docs/templates.md: a service with no end would hold the run open forever, and an Argo
        # daemon is killed as soon as its DAG finishes, so neither means anything in a pipeline.
        "notebook": "a notebook is an interactive service that never ends, not a pipeline step",
        "tensorboard": "a tensorboard is an interactive service that never ends, not a pipeline step",
    }
    hints = {
        "notebook": "run the notebook's code as a `job`, or start the notebook outside the pipeline",
        "tensorboard": "point a tensorboard outside the pipeline at the logs the ops write (e.g. to object storage)",
    }
    ctx.error(
        "PF444",
        f"op '{node.name}' uses a `{kind}` template, which polyflow-argo does not run: {later.get(kind, kind)}",
        node.path + ("template",),
        hints.get(kind, "use a job or experiment template"),
    )
    return None


def _build_kind(ctx: TranslateContext, node: Node, name: str) -> dict[str, Any] | None:
    from .build import build_kind_template  # image builds (translate/build.py)

    return build_kind_template(ctx, node, name)


KINDS: dict[str, Callable[[TranslateContext, Node, str], dict[str, Any] | None]] = {
    "job": container_template,
    "experiment": container_template,
    "build": _build_kind,
}
