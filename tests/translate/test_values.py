"""Values are data (docs/semantics.md, "Params and outputs"): every input reaches ``run.cmd`` as an
environment variable expanded in double quotes, whatever the command's own quoting; POLYAXON_PARAMS
is JSON with 0.5.6's types; typed params keep the string the user wrote.

The rendered commands run in a real ``bash -c`` with the env var set as Kubernetes would set it.
POLYAXON_PARAMS is an Argo expression: it is evaluated here with tests/translate/argo_expr.py (a
model of Argo's evaluation, checked against argo-workflows v4.0.5's util/template by hand); the e2e
suite checks the pod spec the real controller renders.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
import yaml

import polyflow_argo
from polyflow_argo import PolyflowError
from polyflow_argo.compiler import compile_with_warnings
from polyflow_argo.translate.params import (
    param_env_names,
    params_expression,
    reference_tag,
    shell_expansion,
    shell_render,
)
from tests.kubelet_env import SERVICE_ENV, environment, expand
from tests.translate.argo_expr import evaluate, substitute

HOSTILE = [
    "plain",
    "x; rm -rf /",
    "$(id)",
    "`id`",
    "a  b",
    "*",
    "it's",
    'say "hi"',
    "back\\slash",
    "line\nbreak",
    "tab\there",
    "é ✓ 日本",
    "",
    "-n",
    "${HOME} $HOME",
    "%s %d",
    "' \"$(id)\" '",
    # the kubelet expands $(VAR) in env values from the variables before them, and makes $$ a $
    "$(POLYFLOW_PARAM_X) $(KUBERNETES_SERVICE_HOST) $$ $$$ $( $",
]


def pipeline(cmd: str, inputs: list[dict[str, Any]], params: dict[str, Any], image: str = "bash:5") -> str:
    doc = {
        "version": 1,
        "kind": "pipeline",
        "name": "values",
        "ops": [{"name": "run", "template": {"name": "t"}, "params": params}],
        "templates": [
            {"kind": "job", "name": "t", "inputs": inputs, "build": {"image": image}, "run": {"cmd": cmd}}
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def compiled(
    cmd: str, inputs: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The container of the op's template and the op's task arguments."""
    (wf,) = polyflow_argo.compile(pipeline(cmd, inputs, params))
    spec: Any = wf["spec"]
    tpl = next(t for t in spec["templates"] if t["name"] == "t")
    dag = next(t for t in spec["templates"] if "dag" in t)
    args = {p["name"]: p["value"] for p in dag["dag"]["tasks"][0]["arguments"]["parameters"]}
    return tpl["container"], args


def run_bash(container: dict[str, Any], params: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """Run the container's command as the pod would: env values substituted by Argo, then bash -c."""
    assert container["command"] == ["/bin/bash", "-c"]
    (script,) = container["args"]
    assert "{{" not in script, "no Argo tag (hence no value text) may be in the command"
    env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent-home", **process_env(container, params)}
    script = expand(script, {**SERVICE_ENV, **env})  # the kubelet expands args too
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, check=True, cwd="/")


