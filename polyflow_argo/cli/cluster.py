"""The cluster commands: ``submit``, ``watch``, ``get``, ``list``, ``logs``, ``stop``, ``terminate``,
``resubmit``, ``approve``, ``apply`` (plus ``schedule clear``, ``registry push`` and
``backfill --submit``, registered by their groups with the helpers here). docs/cluster.md.

Exit codes (cli/__init__.py): 0 done (``watch``: the run Succeeded), 1 the pipeline is invalid or
(``watch``) the run ended Failed or Error, 2 usage, 3 the cluster refused or could not be reached,
130 Ctrl-C (the run goes on).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..cluster.errors import printable
from ..errors import render_text
from .compile import add_compile_options, options_from

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_cluster_options(p: argparse.ArgumentParser, namespace: bool = True) -> None:
    """Where the cluster is: the Kubernetes API (kubeconfig) by default, Argo Server with --argo-server."""
    g = p.add_argument_group("cluster connection (Kubernetes API by default; Argo Server with --argo-server)")
    if namespace:
        g.add_argument(
            "-n", "--namespace", help="namespace (default: the kubeconfig context's, else default)"
        )
    g.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="kubeconfig (default: KUBECONFIG, then ~/.kube/config; in a pod: its ServiceAccount)",
    )
    g.add_argument("--context", help="kubeconfig context (default: the current context)")
    g.add_argument(
        "--argo-server",
        metavar="URL",
        help="talk to Argo Server's REST API at URL instead (also ARGO_SERVER); token from ARGO_TOKEN",
    )
    g.add_argument("--insecure-skip-tls-verify", action="store_true",
                   help="do not verify the server's TLS certificate (testing only)")
    g.add_argument("--ca-file", metavar="FILE", help="CA bundle that signed the server's certificate")
    g.add_argument("--request-timeout", type=_positive, default=30.0, metavar="S",
                   help="seconds for one request, its whole answer included (default 30); transient failures "
                   "are retried 5 times")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def client_from(args: argparse.Namespace) -> Any:
    from ..client import Client

    return Client(namespace=args.namespace, kubeconfig=args.kubeconfig, context=args.context,
                  argo_server=args.argo_server, insecure_skip_tls_verify=args.insecure_skip_tls_verify,
                  ca_file=args.ca_file, request_timeout=args.request_timeout,
                  notify=lambda line: print(f"note: {line}", file=sys.stderr, flush=True))


def register(sub: Any) -> None:
    p = sub.add_parser("submit", help="compile a pipeline and run it on the cluster",
                       description="Compile a pipeline (same options as compile) and create its Workflow; a "
                       "scheduled pipeline's CronWorkflow is applied instead. Each run is labelled "
                       "polyflow.io/submission, so a retried submit never starts it twice.")
    p.add_argument("files", nargs="+", metavar="FILE", help="pipeline file(s), deep-merged in order")
    add_compile_options(p)
    p.add_argument("--dry-run", choices=("client", "server"),
                   help="client: print what would be sent, contact nothing; server: the cluster validates, "
                   "nothing is stored")
    p.add_argument("--watch", action="store_true", help="then watch the run; the exit code is its result")
    p.add_argument("-o", "--output", choices=("name", "yaml", "json"), default="name",
                   help="what to print of the objects sent (default: kind/name and what happened)")
    add_cluster_options(p, namespace=False)
    p.set_defaults(handler=run_submit)

    p = sub.add_parser(
        "apply",
        help="apply a scheduled pipeline's CronWorkflow, or WorkflowTemplates",
        description="Server-side apply (idempotent) of the CronWorkflow of a scheduled pipeline, or "
        "of the CronWorkflows / WorkflowTemplates in a file of Argo manifests (compile or registry build "
        "output). A one-off pipeline is refused: submit runs it.",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="pipeline file(s) (deep-merged), or Argo manifest files"
    )
    add_compile_options(p)
    p.add_argument("--dry-run", choices=("client", "server"), help="as for submit")
    p.add_argument("-o", "--output", choices=("name", "yaml", "json"), default="name", help="as for submit")
    add_cluster_options(p, namespace=False)
    p.set_defaults(handler=run_apply)

    p = sub.add_parser(
        "watch",
        help="follow a run until it ends; exit 0 Succeeded, 1 Failed/Error",
        description="Show each op's phase, start, duration, retries and message as the run goes: a "
        "live table on a terminal, one line per change otherwise (CI logs). Ctrl-C stops watching, not the "
        "run. Exit code: 0 Succeeded, 1 Failed or Error.",
    )
    p.add_argument("name", metavar="NAME", help="Workflow name")
    add_cluster_options(p)
    p.set_defaults(handler=run_watch)

    p = sub.add_parser("get", help="show a run and its ops")
    p.add_argument("name", metavar="NAME", help="Workflow name")
    p.add_argument("-o", "--output", choices=("text", "wide", "yaml", "json"), default="text",
                   help="text (default), wide (also template and node), or the whole object as yaml/json")
    add_cluster_options(p)
    p.set_defaults(handler=run_get)

    p = sub.add_parser("list", help="list runs, newest first")
    p.add_argument("--pipeline", metavar="P", help="only runs of pipeline P (label polyflow.io/pipeline)")
    p.add_argument("--running", action="store_true", help="only runs that have not finished")
    p.add_argument("-l", "--selector", metavar="LABELS",
                   help="label selector, as kubectl's (e.g. polyflow.io/submission=ID: the run of one "
                   "submit)")
    p.add_argument("-o", "--output", choices=("text", "name", "json"), default="text", help="output format")
    add_cluster_options(p)
    p.set_defaults(handler=run_list)

    p = sub.add_parser("logs", help="print the logs of a run's ops",
                       description="Print the log lines of the run's pods, each prefixed with its op (retry "
                       "attempts as op(N)). --follow streams them until the run ends.")
    p.add_argument("name", metavar="NAME", help="Workflow name")
    p.add_argument("--op", metavar="OP", help="only this op (its name in the pipeline)")
    p.add_argument("-f", "--follow", action="store_true", help="stream new lines until the run ends")
    p.add_argument("-c", "--container", default="main", help="container of each pod (default main)")
    add_cluster_options(p)
    p.set_defaults(handler=run_logs)

    for verb, text in (("stop", "stop a run: no new op starts; running ops and exit handlers finish"),
                       ("terminate", "terminate a run: running ops are killed, exit handlers skipped")):
        p = sub.add_parser(
            verb, help=text, description=text.capitalize() + f" (spec.shutdown: {verb.title()})."
        )
        p.add_argument("name", metavar="NAME", help="Workflow name")
        add_cluster_options(p)
        p.set_defaults(handler=run_shutdown, verb=verb)

    p = sub.add_parser("resubmit", help="run a workflow again (a new run with the same spec)")
    p.add_argument("name", metavar="NAME", help="Workflow name")
    p.add_argument("--watch", action="store_true", help="then watch the new run")
    add_cluster_options(p)
    p.set_defaults(handler=run_resubmit)

    p = sub.add_parser("approve", help="approve a waiting `approval` op (resume its suspend node)")
    p.add_argument("name", metavar="NAME", help="Workflow name")
    p.add_argument("--op", metavar="OP", help="the approval op, when several wait")
    add_cluster_options(p)
    p.set_defaults(handler=run_approve)


# ---------------------------------------------------------------- handlers


def _print_results(results: list[Any], output: str) -> None:
    if output == "name":
        for r in results:
            print(r)
        return
    objects = [r.object for r in results]
    if output == "json":
        print(
            json.dumps(
                objects[0] if len(objects) == 1 else {"apiVersion": "v1", "kind": "List", "items": objects},
                indent=2,
            )
        )
    else:
        from ..emit import to_yaml

        sys.stdout.write(to_yaml(objects))


def _usage(command: str, message: str) -> int:
    print(f"polyflow-argo {command}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_submit(args: argparse.Namespace) -> int:
    from ..compiler import compile_with_warnings

    if args.watch and args.dry_run:
        return _usage("submit", "--watch needs a real submission, not --dry-run")
    docs, warnings = compile_with_warnings(list(args.files), options_from(args))
    if warnings and not args.no_warnings:
        print(render_text(warnings), file=sys.stderr)
    with client_from(args) as client:
        results = client.submit_manifests(docs, dry_run=args.dry_run)
        _print_results(results, args.output)
        runs = [r for r in results if r.kind == "Workflow"]
        if not args.watch:
            if runs and not args.dry_run:
                print(f"watch it: polyflow-argo watch {runs[0].name} -n {runs[0].namespace}", file=sys.stderr)
            return 0
        if not runs:
            print(
                "nothing to watch: the CronWorkflow starts runs on its schedule (`polyflow-argo list "
                "--pipeline P` shows them)",
                file=sys.stderr,
            )
            return 0
        return watch_run(client, runs[0].name)


def run_apply(args: argparse.Namespace) -> int:
    docs = _manifests(args.files)
    if docs is None:
        from ..compiler import compile_with_warnings

        docs, warnings = compile_with_warnings(list(args.files), options_from(args))
        if warnings and not args.no_warnings:
            print(render_text(warnings), file=sys.stderr)
    with client_from(args) as client:
        _print_results(client.apply(docs, dry_run=args.dry_run), args.output)
    return 0


def _manifests(files: list[str]) -> list[dict[str, Any]] | None:
    """The objects of files that hold Argo/Kubernetes manifests, or None when they are pipelines."""
    import yaml

    docs: list[dict[str, Any]] = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as fh:
                loaded = [d for d in yaml.safe_load_all(fh) if d is not None]
        except (OSError, yaml.YAMLError):
            return None  # compile reports it, at its line
        for doc in loaded:
            if (
                not isinstance(doc, dict)
                or "apiVersion" not in doc
                or "metadata" not in doc
                and doc.get("kind") != "List"
            ):
                return None
            docs.extend(doc.get("items") or [] if doc.get("kind") == "List" else [doc])
    return docs


def watch_run(client: Any, name: str) -> int:
    """Watch until the run ends; render for a terminal or for logs; the exit code of its final phase."""
    from ..cluster.watch import LineRenderer, LiveView, exit_code

    live = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
    view, lines = LiveView(sys.stdout), LineRenderer()
    last: dict[str, Any] = {}
    try:
        for workflow in client.watch(name):
            last = workflow
            if live:
                view.draw(workflow)
            else:
                for line in lines.feed(workflow):
                    print(line, flush=True)
    except KeyboardInterrupt:
        print(f"\nstopped watching; the run goes on: polyflow-argo watch {name} -n {client.namespace}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    phase = (last.get("status") or {}).get("phase")
    return exit_code(phase)


def run_watch(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        return watch_run(client, args.name)


def run_get(args: argparse.Namespace) -> int:
    from ..cluster.watch import render_table

    with client_from(args) as client:
        workflow = client.get(args.name)
    if args.output == "json":
        print(json.dumps(workflow, indent=2))
    elif args.output == "yaml":
        from ..emit import to_yaml

        sys.stdout.write(to_yaml([workflow]))
    else:
        print("\n".join(render_table(workflow, wide=args.output == "wide")))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ..cluster.watch import duration, pipeline_of

    with client_from(args) as client:
        items = client.list(args.pipeline, running=args.running, selector=args.selector)
    if args.output == "json":
        print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2))
        return 0
    if args.output == "name":
        for item in items:
            print(printable(item["metadata"]["name"]))
        return 0
    table = [["NAME", "STATUS", "STARTED", "DURATION", "PIPELINE", "MESSAGE"]]
    for item in items:
        status = item.get("status") or {}
        started = status.get("startedAt") or ""
        took = duration(started, status.get("finishedAt")) if status.get("finishedAt") else \
            duration(started, None, _now()) if started else ""
        table.append([item["metadata"]["name"], status.get("phase") or "Pending", started.replace("T", " ")
                      .rstrip("Z"), took, pipeline_of(item), status.get("message") or ""])
    if len(table) == 1:
        print("no workflows", file=sys.stderr)
        return 0
    table = [[printable(cell) for cell in row] for row in table]  # names and messages come from the cluster
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for row in table:
        print(("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]).rstrip())
    return 0


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def run_logs(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        try:
            for line in client.logs(args.name, args.op, follow=args.follow, container=args.container):
                print(line, flush=args.follow)
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
    return 0


def run_shutdown(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        getattr(client, args.verb)(args.name)
    what = "stopping: running ops and exit handlers finish" if args.verb == "stop" else \
        "terminating: running ops are killed"
    print(f"workflow.argoproj.io/{args.name} {what}")
    return 0


def run_resubmit(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        result = client.resubmit(args.name)
        print(f"{result} (resubmitted from {args.name})")
        return watch_run(client, result.name) if args.watch else 0


def run_approve(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        op = client.approve(args.name, args.op)
    print(f"workflow.argoproj.io/{args.name}: op '{op}' approved")
    return 0


def run_schedule_clear(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        cron, cleared = client.schedule_clear(args.name)
    if cleared:
        print(f"cronworkflow.argoproj.io/{args.name} cleared: it runs again on its schedule")
    else:
        status = cron.get("status") or {}
        print(
            f"cronworkflow.argoproj.io/{args.name} is not stopped (phase {status.get('phase') or 'Active'}, "
            f"failed {status.get('failed') or 0}): nothing to clear"
        )
    return 0


def run_registry_push(args: argparse.Namespace) -> int:
    with client_from(args) as client:
        results = client.push_registry(list(args.dirs), cluster_scope=args.cluster_scope,
                                       argo_version=args.argo_version, dry_run=args.dry_run)
    _print_results(results, "name")
    print(f"registry: {len(results)} template(s)", file=sys.stderr)
    return 0


def submit_backfill(args: argparse.Namespace, docs: list[dict[str, Any]]) -> int:
    with client_from(args) as client:
        results = client.backfill(docs)
    _print_results(results, "name")
    return 0
