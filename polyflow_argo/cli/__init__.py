"""The ``polyflow-argo`` command line: parser, dispatch, and the one place exit codes are decided.

Exit codes: 0 clean, 1 input errors (the pipeline is invalid), 2 usage, 3 cluster, 4 internal
(a bug: the traceback is shown only with ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from ..errors import ClusterError, PolyflowError, render_text

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_CLUSTER = 3
EXIT_INTERNAL = 4

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The full parser (also used by golden files to parse their ``# args:`` line)."""
    from . import cluster as cluster_cmd
    from . import compile as compile_cmd
    from . import lint as lint_cmd
    from . import lock as lock_cmd
    from . import plugin as plugin_cmd
    from . import registry as registry_cmd
    from . import schedule as schedule_cmd
    from . import schema as schema_cmd

    parser = argparse.ArgumentParser(
        prog="polyflow-argo",
        description="Run Polyflow (Polyaxon 2019) pipelines on Argo Workflows.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (
        compile_cmd,
        cluster_cmd,
        lint_cmd,
        lock_cmd,
        plugin_cmd,
        registry_cmd,
        schedule_cmd,
        schema_cmd,
    ):
        module.register(sub)
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ClusterError as exc:
        print(render_text(exc.diagnostics), file=sys.stderr)
        return EXIT_CLUSTER
    except PolyflowError as exc:
        print(render_text(exc.diagnostics, limit=getattr(args, "max_errors", None)), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - the one place internal errors are turned into an exit code
        if args.debug:
            traceback.print_exc()
        else:
            print(
                "internal error: this is a bug in polyflow-argo; rerun with --debug and report the traceback",
                file=sys.stderr,
            )
        return EXIT_INTERNAL
