"""``registry build``: one WorkflowTemplate (or ClusterWorkflowTemplate) per entry version.

Each holds one template, ``main``, built exactly as an inline template of the same spec is built
in a pipeline (translate/templates.py: container, inputs with ``polyflow-op``, outputs, env), so a
task ``templateRef: {name: polyflow-action-<name>-v<version>, template: main}`` runs it. Labels and
annotations make them listable and readable in the Argo UI.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import Diagnostic, PolyflowError, ResolveError, TranslateError
from ..language.load import load_pipeline
from ..resolve import ResolveOptions
from ..resolve.params import INPUT_WITHOUT_PARAM
from ..resolve.passes import run_passes
from ..source import LocatedDoc
from ..translate.context import CompileOptions, TranslateContext, TranslateOptions
from ..translate.names import label_value
from ..translate.target import ArgoTarget, Feature
from ..translate.workflow import API_VERSION, ENTRYPOINT, REGISTRY_TEMPLATE, workflow_spec
from .local import (
    DEFINITION,
    LABEL_KIND,
    LABEL_NAME,
    LABEL_VERSION,
    Entry,
    Registry,
    definition_text,
    name_collisions,
    template_ref_name,
    version_key,
)


def _as_pipeline(entry: Entry) -> LocatedDoc:
    """The entry as a one-op pipeline whose template is the entry's, keeping the entry's positions."""
    template = dict(entry.doc.data["template"])
    template.setdefault("name", entry.name)
    data = {
        "version": 1,
        "kind": "pipeline",
        "name": entry.name,
        "ops": [{"name": entry.name, "template": {"name": template["name"]}}],
        "templates": [template],
    }
    doc = entry.doc

    def move(index: dict[Any, Any]) -> dict[Any, Any]:
        out = {("templates", 0) + p[1:]: v for p, v in index.items() if p[:1] == ("template",)}
        root = index.get(())
        for p in ((), ("ops", 0), ("version",), ("kind",), ("name",)):
            if root is not None:
                out.setdefault(p, root)
        return out

    return LocatedDoc(data, move(doc.spans), move(doc.key_spans), dict(doc.sources), [])


def _published_templates(templates: list[dict[str, Any]], op_name: str) -> list[dict[str, Any]]:
    """Every template the entry's op needs (a group's trials and best-pick steps too), the op's own
    renamed ``main``; the one-op pipeline DAG around it is dropped."""
    dag = next(t for t in templates if t["name"] == ENTRYPOINT)["dag"]
    entry = next(task["template"] for task in dag["tasks"] if task["name"] == op_name)
    published = [t for t in templates if t["name"] != ENTRYPOINT]
    for template in published:
        if template["name"] == entry:
            template["name"] = REGISTRY_TEMPLATE
        for task in template.get("dag", {}).get("tasks", []):
            if task.get("template") == entry:
                task["template"] = REGISTRY_TEMPLATE
    return published


def build_entry(
    entry: Entry, options: TranslateOptions, cluster_scope: bool
) -> tuple[dict[str, Any], list[Diagnostic]]:
    doc = _as_pipeline(entry)
    spec = load_pipeline(doc)
    ir, sink = run_passes(spec, doc, ResolveOptions(resolve_sources=True))
    # the published template's inputs are passed by each task that uses it, so this one-op pipeline
    # passes none: a required input without a param is no error here
    found = [d for d in sink.items if d.code != INPUT_WITHOUT_PARAM]
    if any(d.severity == "error" for d in found):
        raise ResolveError(found)
    ir = replace(ir, warnings=found)
    ctx = TranslateContext(ir, options, ArgoTarget(options.argo_version), registry_entry=True)
    built = workflow_spec(ctx)
    ctx.sink.raise_if_errors(TranslateError)
    templates = _published_templates(built.spec["templates"], entry.name)
    kind = "ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate"
    meta: dict[str, Any] = {"name": template_ref_name(entry)}
    if options.namespace and not cluster_scope:
        meta["namespace"] = options.namespace
    meta["labels"] = {
        LABEL_KIND: entry.kind,
        LABEL_NAME: entry.name,
        LABEL_VERSION: label_value(entry.version),
        "app.kubernetes.io/managed-by": "polyflow-argo",
    }
    annotations = {"polyflow.io/ref": entry.ref, DEFINITION: definition_text(entry)}
    if ctx.target.has(Feature.UI_ANNOTATIONS_ON_TEMPLATES):
        annotations["workflows.argoproj.io/title"] = f"{entry.kind} {entry.ref}"
        if entry.spec.description:
            annotations["workflows.argoproj.io/description"] = entry.spec.description
    elif entry.spec.description:
        annotations["polyflow.io/description"] = entry.spec.description
    meta["annotations"] = annotations
    spec_out: dict[str, Any] = {"templates": templates}
    if built.spec.get("imagePullSecrets"):
        spec_out["imagePullSecrets"] = built.spec["imagePullSecrets"]
    doc_out = {"apiVersion": API_VERSION, "kind": kind, "metadata": meta, "spec": spec_out}
    return doc_out, list(ctx.sink.items)


def build_registry(
    registry: Registry, options: CompileOptions | TranslateOptions | None = None, cluster_scope: bool = False
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    """Every entry, in (kind, name, version) order; all problems of all entries in one error.

    ``options``: the target (``argo_version``) and ``namespace``; a template of the registry is built
    without a project config or build settings."""
    if not isinstance(options, TranslateOptions):
        options = TranslateOptions.of(options or CompileOptions())
    docs: list[dict[str, Any]] = []
    problems = list(registry.problems)
    problems += name_collisions([registry.entries[k] for k in sorted(registry.entries)])
    warnings: list[Diagnostic] = []
    for key in sorted(registry.entries, key=lambda k: (k[0], k[1], version_key(k[2]))):
        try:
            doc, warns = build_entry(registry.entries[key], options, cluster_scope)
        except PolyflowError as exc:
            problems.extend(exc.diagnostics)
            continue
        docs.append(doc)
        warnings.extend(warns)
    if any(p.severity == "error" for p in problems):
        raise TranslateError(problems)
    return docs, warnings
