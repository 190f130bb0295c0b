"""Kubernetes API conventions the double reproduces: the resource table, ``Status`` errors,
label and field selectors, merge and JSON patches, generated names, timestamps.

Messages follow k8s.io/apimachinery/pkg/api/errors and the apiserver's handlers
(https://kubernetes.io/docs/reference/using-api/api-concepts/).
"""

from __future__ import annotations

import json
import random
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

T = TypeVar("T")
ARGO = "argoproj.io"
VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Kind:
    """One API resource: where it lives and what it is called."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short: tuple[str, ...] = ()
    unconditional_update: bool = False  # PUT without metadata.resourceVersion (core types yes, CRs no)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``workflows.argoproj.io`` or ``pods``: the GroupResource string used in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def group_kind(self) -> str:
        """``Workflow.argoproj.io`` or ``ConfigMap``: the GroupKind string used in Invalid messages."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def singular(self) -> str:
        return self.kind.lower()


ARGO_KINDS = (
    Kind(ARGO, "v1alpha1", "workflows", "Workflow", short=("wf",)),
    Kind(ARGO, "v1alpha1", "cronworkflows", "CronWorkflow", short=("cwf", "cronwf")),
    Kind(ARGO, "v1alpha1", "workflowtemplates", "WorkflowTemplate", short=("wftmpl",)),
    Kind(
        ARGO,
        "v1alpha1",
        "clusterworkflowtemplates",
        "ClusterWorkflowTemplate",
        False,
        ("clusterwftmpl", "cwft"),
    ),
    Kind(ARGO, "v1alpha1", "workfloweventbindings", "WorkflowEventBinding", short=("wfeb",)),
    Kind(ARGO, "v1alpha1", "workflowtasksets", "WorkflowTaskSet", short=("wfts",)),
    Kind(ARGO, "v1alpha1", "workflowtaskresults", "WorkflowTaskResult", short=("wftr",)),
    Kind(ARGO, "v1alpha1", "workflowartifactgctasks", "WorkflowArtifactGCTask", short=("wfat",)),
)
CORE_KINDS = (
    Kind("", "v1", "pods", "Pod", short=("po",), unconditional_update=True),
    Kind("", "v1", "configmaps", "ConfigMap", short=("cm",), unconditional_update=True),
    Kind("", "v1", "namespaces", "Namespace", False, ("ns",), unconditional_update=True),
)
KINDS: dict[tuple[str, str], Kind] = {(k.group, k.plural): k for k in ARGO_KINDS + CORE_KINDS}
BY_KIND: dict[str, Kind] = {k.kind: k for k in ARGO_KINDS + CORE_KINDS}
WORKFLOWS = KINDS[ARGO, "workflows"]
PODS = KINDS["", "pods"]
NAMESPACES = KINDS["", "namespaces"]


def kind_of(plural_or_kind: str) -> Kind:
    """Look a resource up by plural (``workflows``), kind (``Workflow``) or short name (``wf``)."""
    for k in KINDS.values():
        if plural_or_kind in (k.plural, k.kind, *k.short):
            return k
    raise KeyError(plural_or_kind)


# ---------------------------------------------------------------- errors as Status objects


class ApiError(Exception):
    """An error answer of the Kubernetes API: a ``Status`` body and its HTTP code."""

    def __init__(self, status: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status.get("message", ""))
        self.status = status
        self.code: int = status["code"]
        self.headers = headers or {}


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                           "message": message}
    if reason:
        out["reason"] = reason
    if details is not None:
        out["details"] = details
    out["code"] = code
    return out


