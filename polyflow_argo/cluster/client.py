"""``ClusterClient``: send compiled manifests, watch and operate runs on a cluster (the CLI's commands).

    client = ClusterClient(namespace="ml")                         # kubeconfig; or argo_server=URL
    [run] = client.submit_manifests(docs)                          # creates the Workflow
    for workflow in client.watch(run.name): ...                    # states until it finishes
    client.approve(run.name, op="sign-off")

It never compiles: ``polyflow_argo.Client`` (client.py at the package root) is this class plus
``submit`` (compile, then send) and ``push_registry``. ``connect`` picks the transport (transport.py
defines the interface; kube.py and argoserver.py implement it and import nothing of this module).

Every call is bounded (timeouts; transient failures retried with backoff, retry.py) and every failure
is a :class:`~polyflow_argo.errors.ClusterError` with a hint (cluster/errors.py).

Submissions are idempotent: each Workflow a submit creates carries the label
``polyflow.io/submission=<random id>``. When a create fails in a way that leaves its fate unknown (the
connection dropped after the request was sent, a timeout, a 5xx, a garbled 2xx), the client lists
Workflows with that label before creating again, so a retry never starts a second run, and once more
after the last attempt. When that lookup fails too, the error (PF617) gives the command that checks,
never advice to submit again. CronWorkflows and templates are applied (server-side apply), which is
idempotent by itself.
"""

from __future__ import annotations

import builtins
import copy
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ClusterError, Diagnostic
from .errors import ApiFailure, Context, Failure, error, to_error, unknown_outcome
from .retry import RetryPolicy
from .transport import KINDS, Kind, Settings, Transport, kind_of
from .watch import FINISHED, op_names, rows

SUBMISSION = "polyflow.io/submission"
RESUBMITTED = "workflows.argoproj.io/resubmitted-from-workflow"
WORKFLOW, CRON = KINDS["Workflow"], KINDS["CronWorkflow"]
WATCH_SECONDS = 60  # one watch request; the client reconnects from the last resourceVersion
_ARGO_LABELS = ("workflows.argoproj.io/", SUBMISSION)
_ORDER = {
    "ConfigMap": 0,
    "ClusterWorkflowTemplate": 1,
    "WorkflowTemplate": 2,
    "CronWorkflow": 3,
    "Workflow": 4,
}


def connect(settings: Settings) -> Transport:
    """The Argo Server transport when ``--argo-server`` (or ``ARGO_SERVER``) is set, else the Kubernetes
    API."""
    server = settings.argo_server or os.environ.get("ARGO_SERVER")
    if server:
        from .argoserver import ArgoServerTransport

        return ArgoServerTransport(settings, server)
    from .kube import KubeTransport

    return KubeTransport(settings)


@dataclass
class Applied:
    """One object sent: what it is and what happened (created, configured, unchanged, exists...)."""

    kind: str
    name: str
    namespace: str | None
    action: str
    object: dict[str, Any]

    def __str__(self) -> str:
        kind = kind_of(self.kind)
        return f"{kind.kind.lower()}{'.' + kind.group if kind.group else ''}/{self.name} {self.action}"


@dataclass
class OpLogLine:
    op: str  # the op as the user wrote it, with the attempt for retries: "train(1)"
    pod: str
    text: str

    def __str__(self) -> str:
        return f"{self.op}: {self.text}"


