"""Failed calls to the cluster → :class:`~polyflow_argo.errors.ClusterError` diagnostics (codes PF6xx).

Both transports (the Kubernetes API, Argo Server) describe a failed call as a :class:`Failure`: the
HTTP status and the server's own words (a Kubernetes ``Status`` or Argo Server's ``{"code",
"message"}``), or the network error when no answer came. :func:`to_error` turns it into a diagnostic
that says what failed and how to fix it. The table is in docs/cluster.md ("When something fails").

Transient failures (the connection dropped or was refused, 429, 500, 502, 503, 504) are retried by
``client.ClusterClient`` with a bounded backoff before they are reported (PF612).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ClusterError, Diagnostic

CHART_HINT = "docs/chart.md"
ARGO_INSTALL = (
    "install Argo Workflows: kubectl create namespace argo && kubectl apply -n argo --server-side -f "
    "https://github.com/argoproj/argo-workflows/releases/download/v4.1.2/install.yaml (docs/cluster.md)"
)
TRANSIENT_STATUS = (429, 500, 502, 503, 504)
TOO_LARGE = re.compile(r"request is too large|entity too large", re.IGNORECASE)
_FORBIDDEN = re.compile(r'cannot (?P<verb>\w+) resource "(?P<resource>[^"]+)" in API group "(?P<group>[^"]*)"'
                        r'(?: in the namespace "(?P<ns>[^"]+)"| at the cluster scope)?')
_ARGO_FORBIDDEN = re.compile(
    r"not allowed to (?P<verb>\w+) (?P<resource>[\w/-]+) in namespace \"(?P<ns>[^\"]+)\""
)
_INVALID = re.compile(r'is invalid: (?P<rest>.*)$', re.DOTALL)
# Terminal control in text from the server: ANSI CSI (ESC [ or the 8-bit CSI, parameters, final byte), OSC,
# DCS, SOS, PM and APC strings (up to BEL or ST), other ESC sequences, then any C0/C1 control character
# left, DEL, and the Unicode bidi overrides that reorder what a terminal shows.
_CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)
_BREAKS = re.compile(r"[\t\n\r]+")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal as one line: escape sequences and control characters
    removed, tabs and line breaks turned into a space."""
    return _CONTROL.sub("", _BREAKS.sub(" ", text))


@dataclass
class Failure:
    """One failed call, as either transport saw it."""

    status: int | None  # HTTP status; None when no answer came
    message: str
    reason: str = ""  # Kubernetes Status.reason (NotFound, AlreadyExists, Invalid...)
    details: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None
    network: str | None = None  # "refused", "dropped", "timeout", "tls", "dns" when no answer came
    transport: str = "kube"  # "kube" or "argo"
    bad_reply: str | None = None  # "json", "shape", "size": an answer came, but not one the API sends

    @property
    def transient(self) -> bool:
        if self.network is not None:
            return self.network in ("refused", "dropped", "timeout")
        if self.bad_reply is not None:
            return False
        return self.status in TRANSIENT_STATUS and not TOO_LARGE.search(self.message)

    @property
    def unsure(self) -> bool:
        """Did a write perhaps happen although it failed? (no clear answer, a 5xx, a garbled 2xx)"""
        if self.bad_reply is not None:
            return self.status is not None and 200 <= self.status < 300
        return self.transient

    @property
    def too_large(self) -> bool:
        return self.status == 413 or bool(TOO_LARGE.search(self.message))


