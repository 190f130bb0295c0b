"""Op templates → Argo container templates, shared by ops whose template settings are equal.

The container template of job and experiment ops (an experiment with replicas: distributed.py;
pod basics shared by every kind: pod.py), and the report of kinds polyflow-argo does not run. The
table of kinds is ``KINDS`` in kinds.py. Ops that use the same Polyflow template with the same environment,
build, retries, logging and limits share one Argo template; their arguments differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..language.template import ExperimentTemplate, JobTemplate
from ..resolve import Node
from . import hashing
from .build import IMAGE_PARAM, BuildPlan
from .context import TranslateContext
from .params import matrix_kinds, render_command
from .pod import (
    OP_PARAM,
    OUTPUTS_DIR,
    container_env,
    env_from,
    io_names_ok,
    merged_environment,
    placement,
    pod_metadata,
    resource_names,
    resources,
    restarts,
    synchronization,
    template_head,
    volume_refs,
)
from .retry import retry_strategy
from .shell import check_image_shell, shell_command

_DROPPED_ENV = {
    "outputs": "deprecated outputs of earlier Polyaxon runs cannot be mounted on Argo",
    "index": "only meaningful for replicas",
}


@dataclass(frozen=True)
class TemplatePlan:
    """What an op's Argo templates are, decided before they are made (workflow.py).

    ``name``: the template its task calls; ``unique``: a fresh name for the kind's other templates;
    ``build``: the image it runs (translate/build.py); ``display_name``: the Argo UI shows each op
    of the template under its ``polyflow-op`` argument (:func:`.pod.template_head`).
    """

    name: str
    unique: Callable[[str], str]
    build: BuildPlan
    display_name: bool = False


def container_template(
    ctx: TranslateContext, node: Node, plan: TemplatePlan, extra_inputs: Sequence[str] = ()
) -> dict[str, Any] | None:
    """A container template for a job or experiment op (``extra_inputs``: a group's matrix names)."""
    tpl = node.template
    assert tpl is not None
    plan.build.report(ctx)  # image builds (translate/build.py): why there is no image to run
    image = plan.build.image  # the given image, a `ref`, or the build task's output
    if image is None:
        return None
    env = merged_environment(node)
    if "replicas" in env and env["replicas"] is not None and env["replicas"].model_fields_set:
        from .distributed import training_job_template  # loaded for distributed jobs only

        return training_job_template(ctx, node, plan.name, extra_inputs, plan.display_name)
    inputs = [io.name for io in tpl.inputs] + list(extra_inputs)
    outputs = [io.name for io in tpl.outputs]
    if not io_names_ok(ctx, tpl, inputs + outputs):
        return None
    container = _container(ctx, node, image, env, inputs, outputs, matrix_kinds(node, extra_inputs))
    env_path = (
        node.path + ("environment",) if node.op.environment is not None else tpl.path + ("environment",)
    )
    claims = volume_refs(ctx, env, env_path)
    if claims is None:
        return None
    mounts = [m for _, m in claims]
    if outputs:
        mounts.insert(0, {"name": "polyflow-outputs", "mountPath": OUTPUTS_DIR})
    if mounts:
        container["volumeMounts"] = mounts
    out = template_head(plan.name, plan.display_name)
    out["metadata"] = pod_metadata(env)
    out["inputs"] = {"parameters": [{"name": OP_PARAM}] + [{"name": n} for n in inputs]
                     + ([{"name": IMAGE_PARAM}] if plan.build.image_input else [])}  # image builds
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
    out.update(_run_policy(ctx, node, env))
    for key, why in _DROPPED_ENV.items():
        if env.get(key) not in (None, [], {}):
            ctx.unsupported(env_path, f"`environment.{key}`", why)
    return out


def _container(
    ctx: TranslateContext,
    node: Node,
    image: str,
    env: dict[str, Any],
    inputs: list[str],
    outputs: list[str],
    kinds: dict[str, str],
) -> dict[str, Any]:
    """The container of a job or experiment: image, command, environment variables, resources.
    Values reach the command only through the env (translate/params.py: values are data)."""
    tpl = node.template
    assert tpl is not None and isinstance(tpl.spec, JobTemplate | ExperimentTemplate)  # a group's too
    container: dict[str, Any] = {"image": image}
    if tpl.spec.run is not None:
        container["command"] = shell_command(ctx)  # /bin/bash -c, or `shell` of polyflow.yaml
        check_image_shell(ctx, node, container["command"])
        flags = [io.name for io in tpl.inputs if io.is_flag]
        container["args"] = [
            render_command(ctx, tpl.spec.run.command, inputs, tpl.path + ("run", "cmd"), flags)
        ]
    env_vars = container_env(node, inputs, outputs, kinds)
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
    return container


def _run_policy(ctx: TranslateContext, node: Node, env: dict[str, Any]) -> dict[str, Any]:
    """``retryStrategy`` (retries, or restarts in place) and ``synchronization`` (concurrency)."""
    out: dict[str, Any] = {}
    retry = retry_strategy(ctx, node)
    restart = restarts(ctx, node, env)  # None (with a warning) when max_retries is set
    retry = retry or restart
    if retry:
        out["retryStrategy"] = retry
    sync = synchronization(ctx, node)
    if sync:
        out["synchronization"] = sync
    return out


def template_key(node: Node) -> str:
    """Ops with equal keys share one Argo template (the key's JSON, made cheap: hashing.py)."""
    return hashing.template_key(node)


def unsupported_kind(ctx: TranslateContext, node: Node, plan: TemplatePlan) -> dict[str, Any] | None:
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
        "tensorboard": (
            "point a tensorboard outside the pipeline at the logs the ops write (e.g. to object storage)"
        ),
    }
    ctx.error(
        "PF444",
        f"op '{node.name}' uses a `{kind}` template, which polyflow-argo does not run: "
        f"{later.get(kind, kind)}",
        node.path + ("template",),
        hints.get(kind, "use a job or experiment template"),
    )
    return None
