"""The Kubernetes API transport (the default), through the ``kubernetes`` client.

Configuration: ``--kubeconfig`` / ``KUBECONFIG`` / ``~/.kube/config`` with ``--context``, else the
in-cluster ServiceAccount. Writes use ``fieldValidation=Strict``; dry runs ``dryRun=All``; ``apply`` is
server-side apply (``application/apply-patch+yaml``, field manager ``polyflow-argo``, force). Stop and
terminate patch ``spec.shutdown``; approve patches the suspend node's phase (what ``argo resume``
writes), with the resourceVersion as a precondition. Every call has a timeout, the client's own
urllib3 retries are off (client.py retries, knowing which calls are safe to repeat).
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

from ..version import __version__
from .errors import ApiFailure, Failure, error, from_kube_body, network_failure
from .transport import FIELD_MANAGER, KINDS, Kind, LogLine, Settings, kubeconfig_paths

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
        self.custom = client.CustomObjectsApi(self.api)
        self.core = _Core(self.api)

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

    def _send(self, fn: Callable[..., Any], *args: Any, timeout: Any = None, **kwargs: Any) -> Any:
        """Call a generated API method, returning the raw urllib3 response; failures → ApiFailure."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        try:
            return fn(*args, _preload_content=False, _request_timeout=timeout or self.timeout, **kwargs)
        except ApiException as exc:
            if not exc.status:  # the REST layer turns SSL errors into status 0
                raise ApiFailure(Failure(None, str(exc.reason), network="tls", transport="kube")) from None
            raise ApiFailure(from_kube_body(exc.status, exc.body, exc.headers)) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ApiFailure(network_failure(exc, "kube")) from None

    def _json(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        import urllib3

        resp = self._send(fn, *args, **kwargs)
        try:
            data = resp.data
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ApiFailure(network_failure(exc, "kube")) from None
        return resp.status, json.loads(data) if data else {}

    def _ns(self, kind: Kind, obj: dict[str, Any] | None = None) -> str:
        return str(((obj or {}).get("metadata") or {}).get("namespace") or self.namespace)

    # ------------------------------------------------------------ objects

    def create(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        options = {"dry_run": "All" if dry_run else None, "field_validation": "Strict",
                   "field_manager": FIELD_MANAGER}
        if not kind.group:
            return self.apply(kind, obj, dry_run)[0]
        if kind.namespaced:
            _, out = self._json(self.custom.create_namespaced_custom_object, kind.group, kind.version,
                                self._ns(kind, obj), kind.plural, obj, **options)
        else:
            _, out = self._json(
                self.custom.create_cluster_custom_object,
                kind.group,
                kind.version,
                kind.plural,
                obj,
                **options,
            )
        return out

    def get(self, kind: Kind, name: str) -> dict[str, Any]:
        if not kind.group:
            return self._json(self.core.read_namespaced_config_map, name, self.namespace)[1]
        if kind.namespaced:
            return self._json(
                self.custom.get_namespaced_custom_object,
                kind.group,
                kind.version,
                self.namespace,
                kind.plural,
                name,
            )[1]
        return self._json(
            self.custom.get_cluster_custom_object, kind.group, kind.version, kind.plural, name
        )[1]

    def list(self, kind: Kind, label_selector: str | None = None) -> builtins.list[dict[str, Any]]:
        if kind.namespaced:
            _, out = self._json(
                self.custom.list_namespaced_custom_object,
                kind.group,
                kind.version,
                self.namespace,
                kind.plural,
                label_selector=label_selector,
            )
        else:
            _, out = self._json(self.custom.list_cluster_custom_object, kind.group, kind.version, kind.plural,
                                label_selector=label_selector)
        items = out.get("items") or []
        for item in items:
            item.setdefault("apiVersion", kind.api_version)
            item.setdefault("kind", kind.kind)
        return [dict(item) for item in items]

    def apply(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> tuple[dict[str, Any], str]:
        name = obj["metadata"]["name"]
        before = None
        try:
            before = self.get(kind, name) if kind.group else None
        except ApiFailure as exc:
            if exc.failure.status not in (403, 404):
                raise
        options: dict[str, Any] = {"dry_run": "All" if dry_run else None, "field_manager": FIELD_MANAGER,
                                   "force": True, "_content_type": APPLY}
        if not kind.group:
            status, out = self._json(
                self.core.patch_namespaced_config_map, name, self._ns(kind, obj), obj, **options
            )
        elif kind.namespaced:
            status, out = self._json(self.custom.patch_namespaced_custom_object, kind.group, kind.version,
                                     self._ns(kind, obj), kind.plural, name, obj, field_validation="Strict",
                                     **options)
        else:
            status, out = self._json(
                self.custom.patch_cluster_custom_object,
                kind.group,
                kind.version,
                kind.plural,
                name,
                obj,
                field_validation="Strict",
                **options,
            )
        if status == 201 or (before is None and kind.group):
            return out, "created"
        same = before is not None and before["metadata"].get("resourceVersion") == \
            out.get("metadata", {}).get("resourceVersion")
        return out, "unchanged" if same else "configured"

    def _merge(self, kind: Kind, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self._json(
            self.custom.patch_namespaced_custom_object,
            kind.group,
            kind.version,
            self.namespace,
            kind.plural,
            name,
            patch,
            field_manager=FIELD_MANAGER,
            _content_type=MERGE,
        )[1]

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

    def watch(self, name: str, resource_version: str, timeout: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """One watch request on the workflow (ends after ``timeout`` s); ERROR events → ApiFailure."""
        resp = self._send(
            self.custom.list_namespaced_custom_object,
            WORKFLOW.group,
            WORKFLOW.version,
            self.namespace,
            WORKFLOW.plural,
            field_selector=f"metadata.name={name}",
            watch=True,
            resource_version=resource_version,
            timeout_seconds=timeout,
            allow_watch_bookmarks=True,
            timeout=(min(10.0, self.timeout), timeout + 15.0),
        )
        try:
            for line in _lines(resp):
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    raise ApiFailure(from_kube_body(int(status.get("code") or 500), json.dumps(status)))
                yield str(event.get("type")), event.get("object") or {}
        finally:
            resp.close()

    def _pods(self, workflow: str) -> builtins.list[dict[str, Any]]:
        _, out = self._json(self.core.list_namespaced_pod, self.namespace,
                            label_selector=f"workflows.argoproj.io/workflow={workflow}")
        pods: list[dict[str, Any]] = [dict(p) for p in out.get("items") or []]
        return sorted(
            pods, key=lambda p: ((p.get("status") or {}).get("startTime") or "", p["metadata"]["name"])
        )

    def logs(self, workflow: dict[str, Any], follow: bool, container: str,
             pod_selected: Callable[[str | None, str], bool]) -> Iterator[LogLine]:
        name = workflow["metadata"]["name"]
        if not follow:
            for pod in self._pods(name):
                node = _node_id(pod)
                if not pod_selected(node, pod["metadata"]["name"]) or _waiting(pod, container):
                    continue
                text = self._send(self.core.read_namespaced_pod_log, pod["metadata"]["name"], self.namespace,
                                  container=container).data.decode("utf-8", "replace")
                for line in text.splitlines():
                    yield LogLine(pod["metadata"]["name"], node, line)
            return
        yield from _Follower(self, name, container, pod_selected).run()


class _Core:
    """The five CoreV1 calls the client makes (pods, pod logs, ConfigMaps), with the generated
    ``CoreV1Api``'s names and options, through the same ``ApiClient``: importing ``CoreV1Api`` takes
    ~1.4 s, more than the whole command otherwise."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def _do(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        body: Any = None,
        content_type: str | None = None,
        _request_timeout: Any = None,
        _preload_content: bool = False,
        **params: Any,
    ) -> Any:
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        request = self.api.param_serialize(method=method, resource_path=path, path_params=params,
                                           query_params=[(k, v) for k, v in query.items() if v is not None],
                                           header_params=headers, body=body, auth_settings=["BearerToken"])
        response = self.api.call_api(*request, _request_timeout=_request_timeout)
        if not 200 <= response.status <= 299:
            response.read()
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response

    def list_namespaced_pod(self, namespace: str, label_selector: str | None = None, **kw: Any) -> Any:
        return self._do("GET", "/api/v1/namespaces/{namespace}/pods", {"labelSelector": label_selector},
                        namespace=namespace, **kw)

    def read_namespaced_pod(self, name: str, namespace: str, **kw: Any) -> Any:
        return self._do(
            "GET", "/api/v1/namespaces/{namespace}/pods/{name}", {}, name=name, namespace=namespace, **kw
        )

    def read_namespaced_pod_log(
        self,
        name: str,
        namespace: str,
        container: str | None = None,
        follow: bool = False,
        timestamps: bool = False,
        since_seconds: int | None = None,
        **kw: Any,
    ) -> Any:
        query = {"container": container, "follow": follow or None, "timestamps": timestamps or None,
                 "sinceSeconds": since_seconds}
        return self._do("GET", "/api/v1/namespaces/{namespace}/pods/{name}/log", query, name=name,
                        namespace=namespace, **kw)

    def read_namespaced_config_map(self, name: str, namespace: str, **kw: Any) -> Any:
        return self._do(
            "GET",
            "/api/v1/namespaces/{namespace}/configmaps/{name}",
            {},
            name=name,
            namespace=namespace,
            **kw,
        )

    def patch_namespaced_config_map(self, name: str, namespace: str, body: Any, dry_run: str | None = None,
                                    field_manager: str | None = None, force: bool | None = None,
                                    _content_type: str | None = None, **kw: Any) -> Any:
        query = {
            "dryRun": dry_run,
            "fieldManager": field_manager,
            "force": force,
            "fieldValidation": "Strict",
        }
        return self._do("PATCH", "/api/v1/namespaces/{namespace}/configmaps/{name}", query, body=body,
                        content_type=_content_type, name=name, namespace=namespace, **kw)


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
                kwargs: dict[str, Any] = {"container": self.container, "follow": True, "timestamps": True}
                if last is not None:
                    kwargs["since_seconds"] = max(1, int(time.time() - _epoch(last)) + 2)
                resp = self.t._send(self.t.core.read_namespaced_pod_log, pod, self.t.namespace,
                                    timeout=(min(10.0, self.t.timeout), 300.0), **kwargs)
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
                    current = self.t._json(self.t.core.read_namespaced_pod, pod, self.t.namespace)[1]
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


def _lines(resp: Any) -> Iterator[str]:
    """Lines of a streamed answer as they arrive (chunked watch and log streams)."""
    import urllib3

    buf = b""
    try:
        for chunk in resp.stream(2 ** 16):
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    yield line.decode("utf-8", "replace")
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ApiFailure(network_failure(exc, "kube")) from None
    if buf.strip():
        yield buf.decode("utf-8", "replace")


def _version() -> str:
    return __version__
