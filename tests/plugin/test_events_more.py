"""The s3, k8s and pipeline events through the executor plugin, over real HTTP on loopback.

Each kind: waiting → requeue → success, timeout → Failed with the last message, invalid params → a
message naming the param. The s3 event talks to moto's S3 server (run from its own venv, because
moto needs boto3, whose botocore pins python-dateutil<3 and kubernetes 37 needs >=3: see
``moto_s3``); the k8s and pipeline events talk to the loopback Kubernetes API double
(tests/apidouble) through the real ``kubernetes`` client, swapped in as ``events.KUBE.factory``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from polyflow_argo.plugin import events
from polyflow_argo.plugin.server import PATH
from tests.apidouble import ApiDouble
from tests.plugin.harness import TOKEN, Clock
from tests.support import cli

ROOT = Path(__file__).resolve().parents[2]
NS = "ml"
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never via a proxy


def call(base: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        base + PATH,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with DIRECT.open(req, timeout=30) as resp:
        assert resp.status == 200
        reply: dict[str, Any] = json.loads(resp.read())
        return reply


def request(spec: dict[str, Any], name: str = "wait") -> dict[str, Any]:
    return {"workflow": {"metadata": {"name": "wf", "namespace": NS, "uid": "u-1"}},
            "template": {"name": name, "plugin": {"polyflow": spec}}}


def node(base: str, spec: dict[str, Any]) -> dict[str, Any]:
    reply = call(base, request(spec))
    result: dict[str, Any] = reply["node"]
    if result["phase"] == "Running":
        assert re.fullmatch(r"\d+s", reply["requeue"]), reply
    else:
        assert "requeue" not in reply
    return result


def outputs(result: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in result["outputs"]["parameters"]}


def assert_invalid(base: str, cases: list[tuple[dict[str, Any], str]]) -> None:
    for spec, message in cases:
        result = node(base, spec)
        assert result["phase"] == "Failed" and message in result["message"], (spec, result)


# ================================================================================ s3 (moto server)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with ``moto[server]``, made once and kept in pytest's cache (``.pytest_cache/d/moto``):
    built in a temporary directory and renamed when complete, so a broken build is never reused."""
    cache = getattr(request.config, "cache", None)
    parent = cache.mkdir("moto") if cache is not None else tmp_path_factory.mktemp("moto")
    venv = parent / f"venv-py{sys.version_info.major}{sys.version_info.minor}"
    python = venv / "bin" / "python"
    if (venv / ".ready").exists() and python.exists():
        return python
    building = parent / f"{venv.name}.building-{os.getpid()}"
    steps = [[sys.executable, "-m", "venv", str(building)],
             [str(building / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
              "moto[server]"]]
    for step in steps:
        try:
            subprocess.run(step, check=True, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = (getattr(exc, "stderr", None) or str(exc)).strip().splitlines()[-1:]
            subprocess.run(["rm", "-rf", str(building)], check=False)
            pytest.skip(
                f"moto's S3 server could not be installed in a separate venv ({' '.join(step[:3])}: "
                f"{' '.join(detail) or type(exc).__name__}); the s3 event tests need it (PyPI access)"
            )
    (building / ".ready").write_text("moto[server]\n")
    if venv.exists():  # another run finished first: use the one there
        subprocess.run(["rm", "-rf", str(building)], check=False)
    else:
        building.rename(venv)
    return python


@pytest.fixture(scope="session")
def minio_installed() -> None:
    pytest.importorskip("minio", reason="the s3 event needs the s3 extra: pip install -e '.[test,s3]'")


@pytest.fixture(scope="session")
def moto_s3(minio_installed: None, request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of ``python -m moto.server`` (S3 API; any credentials accepted)."""
    python = _moto_python(request, tmp_path_factory)
    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto-log") / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(python), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with DIRECT.open(url + "/", timeout=2) as resp:
                    resp.read()
                break
            except (urllib.error.URLError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                    pytest.skip(f"moto's S3 server did not start: {' | '.join(tail) or 'no output'}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def s3(moto_s3: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """(endpoint, bucket): a new empty bucket; the sidecar's AWS_* variables hold test credentials."""
    for var in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"pf-{uuid.uuid4().hex[:12]}"
    put(moto_s3, bucket, None)
    yield moto_s3, bucket


def put(endpoint: str, bucket: str, key: str | None, data: bytes = b"") -> None:
    """Create the bucket (key None) or write the object, with the minio client and test credentials
    (moto accepts unsigned PUTs too, but not an anonymous overwrite of a private object)."""
    import io

    from minio import Minio

    client = Minio(endpoint.removeprefix("http://"), access_key="testing", secret_key="testing", secure=False,
                   region="us-east-1")
    if key is None:
        client.make_bucket(bucket)
    else:
        client.put_object(bucket, key, io.BytesIO(data), len(data), content_type="application/octet-stream")


def test_s3_object_waits_requeues_then_succeeds(plugin: str, s3: tuple[str, str]) -> None:
    endpoint, bucket = s3
    spec = {"kind": "s3", "url": f"s3://{bucket}/daily/part-0.parquet", "endpoint": endpoint,
            "region": "us-east-1", "min_size": "10", "poll": "15"}
    reply = call(plugin, request(spec))
    assert reply["node"]["phase"] == "Running" and reply["requeue"] == "15s"
    assert reply["node"]["message"] == f"s3://{bucket}/daily/part-0.parquet does not exist yet (NoSuchKey)"
    put(endpoint, bucket, "daily/part-0.parquet", b"tiny")
    result = node(plugin, spec)
    assert result["phase"] == "Running" and "has 4 bytes, waiting for at least 10" in result["message"]
    put(endpoint, bucket, "daily/part-0.parquet", b"0123456789abcdef")
    result = node(plugin, spec)
    assert result["phase"] == "Succeeded", result
    out = outputs(result)
    assert out["size"] == "16" and re.fullmatch(r"[0-9a-f]{32}", out["etag"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out["last_modified"])


def test_s3_bucket_and_key_with_endpoint_and_region_from_the_environment(
        plugin: str, s3: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, bucket = s3
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # what `plugin manifest --s3-secret` can set
    spec = {
        "kind": "s3",
        "bucket": bucket,
        "key": "ready.flag",
    }  # no region: minio asks the bucket's location
    assert node(plugin, spec)["phase"] == "Running"
    put(endpoint, bucket, "ready.flag", b"1")
    result = node(plugin, spec)
    assert result["phase"] == "Succeeded" and outputs(result)["size"] == "1"


def test_s3_missing_bucket_waits_and_times_out_with_the_message(plugin: str, s3: tuple[str, str],
                                                               clock: Clock) -> None:
    endpoint, _ = s3
    spec = {"kind": "s3", "url": "s3://no-such-bucket-here/x", "endpoint": endpoint, "region": "us-east-1",
            "timeout": "60", "poll": "30"}
    assert node(plugin, spec)["phase"] == "Running"
    clock.now += 61
    result = node(plugin, spec)
    assert result["phase"] == "Failed"
    assert result["message"].startswith(
        "s3 event timed out after 60 s: s3://no-such-bucket-here/x does not exist yet"
    )


def test_s3_anonymous_requests_say_access_denied(plugin: str, s3: tuple[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, bucket = s3
    put(endpoint, bucket, "private.bin", b"x")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = node(plugin, {"kind": "s3", "url": f"s3://{bucket}/private.bin", "endpoint": endpoint,
                           "region": "us-east-1"})
    assert result["phase"] == "Running"
    assert "access denied to an anonymous request (no AWS_ACCESS_KEY_ID)" in result["message"]


def test_s3_unreachable_endpoint_keeps_waiting(plugin: str, minio_installed: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    result = node(plugin, {"kind": "s3", "url": "s3://bucket/key", "endpoint": f"http://127.0.0.1:{_free_port()}",
                           "region": "us-east-1", "request_timeout": "2"})
    assert result["phase"] == "Running" and "s3://bucket/key on 127.0.0.1:" in result["message"]


def test_s3_without_minio_says_how_to_install_it(plugin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "minio", None)  # `import minio` raises ImportError
    result = node(plugin, {"kind": "s3", "url": "s3://bucket/key"})
    assert result["phase"] == "Failed"
    assert "lacks the `minio` package: pip install 'polyflow-argo[s3]'" in result["message"]


def test_s3_invalid_params(plugin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    assert_invalid(
        plugin,
        [
            (
                {"kind": "s3"},
                "s3 event: an s3 event needs `url` (s3://bucket/key) or both `bucket` and `key`",
            ),
            ({"kind": "s3", "url": "https://bucket/key"}, "`url` must look like s3://bucket/key"),
            ({"kind": "s3", "url": "s3://bucket"}, "`url` must look like s3://bucket/key"),
            (
                {"kind": "s3", "url": "s3://b/k", "bucket": "b"},
                "give either `url` (s3://bucket/key) or `bucket` and `key`",
            ),
            ({"kind": "s3", "bucket": "b"}, "or both `bucket` and `key`"),
            (
                {"kind": "s3", "bucket": "Not_A_Bucket", "key": "k"},
                "'Not_A_Bucket' is not a valid bucket name",
            ),
            (
                {"kind": "s3", "url": "s3://bucket/k", "endpoint": "ftp://minio:9000"},
                "`endpoint` must be http(s)://host[:port]",
            ),
            ({"kind": "s3", "url": "s3://bucket/k", "endpoint": "http://minio:9000/path"}, "without a path"),
            ({"kind": "s3", "url": "s3://bucket/k", "min_size": "-1"}, "`min_size` must be at least 0"),
            ({"kind": "s3", "url": "s3://bucket/k", "min_size": "big"}, "`min_size` must be a number"),
            (
                {"kind": "s3", "url": "s3://bucket/k", "request_timeout": "0"},
                "`request_timeout` must be at least 1 s",
            ),
        ],
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "only-the-id")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    assert_invalid(
        plugin,
        [({"kind": "s3", "url": "s3://bucket/k"}, "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")],
    )


# ============================================================================ k8s and pipeline


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiDouble]:
    """The Kubernetes API double; the events' ApiClient comes from a kubeconfig pointing at it."""
    from kubernetes import client, config

    double = ApiDouble(namespaces=("default", NS), max_watch_seconds=10.0).start()
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(double.kubeconfig(tmp_path / "kubeconfig", namespace=NS)),
                            client_configuration=configuration)  # type: ignore[no-untyped-call]
    api = client.ApiClient(configuration)
    monkeypatch.setattr(events.KUBE, "factory", lambda: api)
    try:
        yield double
    finally:
        api.close()  # type: ignore[no-untyped-call]
        double.stop()


def pod(name: str, conditions: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            "status": {"phase": "Running", "conditions": conditions or []}}


def test_k8s_condition_waits_requeues_then_succeeds(plugin: str, cluster: ApiDouble) -> None:
    spec = {
        "kind": "k8s",
        "resource_kind": "Pod",
        "name": "server",
        "namespace": NS,
        "condition": "Ready=True",
        "poll": "20",
    }
    reply = call(plugin, request(spec))
    assert reply["requeue"] == "20s" and reply["node"] == {
        "phase": "Running",
        "message": "Pod ml/server does not exist yet",
    }
    cluster.create(
        pod("server", [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}]), namespace=NS
    )
    result = node(plugin, spec)
    assert result == {
        "phase": "Running",
        "message": "Pod ml/server: condition Ready is False, waiting for True",
    }
    cluster.patch("pods", NS, "server", {"status": {"conditions": [
        {"type": "Ready", "status": "True", "message": "all containers ready"}]}})
    result = node(plugin, spec)
    assert result["phase"] == "Succeeded"
    assert outputs(result) == {"value": "True", "message": "all containers ready"}


def test_k8s_field_test_with_jsonpath_and_equals(plugin: str, cluster: ApiDouble) -> None:
    cluster.create({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "release", "labels": {"app.kubernetes.io/version": "1.2"}},
                    "data": {"state": "migrating"}}, namespace=NS)
    spec = {
        "kind": "k8s",
        "api_version": "v1",
        "resource_kind": "ConfigMap",
        "name": "release",
        "namespace": NS,
        "jsonpath": "{.data.state}",
        "equals": "done",
    }
    assert (
        node(plugin, spec)["message"]
        == "ConfigMap ml/release: {.data.state} is 'migrating', waiting for 'done'"
    )
    cluster.patch("configmaps", NS, "release", {"data": {"state": "done"}})
    assert outputs(node(plugin, spec))["value"] == "done"
    labels = {**spec, "jsonpath": "metadata.labels['app.kubernetes.io/version']", "equals": "1.2"}
    assert node(plugin, labels)["phase"] == "Succeeded"
    exists = {**spec, "jsonpath": "data.address"}
    exists.pop("equals")
    assert node(plugin, exists)["message"] == "ConfigMap ml/release: data.address is not set"
    cluster.patch("configmaps", NS, "release", {"data": {"address": "10.0.0.7"}})
    assert outputs(node(plugin, exists))["value"] == "10.0.0.7"
    # a cluster-scoped kind: the namespace param is not used in its URL
    namespace = {"kind": "k8s", "resource_kind": "Namespace", "name": NS, "namespace": NS,
                 "jsonpath": "status.phase", "equals": "Active"}
    assert node(plugin, namespace) == {"phase": "Succeeded", "message": "Namespace ml: condition met",
                                       "outputs": {"parameters": [{"name": "message", "value": ""},
                                                                  {"name": "value", "value": "Active"}]}}


def test_k8s_failure_condition_fails_the_node(plugin: str, cluster: ApiDouble) -> None:
    cluster.create(pod("worker", [{"type": "Ready", "status": "False"}]), namespace=NS)
    spec = {
        "kind": "k8s",
        "resource_kind": "Pod",
        "name": "worker",
        "namespace": NS,
        "condition": "Ready=True",
        "failure_condition": "DisruptionTarget=True",
    }
    assert node(plugin, spec)["phase"] == "Running"
    cluster.patch(
        "pods",
        NS,
        "worker",
        {
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "False"},
                    {
                        "type": "DisruptionTarget",
                        "status": "True",
                        "reason": "EvictionByEvictionAPI",
                        "message": "evicted",
                    },
                ]
            }
        },
    )
    assert node(plugin, spec) == {"phase": "Failed", "message": "Pod ml/worker has DisruptionTarget=True "
                                  "(failure_condition): EvictionByEvictionAPI: evicted"}


def test_k8s_times_out_with_the_last_message(plugin: str, cluster: ApiDouble, clock: Clock) -> None:
    spec = {
        "kind": "k8s",
        "resource_kind": "Pod",
        "name": "never",
        "namespace": NS,
        "condition": "Ready=True",
        "timeout": "120",
        "poll": "30",
    }
    assert node(plugin, spec)["phase"] == "Running"
    clock.now += 100
    assert call(plugin, request(spec))["requeue"] == "20s"  # never past the timeout
    clock.now += 21
    assert node(plugin, spec) == {
        "phase": "Failed",
        "message": "k8s event timed out after 120 s: Pod ml/never does not exist yet",
    }


def test_k8s_forbidden_fails_with_the_rbac_to_grant(plugin: str, cluster: ApiDouble) -> None:
    cluster.deny("get", "pods")
    result = node(
        plugin,
        {"kind": "k8s", "resource_kind": "Pod", "name": "p", "namespace": NS, "condition": "Ready=True"},
    )
    assert result["phase"] == "Failed"
    assert 'Pod ml/p: HTTP 403: pods "p" is forbidden' in result["message"]
    assert "grant the plugin's service account (polyflow-executor-plugin" in result["message"]


def test_k8s_invalid_params(plugin: str, cluster: ApiDouble) -> None:
    base = {"kind": "k8s", "resource_kind": "Pod", "name": "p", "namespace": NS}
    assert_invalid(
        plugin,
        [
            (
                {"kind": "k8s", "name": "p", "namespace": NS, "condition": "Ready=True"},
                "`kind` (the resource's kind",
            ),
            ({**base}, "needs `condition` (Type=Status) or `jsonpath`"),
            ({**base, "condition": "Ready"}, "`condition` must be Type=Status (e.g. Ready=True"),
            (
                {**base, "condition": "Ready=True", "failure_condition": "Failed"},
                "`failure_condition` must be Type=Status",
            ),
            ({**base, "jsonpath": 'status.conditions[?(@.type=="Ready")].status'}, "is not a field path"),
            ({**base, "jsonpath": "status..phase"}, "is not a field path"),
            ({**base, "equals": "x", "condition": "Ready=True"}, "`equals` needs `jsonpath`"),
            (
                {**base, "condition": "Ready=True", "api_version": "apps"},
                "`api_version` is not a valid apiVersion",
            ),
            (
                {**base, "condition": "Ready=True", "resource_kind": "pods"},
                "`resource_kind` is not a valid kind",
            ),
            (
                {**base, "condition": "Ready=True", "name": "../secrets"},
                "`name` is not a valid resource name",
            ),
            ({**base, "condition": "Ready=True", "namespace": ""}, "`namespace` is required"),
            (
                {**base, "condition": "Ready=True", "namespace": "Bad_NS"},
                "`namespace` is not a valid namespace name",
            ),
            (
                {**base, "condition": "Ready=True", "resource_kind": "Deployment"},
                "kind 'Deployment' is not a resource of v1",
            ),
            (
                {**base, "condition": "Ready=True", "api_version": "example.com/v1"},
                "`api_version` 'example.com/v1' is not served by this cluster",
            ),
        ],
    )


def test_k8s_without_in_cluster_credentials_says_how_to_enable_them(
        plugin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setattr(events, "_CACHE", {})
    monkeypatch.setattr(events.KUBE, "factory", events.incluster_client)
    for spec in (
        {"kind": "k8s", "resource_kind": "Pod", "name": "p", "namespace": NS, "condition": "Ready=True"},
        {"kind": "pipeline", "name": "wf", "namespace": NS},
    ):
        result = node(plugin, spec)
        assert (
            result["phase"] == "Failed" and "polyflow-argo plugin manifest --kube-events" in result["message"]
        )


def workflow(name: str, pipeline: str, created: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"polyflow.io/pipeline": pipeline}}
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta,
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "suspend": {}}]}}


