"""``template: {url: ...}``: fetched once, pinned by content hash, cached (docs/registry.md).

- Only ``https://`` (``http://`` for localhost, for development), a 10 s timeout, at most 1 MiB.
- ``polyflow.lock`` in the project root maps each URL to the sha256 of its content;
  ``polyflow-argo lock FILE...`` writes it. Compile refuses a URL that is not pinned, or whose
  content no longer matches its pin, so a build is reproducible.
- Content is cached by hash under ``$XDG_CACHE_HOME/polyflow-argo/url`` (``~/.cache``): a pinned
  URL compiles offline.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import yaml

from ..errors import Diagnostic, Problem, SourceError
from ..files import write_atomic
from ..source import read

LOCK_FILE = "polyflow.lock"
MAX_BYTES = 1 << 20
TIMEOUT = 10.0
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def check_url(url: str) -> None:
    parts = urlparse(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise Problem(
        f"template URL {url!r} must be https:// (http:// only for localhost)", "use an https:// URL"
    )


def fetch(url: str) -> bytes:
    check_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": "polyflow-argo"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
            data: bytes = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise Problem(f"GET {url} answered {exc.code} {exc.reason}", "check the URL") from None
    except (urllib.error.URLError, OSError) as exc:
        raise Problem(
            f"GET {url} failed: {getattr(exc, 'reason', exc)}", "check the URL and the network"
        ) from None
    if len(data) > MAX_BYTES:
        raise Problem(
            f"template at {url} is over {MAX_BYTES} bytes", "a template file is small: check the URL"
        )
    return data


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "polyflow-argo" / "url"


def read_lock(root: Path) -> dict[str, str]:
    """The pins of ``polyflow.lock`` in ``root`` ({} when there is none). The lock is read like any
    input (bounded, regular file); one that is not ``urls: {URL: sha256:...}`` is a SourceError at
    its line (PF114), not a crash."""
    path = root / LOCK_FILE
    if not os.path.lexists(path):
        return {}
    try:
        doc = read(path)
    except SourceError as exc:
        if [d.code for d in exc.diagnostics] == ["PF104"]:
            return {}  # an empty lock pins nothing
        raise
    hint = f"`polyflow-argo lock FILE` writes it; or delete {LOCK_FILE} and run it again"
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("urls", {}), dict):
        where = ("urls",) if isinstance(data, dict) else ()
        raise SourceError(Diagnostic("PF114", f"{LOCK_FILE} must be a mapping `urls: {{URL: sha256:...}}`",
                                     doc.span(where), hint))
    pins: dict[str, str] = {}
    bad: list[Diagnostic] = []
    for url, pin in data.get("urls", {}).items():
        if isinstance(pin, str) and pin.startswith("sha256:"):
            pins[url] = pin
        else:
            bad.append(Diagnostic("PF114", f"the pin of {url} in {LOCK_FILE} is not a sha256: hash",
                                  doc.span(("urls", url)), hint))
    if bad:
        raise SourceError(bad)
    return pins


def write_lock(root: Path, pins: dict[str, str]) -> Path:
    text = "# polyflow-argo lock: content hashes of url templates (`polyflow-argo lock` writes it)\n"
    text += yaml.safe_dump({"urls": dict(sorted(pins.items()))}, sort_keys=False)
    path = root / LOCK_FILE
    write_atomic(path, text)
    return path


def _cached(pin: str) -> Path:
    return cache_dir() / (pin.replace(":", "-") + ".yaml")


def store(data: bytes) -> str:
    """Cache ``data`` under its hash (best effort: a cache is an optimisation); return the pin."""
    pin = digest(data)
    try:
        _cached(pin).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_cached(pin), data.decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        pass
    return pin


def pinned_content(url: str, pin: str) -> bytes:
    """The content of a pinned URL: from the cache, else fetched and checked against the pin."""
    cached = _cached(pin)
    if cached.is_file():
        data = cached.read_bytes()
        if digest(data) == pin:
            return data
    data = fetch(url)
    got = digest(data)
    if got != pin:
        raise Problem(
            f"the content of {url} changed: {got} is not the pinned {pin}",
            f"review the change, then run `polyflow-argo lock` to pin the new content ({LOCK_FILE})",
        )
    store(data)
    return data
