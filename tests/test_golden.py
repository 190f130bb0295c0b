"""Golden files: every example and fixture → its exact Argo YAML (or its exact diagnostics).

Inputs: ``examples/*.yaml`` (expected output beside them as ``*.argo.yaml``) and
``tests/fixtures/**`` (expected output in ``tests/golden/``). A first line ``# args: ...`` is
parsed by the real CLI parser (``compile`` options). A pipeline that does not compile has a
``*.err.txt`` golden with its diagnostics instead.

Regenerate with ``make goldens`` (``pytest tests/test_golden.py --update-goldens``); refused when
``CI`` is set, where a missing expected file fails. Review the diff like code.

Invariants checked on every case: compiling twice gives the same bytes; the output validates
against Hera's Argo models (and Argo's JSON Schema when ../shared is present); names are valid.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from polyflow_argo.cli import build_parser
from polyflow_argo.cli.compile import options_from, render
from polyflow_argo.compiler import compile_ir, compile_with_warnings
from polyflow_argo.errors import Diagnostic, PolyflowError, render_text
from polyflow_argo.language.project import PROJECT_FILE
from polyflow_argo.resolve import Pipeline as ResolvedPipeline
from polyflow_argo.translate.check import hera_round_trip, schema_errors
from tests.views.goldens import test_explain_golden, test_graph_golden  # noqa: F401 - graph/explain goldens

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
MISSING = "missing golden {}: run `make goldens` and review the diff"


def _cases() -> list[tuple[str, Path, Path]]:
    cases = []
    for src in sorted((ROOT / "examples").glob("*.yaml")):
        if not src.name.endswith(".argo.yaml") and src.name != PROJECT_FILE:
            cases.append((f"examples/{src.name}", src, src.with_name(src.stem + ".argo.yaml")))
    for src in sorted((ROOT / "tests" / "fixtures").glob("*/*.y*ml")):
        if src.name == PROJECT_FILE:  # the project config of the pipelines beside it (docs/builds.md)
            continue
        out = GOLDEN / src.parent.name / (src.stem + ".argo.yaml")
        cases.append((f"{src.parent.name}/{src.name}", src, out))
    return cases


CASES = _cases()


def compile_case(src: Path) -> tuple[ResolvedPipeline, list[dict[str, object]], list[Diagnostic]]:
    """Compile a golden's source as the CLI would, with the options of its ``# args:`` line."""
    first = src.read_text().splitlines()[0] if src.read_text() else ""
    extra = shlex.split(first[len("# args:"):]) if first.startswith("# args:") else []
    args = build_parser().parse_args(["compile", *extra, str(src.relative_to(ROOT))])
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return compile_ir([args.files[0]], options_from(args))
    finally:
        os.chdir(cwd)


def _compile(src: Path) -> tuple[str, list[dict[str, object]] | None]:
    try:
        _, docs, warnings = compile_case(src)
    except PolyflowError as exc:
        return "# error\n" + render_text(exc.diagnostics) + "\n", None
    text = render(docs, "yaml")
    if warnings:
        text = "".join(f"# {line}\n" for line in render_text(warnings).splitlines()) + text
    return text, docs


def _updating(request: pytest.FixtureRequest) -> bool:
    """``--update-goldens`` given (refused in CI, where goldens are only compared)."""
    if not request.config.getoption("--update-goldens"):
        return False
    if os.environ.get("CI"):
        pytest.fail("--update-goldens is refused in CI: regenerate locally and commit the diff")
    return True


def _expect(target: Path, text: str, request: pytest.FixtureRequest) -> None:
    if _updating(request):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    assert target.exists(), MISSING.format(target.relative_to(ROOT))
    assert target.read_text() == text