def test_pipeline_run_by_name_waits_then_succeeds(plugin: str, cluster: ApiDouble) -> None:
    spec = {"kind": "pipeline", "name": "training-x7k2p", "namespace": NS, "poll": "45"}
    reply = call(plugin, request(spec))
    assert (
        reply["requeue"] == "45s"
        and reply["node"]["message"] == "workflow ml/training-x7k2p does not exist yet"
    )
    cluster.create(workflow("training-x7k2p", "training"), namespace=NS)
    assert (
        node(plugin, spec)["message"] == "workflow ml/training-x7k2p: run training-x7k2p is not started yet"
    )
    cluster.set_phase(NS, "training-x7k2p", "Running")
    assert node(plugin, spec)["message"] == "workflow ml/training-x7k2p: run training-x7k2p is Running"
    cluster.set_phase(NS, "training-x7k2p", "Succeeded")
    result = node(plugin, spec)
    assert result["phase"] == "Succeeded"
    out = outputs(result)
    assert (out["name"], out["phase"]) == ("training-x7k2p", "Succeeded")
    assert out["finished_at"] == cluster.get("workflows", NS, "training-x7k2p")["status"]["finishedAt"]  # type: ignore[index]


def test_pipeline_latest_run_created_after_the_event_started(
    plugin: str, cluster: ApiDouble, clock: Clock
) -> None:
    clock.now = time.time()
    cluster.create(
        workflow("nightly-training-old", "nightly-training", created="2026-01-01T00:00:00Z"), namespace=NS
    )
    cluster.set_phase(NS, "nightly-training-old", "Succeeded")
    cluster.create(workflow("other-abcde", "other"), namespace=NS)
    cluster.set_phase(NS, "other-abcde", "Succeeded")
    spec = {
        "kind": "pipeline",
        "pipeline": "nightly training",
        "namespace": NS,
    }  # label value: nightly-training
    result = node(plugin, spec)
    assert result["phase"] == "Running"
    assert result["message"].startswith("no run of pipeline 'nightly training' in ml created since ")
    cluster.create(workflow("nightly-training-new", "nightly-training"), namespace=NS)
    cluster.set_phase(NS, "nightly-training-new", "Running")
    assert (
        node(plugin, spec)["message"]
        == "pipeline 'nightly training' in ml: run nightly-training-new is Running"
    )
    cluster.set_phase(NS, "nightly-training-new", "Succeeded")
    result = node(plugin, spec)
    assert result["phase"] == "Succeeded" and outputs(result)["name"] == "nightly-training-new"


