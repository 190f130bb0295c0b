"""``polyflow-argo compile FILE...``: emit the Argo manifests of a pipeline."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from .hygiene import add_hygiene_options, hygiene_options
from .resolve_options import add_files, add_resolve_flags, parse_params


def register(sub: Any) -> None:
    p = sub.add_parser(
        "compile",
        help="compile a pipeline to Argo manifests",
        description="Compile Polyflow pipelines to Argo manifests: a YAML stream on stdout by default. "
        "Each file is its own pipeline (like kubectl -f), a directory stands for its *.yaml, *.yml and "
        "*.json files; --merge overlays the files in order into one pipeline. Nothing is written when a "
        "file has errors or two outputs have the same name.",
    )
    add_files(p, "pipeline file(s) or directories, each compiled on its own")
    p.add_argument(
        "--merge", action="store_true", help="treat the files as one pipeline, deep-merged in order"
    )
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format")
    p.add_argument("--out", metavar="DIR", help="write one file per object into DIR (atomically)")
    add_compile_options(p)
    p.set_defaults(handler=run)


def add_compile_options(p: argparse.ArgumentParser) -> None:
    """The options that decide what a pipeline compiles to, shared by ``compile``, ``submit`` and ``apply``
    (``options_from`` reads them back)."""
    from ..translate.target import VERSIONS

    names = p.add_mutually_exclusive_group()
    names.add_argument(
        "--name", type=dns_name, help="fixed metadata.name (default: generateName from the pipeline name)"
    )
    names.add_argument("--generate-name", action="store_true", help="use metadata.generateName (the default)")
    p.add_argument("--namespace", "-n", type=dns_label, help="metadata.namespace of every object")
    p.add_argument("--argo-version", choices=VERSIONS, default="4", help="Argo release to target (default 4)")
    add_resolve_flags(p)  # FILE... is the command's: -p, --registry, --project, --strict, --no-warnings
    p.add_argument(
        "--lift-limits",
        action="store_true",
        help="allow more than 200 ops or templates and objects over 1 MiB, for a cluster whose CRDs and "
        "etcd take them (docs/performance.md)",
    )
    p.add_argument(
        "--ignore-schedule", action="store_true", help="compile a scheduled pipeline as a one-off Workflow"
    )
    p.add_argument(
        "--registry-cluster-scope",
        action="store_true",
        help="the registry is published as ClusterWorkflowTemplates (templateRef clusterScope)",
    )
    p.add_argument(
        "--service-account",
        metavar="NAME",
        type=_service_account,
        help="spec.serviceAccountName of the Workflow: the account its pods and the agent pod of "
        "event ops run as (default: `service_account` of polyflow.yaml, else Argo's default)",
    )
    p.add_argument(
        "--tools-image",
        metavar="IMAGE",
        type=image_ref,
        help="image of polyflow-argo's own small steps, e.g. a group's best-trial pick "
        "(default python:3.12-alpine; mirror it for air-gapped clusters)",
    )
    add_cron_options(p)
    add_build_options(p)
    add_hygiene_options(p)  # --active-deadline-seconds, --ttl-after-*, --pod-gc (cli/hygiene.py)


def add_cron_options(p: argparse.ArgumentParser) -> None:
    """CronWorkflow fields the pipeline language has no place for (scheduled pipelines only)."""
    g = p.add_argument_group("scheduled pipelines (CronWorkflow)")
    g.add_argument(
        "--allow-every-drift",
        action="store_true",
        help="compile an interval that is not a whole number of minutes to `@every` (it drifts: Argo counts "
        "from each update of the CronWorkflow) instead of failing",
    )
    g.add_argument(
        "--starting-deadline-seconds",
        type=_non_negative,
        metavar="S",
        help="run a missed schedule when the controller restarts within S seconds",
    )
    g.add_argument(
        "--successful-history-limit",
        type=_non_negative,
        metavar="N",
        help="successful runs to keep (Argo's default: 3)",
    )
    g.add_argument(
        "--failed-history-limit",
        type=_non_negative,
        metavar="N",
        help="failed runs to keep (Argo's default: 1)",
    )
    g.add_argument("--suspend", action="store_true", help="create the CronWorkflow suspended")


def add_build_options(p: argparse.ArgumentParser) -> None:
    """Image builds (docs/builds.md): these override the project config's `build` settings."""
    g = p.add_argument_group("image builds (docs/builds.md)")
    g.add_argument(
        "--build-context",
        metavar="URL",
        help="source of image builds: a git URL pinned to a commit (https://host/org/repo.git#<sha>, "
        "git://, ssh://), s3://bucket/ctx.tar.gz, gs://bucket/ctx.tar.gz or an https:// tarball",
    )
    g.add_argument(
        "--build-registry",
        metavar="REGISTRY/REPOSITORY",
        help="the repository built images are pushed to, tagged by content",
    )
    g.add_argument(
        "--build-secret",
        metavar="NAME",
        help="a kubernetes.io/dockerconfigjson Secret to push (and pull) built images",
    )
    g.add_argument(
        "--builder", choices=("buildkit", "kaniko"), help="the in-cluster builder (default buildkit)"
    )
    g.add_argument(
        "--builder-image", metavar="IMAGE", type=image_ref,
        help="the builder's image (default: the pinned release)",
    )


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


