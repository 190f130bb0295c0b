"""``polyflow_argo.Client``: the cluster commands as methods, including the two that compile first.

    client = polyflow_argo.Client(namespace="ml")                  # kubeconfig; or argo_server=URL
    [run] = client.submit("examples/diamond.yaml")                 # compiles, then creates the Workflow
    client.push_registry(["examples/registry"])                    # registry build, then apply

Sending manifests and reading runs is :class:`~polyflow_argo.cluster.client.ClusterClient` (the cluster
stage never compiles); this public class adds ``submit`` (compile, then send) and ``push_registry``
(``registry build``, then apply). The compiler is imported on first use, so commands that only read runs
(``watch``, ``logs``) do not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cluster.client import Applied, ClusterClient

if TYPE_CHECKING:
    from .compiler import PipelineInput
    from .translate.context import CompileOptions

__all__ = ["Applied", "Client"]


class Client(ClusterClient):
    __doc__ = ClusterClient.__doc__

    def submit(
        self,
        pipeline: PipelineInput,
        options: CompileOptions | None = None,
        *,
        dry_run: str | None = None,
        **fields: Any,
    ) -> list[Applied]:
        """Compile a pipeline (path, mapping, list of files, ``Text`` or ``load()`` result) and submit
        it: a Workflow is created; a scheduled pipeline's CronWorkflow is applied. ``dry_run``: "client"
        or "server"."""
        from .compiler import compile as compile_pipeline

        docs = compile_pipeline(pipeline, options, **fields)
        return self.submit_manifests(docs, dry_run=dry_run)

    def push_registry(self, dirs: list[str], *, cluster_scope: bool = False, argo_version: str = "4",
                      dry_run: str | None = None) -> list[Applied]:
        """``registry build`` then server-side apply of every template (docs/registry.md)."""
        from pathlib import Path

        from .registry import load_registries
        from .registry.build import build_registry
        from .translate import CompileOptions

        registry = load_registries([Path(d) for d in dirs])
        namespace = (
            None if cluster_scope else self.namespace if dry_run != "client" else self.settings.namespace
        )
        docs, _ = build_registry(registry, CompileOptions(namespace=namespace, argo_version=argo_version),
                                 cluster_scope=cluster_scope)
        return self.submit_manifests(docs, dry_run=dry_run)