class ApiFailure(Exception):
    """Raised by a transport; ``client.ClusterClient`` retries it or turns it into a ClusterError."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def from_kube_body(status: int, body: str | bytes | None, headers: Any = None) -> Failure:
    """A Kubernetes ``Status`` answer (or any body) → Failure."""
    data = _json(body)
    message = data.get("message") if isinstance(data, dict) else None
    failure = Failure(status, str(message or _text(body) or f"HTTP {status}"), transport="kube")
    if isinstance(data, dict):
        failure.reason = str(data.get("reason") or "")
        failure.details = data.get("details") or {}
    failure.retry_after = retry_after(headers, failure.details)
    return failure


def from_argo_body(status: int, body: str | bytes | None, headers: Any = None) -> Failure:
    """An Argo Server (grpc-gateway) answer ``{"code", "message"}`` → Failure, with the Kubernetes reason
    guessed from the message (Argo Server passes the apiserver's words through)."""
    data = _json(body)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):  # a stream's error chunk
        data = data["error"]
    message = (
        str((data or {}).get("message") or _text(body) or f"HTTP {status}")
        if isinstance(data, (dict, type(None)))
        else _text(body)
    )
    failure = Failure(status, message, transport="argo", retry_after=retry_after(headers, {}))
    if "already exists" in message:
        failure.reason = "AlreadyExists"
    elif _INVALID.search(message):
        failure.reason = "Invalid"
    elif status == 404 and " not found" in message:
        failure.reason = "NotFound"
    elif "the object has been modified" in message:
        failure.reason = "Conflict"
    return failure


def retry_after(headers: Any, details: dict[str, Any]) -> float | None:
    value = None
    if headers is not None:
        try:
            value = headers.get("Retry-After")
        except AttributeError:
            value = None
    if value is None:
        value = details.get("retryAfterSeconds") if isinstance(details, dict) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def network_failure(exc: BaseException, transport: str, kind: str | None = None) -> Failure:
    """A request that got no (complete) answer: refused, dropped, timed out, TLS, DNS. The message is the
    one root cause, said once (urllib3 and requests wrap it two or three times, each repeating it)."""
    chain = _chain(exc)
    low = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    if kind is None:
        kind = _network_kind(low)
    return Failure(None, cause(exc), network=kind, transport=transport)


def _network_kind(low: str) -> str:
    if "certificate" in low or "ssl" in low or "tls" in low:
        return "tls"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low \
            or "temporary failure in name resolution" in low or "nameresolutionerror" in low:
        return "dns"
    if "timed out" in low or "timeout" in low:
        return "timeout"
    if "refused" in low or "failed to establish a new connection" in low or "no route to host" in low:
        return "refused"
    return "dropped"  # reset, remote end closed without response, broken pipe, incomplete read


