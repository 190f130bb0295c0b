"""Reading the cluster's answers within bounds, and checking that they are what the API sends.

Both transports (kube.py, argoserver.py) read every answer through here:

- **size**: at most :func:`max_reply_bytes` per answer, and per line of a stream (watch, logs):
  ``POLYFLOW_MAX_REPLY_BYTES``, default 64 MiB. A larger answer is PF616, so memory stays bounded
  whatever the server sends.
- **time**: ``--request-timeout`` bounds a whole call, its body included: :class:`Deadline` cuts the
  connection when the answer is still arriving at the deadline (a server that drips one byte a second
  would otherwise never time out: socket timeouts are per read).
- **shape**: JSON (:func:`decode`), an object with ``metadata.name`` (:func:`as_object`), a list with
  ``items`` (:func:`as_items`), a watch event (:func:`as_event`), and for Workflows the types of the
  fields ``watch``/``get``/``list`` read (:func:`check`). Anything else is PF615, never a crash.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from .errors import ApiFailure, bad_reply, printable

MAX_REPLY_BYTES = 64 * 1024 * 1024
ERROR_BODY_BYTES = 64 * 1024  # of an error answer, only the start is read (its message)


def max_reply_bytes() -> int:
    """The largest answer (or stream line) read: ``POLYFLOW_MAX_REPLY_BYTES``, else 64 MiB."""
    try:
        value = int(os.environ.get("POLYFLOW_MAX_REPLY_BYTES", ""))
    except ValueError:
        return MAX_REPLY_BYTES
    return value if value > 0 else MAX_REPLY_BYTES


class Deadline:
    """Calls ``cut`` (which must make a blocked read fail, e.g. shut the socket down) if the block is still
    running ``seconds`` from now; ``expired`` says whether it did."""

    def __init__(self, seconds: float | None, cut: Callable[[], Any]) -> None:
        self.expired = False
        self._cut = cut
        self._timer = None if seconds is None else threading.Timer(max(0.0, seconds), self._fire)
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.name = "polyflow-deadline"

    def _fire(self) -> None:
        self.expired = True
        with contextlib.suppress(Exception):  # the connection is already gone: the read ends anyway
            self._cut()

    def __enter__(self) -> Deadline:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


def read_all(chunks: Iterable[bytes], status: int | None, transport: str, limit: int | None = None) -> bytes:
    """The whole body, or PF616 once it passes ``limit`` bytes (default :func:`max_reply_bytes`)."""
    limit = limit or max_reply_bytes()
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) > limit:
            raise bad_reply(status, "size", f"more than the {limit:,}-byte limit", transport)
    return bytes(buf)


def read_start(chunks: Iterable[bytes], limit: int = ERROR_BODY_BYTES) -> bytes:
    """The first ``limit`` bytes of a body (error answers: their message is at the start)."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) >= limit:
            break
    return bytes(buf[:limit])


def lines(chunks: Iterable[bytes], transport: str) -> Iterator[bytes]:
    """Non-empty lines of a stream as they arrive; a line longer than the limit is PF616."""
    limit = max_reply_bytes()
    buf = b""
    for chunk in chunks:
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                yield line
        if len(buf) > limit:
            raise bad_reply(200, "size", f"a line of more than the {limit:,}-byte limit", transport)
    if buf.strip():
        yield buf


def preview(body: bytes | str, size: int = 80) -> str:
    """The start of a body for a message: printable, one line."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = printable(text).strip()
    return repr(text[:size] + ("..." if len(text) > size else ""))


def decode(body: bytes | str, status: int | None, transport: str, what: str = "the answer") -> Any:
    """JSON, or PF615 naming what came instead."""
    if not body.strip():
        raise bad_reply(status, "json", f"{what} is empty, not JSON", transport)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_reply(status, "json", f"{what} is not JSON: {preview(body)}", transport) from None


def _shape(status: int | None, transport: str, message: str) -> ApiFailure:
    return bad_reply(status, "shape", message, transport)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def as_object(data: Any, status: int | None, transport: str, what: str = "the answer") -> dict[str, Any]:
    """An API object: a JSON object whose ``metadata`` is an object with a string ``name``."""
    if not isinstance(data, dict):
        raise _shape(status, transport, f"{what} is {_kind(data)}, not an object")
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        raise _shape(status, transport, f"{what} is an object without metadata.name")
    return data


def as_items(data: Any, status: int | None, transport: str) -> list[dict[str, Any]]:
    """The ``items`` of a list answer (null or absent: none), each an API object."""
    if not isinstance(data, dict):
        raise _shape(status, transport, f"the list is {_kind(data)}, not an object with items")
    items = data.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise _shape(status, transport, f"the list's items are {_kind(items)}, not a list")
    return [as_object(item, status, transport, f"items[{i}]") for i, item in enumerate(items)]


def continue_token(data: Any, status: int | None, transport: str) -> str | None:
    """The ``metadata.continue`` of a list page: the next page's token, or None on the last page."""
    meta = data.get("metadata") if isinstance(data, dict) else None
    token = meta.get("continue") if isinstance(meta, dict) else None
    if token is None or token == "":
        return None
    if not isinstance(token, str):
        raise _shape(status, transport, f"the list's metadata.continue is {_kind(token)}, not a string")
    return token


def as_event(data: Any, transport: str) -> tuple[str, dict[str, Any]]:
    """A watch event: ``{"type": str, "object": {...}}``."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str) or not isinstance(
        data.get("object"), dict
    ):
        raise _shape(200, transport, f"a watch event is not {{type, object}}: {preview(json.dumps(data))}")
    return data["type"], data["object"]


@lru_cache(maxsize=1)
def _workflow_adapter() -> Any:
    """The fields of a Workflow that ``watch``, ``get`` and ``list`` read, with their JSON types."""
    from pydantic import TypeAdapter
    from typing_extensions import TypedDict

    class Node(TypedDict, total=False):
        id: str | None
        name: str | None
        displayName: str | None  # noqa: N815 - Argo's field names
        type: str | None
        phase: str | None
        message: str | None
        templateName: str | None  # noqa: N815
        templateRef: dict[str, Any] | None  # noqa: N815
        boundaryID: str | None  # noqa: N815
        startedAt: str | None  # noqa: N815
        finishedAt: str | None  # noqa: N815
        children: list[str] | None

    class Status(TypedDict, total=False):
        phase: str | None
        message: str | None
        progress: str | None
        startedAt: str | None  # noqa: N815
        finishedAt: str | None  # noqa: N815
        nodes: dict[str, Node] | None

    class Meta(TypedDict, total=False):
        name: str
        namespace: str | None
        labels: dict[str, str] | None
        annotations: dict[str, str] | None
        resourceVersion: str | None  # noqa: N815
        creationTimestamp: str | None  # noqa: N815

    class Dag(TypedDict, total=False):
        tasks: list[dict[str, Any]] | None

    class Template(TypedDict, total=False):
        name: str | None
        dag: Dag | None

    class Spec(TypedDict, total=False):
        entrypoint: str | None
        templates: list[Template] | None

    class Workflow(TypedDict, total=False):
        metadata: Meta
        spec: Spec | None
        status: Status | None

    return TypeAdapter(Workflow)


def check(kind: str, obj: dict[str, Any], status: int | None, transport: str) -> dict[str, Any]:
    """``obj`` itself when the fields read of a ``kind`` object have the right JSON types, else PF615."""
    if kind != "Workflow":
        return obj
    from pydantic import ValidationError

    try:
        _workflow_adapter().validate_python(obj, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _shape(status, transport, f"Workflow field {where}: {first['msg']}") from None
    return obj