def process_env(container: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    """The container's env as its process sees it: Argo's substitution, then the kubelet's `$(VAR)`
    expansion (tests/kubelet_env.py)."""
    return environment((var["name"], substitute(var["value"], params)) for var in container["env"])


def words(container: dict[str, Any], params: dict[str, str]) -> list[str]:
    out = run_bash(container, params).stdout.decode()
    assert out.endswith("\0") or out == ""
    return out.split("\0")[:-1]


STR = [{"name": "x", "type": "str"}]

CONTEXTS = {
    # run.cmd → the words printf receives, for value v
    "printf '%s\\0' {{ x }}": lambda v: [v],
    "printf '%s\\0' --x={{ x }}": lambda v: ["--x=" + v],
    "printf '%s\\0' \"<{{ x }}>\"": lambda v: [f"<{v}>"],
    "printf '%s\\0' '<{{ x }}>'": lambda v: [f"<{v}>"],
    "printf '%s\\0' $'<\\t{{ x }}>'": lambda v: [f"<\t{v}>"],
    "printf '%s\\0' \"$(printf '%s' {{ x }})\"": lambda v: [v.rstrip("\n")],
    "printf '%s\\0' {{x}}{{x}}": lambda v: [v + v],
    "printf '%s\\0' \\{{ x }}": lambda v: [v],
    "printf '%s\\0' \"a\\{{ x }}\"": lambda v: ["a\\" + v],
}


@pytest.mark.parametrize("cmd", list(CONTEXTS))
@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_is_exactly_one_word_byte_for_byte_in_every_quoting_context(cmd: str, value: str) -> None:
    container, args = compiled(cmd, STR, {"x": value})
    assert args["x"] == value
    assert words(container, args) == CONTEXTS[cmd](value)


def test_the_command_holds_no_value_and_the_env_var_comes_first() -> None:
    container, args = compiled("echo {{ x }} '{{ x }}' \"{{ x }}\"", STR, {"x": "$(id)"})
    assert container["args"] == [
        'echo "${POLYFLOW_PARAM_X}" \'\'"${POLYFLOW_PARAM_X}"\'\' "${POLYFLOW_PARAM_X}"'
    ]
    assert container["env"][0] == {"name": "POLYFLOW_PARAM_X",
                                   "value": "{{=replace(inputs.parameters['x'], '$', '$$')}}"}
    assert container["env"][1]["name"] == "POLYAXON_PARAMS"
    assert run_bash(container, args).stdout == b"$(id) $(id) $(id)\n"


def test_an_upstream_output_is_data_too() -> None:
    text = yaml.safe_dump(
        {
            "version": 1,
            "kind": "pipeline",
            "ops": [
                {"name": "a", "template": {"name": "producer"}},
                {"name": "b", "template": {"name": "t"}, "params": {"x": "{{ ops.a.outputs.out }}"}},
            ],
            "templates": [
                {"kind": "job", "name": "producer", "outputs": [{"name": "out", "type": "str"}],
                 "build": {"image": "bash:5"}, "run": {"cmd": "true"}},
                {"kind": "job", "name": "t", "inputs": STR, "build": {"image": "bash:5"},
                 "run": {"cmd": "printf '%s\\0' {{ x }}"}},
            ],
        }
    )
    (wf,) = polyflow_argo.compile(text)
    spec: Any = wf["spec"]
    container = next(t for t in spec["templates"] if t["name"] == "t")["container"]
    task = next(t for t in spec["templates"] if "dag" in t)["dag"]["tasks"][1]
    assert task["arguments"]["parameters"][1]["value"] == reference_tag("a", "out")
    assert words(container, {"x": "ok; touch /tmp/pwned"}) == ["ok; touch /tmp/pwned"]


FLAG = [
    {"name": "verbose", "type": "bool", "is_flag": True},
    {"name": "x", "type": "str", "is_optional": True, "default": "d"},
]


@pytest.mark.parametrize(
    ("cmd", "on", "off"),
    [
        ("printf '%s\\0' {{ verbose }} end", ["--verbose", "end"], ["end"]),
        ("printf '%s\\0' \"{{ verbose }}\" end", ["--verbose", "end"], ["", "end"]),
        ("printf '%s\\0' '[{{ verbose }}]' end", ["[--verbose]", "end"], ["[]", "end"]),
    ],
)
def test_a_flag_is_the_flag_or_nothing(cmd: str, on: list[str], off: list[str]) -> None:
    for value, expected in ((True, on), (False, off)):
        container, args = compiled(cmd, FLAG, {"verbose": value})
        assert args["verbose"] == ("--verbose" if value else "")
        assert words(container, args) == expected
        exported = json.loads(process_env(container, args)["POLYAXON_PARAMS"])
        assert exported == {"verbose": value, "x": "d"}


def render(cmd: str) -> str:
    """shell_render alone: run.cmd's whitespace is folded by the spec (a list is joined with ` && `),
    so comments and here-documents only reach it from a registry or a future multi-line form."""
    heredocs: list[str] = []
    out = shell_render(
        cmd, lambda m, c: shell_expansion("POLYFLOW_PARAM_X", c, False), lambda m: heredocs.append(m.group(0))
    )
    assert not heredocs, heredocs
    return out


@pytest.mark.parametrize("value", HOSTILE)
def test_comments_and_here_documents(value: str) -> None:
    env = {"PATH": os.environ["PATH"], "POLYFLOW_PARAM_X": value}
    script = render("# it's {{ x }}\ncat <<EOF\n[{{ x }}] \\{{ x }}\nEOF\nprintf '%s\\0' {{ x }} '{{ x }}'")
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, check=True).stdout.decode()
    assert out == f"[{value}] \\{value}\n{value}\0{value}\0"
    with pytest.raises(AssertionError):
        render("cat <<'EOF'\n{{ x }}\nEOF\n")


@pytest.mark.parametrize(
    ("cmd", "code"),
    [("echo {{ x | upper }}", "PF434"), ("echo {{ y }}", "PF435"), ("echo {% if x %}", "PF433"),
     ("echo {{ x }} }}", "PF436")],
)
def test_jinja_and_braces_are_still_refused(cmd: str, code: str) -> None:
    with pytest.raises(PolyflowError) as info:
        compiled(cmd, STR, {"x": "v"})
    assert code in [d.code for d in info.value.diagnostics]