def test_pipeline_failed_run_fails_unless_any_outcome_is_accepted(plugin: str, cluster: ApiDouble) -> None:
    cluster.create(workflow("etl-1", "etl"), namespace=NS)
    cluster.set_phase(NS, "etl-1", "Failed", message="child 'load' failed")
    strict = {"kind": "pipeline", "name": "etl-1", "namespace": NS}
    assert node(plugin, strict) == {
        "phase": "Failed",
        "message": "workflow ml/etl-1: run etl-1 ended Failed: child 'load' failed",
    }
    lenient = {**strict, "succeeded_only": "false"}
    result = node(plugin, lenient)
    assert result["phase"] == "Succeeded" and outputs(result)["phase"] == "Failed"


def test_pipeline_times_out_with_the_last_message(plugin: str, cluster: ApiDouble, clock: Clock) -> None:
    cluster.create(workflow("slow", "slow"), namespace=NS)
    cluster.set_phase(NS, "slow", "Running")
    spec = {"kind": "pipeline", "name": "slow", "namespace": NS, "timeout": "600"}
    assert node(plugin, spec)["phase"] == "Running"
    clock.now += 600
    assert node(plugin, spec) == {
        "phase": "Failed",
        "message": "pipeline event timed out after 600 s: workflow ml/slow: run slow is Running",
    }


