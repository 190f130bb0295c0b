"""The whole flow on one page: read → validate → input edge → resolve → translate → check → emit.

    read            source.read / source.parse: text → LocatedDoc (data + positions), files deep-merged;
                    ``-p`` overrides applied to the document (:func:`apply_params`)
    validate        language.load.load_pipeline: LocatedDoc → language.Pipeline (pydantic, strict)
    input edge      inputs.read_sources / read_project: every path and url template, polyflow.lock,
                    the registries (in-cluster ones through the cluster client injected here) and the
                    project config, read into plain data; nothing after this reads a file or the network
    resolve         resolve.resolve: spec + Sources → resolve.Pipeline (graph, templates, params)
    translate       translate.translate: resolve.Pipeline + TranslateOptions (derived once here from
                    CompileOptions, the project config and the build settings) → Argo manifest dicts,
    check           … checked against Argo's limits (translate/check.py)
    emit            emit.py (the CLI writes them; the API returns them)

Every stage raises a :class:`~polyflow_argo.errors.PolyflowError` subclass with all the
diagnostics it found.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

from . import source
from .errors import Diagnostic, PolyflowError, ResolveError, SourceError, Span, TranslateError
from .inputs import Project, Sources, read_project, read_sources
from .language import Pipeline
from .language.load import load_pipeline
from .resolve import Pipeline as ResolvedPipeline
from .resolve import ResolveOptions, resolve

if TYPE_CHECKING:
    from .registry.cluster import TemplateReader
    from .registry.local import Registry
    from .translate import CompileOptions, TranslateOptions

PathOrText = Union[str, "PathLike[str]"]


@dataclass(frozen=True)
class Text:
    """YAML or JSON text given directly, not read from a path; ``name`` is the file diagnostics name.

    ``compile(text=...)``, ``load(text=...)`` and ``lint(text=...)`` wrap their text in one; the CLI
    passes stdin (``-``) as ``Text(data, "<stdin>")``."""

    text: str | bytes
    name: str = "<string>"


# What the API reads: a path (str or PathLike), Text, or a mapping of plain data. For compatibility
# (before `text=` existed) a str holding a newline, or a whole JSON object `{...}`, is still read as
# text: no file name is either. Every other str is a path (`kind-demo.yaml`, `versions/p.yaml`).
Input = PathOrText | Text | Mapping[str, Any]


def _is_text(value: object) -> bool:
    if isinstance(value, Text):
        return True
    if not isinstance(value, str):
        return False
    return "\n" in value or (value.lstrip().startswith("{") and value.rstrip().endswith("}"))


def _inputs(sources: tuple[Input, ...], text: str | bytes | None) -> tuple[Input, ...]:
    if text is not None:
        if sources:
            raise TypeError("pass files or text=..., not both")
        return (Text(text),)
    if not sources:
        raise TypeError("needs at least one file, Text or mapping (or text=...)")
    return sources


def read(*sources: Input, text: str | bytes | None = None) -> source.LocatedDoc:
    """Read one or more inputs and deep-merge them in order (raises :class:`PolyflowError`).

    A ``str`` or ``PathLike`` is a path; ``text=`` (or :class:`Text`) is YAML/JSON text; a mapping is
    the document itself, as plain data (it is checked with the same bounds as a file)."""
    docs = [_read_one(s) for s in _inputs(sources, text)]
    return docs[0] if len(docs) == 1 else source.merge(docs)


def _read_one(item: Input) -> source.LocatedDoc:
    if isinstance(item, Text):
        data = item.text
        return source.parse(source.decode(data, item.name) if isinstance(data, bytes) else data, item.name)
    if isinstance(item, Mapping):
        return _from_mapping(item)
    if _is_text(item):  # a str of text, not a path (compatibility: see Input)
        return source.parse(cast(str, item), "<string>")
    if isinstance(item, (str, PathLike)):
        return source.read(Path(item))
    raise TypeError(f"expected a path, Text or a mapping, got {type(item).__name__}")


def _from_mapping(data: Mapping[str, Any]) -> source.LocatedDoc:
    """A mapping given to the API: written as JSON (plain data only, bounded like any text) and read
    back, so it is validated exactly like a file named ``<dict>`` and never shared with the caller."""
    def plain(value: Any) -> Any:
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        if isinstance(value, (tuple, Mapping)):
            return list(value) if isinstance(value, tuple) else dict(value)
        raise TypeError(f"a {type(value).__name__} is not plain data")

    try:
        text = json.dumps(data, indent=1, allow_nan=False, default=plain)
    except (TypeError, ValueError, RecursionError) as exc:
        why = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise SourceError(
            Diagnostic("PF113", f"the mapping passed to polyflow_argo is not plain data: {why}",
                       Span("<dict>", 1, 1, 1, 1),
                       "pass str keys and str, int, float, bool, None, list or dict values "
                       "(what yaml.safe_load returns)")
        ) from None
    return source.parse(text, "<dict>")


def load(*sources: Input, text: str | bytes | None = None, resolve_sources: bool = False) -> Pipeline:
    """Load and fully validate a pipeline from paths, ``text=`` or a mapping (several are merged).

    Raises:
        PolyflowError: a ``SourceError``, ``SpecError`` or ``ResolveError`` with every problem found;
        nothing else for any content.
    """
    return resolve_file(*sources, text=text, resolve_sources=resolve_sources).spec


def resolve_file(
    *sources: Input,
    text: str | bytes | None = None,
    resolve_sources: bool = False,
    registries: tuple[str, ...] = (),
    params: tuple[tuple[str, str], ...] = (),
) -> ResolvedPipeline:
    """Load, validate and resolve: the IR that ``translate`` consumes (``params``: ``-p``
    overrides, applied before validation)."""
    doc = read(*sources, text=text)
    replaced = apply_params(doc, params) if params else ()
    spec = _validate(doc)
    inputs = _read_sources(spec, doc, resolve_sources, registries)
    return resolve(spec, doc, ResolveOptions(resolve_sources=resolve_sources, overridden=replaced), inputs)


def _validate(doc: source.LocatedDoc) -> Pipeline:
    spec = load_pipeline(doc)
    spec._doc = doc
    return spec


def apply_params(
    doc: source.LocatedDoc, params: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str, Any], ...]:
    """Apply ``-p op.param=value`` overrides to the document (before validation, so they are typed).

    Returns ``(op, param, value it replaced)`` for each override of a param the file set, so that
    resolving can say which implied dependency an override removed (PF313)."""
    from .errors import Span, SpecError
    from .language.hints import did_you_mean

    ops = doc.data.get("ops") if isinstance(doc.data, dict) else None
    names = [o.get("name") for o in ops or [] if isinstance(o, dict)]
    replaced: list[tuple[str, str, Any]] = []
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
        if param in op["params"]:
            replaced.append((op_name, param, op["params"][param]))
        op["params"][param] = value
        doc.spans[("ops", index, "params", param)] = Span("<command line>", 1, 1)
    return tuple(replaced)


def compile(  # noqa: A001 - the public name the issue asks for
    pipeline: PipelineInput | None = None,
    options: CompileOptions | None = None,
    *,
    text: str | bytes | None = None,
    **fields: Any,
) -> list[dict[str, object]]:
    """Compile a pipeline: a loaded ``Pipeline``, a path, a mapping, a list of them to merge, or
    ``text=`` (YAML or JSON text).

    Options come as a ``CompileOptions`` or as its fields by keyword, e.g.
    ``compile("p.yaml", argo_version="3.6", name="nightly")``.

    Raises:
        PolyflowError: with every problem found, at its line; nothing else for any content, and for
        an unknown ``argo_version``.
    """
    if fields:
        from dataclasses import replace

        from .translate.context import CompileOptions

        options = replace(options or CompileOptions(), **fields)
    return compile_with_warnings(_one_input(pipeline, text), options)[0]


# What compile() takes: a loaded Pipeline, one input, or several inputs deep-merged in order.
PipelineInput = Pipeline | Input | list[Input] | tuple[Input, ...]


def _one_input(pipeline: PipelineInput | None, text: str | bytes | None) -> PipelineInput:
    if text is None:
        if pipeline is None:
            raise TypeError("compile() needs a pipeline (a path, a mapping, a Pipeline) or text=...")
        return pipeline
    if pipeline is not None:
        raise TypeError("pass a pipeline or text=..., not both")
    return Text(text)


def compile_with_warnings(
    pipeline: PipelineInput, options: CompileOptions | None = None
) -> tuple[list[dict[str, object]], list[Diagnostic]]:
    """Like :func:`compile`, also returning the warnings (what was dropped, quirks)."""
    _, docs, warnings = compile_ir(pipeline, options)
    return docs, warnings


def compile_ir(
    pipeline: PipelineInput, options: CompileOptions | None = None
) -> tuple[ResolvedPipeline, list[dict[str, object]], list[Diagnostic]]:
    """:func:`compile_with_warnings`, also returning the resolved pipeline it translated."""
    from .translate import CompileOptions, translate

    options = options or CompileOptions()
    check_argo_version(options.argo_version)
    spec, doc, replaced = _read_and_validate(pipeline, options)
    inputs, project = _read_inputs(spec, doc, pipeline, options)
    ir = _resolve_for_compile(spec, doc, inputs, replaced)
    docs, sink = translate(ir, translate_options(options, project, ir))  # translate, then check limits
    warnings = sorted([*ir.warnings, *sink.items], key=Diagnostic.sort_key)
    fail_if_strict(options, warnings)
    return ir, docs, warnings


def fail_if_strict(options: CompileOptions, warnings: list[Diagnostic]) -> None:
    """``strict``: every warning is an error (``--strict`` means the same in every command:
    docs/cli.md); raises them, as errors, so nothing is written."""
    if options.strict and warnings:
        raise PolyflowError([replace(d, severity="error") for d in warnings])


def check_argo_version(version: object) -> None:
    """An unknown ``argo_version`` is a user error (PF404), from the API as from the CLI."""
    from .translate.target import VERSIONS

    if version not in VERSIONS:
        raise TranslateError(
            Diagnostic("PF404", f"unknown Argo version {version!r}", None,
                       f"use one of: {', '.join(VERSIONS)}")
        )


def _items(pipeline: Input | list[Input] | tuple[Input, ...]) -> list[Input]:
    return list(pipeline) if isinstance(pipeline, (list, tuple)) else [pipeline]


def _read_and_validate(
    pipeline: PipelineInput, options: CompileOptions
) -> tuple[Pipeline, source.LocatedDoc, tuple[tuple[str, str, Any], ...]]:
    """Read and validate (a loaded Pipeline already is); ``-p`` overrides are applied in between."""
    if isinstance(pipeline, Pipeline):
        if pipeline._doc is None:
            raise TypeError("compile() needs a Pipeline returned by polyflow_argo.load()")
        return pipeline, pipeline._doc, ()
    doc = read(*_items(pipeline))
    replaced = apply_params(doc, options.params) if options.params else ()
    return _validate(doc), doc, replaced


def _read_inputs(
    spec: Pipeline,
    doc: source.LocatedDoc,
    pipeline: PipelineInput | tuple[Input, ...],
    options: CompileOptions,
) -> tuple[Sources, Project]:
    """The input edge of compile: the templates and registries the ops name, and the project config
    (``--project``, or ``polyflow.yaml`` beside the first pipeline file)."""
    inputs = _read_sources(spec, doc, True, options.registries)
    return inputs, read_project(options.project, _pipeline_files(pipeline, doc))


def _read_sources(
    spec: Pipeline, doc: source.LocatedDoc, resolve_sources: bool, registries: tuple[str, ...]
) -> Sources:
    return read_sources(spec, doc, resolve_sources=resolve_sources, registries=registries,
                        connect=_cluster_reader)


def _pipeline_files(pipeline: PipelineInput | tuple[Input, ...], doc: source.LocatedDoc) -> list[str]:
    """The pipeline's files, in order (the project config is looked for beside the first)."""
    if isinstance(pipeline, Pipeline):
        return [f for f in doc.sources if not f.startswith("<")]
    return [str(f) for f in _items(pipeline) if isinstance(f, (str, PathLike)) and not _is_text(f)]


