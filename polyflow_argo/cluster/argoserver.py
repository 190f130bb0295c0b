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
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from .errors import ApiFailure, Failure, bad_reply, error, from_argo_body, network_failure
from .replies import (
    Deadline,
    as_event,
    as_items,
    as_object,
    check,
    continue_token,
    decode,
    lines,
    preview,
    read_all,
    read_start,
)
from . import transport as _transport
from .transport import KINDS, Kind, LogLine, Settings, kubeconfig_namespace, paged

WORKFLOW = KINDS["Workflow"]

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
        """Adds a default timeout that bounds the whole call (body included) and the size limit to every
        answer read whole, and remembers the last response of each thread."""

        def __init__(self, timeout: float) -> None:
            super().__init__()
            self.default_timeout = timeout
            self.last = threading.local()

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = self.default_timeout
            self.last.response = None
            if kwargs.get("stream"):
                response = super().request(method, url, *args, **kwargs)
            else:
                response = self._bounded(method, url, *args, **kwargs)
            self.last.response = response
            return response

        def _bounded(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            """The answer read within the time left of --request-timeout and the size limit."""
            import urllib3

            started = time.monotonic()
            kwargs["stream"] = True
            response = super().request(method, url, *args, **kwargs)
            ok = 200 <= response.status_code <= 299
            left = self.default_timeout - (time.monotonic() - started)
            try:
                with Deadline(left, response.raw.shutdown) as deadline:
                    try:
                        chunks = response.raw.stream(2 ** 16, decode_content=True)
                        body = read_all(chunks, response.status_code, "argo") if ok else read_start(chunks)
                    except (urllib3.exceptions.HTTPError, OSError) as exc:
                        if deadline.expired:
                            raise _late(self.default_timeout) from None
                        raise ApiFailure(network_failure(exc, "argo")) from None
                if deadline.expired:
                    raise _late(self.default_timeout)
            finally:
                response.close()
            response._content = body
            response._content_consumed = True
            return response

    return _Session


def _late(timeout: float) -> ApiFailure:
    return ApiFailure(Failure(None, f"the answer was still arriving after --request-timeout {timeout:g}s",
                              network="timeout", transport="argo"))


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

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a Hera service method; the raw JSON answer, or ApiFailure."""
        import requests

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Hera's pydantic v1-style calls warn on every request body
            try:
                method(*args, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise ApiFailure(network_failure(exc, "argo", kind="tls")) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise ApiFailure(network_failure(exc, "argo")) from None
            except ApiFailure:
                raise
            except Exception:  # noqa: BLE001 - Hera could not parse the answer: it is judged below
                if getattr(self.session.last, "response", None) is None:
                    raise
        response = self.session.last.response
        if not response.ok:
            raise ApiFailure(from_argo_body(response.status_code, response.content, response.headers))
        return decode(response.content, response.status_code, "argo")

    def _object(self, kind: Kind, method: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """An object answer: typed (apiVersion, kind), and checked."""
        obj = as_object(self._call(method, *args, **kwargs), 200, "argo")
        return check(kind.kind, self._typed(kind, obj), 200, "argo")

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
            return self._object(kind, s.create_workflow, req, namespace=ns)
        options = models.CreateOptions(dry_run=["All"]) if dry_run else None
        if kind.kind == "CronWorkflow":
            req = models.CreateCronWorkflowRequest(cron_workflow=self._model("CronWorkflow", obj),
                                                   create_options=options)
            return self._object(kind, s.create_cron_workflow, req, namespace=ns)
        if kind.kind == "WorkflowTemplate":
            req = models.WorkflowTemplateCreateRequest(template=self._model("WorkflowTemplate", obj),
                                                       create_options=options)
            return self._object(kind, s.create_workflow_template, req, namespace=ns)
        req = models.ClusterWorkflowTemplateCreateRequest(
            template=self._model("ClusterWorkflowTemplate", obj), create_options=options
        )
        return self._object(kind, s.create_cluster_workflow_template, req)

    def get(self, kind: Kind, name: str) -> dict[str, Any]:
        self._no_configmaps(kind)
        s, ns = self.service, self.namespace
        if kind.kind == "ClusterWorkflowTemplate":
            return self._object(kind, s.get_cluster_workflow_template, name)
        method = getattr(s, {"Workflow": "get_workflow", "CronWorkflow": "get_cron_workflow",
                             "WorkflowTemplate": "get_workflow_template"}[kind.kind])
        return self._object(kind, method, name, namespace=ns)

    def list(self, kind: Kind, label_selector: str | None = None) -> builtins.list[dict[str, Any]]:
        self._no_configmaps(kind)
        s, ns = self.service, self.namespace
        if kind.kind == "ClusterWorkflowTemplate":
            method, where = s.list_cluster_workflow_templates, {}
        else:
            method = getattr(s, {"Workflow": "list_workflows", "CronWorkflow": "list_cron_workflows",
                                 "WorkflowTemplate": "list_workflow_templates"}[kind.kind])
            where = {"namespace": ns}

        def page(token: str | None) -> tuple[builtins.list[dict[str, Any]], str | None]:
            out = self._call(method, label_selector=label_selector, limit=str(_transport.LIST_CHUNK),
                             continue_=token, **where)
            items = [check(kind.kind, self._typed(kind, i), 200, "argo") for i in as_items(out, 200, "argo")]
            return items, continue_token(out, 200, "argo")

        return paged(page, lambda exc: isinstance(exc, ApiFailure) and exc.failure.status == 410, "argo")

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
            out = self._object(kind, s.update_cron_workflow, name, req, namespace=ns)
        elif kind.kind == "WorkflowTemplate":
            req = models.WorkflowTemplateUpdateRequest(
                template=self._model("WorkflowTemplate", new), name=name, namespace=ns
            )
            out = self._object(kind, s.update_workflow_template, name, req, namespace=ns)
        else:
            req = models.ClusterWorkflowTemplateUpdateRequest(
                template=self._model("ClusterWorkflowTemplate", new), name=name
            )
            out = self._object(kind, s.update_cluster_workflow_template, name, req)
        return out, "configured"

    def shutdown(self, name: str, strategy: str) -> dict[str, Any]:
        from hera.workflows import models

        s, ns = self.service, self.namespace
        if strategy == "Stop":
            out = self._object(
                WORKFLOW, s.stop_workflow, name, models.WorkflowStopRequest(name=name, namespace=ns),
                namespace=ns,
            )
        else:
            out = self._object(
                WORKFLOW,
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
        return self._object(WORKFLOW, self.service.resume_workflow, name, req, namespace=ns)

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
        return self._object(KINDS["CronWorkflow"], self.service.update_cron_workflow, name, req, namespace=ns)

    # ------------------------------------------------------------ streams

    def _stream(self, path: str, params: dict[str, Any], read_timeout: float,
                limit: float | None = None) -> Iterator[dict[str, Any]]:
        """GET a grpc-gateway stream: each ``{"result": ...}`` line; ``{"error": ...}`` → ApiFailure,
        except EOF (the server ended the stream). ``limit``: seconds after which the request is cut."""
        import requests
        import urllib3

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
            raise ApiFailure(network_failure(exc, "argo", kind="tls")) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ApiFailure(network_failure(exc, "argo")) from None
        deadline = Deadline(limit, resp.raw.shutdown)
        try:
            if not resp.ok:
                body = read_start(resp.raw.stream(2 ** 14, decode_content=True))
                raise ApiFailure(from_argo_body(resp.status_code, body, resp.headers))
            with deadline:
                try:
                    for raw in lines(resp.raw.stream(2 ** 16, decode_content=True), "argo"):
                        data = decode(raw, 200, "argo", "a stream line")
                        if not isinstance(data, dict):
                            raise bad_reply(200, "shape", f"a stream line is not an object: {preview(raw)}",
                                            "argo")
                        if "error" in data:
                            err = data["error"] if isinstance(data["error"], dict) else {}
                            if err.get("grpc_code") == 8 and err.get("message") == "EOF":
                                return
                            code = err.get("http_code")
                            status = code if isinstance(code, int) else 500
                            raise ApiFailure(from_argo_body(status, raw, None))
                        result = data.get("result")
                        if not isinstance(result, dict):
                            raise bad_reply(200, "shape",
                                            f"a stream line has no result object: {preview(raw)}", "argo")
                        yield result
                except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                    if deadline.expired:
                        raise ApiFailure(Failure(None, "the watch request outlived its time limit",
                                                 network="timeout", transport="argo")) from None
                    raise ApiFailure(network_failure(exc, "argo")) from None
        finally:
            resp.close()

    def watch(self, name: str, resource_version: str, timeout: int) -> Iterator[tuple[str, dict[str, Any]]]:
        params = {"listOptions.fieldSelector": f"metadata.name={name}",
                  "listOptions.resourceVersion": resource_version, "listOptions.timeoutSeconds": str(timeout)}
        for event in self._stream(f"api/v1/workflow-events/{self.namespace}", params, timeout + 15.0,
                                  limit=timeout + 15.0 + self.timeout):
            kind, obj = as_event(event, "argo")
            obj.setdefault("apiVersion", "argoproj.io/v1alpha1")
            obj.setdefault("kind", "Workflow")
            if kind != "BOOKMARK":
                check("Workflow", as_object(obj, 200, "argo", "a watch event's object"), 200, "argo")
            yield kind, obj

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
