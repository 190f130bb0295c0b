"""In-cluster registries: the entries ``registry push`` published, read back from the cluster.

``--registry cluster:NAMESPACE`` (or ``cluster:`` for the kubeconfig's namespace) reads the
WorkflowTemplates labelled ``polyflow.io/registry-kind``; ``--registry cluster-scope:`` reads the
ClusterWorkflowTemplates. Each carries the entry as written in its ``polyflow.io/definition``
annotation, which is validated exactly like a local entry file, so an op's params are type-checked
against the version that is really published. Local and in-cluster sources merge into one registry;
the same ``name:version`` defined differently in two places is PF362 (docs/registry.md).

The cluster client is injected (``connect``): the registry is data and never imports the cluster
stage. The input edge that reads the registries (compiler.py) passes one, and it is called only when
such a source is given, so compile talks to the cluster only then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import Diagnostic, PolyflowError
from ..source import parse
from .local import DEFINITION, LABEL_KIND, Entry, Registry, _validate

PREFIXES = ("cluster:", "cluster-scope:")


class TemplateReader(Protocol):
    """What an in-cluster registry needs of a cluster client (cluster/client.py's ``ClusterClient``)."""

    def list_templates(self, kind: str = ..., label: str | None = None) -> list[dict[str, Any]]: ...


Connect = Callable[[str | None], TemplateReader]
"""A reader for a namespace (None: the kubeconfig's)."""


def is_cluster_source(source: str) -> bool:
    return source.startswith(PREFIXES)


def load_cluster_registry(registry: Registry, source: str, connect: Connect) -> None:
    """Add the entries published in the cluster named by ``source`` to ``registry``; problems are
    collected in ``registry.problems`` (a cluster that cannot be reached is one of them)."""
    cluster_scope = source.startswith("cluster-scope:")
    namespace = source.partition(":")[2] or None
    kind = "ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate"
    try:
        templates = connect(namespace).list_templates(kind, LABEL_KIND)
    except PolyflowError as exc:
        registry.problems.extend(
            Diagnostic(d.code, f"registry {source}: {d.message}", d.span, d.hint, d.severity)
            for d in exc.diagnostics
        )
        return
    for obj in templates:
        meta = obj.get("metadata", {})
        name = meta.get("name", "?")
        where = (
            f"cluster-scope:{name}"
            if cluster_scope
            else f"cluster:{meta.get('namespace') or namespace or ''}/{name}"
        )
        text = (meta.get("annotations") or {}).get(DEFINITION)
        if not text:
            registry.problems.append(
                Diagnostic(
                    "PF364",
                    f"{kind} {where} is labelled as a registry entry but has no `{DEFINITION}` annotation",
                    None,
                    "publish it again with `polyflow-argo registry push` (older versions did not store the "
                    "definition)",
                    "warning",
                )
            )
            continue
        try:
            doc = parse(text, f"{where}.json")
            registry.add(Entry(_validate(doc), where, doc))
        except PolyflowError as exc:
            registry.problems.extend(exc.diagnostics)
