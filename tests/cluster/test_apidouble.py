"""The API double (tests/apidouble), exercised only through the real clients: ``kubernetes`` 37 and Hera's
``WorkflowsService`` (plus its ``requests`` session for the streams Hera cannot parse)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from tests.apidouble import ApiDouble, node_id

G, V, NS = "argoproj.io", "v1alpha1", "ml"
APPLY = "application/apply-patch+yaml"
HERA = pytest.mark.filterwarnings(
    "ignore::pydantic.warnings.PydanticDeprecatedSince20"
)  # Hera calls req.json()


def workflow(name: str | None = None, *, generate: str = "hello-", labels: dict[str, str] | None = None,
             tasks: int = 1, **spec: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name} if name else {"generateName": generate}
    if labels:
        metadata["labels"] = labels
    dag = {"tasks": [{"name": f"t{i}" if i else "a", "template": "leaf"} for i in range(tasks)]}
    body = {"entrypoint": "main", "templates": [{"name": "main", "dag": dag},
                                                {"name": "leaf", "container": {"image": "busybox"}}]}
    body.update(spec)
    return {"apiVersion": f"{G}/{V}", "kind": "Workflow", "metadata": metadata, "spec": body}


def status_of(exc: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    assert body["kind"] == "Status" and body["status"] == "Failure" and body["code"] == exc.status
    return body


@pytest.fixture
def co(kube_client: Any) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(kube_client)


@pytest.fixture
def core(kube_client: Any) -> client.CoreV1Api:
    return client.CoreV1Api(kube_client)


def create(
    co: client.CustomObjectsApi, obj: dict[str, Any], plural: str = "workflows", **kw: Any
) -> dict[str, Any]:
    out: dict[str, Any] = co.create_namespaced_custom_object(G, V, NS, plural, obj, **kw)
    return out


# ---------------------------------------------------------------- discovery, auth, RBAC


def test_discovery_and_version(kube_client: Any, co: client.CustomObjectsApi) -> None:
    groups = client.ApisApi(kube_client).get_api_versions()
    assert {g.name for g in groups.groups} >= {"argoproj.io", "authorization.k8s.io"}
    resources = {r.name: r for r in co.get_api_resources(G, V).resources}
    assert {
        "workflows",
        "cronworkflows",
        "workflowtemplates",
        "clusterworkflowtemplates",
        "workflowtasksets",
    } <= set(resources)
    assert client.VersionApi(kube_client).get_code().git_version == "v1.33.0"


def test_without_argo_crds_argoproj_routes_are_404(api_double: ApiDouble, kube_client: Any,
                                                   co: client.CustomObjectsApi) -> None:
    api_double.crds_installed = False
    with pytest.raises(ApiException) as err:
        create(co, workflow())
    body = status_of(err.value)
    assert (err.value.status, body["reason"], body["message"]) == (
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
    assert "argoproj.io" not in {g.name for g in client.ApisApi(kube_client).get_api_versions().groups}


def test_load_kube_config_token_and_401(api_double: ApiDouble, kubeconfig: Path, tmp_path: Path) -> None:
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    assert configuration.host == api_double.kube_url
    bad = api_double.kubeconfig(tmp_path / "bad", token="wrong")
    config.load_kube_config(config_file=str(bad), client_configuration=configuration)
    with client.ApiClient(configuration) as api, pytest.raises(ApiException) as err:
        client.CoreV1Api(api).read_namespace(NS)
    assert (err.value.status, status_of(err.value)["reason"]) == (401, "Unauthorized")
    assert api_double.requests[-1].header("Authorization") == "Bearer wrong"


def test_rbac_deny_gives_the_apiservers_403_and_access_reviews(api_double: ApiDouble, kube_client: Any,
                                                               co: client.CustomObjectsApi) -> None:
    api_double.deny(verb="create", resource="workflows", group="argoproj.io", namespace=NS)
    with pytest.raises(ApiException) as err:
        create(co, workflow("w1"))
    body = status_of(err.value)
    assert body["message"] == (
        'workflows.argoproj.io is forbidden: User "system:serviceaccount:argo:polyflow" cannot create '
        'resource "workflows" in API group "argoproj.io" in the namespace "ml"'
    )
    assert (body["reason"], body["details"]) == ("Forbidden", {"group": "argoproj.io", "kind": "workflows"})
    authz = client.AuthorizationV1Api(kube_client)

    def review(verb: str) -> bool:
        spec = {"resourceAttributes": {"verb": verb, "group": G, "resource": "workflows", "namespace": NS}}
        out = authz.create_self_subject_access_review({"apiVersion": "authorization.k8s.io/v1",
                                                        "kind": "SelfSubjectAccessReview", "spec": spec})
        return bool(out.status.allowed)

    assert (review("create"), review("list")) == (False, True)
    api_double.allow_all()
    assert create(co, workflow("w1"))["metadata"]["name"] == "w1"


# ---------------------------------------------------------------- create, validation, errors


def test_dry_run_strict_validates_and_stores_nothing(
    api_double: ApiDouble, co: client.CustomObjectsApi
) -> None:
    out = create(co, workflow(), dry_run="All", field_validation="Strict")
    assert re.fullmatch(r"hello-[bcdfghjklmnpqrstvwxz2456789]{5}", out["metadata"]["name"])
    assert out["metadata"]["uid"] and out["metadata"]["generation"] == 1
    assert co.list_namespaced_custom_object(G, V, NS, "workflows")["items"] == []
    sent = api_double.requests_to("POST", r"/namespaces/ml/workflows$")[0]
    assert (sent.param("dryRun"), sent.param("fieldValidation"), sent.status) == ("All", "Strict", 201)


def test_create_fills_server_metadata(co: client.CustomObjectsApi) -> None:
    out = create(co, workflow(labels={"app": "x"}))
    meta = out["metadata"]
    assert re.fullmatch(r"hello-[a-z0-9]{5}", meta["name"]) and meta["namespace"] == NS
    assert meta["uid"] and int(meta["resourceVersion"]) > 0 and meta["generation"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert co.get_namespaced_custom_object(G, V, NS, "workflows", meta["name"]) == out


def test_unknown_fields_strict_rejects_warn_prunes(
    api_double: ApiDouble, co: client.CustomObjectsApi
) -> None:
    bad = workflow("typo", maxRetry=3)
    with pytest.raises(ApiException) as err:
        create(co, bad, field_validation="Strict")
    assert err.value.status == 400 and status_of(err.value)["message"] == (
        'Workflow in version "v1alpha1" cannot be handled as a Workflow: strict decoding error: '
        'unknown field "spec.maxRetry"')
    _, code, headers = co.create_namespaced_custom_object_with_http_info(G, V, NS, "workflows", bad)
    assert code == 201 and headers["Warning"] == '299 - "unknown field \\"spec.maxRetry\\""'
    assert "maxRetry" not in api_double.get("workflows", NS, "typo")["spec"]


def test_invalid_objects_get_422_with_causes(co: client.CustomObjectsApi) -> None:
    bad = workflow("big", tasks=201)
    bad["spec"]["templates"][1]["name"] = "Leaf_1"
    bad["spec"]["templates"][0]["dag"]["tasks"][3].update(depends="a", dependencies=["a"])
    with pytest.raises(ApiException) as err:
        create(co, bad)
    body = status_of(err.value)
    assert (err.value.status, body["reason"]) == (422, "Invalid")
    assert body["message"].startswith('Workflow.argoproj.io "big" is invalid: [')
    causes = {(c["field"], c["reason"]) for c in body["details"]["causes"]}
    assert causes == {("spec.templates[0].dag.tasks", "FieldValueTooMany"),
                      ("spec.templates[1].name", "FieldValueInvalid"),
                      ("spec.templates[0].dag.tasks[3]", "FieldValueInvalid")}
    assert body["details"]["group"] == "argoproj.io" and body["details"]["kind"] == "Workflow"
    assert "Too many: 201: must have at most 200 items" in body["message"]


def test_schema_types_required_and_int_or_string(co: client.CustomObjectsApi) -> None:
    ok = workflow("ok")
    ok["spec"]["templates"][1]["retryStrategy"] = {"limit": 3}  # IntOrString in the CRD: an int is fine
    assert create(co, ok)["spec"]["templates"][1]["retryStrategy"]["limit"] == 3
    bad = workflow("bad", arguments={"parameters": [{"name": "n", "value": 5}]})
    del bad["spec"]["templates"][1]["container"]["image"]
    bad["spec"]["templates"][0].pop("name")
    with pytest.raises(ApiException) as err:
        create(co, bad)
    causes = {c["field"]: c for c in status_of(err.value)["details"]["causes"]}
    assert causes["spec.arguments.parameters[0].value"]["reason"] == "FieldValueTypeInvalid"
    assert causes["spec.templates[1].container.image"]["reason"] == "FieldValueRequired"
    nameless = {"apiVersion": f"{G}/{V}", "kind": "Workflow", "metadata": {"name": "x"}}
    with pytest.raises(ApiException) as err:
        create(co, nameless)
    assert [c["field"] for c in status_of(err.value)["details"]["causes"]] == ["spec"]


def test_hera_models_replace_the_schema_when_it_is_absent(tmp_path: Path) -> None:
    with ApiDouble(namespaces=(NS,), argo_schema=False) as double:
        assert double.validator.source == "hera"
        kube = double.kubeconfig(tmp_path / "kc", namespace=NS)
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kube), client_configuration=configuration)
        with client.ApiClient(configuration) as api:
            co = client.CustomObjectsApi(api)
            with pytest.raises(ApiException) as err:
                create(co, workflow("typo", maxRetry=3), field_validation="Strict")
            assert 'unknown field "spec.maxRetry"' in status_of(err.value)["message"]
            with pytest.raises(ApiException) as err:
                create(co, {"apiVersion": f"{G}/{V}", "kind": "Workflow", "metadata": {"name": "x"}})
            assert status_of(err.value)["details"]["causes"][0]["field"] == "spec"
            assert create(co, workflow("fine"))["metadata"]["name"] == "fine"


@pytest.mark.parametrize("name, why", [
    ("Bad_Name", "a lowercase RFC 1123 subdomain"),
    ("a" * 254, "must be no more than 253 characters"),
])
def test_metadata_name_rules(co: client.CustomObjectsApi, name: str, why: str) -> None:
    with pytest.raises(ApiException) as err:
        create(co, workflow(name))
    cause = status_of(err.value)["details"]["causes"][0]
    assert (cause["field"], cause["reason"]) == ("metadata.name", "FieldValueInvalid") and why in cause[
        "message"
    ]


def test_already_exists_not_found_and_missing_namespace(co: client.CustomObjectsApi) -> None:
    create(co, workflow("dup"))
    with pytest.raises(ApiException) as err:
        create(co, workflow("dup"))
    body = status_of(err.value)
    assert (err.value.status, body["reason"], body["message"]) == (
        409,
        "AlreadyExists",
        'workflows.argoproj.io "dup" already exists',
    )
    assert body["details"] == {"name": "dup", "group": "argoproj.io", "kind": "workflows"}
    with pytest.raises(ApiException) as err:
        co.get_namespaced_custom_object(G, V, NS, "workflows", "nope")
    assert status_of(err.value)["message"] == 'workflows.argoproj.io "nope" not found'
    with pytest.raises(ApiException) as err:
        co.create_namespaced_custom_object(G, V, "nowhere", "workflows", workflow("x"))
    assert (err.value.status, status_of(err.value)["message"]) == (404, 'namespaces "nowhere" not found')


def test_request_and_object_size_limits(co: client.CustomObjectsApi) -> None:
    huge = workflow("huge", arguments={"parameters": [{"name": "p", "value": "x" * 3_200_000}]})
    with pytest.raises(ApiException) as err:
        create(co, huge)
    assert (err.value.status, status_of(err.value)["message"]) == (
        413,
        "Request entity too large: limit is 3145728",
    )
    big = workflow("big", arguments={"parameters": [{"name": "p", "value": "x" * 1_600_000}]})
    with pytest.raises(ApiException) as err:
        create(co, big)
    body = status_of(err.value)
    assert (err.value.status, body["reason"], body["message"]) == (413, "RequestEntityTooLarge",
                                                                     "etcdserver: request is too large")


# ---------------------------------------------------------------- list, patch, apply, replace, delete


def test_list_label_and_field_selectors(co: client.CustomObjectsApi) -> None:
    for name, labels in (("a", {"app": "x", "tier": "1"}), ("b", {"app": "y"}), ("c", {"tier": "2"})):
        create(co, workflow(name, labels=labels))

    def names(**kw: Any) -> list[str]:
        return [
            o["metadata"]["name"]
            for o in co.list_namespaced_custom_object(G, V, NS, "workflows", **kw)["items"]
        ]

    assert names(label_selector="app=x") == ["a"]
    assert names(label_selector="app!=x") == ["b", "c"]
    assert names(label_selector="app in (x, y)") == ["a", "b"]
    assert names(label_selector="tier notin (1),app") == ["b"]
    assert names(label_selector="!app") == ["c"]
    assert names(field_selector="metadata.name=b") == ["b"]
    page = co.list_namespaced_custom_object(G, V, NS, "workflows", limit=2)
    assert len(page["items"]) == 2 and page["metadata"]["remainingItemCount"] == 1
    assert names(limit=2, _continue=page["metadata"]["continue"]) == ["c"]
    with pytest.raises(ApiException) as err:
        names(field_selector="spec.entrypoint=main")
    assert err.value.status == 400 and "not a known field selector" in status_of(err.value)["message"]


def test_apply_creates_then_is_idempotent(api_double: ApiDouble, co: client.CustomObjectsApi) -> None:
    tmpl = {
        "apiVersion": f"{G}/{V}",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "t", "labels": {"a": "1"}},
        "spec": {"templates": [{"name": "leaf", "container": {"image": "busybox"}}]},
    }

    def apply(body: dict[str, Any]) -> tuple[Any, int]:
        data, code, _ = co.patch_namespaced_custom_object_with_http_info(
            G,
            V,
            NS,
            "workflowtemplates",
            "t",
            body,
            field_manager="polyflow-argo",
            force=True,
            _content_type=APPLY,
        )
        return data, code

    first, code = apply(tmpl)
    assert code == 201 and first is None  # the client's response map knows only 200: a created object is lost
    stored = api_double.get("workflowtemplates", NS, "t")
    again, code = apply(tmpl)
    assert code == 200 and again["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert again["metadata"]["generation"] == 1
    changed = json.loads(json.dumps(tmpl))
    changed["spec"]["templates"][0]["container"]["image"] = "alpine"
    del changed["metadata"]["labels"]
    out, _ = apply(changed)
    assert out["metadata"]["generation"] == 2 and "labels" not in out["metadata"]
    assert int(out["metadata"]["resourceVersion"]) > int(stored["metadata"]["resourceVersion"])
    sent = api_double.requests_to("PATCH", "/workflowtemplates/t$")[0]
    assert (sent.header("Content-Type"), sent.param("fieldManager"), sent.param("force")) == (
        APPLY,
        "polyflow-argo",
        "true",
    )
    with pytest.raises(ApiException) as err:
        co.patch_namespaced_custom_object(G, V, NS, "workflowtemplates", "t", tmpl, _content_type=APPLY)
    assert err.value.status == 422 and "fieldManager: Required value" in status_of(err.value)["message"]


def test_merge_json_and_strategic_patches(co: client.CustomObjectsApi) -> None:
    create(co, workflow("p"))
    out = co.patch_namespaced_custom_object(G, V, NS, "workflows", "p", {"spec": {"shutdown": "Stop"}})
    assert out["spec"]["shutdown"] == "Stop" and out["metadata"]["generation"] == 2
    ops = [
        {"op": "replace", "path": "/spec/shutdown", "value": "Terminate"},
        {"op": "add", "path": "/metadata/labels", "value": {"k": "v"}},
    ]
    out = co.patch_namespaced_custom_object(G, V, NS, "workflows", "p", ops,
                                            _content_type="application/json-patch+json")
    assert (out["spec"]["shutdown"], out["metadata"]["labels"]) == ("Terminate", {"k": "v"})
    with pytest.raises(ApiException) as err:
        co.patch_namespaced_custom_object(G, V, NS, "workflows", "p", {"spec": {}},
                                          _content_type="application/strategic-merge-patch+json")
    assert (err.value.status, status_of(err.value)["reason"]) == (415, "UnsupportedMediaType")


def test_replace_needs_a_current_resource_version(co: client.CustomObjectsApi) -> None:
    old = create(co, workflow("r"))
    co.patch_namespaced_custom_object(G, V, NS, "workflows", "r", {"spec": {"suspend": True}})
    with pytest.raises(ApiException) as err:
        co.replace_namespaced_custom_object(G, V, NS, "workflows", "r", old)
    assert err.value.status == 409 and status_of(err.value)["message"] == (
        'Operation cannot be fulfilled on workflows.argoproj.io "r": the object has been modified; please '
        'apply '
        "your changes to the latest version and try again"
    )
    del old["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as err:
        co.replace_namespaced_custom_object(G, V, NS, "workflows", "r", old)
    assert err.value.status == 422
    current = co.get_namespaced_custom_object(G, V, NS, "workflows", "r")
    current["spec"]["suspend"] = False
    assert (
        co.replace_namespaced_custom_object(G, V, NS, "workflows", "r", current)["spec"]["suspend"] is False
    )


def test_delete_propagation_and_finalizers(api_double: ApiDouble, co: client.CustomObjectsApi) -> None:
    create(co, workflow("d"))
    out = co.delete_namespaced_custom_object(G, V, NS, "workflows", "d", propagation_policy="Foreground")
    assert out["status"] == "Success" and out["details"]["name"] == "d"
    assert api_double.requests[-1].param("propagationPolicy") == "Foreground"
    with pytest.raises(ApiException) as err:
        co.delete_namespaced_custom_object(G, V, NS, "workflows", "d")
    assert err.value.status == 404
    held = workflow("f")
    held["metadata"]["finalizers"] = ["workflows.argoproj.io/artifact-gc"]
    create(co, held)
    co.delete_namespaced_custom_object(G, V, NS, "workflows", "f")
    assert co.get_namespaced_custom_object(G, V, NS, "workflows", "f")["metadata"]["deletionTimestamp"]
    co.patch_namespaced_custom_object(G, V, NS, "workflows", "f", {"metadata": {"finalizers": None}})
    assert api_double.get("workflows", NS, "f") is None


def test_configmaps_namespaces_and_pods(api_double: ApiDouble, core: client.CoreV1Api) -> None:
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm", labels={"app": "pf"}), data={"k": "v"})
    assert core.create_namespaced_config_map(NS, body).metadata.uid
    assert core.patch_namespaced_config_map("cm", NS, {"data": {"k2": "v2"}}).data == {"k": "v", "k2": "v2"}
    assert [c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector="app=pf").items] == [
        "cm"
    ]
    core.delete_namespaced_config_map("cm", NS)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_config_map("cm", NS)
    assert status_of(err.value)["message"] == 'configmaps "cm" not found'
    assert core.read_namespace(NS).status.phase == "Active"
    with pytest.raises(ApiException) as err:
        core.read_namespace("absent")
    assert err.value.status == 404
    api_double.add_pod(NS, "wf-a-1", workflow="wf")
    api_double.add_pod(NS, "other", labels={"x": "y"})
    pods = core.list_namespaced_pod(NS, label_selector="workflows.argoproj.io/workflow=wf").items
    assert [p.metadata.name for p in pods] == ["wf-a-1"]
    assert pods[0].metadata.annotations["workflows.argoproj.io/node-id"] == node_id("wf", "wf.wf-a-1")


# ---------------------------------------------------------------- watch


def test_watch_streams_controller_updates(api_double: ApiDouble, co: client.CustomObjectsApi) -> None:
    created = create(co, workflow("w"))
    name, rv = created["metadata"]["name"], created["metadata"]["resourceVersion"]
    timeline = api_double.timeline(NS, name, [
        (0.05, {"phase": "Running"}),
        (0.05, lambda d, ns, n: d.set_node(ns, n, "a", phase="Succeeded", templateName="leaf")),
        (0.05, {"phase": "Succeeded"}),
    ])
    seen = []
    w = watch.Watch()
    for event in w.stream(co.list_namespaced_custom_object, G, V, NS, "workflows", resource_version=rv,
                          field_selector=f"metadata.name={name}", timeout_seconds=5):
        seen.append((event["type"], (event["object"].get("status") or {}).get("phase"),
                     int(event["object"]["metadata"]["resourceVersion"])))
        if seen[-1][1] == "Succeeded":
            w.stop()
    timeline.join(5)
    assert [s[:2] for s in seen] == [
        ("MODIFIED", "Running"),
        ("MODIFIED", "Running"),
        ("MODIFIED", "Succeeded"),
    ]
    assert int(rv) < seen[0][2] < seen[1][2] < seen[2][2]
    final = api_double.get("workflows", NS, name)
    assert final["metadata"]["labels"]["workflows.argoproj.io/completed"] == "true"
    assert final["status"]["nodes"][node_id(name, f"{name}.a")]["displayName"] == "a"


def test_watch_from_a_resource_version_selectors_and_410(
    api_double: ApiDouble, co: client.CustomObjectsApi
) -> None:
    create(co, workflow("old", labels={"app": "x"}))
    rv = co.list_namespaced_custom_object(G, V, NS, "workflows")["metadata"]["resourceVersion"]
    create(co, workflow("new", labels={"app": "x"}))
    api_double.patch("workflows", NS, "old", {"metadata": {"labels": {"app": "gone"}}})
    events, w = [], watch.Watch()
    for e in w.stream(co.list_namespaced_custom_object, G, V, NS, "workflows", label_selector="app=x",
                      resource_version=rv, timeout_seconds=5):
        events.append((e["type"], e["object"]["metadata"]["name"]))
        if len(events) == 2:
            w.stop()
    assert events == [("ADDED", "new"), ("DELETED", "old")]  # "old" stopped matching the selector
    api_double.expire_history()
    with pytest.raises(ApiException) as err:
        list(
            watch.Watch().stream(
                co.list_namespaced_custom_object,
                G,
                V,
                NS,
                "workflows",
                resource_version=rv,
                timeout_seconds=1,
            )
        )
    assert err.value.status == 410 and "too old resource version" in err.value.reason


def test_watch_bookmark_before_timeout(co: client.CustomObjectsApi) -> None:
    create(co, workflow("b"))
    types = [e["type"] for e in watch.Watch().stream(co.list_namespaced_custom_object, G, V, NS, "workflows",
                                                     allow_watch_bookmarks=True, timeout_seconds=1)]
    assert types == ["ADDED", "BOOKMARK"]


# ---------------------------------------------------------------- pod logs


def test_pod_log_rules_tail_and_timestamps(api_double: ApiDouble, core: client.CoreV1Api) -> None:
    api_double.add_pod(NS, "p1", workflow="wf")
    api_double.append_log(NS, "p1", "one", "two", "three")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("p1", NS)
    assert (
        status_of(err.value)["message"]
        == "a container name must be specified for pod p1, choose one of: [wait main]"
    )
    assert core.read_namespaced_pod_log("p1", NS, container="main", tail_lines=2) == "two\nthree\n"
    stamped = core.read_namespaced_pod_log("p1", NS, container="main", timestamps=True).splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z one", stamped[0])
    api_double.add_pod(NS, "p2", workflow="wf", phase="Pending")
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("p2", NS, container="main")
    assert "is waiting to start: ContainerCreating" in status_of(err.value)["message"]


def test_pod_log_follow_streams_until_the_container_finishes(
    api_double: ApiDouble, core: client.CoreV1Api
) -> None:
    api_double.add_pod(NS, "p", workflow="wf")
    api_double.append_log(NS, "p", "first")
    timeline = api_double.timeline(NS, "p", [
        (0.1, lambda d, ns, n: d.append_log(ns, n, "second")),
        (0.1, lambda d, ns, n: d.append_log(ns, n, "third")),
        (0.1, lambda d, ns, n: d.finish_container(ns, n)),
    ])
    resp = core.read_namespaced_pod_log("p", NS, container="main", follow=True, _preload_content=False,
                                        _request_timeout=5)
    try:
        started, chunks = time.monotonic(), [c.decode() for c in resp.stream(amt=None)]
    finally:
        resp.release_conn()
    timeline.join(5)
    assert "".join(chunks) == "first\nsecond\nthird\n" and len(chunks) >= 2  # arrived as they were written
    assert time.monotonic() - started >= 0.15
    assert api_double.get("pods", NS, "p")["status"]["phase"] == "Running"  # "wait" is still running
    api_double.finish_container(NS, "p", "wait")
    assert core.read_namespaced_pod("p", NS).status.phase == "Succeeded"
    lines = list(watch.Watch().stream(core.read_namespaced_pod_log, name="p", namespace=NS, container="main"))
    assert lines == ["first", "second", "third"]


# ---------------------------------------------------------------- faults and the request log


@pytest.mark.parametrize("code, reason", [(429, "TooManyRequests"), (500, "InternalError"),
                                          (503, "ServiceUnavailable"), (504, "Timeout")])
def test_injected_failures_then_success(api_double: ApiDouble, co: client.CustomObjectsApi, code: int,
                                        reason: str) -> None:
    api_double.fail_next("POST", r"/workflows$", code, retry_after=2 if code == 429 else None)
    with pytest.raises(ApiException) as err:
        create(co, workflow("f"))
    assert (err.value.status, status_of(err.value)["reason"]) == (code, reason)
    assert api_double.get("workflows", NS, "f") is None
    if code == 429:
        assert err.value.headers["Retry-After"] == "2"
        assert status_of(err.value)["details"] == {"retryAfterSeconds": 2}
    assert create(co, workflow("f"))["metadata"]["name"] == "f"


def test_dropped_connection_after_create_stores_the_object(
    api_double: ApiDouble, co: client.CustomObjectsApi
) -> None:
    api_double.drop_after_next("POST", r"/namespaces/ml/workflows$")
    with pytest.raises((urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError)):
        create(co, workflow("once"))
    assert api_double.get("workflows", NS, "once") is not None
    assert api_double.requests_to("POST")[0].status == "dropped"
    with pytest.raises(ApiException) as err:
        create(co, workflow("once"))
    assert status_of(err.value)["reason"] == "AlreadyExists"


# ---------------------------------------------------------------- Argo Server through Hera


@HERA
def test_hera_create_get_list_delete_share_the_store(api_double: ApiDouble, argo_service: Any,
                                                     co: client.CustomObjectsApi) -> None:
    from hera.exceptions import NotFound
    from hera.workflows import models as m

    made = argo_service.create_workflow(
        m.WorkflowCreateRequest(workflow=m.Workflow(**workflow(labels={"app": "x"})))
    )
    name = made.metadata.name
    assert made.kind is None and made.metadata.labels == {"app": "x", "workflows.argoproj.io/creator":
                                                          "system-serviceaccount-argo-polyflow"}
    assert (
        co.get_namespaced_custom_object(G, V, NS, "workflows", name)["metadata"]["uid"] == made.metadata.uid
    )
    create(co, workflow("via-kube"))
    assert argo_service.get_workflow("via-kube").spec.entrypoint == "main"
    listed = argo_service.list_workflows(label_selector="app=x").items
    assert [w.metadata.name for w in listed] == [name]
    argo_service.delete_workflow(name)
    with pytest.raises(NotFound, match=f'workflows.argoproj.io "{name}" not found'):
        argo_service.get_workflow(name)
    sent = api_double.requests_to("GET", "/api/v1/workflows/ml$", server="argo")[0]
    assert (
        sent.param("listOptions.labelSelector") == "app=x"
        and sent.header("Authorization") == "Bearer argo-token"
    )


@HERA
def test_hera_dry_runs_and_argo_validation(api_double: ApiDouble, argo_service: Any) -> None:
    from hera.exceptions import BadRequest
    from hera.workflows import models as m

    dry = argo_service.create_workflow(m.WorkflowCreateRequest(workflow=m.Workflow(**workflow("dry")),
                                                               server_dry_run=True))
    assert dry.metadata.uid and api_double.get("workflows", NS, "dry") is None
    assert api_double.requests_to("POST", server="argo")[0].json()["serverDryRun"] is True
    linted = argo_service.lint_workflow(m.WorkflowLintRequest(workflow=m.Workflow(**workflow("lint"))))
    assert linted.metadata.name == "lint" and api_double.get("workflows", NS, "lint") is None
    undefined = workflow("u", entrypoint="nope")
    with pytest.raises(BadRequest, match="template name 'nope' undefined"):
        argo_service.lint_workflow(m.WorkflowLintRequest(workflow=m.Workflow(**undefined)))
    with pytest.raises(BadRequest, match=r'workflow name "a{64}" must not be more than 63 characters long'):
        argo_service.create_workflow(m.WorkflowCreateRequest(workflow=m.Workflow(**workflow("a" * 64))))
    ref = workflow("r")
    ref["spec"]["templates"][0]["dag"]["tasks"][0] = {
        "name": "a",
        "templateRef": {"name": "lib", "template": "x"},
    }
    with pytest.raises(BadRequest, match="templates.main.tasks.a template reference lib.x not found"):
        argo_service.create_workflow(m.WorkflowCreateRequest(workflow=m.Workflow(**ref)))


@HERA
def test_hera_error_codes(api_double: ApiDouble, argo_service: Any) -> None:
    from hera.exceptions import AlreadyExists, Forbidden, HeraException, Unauthorized
    from hera.workflows import WorkflowsService
    from hera.workflows import models as m

    request = m.WorkflowCreateRequest(workflow=m.Workflow(**workflow("e")))
    argo_service.create_workflow(request)
    with pytest.raises(AlreadyExists, match='workflows.argoproj.io "e" already exists'):
        argo_service.create_workflow(request)
    api_double.deny("get", "workflows", namespace=NS)
    with pytest.raises(Forbidden, match='cannot get resource "workflows" in API group "argoproj.io"'):
        argo_service.get_workflow("e")
    with WorkflowsService(host=api_double.argo_url, token="wrong", namespace=NS) as bad, \
            pytest.raises(Unauthorized, match="token not valid"):
        bad.get_workflow("e")
    api_double.allow_all()
    api_double.fail_next("GET", "/api/v1/workflows/ml/e$", 503, server="argo")
    with pytest.raises(HeraException, match="503"):
        argo_service.get_workflow("e")
    raw = argo_service.session.get(f"{api_double.argo_url}/api/v1/workflows/ml/missing",
                                   headers={"Authorization": "Bearer argo-token"}, timeout=5)
    assert (raw.status_code, raw.json()) == (
        404,
        {"code": 5, "message": 'workflows.argoproj.io "missing" not found'},
    )


@HERA
def test_hera_stop_terminate_resume_resubmit(api_double: ApiDouble, argo_service: Any) -> None:
    from hera.exceptions import InternalServerError
    from hera.workflows import models as m

    argo_service.create_workflow(
        m.WorkflowCreateRequest(workflow=m.Workflow(**workflow("s", labels={"app": "x"})))
    )
    api_double.set_phase(NS, "s", "Running")
    api_double.set_node(NS, "s", "approve", type="Suspend", phase="Running")
    resumed = argo_service.resume_workflow(
        "s", m.WorkflowResumeRequest(node_field_selector="displayName=approve")
    )
    assert resumed.status.nodes[node_id("s", "s.approve")].phase == "Succeeded"
    with pytest.raises(InternalServerError, match="no suspend nodes matching nodeFieldSelector"):
        argo_service.resume_workflow("s", m.WorkflowResumeRequest(node_field_selector="displayName=approve"))
    assert argo_service.stop_workflow("s", m.WorkflowStopRequest()).spec.shutdown == "Stop"
    assert argo_service.terminate_workflow("s", m.WorkflowTerminateRequest()).spec.shutdown == "Terminate"
    api_double.set_phase(NS, "s", "Failed")
    with pytest.raises(InternalServerError, match='cannot shutdown a completed workflow: workflow: "s"'):
        argo_service.stop_workflow("s", m.WorkflowStopRequest())
    again = argo_service.resubmit_workflow("s", m.WorkflowResubmitRequest(parameters=["p=2"]))
    assert again.metadata.name.startswith("s-") and again.metadata.generate_name == "s-"
    assert again.metadata.labels["workflows.argoproj.io/resubmitted-from-workflow"] == "s"
    assert again.metadata.labels["app"] == "x" and "workflows.argoproj.io/phase" not in again.metadata.labels
    assert again.spec.shutdown is None and again.spec.arguments.parameters[0].value == "2"


@HERA
def test_hera_cron_workflows_and_templates(api_double: ApiDouble, argo_service: Any) -> None:
    from hera.exceptions import AlreadyExists, BadRequest
    from hera.workflows import models as m

    spec = workflow("x")["spec"]
    cron = m.CronWorkflow(metadata=m.ObjectMeta(name="nightly"), spec=m.CronWorkflowSpec(
        schedules=["0 2 * * *"], workflow_spec=m.WorkflowSpec(**spec)))
    made = argo_service.create_cron_workflow(m.CreateCronWorkflowRequest(cron_workflow=cron))
    assert made.spec.schedules == ["0 2 * * *"]
    current = argo_service.get_cron_workflow("nightly")
    current.spec.suspend = True
    assert argo_service.update_cron_workflow(
        "nightly", m.UpdateCronWorkflowRequest(cron_workflow=current)
    ).spec.suspend
    with pytest.raises(
        AlreadyExists, match="the object has been modified"
    ):  # 409 Conflict: stale resourceVersion
        argo_service.update_cron_workflow("nightly", m.UpdateCronWorkflowRequest(cron_workflow=current))
    assert [c.metadata.name for c in argo_service.list_cron_workflows().items] == ["nightly"]
    long = m.CronWorkflow(metadata=m.ObjectMeta(name="c" * 53), spec=made.spec)
    with pytest.raises(BadRequest, match="must not be more than 52 characters"):
        argo_service.create_cron_workflow(m.CreateCronWorkflowRequest(cron_workflow=long))
    argo_service.delete_cron_workflow("nightly")
    assert api_double.objects("cronworkflows", NS) == []
    tmpl = m.WorkflowTemplate(
        metadata=m.ObjectMeta(name="lib"), spec=m.WorkflowSpec(templates=spec["templates"])
    )
    argo_service.create_workflow_template(m.WorkflowTemplateCreateRequest(template=tmpl))
    assert argo_service.get_workflow_template("lib").spec.templates[1].name == "leaf"
    cluster = m.ClusterWorkflowTemplate(metadata=m.ObjectMeta(name="lib"), spec=tmpl.spec)
    argo_service.create_cluster_workflow_template(m.ClusterWorkflowTemplateCreateRequest(template=cluster))
    with pytest.raises(AlreadyExists):
        argo_service.create_cluster_workflow_template(m.ClusterWorkflowTemplateCreateRequest(template=cluster))
    assert [t.metadata.name for t in argo_service.list_cluster_workflow_templates().items] == ["lib"]
    ref = workflow("uses-lib")
    ref["spec"]["templates"][0]["dag"]["tasks"][0] = {
        "name": "a",
        "templateRef": {"name": "lib", "template": "leaf"},
    }
    assert (
        argo_service.create_workflow(m.WorkflowCreateRequest(workflow=m.Workflow(**ref))).metadata.name
        == "uses-lib"
    )


def _lines(response: Any) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines():
        if line:
            yield json.loads(line)


@HERA
def test_argo_log_stream_follows_every_pod_until_the_workflow_completes(api_double: ApiDouble,
                                                                        argo_service: Any) -> None:
    api_double.create(workflow("lg"), NS)
    api_double.set_phase(NS, "lg", "Running")
    for pod in ("lg-a-1", "lg-b-2"):
        api_double.add_pod(NS, pod, workflow="lg")
    api_double.append_log(NS, "lg-a-1", "a says hi")
    assert argo_service.workflow_logs("lg", container="main").content is None  # Hera cannot parse the stream

    def finish(d: ApiDouble, ns: str, name: str) -> None:
        d.finish_container(ns, "lg-a-1")
        d.finish_container(ns, "lg-b-2")
        d.set_phase(ns, name, "Succeeded")

    timeline = api_double.timeline(NS, "lg", [(0.1, lambda d, ns, n: d.append_log(ns, "lg-b-2", "b says hi")),
                                              (0.1, finish)])
    url = f"{api_double.argo_url}/api/v1/workflows/{NS}/lg/log"
    with argo_service.session.get(
        url,
        params={"logOptions.container": "main", "logOptions.follow": True},
        headers={"Authorization": argo_service.token},
        stream=True,
        timeout=5,
    ) as resp:
        entries = [e["result"] for e in _lines(resp)]
    timeline.join(5)
    assert entries == [
        {"content": "a says hi", "podName": "lg-a-1"},
        {"content": "b says hi", "podName": "lg-b-2"},
    ]
    sent = api_double.requests_to("GET", "/lg/log$", server="argo")[-1]
    assert (
        sent.param("logOptions.follow") == "True"
    )  # requests sends Python booleans; Argo's ParseBool accepts


@HERA
def test_argo_watch_stream_and_stream_errors(api_double: ApiDouble, argo_service: Any) -> None:
    rv = api_double.create(workflow("ev"), NS)["metadata"]["resourceVersion"]
    timeline = api_double.timeline(NS, "ev", [(0.1, {"phase": "Running"}), (0.1, {"phase": "Succeeded"})])
    url = f"{api_double.argo_url}/api/v1/workflow-events/{NS}"
    auth = {"Authorization": argo_service.token}
    phases = []
    params = {"listOptions.fieldSelector": "metadata.name=ev", "listOptions.resourceVersion": rv}
    with argo_service.session.get(url, params=params, headers=auth, stream=True, timeout=5) as resp:
        for event in _lines(resp):
            phases.append(
                (event["result"]["type"], (event["result"]["object"].get("status") or {}).get("phase"))
            )
            assert "kind" not in event["result"]["object"]
            if phases[-1][1] == "Succeeded":
                break
    timeline.join(5)
    assert phases == [("MODIFIED", "Running"), ("MODIFIED", "Succeeded")]
    with argo_service.session.get(
        url, params={"listOptions.fieldSelector": "metadata.name=absent"}, headers=auth, timeout=5
    ) as resp:
        assert resp.status_code == 404 and resp.json() == {"error": {
            "grpc_code": 5, "http_code": 404, "message": 'workflows.argoproj.io "absent" not found',
            "http_status": "Not Found"}}
    with argo_service.session.get(
        url, params={"listOptions.timeoutSeconds": 1}, headers=auth, timeout=5
    ) as resp:
        last = list(_lines(resp))[-1]
    assert last["error"]["message"] == "EOF" and last["error"]["grpc_code"] == 8


# ---------------------------------------------------------------- the double itself


def test_on_create_scripts_the_controller_for_client_creates(
    api_double: ApiDouble, co: client.CustomObjectsApi
) -> None:
    api_double.on_create("workflows", [(0.05, {"phase": "Running"}), (0.05, {"phase": "Succeeded"})])
    name = create(co, workflow())["metadata"]["name"]
    create(co, workflow(), dry_run="All")  # dry runs are not scripted
    deadline = time.monotonic() + 5
    while (api_double.get("workflows", NS, name).get("status") or {}).get("phase") != "Succeeded":
        assert time.monotonic() < deadline, "the script did not run"
        time.sleep(0.02)
    assert len(api_double.objects("workflows", NS)) == 1


def test_stop_ends_open_streams_and_idle_connections(tmp_path: Path) -> None:
    double = ApiDouble(namespaces=(NS,)).start()
    kube = double.kubeconfig(tmp_path / "kc", namespace=NS)
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kube), client_configuration=configuration)
    errors: list[BaseException] = []
    api = client.ApiClient(configuration)
    co = client.CustomObjectsApi(api)
    co.list_namespaced_custom_object(G, V, NS, "workflows")  # leaves an idle keep-alive connection

    def watcher() -> None:
        try:
            list(
                watch.Watch().stream(
                    co.list_namespaced_custom_object, G, V, NS, "workflows", timeout_seconds=60
                )
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=watcher)
    thread.start()
    deadline = time.monotonic() + 5
    while not double.requests_to("GET", "/workflows$")[1:]:  # the watch request has arrived
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = time.monotonic()
    double.stop()
    thread.join(5)
    api.close()
    assert not thread.is_alive() and time.monotonic() - started < 3 and errors == []
    assert not [t for t in threading.enumerate() if t.name.startswith("apidouble")]
