"""State shared by the resolve passes: the spec, the document, diagnostics and the IR being built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import DiagnosticSink, Span
from ..inputs import Sources
from ..language import Pipeline as SpecPipeline
from ..source import LocatedDoc, PathT
from .model import Param, ResolvedTemplate


@dataclass(frozen=True)
class ResolveOptions:
    """``resolve_sources``: report path/url/action/event templates that cannot be resolved (compile
    always does; lint only with ``--resolve``, as the original never resolved them). What those
    templates are is data read before resolving (:class:`~polyflow_argo.inputs.Sources`)."""

    resolve_sources: bool = False
    # `-p` overrides of params the file set: (op, param, the value replaced); PF313 (resolve/graph.py)
    overridden: tuple[tuple[str, str, Any], ...] = ()


@dataclass
class Context:
    spec: SpecPipeline
    doc: LocatedDoc
    options: ResolveOptions = field(default_factory=ResolveOptions)
    sources: Sources = field(default_factory=Sources)  # the templates and registries, read by the edge
    sink: DiagnosticSink = field(default_factory=DiagnosticSink)
    op_index: dict[str, int] = field(default_factory=dict)
    template_index: dict[str, int] = field(default_factory=dict)
    upstream: dict[str, tuple[str, ...]] = field(default_factory=dict)
    levels: list[list[str]] = field(default_factory=list)
    templates: dict[str, ResolvedTemplate] = field(default_factory=dict)
    op_templates: dict[str, ResolvedTemplate | None] = field(default_factory=dict)
    params: dict[str, dict[str, Param]] = field(default_factory=dict)
    schedule: Any = None  # a schedule.ResolvedSchedule once resolved
    reported: set[str] = field(default_factory=set)  # template files whose problems are reported

    def span(self, path: PathT, key: bool = False) -> Span | None:
        return self.doc.span(path, key=key)

    def error(self, code: str, message: str, path: PathT, hint: str | None = None, key: bool = False) -> None:
        self.sink.error(code, message, self.span(path, key), hint)

    def warning(
        self, code: str, message: str, path: PathT, hint: str | None = None, key: bool = False
    ) -> None:
        self.sink.warning(code, message, self.span(path, key), hint)

    def ops(self) -> list[Any]:
        return list(self.spec.ops or [])
