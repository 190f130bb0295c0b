"""The Argo executor plugin ``polyflow``: waits for events without a pod per event.

Argo's agent pod runs this server as a sidecar and calls ``POST /api/v1/template.execute`` for each
``plugin`` template (argo-semantics.md §10) with ``Authorization: Bearer <token>`` (the token in
``/var/run/argo/token``). A template is ours when its body is ``plugin: {polyflow: {...}}``::

    plugin:
      polyflow: {kind: http, url: 'https://…/ready', status: 200, poll: 30, timeout: 3600}

Replies: ``{}`` (not ours), or ``{"node": {"phase", "message", "outputs"}, "requeue": "30s"}``
while waiting (Argo calls again after ``requeue``; a reply without it is never polled again), then
``Succeeded`` with outputs, or ``Failed`` on a timeout or invalid parameters. HTTP errors, each a
JSON ``{"error": ...}`` that closes the connection: 403 for a wrong token, 400 for a malformed body or
a bad Content-Length, 411 without one, 408 when the headers or body are not received in time, 413
above ``MAX_BODY``, 404 for other paths, 503 above ``Limits.max_connections``.

``Limits`` bounds every connection: a listen backlog, a cap on connections served at once, one
deadline for the headers, one for the body and one for an idle kept-alive connection. A reply is
one write, with TCP_NODELAY. Only the standard library; no shell; one JSON log line per call on
stderr, and never a traceback.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import re
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .events import HTTP, KINDS, Check, EventInputError, HttpPolicy, with_defaults
from .events import number as seconds

PLUGIN = "polyflow"
PATH = "/api/v1/template.execute"
MAX_BODY = 1 << 20
DRAIN_LIMIT = 8 * MAX_BODY
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
    workflow = _object(_object(body.get("workflow")).get("metadata"))
    key = json.dumps([workflow.get("uid"), workflow.get("name"), template.get("name"), spec], sort_keys=True)
    declared = _declared_outputs(template)
    if not isinstance(spec, dict):
        return _node("Failed", "the polyflow plugin body must be an object, e.g. {kind: time, delay: 60}",
                     declared)
    kind = spec.get("kind")
    check_fn = KINDS.get(kind) if isinstance(kind, str) else None
    if check_fn is None or not isinstance(kind, str):
        known = ", ".join(sorted(KINDS))
        return _node("Failed", f"unknown event kind {kind!r}: use one of {known}", declared)
    spec = with_defaults(kind, spec)  # the contract's defaults (registry/events.py)
    try:
        poll = seconds(spec, "poll", low=1, unit=" s")
        timeout = seconds(spec, "timeout", low=1, unit=" s")
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


@dataclass(frozen=True)
class Limits:
    """How the server bounds its clients (docs/plugin.md, "Limits"). Times in seconds."""

    backlog: int = 128  # connections the kernel queues before accept
    max_connections: int = 512  # served at once; more get 503 and are closed
    header_timeout: float = 10.0  # from accept (or a kept-alive request's first byte) to the headers' end
    body_timeout: float = 10.0  # to read the whole body
    idle_timeout: float = 120.0  # a kept-alive connection with no request (Go clients close at 90 s)


class _DeadlineIO(io.RawIOBase):
    """The connection's reads, each bounded by one deadline for the phase (headers, body, idle), so a
    client sending a byte now and then cannot hold its thread beyond it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = float("inf")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PluginHandler(BaseHTTPRequestHandler):
    """One connection; ``make_handler`` sets the token reader, the waits, the clock and the limits."""

    token: Callable[[], str]
    waits: Waits
    clock: Callable[[], float]
    bounds: Limits
    raw: _DeadlineIO
    reader: io.BufferedReader
    first: bool
    server_version = "polyflow-argo-plugin"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY: a reply is never held back for an ACK

    def log_message(self, format: str, *args: Any) -> None:  # the JSON log replaces it
        return

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader: replaced, and closed so the socket can close
        self.raw = _DeadlineIO(self.connection)
        self.reader = io.BufferedReader(self.raw, 1 << 16)
        self.rfile = self.reader
        self.first = True

    def handle_one_request(self) -> None:
        """One request within the limits; every failure is a JSON reply or a quiet close."""
        try:
            self._one_request()
        except TimeoutError:
            self.close_connection = True
        except (OSError, ValueError):  # reset by the peer, or a read after a timed-out one
            self.close_connection = True

    def _one_request(self) -> None:
        if not self.first:  # kept alive: wait for the next request's first byte
            self.raw.deadline = time.monotonic() + self.bounds.idle_timeout
            if not self.reader.peek(1):
                self.close_connection = True
                return
        self.first = False
        self.raw.deadline = time.monotonic() + self.bounds.header_timeout
        self.raw_requestline = b""
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(414, "request line too long")
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():  # reads the headers; replied (send_error) when bad
                return
        except TimeoutError:
            self.close_connection = True
            if self.raw_requestline:
                self._reply(408, {"error": f"headers not received within {self.bounds.header_timeout:g} s"})
            return
        handler = {"GET": self.do_GET, "POST": self.do_POST}.get(self.command)
        if handler is None:
            self.send_error(501, f"method {self.command} is not supported")
            return
        handler()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's errors (bad request line or headers) as JSON; the connection is closed."""
        self.close_connection = True
        self._reply(code, {"error": message or self.responses.get(code, ("error",))[0]})

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        """The whole reply in one write (status line, headers and body)."""
        data = json.dumps(payload).encode()
        if status >= 400:
            self.close_connection = True  # a body may be left unread: never read it as a request
        head = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
        ]
        if self.close_connection:
            head.append("Connection: close")
        self.connection.settimeout(self.bounds.body_timeout)  # a client that never reads cannot hold us
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
        else:
            self._reply(404, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:  # noqa: N802
        if self.path != PATH:
            self._reply(404, {"error": f"no route {self.path}"})
            return
        expected = self.token()
        given = self.headers.get("Authorization", "")
        if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
            log("warning", "rejected: bad or missing bearer token", client=self.client_address[0])
            self._reply(403, {"error": "forbidden"})
            return
        try:
            body = self._body()
            reply = execute(body, self.waits, self.clock())
        except _BadRequest as exc:
            self._reply(exc.status, {"error": str(exc)})
            return
        except TimeoutError:
            self._reply(408, {"error": f"body not received within {self.bounds.body_timeout:g} s"})
            return
        except (ValueError, RecursionError) as exc:
            self._reply(400, {"error": f"malformed request: {exc}"})
            return
        except Exception as exc:  # a bug: a reply and a log line, never a traceback or a dropped call
            log("error", "internal error", error=f"{type(exc).__name__}: {exc}")
            self._reply(500, {"error": f"internal error: {type(exc).__name__}: {exc}"})
            return
        node = reply.get("node", {})
        meta = _object(_object(body.get("workflow")).get("metadata"))
        log("info", "template.execute", workflow=meta.get("name"), namespace=meta.get("namespace"),
            template=_object(body.get("template")).get("name"), phase=node.get("phase", "not ours"),
            message=node.get("message"))
        self._reply(200, reply)

    def _body(self) -> dict[str, Any]:
        """The request's JSON object, read within ``body_timeout``; _BadRequest when malformed."""
        if "Transfer-Encoding" in self.headers:
            raise _BadRequest(411, "Transfer-Encoding is not accepted: send Content-Length")
        values = self.headers.get_all("Content-Length") or []
        if not values:
            raise _BadRequest(411, "Content-Length is required")
        if len(set(values)) > 1 or not _LENGTH.fullmatch(values[0]):
            raise _BadRequest(400, f"Content-Length must be one non-negative integer, got {values!r}")
        length = int(values[0])
        self.raw.deadline = time.monotonic() + self.bounds.body_timeout
        if length > MAX_BODY:
            # Read (and drop) a body up to DRAIN_LIMIT so the client sees the 413 instead of a
            # broken pipe; a larger one is cut off. Either way the connection is closed.
            left = length if length <= DRAIN_LIMIT else 0
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)
            raise _BadRequest(413, f"body of {length} bytes is over the {MAX_BODY}-byte limit")
        data = self.rfile.read(length)
        if len(data) < length:
            raise _BadRequest(400, f"the body ended after {len(data)} of {length} bytes")
        try:
            body = json.loads(data or b"null")
        except (ValueError, RecursionError) as exc:
            raise _BadRequest(400, f"malformed request: the body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise _BadRequest(400, "malformed request: the body must be a JSON object")
        return body


def make_handler(token: Callable[[], str], waits: Waits, clock: Callable[[], float] = time.time,
                 limits: Limits | None = None) -> type[PluginHandler]:
    """The handler class of one server (``tests.loopback.serving`` and ``serve`` take a class)."""
    return type("Handler", (PluginHandler,), {"token": staticmethod(token), "waits": waits,
                                              "clock": staticmethod(clock), "bounds": limits or Limits()})


_LENGTH = re.compile(r"[0-9]{1,18}")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class PluginServer(ThreadingHTTPServer):
    """A thread per connection, at most ``limits.max_connections`` at once (more get a 503)."""

    daemon_threads = True
    block_on_close = False  # shutting down never waits for kept-alive connections

    def __init__(self, address: tuple[str, int], handler: type, limits: Limits) -> None:
        self.limits = limits
        self.request_queue_size = limits.backlog
        self._active = 0
        self._count = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._count:
            full = self._active >= self.limits.max_connections
            if not full:
                self._active += 1
        if full:
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:  # no thread could be started
            with self._count:
                self._active -= 1
            self._refuse(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count:
                self._active -= 1

    def _refuse(self, request: socket.socket) -> None:
        data = json.dumps({"error": f"over {self.limits.max_connections} connections: retry later"}).encode()
        head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
        try:
            request.settimeout(0.5)
            request.sendall(head.encode() + data)
            request.shutdown(socket.SHUT_WR)
            request.setblocking(False)
            with contextlib.suppress(OSError):
                request.recv(1 << 16)  # what already came, so closing does not reset the reply
        except OSError:
            pass
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A bug in a handler: one JSON log line, not a traceback."""
        kind, exc = sys.exc_info()[:2]
        log("error", "internal error", error=f"{kind.__name__ if kind else 'error'}: {exc}",
            client=str(client_address[0]) if isinstance(client_address, tuple) else "")


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
    host: str = "127.0.0.1",
    port: int = 4355,
    token_file: str = "/var/run/argo/token",
    *,
    http_allow: tuple[str, ...] = (),
    limits: Limits | None = None,
) -> PluginServer:
    """A started server (in a daemon thread); ``shutdown()`` stops it. ``http_allow``: addresses or
    CIDR networks http events may call although the SSRF policy refuses them (ValueError if bad)."""
    HTTP.policy = HttpPolicy.from_environment(http_allow)
    bounds = limits or Limits()
    handler = make_handler(token_reader(token_file), Waits(), limits=bounds)
    server = PluginServer((host, port), handler, bounds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
