"""The cluster commands as a user runs them: ``python -m polyflow_argo ...`` subprocesses with ``KUBECONFIG``
pointing at the API double (tests/apidouble), or ``--argo-server URL`` + ``ARGO_TOKEN``. Every command, every
error a user meets (exit 3 with a PF6xx diagnostic and a hint, never a traceback), the watch transcript of
a failing, retried run, and an idempotent submit across a dropped connection."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import polyflow_argo
from polyflow_argo.cluster.watch import clock
from tests import support
from tests.apidouble import ApiDouble, node_id
from tests.cluster.test_watch import FLAKY, SCHEDULED, flaky_workflow, story, transcript

ROOT = Path(__file__).resolve().parent.parent.parent
NS = "ml"
ACTION = """\
kind: action
name: notify
version: 1.0.0
description: say something
template:
  kind: job
  inputs: [{name: text, type: str}]
  build: {image: 'alpine:3.10'}
  run: {cmd: 'echo {{ text }}'}
"""


# retries that do not slow the tests down (the double answers at once)
FAST_RETRIES = {"POLYFLOW_RETRY_BACKOFF": "0.01", "POLYFLOW_RETRY_MAX_WAIT": "0.05"}


def cli(*args: str, kubeconfig: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """tests/support.py's runner, blind to this machine's cluster settings, with fast retries."""
    return support.cli(*args, isolated=True, kubeconfig=kubeconfig, env={**FAST_RETRIES, **(env or {})},
                       timeout=timeout)


def popen(*args: str, kubeconfig: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*support.CLI, *args],
        cwd=ROOT,
        env={**support.isolated_env(), **FAST_RETRIES, "KUBECONFIG": str(kubeconfig)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def watching(double: ApiDouble) -> bool:
    return any(r.param("watch") for r in double.requests_to("GET", r"/namespaces/ml/workflows$"))


ERROR_LINE = re.compile(r"^error(?: PF\d{3})?: ")  # with or without the code after "error"


def error_of(res: subprocess.CompletedProcess[str], code: int = 3) -> str:
    """stderr of a failed command: only ``note:`` lines and ``error:`` diagnostics, ending with one."""
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.splitlines()
    assert (
        lines
        and ERROR_LINE.match(lines[-1])
        and all(x.startswith("note: ") or ERROR_LINE.match(x) for x in lines)
    ), res.stderr
    return res.stderr


@pytest.fixture
def flaky(tmp_path: Path) -> Path:
    path = tmp_path / "flaky.yaml"
    path.write_text(FLAKY)
    return path


@pytest.fixture
def scheduled(tmp_path: Path) -> Path:
    path = tmp_path / "nightly.yaml"
    path.write_text(SCHEDULED)
    return path


def stored(double: ApiDouble, kind: str = "workflows") -> list[dict[str, Any]]:
    return double.objects(kind, NS)


# ---------------------------------------------------------------- submit, watch


def test_submit_creates_one_labelled_workflow(api_double: ApiDouble, kubeconfig: Path, flaky: Path) -> None:
    res = cli("submit", str(flaky), kubeconfig=kubeconfig)
    [wf] = stored(api_double)
    name = wf["metadata"]["name"]
    assert res.returncode == 0 and res.stdout == f"workflow.argoproj.io/{name} created\n"
    assert f"polyflow-argo watch {name} -n ml" in res.stderr
    assert wf["metadata"]["labels"]["polyflow.io/submission"]
    assert wf["metadata"]["annotations"]["polyflow.io/op-names"] == '{"train-model": "Train_Model"}'
    [post] = api_double.requests_to("POST", r"/namespaces/ml/workflows$")
    assert post.param("fieldValidation") == "Strict"


def test_submit_takes_compile_options(api_double: ApiDouble, kubeconfig: Path, flaky: Path) -> None:
    api_double.add_namespace("team")
    res = cli(
        "submit",
        str(flaky),
        "-n",
        "team",
        "--name",
        "flaky-one",
        "--argo-version",
        "3.6",
        "-o",
        "json",
        kubeconfig=kubeconfig,
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["metadata"]["name"] == "flaky-one"
    assert api_double.get("workflows", "team", "flaky-one") is not None


def test_submit_dry_run_server_and_client(api_double: ApiDouble, kubeconfig: Path, flaky: Path) -> None:
    res = cli("submit", str(flaky), "--dry-run", "server", kubeconfig=kubeconfig)
    assert res.returncode == 0 and res.stdout.endswith(" created (server dry run)\n")
    assert (
        api_double.requests_to("POST", "/workflows$")[0].param("dryRun") == "All" and stored(api_double) == []
    )
    res = cli("submit", str(flaky), "--dry-run", "client", "-o", "yaml", env={"KUBECONFIG": "/nonexistent"})
    assert res.returncode == 0 and yaml.safe_load(res.stdout)["metadata"]["generateName"] == "flaky-"
    assert len(api_double.requests) == 1  # the client dry run contacted nothing


def test_submit_watch_dry_run_is_a_usage_error(kubeconfig: Path, flaky: Path) -> None:
    res = cli("submit", str(flaky), "--dry-run", "client", "--watch", kubeconfig=kubeconfig)
    assert res.returncode == 2 and "--watch needs a real submission" in res.stderr


def test_submit_an_invalid_pipeline_exits_1(kubeconfig: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FLAKY.replace("max_retries", "max_retry"))
    res = cli("submit", str(bad), kubeconfig=kubeconfig)
    assert res.returncode == 1 and "max_retry" in res.stderr


def test_submit_watch_follows_the_run_and_exits_0_on_success(api_double: ApiDouble, kubeconfig: Path,
                                                             flaky: Path) -> None:
    api_double.on_create(
        "workflows",
        [
            (0.5, {"phase": "Running", "startedAt": "2026-03-01T10:00:00Z"}),
            (
                0.1,
                lambda d, ns, name: d.set_node(
                    ns,
                    name,
                    "prepare",
                    phase="Succeeded",
                    boundaryID=name,
                    startedAt="2026-03-01T10:00:01Z",
                    finishedAt="2026-03-01T10:00:02Z",
                ),
            ),
            (0.1, {"phase": "Succeeded", "finishedAt": "2026-03-01T10:00:09Z"}),
        ],
    )
    res = cli("submit", str(flaky), "--watch", kubeconfig=kubeconfig)
    lines = res.stdout.splitlines()
    assert res.returncode == 0, res.stderr
    assert lines[0].startswith("workflow.argoproj.io/flaky-") and lines[1].startswith(
        "watching workflow ml/flaky-"
    )
    assert "prepare      Succeeded  1s" in res.stdout and lines[-1].endswith("Succeeded  9s")


def test_watch_transcript_of_a_failing_retried_run(api_double: ApiDouble, kubeconfig: Path) -> None:
    wf = api_double.create(flaky_workflow("flaky-x7k2p"), namespace=NS)
    proc = popen("watch", "flaky-x7k2p", kubeconfig=kubeconfig)
    try:
        wait_for(lambda: watching(api_double))
        api_double.timeline(NS, "flaky-x7k2p", [(0.02, patch) for patch in story("flaky-x7k2p")])
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    expected = transcript("flaky-x7k2p")
    pending = f"{clock(wf['metadata']['creationTimestamp'])}  {'flaky-x7k2p':<11}  Pending"
    assert out.splitlines() == [expected[0], pending, *expected[1:]], err
    assert proc.returncode == 1 and "Traceback" not in err


def test_watch_a_finished_run_exits_at_once_with_its_result(api_double: ApiDouble, kubeconfig: Path) -> None:
    api_double.create(flaky_workflow("flaky-done"), namespace=NS)
    api_double.set_status(NS, "flaky-done", {"phase": "Error", "startedAt": "2026-03-01T10:00:00Z",
                                             "finishedAt": "2026-03-01T10:00:04Z", "message": "pod deleted"})
    res = cli("watch", "flaky-done", kubeconfig=kubeconfig)
    assert (
        res.returncode == 1
        and res.stdout.splitlines()[-1] == "10:00:04  flaky-done   Error      4s  pod deleted"
    )


def test_ctrl_c_stops_watching_not_the_run(api_double: ApiDouble, kubeconfig: Path) -> None:
    api_double.create(flaky_workflow("flaky-long"), namespace=NS)
    proc = popen("watch", "flaky-long", kubeconfig=kubeconfig)
    try:
        wait_for(lambda: watching(api_double))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "stopped watching; the run goes on" in err and "Traceback" not in err
    assert "shutdown" not in api_double.get("workflows", NS, "flaky-long")["spec"]


def test_resubmit_after_a_dropped_connection_creates_exactly_one_workflow(
    api_double: ApiDouble, kubeconfig: Path, flaky: Path
) -> None:
    api_double.drop_after_next("POST", r"/namespaces/ml/workflows$")
    res = cli("submit", str(flaky), kubeconfig=kubeconfig)
    assert res.returncode == 0, res.stderr
    [wf] = stored(api_double)
    assert res.stdout == f"workflow.argoproj.io/{wf['metadata']['name']} created\n"
    assert [r.status for r in api_double.requests_to("POST", "/workflows$")] == ["dropped"]
    assert "connection dropped; retrying" in res.stderr and "not creating it again" in res.stderr


def test_429_with_retry_after_then_success(api_double: ApiDouble, kubeconfig: Path, flaky: Path) -> None:
    api_double.fail_next("POST", "/workflows$", 429, retry_after=1)
    res = cli("submit", str(flaky), kubeconfig=kubeconfig)
    assert res.returncode == 0 and len(stored(api_double)) == 1
    assert [r.status for r in api_double.requests_to("POST", "/workflows$")] == [429, 201]
    assert "note: create Workflow \"flaky-\" in namespace \"ml\": HTTP 429; retrying in" in res.stderr


# ---------------------------------------------------------------- errors a user meets


def test_5xx_that_persist_are_reported_after_bounded_retries(api_double: ApiDouble, kubeconfig: Path,
                                                              flaky: Path) -> None:
    api_double.fail_next("POST", "/workflows$", 503, times=99)
    err = error_of(cli("submit", str(flaky), kubeconfig=kubeconfig))
    assert (
        "the server kept failing (503 The server is currently unable to handle the request) after 5 "
        "attempt(s)"
        in err
        and "try again in a minute" in err
    )
    assert len(api_double.requests_to("POST", "/workflows$")) == 5 and stored(api_double) == []


def test_no_kubeconfig(flaky: Path) -> None:
    err = error_of(cli("list", env={"KUBECONFIG": "/nonexistent/config"}))
    assert "no kubeconfig: /nonexistent/config does not exist" in err and "kind export kubeconfig" in err


def test_unknown_context(kubeconfig: Path) -> None:
    err = error_of(cli("list", "--context", "prod", kubeconfig=kubeconfig))
    assert "context 'prod' is not in the kubeconfig" in err and "contexts there: apidouble" in err


def test_unreachable_api_server(api_double: ApiDouble, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = api_double.kubeconfig(tmp_path / "kc", namespace=NS)
    path.write_text(path.read_text().replace(api_double.kube_url, f"http://127.0.0.1:{port}"))
    err = error_of(cli("get", "x", kubeconfig=path))
    assert f"cannot reach the Kubernetes API at http://127.0.0.1:{port} after 5 attempt(s)" in err
    assert "kubectl cluster-info" in err


def test_401_expired_credentials(api_double: ApiDouble, tmp_path: Path) -> None:
    path = api_double.kubeconfig(tmp_path / "kc", namespace=NS, token="expired")
    err = error_of(cli("list", kubeconfig=path))
    assert "the API server rejected the credentials (Unauthorized)" in err and "create token" in err


def test_403_names_the_missing_rbac_verb(api_double: ApiDouble, kubeconfig: Path, flaky: Path) -> None:
    api_double.deny("create", "workflows", group="argoproj.io", namespace=NS)
    err = error_of(cli("submit", str(flaky), kubeconfig=kubeconfig))
    assert ('may not `create` workflows.argoproj.io in namespace "ml" (RBAC)' in err
            and "submitter role" in err and "docs/chart.md" in err)


def test_argo_crds_not_installed(api_double: ApiDouble, kubeconfig: Path, flaky: Path) -> None:
    api_double.crds_installed = False
    err = error_of(cli("submit", str(flaky), kubeconfig=kubeconfig))
    assert "the Argo CRDs are not installed" in err and "install.yaml" in err


def test_missing_namespace(kubeconfig: Path, flaky: Path) -> None:
    err = error_of(cli("submit", str(flaky), "-n", "nope", kubeconfig=kubeconfig))
    assert 'namespaces "nope" not found' in err and "kubectl create namespace nope" in err


def test_already_exists_suggests_generate_name(api_double: ApiDouble, kubeconfig: Path, flaky: Path) -> None:
    assert cli("submit", str(flaky), "--name", "flaky-1", kubeconfig=kubeconfig).returncode == 0
    err = error_of(cli("submit", str(flaky), "--name", "flaky-1", kubeconfig=kubeconfig))
    assert (
        'create Workflow "flaky-1" in namespace "ml": it already exists' in err and "--generate-name" in err
    )


def test_invalid_shows_the_field_path(api_double: ApiDouble, kubeconfig: Path, tmp_path: Path) -> None:
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "tpl"},
           "spec": {"templates": [{"name": "Bad_Name", "container": {"image": "alpine"}}]}}
    path = tmp_path / "tpl.yaml"
    path.write_text(yaml.safe_dump(doc))
    err = error_of(cli("apply", str(path), kubeconfig=kubeconfig))
    assert 'cannot apply WorkflowTemplate "tpl" in namespace "ml": invalid spec.templates[0].name: ' in err


def test_unknown_field_from_an_older_argo(api_double: ApiDouble, kubeconfig: Path, tmp_path: Path) -> None:
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "tpl"},
           "spec": {"templates": [{"name": "a", "container": {"image": "alpine"}, "fancyNewField": 1}]}}
    path = tmp_path / "tpl.yaml"
    path.write_text(yaml.safe_dump(doc))
    err = error_of(cli("apply", str(path), kubeconfig=kubeconfig))
    assert "does not know a field" in err and "--argo-version" in err


def test_object_too_large(api_double: ApiDouble, kubeconfig: Path, tmp_path: Path) -> None:
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": "big"},
           "spec": {"arguments": {"parameters": [{"name": "p", "value": "x" * 1_600_000}]},
                    "templates": [{"name": "a", "container": {"image": "alpine"}}]}}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    err = error_of(cli("apply", str(path), kubeconfig=kubeconfig))
    assert (
        "the object is too large for the cluster (1,600," in err and "etcdserver: request is too large" in err
    )
    assert "registry" in err


# ---------------------------------------------------------------- the other commands


def test_get_text_yaml_and_not_found(api_double: ApiDouble, kubeconfig: Path) -> None:
    api_double.create(flaky_workflow("flaky-g"), namespace=NS)
    api_double.set_status(NS, "flaky-g", {"phase": "Running", "startedAt": "2026-03-01T10:00:00Z"})
    api_double.set_node(NS, "flaky-g", "prepare", phase="Succeeded", boundaryID="flaky-g",
                        startedAt="2026-03-01T10:00:01Z", finishedAt="2026-03-01T10:00:03Z")
    text = cli("get", "flaky-g", kubeconfig=kubeconfig).stdout.splitlines()
    assert text[0].startswith("ml/flaky-g  pipeline flaky  Running")
    assert text[2].split() == ["prepare", "Succeeded", "10:00:01", "2s", "0"] and text[3].split() == [
        "Train_Model",
        "-",
    ]
    assert (
        yaml.safe_load(cli("get", "flaky-g", "-o", "yaml", kubeconfig=kubeconfig).stdout)["kind"]
        == "Workflow"
    )
    err = error_of(cli("get", "nope", "-o", "wide", kubeconfig=kubeconfig))
    assert 'Workflow "nope" not found in namespace "ml"' in err and "polyflow-argo list -n ml" in err


def test_list_filters_by_pipeline_and_running(api_double: ApiDouble, kubeconfig: Path) -> None:
    for name, phase in (("flaky-a", "Succeeded"), ("flaky-b", "Running")):
        api_double.create(flaky_workflow(name), namespace=NS)
        api_double.set_phase(NS, name, phase)
    other = flaky_workflow("other-c")
    other["metadata"]["labels"]["polyflow.io/pipeline"] = "other"
    api_double.create(other, namespace=NS)
    res = cli("list", "--pipeline", "flaky", "--running", kubeconfig=kubeconfig)
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "STARTED", "DURATION", "PIPELINE", "MESSAGE"]
    assert [line.split()[0] for line in lines[1:]] == ["flaky-b"]
    query = api_double.requests_to("GET", r"/namespaces/ml/workflows$")[-1].param("labelSelector")
    assert query == "polyflow.io/pipeline=flaky,workflows.argoproj.io/completed!=true"
    names = cli("list", "-o", "name", kubeconfig=kubeconfig).stdout.split()
    assert sorted(names) == ["flaky-a", "flaky-b", "other-c"]


def test_logs_all_ops_one_op_and_follow(api_double: ApiDouble, kubeconfig: Path) -> None:
    api_double.create(flaky_workflow("flaky-l"), namespace=NS)
    api_double.set_phase(NS, "flaky-l", "Running")
    api_double.set_node(NS, "flaky-l", "prepare", phase="Succeeded", boundaryID="flaky-l")
    api_double.add_pod(NS, "flaky-l-step-1", workflow="flaky-l", node_name="flaky-l.prepare")
    api_double.append_log(NS, "flaky-l-step-1", "prepared")
    api_double.finish_container(NS, "flaky-l-step-1")
    res = cli("logs", "flaky-l", kubeconfig=kubeconfig)
    assert res.returncode == 0 and res.stdout == "prepare: prepared\n"
    proc = popen("logs", "flaky-l", "--follow", "--op", "Train_Model", kubeconfig=kubeconfig)
    try:
        wait_for(lambda: api_double.requests_to("GET", r"/namespaces/ml/pods$"))
        api_double.set_node(NS, "flaky-l", "train-model(0)", phase="Running", boundaryID="flaky-l")
        api_double.add_pod(NS, "flaky-l-step-2", workflow="flaky-l", node_name="flaky-l.train-model(0)")
        api_double.append_log(NS, "flaky-l-step-2", "epoch 1")
        wait_for(lambda: api_double.requests_to("GET", r"/pods/flaky-l-step-2/log$"))
        api_double.append_log(NS, "flaky-l-step-2", "epoch 2")
        api_double.finish_container(NS, "flaky-l-step-2")
        api_double.set_phase(NS, "flaky-l", "Succeeded")
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0 and out == "Train_Model(0): epoch 1\nTrain_Model(0): epoch 2\n", err
    err_text = error_of(cli("logs", "flaky-l", "--op", "train", kubeconfig=kubeconfig))
    assert "has no op named 'train'" in err_text


def test_stop_terminate_and_a_finished_run(api_double: ApiDouble, kubeconfig: Path) -> None:
    for name in ("flaky-s", "flaky-t"):
        api_double.create(flaky_workflow(name), namespace=NS)
        api_double.set_phase(NS, name, "Running")
    res = cli("stop", "flaky-s", kubeconfig=kubeconfig)
    assert res.returncode == 0 and "running ops and exit handlers finish" in res.stdout
    assert cli("terminate", "flaky-t", kubeconfig=kubeconfig).returncode == 0
    assert api_double.get("workflows", NS, "flaky-s")["spec"]["shutdown"] == "Stop"
    assert api_double.get("workflows", NS, "flaky-t")["spec"]["shutdown"] == "Terminate"
    patch = api_double.requests_to("PATCH", "/workflows/flaky-s$")[0]
    assert patch.header("Content-Type") == "application/merge-patch+json"
    api_double.set_phase(NS, "flaky-s", "Failed")
    err = error_of(cli("stop", "flaky-s", kubeconfig=kubeconfig))
    assert 'workflow "flaky-s" has already finished (Failed)' in err and "resubmit flaky-s" in err


def test_resubmit_creates_a_new_run_of_the_same_spec(api_double: ApiDouble, kubeconfig: Path) -> None:
    old = api_double.create(flaky_workflow("flaky-r"), namespace=NS)
    api_double.set_phase(NS, "flaky-r", "Failed")
    res = cli("resubmit", "flaky-r", kubeconfig=kubeconfig)
    new = [w for w in stored(api_double) if w["metadata"]["name"] != "flaky-r"]
    assert res.returncode == 0 and len(new) == 1
    assert (
        res.stdout
        == f"workflow.argoproj.io/{new[0]['metadata']['name']} created (resubmitted from flaky-r)\n"
    )
    labels = new[0]["metadata"]["labels"]
    assert labels["workflows.argoproj.io/resubmitted-from-workflow"] == "flaky-r"
    assert "workflows.argoproj.io/phase" not in labels and new[0]["spec"] == old["spec"]


def test_approve_resumes_the_waiting_approval(api_double: ApiDouble, kubeconfig: Path) -> None:
    api_double.create(flaky_workflow("flaky-p"), namespace=NS)
    api_double.set_phase(NS, "flaky-p", "Running")
    err = error_of(cli("approve", "flaky-p", kubeconfig=kubeconfig))
    assert 'nothing waits for an approval in workflow "flaky-p"' in err
    gate = api_double.set_node(
        NS, "flaky-p", "sign-off", type="Suspend", phase="Running", boundaryID="flaky-p"
    )
    err = error_of(cli("approve", "flaky-p", "--op", "sign-of", kubeconfig=kubeconfig))
    assert "did you mean 'sign-off'?" in err
    res = cli("approve", "flaky-p", "--op", "sign-off", kubeconfig=kubeconfig)
    assert res.returncode == 0 and res.stdout == "workflow.argoproj.io/flaky-p: op 'sign-off' approved\n"
    node = api_double.get("workflows", NS, "flaky-p")["status"]["nodes"][gate["id"]]
    assert node["phase"] == "Succeeded" and node["finishedAt"]


def test_apply_a_scheduled_pipeline_is_idempotent(api_double: ApiDouble, kubeconfig: Path, scheduled: Path,
                                                  flaky: Path) -> None:
    first = cli("apply", str(scheduled), kubeconfig=kubeconfig)
    second = cli("apply", str(scheduled), kubeconfig=kubeconfig)
    assert (first.stdout, second.stdout) == ("cronworkflow.argoproj.io/nightly created\n",
                                             "cronworkflow.argoproj.io/nightly unchanged\n")
    [cron] = stored(api_double, "cronworkflows")
    assert cron["spec"]["schedules"] == ["0 2 * * *"]
    patch = api_double.requests_to("PATCH", "/cronworkflows/nightly$")[0]
    assert patch.header("Content-Type") == "application/apply-patch+yaml"
    assert patch.param("fieldManager") == "polyflow-argo" and patch.param("fieldValidation") == "Strict"
    changed = cli("submit", str(scheduled), "--successful-history-limit", "5", kubeconfig=kubeconfig)
    assert changed.stdout == "cronworkflow.argoproj.io/nightly configured\n"
    err = error_of(cli("apply", str(flaky), kubeconfig=kubeconfig))
    assert "compiles to a one-off Workflow" in err and "polyflow-argo submit FILE" in err


def test_schedule_clear_resumes_a_stopped_cron_workflow(api_double: ApiDouble, kubeconfig: Path,
                                                        scheduled: Path) -> None:
    [cron] = polyflow_argo.compile(SCHEDULED)
    api_double.create(cron, namespace=NS)
    res = cli("schedule", "clear", "nightly", kubeconfig=kubeconfig)
    assert res.returncode == 0 and "is not stopped (phase Active, failed 0): nothing to clear" in res.stdout
    api_double.patch("cronworkflows", NS, "nightly", {
        "metadata": {"labels": {"cronworkflows.argoproj.io/completed": "true"}},
        "status": {"phase": "Stopped", "failed": 1}})
    res = cli("schedule", "clear", "nightly", kubeconfig=kubeconfig)
    assert res.stdout == "cronworkflow.argoproj.io/nightly cleared: it runs again on its schedule\n"
    cron = api_double.get("cronworkflows", NS, "nightly")
    assert (cron["status"]["phase"], cron["status"]["failed"]) == ("Active", 0)
    assert "cronworkflows.argoproj.io/completed" not in cron["metadata"]["labels"]
    err = error_of(cli("schedule", "clear", "nope", kubeconfig=kubeconfig))
    assert 'CronWorkflow "nope" not found' in err


def test_registry_push_applies_templates_idempotently(api_double: ApiDouble, kubeconfig: Path,
                                                      tmp_path: Path) -> None:
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "notify.yaml").write_text(ACTION)
    first = cli("registry", "push", str(tmp_path / "reg"), kubeconfig=kubeconfig)
    again = cli("registry", "push", str(tmp_path / "reg"), kubeconfig=kubeconfig)
    assert first.stdout == "workflowtemplate.argoproj.io/polyflow-action-notify-v1-0-0 created\n", (
        first.stderr
    )
    assert again.stdout == "workflowtemplate.argoproj.io/polyflow-action-notify-v1-0-0 unchanged\n"
    assert [t["metadata"]["name"] for t in stored(api_double, "workflowtemplates")] == [
        "polyflow-action-notify-v1-0-0"]
    api_double.deny("patch", "clusterworkflowtemplates")
    err = error_of(cli("registry", "push", str(tmp_path / "reg"), "--cluster-scope", kubeconfig=kubeconfig))
    assert "may not `patch` clusterworkflowtemplates.argoproj.io at the cluster scope" in err
    assert "publishRegistry=true" in err


def test_backfill_submit_creates_the_runs_in_order_once(api_double: ApiDouble, kubeconfig: Path,
                                                        scheduled: Path) -> None:
    args = (
        "backfill",
        str(scheduled),
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2026-01-03T00:00:00Z",
        "--submit",
    )
    first = cli(*args, kubeconfig=kubeconfig)
    names = [f"nightly-{int(t)}" for t in (1767232800, 1767319200)]
    assert first.returncode == 0 and first.stdout.splitlines() == [
        f"workflow.argoproj.io/{n} created" for n in names
    ]
    assert [r.json()["metadata"]["name"] for r in api_double.requests_to("POST", "/workflows$")] == names
    again = cli(*args, kubeconfig=kubeconfig)
    assert again.stdout.splitlines() == [f"workflow.argoproj.io/{n} exists (skipped)" for n in names]
    assert len(stored(api_double)) == 2


# ---------------------------------------------------------------- Argo Server transport


def test_argo_server_submit_watch_logs_approve(api_double: ApiDouble, flaky: Path) -> None:
    argo = ("--argo-server", api_double.argo_url)
    token = {"ARGO_TOKEN": "argo-token"}
    api_double.on_create("workflows", [
        (0.5, {"phase": "Running", "startedAt": "2026-03-01T10:00:00Z"}),
        (0.1, {"phase": "Failed", "finishedAt": "2026-03-01T10:00:02Z", "message": "boom"}),
    ])
    res = cli("submit", str(flaky), "--watch", "-n", NS, *argo, env=token)
    assert res.returncode == 1 and res.stdout.splitlines()[-1].endswith("Failed     2s  boom"), res.stderr
    assert {r.server for r in api_double.requests} == {"argo"}
    name = stored(api_double)[0]["metadata"]["name"]
    gate = api_double.set_node(NS, name, "sign-off", type="Suspend", phase="Running", boundaryID=name)
    assert cli("approve", name, "-n", NS, *argo, env=token).returncode == 0
    assert api_double.get("workflows", NS, name)["status"]["nodes"][gate["id"]]["phase"] == "Succeeded"
    assert api_double.requests_to("PUT", f"/{name}/resume$", "argo")[0].json()["nodeFieldSelector"] == \
        f"id={gate['id']}"
    api_double.add_pod(NS, f"{name}-step-{gate['id'].rsplit('-', 1)[1]}", workflow=name)
    api_double.set_node(NS, name, "prepare", phase="Succeeded", boundaryID=name)
    pod = f"{name}-step-{node_id(name, name + '.prepare').rsplit('-', 1)[1]}"
    api_double.add_pod(NS, pod, workflow=name, node_name=f"{name}.prepare")
    api_double.append_log(NS, pod, "hello from prepare")
    logs = cli("logs", name, "--op", "prepare", "-n", NS, *argo, env=token)
    assert logs.stdout == "prepare: hello from prepare\n", logs.stderr
    err = error_of(cli("list", "-n", NS, *argo, env={"ARGO_TOKEN": "wrong"}))
    assert "Argo Server rejected the token" in err and "ARGO_TOKEN" in err


def test_argo_server_apply_and_schedule_clear(api_double: ApiDouble, scheduled: Path) -> None:
    argo = ("--argo-server", api_double.argo_url, "-n", NS)
    token = {"ARGO_TOKEN": "Bearer argo-token"}
    assert (
        cli("apply", str(scheduled), *argo, env=token).stdout == "cronworkflow.argoproj.io/nightly created\n"
    )
    api_double.patch("cronworkflows", NS, "nightly", {"status": {"phase": "Stopped", "failed": 2}})
    assert cli("schedule", "clear", "nightly", *argo, env=token).returncode == 0
    assert api_double.get("cronworkflows", NS, "nightly")["status"]["failed"] == 0
    assert {r.server for r in api_double.requests} == {"argo"}


# ---------------------------------------------------------------- compile stays light


def test_compile_and_the_parser_never_import_kubernetes_or_hera(flaky: Path) -> None:
    code = ("import sys; from polyflow_argo.cli import main, build_parser; build_parser(); "
            "rc = main(['compile', sys.argv[1]]); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'hera')); "
            "print(bad, file=sys.stderr); sys.exit(rc or (1 if bad else 0))")
    res = subprocess.run([sys.executable, "-c", code, str(flaky)], cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 0 and res.stderr.strip() == "[]", res.stderr


# ---------------------------------------------------------------- answers that are not what the API sends


def _running(double: ApiDouble, name: str = "flaky-f") -> str:
    double.create(flaky_workflow(name), namespace=NS)
    double.set_phase(NS, name, "Running")
    return name


# (id, what the double does, command, extra env, code, fragments of the error)
FAULTS: list[tuple[str, Callable[[ApiDouble], Any], tuple[str, ...], dict[str, str], str, list[str]]] = [
    (
        "not-json",
        lambda d: d.garble_next("GET", "/workflows/flaky-f$", "not-json"),
        ("get", "flaky-f"),
        {},
        "PF615",
        [
            "answered with something a Kubernetes API server does not send: the answer is not JSON: "
            "'<html><body>Bad Gateway</body></html>'",
            "`kubectl get --raw /version`",
        ],
    ),
    (
        "wrong-shape",
        lambda d: d.garble_next("GET", "/workflows/flaky-f$", "wrong-shape"),
        ("get", "flaky-f"),
        {},
        "PF615",
        ["the answer is a list, not an object"],
    ),
    (
        "wrong-field-type",
        lambda d: d.garble_next(
            "GET",
            "/workflows/flaky-f$",
            "wrong-shape",
            body=b'{"metadata": {"name": "flaky-f"}, "status": {"nodes": []}}',
        ),
        ("get", "flaky-f"),
        {},
        "PF615",
        ["Workflow field status.nodes"],
    ),
    (
        "list-items-not-a-list",
        lambda d: d.garble_next(
            "GET", "/namespaces/ml/workflows$", "wrong-shape", body=b'{"items": {"a": 1}}'
        ),
        ("list",),
        {},
        "PF615",
        ["the list's items are an object, not a list"],
    ),
    (
        "truncated",
        lambda d: d.garble_next("GET", "/workflows/flaky-f$", "truncated", times=99),
        ("get", "flaky-f"),
        {"POLYFLOW_RETRIES": "2"},
        "PF612",
        ["kept dropping after 2 attempt(s) (the answer was cut off"],
    ),
    (
        "oversized",
        lambda d: d.garble_next("GET", "/namespaces/ml/workflows$", "oversized", size=300_000),
        ("list",),
        {"POLYFLOW_MAX_REPLY_BYTES": "100000"},
        "PF616",
        ["is too large (more than the 100,000-byte limit)", "POLYFLOW_MAX_REPLY_BYTES"],
    ),
    (
        "slow-drip",
        lambda d: d.garble_next("GET", "/workflows/flaky-f$", "drip", times=99, interval=0.02),
        ("get", "flaky-f", "--request-timeout", "1"),
        {"POLYFLOW_RETRIES": "2"},
        "PF601",
        [
            "no complete answer from the Kubernetes API",
            "after 2 attempt(s) (the answer was still arriving after --request-timeout 1s)",
            "raise --request-timeout",
        ],
    ),
    (
        "garbage-watch-line",
        lambda d: d.garble_next("GET", "/namespaces/ml/workflows$", "garbage-line"),
        ("watch", "flaky-f"),
        {},
        "PF615",
        ["a watch line is not JSON: 'this is not a JSON event'"],
    ),
    (
        "watch-event-wrong-shape",
        lambda d: d.garble_next(
            "GET", "/namespaces/ml/workflows$", "garbage-line", body=b'{"type": "MODIFIED", "object": [1]}\n'
        ),
        ("watch", "flaky-f"),
        {},
        "PF615",
        ["a watch event is not {type, object}"],
    ),
    (
        "argo-not-json",
        lambda d: d.garble_next("GET", "/workflows/ml$", "not-json", server="argo"),
        ("list", "-n", NS, "--argo-server", "ARGO"),
        {"ARGO_TOKEN": "argo-token"},
        "PF615",
        ["Argo Server at http://127.0.0.1:", "the answer is not JSON", "--argo-server"],
    ),
    (
        "argo-wrong-shape",
        lambda d: d.garble_next("GET", "/workflows/ml/flaky-f$", "wrong-shape", server="argo"),
        ("get", "flaky-f", "-n", NS, "--argo-server", "ARGO"),
        {"ARGO_TOKEN": "argo-token"},
        "PF615",
        ["the answer is a list, not an object"],
    ),
    (
        "argo-oversized",
        lambda d: d.garble_next("GET", "/workflows/ml$", "oversized", size=300_000, server="argo"),
        ("list", "-n", NS, "--argo-server", "ARGO"),
        {"ARGO_TOKEN": "argo-token", "POLYFLOW_MAX_REPLY_BYTES": "100000"},
        "PF616",
        ["more than the 100,000-byte limit"],
    ),
    (
        "argo-slow-drip",
        lambda d: d.garble_next(
            "GET", "/workflows/ml/flaky-f$", "drip", times=99, interval=0.02, server="argo"
        ),
        ("get", "flaky-f", "-n", NS, "--argo-server", "ARGO", "--request-timeout", "1"),
        {"ARGO_TOKEN": "argo-token", "POLYFLOW_RETRIES": "2"},
        "PF601",
        ["no complete answer from Argo Server", "still arriving after --request-timeout 1s"],
    ),
    (
        "argo-garbage-watch-line",
        lambda d: d.garble_next("GET", "/workflow-events/ml$", "garbage-line", server="argo"),
        ("watch", "flaky-f", "-n", NS, "--argo-server", "ARGO"),
        {"ARGO_TOKEN": "argo-token"},
        "PF615",
        ["a stream line is not JSON: 'this is not a JSON event'"],
    ),
]


@pytest.mark.parametrize(
    ("setup", "args", "env", "code", "fragments"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS]
)
def test_a_garbled_answer_is_a_clear_cluster_error_never_an_internal_one(
    api_double: ApiDouble,
    kubeconfig: Path,
    setup: Callable[[ApiDouble], Any],
    args: tuple[str, ...],
    env: dict[str, str],
    code: str,
    fragments: list[str],
) -> None:
    _running(api_double)
    setup(api_double)
    started = time.monotonic()
    res = cli(*[api_double.argo_url if a == "ARGO" else a for a in args], kubeconfig=kubeconfig, env=env)
    took = time.monotonic() - started
    err = error_of(res)  # exit 3, diagnostics only
    if re.search(r"^error PF\d{3}: ", err, re.MULTILINE):  # the diagnostic format that shows the code
        assert f"error {code}: " in err, err
    assert all(f in err for f in fragments), err
    assert "internal error" not in err and took < 15, (took, err)


def test_the_request_timeout_bounds_the_whole_answer(api_double: ApiDouble, kubeconfig: Path) -> None:
    """A server that sends a byte every 20 ms would never hit a per-read timeout: the call is cut at 1 s."""
    _running(api_double)
    api_double.garble_next("GET", "/workflows/flaky-f$", "drip", interval=0.02)
    started = time.monotonic()
    res = cli(
        "get", "flaky-f", "--request-timeout", "1", kubeconfig=kubeconfig, env={"POLYFLOW_RETRIES": "1"}
    )
    took = time.monotonic() - started
    assert "still arriving after --request-timeout 1s" in error_of(res) and took < 5, took
    [req] = api_double.requests_to("GET", "/workflows/flaky-f$")
    assert req.status == "garbled: drip"


def test_a_dropped_create_whose_lookup_fails_says_how_to_check_not_to_retry(
    api_double: ApiDouble, kubeconfig: Path, flaky: Path
) -> None:
    api_double.drop_after_next("POST", r"/namespaces/ml/workflows$")
    api_double.fail_next(
        "GET", r"/namespaces/ml/workflows$", 503, times=2
    )  # the label lookup fails (2 attempts)
    err = error_of(cli("submit", str(flaky), kubeconfig=kubeconfig, env={"POLYFLOW_RETRIES": "2"}))
    [wf] = stored(api_double)  # the run exists: a retry would start a second one
    label = f"polyflow.io/submission={wf['metadata']['labels']['polyflow.io/submission']}"
    assert 'cannot tell whether a Workflow named "flaky-..." in namespace "ml" was created' in err
    assert (
        f"`kubectl get workflows -n ml -l {label}`" in err and f"`polyflow-argo list -n ml -l {label}`" in err
    )
    assert "do not submit again before checking" in err and "try again" not in err
    assert len(api_double.requests_to("POST", "/workflows$")) == 1
    listed = cli("list", "-n", NS, "-l", label, "-o", "name", kubeconfig=kubeconfig)
    assert listed.stdout.split() == [wf["metadata"]["name"]]  # the command the hint gives finds it


def test_a_garbled_create_answer_is_settled_by_the_label_not_created_twice(
    api_double: ApiDouble, kubeconfig: Path, flaky: Path
) -> None:
    api_double.garble_next("POST", r"/namespaces/ml/workflows$", "not-json")
    res = cli("submit", str(flaky), kubeconfig=kubeconfig)
    [wf] = stored(api_double)
    assert res.returncode == 0 and res.stdout == f"workflow.argoproj.io/{wf['metadata']['name']} created\n", (
        res.stderr
    )
    assert len(api_double.requests_to("POST", "/workflows$")) == 1 and "not creating it again" in res.stderr


def test_an_ambiguous_create_that_made_nothing_says_so(
    api_double: ApiDouble, kubeconfig: Path, flaky: Path
) -> None:
    api_double.fail_next("POST", r"/namespaces/ml/workflows$", 504, times=99)
    err = error_of(cli("submit", str(flaky), kubeconfig=kubeconfig, env={"POLYFLOW_RETRIES": "2"}))
    assert (
        "no run was created (no Workflow has the label polyflow.io/submission=" in err
        and stored(api_double) == []
    )


@pytest.mark.parametrize("transport", ["kube", "argo"])
def test_a_network_error_states_its_cause_once(api_double: ApiDouble, tmp_path: Path, transport: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = api_double.kubeconfig(tmp_path / "kc", namespace=NS)
    path.write_text(path.read_text().replace(api_double.kube_url, f"http://127.0.0.1:{port}"))
    extra = ("--argo-server", f"http://127.0.0.1:{port}") if transport == "argo" else ()
    err = error_of(cli("list", *extra, kubeconfig=path, env={"POLYFLOW_RETRIES": "1", "ARGO_TOKEN": "t"}))
    last = err.splitlines()[-1]
    assert last.count("Connection refused") == 1 and "<-" not in last and "Caused by" not in last, last
    assert "object at 0x" not in last and "ConnectionPool" not in last, last


def test_watch_strips_escape_sequences_from_names_and_messages(
    api_double: ApiDouble, kubeconfig: Path
) -> None:
    name = _running(api_double, "flaky-e")
    evil = (  # clear screen, home, window title, hyperlink, 8-bit CSI, BEL, NUL, CR, newline
        "\x1b[2J\x1b[H\x1b]0;owned\x07\x1b]8;;http://x\x1b\\click\x1b]8;;\x1b\\"
        " \x9b31mred\x07\x00\rover\nnext"
    )
    api_double.set_node(
        NS,
        name,
        "prepare",
        phase="Failed",
        boundaryID=name,
        message=evil,
        startedAt="2026-03-01T10:00:01Z",
        finishedAt="2026-03-01T10:00:02Z",
    )
    api_double.set_node(
        NS, name, "odd\x1b[31m-op", phase="Running", boundaryID=name, startedAt="2026-03-01T10:00:03Z"
    )
    api_double.set_status(
        NS, name, {"phase": "Failed", "finishedAt": "2026-03-01T10:00:09Z", "message": "boom\x1b[1A\x1b[2K"}
    )
    res = cli("watch", name, kubeconfig=kubeconfig)
    assert res.returncode == 1, res.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", res.stdout), repr(res.stdout)
    assert (
        "click red over next" in res.stdout
        and "odd-op" in res.stdout
        and res.stdout.rstrip().endswith("boom")
    )
    table = cli("get", name, kubeconfig=kubeconfig).stdout
    assert "\x1b" not in table and "click red over next" in table