def test_pipeline_invalid_params(plugin: str, cluster: ApiDouble) -> None:
    assert_invalid(
        plugin,
        [
            ({"kind": "pipeline", "namespace": NS}, "needs exactly one of `name` (a Workflow) or `pipeline`"),
            ({"kind": "pipeline", "name": "a", "pipeline": "b", "namespace": NS}, "needs exactly one of"),
            ({"kind": "pipeline", "name": "a b", "namespace": NS}, "`name` is not a valid workflow name"),
            (
                {"kind": "pipeline", "name": "a"},
                "`namespace` is required (a compiled op passes the workflow's namespace)",
            ),
            (
                {"kind": "pipeline", "name": "a", "namespace": NS, "succeeded_only": "maybe"},
                "`succeeded_only` must be true or false, got 'maybe'",
            ),
        ],
    )


def test_pipeline_list_is_forbidden(plugin: str, cluster: ApiDouble) -> None:
    cluster.deny("list", "workflows", group="argoproj.io")
    result = node(plugin, {"kind": "pipeline", "pipeline": "etl", "namespace": NS})
    assert (
        result["phase"] == "Failed"
        and "HTTP 403" in result["message"]
        and "polyflow-executor-plugin" in result["message"]
    )


# ==================================================================== compiled ops, the manifest


