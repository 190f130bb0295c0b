"""``polyflow-argo schema [--out FILE]``: the JSON Schema (draft-07) of the pipeline format, for editors.

Generated from the language models (polyflow_argo/language/), then:

- every property gets its description from the attribute docstring under the field in
  language/*.py (read here, when the schema is built, so loading a pipeline never pays for it);
- the loader's lenient scalars are spelled out: an integer field also takes a numeric string (``'3'``),
  a boolean field the words Polyflow 0.5 accepted (``yes``, ``off``, 1, 0), a number field a numeric
  string, an hptuning enum its upper-case and capitalised spellings;
- ``CONSTRAINTS`` adds what pydantic validators check in code and an editor can check too: numeric
  minimums, "exactly one of" keys, pairs that exclude each other, ``templates`` required only when an
  op uses ``template: {name: ...}``.

The schema accepts every pipeline that ``lint`` accepts and rejects the files whose errors it can
express (tests/test_editor_schema.py checks both against the examples, the fixtures and the invalid
corpus of tests/language/test_invalid.py).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_ID = "https://polyflow-argo.dev/schema/pipeline-v1.json"
_INT = {"type": "string", "pattern": r"^\s*[-+]?[0-9]+\s*$"}
_FLOAT = {"type": "string", "pattern": r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"}
_BOOL_WORDS = sorted(
    {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1"}
    | {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0"}
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of the pipeline format (for yaml-language-server)",
        description="Print the JSON Schema (draft-07) of the Polyflow pipeline format, generated from the "
        "language models, with a description for every field. Put `# yaml-language-server: "
        "$schema=./polyflow.schema.json` first in a pipeline file to use it in an editor.",
    )
    p.add_argument("--out", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    p.set_defaults(handler=run)


def _one_of(keys: tuple[str, ...], empty: list[Any]) -> dict[str, Any]:
    """Exactly one of ``keys`` is given with a value other than ``empty`` ones."""
    return {
        "oneOf": [
            {"required": [key], "properties": {key: {"not": {"enum": empty}}}} for key in keys
        ]
    }


def _not_both(a: str, b: str) -> dict[str, Any]:
    given = {"not": {"type": "null"}}
    return {"not": {"required": [a, b], "properties": {a: given, b: given}}}


def _all_of(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"allOf": list(parts)}


_TEMPLATE_BASE = _not_both("params", "declarations")  # PF252
_DISTRIBUTED = {  # PF253: environment.replicas needs a distributed framework
    "if": {
        "required": ["environment"],
        "properties": {"environment": {"type": "object", "required": ["replicas"]}},
    },
    "then": {
        "required": ["framework"],
        "properties": {"framework": {"enum": ["tensorflow", "mxnet", "horovod", "pytorch"]}},
    },
}
_BUILD_SOURCE = _one_of(("ref", "image", "dockerfile"), [None, ""])  # PF250
_ALGORITHMS = ("grid_search", "random_search", "hyperband", "bo")
_NOT_EMPTY = {"not": {"type": "null"}}

# $def (model) name → property → keywords added to it; "" → keywords added to the model itself.
CONSTRAINTS: dict[str, dict[str, dict[str, Any]]] = {
    "Pipeline": {
        "concurrency": {"minimum": 1},  # PF412
        "ops": {"minItems": 1},  # PF302
        "": {  # PF301: templates, unless every op names its template another way (path, url, ...)
            "if": {
                "required": ["ops"],
                "properties": {
                    "ops": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "not": {
                                "type": "object",
                                "required": ["template"],
                                "properties": {"template": {"type": "object", "required": ["name"]}},
                            }
                        },
                    }
                },
            },
            "else": {
                "required": ["templates"],
                "properties": {"templates": {"type": "array", "minItems": 1}},
            },
        },
    },
    "IntervalSchedule": {"frequency": {"minimum": 1}},  # PF354
    "Op": {
        "concurrency": {"minimum": 1},  # PF443
        "max_retries": {"minimum": 0},  # PF410
        "retry_delay": {"minimum": 0},
        "max_retry_delay": {"minimum": 0},
    },
    "TemplateRef": {"": _one_of(("name", "path", "url", "action", "event"), [None, ""])},  # PF220
    "IO": {
        "": {  # PF231
            "if": {"required": ["is_flag"], "properties": {"is_flag": {"const": True}}},
            "then": {"required": ["type"], "properties": {"type": {"const": "bool"}}},
        }
    },
    "ResourceRequirement": {"requests": {"exclusiveMinimum": 0}, "limits": {"exclusiveMinimum": 0}},  # PF455
    "PodEnvironment": {
        "index": {"minimum": 0},
        "max_restarts": {"minimum": 0},  # PF443
        "": _all_of(_not_both("config_map_refs", "configmap_refs"), {  # PF241, PF242
            "not": {
                "required": ["persistence"],
                "properties": {"persistence": _NOT_EMPTY},
                "anyOf": [
                    {"required": ["data_refs"], "properties": {"data_refs": _NOT_EMPTY}},
                    {"required": ["artifact_refs"], "properties": {"artifact_refs": _NOT_EMPTY}},
                ],
            }
        }),
    },
    "Replicas": {"n_workers": {"minimum": 0}, "n_ps": {"minimum": 0}},
    "Build": {"": _BUILD_SOURCE},
    "BuildTemplate": {"": _all_of(_BUILD_SOURCE, _TEMPLATE_BASE)},
    "JobTemplate": {"": _TEMPLATE_BASE},
    "ExperimentTemplate": {"": _all_of(_TEMPLATE_BASE, _DISTRIBUTED)},
    "GroupTemplate": {"": _all_of(_TEMPLATE_BASE, _DISTRIBUTED)},
    "NotebookTemplate": {"": _TEMPLATE_BASE},
    "TensorboardTemplate": {"": _TEMPLATE_BASE},
    "MatrixEntry": {  # PF260
        "": _one_of(
            ("values", "pvalues", "range", "linspace", "logspace", "geomspace", "uniform", "quniform",
             "loguniform", "qloguniform", "normal", "qnormal", "lognormal", "qlognormal"),
            [None, [], {}, ""],
        )
    },
    "HPTuning": {
        "concurrency": {"minimum": 1},
        "": _all_of(
            *[_not_both(a, b) for i, a in enumerate(_ALGORITHMS) for b in _ALGORITHMS[i + 1:]],  # PF264
            {"dependencies": {name: ["matrix"] for name in _ALGORITHMS}},  # PF267
        ),
    },
    "StoppingPolicy": {  # PF263
        "": {
            "if": {"required": ["kind"], "properties": {"kind": {"const": "truncation"}}},
            "then": {"required": ["percent"], "properties": {"percent": _NOT_EMPTY}},
            "else": {"properties": {"percent": {"type": "null"}}},
        }
    },
}


def _lenient(schema: Any) -> dict[str, Any] | None:
    """The JSON Schema of a lenient scalar (a before-validator of language/), or None."""
    from ..language import base, environment, pipeline

    function = schema.get("function", {}).get("function")
    if function is base._int:
        return {"anyOf": [{"type": "integer"}, _INT]}
    if function is base._bool:
        return {"anyOf": [{"type": "boolean"}, {"enum": [0, 1]}, {"enum": _BOOL_WORDS}]}
    if function in (base._float, environment._number):
        return {"anyOf": [{"type": "number"}, _FLOAT]}
    if function is pipeline._datetime:
        return {"type": "string", "pattern": pipeline._DATETIME.pattern}
    inner = schema.get("schema", {})
    loose = getattr(function, "__qualname__", "").startswith("_enum_case_insensitive")
    if loose and inner.get("type") == "literal":
        spellings = [s for v in inner["expected"] for s in dict.fromkeys((v, v.upper(), v.capitalize()))]
        return {"type": "string", "enum": spellings}
    return None


def _generator() -> type:
    from pydantic.json_schema import GenerateJsonSchema

    from ..language import base, pipeline

    name = {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$"}  # PF210, and PF211 (a Polyflow 0.5 quirk)

    class Generator(GenerateJsonSchema):
        def function_before_schema(self, schema: Any) -> Any:
            return _lenient(schema) or super().function_before_schema(schema)

        def function_after_schema(self, schema: Any) -> Any:
            if schema.get("function", {}).get("function") in (base._check_name, pipeline._description):
                return dict(name)
            return super().function_after_schema(schema)

    return Generator


@cache
def _docstrings(path: str) -> dict[str, dict[str, str]]:
    """class name → field → the docstring under the field, for one source file."""
    out: dict[str, dict[str, str]] = {}
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if not isinstance(node, ast.ClassDef):
            continue
        fields = out.setdefault(node.name, {})
        for stmt, after in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                fields[stmt.target.id] = " ".join(after.value.value.split())
    return out


def field_description(model: type, field: str) -> str | None:
    """The docstring of ``field`` in ``model`` or the first class of its MRO that declares it."""
    for cls in model.__mro__:
        try:
            path = inspect.getsourcefile(cls)
        except TypeError:
            continue
        if path and field in _docstrings(path).get(cls.__name__, {}):
            return _docstrings(path)[cls.__name__][field]
    return None


def _models() -> dict[str, type]:
    """Every pydantic model of polyflow_argo.language, by class name (the schema's $defs keys)."""
    from pydantic import BaseModel

    from .. import language

    out: dict[str, type] = {}
    for module in (language.pipeline, language.op, language.template, language.environment,
                   language.hptuning, language.io, language.logging):
        for value in vars(module).values():
            own = isinstance(value, type) and value.__module__ == module.__name__
            if own and issubclass(value, BaseModel):
                out[value.__name__] = value
    return out


def _finish(name: str, model: type | None, definition: dict[str, Any]) -> None:
    for field, prop in definition.get("properties", {}).items():
        prop.pop("title", None)
        text = field_description(model, field) if model is not None else None
        if text:
            prop["description"] = text
        prop.update(CONSTRAINTS.get(name, {}).get(field, {}))
    definition.update(CONSTRAINTS.get(name, {}).get("", {}))


def pipeline_schema() -> dict[str, Any]:
    from ..language import Pipeline

    schema: dict[str, Any] = Pipeline.model_json_schema(schema_generator=_generator())
    models = _models()
    props = schema.setdefault("properties", {})
    props["version"] = {"const": 1}
    props["kind"] = {"const": "pipeline"}
    for name, definition in schema.get("$defs", {}).items():
        _finish(name, models.get(name), definition)
    env = schema.get("$defs", {}).get("ExperimentEnvironment", {})
    for key in ("labels", "annotations"):  # PF240: only the pod flavour takes them
        env.get("properties", {}).pop(key, None)
    _finish("Pipeline", Pipeline, schema)
    schema["required"] = sorted(set(schema.get("required", [])) | {"version", "kind", "ops"})
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "Polyflow pipeline (Polyaxon 2019, version 1)"
    schema["description"] = (
        "A Polyflow 2019 pipeline, compiled to Argo Workflows by polyflow-argo "
        "(`polyflow-argo lint` reports what a schema cannot check; docs/errors.md explains each code)."
    )
    return schema


def run(args: argparse.Namespace) -> int:
    text = json.dumps(pipeline_schema(), indent=2, sort_keys=True) + "\n"
    if args.out:
        from ..files import write_atomic

        write_atomic(args.out, text)
    else:
        print(text, end="")
    return 0
