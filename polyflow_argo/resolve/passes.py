"""The resolve passes, in order, and the driver that runs them.

Each pass reads the spec and what earlier passes built, and reports into the context's sink.
All passes run (each tolerates what earlier ones could not build), so one run reports every
problem; the driver raises once at the end.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import Diagnostic, DiagnosticSink, ResolveError
from ..inputs import Sources
from ..language import Pipeline as SpecPipeline
from ..source import LocatedDoc
from .context import Context, ResolveOptions
from .graph import build_graph
from .model import Node, Pipeline
from .names import check_names
from .params import check_params
from .semantics import check_semantics
from .templates import resolve_templates


def resolve_schedule(ctx: Context) -> None:
    """Pass: the schedule (resolve/schedule.py, loaded only for a pipeline that has one)."""
    if ctx.spec.schedule is not None:
        from . import schedule

        schedule.resolve_schedule(ctx)


PASSES: list[Callable[[Context], None]] = [
    check_names,
    build_graph,
    resolve_templates,
    check_params,
    check_semantics,
    resolve_schedule,
]


def resolve(
    spec: SpecPipeline, doc: LocatedDoc, options: ResolveOptions | None = None, sources: Sources | None = None
) -> Pipeline:
    """Run every pass; raise :class:`ResolveError` with all errors, else return the IR.

    ``sources``: the path/url templates and registries the ops name, read by the input edge
    (polyflow_argo/inputs.py ``read_sources``); without it, only templates of the pipeline and the
    registry's resolve, and a path or url template is a TypeError (a caller's mistake, not the file's)."""
    ir, sink = run_passes(spec, doc, options, sources)
    sink.raise_if_errors(ResolveError)
    return ir


def run_passes(
    spec: SpecPipeline, doc: LocatedDoc, options: ResolveOptions | None = None, sources: Sources | None = None
) -> tuple[Pipeline, DiagnosticSink]:
    """Every pass, without raising: the IR as far as it was built, and everything found (for a caller
    that decides about some findings itself: registry/build.py publishes templates whose inputs the
    calling task passes, so a required input without a param, PF336, is no error there)."""
    ctx = Context(spec, doc, options or ResolveOptions(), sources or Sources())
    ctx.sink.extend(doc.warnings)
    registry = ctx.sources.registry
    if registry is not None:  # broken entries do not stop pipelines that do not use them
        ctx.sink.extend(Diagnostic(d.code, d.message, d.span, d.hint, "warning") for d in registry.problems)
    for run in PASSES:
        run(ctx)
    nodes = {}
    for i, op in enumerate(ctx.ops()):
        nodes[op.name] = Node(
            op.name,
            i,
            op,
            ctx.upstream.get(op.name, ()),
            ctx.op_templates.get(op.name),
            ctx.params.get(op.name, {}),
        )
    ir = Pipeline(spec, doc, nodes, ctx.levels, ctx.templates, list(ctx.sink.items), ctx.schedule)
    return ir, ctx.sink
