"""Every registry source, read into one :class:`~polyflow_argo.registry.local.Registry`.

``--registry`` values then ``POLYFLOW_REGISTRY``: directories are read by local.py, ``cluster:NS`` /
``cluster-scope:`` sources by cluster.py through the ``connect`` the caller injects (compiler.py passes
the cluster client; the cluster is contacted only when such a source is given).
"""

from __future__ import annotations

from pathlib import Path

from .cluster import Connect, is_cluster_source, load_cluster_registry
from .local import Registry, load_registries, registry_paths


def load_sources(explicit: tuple[str, ...] | list[str], connect: Connect) -> Registry:
    """Every registry source; problems are collected in ``Registry.problems``, not raised."""
    sources = [str(p) for p in registry_paths(explicit)]
    in_cluster = [s for s in sources if is_cluster_source(s)]
    registry = load_registries([Path(s) for s in sources if s not in in_cluster])
    for source in in_cluster:
        load_cluster_registry(registry, source, connect)
    return registry
