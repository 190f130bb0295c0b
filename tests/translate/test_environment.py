"""Environment fields that need the project config: data/artifact volumes and gpu/tpu resource names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.errors import PolyflowError

PIPELINE = """\
version: 1
kind: pipeline
ops:
  - name: train
    template: {name: t}
templates:
  - kind: job
    name: t
    outputs: [{name: model, type: str}]
    environment:
%s
    build: {image: 'python:3.11'}
    run: {cmd: 'true'}
"""

PROJECT = """\
version: 1
data:
  imagenet: {claim: datasets, sub_path: imagenet}
  scratch: {claim: scratch-pvc, mount_path: /scratch, read_only: false}
artifacts:
  models: {claim: model-store}
resources: {gpu: amd.com/gpu}
"""


def template(environment: str, project: Path | None) -> dict[str, Any]:
    """The compiled template ``t``, with the config of the project directory ``project`` if any."""
    text = PIPELINE % "\n".join("      " + line for line in environment.splitlines())
    options = {"project": str(project / "polyflow.yaml")} if project else {}
    (doc,) = polyflow_argo.compile(text, **options)
    return next(t for t in doc["spec"]["templates"] if t["name"] == "t")


@pytest.fixture
def project_files() -> dict[str, str]:
    """The ``project`` fixture (tests/conftest.py) with this module's config."""
    return {"polyflow.yaml": PROJECT}


def test_data_and_artifact_refs_mount_the_project_claims(project: Path) -> None:
    t = template("data_refs: [imagenet, scratch]\nartifact_refs: [models]", project)
    assert t["volumes"] == [
        {"name": "polyflow-outputs", "emptyDir": {}},
        {"name": "data-imagenet", "persistentVolumeClaim": {"claimName": "datasets", "readOnly": True}},
        {"name": "data-scratch", "persistentVolumeClaim": {"claimName": "scratch-pvc"}},
        {"name": "artifacts-models", "persistentVolumeClaim": {"claimName": "model-store"}},
    ]
    assert t["container"]["volumeMounts"] == [
        {"name": "polyflow-outputs", "mountPath": "/polyflow/outputs"},
        {"name": "data-imagenet", "mountPath": "/data/imagenet", "subPath": "imagenet", "readOnly": True},
        {"name": "data-scratch", "mountPath": "/scratch"},
        {"name": "artifacts-models", "mountPath": "/artifacts/models"},
    ]


def test_deprecated_persistence_mounts_like_the_refs(project: Path) -> None:
    t = template("persistence: {data: [imagenet], outputs: models}", project)
    assert [v["name"] for v in t["volumes"]] == ["polyflow-outputs", "data-imagenet", "artifacts-models"]


def test_unknown_ref_is_an_error_with_did_you_mean(project: Path) -> None:
    with pytest.raises(PolyflowError) as err:
        template("data_refs: [imagenett]", project)
    (d,) = err.value.diagnostics
    assert d.code == "PF483" and "'imagenett'" in d.message and "imagenet" in (d.hint or "")


def test_refs_without_a_project_config_say_where_to_declare_them() -> None:
    with pytest.raises(PolyflowError) as err:
        template("artifact_refs: [models]", None)
    (d,) = err.value.diagnostics
    assert (
        d.code == "PF483" and "polyflow.yaml" in (d.hint or "") and d.span is not None and d.span.line == 11
    )


def test_gpu_resource_name_comes_from_the_project(project: Path, tmp_path: Path) -> None:
    env = "resources: {gpu: {requests: 2, limits: 2}}"
    assert template(env, None)["container"]["resources"] == {
        "requests": {"nvidia.com/gpu": "2"},
        "limits": {"nvidia.com/gpu": "2"},
    }
    assert template(env, project)["container"]["resources"] == {
        "requests": {"amd.com/gpu": "2"},
        "limits": {"amd.com/gpu": "2"},
    }
