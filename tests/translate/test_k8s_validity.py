"""Kubernetes validity before submit (translate/k8s.py): what the API server or Argo would reject is
a compile error at its line, or a repaired value; and a literal `{{`/`}}` anywhere is refused."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.errors import PolyflowError
from polyflow_argo.translate.k8s import label_key_problem, label_value_problem
from polyflow_argo.translate.names import DISPLAY_NAME, LABEL_VALUE
from tests.support import errors

PIPELINE = """\
version: 1
kind: pipeline
name: demo
ops:
  - name: train
    template: {name: t}
templates:
  - kind: job
    name: t
    environment:
%s
    build: {image: 'python:3.11'}
    run: {cmd: 'true'}
"""


def _text(environment: str) -> str:
    return PIPELINE % "\n".join("      " + line for line in environment.splitlines())


def _template(environment: str, **options: Any) -> dict[str, Any]:
    (doc,) = polyflow_argo.compile(_text(environment), **options)
    return next(t for t in doc["spec"]["templates"] if t["name"] == "t")


# (code, line, message) of each error of a pipeline text, and (code, line) of each error of an
# `environment` in PIPELINE; every one of them must have a place and a hint
_errors = partial(errors, require=("span", "hint"))
_codes = partial(errors, select="code line", require=("span", "hint"), compile=_template)


# --- resources -----------------------------------------------------------------------------------


def test_a_request_only_gpu_gets_its_limit() -> None:
    assert _template("resources: {gpu: {requests: 2}, tpu: {requests: 1}}")["container"]["resources"] == {
        "requests": {"nvidia.com/gpu": "2", "cloud-tpus.google.com/v2": "1"},
        "limits": {"nvidia.com/gpu": "2", "cloud-tpus.google.com/v2": "1"},
    }


@pytest.mark.parametrize(
    "resources, code",
    [
        ("{gpu: {requests: 1, limits: 2}}", "PF456"),  # extended: request must equal limit
        ("{gpu: {limits: 0.5}}", "PF455"),  # whole devices
        ("{tpu: {requests: 1.5}}", "PF455"),
        ("{cpu: {requests: 2, limits: 1}}", "PF456"),  # request > limit
        ("{memory: {requests: 512, limits: 256}}", "PF456"),
        ("{cpu: {requests: -1}}", "PF455"),  # positive
        ("{memory: {limits: 0}}", "PF455"),
        ("{cpu: {requests: 0.0001}}", "PF455"),  # below 1m: would be "0m"
        ("{memory: {requests: 0.0001}}", "PF455"),  # below 1Ki
    ],
)
def test_invalid_quantities_are_errors_at_their_line(resources: str, code: str) -> None:
    assert _codes(f"resources: {resources}") == [(code, 11)]


def test_the_configured_gpu_name_is_checked_too(tmp_path: Any) -> None:
    project = tmp_path / "polyflow.yaml"
    project.write_text("version: 1\nresources: {gpu: amd.com/gpu}\n")
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(_text("resources: {gpu: {requests: 1, limits: 3}}"), project=str(project))
    (d,) = err.value.errors
    assert d.code == "PF456" and "amd.com/gpu" in d.message
    res = _template("resources: {gpu: {requests: 1}}", project=str(project))["container"]["resources"]
    assert res == {"requests": {"amd.com/gpu": "1"}, "limits": {"amd.com/gpu": "1"}}


def test_valid_quantities_still_compile() -> None:
    res = _template("resources: {cpu: {requests: 0.5, limits: 1}, memory: {requests: 256, limits: 256}, "
                    "gpu: {requests: 1, limits: 1}}")["container"]["resources"]
    assert res["requests"] == {"cpu": "500m", "memory": "256Mi", "nvidia.com/gpu": "1"}


def test_op_level_resources_point_at_the_op() -> None:
    text = _text("resources: {cpu: {requests: 1}}").replace(
        "    template: {name: t}\n",
        "    template: {name: t}\n    environment: {resources: {gpu: {requests: 1, limits: 2}}}\n", 1)
    assert [(c, line) for c, line, _ in _errors(text)] == [("PF456", 7)]


def test_replica_resources_are_checked() -> None:
    text = """\
version: 1
kind: pipeline
ops:
  - {name: train, template: {name: t}}
templates:
  - kind: experiment
    name: t
    build: {image: 'tensorflow/tensorflow:1.14.0'}
    run: {cmd: 'python train.py'}
    framework: tensorflow
    environment:
      replicas:
        n_workers: 2
        default_worker: {resources: {gpu: {requests: 1, limits: 2}}}