@pytest.mark.parametrize("case,src,expected", CASES, ids=[c[0] for c in CASES])
def test_golden(case: str, src: Path, expected: Path, request: pytest.FixtureRequest) -> None:
    text, docs = _compile(src)
    assert _compile(src)[0] == text, "compiling twice must give the same bytes"
    err = expected.with_name(expected.name.replace(".argo.yaml", ".err.txt"))
    target, other = (expected, err) if docs is not None else (err, expected)
    if _updating(request):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if other.exists():
            other.unlink()
    assert target.exists(), MISSING.format(target.relative_to(ROOT))
    assert not other.exists(), f"stale golden {other.relative_to(ROOT)}"
    assert target.read_text() == text
    if docs is not None:
        _invariants(docs)


def _cron_invariants(spec: dict[str, object]) -> None:
    """Every entry parses as Argo reads it; the guard is one expression tag."""
    from polyflow_argo.resolve.cronexpr import CRD_PATTERN, parse

    for entry in spec.get("schedules") or [spec.get("schedule")]:  # type: ignore[union-attr]
        assert isinstance(entry, str) and CRD_PATTERN.match(entry)
        if not entry.startswith("@every"):
            parse(entry)
    when = spec.get("when")
    assert when is None or (isinstance(when, str) and when.startswith("{{=") and when.endswith("}}"))


def _invariants(docs: list[dict[str, object]]) -> None:
    name = re.compile(r"^[a-z][-a-z0-9]*$")
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            continue
        assert hera_round_trip(doc) == []  # type: ignore[arg-type]
        spec = doc["spec"]  # type: ignore[index]
        if doc["kind"] == "CronWorkflow":
            assert len(doc["metadata"]["name"]) <= 52  # type: ignore[index]
            _cron_invariants(spec)  # type: ignore[arg-type]
            spec = spec["workflowSpec"]  # type: ignore[index]
        templates = spec["templates"]  # type: ignore[index]
        names = [t["name"] for t in templates]
        assert len(names) == len(set(names))
        for template in templates:
            assert name.match(template["name"])
            for task in template.get("dag", {}).get("tasks", []):
                assert name.match(task["name"]) and len(task["name"]) <= 63


@pytest.mark.parametrize("case,src,expected", CASES, ids=[c[0] for c in CASES])
def test_golden_matches_argo_schema(case: str, src: Path, expected: Path, argo_schema: Path) -> None:
    _, docs = _compile(src)
    if docs is None:
        pytest.skip("does not compile (an error golden)")
    for doc in docs:
        if doc["kind"] != "ConfigMap":
            assert schema_errors(doc, argo_schema) == []  # type: ignore[arg-type]


REGISTRY = ROOT / "examples" / "registry"
REGISTRY_GOLDEN = GOLDEN / "registry" / "examples-registry.argo.yaml"
GROUP_REGISTRY = ROOT / "tests" / "fixtures" / "registry"  # a `kind: group` action
GROUP_REGISTRY_GOLDEN = GOLDEN / "registry" / "group-action.argo.yaml"


def _registry_docs(cluster_scope: bool = False, root: Path = REGISTRY) -> list[dict[str, object]]:
    from polyflow_argo.registry import load_registries
    from polyflow_argo.registry.build import build_registry

    registry = load_registries([root])
    assert registry.problems == []
    docs, warnings = build_registry(registry, cluster_scope=cluster_scope)
    assert warnings == []
    return docs  # type: ignore[return-value]


def test_registry_build_golden(request: pytest.FixtureRequest) -> None:
    """`polyflow-argo registry build examples/registry` → one WorkflowTemplate per version."""
    docs = _registry_docs()
    text = render(docs, "yaml")
    _expect(REGISTRY_GOLDEN, text, request)
    _invariants(docs)
    # every templateRef of the example pipeline points at a template the registry publishes
    published = {(d["metadata"]["name"], "main") for d in docs}  # type: ignore[index]
    _, pipeline = _compile(ROOT / "examples" / "shared-templates.yaml")
    assert pipeline is not None
    tasks = pipeline[0]["spec"]["templates"][0]["dag"]["tasks"]  # type: ignore[index]
    refs = [t["templateRef"] for t in tasks if "templateRef" in t]
    assert len(refs) == 3 and all((r["name"], r["template"]) in published for r in refs)


