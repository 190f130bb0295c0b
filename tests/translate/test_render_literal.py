"""A literal param's argument text: numbers print as Python's json prints them (the arguments of
every golden depend on it), now without building an encoder per value (translate/params.py)."""

from __future__ import annotations

import enum
import json
import math

from hypothesis import given
from hypothesis import strategies as st

from polyflow_argo.translate.params import render_literal


@given(st.integers() | st.floats(allow_nan=True, allow_infinity=True))
def test_numbers_print_as_json_prints_them(value: float) -> None:
    assert render_literal(value) == json.dumps(value)


def test_edge_numbers() -> None:
    for value in (0, -0.0, 1e16, 1e-7, 2**70, -(2**70), 0.1 + 0.2, math.inf, -math.inf, math.nan):
        assert render_literal(value) == json.dumps(value), value


def test_an_int_subclass_prints_its_number() -> None:
    class Level(enum.IntEnum):
        HIGH = 3

    assert render_literal(Level.HIGH) == json.dumps(Level.HIGH) == "3"


def test_booleans_none_text_and_structures() -> None:
    assert [render_literal(v) for v in (True, False, None, "x y")] == ["true", "false", "", "x y"]
    assert render_literal([1, 2.5, "a"]) == '[1,2.5,"a"]'
    assert render_literal({"k": [True]}) == '{"k":[true]}'
