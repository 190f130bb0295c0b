"""The Kubernetes API front: authentication, discovery, URL → verb routing, query options, watch and
pod-log streams, SelfSubjectAccessReview. Errors are ``Status`` bodies (meta.py); object semantics
are in ops.py.

Routes: /version, /api, /api/v1, /apis, /apis/{group}[/{version}],
/api/v1/[namespaces/{ns}/]{pods,configmaps}[/{name}], /api/v1/namespaces[/{name}],
/api/v1/namespaces/{ns}/pods/{name}/log, /apis/argoproj.io/v1alpha1/[namespaces/{ns}/]{plural}[/{name}],
POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from . import meta
from .http import Fault, Reply, Request, Stream
from .meta import ARGO, ARGO_KINDS, CORE_KINDS, KINDS, PODS, ApiError, Kind, bad_request, no_route, parse_bool

if TYPE_CHECKING:
    from .double import ApiDouble

VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.0",
    "gitCommit": "apidouble",
    "gitTreeState": "clean",
    "buildDate": "2025-04-23T00:00:00Z",
    "goVersion": "go1.24.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}
AUTHZ = "authorization.k8s.io"
PUBLIC = ("/version", "/healthz", "/livez", "/readyz")


def _resource(kind: Kind) -> dict[str, Any]:
    out: dict[str, Any] = {"name": kind.plural, "singularName": kind.singular, "namespaced": kind.namespaced,
                           "kind": kind.kind, "verbs": list(meta.VERBS)}
    if kind.short:
        out["shortNames"] = list(kind.short)
    return out


def _group(name: str, version: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/{version}", "version": version}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def _timestamp(at: datetime) -> str:
    """RFC3339Nano as the kubelet writes it (trailing zeros trimmed)."""
    frac = f"{at.microsecond * 1000:09d}".rstrip("0")
    return at.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


class KubeApp:
    role = "kube"

    def __init__(self, double: ApiDouble) -> None:
        self.d = double
        self.ops = double.ops

    def fault_reply(self, fault: Fault) -> Reply:
        return self._error(meta.fault(fault.status, fault.message, fault.retry_after))

    @staticmethod
    def _error(exc: ApiError) -> Reply:
        return Reply(exc.code, exc.status, dict(exc.headers))

    def dispatch(self, req: Request) -> Reply | Stream:
        try:
            self._authenticate(req)
            return self._route(req)
        except ApiError as exc:
            return self._error(exc)
        except Exception as exc:  # noqa: BLE001 - a bug in the double: say so, as a 500 Status
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return self._error(
                ApiError(meta.status(500, "InternalError", f"Internal error occurred: {detail}"))
            )

    def _authenticate(self, req: Request) -> None:
        auth = req.header("Authorization")
        if self.d.token is None or (auth is None and req.path in PUBLIC):
            return
        if auth != f"Bearer {self.d.token}":
            raise meta.unauthorized()

    # ------------------------------------------------------------ routing

    def _route(self, req: Request) -> Reply | Stream:
        path = req.path.rstrip("/") or "/"
        if path == "/version":
            return Reply(200, VERSION)
        if path in PUBLIC:
            return Reply(200, "ok", content_type="text/plain; charset=utf-8")
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return self._discovery_root(parts)
        if group == ARGO and not self.d.crds_installed:
            raise no_route()
        if not rest:
            return self._discovery(group, version)
        if (group, version, rest) == (AUTHZ, "v1", ["selfsubjectaccessreviews"]) and req.method == "POST":
            return self._access_review(req)
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise no_route()
        kind = KINDS.get((group, rest[0]))
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if kind is None or kind.version != version or (ns is not None and not kind.namespaced) \
                or (ns is None and kind.namespaced and name is not None):
            raise no_route()
        if sub is not None:
            if (kind, sub, req.method) == (PODS, "log", "GET") and ns is not None and name is not None:
                return self._pod_log(req, ns, name)
            raise no_route()
        return self._verb(req, kind, ns, name)

    def _discovery_root(self, parts: list[str]) -> Reply:
        if parts == ["api"]:
            return Reply(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.d.kube_url.split("//", 1)[1]}]})
        if parts == ["apis"]:
            groups = [_group(AUTHZ, "v1")] + ([_group(ARGO, "v1alpha1")] if self.d.crds_installed else [])
            return Reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if (
            len(parts) == 2
            and parts[0] == "apis"
            and (parts[1] == AUTHZ or parts[1] == ARGO and self.d.crds_installed)
        ):
            version = "v1" if parts[1] == AUTHZ else "v1alpha1"
            return Reply(200, {"kind": "APIGroup", "apiVersion": "v1", **_group(parts[1], version)})
        raise no_route()

    def _discovery(self, group: str, version: str) -> Reply:
        if (group, version) == ("", "v1"):
            resources = [_resource(k) for k in CORE_KINDS]
            resources.insert(1, {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                                 "verbs": ["get"]})
        elif (group, version) == (ARGO, "v1alpha1"):
            resources = [_resource(k) for k in ARGO_KINDS]
        elif (group, version) == (AUTHZ, "v1"):
            resources = [{"name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview",
                          "namespaced": False, "kind": "SelfSubjectAccessReview", "verbs": ["create"]}]
        else:
            raise no_route()
        gv = f"{group}/{version}" if group else version
        return Reply(
            200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
        )

    def _access_review(self, req: Request) -> Reply:
        body = req.json() or {}
        attrs = (body.get("spec") or {}).get("resourceAttributes")
        if attrs is None and not (body.get("spec") or {}).get("nonResourceAttributes"):
            raise meta.invalid(
                Kind(AUTHZ, "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
                "",
                [
                    meta.cause(
                        "FieldValueRequired",
                        "spec.resourceAttributes",
                        "Required value: exactly one of nonResourceAttributes or resourceAttributes must be "
                        "specified",
                    )
                ],
            )
        allowed = True
        if attrs is not None:
            resource = attrs.get("resource", "") + (
                f"/{attrs['subresource']}" if attrs.get("subresource") else ""
            )
            allowed = not self.d.denied(attrs.get("verb", ""), attrs.get("group", ""), resource,
                                        attrs.get("namespace", ""), attrs.get("name", ""))
        out = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": f"{AUTHZ}/v1",
            "metadata": {"creationTimestamp": None},
            "spec": body.get("spec") or {},
            "status": {"allowed": True, "reason": "RBAC: allowed by the API double"}
            if allowed
            else {"allowed": False},
        }
        return Reply(201, out)

    # ------------------------------------------------------------ verbs

    def _verb(self, req: Request, kind: Kind, ns: str | None, name: str | None) -> Reply | Stream:
        user, ops = self.d.user, self.ops
        dry_run = self._dry_run(req.query.get("dryRun", []))
        validation = req.param("fieldValidation") or "Warn"
        agent = (req.header("User-Agent") or "unknown").split("/")[0].split(" ")[0]
        manager = req.param("fieldManager")
        if name is None:
            if req.method == "GET" and parse_bool(req.param("watch")):
                timeout = req.param("timeoutSeconds")
                events = ops.watch(
                    kind,
                    ns,
                    user=user,
                    resource_version=req.param("resourceVersion"),
                    label_selector=req.param("labelSelector"),
                    field_selector=req.param("fieldSelector"),
                    timeout=float(timeout) if timeout else None,
                    bookmarks=parse_bool(req.param("allowWatchBookmarks")),
                )
                return Stream(200, (json.dumps(e).encode() + b"\n" for e in events))
            if req.method == "GET":
                return Reply(
                    200,
                    ops.list_objects(
                        kind,
                        ns,
                        user=user,
                        label_selector=req.param("labelSelector"),
                        field_selector=req.param("fieldSelector"),
                        limit=int(req.param("limit") or 0),
                        continue_=req.param("continue"),
                    ),
                )
            if req.method == "POST":
                obj, warnings = ops.create(kind, ns, req.body, user=user, dry_run=dry_run,
                                           field_validation=validation, manager=manager or agent)
                return Reply(201, obj, self._warnings(warnings))
            if req.method == "DELETE":
                return self._delete_collection(req, kind, ns, dry_run)
            raise meta.method_not_allowed()
        if req.method == "GET":
            return Reply(200, ops.get(kind, ns, name, user=user))
        if req.method == "PUT":
            obj, warnings = ops.replace(kind, ns, name, req.body, user=user, dry_run=dry_run,
                                        field_validation=validation, manager=manager or agent)
            return Reply(200, obj, self._warnings(warnings))
        if req.method == "PATCH":
            force = req.param("force")
            obj, warnings, created = ops.patch(
                kind,
                ns,
                name,
                req.body,
                req.header("Content-Type") or "",
                user=user,
                dry_run=dry_run,
                field_validation=validation,
                manager=manager or (None if "apply" in (req.header("Content-Type") or "") else agent),
                force=None if force is None else parse_bool(force),
            )
            return Reply(201 if created else 200, obj, self._warnings(warnings))
        if req.method == "DELETE":
            options = req.json() or {}
            if req.param("propagationPolicy"):
                options["propagationPolicy"] = req.param("propagationPolicy")
            dry_run = dry_run or self._dry_run(options.get("dryRun") or [])
            return Reply(200, ops.delete(kind, ns, name, user=user, dry_run=dry_run, options=options))
        raise meta.method_not_allowed()

    @staticmethod
    def _dry_run(values: list[str]) -> bool:
        for value in values:
            if value != "All":
                raise bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        return bool(values)

    @staticmethod
    def _warnings(warnings: list[str]) -> dict[str, str]:
        return (
            {"Warning": ", ".join('299 - "' + w.replace('"', '\\"') + '"' for w in warnings)}
            if warnings
            else {}
        )

    def _delete_collection(self, req: Request, kind: Kind, ns: str | None, dry_run: bool) -> Reply:
        user = self.d.user
        self.ops.authorize(user, "deletecollection", kind, ns)
        listed = self.ops.list_objects(kind, ns, user=user, label_selector=req.param("labelSelector"),
                               field_selector=req.param("fieldSelector"))
        if not dry_run:
            for item in listed["items"]:
                self.d.store.delete(kind, item["metadata"].get("namespace"), item["metadata"]["name"])
        return Reply(200, listed)

    # ------------------------------------------------------------ pods/log

    def _pod_log(self, req: Request, ns: str, name: str) -> Reply | Stream:
        self.ops.authorize(self.d.user, "get", PODS, ns, name, "log")
        pod = self.ops.get(PODS, ns, name, user=self.d.user)
        names = [c["name"] for c in pod["spec"].get("containers", [])]
        container = req.param("container")
        if not container:
            if len(names) != 1:
                raise bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                  f"[{' '.join(names)}]")
            container = names[0]
        if container not in names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        state: dict[str, Any] = next(
            (s["state"] for s in pod["status"].get("containerStatuses", []) if s["name"] == container), {}
        )
        if "waiting" in state:
            raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: '
                              f'{state["waiting"].get("reason", "ContainerCreating")}')
        key = (ns, name, container)
        tail = req.param("tailLines")
        since = req.param("sinceSeconds")
        stamps = parse_bool(req.param("timestamps"))
        limit = int(req.param("limitBytes") or 0)
        lines = self.d.store.log(key)
        if since:
            cut = datetime.now(timezone.utc) - timedelta(seconds=int(since))
            lines = [(at, text) for at, text in lines if at >= cut]
        sent = len(self.d.store.log(key))
        if tail is not None:
            lines = lines[-int(tail):] if int(tail) > 0 else []

        def render(batch: list[tuple[datetime, str]]) -> bytes:
            return "".join(
                (_timestamp(at) + " " if stamps else "") + text + "\n" for at, text in batch
            ).encode()

        head = render(lines)
        if limit:
            head = head[:limit]
        if not parse_bool(req.param("follow")):
            return Reply(200, head, content_type="text/plain")
        return Stream(200, self._follow(key, head, sent, render), content_type="text/plain")

    def _follow(self, key: tuple[str, str, str], head: bytes, sent: int, render: Any) -> Iterator[bytes]:
        store = self.d.store
        yield head
        deadline = time.monotonic() + self.d.max_watch_seconds
        while True:
            with store.cond:
                while (
                    len(store.logs.get(key, [])) == sent
                    and key not in store.finished
                    and not store.closed
                    and time.monotonic() < deadline
                ):
                    store.cond.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                batch = store.logs.get(key, [])[sent:]
                sent += len(batch)
                over = key in store.finished or store.closed or time.monotonic() >= deadline
            if batch:
                yield render(batch)
            if over and not batch:
                return
