"""``polyflow-argo lock FILE...``: fetch every ``url`` template and pin its content hash."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, Problem, SourceError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lock",
        help="pin the content of url templates in polyflow.lock",
        description="Fetch every `template: {url: ...}` of the pipeline files and write the sha256 of each "
        "into polyflow.lock in the project root (the folder with .git or polyflow.yaml), keeping other pins. "
        "compile then uses exactly that content, from a local cache when it has it.",
    )
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="pipeline files; `-` reads stdin (the project root is then the current folder's)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..compiler import read
    from ..language.load import load_pipeline
    from ..inputs import fetch, project_root, read_lock, store, write_lock
    from .inputs import STDIN, inputs

    problems: list[Diagnostic] = []
    by_root: dict[Path, dict[str, str]] = {}
    for file, item in zip(args.files, inputs(list(args.files)), strict=True):
        doc = read(item)
        spec = load_pipeline(doc)
        root = project_root(Path.cwd() if file == STDIN else Path(file).resolve().parent)
        pins = by_root.setdefault(root, read_lock(root))
        for i, op in enumerate(spec.op_list):
            if op.template.source != "url":
                continue
            url = op.template.value
            try:
                data = fetch(url)
            except Problem as exc:
                problems.append(
                    Diagnostic("PF327", exc.message, doc.span(("ops", i, "template", "url")), exc.hint)
                )
                continue
            pins[url] = store(data)
    if problems:
        raise SourceError(problems)
    for root, pins in by_root.items():
        path = write_lock(root, pins)
        print(f"lock: {len(pins)} url(s) pinned in {path}", file=sys.stderr)
    return 0
