"""The shell of ``run.cmd`` (docs/templates.md, "The shell"): ``/bin/bash -c`` by default, ``shell``
in polyflow.yaml (per pipeline under ``pipelines``), warning PF403 at the op's image when the image is
known to lack the shell, and commands that run the same in the machine's ``/bin/sh`` (dash) as in
bash, whatever the values."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from polyflow_argo.compiler import compile_with_warnings
from polyflow_argo.errors import Diagnostic, PolyflowError
from tests.kubelet_env import environment
from tests.translate.argo_expr import substitute
from polyflow_argo.language.project import PROJECT_FILE
from polyflow_argo.translate import CompileOptions
from polyflow_argo.translate.shell import image_shells, split_image
from tests.test_golden import CASES, REGISTRY, compile_case

ROOT = Path(__file__).resolve().parents[2]


def pipeline(image: str = "python:3.11-slim", cmd: str = "'echo {{ msg }}'", extra: str = "",
             op: str = "") -> str:
    return f"""\
version: 1
kind: pipeline
name: demo
ops:
  - name: a
    template: {{name: t}}
    params: {{msg: hi}}
{op}  - name: b
    template: {{name: t}}
    params: {{msg: there}}
templates:
  - kind: job
    name: t
    inputs: [{{name: msg, type: str}}]
    build: {{image: '{image}'}}
    run: {{cmd: {cmd}}}
{extra}"""


def compile_in(
    tmp_path: Path, text: str, project: str | None = None
) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    if project is not None:
        (tmp_path / PROJECT_FILE).write_text(project)
    docs, warnings = compile_with_warnings(str(path))
    return docs, warnings  # type: ignore[return-value]


def containers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t["container"] for t in docs[0]["spec"]["templates"] if "container" in t]


def shell_warnings(warnings: list[Diagnostic]) -> list[tuple[int, int, str, str]]:
    return [(d.span.line, d.span.column, d.message, d.hint or "") for d in warnings
            if d.code == "PF403" and d.span is not None]


# --- the setting -----------------------------------------------------------------------------------


def test_bash_by_default(tmp_path: Path) -> None:
    docs, _ = compile_in(tmp_path, pipeline())
    assert [c["command"] for c in containers(docs)] == [["/bin/bash", "-c"]]


@pytest.mark.parametrize(
    ("setting", "command"),
    [
        ("shell: /bin/sh", ["/bin/sh", "-c"]),
        ("shell: sh", ["sh", "-c"]),
        ("shell: [/bin/sh, -c]", ["/bin/sh", "-c"]),
        ("shell: [/bin/bash, -eo, pipefail, -c]", ["/bin/bash", "-eo", "pipefail", "-c"]),
        ("shell: [/bin/bash, -ec]", ["/bin/bash", "-ec"]),
    ],
)
def test_project_shell_is_the_command(tmp_path: Path, setting: str, command: list[str]) -> None:
    docs, _ = compile_in(tmp_path, pipeline(), f"version: 1\n{setting}\n")
    (container,) = containers(docs)
    assert container["command"] == command
    assert container["args"] == ['echo "${POLYFLOW_PARAM_MSG}"']


def test_pipeline_shell_overrides_the_project(tmp_path: Path) -> None:
    project = (
        "version: 1\nshell: /bin/sh\npipelines:\n  demo: {shell: [/bin/ash, -c]}\n  other: {shell: zsh}\n"
    )
    docs, _ = compile_in(tmp_path, pipeline(), project)
    assert containers(docs)[0]["command"] == ["/bin/ash", "-c"]
    docs, _ = compile_in(tmp_path, pipeline().replace("name: demo", "name: third"), project)
    assert containers(docs)[0]["command"] == ["/bin/sh", "-c"]


def test_pipeline_settings_without_shell_keep_the_project_shell(tmp_path: Path) -> None:
    project = "version: 1\nshell: /bin/sh\npipelines:\n  demo: {build: {builder: kaniko}}\n"
    docs, _ = compile_in(tmp_path, pipeline(), project)
    assert containers(docs)[0]["command"] == ["/bin/sh", "-c"]


def test_project_option_of_the_api(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yaml").write_text("version: 1\nshell: /bin/sh\n")
    (tmp_path / "p.yaml").write_text(pipeline())
    options = CompileOptions(project=str(tmp_path / "elsewhere.yaml"))
    docs, _ = compile_with_warnings(str(tmp_path / "p.yaml"), options)
    assert containers(docs)[0]["command"] == ["/bin/sh", "-c"]  # type: ignore[arg-type]


def test_distributed_experiment_uses_the_shell(tmp_path: Path) -> None:
    text = """\
