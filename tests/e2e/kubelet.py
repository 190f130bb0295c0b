"""The scripted kubelet: the one double of the e2e suite.

No kubelet and no containers run here, so this thread plays their part for the pods that Argo's real
controller creates, as Argo's executor (``argoexec init/wait``) and a kubelet would (the contract is
Argo v4's: workflow/executor/taskresult.go, workflow/controller/operator.go ``assessNodeStatus``):

1. the WorkflowTaskResult named after the node id, carrying the template's declared output
   parameters — the scenario's value, else ``valueFrom.default``; a declared output with neither is
   the executor's missing-file case (wait exits 64) — labelled ``report-outputs-completed: "true"``;
2. *then* the pod status: init, wait and main terminated; ``Succeeded``; ``Failed`` with main exit 1
   (``main: Error (exit code 1)``); ``Error`` as the executor's wait failing with exit 64.

The outcome of each op comes from the Workflow's annotation ``polyflow.test/outcomes`` (JSON):
``{"op": "Failed", "other": {"phase": "Succeeded", "outputs": {"flag": "true"}}, "retried":
["Failed", "Succeeded"]}`` (a list gives the outcome per attempt). The op is the pod's
``polyflow.io/op`` label (what our templates set), else the DAG task's name; the default outcome is
``Succeeded``.

For Argo's executor-plugin agent pod, it plays ``argoexec agent``: it reads the WorkflowTaskSet and
calls the plugin server (our real ``polyflow-argo plugin serve``, on loopback) for each task, as the
agent does (POST /api/v1/template.execute, bearer token, requeue), and patches the task set's status.
An event op that has an entry in the outcomes table is answered from it instead: the world the event
watches (an S3 bucket, a remote model server) is not here; tests/e2e/test_events.py runs events through
the plugin against loopback servers.

Every pod it sees is recorded (:attr:`ScriptedKubelet.pods`), so tests can assert on what a container
would really receive after Argo's templating.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from tests.kubelet_env import environment

from .cluster import Cluster, ClusterError

OUTCOMES = "polyflow.test/outcomes"
WF_LABEL = "workflows.argoproj.io/workflow"
EXIT = {"Succeeded": (0, 0), "Failed": (1, 0), "Error": (0, 64)}  # (main, wait) exit codes


@dataclass
class PodRecord:
    namespace: str
    workflow: str
    name: str
    op: str
    node_name: str
    spec: dict[str, Any]
    outcome: str
    template: dict[str, Any]

    def main(self) -> dict[str, Any]:
        return next(c for c in self.spec["containers"] if c["name"] == "main")

    def env(self) -> dict[str, str]:
        """The main container's environment as the kubelet makes it: each ``value`` with ``$(VAR)``
        expanded from the variables before it and the service variables, ``$$`` made ``$``."""
        return environment((e["name"], e.get("value", "")) for e in self.main().get("env", []))




class ScriptedKubelet:
    def __init__(self, cluster: Cluster, plugin_url: str = "", plugin_token: str = "") -> None:
        self.cluster = cluster
        self.plugin_url = plugin_url
        self.plugin_token = plugin_token
        self.pods: list[PodRecord] = []
        self.plugin_calls: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._done: set[str] = set()
        self._agents: set[str] = set()
        self._wf_cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._scripts: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> ScriptedKubelet:
        t = threading.Thread(target=self._loop, name="e2e-kubelet", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)

    def script(self, pipeline: str, outcomes: dict[str, Any]) -> None:
        """Outcomes for runs of ``pipeline`` (its ``polyflow.io/pipeline`` label) without the annotation."""
        with self._lock:
            self._scripts[pipeline] = outcomes

    def records(self, workflow: str) -> list[PodRecord]:
        with self._lock:
            return [p for p in self.pods if p.workflow == workflow]

    # -- the pod loop -----------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                pods = self.cluster.request(
                    "GET",
                    "/api/v1/pods",
                    query=f"labelSelector={WF_LABEL},workflows.argoproj.io/completed%3Dfalse",
                )
            except (ClusterError, OSError) as exc:
                if not self._stop.is_set():
                    self.errors.append(f"list pods: {exc}")
                time.sleep(0.5)
                continue
            for pod in pods.get("items", []):
                uid = pod["metadata"]["uid"]
                if uid in self._done or pod["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    if pod["metadata"].get("labels", {}).get("workflows.argoproj.io/component") == "agent":
                        self._start_agent(pod)
                    else:
                        self._finish(pod)
                except Exception as exc:  # noqa: BLE001 - recorded; a test asserts there are none
                    self.errors.append(f"{pod['metadata']['name']}: {type(exc).__name__}: {exc}")
                self._done.add(uid)
            self._stop.wait(0.2)

    def _workflow(self, namespace: str, name: str) -> dict[str, Any]:
        key = (namespace, name)
        if key not in self._wf_cache:
            self._wf_cache[key] = self.cluster.request(
                "GET", f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/workflows/{name}"
            )
        return self._wf_cache[key]

    def _table(self, workflow: dict[str, Any]) -> dict[str, Any]:
        raw = workflow["metadata"].get("annotations", {}).get(OUTCOMES)
        if raw:
            return dict(json.loads(raw))
        with self._lock:
            return dict(
                self._scripts.get(workflow["metadata"].get("labels", {}).get("polyflow.io/pipeline", ""), {})
            )

    def _finish(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        ns, wf_name = meta["namespace"], meta["labels"][WF_LABEL]
        node_name = meta["annotations"]["workflows.argoproj.io/node-name"]
        node_id = meta["annotations"]["workflows.argoproj.io/node-id"]
        workflow = self._workflow(ns, wf_name)
        template = _template(self.cluster, pod)
        op = meta.get("labels", {}).get("polyflow.io/op") or _task_name(node_name)
        table = self._table(workflow)
        item = re.search(r"\((\d+):[^()]*\)$", node_name)  # a fan-out child: `op[i]` scripts item i alone
        keys = ([f"{op}[{item.group(1)}]"] if item else []) + [
            op,
            _task_name(node_name),
            template.get("name"),
        ]
        key = next((k for k in keys if k in table), op)
        outcome, values = _scenario(table, key, _attempt(node_name))
        outputs, missing = _outputs(template, values)
        main_exit, wait_exit = EXIT[outcome]
        wait_message = ""
        if missing and outcome == "Succeeded":
            wait_exit = 64
            wait_message = f"open /mainctrfs{missing}: no such file or directory"
        owner = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Workflow",
            "name": wf_name,
            "uid": workflow["metadata"]["uid"],
        }
        result: dict[str, Any] = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTaskResult",
            "metadata": {
                "name": node_id,
                "namespace": ns,
                "ownerReferences": [owner],
                "labels": {WF_LABEL: wf_name, "workflows.argoproj.io/report-outputs-completed": "true"},
            },
        }
        if outputs:
            result["outputs"] = {"parameters": outputs}
        self.cluster.request(
            "POST", f"/apis/argoproj.io/v1alpha1/namespaces/{ns}/workflowtaskresults", result
        )
        with self._lock:
            self.pods.append(
                PodRecord(ns, wf_name, meta["name"], op, node_name, pod["spec"], outcome, template)
            )
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def terminated(name: str, code: int, message: str = "") -> dict[str, Any]:
            state: dict[str, Any] = {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": now,
                "finishedAt": now,
            }
            if message:
                state["message"] = message
            return {
                "name": name,
                "ready": False,
                "restartCount": 0,
                "image": "scripted",
                "imageID": "",
                "state": {"terminated": state},
            }

        containers = [c["name"] for c in pod["spec"]["containers"]]
        statuses = []
        for name in containers:
            if name == "main":
                statuses.append(terminated(name, main_exit))
            elif name == "wait":
                statuses.append(
                    terminated(
                        name, wait_exit, wait_message or ("scripted executor failure" if wait_exit else "")
                    )
                )
            else:
                statuses.append(terminated(name, 0))
        phase = "Succeeded" if main_exit == 0 and wait_exit == 0 else "Failed"
        status = {
            "status": {
                "phase": phase,
                "startTime": now,
                "podIP": "127.0.0.1",
                "conditions": [{"type": "Ready", "status": "False", "reason": "PodCompleted"}],
                "initContainerStatuses": [
                    terminated(c["name"], 0) for c in pod["spec"].get("initContainers", [])
                ],
                "containerStatuses": statuses,
            }
        }
        self.cluster.request(
            "PATCH",
            f"/api/v1/namespaces/{ns}/pods/{meta['name']}/status",
            status,
            content_type="application/merge-patch+json",
        )

    # -- the executor-plugin agent ----------------------------------------------------------------
    def _start_agent(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        key = f"{meta['namespace']}/{meta['labels'][WF_LABEL]}"
        with self._lock:
            if key in self._agents:
                return
            self._agents.add(key)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        running = [
            {
                "name": c["name"],
                "ready": True,
                "restartCount": 0,
                "image": "scripted",
                "imageID": "",
                "state": {"running": {"startedAt": now}},
            }
            for c in pod["spec"]["containers"]
        ]
        self.cluster.request(
            "PATCH",
            f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status",
            {
                "status": {
                    "phase": "Running",
                    "startTime": now,
                    "podIP": "127.0.0.1",
                    "containerStatuses": running,
                }
            },
            content_type="application/merge-patch+json",
        )
        t = threading.Thread(
            target=self._agent,
            args=(meta["namespace"], meta["labels"][WF_LABEL]),
            name=f"e2e-agent-{key}",
            daemon=True,
        )
        t.start()
        self._threads.append(t)

    def _agent(self, ns: str, wf_name: str) -> None:
        """``argoexec agent main``: each task is executed once, again after a requeue; results are
        merge-patched into the task set's status."""
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{ns}/workflowtasksets/{wf_name}"
        next_call: dict[str, float] = {}
        finished: set[str] = set()
        while not self._stop.is_set():
            try:
                taskset = self.cluster.request("GET", path)
            except ClusterError as exc:
                if " 404 " in str(exc):
                    break
                self._stop.wait(0.5)
                continue
            if taskset["metadata"].get("labels", {}).get("workflows.argoproj.io/completed") == "true":
                break
            workflow = self._workflow(ns, wf_name)
            nodes: dict[str, Any] = {}
            table = self._table(workflow)
            for node_id, template in (taskset.get("spec", {}).get("tasks") or {}).items():
                if node_id in finished or time.monotonic() < next_call.get(node_id, 0):
                    continue
                op = (template.get("metadata") or {}).get("labels", {}).get("polyflow.io/op", "")
                if op in table:  # the world outside (an S3 bucket, a model server) as scripted
                    phase, values = _scenario(table, op, 0)
                    node, requeue = (
                        {
                            "phase": phase,
                            "outputs": {
                                "parameters": [
                                    {"name": p["name"], "value": values.get(p["name"], "")}
                                    for p in (template.get("outputs") or {}).get("parameters", [])
                                ]
                            },
                        },
                        0.0,
                    )
                else:
                    node, requeue = self._execute(workflow, template)
                nodes[node_id] = node
                if node.get("phase") in ("Succeeded", "Failed", "Error"):
                    finished.add(node_id)
                else:
                    next_call[node_id] = time.monotonic() + requeue
            if nodes:
                self.cluster.request(
                    "PATCH",
                    path + "/status",
                    {"status": {"nodes": nodes}},
                    content_type="application/merge-patch+json",
                )
            self._stop.wait(0.3)

    def _execute(self, workflow: dict[str, Any], template: dict[str, Any]) -> tuple[dict[str, Any], float]:
        body = {
            "workflow": {"metadata": {k: workflow["metadata"][k] for k in ("name", "namespace", "uid")}},
            "template": template,
        }
        req = urllib.request.Request(
            f"{self.plugin_url}/api/v1/template.execute",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.plugin_token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                reply = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return {"phase": "Failed", "message": f"plugin replied {exc.code}"}, 0
        except OSError as exc:
            return {"phase": "Failed", "message": f"plugin unreachable: {exc}"}, 0
        with self._lock:
            self.plugin_calls.append(
                {"workflow": workflow["metadata"]["name"], "template": template.get("name"), "reply": reply}
            )
        node = reply.get("node")
        if not node:
            return {"phase": "Failed", "message": "no plugin executed the template"}, 0
        return node, _duration(reply.get("requeue"))


def _template(cluster: Cluster, pod: dict[str, Any]) -> dict[str, Any]:
    """The template the executor would run: ``ARGO_TEMPLATE`` on the init container (or its
    offloaded ConfigMap named after the pod)."""
    for container in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
        for env in container.get("env", []):
            if env["name"] == "ARGO_TEMPLATE":
                if env.get("value") == "offloaded":
                    cm = cluster.request(
                        "GET",
                        f"/api/v1/namespaces/{pod['metadata']['namespace']}/configmaps/"
                        f"{pod['metadata']['name']}",
                    )
                    return dict(json.loads(cm["data"]["ARGO_TEMPLATE"]))
                return dict(json.loads(env["value"]))
    return {}


def _task_name(node_name: str) -> str:
    last = node_name.rsplit(".", 1)[-1]
    return re.sub(r"\(\d+\)$", "", last)


def _attempt(node_name: str) -> int:
    m = re.search(r"\((\d+)\)$", node_name)
    return int(m.group(1)) if m else 0


def _scenario(table: dict[str, Any], op: str, attempt: int) -> tuple[str, dict[str, str]]:
    """The op's outcome and the output files its container wrote: the op's entry over the ``"*"``
    entry (outputs every container writes, e.g. an image build's digest)."""
    written = {k: str(v) for k, v in (table.get("*") or {}).get("outputs", {}).items()}
    entry = table.get(op, "Succeeded")
    if isinstance(entry, list):
        entry = entry[min(attempt, len(entry) - 1)]
    if isinstance(entry, str):
        return entry, written
    return entry.get("phase", "Succeeded"), {
        **written,
        **{k: str(v) for k, v in entry.get("outputs", {}).items()},
    }


def _outputs(template: dict[str, Any], values: dict[str, str]) -> tuple[list[dict[str, Any]], str]:
    """What SaveParameters reports: the scenario's value, else the default; the first declared
    output with neither stops it (the missing-file case) and is returned as its path."""
    out: list[dict[str, Any]] = []
    for param in (template.get("outputs") or {}).get("parameters", []):
        value_from = param.get("valueFrom") or {}
        entry = dict(param)
        if param["name"] in values:
            entry["value"] = values[param["name"]]
        elif "default" in value_from:
            entry["value"] = value_from["default"]
        elif "path" in value_from:
            return out, str(value_from["path"])
        else:
            continue
        out.append(entry)
    return out, ""


def _duration(text: Any) -> float:
    if not isinstance(text, str) or not text:
        return 1.0
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)(h|ms|m|s)", text):
        total += float(number) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total or 1.0
