"""One set of flags (issue 17): every -n is --namespace, every -o is --output FORMAT, and every command
that resolves a pipeline takes the shared group (cli/resolve_options.py) with one meaning."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from polyflow_argo.cli import build_parser, main

RESOLVING = {"compile", "submit", "apply", "lint", "schedule next", "backfill", "graph", "explain"}
SHARED = {"--param": "-p", "--registry": None, "--project": None, "--strict": None, "--no-warnings": None}


def _commands(parser: argparse.ArgumentParser, path: str = "") -> dict[str, argparse.ArgumentParser]:
    out: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{path} {name}".strip()
                out[full] = sub
                out.update(_commands(sub, full))
    return out


COMMANDS = _commands(build_parser())


def _options(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in p._actions for s in a.option_strings}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_n_is_namespace_and_o_is_output_format(name: str) -> None:
    opts = _options(COMMANDS[name])
    if "-n" in opts:
        assert "--namespace" in opts["-n"].option_strings, name
    if "-o" in opts:
        assert "--output" in opts["-o"].option_strings and opts["-o"].choices, name
    if "--output" in opts:
        assert opts["--output"].choices, f"{name}: --output is a FORMAT (a file is --out)"


def test_the_resolving_commands_are_all_there() -> None:
    assert set(COMMANDS) >= RESOLVING


@pytest.mark.parametrize("name", sorted(RESOLVING))
def test_every_resolving_command_has_the_shared_group_with_one_meaning(name: str) -> None:
    opts = _options(COMMANDS[name])
    reference = _options(COMMANDS["graph"])
    for flag, short in SHARED.items():
        assert flag in opts, f"{name} lacks {flag}"
        if short:
            assert short in opts[flag].option_strings, f"{name}: {short} is not {flag}"
        assert opts[flag].help == reference[flag].help, f"{name}: {flag} means something else"
        assert opts[flag].dest == reference[flag].dest
    files = next(a for a in COMMANDS[name]._actions if a.dest == "files")
    assert files.nargs == "+" and files.metavar == "FILE"


JOB = "version: 1\nkind: pipeline\nname: demo\n"
CRON = JOB + "schedule: {kind: cron, cron: '0 3 * * *'}\n"
OPS = (
    "ops:\n  - {name: a, template: {name: t}}\n"
    "  - {name: b, template: {name: t}, params: {x: '{{ ops.a.outputs.y }}'}}\n"
    "templates: [{kind: job, name: t, build: {image: busybox}, inputs: [{name: x, is_optional: true}],"
    " outputs: [{name: y}]}]\n"
)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "p.yaml").write_text(JOB + OPS)
    (tmp_path / "cron.yaml").write_text(CRON + OPS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLYFLOW_REGISTRY", raising=False)
    return tmp_path


def test_schedule_next_count(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "next", "cron.yaml", "--from", "2026-01-01T00:00:00Z", "--count", "3"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 3
    assert main(["schedule", "next", "cron.yaml", "-n", "3"]) == 2  # -n is never a count


def test_schedule_next_and_backfill_take_registry_and_project(files: Path) -> None:
    (files / "other.yaml").write_text("version: 1\n")
    argv = ["--registry", str(files), "--project", "other.yaml", "--from", "2026-01-01T00:00:00Z"]
    assert main(["schedule", "next", "cron.yaml", *argv, "--count", "1"]) == 0
    assert main(["backfill", "cron.yaml", *argv, "--to", "2026-01-01T03:00:00Z", "-o", "json"]) == 0


PF313 = ["-p", "b.x=s3://bucket/fixed.csv"]


@pytest.mark.parametrize(
    "argv",
    [
        ["lint", "p.yaml"],
        ["compile", "p.yaml"],
        ["graph", "p.yaml"],
        ["schedule", "next", "cron.yaml", "--from", "2026-01-01T00:00:00Z", "--count", "1"],
        ["backfill", "cron.yaml", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T03:00:00Z"],
    ],
)
def test_strict_makes_a_warning_an_error_everywhere(
    argv: list[str], files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, *PF313]) == 0
    err = capsys.readouterr().err
    assert "warning PF313: -p b.x: op 'b' no longer waits for op 'a'" in err
    assert main([*argv, *PF313, "--strict"]) == 1
    out, err = capsys.readouterr()
    assert "error PF313" in err and "warning PF313" not in err
    assert "kind: Workflow" not in out  # nothing written
    assert main([*argv, *PF313, "--no-warnings"]) == 0
    assert "PF313" not in capsys.readouterr().err


def test_strict_on_compile_subsumes_dropped_features(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", "p.yaml", "--strict"]) == 0  # no warning: --strict changes nothing


def test_no_pf313_when_the_op_still_depends_on_x(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "p.yaml").write_text(JOB + OPS.replace("params: {x:", "dependencies: [a], params: {x:"))
    assert main(["lint", "p.yaml", *PF313, "--strict"]) == 0
    (files / "p.yaml").write_text(JOB + OPS)
    assert main(["lint", "p.yaml", "-p", "b.x={{ ops.a.outputs.y }}", "--strict"]) == 0  # refers to a


def test_lint_output_json_and_its_old_name(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    for flag in ("-o", "--output", "--format"):
        assert main(["lint", "p.yaml", *PF313, flag, "json"]) == 0
        assert [e["code"] for e in json.loads(capsys.readouterr().out)] == ["PF313"]


def test_hygiene_strategies_match_the_project_model() -> None:
    from polyflow_argo.cli.hygiene import FIELDS, POD_GC_STRATEGIES
    from polyflow_argo.language import project

    assert POD_GC_STRATEGIES == project.POD_GC_STRATEGIES
    assert tuple(project.HYGIENE_FLAGS) == FIELDS
