"""The Argo executor plugin ``polyflow``: waits for events without a pod per event.

Argo's agent pod runs this server as a sidecar and calls ``POST /api/v1/template.execute`` for each
``plugin`` template (argo-semantics.md §10) with ``Authorization: Bearer <token>`` (the token in
``/var/run/argo/token``). A template is ours when its body is ``plugin: {polyflow: {...}}``::

    plugin:
      polyflow: {kind: http, url: 'https://…/ready', status: 200, poll: 30, timeout: 3600}

Replies: ``{}`` (not ours), or ``{"node": {"phase", "message", "outputs"}, "requeue": "30s"}``
while waiting (Argo calls again after ``requeue``; a reply without it is never polled again), then
``Succeeded`` with outputs, or ``Failed`` on a timeout or invalid parameters. HTTP errors: 403 for a
wrong token, 400 for a malformed body, 413 above ``MAX_BODY``, 404 for other paths.

Only the standard library; no shell; one JSON log line per call on stderr.
"""

from __future__ import annotations

import hmac
import json
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .events import KINDS, Check, EventInputError
from .events import number as seconds

PLUGIN = "polyflow"
PATH = "/api/v1/template.execute"
MAX_BODY = 1 << 20
DRAIN_LIMIT = 8 * MAX_BODY
DEFAULT_POLL = 30.0
DEFAULT_TIMEOUT = 24 * 3600.0
MAX_TRACKED = 10_000


class Waits:
    """When each event started waiting: keyed by workflow uid and the template (bounded, LRU)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: OrderedDict[str, float] = OrderedDict()

    def started(self, key: str, now: float) -> float:
        with self._lock:
            value = self._started.pop(key, now)
            self._started[key] = value
            while len(self._started) > MAX_TRACKED:
                self._started.popitem(last=False)
            return value

    def forget(self, key: str) -> None:
        with self._lock:
            self._started.pop(key, None)


def execute(body: dict[str, Any], waits: Waits, now: float) -> dict[str, Any]:
    """The reply to one ``template.execute`` call (pure, for tests and the handler)."""
    template = body.get("template")
    if not isinstance(template, dict):
        raise ValueError("`template` must be an object")
    plugin = template.get("plugin")
    if not isinstance(plugin, dict) or PLUGIN not in plugin:
        return {}
    spec = plugin[PLUGIN]
    workflow = body.get("workflow", {}).get("metadata", {}) if isinstance(body.get("workflow"), dict) else {}
    key = json.dumps([workflow.get("uid"), workflow.get("name"), template.get("name"), spec], sort_keys=True)
    declared = _declared_outputs(template)
    if not isinstance(spec, dict):
        return _node("Failed", "the polyflow plugin body must be an object, e.g. {kind: time, delay: 60}",
                     declared)
    kind = spec.get("kind")
    check_fn = KINDS.get(kind) if isinstance(kind, str) else None
    if check_fn is None:
        known = ", ".join(sorted(KINDS))
        return _node("Failed", f"unknown event kind {kind!r}: use one of {known}", declared)
    try:
        poll = seconds(spec, "poll", DEFAULT_POLL, low=1, unit=" s")
        timeout = seconds(spec, "timeout", DEFAULT_TIMEOUT, low=1, unit=" s")
        started = waits.started(key, now)
        result: Check = check_fn(spec, started, now)
    except EventInputError as exc:
        waits.forget(key)
        return _node("Failed", f"{kind} event: {exc}", declared)
    if result.done:
        waits.forget(key)
        return _node("Succeeded", result.message, declared, result.outputs)
    if result.failed:
        waits.forget(key)
        return _node("Failed", result.message, declared)
    if now - started >= timeout:
        waits.forget(key)
        return _node("Failed", f"{kind} event timed out after {timeout:g} s: {result.message}", declared)
    reply = _node("Running", result.message)
    reply["requeue"] = f"{int(max(1, min(poll, timeout - (now - started))))}s"
    return reply


def _declared_outputs(template: dict[str, Any]) -> list[str]:
    """The output parameters the template declares (what later tasks may read)."""
    outputs = template.get("outputs")
    params = outputs.get("parameters") if isinstance(outputs, dict) else None
    if not isinstance(params, list):
        return []
    return [p["name"] for p in params if isinstance(p, dict) and isinstance(p.get("name"), str)]


def _node(phase: str, message: str, declared: list[str] | None = None,
          values: dict[str, str] | None = None) -> dict[str, Any]:
    """A reply; a final one carries every declared output (``""`` when the event has no value for
    it, e.g. after a failure), so no task reading it waits forever."""
    node: dict[str, Any] = {"phase": phase, "message": message}
    values = dict(values or {})
    names = sorted(set(declared or []) | set(values))
    if names:
        node["outputs"] = {"parameters": [{"name": n, "value": values.get(n, "")} for n in names]}
    return {"node": node}


def log(level: str, msg: str, **fields: Any) -> None:
    line = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": level, "msg": msg, **fields}
    print(json.dumps(line, sort_keys=True), file=sys.stderr, flush=True)


def make_handler(token: Callable[[], str], waits: Waits, clock: Callable[[], float] = time.time) -> type:
    class Handler(BaseHTTPRequestHandler):
        server_version = "polyflow-argo-plugin"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # the JSON log replaces it
            return

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/healthz":
                self._reply(200, {"status": "ok"})
            else:
                self._reply(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path != PATH:
                self._reply(404, {"error": f"no route {self.path}"})
                return
            expected = token()
            given = self.headers.get("Authorization", "")
            if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
                log("warning", "rejected: bad or missing bearer token", client=self.client_address[0])
                self._reply(403, {"error": "forbidden"})
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._reply(411, {"error": "Content-Length is required"})
                return
            if length > MAX_BODY:
                # Read (and drop) a body up to DRAIN_LIMIT so the client sees the 413 instead of a
                # broken pipe; a larger one is cut off. Either way the connection is closed.
                left = length if length <= DRAIN_LIMIT else 0
                while left > 0:
                    chunk = self.rfile.read(min(left, 1 << 16))
                    if not chunk:
                        break
                    left -= len(chunk)
                self.close_connection = True
                self._reply(413, {"error": f"body of {length} bytes is over the {MAX_BODY}-byte limit"})
                return
            try:
                body = json.loads(self.rfile.read(length) or b"null")
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                reply = execute(body, waits, clock())
            except (ValueError, UnicodeDecodeError) as exc:
                self._reply(400, {"error": f"malformed request: {exc}"})
                return
            node = reply.get("node", {})
            meta = (body.get("workflow") or {}).get("metadata") or {}
            log("info", "template.execute", workflow=meta.get("name"), namespace=meta.get("namespace"),
                template=(body.get("template") or {}).get("name"), phase=node.get("phase", "not ours"),
                message=node.get("message"))
            self._reply(200, reply)

    return Handler


def token_reader(path: str | Path) -> Callable[[], str]:
    """Read the agent's token on each call (it is mounted as a file and may be rotated)."""
    file = Path(path)

    def read() -> str:
        try:
            return file.read_text().strip()
        except OSError:
            return ""

    return read


def serve(
    host: str = "127.0.0.1", port: int = 4355, token_file: str = "/var/run/argo/token"
) -> ThreadingHTTPServer:
    """A started server (in a daemon thread); ``shutdown()`` stops it."""
    server = ThreadingHTTPServer((host, port), make_handler(token_reader(token_file), Waits()))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
