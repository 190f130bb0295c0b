"""Text → plain data plus a position index.

``parse`` reads YAML and JSON (PyYAML's C loader reads both) into the plain ``data`` and
a path → :class:`Span` index. Keys get their own span, so "unknown field" errors point at the key
and "bad value" errors at the value. Two paths build the same result: a fast one straight from
libyaml's events (and Python's json for a ``.json`` file) for the common document, and the
composing one (nodes with marks, walked once) for anchors, aliases, merge keys, tags, duplicate
keys and every error; whatever the fast path does not take goes through the composing one whole.
``merge`` deep-merges several documents in order, like the original ``rhea.read``: mappings merge
key by key, anything else is replaced by the later file, and each final value keeps its own file.

Every input is bounded before it can cost much (docs/api.md, "Limits"): ``read`` opens regular files
only and at most :func:`max_bytes` of them (``POLYFLOW_MAX_INPUT_BYTES``); the walk stops at
:data:`MAX_DEPTH` levels of nesting and after :data:`MAX_EXPANSION` values added by aliases and merge
keys; only the plain YAML tags are accepted, integers must fit in 64 bits and floats be finite.
Each of these is a :class:`SourceError` at the line of the offending node.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import yaml

from .errors import Diagnostic, SourceError, Span

try:  # pragma: no cover - the C loader is a hard requirement on supported installs
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

PathT = tuple[Any, ...]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
# the only scalar tags a pipeline holds besides str and timestamp: anything else (`!!python/...`,
# `!!binary`, `!custom`) is rejected at its line, as are collection tags other than map and seq
_SCALARS = {
    f"tag:yaml.org,2002:{name}": _CONSTRUCTOR.yaml_constructors[f"tag:yaml.org,2002:{name}"]
    for name in ("null", "bool", "int", "float")
}

# Limits (docs/api.md, "Limits"): what one input may cost before it is rejected at its line.
MAX_BYTES = 4 * 1024 * 1024  # one file or text: 5x the 5,000-op benchmark pipeline
MAX_BYTES_ENV = "POLYFLOW_MAX_INPUT_BYTES"  # raises (or lowers) MAX_BYTES
MAX_DEPTH = 100  # nesting of mappings and lists (libyaml stops at 1,000, Python's stack before that)
MAX_EXPANSION = 1_000_000  # values and merged keys that aliases and merge keys may add to a file
INT64 = (-(2**63), 2**63 - 1)  # what Argo, Kubernetes and JSON consumers carry exactly


def max_bytes() -> int:
    """The size cap on one input: ``POLYFLOW_MAX_INPUT_BYTES`` if set, else :data:`MAX_BYTES`."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return MAX_BYTES
    if not raw.isdigit() or int(raw) <= 0:
        raise SourceError(
            Diagnostic(
                "PF108",
                f"{MAX_BYTES_ENV}={raw!r} is not a positive number of bytes",
                None,
                f"e.g. {MAX_BYTES_ENV}={2 * MAX_BYTES}, or unset it for the default ({MAX_BYTES})",
            )
        )
    return int(raw)


def _too_large(name: str, size: int | str, cap: int) -> SourceError:
    return SourceError(
        Diagnostic(
            "PF108",
            f"{name} is {size} bytes, over the limit of {cap} bytes on one input",
            Span(name, 1, 1, 1, 1),
            f"a pipeline file is far smaller: check the file; to raise the limit set {MAX_BYTES_ENV}",
        )
    )


class YamlTimestamp(str):
    """An unquoted YAML timestamp. Kept as text, but marked so the spec can ask to quote it."""

    __slots__ = ()


