"""Built-in event kinds the executor plugin waits for (docs/registry.md, "Events"; docs/plugin.md).

The kinds, their inputs, defaults, body keys and outputs are the contract ``EVENTS`` of
registry/events.py: ``KINDS`` has a check for each kind it runs in the plugin, the server fills in
its defaults (``with_defaults``), and every success reports its outputs (``contract_outputs``).

Each kind checks its condition once per call and says: done (outputs), failed (message), or wait.
The plugin calls again after ``poll`` seconds (Argo's ``requeue``) until ``timeout``. Nothing runs
a shell; network calls have their own timeouts; inputs are validated with clear messages.

- ``time``, ``http``: the standard library (and RE2 for the http event's ``body``). http events
  follow the SSRF policy ``HTTP.policy`` (``HttpPolicy``) on every connection and redirect, within
  one deadline for the whole request.
- ``s3``: an object in S3-compatible storage, through ``minio`` (the optional extra ``s3``, imported
  only when an s3 event is checked); credentials from the sidecar's AWS_* environment variables.
- ``k8s``, ``pipeline``: a Kubernetes resource's condition or field, another pipeline's Argo
  Workflow run, through the ``kubernetes`` client. ``KUBE.factory`` makes the ``ApiClient``: in the
  sidecar the in-cluster configuration (the token Argo mounts when the plugin ConfigMap sets
  ``sidecar.automountServiceAccountToken: "true"``); tests point it at a loopback API server.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any

from ..registry.events import EVENTS, compile_regex, plugin_kinds


class EventInputError(ValueError):
    """The event's parameters are invalid: the node fails with this message."""


@dataclass(frozen=True)
class Check:
    done: bool
    failed: bool = False
    message: str = ""
    outputs: dict[str, str] | None = None


def with_defaults(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with the contract's default for every body key it lacks (registry/events.py)."""
    return {**EVENTS[kind].defaults, **spec}


def contract_outputs(kind: str, **values: str) -> dict[str, str]:
    """A success's outputs: exactly the contract's output names for ``kind``."""
    if set(values) != set(EVENTS[kind].output_names):
        raise AssertionError(f"{kind} outputs {sorted(values)} differ from the contract's "
                             f"{list(EVENTS[kind].output_names)}")
    return values


def number(
    spec: dict[str, Any], key: str, default: float | None = None, low: float = 0, unit: str = ""
) -> float:
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
        return Check(True, message="time reached", outputs=contract_outputs("time", time=_iso(now)))
    return Check(False, message=f"waiting until {_iso(target)}")


# ------------------------------------------------------------------------------------------ http

_METADATA = ("fd00:ec2::254/128", "100.100.100.200/32")  # AWS IPv6 IMDS, Alibaba Cloud metadata
_API_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc")
MAX_REDIRECTS = 5
MAX_BODY = 1 << 20
_REDIRECTS = (301, 302, 303, 307, 308)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """The http event may not call this address or URL (the SSRF policy): the node fails."""


class _Deadline(Exception):
    """The whole request (every redirect, the body) did not finish within ``request_timeout``."""


def allow_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``--http-allow`` entries (an address or a CIDR network); raises ValueError on a bad one."""
    networks = []
    for entry in entries:
        for part in (p.strip() for p in entry.split(",")):
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or CIDR network (e.g. 10.0.0.0/8, ::1)") \
                    from None
    return tuple(networks)


@dataclass(frozen=True)
class HttpPolicy:
    """Where http events may connect (docs/plugin.md, "What http events may call").

    Refused unless in ``allow``: loopback, link-local (169.254.0.0/16 and fe80::/10, where clouds
    serve instance metadata and credentials), the other metadata addresses in ``_METADATA``,
    unspecified and multicast addresses, and the cluster's API service (``api``: the address in
    KUBERNETES_SERVICE_HOST; the names ``kubernetes.default.svc`` and the like are refused always).
    Every address a name resolves to is checked when connecting, on every redirect too.
    """

    allow: tuple[IPNetwork, ...] = ()
    api: tuple[IPAddress, ...] = ()

    @classmethod
    def from_environment(cls, allow: Iterable[str] = ()) -> HttpPolicy:
        api: list[IPAddress] = []
        with contextlib.suppress(ValueError):
            api.append(ipaddress.ip_address(os.environ.get("KUBERNETES_SERVICE_HOST", "").strip("[]")))
        return cls(allow_networks(allow), tuple(api))

    def refusal(self, address: IPAddress, host: str) -> str | None:
        """Why ``address`` (which ``host`` resolved to) is refused, or None."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.allow if net.version == address.version):
            return None
        what = None
        if address.is_loopback:
            what = "a loopback address"
        elif address.is_link_local or any(address in ipaddress.ip_network(n) for n in _METADATA
                                          if ipaddress.ip_network(n).version == address.version):
            what = "a link-local or cloud metadata address"
        elif address.is_unspecified or address.is_multicast:
            what = "an unspecified or multicast address"
        elif address in self.api:
            what = "the cluster's API service"
        if what is None:
            return None
        return (f"{host} ({address}) is {what}, which http events may not call; allow it with the "
                "plugin's --http-allow (chart value plugin.httpAllow), docs/plugin.md")


