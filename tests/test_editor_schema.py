"""The editor schema (`polyflow-argo schema`) agrees with the loader.

It accepts every pipeline `lint` accepts (examples, fixtures) and rejects every file whose errors it
is designed to express (``SCHEMA_CODES``): the fixtures and the invalid corpus of
tests/language/test_invalid.py. Every property has a description (from the docstring under the
field in polyflow_argo/language/*.py), and `--out FILE` writes it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

import polyflow_argo
from polyflow_argo import source
from polyflow_argo.cli import main
from polyflow_argo.cli.schema import pipeline_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = pipeline_schema()
VALIDATOR = Draft7Validator(SCHEMA)

# The codes whose errors the schema expresses: a file with one of them must be rejected.
SCHEMA_CODES = {
    "PF200", "PF201", "PF202", "PF205", "PF206", "PF207", "PF208", "PF209", "PF210", "PF211",
    "PF220", "PF221", "PF222", "PF231", "PF240", "PF241", "PF242", "PF250", "PF252", "PF253",
    "PF260", "PF263", "PF264", "PF267", "PF271", "PF301", "PF302",
}
# Rows of the invalid corpus with a code above that a JSON Schema cannot catch, and why.
CANNOT = {
    "schedule-unquoted-timestamp": "an unquoted YAML timestamp is a string to an editor (YAML 1.2)",
    "schedule-cron-unquoted-timestamp": "an unquoted YAML timestamp is a string to an editor (YAML 1.2)",
}


def data_of(text: str) -> Any:
    """The document as an editor's YAML server sees it (plain JSON data)."""
    return json.loads(json.dumps(source.parse(text, "p.yaml").data, default=str))


def pipelines() -> list[Path]:
    files = [p for p in sorted((ROOT / "examples").glob("*.yaml")) if not p.name.endswith(".argo.yaml")]
    files += sorted((ROOT / "tests" / "fixtures").rglob("*.y*ml"))
    out = []
    for path in files:
        data = source.parse(path.read_text(), str(path)).data
        if isinstance(data, dict) and data.get("kind") == "pipeline":
            out.append(path)
    return out


