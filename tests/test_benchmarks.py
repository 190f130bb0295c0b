"""The benchmarks still run against this tree (they are not timed here: docs/performance.md).

A refactor of an API they call (translate's options) once left ``bench_compile.py`` failing
before its first figure; this runs every case of each section once, on small pipelines."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_compile  # noqa: E402
import bench_instructions  # noqa: E402


def test_every_stage_case_runs() -> None:
    cases = bench_compile.stage_cases(30)
    assert [label for label, _ in cases][:2] == ["parse", "parse json"]
    for label, run in cases:
        assert run() is not None, label


@pytest.mark.parametrize("stage", ["setup", *bench_instructions.STAGES])
def test_every_instruction_stage_runs(stage: str) -> None:
    bench_instructions.child(stage, 30, 1)


def test_the_cli_section_runs_and_reports_every_ratio() -> None:
    times, ratios = bench_compile.cli(1)
    assert set(ratios) == {key for _, key, _, _ in bench_compile.TARGETS if key.startswith("cli")} | {
        key.removesuffix(" (cpu)") for _, key, _, _ in bench_compile.TARGETS if key.startswith("cli")
    }
    assert all(len(values) == 1 and values[0] > 0 for values in times.values())
