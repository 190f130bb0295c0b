"""The CLI as a user runs it: `python -m polyflow_argo ...` in a subprocess (exit codes, output, no
traceback)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import CLI, cli

ROOT = Path(__file__).resolve().parents[2]


def test_lint_clean_example_exits_0() -> None:
    res = cli("lint", "examples/diamond.yaml")
    assert res.returncode == 0, res.stderr
    assert "1 file OK" in res.stderr


def test_lint_reports_every_error_with_position_and_exits_1() -> None:
    res = cli("lint", "tests/fixtures/worked/ex9-invalid.yaml")
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert lines[0].startswith(
        "tests/fixtures/worked/ex9-invalid.yaml:6:49: error PF335: param 'lr' of op 'a'"
    )
    assert len(lines) == 4 and "Traceback" not in res.stderr


def test_lint_json_format() -> None:
    res = cli("lint", "-o", "json", "tests/fixtures/polyaxon-0.5.6/cyclic_pipeline.yml")
    assert res.returncode == 1
    data = json.loads(res.stdout)
    assert data[0]["code"] == "PF312" and data[0]["line"] == 11 and data[0]["column"] == 19


def test_lint_did_you_mean(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "version: 1\nkind: pipeline\nops:\n  - {name: a, template: {name: t}, trigger: all_secceded}\n"
        "templates:\n  - {kind: job, name: t}\n"
    )
    res = cli("lint", str(bad))
    assert res.returncode == 1
    assert (
        f"{bad}:4:45: error PF207: invalid value 'all_secceded' for `trigger` (did you mean 'all_succeeded'?)"
        in res.stderr
    )


def test_lint_missing_file_is_a_clean_error() -> None:
    res = cli("lint", "no/such/file.yaml")
    assert res.returncode == 1 and "no such file" in res.stderr and "Traceback" not in res.stderr


def test_compile_yaml_to_stdout_is_deterministic() -> None:
    first = cli("compile", "examples/diamond.yaml")
    second = cli("compile", "examples/diamond.yaml")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    doc = yaml.safe_load(first.stdout)
    assert doc["kind"] == "Workflow" and doc["spec"]["entrypoint"] == "pipeline"


def test_compile_json_name_namespace_and_params() -> None:
    res = cli("compile", "-o", "json", "--name", "run-1", "-n", "ml", "examples/ml-training.yaml")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["metadata"]["name"] == "run-1" and doc["metadata"]["namespace"] == "ml"


def test_compile_param_override_is_typed(tmp_path: Path) -> None:
    res = cli("compile", "-p", "nope.x=1", "examples/diamond.yaml")
    assert res.returncode == 1 and "no op named 'nope'" in res.stderr


def test_compile_out_dir_writes_files(tmp_path: Path) -> None:
    res = cli("compile", "--out", str(tmp_path), "examples/diamond.yaml")
    assert res.returncode == 0, res.stderr
    files = list(tmp_path.iterdir())
    assert (
        len(files) == 1
        and files[0].name.startswith("workflow-")
        and not any(f.name.startswith(".") for f in files)
    )


def test_compile_error_exits_1_without_traceback() -> None:
    res = cli("compile", "--project", "tests/fixtures/projects/empty/polyflow.yaml", "examples/seed.yaml")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert (
        "examples/seed.yaml:23:12: error PF490: op 'job1' builds its image, but no build context and "
        "no registry is configured"
    ) in res.stderr


def test_usage_error_exits_2() -> None:
    assert cli("compile").returncode == 2
    assert cli("frobnicate").returncode == 2


def test_schema_is_valid_json_schema() -> None:
    from jsonschema import Draft7Validator

    res = cli("schema")
    assert res.returncode == 0
    schema = json.loads(res.stdout)
    Draft7Validator.check_schema(schema)
    pipeline = yaml.safe_load((ROOT / "examples/diamond.yaml").read_text())
    assert list(Draft7Validator(schema).iter_errors(pipeline)) == []


def test_compile_tools_image_sets_the_best_trial_step_image() -> None:
    res = cli("compile", "examples/hyperparameter-search.yaml", "--tools-image", "mirror.local/python:3.12")
    assert res.returncode == 0, res.stderr
    (doc,) = list(yaml.safe_load_all(res.stdout))
    best = next(t for t in doc["spec"]["templates"] if t["name"] == "lr-search-best")
    assert best["script"]["image"] == "mirror.local/python:3.12"


@pytest.mark.parametrize("name", ["x/../../y", "../escape", "Upper", "a_b", "-lead", "x" * 254, ""])
def test_name_must_be_an_object_name_before_it_becomes_a_file_name(name: str, tmp_path: Path) -> None:
    """`--name` names the file written under --out: a path in it would write outside the directory."""
    out = tmp_path / "out"
    res = cli("compile", "examples/diamond.yaml", f"--name={name}", "--out", str(out), timeout=60)
    assert res.returncode == 2 and "is not a Kubernetes object name" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_valid_name_is_written_under_out(tmp_path: Path) -> None:
    res = cli("compile", "examples/diamond.yaml", "--name", "diamond.v2", "--out", str(tmp_path), timeout=60)
    assert res.returncode == 0, res.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["workflow-diamond.v2.yaml"]


# --------------------------------------------------------------------------- inputs: paths and stdin
JOB = (
    "version: 1\nkind: pipeline\nname: job\nops: [{name: a, template: {name: t}}]\n"
    "templates: [{kind: job, name: t, build: {image: 'python:3.12'}}]\n"
)


@pytest.mark.parametrize("name", ["kind-demo.yaml", "versions/p.yaml"])
def test_a_file_argument_is_a_path_whatever_its_name(name: str, tmp_path: Path) -> None:
    """These names were read as YAML text (`<string>:1:1`) because they start like a pipeline."""
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(JOB)
    res = cli("lint", name, cwd=tmp_path)
    assert res.returncode == 0 and "1 file OK" in res.stderr, res.stderr
    res = cli("compile", name, cwd=tmp_path)
    assert res.returncode == 0 and "kind: Workflow" in res.stdout, res.stderr


def test_dash_reads_stdin_for_lint_compile_and_schedule(tmp_path: Path) -> None:
    res = cli("lint", "-", stdin=JOB.replace("kind: pipeline", "kind: pipelin"), cwd=tmp_path)
    assert res.returncode == 1 and res.stderr.startswith("<stdin>:2:7: error"), res.stderr
    assert cli("lint", "-", stdin=JOB, cwd=tmp_path).returncode == 0
    res = cli("compile", "-", "-o", "json", stdin=JOB, cwd=tmp_path)
    assert res.returncode == 0 and json.loads(res.stdout.splitlines()[0])["kind"] == "Workflow", res.stderr
    cron = (ROOT / "examples" / "nightly-cron.yaml").read_text()
    res = cli("schedule", "next", "-", "--from", "2020-01-01T00:00:00Z", "--count", "2",
              stdin=cron, cwd=tmp_path)
    assert res.returncode == 0 and "All 2 instants agree." in res.stdout, res.stderr
    res = cli("lint", "-", "-", stdin=JOB, cwd=tmp_path)
    assert res.returncode == 2 and "only once" in res.stderr


def test_lint_json_honours_max_errors_and_every_entry_has_a_file_and_an_end(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "version: 1\nkind: pipeline\nops:\n"
        + "".join(f"  - {{name: op{i}, template: {{name: nope}}}}\n" for i in range(5))
        + "templates: [{kind: job, name: t}]\n"
    )
    res = cli("lint", "-o", "json", "--max-errors", "2", "p.yaml", "missing.yaml", "--resolve",
              cwd=tmp_path)
    assert res.returncode == 1
    entries = json.loads(res.stdout)
    assert [e["file"] for e in entries] == ["p.yaml", "p.yaml", "missing.yaml"]
    assert all(e["end_line"] >= e["line"] > 0 for e in entries if "line" in e)
    res = cli("lint", "-o", "json", "--max-errors", "2", "p.yaml", cwd=tmp_path)
    assert len(json.loads(res.stdout)) == 2


def test_lint_of_an_argo_manifest_names_the_command_that_takes_it() -> None:
    res = cli("lint", "examples/diamond.argo.yaml", "examples/registry/actions/notify-slack-1.0.0.yaml")
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2, res.stderr
    assert "an Argo Workflow manifest" in lines[0] and "kubectl create -f FILE" in lines[0]
    assert "a registry action entry" in lines[1] and "registry build DIR" in lines[1]


def test_a_never_firing_cron_is_a_lint_warning_and_a_compile_error(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(JOB.replace("ops:", "schedule: {kind: cron, cron: '0 0 30 2 *'}\nops:"))
    res = cli("lint", "p.yaml", cwd=tmp_path)
    assert res.returncode == 0 and "p.yaml:4:30: warning" in res.stderr and "never fires" in res.stderr
    assert cli("lint", "--strict", "p.yaml", cwd=tmp_path).returncode == 1
    res = cli("compile", "p.yaml", cwd=tmp_path)
    assert res.returncode == 1 and "p.yaml:4:30: error" in res.stderr and "never fires" in res.stderr


def test_lint_resolve_is_the_ci_gate(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 1\nkind: pipeline\nconcurrency: 0\nops:\n"
        "  - {name: a, template: {name: t}, max_retries: -1}\n"
        "  - {name: b, template: {name: t}, max_retries: 2, retry_delay: -5}\n"
        "templates: [{kind: job, name: t, build: {dockerfile: Dockerfile}}]\n"
    )
    assert cli("lint", "p.yaml", cwd=tmp_path).returncode == 0  # as Polyflow 0.5.6
    res = cli("lint", "--resolve", "p.yaml", cwd=tmp_path)
    assert res.returncode == 1
    for where in ("p.yaml:3:14:", "p.yaml:5:", "p.yaml:6:", "p.yaml:7:"):
        assert where in res.stderr, res.stderr
    assert "concurrency" in res.stderr and "max_retries" in res.stderr and "retry_delay" in res.stderr
    assert "no build context" in res.stderr


def test_lint_resolve_orders_diagnostics_at_one_place_as_found(tmp_path: Path) -> None:
    """Several warnings at one position with one code (the fields a nested build ignores, reported at
    the op that names a path template) come in the order they are found, whatever the hash seed
    (a set used to decide it)."""
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "shared.yaml").write_text(
        "version: 1\nkind: job\nname: shared\n"
        "build: {image: 'python:3.12', params: {a: 1}, environment: {resources: {cpu: {requests: 1}}},"
        " logging: {level: INFO}}\n"
        "run: {cmd: 'echo hi'}\n"
    )
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        "version: 1\nkind: pipeline\nname: p\nops:\n"
        "  - {name: a, template: {path: tpl/shared.yaml}}\n"
        "  - {name: b, template: {path: tpl/shared.yaml}, dependencies: [a]}\n"
    )
    outputs = set()
    for seed in ("0", "1", "4", "7"):
        res = subprocess.run([*CLI, "lint", "--resolve", str(pipeline)], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.add(res.stderr + res.stdout)
    assert len(outputs) == 1
    fields = re.findall(r"5:\d+: warning PF401: `build\.(\w+)`", outputs.pop())
    assert fields == ["environment", "params", "logging"]  # the order the build check finds them


def test_directories_and_symlink_loops_where_files_belong_are_input_errors(tmp_path: Path) -> None:
    """os.open reads a directory without complaint (fdopen then refused it) and resolving a symlink
    loop raised RuntimeError: each was exit 4. Found by fuzzing."""
    (tmp_path / ".git").mkdir()  # the project root
    templates = tmp_path / "templates"
    (templates / "dir.yaml").mkdir(parents=True)
    (templates / "loop1").symlink_to("loop2")
    (templates / "loop2").symlink_to("loop1")
    pipeline = "version: 1\nkind: pipeline\nname: p\nops: [{{name: a, template: {{path: '{}'}}}}]\n"
    for value, message in (
        ("templates", "template path 'templates' of op 'a' is a directory, not a template file"),
        ("templates/dir.yaml", "template path 'templates/dir.yaml' of op 'a' is a directory"),
        ("templates/loop1", "template file 'templates/loop1' of op 'a' does not exist"),
    ):
        path = tmp_path / "p.yaml"
        path.write_text(pipeline.format(value))
        for command in (("compile",), ("lint", "--resolve")):
            res = cli(*command, str(path))
            assert res.returncode == 1, res.stderr
            assert f"p.yaml:4:34: error PF323: {message}" in res.stderr, res.stderr
    plain = tmp_path / "plain.yaml"
    plain.write_text("version: 1\nkind: pipeline\nname: q\nops: [{name: a, template: {name: t}}]\n"
                     "templates: [{kind: job, name: t, build: {image: 'python:3.12'}, run: {cmd: 'true'}}]\n")
    res = cli("compile", str(plain), "--project", str(templates))
    assert res.returncode == 1 and "PF106" in res.stderr and "is a directory" in res.stderr, res.stderr
    registry = tmp_path / "registry"
    (registry / "d.yaml").mkdir(parents=True)
    for command in (("registry", "build", str(registry)), ("registry", "list", "--registry", str(registry))):
        res = cli(*command)
        assert res.returncode == 1 and f"{registry}/d.yaml is a directory" in res.stderr, res.stderr
    res = cli("compile", str(tmp_path / "templates"))
    assert res.returncode in (1, 2) and "directory" in res.stderr, res.stderr
