"""The plugin's ConfigMap (``polyflow-argo plugin manifest``), as ``argo executor-plugin build``
would write it (argo-semantics.md §10): the sidecar container with a port, resource requests and
limits, and a locked-down securityContext, which Argo's validation requires.

Options (the default output has none of them):

- ``s3_secret``: the sidecar's AWS_* variables for ``s3`` events come from that Secret (in each
  workflow's namespace, where the agent pod runs). Every key is optional, so a missing Secret or key
  never stops the agent pod: s3 requests are then anonymous.
- ``kube_events``: ``sidecar.automountServiceAccountToken: "true"``, so Argo mounts the token of the
  service account ``polyflow-executor-plugin`` (of the workflow's namespace) into the sidecar, for
  ``k8s`` and ``pipeline`` events. That account, its token Secret and its RBAC must then exist in every
  namespace that runs workflows with event ops (docs/plugin.md).
- ``http_allow``: ``--http-allow ENTRY`` for each entry on the server's command line: addresses or
  CIDR networks http events may call although the SSRF policy refuses them (docs/plugin.md).

The sidecar's securityContext is fixed: non-root, no privilege escalation, a read-only root
filesystem, no capabilities and the runtime's default seccomp profile.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .events import allow_networks
from .server import PLUGIN

DEFAULT_IMAGE = "ghcr.io/polyflow-argo/executor-plugin:0.1.0"
PORT = 4355
SERVICE_ACCOUNT = f"{PLUGIN}-executor-plugin"
# The Secret's keys, each mapped to the variable of the same name (all optional).
S3_SECRET_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
)
_SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\Z")


def plugin_configmap(
    image: str = DEFAULT_IMAGE,
    namespace: str | None = None,
    *,
    s3_secret: str | None = None,
    kube_events: bool = False,
    http_allow: tuple[str, ...] = (),
) -> dict[str, Any]:
    allow_networks(http_allow)  # ValueError on an entry that is not an address or a network
    allow = [arg for entry in http_allow for arg in ("--http-allow", entry)]
    container: dict[str, Any] = {
        "name": f"{PLUGIN}-executor-plugin",
        "image": image,
        "command": [
            "python",
            "-m",
            "polyflow_argo",
            "plugin",
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
            str(PORT),
            *allow,
        ],
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
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if s3_secret is not None:
        if not _SECRET_NAME.match(s3_secret):
            raise ValueError(
                f"--s3-secret: {s3_secret!r} is not a valid Secret name (lowercase RFC 1123 subdomain)"
            )
        container["env"] = [
            {"name": key, "valueFrom": {"secretKeyRef": {"name": s3_secret, "key": key, "optional": True}}}
            for key in S3_SECRET_KEYS
        ]
    meta: dict[str, Any] = {
        "name": f"{PLUGIN}-executor-plugin",
        "labels": {
            "workflows.argoproj.io/configmap-type": "ExecutorPlugin",
            "app.kubernetes.io/name": "polyflow-argo",
            "app.kubernetes.io/component": "executor-plugin",
        },
        "annotations": {
            "workflows.argoproj.io/description": "polyflow-argo events: time, http, s3, k8s, pipeline"
        },
    }
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {
            "sidecar.container": yaml.safe_dump(container, sort_keys=False),
            "sidecar.automountServiceAccountToken": "true" if kube_events else "false",
        },
    }
