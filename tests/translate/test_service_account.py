"""The workflow's ServiceAccount (`--service-account`, `service_account` in polyflow.yaml) becomes
`spec.serviceAccountName`: the agent pod of event ops mounts that account's token (docs/chart.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

import polyflow_argo
from polyflow_argo.errors import PolyflowError
from tests.support import cli

PIPELINE = """\
version: 1
kind: pipeline
name: demo
ops:
  - {name: a, template: {name: t}}
templates:
  - {kind: job, name: t, build: {image: busybox}, run: {cmd: 'true'}}
"""
SCHEDULED = PIPELINE.replace(
    "name: demo\n", "name: demo\nschedule: {kind: cron, cron: '0 3 * * *', depends_on_past: true}\n"
)


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(PIPELINE)
    return path


def test_no_account_by_default(pipeline: Path) -> None:
    (wf,) = polyflow_argo.compile(str(pipeline))
    assert "serviceAccountName" not in wf["spec"]


def test_the_option_sets_it(pipeline: Path) -> None:
    (wf,) = polyflow_argo.compile(str(pipeline), service_account="polyflow-workflow")
    assert wf["spec"]["serviceAccountName"] == "polyflow-workflow"


def test_the_project_config_sets_it_and_the_flag_wins(pipeline: Path) -> None:
    (pipeline.parent / "polyflow.yaml").write_text("version: 1\nservice_account: default\n")
    (wf,) = polyflow_argo.compile(str(pipeline))
    assert wf["spec"]["serviceAccountName"] == "default"
    (wf,) = polyflow_argo.compile(str(pipeline), service_account="other")
    assert wf["spec"]["serviceAccountName"] == "other"


def test_an_invalid_project_value_is_an_error_at_its_line(pipeline: Path) -> None:
    (pipeline.parent / "polyflow.yaml").write_text("version: 1\nservice_account: Not_Valid\n")
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(str(pipeline))
    (d,) = err.value.errors
    assert d.code == "PF284" and d.span is not None and d.span.line == 2


def test_an_invalid_option_is_an_error(pipeline: Path) -> None:
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(str(pipeline), service_account="Bad_Name")
    assert [d.code for d in err.value.errors] == ["PF459"]


def test_cron_and_backfill_runs_carry_it(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCHEDULED)
    (cron,) = polyflow_argo.compile(str(path), service_account="polyflow-workflow")
    assert cron["spec"]["workflowSpec"]["serviceAccountName"] == "polyflow-workflow"
    from polyflow_argo.compiler import backfill
    from polyflow_argo.translate import CompileOptions

    start, end = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 1, 2, 4, tzinfo=timezone.utc)
    runs, _ = backfill(str(path), start, end, CompileOptions(service_account="polyflow-workflow"))
    assert len(runs) == 2 and all(r["spec"]["serviceAccountName"] == "polyflow-workflow" for r in runs)


def test_cli_flag(pipeline: Path) -> None:
    res = cli("compile", str(pipeline), "--service-account", "default")
    assert res.returncode == 0, res.stderr
    assert yaml.safe_load(res.stdout)["spec"]["serviceAccountName"] == "default"
    res = cli("compile", str(pipeline), "--service-account", "Bad_Name")
    assert res.returncode == 2 and "not a ServiceAccount name" in res.stderr
