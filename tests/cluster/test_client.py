"""``polyflow_argo.Client`` (the Python API of the cluster commands) against the API double, through the
real ``kubernetes`` client and Hera; retry, reconnect and conflict paths with an injected transport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.client import Client
from polyflow_argo.cluster.client import SUBMISSION
from polyflow_argo.cluster.errors import ApiFailure, Failure
from polyflow_argo.cluster.retry import RetryPolicy
from polyflow_argo.errors import ClusterError
from tests.apidouble import ApiDouble
from tests.cluster.test_watch import FLAKY, SCHEDULED, flaky_workflow

NS = "ml"
FAST = RetryPolicy(attempts=3, backoff=0.001, max_wait=0.01)
HERA = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def client(kubeconfig: Path) -> Iterator[Client]:
    with Client(kubeconfig=str(kubeconfig), retry=FAST, sleep=Sleeps()) as c:
        yield c


def workflows(double: ApiDouble) -> list[dict[str, Any]]:
    return double.objects("workflows", NS)


def test_client_is_exported_lazily() -> None:
    assert "Client" in polyflow_argo.__all__ and polyflow_argo.Client is Client


def test_submit_compiles_and_creates_strictly_with_a_submission_label(
    api_double: ApiDouble, client: Client
) -> None:
    [run] = client.submit(FLAKY)
    [stored] = workflows(api_double)
    assert (run.kind, run.name, run.namespace, run.action) == (
        "Workflow",
        stored["metadata"]["name"],
        NS,
        "created",
    )
    assert len(stored["metadata"]["labels"][SUBMISSION]) == 32
    [post] = api_double.requests_to("POST", "/namespaces/ml/workflows$")
    assert post.param("fieldValidation") == "Strict" and post.param("dryRun") is None


def test_server_dry_run_stores_nothing(api_double: ApiDouble, client: Client) -> None:
    [run] = client.submit(FLAKY, dry_run="server")
    assert run.action == "created (server dry run)" and workflows(api_double) == []
    assert api_double.requests_to("POST", "/workflows$")[0].param("dryRun") == "All"


def test_client_dry_run_never_connects(api_double: ApiDouble) -> None:
    c = Client(kubeconfig="/nonexistent/kubeconfig")
    [run] = c.submit(FLAKY, dry_run="client")
    assert run.name == "flaky-(generated)" and run.action == "created (dry run)"
    assert c._transport is None and api_double.requests == []


def test_a_dropped_create_is_found_by_its_label_not_created_twice(
    api_double: ApiDouble, kubeconfig: Path
) -> None:
    notes: list[str] = []
    api_double.drop_after_next("POST", "/namespaces/ml/workflows$")
    with Client(kubeconfig=str(kubeconfig), retry=FAST, sleep=Sleeps(), notify=notes.append) as c:
        [run] = c.submit(FLAKY)
    [stored] = workflows(api_double)
    assert run.name == stored["metadata"]["name"]
    assert len(api_double.requests_to("POST", "/workflows$")) == 1  # looked up, not posted again
    lookup = api_double.requests_to("GET", "/namespaces/ml/workflows$")[0]
    assert lookup.param("labelSelector") == f"{SUBMISSION}={stored['metadata']['labels'][SUBMISSION]}"
    assert any("dropped" in n for n in notes) and any("not creating it again" in n for n in notes)


def test_a_dropped_create_with_a_fixed_name_is_not_reported_as_already_existing(
        api_double: ApiDouble, client: Client) -> None:
    api_double.drop_after_next("POST", "/workflows$")
    api_double.fail_next("GET", "/namespaces/ml/workflows$", 503)  # the lookup fails too, once
    [run] = client.submit(FLAKY, name="flaky-fixed")
    assert run.name == "flaky-fixed" and len(workflows(api_double)) == 1


def test_429_waits_as_long_as_retry_after_says(api_double: ApiDouble, kubeconfig: Path) -> None:
    sleeps = Sleeps()
    api_double.fail_next("POST", "/workflows$", 429, retry_after=3)
    with Client(kubeconfig=str(kubeconfig), retry=RetryPolicy(attempts=3, backoff=0.001), sleep=sleeps) as c:
        c.submit(FLAKY)
    assert sleeps == [3.0] and len(workflows(api_double)) == 1


def test_transient_failures_are_retried_a_bounded_number_of_times(
    api_double: ApiDouble, client: Client
) -> None:
    api_double.fail_next("POST", "/workflows$", 503, times=10)
    with pytest.raises(ClusterError) as err:
        client.submit(FLAKY)
    assert len(api_double.requests_to("POST", "/workflows$")) == FAST.attempts
    assert err.value.diagnostics[0].code == "PF612" and err.value.status == 503
    assert "after 3 attempt(s)" in err.value.diagnostics[0].message


def test_a_refusal_is_not_retried(api_double: ApiDouble, client: Client) -> None:
    api_double.deny("create", "workflows")
    with pytest.raises(ClusterError) as err:
        client.submit(FLAKY)
    assert len(api_double.requests_to("POST", "/workflows$")) == 1 and err.value.status == 403


@pytest.mark.parametrize(("env", "policy"), [
    ({}, RetryPolicy()),
    ({"POLYFLOW_RETRIES": "2", "POLYFLOW_RETRY_BACKOFF": "0.01"}, RetryPolicy(attempts=2, backoff=0.01)),
    ({"POLYFLOW_RETRY_MAX_WAIT": "0.5"}, RetryPolicy(max_wait=0.5, max_retry_after=0.5)),
    ({"POLYFLOW_RETRIES": "zero"}, RetryPolicy()),
], ids=["defaults", "set", "cap", "garbage"])
def test_retry_policy_from_env(env: dict[str, str], policy: RetryPolicy) -> None:
    assert RetryPolicy.from_env(env) == policy


def test_backoff_grows_and_is_capped() -> None:
    p = RetryPolicy()
    assert [p.wait(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert p.wait(1, retry_after=100) == 30.0


def test_logs_name_lines_by_op_and_attempt(api_double: ApiDouble, client: Client) -> None:
    wf = api_double.create(flaky_workflow(), namespace=NS)
    name = wf["metadata"]["name"]
    for pod, node in (
        ("flaky-x7k2p-step-1", f"{name}.prepare"),
        ("flaky-x7k2p-step-2", f"{name}.train-model(1)"),
    ):
        api_double.add_pod(NS, pod, workflow=name, node_name=node)
        api_double.set_node(NS, name, node.split(".", 1)[1], phase="Running")
    api_double.append_log(NS, "flaky-x7k2p-step-1", "preparing")
    api_double.append_log(NS, "flaky-x7k2p-step-2", "epoch 1", "epoch 2")
    assert [str(line) for line in client.logs(name)] == [
        "prepare: preparing", "Train_Model(1): epoch 1", "Train_Model(1): epoch 2"]
    assert [line.text for line in client.logs(name, "Train_Model")] == ["epoch 1", "epoch 2"]
    with pytest.raises(ClusterError, match="did you mean 'prepare'"):
        list(client.logs(name, "prepar"))


@HERA
def test_argo_server_transport_submits_gets_lists_and_stops(api_double: ApiDouble) -> None:
    with Client(NS, argo_server=api_double.argo_url, token="argo-token", retry=FAST, sleep=Sleeps()) as c:
        [run] = c.submit(FLAKY)
        assert c.get(run.name)["kind"] == "Workflow"
        assert [w["metadata"]["name"] for w in c.list(pipeline="flaky")] == [run.name]
        c.stop(run.name)
    assert api_double.get("workflows", NS, run.name)["spec"]["shutdown"] == "Stop"
    assert {r.server for r in api_double.requests} == {"argo"}


@HERA
def test_argo_server_apply_is_idempotent_and_errors_are_explained(api_double: ApiDouble) -> None:
    [cron] = polyflow_argo.compile(SCHEDULED)
    with Client(
        NS, argo_server=api_double.argo_url, token="Bearer argo-token", retry=FAST, sleep=Sleeps()
    ) as c:
        assert [r.action for r in c.apply([cron])] == ["created"]
        assert [r.action for r in c.apply([cron])] == ["unchanged"]
        cron["spec"]["suspend"] = True
        assert [r.action for r in c.apply([cron])] == ["configured"]
        with pytest.raises(ClusterError, match='Workflow "nope" not found in namespace "ml"'):
            c.get("nope")
        api_double.deny("get", "workflows")
        with pytest.raises(ClusterError) as err:
            c.get("x")
        assert "may not `get` workflows.argoproj.io" in err.value.diagnostics[0].message
        assert err.value.diagnostics[0].code == "PF604" and err.value.status == 403
    assert api_double.get("cronworkflows", NS, "nightly")["spec"]["suspend"] is True


# ---------------------------------------------------------------- injected transport: reconnects, conflicts


class FakeTransport:
    """Scripted answers for the client's reconnect and conflict logic (no HTTP)."""

    name, server, namespace = "kube", "the fake", NS

    def __init__(self, workflow: dict[str, Any], watches: list[Any]) -> None:
        self.workflow, self.watches, self.resumes = workflow, watches, 0
        self.watched_from: list[str] = []

    def get(self, kind: Any, name: str) -> dict[str, Any]:
        return json.loads(json.dumps(self.workflow))

    def watch(self, name: str, rv: str, timeout: int) -> Iterator[tuple[str, dict[str, Any]]]:
        self.watched_from.append(rv)
        step = self.watches.pop(0)
        if isinstance(step, Failure):
            raise ApiFailure(step)
        yield from step

    def resume_node(self, workflow: dict[str, Any], node_id: str, message: str) -> dict[str, Any]:
        self.resumes += 1
        if self.resumes == 1:
            raise ApiFailure(Failure(409, "the object has been modified", reason="Conflict"))
        return workflow

    def close(self) -> None:
        pass