class ClusterClient:
    """The cluster commands as methods. Connects on first use (a client dry run never connects).

    Args:
        namespace: where to work (default: the kubeconfig context's, else ``default``).
        kubeconfig, context: which cluster (default ``KUBECONFIG`` / ``~/.kube/config``, current context).
        argo_server: Argo Server's URL instead of the Kubernetes API (also ``ARGO_SERVER``); ``token``
            defaults to ``ARGO_TOKEN``.
        insecure_skip_tls_verify, ca_file: TLS of either transport.
        request_timeout: seconds for one request.
        retry: the retry policy (default from ``POLYFLOW_RETRIES`` / ``POLYFLOW_RETRY_BACKOFF``).
        transport: an already built transport (tests, or to share a connection).
        notify: called with a line for each retry (the CLI prints them on stderr).
    """

    def __init__(
        self,
        namespace: str | None = None,
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        argo_server: str | None = None,
        token: str | None = None,
        insecure_skip_tls_verify: bool = False,
        ca_file: str | None = None,
        request_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
        notify: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = Settings(namespace, kubeconfig, context, argo_server, token, insecure_skip_tls_verify,
                                 ca_file, request_timeout)
        self.retry = retry or RetryPolicy.from_env()
        self._transport = transport
        self.notify = notify or (lambda _line: None)
        self.sleep = sleep

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = connect(self.settings)
        return self._transport

    @property
    def namespace(self) -> str:
        return self.transport.namespace

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def __enter__(self) -> ClusterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ calling, with retries

    def _ctx(self, action: str, kind: str = "", name: str = "", **extra: Any) -> Context:
        ns = "" if kind == "ClusterWorkflowTemplate" else self.namespace
        return Context(action, kind, name, ns, self.transport.server, **extra)

    def _call(self, ctx: Context, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a transport method; retry transient failures (only for calls safe to repeat)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except ApiFailure as exc:
                self._backoff(exc, ctx, attempt)

    def _backoff(self, exc: ApiFailure, ctx: Context, attempt: int) -> None:
        """Wait before the next attempt, or raise the ClusterError when the failure is final."""
        f = exc.failure
        if not f.transient or attempt >= self.retry.attempts:
            ctx.attempts = attempt
            raise to_error(f, ctx) from None
        wait = self.retry.wait(attempt, f.retry_after)
        why = f"HTTP {f.status}" if f.status else f"connection {f.network}"
        self.notify(
            f"{ctx.what()}: {why}; retrying in {wait:.1f}s (attempt {attempt + 1} of {self.retry.attempts})"
        )
        self.sleep(wait)

    # ------------------------------------------------------------ submit, apply

    def submit_manifests(self, docs: list[dict[str, Any]], *, dry_run: str | None = None) -> list[Applied]:
        """Send compiled manifests: Workflows created (idempotently), everything else applied."""
        out = []
        for doc in sorted(docs, key=lambda d: _ORDER.get(str(d.get("kind")), 9)):
            kind = kind_of(doc)
            doc = self._prepare(doc, kind, dry_run)
            if dry_run == "client":
                out.append(self._dry(kind, doc))
            elif kind.kind == "Workflow":
                out.append(self.create_workflow(doc, dry_run=dry_run == "server"))
            else:
                out.append(self._apply(kind, doc, dry_run == "server"))
        return out

    def _prepare(self, doc: dict[str, Any], kind: Kind, dry_run: str | None) -> dict[str, Any]:
        doc = copy.deepcopy(doc)
        meta = doc.setdefault("metadata", {})
        if kind.namespaced and not meta.get("namespace") and dry_run != "client":
            meta["namespace"] = self.namespace
        if kind.kind == "Workflow":
            meta.setdefault("labels", {})[SUBMISSION] = uuid.uuid4().hex
        return doc

    @staticmethod
    def _dry(kind: Kind, doc: dict[str, Any]) -> Applied:
        meta = doc["metadata"]
        name = meta.get("name") or f"{meta.get('generateName', '')}(generated)"
        action = "created (dry run)" if kind.kind == "Workflow" else "applied (dry run)"
        return Applied(kind.kind, name, meta.get("namespace"), action, doc)

    def create_workflow(
        self, doc: dict[str, Any], *, dry_run: bool = False, exists_ok: bool = False
    ) -> Applied:
        """Create one Workflow, at most once (see the module docstring). ``exists_ok``: a fixed-name
        Workflow that already exists is reported as ``exists`` (backfill), not an error."""
        meta = doc["metadata"]
        submission = (meta.get("labels") or {}).get(SUBMISSION)
        ctx = self._ctx("create", "Workflow", meta.get("name") or meta.get("generateName", ""),
                        size=_size(doc), generated=not meta.get("name"))
        attempt, ambiguous = 0, False
        while True:
            attempt += 1
            try:
                obj = self.transport.create(WORKFLOW, doc, dry_run)
                return Applied("Workflow", obj["metadata"]["name"], obj["metadata"].get("namespace"),
                               "created (server dry run)" if dry_run else "created", obj)
            except ApiFailure as exc:
                f = exc.failure
                if f.status == 409 and f.reason != "Conflict" and meta.get("name"):
                    mine = self._settle(ctx, f, submission, lambda: self._ours(meta["name"], submission)) \
                        if ambiguous else None
                    if mine is not None:
                        return Applied(
                            "Workflow", meta["name"], mine["metadata"].get("namespace"), "created", mine
                        )
                    if exists_ok:
                        existing = self._call(ctx, self.transport.get, WORKFLOW, meta["name"])
                        return Applied("Workflow", meta["name"], existing["metadata"].get("namespace"),
                                       "exists (skipped)", existing)
                if not (f.unsure and submission and not dry_run):
                    self._backoff(exc, ctx, attempt)
                    continue
                ambiguous = True
                final = not f.transient or attempt >= self.retry.attempts
                if not final:
                    self._backoff(exc, ctx, attempt)  # waits
                found = self._settle(ctx, f, submission, lambda: self._labelled(submission))
                if found is not None:
                    self.notify(f"workflow {found['metadata']['name']} was created before the failure; not "
                                "creating it again")
                    return Applied("Workflow", found["metadata"]["name"], found["metadata"].get("namespace"),
                                   "created", found)
                if final:  # nothing was created: the error is the create's own, and retrying is safe
                    ctx.attempts = attempt
                    err = to_error(f, ctx)
                    note = f"; no run was created (no Workflow has the label {SUBMISSION}={submission})"
                    raise ClusterError([replace(d, hint=f"{d.hint}{note}") for d in err.diagnostics],
                                       status=err.status) from None

    def _labelled(self, submission: str) -> dict[str, Any] | None:
        selector = f"{SUBMISSION}={submission}"
        found = self._call(self._ctx("list", "Workflow", selector), self.transport.list, WORKFLOW, selector)
        return found[0] if found else None

    def _settle(self, ctx: Context, first: Failure, submission: str | None,
                look: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
        """After a create without a clear answer: the run it made, or None when it made none. When looking
        fails too, the error says how to check, never to submit again (that could start a second run)."""
        try:
            return look()
        except ClusterError as exc:
            raise unknown_outcome(ctx, first, exc, f"{SUBMISSION}={submission}") from None

    def _ours(self, name: str, submission: str | None) -> dict[str, Any] | None:
        existing = self._call(self._ctx("get", "Workflow", name), self.transport.get, WORKFLOW, name)
        labels = (existing.get("metadata") or {}).get("labels") or {}
        return existing if submission and labels.get(SUBMISSION) == submission else None

    def _apply(self, kind: Kind, doc: dict[str, Any], dry_run: bool) -> Applied:
        name = doc["metadata"]["name"]
        ctx = self._ctx("apply", kind.kind, name, size=_size(doc))
        obj, action = self._call(ctx, self.transport.apply, kind, doc, dry_run)
        if dry_run:
            action += " (server dry run)"
        return Applied(kind.kind, name, (obj.get("metadata") or {}).get("namespace"), action, obj)

    def apply(self, docs: list[dict[str, Any]], *, dry_run: str | None = None) -> list[Applied]:
        """Server-side apply of CronWorkflows, WorkflowTemplates, ClusterWorkflowTemplates (and ConfigMaps):
        idempotent. A one-off Workflow is refused (``submit`` runs it)."""
        for doc in docs:
            if doc.get("kind") == "Workflow":
                raise error(
                    "PF623",
                    "apply sends CronWorkflows and WorkflowTemplates, but this compiles to a one-off "
                    "Workflow",
                    "`polyflow-argo submit FILE` runs it; a pipeline with `schedule:` applies as a "
                    "CronWorkflow",
                )
        return self.submit_manifests(docs, dry_run=dry_run)

    def backfill(self, docs: list[dict[str, Any]]) -> list[Applied]:
        """Submit backfill runs (``compiler.backfill``) in order; a run that exists already is skipped."""
        out = []
        for doc in docs:
            kind = kind_of(doc)
            doc = self._prepare(doc, kind, None)
            if kind.kind == "Workflow":
                out.append(self.create_workflow(doc, exists_ok=True))
            else:
                out.insert(0, self._apply(kind, doc, False))
        return out

    # ------------------------------------------------------------ reading

    def get(self, name: str, kind: str = "Workflow") -> dict[str, Any]:
        k = kind_of(kind)
        return dict(self._call(self._ctx("get", k.kind, name), self.transport.get, k, name))

    def list(self, pipeline: str | None = None, *, running: bool = False,
             selector: str | None = None) -> builtins.list[dict[str, Any]]:
        """Workflows of the namespace, newest first; ``pipeline`` filters on ``polyflow.io/pipeline``,
        ``selector`` is a label selector (``polyflow.io/submission=ID``)."""
        selectors = [selector] if selector else []
        if pipeline:
            selectors.append(f"polyflow.io/pipeline={pipeline}")
        if running:
            selectors.append("workflows.argoproj.io/completed!=true")
        items = self._call(
            self._ctx("list", "Workflow"), self.transport.list, WORKFLOW, ",".join(selectors) or None
        )
        return sorted(
            items, key=lambda o: (o.get("metadata") or {}).get("creationTimestamp") or "", reverse=True
        )

    def list_templates(
        self, kind: str = "WorkflowTemplate", label: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """WorkflowTemplates of the namespace (or ClusterWorkflowTemplates) that have ``label``, by name."""
        k = kind_of(kind)
        items = self._call(self._ctx("list", k.kind), self.transport.list, k, label)
        return sorted(items, key=lambda o: (o.get("metadata") or {}).get("name") or "")

    def watch(self, name: str) -> Iterator[dict[str, Any]]:
        """The workflow now, then each new state, until it has finished (Succeeded, Failed or Error).

        Reconnects from the last resourceVersion when a watch request ends; a 410 Gone (history
        compacted) re-reads the workflow; transient failures are retried (bounded per outage)."""
        ctx = self._ctx("watch", "Workflow", name)
        workflow = self.get(name)
        yield workflow
        rv = str(workflow["metadata"].get("resourceVersion", ""))
        attempt = 0
        while (workflow.get("status") or {}).get("phase") not in FINISHED:
            started = time.monotonic()
            events = 0
            try:
                for kind, obj in self.transport.watch(name, rv, WATCH_SECONDS):
                    attempt, events = 0, events + 1
                    rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                    if kind == "BOOKMARK":
                        continue
                    if kind == "DELETED":
                        raise error(
                            "PF622",
                            f'workflow "{name}" was deleted while it was watched',
                            "someone (or a TTL/history limit) deleted it; `polyflow-argo list` shows the "
                            "runs",
                        )
                    workflow = obj
                    yield workflow
                    if (workflow.get("status") or {}).get("phase") in FINISHED:
                        return
            except ApiFailure as exc:
                if exc.failure.status == 410:
                    workflow = self.get(name)
                    rv = str(workflow["metadata"].get("resourceVersion", ""))
                    yield workflow
                    continue
                attempt += 1
                self._backoff(exc, ctx, attempt)
                continue
            if not events and time.monotonic() - started < 1.0:  # a server that ends streams at once
                attempt += 1
                self.sleep(self.retry.wait(min(attempt, 5)))

    def logs(self, name: str, op: str | None = None, *, follow: bool = False,
             container: str = "main") -> Iterator[OpLogLine]:
        """Log lines of the workflow's pods (``container``), each named by its op; ``op`` selects one op."""
        index = _NodeIndex(self.get(name))
        if op is not None:
            index.check_op(op)

        def selected(node_id: str | None, pod: str) -> bool:
            if op is None:
                return True
            nid = node_id or index.resolve(pod, refresh=lambda: self.get(name) if follow else None)
            return nid is not None and index.matches(nid, op)

        ctx = self._ctx("read the logs of", "Workflow", name)
        try:
            for line in self.transport.logs(index.workflow, follow, container, selected):
                nid = line.node_id or index.resolve(line.pod)
                if op is not None and (nid is None or not index.matches(nid, op)):
                    continue
                yield OpLogLine(index.label(nid, line.pod), line.pod, line.text)
        except ApiFailure as exc:
            raise to_error(exc.failure, ctx) from None

    # ------------------------------------------------------------ changing runs

    def stop(self, name: str) -> dict[str, Any]:
        """Stop: no new steps start; running steps and exit handlers finish (``spec.shutdown: Stop``)."""
        return self._shutdown(name, "Stop")

    def terminate(self, name: str) -> dict[str, Any]:
        """Terminate: running steps are killed, exit handlers skipped (``spec.shutdown: Terminate``)."""
        return self._shutdown(name, "Terminate")

    def _shutdown(self, name: str, strategy: str) -> dict[str, Any]:
        workflow = self.get(name)
        phase = (workflow.get("status") or {}).get("phase")
        verb = strategy.lower()
        if phase in FINISHED:
            raise error(
                "PF620",
                f'workflow "{name}" has already finished ({phase}): there is nothing to {verb}',
                f"`polyflow-argo resubmit {name}` runs it again",
            )
        return dict(self._call(self._ctx(verb, "Workflow", name), self.transport.shutdown, name, strategy))

    def resubmit(self, name: str) -> Applied:
        """A new run of a workflow, as ``argo resubmit`` formulates it (same spec, generated name, label
        ``workflows.argoproj.io/resubmitted-from-workflow``)."""
        old = self.get(name)
        meta = old.get("metadata") or {}
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if not k.startswith(_ARGO_LABELS)}
        labels[RESUBMITTED] = meta["name"]
        labels[SUBMISSION] = uuid.uuid4().hex
        new_meta: dict[str, Any] = {"generateName": meta.get("generateName") or meta["name"] + "-",
                                    "namespace": meta.get("namespace") or self.namespace, "labels": labels}
        if meta.get("annotations"):
            new_meta["annotations"] = dict(meta["annotations"])
        spec = copy.deepcopy(old.get("spec") or {})
        spec.pop("shutdown", None)
        return self.create_workflow(
            {"apiVersion": WORKFLOW.api_version, "kind": "Workflow", "metadata": new_meta, "spec": spec}
        )

    def approve(self, name: str, op: str | None = None) -> str:
        """Resume the suspend node of a built-in ``approval`` op that waits (``op`` when several wait).
        Returns the op approved."""
        ctx = self._ctx("approve", "Workflow", name)
        for attempt in range(1, self.retry.attempts + 1):
            workflow = self.get(name)
            row = _waiting_approval(workflow, op)
            if self.transport.name == "kube" and (workflow.get("status") or {}).get(
                "offloadNodeStatusVersion"
            ):
                raise error(
                    "PF624",
                    f'workflow "{name}" keeps its node status in Argo\'s database (offloaded), '
                    "which the Kubernetes API cannot change",
                    "approve through Argo Server: --argo-server URL",
                )
            try:
                self.transport.resume_node(workflow, row.node_id, "approved with polyflow-argo")
                return str(row.op)
            except ApiFailure as exc:
                if exc.failure.status == 409 and attempt < self.retry.attempts:  # the controller wrote first
                    self.sleep(self.retry.wait(attempt))
                    continue
                self._backoff(exc, ctx, self.retry.attempts if exc.failure.status == 409 else attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def schedule_clear(self, name: str) -> tuple[dict[str, Any], bool]:
        """Let a CronWorkflow stopped by depends_on_past run again (docs/schedules.md): ``status.failed``
        0, ``status.phase`` Active, label ``cronworkflows.argoproj.io/completed`` removed.
        Returns the CronWorkflow and whether it was stopped."""
        ctx = self._ctx("clear", "CronWorkflow", name)
        cron = dict(self._call(ctx, self.transport.get, CRON, name))
        status = cron.get("status") or {}
        labels = (cron.get("metadata") or {}).get("labels") or {}
        stopped = (
            status.get("phase") == "Stopped"
            or labels.get("cronworkflows.argoproj.io/completed") == "true"
            or int(status.get("failed") or 0) > 0
        )
        if not stopped:
            return cron, False
        return dict(self._call(ctx, self.transport.clear_cron, cron)), True


def _size(doc: dict[str, Any]) -> int:
    import json

    return len(json.dumps(doc, separators=(",", ":")))


def _waiting_approval(workflow: dict[str, Any], op: str | None) -> Any:
    name = workflow["metadata"]["name"]
    all_rows = rows(workflow)
    waiting = [r for r in all_rows if r.node_type == "Suspend" and r.phase == "Running"]
    tasks = {v: k for k, v in op_names(workflow).items()}
    if op is not None:
        hits = [r for r in waiting if op in (r.op, tasks.get(r.op))]
        if hits:
            return hits[0]
        known = [r for r in all_rows if op in (r.op, tasks.get(r.op))]
        if known:
            state = known[0].phase or "not started"
            raise error("PF621", f"op '{op}' of workflow \"{name}\" is not waiting for an approval ({state})",
                        "`polyflow-argo get NAME` shows the ops and their phases")
        from ..language.hints import did_you_mean

        hint = (
            did_you_mean(op, [r.op for r in all_rows]) or f"the ops are: {', '.join(r.op for r in all_rows)}"
        )
        raise error("PF621", f"workflow \"{name}\" has no op named '{op}'", hint)
    if not waiting:
        raise error(
            "PF621",
            f'nothing waits for an approval in workflow "{name}"',
            "an `approval` op waits once the ops it depends on are done: `polyflow-argo get NAME` shows them",
        )
    if len(waiting) > 1:
        raise error("PF621", f'{len(waiting)} approvals wait in workflow "{name}": '
                    + ", ".join(r.op for r in waiting), "name one with --op")
    return waiting[0]


class _NodeIndex:
    """Pods and nodes of one workflow → the op (as the user wrote it) each log line belongs to."""

    def __init__(self, workflow: dict[str, Any]) -> None:
        self.update(workflow)

    def update(self, workflow: dict[str, Any]) -> None:
        self.workflow = workflow
        self.nodes: dict[str, Any] = (workflow.get("status") or {}).get("nodes") or {}
        self.names = op_names(workflow)

    def resolve(self, pod: str, refresh: Callable[[], Any] | None = None) -> str | None:
        """The node of a pod: its id (pod names v1) or the same fnv hash suffix (v2:
        ``<workflow>-<template>-<hash>`` for node id ``<workflow>-<hash>``)."""
        for _ in range(2):
            if pod in self.nodes:
                return pod
            tail = pod.rsplit("-", 1)[-1]
            for nid in self.nodes:
                if nid.rsplit("-", 1)[-1] == tail and nid != self.workflow["metadata"]["name"]:
                    return str(nid)
            fresh = refresh() if refresh else None
            if not fresh:
                return None
            self.update(fresh)
        return None

    def _base(self, nid: str) -> tuple[str, str]:
        display = str((self.nodes.get(nid) or {}).get("displayName") or nid)
        base, paren, rest = display.partition("(")
        return base, (paren + rest if paren else "")

    def label(self, nid: str | None, pod: str) -> str:
        if nid is None:
            return pod
        base, suffix = self._base(nid)
        return self.names.get(base, base) + suffix

    def matches(self, nid: str, op: str) -> bool:
        base, _ = self._base(nid)
        return op in (base, self.names.get(base, base))

    def check_op(self, op: str) -> None:
        ops = [r.op for r in rows(self.workflow)]
        tasks = set(self.names)
        if op in ops or op in tasks:
            return
        from ..language.hints import did_you_mean

        raise ClusterError(
            Diagnostic(
                "PF621",
                f"workflow \"{self.workflow['metadata']['name']}\" has no op named '{op}'",
                None,
                did_you_mean(op, ops) or f"the ops are: {', '.join(ops)}",
            )
        )