def _is_api_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name in _API_NAMES or name.startswith("kubernetes.default.svc.")


class HttpAccess:
    """The http event's policy; ``serve`` sets it from ``--http-allow`` (tests replace it)."""

    def __init__(self) -> None:
        self.policy = HttpPolicy.from_environment()
        self._dns = ThreadPoolExecutor(8, thread_name_prefix="polyflow-dns")

    def resolve(self, host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
        """getaddrinfo within ``timeout`` (it cannot be interrupted, so it runs in a small pool)."""
        future = self._dns.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        try:
            return future.result(timeout=max(timeout, 0.001))
        except FutureTimeout:
            raise _Deadline() from None


HTTP = HttpAccess()


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    """A socket to the first address of ``host`` the policy allows (the check is on the address
    actually connected to, so a name that re-resolves elsewhere cannot slip through)."""
    if _is_api_name(host):
        raise Refused(f"{host} is the cluster's API service, which http events may not call; to allow it, "
                      "call its address (KUBERNETES_SERVICE_HOST) and list it in the plugin's --http-allow")
    refused: list[str] = []
    error: OSError | None = None
    for family, kind, proto, _, address in HTTP.resolve(host, port, deadline - time.monotonic()):
        why = HTTP.policy.refusal(ipaddress.ip_address(address[0].split("%")[0]), host)
        if why is not None:
            refused.append(why)
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Deadline()
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    if error is not None:
        raise error
    if refused:
        raise Refused(refused[0])
    raise OSError(f"{host} has no address")


def _connect_hook(host: str, port: int, deadline: float, *_args: Any) -> socket.socket:
    return _connect(host, port, deadline)


def _abort(conn: http.client.HTTPConnection) -> None:
    """The deadline passed: unblock the reading thread (shutdown of the socket, not of TLS)."""
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def http_get(url: str, timeout: float, want: int) -> tuple[int, str]:
    """GET ``url`` following redirects, all within ``timeout`` seconds: (final status, body when the
    status is ``want``, else ""). Raises Refused, _Deadline or OSError."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Refused(f"{url!r} is not an http:// or https:// URL (only these are followed)")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise Refused(f"{url!r} has an invalid port") from None
        host = parts.hostname
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=_tls())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        # every connection goes through the policy (http.client's hook for making the socket)
        conn._create_connection = functools.partial(  # type: ignore[attr-defined]
            _connect_hook, host, port, deadline)
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, (conn,))
        timer.daemon = True
        timer.start()
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", target, headers={"User-Agent": "polyflow-argo-plugin", "Accept": "*/*"})
            resp = conn.getresponse()
            location = resp.getheader("Location")
            if resp.status in _REDIRECTS and location:
                url = urllib.parse.urljoin(url, location)
                continue
            body = resp.read(MAX_BODY) if resp.status == want else b""
            if time.monotonic() >= deadline:
                raise _Deadline()
            return resp.status, body.decode("utf-8", "replace")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if time.monotonic() >= deadline:
                raise _Deadline() from None
            if isinstance(exc, OSError):
                raise
            raise OSError(f"{type(exc).__name__}: {exc}") from None
        finally:
            timer.cancel()
            conn.close()
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)


def check_http(spec: dict[str, Any], started: float, now: float) -> Check:
    """GET ``url`` until the status is ``status`` and the body matches ``body`` (an RE2 pattern);
    the SSRF policy (``HTTP.policy``) refuses some addresses, which fails the node."""
    url = spec.get("url")
    if not isinstance(url, str) or not re.match(r"^https?://[^/?#]", url):
        raise EventInputError(f"`url` must be an http:// or https:// URL, got {url!r}")
    want = int(number(spec, "status", low=100))
    pattern = spec.get("body")
    if pattern is not None and not isinstance(pattern, str):
        raise EventInputError("`body` must be a regular expression string")
    try:
        regex = compile_regex(pattern) if pattern else None
    except ValueError as exc:
        raise EventInputError(f"`body` is not a valid regular expression (RE2 syntax): {exc}") from None
    timeout = number(spec, "request_timeout", low=1, unit=" s")
    try:
        status, body = http_get(url, timeout, want)
    except Refused as exc:
        return Check(False, failed=True, message=f"GET {url}: refused: {exc}")
    except _Deadline:
        return Check(False, message=f"GET {url}: no complete answer within {timeout:g} s (request_timeout)")
    except OSError as exc:
        return Check(False, message=f"GET {url}: {exc}")
    if status != want:
        return Check(False, message=f"GET {url}: status {status}, waiting for {want}")
    if regex is not None and not regex.search(body):
        return Check(False, message=f"GET {url}: status {status}, body does not match {pattern!r} yet")
    return Check(True, message=f"GET {url}: status {status}",
                 outputs=contract_outputs("http", status=str(status), body=body[:4096]))


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(spec: dict[str, Any], key: str, required: bool = False) -> str | None:
    """A string param; "" counts as not given (an Argo parameter of an unset value is "")."""
    value = spec.get(key)
    if value is None or value == "":
        if required:
            raise EventInputError(f"`{key}` is required")
        return None
    if not isinstance(value, str):
        raise EventInputError(f"`{key}` must be a string, got {value!r}")
    return value.strip()


def flag(spec: dict[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    if text == "":
        return default
    raise EventInputError(f"`{key}` must be true or false, got {value!r}")


# ------------------------------------------------------------------------------------------ s3

S3_EXTRA = "pip install 'polyflow-argo[s3]'"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?\Z")


def s3_location(spec: dict[str, Any]) -> tuple[str, str]:
    """``url: s3://bucket/key``, or ``bucket`` and ``key``."""
    url, bucket, key = _text(spec, "url"), _text(spec, "bucket"), spec.get("key")
    if url is not None and (bucket is not None or key not in (None, "")):
        raise EventInputError("give either `url` (s3://bucket/key) or `bucket` and `key`, not both")
    if url is not None:
        match = re.match(r"^s3://([^/]+)/(.+)\Z", url)
        if not match:
            raise EventInputError(f"`url` must look like s3://bucket/key, got {url!r}")
        bucket, key = match.group(1), match.group(2)
    elif bucket is None or key in (None, ""):
        raise EventInputError("an s3 event needs `url` (s3://bucket/key) or both `bucket` and `key`")
    if not isinstance(key, str):
        raise EventInputError(f"`key` must be a string, got {key!r}")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise EventInputError(
            f"{bucket!r} is not a valid bucket name (3-63 lowercase letters, digits, '.', '-')"
        )
    if len(key.encode()) > 1024 or "\x00" in key:
        raise EventInputError("the object key must be at most 1024 bytes, without NUL characters")
    return bucket, key


def s3_endpoint(spec: dict[str, Any]) -> tuple[str, bool]:
    """``endpoint`` (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL): ``http(s)://host[:port]`` or
    ``host[:port]`` (https); default AWS S3. Returns (host[:port], secure)."""
    given = _text(spec, "endpoint")
    value = (
        given
        or os.environ.get("AWS_ENDPOINT_URL_S3")
        or os.environ.get("AWS_ENDPOINT_URL")
        or "s3.amazonaws.com"
    )
    where = "`endpoint`" if given else "the endpoint from AWS_ENDPOINT_URL[_S3]"
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "https", value
    rest = rest.rstrip("/")
    if scheme not in ("http", "https") or not _HOST.match(rest):
        raise EventInputError(
            f"{where} must be http(s)://host[:port] or host[:port] without a path, got {value!r}"
        )
    return rest, scheme == "https"


def check_s3(spec: dict[str, Any], started: float, now: float) -> Check:
    """The object exists (and has at least ``min_size`` bytes): outputs size, etag, last_modified."""
    bucket, key = s3_location(spec)
    host, secure = s3_endpoint(spec)
    min_size = int(number(spec, "min_size"))
    request_timeout = number(spec, "request_timeout", low=1, unit=" s")
    region = (
        _text(spec, "region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    )
    access, secret = (
        os.environ.get("AWS_ACCESS_KEY_ID") or None,
        os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
    )
    if bool(access) != bool(secret):
        return Check(
            False,
            failed=True,
            message="s3 event: the sidecar has only one of AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY: set both (a Secret with `plugin manifest --s3-secret NAME`) or neither",
        )
    try:
        import urllib3
        from minio import Minio
        from minio.error import MinioException, S3Error
    except ImportError:
        return Check(
            False, failed=True, message=f"s3 event: the plugin image lacks the `minio` package: {S3_EXTRA}"
        )
    where = f"s3://{bucket}/{key}"
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=request_timeout, read=request_timeout),
        cert_reqs="CERT_REQUIRED", ca_certs=os.environ.get("SSL_CERT_FILE") or _certifi(),
        retries=urllib3.Retry(total=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]))
    try:
        client = Minio(host, access_key=access, secret_key=secret,
                       session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
                       secure=secure, region=region, http_client=http)
        stat = client.stat_object(bucket, key)
    except ValueError as exc:  # minio's own argument checks
        raise EventInputError(str(exc)) from None
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject", "ResourceNotFound"):
            return Check(False, message=f"{where} does not exist yet ({exc.code})")
        if exc.code == "AccessDenied":
            who = (
                "the sidecar's AWS_ACCESS_KEY_ID" if access else "an anonymous request (no AWS_ACCESS_KEY_ID)"
            )
            return Check(False, message=f"{where}: access denied to {who}; without s3:ListBucket a missing "
                                        "object is denied too")
        return Check(False, message=f"{where}: {exc.code}: {exc.message}")
    except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
        return Check(False, message=f"{where} on {host}: {type(exc).__name__}: {exc}")
    finally:
        http.clear()
    size = int(stat.size or 0)
    if size < min_size:
        return Check(False, message=f"{where} has {size} bytes, waiting for at least {min_size}")
    modified = (
        stat.last_modified.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if stat.last_modified
        else ""
    )
    return Check(True, message=f"{where} exists ({size} bytes)",
                 outputs=contract_outputs("s3", size=str(size), etag=(stat.etag or "").strip('"'),
                                          last_modified=modified))