def _wf(phase: str, rv: str) -> dict[str, Any]:
    return {"metadata": {"name": "w", "namespace": NS, "resourceVersion": rv}, "status": {"phase": phase}}


def test_watch_reconnects_from_the_last_version_rereads_after_410_and_retries_a_drop() -> None:
    fake = FakeTransport(_wf("Running", "1"), [
        [("MODIFIED", _wf("Running", "5"))],                              # the stream ends (timeout)
        Failure(410, "too old resource version", reason="Expired"),       # history compacted: re-read
        Failure(None, "connection reset", network="dropped"),             # transient: retried
        [("BOOKMARK", {"metadata": {"resourceVersion": "9"}}), ("MODIFIED", _wf("Succeeded", "10"))],
    ])
    c = Client(transport=fake, retry=FAST, sleep=Sleeps())  # type: ignore[arg-type]
    phases = [(w["status"]["phase"], w["metadata"]["resourceVersion"]) for w in c.watch("w")]
    assert phases == [("Running", "1"), ("Running", "5"), ("Running", "1"), ("Succeeded", "10")]
    assert fake.watched_from == ["1", "5", "1", "1"]


def test_watch_reports_a_deleted_workflow() -> None:
    fake = FakeTransport(_wf("Running", "1"), [[("DELETED", _wf("Running", "2"))]])
    c = Client(transport=fake, retry=FAST, sleep=Sleeps())  # type: ignore[arg-type]
    with pytest.raises(ClusterError) as err:
        list(c.watch("w"))
    assert err.value.diagnostics[0].code == "PF622"


