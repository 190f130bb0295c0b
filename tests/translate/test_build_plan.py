"""The build plan (translate/build.py ``plan_builds``): decided once per op before any task or template
is made, it says which ops get a ``<task>-build`` task, what image each container runs, and which
templates take the built image; the compiled Workflow then follows it (docs/builds.md)."""

from __future__ import annotations

from typing import Any

from polyflow_argo.compiler import compile_with_warnings, resolve_file
from polyflow_argo.language.project import BuildSettings
from polyflow_argo.translate import context as translate_context
from polyflow_argo.translate.build import IMAGE_PARAM, BuildPlan, build_failures, image_param, plan_builds
from polyflow_argo.translate.context import CompileOptions, TranslateContext
from polyflow_argo.translate.target import ArgoTarget
from polyflow_argo.translate.workflow import task_names

SHA = "0123456789abcdef0123456789abcdef01234567"
CONTEXT = f"https://github.com/org/repo.git#{SHA}"
REGISTRY = "registry.example.com/ml/polyflow"

PIPELINE = """\
version: 1
kind: pipeline
name: p
ops:
  - {name: train, template: {name: built}}
  - {name: train-build, template: {name: plain}, dependencies: [train]}
  - {name: again, template: {name: built}, dependencies: [train]}
  - {name: tagged, template: {name: plain}, build: {ref: v1}}
  - {name: search, template: {name: grid}}
  - {name: image, template: {name: b}}
templates:
  - {kind: job, name: built, build: {dockerfile: Dockerfile}, run: {cmd: python train.py}}
  - {kind: job, name: plain, build: {image: busybox}, run: {cmd: echo hi}}
  - kind: group
    name: grid
    build: {image: python:3.12, build_steps: [pip install torch]}
    hptuning: {matrix: {lr: {values: [0.1, 0.01]}}}
    run: {cmd: "python train.py --lr={{ lr }}"}
  - {kind: build, name: b, dockerfile: Dockerfile}
"""


def _plans(text: str = PIPELINE, context: str = CONTEXT) -> tuple[TranslateContext, dict[str, BuildPlan]]:
    ir = resolve_file(text=text)
    settings = BuildSettings(context=context, registry=REGISTRY)
    # The options translation reads: TranslateOptions where compile derives them, else CompileOptions.
    options_type: Any = getattr(translate_context, "TranslateOptions", CompileOptions)
    ctx = TranslateContext(ir, options_type(build=settings), ArgoTarget("4"))
    return ctx, plan_builds(ctx, task_names(ctx))


def test_the_plan_says_which_ops_build_and_what_each_container_runs() -> None:
    ctx, plans = _plans()
    # a build task per op that builds, named beside the task names (`train-build` is an op)
    assert {op: p.task for op, p in plans.items() if p.task} == {
        "train": "train-build-2",
        "again": "again-build",
        "search": "search-build",
    }
    assert plans["train"].image == plans["again"].image == plans["search"].image == image_param()
    assert plans["train"].image_input and plans["search"].image_input
    assert plans["train-build"] == BuildPlan(image="busybox")  # runs its image as given
    assert plans["tagged"].image == f"{REGISTRY}:v1" and plans["tagged"].task is None
    assert plans["tagged"].registry_image and not plans["tagged"].image_input
    # a `kind: build` op is the build itself: a spec, no build task before it
    assert plans["image"].spec is not None and plans["image"].task is None and plans["image"].registry_image
    # one_failed over `train` also counts its build's failure
    assert build_failures(task_names(ctx), plans) == {
        "train": "train-build-2",
        "again": "again-build",
        "search": "search-build",
    }
    assert plans["train"].spec == plans["again"].spec  # identical builds: one template (below)


