"""The Helm chart with real helm (lint, template, install) on the real API server, and the submitter
role it grants checked with real RBAC: each command of docs/cluster.md succeeds with a token of the
chart's submitter ServiceAccount, and fails with the documented PF6xx message once the verb it needs
is removed from the Role. (``logs`` is left out: pod logs come from a kubelet, which is scripted.)"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .cluster import Cluster
from .kubelet import ScriptedKubelet
from .test_cluster_commands import RETRIED, cli, created_name, submit_gated, wait_for, write

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "polyflow-argo"
NS = "ml"
RELEASE = "polyflow"
ROLE = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/roles/{RELEASE}-submitter"


def helm(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "KUBECONFIG": str(cluster.kubeconfig),
        "HOME": str(cluster.workdir),
        "HELM_CACHE_HOME": str(cluster.workdir / "helm-cache"),
        "HELM_CONFIG_HOME": str(cluster.workdir / "helm-config"),
        "HELM_DATA_HOME": str(cluster.workdir / "helm-data"),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run([cluster.bins["HELM"], *args], capture_output=True, text=True, env=env, timeout=120)


def test_helm_lint_is_clean(cluster: Cluster) -> None:
    res = helm(cluster, "lint", str(CHART), "--strict")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 chart(s) failed" in res.stdout


def test_helm_template_renders_every_option(cluster: Cluster) -> None:
    res = helm(
        cluster,
        "template",
        RELEASE,
        str(CHART),
        "-n",
        NS,
        "--kube-version",
        "1.34.4",
        "--set",
        "submitter.rbac.publishRegistry=true",
        "--set",
        "plugin.kubeEvents=true",
        "--set",
        "workflow.rbac.trainingJobs=true",
    )
    assert res.returncode == 0, res.stderr
    assert "kind: Role" in res.stdout and "kind: ConfigMap" in res.stdout


@pytest.fixture(scope="module")
def installed(cluster: Cluster) -> Iterator[None]:
    res = helm(
        cluster,
        "install",
        RELEASE,
        str(CHART),
        "-n",
        NS,
        "--set",
        "submitter.rbac.publishRegistry=true",
        "--wait",
        "--timeout",
        "60s",
    )
    assert res.returncode == 0, res.stdout + res.stderr
    yield
    helm(cluster, "uninstall", RELEASE, "-n", NS)


@pytest.fixture(scope="module")
def submitter(cluster: Cluster, installed: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig holding a token of the chart's submitter ServiceAccount (TokenRequest, as
    `kubectl create token polyflow-submitter` does)."""
    req = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600},
    }
    token = cluster.request("POST", f"/api/v1/namespaces/{NS}/serviceaccounts/polyflow-submitter/token", req)
    path = tmp_path_factory.mktemp("submitter") / "kubeconfig"
    return cluster.write_kubeconfig(path, token["status"]["token"], NS, user="polyflow-submitter")


def _role(cluster: Cluster) -> dict[str, Any]:
    return dict(cluster.request("GET", ROLE))


def _without(cluster: Cluster, resource: str, verb: str) -> list[dict[str, Any]]:
    """Remove ``verb`` on ``resource`` from the submitter Role; returns the rules to restore."""
    role = _role(cluster)
    before = json.loads(json.dumps(role["rules"]))
    for rule in role["rules"]:
        if resource in rule["resources"] and verb in rule["verbs"]:
            rule["verbs"] = [v for v in rule["verbs"] if v != verb]
    cluster.request("PATCH", ROLE, {"rules": role["rules"]}, content_type="application/merge-patch+json")
    return list(before)


def _restore(cluster: Cluster, rules: list[dict[str, Any]]) -> None:
    cluster.request("PATCH", ROLE, {"rules": rules}, content_type="application/merge-patch+json")


def _denied(res: subprocess.CompletedProcess[str], verb: str, resource: str) -> None:
    assert res.returncode == 3, (res.returncode, res.stdout, res.stderr)
    assert f"may not `{verb}` {resource}" in res.stderr and "(RBAC)" in res.stderr, res.stderr