version: 1
kind: pipeline
name: dist
ops: [{name: train, template: {name: t}}]
templates:
  - kind: experiment
    name: t
    build: {image: 'busybox:1.36'}
    run: {cmd: 'echo train'}
    framework: tensorflow
    environment: {replicas: {n_workers: 2}}
"""
    docs, warnings = compile_in(tmp_path, text, "version: 1\nshell: /bin/sh\n")
    (tpl,) = [t for t in docs[0]["spec"]["templates"] if "resource" in t]
    manifest = tpl["resource"]["manifest"]
    compact = "".join(manifest.split())
    assert compact.count('"command":["/bin/sh","-c"]') >= 2, manifest  # the chief and the workers
    assert "/bin/bash" not in manifest
    assert shell_warnings(warnings) == []
    _, warnings = compile_in(tmp_path, text, "version: 1\n")
    assert [(line, col) for line, col, _, _ in shell_warnings(warnings)] == [(8, 20)]


@pytest.mark.parametrize(
    ("setting", "line", "column", "why"),
    [
        ("shell: ''", 2, 8, "non-empty"),
        ("shell: 'sh -c'", 2, 8, "options go in a list"),
        ("shell: [/bin/sh]", 2, 8, "must end with the option"),
        ("shell: [/bin/sh, -x]", 2, 8, "must end with the option"),
        ("shell: []", 2, 8, "non-empty"),
        ("shell: ['{{x}}', -c]", 2, 8, "'{{'"),
        ("pipelines:\n  demo: {shell: [bash]}", 3, 17, "must end with the option"),
    ],
)
def test_invalid_shell_is_pf285_at_its_line(
    tmp_path: Path, setting: str, line: int, column: int, why: str
) -> None:
    with pytest.raises(PolyflowError) as info:
        compile_in(tmp_path, pipeline(), f"version: 1\n{setting}\n")
    (diag,) = info.value.diagnostics
    assert diag.code == "PF285", diag
    assert diag.span is not None and diag.span.file.endswith(PROJECT_FILE)
    assert (diag.span.line, diag.span.column) == (line, column)
    assert why in diag.message and diag.hint


def test_shell_of_the_wrong_type_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(PolyflowError) as info:
        compile_in(tmp_path, pipeline(), "version: 1\nshell: 5\n")
    assert info.value.diagnostics[0].span is not None and info.value.diagnostics[0].span.line == 2


# --- PF403: images known to lack the shell ---------------------------------------------------------

# the image is on line 15 of `pipeline()`, its value at column 20
IMAGE_AT = (15, 20)


@pytest.mark.parametrize(
    "image",
    [
        "alpine:3.10",
        "alpine",
        "docker.io/library/alpine:3.19",
        "registry.example.com/hub/alpine:3.19",
        "alpine/git:2.43.0",
        "busybox:1.36",
        "busybox@sha256:" + "a" * 64,
        "curlimages/curl:8.5.0",
        "localhost:5000/curlimages/curl:7.66.0",
        "python:3.12-alpine",
        "gcr.io/distroless/static-debian12",
        "gcr.io/distroless/python3-debian12:nonroot",
        "bash:5.2",
    ],
)
def test_pf403_at_the_image_line(tmp_path: Path, image: str) -> None:
    _, warnings = compile_in(tmp_path, pipeline(image))
    ((line, column, message, hint),) = shell_warnings(warnings)  # once for the two ops of the template
    assert (line, column) == IMAGE_AT
    assert f"image '{image}' has no /bin/bash" in message and "`/bin/bash -c`" in message
    if "distroless" in image:
        assert "no shell at all" in message and "use an image with a shell" in hint
    elif image == "bash:5.2":
        assert "`shell: /usr/local/bin/bash`" in hint
    else:
        assert "set `shell: /bin/sh` in polyflow.yaml" in hint
        assert "`pipelines: {demo: {shell: /bin/sh}}` for this pipeline only" in hint


@pytest.mark.parametrize(
    "image",
    [
        "python:3.7-slim",
        "python:3.12",
        "tensorflow/tensorflow:2.15.0",
        "google/cloud-sdk:264.0.0-slim",
        "amazon/aws-cli:2.0.0",
        "buildpack-deps:bookworm-curl",
        "debian:bookworm-slim",
        "registry.example.com/team/trainer:1.0",
        "myorg/alpine-tools-with-bash-installed:1",  # not a known image: no guess
    ],
)
def test_no_warning_for_images_with_bash_or_unknown(tmp_path: Path, image: str) -> None:
    _, warnings = compile_in(tmp_path, pipeline(image))
    assert shell_warnings(warnings) == []


@pytest.mark.parametrize(
    ("image", "shell", "warned"),
    [
        ("alpine:3.10", "/bin/sh", False),
        ("busybox", "sh", False),
        ("curlimages/curl:8.5.0", "[/bin/sh, -c]", False),
        ("alpine:3.10", "/bin/ash", False),
        ("alpine:3.10", "zsh", True),
        ("bash:5.2", "bash", False),  # looked up in the PATH: /usr/local/bin/bash
        ("bash:5.2", "/usr/local/bin/bash", False),
        ("gcr.io/distroless/base-debian12", "/bin/sh", True),  # no shell at all
        ("gcr.io/distroless/base-debian12:debug", "/bin/sh", True),  # only /busybox/sh
        ("gcr.io/distroless/base-debian12:debug", "/busybox/sh", False),
        ("python:3.11-slim", "/bin/sh", False),
    ],
)
def test_pf403_follows_the_configured_shell(tmp_path: Path, image: str, shell: str, warned: bool) -> None:
    _, warnings = compile_in(tmp_path, pipeline(image), f"version: 1\nshell: {shell}\n")
    found = shell_warnings(warnings)
    assert bool(found) == warned, found
    if warned:
        assert found[0][:2] == IMAGE_AT


def test_pf403_at_the_op_build_override(tmp_path: Path) -> None:
    text = pipeline(op="    build: {image: 'busybox:1.36'}\n")
    _, warnings = compile_in(tmp_path, text)
    ((line, column, message, _),) = shell_warnings(warnings)
    assert (line, column) == (8, 20) and message.startswith("op 'a' ")


def test_pf403_for_a_full_image_ref(tmp_path: Path) -> None:
    ref = "build: {ref: 'docker.io/library/alpine:3.19'}"
    text = pipeline().replace("build: {image: 'python:3.11-slim'}", ref)
    _, warnings = compile_in(tmp_path, text)
    assert [(line, col) for line, col, _, _ in shell_warnings(warnings)] == [(15, 18)]


def test_no_command_no_shell_no_warning(tmp_path: Path) -> None:
    text = pipeline("gcr.io/distroless/static-debian12").replace("    run: {cmd: 'echo {{ msg }}'}\n", "")
    docs, warnings = compile_in(tmp_path, text)
    assert "command" not in containers(docs)[0]
    assert shell_warnings(warnings) == []


def test_built_images_checked_on_their_base_unless_a_step_installs_the_shell(tmp_path: Path) -> None:
    project = (
        "version: 1\nbuild: {context: 'https://github.com/org/repo.git#"
        "0123456789abcdef0123456789abcdef01234567', registry: registry.example.com/team/polyflow}\n"
    )
    steps = "build: {image: 'alpine:3.19', build_steps: ['pip install x']}"
    text = pipeline().replace("build: {image: 'python:3.11-slim'}", steps)
    _, warnings = compile_in(tmp_path, text, project)
    assert [(line, col) for line, col, _, _ in shell_warnings(warnings)] == [(15, 20)]
    installs = steps.replace("pip install x", "apk add --no-cache bash")
    text = pipeline().replace("build: {image: 'python:3.11-slim'}", installs)
    _, warnings = compile_in(tmp_path, text, project)
    assert shell_warnings(warnings) == []


def test_registry_entries_always_run_bash_and_are_checked(tmp_path: Path) -> None:
    from polyflow_argo.registry import load_registries
    from polyflow_argo.registry.build import build_registry

    (tmp_path / "a.yaml").write_text(
        "kind: action\nname: ping\nversion: 1.0.0\ntemplate:\n  kind: job\n"
        "  build: {image: 'curlimages/curl:8.5.0'}\n  run: {cmd: 'curl -fsS https://example.com'}\n"
    )
    docs, warnings = build_registry(load_registries([tmp_path]))
    assert docs[0]["spec"]["templates"][0]["container"]["command"] == ["/bin/bash", "-c"]  # type: ignore[index]
    ((line, column, _, hint),) = shell_warnings(warnings)
    assert (line, column) == (6, 18) and "registry template runs with `/bin/bash -c`" in hint


@pytest.mark.parametrize(
    ("image", "repo", "tag"),
    [
        ("alpine", "alpine", ""),
        ("alpine:3.10", "alpine", "3.10"),
        ("docker.io/library/busybox:1.36@sha256:" + "0" * 64, "busybox", "1.36"),
        ("localhost:5000/curlimages/curl:8", "curlimages/curl", "8"),
        ("gcr.io/distroless/python3-debian12:debug", "distroless/python3-debian12", "debug"),
        ("myhost/team/img", "myhost/team/img", ""),  # no '.' or ':': a Docker Hub namespace
    ],
)
def test_split_image(image: str, repo: str, tag: str) -> None:
    assert split_image(image) == (repo, tag)


def test_image_table_only_claims_known_images() -> None:
    assert image_shells("python:3.11-slim") is None
    assert image_shells("node:20-alpine3.19") is not None
    assert image_shells("gcr.io/distroless/static") == frozenset()


# --- the emitted command is POSIX sh ---------------------------------------------------------------

HOSTILE = [
    "plain",
    "x; rm -rf /nonexistent-polyflow-test",
    "$(echo pwned)",
    "`echo pwned`",
    "a  b   c",
    "*",
    "-n",
    "it's \"quoted\" \\ back\\slash",
    "line1\nline2\n",
    "$HOME ${HOME} $((1+1))",
    "héllo ✓ 日本",
    "' ; echo pwned ; '",
    "",
    "{a,b}",
    "~",
]

# every quoting context a tag can sit in, each printing one line per word it becomes
COMMAND = (
    "printf '<%s>\\n' {{ msg }}; printf '<%s>\\n' \"{{ msg }}\"; printf '<%s>\\n' '{{ msg }}'; "
    "printf '<%s>\\n' pre{{ msg }}post; printf '<%s>\\n' \"$(printf '%s' {{ msg }})\"; "
    "printf '<%s>\\n' {{ verbose }}; printf '<%s>\\n' \"`printf '%s' {{ msg }}`\""
)


def rendered_command(tmp_path: Path, shell: str) -> tuple[list[str], str, dict[str, str]]:
    text = f"""\
