"""Built-in event kinds the executor plugin waits for (docs/registry.md, "Events").

Each kind checks its condition once per call and says: done (outputs), failed (message), or wait.
The plugin calls again after ``poll`` seconds (Argo's ``requeue``) until ``timeout``. Nothing runs
a shell; network calls have their own timeouts; inputs are validated with clear messages.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable


class EventInputError(ValueError):
    """The event's parameters are invalid: the node fails with this message."""


@dataclass(frozen=True)
class Check:
    done: bool
    failed: bool = False
    message: str = ""
    outputs: dict[str, str] | None = None


def number(spec: dict[str, Any], key: str, default: float | None = None, low: float = 0, unit: str = "") -> float:
    value = spec.get(key, default)
    if value is None:
        raise EventInputError(f"`{key}` is required")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise EventInputError(f"`{key}` must be a number, got {value!r}") from None
    if result < low:
        raise EventInputError(f"`{key}` must be at least {low:g}{unit}, got {result:g}")
    return result


def _instant(text: Any, key: str) -> datetime:
    if not isinstance(text, str):
        raise EventInputError(f"`{key}` must be an ISO 8601 date-time string, got {text!r}")
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise EventInputError(f"`{key}` is not an ISO 8601 date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def check_time(spec: dict[str, Any], started: float, now: float) -> Check:
    """``until: ISO`` instant, or ``delay: seconds`` after the event started waiting."""
    if "until" in spec:
        target = _instant(spec["until"], "until").timestamp()
    elif "delay" in spec:
        target = started + number(spec, "delay", unit=" s")
    else:
        raise EventInputError("a time event needs `until` (an ISO date-time) or `delay` (seconds)")
    if now >= target:
        return Check(True, message="time reached", outputs={"time": _iso(now)})
    return Check(False, message=f"waiting until {_iso(target)}")


def check_http(spec: dict[str, Any], started: float, now: float) -> Check:
    """GET ``url`` until the status is ``status`` (default 200) and the body matches ``body``."""
    url = spec.get("url")
    if not isinstance(url, str) or not re.match(r"^https?://", url):
        raise EventInputError(f"`url` must be an http:// or https:// URL, got {url!r}")
    want = int(number(spec, "status", 200, low=100))
    pattern = spec.get("body")
    if pattern is not None and not isinstance(pattern, str):
        raise EventInputError("`body` must be a regular expression string")
    try:
        regex = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise EventInputError(f"`body` is not a valid regular expression: {exc}") from None
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "polyflow-argo-plugin"})
    try:
        with urllib.request.urlopen(request, timeout=number(spec, "request_timeout", 10, low=1)) as resp:
            status, body = resp.status, resp.read(1 << 20).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, body = exc.code, ""
    except (urllib.error.URLError, OSError) as exc:
        return Check(False, message=f"GET {url}: {getattr(exc, 'reason', exc)}")
    if status != want:
        return Check(False, message=f"GET {url}: status {status}, waiting for {want}")
    if regex is not None and not regex.search(body):
        return Check(False, message=f"GET {url}: status {status}, body does not match {pattern!r} yet")
    return Check(True, message=f"GET {url}: status {status}", outputs={"status": str(status), "body": body[:4096]})


KINDS: dict[str, Callable[[dict[str, Any], float, float], Check]] = {
    "time": check_time,
    "http": check_http,
}


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
