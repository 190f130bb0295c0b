"""Goldens of ``graph`` and ``explain`` for every example (examples/*.yaml).

Collected from tests/test_golden.py (which imports these tests), so the one golden command
``make goldens`` (``pytest tests/test_golden.py --update-goldens``) regenerates them with the
compile goldens, and CI refuses to, in the same way. Each example is resolved exactly as its compile
golden is (``compile_case``: the options of its ``# args:`` line), then:

- ``tests/golden/graph/<example>.mmd`` and ``.dot``: ``polyflow-argo graph`` in each format;
- ``tests/golden/explain/<example>.all-succeed.txt``: ``polyflow-argo explain`` with no outcome given;
- ``tests/golden/explain/<example>.one-fails.txt``: with the first op (in DAG order) Failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from polyflow_argo.views.explain import explain, to_text
from polyflow_argo.views.graph import graph

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = [
    p
    for p in sorted((ROOT / "examples").glob("*.yaml"))
    if not p.name.endswith(".argo.yaml") and p.name != "polyflow.yaml"
]
IDS = [p.stem for p in EXAMPLES]


def _resolved(src: Path):  # type: ignore[no-untyped-def]
    from tests.test_golden import compile_case

    return compile_case(src)[0]


def _expect(target: Path, text: str, request: pytest.FixtureRequest) -> None:
    from tests.test_golden import _expect as expect

    expect(target, text, request)


@pytest.mark.parametrize("fmt,ext", [("mermaid", "mmd"), ("dot", "dot")])
@pytest.mark.parametrize("src", EXAMPLES, ids=IDS)
def test_graph_golden(src: Path, fmt: str, ext: str, request: pytest.FixtureRequest) -> None:
    text = graph(_resolved(src), fmt)
    _expect(GOLDEN / "graph" / f"{src.stem}.{ext}", text, request)


@pytest.mark.parametrize("scenario", ["all-succeed", "one-fails"])
@pytest.mark.parametrize("src", EXAMPLES, ids=IDS)
def test_explain_golden(src: Path, scenario: str, request: pytest.FixtureRequest) -> None:
    ir = _resolved(src)
    outcomes = {} if scenario == "all-succeed" else {ir.levels[0][0]: "Failed"}
    _expect(GOLDEN / "explain" / f"{src.stem}.{scenario}.txt", to_text(explain(ir, outcomes)), request)
