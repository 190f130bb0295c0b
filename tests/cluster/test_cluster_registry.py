"""In-cluster registries: compile reads the entries `registry push` published (registry/cluster.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import polyflow_argo
from polyflow_argo import Client
from polyflow_argo.compiler import compile_with_warnings
from polyflow_argo.errors import PolyflowError
from tests.apidouble import ApiDouble
from tests.support import cli

ROOT = Path(__file__).resolve().parent.parent.parent
PIPELINE = ROOT / "examples" / "shared-templates.yaml"
REGISTRY = ROOT / "examples" / "registry"


@pytest.fixture
def pushed(api_double: ApiDouble, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> ApiDouble:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("POLYFLOW_REGISTRY", raising=False)
    client = Client(namespace="ml", kubeconfig=str(kubeconfig))
    try:
        client.push_registry([str(REGISTRY)])
    finally:
        client.close()
    return api_double


def test_compile_from_the_cluster_equals_compile_from_the_directory(pushed: ApiDouble) -> None:
    local = polyflow_argo.compile(str(PIPELINE), registries=(str(REGISTRY),))
    in_cluster = polyflow_argo.compile(str(PIPELINE), registries=("cluster:ml",))
    assert in_cluster == local
    published = pushed.objects("workflowtemplates", "ml")
    assert published and all("polyflow.io/definition" in t["metadata"]["annotations"] for t in published)


def test_params_are_checked_against_the_published_definition(pushed: ApiDouble) -> None:
    text = """\
version: 1
kind: pipeline
ops:
  - {name: notify, template: {action: notify-slack}, params: {channel: '#ml', text: hi, not_an_input: 1}}
"""
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(text, registries=("cluster:ml",))
    (d,) = [d for d in err.value.diagnostics if d.severity == "error"]
    assert "not_an_input" in d.message and d.span is not None and d.span.line == 4


def test_a_template_without_its_definition_is_a_warning(pushed: ApiDouble) -> None:
    for t in pushed.objects("workflowtemplates", "ml"):  # as published by a version that did not store it
        pushed.patch(
            "workflowtemplates",
            "ml",
            t["metadata"]["name"],
            {"metadata": {"annotations": {"polyflow.io/definition": None}}},
        )
    with pytest.raises(PolyflowError) as err:
        compile_with_warnings([str(PIPELINE)], polyflow_argo.CompileOptions(registries=("cluster:ml",)))
    codes = [d.code for d in err.value.diagnostics]
    assert "PF364" in codes  # said why the published entries were not used


def test_an_unreachable_cluster_is_reported_with_the_registry_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(str(PIPELINE), registries=("cluster:ml",))
    messages = [d.message for d in err.value.diagnostics]
    assert any(m.startswith("registry cluster:ml: ") for m in messages), json.dumps(messages)


def test_registry_list_reads_the_cluster_too(pushed: ApiDouble, kubeconfig: Path) -> None:
    res = cli("registry", "list", "--registry", "cluster:ml", kubeconfig=kubeconfig)
    assert res.returncode == 0, res.stderr
    assert "notify-slack" in res.stdout and "wait-for-object" in res.stdout
