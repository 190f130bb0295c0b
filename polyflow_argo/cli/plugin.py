"""``polyflow-argo plugin serve | manifest``: the executor plugin for event ops."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def register(sub: Any) -> None:
    plugin = sub.add_parser("plugin", help="the Argo executor plugin that waits for events",
                            description="The `polyflow` Argo executor plugin (docs/plugin.md).")
    psub = plugin.add_subparsers(dest="plugin_command", metavar="SUBCOMMAND")
    psub.required = True
    serve = psub.add_parser("serve", help="run the plugin server (in the agent pod's sidecar)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4355, help="port (default 4355)")
    serve.add_argument("--token-file", default="/var/run/argo/token", help="the agent's bearer token file")
    serve.add_argument("--http-allow", action="append", default=[], metavar="CIDR[,CIDR]",
                       help="addresses or networks http events may call although refused by default "
                            "(loopback, link-local/metadata, the API service), e.g. 10.96.0.1/32; repeatable")
    serve.set_defaults(handler=run_serve)
    manifest = psub.add_parser("manifest", help="print the plugin ConfigMap for the controller")
    manifest.add_argument("--image", help="plugin image (default: the released one)")
    manifest.add_argument("--namespace", "-n", help="metadata.namespace")
    manifest.add_argument(
        "--s3-secret",
        metavar="NAME",
        help="give the sidecar AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, "
        "AWS_REGION and AWS_ENDPOINT_URL from this Secret (in the workflow's namespace; every key optional) "
        "for s3 events",
    )
    manifest.add_argument("--kube-events", action="store_true",
                          help="mount the token of the service account polyflow-executor-plugin into the "
                               "sidecar (sidecar.automountServiceAccountToken) for k8s and pipeline events; "
                               "that account needs a token Secret and RBAC (docs/plugin.md)")
    manifest.add_argument("--http-allow", action="append", default=[], metavar="CIDR[,CIDR]",
                          help="the sidecar's `plugin serve --http-allow` (docs/plugin.md); repeatable")
    manifest.set_defaults(handler=run_manifest)


def run_serve(args: argparse.Namespace) -> int:
    from ..plugin.server import log, serve
    from . import UsageError

    try:
        server = serve(args.host, args.port, args.token_file, http_allow=tuple(args.http_allow))
    except ValueError as exc:  # a bad --http-allow entry: main() exits 2 (usage)
        raise UsageError(f"--http-allow: {exc}") from None
    log("info", "listening", host=args.host, port=server.server_address[1])
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0


def run_manifest(args: argparse.Namespace) -> int:
    from ..emit import to_yaml
    from ..plugin.manifest import DEFAULT_IMAGE, plugin_configmap
    from . import UsageError

    try:
        doc = plugin_configmap(args.image or DEFAULT_IMAGE, args.namespace, s3_secret=args.s3_secret,
                               kube_events=args.kube_events, http_allow=tuple(args.http_allow))
    except ValueError as exc:  # a bad --image, --namespace, --s3-secret or --http-allow: exit 2 (usage)
        raise UsageError(str(exc)) from None
    sys.stdout.write(to_yaml([doc]))
    return 0
