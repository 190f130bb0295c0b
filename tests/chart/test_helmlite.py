"""tests/chart/helmlite.py, the chart tests' renderer (a test aid, not helm): what it renders, and
that it refuses, rather than approximates, everything it does not implement."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.helmlite import RenderError, Unsupported, coalesce, render_string

VALUES = {
    "n": 3,
    "s": "a b",
    "on": True,
    "off": False,
    "empty": "",
    "m": {"b": 2, "a": [1, "x"]},
    "l": ["p", "q"],
    "el": [],
    "none": None,
    "f": 1.5,
    "big": 1000000,
    "dup": ["ns", "p", "ns", "q", "p"],
    "mixed": [1, True, 1],
}

RENDERS = [
    ("field", "x: {{ .Values.n }}", "x: 3"),
    ("release-chart", "{{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Chart.AppVersion }}", "r/ns/1.0.0"),
    ("left-trim", "a\n  {{- .Values.s }}", "aa b"),
    ("right-trim", "{{ .Values.s -}}  \n b", "a bb"),
    ("comment-trim", "a\n{{- /* note */}}\nb", "a\nb"),
    ("quote", "{{ .Values.s | quote }}", '"a b"'),
    ("bool", "{{ .Values.on }} {{ .Values.off }}", "true false"),
    ("if-else", "{{ if .Values.off }}y{{ else }}n{{ end }}{{ if .Values.m }}Y{{ end }}", "nY"),
    ("if-empty-string", "{{ if .Values.empty }}y{{ else }}n{{ end }}", "n"),
    ("not", "{{ if not .Values.empty }}y{{ end }}", "y"),
    ("toYaml-nindent", "k:\n  {{- toYaml .Values.m | nindent 2 }}", "k:\n  a:\n  - 1\n  - x\n  b: 2"),
    ("indent", "{{ .Values.s | indent 2 }}", "  a b"),
    ("range-list", "{{ range .Values.l }}[{{ . }}]{{ end }}", "[p][q]"),
    ("range-map-sorted", "{{ range $k, $v := .Values.m }}{{ $k }};{{ end }}", "a;b;"),
    ("range-root", "{{ range .Values.l }}{{ $.Values.n }}{{ end }}", "33"),
    ("range-empty", "{{ range .Values.el }}x{{ end }}.", "."),
    ("include", '{{ include "t" . | nindent 2 }}', "\n  name: r"),
    ("prepend", "{{ range .Values.s | prepend .Values.l }}[{{ . }}]{{ end }}", "[a b][p][q]"),
    ("prepend-empty", "{{ range .Values.s | prepend .Values.el }}[{{ . }}]{{ end }}", "[a b]"),
    ("uniq-keeps-first", "{{ range uniq .Values.dup }}[{{ . }}]{{ end }}", "[ns][p][q]"),
    ("uniq-deep-equal", "{{ range uniq .Values.mixed }}[{{ . }}]{{ end }}", "[1][true]"),
    (
        "namespaces",
        "{{ range $ns := .Release.Namespace | prepend .Values.dup | uniq }}{{ $ns }};{{ end }}",
        "ns;p;q;",
    ),
    ("range-var-root", "{{ range $v := uniq .Values.l }}{{ $v }}{{ $.Release.Name }}{{ end }}", "prqr"),
]


@pytest.mark.parametrize(("src", "out"), [(s, o) for _, s, o in RENDERS], ids=[i for i, _, _ in RENDERS])
def test_renders(src: str, out: str) -> None:
    assert render_string(src, VALUES, '{{- define "t" -}}\nname: {{ .Release.Name }}\n{{- end }}') == out


REFUSED: list[tuple[str, str, type[Exception], str]] = [
    ("printf", '{{ printf "%s" .Values.s }}', Unsupported, "function 'printf'"),
    ("default", '{{ .Values.s | default "x" }}', Unsupported, "function 'default'"),
    ("tpl", "{{ tpl .Values.s . }}", Unsupported, "function 'tpl'"),
    ("eq", '{{ if eq .Values.s "a" }}{{ end }}', Unsupported, "function 'eq'"),
    (
        "else-if",
        "{{ if .Values.on }}{{ else if .Values.off }}{{ end }}",
        Unsupported,
        "`else if .Values.off` is not supported",
    ),
    ("range-string", "{{ range .Values.s }}{{ end }}", RenderError, "range over str"),
    ("with", "{{ with .Values.m }}{{ end }}", Unsupported, "`with`"),
    ("template", '{{ template "t" . }}', Unsupported, "`template`"),
    ("parentheses", "{{ quote (.Values.s) }}", Unsupported, "parentheses"),
    ("raw-string", "{{ quote `x` }}", Unsupported, "raw strings"),
    ("assignment", "{{ $x := 1 }}", Unsupported, "assignment"),
    ("range-else", "{{ range .Values.l }}{{ else }}{{ end }}", Unsupported, "else outside if"),
    ("missing-key", "{{ .Values.nope }}", RenderError, "no key 'nope'"),
    ("print-map", "{{ .Values.m }}", RenderError, "cannot print dict"),
    ("print-null", "{{ .Values.none }}", RenderError, "cannot print NoneType"),
    ("print-float", "{{ .Values.f }}", RenderError, "cannot print float"),
    ("big-int", "{{ .Values.big }}", Unsupported, "exponent form"),
    ("unknown-include", '{{ include "nope" . }}', RenderError, "undefined template 'nope'"),
    ("unclosed-if", "{{ if .Values.on }}x", RenderError, "unclosed block"),
    ("stray-end", "x{{ end }}", RenderError, "end without"),
    ("unclosed-action", "{{ .Values.n", RenderError, "unclosed action"),
    ("arity", "{{ nindent .Values.s }}", RenderError, "nindent takes 2 arguments"),
    ("field-after-pipe", "{{ .Values.s | .Values.n }}", Unsupported, "only functions may follow a pipe"),
    ("prepend-string", "{{ range .Values.n | prepend .Values.s }}{{ end }}", RenderError, "prepend of str"),
    (
        "prepend-null",
        "{{ range .Values.n | prepend .Values.none }}{{ end }}",
        RenderError,
        "prepend of NoneType",
    ),
    ("uniq-map", "{{ range uniq .Values.m }}{{ end }}", RenderError, "uniq of dict"),
    ("print-list", "{{ uniq .Values.l }}", RenderError, "cannot print list"),
    ("prepend-arity", "{{ prepend .Values.l }}", RenderError, "prepend takes 2 arguments"),
]


@pytest.mark.parametrize(
    ("src", "error", "fragment"), [(s, e, f) for _, s, e, f in REFUSED], ids=[i for i, *_ in REFUSED]
)
def test_refuses(src: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error) as info:
        render_string(src, VALUES)
    assert fragment in str(info.value)


@pytest.mark.parametrize(("base", "override", "merged"), [
    ({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}, {"a": {"b": 3, "c": 2}}),
    ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ({"a": {"b": 1, "c": 2}}, {"a": {"c": None}}, {"a": {"b": 1}}),
], ids=["maps-merge", "lists-replace", "null-deletes"])
def test_coalesce_like_helm(base: dict[str, Any], override: dict[str, Any], merged: dict[str, Any]) -> None:
    assert coalesce(base, override) == merged
