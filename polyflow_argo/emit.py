"""Manifest dicts → YAML/JSON text (canonical key order, quoting for every YAML reader); atomic
writes are files.py's. docs/output.md describes the format.

The same input always gives the same bytes: keys of Kubernetes objects come first in the
conventional order (apiVersion, kind, metadata, spec), other keys keep the order the translator
built them in.

Quoting: a string is written plain only when every reader reads it back as that string: YAML 1.1
(PyYAML, and the go-yaml v2 that kubectl, Argo CD, Helm and the Argo CLI decode with through
sigs.k8s.io/yaml) and YAML 1.2 (go-yaml v3, the 1.2 core schema). ``reads_as_non_string`` is the
rule; tests/emit/test_go_readers.py checks it against the Go readers themselves.

Two ways to the same bytes: ``to_yaml`` feeds events straight to libyaml's C emitter, deciding the
style of each distinct string once (a cache), which is several times faster on big pipelines than
``to_yaml_reference``, PyYAML's representer and serializer over the same Dumper. The reference is
kept for the tests that prove the two identical, and is what ``to_yaml`` falls back to for a value
that is not plain data (it then raises PyYAML's own error).
"""

from __future__ import annotations

import io
import json
import re
from collections import deque
from collections.abc import Iterable
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

from .files import write_atomic as write_atomic  # re-exported: the CLI writes manifests with them
from .files import write_files as write_files

_BASE: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_HEAD = ("apiVersion", "kind", "metadata", "spec")
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_OPTIONS: dict[str, Any] = {"width": 4096, "allow_unicode": True}

# Plain scalars some reader does not read as a string. PyYAML's own resolver (YAML 1.1 as PyYAML
# implements it) already quotes most; these add what it misses: the rest of YAML 1.1's booleans
# (y, n: go-yaml v2), YAML 1.2 core numbers (0o17, 1e3, -.5), go-yaml's timestamps (2001-1-2) and
# what go-yaml's number parser accepts once it has removed every "_" (Go's strconv: 0X1F, 09, 1_e3).
_WORDS = frozenset((
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL",
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    "<<", "=",
))
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_NUMBER = re.compile(
    r"[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
)
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::?[0-9]{2})?))?)?"
)


def reads_as_non_string(value: str) -> bool:
    """Would a YAML 1.1 or 1.2 reader (PyYAML, go-yaml v2/v3, the 1.2 core schema) read ``value``,
    written plain, as something other than this string (bool, int, float, null, timestamp)?
    Beyond PyYAML's own resolver, which the Dumper applies first."""
    if not value or value in _WORDS:
        return True
    first = value[0]
    if first == ".":
        return _DOT_FLOAT.fullmatch(value) is not None
    if first in "+-0123456789":
        return (_NUMBER.fullmatch(value.replace("_", "")) is not None
                or _TIMESTAMP.fullmatch(value) is not None)
    return False


class _Dumper(_BASE):  # type: ignore[misc]  # _BASE is CSafeDumper (libyaml) or SafeDumper: known at run time
    """Our own SafeDumper: block style, no aliases, literal blocks for multi-line strings, and a
    string is plain only when no reader takes it for another type. Our own class, so importing
    Hera (which patches PyYAML's default representers) cannot change the output."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if tag == _STR and kind is ScalarNode and implicit[0] and reads_as_non_string(value):
            return "tag:yaml.org,2002:non-string"  # not str: the emitter quotes it
        return tag


def _style(value: str) -> str | None:
    return "|" if "\n" in value and not value.endswith((" ", "\t")) and "\r" not in value else None


def _str(dumper: Any, value: str) -> Any:
    return dumper.represent_scalar(_STR, value, style=_style(value))


def _dict(dumper: Any, value: dict[str, Any]) -> Any:
    return dumper.represent_mapping(_MAP, list(value.items()))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)


def canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """Put the Kubernetes header keys first; keep the rest in build order."""
    head = {k: doc[k] for k in _HEAD if k in doc}
    head.update((k, v) for k, v in doc.items() if k not in head)
    return head


def to_yaml(docs: Iterable[dict[str, Any]]) -> str:
    """A YAML stream, one ``---`` document per manifest."""
    scalars = _Scalars()
    return "".join("---\n" + _document(canonical(d), scalars) for d in docs)


def to_yaml_reference(docs: Iterable[dict[str, Any]]) -> str:
    """``to_yaml`` through PyYAML's representer: the same bytes, slower (the reference)."""
    return "".join("---\n" + _represent(canonical(d)) for d in docs)


def _represent(doc: dict[str, Any]) -> str:
    text: str = yaml.dump(doc, Dumper=_Dumper, default_flow_style=False, sort_keys=False, **_OPTIONS)
    return text


class _Unrepresentable(Exception):
    """A value that is not plain data: left to the reference path and its error."""


