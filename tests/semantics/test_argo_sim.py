"""Compiled DAGs replayed by argo-sim (Argo's own `depends`/`when` rules) against the Polyflow rules.

For each pipeline below, every assignment of outcomes (Succeeded / Failed / Error) to the ops that
run is fed to argo-sim with the compiled tasks; each op's phase, and the DAG's phase, must equal
what :func:`expected` computes from the rules in docs/semantics.md. ``expected`` is written from
those rules, independently of the translator.

Outputs of producers that did not run read as ``""`` (our references and conditions are
expressions with ``?? ''``; the real controller runs them in tests/e2e); argo-sim reads the outcome's
outputs even for a task that did not run, so the test passes ``""`` for them.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.resolve.rules import RAN, RuleOp, decide, pipeline_status
from polyflow_argo.views.explain import explain
from tests.semantics.sim import for_sim
from tests.views.cases import resolve_text

pytestmark = pytest.mark.argosim
PHASES = ("Succeeded", "Failed", "Error")
TRIGGERS = ("all_succeeded", "all_failed", "all_done", "one_succeeded", "one_failed", "one_done")


@dataclass
class Case:
    id: str
    x_trigger: str = "all_succeeded"
    x_skip: bool | None = None
    x_condition: dict[str, Any] | None = None
    y_trigger: str = "all_succeeded"
    y_skip: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def pipeline_yaml(case: Case) -> str:
    """a, b: roots. u1 <- a (all_succeeded: Omitted when a fails). u2 <- b, skipped unless b.flag == 'true'.
    x <- u1, u2 with the case's trigger/skip/condition. y <- x (and u2) to see propagation."""

    def op(name: str, deps: list[str], trigger: str | None = None, skip: bool | None = None,
           cond: dict[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "template": {"name": "t"}}
        if deps:
            out["dependencies"] = deps
        if trigger:
            out["trigger"] = trigger
        if skip is not None:
            out["skip_on_upstream_skip"] = skip
        if cond:
            out["conditions"] = cond
        return out

    ops = [
        op("a", []),
        op("b", []),
        op("u1", ["a"]),
        op("u2", ["b"], cond={"kind": "outputs", "op": "b", "exp": "eq", "params": [["flag", True]]}),
        op("x", ["u1", "u2"], case.x_trigger, case.x_skip, case.x_condition),
        op("y", ["x", "u2"], case.y_trigger, case.y_skip),
    ]
    doc = {
        "version": 1,
        "kind": "pipeline",
        "name": "sem",
        "ops": ops,
        "templates": [
            {
                "kind": "job",
                "name": "t",
                "outputs": [{"name": "flag", "type": "bool"}],
                "build": {"image": "python:3.11-slim"},
                "run": {"cmd": "true"},
            }
        ],
    }
    return json.dumps(doc)


CASES = [Case(f"{t}-skip{s}", x_trigger=t, x_skip=s) for t in TRIGGERS for s in (False, True)] + [
    Case(
        "cond-status-succeeded",
        x_trigger="all_done",
        x_condition={"kind": "status", "op": "u1", "trigger": "succeeded"},
    ),
    Case(
        "cond-status-failed",
        x_trigger="all_done",
        x_condition={"kind": "status", "op": "u1", "trigger": "failed"},
    ),
    Case(
        "cond-status-done-skip",
        x_trigger="one_done",
        x_skip=True,
        x_condition={"kind": "status", "op": "u2", "trigger": "done"},
    ),
    Case(
        "cond-outputs-eq",
        x_trigger="all_done",
        x_condition={"kind": "outputs", "op": "u1", "exp": "eq", "params": [["flag", True]]},
    ),
    Case(
        "cond-outputs-ne-skip",
        x_trigger="one_succeeded",
        x_skip=True,
        x_condition={"kind": "outputs", "op": "u2", "exp": "ne", "params": [["flag", True]]},
    ),
    Case("y-one-failed-skip", x_trigger="all_done", y_trigger="one_failed", y_skip=True),
]

UPSTREAM = {"a": [], "b": [], "u1": ["a"], "u2": ["b"], "x": ["u1", "u2"], "y": ["x", "u2"]}
RUNNERS = ("a", "b", "u1", "u2", "x", "y")


def rule_ops(case: Case) -> list[RuleOp]:
    """The case's ops as the rules reference takes them."""
    cond_u2 = {"kind": "outputs", "op": "b", "exp": "eq", "params": [["flag", True]]}
    spec = {"a": ("all_succeeded", None, None), "b": ("all_succeeded", None, None),
            "u1": ("all_succeeded", None, None), "u2": ("all_succeeded", None, cond_u2),
            "x": (case.x_trigger, case.x_skip, case.x_condition), "y": (case.y_trigger, case.y_skip, None)}
    return [RuleOp(n, tuple(UPSTREAM[n]), spec[n][0], bool(spec[n][1]), spec[n][2]) for n in RUNNERS]


def expected(case: Case, outcomes: dict[str, str], flags: dict[str, str]) -> tuple[dict[str, str], str]:
    """Each op's phase and the pipeline's status from the one rules reference
    (polyflow_argo/resolve/rules.py); an op that ran exposes the flag it wrote, even when it failed
    (Argo's controller reads a failed pod's reported outputs: tests/e2e/test_semantics.py)."""
    ops = rule_ops(case)
    decided = decide(ops, outcomes, {n: {"flag": flags[n]} for n in RUNNERS})
    return {n: d.phase for n, d in decided.items()}, pipeline_status(ops, decided)


def _dag(case: Case) -> list[dict[str, Any]]:
    docs = polyflow_argo.compile(pipeline_yaml(case))
    tasks = docs[0]["spec"]["templates"][0]["dag"]["tasks"]
    out = [{k: t[k] for k in ("name", "depends", "when") if k in t} for t in tasks]
    for task in out:
        if "when" in task:
            task["when"] = for_sim(task["when"])
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_outcome_matches_the_rules(case: Case, argo_sim: Path) -> None:
    tasks = _dag(case)
    assert [t["name"] for t in tasks] == list(RUNNERS)
    ir = resolve_text(pipeline_yaml(case))  # what `polyflow-argo explain FILE` reads (views/explain.py)
    reads_u = case.x_condition is not None and case.x_condition["kind"] == "outputs"
    flag_pairs = (
        (("true", "true"), ("false", "false"), ("true", "false"))
        if reads_u
        else (("true", ""), ("false", ""))
    )
    runs = []
    for combo in itertools.product(PHASES, PHASES, PHASES, PHASES, PHASES, ("Succeeded", "Failed")):
        for flag_b, flag_u in flag_pairs:
            outcomes = dict(zip(RUNNERS, combo, strict=True))
            flags = {"a": "", "b": flag_b, "u1": flag_u, "u2": flag_u, "x": "", "y": ""}
            runs.append((outcomes, flags) + expected(case, outcomes, flags))

    def check(run: tuple[dict[str, str], dict[str, str], dict[str, str], str]) -> None:
        outcomes, flags, want, status = run
        sim_outcomes = {
            n: {"phase": outcomes[n], "outputs": {"flag": flags[n] if want.get(n) in RAN else ""}}
            for n in RUNNERS
        }
        got = _run(argo_sim, {"failFast": False, "tasks": tasks, "outcomes": sim_outcomes})
        assert got["errors"] == [], (case.id, outcomes, got)
        assert got["phases"] == want, (case.id, outcomes, flags)
        # Failed and Error both fail the pipeline; which of the two Argo reports when branches
        # disagree depends on its walk order, so the status is compared as succeeded/failed.
        assert _ok(got["dag"]) == _ok(status), (case.id, outcomes, flags, got["phases"])
        # `explain` for the same assignment says what argo-sim did, op by op, and the final status
        said = explain(ir, outcomes, {n: {"flag": flags[n]} for n in RUNNERS})
        assert {r.name: r.phase for r in said.ops} == got["phases"], ("explain", case.id, outcomes, flags)
        assert _ok(said.status) == _ok(got["dag"]), ("explain", case.id, outcomes, flags)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(check, runs))
    assert len(runs) == 3**5 * 2 * len(flag_pairs)


def _ok(phase: str) -> bool:
    assert phase in ("Succeeded", "Failed", "Error"), phase
    return phase == "Succeeded"


def _run(binary: Path, payload: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run([str(binary)], input=json.dumps(payload), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
