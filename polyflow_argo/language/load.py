"""LocatedDoc → :class:`Pipeline`, turning pydantic errors into located diagnostics.

Pydantic's ``loc`` is a path of keys and indexes, with extra elements for unions (the
discriminator tag, or the member type's name). We walk it against the document: elements that are
not in the document are skipped, and we stop at the deepest node that exists. ``missing`` points
at the enclosing mapping, ``extra_forbidden`` at the key itself.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import Diagnostic, Span, SpecError
from ..source import LocatedDoc, PathT
from .hints import did_you_mean, one_of
from .pipeline import Pipeline
from .template import Template

T = TypeVar("T")

_MESSAGES: dict[str, tuple[str, str | None]] = {
    # pydantic error type → (message template, hint)
    "int_type": ("`{field}` must be an integer, got {shown}", None),
    "int_parsing": ("`{field}` must be an integer, got {shown}", None),
    "int_from_float": ("`{field}` must be a whole number, got {shown}", None),
    "float_type": ("`{field}` must be a number, got {shown}", None),
    "float_parsing": ("`{field}` must be a number, got {shown}", None),
    "bool_type": ("`{field}` must be true or false, got {shown}", None),
    "bool_parsing": (
        "`{field}` must be true or false, got {shown}",
        "write true or false (yes/no, on/off also work)",
    ),
    "string_type": ("`{field}` must be a string, got {shown}", "quote the value"),
    "list_type": ("`{field}` must be a list, got {shown}", "write `[a, b]` or one `- item` per line"),
    "dict_type": ("`{field}` must be a mapping, got {shown}", "write `key: value` pairs"),
    "model_type": ("`{field}` must be a mapping, got {shown}", "write `key: value` pairs"),
    "model_attributes_type": ("`{field}` must be a mapping, got {shown}", "write `key: value` pairs"),
    "greater_than_equal": ("`{field}` must be >= {ge}, got {shown}", None),
    "greater_than": ("`{field}` must be > {gt}, got {shown}", None),
    "too_short": ("`{field}` must have at least {min_length} items", None),
    "too_long": ("`{field}` must have at most {max_length} items", None),
    "datetime_type": ("`{field}` must be a datetime string, got {shown}", None),
}

_CODES = {
    "missing": "PF205",
    "extra_forbidden": "PF206",
    "literal_error": "PF207",
    "union_tag_invalid": "PF207",
    "union_tag_not_found": "PF205",
}


def _unwrap(tp: Any) -> list[Any]:
    """Member types of an annotation, through Optional, Union, Annotated, list and dict."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [m for a in get_args(tp) for m in _unwrap(a)]
    return [tp]


def _step(tp: Any, elem: Any) -> list[Any] | None:
    """Types reached from ``tp`` by one loc element, or None if ``elem`` does not apply."""
    out: list[Any] = []
    for member in _unwrap(tp):
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            field = member.model_fields.get(elem) if isinstance(elem, str) else None
            if field is not None:
                out.append(field.annotation)
            kind = member.model_fields.get("kind")
            if kind is not None and elem in get_args(kind.annotation):
                out.append(member)  # a discriminated union's tag
        elif origin is list and isinstance(elem, int):
            out.append(get_args(member)[0])
        elif origin is dict and isinstance(elem, str):
            out.append(get_args(member)[1])
    return out or None


def _resolve(doc: LocatedDoc, loc: tuple[Any, ...], root: Any = None) -> tuple[PathT, list[Any], list[Any]]:
    """Walk ``loc`` through the document and the model types.

    Returns the deepest document path reached, the loc elements left over (not in the document),
    and the candidate model types at that path.
    """
    path: PathT = ()
    node: Any = doc.data
    types_here: list[Any] = _unwrap(root) if root is not None else [Pipeline]
    rest: list[Any] = []
    tagged_at: PathT | None = None
    for i, elem in enumerate(loc):
        stepped = [t for tp in types_here for t in (_step(tp, elem) or [])]
        is_tag = tagged_at != path and isinstance(node, dict) and node.get("kind") == elem and any(
            isinstance(t, type) and issubclass(t, BaseModel) and "kind" in t.model_fields
            and elem in get_args(t.model_fields["kind"].annotation)
            for t in stepped
        )
        if is_tag:
            types_here = [t for t in stepped if isinstance(t, type) and issubclass(t, BaseModel)]
            tagged_at = path
            continue
        present = (isinstance(node, dict) and isinstance(elem, str) and elem in node) or (
            isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node)
        )
        if present:
            path, node = path + (elem,), node[elem]
            types_here = stepped or types_here
        elif (
            stepped
            and any(isinstance(t, type) and issubclass(t, BaseModel) for t in stepped)
            and not (
                isinstance(node, dict)
                and any(
                    isinstance(t, type) and issubclass(t, BaseModel) and elem in t.model_fields
                    for t in types_here
                )
            )
        ):
            types_here = stepped  # a union tag such as `job`: not a document key
        elif elem in ("int", "str", "float", "bool", "list", "dict") or (
            isinstance(elem, str) and ("[" in elem or elem.startswith("function-"))
        ):
            continue  # a union member's name
        else:
            rest = list(loc[i:])
            break
    return path, rest, types_here


