"""Image builds (docs/builds.md): the project config, the build task before the op, its tag, and its meaning.

Goldens (tests/fixtures/builds, the 0.5.6 fixtures, worked/ex3, examples/seed.yaml) show whole
manifests; here each rule is checked on its own, and ``test_build_failure_semantics`` replays the
compiled DAG with argo-sim for every outcome of the builds and the ops, against the Polyflow rules
in which a failed build is a failed op (Polyaxon 0.5: a failed build job set its job/experiment
FAILED).
"""

from __future__ import annotations

import itertools
import json
import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo import PolyflowError
from polyflow_argo.cli import build_parser, main
from polyflow_argo.cli.compile import options_from
from polyflow_argo.compiler import compile_with_warnings
from polyflow_argo.language.project import load_project, parse_context
from polyflow_argo.resolve.rules import trigger_met
from polyflow_argo.translate.check import hera_round_trip, schema_errors
from polyflow_argo.translate.dag import output_read
from tests import support
from tests.semantics.sim import for_sim

SHA = "0123456789abcdef0123456789abcdef01234567"
CONTEXT = f"https://github.com/org/repo.git#{SHA}"
REGISTRY = "registry.example.com/ml/polyflow"
FLAGS: dict[str, Any] = {"build_context": CONTEXT, "build_registry": REGISTRY}


def pipeline(build: str, *, ops: str = "", extra_templates: str = "") -> str:
    """One op `train` on template `t` whose build is ``build`` (YAML flow), plus extra ops/templates."""
    return f"""\
version: 1
kind: pipeline
name: p
ops:
  - {{name: train, template: {{name: t}}}}
{ops}templates:
  - {{kind: job, name: t, build: {build}, run: {{cmd: python train.py}}}}
{extra_templates}"""


