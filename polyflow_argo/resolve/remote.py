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

from ..files import write_atomic

LOCK_FILE = "polyflow.lock"
MAX_BYTES = 1 << 20
TIMEOUT = 10.0
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class FetchError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def check_url(url: str) -> None:
    parts = urlparse(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise FetchError(
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
        raise FetchError(f"GET {url} answered {exc.code} {exc.reason}", "check the URL") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(
            f"GET {url} failed: {getattr(exc, 'reason', exc)}", "check the URL and the network"
        ) from None
    if len(data) > MAX_BYTES:
        raise FetchError(
            f"template at {url} is over {MAX_BYTES} bytes", "a template file is small: check the URL"
        )
    return data


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "polyflow-argo" / "url"


def read_lock(root: Path) -> dict[str, str]:
    path = root / LOCK_FILE
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    urls = data.get("urls", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in urls.items()} if isinstance(urls, dict) else {}


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
        raise FetchError(
            f"the content of {url} changed: {got} is not the pinned {pin}",
            f"review the change, then run `polyflow-argo lock` to pin the new content ({LOCK_FILE})",
        )
    store(data)
    return data