"""
    try:
        polyflow_argo.compile(text)
    except PolyflowError as exc:
        assert ("PF456", 14) in [(d.code, d.span.line if d.span else 0) for d in exc.errors]
    else:
        pytest.fail("a replica's request != limit compiled")


# --- labels and annotations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "environment",
    [
        "labels: {team: ml ops}",  # a space
        "labels: {team: " + "a" * 70 + "}",  # > 63
        "labels: {Team: ml ops}",
        "labels: {'bad key': x}",
        "labels: {'example.com/': x}",
        "labels: {'Example.com/x': x}",
        "labels: {team: 'ops-'}",
        "node_selector: {disk: 'fast ssd'}",
    ],
)
def test_invalid_labels_are_errors(environment: str) -> None:
    assert _codes(environment) == [("PF457", 11)]


def test_valid_labels_compile() -> None:
    t = _template("labels: {team: ml-ops, example.com/tier: gold, empty: ''}")
    assert t["metadata"]["labels"]["team"] == "ml-ops"


def test_annotations_keys_and_size() -> None:
    assert _codes("annotations: {'bad key!': x}") == [("PF458", 11)]
    big = "x" * (256 * 1024)
    assert _codes(f"annotations: {{note: {big}}}") == [("PF458", 11)]
    assert _template("annotations: {note: 'free text, with spaces'}")["metadata"]["annotations"] == {
        "note": "free text, with spaces"
    }


def test_object_names_are_checked() -> None:
    assert _codes("service_account: Bad_SA") == [("PF459", 11)]
    assert _codes("secret_refs: [ok, 'Not OK']") == [("PF459", 11)]


def test_label_rules() -> None:
    assert label_key_problem("polyflow.io/op") is None
    assert label_key_problem("a" * 64)
    assert label_value_problem("") is None
    assert label_value_problem("-x")


# --- polyflow.io/op and the display name -------------------------------------------------------

SHARED = """\
version: 1
kind: pipeline
ops:
  - {name: Train, template: {name: t}}
  - {name: b, template: {name: t}}
  - {name: c-, template: {name: t}}
  - {name: Other, template: {name: u}}
templates:
  - {kind: job, name: t, build: {image: busybox}, run: {cmd: echo hi}}
  - {kind: job, name: u, build: {image: busybox}, run: {cmd: echo hi}}
"""


def _op_values(wf: dict[str, Any]) -> dict[str, str]:
    return {
        t["name"]: next(p["value"] for p in t["arguments"]["parameters"] if p["name"] == "polyflow-op")
        for t in wf["spec"]["templates"][0]["dag"]["tasks"]
    }


def test_display_name_only_where_every_op_of_the_template_has_a_valid_one() -> None:
    (wf,) = polyflow_argo.compile(SHARED)
    by_name = {t["name"]: t for t in wf["spec"]["templates"]}
    # `b` (one character) would be an invalid display name: Argo v4 would put its node in Error
    assert "annotations" not in by_name["t"]
    assert by_name["u"]["annotations"] == {
        "workflows.argoproj.io/display-name": "{{inputs.parameters.polyflow-op}}"
    }
    values = _op_values(wf)
    assert DISPLAY_NAME.match(values["other"])


def test_op_label_is_a_valid_label_value_for_every_op() -> None:
    (wf,) = polyflow_argo.compile(SHARED)
    values = _op_values(wf)
    assert values["c-"] == "c"  # `c-` ends in '-': not a label value
    assert all(LABEL_VALUE.match(v) and len(v) <= 63 for v in values.values())


# --- `{{` anywhere ------------------------------------------------------------------------------

BRACES = """\
version: 1
kind: pipeline
name: demo
tags: [nightly, '{{ t }}']
ops:
  - name: a
    template: {name: t}
  - name: b
    template: {name: t}
    dependencies: [a]
    conditions: {kind: outputs, op: a, exp: eq, params: [[x, '{{ y }}']]}
    environment: {service_account: '{{ sa }}'}
templates:
  - kind: job
    name: t
    outputs: [{name: x, type: str}]
    environment:
      labels: {team: '{{ team }}'}
      annotations: {note: 'a {{ b }} c'}
      node_selector: {'{{ k }}': v}
    build: {image: 'python:{{tag}}'}
    run: {cmd: 'echo {{ x }}'}
"""


def test_literal_braces_are_refused_wherever_they_land() -> None:
    found = {(code, line) for code, line, _ in _errors(BRACES) if code == "PF432"}
    assert found == {("PF432", line) for line in (4, 11, 12, 18, 19, 20, 21)}


def test_braces_in_params_and_run_cmd_keep_their_own_checks() -> None:
    codes = {code for code, _, _ in _errors(BRACES)}
    assert "PF432" in codes
    # run.cmd's `{{ x }}` is a Jinja tag (x is no input: PF435), never PF432 at its line
    assert ("PF432", 22) not in {(c, line) for c, line, _ in _errors(BRACES)}
