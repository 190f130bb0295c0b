"""What the apiserver checks on a write, as causes of a 422 ``Invalid`` and a list of unknown fields.

- Argo's kinds: the OpenAPI schema, from Argo's JSON Schema (``../shared/argo/argo-workflows.schema.json``,
  with IntOrString widened to int-or-string as the CRD declares it) or, when that file is absent,
  Hera's generated pydantic models; plus the rules only Argo v4's *full* CRDs carry
  (manifests/base/crds/full: maxItems 200 templates / 200 DAG tasks / 500 input parameters, name
  patterns, the CEL rules on tasks and templates).
- Every kind: ObjectMeta (RFC 1123 names ≤ 253, label keys and values, annotation size).
- Unknown fields: found by walking the schema (or by Hera round trip); the caller prunes, warns or
  rejects them according to ``fieldValidation``.
- Validation ratcheting (k8s ≥ 1.30): on an update, an error at a path whose value did not change is
  not reported, so a write never fails on what the controller stored.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .meta import ARGO, DNS1123_SUBDOMAIN, LABEL_NAME, LABEL_VALUE, Kind, cause

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCHEMA = (
    Path(os.environ.get("POLYFLOW_SHARED", ROOT.parent / "shared")) / "argo" / "argo-workflows.schema.json"
)
DEFINITIONS = {
    "Workflow": "io.argoproj.workflow.v1alpha1.Workflow",
    "CronWorkflow": "io.argoproj.workflow.v1alpha1.CronWorkflow",
    "WorkflowTemplate": "io.argoproj.workflow.v1alpha1.WorkflowTemplate",
    "ClusterWorkflowTemplate": "io.argoproj.workflow.v1alpha1.ClusterWorkflowTemplate",
}
NAME_PATTERN = "^[a-zA-Z0-9][-a-zA-Z0-9]*$"
PARAM_PATTERN = "^[-a-zA-Z0-9_]+$"
TEMPLATE_TYPES = (
    "container",
    "script",
    "dag",
    "steps",
    "resource",
    "suspend",
    "containerSet",
    "data",
    "http",
    "plugin",
)
CONFIGMAP_FIELDS = {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}
SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_KEY_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
CONFIG_KEY_RULE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
Path_ = list[str | int]
Cause = tuple[Path_, str, str]  # path, reason, message


_SCHEMAS: dict[str, tuple[dict[str, Any], Any, dict[str, Any]]] = {}


def render(path: Path_) -> str:
    """``['spec', 'templates', 0, 'name']`` → ``spec.templates[0].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _at(obj: Any, path: Path_) -> Any:
    for part in path:
        if isinstance(obj, dict) and isinstance(part, str):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", dict: "object", list: "array", type(None): "null"}[type(value)]


