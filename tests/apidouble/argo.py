"""The Argo Server front (REST through grpc-gateway v1, as Argo v4 serves it), over the same store.

It calls ops.py with the caller's identity, like Argo Server in ``client`` auth mode, and maps
Kubernetes errors to gRPC codes as server/utils/errors.go (``ToStatusError``) does; grpc-gateway turns
the code into the HTTP status. Unary errors are ``{"code": N, "message": ...}``; streams send
``{"result": ...}`` lines and end with ``{"error": {"grpc_code", "http_code", "message", "http_status"}}``.

Objects come back without ``apiVersion``/``kind`` (client-go's typed clients drop TypeMeta), except
where Argo returns the request's own object (lint, ``createOptions.dryRun``, ``serverDryRun``).
"""

from __future__ import annotations

import json
import random
import re
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import meta
from .http import Fault, Reply, Request, Stream
from .meta import ARGO, KINDS, PODS, WORKFLOWS, ApiError, Kind, copy, parse_bool
from .ops import FINISHED, finished
from .validation import DEFINITIONS

if TYPE_CHECKING:
    from .double import ApiDouble

CRON, TEMPLATES, CLUSTER = (
    KINDS[ARGO, p] for p in ("cronworkflows", "workflowtemplates", "clusterworkflowtemplates")
)
GRPC_HTTP = {0: 200, 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400,
             12: 501, 13: 500, 14: 503, 15: 500, 16: 401}
HTTP_GRPC = {
    200: 0,
    408: 1,
    504: 4,
    404: 5,
    409: 6,
    403: 7,
    401: 16,
    429: 8,
    400: 3,
    501: 12,
    500: 13,
    503: 14,
}
HTTP_TEXT = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
             429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
             503: "Service Unavailable", 504: "Gateway Timeout"}
NAME_LIMIT = {"Workflow": ("workflow name", 63), "WorkflowTemplate": ("workflow template name", 63),
              "ClusterWorkflowTemplate": ("cluster workflow template name", 63),
              "CronWorkflow": ("cron workflow name", 52)}
DROPPED_LABELS = ("workflows.argoproj.io/creator", "workflows.argoproj.io/creator-email",
                  "workflows.argoproj.io/creator-preferred-username", "workflows.argoproj.io/phase",
                  "workflows.argoproj.io/completed", "workflows.argoproj.io/workflow-archiving-status")


class ArgoError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def from_kube(exc: ApiError) -> ArgoError:
    """server/utils/errors.go httpToStatusError: the k8s HTTP code → gRPC code, the Status message kept."""
    http = exc.code
    code = HTTP_GRPC.get(http, 13 if http >= 500 or 300 <= http < 400 else 3)
    return ArgoError(code, exc.status.get("message", ""))


def _strip(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}


def _dns_friendly(text: str) -> str:
    value = re.sub(r"[^-_.a-z0-9A-Z]", "-", text)[-63:]
    return re.sub(r"[^a-z0-9A-Z]*$", "", re.sub(r"^[^a-z0-9A-Z]*", "", value))


def _node_fields(node: dict[str, Any]) -> dict[str, str]:
    ref = node.get("templateRef") or {}
    out = {
        "displayName": node.get("displayName", ""),
        "phase": node.get("phase", ""),
        "name": node.get("name", ""),
        "id": node.get("id", ""),
        "templateName": ref.get("template") or node.get("templateName", ""),
    }
    if ref:
        out.update({"templateRef.name": ref.get("name", ""), "templateRef.template": ref.get("template", "")})
    for param in (node.get("inputs") or {}).get("parameters", []):
        out[f"inputs.parameters.{param.get('name')}.value"] = str(param.get("value", ""))
    return out