def _models(types_here: list[Any]) -> list[type[BaseModel]]:
    return [m for t in types_here for m in _unwrap(t) if isinstance(m, type) and issubclass(m, BaseModel)]


def _field_name(path: PathT, rest: list[Any]) -> str:
    full = list(path) + rest
    names = [p for p in full if isinstance(p, str)]
    if not names:
        return "document"
    if full and isinstance(full[-1], int) and full[-2:-1] == [names[-1]]:
        return f"{names[-1]}` item #{full[-1] + 1} `".replace("` `", "")
    return names[-1]


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)


def _diagnostic(doc: LocatedDoc, err: Any, root: Any = None) -> Diagnostic:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    path, rest, types_here = _resolve(doc, loc, root)
    span = doc.span(path)
    field = _field_name(path, rest)
    value = err.get("input")
    if kind == "polyflow":
        at = ctx.get("at") or ()
        sub = path
        for elem in at:
            if sub + (elem,) in doc.spans:
                sub = sub + (elem,)
        return Diagnostic(ctx.get("code", "PF200"), ctx["message"], doc.span(sub), ctx.get("hint"))
    code = _CODES.get(kind, "PF208")
    hint: str | None
    if kind == "missing":
        missing = rest[-1] if rest else field
        where = _container(path)
        hint = "add `version: 1`" if missing == "version" and not path else (
            "add `kind: pipeline`" if missing == "kind" and not path else f"add `{missing}: ...`"
        )
        return Diagnostic(code, f"missing required field `{missing}`{where}", span, hint)
    if kind == "extra_forbidden":
        key = loc[-1]
        parent = path[:-1] if path and path[-1] == key else path
        models = _models(_resolve(doc, tuple(parent), root)[2])
        here = doc.get(parent) if parent else doc.data
        if isinstance(here, dict) and "kind" in here:
            matching = [m for m in models if "kind" in m.model_fields and here["kind"] in get_args(
                m.model_fields["kind"].annotation)]
            models = matching or models
        allowed = sorted({f for m in models for f in m.model_fields})
        kspan = doc.span(parent + (key,), key=True)
        hint = did_you_mean(str(key), allowed) or (f"allowed here: {one_of(allowed)}" if allowed else None)
        if key == "declarations" and "declarations" not in allowed:
            hint = "`declarations` is the templates' deprecated alias of `params`: use `params`"
        return Diagnostic(code, f"unknown field `{key}`{_container(parent)}", kspan, hint)
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        hint = did_you_mean(str(value), options) or f"use one of: {one_of(options)}"
        return Diagnostic(code, f"invalid value {_shown(value)} for `{field}`", span, hint)
    if kind == "union_tag_invalid":
        options = [o.strip().strip("'") for o in ctx.get("expected_tags", "").split(",")]
        kspan = doc.span(path + ("kind",))
        hint = did_you_mean(str(ctx.get("tag")), options) or f"use one of: {one_of(options)}"
        return Diagnostic(code, f"unknown kind {ctx.get('tag')!r}{_container(path)}", kspan, hint)
    if kind == "union_tag_not_found":
        return Diagnostic(code, f"missing required field `kind`{_container(path)}", span, "add `kind: ...`")
    template, hint = _MESSAGES.get(kind, ("`{field}`: {msg}", None))
    if (
        kind in ("int_parsing", "int_type")
        and isinstance(value, str)
        and value.strip().lstrip("-").isdigit() is False
    ):
        hint = hint or "write a whole number, without quotes or units"
    message = template.format(field=field, shown=_shown(value), msg=err.get("msg", ""), **ctx)
    return Diagnostic(code, message, span, hint)