def dns_name(text: str) -> str:
    """An object name (DNS-1123 subdomain): it becomes a file name under --out, so nothing else passes."""
    if len(text) > 253 or not all(_DNS_LABEL.match(part) for part in text.split(".")):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Kubernetes object name (lower case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters)"
        )
    return text


def dns_label(text: str) -> str:
    """A namespace name (DNS-1123 label)."""
    if len(text) > 63 or not _DNS_LABEL.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a namespace name (lower case letters, digits and '-', at most 63 characters)"
        )
    return text


def image_ref(text: str) -> str:
    """An image reference given on the command line: no whitespace or control character (the pod
    would fail with InvalidImageName) and no ``{{``/``}}`` (Argo would read a template tag)."""
    if not text or "{{" in text or "}}" in text or any(c.isspace() or not c.isprintable() for c in text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an image reference (e.g. 'registry.example.com/team/image:tag': no spaces, "
            "control characters or braces)"
        )
    return text


def _service_account(text: str) -> str:
    from ..language.project import service_account_ok

    if not service_account_ok(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a ServiceAccount name (lower case letters, digits, '-' and '.')"
        )
    return text


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def options_from(args: argparse.Namespace) -> Any:
    from ..translate import CompileOptions

    return CompileOptions(
        name=args.name,
        namespace=args.namespace,
        argo_version=args.argo_version,
        strict=args.strict,
        lift_limits=getattr(args, "lift_limits", False),
        params=parse_params(args.param),
        ignore_schedule=args.ignore_schedule,
        allow_every_drift=args.allow_every_drift,
        starting_deadline_seconds=args.starting_deadline_seconds,
        successful_history_limit=args.successful_history_limit,
        failed_history_limit=args.failed_history_limit,
        suspend=args.suspend,
        registries=tuple(args.registry),
        registry_cluster_scope=args.registry_cluster_scope,
        project=getattr(args, "project", None),  # image builds (docs/builds.md)
        build_context=getattr(args, "build_context", None),
        build_registry=getattr(args, "build_registry", None),
        build_secret=getattr(args, "build_secret", None),
        builder=getattr(args, "builder", None),
        builder_image=getattr(args, "builder_image", None),
        service_account=getattr(args, "service_account", None),
        **hygiene_options(args),
        **({"tools_image": args.tools_image} if getattr(args, "tools_image", None) else {}),
    )


def render(docs: list[dict[str, Any]], output: str) -> str:
    from ..emit import to_json, to_yaml

    return to_json(docs) if output == "json" else to_yaml(docs)


def run(args: argparse.Namespace) -> int:
    from .batch import compile_files  # each file on its own, or --merge; nothing written on an error

    docs = compile_files(args, options_from(args))
    if args.out:
        _write_dir(docs, Path(args.out), args.output)
    else:
        sys.stdout.write(render(docs, args.output))
    return 0


def _write_dir(docs: list[dict[str, Any]], out: Path, output: str) -> None:
    from ..emit import to_json, to_yaml, write_files

    files = []
    for doc in docs:
        meta = doc["metadata"]
        base = meta.get("name") or meta.get("generateName", "object").rstrip("-")
        name = f"{doc['kind'].lower()}-{base}.{'json' if output == 'json' else 'yaml'}"
        files.append((name, to_json([doc]) if output == "json" else to_yaml([doc])))
    write_files(out, files)  # all of them or none (docs/output.md)