def _certifi() -> str | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - minio depends on it
        return None
    return str(certifi.where())


# ------------------------------------------------------------------------------ kubernetes access

SERVICE_ACCOUNT = "polyflow-executor-plugin"
KUBE_HINT = (
    "the plugin sidecar has no Kubernetes credentials: install the plugin with `polyflow-argo plugin "
    'manifest --kube-events` (sidecar.automountServiceAccountToken: "true") and give the service '
    f"account {SERVICE_ACCOUNT} in the workflow's namespace a token Secret and RBAC (docs/plugin.md)"
)


class KubeUnavailable(Exception):
    """No Kubernetes client can be made (no in-cluster credentials): the node fails."""


def incluster_client() -> Any:
    """An ``ApiClient`` from the in-cluster configuration (made once, the token re-read as it rotates)."""
    with _LOCK:
        if "client" not in _CACHE:
            from kubernetes import client, config
            from kubernetes.config.config_exception import ConfigException

            configuration = client.Configuration()
            try:
                config.load_incluster_config(client_configuration=configuration)
            except ConfigException as exc:
                raise KubeUnavailable(f"{KUBE_HINT} ({exc})") from None
            _CACHE["client"] = client.ApiClient(configuration)
        return _CACHE["client"]


_LOCK = threading.Lock()
_CACHE: dict[str, Any] = {}


