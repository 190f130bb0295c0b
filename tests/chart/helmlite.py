"""A TEST AID, NOT HELM: renders charts/polyflow-argo with a deliberately small subset of Helm.

There is no ``helm`` on the development machine (Debian ships neither the binary nor helm's Go
library), so the chart tests render the templates with this module. It understands exactly the
constructs the chart uses and **raises** :class:`Unsupported` on anything else, so a template that
grows a construct it does not know can never be rendered silently wrong. CI renders the same chart
with real helm (``helm lint``, ``helm install`` in .github/workflows/e2e-kind.yaml).

Understood (with Go text/template semantics where they matter):

- text with actions ``{{ ... }}``; ``{{-`` / ``-}}`` trim the whitespace before / after;
  ``{{/* comments */}}``;
- ``{{- define "name" -}} ... {{- end }}`` (any file; files starting with ``_`` produce no output);
- ``{{ if PIPE }} ... [{{ else }} ...] {{ end }}`` (Go truthiness: false, 0, "", empty list/map);
- ``{{ range PIPE }}``, ``{{ range $v := PIPE }}``, ``{{ range $k, $v := PIPE }}`` over lists and
  maps (maps in sorted key order, as Go does), ``$`` is the root inside;
- pipelines of ``.Values.a.b``, ``.Release.Name|Namespace|Service``, ``.Chart.Name|Version|AppVersion``,
  ``.``, ``$``, ``$var``, string and integer literals, ``.Files.Glob "pat"`` and ``$.Files.Get $path``,
  and the functions ``include``, ``toYaml``, ``nindent``, ``indent``, ``quote``, ``not``, and Sprig's
  ``prepend LIST VALUE`` (a new list, VALUE first) and ``uniq LIST`` (first occurrences, in order),
  both of which refuse anything but a list, as Sprig's errors do (``.Release.Namespace | prepend
  .Values.list | uniq``: the release namespace plus a values list, without repeats).

Deliberate limits (all raise :class:`Unsupported` or :class:`RenderError`, never guess):

- any other keyword or function (``else if``, ``with``, ``tpl``, ``default``, ``printf``, ``eq``,
  ``required``, parentheses, raw strings, ...);
- a missing key (Helm would print an empty string or ``<no value>``): the values must define it;
- printing ``null``, a map or a list without ``toYaml``, a float, or an integer >= 1,000,000 (Helm
  reads numbers as float64 and would print ``1e+06``);
- ``toYaml`` is PyYAML's ``safe_dump`` with sorted keys: the same data as Helm's, not the same bytes
  (the tests compare parsed YAML);
- ``.Files`` does not apply ``.helmignore``; ``Glob`` supports ``*`` and ``?`` within one path
  segment only.

Values are coalesced like Helm's (maps merged deeply, lists replaced, ``null`` deletes a key) and
validated against ``values.schema.json`` (draft-07) before rendering, as Helm does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator  # type: ignore[import-untyped]


class RenderError(Exception):
    """The template is understood but cannot be rendered (missing key, bad value, bad arity)."""


class Unsupported(RenderError):
    """A construct this test renderer does not implement: never render it approximately."""


# ---------------------------------------------------------------------------------------------
# lexing: text and actions, with trim markers applied


@dataclass
class _Action:
    body: str
    where: str


def _lex(src: str, name: str) -> list[str | _Action]:
    out: list[str | _Action] = []
    pos = 0
    trim_next = False
    while True:
        start = src.find("{{", pos)
        text = src[pos:] if start < 0 else src[pos:start]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if start < 0:
            out.append(text)
            return out
        line = src.count("\n", 0, start) + 1
        where = f"{name}:{line}"
        comment = re.match(r"(- )?/\*", src[start + 2:start + 6])
        if comment:  # Go: a comment is /* ... */ right inside the delimiters (with optional trims)
            close = src.find("*/", start)
            tail = re.match(r"\*/( -)?}}", src[close:]) if close >= 0 else None
            if tail is None:
                raise RenderError(f"{where}: unclosed comment")
            end = close + len(tail.group(0)) - 2
        else:
            end = _find_close(src, start + 2, where)
        inner = src[start + 2:end]
        ltrim = inner[:2] in ("- ", "-\t", "-\n", "-\r")
        rtrim = inner[-2:] in (" -", "\t-", "\n-", "\r-")
        if ltrim:
            text = text.rstrip(" \t\r\n")
            inner = inner[1:]
        if rtrim:
            inner = inner[:-1]
        out.append(text)
        inner = inner.strip()
        if not (inner.startswith("/*") and inner.endswith("*/")):
            out.append(_Action(inner, where))
        trim_next = rtrim
        pos = end + 2


def _find_close(src: str, i: int, where: str) -> int:
    quote = False
    while i < len(src) - 1:
        c = src[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c == "`":
            raise Unsupported(f"{where}: raw strings are not supported")
        elif src.startswith("}}", i):
            return i
        i += 1
    raise RenderError(f"{where}: unclosed action")


# ---------------------------------------------------------------------------------------------
# parsing: a tree of nodes


@dataclass
class _Print:
    pipe: str
    where: str


@dataclass
class _If:
    pipe: str
    where: str
    then: list[Any] = field(default_factory=list)
    orelse: list[Any] = field(default_factory=list)


@dataclass
class _Range:
    names: list[str]
    pipe: str
    where: str
    body: list[Any] = field(default_factory=list)


_KEYWORD = re.compile(r"^(if|else|end|range|define|with|template|block|break|continue)\b\s*(.*)$", re.DOTALL)
_RANGE_VARS = re.compile(r"^(\$[A-Za-z_]\w*)(?:\s*,\s*(\$[A-Za-z_]\w*))?\s*:=\s*(.+)$", re.DOTALL)


def _parse(tokens: list[str | _Action], defines: dict[str, list[Any]], where: str) -> list[Any]:
    root: list[Any] = []
    stack: list[tuple[Any, list[Any]]] = []  # (node or ("define", name), list being filled)
    cur = root
    for tok in tokens:
        if isinstance(tok, str):
            if tok:
                cur.append(tok)
            continue
        m = _KEYWORD.match(tok.body)
        if not m:
            if re.search(r"\$\w*\s*:?=", re.sub(r'"(?:[^"\\]|\\.)*"', '""', tok.body)):
                raise Unsupported(f"{tok.where}: variable assignment outside range: {tok.body!r}")
            cur.append(_Print(tok.body, tok.where))
            continue
        cur = _keyword(m.group(1), m.group(2).strip(), tok.where, cur, stack, defines)
    if stack:
        raise RenderError(f"{where}: unclosed block opened at {getattr(stack[-1][0], 'where', 'define')}")
    return root


def _keyword(kw: str, rest: str, where: str, cur: list[Any], stack: list[tuple[Any, list[Any]]],
             defines: dict[str, list[Any]]) -> list[Any]:
    """Apply one keyword action (if, else, range, define, end) to the block stack; the list to fill next."""
    if kw == "if":
        branch = _If(rest, where)
        cur.append(branch)
        stack.append((branch, cur))
        return branch.then
    if kw == "else":
        if rest:
            raise Unsupported(f"{where}: `else {rest}` is not supported (only a plain else)")
        if not stack or not isinstance(stack[-1][0], _If) or cur is not stack[-1][0].then:
            raise Unsupported(f"{where}: else outside if (range/else is not supported)")
        open_if: _If = stack[-1][0]
        return open_if.orelse
    if kw == "range":
        vm = _RANGE_VARS.match(rest)
        names = [n for n in (vm.group(1), vm.group(2)) if n] if vm else []
        loop = _Range(names, vm.group(3) if vm else rest, where)
        cur.append(loop)
        stack.append((loop, cur))
        return loop.body
    if kw == "define":
        if stack:
            raise RenderError(f"{where}: define must be at the top level")
        dm = re.fullmatch(r'"([^"\\]+)"', rest)
        if not dm:
            raise Unsupported(f"{where}: define needs one quoted name")
        body: list[Any] = []
        stack.append((("define", dm.group(1)), cur))
        defines[dm.group(1)] = body
        return body
    if kw == "end":
        if not stack:
            raise RenderError(f"{where}: end without an open block")
        return stack.pop()[1]
    raise Unsupported(f"{where}: `{kw}` is not supported")


# ---------------------------------------------------------------------------------------------
# evaluation


_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<int>-?\d+)(?![\w.])|(?P<field>(?:\$[A-Za-z_]\w*|\$)?(?:\.[A-Za-z_]\w*)+|\.)'
    r"|(?P<var>\$[A-Za-z_]\w*|\$)|(?P<ident>[A-Za-z_]\w*)|(?P<other>\S))"
)


@dataclass
class _Scope:
    dot: Any
    root: Any
    vars: dict[str, Any]


class _Files:
    """``.Files``: the chart's files outside templates/ (no .helmignore)."""

    def __init__(self, chart: Path) -> None:
        self._chart = chart

    def _all(self) -> list[str]:
        return sorted(p.relative_to(self._chart).as_posix() for p in self._chart.rglob("*")
                      if p.is_file() and p.relative_to(self._chart).parts[0] != "templates")

    def Glob(self, pattern: str) -> dict[str, str]:
        if any(c in pattern for c in "[{}]") or "**" in pattern:
            raise Unsupported(f"Files.Glob: only * and ? are supported, not {pattern!r}")
        rx = re.compile(
            "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in pattern) + r"\Z"
        )
        return {p: self.Get(p) for p in self._all() if rx.match(p)}

    def Get(self, path: str) -> str:
        target = self._chart / path
        return target.read_text() if target.is_file() and path in self._all() else ""


