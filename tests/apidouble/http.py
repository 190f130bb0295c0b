"""The HTTP layer shared by both fronts: a loopback ThreadingHTTPServer that joins its threads on stop,
HTTP/1.1 keep-alive, chunked streaming, the request log, injected faults and dropped connections.

An app (kube.KubeApp, argo.ArgoApp) turns a ``Request`` into a ``Reply`` or a ``Stream`` and renders
its own errors; this module never knows which API it serves.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    """One request as the double received it (``double.requests`` keeps them in order)."""

    server: str  # "kube" or "argo"
    method: str
    path: str  # percent-decoded, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int | str | None = None  # the answer's status, or "dropped"

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int
    body: Any  # dict/list → JSON; str/bytes → as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass
class Stream:
    """A chunked answer: each item of ``chunks`` is written and flushed as it comes."""

    status: int
    chunks: Iterator[bytes]
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


GARBLES = ("not-json", "wrong-shape", "truncated", "oversized", "drip", "garbage-line")
DRIP_SECONDS = 10.0  # a drip gives up after this long, so no handler thread outlives a test


@dataclass
class Fault:
    server: str | None
    method: str
    path: re.Pattern[str]
    times: int
    status: int = 0  # 0: drop the connection after performing the request
    retry_after: int | None = None
    message: str | None = None
    garble: str | None = None  # GARBLES: the request is performed, then its answer is spoilt this way
    body: bytes | None = None  # what "not-json", "wrong-shape" and "garbage-line" send
    size: int = 0  # "oversized": bytes of valid JSON sent
    interval: float = 0.05  # "drip": seconds between two bytes

    def matches(self, server: str, method: str, path: str) -> bool:
        return (self.server in (None, server) and self.method in ("*", method)
                and self.path.search(path) is not None and self.times > 0)


class App(Protocol):
    role: str

    def dispatch(self, request: Request) -> Reply | Stream: ...

    def fault_reply(self, fault: Fault) -> Reply: ...


class Hub(Protocol):
    """What the HTTP layer needs from the double."""

    def record(self, request: Request) -> None: ...

    def take_fault(self, server: str, method: str, path: str, drop: bool) -> Fault | None: ...

    def take_garble(self, server: str, method: str, path: str) -> Fault | None: ...


class Server(ThreadingHTTPServer):
    """Loopback server whose handler threads are joined on ``stop`` (no thread outlives the test)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, app: App, hub: Hub) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.app, self.hub = app, hub
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=f"apidouble-{app.role}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def stop(self) -> None:
        self.shutdown()
        self._thread.join(5)
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:  # wake handler threads blocked reading an idle keep-alive connection
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.server_close()  # joins the handler threads


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self, method: str) -> None:
        app, hub = self.server.app, self.server.hub
        url = urlsplit(self.path)
        request = Request(app.role, method, unquote(url.path), parse_qs(url.query, keep_blank_values=True),
                          dict(self.headers.items()), self._read_body())
        hub.record(request)
        fault = hub.take_fault(app.role, method, request.path, drop=False)
        answer = app.fault_reply(fault) if fault else app.dispatch(request)
        if hub.take_fault(app.role, method, request.path, drop=True):
            request.status = "dropped"
            if isinstance(answer, Stream):
                answer.chunks.close()  # type: ignore[attr-defined]
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        garble = hub.take_garble(app.role, method, request.path)
        if garble is not None:
            request.status = f"garbled: {garble.garble}"
            self._garble(answer, garble)
            return
        request.status = answer.status
        if isinstance(answer, Stream):
            self._stream(answer)
        else:
            self._reply(answer)

    @staticmethod
    def _encode(body: Any) -> bytes:
        if isinstance(body, bytes):
            return body
        return body.encode() if isinstance(body, str) else json.dumps(body).encode()

    def _garble(self, answer: Reply | Stream, fault: Fault) -> None:
        """Answer with the request's status but a spoilt body (see ``ApiDouble.garble_next``)."""
        kind = fault.garble
        if kind == "garbage-line" and isinstance(answer, Stream):
            line = fault.body or b"this is not a JSON event\n"
            chunks = _prepend(line, answer.chunks)
            self._stream(Stream(answer.status, chunks, answer.content_type, answer.headers))
            return
        if isinstance(answer, Stream):
            answer.chunks.close()  # type: ignore[attr-defined]
            data = b'{"kind": "Status"}'
        else:
            data = self._encode(answer.body)
        if kind in ("not-json", "garbage-line"):
            self._reply(Reply(answer.status, fault.body or b"<html><body>Bad Gateway</body></html>", {},
                              "text/html"))
        elif kind == "wrong-shape":
            self._reply(Reply(answer.status, fault.body or b'["not", "an", "object"]'))
        elif kind == "oversized":
            self._oversized(answer.status, fault.size)
        else:  # truncated, drip: the real answer, cut in the middle / one byte at a time
            self.close_connection = True
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                if kind == "truncated":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    return
                deadline = time.monotonic() + DRIP_SECONDS
                for i in range(len(data)):
                    if time.monotonic() > deadline:
                        return
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(fault.interval)
            except OSError:
                return

    def _oversized(self, status: int, size: int) -> None:
        """``size`` bytes of valid JSON (a list whose one item is padded), written in 64 KiB pieces."""
        head, tail = b'{"kind": "List", "items": [], "padding": "', b'"}'
        pad = max(0, size - len(head) - len(tail))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(head) + pad + len(tail)))
        self.end_headers()
        try:
            self.wfile.write(head)
            block = b"x" * 65536
            while pad > 0:
                self.wfile.write(block[:pad])
                pad -= len(block)
            self.wfile.write(tail)
        except OSError:
            self.close_connection = True

    def _reply(self, reply: Reply) -> None:
        data = self._encode(reply.body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def _stream(self, stream: Stream) -> None:
        self.send_response(stream.status)
        self.send_header("Content-Type", stream.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for key, value in stream.headers.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            for chunk in stream.chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away
            self.close_connection = True
        finally:
            stream.chunks.close()  # type: ignore[attr-defined]


def _prepend(first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield first
        yield from chunks
    finally:
        chunks.close()  # type: ignore[attr-defined]