class KubeAccess:
    """How the k8s and pipeline events get their ``kubernetes.client.ApiClient`` (tests swap ``factory``)."""

    def __init__(self, factory: Callable[[], Any] = incluster_client) -> None:
        self.factory = factory

    def get(self, path: str, query: list[tuple[str, str]] | None, timeout: float) -> tuple[int, Any]:
        """GET ``path`` of the API server: (status, decoded JSON body or None). Raises KubeUnavailable."""
        api = self.factory()
        method, url, headers, _, _ = api.param_serialize(
            "GET", path, query_params=query or [], header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"])
        response = api.call_api(method, url, header_params=headers, _request_timeout=(timeout, timeout))
        data = response.read()
        try:
            body = json.loads(data) if data else None
        except ValueError:
            body = None
        return response.status, body


KUBE = KubeAccess()
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._:-]{0,251}[A-Za-z0-9])?\Z")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?\Z")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}\Z")
_CONDITION = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_./-]*)=([A-Za-z]+)\Z")


def _name(
    spec: dict[str, Any], key: str, pattern: re.Pattern[str], what: str, required: bool = True
) -> str | None:
    value = _text(spec, key, required)
    if value is not None and not pattern.match(value):
        raise EventInputError(f"`{key}` is not a valid {what}: {value!r}")
    return value