class LocatedDoc:
    """Plain data from one or more files, with the span of every value and every key.

    The span index of a parsed file is built on first use (``spans``/``key_spans``), by reading
    the text again: a valid pipeline never needs it, and skipping it makes parsing a large one
    about 30% faster. Indexes are the same either way (tests/language/test_source.py and
    test_parse_fast_path.py check every path).
    """

    __slots__ = ("data", "_spans", "_key_spans", "sources", "warnings", "_index")

    def __init__(
        self,
        data: Any,
        spans: dict[PathT, Any] | None = None,
        key_spans: dict[PathT, Any] | None = None,
        sources: dict[str, str] | None = None,
        warnings: list[Diagnostic] | None = None,
        *,
        index: Callable[[], tuple[dict[PathT, Any], dict[PathT, Any]]] | None = None,
    ) -> None:
        self.data = data
        self._spans = spans if spans is not None or index is not None else {}
        self._key_spans = key_spans if key_spans is not None or index is not None else {}
        self.sources = sources if sources is not None else {}
        self.warnings = warnings if warnings is not None else []
        self._index = index

    def _build_index(self) -> None:
        assert self._index is not None
        self._spans, self._key_spans = self._index()
        self._index = None

    @property
    def spans(self) -> dict[PathT, Any]:
        """path → span of the value (a Span, or a plain tuple turned into one by :meth:`span`)."""
        if self._spans is None:
            self._build_index()
        assert self._spans is not None
        return self._spans

    @property
    def key_spans(self) -> dict[PathT, Any]:
        """path → span of the mapping key that holds the value."""
        if self._key_spans is None:
            self._build_index()
        assert self._key_spans is not None
        return self._key_spans

    def span(self, path: PathT, key: bool = False) -> Span | None:
        """The span of ``path``, or of its deepest existing ancestor."""
        if key and path in self.key_spans:
            return _as_span(self.key_spans[path])
        path = tuple(path)
        while path:
            if path in self.spans:
                return _as_span(self.spans[path])
            path = path[:-1]
        root = self.spans.get(())
        return None if root is None else _as_span(root)

    def get(self, path: PathT) -> Any:
        node = self.data
        for part in path:
            node = node[part]
        return node


def _span(file: str, node: yaml.Node) -> Span:
    return Span(*_mark(file, node))


