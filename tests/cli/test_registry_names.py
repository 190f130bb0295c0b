"""Registry template names: cut with a hash when too long, and `registry build`/`push` refuse two
entries that would publish under one name (PF365)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyflow_argo.errors import PolyflowError
from polyflow_argo.registry import load_registries, template_ref_name
from polyflow_argo.registry.build import build_registry
from tests.apidouble import ApiDouble
from tests.cli.test_cluster_cli import cli, stored

LONG = "a-very-long-action-name-for-the-data-team"[:40]


def entry(name: str, version: str) -> str:
    return f"""\
kind: action
name: {name}
version: {version}
template:
  kind: job
  build: {{image: 'alpine:3.10'}}
  run: {{cmd: 'echo hi'}}
"""


def _registry(tmp_path: Path, *entries: tuple[str, str]) -> Path:
    root = tmp_path / "reg"
    root.mkdir()
    for i, (name, version) in enumerate(entries):
        (root / f"e{i}.yaml").write_text(entry(name, version))
    return root


def test_long_names_get_a_hash_and_stay_distinct(tmp_path: Path) -> None:
    reg = load_registries([_registry(tmp_path, (LONG, "1.10.0"), (LONG, "1.10.1"), ("notify", "1.0.0"))])
    names = {e.version: template_ref_name(e) for e in reg.entries.values()}
    assert names["1.0.0"] == "polyflow-action-notify-v1-0-0"  # short names are kept as they were
    assert names["1.10.0"] != names["1.10.1"]
    assert all(len(n) <= 63 and n[-1].isalnum() for n in names.values())
    assert names["1.10.0"].startswith("polyflow-action-a-very-long-action-name-for-")
    assert "-v1-10-0-" in names["1.10.0"]
    docs, _ = build_registry(reg)
    assert len({d["metadata"]["name"] for d in docs}) == 3


def test_build_refuses_two_entries_with_one_name(tmp_path: Path) -> None:
    reg = load_registries([_registry(tmp_path, ("notify", "1.0.0-rc1"), ("notify", "1.0.0+rc1"))])
    with pytest.raises(PolyflowError) as err:
        build_registry(reg)
    (d,) = err.value.errors
    assert d.code == "PF365" and "polyflow-action-notify-v1-0-0-rc1" in d.message and d.span is not None


def test_push_refuses_a_collision(api_double: ApiDouble, kubeconfig: Path, tmp_path: Path) -> None:
    root = _registry(tmp_path, ("notify", "1.0.0-rc.1"), ("notify", "1.0.0-rc-1"))
    res = cli("registry", "push", str(root), kubeconfig=kubeconfig)
    assert res.returncode != 0
    err = res.stderr
    assert "would both be published as WorkflowTemplate 'polyflow-action-notify-v1-0-0-rc-1'" in err
    assert stored(api_double, "workflowtemplates") == []
