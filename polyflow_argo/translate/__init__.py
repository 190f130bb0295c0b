"""BACK END: the resolved pipeline (IR) → Argo manifest dicts, nothing else."""

from __future__ import annotations

from typing import Any

from ..errors import DiagnosticSink, TranslateError
from ..resolve import Pipeline
from .check import check_limits
from .context import CompileOptions, TranslateContext
from .cron import cron_workflow
from .target import ArgoTarget
from .workflow import workflow


def translate(
    ir: Pipeline, options: CompileOptions | None = None
) -> tuple[list[dict[str, Any]], DiagnosticSink]:
    """Translate a resolved pipeline; raise :class:`TranslateError` with every problem found.

    Returns the manifests and the sink (its warnings say what was dropped).
    """
    options = options or CompileOptions()
    ctx = TranslateContext(ir, options, ArgoTarget(options.argo_version))
    if ir.schedule is not None and not options.ignore_schedule:
        ctx.scheduled = True
        docs = cron_workflow(ctx)
    else:
        docs = workflow(ctx)
    if options.check_limits and not ctx.sink.has_errors:
        ctx.sink.extend(check_limits(docs, ctx.target))
    ctx.sink.raise_if_errors(TranslateError)
    return docs, ctx.sink


__all__ = ["ArgoTarget", "CompileOptions", "translate"]
