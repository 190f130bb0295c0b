#!/usr/bin/env python3
"""Benchmark: how long does it take to compile a large pipeline to Argo manifests, and how does Hera compare?

Not a test. Generates pipelines of N ops with ``bench_load.generate`` (groups of 10 ops: a head, 8 fan-out
workers, a join; 3 shared templates) and times, best of ``--repeat`` runs each:

    compile         ``polyflow_argo.compile(yaml_text)``: read + parse + validate + resolve + translate
    +JSON           the same, then ``emit.to_json`` (the serializer of ``compile -o json``)
    +YAML           the same, then ``emit.to_yaml`` (the serializer of ``compile``, the default output)
    from Pipeline   ``polyflow_argo.compile(pipeline)`` of an already loaded ``Pipeline`` (public API:
                    skips read/parse/validate, still resolves and translates)
    translate       ``translate.translate(ir)`` of an already resolved pipeline (internal API: back end only)
    Hera+YAML       Hera (``hera.workflows``) building the SAME Workflow with its DSL objects (Workflow, DAG,
                    Task, Container, Parameter, Env, EmptyDirVolume, RetryStrategy), then ``w.to_yaml()``
    Hera+JSON       the same build, then ``json.dumps(w.to_dict())``
    Hera ctx        the same Workflow written the way Hera's documentation writes it: ``with Workflow(...)``,
                    ``with DAG(...)``, ``Task(template=<Container>)`` inside the context; this is the
                    comparison the ">= 10x faster than Hera" target is checked against
    back end        ours from the resolved pipeline: translate + serialize, the part that does Hera's job

The Hera build walks plain Python data extracted from our manifest before the clock starts, so Hera is
timed on building and serializing only; it never parses, validates or resolves a pipeline. Its output
is checked against ours (DAG tasks: names, depends, template, arguments) on a 50-op pipeline.

Sizes: ``B/op`` is the compact JSON of the whole manifest divided by N; ``B/task`` is the average compact
JSON of one DAG task entry whose template is shared with other tasks; the "< 250 B per op for ops that
share a template" target is checked against ``B/task``.

Argo's limits (200 DAG tasks, 1 MiB per object) are errors by default; they are lifted
(``check_limits=False``) above 200 ops.

Also timed, in subprocesses (best and median of 5 after a warm-up run): the CLI on
``examples/diamond.yaml``, ``python -c pass``, and ``python -c "import hera.workflows"``. The subprocesses run
without ``PYTHONDONTWRITEBYTECODE`` (an installed package has its bytecode precompiled).

Usage::

    python benchmarks/bench_compile.py                      # 50, 200 and 5000 ops
    python benchmarks/bench_compile.py --ops 50 200 --repeat 5
    python benchmarks/bench_compile.py --no-hera-above 200  # skip Hera at 5000 ops (~10 s per run)
    python benchmarks/bench_compile.py --profile            # also cProfile compile+JSON of 5000 ops
    python benchmarks/bench_compile.py --check              # exit 1 if a target is missed

Dependency-free beyond the project's own dependencies (PyYAML, Hera).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_load import best_of, generate  # noqa: E402

import polyflow_argo  # noqa: E402
from polyflow_argo.compiler import resolve_file  # noqa: E402
from polyflow_argo.emit import to_json, to_yaml  # noqa: E402
from polyflow_argo.translate import CompileOptions, translate  # noqa: E402

Manifest = dict[str, Any]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/diamond.yaml"
LIMIT_OPS = 200  # above this, check_limits=False
EQUIVALENCE_OPS = 50
PROFILE_OPS = 5000
SUBPROCESS_RUNS = 5

# Targets.
CLI_SECONDS = 0.3
JSON_OPS = 5000
JSON_SECONDS = 1.0
HERA_SPEEDUP = 10.0
TASK_BYTES = 250


# --------------------------------------------------------------------------------------------------
# Ours
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ours:
    n: int
    limits: bool
    compile: float
    json: float
    yaml: float
    from_pipeline: float
    translate: float
    backend_json: float
    backend_yaml: float
    bytes_per_op: float
    bytes_per_task: float
    bytes_by_template: dict[str, tuple[int, float]]  # template -> (tasks, mean compact JSON bytes per task)


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def dag_tasks(manifest: Manifest) -> list[dict[str, Any]]:
    spec = manifest["spec"]
    entry = next(t for t in spec["templates"] if t["name"] == spec["entrypoint"])
    tasks: list[dict[str, Any]] = entry["dag"]["tasks"]
    return tasks


def shared_task_bytes(manifest: Manifest) -> float:
    """Average compact-JSON length of one DAG task entry whose template is used by several tasks."""
    tasks = dag_tasks(manifest)
    uses = Counter(t["template"] for t in tasks)
    shared = [len(compact(t)) for t in tasks if uses[t["template"]] > 1]
    return statistics.fmean(shared) if shared else float("nan")


def task_bytes_by_template(manifest: Manifest) -> dict[str, tuple[int, float]]:
    sizes: dict[str, list[int]] = {}
    for t in dag_tasks(manifest):
        sizes.setdefault(t["template"], []).append(len(compact(t)))
    return {name: (len(v), statistics.fmean(v)) for name, v in sizes.items()}


def measure_ours(n: int, repeat: int) -> Ours:
    text = generate(n)
    limits = n <= LIMIT_OPS
    options = CompileOptions(check_limits=limits)
    pipeline = polyflow_argo.load(text)
    ir = resolve_file(text)

    docs = polyflow_argo.compile(text, options)
    if len(dag_tasks(docs[0])) != n:
        raise SystemExit(f"expected {n} DAG tasks, compiled {len(dag_tasks(docs[0]))}")
    if translate(ir, options)[0] != docs or polyflow_argo.compile(pipeline, options) != docs:
        raise SystemExit(f"{n} ops: the compile paths disagree")

    return Ours(
        n=n,
        limits=limits,
        compile=best_of(lambda: polyflow_argo.compile(text, options), repeat),
        json=best_of(lambda: to_json(polyflow_argo.compile(text, options)), repeat),
        yaml=best_of(lambda: to_yaml(polyflow_argo.compile(text, options)), repeat),
        from_pipeline=best_of(lambda: polyflow_argo.compile(pipeline, options), repeat),
        translate=best_of(lambda: translate(ir, options), repeat),
        backend_json=best_of(lambda: to_json(translate(ir, options)[0]), repeat),
        backend_yaml=best_of(lambda: to_yaml(translate(ir, options)[0]), repeat),
        bytes_per_op=len(compact(docs[0])) / n,
        bytes_per_task=shared_task_bytes(docs[0]),
        bytes_by_template=task_bytes_by_template(docs[0]),
    )


# --------------------------------------------------------------------------------------------------
# Hera: the same Workflow, built with hera.workflows
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskPlan:
    name: str
    template: str
    depends: str | None
    when: str | None
    arguments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    labels: dict[str, str] | None
    annotations: dict[str, str] | None
    inputs: tuple[str, ...]
    outputs: tuple[tuple[str, str, str | None], ...]  # name, valueFrom.path, valueFrom.default
    image: str
    command: list[str] | None
    args: list[str] | None
    env: tuple[tuple[str, str], ...]
    empty_dirs: tuple[tuple[str, str], ...]  # volume name, mount path
    retry: dict[str, Any] | None


@dataclass(frozen=True)
class WorkflowPlan:
    metadata: dict[str, Any]
    entrypoint: str
    pod_labels: dict[str, str] | None
    dag_name: str
    fail_fast: bool | None
    parallelism: int | None
    tasks: tuple[TaskPlan, ...]
    containers: tuple[ContainerPlan, ...]


def _only(mapping: dict[str, Any], allowed: set[str], where: str) -> None:
    """The walk covers what the generated pipelines need; anything else would be silently dropped."""
    extra = set(mapping) - allowed
    if extra:
        raise NotImplementedError(f"{where}: the Hera rebuild does not handle {sorted(extra)}")


def _container_plan(template: dict[str, Any]) -> ContainerPlan:
    where = f"template {template['name']}"
    _only(template, {"name", "metadata", "inputs", "outputs", "container", "volumes", "retryStrategy"}, where)
    container = template["container"]
    _only(container, {"image", "command", "args", "env", "volumeMounts"}, where)
    meta = template.get("metadata", {})
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    volumes = template.get("volumes", [])
    if any(set(v) != {"name", "emptyDir"} or v["emptyDir"] for v in volumes) or set(mounts) != {
        v["name"] for v in volumes
    }:
        raise NotImplementedError(f"{where}: only mounted, default emptyDir volumes are rebuilt")
    outputs: list[tuple[str, str, str | None]] = []
    for p in template.get("outputs", {}).get("parameters", []):
        _only(p, {"name", "valueFrom"}, where)
        outputs.append((p["name"], p["valueFrom"]["path"], p["valueFrom"].get("default")))
    return ContainerPlan(
        name=template["name"],
        labels=meta.get("labels"),
        annotations=meta.get("annotations"),
        inputs=tuple(p["name"] for p in template.get("inputs", {}).get("parameters", [])),
        outputs=tuple(outputs),
        image=container["image"],
        command=container.get("command"),
        args=container.get("args"),
        env=tuple((e["name"], e["value"]) for e in container.get("env", [])),
        empty_dirs=tuple((v["name"], mounts[v["name"]]) for v in volumes),
        retry=template.get("retryStrategy"),
    )


def plan_from_manifest(manifest: Manifest) -> WorkflowPlan:
    """Plain Python data describing our Workflow, for Hera to rebuild (extracted outside the timing)."""
    _only(manifest, {"apiVersion", "kind", "metadata", "spec"}, "Workflow")
    spec = manifest["spec"]
    _only(spec, {"entrypoint", "podMetadata", "templates"}, "spec")
    dag, *rest = spec["templates"]
    _only(dag, {"name", "dag", "parallelism"}, "DAG template")
    tasks: list[TaskPlan] = []
    for t in dag["dag"]["tasks"]:
        _only(t, {"name", "template", "depends", "when", "arguments"}, f"task {t['name']}")
        args = tuple((p["name"], p["value"]) for p in t.get("arguments", {}).get("parameters", []))
        tasks.append(TaskPlan(t["name"], t["template"], t.get("depends"), t.get("when"), args))
    return WorkflowPlan(
        metadata=manifest["metadata"],
        entrypoint=spec["entrypoint"],
        pod_labels=spec.get("podMetadata", {}).get("labels"),
        dag_name=dag["name"],
        fail_fast=dag["dag"].get("failFast"),
        parallelism=dag.get("parallelism"),
        tasks=tuple(tasks),
        containers=tuple(_container_plan(t) for t in rest),
    )


def _hera_container(c: ContainerPlan) -> Any:
    from hera.workflows import Container, EmptyDirVolume, Env, Parameter, RetryStrategy
    from hera.workflows.models import Backoff, ValueFrom

    retry = None
    if c.retry is not None:
        backoff = c.retry.get("backoff")
        retry = RetryStrategy(
            limit=c.retry.get("limit"),
            retry_policy=c.retry.get("retryPolicy"),
            backoff=Backoff.model_validate(backoff) if backoff else None,
        )
    return Container(
        name=c.name,
        labels=c.labels,
        annotations=c.annotations,
        inputs=[Parameter(name=p) for p in c.inputs] or None,
        outputs=[Parameter(name=o, value_from=ValueFrom(path=p, default=d)) for o, p, d in c.outputs] or None,
        image=c.image,
        command=c.command,
        args=c.args,
        env=[Env(name=k, value=v) for k, v in c.env] or None,
        volumes=[EmptyDirVolume(name=v, mount_path=m) for v, m in c.empty_dirs] or None,
        retry_strategy=retry,
    )


def _hera_workflow_fields(plan: WorkflowPlan) -> dict[str, Any]:
    from hera.workflows.models import Metadata

    meta = plan.metadata
    return {
        "name": meta.get("name"),
        "generate_name": meta.get("generateName"),
        "namespace": meta.get("namespace"),
        "labels": meta.get("labels"),
        "annotations": meta.get("annotations"),
        "entrypoint": plan.entrypoint,
        "pod_metadata": Metadata(labels=plan.pod_labels) if plan.pod_labels else None,
    }


def _hera_task(t: TaskPlan, template: Any) -> Any:
    from hera.workflows import Parameter, Task

    return Task(
        name=t.name,
        template=template,
        depends=t.depends,
        when=t.when,
        arguments=[Parameter(name=k, value=v) for k, v in t.arguments],
    )


def build_hera(plan: WorkflowPlan) -> Any:
    """The Workflow of ``plan`` written with Hera's DSL, tasks passed as a list (Hera's fastest style)."""
    from hera.workflows import DAG, Workflow

    containers = {c.name: _hera_container(c) for c in plan.containers}
    dag = DAG(
        name=plan.dag_name,
        fail_fast=plan.fail_fast,
        parallelism=plan.parallelism,
        tasks=[_hera_task(t, containers[t.template]) for t in plan.tasks],
    )
    return Workflow(**_hera_workflow_fields(plan), templates=[dag, *containers.values()])


def build_hera_context(plan: WorkflowPlan) -> Any:
    """The same Workflow in the style of Hera's documentation: ``with Workflow(...)`` and ``with DAG(...)``
    context managers, each template declared inside the context when first used, tasks created inside
    the DAG context with their template object (``Task(template=container)``)."""
    from hera.workflows import DAG, Workflow

    specs = {c.name: c for c in plan.containers}
    with Workflow(**_hera_workflow_fields(plan)) as w:
        with DAG(name=plan.dag_name, fail_fast=plan.fail_fast, parallelism=plan.parallelism):
            containers: dict[str, Any] = {}
            for t in plan.tasks:
                if t.template not in containers:
                    containers[t.template] = _hera_container(specs[t.template])
                _hera_task(t, containers[t.template])
    return w


def hera_yaml(plan: WorkflowPlan) -> str:
    text: str = build_hera(plan).to_yaml()
    return text


def hera_json(plan: WorkflowPlan) -> str:
    return json.dumps(build_hera(plan).to_dict())


@dataclass(frozen=True)
class HeraTimes:
    yaml: float  # build_hera (tasks passed as a list) + to_yaml()
    json: float
    ctx_yaml: float  # build_hera_context (documented context-manager style) + to_yaml()
    ctx_json: float


def import_hera() -> float:
    """Import Hera (lazily, once, outside the timings); seconds taken in this process."""
    t0 = time.perf_counter()
    import hera.workflows  # noqa: F401

    return time.perf_counter() - t0


def measure_hera(n: int, repeat: int) -> HeraTimes:
    plan = plan_from_manifest(polyflow_argo.compile(generate(n), check_limits=n <= LIMIT_OPS)[0])
    return HeraTimes(
        yaml=best_of(lambda: hera_yaml(plan), repeat),
        json=best_of(lambda: hera_json(plan), repeat),
        ctx_yaml=best_of(lambda: build_hera_context(plan).to_yaml(), repeat),
        ctx_json=best_of(lambda: json.dumps(build_hera_context(plan).to_dict()), repeat),
    )


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Where two JSON-like values differ (dict key order ignored), as ``path: ours != theirs``."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for key in ours.keys() | theirs.keys():
            if key not in theirs:
                out.append(f"{path}/{key}: only in ours")
            elif key not in ours:
                out.append(f"{path}/{key}: only in Hera's ({compact(theirs[key])})")
            else:
                out.extend(differences(ours[key], theirs[key], f"{path}/{key}"))
        return sorted(out)
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [d for i, (a, b) in enumerate(zip(ours, theirs)) for d in differences(a, b, f"{path}/{i}")]
    return [] if ours == theirs else [f"{path or '/'}: {compact(ours)[:60]} != {compact(theirs)[:60]}"]


def equivalence(n: int) -> tuple[list[str], list[str]]:
    """Differences between Hera's ``to_dict()`` and our manifest: (on the DAG tasks, on the whole object)."""
    ours = polyflow_argo.compile(generate(n))[0]
    theirs = build_hera(plan_from_manifest(ours)).to_dict()
    keys = ("name", "depends", "when", "template", "arguments")
    tasks = differences(
        [{k: t.get(k) for k in keys} for t in dag_tasks(ours)],
        [{k: t.get(k) for k in keys} for t in dag_tasks(theirs)],
        "/tasks",
    )
    return tasks, differences(ours, theirs)


