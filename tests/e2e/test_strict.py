"""Every golden's documents created on the real API server with ``fieldValidation=Strict``: zero
rejections and zero warnings (an unknown or duplicate field is an error there, and a deprecated one a
warning); CronWorkflows are also accepted by Argo's cron controller (no ``SpecError`` condition)."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from .cluster import Cluster
from .runs import API, PLURAL

ROOT = Path(__file__).resolve().parents[2]
GOLDENS = sorted([*ROOT.glob("examples/*.argo.yaml"), *ROOT.glob("tests/golden/**/*.argo.yaml")])
NS = "strict"


@pytest.fixture(scope="module")
def namespace(cluster: Cluster) -> str:
    cluster.kubectl_apply(
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": NS}},
        ]
    )
    return NS


def _create(cluster: Cluster, doc: dict[str, Any], dry_run: bool) -> tuple[dict[str, Any], list[str]]:
    doc = copy.deepcopy(doc)
    doc["metadata"].pop("namespace", None)
    if "generateName" in doc["metadata"]:
        doc["metadata"]["name"] = doc["metadata"].pop("generateName") + "strict"
    query = "fieldValidation=Strict" + ("&dryRun=All" if dry_run else "")
    plural = PLURAL.get(doc["kind"]) or doc["kind"].lower() + "s"
    base = (
        f"{API}/{NS}/{plural}"
        if doc["apiVersion"].startswith("argoproj.io")
        else f"/api/v1/namespaces/{NS}/{plural}"
    )
    out, warnings = cluster.request_with_warnings("POST", base, doc, query=query)
    return dict(out), warnings


@pytest.mark.parametrize("golden", GOLDENS, ids=[str(g.relative_to(ROOT)) for g in GOLDENS])
def test_created_strictly_without_warnings(golden: Path, cluster: Cluster, namespace: str) -> None:
    # the url golden masks a hash that covers a random port (tests/test_golden.py): put a real one back
    text = golden.read_text().replace("<hash of a text with a random port>", "0123456789ab")
    for doc in yaml.safe_load_all(text):
        created, warnings = _create(cluster, doc, dry_run=doc["kind"] != "CronWorkflow")
        assert warnings == [], (doc["kind"], warnings)
        if doc["kind"] == "CronWorkflow":
            name = created["metadata"]["name"]
            path = f"{API}/{NS}/cronworkflows/{name}"
            time.sleep(2)  # the cron controller validates on add and records a SpecError condition
            cron = cluster.request("GET", path)
            conditions = cron.get("status", {}).get("conditions") or []
            assert not [c for c in conditions if c.get("type") == "SpecError"], conditions
            cluster.request("DELETE", path)