def _container(path: PathT) -> str:
    if not path:
        return " at the top level"
    names = {"ops": "op", "templates": "template", "inputs": "input", "outputs": "output"}
    parts: list[str] = []
    for i, p in enumerate(path):
        if isinstance(p, int) and i and path[i - 1] in names:
            parts[-1] = f"{names[path[i - 1]]} #{p + 1}"
        elif isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(str(p))
    return " in " + ".".join(parts)


def to_diagnostics(doc: LocatedDoc, exc: ValidationError, root: Any = None) -> list[Diagnostic]:
    """Pydantic errors → diagnostics, deduplicated (union members report the same place)."""
    seen: dict[tuple[Any, ...], Diagnostic] = {}
    for err in exc.errors(include_url=False):
        diag = _diagnostic(doc, err, root)
        key = (diag.span, diag.code)
        if key in seen and seen[key].message != diag.message:
            continue
        seen.setdefault(key, diag)
    return list(seen.values())


def load_mapping(
    doc: LocatedDoc, validate: Callable[[dict[str, Any]], T], root: Any, message: str, hint: str,
    code: str = "PF200",
) -> T:
    """``validate(doc.data)`` for a document that must be a mapping; pydantic errors become
    diagnostics at their YAML positions (``root``: the model or type validated). Raises SpecError."""
    if not isinstance(doc.data, dict):
        raise SpecError(Diagnostic(code, message, doc.span(()), hint))
    try:
        return validate(doc.data)
    except ValidationError as exc:
        raise SpecError(to_diagnostics(doc, exc, root)) from None


# Files people lint by mistake: what they are, and the command that takes them (PF202).
_NOT_PIPELINES = {
    "Workflow": ("an Argo Workflow manifest (compile output), not a Polyflow pipeline",
                 "lint the pipeline it was compiled from; run the manifest with `kubectl create -f FILE` "
                 "or `argo submit FILE`"),
    "CronWorkflow": ("an Argo CronWorkflow manifest (compile output), not a Polyflow pipeline",
                     "lint the pipeline it was compiled from; send the manifest with "
                     "`polyflow-argo apply FILE`"),
    "WorkflowTemplate": ("an Argo WorkflowTemplate manifest (registry build output), not a Polyflow pipeline",
                         "check the registry entries with `polyflow-argo registry build DIR`; send the "
                         "manifest with `polyflow-argo apply FILE`"),
    "ClusterWorkflowTemplate": ("an Argo ClusterWorkflowTemplate manifest (registry build output), not a "
                                "Polyflow pipeline",
                                "check the registry entries with `polyflow-argo registry build DIR "
                                "--cluster-scope`; send the manifest with `polyflow-argo apply FILE`"),
    "action": ("a registry action entry, not a pipeline",
               "check it with `polyflow-argo registry build DIR` (DIR holds actions/ and events/); "
               "a pipeline uses it as `template: {action: NAME}`"),
    "event": ("a registry event entry, not a pipeline",
              "check it with `polyflow-argo registry build DIR` (DIR holds actions/ and events/); "
              "a pipeline uses it as `template: {event: NAME}`"),
}


def _not_a_pipeline(doc: LocatedDoc) -> Diagnostic | None:
    """The one diagnostic for an Argo manifest or a registry entry given as a pipeline."""
    kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
    if not isinstance(kind, str) or kind not in _NOT_PIPELINES:
        return None
    what, hint = _NOT_PIPELINES[kind]
    return Diagnostic("PF202", f"this file is {what}", doc.span(("kind",)), hint)


def load_pipeline(doc: LocatedDoc) -> Pipeline:
    """Validate a located document as a Polyflow pipeline (raises :class:`SpecError`)."""
    other = _not_a_pipeline(doc)
    if other is not None:
        raise SpecError(other)
    return load_mapping(
        doc,
        Pipeline.model_validate,
        None,
        "a pipeline file must be a mapping at the top level",
        "start with `version: 1`",
    )


def load_template(doc: LocatedDoc) -> Template:
    """Validate a located document as one template (a template file or registry entry)."""
    return load_mapping(doc, template_adapter().validate_python, Template,
                        "a template file must be a mapping (`kind: job`, ...)",
                        "start with `kind: job` or `kind: experiment`")


def template_adapter() -> TypeAdapter[Template]:
    """A pydantic TypeAdapter of one template (any kind), built on first use."""
    return TypeAdapter(Template)


__all__ = ["load_pipeline", "load_template", "template_adapter", "to_diagnostics", "Span"]