# --------------------------------------------------------------------------------------------------
# Subprocess wall times
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wall:
    best: float
    median: float


def wall(cmd: list[str], runs: int = SUBPROCESS_RUNS) -> Wall:
    """Wall times of ``cmd`` run from the repository, after a warm-up run, without PYTHONDONTWRITEBYTECODE."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run() -> float:
        t0 = time.perf_counter()
        done = subprocess.run(cmd, check=False, cwd=REPO, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-2000:]}")
        return elapsed

    run()
    times = [run() for _ in range(runs)]
    return Wall(min(times), statistics.median(times))


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "polyflow-argo"
    return [str(script)] if script.exists() else [sys.executable, "-m", "polyflow_argo"]


# --------------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------------


def profile(n: int, top: int) -> str:
    text = generate(n)
    options = CompileOptions(check_limits=n <= LIMIT_OPS)
    prof = cProfile.Profile()
    prof.enable()
    to_json(polyflow_argo.compile(text, options))
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    # Paths relative to the repository / site-packages: "polyflow_argo/translate/dag.py" stays unambiguous.
    report = out.getvalue()
    for prefix in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"], str(REPO)):
        report = report.replace(f"{prefix}/", "")
    return report


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def ratio(hera: float | None, ours: float) -> str:
    return "-" if hera is None else f"{hera / ours:.1f}x"


def print_table(ours: list[Ours], hera: dict[int, HeraTimes]) -> None:
    print(
        f"{'ops':>5} {'limits':>6} {'compile':>8} {'+JSON':>7} {'+YAML':>7} {'from Pipeline':>13} "
        f"{'translate':>9} {'Hera+YAML':>9} {'Hera+JSON':>9} {'Hera/ours YAML':>14} {'JSON':>6} "
        f"{'B/op':>6} {'B/task':>6}"
    )
    for o in ours:
        h = hera.get(o.n)
        hy, hj = (h.yaml, h.json) if h else (None, None)
        print(
            f"{o.n:>5} {'on' if o.limits else 'lifted':>6} {o.compile:>8.3f} {o.json:>7.3f} {o.yaml:>7.3f} "
            f"{o.from_pipeline:>13.3f} {o.translate:>9.3f} {seconds(hy):>9} {seconds(hj):>9} "
            f"{ratio(hy, o.yaml):>14} {ratio(hj, o.json):>6} {o.bytes_per_op:>6.0f} {o.bytes_per_task:>6.0f}"
        )
    print(
        "  seconds, best of each; compile = YAML text -> manifest dicts (load + resolve + translate);\n"
        "  +JSON / +YAML = compile then emit.to_json (compact, as `-o json`) / emit.to_yaml;\n"
        "  from Pipeline = compile(polyflow_argo.load(...) result): resolve + translate;\n"
        "  translate = translate.translate(resolved IR) only;\n"
        "  Hera+YAML / Hera+JSON = Hera DSL build of the same Workflow, then to_yaml() /\n"
        "  json.dumps(to_dict());\n"
        "  Hera/ours = Hera+YAML / ours +YAML and Hera+JSON / ours +JSON (Hera never parses or validates);\n"
        "  B/op = compact JSON of the manifest / N; B/task = mean compact JSON of one DAG task entry that\n"
        "  shares its template (the < 250 B target is checked against B/task)."
    )
    largest = max(ours, key=lambda o: o.n)
    parts = [f"{name} {b:.0f} B x {count}" for name, (count, b) in largest.bytes_by_template.items()]
    print(f"  B/task by template at {largest.n} ops: {', '.join(parts)}")


def print_ratios(ours: list[Ours], hera: dict[int, HeraTimes]) -> None:
    """How many times faster than Hera: our whole compile (text in), and our back end alone (IR in)."""
    print("Hera / ours (times faster), YAML | JSON:")
    print(
        f"{'ops':>5} {'Hera ctx':>9} {'Hera ctx+JSON':>13} {'compile vs ctx':>15} {'vs list':>13} "
        f"{'back end vs ctx':>16} {'vs list':>13}"
    )
    for o in ours:
        h = hera.get(o.n)
        if h is None:
            continue
        print(
            f"{o.n:>5} {h.ctx_yaml:>9.3f} {h.ctx_json:>13.3f} "
            f"{ratio(h.ctx_yaml, o.yaml):>7} | {ratio(h.ctx_json, o.json):>5} "
            f"{ratio(h.yaml, o.yaml):>6} | {ratio(h.json, o.json):>4} "
            f"{ratio(h.ctx_yaml, o.backend_yaml):>8} | {ratio(h.ctx_json, o.backend_json):>5} "
            f"{ratio(h.yaml, o.backend_yaml):>6} | {ratio(h.json, o.backend_json):>4}"
        )
    print(
        "  Hera ctx = Hera in the style of its docs (with Workflow / with DAG, Task(template=<object>)) + to_yaml()\n"
        "  / json.dumps(to_dict()); 'list' = Hera with a prebuilt task list (its fastest style, the Hera+ columns);\n"
        "  compile = ours from pipeline text (parse, validate, resolve, translate, serialize);\n"
        "  back end = ours from the resolved pipeline (translate + serialize), the part that does Hera's job."
    )


def print_equivalence(n: int) -> None:
    task_diffs, whole_diffs = equivalence(n)
    same = "yes" if not task_diffs else f"no ({'; '.join(task_diffs[:5])})"
    print(f"same manifest ({n} ops, DAG tasks: names, depends, when, template, arguments): {same}")
    if not whole_diffs:
        print("  whole Workflow: identical")
        return
    more = len(whole_diffs) - 5
    shown = "; ".join(whole_diffs[:5]) + (f"; ... {more} more" if more > 0 else "")
    print(f"  whole Workflow: {len(whole_diffs)} difference(s): {shown}")


def print_walls(in_process_import: float) -> Wall:
    """Subprocess wall times; returns the CLI's."""
    python = wall([sys.executable, "-c", "pass"])
    import_hera = wall([sys.executable, "-c", "import hera.workflows"])
    cli = wall([*cli_command(), "compile", EXAMPLE])
    print(
        f"subprocess wall times, best / median of {SUBPROCESS_RUNS} after a warm-up run, "
        "PYTHONDONTWRITEBYTECODE removed (bytecode cached, as after pip install):"
    )
    hera_note = (
        f"  (Hera import: +{import_hera.best - python.best:.3f} s; in this process {in_process_import:.3f} s)"
    )
    rows = [
        ("python -c pass", python, ""),
        ("python -c 'import hera.workflows'", import_hera, hera_note),
        (f"polyflow-argo compile {EXAMPLE}", cli, ""),
    ]
    width = max(len(r[0]) for r in rows)
    for label, w, note in rows:
        print(f"  {label:<{width}}  {w.best:.3f} / {w.median:.3f} s{note}")
    return cli


