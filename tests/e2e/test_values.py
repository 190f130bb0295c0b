"""Values are data, on the real controller: hostile param values, upstream outputs and condition
values reach the container, `POLYAXON_PARAMS` and `when` exactly as given, never as code.

The pod spec asserted here is the one Argo's controller rendered (after its templating); the
container's command is then run with real bash and that pod's environment, as the container would."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

import polyflow_argo

from tests.kubelet_env import expand

from .kubelet import PodRecord, ScriptedKubelet
from .runs import Runs

HOSTILE = [
    "x; rm -rf /tmp/nothing-here",
    "$(id)",
    "`id`",
    "a  b   *",
    'it\'s "quoted"',
    "back\\slash",
    "line\nbreak",
    "\u00e9t\u00e9 \u2713",
    "no' == 'no' || 'a",
    "-n",
    "",
    # the kubelet expands $(VAR) in env values, args and command, and makes $$ a $
    "$(POLYFLOW_PARAM_N) $(KUBERNETES_SERVICE_HOST) price: $$5 $ $(",
]


def pipeline(message: str, gate: str) -> str:
    doc = {
        "version": 1,
        "kind": "pipeline",
        "name": "values",
        "ops": [
            {"name": "produce", "template": {"name": "producer"}},
            {
                "name": "say",
                "template": {"name": "sayer"},
                "dependencies": ["produce"],
                "params": {
                    "message": message,
                    "n": 3,
                    "lr": 0.5,
                    "loud": True,
                    "tags": ["a", "b c"],
                    "cfg": {"k": "v'\""},
                    "upstream": "{{ ops.produce.outputs.text }}",
                },
            },
            {
                "name": "gated",
                "template": {"name": "producer"},
                "dependencies": ["produce"],
                "conditions": {"kind": "outputs", "op": "produce", "exp": "eq", "params": [["text", gate]]},
            },
        ],
        "templates": [
            {
                "kind": "job",
                "name": "producer",
                "outputs": [{"name": "text", "type": "str"}],
                "build": {"image": "alpine:3.20"},
                "run": {"cmd": "true"},
            },
            {
                "kind": "job",
                "name": "sayer",
                "inputs": [
                    {"name": "message", "type": "str"},
                    {"name": "n", "type": "int"},
                    {"name": "lr", "type": "float"},
                    {"name": "loud", "type": "bool", "is_flag": True},
                    {"name": "tags", "type": "list"},
                    {"name": "cfg", "type": "dict"},
                    {"name": "upstream", "type": "str"},
                ],
                "build": {"image": "python:3.11-slim"},
                "run": {
                    "cmd": "printf '[%s]\\n' {{ message }} \"{{ message }}\" '{{ message }}' {{ loud }} "
                    '{{ upstream }} "in {{ upstream }} text"'
                },
            },
        ],
    }
    return json.dumps(doc)


def run_like_the_container(pod: PodRecord) -> list[str]:
    """The main container's command run with real bash and the env Argo rendered; its output lines."""
    main = pod.main()
    env = {k: v for k, v in pod.env().items() if not k.startswith("ARGO_")}
    command = [expand(word, env) for word in main["command"]]  # as the kubelet passes them
    args = [expand(word, env) for word in main.get("args", [])]
    argv = command[command.index("--") + 1 :] + args if "--" in command else command + args
    out = subprocess.run(
        argv, env={**env, "PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=10
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split("\n")[:-1]


@pytest.fixture(scope="module")
def finished(runs: Runs) -> list[tuple[str, str, Any]]:
    """One run per hostile value: the value as a param, as the producer's output, and as the gate."""
    names = []
    for value in HOSTILE:
        wf = polyflow_argo.compile(pipeline(value, value))[0]
        outcomes = {"produce": {"phase": "Succeeded", "outputs": {"text": value}}}
        names.append((runs.submit(wf, outcomes), value))
    done = runs.wait([n for n, _ in names], timeout=180)
    return [(n, v, done[n]) for n, v in names]


@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=[repr(v) for v in HOSTILE])
def test_a_value_reaches_the_container_as_one_word(
    index: int, finished: list[tuple[str, str, Any]], kubelet: ScriptedKubelet
) -> None:
    name, value, run = finished[index]
    assert run.phase == "Succeeded", run.message
    [pod] = [p for p in kubelet.records(name) if p.op == "say"]
    args = " ".join(pod.main().get("args", []))
    for piece in ("rm -rf", "$(id)", "quoted", "slash"):
        assert piece not in args, args  # the command carries no value text
    env = pod.env()
    assert env["POLYFLOW_PARAM_MESSAGE"] == value and env["POLYFLOW_PARAM_UPSTREAM"] == value
    params = json.loads(env["POLYAXON_PARAMS"])
    assert params == {
        "message": value,
        "n": 3,
        "lr": 0.5,
        "loud": True,
        "tags": ["a", "b c"],
        "cfg": {"k": "v'\""},
        "upstream": value,
    }
    lines = run_like_the_container(pod)
    # message three ways, the flag, the upstream output, the output inside text: each exactly one word
    assert "\n".join(lines) == "\n".join(
        f"[{w}]" for w in [value, value, value, "--loud", value, f"in {value} text"]
    ), lines


@pytest.mark.parametrize("index", range(len(HOSTILE)), ids=[repr(v) for v in HOSTILE])
def test_a_condition_value_is_compared_as_data(
    index: int, finished: list[tuple[str, str, Any]], runs: Runs
) -> None:
    """The gate reads the producer's output and runs exactly when it equals the condition value."""
    _, _, run = finished[index]
    assert run.phases()["gated"] == "Succeeded"


def test_a_crafted_value_cannot_flip_a_gate(runs: Runs) -> None:
    crafted = "no' == 'no' || 'a"
    wf = polyflow_argo.compile(pipeline("m", "yes"))[0]
    for text in (crafted, "yes' || 'x' == 'x", 'yes" || "x" == "x', "2026-01-01T00:00:00Z"):
        run = runs.run(wf, {"produce": {"phase": "Succeeded", "outputs": {"text": text}}})
        assert run.phases()["gated"] == "Skipped", (text, run.message)
