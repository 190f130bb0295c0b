"""Param values → Argo parameter strings, op references → an expression tag reading
``tasks.X.outputs.parameters.Y`` (``""`` when X has no value for it, :func:`reference_tag`),
``{{ name }}`` in ``run.cmd`` → a quoted shell expansion of an environment variable, and
``POLYAXON_PARAMS`` → an Argo expression that builds the JSON from the values.

Argo parameter values are strings: lists and dicts are JSON-encoded, booleans are ``true`` /
``false``, ``is_flag`` inputs render ``--name`` or nothing, a missing optional value is ``""``. A
string the user wrote for a type the original parsed into a structure (``s3_path``, ``uri``, a
comma-separated ``list``, a JSON ``dict`` string, ...) is passed as written, as 0.5.6 rendered it.
Argo has no escape for a literal ``{{`` (argo-semantics.md §9), so such values are rejected.

**Values are data** (docs/semantics.md, "Params and outputs"). Argo pastes a parameter's text
wherever ``{{inputs.parameters.x}}`` appears, so a value pasted into ``bash -c`` text would run as
code. Instead each input is the environment variable ``POLYFLOW_PARAM_<NAME>`` (placed first in the
container's env) and the tag in the command becomes an expansion of it, quoted for the shell
quoting context the tag sits in (:func:`render_command`): the value is exactly one word.

The kubelet expands ``$(VAR)`` in an env value (from the variables before it, ``envFrom``'s
Secrets and ConfigMaps, and service variables) and turns ``$$`` into ``$``, so every env value
filled from a parameter doubles each ``$`` of it (:func:`env_value`): the kubelet's expansion then
gives back the value as it was.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..language.hints import did_you_mean
from ..language.values import TRUE_WORDS
from ..resolve import Node, Param
from .context import TranslateContext
from .dag import output_read

_MOUSTACHE = re.compile(r"\{\{(.*?)\}\}")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")
PARAM_ENV_PREFIX = "POLYFLOW_PARAM_"
PARAMS_ENV = "POLYAXON_PARAMS"


# Built once: json.dumps with non-default arguments builds a new encoder at every call (thousands
# per pipeline).
_NUMBER = json.JSONEncoder().encode
_COMPACT = json.JSONEncoder(separators=(",", ":"), sort_keys=False, default=str).encode


def render_literal(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return int.__repr__(value)  # as json prints it (bool is handled above), without an encoder
    if isinstance(value, float):
        return float.__repr__(value) if math.isfinite(value) else _NUMBER(value)  # NaN, Infinity
    return _COMPACT(value)


def literal_text(param: Param) -> str:
    """The text of a literal param: a string the user wrote is kept as written when the type parses
    it into a structure (``s3_path``/``gcs_path``/``azure_path``/``uri``/``auth`` objects, a
    comma-separated ``list``, a JSON ``dict`` string), as 0.5.6 rendered it; else the parsed value."""
    if isinstance(param.raw, str) and isinstance(param.value, (dict, list)):
        return param.raw
    return render_literal(param.value if param.value is not None or param.raw is None else param.raw)


def argument_value(ctx: TranslateContext, node: Node, param: Param, tasks: dict[str, str]) -> str | None:
    """The string passed as the task argument for ``param`` (None after reporting an error)."""
    io = param.io
    path = param.path
    if not param.refs:  # a literal, as most params are: first
        if io is not None and io.is_flag:
            return f"--{io.name}" if param.value else ""
        return _check_literal(ctx, literal_text(param), path)
    if io is not None and io.is_flag:
        ctx.error(
            "PF430",
            f"input '{param.name}' is a flag, so it cannot take a reference on Argo",
            path,
            "pass a literal true/false",
        )
        return None
    out = []
    last = 0
    raw = str(param.raw)
    for ref in param.refs:
        if ref.entity != "ops":
            ctx.error(
                "PF431",
                f"'{{{{ {ref.text} }}}}' refers to a Polyaxon run outside the pipeline, which Argo "
                "cannot read",
                path,
                "pass the value as a literal, or produce it with an op of this pipeline",
            )
            return None
        out.append(_check_literal(ctx, raw[last:ref.start], path))
        out.append(reference_tag(tasks[ref.target], ref.output))
        last = ref.end
    out.append(_check_literal(ctx, raw[last:], path))
    return "".join(out)


def reference_tag(task: str, output: str) -> str:
    """``{{ ops.X.outputs.Y }}`` in a task argument: an expression tag that Argo replaces with the
    output's value, or ``""`` when the task has none (docs/semantics.md, "Params and outputs").

    Never the simple tag ``{{tasks.X.outputs.parameters.Y}}``: a failed group DAG sets no outputs,
    and Argo's DAG executor (3.7.11+, v4) then requeues a task whose simple tag does not resolve
    forever (the workflow stays Running; earlier releases pass the tag's text on); a Skipped/Omitted
    producer's outputs are ``""`` on v4.0, the declared default or nothing on 3.7.16+ and nothing on
    earlier releases. :func:`.dag.output_read` reads
    the value through ``get`` calls, which the strict check does not see, and ``?? ''`` makes a
    missing value ``""`` on every target; Argo inserts a string result as is (text around the tag
    is kept), so the value reaches the consumer byte for byte."""
    return "{{=" + output_read(task, output) + "}}"


def _check_literal(ctx: TranslateContext, text: str, path: Any) -> str:
    if "{{" in text or "}}" in text:
        ctx.error(
            "PF432",
            "a value contains '{{' or '}}', which Argo would read as a template tag (there is no escape)",
            path,
            "pass such text through a file or a ConfigMap",
        )
    return text


# --- inputs as environment variables --------------------------------------------------------------


def param_env_names(inputs: Sequence[str]) -> dict[str, str]:
    """Input name → its environment variable, ``POLYFLOW_PARAM_<NAME>`` with the name upper-cased and
    every character outside ``[A-Z0-9_]`` made ``_``. Names that meet (``a-b`` and ``a_b``, ``lr``
    and ``LR``) each get ``_<6 hex digits of sha256(name)>`` appended, whatever their order."""
    base = {n: PARAM_ENV_PREFIX + re.sub(r"[^A-Z0-9_]", "_", n.upper()) for n in inputs}
    count: dict[str, int] = {}
    for var in base.values():
        count[var] = count.get(var, 0) + 1
    out: dict[str, str] = {}
    for name, var in base.items():
        if count[var] > 1:
            digest = hashlib.sha256(name.encode()).hexdigest()
            size = 6
            while f"{var}_{digest[:size]}" in base.values() and size < len(digest):
                size += 2
            var = f"{var}_{digest[:size]}"
        out[name] = var
    return out


def param_env(inputs: Sequence[str]) -> list[dict[str, str]]:
    """One env var per input holding its value: they come first in the container's ``env``, because
    Kubernetes expands ``$(VAR)`` in a later env value from the variables defined before it."""
    names = param_env_names(inputs)
    return [{"name": names[n], "value": env_value(f"inputs.parameters['{n}']")} for n in inputs]


def env_value(expression: str) -> str:
    """An env value that is ``expression`` (an Argo expression giving a string) as it is: each ``$``
    doubled, because the kubelet expands ``$(VAR)`` in env values and turns ``$$`` into ``$``
    (Kubernetes' EnvVar.value contract), which gives back the text Argo computed."""
    return "{{=replace(" + expression + ", '$', '$$')}}"


# --- run.cmd: tags → quoted expansions ------------------------------------------------------------

_UNQUOTED = ("top", "paren", "cmdsub", "backtick")  # frames where the shell splits words


def shell_expansion(var: str, context: str, flag: bool) -> str:
    """``${VAR}`` written so it is exactly one word (a flag: no word at all when empty, unquoted)."""
    word = f'"${{{var}}}"'
    if context in _UNQUOTED or context == "comment":
        return f'${{{var}:+{word}}}' if flag else word
    if context in ("dq", "heredoc"):
        return f"${{{var}}}"
    if context == "sq":
        return f"'{word}'"  # close the quote, the expansion, reopen
    assert context == "ansi"
    return f"'{word}$'"


def _tag_at(command: str, i: int) -> re.Match[str] | None:
    return _MOUSTACHE.match(command, i) if command.startswith("{{", i) else None


def _heredoc_delimiter(command: str, i: int) -> tuple[str, bool, bool, int] | None:
    """At ``<<`` (not ``<<<``): (delimiter, strip tabs, quoted, index after the word), or None."""
    j = i + 2
    if command.startswith("<", j):
        return None
    strip = command.startswith("-", j)
    j += 1 if strip else 0
    while j < len(command) and command[j] in " \t":
        j += 1
    word = re.match(r"""(?:[^\s;&|<>()'"\\]|\\.|'[^']*'|"[^"]*")+""", command[j:])
    if word is None:
        return None
    text = word.group(0)
    quoted = any(c in text for c in "'\"\\")
    delim = re.sub(r"""\\(.)|['"]""", lambda m: m.group(1) or "", text)
    return delim, strip, quoted, j + len(text)


Replace = Callable[[re.Match[str], str], str]


def shell_render(command: str, replace: Replace, quoted_heredoc: Callable[[re.Match[str]], None]) -> str:
    """Rewrite each ``{{ ... }}`` of a bash command with ``replace(match, context)``, where context is
    the shell quoting at the tag: ``top``/``paren``/``cmdsub``/``backtick`` (unquoted), ``comment``,
    ``sq`` ('…'), ``dq`` ("…"), ``ansi`` ($'…'), ``heredoc`` (a here-document body that expands).
    A backslash escaping a tag is dropped when unquoted (it escaped the value's first character) and
    kept literal (doubled) inside double quotes, ``$'…'`` and here-documents. A tag in a quoted
    here-document (``<<'EOF'``), where nothing expands, goes to ``quoted_heredoc`` and stays."""
    return _Scanner(command, replace, quoted_heredoc).run()


class _Scanner:
    """A small state machine over bash quoting: a stack of frames (unquoted kinds, sq, dq, ansi)."""

    def __init__(self, command: str, replace: Replace, quoted_heredoc: Callable[[re.Match[str]], None]):
        self.command, self.replace, self.quoted_heredoc = command, replace, quoted_heredoc
        self.out: list[str] = []
        self.stack = ["top"]
        self.heredocs: list[tuple[str, bool, bool]] = []
        self.word_start = True
        self.i = 0

    def run(self) -> str:
        command = self.command
        while self.i < len(command):
            state = self.stack[-1]
            tag = _tag_at(command, self.i)
            if tag is not None:
                self.out.append(self.replace(tag, state))
                self.i, self.word_start = tag.end(), False
            elif state in ("sq", "ansi"):
                self._quoted(state)
            elif state == "dq":
                self._double()
            else:
                self._unquoted(state)
        return "".join(self.out)

    def _take(self, count: int = 1) -> None:
        self.out.append(self.command[self.i : self.i + count])
        self.i += count

    def _escape(self, drop: bool) -> bool:
        """At a backslash: before a tag, drop it (unquoted) or make it literal; else copy the pair."""
        if self.command[self.i] != "\\" or self.i + 1 >= len(self.command):
            return False
        if _tag_at(self.command, self.i + 1):
            self.out.append("" if drop else "\\\\")
            self.i += 1
        else:
            self._take(2)
        return True

    def _quoted(self, state: str) -> None:  # '…' (no escapes) and $'…' (backslash escapes)
        if state == "ansi" and self._escape(drop=False):
            return
        if self.command[self.i] == "'":
            self.stack.pop()
        self._take()

    def _double(self) -> None:
        if self._escape(drop=False):
            return
        c = self.command[self.i]
        if c == '"':
            self.stack.pop()
        elif c == "`":
            self.stack.append("backtick")
        elif self.command.startswith("$(", self.i):
            self.stack.append("cmdsub")
            self._take(2)
            return
        self._take()

    def _unquoted(self, state: str) -> None:
        command, i = self.command, self.i
        c = command[i]
        if self._escape(drop=True):
            self.word_start = False
            return
        if c == "#" and self.word_start:
            end = command.find("\n", i)
            end = len(command) if end < 0 else end
            self.out.append(_MOUSTACHE.sub(lambda m: self.replace(m, "comment"), command[i:end]))
            self.i = end
            return
        found = _heredoc_delimiter(command, i) if command.startswith("<<", i) else None
        if found is not None:
            self.heredocs.append(found[:3])
            self._take(found[3] - i)
            self.word_start = False
            return
        if c == "\n" and self.heredocs:
            self._take()
            self.i = _heredoc_bodies(
                command, self.i, self.heredocs, self.out, self.replace, self.quoted_heredoc
            )
            self.heredocs, self.word_start = [], True
            return
        opens = {"'": "sq", '"': "dq", "$'": "ansi", "$(": "cmdsub", "(": "paren", "`": "backtick"}
        two = command[i : i + 2]
        if (c == ")" and state in ("paren", "cmdsub")) or (c == "`" and state == "backtick"):
            self.stack.pop()
        elif two in opens:
            self.stack.append(opens[two])
            self._take(2)
            self.word_start = two == "$("
            return
        elif c in opens:
            self.stack.append(opens[c])
        self._take()
        self.word_start = c in " \t\n;&|()<>`"


def _heredoc_bodies(
    command: str,
    i: int,
    heredocs: list[tuple[str, bool, bool]],
    out: list[str],
    replace: Replace,
    quoted_heredoc: Callable[[re.Match[str]], None],
) -> int:
    """Copy the bodies of the pending here-documents from ``i``; returns the index after them."""
    for delim, strip, quoted in heredocs:
        while i < len(command):
            end = command.find("\n", i)
            end = len(command) if end < 0 else end + 1
            line = command[i:end]
            if (line.lstrip("\t") if strip else line).rstrip("\n") == delim:
                out.append(line)
                i = end
                break
            if quoted:
                for tag in _MOUSTACHE.finditer(line):
                    quoted_heredoc(tag)
                out.append(line)
            else:
                line = re.sub(r"\\(?=\{\{)", r"\\\\", line)
                out.append(_MOUSTACHE.sub(lambda m: replace(m, "heredoc"), line))
            i = end
    return i


def render_command(
    ctx: TranslateContext, command: str, inputs: Sequence[str], path: Any, flags: Sequence[str] = ()
) -> str:
    """Replace ``{{ name }}`` (the original's Jinja, bare names only) with a quoted expansion of the
    input's environment variable (``flags``: the ``is_flag`` inputs, which expand to no word when off)."""
    if "{%" in command:
        ctx.error(
            "PF433",
            "Jinja statements ({% ... %}) in run.cmd cannot run on Argo",
            path,
            "compute the value in an op, or in the command itself",
        )
    variables = param_env_names(inputs)

    def replace(match: re.Match[str], context: str) -> str:
        inner = match.group(1).strip()
        if not _IDENT.match(inner):
            ctx.error(
                "PF434",
                f"'{{{{ {inner} }}}}' in run.cmd is a Jinja expression; only bare input names can be "
                "rendered on Argo",
                path,
                "write `{{ name }}` with the name of an input",
            )
            return match.group(0)
        if inner not in variables:
            ctx.error(
                "PF435",
                f"run.cmd uses '{{{{ {inner} }}}}', but the template has no input '{inner}'",
                path,
                did_you_mean(inner, list(inputs))
                or ("its inputs are: " + ", ".join(inputs) if inputs else "declare it in `inputs`"),
            )
            return match.group(0)
        return shell_expansion(variables[inner], context, inner in flags)

    def quoted_heredoc(match: re.Match[str]) -> None:
        inner = match.group(1).strip()
        var = variables.get(inner, PARAM_ENV_PREFIX + "<NAME>")
        ctx.error(
            "PF437",
            f"'{{{{ {inner} }}}}' in run.cmd is inside a quoted here-document (<<'EOF'), where the shell "
            "expands nothing",
            path,
            f'unquote the delimiter (<<EOF), or read "${var}" in the script',
        )

    rendered = shell_render(command, replace, quoted_heredoc)
    rest = _MOUSTACHE.sub("", command)
    if "{{" in rest or "}}" in rest:
        ctx.error(
            "PF436", "run.cmd has an unmatched '{{' or '}}'", path, "Argo has no escape for literal braces"
        )
    return rendered


# --- POLYAXON_PARAMS ------------------------------------------------------------------------------

_BOOL_WORDS = "[" + ", ".join(f"'{w}'" for w in sorted(TRUE_WORDS)) + "]"
_KINDS = {"int": "int", "float": "float", "metric": "float", "bool": "bool", "dict": "json",
          "metadata": "json", "dict_of_dicts": "json", "list": "list"}


def io_kind(io: Any) -> str:
    """How ``POLYAXON_PARAMS`` exports an input of this IO: ``str``, ``int``, ``float``, ``bool``,
    ``flag``, ``json`` (a JSON value) or ``list`` (JSON, or a comma-separated string)."""
    if io is None:
        return "str"
    if io.is_flag:
        return "flag"
    if io.is_list and io.type not in ("list", "dict_of_dicts"):
        return "json"
    return _KINDS.get(io.type or "", "str")


def matrix_kinds(node: Node, names: Sequence[str]) -> dict[str, str]:
    """The export kind of each matrix name of a group, from the values its trials get."""
    hp = getattr(node.template.spec, "hptuning", None) if node.template is not None else None
    if not names:
        return {}
    suggestions = []
    if hp is not None:
        from ..resolve import matrix  # loaded for groups only

        suggestions = matrix.plan(hp).suggestions
    out = {}
    for name in names:
        values = [s[name] for s in suggestions if name in s]
        if values and all(isinstance(v, bool) for v in values):
            out[name] = "bool"
        elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            out[name] = "int"
        elif values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out[name] = "float"
        elif values and all(isinstance(v, (list, dict)) for v in values):
            out[name] = "json"
        else:
            out[name] = "str"
    return out


def _value_expression(name: str, kind: str) -> str:
    value = f"inputs.parameters['{name}']"
    text = f"trim({value})"
    if kind == "str":
        return value
    if kind == "flag":
        return f"{value} != ''"
    typed = {
        "int": f"asInt({text})",
        "float": f"asFloat({text})",
        "bool": f"lower({text}) in {_BOOL_WORDS}",
        "json": f"fromJSON({value})",
        "list": f"(hasPrefix({text}, '[') ? fromJSON({value}) "
        f": filter(map(split({value}, ','), trim(#)), # != ''))",
    }[kind]
    return f"({text} == '' ? nil : {typed})"


def params_expression(kinds: Mapping[str, str]) -> str:
    """The ``POLYAXON_PARAMS`` value: an Argo expression tag (``{{=...}}``) whose result is the JSON
    of every input, typed as 0.5.6 exported them: numbers, bools, lists and dicts as JSON values,
    a missing optional value as ``null``, everything else as the string. Argo evaluates it with the
    values as data (never re-parsed as expression text) and inserts the resulting string."""
    items = ", ".join(f"'{name}': {_value_expression(name, kind)}" for name, kind in kinds.items())
    expression = env_value("toJson({" + items + "})")
    assert "}}" not in expression[:-2] and "{{" not in expression[2:], expression
    return expression
