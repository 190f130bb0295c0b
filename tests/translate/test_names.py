"""Task/template naming: valid names kept, others made valid, unique and deterministic; the Argo
UI shows the op's own name when Argo accepts it as a node display name."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import polyflow_argo
from polyflow_argo.translate.names import DISPLAY_NAME, EXPR_KEYWORDS, Namer, is_valid

NAMES = st.text(alphabet=st.sampled_from("abcXYZ019_-. "), min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=12, unique=True))
def test_namer_gives_valid_unique_deterministic_names(names: list[str]) -> None:
    first = Namer().assign(names)
    assert first == Namer().assign(list(names))
    assert len(set(first.values())) == len(names)
    for original, name in first.items():
        assert is_valid(name), (original, name)
        assert name not in EXPR_KEYWORDS
        if is_valid(original):
            assert name == original


PIPELINE = """\
version: 1
kind: pipeline
name: renames
ops:
  - {name: Prepare, template: {name: step}}
  - {name: my_op, template: {name: step}, dependencies: [Prepare]}
  - {name: in, template: {name: step}, dependencies: [my_op]}
  - {name: plain, template: {name: other}, dependencies: [in]}
templates:
  - {kind: job, name: step, build: {image: busybox}, run: {cmd: echo hi}}
  - {kind: job, name: other, build: {image: busybox}, run: {cmd: echo other}}
"""


def _compile(version: str = "4") -> dict:
    (wf,) = polyflow_argo.compile(PIPELINE, argo_version=version)
    return wf


def _op_args(wf: dict) -> dict[str, str]:
    tasks = wf["spec"]["templates"][0]["dag"]["tasks"]
    return {
        t["name"]: next(p["value"] for p in t["arguments"]["parameters"] if p["name"] == "polyflow-op")
        for t in tasks
    }


def test_renamed_ops_keep_their_name_in_the_ui() -> None:
    wf = _compile()
    assert json.loads(wf["metadata"]["annotations"]["polyflow.io/op-names"]) == {
        "in-op": "in", "my-op": "my_op", "prepare": "Prepare",
    }
    # `my_op` is no valid display name (Argo would put the node in Error): the task name is shown.
    assert _op_args(wf) == {"prepare": "Prepare", "my-op": "my-op", "in-op": "in", "plain": "plain"}
    assert all(DISPLAY_NAME.match(v) for v in _op_args(wf).values())
    by_name = {t["name"]: t for t in wf["spec"]["templates"]}
    assert by_name["step"]["annotations"] == {
        "workflows.argoproj.io/display-name": "{{inputs.parameters.polyflow-op}}"
    }
    assert "annotations" not in by_name["other"]  # no op of it was renamed: nothing to show


def test_display_names_need_argo_3_7() -> None:
    wf = _compile("3.6")
    assert all("annotations" not in t for t in wf["spec"]["templates"])
    assert "polyflow.io/op-names" in wf["metadata"]["annotations"]
