"""Lists page with ``limit``/``continue`` on the real kube-apiserver (tests/cluster/test_paging.py
covers the double, expiry and endless tokens): every object, each page a bounded request."""

from __future__ import annotations

import pytest

from polyflow_argo.client import Client
from polyflow_argo.cluster import transport
from polyflow_argo.cluster.transport import KINDS

from .cluster import Cluster

NS = "paging"
LABEL = "polyflow.io/paging-test"


def test_templates_are_listed_in_pages_of_two(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster.kubectl_apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}])
    kind = KINDS["WorkflowTemplate"]
    names = [f"page-{i}" for i in range(5)]
    with Client(NS, kubeconfig=str(cluster.kubeconfig)) as c:
        for name in names:
            template = {
                "apiVersion": kind.api_version, "kind": kind.kind,
                "metadata": {"name": name, "namespace": NS, "labels": {LABEL: "yes"}},
                "spec": {"templates": [{"name": "main", "container": {"image": "busybox"}}]},
            }
            c.transport.apply(kind, template, False)
        seen: list[str | None] = []
        page = c.transport._json  # type: ignore[attr-defined]

        def counting(method: str, path: str, query: dict[str, object] | None = None, *a: object,
                     **kw: object) -> object:
            seen.append(str((query or {}).get("continue")) if (query or {}).get("limit") else None)
            return page(method, path, query, *a, **kw)

        monkeypatch.setattr(c.transport, "_json", counting)
        monkeypatch.setattr(transport, "LIST_CHUNK", 2)
        listed = c.list_templates(label=LABEL)
    assert [t["metadata"]["name"] for t in listed] == names
    assert len(seen) == 3 and seen[0] == "None" and all(s not in (None, "None") for s in seen[1:])


@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")
def test_argo_server_pages_workflow_templates_too(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real Argo Server honours listOptions.limit/continue for templates (the same 5 as above
    when run after it; created here otherwise)."""
    cluster.kubectl_apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}])
    kind = KINDS["WorkflowTemplate"]
    names = [f"page-{i}" for i in range(5)]
    with Client(NS, kubeconfig=str(cluster.kubeconfig)) as kube:
        for name in names:
            kube.transport.apply(kind, {
                "apiVersion": kind.api_version, "kind": kind.kind,
                "metadata": {"name": name, "namespace": NS, "labels": {LABEL: "yes"}},
                "spec": {"templates": [{"name": "main", "container": {"image": "busybox"}}]},
            }, False)
    with Client(NS, argo_server=cluster.argo_server_url) as c:
        calls: list[dict[str, object]] = []
        real = c.transport._call  # type: ignore[attr-defined]

        def counting(method: object, *a: object, **kw: object) -> object:
            calls.append(dict(kw))
            return real(method, *a, **kw)

        monkeypatch.setattr(c.transport, "_call", counting)
        monkeypatch.setattr(transport, "LIST_CHUNK", 2)
        listed = c.list_templates(label=LABEL)
    assert [t["metadata"]["name"] for t in listed] == names
    assert [k.get("limit") for k in calls] == ["2", "2", "2"] and calls[0].get("continue_") is None
    assert all(k.get("continue_") for k in calls[1:])
