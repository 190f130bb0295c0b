"""Built-in events: ``template: {event: time | http | s3 | k8s | pipeline | approval}`` with no
registry entry needed.

``time``, ``http``, ``s3``, ``k8s`` and ``pipeline`` run in the ``polyflow`` executor plugin (no pod;
polyflow_argo/plugin/); ``approval`` is an Argo ``suspend`` node, resumed from the Argo UI or
``polyflow-argo approve``. A registry event of the same name takes precedence. Inputs are typed like
any template's, so an op's params are checked at compile time. Everything here derives from the one
contract of the event kinds, ``EVENTS`` in registry/events.py, which translate and the plugin use too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .events import EVENTS, EventKind


def _definition(event: EventKind) -> dict[str, Any]:
    """The contract's kind as template data (the ``inputs``/``outputs`` of any Polyflow template)."""
    inputs: list[dict[str, Any]] = []
    for io in event.inputs:
        data: dict[str, Any] = {"name": io.name, "type": io.type}
        if io.optional:
            data["is_optional"] = True
        if io.default is not None:
            data["default"] = io.default
        if io.description:
            data["description"] = io.description
        inputs.append(data)
    return {"description": event.description, "inputs": inputs,
            "outputs": [{"name": o.name, "type": o.type} for o in event.outputs]}


DEFINITIONS: dict[str, dict[str, Any]] = {name: _definition(event) for name, event in EVENTS.items()}

# Inputs whose default is a value of the running workflow: when an op does not set them, the plugin
# body gets this Argo variable (substituted before the plugin is called).
WORKFLOW_DEFAULTS: dict[str, dict[str, str]] = {
    name: {i.name: i.workflow_default for i in event.inputs if i.workflow_default}
    for name, event in EVENTS.items() if any(i.workflow_default for i in event.inputs)
}
# Inputs whose key in the plugin body differs from their name: `kind` there is the event's kind.
BODY_KEYS: dict[str, dict[str, str]] = {
    name: {i.name: i.body_key for i in event.inputs if i.body_key}
    for name, event in EVENTS.items() if any(i.body_key for i in event.inputs)
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
