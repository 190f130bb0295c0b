"""The Argo Server transport: its REST API through Hera's ``WorkflowsService``, as the ``argo`` CLI does.

``--argo-server URL`` (or ``ARGO_SERVER``; ``host:port`` means https unless ``ARGO_SECURE=false``),
token from ``ARGO_TOKEN`` (``Bearer `` optional), TLS: ``--ca-file`` / ``--insecure-skip-tls-verify``
(or ``ARGO_INSECURE_SKIP_VERIFY=true``). Namespace: ``-n``, ``ARGO_NAMESPACE``, the kubeconfig
context's, ``default``.

Hera performs the calls; the answers are read from the raw HTTP response its session saw, because
Hera's typed models reformat timestamps and drop fields it does not know. The streams Hera cannot
parse (workflow events, logs) are read with the same session. Argo Server has no server-side apply:
``apply`` is get, then create or update with the resourceVersion.
"""

from __future__ import annotations

import builtins
import copy
import json
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from .errors import ApiFailure, Failure, error, from_argo_body, network_failure
from .transport import Kind, LogLine, Settings, kubeconfig_namespace

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def server_url(value: str) -> str:
    """``host:port`` → ``https://host:port`` (``http://`` with ``ARGO_SECURE=false``); a URL stays as is."""
    value = value.strip().rstrip("/")
    if "://" not in value:
        secure = os.environ.get("ARGO_SECURE", "true").lower() not in ("false", "0", "no")
        value = f"{'https' if secure else 'http'}://{value}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise error("PF600", f"--argo-server {value!r} is not an http(s) URL",
                    "pass Argo Server's URL, e.g. https://localhost:2746")
    return value + "/"


def _session_class() -> Any:
    import requests

    class _Session(requests.Session):
        """Adds a default timeout and remembers the last response of each thread."""

        def __init__(self, timeout: float) -> None:
            super().__init__()
            self.default_timeout = timeout
            self.last = threading.local()

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = self.default_timeout
            self.last.response = None
            response = super().request(method, url, *args, **kwargs)
            self.last.response = response
            return response

    return _Session


