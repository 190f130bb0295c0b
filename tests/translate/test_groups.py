"""Runtime templates: hyperparameter groups (fan-out shape, the best-trial step run for real,
errors, the inner DAG under argo-sim when trials fail) and ``environment.max_restarts``."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.errors import PolyflowError
from polyflow_argo.language.hptuning import HPTuning
from polyflow_argo.resolve import matrix
from polyflow_argo.translate.group import REDUCER
from tests.support import errors

PIPELINE = """\
version: 1
kind: pipeline
name: tune
ops:
  - {{name: search, template: {{name: g}}, params: {{epochs: 3}}}}
templates:
  - kind: group
    name: g
    inputs: [{{name: epochs, type: int}}]
    outputs: [{{name: loss, type: metric}}, {{name: model, type: str}}]
    hptuning:
{hptuning}
    build: {{image: 'python:3.11'}}
    run: {{cmd: 'train --lr={{{{ lr }}}} --layers={{{{ layers }}}} --epochs={{{{ epochs }}}}'}}
"""

GRID = "matrix:\n  lr: {values: [0.01, 0.1]}\n  layers: {range: [1, 4, 1]}\n"


def compile_group(hptuning: str) -> dict[str, Any]:
    text = PIPELINE.format(hptuning=textwrap.indent(textwrap.dedent(hptuning), "      "))
    (doc,) = polyflow_argo.compile(text)
    return {t["name"]: t for t in doc["spec"]["templates"]}


def test_grid_search_fans_out_every_suggestion_in_order() -> None:
    templates = compile_group("matrix:\n  lr: {values: [0.01, 0.1]}\n  layers: {range: [1, 4, 1]}\n")
    group = templates["g"]
    (trial,) = group["dag"]["tasks"]
    assert trial["template"] == "g-trial" and group["parallelism"] == 1  # Polyaxon's default concurrency
    expected = matrix.expand(
        HPTuning.model_validate({"matrix": {"lr": {"values": [0.01, 0.1]}, "layers": {"range": [1, 4, 1]}}})
    )
    assert trial["withItems"] == [{"lr": str(s["lr"]), "layers": str(s["layers"])} for s in expected]
    assert len(trial["withItems"]) == 6
    args = {p["name"]: p["value"] for p in trial["arguments"]["parameters"]}
    assert args == {
        "polyflow-op": "{{inputs.parameters.polyflow-op}}",
        "epochs": "{{inputs.parameters.epochs}}",
        "lr": "{{item.lr}}",
        "layers": "{{item.layers}}",
    }
    container = templates["g-trial"]["container"]
    assert container["args"] == [
        'train --lr="${POLYFLOW_PARAM_LR}" --layers="${POLYFLOW_PARAM_LAYERS}" '
        '--epochs="${POLYFLOW_PARAM_EPOCHS}"'
    ]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["POLYFLOW_PARAM_LR"] == "{{=replace(inputs.parameters['lr'], '$', '$$')}}"
    # matrix values are exported with their type: lr floats, layers ints (from the suggestions)
    assert "'lr': (trim(inputs.parameters['lr']) == '' ? nil : asFloat(" in env["POLYAXON_PARAMS"]
    assert "'layers': (trim(inputs.parameters['layers']) == '' ? nil : asInt(" in env["POLYAXON_PARAMS"]
    # Without hptuning.metric, each output is Argo's aggregation of the trials' values (a JSON list).
    assert group["outputs"]["parameters"] == [
        {"name": "loss", "valueFrom": {"parameter": "{{tasks.trial.outputs.parameters.loss}}"}},
        {"name": "model", "valueFrom": {"parameter": "{{tasks.trial.outputs.parameters.model}}"}},
    ]
    assert json.loads(group["metadata"]["annotations"]["polyflow.io/hptuning"]) == {
        "algorithm": "grid_search",
        "trials": 6,
    }


def test_random_search_is_seeded_concurrent_and_picks_the_best_trial() -> None:
    hp = """\
    concurrency: 3
    seed: 11
    metric: {name: loss, optimization: minimize}
    random_search: {n_experiments: 5}
    matrix:
      lr: {uniform: [0.001, 0.1]}
      layers: {values: [2, 4]}
    """
    first, second = compile_group(hp), compile_group(hp)
    assert first == second
    group = first["g"]
    assert group["parallelism"] == 3
    trial, best = group["dag"]["tasks"]
    assert len(trial["withItems"]) == 5
    assert best["depends"] == "trial" and best["template"] == "g-best"
    assert {p["name"]: p["value"] for p in best["arguments"]["parameters"]} == {
        "metric-name": "loss",
        "optimization": "minimize",
        "loss": "{{tasks.trial.outputs.parameters.loss}}",
        "model": "{{tasks.trial.outputs.parameters.model}}",
    }
    outputs = {p["name"]: p["valueFrom"]["parameter"] for p in group["outputs"]["parameters"]}
    assert outputs == {
        "loss": "{{tasks.best.outputs.parameters.loss}}",
        "model": "{{tasks.best.outputs.parameters.model}}",
        "best-index": "{{tasks.best.outputs.parameters.best-index}}",
    }
    assert first["g-best"]["script"]["image"] == "python:3.12-alpine"
    assert json.loads(group["metadata"]["annotations"]["polyflow.io/hptuning"])["seed"] == 11


def run_reducer(
    tmp_path: Path, optimization: str, outputs: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "POLYFLOW_METRIC_NAME": "loss",
        "POLYFLOW_OPTIMIZATION": optimization,
        "POLYFLOW_OUTPUTS_DIR": str(tmp_path),
        "POLYFLOW_OUTPUT_NAMES": json.dumps(list(outputs)),
    }
    env.update({f"POLYFLOW_OUTPUT_{i}": json.dumps(v) for i, v in enumerate(outputs.values())})
    return subprocess.run(
        [sys.executable, "-c", REDUCER], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    ("optimization", "losses", "index"),
    [
        ("minimize", ["0.5", "0.2", "0.9"], 1),
        ("maximize", ["0.5", "0.2", "0.9"], 2),
        ("minimize", [0.3, 0.1, 0.1], 1),  # ties go to the earliest trial; numbers or strings alike
        ("maximize", ["", "nan", "7", "oops"], 2),  # a trial that wrote no number is ignored
        ("minimize", ["1e-3", "-2", "3"], 1),
    ],
)
def test_best_step_picks_the_trial_by_the_metric(
    tmp_path: Path, optimization: str, losses: list[Any], index: int
) -> None:
    models = [f"s3://m/{i}" for i in range(len(losses))]
    done = run_reducer(tmp_path, optimization, {"loss": losses, "model": models})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "best-index").read_text() == str(index)
    assert (tmp_path / "model").read_text() == models[index]
    assert float((tmp_path / "loss").read_text()) == float(losses[index])


def test_best_step_fails_when_no_trial_wrote_the_metric(tmp_path: Path) -> None:
    done = run_reducer(tmp_path, "maximize", {"loss": ["", ""], "model": ["a", "b"]})
    assert done.returncode != 0 and "no trial wrote a number to its output loss" in done.stderr


@pytest.mark.parametrize(
    ("hptuning", "code", "line"),
    [
        (
            "hyperband: {max_iter: 10, eta: 3, resource: {name: steps, type: int}, metric: {name: loss}}\n"
            + GRID,
            "PF370",
            10,
        ),
        ("bo: {n_initial_trials: 2, n_iterations: 3, metric: {name: loss}}\n" + GRID, "PF371", 10),
        ("early_stopping: [{metric: loss, value: 0.1}]\n" + GRID, "PF372", 10),
        ("random_search: {}\n" + GRID, "PF374", 10),
        ("metric: {name: accuracy}\n" + GRID, "PF482", 10),
        ("matrix:\n  epochs: {values: [1, 2]}\n", "PF481", 11),
        ("grid_search: {n_experiments: 20000}\nmatrix:\n  lr: {range: [0, 100000, 1]}\n", "PF375", 10),
    ],
)
def test_what_cannot_be_expanded_is_an_error_at_its_line(hptuning: str, code: str, line: int) -> None:
    found = errors(hptuning, select="code line", severity=None, compile=compile_group)  # warnings too
    assert code in [c for c, _ in found], found
    assert dict(found)[code] >= line


def test_a_group_without_hptuning_is_an_error() -> None:
    text = PIPELINE.replace("    hptuning:\n{hptuning}\n", "").format()
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(text)
    assert [d.code for d in err.value.diagnostics] == ["PF480"]


@pytest.mark.argosim
def test_inner_dag_under_argo_sim_every_trial_outcome(argo_sim: Path) -> None:
    """The group succeeds, and the best step runs, only when every trial succeeded."""
    group = compile_group("metric: {name: loss, optimization: maximize}\n" + GRID)["g"]
    tasks = [{k: v for k, v in t.items() if k in ("name", "depends")} for t in group["dag"]["tasks"]]
    for children in itertools.product(["Succeeded", "Failed", "Error"], repeat=3):
        payload = {
            "failFast": False,
            "tasks": [{**tasks[0], "children": list(children)}, tasks[1]],
            "outcomes": {},
        }
        out = subprocess.run(
            [str(argo_sim)], input=json.dumps(payload), capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout)
        ok = all(c == "Succeeded" for c in children)
        assert result["phases"]["best"] == ("Succeeded" if ok else "Omitted"), (children, result)
        assert (result["dag"] == "Succeeded") == ok, (children, result)


RESTARTS = """\
version: 1
kind: pipeline
ops:
  - {name: a, template: {name: t}%s}
templates:
  - {kind: job, name: t, environment: {max_restarts: 2}, build: {image: 'python:3.11'}, run: {cmd: 'true'}}
"""


def test_max_restarts_retries_a_failed_container_unless_max_retries_says_more() -> None:
    (doc,) = polyflow_argo.compile(RESTARTS % "")
    template = next(t for t in doc["spec"]["templates"] if t["name"] == "t")
    assert template["retryStrategy"] == {"limit": "2", "retryPolicy": "OnFailure"}
    docs, warnings = polyflow_argo.compiler.compile_with_warnings([RESTARTS % ", max_retries: 1"])
    template = next(t for t in docs[0]["spec"]["templates"] if t["name"] == "t")
    assert template["retryStrategy"]["limit"] == "1" and template["retryStrategy"]["retryPolicy"] == "Always"
    assert [(w.code, w.span.line if w.span else 0) for w in warnings] == [("PF402", 6)]