def _to_yaml(value: Any) -> str:
    if value is None:
        return "null"
    return str(yaml.safe_dump(value, sort_keys=True, default_flow_style=False, width=1 << 30)).rstrip("\n")


def _printable(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) >= 1_000_000:
            raise Unsupported(f"{where}: {value} would print as a float64 in exponent form in Helm")
        return str(value)
    if isinstance(value, str):
        return value
    raise RenderError(
        f"{where}: cannot print {type(value).__name__} {value!r} (use toYaml, or fix the value)"
    )


def _quote(value: Any, where: str) -> str:
    text = _printable(value, where)
    if any(ord(c) < 32 or ord(c) > 126 for c in text):
        raise Unsupported(f"{where}: quote of non-ASCII or control characters (Go's %q differs from JSON)")
    return json.dumps(text)


def _prepend(where: str, seq: Any, value: Any) -> list[Any]:
    if not isinstance(seq, list):
        raise RenderError(f"{where}: prepend of {type(seq).__name__}: Sprig's prepend takes a list")
    return [value, *seq]


def _uniq(where: str, seq: Any) -> list[Any]:
    if not isinstance(seq, list):
        raise RenderError(f"{where}: uniq of {type(seq).__name__}: Sprig's uniq takes a list")
    out: list[Any] = []
    for item in seq:
        if not any(type(seen) is type(item) and seen == item for seen in out):  # Sprig: reflect.DeepEqual
            out.append(item)
    return out


