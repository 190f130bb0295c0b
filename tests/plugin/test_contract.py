"""The one contract of the built-in event kinds (registry/events.py ``EVENTS``) and its three users
agree: the registry's built-in templates, the compiled plugin template, and the plugin (issue 13)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
import yaml

from polyflow_argo.plugin import events as plugin_events
from polyflow_argo.plugin.server import Waits, execute
from polyflow_argo.registry.builtin import builtin
from polyflow_argo.registry.events import EVENTS, plugin_kinds

VALUES = {"str": "x", "int": 5, "bool": True}
SPECIAL = {("http", "url"): "https://example.com/ready", ("s3", "url"): "s3://bucket/key",
           ("time", "until"): "2030-01-01T00:00:00Z"}


def test_the_plugin_checks_exactly_the_plugin_kinds() -> None:
    assert set(plugin_events.KINDS) == set(plugin_kinds()) == set(plugin_events.CHECKS)
    assert [k for k in EVENTS if k not in plugin_kinds()] == ["approval"]


@pytest.mark.parametrize("kind", list(EVENTS))
def test_the_registry_template_is_the_contract(kind: str) -> None:
    entry = builtin(kind)
    assert entry is not None
    spec, event = entry.spec, EVENTS[kind]
    assert [(i.name, str(i.type), bool(i.is_optional), i.default) for i in spec.inputs or []] == \
        [(i.name, i.type, i.optional, i.default) for i in event.inputs]
    assert [(o.name, str(o.type)) for o in spec.outputs or []] == [(o.name, o.type) for o in event.outputs]


def _compiled_body(kind: str, params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The plugin body and declared outputs of an op of ``kind`` setting ``params``."""
    import polyflow_argo

    doc = {"version": 1, "kind": "pipeline", "name": "p",
           "ops": [{"name": "wait", "template": {"event": kind}, "params": params}]}
    (wf,) = polyflow_argo.compile(yaml.safe_dump(doc))
    (template,) = [t for t in wf["spec"]["templates"] if "plugin" in t]
    declared = template.get("outputs", {}).get("parameters", [])
    return template["plugin"]["polyflow"], [p["name"] for p in declared]


@pytest.mark.parametrize("kind", plugin_kinds())
def test_the_compiled_body_uses_the_contracts_keys_and_outputs(kind: str) -> None:
    event = EVENTS[kind]
    every = {i.name: SPECIAL.get((kind, i.name), VALUES[i.type]) for i in event.inputs}
    body, outputs = _compiled_body(kind, every)
    assert set(body) == {"kind"} | event.body_keys and body["kind"] == kind
    assert outputs == list(event.output_names)
    required = {i.name: every[i.name] for i in event.inputs if not i.optional}
    body, _ = _compiled_body(kind, required)
    assert body == {"kind": kind,
                    **{i.key: f"{{{{inputs.parameters.{i.name}}}}}" for i in event.inputs if not i.optional},
                    **{i.key: i.workflow_default for i in event.inputs if i.workflow_default}}


class Spy(dict):  # type: ignore[type-arg]
    """A plugin body that records which keys the check reads."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self.read.add(key)
        return super().__contains__(key)


# Bodies that reach each check's last input before any network call (the alternatives it accepts).
BODIES: dict[str, list[dict[str, Any]]] = {
    "time": [{"until": "2030-01-01T00:00:00Z"}, {"delay": 5}],
    "http": [{"url": "http://169.254.169.254/", "body": "ok"}],  # refused by the policy before connecting
    "s3": [{"url": "s3://bucket/key", "endpoint": "minio:9000", "region": "r"},
           {"bucket": "bucket", "key": "k"}],
    "k8s": [{"resource_kind": "Pod", "name": "p", "namespace": "ml", "condition": "Ready=True",
             "jsonpath": "status.phase", "equals": "Running", "failure_condition": "Failed=True"}],
    "pipeline": [{"name": "run-1", "namespace": "ml"}, {"pipeline": "p", "namespace": "ml"}],
}


@pytest.mark.parametrize("kind", plugin_kinds())
def test_the_plugin_reads_exactly_the_contracts_body_keys(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "minio", None)  # s3: stops before any request
    monkeypatch.setattr(plugin_events.HTTP, "policy", plugin_events.HttpPolicy())

    def unavailable() -> Any:
        raise plugin_events.KubeUnavailable("no cluster in this test")

    monkeypatch.setattr(plugin_events.KUBE, "factory", unavailable)
    read: set[str] = set()
    for body in BODIES[kind]:
        spy = Spy(plugin_events.with_defaults(kind, {"kind": kind, **body}))
        result = plugin_events.KINDS[kind](spy, 0.0, 0.0)
        assert not result.done, result
        read |= spy.read
    # poll and timeout are read by the server for every kind (test below)
    assert read - {"kind"} == EVENTS[kind].body_keys - {"poll", "timeout"}


def test_the_plugin_applies_the_contracts_defaults() -> None:
    body = {"template": {"name": "t", "plugin": {"polyflow": {"kind": "time", "delay": 10_000_000}}}}
    waits = Waits()
    assert execute(body, waits, 0.0)["requeue"] == f"{EVENTS['time'].defaults['poll']}s"
    timeout = EVENTS["time"].defaults["timeout"]
    assert execute(body, waits, timeout - 1.0)["node"]["phase"] == "Running"
    assert f"timed out after {timeout} s" in execute(body, waits, float(timeout))["node"]["message"]
    assert plugin_events.with_defaults("http", {"url": "u"}) == {
        "url": "u", "status": 200, "request_timeout": 10, "poll": 30, "timeout": 86400}


def test_a_success_reports_exactly_the_contracts_outputs() -> None:
    result = plugin_events.check_time({"until": "2000-01-01T00:00:00Z"}, 0.0, 1e9)
    assert result.done and set(result.outputs or {}) == set(EVENTS["time"].output_names)
    with pytest.raises(AssertionError, match="differ from the contract"):
        plugin_events.contract_outputs("time", time="t", extra="x")