def _resolve_for_compile(
    spec: Pipeline, doc: source.LocatedDoc, inputs: Sources, replaced: tuple[tuple[str, str, Any], ...]
) -> ResolvedPipeline:
    ir = resolve(spec, doc, ResolveOptions(resolve_sources=True, overridden=replaced), inputs)
    refused = [d for d in ir.warnings if d.code in LINT_WARNINGS_COMPILE_ERRORS]
    if refused:  # 0.5.6 accepted such files, so lint warns, but they mean nothing to run
        raise ResolveError([replace(d, severity="error") for d in refused])
    return ir


# Warnings of lint that compile refuses: the original accepted these files, but they can never run.
LINT_WARNINGS_COMPILE_ERRORS = (
    "PF340",  # resolve/semantics.py: a `one_*` trigger on an op with no upstream op
    "PF355",  # resolve/schedule.py: a cron window without an instant
)


def translate_options(options: CompileOptions, project: Project, ir: ResolvedPipeline) -> TranslateOptions:
    """What translation reads, derived once: the output fields of ``options``, the project config
    (raising what reading it found) and the effective image-build settings: the project config's, its
    overrides for this pipeline, then the ``--build-*`` flags (docs/builds.md)."""
    from .language.project import build_settings
    from .translate import TranslateOptions

    config = project.config()
    flags = {k: getattr(options, k) for k in ("build_context", "build_registry", "build_secret", "builder",
                                              "builder_image")}
    return TranslateOptions.of(options, config, build_settings(config, ir.spec.name, flags))


