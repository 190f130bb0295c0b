"""CLUSTER LAYER: submit, watch and operate compiled pipelines on Argo Workflows.

    client.py      ``Client``: the commands as methods; retries; idempotent submission
    transport.py   how to connect: the Kubernetes API (kube.py, default) or Argo Server (argoserver.py, Hera)
    errors.py      failed calls → ClusterError diagnostics with hints (PF6xx)
    retry.py       bounded backoff for transient failures
    watch.py       pure: a Workflow's status → rows, change lines, the live table

Nothing here is imported by ``compile``; ``kubernetes`` and ``hera`` are imported only when a transport
connects. docs/cluster.md is the user's guide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Client"]

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client


def __getattr__(name: str) -> Any:
    if name == "Client":
        from .client import Client

        return Client
    raise AttributeError(f"module 'polyflow_argo.cluster' has no attribute {name!r}")
