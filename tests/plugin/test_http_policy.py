"""The http event against hostile targets: the SSRF policy (on every redirect), one deadline for the
whole request, and untrusted regexes in a linear-time engine (issue 15)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from polyflow_argo.plugin import events
from polyflow_argo.plugin.events import HttpPolicy, check_http, with_defaults
from tests.loopback import serving


def run(spec: dict) -> events.Check:
    return check_http(with_defaults("http", {"kind": "http", **spec}), 0.0, 0.0)


@pytest.fixture
def default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy of `plugin serve` without --http-allow, with 10.96.0.1 as the API service."""
    monkeypatch.setattr(events.HTTP, "policy", HttpPolicy(api=(ipaddress.ip_address("10.96.0.1"),)))


REFUSED = [
    # (case, url, words of the refusal)
    ("loopback", "http://127.0.0.1:9/", "loopback"),
    ("loopback by name", "http://localhost:9/", "loopback"),
    ("IPv6 loopback", "http://[::1]:9/", "loopback"),
    ("IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:9/", "loopback"),
    ("link-local metadata", "http://169.254.169.254/latest/meta-data/", "link-local"),
    ("AWS IPv6 metadata", "http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
    ("IPv6 link-local", "http://[fe80::1]/", "link-local"),
    ("unspecified", "http://0.0.0.0:9/", "unspecified"),
    ("the API service address", "https://10.96.0.1/api", "API service"),
    ("the API service name", "https://kubernetes.default.svc/api", "API service"),
    ("the API service FQDN", "https://kubernetes.default.svc.cluster.local./api", "API service"),
]


@pytest.mark.parametrize(("url", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_targets_fail_the_node_without_connecting(default_policy: None, url: str, words: str) -> None:
    result = run({"url": url, "request_timeout": 2})
    assert result.failed and words in result.message and "--http-allow" in result.message, result


def test_the_allow_list_lets_a_refused_address_through(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(_answer(200, b"ready")) as base:
        monkeypatch.setattr(events.HTTP, "policy", HttpPolicy())
        assert run({"url": base}).failed
        monkeypatch.setattr(events.HTTP, "policy", HttpPolicy.from_environment(["127.0.0.1/32"]))
        assert run({"url": base}).done


def test_allow_list_entries_are_checked() -> None:
    assert [str(n) for n in events.allow_networks(["10.0.0.0/8,::1", "192.168.1.7"])] == \
        ["10.0.0.0/8", "::1/128", "192.168.1.7/32"]
    with pytest.raises(ValueError, match="'example.com' is not an IP address or CIDR network"):
        events.allow_networks(["example.com"])


REDIRECTS = [
    # (case, Location, words): the first hop is an allowed loopback server
    ("to link-local", "http://169.254.169.254/latest/meta-data/", "link-local"),
    ("to the AWS IPv6 metadata", "http://[fd00:ec2::254]/", "metadata"),
    ("to the API service", "https://kubernetes.default.svc/api/v1/secrets", "API service"),
    ("to file://", "file:///etc/passwd", "not an http:// or https:// URL"),
    ("to gopher://", "gopher://127.0.0.1:70/", "not an http:// or https:// URL"),
    ("in a loop", "/again", "more than 5 redirects"),
]


@pytest.mark.parametrize(("location", "words"), [r[1:] for r in REDIRECTS], ids=[r[0] for r in REDIRECTS])
def test_every_redirect_is_checked_again(monkeypatch: pytest.MonkeyPatch, location: str, words: str) -> None:
    with serving(_answer(302, b"", location)) as base:
        monkeypatch.setattr(events.HTTP, "policy", HttpPolicy.from_environment(["127.0.0.0/8"]))
        result = run({"url": base + "/start", "request_timeout": 5})
    assert result.failed and words in result.message, result


def test_an_allowed_redirect_is_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    with serving(_answer(200, b"ready")) as target, serving(_answer(301, b"", target + "/ok")) as base:
        monkeypatch.setattr(events.HTTP, "policy", HttpPolicy.from_environment(["127.0.0.0/8"]))
        result = run({"url": base, "body": "^ready$"})
    assert result.done and result.outputs == {"status": "200", "body": "ready"}


SLOW = [
    # (case, what the server does): each holds the request for minutes without one overall deadline
    ("a body at 1 byte/s", "body"),
    ("headers at 1 byte/s", "headers"),
    ("no answer at all", "silent"),
]


@pytest.mark.parametrize("mode", [s[1] for s in SLOW], ids=[s[0] for s in SLOW])
def test_one_deadline_for_the_whole_request(loopback_allowed: None, mode: str) -> None:
    with _trickle(mode) as url:
        start = time.monotonic()
        result = run({"url": url, "request_timeout": 1})
        took = time.monotonic() - start
    assert not result.done and not result.failed and "no complete answer within 1 s" in result.message, result
    assert took < 2.5, took


def test_a_catastrophic_regex_is_answered_fast(loopback_allowed: None) -> None:
    """`(a+)+$` against 'aaa…b' backtracks for ages in Python's re; RE2 is linear."""
    with serving(_answer(200, b"a" * 100_000 + b"b")) as base:
        start = time.monotonic()
        result = run({"url": base, "body": "(a+)+$"})
        assert time.monotonic() - start < 2
    assert not result.done and "does not match" in result.message


@pytest.mark.parametrize("pattern", [r"(a)\1", r"foo(?=bar)", r"(?<!x)y", "("])
def test_a_pattern_re2_refuses_fails_the_node(pattern: str) -> None:
    with pytest.raises(events.EventInputError, match="not a valid regular expression"):
        run({"url": "http://example.invalid/", "body": pattern})


def test_a_pattern_re2_refuses_is_a_compile_error_at_its_line() -> None:
    import polyflow_argo
    from polyflow_argo.errors import PolyflowError

    text = (
        "version: 1\nkind: pipeline\nname: p\nops:\n"
        "  - name: wait\n"
        "    template: {event: http}\n"
        "    params:\n"
        "      url: https://example.com/ready\n"
        "      body: '(ready)\\s+\\1'\n"
    )
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(text)
    (diag,) = [d for d in info.value.diagnostics if d.code == "PF468"]
    assert diag.span is not None and diag.span.line == 9
    assert "invalid escape sequence" in diag.message and "RE2" in (diag.hint or "")


# --------------------------------------------------------------------------------------- servers


def _answer(status: int, body: bytes, location: str | None = None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _trickle:  # noqa: N801 - used as a context manager like `serving`
    """A raw server that answers one byte per second (the body, the headers) or not at all."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))

    def __enter__(self) -> str:
        threading.Thread(target=self._serve, daemon=True).start()
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/slow"

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.listener.close()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            headers = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
            drip: Callable[[], Iterator[bytes]] = {
                "body": lambda: iter([headers] + [b"x"] * 1000),
                "headers": lambda: iter(bytes([c]) for c in headers),
                "silent": lambda: iter([]),
            }[self.mode]
            for piece in drip():
                if self.stop.is_set():
                    return
                try:
                    conn.sendall(piece)
                except OSError:
                    return
                if piece is not headers:
                    self.stop.wait(1.0)
            self.stop.wait(10)
