"""CLUSTER LAYER: send compiled manifests to Argo Workflows, then watch and operate the runs.

    client.py      ``ClusterClient``: the commands as methods; retries; idempotent submission;
                   ``connect`` picks the transport
    transport.py   the transport interface: the Kubernetes API (kube.py, default) or Argo Server
                   (argoserver.py, Hera)
    errors.py      failed calls → ClusterError diagnostics with hints (PF6xx), said once; ``printable``
    replies.py     every answer read within --request-timeout and the size limit, and checked (JSON, shape)
    retry.py       bounded backoff for transient failures
    watch.py       pure: a Workflow's status → rows, change lines, the live table

Nothing here compiles: ``polyflow_argo.Client`` (the package root's client.py) adds ``submit`` and
``push_registry`` on top. ``kubernetes`` and ``hera`` are imported only when a transport connects.
docs/cluster.md is the user's guide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ClusterClient"]

if TYPE_CHECKING:  # pragma: no cover
    from .client import ClusterClient


def __getattr__(name: str) -> Any:
    if name == "ClusterClient":
        from .client import ClusterClient

        return ClusterClient
    raise AttributeError(f"module 'polyflow_argo.cluster' has no attribute {name!r}")
