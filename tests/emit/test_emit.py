"""emit.to_yaml: quoting for every YAML reader (issue 15) and the event-fed fast path, byte for byte
the reference path (issue 16). The Go readers themselves are in test_go_readers.py."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyflow_argo import emit

sys.path.insert(0, str(Path(__file__).parent))
from cases import (  # noqa: E402
    NON_STRINGS,
    PLAIN_STRINGS,
    ROOT,
    TRICKY,
    golden_body,
    golden_docs,
    golden_files,
    tricky_manifest,
)

GOLDENS = golden_files()


def _load(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=yaml.CSafeLoader))


# --- quoting (issue 15) ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", NON_STRINGS)
def test_a_string_some_reader_takes_for_another_type_is_quoted(value: str) -> None:
    text = emit.to_yaml([{"k": value, value: "v"}])
    assert f"k: {value}\n" not in text and f"\n{value}: v\n" not in text, text
    assert _load(text) == [{"k": value, value: "v"}]


@pytest.mark.parametrize("value", [s for s in NON_STRINGS if s])
def test_the_rule_names_every_non_string(value: str) -> None:
    # what PyYAML's resolver does not already quote, reads_as_non_string must catch
    resolved = yaml.SafeDumper(None).resolve(yaml.ScalarNode, value, (True, False))
    assert resolved != "tag:yaml.org,2002:str" or emit.reads_as_non_string(value)


@pytest.mark.parametrize("value", PLAIN_STRINGS)
def test_a_string_every_reader_reads_as_a_string_is_not_flagged(value: str) -> None:
    assert not emit.reads_as_non_string(value)


class _PristineDumper(yaml.CSafeDumper):  # type: ignore[misc]
    """PyYAML's SafeDumper as shipped: importing Hera replaces the str representer of PyYAML's own
    classes in place, so the comparison below pins the original one."""


_PristineDumper.add_representer(str, yaml.representer.SafeRepresenter.represent_str)


def test_the_output_only_gains_quotes_over_pyyaml() -> None:
    """Against PyYAML's own SafeDumper: the same lines, the non-strings quoted now, nothing else."""
    single_line = NON_STRINGS + PLAIN_STRINGS
    doc = {"data": {f"v{i}": v for i, v in enumerate(single_line)},
           "keys": {v: i for i, v in enumerate(single_line)}}
    ours = emit.to_yaml([doc]).splitlines()[1:]
    pyyaml = yaml.dump(doc, Dumper=_PristineDumper, default_flow_style=False, sort_keys=False, width=4096,
                       allow_unicode=True).splitlines()
    assert len(ours) == len(pyyaml)
    changed = [(a, b) for a, b in zip(pyyaml, ours, strict=True) if a != b]
    assert all(b.replace("'", "") == a.replace("'", "") and b.count("'") == a.count("'") + 2
               for a, b in changed)
    resolve = yaml.SafeDumper(None).resolve
    str_tag = "tag:yaml.org,2002:str"
    pyyaml_misses = [v for v in NON_STRINGS if resolve(yaml.ScalarNode, v, (True, False)) == str_tag]
    assert "y" in pyyaml_misses and "1e3" in pyyaml_misses and "0o17" in pyyaml_misses
    assert len(changed) == 2 * len(pyyaml_misses)  # each as a value and as a key


def test_importing_hera_does_not_change_the_output() -> None:
    doc = tricky_manifest()
    before = (emit.to_yaml([doc]), emit.to_yaml_reference([doc]))
    import hera.workflows  # noqa: F401  # patches PyYAML's default str representer

    assert (emit.to_yaml([doc]), emit.to_yaml_reference([doc])) == before


def test_tricky_strings_round_trip_through_pyyaml() -> None:
    doc = tricky_manifest()
    assert _load(emit.to_yaml([doc])) == [emit.canonical(doc)]


