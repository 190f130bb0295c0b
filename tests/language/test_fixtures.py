"""The original project's fixtures and the spec's worked examples give the original's verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

import polyflow_argo

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

# file → None (valid) or (code, line:col) of the reason the original gave
VERDICTS: dict[str, tuple[str, str] | None] = {
    "polyaxon-0.5.6/simple_sequential_pipeline.yml": None,
    "polyaxon-0.5.6/simple_parallel_pipeline.yml": None,
    "polyaxon-0.5.6/simple_dag_pipeline.yml": None,
    "polyaxon-0.5.6/simple_cron_pipeline.yml": None,
    "polyaxon-0.5.6/simple_recurrent_pipeline.yml": None,
    "polyaxon-0.5.6/cyclic_pipeline.yml": ("PF312", "11:19"),  # "graph is not acyclic"
    "polyaxon-0.5.6/pipeline_with_no_ops.yml": ("PF302", "2:1"),  # "it has no ops"
    "polyaxon-0.5.6/pipeline_with_no_templates.yml": ("PF301", "2:1"),  # "it has no templates"
    "polyaxon-0.5.6/pipeline_ops_not_corresponding_to_templates.yml": (
        "PF320",
        "14:22",
    ),  # requires a template
    "worked/ex1-implicit-deps.yaml": None,
    "worked/ex2-diamond.yaml": None,
    "worked/ex3-bounded-cron.yaml": None,
    "worked/ex4-interval-typed.yaml": None,
    # Passes the 2019 validator, but a group without `hptuning.metric` outputs the list of its
    # trials' values, so its metric output wired into a metric input is a type error here
    # (docs/templates.md, "Output types").
    "worked/ex5-build-tune-evaluate.yaml": ("PF338", "10:25"),
    "worked/ex6-distributed.yaml": None,
    "worked/ex7-registry-refs.yaml": None,  # rejected only with --resolve (see below)
    "worked/ex8-conditions.yaml": None,
    "worked/ex9-invalid.yaml": ("PF310", "8:51"),  # "orphan ops {'ghost'}" (+ the other faults)
}


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_verdict(name: str) -> None:
    errors = [d for d in polyflow_argo.lint(FIXTURES / name) if d.severity == "error"]
    expected = VERDICTS[name]
    if expected is None:
        assert errors == []
    else:
        code, pos = expected
        assert (code, pos) in {(d.code, f"{d.span.line}:{d.span.column}") for d in errors if d.span}


def test_registry_refs_are_reported_only_when_resolving() -> None:
    diags = polyflow_argo.lint(FIXTURES / "worked/ex7-registry-refs.yaml", resolve_sources=True)
    # event and action: no registry configured; path: no such file; url: not pinned in polyflow.lock
    assert [d.code for d in diags if d.severity == "error"] == ["PF324", "PF324", "PF323", "PF326"]
    assert polyflow_argo.lint(FIXTURES / "worked/ex7-registry-refs.yaml") == []  # the original's verdict


def test_lint_resolves_registry_references() -> None:
    ok = polyflow_argo.lint(ROOT / "examples/shared-templates.yaml", resolve_sources=True,
                            registries=(str(ROOT / "examples/registry"),))
    assert ok == []
    bad = polyflow_argo.lint(text="""\
version: 1
kind: pipeline
ops:
  - {name: a, template: {action: notify-slak}, params: {channel: c, text: t}}
  - {name: b, template: {action: 'notify-slack:9.9.9'}, params: {channel: c, text: t}}
  - {name: c, template: {action: notify-slack}, params: {channel: 3, text: t, emoj: x}}
""", resolve_sources=True, registries=(str(ROOT / "examples/registry"),))
    got = [(d.code, d.span.line if d.span else 0, d.hint or "") for d in bad if d.severity == "error"]
    assert got[0][:2] == ("PF325", 4) and "did you mean 'notify-slack'" in got[0][2]
    assert got[1][:2] == ("PF325", 5) and "1.0.0, 1.1.0" in got[1][2]
    assert {code for code, line, _ in got[2:]} >= {"PF331"} and all(line == 6 for _, line, _ in got[2:])


def test_original_levels() -> None:
    from polyflow_argo.compiler import resolve_file

    ir = resolve_file(FIXTURES / "polyaxon-0.5.6/simple_dag_pipeline.yml")
    assert [sorted(level) for level in ir.levels] == [
        ["job1"],
        ["experiment1", "experiment2", "experiment3"],
        ["job2"],
    ]


@pytest.mark.parametrize(
    "example",
    sorted(
        p.name
        for p in (ROOT / "examples").glob("*.yaml")
        if ".argo." not in p.name and p.name != "polyflow.yaml"
    ),
)  # a project config
def test_examples_lint_clean(example: str) -> None:
    assert polyflow_argo.lint(ROOT / "examples" / example) == []


def test_load_raises_one_family_with_positions() -> None:
    with pytest.raises(polyflow_argo.PolyflowError) as info:
        polyflow_argo.load(FIXTURES / "worked/ex9-invalid.yaml")
    assert [d.code for d in info.value.errors] == ["PF335", "PF338", "PF336", "PF310"]
    assert all(d.span and d.span.line > 0 for d in info.value.errors)


def test_merge_of_several_files(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    over = tmp_path / "over.yaml"
    base.write_text((ROOT / "examples/diamond.yaml").read_text())
    over.write_text("concurrency: 1\nname: merged\n")
    pipeline = polyflow_argo.load(base, over)
    assert pipeline.concurrency == 1 and pipeline.name == "merged"
