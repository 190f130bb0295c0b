"""``polyflow-argo explain FILE --outcome OP=Failed``: which ops run, which are skipped or omitted
and why, and the pipeline's final status, from the run rules (views/explain.py, resolve/rules.py)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import UsageError
from .resolve_options import add_resolve_options, resolve_from

OUTCOMES = ("Succeeded", "Failed", "Error")  # resolve/rules.py RAN (checked by tests/views)


def outcome(text: str) -> tuple[str, str]:
    """``OP=Succeeded|Failed|Error`` (the phase in any case)."""
    op, sep, phase = text.rpartition("=")
    match = [o for o in OUTCOMES if o.lower() == phase.strip().lower()]
    if not sep or not op.strip() or not match:
        raise argparse.ArgumentTypeError(f"expected OP={'|'.join(OUTCOMES)}, got {text!r}")
    return op.strip(), match[0]


def output_value(text: str) -> tuple[str, str, str]:
    """``OP.OUTPUT=VALUE`` (the value as written, compared as a string)."""
    key, sep, value = text.partition("=")
    op, dot, name = key.strip().rpartition(".")
    if not sep or not dot or not op or not name:
        raise argparse.ArgumentTypeError(f"expected OP.OUTPUT=VALUE, got {text!r}")
    return op, name, value


def register(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="say which ops run for given outcomes, and why, and the pipeline's final status",
        description="Apply Polyflow's run rules (docs/semantics.md) to given outcomes: each op that runs "
        "ends as its --outcome (default Succeeded); print which ops run, which are Skipped or Omitted and "
        "the rule and upstream ops that decided it, and the pipeline's final status "
        "(docs/graph-explain.md).",
    )
    add_resolve_options(p)
    p.add_argument(
        "--outcome",
        action="append",
        default=[],
        type=outcome,
        metavar="OP=PHASE",
        help="what OP ends as if it runs: Succeeded, Failed or Error (repeatable; default Succeeded)",
    )
    p.add_argument(
        "--value",
        action="append",
        default=[],
        type=output_value,
        metavar="OP.OUTPUT=VALUE",
        help='the value OP writes to OUTPUT if it runs, for outputs conditions (repeatable; default "")',
    )
    p.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..views.explain import UnknownName, explain, to_json, to_text

    outcomes: dict[str, str] = {}
    for op, phase in args.outcome:
        if outcomes.get(op, phase) != phase:
            raise UsageError(f"--outcome {op}: given twice ({outcomes[op]} and {phase})")
        outcomes[op] = phase
    outputs: dict[str, dict[str, str]] = {}
    for op, name, value in args.value:
        if outputs.get(op, {}).get(name, value) != value:
            raise UsageError(f"--value {op}.{name}: given twice")
        outputs.setdefault(op, {})[name] = value
    ir = resolve_from(args)
    try:
        result = explain(ir, outcomes, outputs)
    except UnknownName as exc:
        raise UsageError(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
    sys.stdout.write(to_json(result) if args.output == "json" else to_text(result))
    return 0
