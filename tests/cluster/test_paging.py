"""Lists are read in pages (``limit``/``continue``, as ``kubectl get --chunk-size``), so a namespace
with thousands of workflows never becomes one answer past the reply size cap (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from polyflow_argo.client import Client
from polyflow_argo.cluster import transport
from polyflow_argo.cluster.errors import ApiFailure, Failure
from polyflow_argo.errors import ClusterError
from tests.apidouble import ApiDouble
from tests.cluster.test_client import FAST, HERA, NS, Sleeps
from tests.cluster.test_watch import FLAKY


def _submit(c: Client, n: int) -> list[str]:
    return [run.name for _ in range(n) for run in c.submit(FLAKY)]


def test_kube_lists_in_pages_and_returns_every_workflow(
    api_double: ApiDouble, kubeconfig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "LIST_CHUNK", 2)
    with Client(kubeconfig=str(kubeconfig), retry=FAST, sleep=Sleeps()) as c:
        names = _submit(c, 5)
        before = len(api_double.requests)
        listed = c.list(pipeline="flaky")
    assert sorted(w["metadata"]["name"] for w in listed) == sorted(names)
    pages = api_double.requests[before:]
    assert [r.param("limit") for r in pages] == ["2", "2", "2"]
    assert pages[0].param("continue") is None and all(r.param("continue") for r in pages[1:])


@HERA
def test_argo_server_lists_in_pages_and_returns_every_workflow(
    api_double: ApiDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "LIST_CHUNK", 2)
    with Client(NS, argo_server=api_double.argo_url, token="argo-token", retry=FAST, sleep=Sleeps()) as c:
        names = _submit(c, 5)
        before = len(api_double.requests)
        listed = c.list(pipeline="flaky")
    assert sorted(w["metadata"]["name"] for w in listed) == sorted(names)
    pages = api_double.requests[before:]
    assert [r.param("listOptions.limit") for r in pages] == ["2", "2", "2"]
    assert all(r.param("listOptions.continue") for r in pages[1:])


def _gone() -> ApiFailure:
    return ApiFailure(Failure(410, "The provided continue parameter is too old", transport="kube"))


def _expired(exc: BaseException) -> bool:
    return isinstance(exc, ApiFailure) and exc.failure.status == 410


def test_an_expired_token_restarts_the_list_once_and_keeps_no_duplicates() -> None:
    calls: list[str | None] = []

    def page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        calls.append(token)
        if token == "t1" and calls.count("t1") == 1:
            raise _gone()  # the history was compacted between the pages
        return ([{"n": 1}], "t1") if token is None else ([{"n": 2}], None)

    assert transport.paged(page, _expired, "kube") == [{"n": 1}, {"n": 2}]
    assert calls == [None, "t1", None, "t1"]


def test_a_second_expiry_and_other_failures_are_raised() -> None:
    def always_gone(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        if token is None:
            return [{"n": 1}], "t1"
        raise _gone()

    with pytest.raises(ApiFailure):
        transport.paged(always_gone, _expired, "kube")

    def first_gone(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        raise _gone()  # no token yet: not an expired continue, a real failure

    with pytest.raises(ApiFailure):
        transport.paged(first_gone, _expired, "kube")


def test_a_list_that_never_ends_is_a_bad_reply_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_LIST_PAGES", 5)
    calls: list[str | None] = []

    def endless(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        calls.append(token)
        return [{}], f"t{len(calls)}"  # a new token every time

    with pytest.raises(ApiFailure) as caught:
        transport.paged(endless, _expired, "kube")
    assert len(calls) == 5 and caught.value.failure.bad_reply == "shape"
    assert "did not end after 5 pages" in caught.value.failure.message


def test_a_repeated_continue_token_is_refused_at_once() -> None:
    calls: list[str | None] = []

    def looping(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        calls.append(token)
        return [{}], "again"

    with pytest.raises(ApiFailure) as caught:
        transport.paged(looping, _expired, "kube")
    assert calls == [None, "again"] and "repeats an earlier one" in caught.value.failure.message


def test_a_continue_token_of_the_wrong_type_is_a_clear_cluster_error(
    api_double: ApiDouble, kubeconfig: Any
) -> None:
    from polyflow_argo.cluster.replies import continue_token

    assert continue_token({"metadata": {"continue": ""}}, 200, "kube") is None
    assert continue_token({"metadata": {"continue": "abc"}}, 200, "kube") == "abc"
    with pytest.raises(ApiFailure):
        continue_token({"metadata": {"continue": 7}}, 200, "kube")
    # through the client, a failed page is a ClusterError (exit 3), never an internal error
    api_double.fail_next("GET", "/namespaces/ml/workflows$", 403)
    with Client(kubeconfig=str(kubeconfig), retry=FAST, sleep=Sleeps()) as c, pytest.raises(ClusterError):
        c.list()
