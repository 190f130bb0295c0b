"""Built-in events: ``template: {event: time | http | approval}`` with no registry entry needed.

``time`` and ``http`` run in the ``polyflow`` executor plugin (no pod; polyflow_argo/plugin/);
``approval`` is an Argo ``suspend`` node, resumed from the Argo UI or ``polyflow-argo approve``.
A registry event of the same name takes precedence. Inputs are typed like any template's, so an
op's params are checked at compile time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_POLL = [
    {"name": "poll", "type": "int", "is_optional": True, "default": 30,
     "description": "seconds between checks"},
    {"name": "timeout", "type": "int", "is_optional": True, "default": 86400,
     "description": "seconds before the op fails"},
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
            {"name": "request_timeout", "type": "int", "is_optional": True, "default": 10},
            *_POLL,
        ],
        "outputs": [{"name": "status", "type": "int"}, {"name": "body", "type": "str"}],
    },
    "approval": {
        "description": "wait for a person to approve (Argo UI: Resume; or `polyflow-argo approve`)",
        "inputs": [{"name": "message", "type": "str", "is_optional": True}],
        "outputs": [],
    },
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


@lru_cache(maxsize=None)
def template_spec(name: str) -> Any:
    from ..spec.load import template_adapter

    data = {"kind": "job", "name": f"polyflow-event-{name}", **DEFINITIONS[name]}
    data.pop("description")
    return template_adapter().validate_python(data)


def builtin(name: str) -> BuiltinEvent | None:
    return BuiltinEvent(name) if name in DEFINITIONS else None