def _mark(file: str, node: yaml.Node) -> tuple[str, int, int, int, int]:
    s, e = node.start_mark, node.end_mark
    return (file, s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def _as_span(entry: Span | tuple[str, int, int, int, int]) -> Span:
    """Index entries are plain tuples until asked for: building a Span for each of 100,000 values
    of a big pipeline costs more than parsing it (frozen dataclass __init__), and keeping the YAML
    nodes alive instead would make every later garbage collection walk them."""
    return entry if isinstance(entry, Span) else Span(*entry)


class _Walker:
    """Builds plain data from composed nodes, and the path → span indexes when given a path.

    The fast first pass walks with ``path=None``: no path tuple and no span is built at all.
    Errors and warnings are the same in both modes (their spans come from the nodes).

    The walk is bounded: nesting deeper than :data:`MAX_DEPTH`, or more than ``budget`` values and
    merged keys built (aliases and merge keys can multiply a small text: a "billion laughs"), stops
    it with one error at the node where the bound was crossed.
    """

    def __init__(self, file: str, aliases: bool = True, budget: int | None = None) -> None:
        self.file = file
        self.aliases = aliases  # False when the text has no `*`: no alias, so no recursion guard
        self.spans: dict[PathT, Any] = {}
        self.key_spans: dict[PathT, Any] = {}
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self._active: set[int] = set()
        self._budget = budget if aliases else None  # without an alias nothing is expanded
        self._built = 0
        self._depth = 0
        self._stopped = False

    def _error(self, code: str, message: str, node: yaml.Node, hint: str | None) -> None:
        self.errors.append(Diagnostic(code, message, _span(self.file, node), hint))

    def _stop(self, code: str, message: str, node: yaml.Node, hint: str) -> None:
        """A bound was crossed: one error, and every later value is skipped."""
        self._error(code, message, node, hint)
        self._stopped = True

    def _spend(self, node: yaml.Node) -> bool:
        """Count one value (or merged key) against the expansion budget; False once it is spent."""
        if self._budget is None:
            return True
        self._built += 1
        if self._built > self._budget:
            self._stop(
                "PF109",
                f"aliases and merge keys expand this file by more than {MAX_EXPANSION} values",
                node,
                "an anchor used inside anchors multiplies (a \"billion laughs\"): write the values out, "
                "or use fewer levels of aliases",
            )
            return False
        return True

    def _drop(self, path: PathT) -> None:
        n = len(path)
        for index in (self.spans, self.key_spans):
            for p in [p for p in index if p[:n] == path]:
                del index[p]

    def value(self, node: yaml.Node, path: PathT | None) -> Any:
        if self._stopped or not self._spend(node):
            return None
        if path is not None:
            self.spans[path] = _mark(self.file, node)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if self._depth >= MAX_DEPTH:
            self._stop(
                "PF110",
                f"mappings and lists are nested more than {MAX_DEPTH} deep",
                node,
                "a pipeline needs a few levels: flatten the value, or pass deep data as a JSON string",
            )
            return None
        self._depth += 1
        try:
            if not self.aliases:  # no `*alias` in the text: no node can contain itself
                return self.collection(node, path)
            if id(node) in self._active:
                self._error("PF103", "recursive YAML alias", node, "expand the alias by hand")
                return None
            self._active.add(id(node))
            try:
                return self.collection(node, path)
            finally:
                self._active.discard(id(node))
        finally:
            self._depth -= 1

    def collection(self, node: yaml.Node, path: PathT | None) -> Any:
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                return self._bad_tag(node)
            if path is None:
                return [self.value(item, None) for item in node.value]
            return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag != _MAP:
            return self._bad_tag(node)
        return self.mapping(cast(yaml.MappingNode, node), path)  # neither a scalar nor a sequence

    def _bad_tag(self, node: yaml.Node) -> None:
        tag = node.tag
        shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
        self._error(
            "PF112",
            f"unsupported YAML tag {shown}",
            node,
            "remove the tag: a pipeline holds plain strings, numbers, booleans, lists and mappings",
        )

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _TIMESTAMP:
            return YamlTimestamp(node.value)
        construct = _SCALARS.get(tag)
        if construct is None:
            return self._bad_tag(node)
        try:
            value = construct(_CONSTRUCTOR, node)
        except (ValueError, OverflowError):  # e.g. `0x_`, which the int pattern lets through
            self._error("PF111", f"{node.value!r} is not a valid number", node, "quote it if it is text")
            return None
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
            self._error(
                "PF111",
                f"the integer {node.value} does not fit in 64 bits",
                node,
                f"use a value between {INT64[0]} and {INT64[1]}, or quote it if it is text",
            )
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self._error(
                "PF111",
                f"{node.value} is not a finite number",
                node,
                "Argo and JSON carry finite numbers only: write a number, or quote it if it is text",
            )
            return None
        return value

    def _pairs(
        self, node: yaml.MappingNode, merging: tuple[int, ...] = ()
    ) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        for key, value in node.value:
            if key.tag == _MERGE:  # YAML merge key: `<<: *defaults`
                merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for sub in merged:
                    if not isinstance(sub, yaml.MappingNode) or self._stopped:
                        continue
                    if id(sub) in merging or id(sub) == id(node):
                        self._error("PF103", "recursive YAML alias", sub, "expand the alias by hand")
                        continue
                    if len(merging) >= MAX_DEPTH:
                        self._stop("PF110", f"merge keys are nested more than {MAX_DEPTH} deep", sub,
                                   "merge fewer levels of mappings")
                        return
                    for pair in self._pairs(sub, (*merging, id(node))):
                        if not self._spend(pair[0]):
                            return
                        yield pair
                continue
            yield key, value

    def mapping(self, node: yaml.MappingNode, path: PathT | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: dict[str, yaml.Node] = {}  # key → the node of its own (not merged) definition
        pairs = node.value
        merged = any(k.tag == _MERGE for k, _ in pairs)
        merge_keys = {id(k) for k, _ in pairs} if merged else None
        for key_node, value_node in self._pairs(node) if merged else pairs:
            if self._stopped:
                break
            reported = len(self.errors)
            key = self.scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if len(self.errors) > reported:
                continue  # a bad tag or number: already reported
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                hint = "quote it" if isinstance(key_node, yaml.ScalarNode) else None
                self._error("PF102", f"mapping key {shown!r} is not a string", key_node, hint)
                continue
            own = merge_keys is None or id(key_node) in merge_keys
            sub = None if path is None else path + (key,)
            if key in out:
                if own and key in explicit:
                    self.warnings.append(
                        Diagnostic(
                            "PF101",
                            f"duplicate key '{key}': the later value wins",
                            _span(self.file, key_node),
                            f"it is already defined at line {explicit[key].start_mark.line + 1}; remove one",
                            "warning",
                        )
                    )
                    if sub is not None:
                        self._drop(sub)
                if not own:  # a merged default never overrides an explicit key
                    continue
            if own:
                explicit[key] = key_node
            if sub is not None:
                self.key_spans[sub] = _mark(self.file, key_node)
            out[key] = self.value(value_node, sub)
        return out


# The event fast path ------------------------------------------------------------------------------
#
# Most pipelines are plain block YAML: no anchor, alias, merge key, tag, duplicate key, bad number
# or error. For them ``_fast`` builds the data straight from libyaml's event stream, without the
# node tree and the second walk over it (about twice as fast). Scalars are resolved by the
# loader's own resolver and built by the same constructors as ``_Walker.scalar``, so the data and
# the spans are the same (tests/language/test_parse_fast_path.py checks both on generated
# documents and on every example and fixture). Anything else declines (``_NO``) and the whole
# document goes through the composing path, which reports every error and warning as before.


class _Fallback(Exception):
    """The fast path met something only the composing path handles."""


_NO: Any = object()  # "declined": the parsed data itself may be None
_SCALAR_EVENT = yaml.ScalarEvent
_MAP_START, _MAP_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_PLAIN = (True, False)


def _plain(resolve: Callable[..., str], value: str) -> Any:
    """A plain (unquoted, untagged) scalar as ``_Walker.scalar`` builds it; ``_Fallback`` where
    that would report an error or is not a plain value (``<<``, ``=``)."""
    tag = resolve(yaml.ScalarNode, value, _PLAIN)
    if tag == _STR:
        return value
    if tag == _TIMESTAMP:
        return YamlTimestamp(value)
    construct = _SCALARS.get(tag)
    if construct is None:
        raise _Fallback
    try:
        out = construct(_CONSTRUCTOR, yaml.ScalarNode(tag, value))
    except (ValueError, OverflowError):
        raise _Fallback from None
    if isinstance(out, bool) or out is None:
        return out
    if isinstance(out, int) and not INT64[0] <= out <= INT64[1]:
        raise _Fallback
    if isinstance(out, float) and not math.isfinite(out):
        raise _Fallback
    return out


class _Events:
    """Plain data (and, with ``spans``, the span indexes) from one document's events."""

    __slots__ = ("get", "resolve", "file", "spans", "key_spans", "cache")

    def __init__(self, loader: Any, file: str, spans: dict[PathT, Any] | None,
                 key_spans: dict[PathT, Any] | None) -> None:
        self.get: Callable[[], Any] = loader.get_event
        self.resolve: Callable[..., str] = loader.resolve
        self.file = file
        self.spans = spans
        self.key_spans = key_spans
        self.cache: dict[str, Any] = {}  # plain text → value: a pipeline repeats most of its scalars

    def _mark(self, start: Any, end: Any) -> tuple[str, int, int, int, int]:
        s, e = start.start_mark, end.end_mark
        return (self.file, s.line + 1, s.column + 1, e.line + 1, e.column + 1)

    def scalar(self, event: Any) -> Any:
        if event.tag is not None or event.anchor is not None:
            raise _Fallback
        value = event.value
        if not event.implicit[0]:  # quoted or a block scalar: text
            return value
        try:
            return self.cache[value]
        except KeyError:
            out = self.cache[value] = _plain(self.resolve, value)
            return out

    def value(self, event: Any, path: PathT | None, depth: int) -> Any:
        kind = type(event)
        if kind is _SCALAR_EVENT:
            if path is not None:
                assert self.spans is not None
                self.spans[path] = self._mark(event, event)
            return self.scalar(event)
        if kind is not _MAP_START and kind is not _SEQ_START:
            raise _Fallback  # an alias
        if event.tag is not None or event.anchor is not None or depth >= MAX_DEPTH:
            raise _Fallback  # a tag, an anchor, or as deep as the walker reports (PF110)
        if kind is _MAP_START:
            return self.mapping(event, path, depth + 1)
        return self.sequence(event, path, depth + 1)

    def mapping(self, start: Any, path: PathT | None, depth: int) -> dict[str, Any]:
        get, scalar = self.get, self.scalar
        out: dict[str, Any] = {}
        while True:
            event = get()
            kind = type(event)
            if kind is _MAP_END:
                break
            if kind is not _SCALAR_EVENT:
                raise _Fallback  # a collection as a key
            key = scalar(event)
            if not isinstance(key, str) or key in out:
                raise _Fallback  # not a string (PF102), or a duplicate key (PF101)
            item = get()
            if path is None:
                out[key] = scalar(item) if type(item) is _SCALAR_EVENT else self.value(item, None, depth)
            else:
                assert self.key_spans is not None
                sub = path + (key,)
                self.key_spans[sub] = self._mark(event, event)
                out[key] = self.value(item, sub, depth)
        if path is not None:
            assert self.spans is not None
            self.spans[path] = self._mark(start, event)
        return out

    def sequence(self, start: Any, path: PathT | None, depth: int) -> list[Any]:
        get, scalar = self.get, self.scalar
        out: list[Any] = []
        while True:
            event = get()
            kind = type(event)
            if kind is _SEQ_END:
                break
            if path is None:
                out.append(scalar(event) if kind is _SCALAR_EVENT else self.value(event, None, depth))
            else:
                out.append(self.value(event, path + (len(out),), depth))
        if path is not None:
            assert self.spans is not None
            self.spans[path] = self._mark(start, event)
        return out


def _fast(text: str, file: str, spans: dict[PathT, Any] | None, key_spans: dict[PathT, Any] | None) -> Any:
    """The data of ``text`` from its events (filling ``spans``/``key_spans`` when given), or
    ``_NO`` when the document needs the composing path (which then reports what is wrong)."""
    try:
        loader = _Loader(text)
    except UnicodeEncodeError:  # lone surrogates: the composing path says where
        return _NO
    try:
        get = loader.get_event
        get()  # the stream's start
        if type(get()) is not yaml.DocumentStartEvent:
            return _NO  # empty (PF104)
        events = _Events(loader, file, spans, key_spans)
        data = events.value(get(), None if spans is None else (), 0)
        get()  # the document's end
        if type(get()) is not yaml.StreamEndEvent:
            return _NO  # a second document (PF105)
        return data
    except (_Fallback, yaml.YAMLError, UnicodeEncodeError):
        return _NO
    finally:
        loader.dispose()


# JSON: Python's json parser reads the data (with these checks, twice as fast as the events), so
# that it is the data the YAML path would build: numbers, true/false/null and NaN/Infinity are
# resolved as the same plain YAML scalars (so `1e5` stays the text "1e5", as YAML 1.1 reads it),
# and a text YAML might read differently or reject is left to the YAML path: a tab, a carriage
# return, a character YAML does not print or reads as a line break, a surrogate escape, a key
# written over two lines or long enough for libyaml's 1,024-character simple-key limit, a
# duplicate key, nesting deeper than MAX_DEPTH. Spans are built on first use by the YAML path.
_JSON_UNSAFE = (  # compiled on the first .json file (1.7 ms: the character class is large)
    r"[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
    r"|\\u[dD][89a-fA-F]|\"[ \n]*\n[ \n]*:"
    r"|\" {32,}:"  # spaces before a key's colon count against libyaml's 1,024-character simple key
)
_JSON_KEY = 160  # characters: at most 6 of text each (`\uXXXX`) stays under the 1,024 limit


def _fast_json(text: str) -> Any:
    if re.search(_JSON_UNSAFE, text):  # re's cache keeps it compiled
        return _NO
    loader = _Loader("")
    try:
        resolve = loader.resolve
    finally:
        loader.dispose()
    cache: dict[str, Any] = {}

    def plain(value: str) -> Any:
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = _plain(resolve, value)
            return out

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items) or any(len(k) > _JSON_KEY for k in out):
            raise _Fallback
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_float=plain, parse_int=plain,
                          parse_constant=plain)
    except (_Fallback, ValueError, RecursionError):
        return _NO
    return data if _shallow(data) else _NO


