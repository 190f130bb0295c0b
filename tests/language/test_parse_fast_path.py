"""source.parse's fast paths (libyaml events; Python's json for .json) build what the composing
path builds: the same data, of the same types, and the same span of every value and key.

The reference is the composing path with a tracking walk (``_Walker`` over ``yaml.compose``), the
one every error and warning comes from. Whatever the fast paths decline goes through it whole.
"""

from __future__ import annotations

import json
import string
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyflow_argo import source
from polyflow_argo.errors import SourceError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_load import generate  # noqa: E402


def typed(value: Any) -> Any:
    """``value`` with the type of every scalar and key spelt out (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {(type(k).__name__, k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


def reference(text: str, file: str = "p.yaml") -> tuple[Any, dict[Any, Any], dict[Any, Any]]:
    walker = source._Walker(file)
    data = walker.value(yaml.compose(text, Loader=source._Loader), ())
    assert not walker.errors and not walker.warnings, "a reference document must be clean"
    return data, walker.spans, walker.key_spans


def fast(text: str, file: str = "p.yaml") -> tuple[Any, dict[Any, Any], dict[Any, Any]] | None:
    spans: dict[Any, Any] = {}
    key_spans: dict[Any, Any] = {}
    data = source._fast(text, file, spans, key_spans)
    if data is source._NO:
        return None
    untracked = source._fast(text, file, None, None)
    assert typed(untracked) == typed(data), "the untracked pass builds the same data"
    return data, spans, key_spans


def assert_same(text: str, file: str = "p.yaml") -> bool:
    """Both paths agree on ``text``; True when the fast path took it."""
    got = fast(text, file)
    if got is None:
        return False
    data, spans, key_spans = reference(text, file)
    assert typed(got[0]) == typed(data)
    assert got[1] == spans
    assert got[2] == key_spans
    doc = source.parse(text, file)  # the public entry: same data, index built on first use
    assert typed(doc.data) == typed(data) and doc.warnings == []
    assert doc.spans == spans and doc.key_spans == key_spans
    return True


# Every input of the repository -------------------------------------------------------------------

INPUTS = sorted(
    p for pattern in ("examples/**/*", "tests/fixtures/**/*", "tests/golden/**/*") for p in ROOT.glob(pattern)
    if p.suffix in (".yaml", ".yml", ".json") and p.is_file()
)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_both_paths_agree_on_every_example_fixture_and_golden(path: Path) -> None:
    text = path.read_text()
    try:
        list(yaml.compose_all(text, Loader=source._Loader))
    except yaml.YAMLError:
        assert fast(text, str(path)) is None
        return
    walker = source._Walker(str(path))
    nodes = list(yaml.compose_all(text, Loader=source._Loader))
    if len(nodes) != 1:
        assert fast(text, str(path)) is None  # a stream of manifests: the composing path's PF105
        return
    walker.value(nodes[0], ())
    if walker.errors or walker.warnings:
        assert fast(text, str(path)) is None
        return
    took = assert_same(text, str(path))
    assert took or "&" in text or "<<" in text or "!" in text, f"{path}: declined for no reason"


def test_the_examples_take_the_fast_path() -> None:
    examples = sorted(ROOT.glob("examples/*.yaml"))
    assert examples and all(assert_same(p.read_text(), str(p)) for p in examples)


@pytest.mark.parametrize("n_ops", [1, 37, 400])
def test_benchmark_pipelines_take_the_fast_path(n_ops: int) -> None:
    assert assert_same(generate(n_ops))


# Generated documents -----------------------------------------------------------------------------

# plain scalars of every YAML 1.1 form the resolver knows, and look-alikes it does not take
PLAIN = [
    "y", "Y", "n", "N", "yes", "Yes", "NO", "on", "On", "OFF", "off", "true", "True", "FALSE", "false",
    "~", "null", "Null", "NULL", "", "0", "-0", "+12", "017", "0o17", "0x1F", "-0x1f", "0b1010",
    "1_000", "190:20:30", "-1:30", "9223372036854775807", "-9223372036854775808", "1.5", "-1.5e+3",
    "1e5", "1.0e5", "6.8523015e+5", "685.230_15e+03", "190:20:30.15", ".5", "1.", ".inf", "-.Inf",
    "+.INF", "2019-01-01", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
    "2002-12-14", "2019-1-1", "1:2:3:4", "0.0.1", "v1.2", "a b", "héllo", "日本", "x-y_z",
    "ls -la", "$HOME", "{{ inputs.params.x }}", "foo # not a comment?", "1,000", "00", "08",
]
# plain scalars the composing path rejects or treats apart (the fast path must decline them)
DECLINED = ["9223372036854775808", "0x_", ".nan", ".NaN", "1.0e+400", "<<", "=", "0b_", "1_0.0e+999", "-.inf"]

KEY = st.one_of(
    st.text(string.ascii_letters + "_-", min_size=1, max_size=12),
    st.sampled_from(["on", "y", "2019-01-01", "x y", "日本"]),
)


@st.composite
def scalars(draw: st.DrawFn, indent: int) -> str:
    kind = draw(st.sampled_from(["plain", "double", "single", "literal", "folded"]))
    if kind == "plain":
        return draw(st.sampled_from(PLAIN))
    text = draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
    if kind == "double":
        return json.dumps(text, ensure_ascii=draw(st.booleans()))
    if kind == "single":
        return "'" + text.replace("'", "''") + "'"
    lines = draw(st.lists(st.text(string.ascii_letters + " :#-'\"é", max_size=10), min_size=1, max_size=3))
    pad = " " * (indent + 2)
    chomp = draw(st.sampled_from(["", "-", "+"]))
    body = "".join(f"\n{pad}{line}" if line.strip() else "\n" for line in lines)
    return ("|" if kind == "literal" else ">") + chomp + (body if body.strip() else f"\n{pad}x")


def flow(draw: st.DrawFn, depth: int) -> str:
    """A flow collection: plain scalars here avoid `,[]{}` and ': ' (they end a flow scalar)."""
    safe = [p for p in PLAIN if not set(p) & set(",[]{}#:") and p]
    if depth > 2 or draw(st.booleans()):
        keys = draw(st.lists(KEY, max_size=3, unique=True))
        inner = [f"{json.dumps(k)}: {draw(st.sampled_from(safe))}" for k in keys]
        return "{" + ", ".join(inner) + "}"
    items = [draw(st.sampled_from(safe)) if draw(st.booleans()) else flow(draw, depth + 1)
             for _ in range(draw(st.integers(0, 3)))]
    return "[" + ", ".join(items) + "]"


@st.composite
def block(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> str:
    pad = " " * indent
    lines = []
    if draw(st.booleans()) or depth > 3:
        keys = draw(st.lists(KEY, min_size=1, max_size=4, unique=True))
        for key in keys:
            shown = key if key.isidentifier() and draw(st.booleans()) else json.dumps(key)
            choice = draw(st.integers(0, 4)) if depth <= 3 else 0
            if choice <= 1:
                lines.append(f"{pad}{shown}: {draw(scalars(indent))}")
            elif choice == 2:
                lines.append(f"{pad}{shown}: {flow(draw, depth)}")
            else:
                lines.append(f"{pad}{shown}:\n{draw(block(indent + 2, depth + 1))}")
    else:
        for _ in range(draw(st.integers(1, 4))):
            choice = draw(st.integers(0, 3)) if depth <= 3 else 0
            if choice <= 1:
                lines.append(f"{pad}- {draw(scalars(indent + 2))}")
            elif choice == 2:
                lines.append(f"{pad}- {flow(draw, depth)}")
            else:
                lines.append(f"{pad}-\n{draw(block(indent + 2, depth + 1))}")
    return "\n".join(lines)


HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=300, deadline=None, suppress_health_check=HEALTH)
@given(block(), st.sampled_from(["", "\n", "\n\n# end\n", "\n...\n"]),
       st.sampled_from(["", "---\n", "# c\n"]))
def test_generated_block_documents(body: str, tail: str, head: str) -> None:
    text = head + body + tail
    try:
        reference(text)
    except (yaml.YAMLError, AssertionError):  # not a clean document: the fast path must decline it
        assert fast(text) is None
        return
    assert assert_same(text), "a clean document without anchors or tags takes the fast path"


# any JSON-able value, dumped by PyYAML in every style: quoting, line folding, unicode, long lines
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufeff"), max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=HEALTH)
@given(VALUES, st.sampled_from([None, True, False]), st.sampled_from([None, '"', "'", "|", ">"]),
       st.sampled_from([20, 80, 10_000]), st.booleans())
def test_generated_dumps(
    value: Any, flow_style: bool | None, style: str | None, width: int, unicode: bool
) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow_style, default_style=style, width=width,
                          allow_unicode=unicode)
    try:
        reference(text)
    except (yaml.YAMLError, AssertionError):
        assert fast(text) is None
        return
    assert assert_same(text) or "!" in text, "declined only for the tags of a non-plain style"


# JSON --------------------------------------------------------------------------------------------

NUMBERS = ["0", "-0", "12", "-7", "1.5", "-0.0", "1e5", "1E+5", "1.0e+5", "1.0e5", "2.5E-3",
           "9223372036854775807", "123456789.123456789"]


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    value = draw(VALUES)
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2, 0])),
                      separators=draw(st.sampled_from([None, (",", ":"), (" , ", " : ")])))
    if draw(st.booleans()):  # raw number spellings json.dumps never writes
        text = json.dumps({"n": "@", "m": [1, "@"]}).replace('"@"', draw(st.sampled_from(NUMBERS)))
    return text


def json_reference(text: str) -> Any:
    nodes = list(yaml.compose_all(text, Loader=source._Loader))
    assert len(nodes) == 1
    walker = source._Walker("p.json")
    data = walker.value(nodes[0], ())
    assert not walker.errors and not walker.warnings
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=HEALTH)
@given(json_texts())
def test_json_fast_path_builds_what_yaml_builds(text: str) -> None:
    data = source._fast_json(text)
    if data is source._NO:
        return
    assert typed(data) == typed(json_reference(text))
    doc = source.parse(text, "p.json")  # spans on first use, from the YAML path
    walker = source._Walker("p.json")
    walker.value(yaml.compose(text, Loader=source._Loader), ())
    assert doc.spans == walker.spans and doc.key_spans == walker.key_spans


def test_json_fast_path_takes_ordinary_json_and_yaml_numbers_stay_yaml() -> None:
    text = '{"a": [1, 2.5, 1e5, -0, true, null, "x\\u00e9\\n", NaN], "b": {"c": 1.0e+5}}'
    data = source._fast_json(text)
    assert data == {"a": [1, 2.5, "1e5", 0, True, None, "xé\n", "NaN"], "b": {"c": 100000.0}}
    assert typed(data) == typed(json_reference(text))


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}',  # a duplicate: the YAML path warns PF101
    '{"a":\t1}', '{"a": 1}\r\n', '{"a": "\\ud83d\\ude00"}', '{"a"\n: 1}', '{"a": "\u2028"}',
    '{"a": 9223372036854775808}', '[' * 101 + ']' * 101, "", "{",
    '{"' + "k" * 200 + '": 1}',
])
def test_json_fast_path_declines_what_yaml_may_read_otherwise(text: str) -> None:
    assert source._fast_json(text) is source._NO


def test_json_reports_errors_and_warnings_as_before() -> None:
    doc = source.parse('{"a": 1, "a": 2}', "p.json")
    assert [d.code for d in doc.warnings] == ["PF101"] and doc.data == {"a": 2}
    with pytest.raises(SourceError) as err:
        source.parse('{"a": 9223372036854775808}', "p.json")
    assert [d.code for d in err.value.diagnostics] == ["PF111"]


# What the fast path leaves to the composing path -------------------------------------------------

@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n", "a: &x {p: 1}\n", "base: &b {x: 1}\nop:\n  <<: *b\n", "a: !!str 1\n",
    "a: !custom x\n", "a: ! x\n", "!!map {a: 1}\n", "a: 1\na: 2\n", "1: x\n", "on: x\n", "null: x\n",
    "[1]: x\n", "? {a: 1}\n: x\n", "a: 9223372036854775808\n", "a: .nan\n", "a: 0x_\n", "a: =\n",
    "a: 1\n---\nb: 2\n", "", "# only a comment\n", "a: [1\n", "a:\n\tb: 1\n",
    "a:\n" + "[" * 101 + "]" * 101,
])
def test_the_fast_path_declines_what_needs_the_composing_path(text: str) -> None:
    assert fast(text) is None


def test_declined_plain_scalars() -> None:
    for value in DECLINED:
        assert fast(f"a: {value}\n") is None, value


def test_lone_surrogates_are_declined() -> None:
    assert fast("a: \ud800\n") is None


def test_positions_of_a_text_yaml_cannot_read_fall_back_to_the_file_start() -> None:
    """Positions come from the YAML reading of a .json text: should YAML ever refuse a text json
    accepted, the diagnostics point at the file's start instead of failing with an internal error."""
    spans, key_spans = source._index('{"a": [1, }', "p.json")
    assert spans == {(): ("p.json", 1, 1, 1, 1)} and key_spans == {}


def test_spaces_before_a_json_colon_past_libyamls_key_limit_are_refused_as_before() -> None:
    """libyaml reads a key and its colon within 1,024 characters; json has no such limit. The
    fast path hands such a text to the YAML path, which refuses it (PF100), as before."""
    text = '{"version"' + " " * 1100 + ': 1, "kind": "pipeline"}'
    with pytest.raises(SourceError) as caught:
        source.parse(text, "wide.json")
    assert [d.code for d in caught.value.diagnostics] == ["PF100"]
    assert source.parse('{"version"' + " " * 40 + ": 1}", "ok.json").data == {"version": 1}
