"""The executor plugin over real HTTP on loopback: Argo's protocol, token, limits, each event kind."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from polyflow_argo.plugin.server import MAX_BODY, PATH, Waits, execute
from tests.loopback import responder, serving
from tests.plugin.harness import TOKEN, Clock


def call(base: str, body: object, token: str = TOKEN, raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(
        base + PATH,
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}")


def body(spec: dict, name: str = "wait") -> dict:
    return {"workflow": {"metadata": {"name": "wf", "namespace": "ml", "uid": "u-1"}},
            "template": {"name": name, "plugin": {"polyflow": spec}}}


def test_time_delay_waits_requeues_then_succeeds(plugin: str, clock: Clock) -> None:
    status, reply = call(plugin, body({"kind": "time", "delay": 90, "poll": 30}))
    assert status == 200 and reply["node"]["phase"] == "Running" and reply["requeue"] == "30s"
    clock.now += 60
    assert call(plugin, body({"kind": "time", "delay": 90, "poll": 30}))[1]["node"]["phase"] == "Running"
    clock.now += 31
    status, reply = call(plugin, body({"kind": "time", "delay": 90, "poll": 30}))
    assert reply["node"]["phase"] == "Succeeded" and "requeue" not in reply
    assert reply["node"]["outputs"]["parameters"][0]["name"] == "time"


def test_time_until_an_instant(plugin: str, clock: Clock) -> None:
    soon = datetime.fromtimestamp(clock.now, timezone.utc) + timedelta(seconds=10)
    spec = {"kind": "time", "until": soon.isoformat(), "poll": "5"}
    assert call(plugin, body(spec))[1]["requeue"] == "5s"
    clock.now += 10
    assert call(plugin, body(spec))[1]["node"]["phase"] == "Succeeded"


def test_timeout_fails_with_a_message(plugin: str, clock: Clock) -> None:
    spec = {"kind": "time", "delay": 1000, "timeout": 60, "poll": 30}
    assert call(plugin, body(spec))[1]["node"]["phase"] == "Running"
    clock.now += 61
    node = call(plugin, body(spec))[1]["node"]
    assert node["phase"] == "Failed" and node["message"].startswith("time event timed out after 60 s")


@pytest.fixture
def site() -> Iterator[tuple[str, dict]]:
    state: dict[str, object] = {"status": 503, "body": "starting"}
    with serving(responder(lambda path: (int(state["status"]), str(state["body"])))) as base:  # type: ignore[call-overload]
        yield base + "/ready", state


def test_http_event_waits_for_status_and_body(plugin: str, site: tuple[str, dict]) -> None:
    url, state = site
    spec = {"kind": "http", "url": url, "status": 200, "body": "ready", "poll": 10}
    node = call(plugin, body(spec))[1]
    assert node["node"]["phase"] == "Running" and "status 503" in node["node"]["message"]
    state.update(status=200, body="warming up")
    assert "does not match" in call(plugin, body(spec))[1]["node"]["message"]
    state.update(body="ready: yes")
    node = call(plugin, body(spec))[1]["node"]
    assert node["phase"] == "Succeeded"
    assert {"name": "status", "value": "200"} in node["outputs"]["parameters"]


def test_invalid_event_inputs_fail_the_node(plugin: str) -> None:
    cases = [
        ({"kind": "teleport"}, "unknown event kind 'teleport'"),
        ({"kind": "time"}, "needs `until`"),
        ({"kind": "time", "delay": "soon"}, "`delay` must be a number"),
        ({"kind": "http", "url": "file:///etc/passwd"}, "http:// or https://"),
        ({"kind": "http", "url": "http://x", "body": "("}, "not a valid regular expression"),
        ({"kind": "time", "delay": 1, "poll": 0}, "`poll` must be at least 1 s"),
    ]
    for spec, message in cases:
        node = call(plugin, body(spec))[1]["node"]
        assert node["phase"] == "Failed" and message in node["message"], (spec, node)


def test_templates_of_other_plugins_are_not_ours(plugin: str) -> None:
    other = {"workflow": {"metadata": {"name": "wf"}}, "template": {"name": "x", "plugin": {"hello": {}}}}
    assert call(plugin, other) == (200, {})


def test_wrong_or_missing_token_is_403(plugin: str) -> None:
    assert call(plugin, body({"kind": "time", "delay": 1}), token="nope")[0] == 403
    assert call(plugin, body({"kind": "time", "delay": 1}), token="")[0] == 403


def test_malformed_bodies_are_400(plugin: str) -> None:
    assert call(plugin, None, raw=b"{not json")[0] == 400
    assert call(plugin, None, raw=b"[1, 2]")[0] == 400
    assert call(plugin, {"template": "x"})[0] == 400


def test_oversized_bodies_are_rejected(plugin: str) -> None:
    big = json.dumps(body({"kind": "time", "delay": 1, "pad": "x" * MAX_BODY})).encode()
    assert call(plugin, None, raw=big)[0] == 413


def test_unknown_path_is_404_and_health(plugin: str) -> None:
    req = urllib.request.Request(plugin + "/api/v1/other", data=b"{}", method="POST",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    with info.value:
        assert info.value.code == 404
    with urllib.request.urlopen(plugin + "/healthz", timeout=5) as resp:
        assert resp.status == 200


def test_waits_are_per_workflow_and_template() -> None:
    waits = Waits()
    a = execute(body({"kind": "time", "delay": 10}), waits, 100.0)
    other = body({"kind": "time", "delay": 10})
    other["workflow"]["metadata"]["uid"] = "u-2"
    b = execute(other, waits, 105.0)
    assert a["node"]["phase"] == b["node"]["phase"] == "Running"
    assert execute(body({"kind": "time", "delay": 10}), waits, 110.0)["node"]["phase"] == "Succeeded"
    assert execute(other, waits, 110.0)["node"]["phase"] == "Running"  # started at 105


def test_plugin_configmap_is_what_argo_validates() -> None:
    import yaml

    from polyflow_argo.plugin import plugin_configmap

    cm = plugin_configmap(namespace="argo")
    assert cm["metadata"]["name"] == "polyflow-executor-plugin"
    assert cm["metadata"]["labels"]["workflows.argoproj.io/configmap-type"] == "ExecutorPlugin"
    container = yaml.safe_load(cm["data"]["sidecar.container"])
    assert container["ports"] and container["resources"]["requests"] and container["resources"]["limits"]
    assert container["securityContext"]["runAsNonRoot"] is True


def test_dockerfile_runs_the_server() -> None:
    text = (Path(__file__).resolve().parents[2] / "polyflow_argo" / "plugin" / "Dockerfile").read_text()
    assert '"plugin", "serve"' in text and "USER 65534" in text


def test_compiled_event_op_runs_in_the_plugin(plugin: str, site: tuple[str, dict]) -> None:
    """compile → the plugin template Argo would call us with (arguments substituted) → our reply."""
    import re

    import polyflow_argo

    url, state = site
    text = (Path(__file__).resolve().parents[2] / "examples" / "events.yaml").read_text()
    text = text.replace("https://models.example.com/v2/ready", url)
    (wf,) = polyflow_argo.compile(text)
    templates = {t["name"]: t for t in wf["spec"]["templates"]}
    task = next(t for t in templates["pipeline"]["dag"]["tasks"] if t["name"] == "wait-for-model")
    args = {p["name"]: p["value"] for p in task["arguments"]["parameters"]}
    template = templates[task["template"]]
    substituted = json.loads(re.sub(r"\{\{inputs\.parameters\.([\w-]+)\}\}",
                                    lambda m: json.dumps(args[m.group(1)])[1:-1],
                                    json.dumps(template["plugin"])))
    request = {"workflow": {"metadata": {"name": "gated-release-x", "uid": "u"}},
               "template": {**template, "plugin": substituted}}
    reply = call(plugin, request)[1]
    assert reply["node"]["phase"] == "Running" and reply["requeue"] == "60s"
    state.update(status=200, body='{"ready": true}')
    assert call(plugin, request)[1]["node"]["phase"] == "Succeeded"
    approval = templates[
        next(t["template"] for t in templates["pipeline"]["dag"]["tasks"] if t["name"] == "sign-off")
    ]
    assert approval["suspend"] == {} and "plugin" not in approval


def test_every_final_reply_carries_the_declared_outputs() -> None:
    """Argo copies a plugin node's outputs from its final reply; a task that reads one of them after
    the event failed or timed out (all_done, one_failed) must find a value, or it waits forever."""
    template = {"name": "event-ready", "outputs": {"parameters": [{"name": "status"}, {"name": "body"}]},
                "plugin": {"polyflow": {"kind": "time", "delay": 3600, "timeout": 5, "poll": 1}}}
    body = {"workflow": {"metadata": {"name": "w", "uid": "u"}}, "template": template}
    waits = Waits()
    waiting = execute(body, waits, now=1000.0)
    assert waiting["node"]["phase"] == "Running" and "outputs" not in waiting["node"]
    timed_out = execute(body, waits, now=1006.0)["node"]
    assert timed_out["phase"] == "Failed" and "timed out" in timed_out["message"]
    empty = [{"name": "body", "value": ""}, {"name": "status", "value": ""}]
    assert timed_out["outputs"] == {"parameters": empty}
    bad = dict(template, plugin={"polyflow": {"kind": "nope"}})
    assert execute({"template": bad}, waits, now=0)["node"]["outputs"]["parameters"][0]["value"] == ""