def strip_nulls(value: Any) -> Any:
    """The apiserver prunes ``null`` from custom resources (fields are not nullable)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


class Validator:
    """Checks objects as the apiserver with Argo's v4 full CRDs does."""

    def __init__(self, schema: str | Path | None | bool = None) -> None:
        path = DEFAULT_SCHEMA if schema is None or schema is True else (Path(schema) if schema else None)
        self.definitions: dict[str, Any] | None = None
        if path is not None and path.exists():
            key = str(path.resolve())
            if key not in _SCHEMAS:  # shared by every double of the session (read-only once patched)
                raw = json.loads(path.read_text())
                # the CRD declares IntOrString as x-kubernetes-int-or-string; the JSON Schema says string
                raw["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {
                    "type": ["integer", "string"]
                }
                _SCHEMAS[key] = (raw["definitions"], raw.get("$schema"), {})
            self.definitions, self._schema_uri, self._validators = _SCHEMAS[key]
            self.source = f"schema:{path}"
        else:
            self.source = "hera"

    # ------------------------------------------------------------ entry point

    def check(self, kind: Kind, obj: dict[str, Any], old: dict[str, Any] | None = None
              ) -> tuple[list[dict[str, str]], list[Path_]]:
        """(causes of a 422, unknown field paths), ratcheted against ``old`` on an update."""
        causes: list[Cause] = self.metadata(obj)
        unknown: list[Path_] = []
        if kind.group == ARGO and kind.kind in DEFINITIONS:
            found, unknown = (
                self._schema(kind, obj) if self.definitions is not None else self._hera(kind, obj)
            )
            causes += found + crd_rules(kind, obj)
        elif kind.kind == "ConfigMap":
            causes += _configmap(obj)
            unknown = [[k] for k in obj if k not in CONFIGMAP_FIELDS]
        if old is not None:
            causes = [c for c in causes if c[0][:1] == ["metadata"] or _at(obj, c[0]) != _at(old, c[0])]
            unknown = [u for u in unknown if _at(obj, u) != _at(old, u)]
        seen: set[tuple[str, str]] = set()
        out = []
        for path, reason, message in causes:
            if (render(path), reason) not in seen:
                seen.add((render(path), reason))
                out.append(cause(reason, render(path), message))
        return out, unknown

    # ------------------------------------------------------------ ObjectMeta

    @staticmethod
    def metadata(obj: dict[str, Any]) -> list[Cause]:
        meta = obj.get("metadata") or {}
        out: list[Cause] = []
        name = meta.get("name", "")
        if not name:
            out.append(
                (
                    ["metadata", "name"],
                    "FieldValueRequired",
                    "Required value: name or generateName is required",
                )
            )
        elif len(name) > 253:
            out.append((["metadata", "name"], "FieldValueInvalid",
                        f'Invalid value: "{name}": must be no more than 253 characters'))
        elif not DNS1123_SUBDOMAIN.match(name):
            out.append(
                (["metadata", "name"], "FieldValueInvalid", f'Invalid value: "{name}": {SUBDOMAIN_RULE}')
            )
        for key, value in (meta.get("labels") or {}).items():
            prefix, _, short = key.rpartition("/")
            if (
                not LABEL_NAME.match(short)
                or len(short) > 63
                or (prefix and not DNS1123_SUBDOMAIN.match(prefix))
            ):
                out.append(
                    (["metadata", "labels"], "FieldValueInvalid", f'Invalid value: "{key}": {LABEL_KEY_RULE}')
                )
            if not isinstance(value, str):
                out.append((["metadata", "labels", key], "FieldValueTypeInvalid",
                            f'Invalid value: "{_json_type(value)}": must be of type string'))
            elif len(value) > 63:
                out.append((["metadata", "labels"], "FieldValueInvalid",
                            f'Invalid value: "{value}": must be no more than 63 characters'))
            elif not LABEL_VALUE.match(value):
                out.append(
                    (
                        ["metadata", "labels"],
                        "FieldValueInvalid",
                        f'Invalid value: "{value}": {LABEL_VALUE_RULE}',
                    )
                )
        annotations = meta.get("annotations") or {}
        if sum(len(k) + len(str(v)) for k, v in annotations.items()) > 262144:
            out.append(
                (["metadata", "annotations"], "FieldValueTooLong", "Too long: must have at most 262144 bytes")
            )
        return out

    # ------------------------------------------------------------ Argo's JSON Schema

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        assert self.definitions is not None
        while "$ref" in node:
            node = self.definitions[node["$ref"].rsplit("/", 1)[1]]
        return node

    def _schema(self, kind: Kind, obj: dict[str, Any]) -> tuple[list[Cause], list[Path_]]:
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

        assert self.definitions is not None
        definition = DEFINITIONS[kind.kind]
        if definition not in self._validators:
            self._validators[definition] = Draft202012Validator(
                {
                    "$schema": self._schema_uri,
                    "$ref": "#/definitions/" + definition,
                    "definitions": self.definitions,
                }
            )
        causes = []
        for error in self._validators[definition].iter_errors(obj):
            path: Path_ = list(error.absolute_path)
            causes.append(
                _cause_from_schema(
                    error.validator, error.validator_value, error.instance, path, error.message
                )
            )
        unknown: list[Path_] = []
        self._unknown(obj, self.definitions[definition], [], unknown)
        return causes, unknown

    def _unknown(self, value: Any, node: dict[str, Any], path: Path_, out: list[Path_]) -> None:
        node = self._resolve(node)
        if isinstance(value, dict):
            props, extra = node.get("properties"), node.get("additionalProperties")
            for key, item in value.items():
                if props is not None and key in props:
                    self._unknown(item, props[key], path + [key], out)
                elif isinstance(extra, dict):
                    self._unknown(item, extra, path + [key], out)
                elif props is not None and extra is not True:
                    out.append(path + [key])
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for i, item in enumerate(value):
                self._unknown(item, node["items"], path + [i], out)

    # ------------------------------------------------------------ Hera fallback

    @staticmethod
    def _hera(kind: Kind, obj: dict[str, Any]) -> tuple[list[Cause], list[Path_]]:
        import pydantic
        from hera.workflows import models

        model = getattr(models, kind.kind)
        causes: list[Cause] = _container_images(kind, obj)  # required by Argo's schema, optional in Hera
        try:
            parsed = model.model_validate(obj)
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                path: Path_ = []
                node: Any = obj
                for part in err["loc"]:  # keep the parts that exist in the document (union tags do not)
                    if isinstance(node, dict) and part in node:
                        path.append(part)
                        node = node[part]
                    elif isinstance(node, list) and isinstance(part, int):
                        path.append(part)
                        node = node[part] if part < len(node) else None
                    elif err["type"] == "missing" and part == err["loc"][-1]:
                        path.append(part)
                if err["type"] == "missing":
                    causes.append((path, "FieldValueRequired", "Required value"))
                elif err["type"] in _PYDANTIC_TYPES:  # a wrong JSON type, as the schema path says it
                    wanted, actual = _PYDANTIC_TYPES[err["type"]], _json_type(err.get("input"))
                    causes.append(
                        (
                            path,
                            "FieldValueTypeInvalid",
                            f'Invalid value: "{actual}": {render(path)} '
                            f'in body must be of type {wanted}: "{actual}"',
                        )
                    )
                else:
                    shown = json.dumps(err.get("input"))[:80]
                    causes.append(
                        (
                            path,
                            "FieldValueInvalid",
                            f"Invalid value: {shown}: {render(path)} in body {err['msg']}",
                        )
                    )
            return causes, []
        back = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
        unknown: list[Path_] = []
        _diff(obj, back, [], unknown)
        return causes, unknown


