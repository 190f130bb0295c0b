"""`template: {path: ...}`: relative to the naming file, inside the project, errors at the template
file's lines."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyflow_argo
from polyflow_argo import PolyflowError
from tests.support import errors

PIPELINE = """\
version: 1
kind: pipeline
name: p
ops:
  - {{name: a, template: {{path: {path}}}, params: {{lr: 0.1}}}}
  - {{name: b, template: {{path: {path}}}, params: {{lr: 0.2}}, dependencies: [a]}}
"""
TEMPLATE = """\
kind: job
name: trainer
inputs: [{name: lr, type: float}]
build: {image: busybox}
run: {cmd: 'train --lr={{ lr }}'}
"""


@pytest.fixture
def project_files() -> dict[str, str | None]:
    """The ``project`` fixture (tests/conftest.py) with a template file and a directory of pipelines."""
    return {"polyflow.yaml": "", "pipelines": None, "templates/trainer.yaml": TEMPLATE}


def test_path_template_compiles_and_is_shared(project: Path) -> None:
    p = project / "pipelines" / "p.yaml"
    p.write_text(PIPELINE.format(path="../templates/trainer.yaml"))
    (wf,) = polyflow_argo.compile(p)
    names = [t["name"] for t in wf["spec"]["templates"]]
    assert names == ["pipeline", "trainer"]  # both ops share one Argo template
    args = wf["spec"]["templates"][0]["dag"]["tasks"][1]["arguments"]["parameters"]
    assert {"name": "lr", "value": "0.2"} in args


def pipeline_naming(project: Path, path: str) -> Path:
    """pipelines/p.yaml, whose two ops name the template file ``path``."""
    p = project / "pipelines" / "p.yaml"
    p.write_text(PIPELINE.format(path=path))
    return p


def test_path_must_stay_in_the_project(project: Path) -> None:
    (project.parent / "outside.yaml").write_text(TEMPLATE)
    found = errors(pipeline_naming(project, "../../outside.yaml"), select="code where message")
    assert found[0][:2] == ("PF322", "p.yaml:5:32") and "leaves the project" in found[0][2]


def test_missing_template_file(project: Path) -> None:
    found = errors(pipeline_naming(project, "../templates/nope.yaml"), select="code where message")
    assert found[0][:2] == ("PF323", "p.yaml:5:32")


def test_errors_in_the_template_file_point_into_it(project: Path) -> None:
    (project / "templates" / "trainer.yaml").write_text(TEMPLATE.replace("float", "flaot"))
    (found,) = errors(pipeline_naming(project, "../templates/trainer.yaml"), select="code where message")
    assert found[:2] == ("PF207", "trainer.yaml:3:27") and "invalid value 'flaot' for `type`" in found[2]


def test_param_types_are_checked_against_the_file(project: Path) -> None:
    p = project / "pipelines" / "p.yaml"
    p.write_text(PIPELINE.format(path="../templates/trainer.yaml").replace("lr: 0.1", "lr: fast"))
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p)
    (err,) = info.value.errors
    assert err.span.file == str(p) and err.span.line == 5 and "'lr'" in err.message
