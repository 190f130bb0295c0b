"""``{{ ops.X.outputs.Y }}`` in op params: the task argument is an expression that gives ``""`` when
the producer has no value (a failed group, a Skipped/Omitted op: docs/semantics.md, "Params and
outputs"), the typing of aggregated group outputs (PF338), and the Argo version table."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

import polyflow_argo
from polyflow_argo.translate.dag import output_read
from polyflow_argo.translate.params import reference_tag
from polyflow_argo.translate.target import (
    FEATURES,
    SERIES,
    SUPPORT,
    VERSIONS,
    ArgoTarget,
    Feature,
    features,
)
from tests.support import errors  # (code, line, message) of each error
from tests.translate.argo_expr import substitute

PIPELINE = """\
version: 1
kind: pipeline
name: tune
ops:
  - {{name: search, template: {{name: g}}}}
  - {{name: prep, template: {{name: j}}}}
  - name: report
    template: {{name: r}}
    trigger: all_done
    dependencies: [search, prep]
    params: {{losses: {losses}, note: 'prep said {{{{ ops.prep.outputs.msg }}}}, done'}}
templates:
  - kind: group
    name: g
    outputs: [{{name: loss, type: float}}]
    hptuning:
      matrix: {{lr: {{values: [0.01, 0.1]}}}}
{metric}
    build: {{image: 'python:3.11'}}
    run: {{cmd: 'train --lr={{{{ lr }}}}'}}
  - kind: job
    name: j
    outputs: [{{name: msg, type: str}}]
    build: {{image: 'python:3.11'}}
    run: {{cmd: 'true'}}
  - kind: job
    name: r
    inputs: [{{name: losses, type: {losses_type}}}, {{name: note, type: str}}]
    build: {{image: 'python:3.11'}}
    run: {{cmd: 'echo {{{{ losses }}}} {{{{ note }}}}'}}
"""


def pipeline(
    losses_type: str = "list", metric: str = "", losses: str = "'{{ ops.search.outputs.loss }}'"
) -> str:
    metric = textwrap.indent(metric, "      ") if metric else ""
    return PIPELINE.format(losses_type=losses_type, metric=metric, losses=losses)


def report_arguments(text: str, **options: Any) -> dict[str, str]:
    (wf,) = polyflow_argo.compile(text, **options)
    spec: Any = wf["spec"]
    dag = next(t for t in spec["templates"] if t["name"] == spec["entrypoint"])["dag"]
    task = next(t for t in dag["tasks"] if t["name"] == "report")
    return {p["name"]: p["value"] for p in task["arguments"]["parameters"]}


def test_a_reference_is_an_expression_that_keeps_the_text_around_it() -> None:
    args = report_arguments(pipeline())
    group_read = '(get(get(get(get(tasks, "search"), "outputs"), "parameters"), "loss") ?? \'\')'
    assert args["losses"] == "{{=" + group_read + "}}" == reference_tag("search", "loss")
    # every reference, not only those to groups: a plain job's output reads the same way
    assert args["note"] == "prep said {{=" + output_read("prep", "msg") + "}}, done"
    assert "{{tasks." not in json.dumps(args)


def test_several_references_each_become_an_expression() -> None:
    args = report_arguments(
        pipeline(losses_type="str", losses="'{{ ops.prep.outputs.msg }}/{{ ops.prep.outputs.msg }}.csv'")
    )
    tag = reference_tag("prep", "msg")
    assert args["losses"] == f"{tag}/{tag}.csv"


@pytest.mark.parametrize(
    ("scope", "losses", "note"),
    [
        # the group failed (Argo sets no outputs on a Failed DAG), prep wrote its value
        (
            {"tasks.search.status": "Failed", "tasks.prep.outputs.parameters.msg": "ok"},
            "",
            "prep said ok, done",
        ),
        # both Skipped/Omitted, or a release that puts nothing in the scope for them
        ({}, "", "prep said , done"),
        # values are inserted byte for byte: quotes, backslashes, newlines, braces, JSON
        (
            {
                "tasks.search.outputs.parameters.loss": '["0.31","0.27"]',
                "tasks.prep.outputs.parameters.msg": "it's \"q\" \\ <&> é\n{{x}}",
            },
            '["0.31","0.27"]',
            "prep said it's \"q\" \\ <&> é\n{{x}}, done",
        ),
    ],
)
def test_the_argument_has_a_value_in_every_outcome(scope: dict[str, str], losses: str, note: str) -> None:
    """tests/translate/argo_expr.py models Argo's evaluation and insertion of the tag; the same
    texts were run through Argo's template code at v3.5.14, v3.6.18, v3.7.18 and v4.0.5."""
    args = report_arguments(pipeline())
    assert substitute(args["losses"], {}, scope=scope) == losses
    assert substitute(args["note"], {}, scope=scope) == note