def _container_images(kind: Kind, obj: dict[str, Any]) -> list[Cause]:
    base = _spec_base(kind)
    out: list[Cause] = []
    for i, tmpl in enumerate(_list(_at(obj, base + ["templates"]))):
        if (
            isinstance(tmpl, dict)
            and isinstance(tmpl.get("container"), dict)
            and "image" not in tmpl["container"]
        ):
            out.append(
                (base + ["templates", i, "container", "image"], "FieldValueRequired", "Required value")
            )
    return out


# pydantic's error types for a value of the wrong JSON type → the OpenAPI type the server names
_PYDANTIC_TYPES = {
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "float_type": "number",
    "bool_type": "boolean",
    "dict_type": "object",
    "list_type": "array",
    "model_type": "object",
    "model_attributes_type": "object",
}


def _diff(a: Any, b: Any, path: Path_, out: list[Path_]) -> None:
    if path[-1:] == ["plugin"]:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key, value in a.items():
            if key not in b:
                out.append(path + [key])
            else:
                _diff(value, b[key], path + [key], out)
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, path + [i], out)


def _cause_from_schema(validator: str, expected: Any, instance: Any, path: Path_, message: str) -> Cause:
    field = render(path)
    if validator == "required":
        missing = re.match(r"^'(.*)' is a required property$", message)
        return (path + [missing.group(1) if missing else "?"], "FieldValueRequired", "Required value")
    if validator == "type":
        actual = _json_type(instance)
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return (
            path,
            "FieldValueTypeInvalid",
            f'Invalid value: "{actual}": {field} in body must be of type {wanted}: "{actual}"',
        )
    if validator in ("enum", "const"):
        values = expected if isinstance(expected, list) else [expected]
        return (
            path,
            "FieldValueNotSupported",
            f"Unsupported value: {json.dumps(instance)}: supported values: "
            + ", ".join(json.dumps(v) for v in values),
        )
    if validator == "pattern":
        return (
            path,
            "FieldValueInvalid",
            f"Invalid value: \"{instance}\": {field} in body should match '{expected}'",
        )
    if validator == "maxItems":
        return (path, "FieldValueTooMany", f"Too many: {len(instance)}: must have at most {expected} items")
    if validator == "maxLength":
        return (path, "FieldValueTooLong", f"Too long: may not be more than {expected} bytes")
    return (path, "FieldValueInvalid", f"Invalid value: {json.dumps(instance)[:80]}: {message[:200]}")


# ---------------------------------------------------------------- Argo v4 full-CRD rules


def _spec_base(kind: Kind) -> Path_:
    return ["spec", "workflowSpec"] if kind.kind == "CronWorkflow" else ["spec"]


