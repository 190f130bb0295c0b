"""Polyflow's run rules (docs/semantics.md), applied to given outcomes: which ops run, which are
skipped or omitted and why, and the pipeline's final status.

This is the one reference for the rules: ``explain`` prints it, and the semantics suites (argo-sim
and the real controller) compare Argo's phases with it. It is written from the rules, not from the
translation (translate/dag.py), so a test comparing the two compares Argo with the spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RAN = ("Succeeded", "Failed", "Error")
STATE = {"Succeeded": "succeeded", "Failed": "failed", "Error": "failed", "Omitted": "upstream_failed",
         "Skipped": "skipped"}


# What each trigger means over its upstreams' states (succeeded, failed, upstream_failed; a skipped
# upstream has already been counted as succeeded; every upstream is done). The one table of triggers
# on the rules side: its keys are the language's `Trigger` literal (tests/resolve/test_rules.py).
TRIGGER_MET: dict[str, Callable[[list[str]], bool]] = {
    "all_succeeded": lambda states: all(s == "succeeded" for s in states),
    "all_failed": lambda states: all(s in ("failed", "upstream_failed") for s in states),
    "all_done": bool,
    "one_done": bool,
    "one_succeeded": lambda states: any(s == "succeeded" for s in states),
    "one_failed": lambda states: any(s == "failed" for s in states),
}


def trigger_met(trigger: str, states: list[str]) -> bool:
    """Does ``trigger`` hold over the upstream ``states`` (see ``TRIGGER_MET``)?"""
    return TRIGGER_MET[trigger](states)


@dataclass(frozen=True)
class RuleOp:
    """What the rules need of one op: its upstream ops, trigger, skip rule and condition."""

    name: str
    upstream: tuple[str, ...] = ()
    trigger: str = "all_succeeded"
    skip_on_upstream_skip: bool = False
    condition: Mapping[str, Any] | None = None  # {kind: status|outputs, op, trigger | exp + params}


@dataclass(frozen=True)
class Decision:
    phase: str  # Succeeded, Failed, Error (it ran), Omitted or Skipped
    reason: str


def condition_value(value: object) -> str:
    """Condition values compare as strings: ``true``/``false`` for booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def decide(ops: Iterable[RuleOp], outcomes: Mapping[str, str],
           outputs: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Decision]:
    """Each op's phase, in topological order of ``ops``: ``outcomes[op]`` is what an op that runs ends
    as (default Succeeded); ``outputs[op]`` its output values (an op that did not run has none)."""
    outputs = outputs or {}
    out: dict[str, Decision] = {}
    for op in ops:
        states = {u: STATE[out[u].phase] for u in op.upstream}
        skipped = [u for u, s in states.items() if s == "skipped"]
        if op.skip_on_upstream_skip and skipped:
            out[op.name] = Decision("Skipped", f"skip_on_upstream_skip and {_names(skipped)} skipped")
            continue
        counted = ["succeeded" if s == "skipped" else s for s in states.values()]
        if op.upstream and not trigger_met(op.trigger, counted):
            why = ", ".join(f"{u} {STATE[out[u].phase]}" for u in op.upstream)
            out[op.name] = Decision("Omitted", f"trigger {op.trigger} not met ({why})")
            continue
        if op.condition is not None and not _holds(op, out, outputs):
            out[op.name] = Decision("Skipped", f"condition on {op.condition.get('op')} is false")
            continue
        phase = outcomes.get(op.name, "Succeeded")
        if phase not in RAN:
            raise ValueError(f"outcome of {op.name} must be one of {', '.join(RAN)}, not {phase!r}")
        reason = "root op" if not op.upstream else f"trigger {op.trigger} met"
        out[op.name] = Decision(phase, reason + ("" if op.condition is None else " and condition true"))
    return out


def _holds(op: RuleOp, decided: Mapping[str, Decision], outputs: Mapping[str, Mapping[str, str]]) -> bool:
    cond = op.condition
    assert cond is not None
    producer = str(cond["op"])
    phase = decided[producer].phase
    state = STATE[phase]
    if cond["kind"] == "status":
        if cond["trigger"] == "done":
            return True
        if cond["trigger"] == "succeeded":
            return state == "succeeded" or (state == "skipped" and not op.skip_on_upstream_skip)
        return state in ("failed", "upstream_failed")
    # an op that ran exposes what it wrote, failed or not (Argo reads a failed pod's reported
    # outputs); one that did not run has none: ""
    values = outputs.get(producer, {}) if phase in RAN else {}
    pairs = [(str(k), condition_value(v)) for k, v in cond["params"]]
    if cond["exp"] == "eq":
        return all(values.get(k, "") == v for k, v in pairs)
    return all(values.get(k, "") != v for k, v in pairs)


def pipeline_status(ops: Iterable[RuleOp], decided: Mapping[str, Decision]) -> str:
    """docs/semantics.md "The pipeline's final status": judged on leaf ops; an op that did not run
    takes the status of the branch it hangs from (failed if an upstream branch failed). Returns
    ``Succeeded`` or ``Failed`` (Argo reports a failed run as Failed or Error)."""
    ops = list(ops)
    branch_failed: dict[str, bool] = {}
    for op in ops:
        phase = decided[op.name].phase
        if phase in RAN:
            branch_failed[op.name] = phase != "Succeeded"
        else:
            branch_failed[op.name] = any(branch_failed[u] for u in op.upstream)
    used = {u for op in ops for u in op.upstream}
    leaves = [op.name for op in ops if op.name not in used]
    return "Failed" if any(branch_failed[n] for n in leaves) else "Succeeded"


def _names(names: list[str]) -> str:
    return ", ".join(names)


def rule_ops(pipeline: Any) -> list[RuleOp]:
    """The :class:`RuleOp` of every op of a resolved pipeline (resolve.model.Pipeline), in order."""
    out = []
    for level in pipeline.levels:
        for name in level:
            node = pipeline.nodes[name]
            cond = node.op.conditions
            out.append(RuleOp(name, tuple(node.upstream), node.trigger, bool(node.op.skip_on_upstream_skip),
                              None if cond is None else cond.model_dump()))
    return out
