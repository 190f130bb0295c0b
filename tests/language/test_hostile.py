"""Hostile inputs: each is rejected at its file:line:col with exit 1, in bounded time and memory.

Every row runs the CLI in a subprocess whose address space is capped (``RLIMIT_AS``) and which is
killed after :data:`SECONDS`: before the bounds in polyflow_argo/source.py, the 553-byte "billion
laughs" took 5.6 GiB, the merge-key bomb ran for minutes, deep nesting raised RecursionError
(exit 4), a FIFO hung and a symlink to /dev/zero filled memory. Each kind of file the tool reads is
covered: a pipeline, a path template, a registry entry, polyflow.yaml and polyflow.lock.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import cli

ROOT = Path(__file__).resolve().parents[2]
MEMORY = 384 << 20  # bytes of address space; `lint examples/diamond.yaml` fits in 256 MiB
SECONDS = 30.0  # a kill, far above the few seconds the slowest row takes on a loaded machine

HEAD = "version: 1\nkind: pipeline\n"
TAIL = "ops: [{name: a, template: {name: t}}]\ntemplates: [{kind: job, name: t}]\n"


def laughs() -> str:
    """553 bytes that alias 9 lists of 9 lists ... (9**9 strings once expanded)."""
    lines = [HEAD.rstrip("\n"), 'tags: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n" + TAIL


def merge_bomb() -> str:
    """Each mapping merges the previous one twice: 2**24 merged keys from 700 bytes."""
    lines = [HEAD.rstrip("\n"), "x0: &a0 {k0: 1}"]
    lines += [f"x{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: 1}}" for i in range(1, 25)]
    return "\n".join(lines) + "\n" + TAIL


def deep_params(depth: int) -> str:
    return HEAD + "ops: [{name: a, template: {name: t}, params: {p: " + "[" * depth + "]" * depth + "}}]\n"


def deep_block(depth: int) -> str:
    return HEAD + "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v: 1\n"


def deep_json(depth: int) -> str:
    return '{"version": 1, "kind": "pipeline", "ops": ' + "[" * depth + "]" * depth + "}\n"


def number(value: str) -> str:
    return HEAD + f"concurrency: {value}\n" + TAIL


def tagged(value: str) -> str:
    return HEAD + f"name: {value}\n" + TAIL


# (id, files {name: text or bytes}, command after the program, code, "file:line:col" expected)
Files = dict[str, Any]
ROWS: list[tuple[str, Files, list[str], str, str]] = [
    ("billion-laughs", {"p.yaml": laughs()}, ["lint", "p.yaml"], "PF109", "p.yaml:3:"),
    ("merge-key-bomb", {"p.yaml": merge_bomb()}, ["lint", "p.yaml"], "PF109", "p.yaml:"),
    ("deep-params", {"p.yaml": deep_params(500)}, ["lint", "p.yaml"], "PF110", "p.yaml:3:"),
    ("deep-block-mapping", {"p.yaml": deep_block(300)}, ["lint", "p.yaml"], "PF110", "p.yaml:"),
    ("deep-json", {"p.json": deep_json(500)}, ["lint", "p.json"], "PF110", "p.json:1:"),
    ("deeper-than-libyaml-json", {"p.json": deep_json(100_000)}, ["lint", "p.json"], "PF100", "p.json:1:"),
    ("int-beyond-int64", {"p.yaml": number("9223372036854775808")}, ["lint", "p.yaml"], "PF111",
     "p.yaml:3:14"),
    ("negative-int-beyond-int64", {"p.yaml": number("-0x8000000000000001")}, ["lint", "p.yaml"], "PF111",
     "p.yaml:3:14"),
    ("inf", {"p.yaml": number(".inf")}, ["lint", "p.yaml"], "PF111", "p.yaml:3:14"),
    ("nan", {"p.yaml": number(".NaN")}, ["lint", "p.yaml"], "PF111", "p.yaml:3:14"),
    ("float-overflow", {"p.yaml": number("1.0e+999")}, ["lint", "p.yaml"], "PF111", "p.yaml:3:14"),
    ("bad-hex", {"p.yaml": number("0x_")}, ["lint", "p.yaml"], "PF111", "p.yaml:3:14"),
    ("python-object", {"p.yaml": tagged("!!python/object/apply:os.system [echo]")}, ["lint", "p.yaml"],
     "PF112", "p.yaml:3:7"),
    ("python-name-scalar", {"p.yaml": tagged("!!python/name:os.system ''")}, ["lint", "p.yaml"], "PF112",
     "p.yaml:3:7"),
    ("unknown-local-tag", {"p.yaml": tagged("!vault secret")}, ["lint", "p.yaml"], "PF112", "p.yaml:3:7"),
    ("binary", {"p.yaml": tagged("!!binary aGVsbG8=")}, ["lint", "p.yaml"], "PF112", "p.yaml:3:7"),
    ("set", {"p.yaml": tagged("!!set {a, b}")}, ["lint", "p.yaml"], "PF112", "p.yaml:3:7"),
    ("not-utf8", {"p.yaml": (HEAD + "name: caf").encode() + b"\xe9\n"}, ["lint", "p.yaml"], "PF107",
     "p.yaml:3:10"),
    ("over-the-size-cap", {"p.yaml": HEAD + "#" * 2000 + "\n" + TAIL}, ["lint", "p.yaml"], "PF108",
     "p.yaml:1:1"),
    ("fifo", {"p.yaml": "fifo"}, ["lint", "p.yaml"], "PF106", "p.yaml:1:1"),
    ("symlink-to-dev-zero", {"p.yaml": "/dev/zero"}, ["lint", "p.yaml"], "PF106", "p.yaml:1:1"),
    # the other files the tool reads
    ("path-template", {"p.yaml": HEAD + "ops: [{name: a, template: {path: t.yaml}}]\n",
                       "t.yaml": "kind: job\nname: !!python/object:x {}\n"},
     ["lint", "--resolve", "p.yaml"], "PF112", "t.yaml:2:7"),
    ("path-template-fifo", {"p.yaml": HEAD + "ops: [{name: a, template: {path: t.yaml}}]\n",
                            "t.yaml": "fifo"},
     ["compile", "p.yaml"], "PF106", "t.yaml:1:1"),
    ("registry-entry", {"p.yaml": HEAD + "ops: [{name: a, template: {action: hello}}]\n",
                        "reg/actions/hello.yaml": "kind: action\nname: hello\nversion: 1.0.0\n"
                        + deep_block(300).replace(HEAD, "template:\n")},
     ["lint", "--resolve", "--registry", "reg", "p.yaml"], "PF110", "reg/actions/hello.yaml:"),
    ("project-config", {"p.yaml": HEAD + "ops: [{name: a, template: {name: t}}]\n"
                        "templates: [{kind: job, name: t, build: {image: 'x:1'}}]\n",
                        "polyflow.yaml": laughs().replace(HEAD + "tags", "version: 1\nx").replace(TAIL, "")},
     ["compile", "p.yaml"], "PF109", "polyflow.yaml:2:"),
    ("lock-not-yaml", {"p.yaml": HEAD + "ops: [{name: a, template: {url: 'https://example.com/t.yaml'}}]\n",
                       "polyflow.yaml": "version: 1\n", "polyflow.lock": "urls: [\n"},
     ["compile", "p.yaml"], "PF100", "polyflow.lock:2:1"),
    ("lock-not-pins", {"p.yaml": HEAD + "ops: [{name: a, template: {url: 'https://example.com/t.yaml'}}]\n",
                       "polyflow.yaml": "version: 1\n",
                       "polyflow.lock": "urls: {'https://example.com/t.yaml': 7}\n"},
     ["lock", "p.yaml"], "PF114", "polyflow.lock:1:"),
]


def _write(tmp: Path, files: Files) -> None:
    for name, content in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == "fifo":
            os.mkfifo(path)
        elif content == "/dev/zero":
            path.symlink_to("/dev/zero")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def run_capped(args: list[str], cwd: Path, env: dict[str, str] | None = None,
               stdin: str | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    """The CLI under a memory cap and a time limit; returns the result and the seconds it took."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    start = time.monotonic()
    res = cli(*args, cwd=cwd, timeout=SECONDS, preexec_fn=cap, stdin=stdin,
              env={"PYTHONPATH": str(ROOT), **(env or {})})
    return res, time.monotonic() - start


