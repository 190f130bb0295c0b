"""Built-in events: ``template: {event: time | http | s3 | k8s | pipeline | approval}`` with no
registry entry needed.

``time``, ``http``, ``s3``, ``k8s`` and ``pipeline`` run in the ``polyflow`` executor plugin (no pod;
polyflow_argo/plugin/); ``approval`` is an Argo ``suspend`` node, resumed from the Argo UI or
``polyflow-argo approve``. A registry event of the same name takes precedence. Inputs are typed like
any template's, so an op's params are checked at compile time. ``WORKFLOW_DEFAULTS`` are the inputs
whose default is a value of the running workflow, filled in by Argo (translate/events.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

_POLL = [
    {"name": "poll", "type": "int", "is_optional": True, "default": 30,
     "description": "seconds between checks"},
    {"name": "timeout", "type": "int", "is_optional": True, "default": 86400,
     "description": "seconds before the op fails"},
]

_REQUEST = [  # events that call a server: the timeout of one call, then polling
    {"name": "request_timeout", "type": "int", "is_optional": True, "default": 10,
     "description": "seconds one request may take"},
    *_POLL,
]

DEFINITIONS: dict[str, dict[str, Any]] = {
    "time": {
        "description": "wait until an instant (`until`, ISO 8601) or for `delay` seconds",
        "inputs": [
            {"name": "until", "type": "str", "is_optional": True},
            {"name": "delay", "type": "int", "is_optional": True},
            *_POLL,
        ],
        "outputs": [{"name": "time", "type": "str"}],
    },
    "http": {
        "description": "wait until GET `url` answers `status` (200) with a body matching `body` (a regex)",
        "inputs": [
            {"name": "url", "type": "str"},
            {"name": "status", "type": "int", "is_optional": True, "default": 200},
            {"name": "body", "type": "str", "is_optional": True},
            *_REQUEST,
        ],
        "outputs": [{"name": "status", "type": "int"}, {"name": "body", "type": "str"}],
    },
    "s3": {
        "description": "wait until an object exists in S3-compatible storage (`url: s3://bucket/key`, or "
                       "`bucket` and `key`; `endpoint` for MinIO etc.) with at least `min_size` bytes",
        "inputs": [
            {"name": "url", "type": "str", "is_optional": True},
            {"name": "bucket", "type": "str", "is_optional": True},
            {"name": "key", "type": "str", "is_optional": True},
            {"name": "endpoint", "type": "str", "is_optional": True},
            {"name": "region", "type": "str", "is_optional": True},
            {"name": "min_size", "type": "int", "is_optional": True, "default": 0},
            *_REQUEST,
        ],
        "outputs": [{"name": "size", "type": "int"}, {"name": "etag", "type": "str"},
                    {"name": "last_modified", "type": "str"}],
    },
    "k8s": {
        "description": "wait until a Kubernetes resource meets `condition` (Type=Status) and/or `jsonpath` "
                       "(`equals`); `failure_condition` fails the op",
        "inputs": [
            {"name": "api_version", "type": "str", "is_optional": True, "default": "v1"},
            {"name": "kind", "type": "str"},
            {"name": "name", "type": "str"},
            {"name": "namespace", "type": "str", "is_optional": True,
             "description": "default: the workflow's namespace"},
            {"name": "condition", "type": "str", "is_optional": True},
            {"name": "jsonpath", "type": "str", "is_optional": True},
            {"name": "equals", "type": "str", "is_optional": True},
            {"name": "failure_condition", "type": "str", "is_optional": True},
            *_REQUEST,
        ],
        "outputs": [{"name": "value", "type": "str"}, {"name": "message", "type": "str"}],
    },
    "pipeline": {
        "description": "wait until another pipeline's run (Workflow `name`, or the latest run of `pipeline` "
                       "created after the op started) finishes; `succeeded_only` fails the op on a failed "
                       "run",
        "inputs": [
            {"name": "name", "type": "str", "is_optional": True},
            {"name": "pipeline", "type": "str", "is_optional": True},
            {"name": "namespace", "type": "str", "is_optional": True,
             "description": "default: the workflow's namespace"},
            {"name": "succeeded_only", "type": "bool", "is_optional": True, "default": True},
            *_REQUEST,
        ],
        "outputs": [{"name": "name", "type": "str"}, {"name": "phase", "type": "str"},
                    {"name": "finished_at", "type": "str"}],
    },
    "approval": {
        "description": "wait for a person to approve (Argo UI: Resume; or `polyflow-argo approve`)",
        "inputs": [{"name": "message", "type": "str", "is_optional": True}],
        "outputs": [],
    },
}

# Inputs whose default is a value of the running workflow: when an op does not set them, the plugin
# body gets this Argo variable (substituted before the plugin is called).
WORKFLOW_DEFAULTS: dict[str, dict[str, str]] = {
    "k8s": {"namespace": "{{workflow.namespace}}"},
    "pipeline": {"namespace": "{{workflow.namespace}}"},
}
# Inputs whose key in the plugin body differs from their name: `kind` there is the event's kind.
BODY_KEYS: dict[str, dict[str, str]] = {
    "k8s": {"kind": "resource_kind"},
}


@dataclass(frozen=True)
class BuiltinEvent:
    """Stands in for a registry ``Entry`` of a built-in event."""

    name: str
    kind: str = "event"
    version: str = "builtin"
    builtin: bool = True  # registry Entry has False: tells them apart without importing this module

    @property
    def ref(self) -> str:
        return f"{self.name} (built-in)"

    @property
    def spec(self) -> Any:
        return template_spec(self.name)


@cache
def template_spec(name: str) -> Any:
    from ..language.load import template_adapter

    data = {"kind": "job", "name": f"polyflow-event-{name}", **DEFINITIONS[name]}
    data.pop("description")
    return template_adapter().validate_python(data)


def builtin(name: str) -> BuiltinEvent | None:
    return BuiltinEvent(name) if name in DEFINITIONS else None
