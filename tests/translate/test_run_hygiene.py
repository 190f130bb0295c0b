"""Run hygiene (issue 17): activeDeadlineSeconds, ttlStrategy and podGC from polyflow.yaml (and its
`pipelines:` entry) or the flags, in the Workflow, the CronWorkflow's workflowSpec and backfill runs;
nothing emitted when unset; bad values are PF286/PF287 at their line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.cli import main
from polyflow_argo.errors import PolyflowError
from polyflow_argo.translate.check import hera_round_trip, schema_errors
from tests.translate.test_service_account import PIPELINE  # one job, a busybox build

SCHEDULED = PIPELINE.replace("name: demo\n", "name: demo\nschedule: {kind: cron, cron: '0 3 * * *'}\n")
PROJECT = """\
active_deadline_seconds: 3600
ttl: {seconds_after_success: 60, seconds_after_failure: 86400}
pod_gc: {strategy: OnPodSuccess, delete_delay_duration: 30s}
pipelines:
  demo: {ttl: {seconds_after_success: 10}}
"""
EXPECTED = {
    "activeDeadlineSeconds": 3600,
    "ttlStrategy": {"secondsAfterSuccess": 10, "secondsAfterFailure": 86400},
    "podGC": {"strategy": "OnPodSuccess", "deleteDelayDuration": "30s"},
}
KEYS = ("activeDeadlineSeconds", "ttlStrategy", "podGC")


def _hygiene(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in KEYS if k in spec}


def _write(tmp_path: Path, pipeline: str = PIPELINE, project: str | None = PROJECT) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(pipeline)
    if project is not None:
        (tmp_path / "polyflow.yaml").write_text(project)
    return path


def test_nothing_is_emitted_when_unset(tmp_path: Path) -> None:
    (wf,) = polyflow_argo.compile(str(_write(tmp_path, project=None)))
    assert _hygiene(wf["spec"]) == {}  # type: ignore[index]


def test_project_config_with_a_pipeline_override(tmp_path: Path) -> None:
    (wf,) = polyflow_argo.compile(str(_write(tmp_path)))
    assert _hygiene(wf["spec"]) == EXPECTED  # type: ignore[index]


def test_cron_workflow_spec_and_backfill_runs(tmp_path: Path) -> None:
    path = _write(tmp_path, SCHEDULED)
    (cron,) = polyflow_argo.compile(str(path))
    assert _hygiene(cron["spec"]["workflowSpec"]) == EXPECTED  # type: ignore[index]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    docs, _ = polyflow_argo.compiler.backfill(str(path), start, start.replace(day=2))
    runs = [d for d in docs if d["kind"] == "Workflow"]
    assert len(runs) == 1 and _hygiene(runs[0]["spec"]) == EXPECTED  # type: ignore[arg-type]


def test_flags_lay_over_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path)
    argv = ["compile", str(path), "-o", "json", "--active-deadline-seconds", "7200", "--ttl-after-completion",
            "5", "--pod-gc", "OnWorkflowCompletion"]
    assert main(argv) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    wf = out[0] if isinstance(out, list) else out
    assert _hygiene(wf["spec"]) == {
        "activeDeadlineSeconds": 7200,
        "ttlStrategy": {"secondsAfterCompletion": 5, "secondsAfterSuccess": 10, "secondsAfterFailure": 86400},
        "podGC": {"strategy": "OnWorkflowCompletion", "deleteDelayDuration": "30s"},
    }


def test_flags_alone(tmp_path: Path) -> None:
    (wf,) = polyflow_argo.compile(str(_write(tmp_path, project=None)), ttl_after_failure=0,
                                  pod_gc="OnPodCompletion", pod_gc_delete_delay="1h30m")
    assert _hygiene(wf["spec"]) == {  # type: ignore[index]
        "ttlStrategy": {"secondsAfterFailure": 0},
        "podGC": {"strategy": "OnPodCompletion", "deleteDelayDuration": "1h30m"},
    }


@pytest.mark.parametrize(
    ("project", "code", "line"),
    [
        ("active_deadline_seconds: 0\n", "PF286", 1),
        ("version: 1\nttl: {seconds_after_success: '60'}\n", "PF286", 2),
        ("ttl: {seconds_after_failure: 2147483648}\n", "PF286", 1),
        ("ttl: {seconds_after_failure: true}\n", "PF286", 1),
        ("version: 1\n\npod_gc: {strategy: Always}\n", "PF287", 3),
        ("pod_gc: {strategy: OnPodSuccess, delete_delay_duration: 5 minutes}\n", "PF287", 1),
    ],
)
def test_bad_values_are_errors_at_their_line(tmp_path: Path, project: str, code: str, line: int) -> None:
    with pytest.raises(PolyflowError) as exc:
        polyflow_argo.compile(str(_write(tmp_path, project=project)))
    (diag,) = exc.value.diagnostics
    assert (diag.code, diag.span.file.endswith("polyflow.yaml") if diag.span else None) == (code, True)
    assert diag.span is not None and diag.span.line == line


def test_bad_values_through_the_api_are_errors_too(tmp_path: Path) -> None:
    with pytest.raises(PolyflowError) as exc:
        polyflow_argo.compile(str(_write(tmp_path, project=None)), active_deadline_seconds=-1,
                              pod_gc_delete_delay="30s")
    codes = sorted(d.code for d in exc.value.errors)
    assert codes == ["PF287"]  # --pod-gc-delete-delay without a strategy: the first problem found
    assert all(d.span is not None and d.span.file == "<command line>" for d in exc.value.errors)
    with pytest.raises(PolyflowError) as exc:
        polyflow_argo.compile(str(_write(tmp_path, project=None)), active_deadline_seconds=-1)
    (diag,) = exc.value.errors
    assert diag.code == "PF286" and diag.message.startswith("--active-deadline-seconds: ")


@pytest.mark.parametrize("flag", [["--active-deadline-seconds", "0"], ["--ttl-after-success", "-1"],
                                  ["--pod-gc", "Never"], ["--pod-gc-delete-delay", "soon"]])
def test_bad_flags_are_usage_errors(tmp_path: Path, flag: list[str]) -> None:
    assert main(["compile", str(_write(tmp_path, project=None)), *flag]) == 2


def test_the_output_matches_argo(tmp_path: Path, argo_schema: Path) -> None:
    for doc in polyflow_argo.compile(str(_write(tmp_path, SCHEDULED))):
        assert schema_errors(doc, argo_schema) == []  # type: ignore[arg-type]


def test_hera_reads_the_fields_back(tmp_path: Path) -> None:
    """Hera's models are generated from Argo's schema: no key dropped, the types read back."""
    for doc in polyflow_argo.compile(str(_write(tmp_path, SCHEDULED))):
        assert hera_round_trip(doc) == []  # type: ignore[arg-type]