def _namespace(spec: dict[str, Any]) -> str:
    value = _text(spec, "namespace")
    if value is None:
        raise EventInputError("`namespace` is required (a compiled op passes the workflow's namespace)")
    if not _NAMESPACE.match(value):
        raise EventInputError(f"`namespace` is not a valid namespace name: {value!r}")
    return value


def _kube_error(status: int, body: Any, what: str) -> str:
    message = body.get("message") if isinstance(body, dict) else None
    return f"{what}: HTTP {status}" + (f": {message}" if message else "")


def _kube_call(
    path: str, query: list[tuple[str, str]] | None, timeout: float, what: str
) -> tuple[int, Any, Check | None]:
    """GET with the errors every Kubernetes event shares: no credentials and RBAC fail the node; a
    network error or a 5xx/429 waits. Returns (status, body, None) or (.., .., the Check to return)."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    try:
        status, body = KUBE.get(path, query, timeout)
    except KubeUnavailable as exc:
        return 0, None, Check(False, failed=True, message=str(exc))
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
        return (
            0,
            None,
            Check(False, message=f"{what}: {type(exc).__name__}: {getattr(exc, 'reason', None) or exc}"),
        )
    if status in (401, 403):
        hint = (f"; grant the plugin's service account ({SERVICE_ACCOUNT} in the workflow's namespace) "
                "the RBAC in docs/plugin.md") if status == 403 else ""
        return status, body, Check(False, failed=True, message=_kube_error(status, body, what) + hint)
    if status == 429 or status >= 500:
        return status, body, Check(False, message=_kube_error(status, body, what))
    return status, body, None


def _kube_object(path: str, timeout: float, what: str) -> tuple[dict[str, Any], Check | None]:
    """GET one object: ({}, the Check to return) while it does not exist or cannot be read."""
    status, obj, stop = _kube_call(path, None, timeout, what)
    if stop is not None:
        return {}, stop
    if status == 404:
        return {}, Check(False, message=f"{what} does not exist yet")
    if status != 200 or not isinstance(obj, dict):
        return {}, Check(False, message=_kube_error(status, obj, what))
    return obj, None


# ------------------------------------------------------------------------------ k8s condition

_SEGMENT = re.compile(r"""\.?([A-Za-z0-9_$-]+)|\[(\d+)\]|\[(?:'([^']*)'|"([^"]*)")\]""")


