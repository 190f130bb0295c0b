"""The argo-sim suite's pipelines replayed on Argo's real controller: 18 pipelines (6 triggers ×
skip_on_upstream_skip, status and outputs conditions, skip propagation), each under a sample of
outcome assignments (Succeeded / Failed / Error per op, output values per op) — over 300 workflows
run concurrently — and each op's phase asserted from the one rules reference
(polyflow_argo/resolve/rules.py), the same reference the argo-sim suite uses.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.resolve.rules import decide, pipeline_status
from polyflow_argo.views.explain import explain
from tests.semantics.test_argo_sim import CASES, RUNNERS, Case, pipeline_yaml, rule_ops
from tests.views.cases import resolve_text

from .runs import Runs, new_batch

PHASES = ("Succeeded", "Failed", "Error")
PER_CASE = 18  # 18 cases × 18 assignments = 324 workflows


def assignments(case: Case) -> list[tuple[dict[str, str], dict[str, str]]]:
    """A deterministic sample: all succeed, each op failing alone, then seeded random mixes."""
    rng = random.Random(case.id)
    out: list[tuple[dict[str, str], dict[str, str]]] = [({}, {"b": "true", "u1": "true", "u2": "true"})]
    for name in RUNNERS:
        out.append(
            ({name: rng.choice(("Failed", "Error"))}, {"b": rng.choice(("true", "false")), "u1": "true"})
        )
    combos = list(itertools.product(PHASES, repeat=len(RUNNERS)))
    while len(out) < PER_CASE:
        combo = dict(zip(RUNNERS, rng.choice(combos), strict=True))
        flags = {
            "b": rng.choice(("true", "false")),
            "u1": rng.choice(("true", "false")),
            "u2": rng.choice(("true", "false")),
        }
        out.append(({k: v for k, v in combo.items() if v != "Succeeded"}, flags))
    return out


def kubelet_table(outcomes: dict[str, str], flags: dict[str, str]) -> dict[str, Any]:
    return {
        n: {"phase": outcomes.get(n, "Succeeded"), "outputs": {"flag": flags.get(n, "false")}}
        for n in RUNNERS
    }


def test_semantics_suite_on_the_controller(runs: Runs) -> None:
    batch = new_batch()
    submitted = []
    irs = {}
    for case in CASES:
        workflow = polyflow_argo.compile(pipeline_yaml(case))[0]
        irs[case.id] = resolve_text(pipeline_yaml(case))  # what `polyflow-argo explain FILE` reads
        for outcomes, flags in assignments(case):
            name = runs.submit(workflow, kubelet_table(outcomes, flags), batch=batch)
            submitted.append((name, case, outcomes, flags))
    assert len(submitted) >= 300
    finished = runs.wait([s[0] for s in submitted], timeout=900)
    failures = []
    for name, case, outcomes, flags in submitted:
        ops = rule_ops(case)
        want = decide(ops, outcomes, {n: {"flag": flags.get(n, "false")} for n in RUNNERS})
        run = finished[name]
        got = {n: run.phases().get(n, "absent") for n in RUNNERS}
        expected = {n: d.phase for n, d in want.items()}
        ok = (run.phase == "Succeeded") == (pipeline_status(ops, want) == "Succeeded")
        said = explain(irs[case.id], outcomes, {n: {"flag": flags.get(n, "false")} for n in RUNNERS})
        explained = {r.name: r.phase for r in said.ops}  # `explain` says what the controller did
        ok = ok and (said.status == "Succeeded") == (run.phase == "Succeeded")
        if got != expected or not ok or explained != got:
            failures.append((case.id, outcomes, flags,
                             {"got": got, "want": expected, "explain": explained, "dag": run.phase}))
    runs.delete_batch(batch)
    assert not failures, f"{len(failures)} of {len(submitted)} runs differ from the rules: {failures[:5]}"


@pytest.mark.parametrize("case", CASES[:1], ids=[CASES[0].id])
def test_kubelet_reports_outputs_the_controller_reads(case: Case, runs: Runs) -> None:
    """The scripted executor's WorkflowTaskResult is what the controller reads: b's flag reaches u2's
    `when` (u2 runs for "true", is Skipped for "false")."""
    workflow = polyflow_argo.compile(pipeline_yaml(case))[0]
    yes = runs.submit(workflow, kubelet_table({}, {"b": "true"}))
    no = runs.submit(workflow, kubelet_table({}, {"b": "false"}))
    done = runs.wait([yes, no])
    assert done[yes].phases()["u2"] == "Succeeded"
    assert done[no].phases()["u2"] == "Skipped"
    node = next(n for n in done[yes].nodes.values() if n.get("displayName") == "b")
    assert node["outputs"]["parameters"][0]["value"] == "true"
