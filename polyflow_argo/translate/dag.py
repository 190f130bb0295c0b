"""Trigger policies, skipping and conditions → DAG task ``depends`` and ``when`` (docs/semantics.md).

Polyflow states map to Argo phases: succeeded = Succeeded, failed = Failed or Error,
upstream_failed = Omitted, skipped = Skipped. For an op with upstream set U:

- ``skip_on_upstream_skip: true``: any skipped upstream makes the op Skipped. ``depends`` is
  widened with ``u.Skipped`` terms so the task is created, and ``when`` then skips it.
  Otherwise a skipped upstream counts as succeeded.
- the trigger becomes ``depends`` (false → Omitted); conditions become ``when`` (false → Skipped).

Argo's shorthand ``a`` means ``a.Succeeded || a.Skipped || a.Daemoned``; no task here is a daemon,
so ``a`` is "succeeded or skipped" and ``!a`` is "failed, errored or omitted". Argo evaluates
``depends`` only once every task it names has finished, so ``(a || !a)`` holds for any outcome:
it is how ``all_done`` and ``one_done`` wait for their upstreams without caring how they ended.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..resolve import Node
from .context import TranslateContext


def _failed(task: str, build: str | None = None) -> str:
    """``task`` failed; with its image ``build`` task, a failed build counts too (the op is then
    Omitted, but Polyflow says it failed: translate/build.py)."""
    also = f" || {build}.Failed || {build}.Errored" if build else ""
    return f"({task}.Failed || {task}.Errored{also})"


def _done(task: str) -> str:
    return f"({task} || !{task})"  # finished, in any phase (depends waits for every named task)


def _join(terms: list[str], op: str) -> str:
    return terms[0] if len(terms) == 1 else f" {op} ".join(terms)


@dataclass(frozen=True)
class TriggerForm:
    """A trigger's ``depends`` form: one term per upstream task, joined by ``join``. ``shorthand``:
    when a skipped upstream counts as succeeded, the bare task name (``t``: Succeeded or Skipped)
    is the term."""

    join: Literal["&&", "||"]
    term: Callable[[str, str | None], str]  # (task, the task building its image or None) → term
    shorthand: bool = False
    waits_for_all: bool = False  # holds once every upstream finished, skipped ones included


# The one table of triggers (its keys are the language's `Trigger` literal: tests/translate/test_dag.py).
TRIGGERS: dict[str, TriggerForm] = {
    "all_succeeded": TriggerForm("&&", lambda t, _: f"{t}.Succeeded", shorthand=True),
    "all_failed": TriggerForm("&&", lambda t, _: f"!{t}"),  # !t: Failed, Errored or Omitted
    "all_done": TriggerForm("&&", lambda t, _: _done(t), waits_for_all=True),
    "one_done": TriggerForm("&&", lambda t, _: _done(t), waits_for_all=True),  # once all finished, one did
    "one_succeeded": TriggerForm("||", lambda t, _: f"{t}.Succeeded", shorthand=True),
    "one_failed": TriggerForm("||", _failed),
}


def trigger_expression(
    trigger: str, tasks: list[str], skip_propagates: bool, builds: dict[str, str] | None = None
) -> str:
    """The ``depends`` expression of ``trigger`` over upstream tasks (skip handling excluded);
    ``builds`` maps an upstream task to the task that builds its image."""
    form = TRIGGERS[trigger]
    if form.shorthand and not skip_propagates:
        return f" {form.join} ".join(tasks)  # shorthand t: (t.Succeeded || t.Skipped || t.Daemoned)
    return _join([form.term(t, (builds or {}).get(t)) for t in tasks], form.join)


def depends(node: Node, tasks: dict[str, str], builds: dict[str, str] | None = None) -> str | None:
    """The task's ``depends``, or None for a root op (``builds``: as for :func:`trigger_expression`)."""
    ups = [tasks[u] for u in node.upstream]
    if not ups:
        return None
    propagate = bool(node.op.skip_on_upstream_skip)
    expr = trigger_expression(node.trigger, ups, propagate, builds)
    if propagate and not TRIGGERS[node.trigger].waits_for_all:  # those already hold for skips
        skipped = " || ".join(f"{t}.Skipped" for t in ups)
        return f"({expr}) || {skipped}" if " " in expr else f"{expr} || {skipped}"
    return expr


def condition_value(value: object) -> str:
    """Output values are compared as strings: true/false for bools, JSON-like numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def when(ctx: TranslateContext, node: Node, tasks: dict[str, str]) -> str | None:
    """The task's ``when``: skip propagation and the op's condition, or None."""
    clauses = []
    if node.op.skip_on_upstream_skip and node.upstream:
        clauses += [f"'{{{{tasks.{tasks[u]}.status}}}}' != 'Skipped'" for u in node.upstream]
    cond = node.op.conditions
    if cond is not None:
        clause = _condition(ctx, node, tasks)
        if clause:
            clauses.append(clause)
    if not clauses:
        return None
    return " && ".join(clauses)


def _condition(ctx: TranslateContext, node: Node, tasks: dict[str, str]) -> str | None:
    cond = node.op.conditions
    assert cond is not None
    path = node.path + ("conditions",)
    if cond.op not in node.upstream:
        ctx.error(
            "PF420",
            f"the condition of op '{node.name}' reads op '{cond.op}', which is not upstream of it",
            path + ("op",),
            f"add '{cond.op}' to `dependencies` of '{node.name}'",
        )
        return None
    task = tasks[cond.op]
    status = f"'{{{{tasks.{task}.status}}}}'"
    if cond.kind == "status":
        if cond.trigger == "done":
            return None  # every upstream is done when `when` is evaluated
        if cond.trigger == "succeeded":
            if node.op.skip_on_upstream_skip:
                return f"{status} == 'Succeeded'"
            return f"({status} == 'Succeeded' || {status} == 'Skipped')"
        return f"({status} == 'Failed' || {status} == 'Error' || {status} == 'Omitted')"
    producer = ctx.ir.nodes[cond.op].template
    outputs = {o.name for o in producer.outputs} if producer is not None else set()
    terms = []
    operator = "==" if cond.exp == "eq" else "!="
    for i, (key, _) in enumerate(cond.params):
        if key not in outputs:
            ctx.error(
                "PF422",
                f"the condition of op '{node.name}' reads output '{key}', which op '{cond.op}' does not "
                "declare",
                path + ("params", i),
                "declare it in the producer template's `outputs`",
            )
            return None
    for key, value in cond.params:
        terms.append(f"{output_read(task, str(key))} {operator} {json.dumps(condition_value(value))}")
    if not terms:
        return None
    # Output values are compared as data inside one expression tag: Argo evaluates it with expr
    # and puts only `true`/`false` into the text govaluate reads, so no value is parsed as code.
    return "{{=" + " && ".join(terms) + "}}"


def output_read(task: str, output: str) -> str:
    """An expr reading ``tasks.<task>.outputs.parameters.<output>`` as data: ``''`` when the task has
    no value for it (skipped, omitted, or a failed group), through ``get`` calls, which Argo's strict
    check of missing ``tasks.*`` paths does not treat as a missing variable (it would wait forever)."""
    read = "tasks"
    for key in (task, "outputs", "parameters", output):
        read = f"get({read}, {json.dumps(key)})"
    return f"({read} ?? '')"