class ArgoServerTransport:
    name = "argo"

    def __init__(self, settings: Settings, server: str) -> None:
        from hera.workflows import WorkflowsService

        self.url = server_url(server)
        self.server = f"Argo Server at {self.url.rstrip('/')}"
        self.timeout = settings.request_timeout
        self.namespace = (settings.namespace or os.environ.get("ARGO_NAMESPACE")
                          or kubeconfig_namespace(settings.kubeconfig, settings.context) or "default")
        token = settings.token or os.environ.get("ARGO_TOKEN") or None
        insecure = settings.insecure_skip_tls_verify or \
            os.environ.get("ARGO_INSECURE_SKIP_VERIFY", "").lower() in ("true", "1", "yes")
        verify: Any = False if insecure else (settings.ca_file or True)
        if insecure:
            warnings.filterwarnings("ignore", message="Unverified HTTPS request")
        self.session = _session_class()(self.timeout)
        if urlsplit(self.url).hostname in LOOPBACK:
            self.session.trust_env = False  # never send loopback traffic through a proxy from the environment
        self.service = WorkflowsService(
            host=self.url, token=token, verify_ssl=verify, namespace=self.namespace, session=self.session
        )

    def close(self) -> None:
        self.session.close()

    # ------------------------------------------------------------ plumbing

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Run a Hera service method; the raw JSON answer, or ApiFailure."""
        import requests

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Hera's pydantic v1-style calls warn on every request body
            try:
                method(*args, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise ApiFailure(Failure(None, str(exc), network="tls", transport="argo")) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise ApiFailure(network_failure(exc, "argo")) from None
            except Exception:
                if getattr(self.session.last, "response", None) is None:
                    raise
        response = self.session.last.response
        if not response.ok:
            raise ApiFailure(from_argo_body(response.status_code, response.content, response.headers))
        try:
            return dict(response.json() or {})
        except ValueError:
            raise ApiFailure(Failure(response.status_code, f"not JSON: {response.text[:200]}",
                                     transport="argo")) from None

    @staticmethod
    def _model(name: str, obj: dict[str, Any]) -> Any:
        from hera.workflows import models
        from pydantic import ValidationError

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return getattr(models, name).model_validate(obj)
            except ValidationError as exc:
                raise error(
                    "PF610",
                    f"Hera cannot encode the {name} for Argo Server: {exc.errors()[0]['msg']} at "
                    f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}",
                    "use the Kubernetes API transport (drop --argo-server), and report this",
                ) from None

    @staticmethod
    def _typed(kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
        obj.setdefault("apiVersion", kind.api_version)
        obj.setdefault("kind", kind.kind)
        return obj

    def _no_configmaps(self, kind: Kind, obj: dict[str, Any] | None = None) -> None:
        if not kind.group:
            name = (obj or {}).get("metadata", {}).get("name", "")
            raise error(
                "PF624",
                f'Argo Server cannot create ConfigMap "{name}" (op `concurrency` needs it)',
                "have it applied with kubectl (`polyflow-argo compile` shows it), or use the Kubernetes API "
                "transport (drop --argo-server)",
            )

    # ------------------------------------------------------------ objects

    def create(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        from hera.workflows import models

        self._no_configmaps(kind, obj)
        s, ns = self.service, self.namespace
        req: Any
        if kind.kind == "Workflow":
            req = models.WorkflowCreateRequest(
                workflow=self._model("Workflow", obj), server_dry_run=dry_run or None
            )
            return self._typed(kind, self._call(s.create_workflow, req, namespace=ns))
        options = models.CreateOptions(dry_run=["All"]) if dry_run else None
        if kind.kind == "CronWorkflow":
            req = models.CreateCronWorkflowRequest(cron_workflow=self._model("CronWorkflow", obj),
                                                   create_options=options)
            return self._typed(kind, self._call(s.create_cron_workflow, req, namespace=ns))
        if kind.kind == "WorkflowTemplate":
            req = models.WorkflowTemplateCreateRequest(template=self._model("WorkflowTemplate", obj),
                                                       create_options=options)
            return self._typed(kind, self._call(s.create_workflow_template, req, namespace=ns))
        req = models.ClusterWorkflowTemplateCreateRequest(
            template=self._model("ClusterWorkflowTemplate", obj), create_options=options
        )
        return self._typed(kind, self._call(s.create_cluster_workflow_template, req))

    def get(self, kind: Kind, name: str) -> dict[str, Any]:
        self._no_configmaps(kind)
        s, ns = self.service, self.namespace
        if kind.kind == "ClusterWorkflowTemplate":
            return self._typed(kind, self._call(s.get_cluster_workflow_template, name))
        method = getattr(s, {"Workflow": "get_workflow", "CronWorkflow": "get_cron_workflow",
                             "WorkflowTemplate": "get_workflow_template"}[kind.kind])
        return self._typed(kind, self._call(method, name, namespace=ns))

    def list(self, kind: Kind, label_selector: str | None = None) -> builtins.list[dict[str, Any]]:
        self._no_configmaps(kind)
        s, ns = self.service, self.namespace
        if kind.kind == "ClusterWorkflowTemplate":
            out = self._call(s.list_cluster_workflow_templates, label_selector=label_selector)
        else:
            method = getattr(s, {"Workflow": "list_workflows", "CronWorkflow": "list_cron_workflows",
                                 "WorkflowTemplate": "list_workflow_templates"}[kind.kind])
            out = self._call(method, namespace=ns, label_selector=label_selector)
        return [self._typed(kind, item) for item in out.get("items") or []]

    def apply(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> tuple[dict[str, Any], str]:
        from hera.workflows import models

        self._no_configmaps(kind, obj)
        name = obj["metadata"]["name"]
        try:
            before = self.get(kind, name)
        except ApiFailure as exc:
            if exc.failure.status != 404:
                raise
            return self.create(kind, obj, dry_run), "created"
        if _same(before, obj):
            return before, "unchanged"
        new = copy.deepcopy(obj)
        meta = {**(before.get("metadata") or {}), **new["metadata"]}
        meta["labels"] = {
            **((before.get("metadata") or {}).get("labels") or {}),
            **(new["metadata"].get("labels") or {}),
        }
        meta["annotations"] = {**((before.get("metadata") or {}).get("annotations") or {}),
                               **(new["metadata"].get("annotations") or {})}
        new["metadata"] = meta
        if "status" in before:
            new["status"] = before["status"]
        if dry_run:
            return new, "configured"
        s, ns = self.service, self.namespace
        req: Any
        if kind.kind == "CronWorkflow":
            req = models.UpdateCronWorkflowRequest(cron_workflow=self._model("CronWorkflow", new), name=name,
                                                   namespace=ns)
            out = self._call(s.update_cron_workflow, name, req, namespace=ns)
        elif kind.kind == "WorkflowTemplate":
            req = models.WorkflowTemplateUpdateRequest(
                template=self._model("WorkflowTemplate", new), name=name, namespace=ns
            )
            out = self._call(s.update_workflow_template, name, req, namespace=ns)
        else:
            req = models.ClusterWorkflowTemplateUpdateRequest(
                template=self._model("ClusterWorkflowTemplate", new), name=name
            )
            out = self._call(s.update_cluster_workflow_template, name, req)
        return self._typed(kind, out), "configured"

    def shutdown(self, name: str, strategy: str) -> dict[str, Any]:
        from hera.workflows import models

        s, ns = self.service, self.namespace
        if strategy == "Stop":
            out = self._call(
                s.stop_workflow, name, models.WorkflowStopRequest(name=name, namespace=ns), namespace=ns
            )
        else:
            out = self._call(
                s.terminate_workflow,
                name,
                models.WorkflowTerminateRequest(name=name, namespace=ns),
                namespace=ns,
            )
        return out

    def resume_node(self, workflow: dict[str, Any], node_id: str, message: str) -> dict[str, Any]:
        from hera.workflows import models

        name, ns = workflow["metadata"]["name"], self.namespace
        req = models.WorkflowResumeRequest(name=name, namespace=ns, node_field_selector=f"id={node_id}")
        return self._call(self.service.resume_workflow, name, req, namespace=ns)

    def clear_cron(self, cron: dict[str, Any]) -> dict[str, Any]:
        from hera.workflows import models

        new = copy.deepcopy(cron)
        labels = new["metadata"].get("labels") or {}
        labels.pop("cronworkflows.argoproj.io/completed", None)
        new["metadata"]["labels"] = labels
        new.setdefault("status", {}).update({"failed": 0, "phase": "Active"})
        name, ns = cron["metadata"]["name"], self.namespace
        req = models.UpdateCronWorkflowRequest(
            cron_workflow=self._model("CronWorkflow", new), name=name, namespace=ns
        )
        return self._call(self.service.update_cron_workflow, name, req, namespace=ns)

    # ------------------------------------------------------------ streams

    def _stream(self, path: str, params: dict[str, Any], read_timeout: float) -> Iterator[dict[str, Any]]:
        """GET a grpc-gateway stream: each ``{"result": ...}`` line; ``{"error": ...}`` → ApiFailure,
        except EOF (the server ended the stream)."""
        import requests

        headers = {"Authorization": self.service.token} if self.service.token else {}
        try:
            resp = self.session.get(
                self.url + path,
                params=params,
                headers=headers,
                stream=True,
                verify=self.service.verify_ssl,
                timeout=(min(10.0, self.timeout), read_timeout),
            )
        except requests.exceptions.SSLError as exc:
            raise ApiFailure(Failure(None, str(exc), network="tls", transport="argo")) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ApiFailure(network_failure(exc, "argo")) from None
        try:
            if not resp.ok:
                raise ApiFailure(from_argo_body(resp.status_code, resp.content, resp.headers))
            try:
                for raw in resp.iter_lines():
                    if not raw.strip():
                        continue
                    data = json.loads(raw)
                    if "error" in data:
                        err = data["error"] or {}
                        if err.get("grpc_code") == 8 and err.get("message") == "EOF":
                            return
                        raise ApiFailure(from_argo_body(int(err.get("http_code") or 500), raw, None))
                    yield data.get("result") or {}
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                raise ApiFailure(network_failure(exc, "argo")) from None
        finally:
            resp.close()

    def watch(self, name: str, resource_version: str, timeout: int) -> Iterator[tuple[str, dict[str, Any]]]:
        params = {"listOptions.fieldSelector": f"metadata.name={name}",
                  "listOptions.resourceVersion": resource_version, "listOptions.timeoutSeconds": str(timeout)}
        for event in self._stream(f"api/v1/workflow-events/{self.namespace}", params, timeout + 15.0):
            obj = event.get("object") or {}
            obj.setdefault("apiVersion", "argoproj.io/v1alpha1")
            obj.setdefault("kind", "Workflow")
            yield str(event.get("type")), obj

    def logs(self, workflow: dict[str, Any], follow: bool, container: str,
             pod_selected: Callable[[str | None, str], bool]) -> Iterator[LogLine]:
        name = workflow["metadata"]["name"]
        params = {"logOptions.container": container, "logOptions.follow": "true" if follow else None}
        for entry in self._stream(f"api/v1/workflows/{self.namespace}/{name}/log", params,
                                  300.0 if follow else self.timeout):
            pod = str(entry.get("podName") or "")
            if pod_selected(None, pod):
                yield LogLine(pod, None, str(entry.get("content", "")))


def _same(before: dict[str, Any], obj: dict[str, Any]) -> bool:
    """Would an update change nothing we send? (spec equal; our labels and annotations already there)."""
    old_meta, new_meta = before.get("metadata") or {}, obj.get("metadata") or {}
    for part in ("labels", "annotations"):
        have = old_meta.get(part) or {}
        if any(have.get(k) != v for k, v in (new_meta.get(part) or {}).items()):
            return False
    return bool(before.get("spec") == obj.get("spec"))
