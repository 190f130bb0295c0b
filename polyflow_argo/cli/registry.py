"""``polyflow-argo registry build | list | show``: local registries of actions and events."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import render_text
from . import EXIT_INPUT, EXIT_OK


def register(sub: Any) -> None:
    from ..translate.target import VERSIONS

    reg = sub.add_parser("registry", help="build, list and show registry actions and events",
                         description="Registries of versioned actions and events (docs/registry.md).")
    rsub = reg.add_subparsers(dest="registry_command", metavar="SUBCOMMAND")
    rsub.required = True

    build = rsub.add_parser(
        "build",
        help="emit one WorkflowTemplate per action/event version",
        description="Read every entry under DIR and emit one Argo WorkflowTemplate per action/event version "
        "(ClusterWorkflowTemplate with --cluster-scope), named polyflow-<kind>-<name>-v<version>, for "
        "`kubectl apply` or GitOps. Fails, listing every problem, if any entry is invalid.",
    )
    build.add_argument("dirs", nargs="+", metavar="DIR", help="registry directories")
    build.add_argument("--cluster-scope", action="store_true", help="emit ClusterWorkflowTemplates")
    build.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format")
    build.add_argument("--out", metavar="DIR", help="write one file per template into DIR (atomically)")
    build.add_argument("--namespace", "-n", help="metadata.namespace (WorkflowTemplates only)")
    build.add_argument("--argo-version", choices=VERSIONS, default="4", help="Argo release")
    build.set_defaults(handler=run_build)

    from .cluster import add_cluster_options, run_registry_push

    push = rsub.add_parser(
        "push",
        help="build the templates and apply them to the cluster",
        description=(
            "`registry build`, then server-side apply of every WorkflowTemplate (ClusterWorkflowTemplate "
            "with --cluster-scope): idempotent, so pushing an unchanged registry changes nothing."
        ),
    )
    push.add_argument("dirs", nargs="+", metavar="DIR", help="registry directories")
    push.add_argument("--cluster-scope", action="store_true", help="push ClusterWorkflowTemplates")
    push.add_argument("--argo-version", choices=VERSIONS, default="4", help="Argo release")
    push.add_argument("--dry-run", choices=("client", "server"), help="as for submit")
    add_cluster_options(push)
    push.set_defaults(handler=run_registry_push)

    lst = rsub.add_parser("list", help="list the actions and events of the registries",
                          description="List actions and events: --registry DIRs, then POLYFLOW_REGISTRY.")
    lst.add_argument("--registry", action="append", default=[], metavar="DIR", help="registry directory")
    lst.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format")
    lst.set_defaults(handler=run_list)

    show = rsub.add_parser("show", help="show one action or event (inputs, outputs, versions)")
    show.add_argument("ref", metavar="NAME[:VERSION]", help="e.g. notify-slack or notify-slack:1.2.0")
    show.add_argument("--registry", action="append", default=[], metavar="DIR", help="registry directory")
    show.add_argument("--kind", choices=("action", "event"), help="when a name is both")
    show.set_defaults(handler=run_show)


def _load(dirs: list[str]) -> Any:
    from ..compiler import load_registry

    registry = load_registry(dirs)
    if registry.problems:
        print(render_text(registry.problems), file=sys.stderr)
    return registry


def run_build(args: argparse.Namespace) -> int:
    from ..emit import to_json, to_yaml, write_files
    from ..registry import load_registries
    from ..registry.build import build_registry
    from ..translate import CompileOptions

    registry = load_registries([Path(d) for d in args.dirs])
    options = CompileOptions(namespace=args.namespace, argo_version=args.argo_version)
    docs, warnings = build_registry(registry, options, cluster_scope=args.cluster_scope)
    if warnings:
        print(render_text(warnings), file=sys.stderr)
    if args.out:
        ext = "json" if args.output == "json" else "yaml"
        render = to_json if args.output == "json" else to_yaml
        # all of them or none (docs/output.md)
        write_files(Path(args.out), [(f"{doc['metadata']['name']}.{ext}", render([doc])) for doc in docs])
    else:
        sys.stdout.write(to_json(docs) if args.output == "json" else to_yaml(docs))
    print(f"registry: {len(docs)} template(s)", file=sys.stderr)
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    registry = _load(args.registry)
    rows = []
    for kind in ("action", "event"):
        for name in registry.names(kind):
            versions = registry.versions(kind, name)
            latest = versions[-1]
            rows.append({"kind": kind, "name": name, "versions": [e.version for e in versions],
                         "description": latest.spec.description or "", "file": latest.file})
    if args.output == "json":
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no actions or events (pass --registry DIR or set POLYFLOW_REGISTRY)", file=sys.stderr)
    else:
        for r in rows:
            print(f"{r['kind']:<7} {r['name']:<32} {', '.join(r['versions']):<24} {r['description']}")
    return EXIT_INPUT if any(p.severity == "error" for p in registry.problems) else EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from ..registry import template_ref_name

    registry = _load(args.registry)
    kinds = [args.kind] if args.kind else ["action", "event"]
    entry = next((e for k in kinds if (e := registry.find(k, args.ref))), None)
    if entry is None:
        print(f"error: {args.ref} is not in the registry", file=sys.stderr)
        return EXIT_INPUT
    tpl = entry.spec.template
    print(f"{entry.kind} {entry.ref}  ({entry.file})")
    if entry.spec.description:
        print(f"  {entry.spec.description}")
    print(f"  versions: {', '.join(e.version for e in registry.versions(entry.kind, entry.name))}")
    print(f"  Argo: templateRef {{name: {template_ref_name(entry)}, template: main}}")
    for title, ios in (("inputs", tpl.inputs or []), ("outputs", tpl.outputs or [])):
        for io in ios:
            extra = " (optional)" if getattr(io, "is_optional", False) else ""
            default = f" = {io.default!r}" if getattr(io, "default", None) is not None else ""
            print(f"  {title[:-1]:<6} {io.name}: {io.type or 'any'}{default}{extra}")
    return EXIT_OK