# --- the fast path is the reference path (issue 16) -------------------------------------------------


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_golden_is_emitted_byte_for_byte_by_both_paths(golden: Path) -> None:
    docs = golden_docs(golden)
    assert emit.to_yaml(docs) == golden_body(golden)
    assert emit.to_yaml_reference(docs) == golden_body(golden)


def test_the_goldens_are_found() -> None:
    assert len(GOLDENS) >= 30 and any(p.name == "diamond.argo.yaml" for p in GOLDENS)


def test_a_big_pipeline_is_the_same_bytes() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_load import generate

    import polyflow_argo
    from polyflow_argo.translate import CompileOptions

    docs = polyflow_argo.compile(generate(300), CompileOptions(check_limits=False))
    assert emit.to_yaml(docs) == emit.to_yaml_reference(docs)


_KEYS = (st.sampled_from(["name", "image", "args", "value", "y", "on", "1", "0o17", "a b", "k" * 130])
         | st.text(max_size=12))
_SCALARS = (
    st.sampled_from(TRICKY)
    | st.text(max_size=30)
    | st.text(alphabet="0123456789_.:+-eExXoObB ynYN", max_size=10)
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS | st.integers() | st.booleans(), inner,
                                                                  max_size=5),
    max_leaves=40,
)
_MANIFESTS = st.fixed_dictionaries(
    {"apiVersion": st.just("argoproj.io/v1alpha1"), "kind": st.sampled_from(["Workflow", "CronWorkflow"]),
     "metadata": st.fixed_dictionaries({"name": st.text(max_size=10)}),
     "spec": st.dictionaries(_KEYS, _VALUES, max_size=6)}
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MANIFESTS, max_size=3))
def test_generated_manifests_are_the_same_bytes(docs: list[dict[str, Any]]) -> None:
    fast = emit.to_yaml(docs)
    assert fast == emit.to_yaml_reference(docs)
    if not any(isinstance(v, float) and v != v for v in _leaves(docs)):  # nan != nan
        assert _load(fast) == [emit.canonical(d) for d in docs]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _leaves(k) + _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def test_the_scalar_cache_tells_types_apart() -> None:
    # True == 1 == 1.0 and 0.0 == -0.0 in Python: one cache per type, floats keyed by their text
    docs = [{"a": [True, 1, 1.0, "1", False, 0, 0.0, -0.0, "0", None, "null"]}]
    assert emit.to_yaml(docs) == emit.to_yaml_reference(docs)
    assert emit.to_yaml(docs) == (
        "---\na:\n- true\n- 1\n- 1.0\n- '1'\n- false\n- 0\n- 0.0\n- -0.0\n- '0'\n- null\n- 'null'\n"
    )


class _Str(str):
    pass


@pytest.mark.parametrize("value", [("a", ("b",)), b"x", {"a"}, datetime.date(2026, 1, 2)])
def test_a_value_that_is_not_plain_data_goes_the_reference_way(value: Any) -> None:
    docs: list[dict[str, Any]] = [{"a": {"b": 1}}, {"a": {"b": value}}]
    try:
        expected = emit.to_yaml_reference(docs)
    except yaml.representer.RepresenterError:
        with pytest.raises(yaml.representer.RepresenterError):
            emit.to_yaml(docs)
    else:
        assert emit.to_yaml(docs) == expected


@pytest.mark.parametrize("value", [_Str("x"), object(), {1: 2}.keys()])
def test_a_value_that_is_not_plain_data_fails_as_the_reference_does(value: Any) -> None:
    docs = [{"a": {"b": value}}]
    with pytest.raises(yaml.representer.RepresenterError) as fast:
        emit.to_yaml(docs)
    with pytest.raises(yaml.representer.RepresenterError) as ref:
        emit.to_yaml_reference(docs)
    assert str(fast.value) == str(ref.value)


def test_no_documents_is_empty_output() -> None:
    assert emit.to_yaml([]) == emit.to_yaml_reference([]) == ""
