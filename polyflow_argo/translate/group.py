"""Hyperparameter groups (``kind: group``) → a DAG template that fans a trial template out.

The search is expanded at compile time (:mod:`..resolve.matrix`: grid or random search, seeded),
so the manifest lists every suggestion and a rerun tries exactly the same ones::

    <group>            DAG template: inputs of the op; parallelism = hptuning.concurrency (default 1)
      trial            task: withItems = the suggestions, template = <group>-trial
      best             task (only with ``hptuning.metric``): picks the best trial
    <group>-trial      the experiment's container (or training-job) template; the matrix names are
                       extra inputs, so ``{{ lr }}`` in run.cmd reads ``{{inputs.parameters.lr}}``
    <group>-best       script template: the index of the best metric, and each output at that index

Outputs (docs/templates.md): without ``hptuning.metric`` each declared output of the group is the
JSON list of the trials' values, in suggestion order (Argo aggregates a fan-out's outputs); with
``hptuning.metric: {name, optimization}`` (a polyflow-argo extension, shaped like hyperband's and
bo's ``metric``) each output is the value of the best trial, and ``best-index`` says which.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..language.template import GroupTemplate
from ..resolve import Node, matrix
from .build import IMAGE_PARAM, image_param
from .context import TranslateContext
from .params import env_value, render_literal
from .pod import OP_PARAM, OUTPUTS_DIR, param_name_ok, template_head
from .templates import TemplatePlan, container_template

TRIAL_TASK = "trial"
BEST_TASK = "best"
BEST_INDEX = "best-index"

# Runs in <group>-best. Inputs come through the environment (never pasted into the source): each
# output's list is Argo's aggregation of the trials' values (JSON, one per trial, in item order).
# Ties go to the earliest trial; trials whose metric is not a number are ignored.
REDUCER = """\
import json, os, sys
def number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value else None
def text(value):
    return value if isinstance(value, str) else json.dumps(value)
names = json.loads(os.environ["POLYFLOW_OUTPUT_NAMES"])
lists = [json.loads(os.environ["POLYFLOW_OUTPUT_%d" % i]) for i in range(len(names))]
metric = os.environ["POLYFLOW_METRIC_NAME"]
scored = [(m, i) for i, m in enumerate(map(number, lists[names.index(metric)])) if m is not None]
if not scored:
    sys.exit("no trial wrote a number to its output " + metric)
if os.environ["POLYFLOW_OPTIMIZATION"] == "maximize":
    value, index = max(scored, key=lambda s: (s[0], -s[1]))
else:
    value, index = min(scored)
out = os.environ["POLYFLOW_OUTPUTS_DIR"]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "best-index"), "w") as fh:
    fh.write(str(index))
for name, values in zip(names, lists):
    with open(os.path.join(out, name), "w") as fh:
        fh.write(text(values[index]))
