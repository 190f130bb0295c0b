"""``compile FILE...`` compiles each file on its own (issue 16), ``--merge`` overlays them, a name
clash is refused before anything is written; usage errors exit 2 and Ctrl-C 130 (issue 13)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from polyflow_argo.cli import EXIT_INTERRUPTED, UsageError, main
from tests.support import CLI, cli

ROOT = Path(__file__).resolve().parents[2]

PIPELINE = """\
version: 1
kind: pipeline
name: {name}
ops:
  - {{name: {op}, template: {{name: t}}}}
templates:
  - {{kind: job, name: t, build: {{image: 'python:3.7-slim'}}, run: {{cmd: 'echo {op}'}}}}
"""


def write(path: Path, name: str, op: str = "a") -> Path:
    path.write_text(PIPELINE.format(name=name, op=op))
    return path


def names(stream: str) -> list[tuple[str, str]]:
    docs = list(yaml.safe_load_all(stream))
    return [(d["kind"], d["metadata"].get("name") or d["metadata"]["generateName"]) for d in docs]


def test_several_files_compile_each_on_its_own(tmp_path: Path) -> None:
    a, b, c = write(tmp_path / "a.yaml", "alpha"), write(tmp_path / "b.yaml", "beta", "x"), None
    c = write(tmp_path / "c.yml", "gamma", "y")
    res = cli("compile", str(a), str(b), str(c))
    assert res.returncode == 0, res.stderr
    assert names(res.stdout) == [("Workflow", "alpha-"), ("Workflow", "beta-"), ("Workflow", "gamma-")]
    # each is what compiling the file alone gives, byte for byte
    alone = [cli("compile", str(p)).stdout for p in (a, b, c)]
    assert res.stdout == "".join(alone)


def test_out_dir_gets_one_manifest_set_per_file(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.yaml", "alpha"), write(tmp_path / "b.yaml", "beta")
    out = tmp_path / "out"
    res = cli("compile", str(a), str(b), "-o", "json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["workflow-alpha.json", "workflow-beta.json"]
    assert json.loads((out / "workflow-beta.json").read_text())["metadata"]["generateName"] == "beta-"


def test_json_to_stdout_is_one_list_of_every_manifest(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.yaml", "alpha"), write(tmp_path / "b.yaml", "beta")
    body = json.loads(cli("compile", str(a), str(b), "-o", "json").stdout)
    assert body["kind"] == "List"
    assert [i["metadata"]["generateName"] for i in body["items"]] == ["alpha-", "beta-"]


def test_merge_overlays_the_files_into_one_pipeline(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "alpha")
    b = tmp_path / "b.yaml"
    b.write_text("name: merged\n")
    res = cli("compile", "--merge", str(a), str(b))
    assert res.returncode == 0, res.stderr
    assert names(res.stdout) == [("Workflow", "merged-")]


@pytest.mark.parametrize("command", ["compile", "lint"])
def test_an_overlay_given_without_merge_is_told_about_merge(tmp_path: Path, command: str) -> None:
    a = write(tmp_path / "a.yaml", "alpha")
    b = tmp_path / "b.yaml"
    b.write_text("schedule: {kind: cron, cron: '0 2 * * *'}\n")
    res = cli(command, str(a), str(b))
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.strip() == (
        f"{b}:1:1: error PF205: missing required field `version` at the top level "
        "(add `version: 1`; or, if this file overlays the files before it, pass --merge)"
    )
    alone = cli(command, str(b))  # one file: no overlay to speak of
    assert alone.returncode == 1 and "--merge" not in alone.stderr
    merged = cli(command, "--merge", str(a), str(b))
    assert merged.returncode == 0, merged.stderr
    if command == "lint":
        assert merged.stderr.strip() == "1 pipeline (2 files) OK"
        assert cli("lint", str(a)).stderr.strip() == "1 file OK"


def test_a_directory_stands_for_its_pipeline_files(tmp_path: Path) -> None:
    d = tmp_path / "pipelines"
    d.mkdir()
    write(d / "b.yaml", "beta")
    write(d / "a.json", "alpha")  # YAML is a superset of JSON: any of the three suffixes is read
    (d / "notes.txt").write_text("not a pipeline")
    (d / ".hidden.yaml").write_text("not: [valid")
    res = cli("compile", str(d))
    assert res.returncode == 0, res.stderr
    assert names(res.stdout) == [("Workflow", "alpha-"), ("Workflow", "beta-")]  # sorted by file name


def test_an_empty_directory_is_a_usage_error(tmp_path: Path) -> None:
    res = cli("compile", str(tmp_path))
    assert res.returncode == 2
    assert "has no pipeline file" in res.stderr and "Traceback" not in res.stderr


def test_a_name_clash_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.yaml", "same"), write(tmp_path / "b.yaml", "same", "other")
    out = tmp_path / "out"
    res = cli("compile", str(a), str(b), "--out", str(out))
    assert res.returncode == 1
    assert f"{b}:3:7: error PF501: {b} and {a} both compile to Workflow 'same'" in res.stderr, res.stderr
    assert not out.exists()
    res = cli("compile", str(a), str(b))  # on stdout too: nothing printed
    assert res.returncode == 1 and "PF501" in res.stderr and res.stdout == ""


def test_name_with_several_files_is_a_clash(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.yaml", "alpha"), write(tmp_path / "b.yaml", "beta")
    res = cli("compile", "--name", "run-1", str(a), str(b), "--out", str(tmp_path / "out"))
    assert res.returncode == 1 and "both compile to Workflow 'run-1'" in res.stderr
    assert "--name gives every pipeline the same name" in res.stderr
    assert not (tmp_path / "out").exists()


def test_an_invalid_file_writes_nothing_and_every_file_is_reported(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "alpha")
    bad1 = tmp_path / "b.yaml"
    bad1.write_text("version: 1\nkind: pipeline\nops: [{name: a, template: {name: nope}}]\ntemplates: []\n")
    bad2 = tmp_path / "c.yaml"
    bad2.write_text("version: 1\nkind: pipeline\nops: [{name: a, template: {name: t}, trigger: x}]\n")
    out = tmp_path / "out"
    res = cli("compile", str(a), str(bad1), str(bad2), "--out", str(out))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{bad1}:" in res.stderr and f"{bad2}:" in res.stderr
    assert not out.exists()


def test_more_than_200_ops_need_lift_limits(tmp_path: Path) -> None:
    ops = "\n".join(f"  - {{name: op{i}, template: {{name: t}}}}" for i in range(201))
    p = tmp_path / "big.yaml"
    p.write_text(f"version: 1\nkind: pipeline\nname: big\nops:\n{ops}\n"
                 "templates:\n  - {kind: job, name: t, build: {image: 'python:3.7-slim'}}\n")
    res = cli("compile", str(p), "-o", "json", "--no-warnings")
    assert res.returncode == 1 and "PF452" in res.stderr and "--lift-limits" in res.stderr
    res = cli("compile", str(p), "-o", "json", "--no-warnings", "--lift-limits")
    assert res.returncode == 0, res.stderr
    assert len(json.loads(res.stdout)["spec"]["templates"][0]["dag"]["tasks"]) == 201


def test_lift_limits_keeps_the_name_limit() -> None:
    from polyflow_argo.translate.check import check_limits
    from polyflow_argo.translate.target import ArgoTarget

    doc = {"kind": "Workflow", "metadata": {"name": "x" * 64}, "spec": {"templates": [{"name": "t"}] * 201}}
    assert {d.code for d in check_limits([doc], ArgoTarget("4"))} == {"PF450", "PF451"}
    assert {d.code for d in check_limits([doc], ArgoTarget("4"), lift=True)} == {"PF450"}


def test_param_without_equals_is_a_usage_error() -> None:
    res = cli("compile", "-p", "noequals", "examples/diamond.yaml")
    assert res.returncode == 2, res.stderr
    assert "polyflow-argo compile: error: -p noequals: expected OP.PARAM=VALUE" in res.stderr


def test_a_handler_usage_error_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyflow_argo.cli import lint

    def wrong(_: object) -> int:
        raise UsageError("--frob needs --blah")

    monkeypatch.setattr(lint, "run", wrong)  # register() reads it when main builds the parser
    assert main(["lint", "examples/diamond.yaml"]) == 2
    assert "polyflow-argo lint: error: --frob needs --blah" in capsys.readouterr().err


def test_ctrl_c_during_start_up_exits_130_without_traceback(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import polyflow_argo.cli as cli

    def interrupted(*_: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["--version"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "interrupted\n"


def test_a_bug_while_the_parser_is_built_exits_4_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import polyflow_argo.cli as cli

    def broken(*_: object) -> object:
        raise NameError("add_files")

    monkeypatch.setattr(cli, "build_parser", broken)
    assert main(["compile", "examples/diamond.yaml"]) == 4
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err
    assert main(["--debug", "compile", "examples/diamond.yaml"]) == 4
    assert "NameError: add_files" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_while_the_process_imports_exits_130(tmp_path: Path) -> None:
    """A real SIGINT while the command modules load (a slow import stands in for a cold disk;
    ``--help`` loads every command module)."""
    marker = tmp_path / "importing"
    (tmp_path / "sitecustomize.py").write_text(
        "import builtins, pathlib, time\n_imp = builtins.__import__\n"
        "def slow(name, *a, **k):\n"
        "    if name == 'compile' and a and a[0] and a[0].get('__name__') == 'polyflow_argo.cli.cluster':\n"
        f"        pathlib.Path({str(marker)!r}).touch()\n"
        "        time.sleep(30)\n"
        "    return _imp(name, *a, **k)\n"
        "builtins.__import__ = slow\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    proc = subprocess.Popen([*CLI, "--help"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert err == "interrupted\n"


def test_version_and_lint_do_not_load_the_translators() -> None:
    code = (
        "import sys, io, contextlib\nfrom polyflow_argo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--version'])\n"
        "v = sorted(m for m in sys.modules if m.startswith('polyflow_argo.'))\n"
        "main(['lint', 'examples/diamond.yaml'])\n"
        "l = sorted(m for m in sys.modules\n"
        "           if m.startswith(('polyflow_argo.translate.', 'polyflow_argo.emit')))\n"
        "print(v); print(l)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    version_modules, lint_modules = (eval(line) for line in res.stdout.splitlines())  # noqa: S307
    assert version_modules == ["polyflow_argo.cli", "polyflow_argo.version"], version_modules
    assert lint_modules == [], lint_modules  # `lint` builds a parser of its own command only
