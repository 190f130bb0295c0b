"""``compile FILE...`` as a batch, like ``kubectl -f``: each file is its own pipeline (``--merge``:
the files overlay in order into one), a directory stands for its ``*.yaml``, ``*.yml`` and
``*.json`` files, and nothing is written until every pipeline compiled and no two outputs clash.

One process compiles the whole batch: the start-up (imports, about 0.2 s) is paid once, and the
cyclic garbage collector stays off while a pipeline compiles (docs/performance.md).
"""

from __future__ import annotations

import argparse
import gc
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import ClusterError, Diagnostic, PolyflowError, Span, render_text
from . import UsageError, collector_paused

SUFFIXES = (".yaml", ".yml", ".json")


def expand(paths: list[str]) -> list[str]:
    """The files in command-line order; a directory gives its pipeline files (``*.yaml``,
    ``*.yml``, ``*.json``; not hidden files, not the project config ``polyflow.yaml``), sorted by
    name, not recursively."""
    from ..language.project import PROJECT_FILE

    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p == "-" or not path.is_dir():
            out.append(p)
            continue
        found = sorted(
            f.name
            for f in path.iterdir()
            if f.suffix in SUFFIXES and not f.name.startswith(".") and f.name != PROJECT_FILE and f.is_file()
        )
        if not found:
            raise UsageError(f"{p}: the directory has no pipeline file (*.yaml, *.yml, *.json)")
        out.extend(str(path / name) for name in found)
    return out


@dataclass(frozen=True)
class Output:
    files: tuple[str, ...]  # the pipeline's file(s)
    docs: list[dict[str, Any]]
    where: Span | None  # the pipeline's `name:`


def compile_files(args: argparse.Namespace, options: Any) -> list[dict[str, Any]]:
    """The manifests of every pipeline of ``args.files``, in order; raises a :class:`PolyflowError`
    with the problems of every file (none is written), or PF501 when two outputs clash."""
    from ..compiler import compile_ir
    from .inputs import inputs

    sources = inputs(expand(list(args.files)))  # `-`: stdin, read once
    groups = [sources] if args.merge or len(sources) == 1 else [[s] for s in sources]
    outputs: list[Output] = []
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    with collector_paused():  # the imports above are frozen too
        for i, group in enumerate(groups):
            if i:
                gc.collect(0)  # what the last pipeline left in cycles (only its objects are scanned)
            try:
                ir, docs, found = compile_ir(group, options)
            except ClusterError:
                raise
            except PolyflowError as exc:
                problems.extend(overlay_hint(exc.diagnostics) if len(groups) > 1 else exc.diagnostics)
                continue
            warnings.extend(found)
            names = tuple(getattr(s, "name", None) or str(s) for s in group)
            outputs.append(Output(names, docs, ir.doc.span(("name",))))
    if warnings and not args.no_warnings:
        print(render_text(warnings), file=sys.stderr)
    if problems:
        raise PolyflowError(problems)
    if len(outputs) > 1:
        _check_clashes(outputs, by_file=bool(args.out), fixed_name=args.name is not None)
    return [doc for o in outputs for doc in o.docs]


def overlay_hint(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Files given together are separate pipelines unless ``--merge``: a file without a top-level
    ``version``/``kind`` is most likely an overlay of the others (a schedule, params), so say so."""
    return [
        replace(d, hint=f"{d.hint}; or, if this file overlays the files before it, pass --merge")
        if d.message.startswith("missing required field") and d.message.endswith("at the top level")
        and d.hint and "--merge" not in d.hint
        else d
        for d in diagnostics
    ]


def output_key(doc: dict[str, Any], by_file: bool) -> tuple[str, str, str]:
    """What two outputs must not share: the file ``--out`` writes (kind and name), or on stdout the
    object (kind, namespace and name; ``generateName`` stands for the name)."""
    meta = doc["metadata"]
    base = meta.get("name") or meta.get("generateName", "object").rstrip("-")
    return (doc["kind"].lower(), "" if by_file else meta.get("namespace") or "", base)


def _check_clashes(outputs: list[Output], by_file: bool, fixed_name: bool) -> None:
    seen: dict[tuple[str, str, str], Output] = {}
    clashes: list[Diagnostic] = []
    for out in outputs:
        for doc in out.docs:
            key = output_key(doc, by_file)
            first = seen.setdefault(key, out)
            if first is out:
                continue
            what = f"{doc['kind']} '{key[2]}'" + (f" in namespace '{key[1]}'" if key[1] else "")
            hint = (
                "--name gives every pipeline the same name: compile the files one call each, or drop --name"
                if fixed_name
                else "give the pipelines different `name:`s, or --merge to overlay the files into one"
            )
            clashes.append(
                Diagnostic(
                    "PF501",
                    f"{', '.join(out.files)} and {', '.join(first.files)} both compile to {what}"
                    + (" (the same file under --out)" if by_file else ""),
                    out.where,
                    hint,
                )
            )
    if clashes:
        raise PolyflowError(clashes)