print(json.dumps({"best-index": index, metric: value}))
"""


def group_templates(ctx: TranslateContext, node: Node, plan: TemplatePlan) -> list[dict[str, Any]] | None:
    """The group's DAG template first, then its trial (and best) templates; None after errors.

    When the op's image is built (``plan.build``), the group takes it as input ``polyflow-image``
    and passes it on to its trials."""
    tpl = node.template
    assert tpl is not None and isinstance(tpl.spec, GroupTemplate)  # KINDS: only for `kind: group`
    hp = tpl.spec.hptuning
    where = tpl.path + ("hptuning",)
    if hp is None:
        ctx.error(
            "PF480",
            f"group template '{tpl.name}' has no `hptuning`: there is nothing to search",
            tpl.path,
            "add `hptuning: {matrix: {lr: {values: [0.01, 0.1]}}}`, or use `kind: experiment`",
        )
        return None
    expansion = matrix.plan(hp)
    for problem in expansion.problems:
        report = ctx.error if problem.severity == "error" else ctx.warning
        report(problem.code, problem.message, where + problem.path, problem.hint)
    if expansion.errors:
        return None
    names = list(hp.matrix or {})
    declared = {io.name for io in tpl.inputs} | {io.name for io in tpl.outputs}
    for param in names:
        if param in declared or param == OP_PARAM:
            ctx.error(
                "PF481",
                f"matrix parameter '{param}' of group '{tpl.name}' is also declared as an input or output",
                where + ("matrix", param),
                "rename one of them: the matrix gives each trial its own value",
            )
            return None
        if not param_name_ok(param):
            ctx.error(
                "PF442",
                f"matrix parameter {param!r} of group '{tpl.name}' is not a valid Argo parameter name",
                where + ("matrix", param),
                "use letters, digits, '-' and '_' only",
            )
            return None
    metric = hp.metric
    outputs = [io.name for io in tpl.outputs]
    if metric is not None and metric.name not in outputs:
        ctx.error(
            "PF482",
            f"`hptuning.metric` names '{metric.name}', which group '{tpl.name}' does not declare as an "
            f"output",
            where + ("metric", "name"),
            "declare it in `outputs` (e.g. `{name: "
            + metric.name
            + ", type: metric}`) and write it from the trial",
        )
        return None
    name, unique = plan.name, plan.unique
    trial_name = unique(f"{name}-trial")
    trial_plan = replace(plan, name=trial_name, display_name=False)  # the DAG template is the op's
    trial = container_template(ctx, node, trial_plan, extra_inputs=names)
    if trial is None:
        return None
    built = plan.build.image_input  # the trial template takes the built image: pass it on
    inputs = [io.name for io in tpl.inputs]
    arguments = [{"name": OP_PARAM, "value": f"{{{{inputs.parameters.{OP_PARAM}}}}}"}]
    arguments += [{"name": i, "value": f"{{{{inputs.parameters.{i}}}}}"} for i in inputs]
    arguments += [{"name": p, "value": f"{{{{item.{p}}}}}"} for p in names]
    arguments += [{"name": IMAGE_PARAM, "value": image_param()}] if built else []
    items = [{p: render_literal(s[p]) for p in names} for s in expansion.suggestions]
    tasks: list[dict[str, Any]] = [
        {
            "name": TRIAL_TASK,
            "template": trial_name,
            "arguments": {"parameters": arguments},
            "withItems": items,
        }
    ]
    extra: list[dict[str, Any]] = [trial]
    aggregated = {o: f"{{{{tasks.{TRIAL_TASK}.outputs.parameters.{o}}}}}" for o in outputs}
    if metric is not None:
        best_name = unique(f"{name}-best")
        extra.append(_best_template(ctx, best_name, outputs))
        tasks.append(
            {
                "name": BEST_TASK,
                "template": best_name,
                "depends": TRIAL_TASK,
                "arguments": {
                    "parameters": [
                        {"name": "metric-name", "value": metric.name},
                        {"name": "optimization", "value": str(metric.optimization)},
                    ]
                    + [{"name": o, "value": aggregated[o]} for o in outputs]
                },
            }
        )
        results = {o: f"{{{{tasks.{BEST_TASK}.outputs.parameters.{o}}}}}" for o in [*outputs, BEST_INDEX]}
    else:
        results = aggregated
    annotations = {
        "polyflow.io/hptuning": render_literal(
            {
                "algorithm": expansion.algorithm,
                "trials": len(items),
                **({"seed": expansion.seed} if expansion.seed is not None else {}),
            }
        )
    }
    group = template_head(name, plan.display_name)
    group["metadata"] = {"annotations": annotations}
    group["inputs"] = {"parameters": [{"name": OP_PARAM}] + [{"name": i} for i in inputs]
                       + ([{"name": IMAGE_PARAM}] if built else [])}
    if results:
        group["outputs"] = {
            "parameters": [{"name": o, "valueFrom": {"parameter": v}} for o, v in results.items()]
        }
    group["parallelism"] = hp.concurrency if hp.concurrency and hp.concurrency > 0 else 1
    group["dag"] = {"tasks": tasks}
    return [group, *extra]


def _best_template(ctx: TranslateContext, name: str, outputs: list[str]) -> dict[str, Any]:
    image = ctx.options.tools_image
    env = [
        {"name": "POLYFLOW_METRIC_NAME", "value": env_value("inputs.parameters['metric-name']")},
        {"name": "POLYFLOW_OPTIMIZATION", "value": env_value("inputs.parameters['optimization']")},
        {"name": "POLYFLOW_OUTPUTS_DIR", "value": OUTPUTS_DIR},
        {"name": "POLYFLOW_OUTPUT_NAMES", "value": render_literal(outputs)},
    ]
    env += [
        {"name": f"POLYFLOW_OUTPUT_{i}", "value": env_value(f"inputs.parameters['{o}']")}
        for i, o in enumerate(outputs)
    ]
    return {
        "name": name,
        "inputs": {
            "parameters": [{"name": "metric-name"}, {"name": "optimization"}] + [{"name": o} for o in outputs]
        },
        "outputs": {
            "parameters": [
                {"name": o, "valueFrom": {"path": f"{OUTPUTS_DIR}/{o}"}} for o in [*outputs, BEST_INDEX]
            ]
        },
        "script": {
            "image": image,
            "command": ["python"],
            "source": REDUCER,
            "env": env,
            "volumeMounts": [{"name": "polyflow-outputs", "mountPath": OUTPUTS_DIR}],
        },
        "volumes": [{"name": "polyflow-outputs", "emptyDir": {}}],
    }
