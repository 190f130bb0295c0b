"""`polyflow-argo registry build | list | show` and compile/lint with `--registry` (subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.support import cli

ROOT = Path(__file__).resolve().parents[2]


def test_registry_build_writes_templates(tmp_path: Path) -> None:
    res = cli("registry", "build", "examples/registry", "--out", str(tmp_path), "--cluster-scope")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "polyflow-action-notify-slack-v1-0-0.yaml",
        "polyflow-action-notify-slack-v1-1-0.yaml",
        "polyflow-event-wait-for-object-v0-1-0.yaml",
    ]
    doc = yaml.safe_load((tmp_path / "polyflow-action-notify-slack-v1-1-0.yaml").read_text())
    assert doc["kind"] == "ClusterWorkflowTemplate" and doc["spec"]["templates"][0]["name"] == "main"
    assert doc["metadata"]["labels"]["polyflow.io/registry-version"] == "1.1.0"


def test_registry_build_reports_every_bad_entry(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "kind: action\nname: Bad_Name\nversion: one\ntemplate: {kind: job, runn: 1}\n"
    )
    (tmp_path / "b.yaml").write_text("kind: action\nname: ok\nversion: 1.0.0\n"
                                     "template: {kind: job, build: {dockerfile: {image: x}}}\n")
    res = cli("registry", "build", str(tmp_path))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{tmp_path}/a.yaml:2:7: error PF361: registry name 'Bad_Name'" in res.stderr
    assert f"{tmp_path}/a.yaml:3:10: error PF360: version 'one' is not a version number" in res.stderr
    assert "did you mean 'run'?" in res.stderr
    assert f"{tmp_path}/b.yaml:4:" in res.stderr  # the dockerfile build, at the entry's own line


def test_registry_list_and_show_use_the_environment() -> None:
    env = {"POLYFLOW_REGISTRY": str(ROOT / "examples" / "registry")}
    res = cli("registry", "list", "-o", "json", env=env)
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert (
        rows["notify-slack"]["versions"] == ["1.0.0", "1.1.0"] and rows["wait-for-object"]["kind"] == "event"
    )
    res = cli("registry", "show", "notify-slack", env=env)
    assert res.returncode == 0
    assert "templateRef {name: polyflow-action-notify-slack-v1-1-0, template: main}" in res.stdout
    assert "input  emoji: str = ':robot_face:' (optional)" in res.stdout
    assert cli("registry", "show", "nope", env=env).returncode == 1


def test_compile_needs_the_registry() -> None:
    res = cli("compile", "examples/shared-templates.yaml", env={"POLYFLOW_REGISTRY": ""})
    assert res.returncode == 1
    assert "examples/shared-templates.yaml:14:23: error PF324: op 'wait-for-data' uses event " \
           "'wait-for-object', but no registry is configured" in res.stderr
    res = cli("compile", "examples/shared-templates.yaml", "--registry", "examples/registry")
    assert res.returncode == 0, res.stderr


def test_op_cannot_override_a_registry_action(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\nkind: pipeline\nops:\n"
                 "  - name: n\n    template: {action: notify-slack}\n    params: {channel: c, text: t}\n"
                 "    environment: {resources: {cpu: {requests: 1}}}\n")
    res = cli("compile", str(p), "--registry", "examples/registry")
    assert res.returncode == 1
    assert f"{p}:7:18: error PF446: op 'n' sets `environment`, but it uses action notify-slack:1.1.0" \
        in res.stderr
