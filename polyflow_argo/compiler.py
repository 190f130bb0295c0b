"""The whole flow on one page: text → located document → spec → resolved IR → Argo manifests.

    source.read / source.parse      text → LocatedDoc (data + positions), deep merge of files
    spec.load.load_pipeline         LocatedDoc → spec.Pipeline (pydantic, strict)
    resolve.resolve                 spec.Pipeline → resolve.Pipeline (graph, templates, params)
    translate.translate             resolve.Pipeline → list of Argo manifest dicts

Every stage raises a :class:`~polyflow_argo.errors.PolyflowError` subclass with all the
diagnostics it found.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from . import source
from .errors import Diagnostic, PolyflowError
from .resolve import Pipeline as ResolvedPipeline
from .resolve import ResolveOptions, resolve
from .language import Pipeline
from .language.load import load_pipeline

if TYPE_CHECKING:
    from .registry.cluster import TemplateReader
    from .registry.local import Registry
    from .translate import CompileOptions

PathOrText = Union[str, "PathLike[str]"]


def _is_text(value: PathOrText) -> bool:
    if not isinstance(value, str):
        return False
    stripped = value.lstrip()
    return "\n" in value or stripped.startswith(("{", "version", "kind", "---"))


def read(*sources: PathOrText) -> source.LocatedDoc:
    """Read one or more files (or texts) and deep-merge them in order."""
    if not sources:
        raise TypeError("read() needs at least one file or text")
    docs = [
        source.parse(s, "<string>") if _is_text(s) else source.read(Path(s))  # type: ignore[arg-type]
        for s in sources
    ]
    return docs[0] if len(docs) == 1 else source.merge(docs)


def load(*sources: PathOrText, resolve_sources: bool = False) -> Pipeline:
    """Load and fully validate a pipeline from paths or YAML/JSON text.

    Raises:
        PolyflowError: a ``SourceError``, ``SpecError`` or ``ResolveError`` with every problem found.
    """
    return resolve_file(*sources, resolve_sources=resolve_sources).spec


def resolve_file(
    *sources: PathOrText, resolve_sources: bool = False, registries: tuple[str, ...] = ()
) -> ResolvedPipeline:
    """Load, validate and resolve: the IR that ``translate`` consumes."""
    doc = read(*sources)
    spec = load_pipeline(doc)
    spec._doc = doc
    registry = _registry(spec, registries) if resolve_sources else None
    return resolve(spec, doc, ResolveOptions(resolve_sources=resolve_sources, registry=registry))


def apply_params(doc: source.LocatedDoc, params: tuple[tuple[str, str], ...]) -> None:
    """Apply ``-p op.param=value`` overrides to the document (before validation, so they are typed)."""
    from .errors import Span, SpecError
    from .language.hints import did_you_mean

    ops = doc.data.get("ops") if isinstance(doc.data, dict) else None
    names = [o.get("name") for o in ops or [] if isinstance(o, dict)]
    for key, value in params:
        op_name, _, param = key.partition(".")
        if not param or op_name not in names:
            hint = did_you_mean(op_name, [n for n in names if isinstance(n, str)]) if param else None
            raise SpecError(
                Diagnostic(
                    "PF290",
                    f"-p {key}={value}: "
                    + (f"no op named '{op_name}'" if param else "expected OP.PARAM=VALUE"),
                    Span("<command line>", 1, 1),
                    hint or "write -p op-name.param-name=value",
                )
            )
        op = ops[names.index(op_name)]  # type: ignore[index]
        index = names.index(op_name)
        if not isinstance(op.get("params"), dict):
            op["params"] = {}
        op["params"][param] = value
        doc.spans[("ops", index, "params", param)] = Span("<command line>", 1, 1)


def compile(  # noqa: A001 - the public name the issue asks for
    pipeline: Pipeline | PathOrText | list[PathOrText], options: CompileOptions | None = None, **fields: Any
) -> list[dict[str, object]]:
    """Compile a pipeline (a loaded ``Pipeline``, a path, YAML text, or a list of files to merge).

    Options come as a ``CompileOptions`` or as its fields by keyword, e.g.
    ``compile("p.yaml", argo_version="3.6", name="nightly")``.

    Raises:
        PolyflowError: with every problem found, at its line.
    """
    if fields:
        from dataclasses import replace

        from .translate.context import CompileOptions

        options = replace(options or CompileOptions(), **fields)
    return compile_with_warnings(pipeline, options)[0]


def compile_with_warnings(
    pipeline: Pipeline | PathOrText | list[PathOrText], options: CompileOptions | None = None
) -> tuple[list[dict[str, object]], list[Diagnostic]]:
    """Like :func:`compile`, also returning the warnings (what was dropped, quirks)."""
    _, docs, warnings = compile_ir(pipeline, options)
    return docs, warnings


def compile_ir(
    pipeline: Pipeline | PathOrText | list[PathOrText], options: CompileOptions | None = None
) -> tuple[ResolvedPipeline, list[dict[str, object]], list[Diagnostic]]:
    """:func:`compile_with_warnings`, also returning the resolved pipeline it translated."""
    from .translate import CompileOptions, translate

    options = options or CompileOptions()
    ir = _resolve_input(pipeline, options)
    options = with_build_settings(options, pipeline, ir)
    docs, sink = translate(ir, options)
    warnings = sorted([*ir.warnings, *sink.items], key=Diagnostic.sort_key)
    return ir, docs, warnings


def _resolve_input(
    pipeline: Pipeline | PathOrText | list[PathOrText], options: CompileOptions
) -> ResolvedPipeline:
    if isinstance(pipeline, Pipeline):
        doc = pipeline._doc
        if doc is None:
            raise TypeError("compile() needs a Pipeline returned by polyflow_argo.load()")
        spec = pipeline
    else:
        doc = read(*pipeline) if isinstance(pipeline, (list, tuple)) else read(pipeline)
        if options.params:
            apply_params(doc, options.params)
        spec = load_pipeline(doc)
        spec._doc = doc
    return resolve(
        spec, doc, ResolveOptions(resolve_sources=True, registry=_registry(spec, options.registries))
    )


def with_build_settings(
    options: CompileOptions, pipeline: Pipeline | PathOrText | list[PathOrText], ir: ResolvedPipeline
) -> CompileOptions:
    """The options with the effective image-build settings: the project config (``--project``, or
    ``polyflow.yaml`` beside the first pipeline file), its overrides for this pipeline, then the
    ``--build-*`` flags (docs/builds.md)."""
    from dataclasses import replace

    from .language.project import build_settings, load_project, project_path

    if options.build is not None:
        return options
    if isinstance(pipeline, Pipeline):
        files = [f for f in ir.doc.sources if not f.startswith("<")]
    else:
        items = pipeline if isinstance(pipeline, (list, tuple)) else [pipeline]
        files = [str(f) for f in items if not _is_text(f)]
    path = project_path(options.project, files)
    config = load_project(path) if path is not None else None
    flags = {k: getattr(options, k) for k in ("build_context", "build_registry", "build_secret", "builder",
                                              "builder_image")}
    return replace(options, build=build_settings(config, ir.spec.name, flags), project_config=config)


def _registry(spec: Pipeline, paths: tuple[str, ...]) -> Registry | None:
    """The registries, read only when an op uses an action or an event."""
    if not any(op.template.source in ("action", "event") for op in spec.op_list):
        return None
    return load_registry(paths)


def load_registry(paths: tuple[str, ...] | list[str]) -> Registry:
    """Every registry source (``--registry`` values, then ``POLYFLOW_REGISTRY``); ``cluster:NS`` and
    ``cluster-scope:`` sources are read with the cluster client, created only for them."""
    from .registry.sources import load_sources

    return load_sources(paths, _cluster_reader)


def _cluster_reader(namespace: str | None) -> TemplateReader:
    from .cluster.client import ClusterClient

    return ClusterClient(namespace=namespace)


def backfill(
    pipeline: Pipeline | PathOrText | list[PathOrText],
    start: datetime,
    end: datetime,
    options: CompileOptions | None = None,
) -> tuple[list[dict[str, object]], list[Diagnostic]]:
    """One Workflow per instant of the pipeline's schedule in ``[start, end]`` (translate/backfill.py).

    Raises:
        PolyflowError: the pipeline is invalid, has no schedule, or the window is empty or reversed.
    """
    from .errors import TranslateError
    from .resolve.schedule import spec_instants
    from .translate import CompileOptions
    from .translate.backfill import backfill_workflows
    from .translate.context import TranslateContext
    from .translate.target import ArgoTarget

    options = options or CompileOptions()
    ir = _resolve_input(pipeline, options)
    options = with_build_settings(options, pipeline, ir)
    where = ir.doc.span(())
    if ir.schedule is None:
        raise TranslateError(
            Diagnostic("PF470", "the pipeline has no schedule, so there is nothing to backfill", where,
                       "add a `schedule:`; a one-off run is `polyflow-argo compile`")
        )
    start, end = _utc(start), _utc(end)
    if end < start:
        raise TranslateError(
            Diagnostic(
                "PF471", f"--to ({end.isoformat()}) is before --from ({start.isoformat()})", None, "swap them"
            )
        )
    cap = MAX_BACKFILL + 1 if options.check_limits else None
    before = start - timedelta(microseconds=1) if start > datetime.min.replace(tzinfo=start.tzinfo) else start
    instants = list(spec_instants(ir.schedule, before, limit=cap, until=end))
    if not instants:
        raise TranslateError(
            Diagnostic(
                "PF472",
                f"the schedule has no instant between {start.isoformat()} and {end.isoformat()}",
                ir.doc.span(("schedule",)),
                "`polyflow-argo schedule next FILE --from ...` lists them",
            )
        )
    if len(instants) > MAX_BACKFILL and options.check_limits:
        raise TranslateError(
            Diagnostic(
                "PF473",
                f"the window holds more than {MAX_BACKFILL} runs, the most backfill emits at once",
                None,
                "backfill a shorter window at a time",
            )
        )
    ctx = TranslateContext(ir, options, ArgoTarget(options.argo_version))
    docs = backfill_workflows(ctx, instants)
    ctx.sink.raise_if_errors(TranslateError)
    return docs, sorted([*ir.warnings, *ctx.sink.items], key=Diagnostic.sort_key)


MAX_BACKFILL = 1000


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t


def lint(
    *sources: PathOrText, resolve_sources: bool = False, registries: tuple[str, ...] = ()
) -> list[Diagnostic]:
    """All diagnostics (errors and warnings) for a pipeline; never raises for bad input.

    ``resolve_sources`` also resolves path/action/event templates (``registries`` first, then
    ``POLYFLOW_REGISTRY``) and reports those that cannot be resolved.
    """
    try:
        ir = resolve_file(*sources, resolve_sources=resolve_sources, registries=registries)
    except PolyflowError as exc:
        return exc.diagnostics
    return sorted(ir.warnings, key=Diagnostic.sort_key)