def _truthy(value: Any) -> bool:
    return not (value is None or value is False or value == 0 or value in ("", [], {}))


class _Renderer:
    def __init__(self, defines: dict[str, list[Any]]) -> None:
        self.defines = defines
        self.funcs: dict[str, tuple[int, Callable[..., Any]]] = {
            "include": (2, self._include),
            "toYaml": (1, lambda w, v: _to_yaml(v)),
            "nindent": (2, lambda w, n, s: "\n" + _indent(n, s, w)),
            "indent": (2, lambda w, n, s: _indent(n, s, w)),
            "quote": (1, lambda w, v: _quote(v, w)),
            "not": (1, lambda w, v: not _truthy(v)),
            "prepend": (2, _prepend),
            "uniq": (1, _uniq),
        }

    def _include(self, where: str, name: Any, data: Any) -> str:
        if name not in self.defines:
            raise RenderError(f"{where}: include of undefined template {name!r}")
        return self.render(self.defines[name], _Scope(data, data, {}))

    def render(self, nodes: list[Any], scope: _Scope) -> str:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, _Print):
                out.append(_printable(self.pipe(node.pipe, scope, node.where), node.where))
            elif isinstance(node, _If):
                branch = node.then if _truthy(self.pipe(node.pipe, scope, node.where)) else node.orelse
                out.append(self.render(branch, scope))
            else:
                out.append(self._range(node, scope))
        return "".join(out)

    def _range(self, node: _Range, scope: _Scope) -> str:
        seq = self.pipe(node.pipe, scope, node.where)
        if isinstance(seq, dict):
            pairs = [(k, seq[k]) for k in sorted(seq)]
        elif isinstance(seq, list):
            pairs = list(enumerate(seq))
        elif seq is None:
            pairs = []
        else:
            raise RenderError(f"{node.where}: range over {type(seq).__name__}")
        out = []
        for key, value in pairs:
            variables = dict(scope.vars)
            if len(node.names) == 1:
                variables[node.names[0]] = value
            elif len(node.names) == 2:
                variables[node.names[0]], variables[node.names[1]] = key, value
            out.append(self.render(node.body, _Scope(value, scope.root, variables)))
        return "".join(out)

    def pipe(self, text: str, scope: _Scope, where: str) -> Any:
        if "(" in text or ")" in text:
            raise Unsupported(f"{where}: parentheses are not supported: {text!r}")
        commands = _split_pipe(text, where)
        value: Any = _NOTHING
        for i, command in enumerate(commands):
            value = self._command(_tokens(command, where), scope, where, value, first=i == 0)
        return value

    def _command(
        self, toks: list[tuple[str, str]], scope: _Scope, where: str, piped: Any, first: bool
    ) -> Any:
        if not toks:
            raise RenderError(f"{where}: empty command")
        kind, text = toks[0]
        if kind == "ident":
            if text not in self.funcs:
                raise Unsupported(f"{where}: function {text!r} is not supported by this test renderer")
            arity, fn = self.funcs[text]
            args = [self._operand(k, t, scope, where) for k, t in toks[1:]]
            if piped is not _NOTHING:
                args.append(piped)
            if len(args) != arity:
                raise RenderError(f"{where}: {text} takes {arity} arguments, got {len(args)}")
            return fn(where, *args)
        if not first:
            raise Unsupported(f"{where}: only functions may follow a pipe")
        value = self._operand(kind, text, scope, where)
        if callable(value):
            return value(*[self._operand(k, t, scope, where) for k, t in toks[1:]])
        if len(toks) > 1:
            raise RenderError(f"{where}: {text} is not a function and takes no arguments")
        return value

    def _operand(self, kind: str, text: str, scope: _Scope, where: str) -> Any:
        if kind == "str":
            return json.loads(text)
        if kind == "int":
            return int(text)
        if kind == "var":
            return scope.root if text == "$" else _var(scope, text, where)
        if kind == "field":
            if text == ".":
                return scope.dot
            head, _, path = text.partition(".")
            base = scope.dot if head == "" else scope.root if head == "$" else _var(scope, head, where)
            return _walk(base, path.split("."), text, where)
        raise Unsupported(f"{where}: {kind} token {text!r} is not supported")