def test_env_var_names_are_sanitised_and_collisions_resolved_whatever_the_order() -> None:
    names = param_env_names(["lr", "batch-size", "x9_y"])
    assert names == {"lr": "POLYFLOW_PARAM_LR", "batch-size": "POLYFLOW_PARAM_BATCH_SIZE",
                     "x9_y": "POLYFLOW_PARAM_X9_Y"}
    clash = param_env_names(["a-b", "a_b", "A_B", "c"])
    assert len(set(clash.values())) == 4 and clash["c"] == "POLYFLOW_PARAM_C"
    assert all(v.startswith("POLYFLOW_PARAM_A_B_") and len(v) == len("POLYFLOW_PARAM_A_B_") + 6
               for k, v in clash.items() if k != "c")
    assert param_env_names(["A_B", "a_b", "a-b"]) == {k: clash[k] for k in ("A_B", "a_b", "a-b")}


# --- POLYAXON_PARAMS ------------------------------------------------------------------------------

TYPED = [
    {"name": "s", "type": "str"},
    {"name": "n", "type": "int"},
    {"name": "lr", "type": "float"},
    {"name": "on", "type": "bool"},
    {"name": "items", "type": "list"},
    {"name": "conf", "type": "dict"},
    {"name": "path", "type": "s3_path"},
    {"name": "ints", "type": "int", "is_list": True},
    {"name": "any"},
    {"name": "opt", "type": "int", "is_optional": True},
]


def test_the_params_expression_per_declared_type() -> None:
    assert params_expression({"message": "str"}) == (
        "{{=replace(toJson({'message': inputs.parameters['message']}), '$', '$$')}}"
    )
    assert params_expression({"n": "int", "f": "flag"}) == (
        "{{=replace(toJson({'n': (trim(inputs.parameters['n']) == '' ? nil : "
        "asInt(trim(inputs.parameters['n']))), 'f': inputs.parameters['f'] != ''}), '$', '$$')}}"
    )
    container, _ = compiled("true", TYPED, {"s": "x", "n": 1, "lr": 0.5, "on": True, "items": [1],
                                            "conf": {}, "path": "s3://b/k", "ints": [1], "any": 1})
    expression = container["env"][len(TYPED)]["value"]
    for fragment in ("'s': inputs.parameters['s']", "asInt(trim(inputs.parameters['n']))",
                     "asFloat(trim(inputs.parameters['lr']))", "lower(trim(inputs.parameters['on'])) in [",
                     "fromJSON(inputs.parameters['conf'])", "'path': inputs.parameters['path']",
                     "fromJSON(inputs.parameters['ints'])", "'any': inputs.parameters['any']"):
        assert fragment in expression


@pytest.mark.parametrize("text", HOSTILE + ['{"a": 1}', "[1, 2]", "\\u0000 \\", "<&>"])
def test_params_json_is_valid_and_typed_for_any_value(text: str) -> None:
    params = {"s": text, "n": 7, "lr": 0.001, "on": "yes", "items": "a, b,c", "conf": {"k": [1, "v"]},
              "path": "s3://raw/events", "ints": [1, 2], "any": text, "opt": None}
    container, args = compiled("true", TYPED, params)
    exported = json.loads(process_env(container, args)["POLYAXON_PARAMS"])
    assert exported == {"s": text, "n": 7, "lr": 0.001, "on": True, "items": ["a", "b", "c"],
                        "conf": {"k": [1, "v"]}, "path": "s3://raw/events", "ints": [1, 2], "any": text,
                        "opt": None}


def test_aggregated_group_outputs_are_json_lists() -> None:
    expression = params_expression({"losses": "list"})
    assert evaluate(expression[3:-2], {"losses": '["0.31","0.27"]'}) == '{"losses":["0.31","0.27"]}'


# --- typed params keep the user's string --------------------------------------------------------


@pytest.mark.parametrize(
    ("io_type", "value"),
    [("s3_path", "s3://raw/events"), ("gcs_path", "gs://b/some path/x"),
     ("azure_path", "wasbs://c@acct.blob.core.windows.net/p"), ("list", "a,b , c"),
     ("dict", '{"b": 1,  "a": 2}'), ("uri", "user:pass@host:5432")],
)
def test_typed_params_keep_the_users_string(io_type: str, value: str) -> None:
    container, args = compiled("printf '%s\\0' {{ x }}", [{"name": "x", "type": io_type}], {"x": value})
    assert args["x"] == value  # 0.5.6's get_param_display_value: the raw value, not a JSON object
    assert words(container, args) == [value]


def test_a_literal_credential_is_a_warning_at_its_line() -> None:
    inputs = [
        {"name": "db", "type": "uri"}, {"name": "login", "type": "auth"}, {"name": "host", "type": "uri"}
    ]
    text = pipeline("true", inputs, {"db": "u:secret@db", "login": "u:pw", "host": "reader:@db"})
    _, warnings = compile_with_warnings(text)
    found = [(w.code, w.span.line if w.span else None) for w in warnings if w.code == "PF329"]
    lines = text.splitlines()
    expected = [i + 1 for i, line in enumerate(lines) if "db: u:secret@db" in line or "login: u:pw" in line]
    assert [line for _, line in found] == expected and len(found) == 2
    assert all("Secret" in (w.hint or "") for w in warnings if w.code == "PF329")
