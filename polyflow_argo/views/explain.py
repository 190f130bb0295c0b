"""``polyflow-argo explain``: for given outcomes of the ops that run, which ops run, which are
Skipped or Omitted and why, and the pipeline's final status.

Nothing here decides a rule: the phases, their reasons and the final status come from the one
rules reference, :mod:`polyflow_argo.resolve.rules` (``rule_ops``, ``decide``,
``pipeline_status``), the same the semantics suites compare with argo-sim and with Argo's
controller. This module only checks the given outcomes against the pipeline and lays the answer
out as text or JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..language.hints import did_you_mean
from ..resolve import Pipeline
from ..resolve.rules import RAN, STATE, decide, pipeline_status, rule_ops
from .describe import condition_text

OUTCOMES = RAN  # what an op that runs can end as: Succeeded, Failed, Error


@dataclass(frozen=True)
class OpResult:
    name: str
    phase: str  # Succeeded, Failed, Error (it ran), Skipped or Omitted (it did not)
    reason: str  # the rule that decided it, with the upstream ops that decided it (rules.decide)
    trigger: str
    skip_on_upstream_skip: bool
    condition: str | None  # the op's condition as text (views/describe.py)
    upstream: tuple[tuple[str, str], ...]  # (upstream op, its state: succeeded, failed, skipped, …)
    outputs: tuple[tuple[str, str], ...] = ()  # the output values given for it (an op that ran)

    @property
    def ran(self) -> bool:
        return self.phase in RAN


@dataclass(frozen=True)
class Explanation:
    pipeline: str
    status: str  # Succeeded or Failed (rules.pipeline_status)
    ops: tuple[OpResult, ...]
    leaves: tuple[str, ...]  # the ops the final status is judged on
    outcomes: dict[str, str] = field(default_factory=dict)  # the outcomes given (others: Succeeded)


class UnknownName(ValueError):
    """An outcome or output value names an op (or an op's output) the pipeline does not have."""

    def __init__(self, message: str, hint: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def explain(
    ir: Pipeline,
    outcomes: Mapping[str, str] | None = None,
    outputs: Mapping[str, Mapping[str, str]] | None = None,
) -> Explanation:
    """Apply the run rules to ``outcomes`` (op → Succeeded, Failed or Error: what the op ends as if it
    runs; an op not given succeeds) and ``outputs`` (op → output name → the value it writes, for
    outputs conditions; an output not given is ``""``).

    Raises:
        UnknownName: an op or output that the pipeline does not have (with a did-you-mean hint).
        ValueError: an outcome that is not Succeeded, Failed or Error.
    """
    outcomes = dict(outcomes or {})
    outputs = {op: dict(values) for op, values in (outputs or {}).items()}
    check_names(ir, outcomes, outputs)
    ops = rule_ops(ir)
    decided = decide(ops, outcomes, outputs)
    results = []
    for op in ops:
        d = decided[op.name]
        results.append(
            OpResult(
                op.name,
                d.phase,
                d.reason,
                op.trigger,
                op.skip_on_upstream_skip,
                condition_text(op.condition),
                tuple((u, STATE[decided[u].phase]) for u in op.upstream),
                tuple(sorted(outputs.get(op.name, {}).items())) if d.phase in RAN else (),
            )
        )
    used = {u for op in ops for u in op.upstream}
    leaves = tuple(op.name for op in ops if op.name not in used)
    return Explanation(ir.name or "pipeline", pipeline_status(ops, decided), tuple(results), leaves, outcomes)


def check_names(ir: Pipeline, outcomes: Mapping[str, str], outputs: Mapping[str, Mapping[str, str]]) -> None:
    """Every op given an outcome or an output value exists, every output is one its template
    declares, and every outcome is one an op that runs can end as."""
    names = list(ir.nodes)
    for op, phase in outcomes.items():
        if op not in ir.nodes:
            raise UnknownName(
                f"--outcome {op}={phase}: no op named '{op}'",
                did_you_mean(op, names) or f"the ops are: {', '.join(names)}",
            )
        if phase not in OUTCOMES:
            raise ValueError(f"--outcome {op}={phase}: the outcome must be one of {', '.join(OUTCOMES)}")
    for op, values in outputs.items():
        node = ir.nodes.get(op)
        if node is None:
            raise UnknownName(
                f"--value {op}.…: no op named '{op}'",
                did_you_mean(op, names) or f"the ops are: {', '.join(names)}",
            )
        declared = [o.name for o in (node.template.outputs if node.template is not None else [])]
        for key in values:
            if key not in declared:
                raise UnknownName(
                    f"--value {op}.{key}: op '{op}' has no output '{key}'",
                    did_you_mean(key, declared)
                    or (
                        f"its outputs are: {', '.join(declared)}"
                        if declared
                        else "its template declares no outputs"
                    ),
                )


def to_dict(e: Explanation) -> dict[str, object]:
    """The explanation as JSON data (``explain -o json``)."""
    return {
        "pipeline": e.pipeline,
        "status": e.status,
        "outcomes": dict(sorted(e.outcomes.items())),
        "leaves": list(e.leaves),
        "ops": [
            {
                "name": r.name,
                "phase": r.phase,
                "ran": r.ran,
                "reason": r.reason,
                "trigger": r.trigger,
                "skip_on_upstream_skip": r.skip_on_upstream_skip,
                "condition": r.condition,
                "upstream": [{"op": u, "state": s} for u, s in r.upstream],
                "outputs": dict(r.outputs),
            }
            for r in e.ops
        ],
    }


def to_json(e: Explanation) -> str:
    return json.dumps(to_dict(e), indent=2, ensure_ascii=False) + "\n"


def to_text(e: Explanation) -> str:
    """One line per op (name, phase, the rule that decided it) and, below it, its upstream ops' states,
    skip rule, condition and given outputs; then the final status with the leaves it is judged on."""
    width = max((len(r.name) for r in e.ops), default=0)
    given = (
        ", ".join(f"{k}={v}" for k, v in sorted(e.outcomes.items())) or "none (every op that runs succeeds)"
    )
    out = [f"pipeline {e.pipeline}", f"outcomes given: {given}", ""]
    for r in e.ops:
        verb = "runs" if r.ran else "does not run"
        out.append(f"{r.name:<{width}}  {r.phase:<9}  {verb}: {r.reason}")
        detail = []
        if r.upstream:
            detail.append("upstream: " + ", ".join(f"{u} {s}" for u, s in r.upstream))
        if r.skip_on_upstream_skip:
            detail.append("skip_on_upstream_skip")
        if r.condition is not None:
            detail.append(f"condition: {r.condition}")
        if r.outputs:
            detail.append(
                "outputs: " + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in r.outputs)
            )
        if detail:
            out.append(f"{'':<{width}}  {'':<9}  " + "; ".join(detail))
    leaves = ", ".join(e.leaves)
    out += ["", f"status: {e.status} (judged on the leaf ops: {leaves}; docs/semantics.md)"]
    return "\n".join(out) + "\n"