def compile_(text: str, **fields: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    from polyflow_argo.translate.context import CompileOptions

    return compile_with_warnings(text, CompileOptions(**{**FLAGS, **fields}))  # type: ignore[return-value]


def spec_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return docs[0]["spec"]


def tasks_of(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in spec_of(docs)["templates"][0]["dag"]["tasks"]}


def template(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(t for t in spec_of(docs)["templates"] if t["name"] == name)


def image_of(built: dict[str, Any]) -> str:
    return next(str(e["value"]) for e in built["container"]["env"] if e["name"] == "POLYFLOW_IMAGE")


# (code, "line:column") of each error compile_(text, **fields) raises
errors = partial(support.errors, select="code at", compile=compile_)


# --- the build task and the op -----------------------------------------------------------------


def test_dockerfile_build_runs_before_the_op_and_passes_its_image() -> None:
    docs, warnings = compile_(pipeline("{dockerfile: docker/Dockerfile, context: src}"))
    assert warnings == []
    tasks = tasks_of(docs)
    assert list(tasks) == ["train-build", "train"]
    build, op = tasks["train-build"], tasks["train"]
    assert "depends" not in build and op["depends"] == "train-build"
    assert op["arguments"]["parameters"][-1] == {
        "name": "polyflow-image", "value": "{{tasks.train-build.outputs.parameters.image}}"}
    run = template(docs, "t")
    assert run["container"]["image"] == "{{inputs.parameters.polyflow-image}}"
    assert {"name": "polyflow-image"} in run["inputs"]["parameters"]
    built = template(docs, build["template"])
    assert built["outputs"]["parameters"] == [
        {"name": "image", "valueFrom": {"path": "/polyflow/build/image"}}
    ]
    assert built["inputs"]["artifacts"] == [
        {
            "name": "context",
            "path": "/polyflow/src",
            "git": {"repo": "https://github.com/org/repo.git", "revision": SHA},
        }
    ]
    args = built["container"]["args"]
    assert args[:8] == ["--frontend", "dockerfile.v0", "--local", "context=/polyflow/src/src",
                        "--local", "dockerfile=/polyflow/src/docker", "--opt", "filename=Dockerfile"]
    image = image_of(built)
    assert image.startswith(f"{REGISTRY}:{SHA[:12]}-") and f"type=image,name={image},push=true" in args


def test_the_build_task_inherits_the_ops_depends_and_when() -> None:
    text = pipeline(
        "{dockerfile: Dockerfile}",
        ops="""\
  - {name: up, template: {name: u}}
  - name: down
    template: {name: t}
    dependencies: [up]
    trigger: all_done
    skip_on_upstream_skip: true
    conditions: {kind: outputs, op: up, exp: eq, params: [[ok, true]]}
""",
        extra_templates=(
            "  - {kind: job, name: u, outputs: [{name: ok, type: bool}], build: {image: 'alpine:3.10'}}\n"
        ),
    )
    tasks = tasks_of(compile_(text)[0])
    build, op = tasks["down-build"], tasks["down"]
    assert build["depends"] == "(up || !up)"
    assert op["depends"] == "((up || !up)) && down-build"
    assert build["when"] == op["when"] and output_read("up", "ok") in op["when"]


def test_one_failed_over_an_op_also_fires_when_its_build_failed() -> None:
    text = pipeline("{dockerfile: Dockerfile}", ops="""\
  - {name: handler, template: {name: h}, dependencies: [train], trigger: one_failed}
""", extra_templates="  - {kind: job, name: h, build: {image: 'alpine:3.10'}}\n")
    tasks = tasks_of(compile_(text)[0])
    assert tasks["handler"]["depends"] == (
        "(train.Failed || train.Errored || train-build.Failed || train-build.Errored)")


def test_build_task_names_never_collide() -> None:
    text = pipeline("{dockerfile: Dockerfile}", ops="""\
  - {name: train-build, template: {name: o}}
""", extra_templates="  - {kind: job, name: o, build: {image: 'alpine:3.10'}}\n")
    assert list(tasks_of(compile_(text)[0])) == ["train-build-2", "train", "train-build"]


def test_ops_with_the_same_build_share_one_build_template() -> None:
    text = pipeline("{dockerfile: Dockerfile}", ops="""\
  - {name: again, template: {name: t}}
  - {name: other, template: {name: t}, build: {dockerfile: Dockerfile.gpu}}
""")
    docs = compile_(text)[0]
    tasks = tasks_of(docs)
    assert (
        tasks["train-build"]["template"]
        == tasks["again-build"]["template"]
        != tasks["other-build"]["template"]
    )
    assert tasks["train"]["template"] == tasks["again"]["template"] == "t"
    assert len(spec_of(docs)["templates"]) == 1 + 2 + 2  # DAG, two run templates, two builds


def test_an_image_without_steps_is_run_as_is() -> None:
    docs = compile_(pipeline("{image: 'python:3.7-slim'}"))[0]
    assert list(tasks_of(docs)) == ["train"]
    assert template(docs, "t")["container"]["image"] == "python:3.7-slim"
    assert "imagePullSecrets" not in spec_of(docs)


def test_build_pods_push_with_the_secret_and_ops_pull_with_it() -> None:
    docs = compile_(pipeline("{dockerfile: Dockerfile}"), build_secret="registry-push")[0]
    assert spec_of(docs)["imagePullSecrets"] == [{"name": "registry-push"}]
    built = template(docs, tasks_of(docs)["train-build"]["template"])
    assert {"name": "DOCKER_CONFIG", "value": "/polyflow/docker"} in built["container"]["env"]
    assert built["volumes"][-1] == {"name": "docker-config", "secret": {
        "secretName": "registry-push", "items": [{"key": ".dockerconfigjson", "path": "config.json"}]}}


# --- tags and reuse ----------------------------------------------------------------------------


def _image(text: str, **fields: Any) -> str:
    docs = compile_(text, **fields)[0]
    built = template(docs, tasks_of(docs)["train-build"]["template"])
    return image_of(built)


@pytest.mark.parametrize("change,same", [
    ({"build": "{dockerfile: Dockerfile, nocache: true}"}, True),
    ({"build": "{dockerfile: Dockerfile, backend: kaniko}"}, True),
    ({"builder": "kaniko"}, True),
    ({"build_secret": "other"}, True),
    ({"build": "{dockerfile: Dockerfile.gpu}"}, False),
    ({"build": "{dockerfile: Dockerfile, context: src}"}, False),
    ({"build_context": "https://github.com/org/repo.git#" + "f" * 40}, False),
    ({"build": "{dockerfile: Dockerfile, commit: " + "e" * 40 + "}"}, False),
    ({"build_context": "https://github.com/org/fork.git#" + SHA}, False),
], ids=["nocache", "backend", "builder", "secret", "dockerfile", "context", "commit", "commit-field", "repo"])
def test_the_tag_is_derived_from_what_is_built(change: dict[str, str], same: bool) -> None:
    base = _image(pipeline("{dockerfile: Dockerfile}"))
    build = change.pop("build", "{dockerfile: Dockerfile}")
    assert base == _image(pipeline("{dockerfile: Dockerfile}"))  # deterministic
    assert (_image(pipeline(build), **change) == base) is same


def test_generated_dockerfile_steps_change_the_tag() -> None:
    a = _image(pipeline("{image: 'python:3.7', build_steps: [pip install x]}"))
    b = _image(pipeline("{image: 'python:3.7', build_steps: [pip install y]}"))
    c = _image(pipeline("{image: 'python:3.7', build_steps: [pip install x], env_vars: [[A, '1']]}"))
    assert len({a, b, c}) == 3


def test_reuse_check_skips_an_existing_tag_unless_nocache() -> None:
    docs = compile_(pipeline("{dockerfile: Dockerfile}"))[0]
    built = template(docs, tasks_of(docs)["train-build"]["template"])
    assert (
        built["initContainers"][0]["command"][0] == "sh"
        and "crane digest" in built["initContainers"][0]["command"][2]
    )
    assert "reusing" in built["container"]["command"][2]
    assert any(a.startswith("type=registry,ref=registry.example.com/ml/polyflow/cache:buildcache-")
               for a in built["container"]["args"])
    docs = compile_(pipeline("{dockerfile: Dockerfile, nocache: true}"))[0]
    built = template(docs, tasks_of(docs)["train-build"]["template"])
    assert "initContainers" not in built and "reusing" not in built["container"]["command"][2]
    assert "--no-cache" in built["container"]["args"] and "--import-cache" not in built["container"]["args"]


def test_an_unpinned_build_gets_a_tag_per_run_and_a_warning() -> None:
    docs, warnings = compile_(pipeline("{dockerfile: Dockerfile, branch: main}"))
    assert [(w.code, w.severity) for w in warnings] == [("PF498", "warning")]
    built = template(docs, tasks_of(docs)["train-build"]["template"])
    assert built["inputs"]["artifacts"][0]["git"]["revision"] == "main"
    assert image_of(built).endswith("-{{workflow.uid}}")
    assert "initContainers" not in built
    _, warnings = compile_(pipeline("{dockerfile: Dockerfile}"), build_context="https://github.com/org/repo.git")
    assert [w.code for w in warnings] == ["PF498"]


# --- generated Dockerfiles, kaniko, contexts --------------------------------------------------


def test_image_with_steps_generates_polyaxons_dockerfile() -> None:
    text = pipeline("{image: 'python:3.7', build_steps: [pip install -r requirements.txt], "
                    "env_vars: [[GREETING, 'say \"hi\" $USER'], [N, 3]], lang_env: C.UTF-8}")
    docs = compile_(text)[0]
    built = template(docs, tasks_of(docs)["train-build"]["template"])
    raw = built["inputs"]["artifacts"][1]
    assert raw["path"] == "/polyflow/dockerfile/Dockerfile"
    assert raw["raw"]["data"] == (
        "FROM python:3.7\n"
        'ENV LC_ALL="C.UTF-8" LANG="C.UTF-8" LANGUAGE="C.UTF-8"\n'
        "ENV SHELL=/bin/bash\n"
        'ENV GREETING="say \\"hi\\" \\$USER"\n'
        'ENV N="3"\n'
        "WORKDIR /code\n"
        "RUN pip install -r requirements.txt\n"
        "COPY . /code\n"
    )
    assert "dockerfile=/polyflow/dockerfile" in built["container"]["args"]


def test_kaniko_builds_when_asked_by_the_build_or_the_project() -> None:
    for text, fields in ((pipeline("{dockerfile: Dockerfile, backend: kaniko}"), {}),
                         (pipeline("{dockerfile: Dockerfile}"), {"builder": "kaniko"})):
        docs = compile_(text, **fields)[0]
        built = template(docs, tasks_of(docs)["train-build"]["template"])
        assert built["container"]["image"].startswith("ghcr.io/osscontainertools/kaniko:")
        assert built["container"]["command"][0] == "/busybox/sh"
        assert "--context=dir:///polyflow/src" in built["container"]["args"]
        assert "securityContext" not in built["container"] and "annotations" not in built["metadata"]
    docs = compile_(
        pipeline("{dockerfile: Dockerfile}"), builder="kaniko", builder_image="mirror.local/kaniko:1"
    )[0]
    assert (
        template(docs, tasks_of(docs)["train-build"]["template"])["container"]["image"]
        == "mirror.local/kaniko:1"
    )


@pytest.mark.parametrize("url,kind,extra", [
    ("s3://bucket/ctx/project.tar.gz", "s3", {"endpoint": "s3.amazonaws.com", "bucket": "bucket",
                                              "key": "ctx/project.tar.gz"}),
    ("gs://bucket/ctx.tgz", "gcs", {"bucket": "bucket", "key": "ctx.tgz"}),
    ("https://files.example.com/ctx.tar.gz", "http", {"url": "https://files.example.com/ctx.tar.gz"}),
    ("git@github.com:org/repo.git#" + SHA, "git", {"repo": "git@github.com:org/repo.git", "revision": SHA}),
])
def test_contexts_are_argo_input_artifacts(
    url: str, kind: str, extra: dict[str, Any], argo_schema: Path
) -> None:
    docs = compile_(pipeline("{dockerfile: Dockerfile}"), build_context=url)[0]
    built = template(docs, tasks_of(docs)["train-build"]["template"])
    assert built["inputs"]["artifacts"][0] == {"name": "context", "path": "/polyflow/src", kind: extra}
    assert schema_errors(docs[0], argo_schema) == [] and hera_round_trip(docs[0]) == []


def test_every_builder_and_context_validates(argo_schema: Path) -> None:
    for builder, context, secret in itertools.product(("buildkit", "kaniko"), (CONTEXT, "s3://b/k.tgz"),
                                                      (None, "registry-push")):
        text = pipeline(
            "{image: 'python:3.7', build_steps: [make]}",
            ops="""\
  - {name: b, template: {name: img}}
""",
            extra_templates=(
                "  - {kind: build, name: img, dockerfile: Dockerfile, "
                "environment: {node_selector: {a: b}}}\n"
            ),
        )
        docs = compile_(text, builder=builder, build_context=context, build_secret=secret)[0]
        assert schema_errors(docs[0], argo_schema) == [] and hera_round_trip(docs[0]) == []


# --- `ref` and the build kind ------------------------------------------------------------------


@pytest.mark.parametrize("ref,image", [
    ("'0123456789ab-abcdef012345'", f"{REGISTRY}:0123456789ab-abcdef012345"),
    ("'other.example.com/team/img:2.0'", "other.example.com/team/img:2.0"),
])
def test_ref_names_an_image_in_the_build_registry_or_anywhere(ref: str, image: str) -> None:
    docs = compile_(pipeline(f"{{ref: {ref}}}"))[0]
    assert list(tasks_of(docs)) == ["train"]
    assert template(docs, "t")["container"]["image"] == image


@pytest.mark.parametrize("ref,fields,code", [
    ("42", {}, "PF491"),
    ("'v1'", {"build_registry": None}, "PF491"),
    ("'bad tag!'", {}, "PF491"),
])
def test_ref_that_names_nothing_is_an_error(ref: str, fields: dict[str, Any], code: str) -> None:
    assert [c for c, _ in errors(pipeline(f"{{ref: {ref}}}"), **fields)] == [code]


def test_build_kind_op_is_the_build() -> None:
    text = """\
version: 1
kind: pipeline
ops:
  - {name: image, template: {name: b}}
templates:
  - {kind: build, name: b, dockerfile: Dockerfile, backend: kaniko, nocache: true}
"""
    docs = compile_(text)[0]
    assert list(tasks_of(docs)) == ["image"]
    built = template(docs, "b")
    assert (
        built["outputs"]["parameters"][0]["name"] == "image" and "--cache=false" in built["container"]["args"]
    )


# --- errors ------------------------------------------------------------------------------------


def test_no_context_or_registry_names_the_keys_and_flags() -> None:
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(pipeline("{dockerfile: Dockerfile}"))
    (diag,) = info.value.errors
    assert diag.code == "PF490" and (diag.span.line, diag.span.column) == (7, 33)  # type: ignore[union-attr]
    assert "no build context and no registry" in diag.message
    for key in ("build.context", "build.registry", "polyflow.yaml", "--build-context", "--build-registry"):
        assert key in (diag.hint or "")


@pytest.mark.parametrize("build,code", [
    ("{dockerfile: Dockerfile, backend: other}", "PF492"),
    ("{dockerfile: Dockerfile, env_vars: [[A, '1']]}", "PF493"),
    ("{dockerfile: Dockerfile, lang_env: C.UTF-8}", "PF493"),
    ("{dockerfile: /abs/Dockerfile}", "PF496"),
    ("{dockerfile: Dockerfile, context: ../up}", "PF496"),
    ("{image: 'python:3.7', env_vars: [[A-B, '1']]}", "PF494"),
    ("{image: 'python:3.7', build_steps: [\"a\\nb\"]}", "PF494"),
    ("{image: 'python:3.7', build_steps: ['echo }}']}", "PF494"),
])
def test_builds_that_cannot_compile(build: str, code: str) -> None:
    assert [c for c, _ in errors(pipeline(build))] == [code]


def test_commit_needs_a_git_context() -> None:
    assert errors(pipeline("{dockerfile: Dockerfile, commit: abc1234}"), build_context="s3://b/k.tgz") == [
        ("PF495", "7:66")]


def test_a_multi_line_step_with_continuations_is_fine() -> None:
    compile_(
        pipeline("{image: 'python:3.7', build_steps: [\"apt-get update && \\\\\\n apt-get install -y git\"]}")
    )


def test_nested_build_fields_without_meaning_are_reported() -> None:
    _, warnings = compile_(pipeline("{image: 'python:3.7', environment: {node_selector: {a: b}}}"))
    assert [w.code for w in warnings] == ["PF401"]


def test_a_distributed_experiment_cannot_take_a_built_image_yet() -> None:
    text = pipeline(
        "{image: 'alpine:3.10'}",
        ops="  - {name: d, template: {name: dist}}\n",
        extra_templates="""\
  - {kind: experiment, name: dist, framework: tensorflow, environment: {replicas: {n_workers: 2}},
     build: {dockerfile: Dockerfile}, run: {cmd: python dist.py}}
""",
    )
    assert [c for c, _ in errors(text)] == ["PF497"]


# --- the project config and the flags -----------------------------------------------------------


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


PROJECT = f"""\
version: 1
build:
  context: {CONTEXT}
  registry: {REGISTRY}
pipelines:
  p: {{build: {{builder: kaniko}}}}
"""


def test_polyflow_yaml_beside_the_pipeline_is_read(tmp_path: Path) -> None:
    write(tmp_path, "polyflow.yaml", PROJECT)
    src = write(tmp_path, "p.yaml", pipeline("{dockerfile: Dockerfile}"))
    docs = polyflow_argo.compile(str(src))
    built = template(docs, tasks_of(docs)["train-build"]["template"])  # type: ignore[arg-type]
    assert built["container"]["image"].startswith("ghcr.io/osscontainertools/kaniko")  # the pipeline override
    # the flags win over the file; --project names another file
    other = write(tmp_path, "conf/other.yaml", PROJECT.replace("kaniko", "buildkit"))
    args = build_parser().parse_args(
        ["compile", "--project", str(other), "--build-registry", "r.example.com/x", str(src)]
    )
    docs, _ = compile_with_warnings([str(src)], options_from(args))
    built = template(docs, tasks_of(docs)["train-build"]["template"])  # type: ignore[arg-type]
    assert built["container"]["image"].startswith("moby/buildkit")
    assert image_of(built).startswith("r.example.com/x:")
    # --builder-image replaces the image of the builder in effect (here kaniko, from the file)
    args = build_parser().parse_args(["compile", "--builder-image", "mirror.local/kaniko:1", str(src)])
    docs, _ = compile_with_warnings([str(src)], options_from(args))
    assert (
        template(docs, tasks_of(docs)["train-build"]["template"])["container"]["image"]
        == "mirror.local/kaniko:1"
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("text,code,pos", [
    ("- a\n", "PF280", "1:1"),
    ("version: 1\nbuild: {contex: x}\n", "PF206", "2:9"),
    ("version: 1\nbuild:\n  context: ftp://host/x\n", "PF281", "3:12"),
    ("version: 1\nbuild:\n  registry: https://r.example.com/x\n", "PF282", "3:13"),
    ("version: 1\nbuild:\n  registry: r.example.com/x:latest\n", "PF282", "3:13"),
    ("version: 1\nbuild:\n  secret: Bad_Name\n", "PF283", "3:11"),
    ("version: 1\nbuild:\n  images: {crane: 'a b'}\n", "PF251", "3:19"),
    ("version: 1\npipelines:\n  p: {build: {builder: docker}}\n", "PF207", "3:24"),
    ("version: 2\n", "PF207", "1:10"),
])
def test_project_config_errors_point_at_the_line(tmp_path: Path, text: str, code: str, pos: str) -> None:
    path = write(tmp_path, "polyflow.yaml", text)
    with pytest.raises(PolyflowError) as info:
        load_project(path)
    got = [(d.code, f"{d.span.line}:{d.span.column}") for d in info.value.errors if d.span]
    assert got == [(code, pos)]
    assert all(d.span and d.span.file == str(path) for d in info.value.errors)


def test_an_empty_polyflow_yaml_only_marks_the_project_root(tmp_path: Path) -> None:
    assert load_project(write(tmp_path, "polyflow.yaml", "")).build is None
    assert load_project(write(tmp_path, "polyflow.yaml", "# nothing yet\n")).build is None


def test_bad_flags_are_reported_against_the_command_line() -> None:
    with pytest.raises(PolyflowError) as info:
        compile_(pipeline("{dockerfile: Dockerfile}"), build_context="not a url")
    (diag,) = info.value.errors
    assert (
        diag.code == "PF281"
        and diag.message.startswith("--build-context:")
        and diag.span.file == "<command line>"
    )  # type: ignore[union-attr]


def test_cli_exit_code_and_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path, "p.yaml", pipeline("{dockerfile: Dockerfile}"))
    assert main(["compile", str(src)]) == 1
    err = capsys.readouterr().err
    assert "error PF490:" in err and "--build-context URL" in err  # the code, then the flags to pass
    assert main(["compile", str(src), "--build-context", CONTEXT, "--build-registry", REGISTRY]) == 0
    assert "train-build" in capsys.readouterr().out


@pytest.mark.parametrize("url", ["https://github.com/o/r.git", "ssh://git@host/o/r.git#main", "git://h/o/r#v1",
                                 "git@github.com:o/r.git", "s3://b/k", "gs://b/dir/k.tar.gz", "http://h/x.tgz"])
def test_context_urls_we_can_fetch(url: str) -> None:
    parse_context(url)


@pytest.mark.parametrize(
    "url", ["", "ftp://h/x", "s3://bucket", "s3://b/k.tgz#v1", "https://h/r.git#", "/local/dir"]
)
def test_context_urls_we_cannot_fetch(url: str) -> None:
    with pytest.raises(ValueError):
        parse_context(url)


# --- what a failed build means: argo-sim, every outcome ------------------------------------------

TRIGGERS = ("all_succeeded", "all_failed", "all_done", "one_succeeded", "one_failed", "one_done")
ORDER = ("c", "a", "b", "x", "h", "y", "w")
UPSTREAM = {"c": [], "a": [], "b": ["c"], "x": ["a", "b"], "h": ["x"], "y": ["x"], "w": ["a", "x"]}
BUILDS = ("a", "x")


def _sim_pipeline(trigger: str, skip: bool) -> str:
    def op(name: str, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "template": {"name": "t"}}
        if UPSTREAM[name]:
            out["dependencies"] = UPSTREAM[name]
        if name in BUILDS:
            out["build"] = {"dockerfile": f"Dockerfile.{name}"}
        out.update(extra)
        return out

    ops = [op("c"), op("a"),
           op("b", conditions={"kind": "outputs", "op": "c", "exp": "eq", "params": [["flag", True]]}),
           op("x", trigger=trigger, skip_on_upstream_skip=skip),
           op("h", trigger="one_failed"), op("y"), op("w", trigger="all_failed")]
    return json.dumps({"version": 1, "kind": "pipeline", "name": "sem", "ops": ops, "templates": [
        {"kind": "job", "name": "t", "outputs": [{"name": "flag", "type": "bool"}],
         "build": {"image": "python:3.11-slim"}, "run": {"cmd": "true"}}]})


def _expected(trigger: str, skip: bool, outcome: dict[str, str], flag: str) -> tuple[dict[str, str], bool]:
    """Polyflow's rules (docs/semantics.md) where an op whose build failed has failed, and the run's
    status."""
    rules = {n: ("all_succeeded", False) for n in ORDER} | {"x": (trigger, skip), "h": ("one_failed", False),
                                                            "w": ("all_failed", False)}
    state: dict[str, str] = {}
    for name in ORDER:
        trig, propagate = rules[name]
        ups = [state[u] for u in UPSTREAM[name]]
        if propagate and "skipped" in ups:
            state[name] = "skipped"
            continue
        ups = ["succeeded" if s == "skipped" else s for s in ups]
        if ups and not trigger_met(trig, ups):
            state[name] = "upstream_failed"
        elif name == "b" and flag != "true":
            state[name] = "skipped"
        elif name in BUILDS and outcome[f"{name}-build"] != "Succeeded":
            state[name] = "failed"
        else:
            state[name] = "succeeded" if outcome[name] == "Succeeded" else "failed"
    failed_branch: dict[str, bool] = {}
    for name in ORDER:
        if state[name] in ("succeeded", "failed"):
            failed_branch[name] = state[name] == "failed"
        else:
            failed_branch[name] = any(failed_branch[u] for u in UPSTREAM[name])
    leaves = [n for n in ORDER if not any(n in UPSTREAM[m] for m in ORDER)]
    return state, not any(failed_branch[n] for n in leaves)


def _observed(phases: dict[str, str]) -> dict[str, str]:
    """Polyflow states read back from the Argo phases: an Omitted op whose build failed has failed."""
    out = {}
    for name in ORDER:
        phase = phases[name]
        build = phases.get(f"{name}-build")
        if phase == "Omitted" and build in ("Failed", "Error"):
            phase = "Failed"
        out[name] = {"Succeeded": "succeeded", "Failed": "failed", "Error": "failed",
                     "Omitted": "upstream_failed", "Skipped": "skipped"}[phase]
    return out


@pytest.mark.argosim
@pytest.mark.parametrize("trigger,skip", [(t, s) for t in TRIGGERS for s in (False, True)],
                         ids=[f"{t}-skip{s}" for t in TRIGGERS for s in (False, True)])
def test_build_failure_semantics(trigger: str, skip: bool, argo_sim: Path) -> None:
    docs = compile_(_sim_pipeline(trigger, skip))[0]
    tasks = [
        {k: (for_sim(t[k]) if k == "when" else t[k]) for k in ("name", "depends", "when") if k in t}
        for t in spec_of(docs)["templates"][0]["dag"]["tasks"]
    ]
    assert [t["name"] for t in tasks] == ["c", "a-build", "a", "b", "x-build", "x", "h", "y", "w"]
    runs = 0
    for a_build, a, x_build, x, flag in itertools.product(
            ("Succeeded", "Failed", "Error"), ("Succeeded", "Failed", "Error"), ("Succeeded", "Failed"),
            ("Succeeded", "Failed", "Error"), ("true", "false")):
        outcome = {"c": "Succeeded", "a-build": a_build, "a": a, "b": "Succeeded", "x-build": x_build, "x": x,
                   "h": "Succeeded", "y": "Succeeded", "w": "Succeeded"}
        sim = {n: {"phase": p, "outputs": {"flag": flag if n == "c" else ""}} for n, p in outcome.items()}
        out = subprocess.run(
            [str(argo_sim)],
            input=json.dumps({"failFast": False, "tasks": tasks, "outcomes": sim}),
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(out.stdout)
        assert got["errors"] == [], got
        want, ok = _expected(trigger, skip, outcome, flag)
        assert _observed(got["phases"]) == want, (outcome, flag, got["phases"])
        assert (got["dag"] == "Succeeded") == ok, (outcome, flag, got)
        runs += 1
    assert runs == 3 * 3 * 2 * 3 * 2