def field_path(text: str) -> list[str | int]:
    """``status.phase``, ``.status.containerStatuses[0].ready``,
    ``metadata.labels['app.kubernetes.io/name']``, or kubectl's ``{.status.phase}``: keys, ``[N]`` list
    indexes and quoted ``['key']`` only (no filters, no wildcards, no expressions)."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    parts: list[str | int] = []
    pos = 0
    while pos < len(body):
        match = _SEGMENT.match(body, pos)
        if not match or (match.group(1) is not None and pos > 0 and body[pos] != "."):
            raise EventInputError(f"`jsonpath` {text!r} is not a field path: use keys, [N] and ['key'] "
                                  "(e.g. status.phase, metadata.labels['app'], status.conditions[0].type)")
        key, index, quoted1, quoted2 = match.groups()
        parts.append(
            int(index)
            if index is not None
            else (key if key is not None else (quoted1 if quoted1 is not None else quoted2))
        )
        pos = match.end()
    if not parts:
        raise EventInputError("`jsonpath` is empty")
    return parts


def _lookup(obj: Any, path: list[str | int]) -> tuple[bool, Any]:
    for part in path:
        if isinstance(part, int) and isinstance(obj, list) and part < len(obj):  # noqa: SIM114 - typed apart
            obj = obj[part]
        elif isinstance(part, str) and isinstance(obj, dict) and part in obj:
            obj = obj[part]
        else:
            return False, None
    return obj is not None, obj


def render_value(value: Any) -> str:
    """How a field's value compares with ``equals``: strings as they are, others as JSON (true, 3)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)


def _condition(spec: dict[str, Any], key: str) -> tuple[str, str] | None:
    text = _text(spec, key)
    if text is None:
        return None
    match = _CONDITION.match(text)
    if not match:
        raise EventInputError(f"`{key}` must be Type=Status (e.g. Ready=True, Complete=True), got {text!r}")
    return match.group(1), match.group(2)


def _find_condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    conditions = (obj.get("status") or {}).get("conditions") if isinstance(obj.get("status"), dict) else None
    for entry in conditions if isinstance(conditions, list) else []:
        if isinstance(entry, dict) and entry.get("type") == kind:
            return entry
    return None


def _resource_path(
    api_version: str, kind: str, timeout: float, what: str
) -> tuple[str | None, bool, Check | None]:
    """Discovery: the resource's URL prefix and whether it is namespaced (or the Check to return)."""
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    status, body, stop = _kube_call(base, None, timeout, f"{what}: discovery of {api_version}")
    if stop is not None:
        return None, False, stop
    if status == 404:
        raise EventInputError(f"`api_version` {api_version!r} is not served by this cluster")
    if status != 200 or not isinstance(body, dict):
        return (
            None,
            False,
            Check(False, message=_kube_error(status, body, f"{what}: discovery of {api_version}")),
        )
    for resource in body.get("resources") or []:
        if (
            isinstance(resource, dict)
            and resource.get("kind") == kind
            and "/" not in str(resource.get("name", ""))
        ):
            return (
                f"{base}/{{ns}}{urllib.parse.quote(str(resource['name']))}",
                bool(resource.get("namespaced")),
                None,
            )
    raise EventInputError(f"kind {kind!r} is not a resource of {api_version} in this cluster")