def _details(kind: Kind, name: str, by_kind: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if name:
        out["name"] = name
    if kind.group:
        out["group"] = kind.group
    out["kind"] = kind.kind if by_kind else kind.plural
    return out


def not_found(kind: Kind, name: str) -> ApiError:
    return ApiError(status(404, "NotFound", f'{kind.qualified} "{name}" not found', _details(kind, name)))


def no_route() -> ApiError:
    return ApiError(status(404, "NotFound", "the server could not find the requested resource", {}))


def already_exists(kind: Kind, name: str) -> ApiError:
    return ApiError(
        status(409, "AlreadyExists", f'{kind.qualified} "{name}" already exists', _details(kind, name))
    )


def conflict(kind: Kind, name: str, why: str = "the object has been modified; please apply your changes "
             "to the latest version and try again") -> ApiError:
    return ApiError(
        status(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {kind.qualified} "{name}": {why}',
            _details(kind, name),
        )
    )


def cause(reason: str, field: str, message: str) -> dict[str, str]:
    return {"reason": reason, "message": message, "field": field}


def invalid(kind: Kind, name: str, causes: list[dict[str, str]], group_kind: str | None = None) -> ApiError:
    """422 ``Invalid``: ``Workflow.argoproj.io "x" is invalid: [field: message, ...]`` (no brackets for
    one)."""
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    listed = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = _details(kind, name, by_kind=True)
    details["causes"] = causes
    return ApiError(
        status(422, "Invalid", f'{group_kind or kind.group_kind} "{name}" is invalid: {listed}', details)
    )


def bad_request(message: str) -> ApiError:
    return ApiError(status(400, "BadRequest", message))


def unauthorized() -> ApiError:
    return ApiError(status(401, "Unauthorized", "Unauthorized"))


def forbidden(user: str, verb: str, kind: Kind, namespace: str, name: str, subresource: str = "") -> ApiError:
    """403 with the apiserver's wording (responsewriters.forbiddenMessage + errors.NewForbidden)."""
    resource = kind.plural + (f"/{subresource}" if subresource else "")
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    why = f'User "{user}" cannot {verb} resource "{resource}" in API group "{kind.group}" {scope}'
    head = f'{kind.qualified} "{name}"' if name else kind.qualified
    details = {"name": name} if name else {}
    details.update({"group": kind.group, "kind": kind.plural})
    return ApiError(status(403, "Forbidden", f"{head} is forbidden: {why}", details))


def gone(message: str) -> ApiError:
    return ApiError(status(410, "Expired", message))


def too_large(message: str) -> ApiError:
    return ApiError(status(413, "RequestEntityTooLarge", message))


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - "
                           f"accepted media types include: application/json-patch+json, "
                           f"application/merge-patch+json, application/apply-patch+yaml ({content_type})"))


def method_not_allowed() -> ApiError:
    return ApiError(
        status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    )


FAULT_REASONS = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected by the test"),
    502: ("", "Bad Gateway"),
    503: ("ServiceUnavailable", "The server is currently unable to handle the request"),
    504: (
        "Timeout",
        "Timeout: request did not complete within requested timeout - context deadline exceeded",
    ),
}


def fault(code: int, message: str | None = None, retry_after: int | None = None) -> ApiError:
    """An injected failure with the body the apiserver (or its front proxy) sends for ``code``."""
    reason, default = FAULT_REASONS.get(code, ("", f"injected failure {code}"))
    details = {"retryAfterSeconds": retry_after} if retry_after is not None else None
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return ApiError(status(code, reason, message or default, details), headers)


# ---------------------------------------------------------------- names and times

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand alphanums
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def generate_name(base: str) -> str:
    """``SimpleNameGenerator``: the base cut to 58 characters plus 5 random ones."""
    return base[:58] + "".join(random.choice(_NAME_CHARS) for _ in range(5))


def new_uid() -> str:
    return str(uuid.uuid4())


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def copy(obj: T) -> T:
    """A deep copy through JSON (what the wire would do)."""
    out: T = json.loads(json.dumps(obj))
    return out


# ---------------------------------------------------------------- selectors

