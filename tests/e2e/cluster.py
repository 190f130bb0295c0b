"""A real control plane on loopback: etcd → kube-apiserver → Argo's CRDs → Argo's workflow-controller
and Argo Server, built by tests/e2e/build-components.sh from Go modules. Only the kubelet is scripted
(tests/e2e/kubelet.py); everything the tests submit is admitted, validated and run by Argo's code.

Every process is started in its own session, logged to ``<workdir>/logs/<name>.log`` and stopped by
PID (SIGTERM, then SIGKILL) when the cluster stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build-components.sh"
NAMESPACES = ("argo", "ml", "default")
CONTROLLER_NAMESPACE = "argo"
ADMIN_USER = "e2e-admin"
# The image the scripted image builds report. An op without `run.cmd` runs its image's entrypoint,
# which Argo's controller looks up in the image's registry (none here): the controller config's
# `images` table gives it, as a cluster whose controller cannot reach its registry must do.
BUILT_IMAGE = "registry.local/polyflow/image@sha256:" + "0" * 64


class ClusterError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def components(build: bool) -> dict[str, str]:
    """Paths of the built components (``NAME=PATH`` from the build script). With ``build`` false the
    script only reports what is cached and fails fast on a missing component (``POLYFLOW_E2E_NO_BUILD``)."""
    env = dict(os.environ)
    if not build:
        env["POLYFLOW_E2E_NO_BUILD"] = "1"
    out = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode != 0:
        last = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "build failed"
        raise ClusterError(re.sub(r"^\[e2e-build [\d:]+\] ", "", last))
    found = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
    return found


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    """Start with :meth:`start`; ``kubeconfig`` then reaches the API server as a cluster admin."""

    workdir: Path
    bins: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    api_port: int = 0
    argo_server_port: int = 0
    token: str = ""
    kubeconfig: Path = Path()
    ca_file: Path = Path()
    tokens_file: Path = Path()
    timings: dict[str, float] = field(default_factory=dict)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Cluster:
        t0 = time.monotonic()
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        try:
            self._start_etcd()
            self._start_apiserver()
            self._bootstrap()
            self._start_controller()
            self._start_argo_server()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        for proc in reversed(self.processes):  # clients first, etcd last
            if proc.popen.poll() is None:
                try:
                    os.killpg(proc.popen.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
            try:
                proc.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(timeout=5)
        self.processes.clear()

    def logs(self) -> Path:
        return self.workdir / "logs"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        log = self.workdir / "logs" / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            argv,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=self.workdir,
            start_new_session=True,
        )
        handle.close()
        proc = Process(name, popen, log)
        self.processes.append(proc)
        return proc

    def _wait(self, proc: Process, ready: Any, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise ClusterError(f"{proc.name} exited with {proc.popen.returncode}: {_tail(proc.log)}")
            try:
                if ready():
                    return
            except (OSError, urllib.error.URLError, ssl.SSLError):
                pass
            time.sleep(0.2)
        raise ClusterError(f"{proc.name} not {what} after {timeout:.0f}s: {_tail(proc.log)}")

    # -- etcd and the API server ---------------------------------------------------------------
    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        proc = self._spawn(
            "etcd",
            [
                self.bins["ETCD"],
                "--name",
                "e2e",
                "--data-dir",
                str(self.workdir / "etcd"),
                "--listen-client-urls",
                self.etcd_url,
                "--advertise-client-urls",
                self.etcd_url,
                "--listen-peer-urls",
                f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls",
                f"http://127.0.0.1:{peer}",
                "--initial-cluster",
                f"e2e=http://127.0.0.1:{peer}",
                "--listen-metrics-urls",
                f"http://127.0.0.1:{free_port()}",
                "--log-level",
                "warn",
                "--unsafe-no-fsync",
                "--quota-backend-bytes",
                str(2 << 30),
            ],
        )
        self._wait(proc, lambda: _http_ok(f"{self.etcd_url}/health"), "healthy")

    def _start_apiserver(self) -> None:
        certs = self.workdir / "certs"
        certs.mkdir(exist_ok=True)
        key, pub = certs / "sa.key", certs / "sa.pub"
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
        subprocess.run(
            ["openssl", "rsa", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True
        )
        self.token = secrets.token_hex(16)
        self.tokens_file = certs / "tokens.csv"
        self.tokens_file.write_text(f'{self.token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        self.api_port = free_port()
        proc = self._spawn(
            "kube-apiserver",
            [
                self.bins["KUBE_APISERVER"],
                "--etcd-servers",
                self.etcd_url,
                "--bind-address",
                "127.0.0.1",
                "--advertise-address",
                "127.0.0.1",
                "--secure-port",
                str(self.api_port),
                "--cert-dir",
                str(certs),
                "--token-auth-file",
                str(self.tokens_file),
                "--authorization-mode",
                "RBAC",
                "--service-account-issuer",
                "https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file",
                str(pub),
                "--service-account-signing-key-file",
                str(key),
                "--api-audiences",
                "https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range",
                "10.96.0.0/24",
                "--allow-privileged",
                "--endpoint-reconciler-type",
                "none",
                "--profiling=false",
                "--v",
                "1",
            ],
        )
        self.ca_file = certs / "apiserver.crt"
        self._wait(proc, lambda: self.ca_file.exists() and self._healthy(), "ready", timeout=120)
        self.kubeconfig = self.write_kubeconfig(self.workdir / "kubeconfig", self.token, "ml")

    def _healthy(self) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        req = urllib.request.Request(
            f"https://127.0.0.1:{self.api_port}/readyz", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(req, context=ctx, timeout=2) as resp:
            return bool(resp.status == 200)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    def write_kubeconfig(self, path: Path, token: str, namespace: str, user: str = "e2e") -> Path:
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "e2e",
            "clusters": [
                {
                    "name": "e2e",
                    "cluster": {"server": self.server, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [
                {"name": "e2e", "context": {"cluster": "e2e", "user": user, "namespace": namespace}}
            ],
        }
        path.write_text(yaml.safe_dump(cfg))
        return path

    # -- bootstrap: CRDs, namespaces, service accounts ------------------------------------------
    def kubectl_apply(self, docs: Iterable[dict[str, Any]]) -> None:
        """Server-side apply (as `kubectl apply --server-side` does), with the admin token."""
        for doc in docs:
            self.request(
                "PATCH",
                _path(doc, with_name=True),
                doc,
                content_type="application/apply-patch+yaml",
                query="fieldManager=polyflow-e2e&force=true",
            )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        query: str = "",
        token: str | None = None,
    ) -> Any:
        return self.request_with_warnings(method, path, body, content_type, query, token)[0]

    def request_with_warnings(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        query: str = "",
        token: str | None = None,
    ) -> tuple[Any, list[str]]:
        """The decoded reply and the API server's ``Warning`` headers (e.g. unknown fields)."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        url = f"{self.server}{path}" + (f"?{query}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {token or self.token}",
                "Content-Type": content_type,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
                text = resp.read()
                warnings = resp.headers.get_all("Warning") or []
        except urllib.error.HTTPError as exc:
            raise ClusterError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from None
        return (json.loads(text) if text else None), warnings

    def _bootstrap(self) -> None:
        crds = sorted(Path(self.bins["ARGO_CRDS"]).glob("*.yaml"))
        docs = [
            d
            for f in crds
            for d in yaml.load_all(f.read_text(), Loader=yaml.CSafeLoader)
            if d and d.get("kind") == "CustomResourceDefinition"
        ]
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda d: self.kubectl_apply([d]), docs))
        self.timings["crds applied"] = time.monotonic() - t0
        deadline = time.monotonic() + 120
        for doc in docs:
            name = doc["metadata"]["name"]
            while True:
                crd = self.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
                conds = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
                if conds.get("Established") == "True":
                    break
                if time.monotonic() > deadline:
                    raise ClusterError(f"CRD {name} not established: {conds}")
                time.sleep(0.2)
        self.timings["crds established"] = time.monotonic() - t0
        for ns in NAMESPACES:
            self.kubectl_apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}])
            # no kube-controller-manager runs: make the `default` ServiceAccount it would make
            self.kubectl_apply(
                [
                    {
                        "apiVersion": "v1",
                        "kind": "ServiceAccount",
                        "metadata": {"name": "default", "namespace": ns},
                    }
                ]
            )
        self.timings["namespaces"] = time.monotonic() - t0

    # -- Argo -------------------------------------------------------------------------------------
    def _start_controller(self) -> None:
        self.kubectl_apply(
            [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "workflow-controller-configmap", "namespace": CONTROLLER_NAMESPACE},
                    "data": {
                        "metricsConfig": "enabled: false\n",
                        "telemetryConfig": "enabled: false\n",
                        "executor": "imagePullPolicy: IfNotPresent\n",
                        "images": json.dumps({BUILT_IMAGE: {"cmd": ["/bin/true"]}}),
                    },
                }
            ]
        )
        self.controller_health = free_port()
        env = {
            "LEADER_ELECTION_DISABLE": "true",
            "DEFAULT_REQUEUE_TIME": "1s",
            "ARGO_EXECUTOR_PLUGINS": "true",
            "KUBECONFIG": str(self.kubeconfig),
            "ARGO_NAMESPACE": CONTROLLER_NAMESPACE,
            "WORKFLOW_GC_PERIOD": "30s",
        }
        proc = self._spawn(
            "workflow-controller",
            [
                self.bins["ARGO_CONTROLLER"],
                "--kubeconfig",
                str(self.kubeconfig),
                "--namespace",
                CONTROLLER_NAMESPACE,
                "--configmap",
                "workflow-controller-configmap",
                "--executor-image",
                "quay.io/argoproj/argoexec:" + _argo_version(self.bins),
                "--loglevel",
                "info",
                "--workflow-workers",
                "16",
                "--pod-cleanup-workers",
                "2",
                "--qps",
                "200",
                "--burst",
                "300",
            ],
            env,
        )
        self._wait(
            proc,
            lambda: (
                "Starting Workflow Controller" in proc.log.read_text(errors="replace")
                or "started" in proc.log.read_text(errors="replace").lower()
            ),
            "started",
            timeout=60,
        )
        self.controller = proc

    def _start_argo_server(self) -> None:
        self.argo_server_port = free_port()
        proc = self._spawn(
            "argo-server",
            [
                self.bins["ARGO_CLI"],
                "server",
                "--kubeconfig",
                str(self.kubeconfig),
                "--namespace",
                CONTROLLER_NAMESPACE,
                "--port",
                str(self.argo_server_port),
                "--secure=false",
                "--auth-mode",
                "server",
                "--x-frame-options",
                "DENY",
                "--loglevel",
                "warn",
            ],
            {"KUBECONFIG": str(self.kubeconfig), "CI_ONLY_DISABLE_ARTIFACT_SERVER_CHECKS": "true"},
        )
        self._wait(proc, lambda: _http_ok(f"{self.argo_server_url}/api/v1/version"), "serving", timeout=60)

    @property
    def argo_server_url(self) -> str:
        return f"http://127.0.0.1:{self.argo_server_port}"


