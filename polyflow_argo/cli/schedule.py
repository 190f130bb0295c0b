"""``polyflow-argo schedule next FILE`` and ``polyflow-argo backfill FILE --from --to``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .compile import dns_label, dns_name
from .hygiene import add_hygiene_options
from .inputs import inputs
from .resolve_options import add_resolve_options, print_warnings, resolve_options
from . import EXIT_INPUT, EXIT_OK


def iso_datetime(text: str) -> datetime:
    """An ISO 8601 instant for the command line; naive means UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date-time: {text!r} (e.g. 2026-03-01T00:00:00Z)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _common(p: argparse.ArgumentParser) -> None:
    """FILE..., the shared resolve flags (-p, --registry, --project, --strict, --no-warnings) and
    --argo-version."""
    from ..translate.target import VERSIONS

    add_resolve_options(p)
    p.add_argument("--argo-version", choices=VERSIONS, default="4", help="Argo release to target")


def register(sub: Any) -> None:
    sched = sub.add_parser("schedule", help="inspect a pipeline's schedule",
                           description="Inspect a scheduled pipeline.")
    ssub = sched.add_subparsers(dest="schedule_command", metavar="SUBCOMMAND")
    ssub.required = True
    nxt = ssub.add_parser(
        "next",
        help="list the next run instants, from the spec and from the emitted CronWorkflow",
        description="Print the next run instants computed from the Polyflow schedule (croniter) and, beside "
        "them, the instants the emitted CronWorkflow fires at (its schedules, timezone and `when` guard, "
        "replayed with Argo's rules). Exit 1 if they differ.",
    )
    _common(nxt)
    nxt.add_argument("--count", type=_count, default=10, metavar="N", help="how many instants (default 10)")
    nxt.add_argument("--from", dest="start", type=iso_datetime, metavar="ISO",
                     help="list instants after this one (default: now)")
    nxt.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format")
    nxt.add_argument("--allow-every-drift", action="store_true", help="as for compile")
    nxt.set_defaults(handler=run_next)

    from .cluster import add_cluster_options, run_schedule_clear

    clear = ssub.add_parser(
        "clear",
        help="let a CronWorkflow stopped by depends_on_past run again",
        description="After a failed run, depends_on_past stops the CronWorkflow (status.phase Stopped, label "
        "cronworkflows.argoproj.io/completed=true). Once the cause is fixed, clear sets status.failed to 0 "
        "and status.phase to Active and removes the label, so it runs on its schedule again "
        "(docs/schedules.md).",
    )
    clear.add_argument("name", metavar="NAME", help="CronWorkflow name")
    add_cluster_options(clear)
    clear.set_defaults(handler=run_schedule_clear)

    bf = sub.add_parser(
        "backfill",
        help="emit one Workflow per scheduled instant of a past window",
        description="Emit one Workflow per instant of the pipeline's schedule between --from and --to "
        "(inclusive), named like the runs of its CronWorkflow (<name>-<unix seconds>) and carrying the "
        "instant as `scheduled-time`. With depends_on_past, each run waits for the previous one to "
        "succeed. Submit them with `kubectl create -f` (or apply in GitOps).",
    )
    _common(bf)
    bf.add_argument(
        "--from", dest="start", type=iso_datetime, required=True, metavar="ISO", help="window start"
    )
    bf.add_argument("--to", dest="end", type=iso_datetime, required=True, metavar="ISO", help="window end")
    bf.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format")
    bf.add_argument("--out", metavar="DIR", help="write one file per Workflow into DIR (atomically)")
    bf.add_argument("--name", type=dns_name, help="base name of the runs (default: the pipeline name)")
    bf.add_argument("--namespace", "-n", type=dns_label, help="metadata.namespace of every object")
    bf.add_argument("--service-account", metavar="NAME", type=_service_account,
                    help="spec.serviceAccountName of the runs (default: `service_account` of polyflow.yaml); "
                         "with depends_on_past it needs `get` on workflows")
    add_hygiene_options(bf)
    bf.add_argument("--submit", action="store_true",
                    help="create the runs on the cluster, in order (a run that exists already is skipped)")
    add_cluster_options(bf, namespace=False)
    bf.set_defaults(handler=run_backfill)


def _service_account(text: str) -> str:
    from .compile import _service_account as check

    return check(text)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_COUNT}, got {value}")
    return value


MAX_COUNT = 10_000  # instants listed at most (each is a croniter step and a replay of Argo's rules)


def _options(args: argparse.Namespace, **extra: Any) -> Any:
    """The shared resolve flags, and the command's own: name, namespace, service account, hygiene."""
    from .hygiene import hygiene_options

    return resolve_options(
        args,
        name=getattr(args, "name", None),
        namespace=getattr(args, "namespace", None),
        argo_version=args.argo_version,
        service_account=getattr(args, "service_account", None),
        **hygiene_options(args),
        **extra,
    )


