"""Pass: type-check params against the template's inputs and outputs (spec §1.6, §2.3).

Per op: unknown param keys, required inputs, literal values parsed with their IO type,
references to existing outputs with exactly equal types. Also the IO declarations themselves
(defaults parse with their type) and template-level params.
"""

from __future__ import annotations

from typing import Any

from ..errors import Problem
from ..language import IO
from ..language.hints import did_you_mean
from ..language.values import parse_value
from ..source import PathT
from .context import Context
from .model import Param, Ref, ResolvedTemplate
from .refs import parse_refs

INPUT_WITHOUT_PARAM = "PF336"  # a required input of an op's template gets no param


def check_params(ctx: Context) -> None:
    for declared in ctx.templates.values():
        _check_declarations(ctx, declared)
    for i, op in enumerate(ctx.ops()):
        if ctx.op_index.get(op.name) != i:
            continue
        tpl = ctx.op_templates.get(op.name)
        if tpl is None:
            ctx.params[op.name] = {}
            continue
        ctx.params[op.name] = _op_params(ctx, i, op.name, op.params or {}, tpl)


def _check_declarations(ctx: Context, tpl: ResolvedTemplate) -> None:
    for section in ("inputs", "outputs"):
        for j, io in enumerate(getattr(tpl.spec, section) or []):
            if io.default and io.type is not None:  # the original parses truthy defaults only
                try:
                    parsed = parse_value(io, io.default, check_options=False, optional=True)
                    _warn_credential(
                        ctx, io, parsed, tpl.path + (section, j, "default"), f"default of '{io.name}'"
                    )
                except Problem as exc:
                    ctx.error(
                        "PF330",
                        f"default of '{io.name}': {exc.message}",
                        tpl.path + (section, j, "default"),
                        exc.hint,
                    )
    fixed = tpl.spec.fixed_params
    if not fixed or not (tpl.inputs or tpl.outputs):
        return  # the original does not check params of a template without inputs/outputs
    key = "params" if tpl.spec.params is not None else "declarations"
    ios = {io.name: io for io in tpl.inputs + tpl.outputs}
    for pname, value in fixed.items():
        path = tpl.path + (key, pname)
        io = ios.get(pname)
        if io is None:
            ctx.error(
                "PF331",
                f"template '{tpl.name}' received unexpected param '{pname}'",
                path,
                did_you_mean(pname, ios) or _no_io_hint(tpl),
                key=True,
            )
            continue
        if isinstance(value, str) and "{{" in value:
            try:
                refs = parse_refs(value)
            except Problem as exc:
                ctx.error("PF333", f"param '{pname}' of template '{tpl.name}': {exc.message}", path, exc.hint)
                continue
            if any(r.entity == "ops" for r in refs):
                ctx.error(
                    "PF334",
                    f"param '{pname}' of template '{tpl.name}' references an op; only op params can",
                    path,
                    "move the reference to the `params` of the op that uses this template",
                )
            continue
        try:
            parsed = parse_value(io, value)
        except Problem as exc:
            ctx.error("PF332", f"param '{pname}' of template '{tpl.name}': {exc.message}", path, exc.hint)
            continue
        _warn_credential(ctx, io, parsed, path, f"param '{pname}' of template '{tpl.name}'")


def _warn_credential(ctx: Context, io: IO, parsed: Any, path: PathT, what: str) -> None:
    """A literal ``auth`` value, or a ``uri`` with a password, is a credential written in the
    pipeline: it is passed as written (as 0.5.6 did), so it shows in the Workflow and the Argo UI."""
    values = parsed if io.is_list and isinstance(parsed, list) else [parsed]
    if io.type == "uri":
        values = [v for v in values if isinstance(v, dict) and v.get("password")]
    if io.type not in ("auth", "uri") or not values or values == [None]:
        return
    ctx.warning(
        "PF329",
        f"{what} is a credential ({io.type}) written as a literal: its password shows in clear in the "
        "Workflow, the Argo UI and the pod spec",
        path,
        "keep it in a Kubernetes Secret and read it from the environment (`environment.secret_refs`)",
    )


def _no_io_hint(tpl: ResolvedTemplate) -> str:
    names = [io.name for io in tpl.inputs + tpl.outputs]
    if not names:
        return f"template '{tpl.name}' declares no inputs or outputs; declare `inputs:` to accept params"
    return "its inputs and outputs are: " + ", ".join(names)


