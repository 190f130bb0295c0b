"""Text → plain data plus a position index.

``parse`` composes YAML (PyYAML's C loader; JSON is read by the same parser) into nodes with marks
and walks them once, building the plain ``data`` and a path → :class:`Span` index. Keys get their
own span, so "unknown field" errors point at the key and "bad value" errors at the value.
``merge`` deep-merges several documents in order, like the original ``rhea.read``: mappings merge
key by key, anything else is replaced by the later file, and each final value keeps its own file.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import yaml

from .errors import Diagnostic, SourceError, Span

try:  # pragma: no cover - the C loader is a hard requirement on supported installs
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

PathT = tuple[Any, ...]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class YamlTimestamp(str):
    """An unquoted YAML timestamp. Kept as text, but marked so the spec can ask to quote it."""

    __slots__ = ()


class LocatedDoc:
    """Plain data from one or more files, with the span of every value and every key.

    The span index of a parsed file is built on first use (``spans``/``key_spans``), by composing
    the text again: a valid pipeline never needs it, and skipping it makes parsing a large one
    about 30% faster. Indexes are the same either way (tests/spec check both paths).
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
    """

    def __init__(self, file: str, aliases: bool = True) -> None:
        self.file = file
        self.aliases = aliases  # False when the text has no `*`: no alias, so no recursion guard
        self.spans: dict[PathT, Any] = {}
        self.key_spans: dict[PathT, Any] = {}
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self._active: set[int] = set()

    def _drop(self, path: PathT) -> None:
        n = len(path)
        for index in (self.spans, self.key_spans):
            for p in [p for p in index if p[:n] == path]:
                del index[p]

    def value(self, node: yaml.Node, path: PathT | None) -> Any:
        if path is not None:
            self.spans[path] = _mark(self.file, node)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if not self.aliases:  # no `*alias` in the text: no node can contain itself
            return self.collection(node, path)
        if id(node) in self._active:
            self.errors.append(
                Diagnostic(
                    "PF103", "recursive YAML alias", _span(self.file, node), "expand the alias by hand"
                )
            )
            return None
        self._active.add(id(node))
        try:
            return self.collection(node, path)
        finally:
            self._active.discard(id(node))

    def collection(self, node: yaml.Node, path: PathT | None) -> Any:
        if isinstance(node, yaml.SequenceNode):
            if path is None:
                return [self.value(item, None) for item in node.value]
            return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.mapping(cast(yaml.MappingNode, node), path)  # neither a scalar nor a sequence

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _TIMESTAMP:
            return YamlTimestamp(node.value)
        return _CONSTRUCTOR.yaml_constructors.get(tag, _CONSTRUCTOR.__class__.construct_undefined)(
            _CONSTRUCTOR, node
        )

    def _pairs(self, node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        for key, value in node.value:
            if key.tag == _MERGE:  # YAML merge key: `<<: *defaults`
                merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for sub in merged:
                    if isinstance(sub, yaml.MappingNode):
                        yield from self._pairs(sub)
                continue
            yield key, value

    def mapping(self, node: yaml.MappingNode, path: PathT | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        explicit: dict[str, yaml.Node] = {}  # key → the node of its own (not merged) definition
        pairs = node.value
        merged = any(k.tag == _MERGE for k, _ in pairs)
        merge_keys = {id(k) for k, _ in pairs} if merged else None
        for key_node, value_node in self._pairs(node) if merged else pairs:
            key = self.scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                hint = "quote it" if isinstance(key_node, yaml.ScalarNode) else None
                self.errors.append(
                    Diagnostic(
                        "PF102", f"mapping key {shown!r} is not a string", _span(self.file, key_node), hint
                    )
                )
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
    enabled = gc.isenabled()
    gc.disable()  # composing allocates ~20 objects a node and creates no cycles: gc only slows it
    try:
        return _parse(text, file)
    finally:
        if enabled:
            gc.enable()


def _parse(text: str, file: str) -> LocatedDoc:
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        if file.endswith(".json"):
            _raise_json(text, file)
        raise SourceError(_yaml_error(file, exc, text)) from None
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
    walker = _Walker(file, aliases="*" in text)
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
        walker = _Walker(file)
        root = yaml.compose(text, Loader=_Loader)
        assert root is not None, "parse() accepted the text: it holds one document"
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


def read(path: str | Path) -> LocatedDoc:
    """Read and parse one file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(Diagnostic("PF106", f"no such file: {p}", None)) from None
    except IsADirectoryError:
        raise SourceError(Diagnostic("PF106", f"{p} is a directory, not a pipeline file", None)) from None
    except UnicodeDecodeError as exc:
        raise SourceError(Diagnostic("PF107", f"{p} is not UTF-8 text ({exc.reason})", None)) from None
    except OSError as exc:
        raise SourceError(Diagnostic("PF106", f"cannot read {p}: {exc.strerror}", None)) from None
    return parse(text, str(path))


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