def crd_rules(kind: Kind, obj: dict[str, Any]) -> list[Cause]:
    """maxItems, name patterns and CEL rules that the full CRDs add to the JSON Schema's shape."""
    base = _spec_base(kind)
    spec = _at(obj, base)
    if not isinstance(spec, dict):
        return []
    out: list[Cause] = []
    templates = spec.get("templates")
    for j, param in enumerate(_list(_at(spec, ["arguments", "parameters"]))):
        out += _name(base + ["arguments", "parameters", j, "name"], param, PARAM_PATTERN, None)
    if not isinstance(templates, list):
        return out
    where = base + ["templates"]
    if len(templates) > 200:
        out.append((where, "FieldValueTooMany", f"Too many: {len(templates)}: must have at most 200 items"))
    tmpls = [t for t in templates if isinstance(t, dict)]
    if any(sum(k in t for k in TEMPLATE_TYPES) > 1 for t in tmpls):
        out.append(
            (
                where,
                "FieldValueInvalid",
                'Invalid value: "array": template must have at most one template type',
            )
        )
    if any(t.get("timeout") and ("steps" in t or "dag" in t) for t in tmpls):
        out.append(
            (
                where,
                "FieldValueInvalid",
                'Invalid value: "array": timeout cannot be applied to steps or dag templates',
            )
        )
    if any("activeDeadlineSeconds" in t and ("steps" in t or "dag" in t) for t in tmpls):
        out.append(
            (
                where,
                "FieldValueInvalid",
                'Invalid value: "array": activeDeadlineSeconds is only valid for leaf templates',
            )
        )
    for i, tmpl in enumerate(templates):
        if isinstance(tmpl, dict):
            out += _template(where + [i], tmpl)
    return out


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(path: Path_, holder: Any, pattern: str, max_len: int | None) -> list[Cause]:
    name = holder.get("name") if isinstance(holder, dict) else None
    if not isinstance(name, str):
        return []
    if max_len is not None and len(name) > max_len:
        return [(path, "FieldValueTooLong", f"Too long: may not be more than {max_len} bytes")]
    if not re.match(pattern, name):
        return [
            (
                path,
                "FieldValueInvalid",
                f"Invalid value: \"{name}\": {render(path)} in body should match '{pattern}'",
            )
        ]
    return []


def _template(path: Path_, tmpl: dict[str, Any]) -> list[Cause]:
    out = _name(path + ["name"], tmpl, NAME_PATTERN, 128)
    params = _list(_at(tmpl, ["inputs", "parameters"]))
    if len(params) > 500:
        out.append(
            (
                path + ["inputs", "parameters"],
                "FieldValueTooMany",
                f"Too many: {len(params)}: must have at most 500 items",
            )
        )
    for j, param in enumerate(params):
        out += _name(path + ["inputs", "parameters", j, "name"], param, PARAM_PATTERN, None)
    dag = tmpl.get("dag")
    if not isinstance(dag, dict):
        return out
    tasks = dag.get("tasks")
    where = path + ["dag", "tasks"]
    if not isinstance(tasks, list):
        return out + [(where, "FieldValueRequired", "Required value")]
    if not tasks:
        out.append(
            (
                where,
                "FieldValueInvalid",
                f"Invalid value: 0: {render(where)} in body should have at least 1 items",
            )
        )
    if len(tasks) > 200:
        out.append((where, "FieldValueTooMany", f"Too many: {len(tasks)}: must have at most 200 items"))
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            continue
        out += _name(where + [i, "name"], task, NAME_PATTERN, 128)
        rules = []
        if "depends" in task and "dependencies" in task:
            rules.append("cannot use both 'depends' and 'dependencies'")
        if "depends" in task and "continueOn" in task:
            rules.append("cannot use 'continueOn' when using 'depends'")
        if ("depends" in task or "dependencies" in task) and re.match("^[0-9]", str(task.get("name", ""))):
            rules.append("task name cannot begin with a digit when using 'depends' or 'dependencies'")
        out += [(where + [i], "FieldValueInvalid", f'Invalid value: "object": {rule}') for rule in rules]
    return out


def _configmap(obj: dict[str, Any]) -> list[Cause]:
    out: list[Cause] = []
    size = 0
    for field in ("data", "binaryData"):
        for key, value in (obj.get(field) or {}).items():
            size += len(key) + len(str(value))
            if not re.match(r"^[-._a-zA-Z0-9]+$", key):
                out.append(([field, key], "FieldValueInvalid", f'Invalid value: "{key}": {CONFIG_KEY_RULE}'))
    if size > 1048576:
        out.append(([], "FieldValueTooLong", "Too long: must have at most 1048576 bytes"))
    return out