def _argo_version(bins: dict[str, str]) -> str:
    return Path(bins["ARGO_CONTROLLER"]).parent.parent.name.split("-", 1)[1]


def _path(doc: dict[str, Any], with_name: bool) -> str:
    api = doc["apiVersion"]
    kind = doc["kind"]
    plural = {
        "CustomResourceDefinition": "customresourcedefinitions",
        "Namespace": "namespaces",
        "ServiceAccount": "serviceaccounts",
        "ConfigMap": "configmaps",
        "Secret": "secrets",
        "Role": "roles",
        "RoleBinding": "rolebindings",
        "ClusterRole": "clusterroles",
        "ClusterRoleBinding": "clusterrolebindings",
    }.get(kind) or kind.lower() + "s"
    base = f"/api/{api}" if "/" not in api else f"/apis/{api}"
    ns = doc["metadata"].get("namespace")
    cluster_scoped = kind in ("CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterRoleBinding")
    out = base + ("" if cluster_scoped or not ns else f"/namespaces/{ns}") + f"/{plural}"
    return out + (f"/{doc['metadata']['name']}" if with_name else "")


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return bool(resp.status == 200)


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def keep_logs(cluster: Cluster, dest: Path) -> Path:
    """Copy the processes' logs to ``dest`` (a test artifact)."""
    dest.mkdir(parents=True, exist_ok=True)
    for log in cluster.logs().glob("*.log"):
        shutil.copy2(log, dest / log.name)
    return dest