def load_registry(paths: tuple[str, ...] | list[str]) -> Registry:
    """Every registry source (``--registry`` values, then ``POLYFLOW_REGISTRY``); ``cluster:NS`` and
    ``cluster-scope:`` sources are read with the cluster client, created only for them."""
    from .inputs import load_registry as read_registry

    return read_registry(paths, _cluster_reader)


def _cluster_reader(namespace: str | None) -> TemplateReader:
    from .cluster.client import ClusterClient

    return ClusterClient(namespace=namespace)


def backfill(
    pipeline: PipelineInput,
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
    check_argo_version(options.argo_version)
    spec, doc, replaced = _read_and_validate(pipeline, options)
    inputs, project = _read_inputs(spec, doc, pipeline, options)
    ir = _resolve_for_compile(spec, doc, inputs, replaced)
    settings = translate_options(options, project, ir)
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
    ctx = TranslateContext(ir, settings, ArgoTarget(settings.argo_version))
    docs = backfill_workflows(ctx, instants)
    ctx.sink.raise_if_errors(TranslateError)
    warnings = sorted([*ir.warnings, *ctx.sink.items], key=Diagnostic.sort_key)
    fail_if_strict(options, warnings)
    return docs, warnings


MAX_BACKFILL = 1000


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t


def lint(
    *sources: Input,
    text: str | bytes | None = None,
    resolve_sources: bool = False,
    registries: tuple[str, ...] = (),
    params: tuple[tuple[str, str], ...] = (),
    project: str | None = None,
) -> list[Diagnostic]:
    """All diagnostics (errors and warnings) for a pipeline; never raises for any content.

    ``resolve_sources`` also resolves path/url/action/event templates (``registries`` first, then
    ``POLYFLOW_REGISTRY``) and reports every error ``compile`` would, except those that need a
    cluster or output settings (the project config, ``project`` or the one beside the first file, is
    read, as compile does). ``params``: ``-p`` overrides, as for compile.
    """
    try:
        items = _inputs(sources, text)
        doc = read(*items)
        replaced = apply_params(doc, params) if params else ()
        spec = _validate(doc)
        inputs = _read_sources(spec, doc, resolve_sources, registries)
        config = read_project(project, _pipeline_files(items, doc)) if resolve_sources else Project()
        ir = resolve(spec, doc, ResolveOptions(resolve_sources=resolve_sources, overridden=replaced), inputs)
        found = list(ir.warnings)
        if resolve_sources:
            found += _compile_checks(ir, config)
    except PolyflowError as exc:
        return exc.diagnostics
    return sorted(dict.fromkeys(found), key=Diagnostic.sort_key)  # ties: in the order found


def _compile_checks(ir: ResolvedPipeline, project: Project) -> list[Diagnostic]:
    """What ``compile`` reports after resolving (translate: values, builds, Argo limits), with the
    default options. Translation skips the rest of an op whose build is not configured, so then it
    runs once more with placeholder build settings, to report the op's other errors in the same run."""
    from .translate import CompileOptions, translate

    options = translate_options(CompileOptions(), project, ir)
    try:
        _, sink = translate(ir, options)
        return list(sink.items)
    except TranslateError as exc:
        found = list(exc.diagnostics)
    build = options.build
    if build is not None and any(d.code == BUILD_NOT_CONFIGURED for d in found):
        placeholder = build.model_copy(update={
            "context": build.context or "https://lint.invalid/placeholder.git#" + "0" * 40,
            "registry": build.registry or "lint.invalid/placeholder",
        })
        try:
            translate(ir, replace(options, build=placeholder))
        except TranslateError as exc:
            found += [d for d in exc.diagnostics if d not in found]
    return found


BUILD_NOT_CONFIGURED = "PF490"  # translate/build.py: an op builds its image, no context or registry
