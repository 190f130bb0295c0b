"""The plugin's ConfigMap (``polyflow-argo plugin manifest``), as ``argo executor-plugin build``
would write it (argo-semantics.md §10): the sidecar container with a port, resource requests and
limits, and a locked-down securityContext, which Argo's validation requires."""

from __future__ import annotations

from typing import Any

import yaml

from .server import PLUGIN

DEFAULT_IMAGE = "ghcr.io/polyflow-argo/executor-plugin:0.1.0"
PORT = 4355


def plugin_configmap(image: str = DEFAULT_IMAGE, namespace: str | None = None) -> dict[str, Any]:
    container = {
        "name": f"{PLUGIN}-executor-plugin",
        "image": image,
        "command": ["python", "-m", "polyflow_argo", "plugin", "serve", "--host", "0.0.0.0", "--port", str(PORT)],
        "ports": [{"containerPort": PORT}],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "250m", "memory": "128Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    meta: dict[str, Any] = {
        "name": f"{PLUGIN}-executor-plugin",
        "labels": {
            "workflows.argoproj.io/configmap-type": "ExecutorPlugin",
            "app.kubernetes.io/name": "polyflow-argo",
            "app.kubernetes.io/component": "executor-plugin",
        },
        "annotations": {"workflows.argoproj.io/description": "polyflow-argo events: time, http"},
    }
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {
            "sidecar.container": yaml.safe_dump(container, sort_keys=False),
            "sidecar.automountServiceAccountToken": "false",
        },
    }