def test_approve_rereads_and_retries_when_the_controller_wrote_first() -> None:
    wf = {**_wf("Running", "3"), "status": {"phase": "Running", "nodes": {
        "w-1": {"id": "w-1", "displayName": "gate", "type": "Suspend", "phase": "Running"}}}}
    fake = FakeTransport(wf, [])
    c = Client(transport=fake, retry=FAST, sleep=Sleeps())  # type: ignore[arg-type]
    assert c.approve("w") == "gate" and fake.resumes == 2


# ---------------------------------------------------------------- the error table (pure)

_RBAC = ('workflows.argoproj.io is forbidden: User "u" cannot create resource "workflows" in API group '
         '"argoproj.io" in the namespace "ml"')


@pytest.mark.parametrize(
    ("failure", "code", "fragments"),
    [
        (Failure(None, "SSLError: CERTIFICATE_VERIFY_FAILED", network="tls"), "PF602", ["--ca-file"]),
        (
            Failure(None, "NameResolutionError: Name or service not known", network="dns"),
            "PF601",
            ["unknown"],
        ),
        (
            Failure(None, "ConnectionRefusedError", network="refused"),
            "PF601",
            ["cannot reach", "kubectl cluster-info"],
        ),
        (Failure(None, "RemoteDisconnected", network="dropped"), "PF612", ["kept dropping"]),
        (Failure(401, "Unauthorized"), "PF603", ["create token"]),
        (Failure(401, "token not valid", transport="argo"), "PF603", ["ARGO_TOKEN"]),
        (
            Failure(403, _RBAC),
            "PF604",
            ['u may not `create` workflows.argoproj.io in namespace "ml"', "submitter"],
        ),
        (
            Failure(
                403,
                'Permission denied, you are not allowed to list workflows in namespace "ml".',
                transport="argo",
            ),
            "PF604",
            ['may not `list` workflows.argoproj.io in namespace "ml"'],
        ),
        (Failure(404, "the server could not find the requested resource"), "PF605", ["install.yaml"]),
        (Failure(404, "Not Found", transport="argo"), "PF605", ["--argo-server"]),
        (
            Failure(404, 'namespaces "x" not found', details={"name": "x", "kind": "namespaces"}),
            "PF606",
            ["-n"],
        ),
        (
            Failure(404, 'workflows.argoproj.io "w" not found', details={"name": "w"}),
            "PF607",
            ["polyflow-argo list"],
        ),
        (
            Failure(409, 'workflows.argoproj.io "w" already exists', reason="AlreadyExists"),
            "PF608",
            ["--generate-name"],
        ),
        (
            Failure(409, "Operation cannot be fulfilled: the object has been modified", reason="Conflict"),
            "PF613",
            ["run the command again"],
        ),
        (
            Failure(
                400,
                'Workflow.argoproj.io "w" is invalid: [spec.a: Invalid value: 1, spec.b[0].c: Required '
                'value]',
                transport="argo",
            ),
            "PF609",
            ["invalid spec.a: Invalid value: 1"],
        ),
        (Failure(400, 'strict decoding error: unknown field "spec.x"'), "PF610", ["--argo-version"]),
        (Failure(413, "Request entity too large: limit is 3145728"), "PF611", ["registry push"]),
        (Failure(500, "etcdserver: request is too large"), "PF611", ["split the pipeline"]),
        (Failure(503, "unavailable"), "PF612", ["try again in a minute"]),
        (Failure(418, "teapot"), "PF614", ["--debug"]),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("PF") else None,
)
def test_every_failure_is_explained_with_a_hint(failure: Failure, code: str, fragments: list[str]) -> None:
    from polyflow_argo.cluster.errors import Context, to_error

    err = to_error(failure, Context("create", "Workflow", "w", "ml", "the server"))
    text = str(err)
    assert {d.code for d in err.diagnostics} == {code} and all(d.hint for d in err.diagnostics)
    assert all(f in text for f in fragments), text
    assert err.status == failure.status


def test_invalid_lists_one_diagnostic_per_cause() -> None:
    from polyflow_argo.cluster.errors import Context, to_error

    causes = [{"field": "spec.templates[0].name", "message": "Invalid value: \"Bad\""},
              {"field": "spec.entrypoint", "message": "Required value"}]
    err = to_error(
        Failure(422, "is invalid", reason="Invalid", details={"causes": causes}), Context("create")
    )
    assert [d.message.split(": invalid ", 1)[1] for d in err.diagnostics] == [
        'spec.templates[0].name: Invalid value: "Bad"', 'spec.entrypoint: Required value']


@pytest.mark.parametrize(
    "failure",
    [Failure(500, "etcdserver: request is too large"), Failure(None, "x", network="tls"), Failure(403, "no")],
)
def test_what_is_not_transient(failure: Failure) -> None:
    assert not failure.transient


def test_tls_options_reach_both_transports(api_double: ApiDouble, kubeconfig: Path, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not a real CA")
    kube = Client(kubeconfig=str(kubeconfig), ca_file=str(ca)).transport
    assert kube.api.configuration.ssl_ca_cert == str(ca) and kube.namespace == NS  # type: ignore[attr-defined]
    insecure = Client(kubeconfig=str(kubeconfig), insecure_skip_tls_verify=True).transport
    assert insecure.api.configuration.verify_ssl is False  # type: ignore[attr-defined]
    argo = Client(argo_server="argo.example:2746", ca_file=str(ca), kubeconfig=str(kubeconfig)).transport
    assert argo.service.verify_ssl == str(ca) and argo.service.host == "https://argo.example:2746/"  # type: ignore
    assert argo.namespace == NS  # from the kubeconfig context
    for t in (kube, insecure, argo):
        t.close()


# ---------------------------------------------------------------- answers that are not what the API sends


GARBLED = [
    ("not-json", {}, {}, "PF615", "the answer is not JSON: '<html><body>Bad Gateway</body></html>'"),
    ("wrong-shape", {}, {}, "PF615", "the answer is a list, not an object"),
    ("truncated", {"times": 9}, {}, "PF612", "the answer was cut off"),
    ("oversized", {"size": 50_000}, {"POLYFLOW_MAX_REPLY_BYTES": "20000"}, "PF616", "20,000-byte limit"),
    ("drip", {"times": 9, "interval": 0.02}, {}, "PF601", "still arriving after --request-timeout 0.5s"),
]


@HERA
@pytest.mark.parametrize("front", ["kube", "argo"])
@pytest.mark.parametrize(("kind", "options", "env", "code", "fragment"), GARBLED, ids=[g[0] for g in GARBLED])
def test_client_raises_cluster_error_for_a_garbled_answer(
    api_double: ApiDouble,
    kubeconfig: Path,
    monkeypatch: pytest.MonkeyPatch,
    front: str,
    kind: str,
    options: dict[str, Any],
    env: dict[str, str],
    code: str,
    fragment: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    api_double.create(flaky_workflow("flaky-g"), namespace=NS)
    path = "/workflows/flaky-g$" if front == "kube" else "/workflows/ml/flaky-g$"
    api_double.garble_next("GET", path, kind, server=front, **options)
    where: dict[str, Any] = (
        {"kubeconfig": str(kubeconfig)}
        if front == "kube"
        else {"argo_server": api_double.argo_url, "token": "argo-token"}
    )
    with (
        Client(NS, request_timeout=0.5, retry=FAST, sleep=Sleeps(), **where) as c,
        pytest.raises(ClusterError) as err,
    ):
        c.get("flaky-g")
    assert [d.code for d in err.value.diagnostics] == [code] and fragment in str(err.value), str(err.value)
    assert all(d.hint for d in err.value.diagnostics)


def test_a_garbled_create_is_looked_up_by_its_label(api_double: ApiDouble, client: Client) -> None:
    api_double.garble_next("POST", "/namespaces/ml/workflows$", "wrong-shape")
    [run] = client.submit(FLAKY)
    [stored] = workflows(api_double)
    assert run.name == stored["metadata"]["name"] and len(api_double.requests_to("POST", "/workflows$")) == 1


def test_a_dropped_create_whose_lookup_is_forbidden_names_the_check(
    api_double: ApiDouble, client: Client
) -> None:
    api_double.drop_after_next("POST", "/namespaces/ml/workflows$")
    api_double.deny("list", "workflows")
    with pytest.raises(ClusterError) as err:
        client.submit(FLAKY, name="flaky-fixed")
    [diag] = err.value.diagnostics
    label = f"{SUBMISSION}={workflows(api_double)[0]['metadata']['labels'][SUBMISSION]}"
    assert (
        diag.code == "PF617"
        and 'cannot tell whether Workflow "flaky-fixed" in namespace "ml" was created' in diag.message
        and "may not `list` workflows.argoproj.io" in diag.message
    )
    assert diag.hint is not None and f"kubectl get workflows -n ml -l {label}" in diag.hint
    assert "polyflow-argo get flaky-fixed -n ml" in diag.hint and "try again" not in diag.hint


def test_the_cause_of_a_network_error_is_said_once() -> None:
    from polyflow_argo.cluster.errors import network_failure

    class NewConnectionError(Exception):
        pass

    class MaxRetryError(Exception):
        def __init__(self, text: str, reason: BaseException) -> None:
            super().__init__(text)
            self.reason = reason

    root = ConnectionRefusedError(111, "Connection refused")
    try:
        try:
            raise root
        except OSError as exc:
            raise NewConnectionError(
                "HTTPConnection(host='h', port=1): Failed to establish a new connection: "
                "[Errno 111] Connection refused"
            ) from exc
    except NewConnectionError as exc:
        outer = MaxRetryError(
            f"HTTPConnectionPool(host='h', port=1): Max retries exceeded (Caused by {exc!r})", exc
        )
    failure = network_failure(outer, "kube")
    assert failure.network == "refused" and failure.message == "[Errno 111] Connection refused"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b[31mred\x1b[0m b", "ared b"),
        ("x\x1b]0;title\x07y", "xy"),
        ("x\x1b]8;;http://e\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),
        ("a\x9b2Jb\x90dcs\x9c", "ab"),
        ("tab\there\nnl\r\n", "tab here nl "),
        ("del\x7f nul\x00 bidi\u202eabc\u2066", "del nul bidiabc"),
        ("plain ünïcode ✓", "plain ünïcode ✓"),
    ],
    ids=["csi", "osc-bel", "osc-st", "c1", "breaks", "c0-bidi", "plain"],
)
def test_printable_strips_escape_sequences_and_controls(text: str, shown: str) -> None:
    from polyflow_argo.cluster.errors import printable

    assert printable(text) == shown