def _invalid_rows() -> list[Any]:
    spec = importlib.util.spec_from_file_location("invalid", ROOT / "tests" / "language" / "test_invalid.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.ROWS)


ROWS = _invalid_rows()


def test_the_schema_is_draft_7() -> None:
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"


@pytest.mark.parametrize("path", pipelines(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_schema_agrees_with_lint_on_every_example_and_fixture(path: Path) -> None:
    codes = {d.code for d in polyflow_argo.lint(str(path)) if d.severity == "error"}
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message[:200]}"
              for e in VALIDATOR.iter_errors(data_of(path.read_text()))]
    if codes & SCHEMA_CODES:
        assert errors, f"lint reports {sorted(codes & SCHEMA_CODES)}, the schema accepts the file"
    else:
        assert not errors, f"lint reports {sorted(codes) or 'no error'}, the schema rejects:\n" + "\n".join(
            errors
        )


def test_the_examples_include_one_without_templates() -> None:
    # examples/shared-templates.yaml uses only path, event and action templates: no `templates:`.
    data = data_of((ROOT / "examples" / "shared-templates.yaml").read_text())
    assert "templates" not in data and not list(VALIDATOR.iter_errors(data))
    data["ops"][0]["template"] = {"name": "x"}
    assert [e.message for e in VALIDATOR.iter_errors(data)] == ["'templates' is a required property"]


CORPUS = [(r.id, r.values[0], r.values[1], r.values[5]) for r in ROWS]


@pytest.mark.parametrize(("rid", "text", "code", "severity"), CORPUS, ids=[c[0] for c in CORPUS])
def test_the_schema_rejects_the_invalid_corpus(rid: str, text: str, code: str, severity: str) -> None:
    if code not in SCHEMA_CODES or rid in CANNOT or severity != "error":
        pytest.skip(f"{code} is not checked by the schema" + (f" ({CANNOT[rid]})" if rid in CANNOT else ""))
    try:
        data = data_of(text)
    except polyflow_argo.PolyflowError:
        pytest.skip("not YAML")
    assert list(VALIDATOR.iter_errors(data)), f"the schema accepts a file lint rejects with {code}"


def test_the_schema_rejects_most_of_the_invalid_corpus() -> None:
    rejected = 0
    for row in ROWS:
        try:
            data = data_of(row.values[0])
        except polyflow_argo.PolyflowError:
            continue
        rejected += bool(list(VALIDATOR.iter_errors(data)))
    assert rejected >= len(ROWS) // 2, f"{rejected} of {len(ROWS)}"


def _walk(schema: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, prop in schema.get("properties", {}).items():
        out.append((f"{where}.{name}", prop))
    for name, definition in schema.get("$defs", {}).items():
        out += _walk(definition, name)
    return out


def test_every_property_has_a_description() -> None:
    props = _walk(SCHEMA)
    assert len(props) > 150
    missing = [name for name, prop in props if not prop.get("description")]
    assert not missing, missing


def test_every_field_of_the_language_models_has_a_docstring() -> None:
    missing = []
    for path in sorted((ROOT / "polyflow_argo" / "language").glob("*.py")):
        if path.name in ("project.py", "load.py", "values.py", "codes.py", "hints.py", "base.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            for stmt, after in zip(node.body, [*node.body[1:], None], strict=True):
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    if stmt.target.id.startswith("_"):
                        continue
                    documented = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    if not documented:
                        missing.append(f"{path.name}:{stmt.lineno} {node.name}.{stmt.target.id}")
    assert not missing, "add a docstring under each field (the editor's description):\n" + "\n".join(missing)


PIPELINE = {
    "version": 1,
    "kind": "pipeline",
    "ops": [{"name": "a", "template": {"name": "t"}}],
    "templates": [{"kind": "job", "name": "t"}],
}


@pytest.mark.parametrize(
    ("op", "ok"),
    [
        ({"max_retries": -1}, False),
        ({"max_retries": 0}, True),
        ({"max_retries": "3"}, True),  # the loader takes numeric strings
        ({"concurrency": 0}, False),
        ({"trigger": "all_secceded"}, False),
        ({"retry_exp_backoff": "yes"}, True),
        ({"retry_exp_backoff": 2}, False),
        ({"template": {"name": "t", "path": "t.yaml"}}, False),
    ],
)
def test_minimums_enums_and_lenient_scalars(op: dict[str, Any], ok: bool) -> None:
    data = json.loads(json.dumps(PIPELINE))
    data["ops"][0].update(op)
    assert (not list(VALIDATOR.iter_errors(data))) is ok


def test_descriptions_come_from_the_field_docstrings() -> None:
    op = SCHEMA["$defs"]["Op"]["properties"]
    assert op["trigger"]["description"].startswith("When the op runs")
    assert "enum" in json.dumps(op["trigger"]) and "minimum" in op["max_retries"]
    optimization = SCHEMA["$defs"]["Metric"]["properties"]["optimization"]
    assert optimization["enum"][:3] == ["maximize", "MAXIMIZE", "Maximize"]


def test_schema_out_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert main(["schema", "--out", str(tmp_path / "polyflow.schema.json")]) == 0
    assert (tmp_path / "polyflow.schema.json").read_text() == printed
    assert json.loads(printed) == SCHEMA
    assert main(["schema", "-o", str(tmp_path / "x.json")]) == 2  # -o is a format elsewhere: not here
    assert not (tmp_path / "x.json").exists()


def test_schema_out_that_cannot_be_written_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    assert main(["schema", "--out", str(tmp_path / "file" / "s.json")]) == 1
    assert "PF500" in capsys.readouterr().err


def test_the_readme_shows_the_editor_setup() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "polyflow-argo schema --out polyflow.schema.json" in readme
    assert "# yaml-language-server: $schema=./polyflow.schema.json" in readme
