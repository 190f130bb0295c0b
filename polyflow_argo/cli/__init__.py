"""The ``polyflow-argo`` command line: parser, dispatch, and the one place exit codes are decided.

Exit codes: 0 clean, 1 input errors (the pipeline is invalid), 2 usage (argparse's own errors and
:class:`UsageError` raised by a handler), 3 cluster, 4 internal (a bug: the traceback is shown only
with ``--debug``), 130 interrupted (Ctrl-C, at any point, without a traceback).

Start-up is kept small: this module imports only the standard library, and each command module in
:data:`COMMANDS` imports the stages it needs inside its handler, so ``--version``, ``--help`` and
``lint`` never load the translators. The collector is off while the parser is built and what the
imports left is frozen (docs/performance.md).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_CLUSTER = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]

# The command modules of this package, in the order their commands are registered: each has
# ``register(sub)``, which adds its sub-parsers and sets ``handler``. To add a command, add its
# module here; registering must stay cheap (import the stages a command needs inside its handler).
COMMANDS: tuple[str, ...] = (
    "compile",
    "cluster",
    "explain",
    "graph",
    "lint",
    "lock",
    "plugin",
    "registry",
    "schedule",
    "schema",
)


# The module of the commands run most (CI compiles dozens of pipelines, editors lint on save): when
# argv names one of them, only its module is imported and registered (the other commands' parsers
# cost ~20 ms to build); any other command line builds the full parser.
ONLY: dict[str, str] = {"compile": "compile", "lint": "lint"}


class UsageError(Exception):
    """The command line is wrong (not the pipeline): a handler raises it, :func:`main` exits 2."""


def build_parser(modules: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The full parser (also used by golden files to parse their ``# args:`` line); ``modules``: a
    parser of those command modules only (:func:`_modules`)."""
    from importlib import import_module

    parser = argparse.ArgumentParser(
        prog="polyflow-argo",
        description="Run Polyflow (Polyaxon 2019) pipelines on Argo Workflows.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in modules:
        import_module(f"{__name__}.{name}").register(sub)
    return parser


def _modules(argv: Sequence[str]) -> Sequence[str]:
    """The command modules a parser of ``argv`` needs: the module of a command in :data:`ONLY`;
    none without a command (``--version``, or the error that one is missing), unless help is
    asked for (it lists them all); else every one."""
    command = next((a for a in argv if not a.startswith("-")), None)  # top-level options take no value
    if command in ONLY:
        return (ONLY[command],)
    if command is None and "-h" not in argv and "--help" not in argv:
        return ()
    return COMMANDS


def _version() -> str:
    from ..version import __version__

    return __version__


_PROCESS = False  # main() runs as this process's command line: what start-up built lives until exit


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a compile (it cost 18-39 % of a big one, re-scanning
    objects that live to the end anyway); as the process's command line, what exists when it
    starts (modules, the parser) is also frozen out of every later collection. The caller collects
    between the items of a batch (``gc.collect(0)``: only what the last item left)."""
    enabled = gc.isenabled()
    gc.disable()
    if _PROCESS:
        gc.freeze()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code. ``argv`` None: this process's own command line."""
    global _PROCESS
    _PROCESS = _PROCESS or argv is None
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        with collector_paused():  # start-up allocates only what lives until exit
            parser = build_parser(_modules(words))
            args = parser.parse_args(words)
    except SystemExit as exc:  # argparse: 2 on usage errors, 0 on --help and --version
        return _exit_status(exc.code)
    except KeyboardInterrupt:  # Ctrl-C while importing or building the parser
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - a bug in a command's registration: exit 4 like any other
        return _internal_error("--debug" in words)
    if args.command in ONLY:  # one-shot commands: the collector stays off, imports included (a
        if _PROCESS:  # compile leaves almost no cycles: 24 objects at 20k ops), and pydantic
            from .startup import without_pydantic_plugins  # looks for no plugins (startup.py)

            without_pydantic_plugins()
        with collector_paused():
            return _dispatch(args)
    return _dispatch(args)  # long-running ones (watch, plugin serve) keep it


def _dispatch(args: argparse.Namespace) -> int:
    handler: Handler = args.handler
    try:
        from ..errors import ClusterError, PolyflowError, render_text

        try:
            return handler(args)
        except ClusterError as exc:
            print(render_text(exc.diagnostics), file=sys.stderr)
            return EXIT_CLUSTER
        except PolyflowError as exc:
            print(render_text(exc.diagnostics, limit=getattr(args, "max_errors", None)), file=sys.stderr)
            return EXIT_INPUT
    except UsageError as exc:
        print(f"polyflow-argo {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # a handler's parser.error() (2) or a message
        return _exit_status(exc.code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - the one place internal errors are turned into an exit code
        return _internal_error(args.debug)


def _internal_error(debug: bool) -> int:
    if debug:
        import traceback

        traceback.print_exc()
    else:
        print(
            "internal error: this is a bug in polyflow-argo; rerun with --debug and report the traceback",
            file=sys.stderr,
        )
    return EXIT_INTERNAL


def _exit_status(code: object) -> int:
    """The status of a ``SystemExit``: its number, or a message printed and usage (2)."""
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_USAGE
