"""The plugin server against faulty and hostile clients: every fault class gets a JSON reply or a
quiet close, in bounded time, and never a traceback on stderr (issue 15)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from polyflow_argo.plugin.server import PATH, Limits, PluginServer, serve
from tests.plugin.harness import TOKEN

LIMITS = Limits(max_connections=4, header_timeout=0.5, body_timeout=0.5, idle_timeout=0.5)
EVENT = json.dumps({
    "workflow": {"metadata": {"name": "wf", "uid": "u"}},
    "template": {"name": "t", "plugin": {"polyflow": {"kind": "time", "delay": 60}}},
}).encode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    plugin: PluginServer = serve("127.0.0.1", 0, str(token), limits=LIMITS)
    try:
        yield "127.0.0.1", plugin.server_address[1]
    finally:
        plugin.shutdown()
        plugin.server_close()


def request(length: int | str | None, body: bytes, extra: str = "") -> bytes:
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n{extra}"
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    return (head + "\r\n").encode() + body


def exchange(address: tuple[str, int], data: bytes, wait: float = 5.0) -> tuple[int, dict, bytes]:
    """Send ``data``; read until the server closes or one whole reply came: (status, JSON, raw)."""
    with socket.create_connection(address, timeout=wait) as sock:
        sock.sendall(data)
        raw = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            raw += chunk
            head, sep, rest = raw.partition(b"\r\n\r\n")
            if sep:
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                if length is not None and len(rest) >= length:
                    break
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head else 0
    return status, json.loads(rest) if rest else {}, head


NESTED = b"[" * 100_000 + b"]" * 100_000
FAULTS = [
    # (case, bytes sent, expected status, words of the JSON error)
    ("negative Content-Length", request(-1, b"{}"), 400, "non-negative integer"),
    ("non-numeric Content-Length", request("12abc", b"{}"), 400, "non-negative integer"),
    ("signed Content-Length", request("+2", b"{}"), 400, "non-negative integer"),
    ("two different Content-Lengths", request(2, b"{}", "Content-Length: 3\r\n"), 400, "one non-negative"),
    ("no Content-Length", request(None, b""), 411, "Content-Length is required"),
    ("chunked body", request(None, b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked\r\n"), 411,
     "Transfer-Encoding"),
    ("over MAX_BODY", request(1 << 30, b""), 413, "over the"),
    ("malformed JSON", request(9, b"{not json"), 400, "not JSON"),
    ("invalid UTF-8", request(2, b"\xff\xfe"), 400, "not JSON"),
    ("nested too deep", request(len(NESTED), NESTED), 400, "not JSON"),
    ("JSON but not an object", request(6, b"[1, 2]"), 400, "JSON object"),
    ("template not an object", request(15, b'{"template": 1}'), 400, "`template` must be an object"),
    ("body shorter than Content-Length", request(100, b"{}"), 408, "body not received"),
    ("bad request line", b"GARBAGE\r\n\r\n", 400, "Bad request"),
    ("unsupported method", f"DELETE {PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 501, "not supported"),
    ("wrong token", request(2, b"{}").replace(TOKEN.encode(), b"nope"), 403, "forbidden"),
]


@pytest.mark.parametrize(("data", "status", "words"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_each_fault_gets_a_json_error(server: tuple[str, int], data: bytes, status: int, words: str,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    got, reply, head = exchange(server, data)
    assert got == status, (reply, head)
    assert b"Content-Type: application/json" in head and words.lower() in reply["error"].lower(), reply
    assert b"Connection: close" in head  # an error never leaves an unread body to be taken as a request
    assert time.monotonic() - start < 3
    assert "Traceback" not in capfd.readouterr().err


def test_odd_but_valid_bodies_are_answered(server: tuple[str, int],
                                           capfd: pytest.CaptureFixture[str]) -> None:
    """Shapes the agent never sends are still a reply, not a crash (workflow a list, metadata a string)."""
    for body in ({"workflow": [1], "template": {"plugin": {"polyflow": {"kind": "time", "delay": 5}}}},
                 {"workflow": {"metadata": "x"}, "template": {"plugin": {"polyflow": {"kind": 3}}}},
                 {"template": {"plugin": {"polyflow": "time"}}}):
        data = json.dumps(body).encode()
        status, reply, _ = exchange(server, request(len(data), data))
        assert status == 200 and reply["node"]["phase"] in ("Running", "Failed"), reply
    assert "Traceback" not in capfd.readouterr().err


def test_slow_headers_are_cut_off_and_others_still_served(server: tuple[str, int]) -> None:
    """A client dribbling its headers (a byte every 0.1 s) is closed at header_timeout, whatever its pace,
    and a normal call meanwhile is answered at once."""
    slow = socket.create_connection(server, timeout=5)
    slow.sendall(f"POST {PATH} HTTP/1.1\r\n".encode())
    start = time.monotonic()
    closed = None
    while time.monotonic() - start < 3:
        try:
            slow.sendall(b"X")
            slow.settimeout(0.1)
            data = slow.recv(4096)
        except TimeoutError:
            if time.monotonic() - start < 0.2:
                status, _, _ = exchange(server, request(len(EVENT), EVENT), wait=2)
                assert status == 200
            continue
        except OSError:
            data = b""
        closed = time.monotonic() - start
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
        break
    slow.close()
    assert closed is not None and closed < LIMITS.header_timeout + 0.6


@pytest.mark.parametrize("sent", [b"", b"POS", f"POST {PATH} HTTP/1.1\r\nHost: x".encode()],
                         ids=["nothing", "part of the request line", "part of the headers"])
def test_a_stalled_request_is_closed_at_header_timeout(server: tuple[str, int], sent: bytes,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(sent)
        start = time.monotonic()
        data = sock.recv(4096)
        assert time.monotonic() - start < LIMITS.header_timeout + 1
    assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
    err = capfd.readouterr().err
    assert "Traceback" not in err and "internal error" not in err


def test_connections_over_the_cap_get_503_then_service_resumes(server: tuple[str, int]) -> None:
    held = [socket.create_connection(server, timeout=5) for _ in range(LIMITS.max_connections)]
    try:
        time.sleep(0.1)  # the server has accepted them all
        status, reply, head = exchange(server, b"")
        assert status == 503 and "connections" in reply["error"] and b"Retry-After" in head
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert exchange(server, request(len(EVENT), EVENT))[0] == 200


def test_kept_alive_connection_serves_calls_then_closes_when_idle(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as sock:
        reader = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(request(len(EVENT), EVENT))
            assert reader.readline().startswith(b"HTTP/1.1 200")
            length = 0
            while (line := reader.readline()) != b"\r\n":
                assert not line.lower().startswith(b"connection: close")
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert json.loads(reader.read(length))["node"]["phase"] == "Running"
        start = time.monotonic()
        assert reader.read(1) == b""  # closed by the server after idle_timeout
        assert time.monotonic() - start < LIMITS.idle_timeout + 1


def test_the_listen_backlog_is_at_least_128(tmp_path: Path) -> None:
    """socketserver's default backlog of 5 made bursts of new connections wait seconds for SYN retries."""
    plugin = serve("127.0.0.1", 0, str(tmp_path / "token"))
    try:
        assert plugin.request_queue_size >= 128
        if shutil.which("ss"):  # the kernel's view: Send-Q of a listening socket is its backlog
            port = plugin.server_address[1]
            out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True,
                                 check=True, timeout=10).stdout.split()
            assert int(out[2]) >= 128, out
    finally:
        plugin.shutdown()
        plugin.server_close()


def test_a_bug_is_a_500_reply_and_a_log_line(server: tuple[str, int], monkeypatch: pytest.MonkeyPatch,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    from polyflow_argo.plugin import events

    def broken(spec: dict, started: float, now: float) -> events.Check:
        raise KeyError("a bug")

    monkeypatch.setitem(events.KINDS, "time", broken)
    status, reply, _ = exchange(server, request(len(EVENT), EVENT))
    assert status == 500 and "KeyError" in reply["error"]
    err = capfd.readouterr().err
    assert "Traceback" not in err and '"internal error"' in err
