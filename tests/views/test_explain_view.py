"""`polyflow-argo explain`: the phases and final status come from the rules reference
(resolve/rules.py) applied to the resolved pipeline, for every pipeline and every outcome assignment
of the semantics suite; tests/semantics/test_argo_sim.py compares the same with argo-sim, and
tests/e2e/test_semantics.py with Argo's controller."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from polyflow_argo.cli import main
from polyflow_argo.cli.explain import OUTCOMES
from polyflow_argo.resolve.rules import RAN
from polyflow_argo.views.explain import UnknownName, explain, to_dict, to_json, to_text
from tests.semantics.test_argo_sim import CASES, PHASES, RUNNERS, Case, expected, pipeline_yaml
from tests.views.cases import resolve_text

ROOT = Path(__file__).resolve().parent.parent.parent
DIAMOND = str(ROOT / "examples" / "diamond.yaml")


def test_the_cli_offers_the_outcomes_of_the_rules() -> None:
    assert OUTCOMES == RAN


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_explain_agrees_with_the_rules_on_every_assignment(case: Case) -> None:
    """explain reads the rules' input from the resolved pipeline (rules.rule_ops); the semantics
    suite builds it by hand: both give the same phases and status for every assignment."""
    ir = resolve_text(pipeline_yaml(case))
    count = 0
    for combo in itertools.product(PHASES, PHASES, PHASES, PHASES, PHASES, ("Succeeded", "Failed")):
        for flag_b, flag_u in (("true", "true"), ("false", "false"), ("true", "false"), ("false", "true")):
            outcomes = dict(zip(RUNNERS, combo, strict=True))
            flags = {"a": "", "b": flag_b, "u1": flag_u, "u2": flag_u, "x": "", "y": ""}
            want, status = expected(case, outcomes, flags)
            said = explain(ir, outcomes, {n: {"flag": flags[n]} for n in RUNNERS})
            assert ({r.name: r.phase for r in said.ops}, said.status) == (want, status), (
                case.id,
                outcomes,
                flags,
            )
            count += 1
    assert count == 3**5 * 2 * 4


def test_each_op_says_the_rule_and_the_upstreams_that_decided_it() -> None:
    ir = resolve_text(pipeline_yaml(CASES[0]))  # x, y: all_succeeded; u2 runs only if b.flag == "true"
    said = {r.name: r for r in explain(ir, {"a": "Failed"}, {"b": {"flag": "false"}}).ops}
    assert (said["a"].phase, said["a"].reason, said["a"].upstream) == ("Failed", "root op", ())
    assert said["u1"].phase == "Omitted" and said["u1"].reason == "trigger all_succeeded not met (a failed)"
    assert said["u2"].phase == "Skipped" and said["u2"].reason == "condition on b is false"
    assert said["u2"].condition == 'if b.flag == "true"' and said["u2"].upstream == (("b", "succeeded"),)
    assert said["x"].upstream == (("u1", "upstream_failed"), ("u2", "skipped"))
    assert said["x"].phase == "Omitted"
    assert said["b"].outputs == (("flag", "false"),) and said["u1"].outputs == ()


def test_ops_not_given_succeed_and_the_status_is_judged_on_leaves() -> None:
    ir = resolve_text(pipeline_yaml(CASES[0]))
    e = explain(ir)
    assert e.status == "Succeeded" and e.leaves == ("y",) and e.outcomes == {}
    assert [r.phase for r in e.ops] == [
        "Succeeded",
        "Succeeded",
        "Succeeded",
        "Skipped",
        "Succeeded",
        "Succeeded",
    ]
    assert explain(ir, {"y": "Error"}).status == "Failed"


def test_unknown_ops_outputs_and_outcomes_are_refused_with_a_hint() -> None:
    ir = resolve_text(pipeline_yaml(CASES[0]))
    with pytest.raises(UnknownName, match="no op named 'uu1'") as exc:
        explain(ir, {"uu1": "Failed"})
    assert exc.value.hint == "did you mean 'u1'?"
    with pytest.raises(UnknownName, match="op 'b' has no output 'flg'") as exc:
        explain(ir, {}, {"b": {"flg": "true"}})
    assert exc.value.hint == "did you mean 'flag'?"
    with pytest.raises(ValueError, match="must be one of Succeeded, Failed, Error"):
        explain(ir, {"b": "Skipped"})


def test_text_and_json_say_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", DIAMOND, "--outcome", "branch-a=failed", "--outcome", "branch-b=Error"]) == 0
    text = capsys.readouterr().out
    assert (
        main(
            ["explain", DIAMOND, "--outcome", "branch-a=Failed", "--outcome", "branch-b=Error", "-o", "json"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "Succeeded" and data["leaves"] == ["cleanup"]
    assert data["outcomes"] == {"branch-a": "Failed", "branch-b": "Error"}
    ops = {o["name"]: o for o in data["ops"]}
    assert ops["report"]["phase"] == "Omitted" and not ops["report"]["ran"]
    assert ops["report"]["reason"] == "trigger all_succeeded not met (branch-b failed, branch-a failed)"
    assert ops["report"]["upstream"] == [
        {"op": "branch-b", "state": "failed"},
        {"op": "branch-a", "state": "failed"},
    ]
    assert (
        ops["alert-on-failure"]["phase"] == "Succeeded" and ops["alert-on-failure"]["trigger"] == "one_failed"
    )
    for o in data["ops"]:
        assert f"{o['name']:<16}  {o['phase']:<9}  " in text and o["reason"] in text
    assert "status: Succeeded (judged on the leaf ops: cleanup;" in text


def test_outputs_given_with_value_decide_outputs_conditions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.json"
    path.write_text(pipeline_yaml(CASES[0]))
    assert main(["explain", str(path), "--value", "b.flag=true", "-o", "json"]) == 0
    assert {o["name"]: o["phase"] for o in json.loads(capsys.readouterr().out)["ops"]}["u2"] == "Succeeded"
    assert main(["explain", str(path), "-o", "json"]) == 0  # not given: ""
    assert {o["name"]: o["phase"] for o in json.loads(capsys.readouterr().out)["ops"]}["u2"] == "Skipped"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--outcome", "branch-a"], "expected OP=Succeeded|Failed|Error, got 'branch-a'"),
        (["--outcome", "branch-a=Skipped"], "expected OP=Succeeded|Failed|Error, got 'branch-a=Skipped'"),
        (["--outcome", "brnch-a=Failed"], "no op named 'brnch-a' (did you mean 'branch-a'?)"),
        (["--outcome", "branch-a=Failed", "--outcome", "branch-a=Error"], "--outcome branch-a: given twice"),
        (["--value", "flag=1"], "expected OP.OUTPUT=VALUE, got 'flag=1'"),
        (
            ["--value", "prepare.flag=1"],
            "op 'prepare' has no output 'flag' (its template declares no outputs)",
        ),
        (["-o", "yaml"], "invalid choice: 'yaml'"),
    ],
)
def test_command_line_mistakes_exit_2_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", DIAMOND, *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and "Traceback" not in captured.err


def test_an_invalid_pipeline_exits_1_with_its_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nkind: pipeline\nops: [{name: a, template: {name: t}, trigger: one_failed}]\n"
        "templates: [{kind: job, name: t, build: {image: 'python:3.11-slim'}}]\n"
    )
    assert main(["explain", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "bad.yaml:3:" in captured.err and "PF340" in captured.err


def test_json_is_the_dict() -> None:
    e = explain(resolve_text(pipeline_yaml(CASES[0])), {"a": "Error"})
    assert json.loads(to_json(e)) == to_dict(e) and to_text(e).endswith("docs/semantics.md)\n")
