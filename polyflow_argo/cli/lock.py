"""``polyflow-argo lock FILE...``: fetch every ``url`` template and pin its content hash."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, Problem, SourceError
from . import EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lock",
        help="pin the content of url templates in polyflow.lock",
        description="Fetch every `template: {url: ...}` of the pipeline files and write the sha256 of each "
        "into polyflow.lock in the project root (the folder with .git or polyflow.yaml), keeping other pins. "
        "compile then uses exactly that content, from a local cache when it has it.",
    )
    p.add_argument("--update", action="store_true",
                   help="re-pin a url whose content changed since it was pinned (without it, lock shows the "
                   "diff and keeps the old pin: PF328)")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="pipeline files; `-` reads stdin (the project root is then the current folder's)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..compiler import read
    from ..language.load import load_pipeline
    from ..inputs import digest, fetch, project_root, read_lock, store, write_lock
    from .inputs import STDIN, inputs

    problems: list[Diagnostic] = []
    by_root: dict[Path, dict[str, str]] = {}
    repinned: dict[Path, list[str]] = {}
    seen: set[tuple[Path, str]] = set()  # one fetch and one verdict per URL and project
    for file, item in zip(args.files, inputs(list(args.files)), strict=True):
        doc = read(item)
        spec = load_pipeline(doc)
        root = project_root(Path.cwd() if file == STDIN else Path(file).resolve().parent)
        pins = by_root.setdefault(root, read_lock(root))
        for i, op in enumerate(spec.op_list):
            url = op.template.value
            if op.template.source != "url" or (root, url) in seen:
                continue
            seen.add((root, url))
            where = doc.span(("ops", i, "template", "url"))
            try:
                data = fetch(url)
            except Problem as exc:
                problems.append(Diagnostic("PF327", exc.message, where, exc.hint))
                continue
            old, new = pins.get(url), digest(data)
            if old is not None and old != new:
                print(_diff(url, old, data), file=sys.stderr, end="")
                if not args.update:
                    problems.append(Diagnostic(
                        "PF328", f"the content of {url} changed since it was pinned ({old} -> {new})", where,
                        "review the diff above; `polyflow-argo lock --update FILE` pins the new content"))
                    continue
                repinned.setdefault(root, []).append(url)
            pins[url] = store(data)
    if problems:
        raise SourceError(problems)  # nothing is written: the lock keeps every old pin
    for root, pins in by_root.items():
        path = write_lock(root, pins)
        for url in repinned.get(root, []):
            print(f"lock: re-pinned {url}", file=sys.stderr)
        print(f"lock: {len(pins)} url(s) pinned in {path}", file=sys.stderr)
    return EXIT_OK


def _diff(url: str, old_pin: str, data: bytes) -> str:
    """A unified diff of the pinned content (from the cache) and what the URL serves now; without a
    cached copy, the two hashes."""
    import difflib

    from ..inputs import cached_content, digest

    old = cached_content(old_pin)
    if old is None:
        return f"--- {url} ({old_pin}: not in the cache, no diff)\n+++ {url} ({digest(data)})\n"
    lines = difflib.unified_diff(old.decode("utf-8", "replace").splitlines(keepends=True),
                                 data.decode("utf-8", "replace").splitlines(keepends=True),
                                 f"{url} (pinned)", f"{url} (now)")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