version: 1
kind: pipeline
name: demo
ops: [{{name: a, template: {{name: t}}, params: {{msg: hi, verbose: true}}}}]
templates:
  - kind: job
    name: t
    inputs: [{{name: msg, type: str}}, {{name: verbose, type: bool, is_flag: true}}]
    build: {{image: 'python:3.11-slim'}}
    run:
      cmd: {json.dumps(COMMAND)}
"""
    docs, _ = compile_in(tmp_path, text, f"version: 1\nshell: {shell}\n")
    (container,) = containers(docs)
    env = {e["name"]: e["value"] for e in container["env"] if e["name"].startswith("POLYFLOW_PARAM_")}
    return container["command"], container["args"][0], env


def run_as_pod(command: list[str], script: str, env: dict[str, str], values: dict[str, str]) -> str:
    """What the container prints: Argo puts each value into its env var (never into the script)."""
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent-home"}
    environ |= environment((name, substitute(template, values)) for name, template in env.items())
    assert "{{" not in script
    res = subprocess.run(
        [*command, script], env=environ, capture_output=True, text=True, timeout=20, check=True
    )
    return res.stdout


def expected(value: str, flag: str) -> str:
    """One line per context of COMMAND: the value byte for byte (``$(...)`` drops trailing newlines,
    as in any shell); the flag is its one word, or no word (printf then prints ``<>`` once)."""
    word = f"<{value}>\n"
    stripped = f"<{value.rstrip(chr(10))}>\n"
    return word * 3 + f"<pre{value}post>\n" + stripped + f"<{flag}>\n" + stripped


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
@pytest.mark.parametrize("value", HOSTILE)
def test_values_are_one_word_in_sh_and_bash(tmp_path: Path, shell: str, value: str) -> None:
    if not Path(shell).exists():
        pytest.skip(f"{shell} is not on this machine")
    command, script, env = rendered_command(tmp_path, shell)
    assert command == [shell, "-c"]
    for flag in ("--verbose", ""):
        out = run_as_pod(command, script, env, {"msg": value, "verbose": flag})
        assert out == expected(value, flag), (shell, value, flag, out)


def test_the_machine_sh_is_not_bash() -> None:
    """The sh tests above mean something only when /bin/sh is a POSIX shell other than bash."""
    sh = shutil.which("sh")
    assert sh is not None
    real = os.path.realpath("/bin/sh")
    if real.endswith("bash"):
        pytest.skip("/bin/sh is bash here")
    res = subprocess.run(["/bin/sh", "-c", "[[ 1 ]] 2>/dev/null && echo bash || echo posix"],
                         capture_output=True, text=True, check=False)
    assert res.stdout.strip() == "posix"


# --- every example runs with the images it names ---------------------------------------------------

EXAMPLES = [(case, src) for case, src, _ in CASES if case.startswith("examples/")]


@pytest.mark.parametrize(("case", "src"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_examples_have_no_shell_warning(case: str, src: Path) -> None:
    try:
        _, docs, warnings = compile_case(src)
    except PolyflowError as exc:
        warnings = exc.diagnostics
    assert [d for d in warnings if d.code == "PF403"] == [], case


def test_example_registry_has_no_shell_warning() -> None:
    from polyflow_argo.registry import load_registries
    from polyflow_argo.registry.build import build_registry

    _, warnings = build_registry(load_registries([REGISTRY]))
    assert [d for d in warnings if d.code == "PF403"] == []


def test_examples_without_bash_images_run_with_sh() -> None:
    """diamond (alpine) and interval (curlimages/curl) set `shell: /bin/sh` in examples/polyflow.yaml."""
    for name in ("diamond.yaml", "interval.yaml"):
        _, docs, _ = compile_case(ROOT / "examples" / name)
        text = json.dumps(docs)
        assert '["/bin/sh", "-c"]' in text and "/bin/bash" not in text, name
