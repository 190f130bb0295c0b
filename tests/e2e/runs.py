"""Submitting manifests to the real API server and waiting for the real controller to finish them."""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .cluster import Cluster
from .kubelet import OUTCOMES, ScriptedKubelet

DONE = ("Succeeded", "Failed", "Error")
BATCH = "polyflow.test/batch"
API = "/apis/argoproj.io/v1alpha1/namespaces"
PLURAL = {"Workflow": "workflows", "CronWorkflow": "cronworkflows", "WorkflowTemplate": "workflowtemplates"}


@dataclass
class Finished:
    name: str
    phase: str
    message: str
    nodes: dict[str, dict[str, Any]]  # display name (the DAG task) -> node status
    workflow: dict[str, Any]

    def phases(self, dag: str | None = None) -> dict[str, str]:
        """Each DAG task's phase by its display name (the task name, or the op name Argo shows), for
        the tasks of the root DAG or of the DAG node ``dag`` (its id); a retried task counts once."""
        boundary = dag or self.name
        retried = {
            c for n in self.nodes.values() if n.get("type") == "Retry" for c in n.get("children") or []
        }
        return {
            n["displayName"]: n["phase"]
            for n in self.nodes.values()
            if n.get("boundaryID") == boundary and n["id"] not in retried
        }


class Runs:
    def __init__(self, cluster: Cluster, kubelet: ScriptedKubelet) -> None:
        self.cluster = cluster
        self.kubelet = kubelet
        self.finished: dict[str, Finished] = {}

    def create(self, doc: dict[str, Any], namespace: str = "ml", strict: bool = True) -> dict[str, Any]:
        """POST ``doc`` with ``fieldValidation=Strict`` (any unknown or duplicate field is refused)."""
        kind = doc["kind"]
        query = "fieldValidation=Strict" if strict else ""
        return dict(self.cluster.request("POST", f"{API}/{namespace}/{PLURAL[kind]}", doc, query=query))

    def submit(
        self,
        workflow: dict[str, Any],
        outcomes: dict[str, Any] | None = None,
        namespace: str = "ml",
        batch: str = "",
    ) -> str:
        doc = copy.deepcopy(workflow)
        meta = doc.setdefault("metadata", {})
        meta.pop("namespace", None)
        if "name" not in meta and "generateName" not in meta:
            meta["generateName"] = "e2e-"
        meta.setdefault("annotations", {})[OUTCOMES] = json.dumps(outcomes or {})
        if batch:
            meta.setdefault("labels", {})[BATCH] = batch
        return str(self.create(doc, namespace)["metadata"]["name"])

    def wait(self, names: Iterable[str], namespace: str = "ml", timeout: float = 180) -> dict[str, Finished]:
        """Wait until every named workflow has a final phase; on timeout, fail with what is stuck."""
        pending = set(names)
        out: dict[str, Finished] = {}
        deadline = time.monotonic() + timeout
        while pending:
            listing = self.cluster.request("GET", f"{API}/{namespace}/workflows")
            for wf in listing.get("items", []):
                name = wf["metadata"]["name"]
                phase = wf.get("status", {}).get("phase")
                if name in pending and phase in DONE:
                    out[name] = _finished(wf)
                    pending.discard(name)
            if not pending:
                break
            if time.monotonic() > deadline:
                stuck = {
                    wf["metadata"]["name"]: _summary(wf)
                    for wf in listing.get("items", [])
                    if wf["metadata"]["name"] in pending
                }
                raise AssertionError(
                    f"workflows not finished after {timeout:.0f}s: {json.dumps(stuck, indent=1)}"
                    f"\nkubelet errors: {self.kubelet.errors[-5:]}"
                )
            time.sleep(0.5)
        return out

    def run(
        self,
        workflow: dict[str, Any],
        outcomes: dict[str, Any] | None = None,
        namespace: str = "ml",
        timeout: float = 180,
    ) -> Finished:
        name = self.submit(workflow, outcomes, namespace)
        return self.wait([name], namespace, timeout)[name]

    def delete_batch(self, batch: str, namespace: str = "ml") -> None:
        self.cluster.request(
            "DELETE", f"{API}/{namespace}/workflows", query=f"labelSelector={BATCH}%3D{batch}"
        )


def new_batch() -> str:
    return secrets.token_hex(4)


def _finished(wf: dict[str, Any]) -> Finished:
    status = wf.get("status", {})
    return Finished(
        wf["metadata"]["name"],
        status["phase"],
        status.get("message", ""),
        dict(status.get("nodes") or {}),
        wf,
    )


def _summary(wf: dict[str, Any]) -> dict[str, Any]:
    status = wf.get("status", {})
    return {
        "phase": status.get("phase"),
        "message": status.get("message"),
        "nodes": {
            n.get("displayName"): [n.get("phase"), n.get("message")]
            for n in (status.get("nodes") or {}).values()
        },
    }
