"""The Kubernetes API transport (the default), through the ``kubernetes`` client.

Configuration: ``--kubeconfig`` / ``KUBECONFIG`` / ``~/.kube/config`` with ``--context``, else the
in-cluster ServiceAccount. Writes use ``fieldValidation=Strict``; dry runs ``dryRun=All``; ``apply`` is
server-side apply (``application/apply-patch+yaml``, field manager ``polyflow-argo``, force). Stop and
terminate patch ``spec.shutdown``; approve patches the suspend node's phase (what ``argo resume``
writes), with the resourceVersion as a precondition. Requests go through the client's ``ApiClient``
(kubeconfig, auth, TLS) but their answers are read here, through replies.py: within --request-timeout,
body included, and the size limit, then checked. The client's own urllib3 retries are off (client.py
retries, knowing which calls are safe to repeat).
"""

from __future__ import annotations

import builtins
import json
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..version import __version__
from .errors import ApiFailure, Failure, bad_reply, error, from_kube_body, network_failure
from .replies import Deadline, as_event, as_items, as_object, check, decode, lines, read_all, read_start
from .replies import continue_token as _continue
from .transport import FIELD_MANAGER, KINDS, Kind, LogLine, Settings, kubeconfig_paths, paged
from . import transport as _transport

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
SA_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
POLL = 1.0  # seconds between pod listings while following logs
WORKFLOW = KINDS["Workflow"]


