"""The one definition of the options that decide how a pipeline file is resolved, shared by every
command that resolves one (``compile``, ``submit``, ``apply``, ``lint``, ``schedule next``,
``backfill``, ``graph``, ``explain``): ``FILE...``, ``-p/--param``, ``--registry``, ``--project``,
``--strict`` and ``--no-warnings``, each with one meaning everywhere (docs/cli.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

FILES_HELP = "pipeline file(s), deep-merged in order; `-` reads stdin"
STRICT_HELP = (
    "treat warnings as errors: report them as errors and exit 1 without writing anything (this "
    "includes PF401, a feature the target cannot express)"
)


def add_files(p: argparse.ArgumentParser, help: str = FILES_HELP) -> None:  # noqa: A002 - argparse's name
    """``FILE...``: one or more pipeline files (``help`` says what several files mean to the command)."""
    p.add_argument("files", nargs="+", metavar="FILE", help=help)


def add_resolve_flags(p: argparse.ArgumentParser) -> None:
    """``-p OP.PARAM=VALUE``, ``--registry DIR``, ``--project FILE``, ``--strict`` and
    ``--no-warnings``, in a group of their own."""
    g = p.add_argument_group("resolving the pipeline (the same in every command)")
    g.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="OP.PARAM=VALUE",
        help="override an op param (repeatable); the value is typed like a YAML string",
    )
    g.add_argument(
        "--registry",
        action="append",
        default=[],
        metavar="DIR",
        help="registry directory for action/event templates (repeatable; then POLYFLOW_REGISTRY)",
    )
    g.add_argument(
        "--project",
        metavar="FILE",
        help="project config (default: polyflow.yaml beside the first pipeline file, if any)",
    )
    g.add_argument("--strict", action="store_true", help=STRICT_HELP)
    g.add_argument("--no-warnings", action="store_true", help="do not print warnings")


def add_resolve_options(p: argparse.ArgumentParser, files_help: str = FILES_HELP) -> None:
    """``FILE...`` and the flags of :func:`add_resolve_flags`; :func:`resolve_from` reads them back."""
    add_files(p, files_help)
    add_resolve_flags(p)


def resolve_options(args: argparse.Namespace, **extra: Any) -> Any:
    """The ``CompileOptions`` these flags give (``extra``: the command's other fields)."""
    from ..translate import CompileOptions

    return CompileOptions(
        params=parse_params(args.param),
        registries=tuple(args.registry),
        project=args.project,
        strict=args.strict,
        **extra,
    )


def parse_params(items: list[str]) -> tuple[tuple[str, str], ...]:
    """``-p OP.PARAM=VALUE`` values as ``(OP.PARAM, VALUE)`` pairs (a usage error without ``=``)."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            from . import UsageError

            raise UsageError(f"-p {item}: expected OP.PARAM=VALUE")
        out.append((key.strip(), value))
    return tuple(out)


def print_warnings(args: argparse.Namespace, warnings: list[Any]) -> None:
    """Warnings to stderr unless ``--no-warnings`` (with ``--strict`` there are none: they failed)."""
    if warnings and not args.no_warnings:
        from ..errors import render_text

        print(render_text(warnings), file=sys.stderr)


def resolve_from(args: argparse.Namespace) -> Any:
    """The resolved pipeline (``resolve.Pipeline``) of ``args.files``, checked exactly as ``compile``
    checks it with these options (so a pipeline ``compile`` rejects is rejected with the same
    diagnostics, and ``--strict`` fails on a warning); warnings go to stderr unless
    ``--no-warnings``."""
    from ..compiler import compile_ir
    from .inputs import inputs

    ir, _, warnings = compile_ir(inputs(list(args.files)), resolve_options(args))
    print_warnings(args, warnings)
    return ir
