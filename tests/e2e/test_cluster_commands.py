"""The cluster commands as a user runs them (``python -m polyflow_argo …`` subprocesses), against the real
kube-apiserver and Argo Server, with Argo's real controller running the workflows."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests import support

from .cluster import Cluster
from .kubelet import ScriptedKubelet
from .runs import Runs

NS = "ml"


def cli(
    cluster: Cluster,
    *args: str,
    timeout: float = 120,
    argo_server: bool = False,
    kubeconfig: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    extra = ["--argo-server", cluster.argo_server_url] if argo_server else []
    return support.cli(*args, *extra, kubeconfig=kubeconfig or cluster.kubeconfig, timeout=timeout)


def created_name(res: subprocess.CompletedProcess[str]) -> str:
    """The run's name from `submit`'s first line (``workflow.argoproj.io/NAME created``)."""
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout.split()[0].split("/")[-1]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def workflow(cluster: Cluster, name: str) -> dict[str, Any]:
    return dict(cluster.request("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/workflows/{name}"))


def wait_for(what: str, probe: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what}: not after {timeout:.0f}s")


def node_phase(wf: dict[str, Any], display: str) -> str | None:
    for node in (wf.get("status", {}).get("nodes") or {}).values():
        if node.get("displayName") == display:
            return str(node["phase"])
    return None


RETRIED = """\
version: 1
kind: pipeline
name: {name}
ops:
  - name: flaky
    template: {{name: step}}
    max_retries: 1
    retry_delay: 1
  - name: after
    template: {{name: step}}
    dependencies: [flaky]
templates:
  - kind: job
    name: step
    build: {{image: 'python:3.11-slim'}}
    run: {{cmd: 'true'}}
"""

GATED = """\
version: 1
kind: pipeline
name: {name}
ops:
  - name: build
    template: {{name: step}}
  - name: sign-off
    template: {{event: approval}}
    dependencies: [build]
    params: {{message: 'ship it?'}}
  - name: ship
    template: {{name: step}}
    dependencies: [sign-off]
templates:
  - kind: job
    name: step
    build: {{image: 'python:3.11-slim'}}
    run: {{cmd: 'true'}}
"""


def wait_done(cluster: Cluster, name: str) -> dict[str, Any]:
    """The run once it has a final phase."""

    def done() -> dict[str, Any] | None:
        wf = workflow(cluster, name)
        return wf if (wf.get("status") or {}).get("phase") in ("Succeeded", "Failed", "Error") else None

    return dict(wait_for("the run ends", done))


def submit_gated(cluster: Cluster, tmp_path: Path, pipeline: str, kubeconfig: Path | None = None) -> str:
    """Submit the GATED pipeline as ``pipeline``; returns the run once its approval waits."""
    src = write(tmp_path, f"{pipeline}.yaml", GATED.format(name=pipeline))
    name = created_name(cli(cluster, "submit", str(src), "-n", NS, "-o", "name", kubeconfig=kubeconfig))
    wait_for("the approval waits", lambda: node_phase(workflow(cluster, name), "sign-off") == "Running")
    return name


def test_submit_and_watch_over_the_kubernetes_api(cluster: Cluster, kubelet: ScriptedKubelet) -> None:
    res = cli(cluster, "submit", "examples/diamond.yaml", "-n", NS, "--watch")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Succeeded" in res.stdout


def test_submit_and_watch_over_argo_server(
    cluster: Cluster, kubelet: ScriptedKubelet, tmp_path: Path
) -> None:
    src = write(tmp_path, "p.yaml", RETRIED.format(name="via-server"))
    res = cli(cluster, "submit", str(src), "-n", NS, "--watch", argo_server=True)
    assert res.returncode == 0, res.stdout + res.stderr
    name = created_name(res)
    listed = cli(cluster, "list", "-n", NS, "--pipeline", "via-server", "-o", "name", argo_server=True)
    assert listed.returncode == 0 and name in listed.stdout, listed.stdout + listed.stderr


def test_watch_of_a_failing_retried_run(cluster: Cluster, kubelet: ScriptedKubelet, tmp_path: Path) -> None:
    kubelet.script("always-fails", {"flaky": "Failed"})
    src = write(tmp_path, "p.yaml", RETRIED.format(name="always-fails"))
    res = cli(cluster, "submit", str(src), "-n", NS, "--watch")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "flaky" in res.stdout and "Failed" in res.stdout
    assert "main: Error (exit code 1)" in res.stdout


def test_get_list_resubmit(cluster: Cluster, kubelet: ScriptedKubelet, tmp_path: Path) -> None:
    src = write(tmp_path, "p.yaml", RETRIED.format(name="get-list"))
    res = cli(cluster, "submit", str(src), "-n", NS, "-o", "name", "--watch")
    assert res.returncode == 0, res.stdout + res.stderr
    name = created_name(res)
    got = cli(cluster, "get", name, "-n", NS, "-o", "json")
    assert got.returncode == 0 and json.loads(got.stdout)["status"]["phase"] == "Succeeded"
    listed = cli(cluster, "list", "-n", NS, "--pipeline", "get-list", "-o", "name")
    assert name in listed.stdout
    again = cli(cluster, "resubmit", name, "-n", NS, "--watch")
    assert again.returncode == 0, again.stdout + again.stderr


def test_approve_resumes_a_waiting_approval(
    cluster: Cluster, kubelet: ScriptedKubelet, tmp_path: Path
) -> None:
    name = submit_gated(cluster, tmp_path, "gated")
    ok = cli(cluster, "approve", name, "-n", NS)
    assert ok.returncode == 0, ok.stderr
    done = wait_done(cluster, name)
    assert done["status"]["phase"] == "Succeeded"
    assert node_phase(done, "ship") == "Succeeded"


@pytest.mark.parametrize("command", ["stop", "terminate"])
def test_stop_and_terminate_a_waiting_run(
    command: str, cluster: Cluster, kubelet: ScriptedKubelet, tmp_path: Path
) -> None:
    name = submit_gated(cluster, tmp_path, f"held-{command}")
    out = cli(cluster, command, name, "-n", NS)
    assert out.returncode == 0, out.stderr
    done = wait_done(cluster, name)
    assert done["status"]["phase"] == "Failed"
    assert node_phase(done, "ship") in (None, "Omitted", "Skipped")


def test_runs_fixture_smoke(runs: Runs) -> None:
    """The harness itself: a one-op Workflow reaches Succeeded and Failed as scripted."""
    wf = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "smoke-"},
        "spec": {
            "entrypoint": "main",
            "templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}}],
        },
    }
    assert runs.run(wf).phase == "Succeeded"
    failed = runs.run(wf, {"main": "Failed"})
    assert failed.phase == "Failed" and "exit code 1" in failed.message


EVERY_MINUTE = """\
version: 1
kind: pipeline
name: {name}
schedule: {{kind: interval, start_at: '2020-01-01T00:00:00+00:00', frequency: 60, depends_on_past: true}}
ops:
  - name: tick
    template: {{name: step}}