def _selector_matches(selector: str, node: dict[str, Any]) -> bool:
    fields = _node_fields(node)
    for part in (p for p in selector.split(",") if p.strip()):
        m = re.match(r"^\s*([^=!]+?)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise ArgoError(13, f"invalid selector: '{selector}'")
        key, op, value = m.groups()
        if (fields.get(key, "") == value) != (op != "!="):
            return False
    return True


class ArgoApp:
    role = "argo"

    def __init__(self, double: ApiDouble) -> None:
        self.d = double
        self.ops = double.ops
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Reply | Stream], bool]] = []
        ns, name = r"(?P<ns>[^/]+)", r"(?P<name>[^/]+)"
        for method, pattern, handler, streams in (
            ("GET", r"/api/v1/version", self.version, False),
            ("GET", r"/api/v1/info", self.info, False),
            ("GET", r"/api/v1/userinfo", self.userinfo, False),
            ("GET", rf"/api/v1/workflows/{ns}", self.list_workflows, False),
            ("POST", rf"/api/v1/workflows/{ns}", self.create_workflow, False),
            ("POST", rf"/api/v1/workflows/{ns}/lint", self.lint_workflow, False),
            ("POST", rf"/api/v1/workflows/{ns}/submit", self.submit_workflow, False),
            ("GET", rf"/api/v1/workflows/{ns}/{name}/log", self.workflow_logs, True),
            ("GET", rf"/api/v1/workflows/{ns}/{name}/(?P<pod>[^/]+)/log", self.workflow_logs, True),
            ("GET", rf"/api/v1/workflows/{ns}/{name}", self.get_workflow, False),
            ("DELETE", rf"/api/v1/workflows/{ns}/{name}", self.delete_workflow, False),
            (
                "PUT",
                rf"/api/v1/workflows/{ns}/{name}/(?P<action>stop|terminate|suspend|resume|resubmit|retry|set)",
                self.workflow_action,
                False,
            ),
            ("GET", rf"/api/v1/workflow-events/{ns}", self.watch_workflows, True),
        ):
            self.routes.append((method, re.compile(pattern), handler, streams))
        for kind, base, body_key in ((CRON, rf"/api/v1/cron-workflows/{ns}", "cronWorkflow"),
                                     (TEMPLATES, rf"/api/v1/workflow-templates/{ns}", "template"),
                                     (CLUSTER, r"/api/v1/cluster-workflow-templates", "template")):

            def bind(
                fn: Callable[..., Reply], kind: Kind = kind, key: str = body_key
            ) -> Callable[..., Reply]:
                return lambda req, **kw: fn(req, kind, key, **kw)
            self.routes += [
                ("GET", re.compile(base), bind(self.list_objects), False),
                ("POST", re.compile(base), bind(self.create_object), False),
                ("POST", re.compile(base + "/lint"), bind(self.lint_object), False),
                ("GET", re.compile(base + f"/{name}"), bind(self.get_object), False),
                ("PUT", re.compile(base + f"/{name}"), bind(self.update_object), False),
                ("DELETE", re.compile(base + f"/{name}"), bind(self.delete_object), False),
            ]
            if kind is CRON:
                self.routes.append(("PUT", re.compile(base + f"/{name}/(?P<action>suspend|resume)"),
                                    bind(self.cron_action), False))

    # ------------------------------------------------------------ plumbing

    def fault_reply(self, fault: Fault) -> Reply:
        code = HTTP_GRPC.get(fault.status, 13 if fault.status >= 500 else 3)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return Reply(
            fault.status, {"code": code, "message": fault.message or HTTP_TEXT.get(fault.status, "")}, headers
        )

    @staticmethod
    def _error(exc: ArgoError, stream: bool) -> Reply:
        http = GRPC_HTTP.get(exc.code, 500)
        if stream:
            return Reply(
                http,
                json.dumps(
                    {
                        "error": {
                            "grpc_code": exc.code,
                            "http_code": http,
                            "message": exc.message,
                            "http_status": HTTP_TEXT.get(http, ""),
                        }
                    }
                )
                + "\n",
            )
        return Reply(http, {"code": exc.code, "message": exc.message})

    def dispatch(self, req: Request) -> Reply | Stream:
        path = req.path.rstrip("/")
        matched = [
            (h, m, s) for method, p, h, s in self.routes if (m := p.fullmatch(path)) and method == req.method
        ]
        streams = bool(matched and matched[0][2])
        try:
            self._authenticate(req)
            if not matched:
                raise ArgoError(5, "Not Found")
            handler, match, _ = matched[0]
            out = handler(req, **match.groupdict())
            if isinstance(out, Reply) and out.status < 300:
                out.headers.setdefault("Grpc-Metadata-Argo-Version", self.d.argo_version)
            return out
        except ApiError as exc:
            return self._error(from_kube(exc), streams)
        except ArgoError as exc:
            return self._error(exc, streams)
        except Exception as exc:  # noqa: BLE001 - a bug in the double: say so, as Internal
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return self._error(ArgoError(13, detail), streams)

    def _authenticate(self, req: Request) -> None:
        if self.d.argo_token is None:
            return
        auth = (req.header("Authorization") or "").strip()
        if auth.removeprefix("Bearer ").strip() != self.d.argo_token:
            raise ArgoError(16, "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/")

    @property
    def user(self) -> str:
        return self.d.argo_user

    def _body(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json() or {}
        except ValueError as exc:
            raise ArgoError(3, f"invalid character in request body: {exc}") from None
        if not isinstance(body, dict):
            raise ArgoError(3, "the request body must be an object")
        return body

    def _label_creator(self, obj: dict[str, Any]) -> None:
        labels = obj.setdefault("metadata", {}).setdefault("labels", {})
        for key in DROPPED_LABELS[:3]:
            labels.pop(key, None)
        if self.d.argo_token is not None and self.user:
            labels["workflows.argoproj.io/creator"] = _dns_friendly(self.user)
        if not labels:
            obj["metadata"].pop("labels")

    # ------------------------------------------------------------ info

    def version(self, req: Request) -> Reply:
        return Reply(
            200,
            {
                "version": self.d.argo_version,
                "buildDate": "2026-07-31T00:00:00Z",
                "gitCommit": "apidouble",
                "gitTag": self.d.argo_version,
                "gitTreeState": "clean",
                "goVersion": "go1.24.5",
                "compiler": "gc",
                "platform": "linux/amd64",
            },
        )

    def info(self, req: Request) -> Reply:
        return Reply(200, {"modals": {}, "navColor": ""})

    def userinfo(self, req: Request) -> Reply:
        return Reply(200, {"subject": self.user, "serviceAccountName": self.user.rsplit(":", 1)[-1]})

    # ---------------------------------------------------- semantic validation (a subset of validate.go)

    def validate(self, kind: Kind, obj: dict[str, Any], ns: str | None) -> None:
        """Argo's own checks before create/lint: name length, entrypoint, template and templateRef
        resolution, DAG dependencies (messages as workflow/validate/validate.go), then the test's hook."""
        label, limit = NAME_LIMIT[kind.kind]
        name = (obj.get("metadata") or {}).get("name", "")
        if len(name) > limit:
            raise ArgoError(
                3, f'{label} "{name}" must not be more than {limit} characters long (currently {len(name)})'
            )
        spec = (obj.get("spec") or {})
        if kind is CRON:
            spec = spec.get("workflowSpec") or {}
        templates: dict[str, Any] = {
            str(t.get("name")): t for t in spec.get("templates") or [] if isinstance(t, dict)
        }
        ref = spec.get("workflowTemplateRef")
        entrypoint = spec.get("entrypoint")
        if ref:
            if spec.get("templates"):
                raise ArgoError(
                    3, "Templates is invalid field in spec if workflow referred WorkflowTemplate reference"
                )
            target = self.d.store.get(
                CLUSTER if ref.get("clusterScope") else TEMPLATES, ns, ref.get("name", "")
            )
            if target is None:
                raise meta.not_found(CLUSTER if ref.get("clusterScope") else TEMPLATES, ref.get("name", ""))
            entrypoint = entrypoint or (target.get("spec") or {}).get("entrypoint")
        elif not entrypoint and kind in (WORKFLOWS, CRON):
            raise ArgoError(3, "spec.entrypoint is required")
        elif entrypoint and entrypoint not in templates:
            raise ArgoError(3, f"template name '{entrypoint}' undefined")
        for tname, tmpl in templates.items():
            self._check_template(tname, tmpl, templates, ns)
        if self.d.argo_validator is not None:
            message = self.d.argo_validator(obj)
            if message:
                raise ArgoError(3, message)

    def _check_template(
        self, tname: str, tmpl: dict[str, Any], templates: dict[str, Any], ns: str | None
    ) -> None:
        """A template's DAG tasks (references and dependencies) and steps (references)."""
        tasks = ((tmpl.get("dag") or {}).get("tasks") or [])
        names = {t.get("name") for t in tasks}
        for task in tasks:
            where = f"templates.{tname}.tasks.{task.get('name')}"
            self._check_ref(where, task, templates, ns)
            deps = list(task.get("dependencies") or [])
            deps += [d.split(".")[0] for d in re.findall(r"[A-Za-z0-9_][-A-Za-z0-9_]*(?:\.[A-Za-z]+)?",
                                                          task.get("depends") or "")]
            for dep in deps:
                if dep not in names:
                    raise ArgoError(3, f"{where} dependency '{dep}' not defined")
        for i, group in enumerate(tmpl.get("steps") or []):
            for step in group if isinstance(group, list) else []:
                self._check_ref(f"templates.{tname}.steps[{i}].{step.get('name')}", step, templates, ns)

    def _check_ref(
        self, where: str, holder: dict[str, Any], templates: dict[str, Any], ns: str | None
    ) -> None:
        if holder.get("template") and holder["template"] not in templates:
            raise ArgoError(3, f"{where} template name '{holder['template']}' undefined")
        ref = holder.get("templateRef")
        if ref:
            owner = self.d.store.get(
                CLUSTER if ref.get("clusterScope") else TEMPLATES, ns, ref.get("name", "")
            )
            names = {t.get("name") for t in ((owner or {}).get("spec") or {}).get("templates") or []}
            if owner is None or ref.get("template") not in names:
                raise ArgoError(
                    3, f"{where} template reference {ref.get('name')}.{ref.get('template')} not found"
                )

    # ------------------------------------------------------------ workflows

    def list_workflows(self, req: Request, ns: str) -> Reply:
        if self.d.denied("list", ARGO, "workflows", ns, ""):
            raise ArgoError(
                7,
                f'Permission denied, you are not allowed to list workflows in namespace "{ns}". Maybe '
                f"you want to specify a namespace with query parameter `.namespace={ns}`?",
            )
        listed = self.ops.list_objects(
            WORKFLOWS,
            ns,
            user=self.user,
            label_selector=req.param("listOptions.labelSelector"),
            field_selector=req.param("listOptions.fieldSelector"),
            limit=int(req.param("listOptions.limit") or 0),
            continue_=req.param("listOptions.continue"),
        )
        items = sorted(listed["items"], key=lambda o: o["metadata"]["creationTimestamp"], reverse=True)
        if req.param("nameFilter") and req.param("listOptions.fieldSelector") is None:
            items = [o for o in items if req.param("nameFilter") in o["metadata"]["name"]]
        return Reply(200, {"metadata": _list_meta(listed), "items": [_strip(o) for o in items] or None})

    def _create(self, kind: Kind, ns: str | None, obj: dict[str, Any], body: dict[str, Any]) -> Reply:
        obj = copy(obj)
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        if kind.namespaced:
            obj.setdefault("metadata", {}).setdefault("namespace", ns)
        self._label_creator(obj)
        self.validate(kind, obj, ns)
        if (body.get("createOptions") or {}).get("dryRun"):
            return Reply(200, obj)
        server_dry_run = bool(body.get("serverDryRun"))
        created, _ = self.ops.create(kind, ns, obj, user=self.user, dry_run=server_dry_run,
                                     field_validation="Ignore", manager="argo")
        return Reply(200, created if server_dry_run else _strip(created))

    def create_workflow(self, req: Request, ns: str) -> Reply:
        body = self._body(req)
        if not isinstance(body.get("workflow"), dict):
            raise ArgoError(3, "workflow body not specified")
        return self._create(WORKFLOWS, ns, body["workflow"], body)

    def lint_workflow(self, req: Request, ns: str) -> Reply:
        body = self._body(req)
        if not isinstance(body.get("workflow"), dict):
            raise ArgoError(2, "unable to get a workflow")
        wf = copy(body["workflow"])
        self._label_creator(wf)
        self.validate(WORKFLOWS, wf, ns)
        return Reply(200, wf)

    def submit_workflow(self, req: Request, ns: str) -> Reply:
        body = self._body(req)
        kind_name, name = body.get("resourceKind", ""), body.get("resourceName", "")
        opts = body.get("submitOptions") or {}
        source = {
            "WorkflowTemplate": TEMPLATES,
            "ClusterWorkflowTemplate": CLUSTER,
            "CronWorkflow": CRON,
        }.get(kind_name.replace("cwf", "CronWorkflow").replace("wftmpl", "WorkflowTemplate"))
        if source is None:
            raise ArgoError(3, f"Resource kind '{kind_name}' is not supported for submitting")
        owner = self.ops.get(source, ns, name, user=self.user)
        labels = {TEMPLATES: "workflow-template", CLUSTER: "cluster-workflow-template", CRON: "cron-workflow"}
        label = labels[source]
        wf: dict[str, Any] = {"metadata": {"generateName": name + "-",
                                           "labels": {f"workflows.argoproj.io/{label}": name}}}
        if source is CRON:
            wf["spec"] = copy(owner["spec"].get("workflowSpec") or {})
        else:
            wf["spec"] = {
                "workflowTemplateRef": {"name": name, **({"clusterScope": True} if source is CLUSTER else {})}
            }
        if opts.get("name"):
            wf["metadata"] = {**wf["metadata"], "name": opts["name"]}
        if opts.get("generateName"):
            wf["metadata"]["generateName"] = opts["generateName"]
        for pair in (opts.get("labels") or "").split(","):
            if "=" in pair:
                key, value = pair.split("=", 1)
                wf["metadata"]["labels"][key] = value
        if opts.get("entryPoint"):
            wf["spec"]["entrypoint"] = opts["entryPoint"]
        self._override_parameters(wf, opts.get("parameters") or [])
        return self._create(
            WORKFLOWS,
            ns,
            wf,
            {
                "serverDryRun": opts.get("serverDryRun"),
                "createOptions": {"dryRun": ["All"]} if opts.get("dryRun") else {},
            },
        )

    @staticmethod
    def _override_parameters(wf: dict[str, Any], pairs: list[str]) -> None:
        params = wf["spec"].setdefault("arguments", {}).setdefault("parameters", [])
        for pair in pairs:
            key, _, value = pair.partition("=")
            for param in params:
                if param.get("name") == key:
                    param["value"] = value
                    break
            else:
                params.append({"name": key, "value": value})
        if not params:
            wf["spec"]["arguments"].pop("parameters")
            if not wf["spec"]["arguments"]:
                wf["spec"].pop("arguments")

    def get_workflow(self, req: Request, ns: str, name: str) -> Reply:
        return Reply(200, _strip(self.ops.get(WORKFLOWS, ns, name, user=self.user)))

    def delete_workflow(self, req: Request, ns: str, name: str) -> Reply:
        self.ops.get(WORKFLOWS, ns, name, user=self.user)
        if parse_bool(req.param("force")):
            self.ops.patch(
                WORKFLOWS,
                ns,
                name,
                b'{"metadata":{"finalizers":null}}',
                "application/merge-patch+json",
                user=self.user,
                manager="argo",
            )
        options = {"propagationPolicy": req.param("deleteOptions.propagationPolicy")}
        self.ops.delete(WORKFLOWS, ns, name, user=self.user, options={k: v for k, v in options.items() if v},
                        dry_run=bool(req.query.get("deleteOptions.dryRun")))
        return Reply(200, {})

    def workflow_action(self, req: Request, ns: str, name: str, action: str) -> Reply:
        body = self._body(req)
        wf = self.ops.get(WORKFLOWS, ns, name, user=self.user)
        selector = body.get("nodeFieldSelector") or ""
        if action == "resubmit":
            return self._resubmit(ns, wf, bool(body.get("memoized")), body.get("parameters"))
        if action in ("stop", "terminate") and not (action == "stop" and selector):
            if finished(wf):
                raise ArgoError(
                    13, f'cannot shutdown a completed workflow: workflow: "{name}", namespace: "{ns}"'
                )
            patch = {"spec": {"shutdown": "Stop" if action == "stop" else "Terminate"}}
            self.ops.patch(WORKFLOWS, ns, name, json.dumps(patch).encode(), "application/merge-patch+json",
                           user=self.user, manager="argo")
        elif action == "stop":
            self._set_nodes(wf, selector, "Failed", body.get("message") or "")
        elif action == "suspend":
            if finished(wf):
                raise ArgoError(3, "cannot suspend completed workflows")
            if not (wf.get("spec") or {}).get("suspend"):
                wf["spec"]["suspend"] = True
                self.ops.replace(WORKFLOWS, ns, name, wf, user=self.user, manager="argo")
        elif action == "resume":
            self._resume(wf, selector)
        elif action == "set":
            phase = body.get("phase") or ""
            if not selector:
                raise ArgoError(
                    13, "'set' currently only targets suspend nodes, use a node field selector to target them"
                )
            if phase not in ("Succeeded", "Failed", "Error", ""):
                raise ArgoError(3, f"{phase} is an invalid phase to set to")
            self._set_nodes(wf, selector, phase, body.get("message") or "")
        elif action == "retry":
            self._retry(wf)
        return Reply(200, _strip(self.ops.get(WORKFLOWS, ns, name, user=self.user)))

    def _suspended(self, wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
        nodes = (wf.get("status") or {}).get("nodes") or {}
        return {k: n for k, n in nodes.items() if n.get("type") == "Suspend" and n.get("phase") == "Running"}

    def _set_nodes(self, wf: dict[str, Any], selector: str, phase: str, message: str) -> None:
        hits = {k: n for k, n in self._suspended(wf).items() if _selector_matches(selector, n)}
        if not hits or not (phase or message):
            raise ArgoError(13, "currently, set only targets suspend nodes: no suspend nodes matching "
                                f"nodeFieldSelector: {selector}")
        for node_id, node in hits.items():
            if phase:
                node["phase"] = phase
                node["finishedAt"] = meta.now()
            if message:
                node["message"] = message
            wf["status"]["nodes"][node_id] = node
        self.ops.replace(WORKFLOWS, wf["metadata"]["namespace"], wf["metadata"]["name"], wf, user=self.user,
                         manager="argo")

    def _resume(self, wf: dict[str, Any], selector: str) -> None:
        if selector:
            self._set_nodes(wf, selector, "Succeeded", "")
            return
        changed = bool((wf.get("spec") or {}).pop("suspend", None))
        for node_id, node in self._suspended(wf).items():
            node.update({"phase": "Succeeded", "finishedAt": meta.now()})
            wf["status"]["nodes"][node_id] = node
            changed = True
        if changed:
            self.ops.replace(
                WORKFLOWS,
                wf["metadata"]["namespace"],
                wf["metadata"]["name"],
                wf,
                user=self.user,
                manager="argo",
            )

    def _retry(self, wf: dict[str, Any]) -> None:
        phase = (wf.get("status") or {}).get("phase")
        if phase == "Succeeded":
            raise ArgoError(
                3, "To retry a succeeded workflow, set the options restartSuccessful and nodeFieldSelector"
            )
        if phase not in ("Failed", "Error"):
            raise ArgoError(3, f"Cannot retry a workflow in phase {phase or ''}")
        ns, name = wf["metadata"]["namespace"], wf["metadata"]["name"]
        nodes = wf["status"].get("nodes") or {}
        dropped = {
            k for k, n in nodes.items() if n.get("type") == "Pod" and n.get("phase") in ("Failed", "Error")
        }
        for node_id in dropped:
            del nodes[node_id]
        for node in nodes.values():
            if node.get("phase") in ("Failed", "Error"):
                node["phase"] = "Running"
                node.pop("finishedAt", None)
                node.pop("message", None)
        wf["status"].update({"phase": "Running", "nodes": nodes})
        for key in ("finishedAt", "message"):
            wf["status"].pop(key, None)
        wf["metadata"].setdefault("labels", {}).update({"workflows.argoproj.io/completed": "false",
                                                        "workflows.argoproj.io/phase": "Running"})
        for pod in self.d.store.select(PODS, ns):
            if (pod["metadata"].get("annotations") or {}).get("workflows.argoproj.io/node-id") in dropped:
                self.d.store.delete(PODS, ns, pod["metadata"]["name"])
        self.ops.replace(WORKFLOWS, ns, name, wf, user=self.user, manager="argo")

    def _resubmit(self, ns: str, wf: dict[str, Any], memoized: bool, parameters: list[str] | None) -> Reply:
        """util.FormulateResubmitWorkflow (memoized: the name only; node statuses are not carried over)."""
        old_meta = wf["metadata"]
        if memoized and (wf.get("status") or {}).get("phase") not in ("Failed", "Error"):
            raise ArgoError(3, "workflow must be Failed/Error to resubmit in memoized mode")
        new_meta: dict[str, Any] = {"generateName": old_meta.get("generateName") or old_meta["name"] + "-"}
        if memoized:
            new_meta["name"] = new_meta["generateName"] + "".join(
                random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(5)
            )
        labels = {k: v for k, v in (old_meta.get("labels") or {}).items() if k not in DROPPED_LABELS}
        labels["workflows.argoproj.io/resubmitted-from-workflow"] = old_meta["name"]
        new_meta["labels"] = labels
        new_meta["annotations"] = dict(old_meta.get("annotations") or {})
        if old_meta.get("ownerReferences"):
            new_meta["ownerReferences"] = old_meta["ownerReferences"]
        spec = copy(wf.get("spec") or {})
        spec.pop("shutdown", None)
        if spec.get("activeDeadlineSeconds") == 0:
            spec.pop("activeDeadlineSeconds")
        new = {"metadata": new_meta, "spec": spec}
        if parameters:
            self._override_parameters(new, parameters)
        return self._create(WORKFLOWS, ns, new, {})

    # ------------------------------------------------------------ streams

    def watch_workflows(self, req: Request, ns: str) -> Stream:
        fields = req.param("listOptions.fieldSelector") or ""
        named = re.search(r"metadata\.name=([^,]+)", fields)
        if named:
            self.ops.get(WORKFLOWS, ns, named.group(1), user=self.user)
        timeout = req.param("listOptions.timeoutSeconds")
        events = self.ops.watch(
            WORKFLOWS,
            ns,
            user=self.user,
            resource_version=req.param("listOptions.resourceVersion"),
            label_selector=req.param("listOptions.labelSelector"),
            field_selector=fields or None,
            timeout=float(timeout) if timeout else None,
        )

        def lines() -> Iterator[bytes]:
            for event in events:
                if event["type"] == "ERROR":
                    err = from_kube(ApiError(event["object"]))
                    yield self._error(err, True).body.encode()
                    return
                yield (
                    json.dumps(
                        {"result": {"type": event["type"], "object": _strip(event["object"])}}
                    ).encode()
                    + b"\n"
                )
            yield self._error(ArgoError(8, "EOF"), True).body.encode()  # the watch channel closed

        return Stream(200, lines())

    def workflow_logs(self, req: Request, ns: str, name: str, pod: str | None = None) -> Stream:
        """util/logs.WorkflowLogs: every non-Pending pod labelled with the workflow (or ``podName``); with
        follow, until the workflow is completed or deleted and every log stream has ended."""
        self.ops.get(WORKFLOWS, ns, name, user=self.user)
        pod = pod or req.param("podName")
        container = req.param("logOptions.container") or "main"
        follow = parse_bool(req.param("logOptions.follow"))
        stamps = parse_bool(req.param("logOptions.timestamps"))
        tail = req.param("logOptions.tailLines")
        grep = re.compile(req.param("grep") or "")
        self.ops.authorize(self.user, "list", PODS, ns)
        return Stream(200, self._log_lines(ns, name, pod, container, follow, stamps, tail, grep))

    def _log_lines(self, ns: str, name: str, pod_name: str | None, container: str, follow: bool, stamps: bool,
                   tail: str | None, grep: re.Pattern[str]) -> Iterator[bytes]:
        from .kube import _timestamp

        store, sent = self.d.store, {}
        deadline = time.monotonic() + self.d.max_watch_seconds
        while True:
            with store.cond:
                pods = [
                    p
                    for p in store.select(PODS, ns)
                    if (p["metadata"].get("labels") or {}).get("workflows.argoproj.io/workflow") == name
                    and pod_name in (None, p["metadata"]["name"])
                    and p["status"].get("phase") != "Pending"
                ]
                batch = []
                for pod in pods:
                    key = (ns, pod["metadata"]["name"], container)
                    lines = store.logs.get(key, [])
                    if key not in sent:
                        sent[key] = max(0, len(lines) - int(tail)) if tail else 0
                    batch += [(at, key[1], text) for at, text in lines[sent[key]:]]
                    sent[key] = len(lines)
                wf = store.get(WORKFLOWS, ns, name)
                streams_done = all((ns, p["metadata"]["name"], container) in store.finished for p in pods)
                done = (
                    not follow
                    or (wf is None or (wf.get("status") or {}).get("phase") in FINISHED)
                    and streams_done
                )
                if not batch and not done and not store.closed and time.monotonic() < deadline:
                    store.cond.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                    continue
            for at, pod, text in sorted(batch, key=lambda e: e[0]):
                content = f"{_timestamp(at)} {text}" if stamps else text
                if grep.search(content):
                    yield json.dumps({"result": {"content": content, "podName": pod}}).encode() + b"\n"
            if not batch and (done or store.closed or time.monotonic() >= deadline):
                return

    # ------------------------------------------------------------ cron workflows and templates

    def list_objects(self, req: Request, kind: Kind, key: str, ns: str | None = None) -> Reply:
        listed = self.ops.list_objects(
            kind,
            ns,
            user=self.user,
            label_selector=req.param("listOptions.labelSelector"),
            field_selector=req.param("listOptions.fieldSelector"),
            limit=int(req.param("listOptions.limit") or 0),
            continue_=req.param("listOptions.continue"),
        )
        items = [_strip(o) for o in listed["items"]]
        if req.param("namePattern"):
            items = [o for o in items if req.param("namePattern") in o["metadata"]["name"]]
        return Reply(200, {"metadata": _list_meta(listed), "items": items or None})

    def create_object(self, req: Request, kind: Kind, key: str, ns: str | None = None) -> Reply:
        body = self._body(req)
        if not isinstance(body.get(key), dict):
            raise ArgoError(
                3, f"{kind.kind} body not specified" if kind is not CRON else "cron workflow was not found"
            )
        return self._create(kind, ns, body[key], body)

    def lint_object(self, req: Request, kind: Kind, key: str, ns: str | None = None) -> Reply:
        body = self._body(req)
        obj = copy(body.get(key) or {})
        self._label_creator(obj)
        self.validate(kind, obj, ns)
        return Reply(200, obj)

    def get_object(self, req: Request, kind: Kind, key: str, name: str, ns: str | None = None) -> Reply:
        return Reply(200, _strip(self.ops.get(kind, ns, name, user=self.user)))

    def update_object(self, req: Request, kind: Kind, key: str, name: str, ns: str | None = None) -> Reply:
        body = self._body(req)
        obj = copy(body.get(key) or {})
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        self.validate(kind, {**obj, "metadata": {**(obj.get("metadata") or {}), "name": name}}, ns)
        updated, _ = self.ops.replace(
            kind, ns, name, obj, user=self.user, field_validation="Ignore", manager="argo"
        )
        return Reply(200, _strip(updated))

    def delete_object(self, req: Request, kind: Kind, key: str, name: str, ns: str | None = None) -> Reply:
        self.ops.delete(kind, ns, name, user=self.user)
        return Reply(200, {})

    def cron_action(
        self, req: Request, kind: Kind, key: str, name: str, action: str, ns: str | None = None
    ) -> Reply:
        cron = self.ops.get(CRON, ns, name, user=self.user)
        cron["spec"]["suspend"] = action == "suspend"
        updated, _ = self.ops.replace(CRON, ns, name, cron, user=self.user, manager="argo")
        return Reply(200, _strip(updated))


assert set(NAME_LIMIT) == set(DEFINITIONS)


def _list_meta(listed: dict[str, Any]) -> dict[str, Any]:
    """A list page's metadata as Argo Server answers it: resourceVersion, and continue when more."""
    meta = {"resourceVersion": listed["metadata"]["resourceVersion"]}
    if listed["metadata"].get("continue"):
        meta["continue"] = listed["metadata"]["continue"]
    return meta
