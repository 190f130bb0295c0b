"""source.parse: the fast first pass (no positions) and the lazily built span index agree."""

from __future__ import annotations

import pytest
import yaml

from polyflow_argo import source
from polyflow_argo.errors import SourceError, Span

DOCS = {
    "plain": "a: 1\nb: [x, {c: true}]\n",
    "merge keys": "base: &b {x: 1, y: 2}\nop:\n  <<: *b\n  y: 3\n  z: [*b]\n",
    "merge list": "a: &a {p: 1}\nb: &b {q: 2}\nc:\n  <<: [*a, *b]\n  p: 0\n",
    "duplicate": "a: 1\nb: 2\na: 3\n",
    "star in text, no alias": "cron: '*/5 * * * *'\nx: {y: '*'}\n",
    "timestamp": "at: 2019-01-01T10:00:00\n",
}


@pytest.mark.parametrize("text", list(DOCS.values()), ids=list(DOCS))
def test_fast_pass_data_equals_tracking_walk(text: str) -> None:
    doc = source.parse(text, "p.yaml")
    walker = source._Walker("p.yaml")
    tracked = walker.value(yaml.compose(text, Loader=source._Loader), ())
    assert doc.data == tracked
    assert [d.message for d in doc.warnings] == [d.message for d in walker.warnings]
    assert doc.spans == walker.spans and doc.key_spans == walker.key_spans


def test_index_is_built_on_first_use_only() -> None:
    doc = source.parse("a:\n  b: [1, 2]\n", "p.yaml")
    assert doc._index is not None  # nothing built yet
    assert doc.span(("a", "b", 1)) == Span("p.yaml", 2, 10, 2, 11)
    assert doc.span(("a", "b"), key=True) == Span("p.yaml", 2, 3, 2, 4)
    assert doc._index is None


def test_duplicate_key_warning_names_the_first_line_without_an_index() -> None:
    doc = source.parse("a: 1\nb: 2\na: 3\n", "p.yaml")
    (warning,) = doc.warnings
    assert warning.code == "PF101" and warning.span == Span("p.yaml", 3, 1, 3, 2)
    assert "line 1" in (warning.hint or "")
    assert doc.data == {"a": 3, "b": 2}


def test_recursive_alias_is_an_error() -> None:
    with pytest.raises(SourceError) as err:
        source.parse("a: &x [1, *x]\n", "p.yaml")
    assert [d.code for d in err.value.diagnostics] == ["PF103"]