def _shallow(data: Any) -> bool:
    """No mapping or list nested :data:`MAX_DEPTH` deep (where the walker reports PF110)."""
    stack = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if items is None:
            continue
        if depth >= MAX_DEPTH:
            return False
        stack.extend((item, depth + 1) for item in items if isinstance(item, (dict, list)))
    return True


def _yaml_error(file: str, exc: yaml.YAMLError, text: str = "") -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    span = Span(file, mark.line + 1, mark.column + 1) if mark is not None else Span(file, 1, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    hint = None
    line = text.splitlines()[mark.line] if mark is not None and mark.line < len(text.splitlines()) else ""
    if "\t" in problem or "tab" in problem or "\t" in line[: (mark.column + 1) if mark is not None else 0]:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "quote values that contain ': '"
    elif "found character '@'" in problem or "found character '`'" in problem:
        hint = "quote the value"
    return Diagnostic("PF100", message, span, hint)


def parse(text: str, file: str = "<string>") -> LocatedDoc:
    """Parse one YAML or JSON document into a :class:`LocatedDoc` (raises :class:`SourceError`)."""
    cap = max_bytes()
    if len(text) > cap or (4 * len(text) > cap and len(text.encode("utf-8", "surrogatepass")) > cap):
        raise _too_large(file, len(text.encode("utf-8", "surrogatepass")), cap)
    enabled = gc.isenabled()
    gc.disable()  # composing allocates ~20 objects a node and creates no cycles: gc only slows it
    try:
        return _parse(text, file)
    finally:
        if enabled:
            gc.enable()


def _parse(text: str, file: str) -> LocatedDoc:
    data = _fast_json(text) if file.endswith(".json") else _NO
    if data is _NO:
        data = _fast(text, file, None, None)
    if data is not _NO:
        return LocatedDoc(data, None, None, {file: text}, [], index=lambda: _index(text, file))
    return _reference(text, file)


def _reference(text: str, file: str) -> LocatedDoc:
    """The composing path: every feature of YAML we accept, and every error with its position."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        if file.endswith(".json"):
            _raise_json(text, file)
        raise SourceError(_yaml_error(file, exc, text)) from None
    except UnicodeEncodeError as exc:  # a str holding lone surrogates (only from the Python API)
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        raise SourceError(
            Diagnostic("PF107", f"the text is not valid Unicode ({exc.reason})", Span(file, line, column),
                       "pass text decoded from UTF-8")
        ) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise SourceError(
            Diagnostic("PF104", "the file is empty", Span(file, 1, 1), "start with `version: 1`")
        )
    if len(nodes) > 1:
        span = _span(file, nodes[1])
        raise SourceError(
            Diagnostic(
                "PF105", "a pipeline file holds one YAML document", span, "remove the extra `---` document"
            )
        )
    aliases = "*" in text
    walker = _Walker(file, aliases=aliases, budget=len(text) + MAX_EXPANSION)
    data = walker.value(nodes[0], None)
    del nodes
    if walker.errors:
        raise SourceError(walker.errors)
    return LocatedDoc(data, None, None, {file: text}, walker.warnings, index=lambda: _index(text, file))


def _index(text: str, file: str) -> tuple[dict[PathT, Any], dict[PathT, Any]]:
    """The span indexes of a text that :func:`parse` already accepted (second, tracking walk)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        spans: dict[PathT, Any] = {}
        key_spans: dict[PathT, Any] = {}
        if _fast(text, file, spans, key_spans) is not _NO:
            return spans, key_spans
        walker = _Walker(file)
        try:
            root = yaml.compose(text, Loader=_Loader)
        except (yaml.YAMLError, RecursionError):
            root = None  # a JSON text YAML reads differently: no positions, never an internal error
        if root is None:
            whole = (file, 1, 1, 1, 1)
            return {(): whole}, {}  # every diagnostic then points at the file's start
        walker.value(root, ())
        return walker.spans, walker.key_spans
    finally:
        if enabled:
            gc.enable()


def _raise_json(text: str, file: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            Diagnostic("PF100", f"invalid JSON: {exc.msg}", Span(file, exc.lineno, exc.colno))
        ) from None
    except RecursionError:  # nested deeper than json can: the YAML error says where
        pass


# Reading: regular files and streams only, at most max_bytes() ------------------------------------


def read(path: str | Path) -> LocatedDoc:
    """Read and parse one file (raises :class:`SourceError`)."""
    return parse(read_text(path), str(path))


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a regular file of at most :func:`max_bytes` (raises :class:`SourceError`).

    The file is opened without blocking and checked with ``fstat`` before any byte is read: a FIFO,
    a device (a symlink to ``/dev/zero``) or a socket is refused instead of hanging or filling memory.
    """
    p = Path(path)
    name = str(path)
    cap = max_bytes()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise SourceError(Diagnostic("PF106", f"no such file: {p}", None)) from None
    except IsADirectoryError:
        raise SourceError(Diagnostic("PF106", f"{p} is a directory, not a pipeline file", None)) from None
    except OSError as exc:
        raise SourceError(Diagnostic("PF106", f"cannot read {p}: {exc.strerror}", None)) from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):  # opened read-only without complaint; fdopen would refuse it
        os.close(fd)
        raise SourceError(Diagnostic("PF106", f"{p} is a directory, not a pipeline file", None))
    with os.fdopen(fd, "rb") as fh:
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(
                mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
            raise SourceError(
                Diagnostic("PF106", f"{p} is {kind}, not a regular file", Span(name, 1, 1, 1, 1),
                           "pass a file; to read a stream, pipe it to `-` (stdin)")
            )
        if info.st_size > cap:
            raise _too_large(name, info.st_size, cap)
        try:
            data = fh.read(cap + 1)  # the file may grow after fstat
        except OSError as exc:
            raise SourceError(Diagnostic("PF106", f"cannot read {p}: {exc.strerror}", None)) from None
    if len(data) > cap:
        raise _too_large(name, f"over {cap}", cap)
    return decode(data, name)


def read_stream(stream: IO[bytes], name: str = "<stdin>") -> LocatedDoc:
    """Read and parse a stream (the CLI's ``-``), at most :func:`max_bytes` of it."""
    cap = max_bytes()
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise _too_large(name, f"over {cap}", cap)
    return parse(decode(data, name), name)


def decode(data: bytes, name: str) -> str:
    """UTF-8 bytes → text (raises :class:`SourceError` PF107 at the first bad byte)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            Diagnostic("PF107", f"{name} is not UTF-8 text ({exc.reason})", Span(name, line, column),
                       "save the file as UTF-8")
        ) from None


def merge(docs: list[LocatedDoc]) -> LocatedDoc:
    """Deep-merge documents in order (later wins; mappings merge key by key)."""
    if not docs:
        raise ValueError("merge() needs at least one document")
    out = LocatedDoc(
        docs[0].data,
        dict(docs[0].spans),
        dict(docs[0].key_spans),
        dict(docs[0].sources),
        list(docs[0].warnings),
    )
    for doc in docs[1:]:
        out.sources.update(doc.sources)
        out.warnings.extend(doc.warnings)
        out.data = _merge_into(out, doc, (), out.data, doc.data)
    return out


def _merge_into(out: LocatedDoc, doc: LocatedDoc, path: PathT, old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            sub = path + (key,)
            if key in merged:
                merged[key] = _merge_into(out, doc, sub, merged[key], value)
            else:
                _copy_spans(out, doc, sub)
                merged[key] = value
            if sub in doc.key_spans:
                out.key_spans[sub] = doc.key_spans[sub]
        out.spans[path] = doc.spans.get(path, out.spans.get(path))
        return merged
    for index in (out.spans, out.key_spans):
        for p in [p for p in index if p[: len(path)] == path and len(p) > len(path)]:
            del index[p]
    _copy_spans(out, doc, path)
    return new


def _copy_spans(out: LocatedDoc, doc: LocatedDoc, path: PathT) -> None:
    n = len(path)
    for p, s in doc.spans.items():
        if p[:n] == path:
            out.spans[p] = s
    for p, s in doc.key_spans.items():
        if p[:n] == path and len(p) > n:
            out.key_spans[p] = s