def check_k8s(spec: dict[str, Any], started: float, now: float) -> Check:
    """A resource (``api_version``, ``resource_kind`` — the op's ``kind`` param —, ``name``, ``namespace``)
    meets ``condition`` (Type=Status in status.conditions) and/or ``jsonpath`` (+ ``equals``);
    ``failure_condition`` fails the node."""
    api_version = _name(spec, "api_version", _API_VERSION, "apiVersion (v1, apps/v1, batch/v1, ...)",
                        required=False) or EVENTS["k8s"].defaults["api_version"]
    if _text(spec, "resource_kind") is None:
        raise EventInputError("`kind` (the resource's kind: Pod, Job, Deployment, ...) is required")
    kind = _name(spec, "resource_kind", _KIND, "kind (Pod, Job, Deployment, ...)")
    name = _name(spec, "name", _NAME, "resource name")
    namespace = _namespace(spec)
    condition, failure = _condition(spec, "condition"), _condition(spec, "failure_condition")
    jsonpath, equals = _text(spec, "jsonpath"), spec.get("equals")
    path = field_path(jsonpath) if jsonpath is not None else None
    if equals is not None and not isinstance(equals, (str, int, float, bool)):
        raise EventInputError(f"`equals` must be a string, got {equals!r}")
    if equals is not None and path is None:
        raise EventInputError("`equals` needs `jsonpath` (the field to compare)")
    if condition is None and path is None:
        raise EventInputError("a k8s event needs `condition` (Type=Status) or `jsonpath` (with `equals`)")
    timeout = number(spec, "request_timeout", low=1, unit=" s")
    assert kind is not None and name is not None
    what = f"{kind} {namespace}/{name}"
    prefix, namespaced, stop = _resource_path(api_version, kind, timeout, what)
    if stop is not None:
        return stop
    assert prefix is not None
    if not namespaced:
        what = f"{kind} {name}"
    url = prefix.replace("{ns}", f"namespaces/{urllib.parse.quote(namespace)}/" if namespaced else "")
    obj, stop = _kube_object(f"{url}/{urllib.parse.quote(name)}", timeout, what)
    if stop is not None:
        return stop
    return _k8s_state(obj, what, condition, failure, jsonpath, path, equals)


def _k8s_state(obj: dict[str, Any], what: str, condition: tuple[str, str] | None,
               failure: tuple[str, str] | None, jsonpath: str | None, path: list[str | int] | None,
               equals: Any) -> Check:
    """Whether the object read meets the event's condition and/or jsonpath, or has failed."""
    if failure is not None:
        entry = _find_condition(obj, failure[0])
        if entry is not None and str(entry.get("status")) == failure[1]:
            detail = ": ".join(str(entry[k]) for k in ("reason", "message") if entry.get(k))
            return Check(
                False,
                failed=True,
                message=f"{what} has {failure[0]}={failure[1]} (failure_condition)"
                + (f": {detail}" if detail else ""),
            )
    waiting: list[str] = []
    value, message = "", ""
    if condition is not None:
        entry = _find_condition(obj, condition[0])
        have = None if entry is None else str(entry.get("status"))
        value, message = have or "", str((entry or {}).get("message") or "")
        if have != condition[1]:
            waiting.append(f"condition {condition[0]} is {have or 'absent'}, waiting for {condition[1]}")
    if path is not None:
        found, raw = _lookup(obj, path)
        value = render_value(raw) if found else ""
        if not found:
            waiting.append(f"{jsonpath} is not set")
        elif equals is not None and value != render_value(equals):
            waiting.append(f"{jsonpath} is {_short(value)}, waiting for {_short(render_value(equals))}")
    if waiting:
        return Check(False, message=f"{what}: " + "; ".join(waiting))
    return Check(
        True, message=f"{what}: condition met",
        outputs=contract_outputs("k8s", value=value[:4096], message=message[:4096]),
    )


