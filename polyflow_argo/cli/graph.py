"""``polyflow-argo graph FILE``: the pipeline's DAG as Mermaid or Graphviz DOT (views/graph.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .resolve_options import add_resolve_options, resolve_from


def register(sub: Any) -> None:
    p = sub.add_parser(
        "graph",
        help="draw the pipeline's DAG (Mermaid or DOT)",
        description="Draw the pipeline's DAG: each op with its template kind, trigger, "
        "skip_on_upstream_skip, condition and retries, each dependency as an edge, and the schedule. "
        "Mermaid (the default) renders in GitHub and GitLab reviews; DOT is for Graphviz "
        "(`dot -Tsvg`). The pipeline is checked as compile checks it (docs/graph-explain.md).",
    )
    add_resolve_options(p)
    p.add_argument(
        "-o",
        "--output",
        choices=("mermaid", "dot"),
        default="mermaid",
        help="output format (default mermaid)",
    )
    p.add_argument("--out", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..views.graph import graph

    text = graph(resolve_from(args), args.output)
    if args.out:
        from ..files import write_atomic

        write_atomic(args.out, text)
    else:
        sys.stdout.write(text)
    return 0
