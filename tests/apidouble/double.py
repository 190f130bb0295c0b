"""``ApiDouble``: one store, two loopback servers (Kubernetes API and Argo Server), and the Python
"controller" API tests use to play Argo's workflow controller, RBAC, and a flaky network."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from . import meta
from .http import GARBLES, Fault, Request, Server
from .meta import PODS, WORKFLOWS, copy, kind_of
from .ops import FINISHED, Ops
from .store import Store
from .validation import Validator

USER = "system:serviceaccount:argo:polyflow"
Step = tuple[float, "dict[str, Any] | Callable[[ApiDouble, str, str], Any]"]


def fnv32a(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(workflow: str, name: str) -> str:
    """Argo's ``Workflow.NodeID``: the workflow name for the root, else ``<workflow>-<fnv32a(name)>``."""
    return workflow if name == workflow else f"{workflow}-{fnv32a(name)}"


class Timeline:
    """Status patches applied one after another in a background thread (``ApiDouble.timeline``)."""

    def __init__(self, steps: list[Callable[[], Any]], delays: list[float]) -> None:
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(steps, delays), name="apidouble-timeline", daemon=True
        )
        self._thread.start()

    def _run(self, steps: list[Callable[[], Any]], delays: list[float]) -> None:
        try:
            for delay, step in zip(delays, steps, strict=False):
                if self._stop.wait(delay):
                    return
                step()
        except BaseException as exc:  # noqa: BLE001 - re-raised by join()
            self.error = exc
        finally:
            self.done.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the last step; re-raise a step's error."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("the timeline is still running")
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join(5)