def _short(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# ---------------------------------------------------------------------------- pipeline run

FINAL_PHASES = ("Succeeded", "Failed", "Error")
WORKFLOWS = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/workflows"


def _created(obj: dict[str, Any]) -> float:
    text = (obj.get("metadata") or {}).get("creationTimestamp")
    try:
        return _instant(text, "creationTimestamp").timestamp()
    except EventInputError:
        return 0.0


def check_pipeline(spec: dict[str, Any], started: float, now: float) -> Check:
    """An Argo Workflow (``name``, or the latest run of ``pipeline`` created since the event started)
    reaches Succeeded, Failed or Error; ``succeeded_only`` (true) fails the node when the run failed."""
    name = _name(spec, "name", _NAME, "workflow name", required=False)
    pipeline = _text(spec, "pipeline")
    if (name is None) == (pipeline is None):
        raise EventInputError("a pipeline event needs exactly one of `name` (a Workflow) or `pipeline` "
                              "(the latest run of that pipeline)")
    namespace = _namespace(spec)
    succeeded_only = flag(spec, "succeeded_only", EVENTS["pipeline"].defaults["succeeded_only"])
    timeout = number(spec, "request_timeout", low=1, unit=" s")
    base = WORKFLOWS.format(ns=urllib.parse.quote(namespace))
    if name is not None:
        what = f"workflow {namespace}/{name}"
        run, stop = _kube_object(f"{base}/{urllib.parse.quote(name)}", timeout, what)
        if stop is not None:
            return stop
    else:
        from ..translate.names import label_value

        assert pipeline is not None
        label = label_value(pipeline)
        what = f"pipeline {pipeline!r} in {namespace}"
        since = float(int(started))  # creationTimestamp has whole seconds
        runs: list[dict[str, Any]] = []
        query = [("labelSelector", f"polyflow.io/pipeline={label}"), ("limit", "500")]
        for _ in range(20):
            status, page, stop = _kube_call(base, query, timeout, what)
            if stop is not None:
                return stop
            if status != 200 or not isinstance(page, dict):
                return Check(False, message=_kube_error(status, page, what))
            runs += [r for r in page.get("items") or [] if isinstance(r, dict) and _created(r) >= since]
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                break
            query = query[:2] + [("continue", token)]
        if not runs:
            return Check(False, message=f"no run of {what} created since {_iso(since)} yet")
        run = max(runs, key=lambda r: (_created(r), str((r.get("metadata") or {}).get("name"))))
    run_name = str((run.get("metadata") or {}).get("name", ""))
    run_status = run.get("status")
    state: dict[str, Any] = run_status if isinstance(run_status, dict) else {}
    phase = str(state.get("phase") or "")
    if phase not in FINAL_PHASES:
        return Check(False, message=f"{what}: run {run_name} is {phase or 'not started yet'}")
    outputs = contract_outputs("pipeline", name=run_name, phase=phase,
                               finished_at=str(state.get("finishedAt") or ""))
    detail = f": {state['message']}" if state.get("message") else ""
    if phase != "Succeeded" and succeeded_only:
        return Check(False, failed=True, message=f"{what}: run {run_name} ended {phase}{detail}")
    return Check(True, message=f"{what}: run {run_name} ended {phase}{detail}", outputs=outputs)


CHECKS: dict[str, Callable[[dict[str, Any], float, float], Check]] = {
    "time": check_time,
    "http": check_http,
    "s3": check_s3,
    "k8s": check_k8s,
    "pipeline": check_pipeline,
}
# One check per kind the contract (registry/events.py) says runs in the plugin: a kind there without
# a check here fails at import, so the plugin can never start without one.
KINDS: dict[str, Callable[[dict[str, Any], float, float], Check]] = {k: CHECKS[k] for k in plugin_kinds()}
