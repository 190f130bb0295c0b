"""A wrong command line exits 2 with the command's own message, for every command.

Exit codes are decided in one place (polyflow_argo/cli/__init__.py): a handler raises ``UsageError``
(or argparse reports the error) and ``main`` exits 2. These run the CLI as a user does, in a
subprocess, so they see the real exit status and stderr.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest

from polyflow_argo.cli import build_parser
from tests.support import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = "examples/diamond.yaml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return cli(*args, cwd=ROOT)


# --- polyflow-argo plugin: bad values raise UsageError (no exit code of its own) ---------------------


def test_plugin_serve_with_a_bad_http_allow_exits_2() -> None:
    res = run("plugin", "serve", "--port", "0", "--http-allow", "nonsense")
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip() == (
        "polyflow-argo plugin: error: --http-allow: 'nonsense' is not an IP address or CIDR network "
        "(e.g. 10.0.0.0/8, ::1)"
    )
    assert res.stdout == ""


def test_plugin_manifest_with_a_bad_http_allow_exits_2() -> None:
    res = run("plugin", "manifest", "--http-allow", "10.0.0.0/8,nonsense")
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip() == (
        "polyflow-argo plugin: error: 'nonsense' is not an IP address or CIDR network (e.g. 10.0.0.0/8, ::1)"
    )
    assert res.stdout == ""  # no half-written manifest


# --- every other command: a bad command line exits 2 -------------------------------------------------

# Handler-level usage errors (UsageError), with the message each prints.
HANDLER_CASES = [
    (
        ("compile", "-p", "noequals", EXAMPLE),
        "polyflow-argo compile: error: -p noequals: expected OP.PARAM=VALUE",
    ),
    (("compile", "-", "-"), "polyflow-argo compile: error: `-` (stdin) can be given only once"),
    (
        ("explain", EXAMPLE, "--outcome", "a=Failed", "--outcome", "a=Succeeded"),
        "polyflow-argo explain: error: --outcome a: given twice",
    ),
    (
        ("compile", "--out", "out-dir", "tests"),
        "polyflow-argo compile: error: tests: the directory has no pipeline",
    ),
]


@pytest.mark.parametrize(("args", "message"), HANDLER_CASES, ids=[" ".join(a) for a, _ in HANDLER_CASES])
def test_a_handlers_usage_error_exits_2_with_its_message(args: tuple[str, ...], message: str) -> None:
    res = run(*args)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def commands() -> list[str]:
    """Every command of the CLI, so a new one is covered without listing it here."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", commands())
def test_every_command_exits_2_on_an_unknown_flag(command: str) -> None:
    res = run(command, "--no-such-flag")
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stderr.startswith("usage: polyflow-argo") and "error:" in res.stderr  # argparse's report
    assert "Traceback" not in res.stderr


NEWLINE_PIPELINE = """\
version: 1
kind: pipeline
name: nb
ops: [{name: a, template: {name: t}}]
templates: [{kind: job, name: t, build: {image: 'python:3.12'}, run: {cmd: 'true'},
  environment: {labels: {"team\\n": ml}}}]
"""


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--service-account", "sa\n"], 2, "is not a ServiceAccount name"),
        (["--name", "wf\n"], 2, "is not a Kubernetes object name"),
        (["--namespace", "ns\n"], 2, "is not a namespace name"),
        (["--pod-gc", "OnPodSuccess", "--pod-gc-delete-delay", "5m\n"], 2, "expected a duration"),
        (["--build-secret", "x\n"], 1, "PF283"),
    ],
)
def test_a_name_ending_in_a_newline_is_refused(tmp_path: Path, args: list[str], code: int, says: str) -> None:
    """Names are checked whole (``\\Z``): a pattern ending in ``$`` also matched before a final
    newline, so these reached the manifest (and --name a file name). Found by fuzzing."""
    path = tmp_path / "nb.yaml"
    path.write_text(NEWLINE_PIPELINE.replace(',\n  environment: {labels: {"team\\n": ml}}', ""))
    res = cli("compile", str(path), *args, "--out", str(tmp_path / "out"))
    assert res.returncode == code and says in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()


def test_a_label_key_ending_in_a_newline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nl.yaml"
    path.write_text(NEWLINE_PIPELINE)
    res = cli("compile", str(path))
    assert res.returncode == 1, res.stderr
    assert "PF457: label key 'team\\n' is not valid in Kubernetes" in res.stderr, res.stderr


@pytest.mark.parametrize("flag", ["--tools-image", "--builder-image"])
@pytest.mark.parametrize("image", ["{{workflow.name}}", "py\tthon", "python:3.12 -alpine", ""])
def test_an_image_flag_must_be_an_image_reference(tmp_path: Path, flag: str, image: str) -> None:
    """Argo would substitute a `{{...}}` in it; whitespace makes InvalidImageName. Found by fuzzing."""
    path = tmp_path / "nb.yaml"
    path.write_text(NEWLINE_PIPELINE.replace(',\n  environment: {labels: {"team\\n": ml}}', ""))
    res = cli("compile", str(path), flag, image)
    assert res.returncode == 2 and "is not an image reference" in res.stderr, res.stderr


def test_a_builder_image_in_polyflow_yaml_must_be_an_image_reference(tmp_path: Path) -> None:
    (tmp_path / "polyflow.yaml").write_text("version: 1\nbuild: {images: {buildkit: '{{workflow.name}}'}}\n")
    path = tmp_path / "nb.yaml"
    path.write_text(NEWLINE_PIPELINE.replace(',\n  environment: {labels: {"team\\n": ml}}', ""))
    res = cli("compile", str(path))
    assert res.returncode == 1 and "polyflow.yaml:2:28: error PF251: invalid image" in res.stderr, res.stderr
