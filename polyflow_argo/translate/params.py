"""Param values → Argo parameter strings, op references → ``{{tasks.X.outputs.parameters.Y}}``,
and ``{{ name }}`` in ``run.cmd`` → ``{{inputs.parameters.name}}``.

Argo parameter values are strings: lists and dicts are JSON-encoded, booleans are ``true`` /
``false``, ``is_flag`` inputs render ``--name`` or nothing, a missing optional value is ``""``.
Argo has no escape for a literal ``{{`` (argo-semantics.md §9), so such values are rejected.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..resolve import Node, Param
from ..spec.hints import did_you_mean
from .context import TranslateContext

_MOUSTACHE = re.compile(r"\{\{(.*?)\}\}")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def render_literal(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=False, default=str)


def argument_value(ctx: TranslateContext, node: Node, param: Param, tasks: dict[str, str]) -> str | None:
    """The string passed as the task argument for ``param`` (None after reporting an error)."""
    io = param.io
    path = param.path
    if param.refs:
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
            out.append(f"{{{{tasks.{tasks[ref.target]}.outputs.parameters.{ref.output}}}}}")
            last = ref.end
        out.append(_check_literal(ctx, raw[last:], path))
        return "".join(out)
    if io is not None and io.is_flag:
        return f"--{io.name}" if param.value else ""
    text = render_literal(param.value if param.value is not None or param.raw is None else param.raw)
    return _check_literal(ctx, text, path)


def _check_literal(ctx: TranslateContext, text: str, path: Any) -> str:
    if "{{" in text or "}}" in text:
        ctx.error(
            "PF432",
            "a value contains '{{' or '}}', which Argo would read as a template tag (there is no escape)",
            path,
            "pass such text through a file or a ConfigMap",
        )
    return text


def render_command(ctx: TranslateContext, command: str, inputs: list[str], path: Any) -> str:
    """Replace ``{{ name }}`` (the original's Jinja, bare names only) with Argo input references."""
    if "{%" in command:
        ctx.error(
            "PF433",
            "Jinja statements ({% ... %}) in run.cmd cannot run on Argo",
            path,
            "compute the value in an op, or in the command itself",
        )

    def replace(match: re.Match[str]) -> str:
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
        if inner not in inputs:
            ctx.error(
                "PF435",
                f"run.cmd uses '{{{{ {inner} }}}}', but the template has no input '{inner}'",
                path,
                did_you_mean(inner, inputs)
                or ("its inputs are: " + ", ".join(inputs) if inputs else "declare it in `inputs`"),
            )
            return match.group(0)
        return f"{{{{inputs.parameters.{inner}}}}}"

    rendered = _MOUSTACHE.sub(replace, command)
    rest = _MOUSTACHE.sub("", command)
    if "{{" in rest or "}}" in rest:
        ctx.error(
            "PF436", "run.cmd has an unmatched '{{' or '}}'", path, "Argo has no escape for literal braces"
        )
    return rendered