def test_registry_group_action_publishes_every_template(request: pytest.FixtureRequest) -> None:
    """A group action publishes its DAG as `main` plus the trial and best-pick templates it calls."""
    docs = _registry_docs(root=GROUP_REGISTRY)
    _expect(GROUP_REGISTRY_GOLDEN, render(docs, "yaml"), request)
    (doc,) = docs
    templates = doc["spec"]["templates"]  # type: ignore[index]
    names = [t["name"] for t in templates]  # type: ignore[index]
    assert names[0] == "main" and len(names) == 3 and len(set(names)) == 3
    called = {task["template"] for t in templates for task in t.get("dag", {}).get("tasks", [])}  # type: ignore[union-attr]
    assert called and called <= set(names) - {"main"}


@pytest.mark.parametrize("root", [REGISTRY, GROUP_REGISTRY], ids=["examples", "group-action"])
@pytest.mark.parametrize("cluster_scope", [False, True])
def test_registry_templates_match_argo_schema(argo_schema: Path, cluster_scope: bool, root: Path) -> None:
    for doc in _registry_docs(cluster_scope, root):
        assert doc["kind"] == ("ClusterWorkflowTemplate" if cluster_scope else "WorkflowTemplate")
        assert hera_round_trip(doc) == []  # type: ignore[arg-type]
        assert schema_errors(doc, argo_schema) == []  # type: ignore[arg-type]


# The fixtures' and examples' scheduled pipelines whose templates build from a dockerfile do not
# compile until image builds exist (issue [5/6]); to show their CronWorkflows now, these goldens
# compile each with that one line replaced by a prebuilt image. Everything else is the file as is.
SCHEDULED = [
    ("polyaxon-0.5.6/simple_cron_pipeline.yml", "build: {'dockerfile': 'Dockerfile'}"),
    ("polyaxon-0.5.6/simple_recurrent_pipeline.yml", "build: {'dockerfile': 'Dockerfile'}"),
    ("worked/ex3-bounded-cron.yaml", "build: {dockerfile: docker/Dockerfile.train, context: .}"),
    ("examples/seed.yaml", "build: {dockerfile: dockerfiles/Dockerfile}"),
]


def _prebuilt(case: str, build_line: str) -> tuple[list[dict[str, object]], list[object]]:
    src = ROOT / case if case.startswith("examples/") else ROOT / "tests" / "fixtures" / case
    text = src.read_text()
    assert text.count(build_line) == 1
    prebuilt = "build: {image: 'registry.example.com/prebuilt:1.0'}"
    return compile_with_warnings(text.replace(build_line, prebuilt))


@pytest.mark.parametrize("case,build_line", SCHEDULED, ids=[c[0] for c in SCHEDULED])
def test_scheduled_golden_with_prebuilt_image(
    case: str, build_line: str, request: pytest.FixtureRequest
) -> None:
    docs, warnings = _prebuilt(case, build_line)
    assert [d["kind"] for d in docs][:1] == ["CronWorkflow"]
    out = "".join(f"# {line}\n" for line in render_text(warnings).splitlines()) + render(docs, "yaml")
    target = GOLDEN / "schedules" / (Path(case).stem + ".argo.yaml")
    _expect(target, out, request)
    _invariants(docs)


@pytest.mark.parametrize("case,build_line", SCHEDULED, ids=[c[0] for c in SCHEDULED])
def test_scheduled_golden_matches_argo_schema(case: str, build_line: str, argo_schema: Path) -> None:
    for doc in _prebuilt(case, build_line)[0]:
        if doc["kind"] != "ConfigMap":
            assert schema_errors(doc, argo_schema) == []  # type: ignore[arg-type]