templates:
  - kind: job
    name: step
    build: {{image: 'python:3.11-slim'}}
    run: {{cmd: 'true'}}
"""


def _cron(cluster: Cluster, name: str) -> dict[str, Any]:
    return dict(cluster.request("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/cronworkflows/{name}"))


def _children(cluster: Cluster, cron: str) -> list[dict[str, Any]]:
    listing = cluster.request(
        "GET",
        f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/workflows",
        query=f"labelSelector=workflows.argoproj.io/cron-workflow%3D{cron}",
    )
    return list(listing.get("items", []))


@pytest.mark.slow
def test_apply_an_interval_pipeline_fires_and_schedule_clear_resumes_it(
    cluster: Cluster, kubelet: ScriptedKubelet, tmp_path: Path
) -> None:
    """The controller accepts the CronWorkflow (no SpecError), fires a run within its minute; with
    depends_on_past a failed run stops the schedule, and `schedule clear` resumes it."""
    kubelet.script("every-minute", {"tick": "Failed"})
    src = write(tmp_path, "p.yaml", EVERY_MINUTE.format(name="every-minute"))
    res = cli(cluster, "apply", str(src), "-n", NS)
    assert res.returncode == 0, res.stderr
    name = res.stdout.split()[0].split("/")[-1]
    cron = _cron(cluster, name)
    assert not [c for c in (cron.get("status") or {}).get("conditions") or [] if c.get("type") == "SpecError"]
    [child] = wait_for("a scheduled run", lambda: _children(cluster, name), timeout=75)
    wait_for(
        "the run fails",
        lambda: (workflow(cluster, child["metadata"]["name"]).get("status") or {}).get("phase") == "Failed",
        timeout=60,
    )
    stopped = wait_for(
        "the schedule stops",
        lambda: (s := _cron(cluster, name).get("status") or {}).get("phase") == "Stopped" and s,
        timeout=60,
    )
    assert stopped["failed"] >= 1
    cleared = cli(cluster, "schedule", "clear", name, "-n", NS)
    assert cleared.returncode == 0 and "cleared" in cleared.stdout, cleared.stdout + cleared.stderr
    assert (_cron(cluster, name).get("status") or {}).get("phase") == "Active"
    cluster.request("DELETE", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/cronworkflows/{name}")


def test_registry_push_then_compile_from_the_cluster(
    cluster: Cluster, kubelet: ScriptedKubelet, runs: Runs
) -> None:
    pushed = cli(cluster, "registry", "push", "examples/registry", "-n", NS)
    assert pushed.returncode == 0 and "workflowtemplate.argoproj.io/" in pushed.stdout, pushed.stderr
    local = cli(
        cluster, "compile", "examples/shared-templates.yaml", "--registry", "examples/registry", "-o", "json"
    )
    remote = cli(
        cluster, "compile", "examples/shared-templates.yaml", "--registry", f"cluster:{NS}", "-o", "json"
    )
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    docs = json.loads(remote.stdout)
    wf = docs[0] if isinstance(docs, list) else docs
    run = runs.run(wf, {"*": {"outputs": {"path": "/data/x"}}})
    assert run.phase == "Succeeded", (run.message, run.phases())


NIGHTLY = """\
version: 1
kind: pipeline
name: {name}
schedule: {{kind: cron, cron: '0 2 * * *', depends_on_past: true}}
ops:
  - name: load
    template: {{name: step}}
templates:
  - kind: job
    name: step
    build: {{image: 'python:3.11-slim'}}
    run: {{cmd: 'true'}}
"""


def test_backfill_submit_runs_the_missed_instants_in_order(
    cluster: Cluster, kubelet: ScriptedKubelet, runs: Runs, tmp_path: Path
) -> None:
    """depends_on_past: each backfilled run waits for the one before it (its wait step reads it)."""
    src = write(tmp_path, "p.yaml", NIGHTLY.format(name="nightly-chain"))
    res = cli(
        cluster,
        "backfill",
        str(src),
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2026-01-03T00:00:00Z",
        "--submit",
        "-n",
        NS,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    names = [line.split()[0].split("/")[-1] for line in res.stdout.splitlines() if "created" in line]
    assert len(names) == 2, res.stdout
    done = runs.wait(names, timeout=180)
    assert all(done[n].phase == "Succeeded" for n in names), {n: done[n].message for n in names}
    first, second = (done[n].workflow["status"] for n in names)
    assert second["finishedAt"] >= first["finishedAt"]