def test_an_aggregated_group_output_is_a_list_for_the_type_check() -> None:
    text = pipeline(losses_type="float")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "losses: '{{ ops.search" in s)
    [(code, at, message)] = errors(text)
    assert (code, at) == ("PF338", line)
    assert "input type float does not match the type list of output 'search.loss'" in message
    assert "no `hptuning.metric`" in message
    report_arguments(pipeline(losses_type="list"))  # a list input takes it


def test_with_a_metric_the_best_trial_keeps_the_declared_type() -> None:
    metric = "metric: {name: loss, optimization: minimize}\n"
    report_arguments(pipeline(losses_type="float", metric=metric))
    [(code, _, message)] = errors(pipeline(losses_type="list", metric=metric))
    assert code == "PF338" and "input type list does not match the type float" in message


def test_an_untyped_aggregated_output_stays_untyped() -> None:
    text = pipeline().replace("outputs: [{name: loss, type: float}]", "outputs: [{name: loss}]")
    text = text.replace("{name: losses, type: list}", "{name: losses}")
    report_arguments(text)


# --- Argo versions ---------------------------------------------------------------------------------


def test_the_cli_choices_are_the_release_series() -> None:
    assert VERSIONS == ("3.5", "3.6", "3.7", "4")
    assert set(SUPPORT) == set(Feature)


def test_the_table_names_exact_releases() -> None:
    assert SUPPORT[Feature.BACKOFF_CAP] == ((3, 7, 0), None)
    assert SUPPORT[Feature.TEMPLATE_DISPLAY_NAME] == ((3, 7, 0), None)
    assert SUPPORT[Feature.SYNC_SINGULAR][1] == SUPPORT[Feature.CRON_SCHEDULE_SINGULAR][1] == (4, 0, 0)
    assert FEATURES["3.5"] == {Feature.CRON_SCHEDULE_SINGULAR, Feature.SYNC_SINGULAR}
    assert FEATURES["4"] == set(Feature) - {Feature.CRON_SCHEDULE_SINGULAR, Feature.SYNC_SINGULAR}
    assert Feature.BACKOFF_CAP not in FEATURES["3.6"] and Feature.BACKOFF_CAP in FEATURES["3.7"]


@pytest.mark.parametrize(("exact", "series"), [("3.5.14", "3.5"), ("3.6.18", "3.6"), ("3.7.0", "3.7"),
                                               ("3.7.18", "3.7"), ("v4.0.5", "4"), ("4.1.2", "4")])
def test_an_exact_release_emits_what_its_series_does(exact: str, series: str) -> None:
    """Every boundary is the first release of a series, so the series choice is exact."""
    assert features(exact) == FEATURES[series]
    assert ArgoTarget(exact).has(Feature.BACKOFF_CAP) == (SERIES[series] >= (3, 7, 0))


@pytest.mark.parametrize("bad", ["3.4.9", "5.0.0", "4.1", "3", "latest"])
def test_unknown_versions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown Argo version"):
        ArgoTarget(bad)


def test_old_targets_get_the_same_reference_form() -> None:
    want = report_arguments(pipeline())
    for version in VERSIONS:
        assert report_arguments(pipeline(), argo_version=version) == want, version
