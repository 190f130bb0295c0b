"""Errors as data: spans, diagnostics, the one exception family, and their rendering.

Every user-facing problem is a :class:`Diagnostic` with a stable ``code`` (listed in
``docs/errors.md``), a 1-based :class:`Span` and an optional hint. Stages raise a
:class:`PolyflowError` subclass carrying all the diagnostics they collected. Rendering to text
or JSON happens only here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A 1-based position in a source file (``end_*`` point just past the value)."""

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: what is wrong, where, and how to fix it."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.column, self.code)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.span is not None:
            out.update(
                file=self.span.file,
                line=self.span.line,
                column=self.span.column,
                end_line=self.span.end_line,
                end_column=self.span.end_column,
            )
        if self.hint:
            out["hint"] = self.hint
        return out


class Problem(ValueError):
    """A check's finding before it has a place in a file: ``message`` says what is wrong, ``hint``
    how to fix it. The caller that knows the file position turns it into a :class:`Diagnostic`
    (a value that does not parse with its type, a malformed reference, a cron field, a URL)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class PolyflowError(Exception):
    """Root of every error caused by user input. Carries one or more diagnostics."""

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__(render_text(self.errors or self.diagnostics))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


class SourceError(PolyflowError):
    """The text could not be read or parsed as YAML/JSON (codes PF1xx)."""


class SpecError(PolyflowError):
    """The document does not match the Polyflow 2019 schema (codes PF2xx)."""


class ResolveError(PolyflowError):
    """The pipeline is well-formed but inconsistent: graph, templates, params (codes PF3xx)."""


class TranslateError(PolyflowError):
    """The pipeline cannot be expressed on the chosen Argo target (codes PF4xx)."""


class OutputError(PolyflowError):
    """Writing the output failed (codes PF5xx)."""


class ClusterError(PolyflowError):
    """Talking to the cluster failed (codes PF6xx); keeps the HTTP status when there is one."""

    def __init__(self, diagnostics: Sequence[Diagnostic] | Diagnostic, status: int | None = None):
        super().__init__(diagnostics)
        self.status = status


@dataclass
class DiagnosticSink:
    """Collects diagnostics during a stage; ``raise_if_errors`` ends the stage."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span | None = None, hint: str | None = None) -> None:
        self.items.append(Diagnostic(code, message, span, hint, "error"))

    def warning(self, code: str, message: str, span: Span | None = None, hint: str | None = None) -> None:
        self.items.append(Diagnostic(code, message, span, hint, "warning"))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def raise_if_errors(self, cls: type[PolyflowError]) -> None:
        if self.has_errors:
            raise cls(self.items)


def _caret(diag: Diagnostic, sources: dict[str, str]) -> str:
    span = diag.span
    if span is None or span.file not in sources:
        return ""
    lines = sources[span.file].splitlines()
    if not 1 <= span.line <= len(lines):
        return ""
    text = lines[span.line - 1]
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    return f"\n    {text}\n    {' ' * (span.column - 1)}{'^' * width}"


def format_diagnostic(diag: Diagnostic, sources: dict[str, str] | None = None) -> str:
    """``file:line:col: error PF201: message (hint)`` — the one text form of a diagnostic.

    The code comes first, as compilers and linters show theirs (``error TS2322:``, ``F401``), so
    it can be looked up in docs/errors.md; ``sources`` (verbose) adds the source line with a caret.
    """
    where = f"{diag.span}: " if diag.span else ""
    hint = f" ({diag.hint})" if diag.hint else ""
    text = f"{where}{diag.severity} {diag.code}: {diag.message}{hint}"
    if sources:
        text += _caret(diag, sources)
    return text


def render_text(
    diagnostics: Sequence[Diagnostic], sources: dict[str, str] | None = None, limit: int | None = None
) -> str:
    """Render diagnostics one per line, at most ``limit`` of them, then "... and K more"."""
    diags = sorted(diagnostics, key=Diagnostic.sort_key)
    shown = diags if limit is None else diags[:limit]
    lines = [format_diagnostic(d, sources) for d in shown]
    if len(diags) > len(shown):
        lines.append(f"... and {len(diags) - len(shown)} more")
    return "\n".join(lines)


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """Render diagnostics as a JSON array (for CI and editors)."""
    diags = sorted(diagnostics, key=Diagnostic.sort_key)
    return json.dumps([d.to_dict() for d in diags], indent=2)