def run_next(args: argparse.Namespace) -> int:
    from ..compiler import compile_ir
    from ..errors import Diagnostic, TranslateError
    from ..resolve.schedule import LAST_INSTANT, spec_instants
    from ..translate.schedule import plan, plan_instants

    options = _options(args, allow_every_drift=args.allow_every_drift)
    ir, docs, warnings = compile_ir(inputs(args.files), options)
    print_warnings(args, warnings)
    rs = ir.schedule
    if rs is None:
        print(f"{args.files[0]}: the pipeline has no schedule", file=sys.stderr)
        return EXIT_INPUT
    cron: dict[str, Any] = next(d for d in docs if d["kind"] == "CronWorkflow")
    p = plan(rs, allow_every=args.allow_every_drift)
    start = args.start or datetime.now(timezone.utc).replace(microsecond=0)
    n = args.count
    spec_list = list(spec_instants(rs, start, limit=n))
    # neither list has an instant before start_at: replaying Argo's guard from --from 0001-01-01 would
    # step through every skipped hour of two thousand years
    since = max(start, rs.start - timedelta(microseconds=1)) if rs.start is not None else start
    argo_list = [] if p.drifts else list(plan_instants(p, since, limit=n))
    if n and not spec_list and not argo_list and not p.drifts:
        bounded = rs.end is None or rs.end > start  # not the schedule's end: the calendar's
        raise TranslateError(
            Diagnostic(
                "PF472",
                f"the schedule has no instant after {_fmt(start)} (instants are computed up to "
                f"{_fmt(LAST_INSTANT)})" if bounded
                else f"the schedule has ended: its end_at {_fmt(rs.end)} is before {_fmt(start)}",
                ir.doc.span(("schedule",)),
                f"pass a --from before {_fmt(LAST_INSTANT)}" if bounded
                else f"it ends at {_fmt(rs.end)} (end_at): pass an earlier --from",
            )
        )
    rows = _pair(spec_list, argo_list)
    differ = p.drifts or any(a != b for a, b in rows)
    zone = rs.zone
    if args.output == "json":
        out = {
            "name": cron["metadata"]["name"],
            "schedules": p.schedules,
            "timezone": p.timezone,
            "when": p.guard.expression(),
            "spec": [_fmt(t) for t in spec_list],
            "argo": None if p.drifts else [_fmt(t) for t in argo_list],
            "same": not differ,
        }
        print(json.dumps(out, indent=2))
        return EXIT_INPUT if differ else EXIT_OK
    print(f"{cron['metadata']['name']}: {cron['metadata']['annotations']['polyflow.io/schedule']}")
    print(f"CronWorkflow: schedules {list(p.schedules)} in {p.timezone}" + (f", when {p.guard.expression()}"
                                                                          if p.guard else ""))
    local = rs.timezone != "UTC"
    head = f"{'':>3}  {'spec (Polyflow)':<22}" + (f"  {'local (' + rs.timezone + ')':<27}" if local else "")
    print(head + "  Argo (emitted CronWorkflow)")
    for i, (a, b) in enumerate(rows, 1):
        left = _fmt(a) if a else "-"
        loc = f"  {a.astimezone(zone).isoformat() if a else '-':<27}" if local else ""
        right = "(drifts: @every)" if p.drifts else (_fmt(b) if b else "-")
        mark = "" if a == b else "   <- differs"
        print(f"{i:>3}  {left:<22}{loc}  {right}{mark}")
    if p.drifts:
        print("Argo's `@every` fires at a fixed delay from each update of the CronWorkflow: its instants "
              "cannot be predicted.")
    elif differ:
        print("The emitted CronWorkflow does not fire at the spec's instants.")
    else:
        print(f"All {len(rows)} instants agree.")
    return EXIT_INPUT if differ else EXIT_OK


def _pair(a: list[datetime], b: list[datetime]) -> list[tuple[datetime | None, datetime | None]]:
    rows: list[tuple[datetime | None, datetime | None]] = []
    for i in range(max(len(a), len(b))):
        rows.append((a[i] if i < len(a) else None, b[i] if i < len(b) else None))
    return rows


def _fmt(t: datetime | None) -> str:
    from ..resolve.schedule import utc_text

    return utc_text(t) if t else "-"


def run_backfill(args: argparse.Namespace) -> int:
    from ..compiler import backfill
    from ..emit import to_json, to_yaml, write_files

    docs, warnings = backfill(inputs(args.files), args.start, args.end, _options(args))
    print_warnings(args, warnings)
    if getattr(args, "submit", False):
        from .cluster import submit_backfill

        return submit_backfill(args, docs)
    if args.out:
        files = []
        for doc in docs:
            manifest: dict[str, Any] = doc
            ext = "json" if args.output == "json" else "yaml"
            name = f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.{ext}"
            files.append((name, to_json([doc]) if args.output == "json" else to_yaml([doc])))
        write_files(Path(args.out), files)  # all of them or none (docs/output.md)
    else:
        sys.stdout.write(to_json(docs) if args.output == "json" else to_yaml(docs))
    runs = sum(1 for d in docs if d["kind"] == "Workflow")
    print(f"backfill: {runs} run(s) from {_fmt(args.start)} to {_fmt(args.end)}", file=sys.stderr)
    return EXIT_OK
