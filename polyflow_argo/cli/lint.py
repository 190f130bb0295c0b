"""``polyflow-argo lint FILE...``: report every problem of each pipeline file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..compiler import lint
from ..errors import Diagnostic, render_json, render_text


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lint",
        help="check pipeline files and report every problem",
        description="Check Polyflow pipeline files. Prints `file:line:col: error: message (hint)`; "
        "exit 1 if any file has errors.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="pipeline files (YAML or JSON)")
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (json for CI/editors)"
    )
    p.add_argument(
        "--merge",
        action="store_true",
        help="treat the files as one pipeline, deep-merged in order (as the original `-f a -f b`)",
    )
    p.add_argument(
        "--resolve",
        action="store_true",
        help="also resolve path/url/action/event templates and report those that cannot be resolved",
    )
    p.add_argument("--registry", action="append", default=[], metavar="DIR",
                   help="registry directory for --resolve (repeatable; then POLYFLOW_REGISTRY)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--no-warnings", action="store_true", help="do not print warnings")
    p.add_argument("-v", "--verbose", action="store_true", help="show the source line under each message")
    p.add_argument(
        "--max-errors", type=int, default=50, metavar="N", help="show at most N diagnostics per file"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    groups = [list(args.files)] if args.merge else [[f] for f in args.files]
    found: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for files in groups:
        diags = lint(*files, resolve_sources=args.resolve, registries=tuple(args.registry))
        if args.no_warnings:
            diags = [d for d in diags if d.severity == "error"]
        found.extend(diags)
        if args.verbose and args.format == "text":
            for f in files:
                try:
                    with open(f, encoding="utf-8") as fh:
                        sources[f] = fh.read()
                except OSError:
                    pass
        if args.format == "text" and diags:
            print(render_text(diags, sources if args.verbose else None, args.max_errors), file=sys.stderr)
    errors = [d for d in found if d.severity == "error" or args.strict]
    if args.format == "json":
        print(render_json(found))
    elif not errors:
        n = len(args.files)
        print(
            f"{n} file{'s' if n != 1 else ''} OK" + (f", {len(found)} warning(s)" if found else ""),
            file=sys.stderr,
        )
    return 1 if errors else 0