def _compiled_event(op: str, substitutions: dict[str, str]) -> dict[str, Any]:
    """The plugin template of ``op`` in tests/fixtures/events/events-more.yaml as Argo sends it."""
    import polyflow_argo

    (wf,) = polyflow_argo.compile((ROOT / "tests" / "fixtures" / "events" / "events-more.yaml").read_text())
    templates: dict[str, Any] = {t["name"]: t for t in wf["spec"]["templates"]}  # type: ignore[index]
    task = next(t for t in templates["pipeline"]["dag"]["tasks"] if t["name"] == op)
    args = {p["name"]: p["value"] for p in task["arguments"]["parameters"]}
    template = templates[task["template"]]
    text = re.sub(r"\{\{inputs\.parameters\.([\w-]+)\}\}", lambda m: json.dumps(args[m.group(1)])[1:-1],
                  json.dumps(template["plugin"]))
    for variable, value in substitutions.items():
        text = text.replace("{{" + variable + "}}", value)
    assert "{{" not in text
    return {"workflow": {"metadata": {"name": "nightly-scoring-x", "namespace": NS, "uid": "u"}},
            "template": {**template, "plugin": json.loads(text)}}


def test_compiled_k8s_op_defaults_to_the_workflows_namespace(plugin: str, cluster: ApiDouble) -> None:
    sent = _compiled_event("lb-address", {"workflow.namespace": NS})
    assert sent["template"]["plugin"]["polyflow"] == {"kind": "k8s", "resource_kind": "Service",
                                                      "name": "scorer-lb", "namespace": NS,
                                                      "jsonpath": "status.loadBalancer.ingress[0].ip"}
    # the double serves no Service: the discovery answer fails the node with a clear message
    reply = call(plugin, sent)
    assert reply["node"] == {
        "phase": "Failed",
        "message": "k8s event: kind 'Service' is not a resource of v1 in this cluster",
        # every declared output, "" after a failure, so a task reading it does not wait forever
        "outputs": {"parameters": [{"name": "message", "value": ""}, {"name": "value", "value": ""}]},
    }