def test_submitter_can_submit_watch_get_list(
    cluster: Cluster, kubelet: ScriptedKubelet, submitter: Path, tmp_path: Path
) -> None:
    src = write(tmp_path, "p.yaml", RETRIED.format(name="as-submitter"))
    res = cli(cluster, "submit", str(src), "--watch", "-o", "name", kubeconfig=submitter)
    assert res.returncode == 0, res.stdout + res.stderr
    name = created_name(res)
    assert cli(cluster, "get", name, kubeconfig=submitter).returncode == 0
    assert (
        name in cli(cluster, "list", "--pipeline", "as-submitter", "-o", "name", kubeconfig=submitter).stdout
    )
    assert cli(cluster, "resubmit", name, kubeconfig=submitter).returncode == 0


def test_submitter_can_approve_stop_and_terminate(
    cluster: Cluster, kubelet: ScriptedKubelet, submitter: Path, tmp_path: Path
) -> None:
    names = [submit_gated(cluster, tmp_path, f"gated-submitter-{i}", kubeconfig=submitter) for i in range(3)]
    for command, name in zip(("approve", "stop", "terminate"), names, strict=True):
        res = cli(cluster, command, name, kubeconfig=submitter)
        assert res.returncode == 0, (command, res.stderr)


def test_submitter_can_apply_and_clear_schedules_and_push_the_registry(
    cluster: Cluster, submitter: Path
) -> None:
    res = cli(cluster, "apply", "examples/nightly-cron.yaml", kubeconfig=submitter)
    assert res.returncode == 0 and "cronworkflow.argoproj.io/" in res.stdout, res.stderr
    cron = res.stdout.split()[0].split("/")[-1]
    cleared = cli(cluster, "schedule", "clear", cron, kubeconfig=submitter)
    assert cleared.returncode == 0, cleared.stderr
    pushed = cli(cluster, "registry", "push", "examples/registry", kubeconfig=submitter)
    assert pushed.returncode == 0 and "workflowtemplate.argoproj.io/" in pushed.stdout, pushed.stderr


@pytest.mark.parametrize(
    "command,resource,verb,qualified",
    [
        ("submit", "workflows", "create", "workflows.argoproj.io"),
        ("get", "workflows", "get", "workflows.argoproj.io"),
        ("list", "workflows", "list", "workflows.argoproj.io"),
        ("apply", "cronworkflows", "patch", "cronworkflows.argoproj.io"),
        ("registry push", "workflowtemplates", "patch", "workflowtemplates.argoproj.io"),
        ("approve", "workflows", "patch", "workflows.argoproj.io"),
        ("stop", "workflows", "patch", "workflows.argoproj.io"),
        ("terminate", "workflows", "patch", "workflows.argoproj.io"),
        ("watch", "workflows", "watch", "workflows.argoproj.io"),
    ],
)
def test_a_removed_verb_gives_the_documented_error(
    command: str,
    resource: str,
    verb: str,
    qualified: str,
    cluster: Cluster,
    kubelet: ScriptedKubelet,
    submitter: Path,
    tmp_path: Path,
) -> None:
    waiting = ""
    if command in ("approve", "stop", "terminate", "watch"):  # a run that waits for its approval
        waiting = submit_gated(cluster, tmp_path, f"denied-{command}")
    args = {
        "approve": ["approve", waiting],
        "stop": ["stop", waiting],
        "terminate": ["terminate", waiting],
        "watch": ["watch", waiting, "--request-timeout", "20"],
        "submit": ["submit", str(write(tmp_path, "p.yaml", RETRIED.format(name="denied")))],
        "get": ["get", "nothing-here"],
        "list": ["list"],
        "apply": ["apply", "examples/nightly-cron.yaml"],
        "registry push": ["registry", "push", "examples/registry"],
    }[command]
    rules = _without(cluster, resource, verb)
    try:
        # RBAC changes reach the authorizer through its informer: wait until the denial shows
        res = wait_for(
            f"{command} denied",
            lambda: (r := cli(cluster, *args, kubeconfig=submitter)).returncode == 3 and r,
            timeout=30,
        )
        _denied(res, verb, qualified)
        assert "docs/chart.md" in res.stderr or "submitter" in res.stderr, res.stderr
    finally:
        _restore(cluster, rules)
