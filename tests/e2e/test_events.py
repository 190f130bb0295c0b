"""Event ops through our real plugin server, driven by Argo's real controller (the agent's calls are
played by the scripted kubelet): examples/events.yaml end to end (http against a loopback server,
an approval resumed with `polyflow-argo approve`, a time event), an event's outputs read by a later
op, and a timed-out event whose `all_done` consumer still runs and reads "" (docs/semantics.md)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from tests import support
from tests.loopback import responder, serving

from .cluster import Cluster
from .kubelet import ScriptedKubelet
from .runs import Runs
from .test_cluster_commands import cli, node_phase, wait_for, workflow


def compile_json(*args: str) -> dict[str, Any]:
    res = support.cli("compile", *args, "-o", "json", timeout=60)
    assert res.returncode == 0, res.stderr
    return dict(json.loads(res.stdout)) if res.stdout.lstrip().startswith("{") else json.loads(res.stdout)[0]


def test_the_events_example_end_to_end(cluster: Cluster, runs: Runs, kubelet: ScriptedKubelet) -> None:
    with serving(responder(lambda path: (200, '{"version": "v2", "ready": true}'))) as url:
        wf = compile_json(
            "examples/events.yaml", "-p", f"wait-for-model.url={url}/v2/ready", "-p", "wait-for-model.poll=1"
        )
        name = runs.submit(wf)
        try:
            wait_for(
                "the approval waits",
                lambda: node_phase(workflow(cluster, name), "sign-off") == "Running",
                timeout=90,
            )
        except AssertionError:
            nodes = workflow(cluster, name).get("status", {}).get("nodes") or {}
            raise AssertionError(
                {n["displayName"]: (n["phase"], n.get("message")) for n in nodes.values()},
                kubelet.plugin_calls[-3:],
                kubelet.errors[-3:],
            ) from None
    run = workflow(cluster, name)
    assert node_phase(run, "wait-for-model") == "Succeeded" and node_phase(run, "evaluate") == "Succeeded"
    assert node_phase(run, "promote") is None  # nothing after the approval has started
    ok = cli(cluster, "approve", name, "-n", "ml")
    assert ok.returncode == 0, ok.stderr
    done = runs.wait([name], timeout=90)[name]
    assert done.phase == "Succeeded", done.message
    assert done.phases() == {
        "wait-for-model": "Succeeded",
        "evaluate": "Succeeded",
        "sign-off": "Succeeded",
        "quiet-hours": "Succeeded",
        "promote": "Succeeded",
    }
    http = next(n for n in done.nodes.values() if n.get("displayName") == "wait-for-model")
    values = {p["name"]: p.get("value") for p in http["outputs"]["parameters"]}
    assert values["status"] == "200" and '"ready": true' in values["body"]


EVENT_OUTPUTS = """\
version: 1
kind: pipeline
name: event-outputs
ops:
  - name: ready
    template: {event: http}
    params: {url: '%(url)s', poll: 1, timeout: %(timeout)s}
  - name: use
    template: {name: echo}
    dependencies: [ready]
    trigger: %(trigger)s
    params: {status: '{{ ops.ready.outputs.status }}'}
templates:
  - kind: job
    name: echo
    inputs: [{name: status, type: int, is_optional: true}]
    build: {image: 'alpine:3.20'}
    run: {cmd: 'echo {{ status }}'}
"""


def _pipeline(tmp: Path, **values: Any) -> Path:
    path = tmp / "p.yaml"
    path.write_text(textwrap.dedent(EVENT_OUTPUTS % values))
    return path


def _argument(kubelet: ScriptedKubelet, run: str, op: str) -> str:
    """The `status` value op's container received (its env var, after Argo's substitution)."""
    [pod] = [p for p in kubelet.records(run) if p.op == op]
    return pod.env()["POLYFLOW_PARAM_STATUS"]


def test_an_event_output_reaches_the_next_op(tmp_path: Path, runs: Runs, kubelet: ScriptedKubelet) -> None:
    with serving(responder(lambda path: (201, "created"))) as url:
        wf = compile_json(
            str(_pipeline(tmp_path, url=url, timeout=60, trigger="all_succeeded")), "-p", "ready.status=201"
        )
        run = runs.run(wf, timeout=90)
    assert run.phase == "Succeeded", run.message
    assert _argument(kubelet, run.name, "use") == "201"


def test_a_timed_out_event_lets_its_all_done_consumer_run(
    tmp_path: Path, runs: Runs, kubelet: ScriptedKubelet
) -> None:
    with serving(responder(lambda path: (503, "not yet"))) as url:
        wf = compile_json(str(_pipeline(tmp_path, url=url, timeout=2, trigger="all_done")))
        run = runs.run(wf, timeout=90)
    assert run.phases() == {"ready": "Failed", "use": "Succeeded"}, run.message
    assert _argument(kubelet, run.name, "use") == ""
