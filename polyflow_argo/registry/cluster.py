"""In-cluster registries: the entries ``registry push`` published, read back from the cluster.

``--registry cluster:NAMESPACE`` (or ``cluster:`` for the kubeconfig's namespace) reads the
WorkflowTemplates labelled ``polyflow.io/registry-kind``; ``--registry cluster-scope:`` reads the
ClusterWorkflowTemplates. Each carries the entry as written in its ``polyflow.io/definition``
annotation, which is validated exactly like a local entry file, so an op's params are type-checked
against the version that is really published. Local and in-cluster sources merge into one registry;
the same ``name:version`` defined differently in two places is PF362 (docs/registry.md).

Imported only when such a source is given: compile talks to the cluster only then.
"""

from __future__ import annotations

from typing import Any

from ..errors import Diagnostic, PolyflowError
from ..source import parse
from .build import DEFINITION, LABEL_KIND
from .local import Entry, Registry, _validate

PREFIXES = ("cluster:", "cluster-scope:")


def is_cluster_source(source: str) -> bool:
    return source.startswith(PREFIXES)


def load_cluster_registry(registry: Registry, source: str, client: Any = None) -> None:
    """Add the entries published in the cluster named by ``source`` to ``registry``; problems are
    collected in ``registry.problems`` (a cluster that cannot be reached is one of them)."""
    from ..cluster import Client

    cluster_scope = source.startswith("cluster-scope:")
    namespace = source.partition(":")[2] or None
    kind = "ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate"
    try:
        client = client or Client(namespace=namespace)
        templates = client.list_templates(kind, LABEL_KIND)
    except PolyflowError as exc:
        registry.problems.extend(
            Diagnostic(d.code, f"registry {source}: {d.message}", d.span, d.hint, d.severity) for d in exc.diagnostics
        )
        return
    for obj in templates:
        meta = obj.get("metadata", {})
        name = meta.get("name", "?")
        where = f"cluster-scope:{name}" if cluster_scope else f"cluster:{meta.get('namespace') or namespace or ''}/{name}"
        text = (meta.get("annotations") or {}).get(DEFINITION)
        if not text:
            registry.problems.append(
                Diagnostic(
                    "PF364",
                    f"{kind} {where} is labelled as a registry entry but has no `{DEFINITION}` annotation",
                    None,
                    "publish it again with `polyflow-argo registry push` (older versions did not store the definition)",
                    "warning",
                )
            )
            continue
        try:
            doc = parse(text, f"{where}.json")
            registry.add(Entry(_validate(doc), where, doc))
        except PolyflowError as exc:
            registry.problems.extend(exc.diagnostics)