_REQ = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$"
)


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def label_selector(text: str | None) -> list[tuple[str, str, tuple[str, ...]]]:
    """Parse ``a=b,c!=d,e in (x,y),f notin (z),g,!h`` into (key, op, values); BadRequest when malformed."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for part in _split_top(text or ""):
        m = _REQ.match(part)
        if not m:
            raise bad_request(f"unable to parse requirement: found '{part.strip()}', expected: "
                              "'=', '!=', '==', 'in', notin'")
        neg, key, op, value, set_op, values = m.groups()
        if neg:
            if op or set_op:
                raise bad_request(f"unable to parse requirement: {part.strip()}")
            out.append((key, "!", ()))
        elif set_op:
            out.append((key, set_op, tuple(v.strip() for v in values.split(",") if v.strip())))
        elif op:
            out.append((key, "!=" if op == "!=" else "=", (value,)))
        else:
            out.append((key, "exists", ()))
    return out


def labels_match(selector: list[tuple[str, str, tuple[str, ...]]], labels: dict[str, str]) -> bool:
    for key, op, values in selector:
        have = labels.get(key)
        if op in ("=", "in"):
            ok = have is not None and have in values
        elif op in ("!=", "notin"):
            ok = have not in values
        else:
            ok = (have is not None) == (op == "exists")
        if not ok:
            return False
    return True


FIELDS = {
    "pods": (
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "namespaces": ("metadata.name", "status.phase"),
}


def field_selector(kind: Kind, text: str | None) -> list[tuple[str, bool, str]]:
    """Parse ``metadata.name=x,status.phase!=Running``; custom resources know only metadata.name/namespace."""
    out = []
    known = FIELDS.get(kind.plural, ("metadata.name", "metadata.namespace"))
    for part in _split_top(text or ""):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, value = m.groups()
        if field not in known:
            raise bad_request(f'"{field}" is not a known field selector: only "' + '", "'.join(known) + '"')
        out.append((field, op != "!=", value))
    return out


def fields_match(selector: list[tuple[str, bool, str]], obj: dict[str, Any]) -> bool:
    for field, equal, value in selector:
        node: Any = obj
        for part in field.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if ((node or "") == value) != equal:
            return False
    return True


# ---------------------------------------------------------------- patches


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (``null`` deletes)."""
    if not isinstance(patch, dict):
        return copy(patch)
    out = copy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"json patch path must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            raise KeyError(part)
    return doc


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902 JSON patch: add, remove, replace, move, copy, test."""
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy(doc)
    for op in ops:
        kind, parts = op.get("op"), _pointer(op.get("path", ""))
        try:
            if kind == "test":
                if _walk(doc, parts) != op.get("value"):
                    raise ApiError(status(422, "Invalid", f"testing value {op.get('path')} failed"))
                continue
            if kind in ("move", "copy"):
                value = copy(_walk(doc, _pointer(op["from"])))
                if kind == "move":
                    doc = _remove(doc, _pointer(op["from"]))
                doc = _add(doc, parts, value)
            elif kind == "add":
                doc = _add(doc, parts, copy(op.get("value")))
            elif kind == "remove":
                doc = _remove(doc, parts)
            elif kind == "replace":
                _walk(doc, parts)
                doc = _add(_remove(doc, parts), parts, copy(op.get("value")))
            else:
                raise bad_request(f"Unexpected kind: {kind}")
        except (KeyError, IndexError, ValueError) as exc:
            raise ApiError(status(422, "Invalid", f"the server rejected our request due to an error in our "
                                  f"request: {kind} operation does not apply: doc is missing path: "
                                  f"{op.get('path')} ({exc})")) from None
    return doc


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else int(last), value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise KeyError(last)
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        del parent[int(last)]
    else:
        del parent[last]
    return doc


def parse_bool(value: str | None) -> bool:
    """Go's strconv.ParseBool, as grpc-gateway and the apiserver use (requests sends ``True``)."""
    return (value or "").strip() in ("1", "t", "T", "true", "TRUE", "True")