class _Scalars:
    """The scalar events of one ``to_yaml`` call, one per distinct value: the implicit flags and
    style the reference path would compute (the Dumper's resolver, ``_style``), decided once."""

    def __init__(self) -> None:
        self.dumper = _Dumper(io.StringIO(), **_OPTIONS)
        self.strs: dict[str, ScalarEvent] = {}
        self.ints: dict[int, ScalarEvent] = {}
        self.floats: dict[str, ScalarEvent] = {}
        self.true = self._event("tag:yaml.org,2002:bool", "true")
        self.false = self._event("tag:yaml.org,2002:bool", "false")
        self.null = self._event("tag:yaml.org,2002:null", "null")

    def _event(self, tag: str, text: str, style: str | None = None) -> ScalarEvent:
        plain = self.dumper.resolve(ScalarNode, text, (True, False)) == tag
        quoted = self.dumper.resolve(ScalarNode, text, (False, True)) == tag
        return ScalarEvent(None, tag, (plain, quoted), text, style=style)

    def string(self, value: str) -> ScalarEvent:
        event = self.strs.get(value)
        if event is None:
            event = self.strs[value] = self._event(_STR, value, _style(value))
        return event

    def integer(self, value: int) -> ScalarEvent:
        event = self.ints.get(value)
        if event is None:
            event = self.ints[value] = self._event("tag:yaml.org,2002:int", str(value))
        return event

    def real(self, value: float) -> ScalarEvent:
        key = repr(value)  # not the float: 0.0 == -0.0 and nan != nan
        event = self.floats.get(key)
        if event is None:
            event = self.floats[key] = self._event("tag:yaml.org,2002:float", _float_text(self.dumper, value))
        return event


def _float_text(dumper: Any, value: float) -> str:
    node = dumper.represent_float(value)  # SafeRepresenter's text: .nan, .inf, 1.0e+20
    return str(node.value)


def _document(doc: dict[str, Any], scalars: _Scalars) -> str:
    """One document through libyaml's emitter, fed events built here; the reference path's bytes."""
    events: list[Any] = [StreamStartEvent(), DocumentStartEvent(explicit=False)]
    try:
        _events(doc, scalars, events.append)
    except _Unrepresentable:
        return _represent(doc)
    events += [DocumentEndEvent(explicit=False), StreamEndEvent()]
    stream = io.StringIO()
    dumper = _Dumper(stream, **_OPTIONS)
    try:
        deque(map(dumper.emit, events), maxlen=0)  # the loop in C: libyaml does the rest
    finally:
        dumper.dispose()
    return stream.getvalue()


_MAPPING_START = MappingStartEvent(None, _MAP, True, flow_style=False)
_MAPPING_END = MappingEndEvent()
_SEQUENCE_START = SequenceStartEvent(None, _SEQ, True, flow_style=False)
_SEQUENCE_END = SequenceEndEvent()


def _events(root: Any, scalars: _Scalars, add: Any) -> None:
    """The events of ``root`` (plain data: dict, list, tuple, str, int, float, bool, None) in document
    order; types are matched exactly, as PyYAML's SafeRepresenter does. Strings, nearly every
    scalar, are looked up inline (this is the hot loop of a big compile)."""
    strs = scalars.strs
    string = scalars.string
    mapping_start, mapping_end = _MAPPING_START, _MAPPING_END
    sequence_start, sequence_end = _SEQUENCE_START, _SEQUENCE_END

    def walk(value: Any) -> None:
        kind = type(value)
        if kind is str:
            event = strs.get(value)
            add(event if event is not None else string(value))
        elif kind is dict:
            add(mapping_start)
            for k, v in value.items():
                if type(k) is str:
                    event = strs.get(k)
                    add(event if event is not None else string(k))
                else:
                    walk(k)
                if type(v) is str:
                    event = strs.get(v)
                    add(event if event is not None else string(v))
                else:
                    walk(v)
            add(mapping_end)
        elif kind is list or kind is tuple:  # SafeRepresenter writes a tuple as a list
            add(sequence_start)
            for item in value:
                walk(item)
            add(sequence_end)
        elif kind is bool:
            add(scalars.true if value else scalars.false)
        elif kind is int:
            add(scalars.integer(value))
        elif value is None:
            add(scalars.null)
        elif kind is float:
            add(scalars.real(value))
        else:
            raise _Unrepresentable

    walk(root)


def to_json(docs: list[dict[str, Any]], indent: int | None = None) -> str:
    """One object, or a kubectl-style ``List`` when there are several; compact by default (the C
    encoder: 6x faster than indented output on big pipelines). YAML is the format for reading.
    Non-ASCII text is written as is, except the three characters YAML readers take for line breaks
    (U+0085, U+2028, U+2029), written as ``\\uXXXX`` escapes so every YAML reader can read the JSON."""
    body: dict[str, Any]
    if len(docs) == 1:
        body = canonical(docs[0])
    else:
        body = {"apiVersion": "v1", "kind": "List", "items": [canonical(d) for d in docs]}
    sep = (",", ":") if indent is None else (",", ": ")
    # a manifest is a tree (translate never makes a cycle): no cycle check, an id() per container
    text = json.dumps(body, indent=indent, separators=sep, ensure_ascii=False, check_circular=False) + "\n"
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.translate(_YAML_BREAKS)
    return text


# Characters JSON leaves raw but YAML 1.1 parsers (libyaml, PyYAML, go-yaml v2 in sigs.k8s.io/yaml)
# take for line breaks: JSON handed to a YAML parser (sigs.k8s.io/yaml.Unmarshal, yaml.safe_load)
# would fail or change. Escaped, the JSON means the same and every YAML parser reads it.
_YAML_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}