_POOL = re.compile(r"^\s*(?:\w+ConnectionPool|\w*HTTPS?Connection)\([^)]*\)(?: object at 0x[0-9a-f]+>)?:\s*")


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (``reason``, ``__cause__``/``__context__``, an exception in ``args``),
    outermost first."""
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 8:
        out.append(cur)
        nxt = getattr(cur, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = next((a for a in reversed(cur.args) if isinstance(a, BaseException)), None)
        cur = nxt if isinstance(nxt, BaseException) else (cur.__cause__ or cur.__context__)
    return out


def cause(exc: BaseException) -> str:
    """The root cause of a failed request in one phrase: the innermost exception's own words, without
    the connection-pool prefixes and object addresses (``[Errno 111] Connection refused``)."""
    chain = _chain(exc)
    root = chain[-1]
    if len(chain) > 1 and str(root).strip().lower() in ("", "timed out"):
        root = chain[-2]  # urllib3's "Read timed out. (read timeout=30)" says more than the socket's
    text = str(root).strip()
    if type(root).__name__ == "IncompleteRead":
        text = f"the answer was cut off ({text.removeprefix('IncompleteRead(').rstrip(')')})"
    while _POOL.match(text):
        text = _POOL.sub("", text, count=1)
    text = re.sub(r"\s+", " ", text)
    return text[:300] or type(root).__name__


def _json(body: str | bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, TypeError):
        return None


def _text(body: str | bytes | None) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return body.strip()[:500]


@dataclass
class Context:
    """What was being done, for the message: ``create Workflow "x" in namespace "ml"``."""

    action: str  # "create", "get", "apply", ...
    kind: str = ""  # "Workflow"
    name: str = ""
    namespace: str = ""
    server: str = ""  # "the Kubernetes API at https://..." / "Argo Server at https://..."
    size: int | None = None  # bytes of the manifest sent, for "too large"
    attempts: int = 1
    generated: bool = False  # the name came from generateName

    def what(self) -> str:
        obj = f'{self.kind} "{self.name}"' if self.name else (self.kind or "object")
        where = f' in namespace "{self.namespace}"' if self.namespace else ""
        return f"{self.action} {obj}{where}"


def to_error(failure: Failure, ctx: Context) -> ClusterError:
    """The diagnostic(s) for one failure; every branch has a hint."""
    safe = replace(failure, message=printable(failure.message))
    diags = _diagnose(safe, ctx)
    return ClusterError(diags, status=failure.status)


def _d(code: str, message: str, hint: str) -> list[Diagnostic]:
    return [Diagnostic(code, message, None, hint)]


def _diagnose(f: Failure, ctx: Context) -> list[Diagnostic]:
    what = ctx.what()
    argo = f.transport == "argo"
    if f.network is not None:
        return _network(f, ctx)
    if f.bad_reply is not None:
        return _bad_reply(f, ctx)
    status, msg = f.status or 0, f.message
    if f.too_large:
        size = f" ({ctx.size:,} bytes)" if ctx.size else ""
        return _d(
            "PF611",
            f"cannot {what}: the object is too large for the cluster{size}: {msg}",
            "Kubernetes stores at most ~1.5 MB per object: publish shared templates to the registry "
            "(`registry push`; ops then use templateRef), split the pipeline, or use fewer fan-out items",
        )
    if status == 401:
        if argo:
            return _d(
                "PF603",
                f"cannot {what}: Argo Server rejected the token ({msg})",
                "set ARGO_TOKEN to a valid token (e.g. `kubectl -n NS create token polyflow-submitter`; the "
                "`Bearer ` prefix is optional)",
            )
        return _d("PF603", f"cannot {what}: the API server rejected the credentials ({msg})",
                  "the kubeconfig's token or certificate is missing or expired: refresh it, e.g. "
                  "`kubectl -n NS create token polyflow-submitter` for the chart's submitter (docs/chart.md)")
    if status == 403:
        return _forbidden(f, ctx)
    if status == 404:
        return _not_found(f, ctx)
    if status == 409 and (f.reason == "AlreadyExists" or "already exists" in msg):
        return _d(
            "PF608",
            f"cannot {what}: it already exists",
            "drop --name to let the cluster pick a unique name (--generate-name), or choose another --name",
        )
    if status == 409:
        return _d("PF613", f"cannot {what}: it kept changing while being updated ({msg})",
                  "another client (the Argo controller) updates it too; run the command again")
    if status == 422 or f.reason == "Invalid" or (status == 400 and _INVALID.search(msg)):
        return _invalid(f, ctx)
    if status == 400:
        if "strict decoding error" in msg or "unknown field" in msg:
            return _d("PF610", f"cannot {what}: the cluster's Argo does not know a field: {msg}",
                      "the cluster runs an older Argo Workflows than --argo-version targets: compile for its "
                      "version (e.g. --argo-version 3.5), or upgrade Argo")
        return _d(
            "PF610",
            f"cannot {what}: the server refused the request: {msg}",
            "`polyflow-argo compile` shows what was sent; if it was compiled from a valid pipeline, report "
            "this as a bug",
        )
    if f.transient:
        return _d("PF612", f"cannot {what}: the server kept failing ({status} {msg}) after {ctx.attempts} "
                  f"attempt(s)", "the cluster is overloaded or restarting: try again in a minute")
    return _d("PF614", f"cannot {what}: unexpected answer {status} from {ctx.server or 'the server'}: {msg}",
              "run again with --debug for details; report it if it persists")


def _network(f: Failure, ctx: Context) -> list[Diagnostic]:
    where = ctx.server or "the server"
    what = ctx.what()
    if f.network == "tls":
        return _d(
            "PF602",
            f"cannot {what}: TLS verification of {where} failed ({f.message})",
            "pass the server's CA with --ca-file FILE, or --insecure-skip-tls-verify (not in production)",
        )
    if f.network == "dns":
        return _d("PF601", f"cannot {what}: the host of {where} is unknown ({f.message})",
                  "check the server address (kubeconfig `clusters[].cluster.server` or --argo-server)")
    if f.network == "timeout":
        hint = ("the server or the network is slow: raise --request-timeout, or check the cluster (`kubectl "
                "cluster-info`)" if f.transport == "kube" else
                "the server or the network is slow: raise --request-timeout, or check Argo Server")
        return _d("PF601", f"cannot {what}: no complete answer from {where} in time, after {ctx.attempts} "
                  f"attempt(s) ({f.message})", hint)
    if f.network == "refused":
        hint = (
            (
                "is the cluster running? `kubectl cluster-info` checks the same kubeconfig; on kind, `kind "
                "get clusters` and `kind export kubeconfig --name NAME`"
            )
            if f.transport == "kube"
            else (
                "is Argo Server running and reachable (e.g. `kubectl -n argo port-forward svc/argo-server "
                "2746`)?"
            )
        )
        return _d(
            "PF601",
            f"cannot {what}: cannot reach {where} after {ctx.attempts} attempt(s) ({f.message})",
            hint,
        )
    return _d(
        "PF612",
        f"cannot {what}: the connection to {where} kept dropping after {ctx.attempts} attempt(s) "
        f"({f.message})",
        "the network or the server is unstable: try again",
    )


def bad_reply(status: int | None, kind: str, detail: str, transport: str) -> ApiFailure:
    """An answer that is not what the API sends: ``kind`` "json" (not JSON), "shape" (JSON of the wrong
    shape), "size" (larger than the reply limit)."""
    return ApiFailure(Failure(status, detail, transport=transport, bad_reply=kind))


def _bad_reply(f: Failure, ctx: Context) -> list[Diagnostic]:
    where = ctx.server or "the server"
    if f.bad_reply == "size":
        return _d("PF616", f"cannot {ctx.what()}: the answer from {where} is too large ({f.message})",
                  "polyflow-argo reads at most POLYFLOW_MAX_REPLY_BYTES bytes per answer (default 64 MiB) so "
                  "its memory stays bounded: narrow the request (`list --pipeline P`, `--running`, `-l`) or "
                  "raise the limit (docs/cluster.md)")
    api = "Argo Server" if f.transport == "argo" else "a Kubernetes API server"
    server = "--argo-server" if f.transport == "argo" else "the kubeconfig's `clusters[].cluster.server`"
    return _d("PF615",
              f"cannot {ctx.what()}: {where} answered with something {api} does not send: {f.message}",
              f"check that {server} points at {api} itself, not at a proxy, load balancer or web page "
              "(`kubectl get --raw /version` answers with JSON); run again with --debug")


def unknown_outcome(ctx: Context, first: Failure, lookup: ClusterError, selector: str) -> ClusterError:
    """A create that got no clear answer, and whose label lookup failed too: the run may exist. The hint
    says how to check, never to submit again blindly (that could start it twice)."""
    why = (lookup.diagnostics[0].message if lookup.diagnostics else str(lookup)).removeprefix("cannot ")
    got = f"HTTP {first.status}" if first.status and not first.bad_reply else (
        f"connection {first.network}" if first.network else "a garbled answer")
    ns = f" -n {ctx.namespace}" if ctx.namespace else ""
    check = f"`kubectl get workflows{ns} -l {selector}` (or `polyflow-argo list{ns} -l {selector}`)"
    if not ctx.generated and ctx.name:
        check += f" or `polyflow-argo get {ctx.name}{ns}`"
    subject = (f'a Workflow named "{ctx.name}..."' if ctx.generated else f'{ctx.kind} "{ctx.name}"') + (
        f' in namespace "{ctx.namespace}"' if ctx.namespace else "")
    return ClusterError(
        Diagnostic(
            "PF617",
            f"cannot tell whether {subject} was created: the create got no clear "
            f"answer ({got}: {first.message}) and looking for it failed ({why})",
            None,
            f"do not submit again before checking, or it may run twice: {check} shows the run if it was "
            "created",
        ),
        status=lookup.status,
    )


def _forbidden(f: Failure, ctx: Context) -> list[Diagnostic]:
    m = _FORBIDDEN.search(f.message) or _ARGO_FORBIDDEN.search(f.message)
    if m:
        group = m.groupdict().get("group")
        group = "argoproj.io" if group is None and f.transport == "argo" else group
        resource = m["resource"] + (f".{group}" if group else "")
        scope = f'in namespace "{m["ns"]}"' if m["ns"] else "at the cluster scope"
        who = re.search(r'User "([^"]+)"', f.message)
        user = f'{who.group(1)} ' if who else ""
        message = f"cannot {ctx.what()}: {user}may not `{m['verb']}` {resource} {scope} (RBAC)"
        base = m["resource"].split("/")[0]
    else:
        message = f"cannot {ctx.what()}: forbidden ({f.message})"
        base = ""
    if base in ("workflowtemplates", "clusterworkflowtemplates"):
        hint = ("the chart's submitter role grants it with `--set submitter.rbac.publishRegistry=true` (and "
                "`submitter.rbac.clusterScope=true` for ClusterWorkflowTemplates); see " + CHART_HINT)
    elif base == "configmaps":
        hint = (
            "op `concurrency` needs a ConfigMap, which the chart's submitter role does not grant: have an "
            "admin `kubectl apply` it (`polyflow-argo compile` shows it) or grant configmaps create/patch"
        )
    else:
        hint = (
            "bind the chart's submitter role to you (`helm install polyflow charts/polyflow-argo -n NS` "
            "with `submitter.extraSubjects`) or use its token: `kubectl -n NS create token "
            "polyflow-submitter`; see "
            + CHART_HINT
        )
    return _d("PF604", message, hint)


def _not_found(f: Failure, ctx: Context) -> list[Diagnostic]:
    details, msg = f.details or {}, f.message
    if f.transport == "kube" and "could not find the requested resource" in msg and not details.get("name"):
        return _d(
            "PF605",
            f"cannot {ctx.what()}: the cluster has no Argo Workflows API (argoproj.io/v1alpha1 not found: "
            "the Argo CRDs are not installed)",
            ARGO_INSTALL,
        )
    if f.transport == "argo" and msg.strip() in ("Not Found", "404 page not found", "") :
        return _d(
            "PF605",
            f"cannot {ctx.what()}: {ctx.server or 'the server'} does not serve the Argo Server API",
            "check --argo-server (Argo Server's URL, e.g. https://localhost:2746)",
        )
    if details.get("kind") == "namespaces" or re.match(r'namespaces? "[^"]+" not found', msg):
        return _d("PF606", f"cannot {ctx.what()}: {msg}",
                  f"create it (`kubectl create namespace {ctx.namespace or 'NS'}`) or pick another with -n")
    name = ctx.name or details.get("name", "")
    kind = ctx.kind or details.get("kind", "object")
    listing = "polyflow-argo list" if kind == "Workflow" else f"kubectl get {kind.lower()}s"
    return _d(
        "PF607",
        f'{kind} "{name}" not found in namespace "{ctx.namespace}"'
        if ctx.namespace
        else f'{kind} "{name}" not found',
        f"`{listing} -n {ctx.namespace or 'NS'}` shows what there is; check -n and the name",
    )


def _invalid(f: Failure, ctx: Context) -> list[Diagnostic]:
    causes = [c for c in (f.details or {}).get("causes") or [] if isinstance(c, dict)]
    if not causes:
        m = _INVALID.search(f.message)
        rest = m["rest"].strip() if m else f.message
        if rest.startswith("[") and rest.endswith("]"):
            rest = rest[1:-1]
        parts = re.split(r", (?=[a-zA-Z][\w.\[\]-]*: )", rest)
        for part in parts:
            path, sep, text = part.partition(": ")
            causes.append({"field": path, "message": text} if sep and re.match(r"^[\w.\[\]-]+$", path)
                          else {"message": part})
    hint = (
        "the API server's schema refused this field: `polyflow-argo compile` shows the manifest; a compiled "
        "pipeline should never be invalid, so report it unless it comes from -p/--name"
    )
    out = []
    for cause in causes:
        where = f"{cause['field']}: " if cause.get("field") else ""
        out.append(
            Diagnostic(
                "PF609",
                f"cannot {ctx.what()}: invalid {where}{cause.get('message', '')}".rstrip(),
                None,
                hint,
            )
        )
    return out or _d("PF609", f"cannot {ctx.what()}: {f.message}", hint)


def error(code: str, message: str, hint: str, status: int | None = None) -> ClusterError:
    """A ClusterError that is not an HTTP answer (state of the cluster, usage against it)."""
    return ClusterError(Diagnostic(code, message, None, hint), status=status)