_NOTHING = object()


def _var(scope: _Scope, name: str, where: str) -> Any:
    if name not in scope.vars:
        raise RenderError(f"{where}: undefined variable {name}")
    return scope.vars[name]


def _walk(base: Any, parts: list[str], text: str, where: str) -> Any:
    value = base
    for part in parts:
        if isinstance(value, dict):
            if part not in value:
                raise RenderError(f"{where}: {text}: no key {part!r} (this renderer refuses missing values)")
            value = value[part]
        elif isinstance(value, _Files) and part in ("Glob", "Get"):
            value = getattr(value, part)
        else:
            raise RenderError(f"{where}: {text}: cannot take {part!r} of {type(value).__name__}")
    return value


def _indent(n: Any, text: Any, where: str) -> str:
    if not isinstance(n, int) or not isinstance(text, str):
        raise RenderError(f"{where}: indent/nindent take an integer and a string")
    pad = " " * n
    return pad + text.replace("\n", "\n" + pad)


def _split_pipe(text: str, where: str) -> list[str]:
    parts, buf, quote, i = [], "", False, 0
    while i < len(text):
        c = text[i]
        if quote and c == "\\":
            buf += text[i:i + 2]
            i += 2
            continue
        if c == '"':
            quote = not quote
        if c == "|" and not quote:
            if text[i:i + 2] == "||":
                raise Unsupported(f"{where}: '||' is not supported")
            parts.append(buf.strip())
            buf = ""
        else:
            buf += c
        i += 1
    parts.append(buf.strip())
    return parts


