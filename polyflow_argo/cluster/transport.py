"""How the client reaches the cluster: the Kubernetes API (default) or Argo Server, behind one interface.

- :class:`~polyflow_argo.cluster.kube.KubeTransport`: the ``kubernetes`` client; kubeconfig
  (``--kubeconfig``, ``KUBECONFIG``, ``~/.kube/config``; ``--context``) or in-cluster config. Creates
  with ``fieldValidation=Strict``, dry runs with ``dryRun=All``, server-side apply (field manager
  ``polyflow-argo``).
- :class:`~polyflow_argo.cluster.argoserver.ArgoServerTransport`: Argo Server's REST API through Hera's
  ``WorkflowsService`` (``--argo-server URL`` or ``ARGO_SERVER``; token from ``ARGO_TOKEN``; TLS with
  ``--ca-file`` / ``--insecure-skip-tls-verify``), as the ``argo`` CLI does.

Transports move plain dicts and raise :class:`~polyflow_argo.cluster.errors.ApiFailure`; the client
(client.py) retries and explains, and picks one (``client.connect``): both are imported only when a
cluster command runs, and import only this module, never the client.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import bad_reply, error

FIELD_MANAGER = "polyflow-argo"
LIST_CHUNK = 500  # objects per list page, as ``kubectl get --chunk-size`` (default 500)
MAX_LIST_PAGES = 10_000  # a server whose continue tokens never end is a failure, not a hang


def paged(page: Callable[[str | None], tuple[list[dict[str, Any]], str | None]],
          is_expired: Callable[[BaseException], bool], transport: str) -> list[dict[str, Any]]:
    """Every item of a list read in pages of ``LIST_CHUNK`` (``limit``/``continue``), so a namespace
    with thousands of workflows is never one answer past the reply size cap. ``page(token)`` returns
    one page's items and the next token. A token that expired between pages (410 Gone, the server
    compacted its history) restarts the list once from the start; the answer is then consistent."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    restarted = False
    tokens: set[str] = set()
    for _ in range(MAX_LIST_PAGES):
        try:
            got, token = page(token)
        except Exception as exc:
            if token is None or restarted or not is_expired(exc):
                raise
            items, token, restarted, tokens = [], None, True, set()
            continue
        items.extend(got)
        if not token:
            return items
        if token in tokens:  # the same page again: the list would never end
            raise bad_reply(200, "shape", "the list's continue token repeats an earlier one", transport)
        tokens.add(token)
    raise bad_reply(200, "shape", f"the list did not end after {MAX_LIST_PAGES} pages of {LIST_CHUNK}",
                    transport)


@dataclass(frozen=True)
class Kind:
    """One resource the client handles, with its paths on both APIs."""

    kind: str
    plural: str
    group: str = "argoproj.io"
    version: str = "v1alpha1"
    namespaced: bool = True
    argo_path: str = ""  # Argo Server collection, e.g. "cron-workflows"
    argo_key: str = ""  # the object's key in Argo Server request bodies

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS = {k.kind: k for k in (
    Kind("Workflow", "workflows", argo_path="workflows", argo_key="workflow"),
    Kind("CronWorkflow", "cronworkflows", argo_path="cron-workflows", argo_key="cronWorkflow"),
    Kind("WorkflowTemplate", "workflowtemplates", argo_path="workflow-templates", argo_key="template"),
    Kind("ClusterWorkflowTemplate", "clusterworkflowtemplates", namespaced=False,
         argo_path="cluster-workflow-templates", argo_key="template"),
    Kind("ConfigMap", "configmaps", group="", version="v1"),
)}


def kind_of(obj_or_kind: dict[str, Any] | str) -> Kind:
    name = obj_or_kind if isinstance(obj_or_kind, str) else str(obj_or_kind.get("kind", ""))
    kind = KINDS.get(name)
    if kind is None:
        raise error("PF623", f"cannot send a {name or 'manifest without kind'} to the cluster",
                    f"polyflow-argo sends {', '.join(KINDS)}; use kubectl for anything else")
    return kind


@dataclass(frozen=True)
class Settings:
    """Where and how to connect (the CLI's transport options, or ``Client(...)`` keywords)."""

    namespace: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    argo_server: str | None = None
    token: str | None = None
    insecure_skip_tls_verify: bool = False
    ca_file: str | None = None
    request_timeout: float = 30.0


@dataclass
class LogLine:
    pod: str
    node_id: str | None
    text: str


class Transport(Protocol):
    """The calls the client needs; each raises ``ApiFailure``."""

    name: str  # "kube" | "argo"
    server: str  # for messages: "the Kubernetes API at https://..."
    namespace: str

    def create(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> dict[str, Any]: ...

    def get(self, kind: Kind, name: str) -> dict[str, Any]: ...

    def list(self, kind: Kind, label_selector: str | None = None) -> list[dict[str, Any]]: ...

    def apply(self, kind: Kind, obj: dict[str, Any], dry_run: bool) -> tuple[dict[str, Any], str]: ...

    def shutdown(self, name: str, strategy: str) -> dict[str, Any]: ...

    def resume_node(self, workflow: dict[str, Any], node_id: str, message: str) -> dict[str, Any]: ...

    def clear_cron(self, cron: dict[str, Any]) -> dict[str, Any]: ...

    def watch(
        self, name: str, resource_version: str, timeout: int
    ) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def logs(self, workflow: dict[str, Any], follow: bool, container: str,
             pod_selected: Any) -> Iterator[LogLine]: ...

    def close(self) -> None: ...


def kubeconfig_paths(explicit: str | None) -> list[Path]:
    raw = explicit or os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p]


def kubeconfig_namespace(explicit: str | None, context: str | None) -> str | None:
    """The namespace of the kubeconfig's (current) context, read without the kubernetes package."""
    import yaml

    for path in kubeconfig_paths(explicit):
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError):
            return None
        name = context or data.get("current-context")
        for entry in data.get("contexts") or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                return (entry.get("context") or {}).get("namespace")
    return None
