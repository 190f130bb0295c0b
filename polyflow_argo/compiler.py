"""The whole flow on one page: text → located document → spec → resolved IR → Argo manifests.

    source.read / source.parse      text → LocatedDoc (data + positions), deep merge of files
    spec.load.load_pipeline         LocatedDoc → spec.Pipeline (pydantic, strict)
    resolve.resolve                 spec.Pipeline → resolve.Pipeline (graph, templates, params)
    translate.translate             resolve.Pipeline → list of Argo manifest dicts

Every stage raises a :class:`~polyflow_argo.errors.PolyflowError` subclass with all the
diagnostics it found.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Union

from . import source
from .errors import Diagnostic, PolyflowError
from .resolve import Pipeline as ResolvedPipeline
from .resolve import ResolveOptions, resolve
from .spec import Pipeline
from .spec.load import load_pipeline

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


def resolve_file(*sources: PathOrText, resolve_sources: bool = False) -> ResolvedPipeline:
    """Load, validate and resolve: the IR that ``translate`` consumes."""
    doc = read(*sources)
    spec = load_pipeline(doc)
    spec._doc = doc
    return resolve(spec, doc, ResolveOptions(resolve_sources=resolve_sources))


def lint(*sources: PathOrText, resolve_sources: bool = False) -> list[Diagnostic]:
    """All diagnostics (errors and warnings) for a pipeline; never raises for bad input."""
    try:
        ir = resolve_file(*sources, resolve_sources=resolve_sources)
    except PolyflowError as exc:
        return exc.diagnostics
    return sorted(ir.warnings, key=Diagnostic.sort_key)