def test_compiled_pipeline_op_runs_in_the_plugin(plugin: str, cluster: ApiDouble, clock: Clock) -> None:
    clock.now = time.time()
    sent = _compiled_event("training-done", {"workflow.namespace": NS})
    reply = call(plugin, sent)
    assert reply["node"]["phase"] == "Running" and reply["requeue"] == "120s"
    cluster.create(workflow("nightly-training-abcde", "nightly-training"), namespace=NS)
    cluster.set_phase(NS, "nightly-training-abcde", "Succeeded")
    assert call(plugin, sent)["node"]["phase"] == "Succeeded"


def test_event_params_are_checked_at_compile_time() -> None:
    import polyflow_argo
    from polyflow_argo.errors import PolyflowError

    text = (ROOT / "tests" / "fixtures" / "events" / "events-more-bad-params.yaml").read_text()
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(text)
    message = str(info.value) + " ".join(str(d) for d in getattr(info.value, "diagnostics", []))
    for expected in ("min_size", "'kind' is required", "succeeded_only", "namespaces"):
        assert expected in message


def test_manifest_options_s3_secret_and_kube_events() -> None:
    from polyflow_argo.plugin import plugin_configmap

    default = plugin_configmap()
    assert "env" not in yaml.safe_load(default["data"]["sidecar.container"])
    assert default["data"]["sidecar.automountServiceAccountToken"] == "false"
    cm = plugin_configmap(s3_secret="s3-credentials", kube_events=True)
    container = yaml.safe_load(cm["data"]["sidecar.container"])
    assert [e["name"] for e in container["env"]] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
    ]
    assert all(
        e["valueFrom"]["secretKeyRef"] == {"name": "s3-credentials", "key": e["name"], "optional": True}
        for e in container["env"]
    )
    assert cm["data"]["sidecar.automountServiceAccountToken"] == "true"
    with pytest.raises(ValueError, match="not a valid Secret name"):
        plugin_configmap(s3_secret="S3_Creds")


def test_plugin_manifest_cli_options() -> None:
    out = cli("plugin", "manifest", "--s3-secret", "minio-creds", "--kube-events", timeout=60)
    assert out.returncode == 0, out.stderr
    (cm,) = list(yaml.safe_load_all(out.stdout))
    assert cm["data"]["sidecar.automountServiceAccountToken"] == "true"
    assert "minio-creds" in cm["data"]["sidecar.container"]
    bad = cli("plugin", "manifest", "--s3-secret", "Bad_Name", timeout=60)
    assert bad.returncode == 2 and "not a valid Secret name" in bad.stderr


def test_dockerfile_installs_the_s3_extra() -> None:
    text = (ROOT / "polyflow_argo" / "plugin" / "Dockerfile").read_text()
    assert "pip install --no-cache-dir '.[s3]'" in text
    assert 's3 = ["minio>=7.2"]' in (ROOT / "pyproject.toml").read_text()
