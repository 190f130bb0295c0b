"""A Python model of the subset of Argo's expression language (expr-lang v1.17 with Argo's functions,
util/expr/env/env.go in argo-workflows v4) that polyflow-argo emits, and of how Argo inserts an
``{{=...}}`` result into a template (util/template/expression_template.go ``expressionReplaceCore``).

It is a model, checked by hand against the Go code; the e2e suite checks the real controller.
Grammar: ternary ``c ? a : b``, ``==``/``!=``/``in``, ``+`` (string concatenation), calls, member
access ``inputs.parameters['x']``, string literals ('...' and JSON "..."), ``nil``, lists, maps,
``#`` (the element inside ``map``/``filter`` predicates), ``get(map, key)``, ``a ?? b`` and the
identifier ``tasks`` (the DAG scope: ``tasks.<task>.outputs.parameters.<name>`` keys as nested maps,
as Argo's ``expand`` builds them).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<op>==|!=|\?\?|[?:()\[\]{},.+#]))"""
)


def go_json(value: Any) -> str:
    """encoding/json.Marshal: compact, sorted map keys, HTML-escaped, float64 in Go's format."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        if 1e-6 <= abs(value) < 1e21:
            return format(Decimal(repr(value)), "f")
        mantissa, exp = f"{value!r}".replace("E", "e").split("e")
        return f"{mantissa}e{'-' if exp.startswith('-') else '+'}{int(exp.lstrip('+-')):02d}"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ",".join(go_json(k) + ":" + go_json(value[k]) for k in sorted(value)) + "}"


def _int(text: str) -> int:
    assert re.fullmatch(r"[+-]?\d+", text), f"asInt({text!r}) fails in Go"
    return int(text)


_FUNCS = {
    "toJson": go_json,
    "asInt": _int,
    "asFloat": float,
    "trim": lambda s: s.strip(" \t\n\r\v\f"),
    "lower": str.lower,
    "hasPrefix": str.startswith,
    "fromJSON": json.loads,
    "split": lambda s, sep: s.split(sep),
    "replace": lambda s, old, new: s.replace(old, new),  # strings.ReplaceAll
    "get": lambda m, key: m.get(key) if isinstance(m, dict) else None,
}


class _Parser:
    def __init__(self, text: str, params: dict[str, str], scope: dict[str, str] | None = None):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text.rstrip()):
            m = _TOKEN.match(text, pos)
            assert m and m.end() > pos, f"unexpected syntax at {text[pos:]!r}"
            kind = m.lastgroup
            assert kind is not None
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0
        self.params = params
        self.tasks = _nested(scope or {}, "tasks.")
        self.skip = 0  # > 0 inside the branch a ternary does not take (expr evaluates lazily)

    def peek(self) -> str:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        tok = self.tokens[self.i]
        assert expected is None or tok[1] == expected, (tok, expected)
        self.i += 1
        return tok

    def expr(self, item: Any = None) -> Any:
        cond = self.compare(item)
        if self.peek() == "?":
            self.take("?")
            self.skip += not cond
            yes = self.expr(item)
            self.skip -= not cond
            self.take(":")
            self.skip += bool(cond)
            no = self.expr(item)
            self.skip -= bool(cond)
            return yes if cond else no
        return cond

    def compare(self, item: Any) -> Any:
        left = self.coalesce(item)
        op = self.peek()
        if op in ("==", "!=", "in"):
            self.take()
            right = self.coalesce(item)
            return {"==": left == right, "!=": left != right, "in": left in (right or [])}[op]
        return left

    def coalesce(self, item: Any) -> Any:
        out = self.concat(item)
        while self.peek() == "??":
            self.take("??")
            right = self.concat(item)
            out = right if out is None else out
        return out

    def concat(self, item: Any) -> Any:
        out = self.unary(item)
        while self.peek() == "+":
            self.take("+")
            right = self.unary(item)
            if not self.skip:
                assert isinstance(out, str) and isinstance(right, str)
                out += right
        return out

    def unary(self, item: Any) -> Any:
        kind, tok = self.take()
        if kind == "str":
            return json.loads(tok) if tok[0] == '"' else tok[1:-1].replace("\\'", "'")
        if kind == "num":
            return json.loads(tok)
        if tok in ("nil", "#"):
            return None if tok == "nil" else item
        if tok == "(":
            value = self.expr(item)
            self.take(")")
            return value
        if tok in ("[", "{"):
            return self.collection(tok, item)
        if tok == "inputs":
            self.take(".")
            self.take(None)  # parameters
            self.take("[")
            value = self.params[self.expr(item)]
            self.take("]")
            return value
        if tok == "tasks":
            return self.tasks
        if tok in ("map", "filter"):
            return self.predicate(tok, item)
        assert tok in _FUNCS, f"unknown function {tok}"
        self.take("(")
        args = [self.expr(item)]
        while self.peek() == ",":
            self.take(",")
            args.append(self.expr(item))
        self.take(")")
        return None if self.skip else _FUNCS[tok](*args)

    def collection(self, tok: str, item: Any) -> Any:
        out: Any = [] if tok == "[" else {}
        close = "]" if tok == "[" else "}"
        while self.peek() != close:
            value = self.expr(item)
            if tok == "{":
                self.take(":")
                out[value] = self.expr(item)
            else:
                out.append(value)
            if self.peek() == ",":
                self.take(",")
        self.take(close)
        return out

    def predicate(self, tok: str, item: Any) -> Any:
        self.take("(")
        items = self.expr(item)
        self.take(",")
        start, out = self.i, []
        for element in [] if self.skip else items:
            self.i = start
            result = self.expr(element)
            if tok == "map":
                out.append(result)
            elif result:
                out.append(element)
        if self.skip or not items:  # skip the predicate
            self.skip += 1
            self.expr("")
            self.skip -= 1
        self.take(")")
        return out


def _nested(scope: dict[str, str], prefix: str) -> dict[str, Any]:
    """``{"tasks.a.outputs.parameters.x": "1"}`` → ``{"a": {"outputs": {"parameters": {"x": "1"}}}}``."""
    out: dict[str, Any] = {}
    for key, value in scope.items():
        if key.startswith(prefix):
            *path, last = key.removeprefix(prefix).split(".")
            node = out
            for part in path:
                node = node.setdefault(part, {})
            node[last] = value
    return out


def evaluate(expression: str, params: dict[str, str], scope: dict[str, str] | None = None) -> Any:
    """``scope``: the DAG's ``tasks.*`` variables (e.g. ``tasks.a.outputs.parameters.x``)."""
    parser = _Parser(expression, params, scope)
    value = parser.expr()
    assert parser.i == len(parser.tokens), f"trailing tokens in {expression!r}"
    return value


def substitute(
    text: str,
    params: dict[str, str],
    others: dict[str, str] | None = None,
    scope: dict[str, str] | None = None,
) -> str:
    """A template string after Argo's substitution: ``{{inputs.parameters.x}}`` pasted; an
    ``{{=...}}`` tag replaced by json.Marshal(result) without its outer quotes, JSON-unescaped (the
    template is a JSON document when Argo substitutes it). ``others``: tags such as ``workflow.name``;
    ``scope``: the ``tasks.*`` variables an expression reads (a DAG task's arguments)."""

    def tag(m: re.Match[str]) -> str:
        body = m.group(1)
        if body.startswith("="):
            marshaled = go_json(evaluate(body[1:], params, scope))
            if marshaled.startswith('"'):
                return str(json.loads(marshaled))
            return marshaled
        if body in (others or {}):
            return (others or {})[body]
        assert body.startswith("inputs.parameters."), body
        return params[body.removeprefix("inputs.parameters.")]

    return re.sub(r"\{\{(.*?)\}\}", tag, text)
