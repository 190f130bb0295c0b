"""BACK END: the resolved pipeline (IR) → Argo manifest dicts, nothing else.

The names are imported on first use (PEP 562): the CLI reads ``translate.target.VERSIONS`` to build
its parser, which must not load the translators (``--version`` and ``lint`` never translate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import DiagnosticSink
    from ..resolve import Pipeline
    from .context import CompileOptions, TranslateOptions
    from .target import ArgoTarget


def translate(
    ir: Pipeline, options: TranslateOptions | None = None
) -> tuple[list[dict[str, Any]], DiagnosticSink]:
    """Translate a resolved pipeline; raise :class:`TranslateError` with every problem found.

    Returns the manifests and the sink (its warnings say what was dropped).
    """
    from ..errors import TranslateError
    from .check import check_limits
    from .context import TranslateContext, TranslateOptions
    from .target import ArgoTarget

    options = options or TranslateOptions()
    ctx = TranslateContext(ir, options, ArgoTarget(options.argo_version))
    if ir.schedule is not None and not options.ignore_schedule:
        from .cron import cron_workflow

        ctx.scheduled = True
        docs = cron_workflow(ctx)
    else:
        from .workflow import workflow

        docs = workflow(ctx)
    if options.check_limits and not ctx.sink.has_errors:
        ctx.sink.extend(check_limits(docs, ctx.target, lift=options.lift_limits))
    ctx.sink.raise_if_errors(TranslateError)
    return docs, ctx.sink


_LAZY = {"ArgoTarget": "target", "CompileOptions": "context", "TranslateOptions": "context"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["ArgoTarget", "CompileOptions", "TranslateOptions", "translate"]