class KubeTransport:
    name = "kube"

    def __init__(self, settings: Settings) -> None:
        from kubernetes import client

        self.timeout = settings.request_timeout
        cfg = client.Configuration()
        self.namespace = self._load(cfg, settings)
        cfg.retries = False  # client.py retries, knowing which calls may be repeated
        if settings.insecure_skip_tls_verify:
            cfg.verify_ssl = False
            warnings.filterwarnings("ignore", message="Unverified HTTPS request")
        if settings.ca_file:
            cfg.ssl_ca_cert = settings.ca_file
        self.server = f"the Kubernetes API at {cfg.host}"
        self.api = client.ApiClient(cfg)
        self.api.user_agent = f"polyflow-argo/{_version()}"

    def close(self) -> None:
        self.api.close()

    @staticmethod
    def _load(cfg: Any, settings: Settings) -> str:
        from kubernetes import config

        paths = [p for p in kubeconfig_paths(settings.kubeconfig) if p.is_file()]
        if not paths:
            if os.environ.get("KUBERNETES_SERVICE_HOST") and not settings.kubeconfig:
                try:
                    config.load_incluster_config(client_configuration=cfg)
                except config.ConfigException as exc:
                    raise error("PF600", f"cannot use the in-cluster configuration: {exc}",
                                "mount the ServiceAccount token, or pass --kubeconfig") from None
                ns = SA_NAMESPACE.read_text().strip() if SA_NAMESPACE.is_file() else "default"
                return settings.namespace or ns
            where = settings.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
            raise error(
                "PF600",
                f"no kubeconfig: {where} does not exist, and this is not a pod in a cluster",
                "point KUBECONFIG (or --kubeconfig) at one: on kind, `kind export kubeconfig --name NAME`; "
                "or use Argo Server with --argo-server URL and ARGO_TOKEN",
            )
        joined = os.pathsep.join(str(p) for p in paths)
        try:
            contexts, current = config.list_kube_config_contexts(config_file=joined)
            names = [c["name"] for c in contexts or []]
            if settings.context and settings.context not in names:
                raise error("PF600", f"context '{settings.context}' is not in the kubeconfig ({joined})",
                            f"contexts there: {', '.join(names) or 'none'} (`kubectl config get-contexts`)")
            config.load_kube_config(config_file=joined, context=settings.context, client_configuration=cfg,
                                    persist_config=False)
        except config.ConfigException as exc:
            raise error(
                "PF600",
                f"cannot use the kubeconfig {joined}: {exc}",
                "`kubectl config view` shows what is wrong; `kubectl config use-context NAME` picks one",
            ) from None
        active = next((c for c in contexts or [] if c["name"] == settings.context), current) or {}
        return settings.namespace or (active.get("context") or {}).get("namespace") or "default"

    # ------------------------------------------------------------ plumbing

    def _request(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None,
                 content_type: str | None = None, timeout: Any = None) -> Any:
        """One HTTP call through the ``kubernetes`` ApiClient (kubeconfig auth, TLS, user agent); the
        urllib3 response with its body unread. No answer → ApiFailure."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if content_type or body is not None:
            headers["Content-Type"] = content_type or "application/json"
        request = self.api.param_serialize(
            method=method, resource_path=path, header_params=headers, body=body,
            auth_settings=["BearerToken"],
            query_params=[(k, str(v).lower() if isinstance(v, bool) else v) for k, v in (query or {}).items()
                          if v is not None])
        try:
            return self.api.call_api(*request, _request_timeout=timeout or self.timeout).response
        except ApiException as exc:  # the REST layer turns SSL errors into status 0
            raise ApiFailure(network_failure(exc, "kube", kind="tls")) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ApiFailure(network_failure(exc, "kube")) from None

    def _failed(self, resp: Any) -> ApiFailure:
        """The failure a non-2xx answer describes (only the start of its body is read)."""
        import urllib3

        try:
            body = read_start(resp.stream(2 ** 14))
        except (urllib3.exceptions.HTTPError, OSError):
            body = b""
        finally:
            resp.close()
        return ApiFailure(from_kube_body(resp.status, body, resp.headers))

    def _json(self, method: str, path: str, query: dict[str, Any] | None = None, body: Any = None,
              content_type: str | None = None) -> tuple[int, Any]:
        """A call and its JSON answer, all within --request-timeout (body included) and the size limit."""
        import urllib3

        started = time.monotonic()
        resp = self._request(method, path, query, body, content_type)
        if not 200 <= resp.status <= 299:
            raise self._failed(resp)
        left = self.timeout - (time.monotonic() - started)
        try:
            with Deadline(left, resp.shutdown) as deadline:
                try:
                    data = read_all(resp.stream(2 ** 16), resp.status, "kube")
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    if deadline.expired:
                        raise self._late() from None
                    raise ApiFailure(network_failure(exc, "kube")) from None
            if deadline.expired:
                raise self._late()
        finally:
            resp.close()
        return resp.status, decode(data, resp.status, "kube")

    def _late(self) -> ApiFailure:
        return ApiFailure(Failure(None, f"the answer was still arriving after --request-timeout "
                                  f"{self.timeout:g}s", network="timeout", transport="kube"))

    def _object(self, kind: Kind, method: str, path: str, **kw: Any) -> dict[str, Any]:
        status, data = self._json(method, path, **kw)
        return check(kind.kind, as_object(data, status, "kube"), status, "kube")

    def _ns(self, kind: Kind, obj: dict[str, Any] | None = None) -> str:
        return str(((obj or {}).get("metadata") or {}).get("namespace") or self.namespace)

    @staticmethod
    def _path(kind: Kind, namespace: str | None, name: str | None = None) -> str:
        base = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
        if kind.namespaced:
            base += f"/namespaces/{quote(namespace or '', safe='')}"
        base += f"/{kind.plural}"
        return base + (f"/{quote(name, safe='')}" if name is not None else "")

    # ------------------------------------------------------------ objects

    def create(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        if not kind.group:
            return self.apply(kind, obj, dry_run)[0]
        query = {"dryRun": "All" if dry_run else None, "fieldValidation": "Strict",
                 "fieldManager": FIELD_MANAGER}
        return self._object(kind, "POST", self._path(kind, self._ns(kind, obj)), query=query, body=obj)

    def get(self, kind: Kind, name: str) -> dict[str, Any]:
        return self._object(kind, "GET", self._path(kind, self.namespace, name))

    def list(self, kind: Kind, label_selector: str | None = None) -> builtins.list[dict[str, Any]]:
        path = self._path(kind, self.namespace)

        def page(token: str | None) -> tuple[builtins.list[dict[str, Any]], str | None]:
            query = {"labelSelector": label_selector, "limit": _transport.LIST_CHUNK, "continue": token}
            status, data = self._json("GET", path, query)
            items = as_items(data, status, "kube")
            for item in items:
                item.setdefault("apiVersion", kind.api_version)
                item.setdefault("kind", kind.kind)
                check(kind.kind, item, status, "kube")
            return items, _continue(data, status, "kube")

        return paged(page, _expired, "kube")

    def apply(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> tuple[dict[str, Any], str]:
        name = obj["metadata"]["name"]
        before = None
        try:
            before = self.get(kind, name) if kind.group else None
        except ApiFailure as exc:
            if exc.failure.status not in (403, 404):
                raise
        query = {"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER, "force": True,
                 "fieldValidation": "Strict"}
        status, data = self._json("PATCH", self._path(kind, self._ns(kind, obj), name), query, obj, APPLY)
        out = check(kind.kind, as_object(data, status, "kube"), status, "kube")
        if status == 201 or (before is None and kind.group):
            return out, "created"
        same = before is not None and before["metadata"].get("resourceVersion") == \
            out["metadata"].get("resourceVersion")
        return out, "unchanged" if same else "configured"

    def _merge(self, kind: Kind, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self._object(kind, "PATCH", self._path(kind, self.namespace, name),
                            query={"fieldManager": FIELD_MANAGER}, body=patch, content_type=MERGE)

    def shutdown(self, name: str, strategy: str) -> dict[str, Any]:
        return self._merge(WORKFLOW, name, {"spec": {"shutdown": strategy}})

    def resume_node(self, workflow: dict[str, Any], node_id: str, message: str) -> dict[str, Any]:
        """What ``argo resume --node-field-selector`` writes: the suspend node Succeeded, finishedAt now;
        the resourceVersion makes a concurrent controller update a 409 Conflict (client.py retries)."""
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        patch = {
            "metadata": {"resourceVersion": workflow["metadata"]["resourceVersion"]},
            "status": {"nodes": {node_id: {"phase": "Succeeded", "finishedAt": now, "message": message}}},
        }
        return self._merge(WORKFLOW, workflow["metadata"]["name"], patch)

    def clear_cron(self, cron: dict[str, Any]) -> dict[str, Any]:
        patch = {"metadata": {"labels": {"cronworkflows.argoproj.io/completed": None}},
                 "status": {"failed": 0, "phase": "Active"}}
        return self._merge(KINDS["CronWorkflow"], cron["metadata"]["name"], patch)

    # ------------------------------------------------------------ streams

    def _open(self, path: str, query: dict[str, Any], timeout: Any) -> Any:
        resp = self._request("GET", path, query, timeout=timeout)
        if not 200 <= resp.status <= 299:
            raise self._failed(resp)
        return resp

    def watch(self, name: str, resource_version: str, timeout: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """One watch request on the workflow (the server ends it after ``timeout`` s; the whole request is
        cut at ``timeout`` + 15 s + --request-timeout); ERROR events → ApiFailure."""
        query = {"fieldSelector": f"metadata.name={name}", "watch": True, "resourceVersion": resource_version,
                 "timeoutSeconds": timeout, "allowWatchBookmarks": True}
        resp = self._open(self._path(WORKFLOW, self.namespace), query,
                          (min(10.0, self.timeout), timeout + 15.0))
        try:
            with Deadline(timeout + 15.0 + self.timeout, resp.shutdown) as deadline:
                for line in _lines(resp, deadline):
                    kind, obj = as_event(decode(line, 200, "kube", "a watch line"), "kube")
                    if kind == "ERROR":
                        code = obj.get("code")
                        status = code if isinstance(code, int) else 500
                        raise ApiFailure(from_kube_body(status, json.dumps(obj)))
                    if kind != "BOOKMARK":
                        check("Workflow", as_object(obj, 200, "kube", "a watch event's object"), 200, "kube")
                    yield kind, obj
        finally:
            resp.close()

    def _pods(self, workflow: str) -> builtins.list[dict[str, Any]]:
        status, data = self._json("GET", f"/api/v1/namespaces/{quote(self.namespace, safe='')}/pods",
                                  {"labelSelector": f"workflows.argoproj.io/workflow={workflow}"})
        pods = as_items(data, status, "kube")
        for pod in pods:
            parts = (pod.get("status") or {}, pod["metadata"].get("annotations") or {})
            if not all(isinstance(part, dict) for part in parts):
                raise bad_reply(status, "shape", f"pod {pod['metadata']['name']}: status or annotations "
                                "is not an object", "kube")
        return sorted(
            pods, key=lambda p: (str((p.get("status") or {}).get("startTime") or ""), p["metadata"]["name"])
        )

    def _pod_path(self, pod: str, log: bool = False) -> str:
        return f"/api/v1/namespaces/{quote(self.namespace, safe='')}/pods/{quote(pod, safe='')}" + (
            "/log" if log else "")

    def logs(self, workflow: dict[str, Any], follow: bool, container: str,
             pod_selected: Callable[[str | None, str], bool]) -> Iterator[LogLine]:
        name = workflow["metadata"]["name"]
        if not follow:
            for pod in self._pods(name):
                node = _node_id(pod)
                if not pod_selected(node, pod["metadata"]["name"]) or _waiting(pod, container):
                    continue
                resp = self._open(self._pod_path(pod["metadata"]["name"], log=True), {"container": container},
                                  None)
                try:
                    for line in _lines(resp):
                        yield LogLine(pod["metadata"]["name"], node, line)
                finally:
                    resp.close()
            return
        yield from _Follower(self, name, container, pod_selected).run()


def _node_id(pod: dict[str, Any]) -> str | None:
    return ((pod.get("metadata") or {}).get("annotations") or {}).get("workflows.argoproj.io/node-id")


def _waiting(pod: dict[str, Any], container: str) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") == "Pending":
        return True
    for cs in status.get("containerStatuses") or []:
        if cs.get("name") == container:
            return "waiting" in (cs.get("state") or {})
    return False


def _terminated(pod: dict[str, Any] | None, container: str) -> bool:
    if pod is None:
        return True
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return True
    return any(cs.get("name") == container and "terminated" in (cs.get("state") or {})
               for cs in status.get("containerStatuses") or [])


class _Follower:
    """``logs --follow`` on the Kubernetes API: one thread per pod streams its log (reconnecting, without
    repeating lines, if the stream ends before the container); new pods are picked up every second; it
    ends when the workflow has finished and every stream has ended."""

    def __init__(self, transport: KubeTransport, workflow: str, container: str,
                 selected: Callable[[str | None, str], bool]) -> None:
        self.t, self.workflow, self.container, self.selected = transport, workflow, container, selected
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.threads: dict[str, threading.Thread] = {}
        self.stop = threading.Event()

    def run(self) -> Iterator[LogLine]:
        try:
            while True:
                phase = (self.t.get(WORKFLOW, self.workflow).get("status") or {}).get("phase")
                for pod in self.t._pods(self.workflow):
                    pname = pod["metadata"]["name"]
                    if (
                        pname in self.threads
                        or not self.selected(_node_id(pod), pname)
                        or _waiting(pod, self.container)
                    ):
                        continue
                    thread = threading.Thread(target=self._stream, args=(pname, _node_id(pod)), daemon=True,
                                              name=f"polyflow-logs-{pname}")
                    self.threads[pname] = thread
                    thread.start()
                deadline = time.monotonic() + POLL
                while (wait := deadline - time.monotonic()) > 0:
                    try:
                        kind, item = self.queue.get(timeout=wait)
                    except queue.Empty:
                        break
                    if kind == "error":
                        raise item
                    yield item
                if phase in ("Succeeded", "Failed", "Error") and not any(
                    t.is_alive() for t in self.threads.values()
                ):
                    while not self.queue.empty():
                        kind, item = self.queue.get_nowait()
                        if kind == "error":
                            raise item
                        yield item
                    return
        finally:
            self.stop.set()

    def _stream(self, pod: str, node: str | None) -> None:
        last: str | None = None
        try:
            for _ in range(1000):  # reconnects, each after a stream ended early
                query: dict[str, Any] = {"container": self.container, "follow": True, "timestamps": True}
                if last is not None:
                    query["sinceSeconds"] = max(1, int(time.time() - _epoch(last)) + 2)
                resp = self.t._open(self.t._pod_path(pod, log=True), query,
                                    (min(10.0, self.t.timeout), 300.0))
                try:
                    for line in _lines(resp):
                        stamp, _, text = line.partition(" ")
                        if last is not None and stamp <= last:
                            continue
                        last = stamp
                        self.queue.put(("line", LogLine(pod, node, text)))
                        if self.stop.is_set():
                            return
                finally:
                    resp.close()
                try:
                    current = as_object(self.t._json("GET", self.t._pod_path(pod))[1], 200, "kube")
                except ApiFailure as exc:
                    if exc.failure.status == 404:
                        return
                    raise
                if _terminated(current, self.container) or self.stop.is_set():
                    return
        except ApiFailure as exc:
            self.queue.put(("error", exc))
        except Exception as exc:  # noqa: BLE001 - a dropped stream mid-read: report it on the main thread
            self.queue.put(("error", ApiFailure(network_failure(exc, "kube"))))


def _epoch(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp[:19]).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return time.time()


def _lines(resp: Any, deadline: Deadline | None = None) -> Iterator[str]:
    """Lines of a streamed answer as they arrive (chunked watch and log streams), each within the size
    limit; a dropped stream → ApiFailure (a timeout when ``deadline`` cut it)."""
    import urllib3

    try:
        for line in lines(resp.stream(2 ** 16), "kube"):
            yield line.decode("utf-8", "replace")
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        if deadline is not None and deadline.expired:
            raise ApiFailure(Failure(None, "the watch request outlived its time limit", network="timeout",
                                     transport="kube")) from None
        raise ApiFailure(network_failure(exc, "kube")) from None


def _version() -> str:
    return __version__


def _expired(exc: BaseException) -> bool:
    """A continue token the server no longer honours (410 Gone: history compacted)."""
    return isinstance(exc, ApiFailure) and exc.failure.status == 410
