"""``polyflow-argo schema``: the JSON Schema of the pipeline format, for editors."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of the pipeline format (for yaml-language-server)",
        description="Print a JSON Schema of the Polyflow pipeline format, generated from the models.",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    p.set_defaults(handler=run)


def pipeline_schema() -> dict[str, Any]:
    from ..language import Pipeline

    schema = Pipeline.model_json_schema()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["$id"] = "https://polyflow-argo.dev/schema/pipeline-v1.json"
    schema["title"] = "Polyflow pipeline (Polyaxon 2019, version 1)"
    props = schema.setdefault("properties", {})
    props["version"] = {"const": 1, "description": "Always 1."}
    props["kind"] = {"const": "pipeline", "description": "Always `pipeline`."}
    schema["required"] = sorted(set(schema.get("required", [])) | {"version", "kind", "ops", "templates"})
    return schema


def run(args: argparse.Namespace) -> int:
    text = json.dumps(pipeline_schema(), indent=2, sort_keys=True) + "\n"
    if args.output:
        from ..emit import write_atomic

        write_atomic(args.output, text)
    else:
        print(text, end="")
    return 0
