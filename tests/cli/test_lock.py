"""``polyflow-argo lock`` against a loopback server (issue 15): https enforced on every redirect,
one deadline for the whole fetch, and a changed pin shown as a diff and refused without --update."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from polyflow_argo import inputs
from polyflow_argo.errors import Problem
from tests.loopback import serving
from tests.support import REMOTE_TEMPLATE as TEMPLATE
from tests.support import cli

FILES: dict[str, str] = {}
DRIP_SECONDS = 3.0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", self.path.split("=", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/short":  # promises 100 bytes, sends 8 and closes
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"kind: jo")
            self.close_connection = True
        elif self.path == "/drip":  # headers at once, then a byte every 0.1 s: each read is quick
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            end = time.monotonic() + DRIP_SECONDS
            try:
                while time.monotonic() < end:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the client hung up: what the deadline is for
        else:
            data = FILES.get(self.path, "").encode()
            self.send_response(200 if self.path in FILES else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)


@pytest.fixture
def base() -> Iterator[str]:
    FILES.clear()
    FILES["/trainer.yaml"] = TEMPLATE
    with serving(Handler) as url:
        yield url


def pipeline(project: Path, url: str) -> Path:
    p = project / "p.yaml"
    p.write_text(f"version: 1\nkind: pipeline\nname: p\nops:\n  - name: a\n    template: {{url: '{url}'}}\n"
                 "    params: {lr: 0.1}\n")
    return p


def lock(project: Path, *args: str) -> object:
    return cli("lock", *args, env={"XDG_CACHE_HOME": str(project / "cache")})


@pytest.mark.parametrize("target", ["http://example.com/trainer.yaml", "file:///etc/passwd",
                                    "ftp://example.com/trainer.yaml"])
def test_a_redirect_off_https_is_refused_like_the_url_itself(
    project: Path, base: str, target: str
) -> None:
    p = pipeline(project, f"{base}/redirect?to={target}")
    res = lock(project, str(p))
    assert res.returncode == 1 and res.stdout == ""  # type: ignore[attr-defined]
    err = res.stderr  # type: ignore[attr-defined]
    if target.startswith("file:"):  # urllib itself refuses a redirect off http(s) before asking us
        assert "error PF327:" in err and f"Redirection to url '{target}' is not allowed" in err
    else:
        assert (f"p.yaml:6:21: error PF327: GET {base}/redirect?to={target} redirected: template URL "
                f"'{target}' must be https://") in err
    assert not (project / "polyflow.lock").exists()


def test_a_redirect_that_stays_allowed_is_followed(project: Path, base: str) -> None:
    p = pipeline(project, f"{base}/redirect?to={base}/trainer.yaml")
    res = lock(project, str(p))
    assert res.returncode == 0, res.stderr  # type: ignore[attr-defined]
    assert inputs.digest(TEMPLATE.encode()) in (project / "polyflow.lock").read_text()


def test_one_deadline_bounds_the_whole_fetch(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(Problem) as caught:
        inputs.fetch(f"{base}/drip")
    took = time.monotonic() - started
    assert "took longer than 1 s" in caught.value.message and took < 1.8, took


def test_changed_content_is_shown_as_a_diff_and_kept_until_update(project: Path, base: str) -> None:
    p = pipeline(project, f"{base}/trainer.yaml")
    assert lock(project, str(p)).returncode == 0  # type: ignore[attr-defined]
    pinned = (project / "polyflow.lock").read_text()
    FILES["/trainer.yaml"] = TEMPLATE.replace("busybox", "evil:latest")
    res = lock(project, str(p))
    assert res.returncode == 1  # type: ignore[attr-defined]
    err = res.stderr  # type: ignore[attr-defined]
    assert "-build: {image: busybox}\n+build: {image: evil:latest}\n" in err
    assert f"--- {base}/trainer.yaml (pinned)\n+++ {base}/trainer.yaml (now)\n" in err
    assert "error PF328: the content of" in err and "lock --update FILE" in err
    assert (project / "polyflow.lock").read_text() == pinned  # nothing re-pinned
    res = lock(project, "--update", str(p))
    assert res.returncode == 0, res.stderr  # type: ignore[attr-defined]
    assert f"lock: re-pinned {base}/trainer.yaml" in res.stderr  # type: ignore[attr-defined]
    new = inputs.digest(FILES["/trainer.yaml"].encode())
    assert new in (project / "polyflow.lock").read_text() and new not in pinned
    assert lock(project, str(p)).returncode == 0  # type: ignore[attr-defined]  # unchanged now


@pytest.mark.parametrize("url", ["https://[::1/x.yaml", "https://example.com:abc/x.yaml"])
def test_a_malformed_url_is_a_user_error(project: Path, url: str) -> None:
    res = lock(project, str(pipeline(project, url)))
    assert res.returncode == 1, res.stderr  # type: ignore[attr-defined]
    assert f"error PF327: template URL '{url}' is not a valid URL" in res.stderr  # type: ignore[attr-defined]


def test_a_body_cut_short_of_its_length_is_refused(base: str) -> None:
    with pytest.raises(Problem) as caught:
        inputs.fetch(f"{base}/short")
    assert caught.value.message == f"GET {base}/short was cut off: 8 of 100 bytes"


def test_a_url_used_by_two_ops_is_fetched_and_judged_once(project: Path, base: str) -> None:
    p = project / "p.yaml"
    url = f"{base}/trainer.yaml"
    p.write_text(f"version: 1\nkind: pipeline\nname: p\nops:\n"
                 f"  - {{name: a, template: {{url: '{url}'}}, params: {{lr: 0.1}}}}\n"
                 f"  - {{name: b, template: {{url: '{url}'}}, params: {{lr: 0.2}}}}\n")
    assert lock(project, str(p)).returncode == 0  # type: ignore[attr-defined]
    FILES["/trainer.yaml"] = TEMPLATE.replace("busybox", "evil:latest")
    err = lock(project, str(p)).stderr  # type: ignore[attr-defined]
    assert err.count("error PF328") == 1 and err.count("+build: {image: evil:latest}") == 1, err


def test_an_unreadable_cache_entry_is_a_cache_miss(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(project / "cache"))
    pin = inputs.store(TEMPLATE.encode())
    assert inputs.cached_content(pin) == TEMPLATE.encode()
    cached = next((project / "cache").rglob("*.yaml"))
    cached.unlink()
    cached.mkdir()  # reading it raises IsADirectoryError
    assert inputs.cached_content(pin) is None