def _tokens(command: str, where: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(command):
        kind = m.lastgroup
        if kind is None:
            continue
        if kind == "other":
            raise Unsupported(f"{where}: unexpected {m.group(kind)!r} in {command!r}")
        out.append((kind, m.group(kind)))
    return out


# ---------------------------------------------------------------------------------------------
# the chart


def coalesce(base: Any, override: Any) -> Any:
    """Helm's value merge: maps deeply, everything else replaced; an override ``None`` deletes."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = coalesce(out.get(key), value)
        return out
    return override


@dataclass
class Rendered:
    values: dict[str, Any]
    files: dict[str, str]  # template path → rendered text (manifest templates only)
    notes: str

    def manifests(self) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = []
        for path in sorted(self.files):
            for doc in yaml.safe_load_all(self.files[path]):
                if doc is not None:
                    if not isinstance(doc, dict):
                        raise RenderError(f"{path}: a document that is not a mapping: {doc!r}")
                    docs.append(doc)
        return docs


def schema_errors(chart: Path, values: dict[str, Any]) -> list[str]:
    """``path: message`` for each error of the values against values.schema.json (draft-07)."""
    schema = json.loads((chart / "values.schema.json").read_text())
    errors = sorted(Draft7Validator(schema).iter_errors(values), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]


def render_chart(chart: Path, overrides: dict[str, Any] | None = None, release: str = "polyflow",
                 namespace: str = "polyflow") -> Rendered:
    """Render every template of ``chart`` with values.yaml coalesced with ``overrides``."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    values = coalesce(yaml.safe_load((chart / "values.yaml").read_text()) or {}, overrides or {})
    problems = schema_errors(chart, values)
    if problems:
        raise RenderError("values do not match values.schema.json: " + "; ".join(problems))
    defines: dict[str, list[Any]] = {}
    trees = {}
    for path in sorted((chart / "templates").rglob("*")):
        if path.is_file():
            rel = path.relative_to(chart).as_posix()
            trees[rel] = _parse(_lex(path.read_text(), rel), defines, rel)
    root = {
        "Values": values,
        "Release": {
            "Name": release,
            "Namespace": namespace,
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
        },
        "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta["appVersion"]},
        "Files": _Files(chart),
    }
    renderer = _Renderer(defines)
    files, notes = {}, ""
    for rel, tree in trees.items():
        text = renderer.render(tree, _Scope(root, root, {}))
        name = rel.rsplit("/", 1)[-1]
        if name == "NOTES.txt":
            notes = text
        elif not name.startswith("_"):
            files[rel] = text
        elif text.strip():
            raise RenderError(f"{rel}: a partial outside define produced output")
    return Rendered(values, files, notes)


def render_string(src: str, values: dict[str, Any] | None = None, defines_src: str = "") -> str:
    """Render one template text (for the renderer's own tests)."""
    defines: dict[str, list[Any]] = {}
    if defines_src:
        _parse(_lex(defines_src, "_helpers.tpl"), defines, "_helpers.tpl")
    tree = _parse(_lex(src, "t.yaml"), defines, "t.yaml")
    root = {"Values": values or {}, "Release": {"Name": "r", "Namespace": "ns", "Service": "Helm"},
            "Chart": {"Name": "c", "Version": "1.0.0", "AppVersion": "1.0.0"}}
    return _Renderer(defines).render(tree, _Scope(root, root, {}))