class ApiDouble:
    """A loopback Kubernetes API server and Argo Server over one store. See the package docstring."""

    def __init__(
        self,
        *,
        token: str | None = "kube-token",
        argo_token: str | None = "argo-token",
        user: str = USER,
        namespaces: Iterable[str] = ("default", "argo"),
        crds_installed: bool = True,
        argo_schema: str | Path | bool | None = None,
        max_watch_seconds: float = 30.0,
        history: int = 10_000,
        argo_version: str = "v4.1.2",
    ) -> None:
        self.token, self.argo_token, self.user, self.argo_user = token, argo_token, user, user
        self.crds_installed = crds_installed
        self.max_watch_seconds = max_watch_seconds
        self.argo_version = argo_version
        self.argo_validator: Callable[[dict[str, Any]], str | None] | None = None
        self.store = Store(history)
        self.validator = Validator(argo_schema)
        self.ops = Ops(self)
        self._lock = threading.Lock()
        self._rules: list[dict[str, str]] = []
        self._faults: list[Fault] = []
        self._requests: list[Request] = []
        self._timelines: list[Timeline] = []
        self._scripts: dict[str, list[Step]] = {}
        self._servers: list[Server] = []
        for ns in namespaces:
            self.add_namespace(ns)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> ApiDouble:
        from .argo import ArgoApp
        from .kube import KubeApp

        self._servers = [Server(KubeApp(self), self), Server(ArgoApp(self), self)]
        for server in self._servers:
            server.start()
        return self

    def stop(self) -> None:
        """End every stream and timeline, stop both servers and join their threads."""
        for timeline in self._timelines:
            timeline.cancel()
        self.store.close()
        for server in self._servers:
            server.stop()

    def __enter__(self) -> ApiDouble:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def kube_url(self) -> str:
        return self._servers[0].url

    @property
    def argo_url(self) -> str:
        return self._servers[1].url

    def kubeconfig(self, path: str | Path, *, namespace: str = "default", token: str | None = None) -> Path:
        """Write a kubeconfig (context ``apidouble``) for the Kubernetes front; ``token`` defaults to ours."""
        user: dict[str, Any] = {}
        if token or self.token:
            user["token"] = token or self.token
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": "apidouble",
            "clusters": [{"name": "apidouble", "cluster": {"server": self.kube_url}}],
            "users": [{"name": "apidouble", "user": user}],
            "contexts": [{"name": "apidouble",
                          "context": {"cluster": "apidouble", "user": "apidouble", "namespace": namespace}}],
        }
        path = Path(path)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    # ------------------------------------------------------------ RBAC, faults, request log

    def deny(self, verb: str = "*", resource: str = "*", *, group: str = "*", namespace: str = "*",
             name: str = "*") -> None:
        """Forbid matching requests (403) on both fronts; ``resource`` may name a subresource
        (``pods/log``)."""
        with self._lock:
            self._rules.append({"verb": verb, "resource": resource, "group": group, "namespace": namespace,
                                "name": name})

    def allow_all(self) -> None:
        with self._lock:
            self._rules.clear()

    def denied(self, verb: str, group: str, resource: str, namespace: str, name: str) -> bool:
        with self._lock:
            return any(all(rule[k] in ("*", v) for k, v in (("verb", verb), ("group", group),
                                                             ("resource", resource), ("namespace", namespace),
                                                             ("name", name))) for rule in self._rules)

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        message: str | None = None,
        server: str | None = "kube",
    ) -> None:
        """Answer the next ``times`` requests whose method matches and whose path matches the regex ``path``
        with ``status`` (429, 500, 503, 504 …) and the front's error body, without performing them."""
        with self._lock:
            self._faults.append(
                Fault(server, method.upper(), re.compile(path), times, status, retry_after, message)
            )

    def drop_after_next(self, method: str, path: str, *, times: int = 1, server: str | None = "kube") -> None:
        """Perform the next matching request (the object IS stored), then close the connection unanswered."""
        with self._lock:
            self._faults.append(Fault(server, method.upper(), re.compile(path), times, 0))

    def garble_next(
        self,
        method: str,
        path: str,
        kind: str,
        *,
        times: int = 1,
        server: str | None = "kube",
        body: bytes | None = None,
        size: int = 0,
        interval: float = 0.05,
    ) -> None:
        """Perform the next matching request, then spoil its answer (``kind``, status kept):
        ``not-json`` (an HTML page, or ``body``), ``wrong-shape`` (``["not", "an", "object"]`` or ``body``),
        ``truncated`` (Content-Length of the whole answer, half of it sent, connection closed),
        ``oversized`` (``size`` bytes of valid JSON), ``drip`` (one byte every ``interval`` s, for at most
        10 s), ``garbage-line`` (a stream — watch, logs — starts with ``body`` or a line that is not
        JSON)."""
        if kind not in GARBLES:
            raise ValueError(f"garble kind {kind!r}: one of {', '.join(GARBLES)}")
        with self._lock:
            self._faults.append(Fault(server, method.upper(), re.compile(path), times, -1, garble=kind,
                                      body=body, size=size, interval=interval))

    def take_garble(self, server: str, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.garble is not None and fault.matches(server, method, path):
                    fault.times -= 1
                    return fault
        return None

    def take_fault(self, server: str, method: str, path: str, drop: bool) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.garble is None and (fault.status == 0) == drop and fault.matches(
                    server, method, path
                ):
                    fault.times -= 1
                    return fault
        return None

    def record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str | None = None, path: str | None = None,
                    server: str | None = None) -> list[Request]:
        """Logged requests filtered by method, path regex (searched) and front ("kube"/"argo")."""
        return [r for r in self.requests if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path)) and (server is None or r.server == server)]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # ------------------------------------------------------------ objects (the controller's view)

    @property
    def namespaces(self) -> set[str]:
        return {o["metadata"]["name"] for o in self.store.select(meta.NAMESPACES)}

    def add_namespace(self, name: str) -> None:
        if self.store.get(meta.NAMESPACES, None, name) is None:
            self.store.add(
                meta.NAMESPACES,
                {
                    "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                },
            )

    def create(self, obj: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        """Store ``obj`` as is (no validation, no RBAC, no ``on_create`` script), filling uid,
        resourceVersion…; an ADDED event. ``namespace`` overrides metadata.namespace (default "default")."""
        kind = kind_of(obj["kind"])
        if namespace is not None:
            obj = {**obj, "metadata": {**obj.get("metadata", {}), "namespace": namespace}}
        return self.store.add(kind, obj)

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.store.get(kind_of(kind), namespace, name)

    def objects(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.store.select(kind_of(kind), namespace)

    def patch(self, kind: str, namespace: str | None, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        """JSON merge patch of a stored object (``None`` deletes a key); a MODIFIED event when it changes."""
        k = kind_of(kind)
        with self.store.cond:
            old = self.store.get(k, namespace, name)
            if old is None:
                raise KeyError(f"{k.qualified} {namespace}/{name}")
            return self.store.update(k, meta.merge_patch(old, patch))

    def delete(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.store.delete(kind_of(kind), namespace, name)

    def set_status(self, namespace: str, name: str, status: dict[str, Any], *, kind: str = "workflows",
                   replace: bool = False) -> dict[str, Any]:
        """Merge ``status`` into the object's status (or replace it) as the controller does: one MODIFIED
        event with a new resourceVersion. For Workflows the ``workflows.argoproj.io/phase`` and
        ``/completed`` labels follow the phase, as Argo's controller sets them."""
        k = kind_of(kind)
        with self.store.cond:
            old = self.store.get(k, namespace, name)
            if old is None:
                raise KeyError(f"{k.qualified} {namespace}/{name}")
            new = copy(old)
            new["status"] = copy(status) if replace else meta.merge_patch(old.get("status") or {}, status)
            phase = new["status"].get("phase")
            if k == WORKFLOWS and phase:
                labels = new["metadata"].setdefault("labels", {})
                labels["workflows.argoproj.io/phase"] = phase
                labels["workflows.argoproj.io/completed"] = "true" if phase in FINISHED else "false"
            return self.store.update(k, new)

    def set_phase(self, namespace: str, name: str, phase: str, message: str | None = None) -> dict[str, Any]:
        """Workflow phase with startedAt (first time) and finishedAt (Succeeded/Failed/Error) filled."""
        wf = self.get("workflows", namespace, name) or {}
        status: dict[str, Any] = {"phase": phase}
        if not (wf.get("status") or {}).get("startedAt"):
            status["startedAt"] = meta.now()
        if phase in FINISHED:
            status["finishedAt"] = meta.now()
        if message is not None:
            status["message"] = message
        return self.set_status(namespace, name, status)

    def set_node(self, namespace: str, workflow: str, display_name: str, **fields: Any) -> dict[str, Any]:
        """Add or update ``status.nodes[id]``: name ``<workflow>.<display_name>`` (the workflow's own name
        is the root DAG node), id as Argo's NodeID, type Pod (root: DAG); ``fields`` set phase,
        startedAt, finishedAt, message, children, templateName, boundaryID, type …"""
        root = display_name == workflow
        name = fields.pop("name", workflow if root else f"{workflow}.{display_name}")
        ident = fields.pop("id", node_id(workflow, name))
        node = {"id": ident, "name": name, "displayName": display_name, "type": "DAG" if root else "Pod"}
        node.update(fields)
        self.set_status(namespace, workflow, {"nodes": {ident: node}})
        return node

    def add_pod(self, namespace: str, name: str, *, workflow: str | None = None, node_name: str | None = None,
                containers: Iterable[str] | None = None, labels: dict[str, str] | None = None,
                phase: str = "Running") -> dict[str, Any]:
        """A pod as Argo's controller makes it: label ``workflows.argoproj.io/workflow`` and annotations
        ``workflows.argoproj.io/node-name``/``node-id`` when ``workflow`` is given; containers ``wait`` and
        ``main`` for a workflow pod (so a log read must name ``container=main``), else ``main``."""
        names = list(containers or (("wait", "main") if workflow else ("main",)))
        pod_labels = dict(labels or {})
        annotations = {}
        if workflow:
            pod_labels.setdefault("workflows.argoproj.io/workflow", workflow)
            pod_labels.setdefault("workflows.argoproj.io/completed", "false")
            full = node_name or f"{workflow}.{name}"
            annotations = {"workflows.argoproj.io/node-name": full,
                           "workflows.argoproj.io/node-id": node_id(workflow, full)}
        images = ["quay.io/argoproj/argoexec:latest" if c == "wait" else "busybox" for c in names]
        state = {"waiting": {"reason": "ContainerCreating"}} if phase == "Pending" else \
            {"running": {"startedAt": meta.now()}}
        pod = {
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": pod_labels,
                "annotations": annotations,
            },
            "spec": {
                "containers": [{"name": c, "image": image} for c, image in zip(names, images, strict=True)],
                "restartPolicy": "Never",
            },
            "status": {
                "phase": phase,
                "startTime": meta.now(),
                "containerStatuses": [
                    {
                        "name": c,
                        "ready": phase == "Running",
                        "restartCount": 0,
                        "image": image,
                        "imageID": f"docker.io/library/{image}@sha256:0",
                        "containerID": f"containerd://{name}-{c}",
                        "started": phase == "Running",
                        "state": copy(state),
                    }
                    for c, image in zip(names, images, strict=True)
                ],
            },
        }
        return self.store.add(PODS, pod)

    def append_log(self, namespace: str, pod: str, *lines: str, container: str = "main",
                   at: datetime | None = None) -> None:
        """Append lines to a container's log; open ``follow`` streams send them at once."""
        self.store.append_log((namespace, pod, container), list(lines), at)

    def finish_container(
        self, namespace: str, pod: str, container: str = "main", *, exit_code: int = 0
    ) -> None:
        """Terminate a container: its follow streams end; the pod turns Succeeded/Failed when all are done."""
        with self.store.cond:
            obj = self.store.get(PODS, namespace, pod)
            if obj is None:
                raise KeyError(f"pods {namespace}/{pod}")
            statuses = obj["status"].setdefault("containerStatuses", [])
            for status in statuses:
                if status["name"] == container:
                    started = (status["state"].get("running") or {}).get("startedAt", meta.now())
                    status["state"] = {
                        "terminated": {
                            "exitCode": exit_code,
                            "reason": "Completed" if exit_code == 0 else "Error",
                            "startedAt": started,
                            "finishedAt": meta.now(),
                        }
                    }
                    status["ready"] = False
            done = [s["state"].get("terminated") for s in statuses]
            if all(done):
                obj["status"]["phase"] = "Succeeded" if all(t["exitCode"] == 0 for t in done) else "Failed"
            self.store.update(PODS, obj)
            self.store.finish((namespace, pod, container))

    def timeline(self, namespace: str, name: str, steps: list[Step], *, kind: str = "workflows") -> Timeline:
        """Apply ``(delay_seconds, status_patch_or_callable)`` steps in a background thread, each delay after
        the previous step; a callable step is called as ``step(double, namespace, name)``. The total
        delay must fit in ``max_watch_seconds``; ``stop()`` cancels what is left."""
        if sum(delay for delay, _ in steps) > self.max_watch_seconds:
            raise ValueError("a timeline must finish within max_watch_seconds")

        def bind(step: Any) -> Callable[[], Any]:
            if callable(step):
                return lambda: step(self, namespace, name)
            return lambda: self.set_status(namespace, name, step, kind=kind)

        timeline = Timeline([bind(step) for _, step in steps], [delay for delay, _ in steps])
        self._timelines.append(timeline)
        return timeline

    def on_create(self, kind: str, steps: list[Step]) -> None:
        """Play the controller: each time a client creates a ``kind`` object (either front, not a dry run),
        run ``timeline(ns, name, steps)`` for it. Replaces any script set before for ``kind``."""
        with self._lock:
            self._scripts[kind_of(kind).plural] = list(steps)

    def created(self, obj: dict[str, Any]) -> None:
        """Called by the fronts after a client's create is stored."""
        with self._lock:
            steps = self._scripts.get(kind_of(obj["kind"]).plural)
        if steps:
            self.timeline(
                obj["metadata"].get("namespace", ""), obj["metadata"]["name"], steps, kind=obj["kind"]
            )

    def expire_history(self) -> None:
        """Compact the event history: a watch from an older resourceVersion gets 410 Gone (Expired)."""
        self.store.compact()