Check = tuple[str, str, bool | None]  # label, measured value, met (None: not measured)


def targets(ours: list[Ours], hera: dict[int, HeraTimes], cli: Wall) -> list[Check]:
    by_n = {o.n: o for o in ours}
    json_big = by_n[JSON_OPS].json if JSON_OPS in by_n else None
    speedups = [(o.n, hera[o.n].ctx_yaml / o.yaml, hera[o.n].ctx_json / o.json) for o in ours if o.n in hera]
    worst_yaml = min(speedups, key=lambda s: s[1], default=None)
    worst_json = min(speedups, key=lambda s: s[2], default=None)
    worst_task = max(ours, key=lambda o: o.bytes_per_task)
    return [
        (
            f"CLI compile {EXAMPLE} < {CLI_SECONDS} s wall (median of {SUBPROCESS_RUNS})",
            f"{cli.median:.3f} s",
            cli.median < CLI_SECONDS,
        ),
        (
            f"{JSON_OPS:,} ops compile+JSON < {JSON_SECONDS} s",
            "-" if json_big is None else f"{json_big:.3f} s",
            None if json_big is None else json_big < JSON_SECONDS,
        ),
        (
            f">= {HERA_SPEEDUP:.0f}x faster than Hera (ctx), YAML, whole compile (slowest size)",
            "-" if worst_yaml is None else f"{worst_yaml[1]:.1f}x at {worst_yaml[0]} ops",
            None if worst_yaml is None else worst_yaml[1] >= HERA_SPEEDUP,
        ),
        (
            f">= {HERA_SPEEDUP:.0f}x faster than Hera (ctx), JSON, whole compile (slowest size)",
            "-" if worst_json is None else f"{worst_json[2]:.1f}x at {worst_json[0]} ops",
            None if worst_json is None else worst_json[2] >= HERA_SPEEDUP,
        ),
        (
            f"< {TASK_BYTES} B compact JSON per shared-template task (B/task, largest)",
            f"{worst_task.bytes_per_task:.0f} B at {worst_task.n} ops (B/op {worst_task.bytes_per_op:.0f})",
            worst_task.bytes_per_task < TASK_BYTES,
        ),
    ]


