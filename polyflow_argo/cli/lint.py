"""``polyflow-argo lint FILE...``: report every problem of each pipeline file."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any

from ..errors import Diagnostic, render_text
from .resolve_options import add_files, add_resolve_flags
from . import EXIT_INPUT, EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lint",
        help="check pipeline files and report every problem",
        description="Check Polyflow pipeline files. Prints `file:line:col: error PF201: message (hint)` "
        "(codes: docs/errors.md); exit 1 if any file has errors.",
    )
    add_files(p, "pipeline files (YAML or JSON), each checked on its own (--merge: as one); `-` reads stdin")
    p.add_argument("-o", "--output", choices=("text", "json"), default="text",
                   help="output format (json for CI/editors)")
    # -o's old name, kept for scripts and editors; not shown
    p.add_argument("--format", dest="output", choices=("text", "json"), help=argparse.SUPPRESS)
    p.add_argument(
        "--merge",
        action="store_true",
        help="treat the files as one pipeline, deep-merged in order (as the original `-f a -f b`)",
    )
    p.add_argument(
        "--resolve",
        action="store_true",
        help="also resolve path/url/action/event templates and report every error compile would, except "
        "those that need a cluster or output options (the CI gate)",
    )
    add_resolve_flags(p)
    p.add_argument("-v", "--verbose", action="store_true", help="show the source line under each message")
    p.add_argument(
        "--max-errors", type=int, default=50, metavar="N",
        help="show at most N diagnostics per file (text and json)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..compiler import lint  # here, not at the top: --version and --help do not load it
    from .resolve_options import parse_params
    from .batch import overlay_hint
    from .inputs import inputs

    items = inputs(list(args.files))
    groups = [items] if args.merge else [[item] for item in items]
    found: list[Diagnostic] = []
    entries: list[dict[str, object]] = []
    sources: dict[str, str] = {}
    for group in groups:
        diags = lint(*group, resolve_sources=args.resolve, registries=tuple(args.registry),
                     params=parse_params(args.param), project=args.project)
        if len(groups) > 1:
            diags = overlay_hint(diags)
        if args.strict:  # warnings are errors, in every output (docs/cli.md)
            diags = [replace(d, severity="error") for d in diags]
        elif args.no_warnings:
            diags = [d for d in diags if d.severity == "error"]
        found.extend(diags)
        name = _name(group[0])
        if args.output == "json":
            entries.extend(_entry(d, name) for d in sorted(diags, key=Diagnostic.sort_key)[: args.max_errors])
            continue
        if args.verbose:
            sources.update(_texts(group))
        if diags:
            print(render_text(diags, sources if args.verbose else None, args.max_errors), file=sys.stderr)
    errors = [d for d in found if d.severity == "error"]
    if args.output == "json":
        print(json.dumps(entries, indent=2))
    elif not errors:
        n = len(args.files)
        what = f"1 pipeline ({n} files)" if args.merge and n > 1 else f"{n} file{'s' if n != 1 else ''}"
        print(f"{what} OK" + (f", {len(found)} warning(s)" if found else ""), file=sys.stderr)
    return EXIT_INPUT if errors else EXIT_OK


def _name(item: Any) -> str:
    """The file name diagnostics of ``item`` carry (``<stdin>`` for ``-``)."""
    return str(getattr(item, "name", item))


def _entry(diag: Diagnostic, file: str) -> dict[str, object]:
    """One JSON entry: always a ``file`` (the linted file when the problem has no position), and an
    end that is never before the start (``end_line`` 0 means "unknown": the start is used)."""
    out = diag.to_dict()
    out.setdefault("file", file)
    if diag.span is not None and diag.span.end_line < diag.span.line:
        out["end_line"], out["end_column"] = diag.span.line, diag.span.column
    return out


def _texts(group: list[Any]) -> dict[str, str]:
    """The text of each linted file, for ``-v`` (bounded like any read; unreadable ones are skipped)."""
    from ..errors import PolyflowError
    from ..source import decode, read_text

    out: dict[str, str] = {}
    for item in group:
        try:
            if hasattr(item, "text"):
                out[item.name] = item.text if isinstance(item.text, str) else decode(item.text, item.name)
            else:
                out[str(item)] = read_text(item)
        except PolyflowError:
            pass
    return out
