"""The one contract of the built-in event kinds: name, inputs (type, default), plugin body keys, outputs.

Everything else derives from ``EVENTS``:

- the registry's built-in templates (registry/builtin.py: ``DEFINITIONS``, typed like any template,
  so an op's params are checked at compile time);
- the compiled plugin template (translate/events.py: which body key each input goes to, which
  inputs default to a value of the running workflow, which outputs the template declares);
- the executor plugin (plugin/events.py: ``KINDS`` has one check per kind that ``runs_in`` the
  plugin, it fills in the contract's defaults before checking, and a success reports exactly the
  contract's outputs).

``tests/plugin/test_contract.py`` checks that the three agree. To add an event kind: an entry here
and, for a plugin kind, its check in ``plugin/events.py`` ``CHECKS``.

``regex_error`` is the one regular expression engine for untrusted patterns (the http event's
``body``): RE2, linear-time, so a pattern like ``(a+)+$`` cannot stall the plugin. The compiler
uses it too, so a pattern the plugin would refuse is a compile error at its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal


@dataclass(frozen=True)
class EventInput:
    name: str
    type: Literal["str", "int", "bool"]
    optional: bool = True
    default: Any = None  # the value the plugin uses when the op does not set it
    description: str = ""
    body_key: str = ""  # its key in the plugin body, when that differs from `name`
    workflow_default: str = ""  # an Argo variable passed when the op does not set it
    regex: bool = False  # an untrusted regular expression: checked with RE2 at compile time

    @property
    def key(self) -> str:
        return self.body_key or self.name


@dataclass(frozen=True)
class EventOutput:
    name: str
    type: Literal["str", "int"]


@dataclass(frozen=True)
class EventKind:
    name: str
    description: str
    inputs: tuple[EventInput, ...]
    outputs: tuple[EventOutput, ...]
    runs_in: Literal["plugin", "suspend"] = "plugin"

    def input(self, name: str) -> EventInput | None:
        return next((i for i in self.inputs if i.name == name), None)

    @property
    def body_keys(self) -> frozenset[str]:
        """Every key the plugin body may hold besides ``kind``."""
        return frozenset(i.key for i in self.inputs)

    @property
    def defaults(self) -> dict[str, Any]:
        """Body key → the default the plugin applies when the key is absent."""
        return {i.key: i.default for i in self.inputs if i.default is not None}

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outputs)


_POLL = (
    EventInput("poll", "int", default=30, description="seconds between checks"),
    EventInput("timeout", "int", default=86400, description="seconds before the op fails"),
)
# events that call a server: the timeout of one call (http: of the whole request), then polling
_REQUEST = (EventInput("request_timeout", "int", default=10, description="seconds one request may take"),
            *_POLL)
_NAMESPACE = EventInput("namespace", "str", description="default: the workflow's namespace",
                        workflow_default="{{workflow.namespace}}")

EVENTS: dict[str, EventKind] = {e.name: e for e in (
    EventKind(
        "time", "wait until an instant (`until`, ISO 8601) or for `delay` seconds",
        (EventInput("until", "str"), EventInput("delay", "int"), *_POLL),
        (EventOutput("time", "str"),),
    ),
    EventKind(
        "http", "wait until GET `url` answers `status` (200) with a body matching `body` (a regex)",
        (
            EventInput("url", "str", optional=False),
            EventInput("status", "int", default=200),
            EventInput("body", "str", regex=True),
            *_REQUEST,
        ),
        (EventOutput("status", "int"), EventOutput("body", "str")),
    ),
    EventKind(
        "s3", "wait until an object exists in S3-compatible storage (`url: s3://bucket/key`, or "
              "`bucket` and `key`; `endpoint` for MinIO etc.) with at least `min_size` bytes",
        (
            EventInput("url", "str"),
            EventInput("bucket", "str"),
            EventInput("key", "str"),
            EventInput("endpoint", "str"),
            EventInput("region", "str"),
            EventInput("min_size", "int", default=0),
            *_REQUEST,
        ),
        (EventOutput("size", "int"), EventOutput("etag", "str"), EventOutput("last_modified", "str")),
    ),
    EventKind(
        "k8s", "wait until a Kubernetes resource meets `condition` (Type=Status) and/or `jsonpath` "
               "(`equals`); `failure_condition` fails the op",
        (
            EventInput("api_version", "str", default="v1"),
            # `kind` in the body is the event's kind
            EventInput("kind", "str", optional=False, body_key="resource_kind"),
            EventInput("name", "str", optional=False),
            _NAMESPACE,
            EventInput("condition", "str"),
            EventInput("jsonpath", "str"),
            EventInput("equals", "str"),
            EventInput("failure_condition", "str"),
            *_REQUEST,
        ),
        (EventOutput("value", "str"), EventOutput("message", "str")),
    ),
    EventKind(
        "pipeline", "wait until another pipeline's run (Workflow `name`, or the latest run of `pipeline` "
                    "created after the op started) finishes; `succeeded_only` fails the op on a failed run",
        (
            EventInput("name", "str"),
            EventInput("pipeline", "str"),
            _NAMESPACE,
            EventInput("succeeded_only", "bool", default=True),
            *_REQUEST,
        ),
        (EventOutput("name", "str"), EventOutput("phase", "str"), EventOutput("finished_at", "str")),
    ),
    EventKind(
        "approval", "wait for a person to approve (Argo UI: Resume; or `polyflow-argo approve`)",
        (EventInput("message", "str"),),
        (),
        runs_in="suspend",
    ),
)}


def plugin_kinds() -> tuple[str, ...]:
    """The kinds the executor plugin checks (the others compile to plain Argo nodes)."""
    return tuple(name for name, kind in EVENTS.items() if kind.runs_in == "plugin")


@cache
def _re2() -> tuple[Any, Any]:
    """The ``re2`` module (google-re2; imported on first use) and its options."""
    import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

    options = re2.Options()
    options.log_errors = False  # RE2 would log every refused pattern on stderr
    return re2, options


def compile_regex(pattern: str) -> Any:
    """The pattern compiled by RE2 (linear-time matching); raises ``ValueError`` with RE2's reason."""
    re2, options = _re2()
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) \
            else str(exc)
        raise ValueError(reason) from None


def regex_error(pattern: str) -> str | None:
    """Why RE2 refuses ``pattern`` (e.g. backreferences, lookaround), or None when it compiles."""
    try:
        compile_regex(pattern)
    except ValueError as exc:
        return str(exc)
    return None