def print_targets(checks: list[Check]) -> None:
    print("targets:")
    width = max(len(c[0]) for c in checks)
    for label, value, ok in checks:
        status = "not measured" if ok is None else ("met" if ok else "MISSED")
        print(f"  {label:<{width}}  {value:<29} {status}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument(
        "--ops",
        type=int,
        nargs="+",
        default=[50, 200, 5000],
        metavar="N",
        help="pipeline sizes (default 50 200 5000)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    ap.add_argument(
        "--no-hera-above",
        type=int,
        default=None,
        metavar="N",
        help="skip Hera for pipelines of more than N ops (default: Hera at every size)",
    )
    ap.add_argument("--profile", action="store_true", help=f"cProfile compile+JSON of {PROFILE_OPS} ops")
    ap.add_argument("--top", type=int, default=25, help="rows of profile output (default 25)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args(argv)

    print(
        f"polyflow_argo {polyflow_argo.__version__}, hera {metadata.version('hera')}, "
        f"Python {sys.version.split()[0]}, best of {args.repeat}; "
        f"Argo limits lifted (check_limits=False) above {LIMIT_OPS} ops"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (timings are noisy on a busy machine)")

    # Ours first, at every size, before Hera is imported into this process.
    ours = [measure_ours(n, args.repeat) for n in args.ops]
    in_process_import = import_hera()
    hera_sizes = [n for n in args.ops if args.no_hera_above is None or n <= args.no_hera_above]
    hera_times = {n: measure_hera(n, args.repeat) for n in hera_sizes}

    print()
    print_table(ours, hera_times)
    print()
    print_ratios(ours, hera_times)
    print()
    print_equivalence(EQUIVALENCE_OPS)
    print()
    cli = print_walls(in_process_import)
    print()
    checks = targets(ours, hera_times, cli)
    print_targets(checks)

    if args.profile:
        print()
        print(f"=== cProfile: compile + to_json of {PROFILE_OPS} ops (top {args.top}, cumulative) ===")
        print(profile(PROFILE_OPS, args.top))

    missed = any(ok is False for _, _, ok in checks)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
