"""The benchmarks still run against this tree (they are not timed here: docs/performance.md).

A refactor of an API they call (translate's options) once left ``bench_compile.py`` failing
before its first figure; this runs every case of each section once, on small pipelines."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
STAGES = ("setup", "parse", "parse json", "parse spans", "translate", "emit json", "compile json")


@pytest.fixture(scope="module")
def benches() -> tuple[ModuleType, ModuleType]:
    """bench_compile and bench_instructions, imported from benchmarks/ (sys.path as it was after)."""
    saved = list(sys.path)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_compile
        import bench_instructions
    finally:
        sys.path[:] = saved
    return bench_compile, bench_instructions


def test_every_stage_case_runs(benches: tuple[ModuleType, ModuleType]) -> None:
    cases = benches[0].stage_cases(30)
    assert [label for label, _ in cases][:2] == ["parse", "parse json"]
    for label, run in cases:
        assert run() is not None, label


@pytest.mark.parametrize("stage", STAGES)
def test_every_instruction_stage_runs(benches: tuple[ModuleType, ModuleType], stage: str) -> None:
    assert set(STAGES) == {"setup", *benches[1].STAGES}
    benches[1].child(stage, 30, 1)


def test_the_cli_section_runs_and_reports_every_ratio(benches: tuple[ModuleType, ModuleType]) -> None:
    bench_compile = benches[0]
    times, ratios = bench_compile.cli(1)
    cli_keys = {key for _, key, _, _ in bench_compile.TARGETS if key.startswith("cli")}
    assert set(ratios) == cli_keys | {key.removesuffix(" (cpu)") for key in cli_keys}
    assert all(len(values) == 1 and values[0] > 0 for values in times.values())