def _op_params(
    ctx: Context, i: int, op_name: str, params: dict[str, Any], tpl: ResolvedTemplate
) -> dict[str, Param]:
    inputs = {io.name: io for io in tpl.inputs}
    outputs = {io.name: io for io in tpl.outputs}
    out: dict[str, Param] = {}
    for key, value in params.items():
        path: PathT = ("ops", i, "params", key)
        io = inputs.get(key) or outputs.get(key)
        if io is None:
            ctx.error(
                "PF331",
                f"op '{op_name}' received unexpected param '{key}': template '{tpl.name}' has no such input",
                path,
                did_you_mean(key, list(inputs) + list(outputs)) or _no_io_hint(tpl),
                key=True,
            )
            continue
        is_output = key not in inputs
        refs: tuple[Ref, ...] = ()
        if isinstance(value, str):
            try:
                refs = parse_refs(value)
            except Problem as exc:
                ctx.error("PF333", f"param '{key}' of op '{op_name}': {exc.message}", path, exc.hint)
                continue
        if refs:
            if is_output and any(r.entity == "ops" for r in refs):
                ctx.error(
                    "PF334",
                    f"param '{key}' of op '{op_name}' sets an output, so it cannot take a reference",
                    path,
                    "references can only feed inputs",
                )
                continue
            _check_refs(ctx, path, op_name, key, value, refs, io)
            out[key] = Param(key, value, None, refs, io, False, path)
            continue
        try:
            parsed = parse_value(io, value)
        except Problem as exc:
            ctx.error("PF335", f"param '{key}' of op '{op_name}': {exc.message}", path, exc.hint)
            continue
        _warn_credential(ctx, io, parsed, path, f"param '{key}' of op '{op_name}'")
        out[key] = Param(key, value, parsed, (), io, is_output, path)
    for name, io in inputs.items():
        if name in params:
            continue
        if not io.optional:  # an error for a pipeline; registry/build.py drops it (the caller passes it)
            ctx.error(
                INPUT_WITHOUT_PARAM,
                f"op '{op_name}': input '{name}' is required, no param was passed",
                ("ops", i, "params") if params else ("ops", i, "name"),
                f"add `params: {{{name}: ...}}`" + (f", a {io.type}" if io.type else ""),
            )
        default = io.default
        try:
            parsed = parse_value(io, default)
        except Problem:
            parsed = default  # reported on the declaration
        out[name] = Param(name, default, parsed, (), io, False, tpl.path, from_default=True)
    return out


def _check_refs(
    ctx: Context, path: PathT, op_name: str, key: str, value: str, refs: tuple[Ref, ...], io: IO
) -> None:
    whole = len(refs) == 1 and refs[0].start == 0 and refs[0].end == len(value)
    if not whole:
        ctx.warning(
            "PF339",
            f"param '{key}' of op '{op_name}' mixes text and references; polyflow-argo interpolates all of "
            "them (Polyflow 0.5 kept only the first reference and dropped the text)",
            path,
            "write the reference alone if you meant the original's behaviour",
        )
    for n, ref in enumerate(refs):
        if ref.entity != "ops":
            continue
        if ref.target == op_name:
            continue  # a self-reference is a cycle, reported by the graph pass
        tpl = ctx.op_templates.get(ref.target)
        if ref.target not in ctx.op_index or tpl is None:
            continue  # unknown op (graph pass) or unresolved template
        outputs = {o.name: o for o in tpl.outputs}
        out = outputs.get(ref.output)
        if out is None:
            ctx.error(
                "PF337",
                f"param '{key}' of op '{op_name}' references '{ref.text}', but op '{ref.target}' has no "
                f"output '{ref.output}'",
                path,
                did_you_mean(ref.output, outputs)
                or (
                    f"its outputs are: {', '.join(outputs)}"
                    if outputs
                    else f"template '{tpl.name}' declares no outputs"
                ),
            )
            continue
        out_type = output_type(tpl, out)
        if n == 0 and out_type != io.type:
            message = (
                f"param '{key}' of op '{op_name}': input type {io.type or 'untyped'} does not match the type "
                f"{out_type or 'untyped'} of output '{ref.target}.{ref.output}'"
            )
            hint = "types must be exactly equal, without coercion: change the input's or the output's `type`"
            if out_type != out.type:  # an aggregated group output
                message += (
                    f" (group '{tpl.name}' has no `hptuning.metric`, so the output is the list of its "
                    f"trials' {out.type} values)"
                )
                hint = (
                    "declare the input `type: list`, or add `hptuning.metric` to the group to pass the "
                    "best trial's value"
                )
            ctx.error("PF338", message, path, hint)


def output_type(tpl: ResolvedTemplate, out: IO) -> str | None:
    """The type a consumer sees for output ``out`` of an op using ``tpl``: the declared type, except
    for a group without ``hptuning.metric``, whose typed outputs aggregate every trial's value into a
    JSON list (docs/templates.md), so they are ``list``. An untyped output stays untyped."""
    if tpl.kind != "group" or out.type is None:
        return out.type
    hptuning = getattr(tpl.spec, "hptuning", None)
    if hptuning is not None and hptuning.metric is not None:
        return out.type  # the best trial's value
    return "list"