@pytest.mark.parametrize(("files", "args", "code", "where"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_hostile_input_is_rejected_at_its_position(
    files: Files, args: list[str], code: str, where: str, tmp_path: Path
) -> None:
    _write(tmp_path, files)
    env = {"POLYFLOW_MAX_INPUT_BYTES": "1000"} if code == "PF108" else {}
    res, seconds = run_capped(args, tmp_path, env)
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    line = next((ln for ln in res.stderr.splitlines() if code in ln), "")
    assert line.startswith(where) or f" {where}" in line or f"/{where}" in line, res.stderr[-2000:]
    if code == "PF108":
        assert "POLYFLOW_MAX_INPUT_BYTES" in line and "1000 bytes" in line
    assert seconds < SECONDS


def test_expansion_within_the_budget_is_fine() -> None:
    """Aliases as people use them (a shared template, merged defaults) stay well inside the budget."""
    import polyflow_argo

    text = (
        HEAD + "x-defaults: &d {max_retries: 2, retry_delay: 5}\n"
        "ops:\n" + "".join(f"  - {{<<: *d, name: op{i}, template: {{name: t}}}}\n" for i in range(200))
        + "templates: [{kind: job, name: t}]\n"
    )
    found = polyflow_argo.lint(text=text)
    assert [d.code for d in found if d.severity == "error"] == ["PF206"]  # `x-defaults` is not a field


def test_size_cap_setting_must_be_a_number(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(HEAD + TAIL)
    res, _ = run_capped(["lint", "p.yaml"], tmp_path, {"POLYFLOW_MAX_INPUT_BYTES": "lots"})
    assert res.returncode == 1 and "POLYFLOW_MAX_INPUT_BYTES='lots' is not a positive number" in res.stderr


def test_stdin_is_bounded_too(tmp_path: Path) -> None:
    res, _ = run_capped(["lint", "-"], tmp_path, {"POLYFLOW_MAX_INPUT_BYTES": "100"}, stdin="#" * 5000)
    assert res.returncode == 1 and "<stdin>:1:1:" in res.stderr and "PF108" in res.stderr


def test_schedule_next_near_the_end_of_the_calendar_is_bounded(tmp_path: Path) -> None:
    """croniter loops forever near year 9999: the instants stop at 9900 and the answer is exit 1."""
    (tmp_path / "p.yaml").write_text(
        HEAD + "name: nightly\nschedule: {kind: cron, cron: '0 2 * * *'}\n"
        "ops: [{name: a, template: {name: t}}]\ntemplates: [{kind: job, name: t, build: {image: 'x:1'}}]\n"
    )
    for start in ("9999-12-31T23:00:00Z", "9899-12-31T23:00:00Z"):
        res, _ = run_capped(["schedule", "next", "p.yaml", "--from", start], tmp_path)
        assert res.returncode == 1, res.stderr
        assert "p.yaml:4:11:" in res.stderr and "PF472" in res.stderr and "9900-01-01" in res.stderr
