"""The trigger tables: one ``depends`` form per trigger (translate/dag.py ``TRIGGERS``) and one
meaning per trigger (resolve/rules.py ``TRIGGER_MET``), each keyed by exactly the language's
``Trigger`` literal, and agreeing on every outcome of up to three upstreams.

The argo-sim and e2e semantics suites check the same on Argo's own evaluator; this check runs
without Go, reading ``depends`` as Argo defines its terms (``t`` = Succeeded, Skipped or Daemoned).
"""

from __future__ import annotations

import itertools
import re
from typing import get_args

import pytest

from polyflow_argo.language.op import Trigger, needs_upstream
from polyflow_argo.resolve.rules import STATE, TRIGGER_MET
from polyflow_argo.translate.dag import TRIGGERS, trigger_expression

PHASES = ("Succeeded", "Failed", "Error", "Omitted", "Skipped")
_TERM = re.compile(r"!?\b(t\d)(?:\.(Succeeded|Failed|Errored|Skipped))?\b")


def test_every_trigger_of_the_language_has_one_depends_form_and_one_meaning() -> None:
    assert set(TRIGGERS) == set(get_args(Trigger))
    assert set(TRIGGER_MET) == set(get_args(Trigger))


def test_only_one_star_triggers_need_an_upstream() -> None:
    assert {t for t in get_args(Trigger) if needs_upstream(t)} == {"one_succeeded", "one_failed", "one_done"}


def _holds(expression: str, phases: dict[str, str]) -> bool:
    def term(match: re.Match[str]) -> str:
        task, field = match.group(1), match.group(2)
        phase = phases[task]
        if field is None:
            value = phase in ("Succeeded", "Skipped")  # no task here is a daemon
        else:
            value = phase == {"Errored": "Error"}.get(field, field)
        negated = match.group(0).startswith("!")
        return str(value != negated)

    python = _TERM.sub(term, expression).replace("&&", " and ").replace("||", " or ")
    leftover = python.replace("True", " ").replace("False", " ").replace("(", " ").replace(")", " ")
    assert set(leftover.split()) <= {"and", "or"}, python
    return bool(eval(python))  # noqa: S307 - only True/False/and/or/parentheses remain (asserted)


@pytest.mark.parametrize("trigger", sorted(get_args(Trigger)))
@pytest.mark.parametrize("count", [1, 2, 3])
def test_depends_form_means_what_the_rules_say(trigger: str, count: int) -> None:
    tasks = [f"t{i}" for i in range(count)]
    expression = trigger_expression(trigger, tasks, skip_propagates=False)
    for outcome in itertools.product(PHASES, repeat=count):
        phases = dict(zip(tasks, outcome, strict=True))
        states = ["succeeded" if p == "Skipped" else STATE[p] for p in outcome]  # a skip counts as success
        assert _holds(expression, phases) == TRIGGER_MET[trigger](states), (trigger, outcome, expression)