def test_planning_reports_nothing_until_the_template_is_made() -> None:
    ctx, plans = _plans(context=CONTEXT.split("#")[0])  # no commit: unpinned
    assert ctx.sink.items == []  # diagnostics wait for the op's template, in pipeline order
    plans["train"].report(ctx)
    assert [d.code for d in ctx.sink.items] == ["PF498"]  # not pinned: a tag per run


def _compile() -> dict[str, Any]:
    options: Any = CompileOptions(build_context=CONTEXT, build_registry=REGISTRY)
    docs: Any = compile_with_warnings(PIPELINE, options)[0]
    spec: dict[str, Any] = docs[0]["spec"]
    return spec


def test_the_workflow_follows_the_plan() -> None:
    spec = _compile()
    templates = {t["name"]: t for t in spec["templates"]}
    tasks = spec["templates"][0]["dag"]["tasks"]
    order = [t["name"] for t in tasks]
    # each build task right before its op, which waits for it and takes its output
    assert order == [
        "train-build-2", "train", "train-build", "again-build", "again", "tagged", "search-build", "search",
        "image",
    ]
    by_name = {t["name"]: t for t in tasks}
    for op, build in (("train", "train-build-2"), ("again", "again-build"), ("search", "search-build")):
        args = by_name[op]["arguments"]["parameters"]
        assert args[-1] == {"name": IMAGE_PARAM, "value": f"{{{{tasks.{build}.outputs.parameters.image}}}}"}
        assert by_name[op]["depends"].endswith(build)
    # the build task: the op's own depends, in Argo's key order
    assert list(by_name["train-build-2"]) == ["name", "template", "arguments"]
    assert list(by_name["again-build"]) == ["name", "template", "depends", "arguments"]
    assert by_name["again-build"]["depends"] == "train"
    assert by_name["again"]["depends"] == "train && again-build"
    assert list(by_name["again"]) == ["name", "template", "depends", "arguments"]
    # train and again share the run template and the build template
    assert by_name["train"]["template"] == by_name["again"]["template"] == "built"
    assert by_name["train-build-2"]["template"] == by_name["again-build"]["template"]
    assert templates["built"]["container"]["image"] == image_param()
    assert templates["built"]["inputs"]["parameters"][-1] == {"name": IMAGE_PARAM}
    # the group takes the image and passes it on to its trials, which run it
    group, trial = templates["grid"], templates["grid-trial"]
    assert group["inputs"]["parameters"][-1] == {"name": IMAGE_PARAM}
    trial_task = group["dag"]["tasks"][0]
    assert trial_task["arguments"]["parameters"][-1] == {"name": IMAGE_PARAM, "value": image_param()}
    assert trial["container"]["image"] == image_param()
    # ops that do not build take no image input
    assert all(p["name"] != IMAGE_PARAM for p in templates["plain"]["inputs"]["parameters"])
    assert "depends" not in by_name["tagged"] and "tagged-build" not in order


SHARED = """\
version: 1
kind: pipeline
name: p
ops:
  - {name: a, template: {name: plain}}
  - {name: b, template: {name: plain}, dependencies: [a]}
  - {name: c, template: {name: plain}, build: {image: alpine, logging: {level: INFO}}}
templates:
  - {kind: job, name: plain, build: {image: busybox, params: {x: 1}}, run: {cmd: echo hi}}
"""


def test_ops_running_their_templates_image_share_one_plan() -> None:
    """Most ops run the image their template gives: the ops of an inline template share one plan
    (planned once), which reports the same problems a plan per op did; an op's own `build` has its
    own plan."""
    ctx, plans = _plans(SHARED)
    assert plans["a"] == plans["b"] and plans["a"].image == "busybox" and plans["a"].task is None
    assert plans["c"] != plans["a"] and plans["c"].image == "alpine"
    warnings = compile_with_warnings(SHARED)[1]
    dropped = [(d.message.split("`")[1], d.span and d.span.line) for d in warnings if d.code == "PF401"]
    assert dropped == [("build.logging", 7), ("build.params", 9)]
