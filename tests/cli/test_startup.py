"""What a CLI process loads (issue 16: a 200-op compile is start-up bound): pydantic plugin discovery
is skipped in the CLI process only, and the modules of features a pipeline does not use (groups,
distributed jobs, events, schedules) are not imported for it. docs/performance.md has the figures."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from polyflow_argo import compile as compile_pipeline
from polyflow_argo.emit import to_json

ROOT = Path(__file__).resolve().parents[2]

# Runs the CLI as this process's command line (main() without argv, as `python -m polyflow_argo`
# does) and writes the modules it loaded to the file named by the first argument.
RUN = """\
import json, sys
from polyflow_argo.cli import main
out, sys.argv = sys.argv[1], ["polyflow-argo", *sys.argv[2:]]
code = main()
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""

PLAIN = """\
version: 1
kind: pipeline
name: plain
ops:
  - {name: a, template: {name: t}, params: {n: 3}}
  - {name: b, template: {name: t}, dependencies: [a], params: {n: 4}}
templates:
  - {kind: job, name: t, inputs: [{name: n, type: int}], build: {image: 'python:3.7-slim'},
     run: {cmd: 'echo {{ n }}'}}
"""

# The modules of features only some pipelines use (docs/performance.md, "What a compile loads").
FEATURES = {
    "group": ("polyflow_argo.resolve.matrix", "polyflow_argo.translate.group"),
    "distributed": ("polyflow_argo.translate.distributed",),
    "events": ("polyflow_argo.registry.events",),
    "schedule": ("polyflow_argo.resolve.schedule", "polyflow_argo.resolve.cronexpr"),
}


def loaded(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    out = tmp_path / "modules.json"
    res = subprocess.run(
        [sys.executable, "-c", RUN, str(out), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )
    assert res.returncode == 0, res.stderr
    return set(json.loads(out.read_text())), res.stdout


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain.yaml"
    path.write_text(PLAIN)
    return path


def test_cli_process_skips_pydantic_plugin_discovery(tmp_path: Path, plain: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    modules, stdout = loaded(tmp_path, "compile", str(plain), "-o", "json", env=env)
    assert "pydantic.plugin._loader" in modules  # the stand-in pydantic imported
    assert "importlib.metadata" not in modules
    assert stdout == to_json(compile_pipeline(plain))  # the same manifest as the library's


def test_named_plugins_to_disable_get_pydantics_own_loader(tmp_path: Path, plain: Path) -> None:
    """``PYDANTIC_DISABLE_PLUGINS=a,b`` keeps the other plugins: pydantic's loader looks for them."""
    modules, _ = loaded(tmp_path, "compile", str(plain), env={"PYDANTIC_DISABLE_PLUGINS": "some-plugin"})
    assert "importlib.metadata" in modules


def test_the_stand_in_matches_pydantics_loader() -> None:
    """What the CLI stands in for: pydantic imports ``get_plugins`` from ``pydantic.plugin._loader``
    when it builds a validator, and calls it without arguments. A pydantic release that changes
    this fails here, not in a user's compile."""
    from pydantic.plugin import _loader, _schema_validator

    assert "from ._loader import get_plugins" in inspect.getsource(_schema_validator.create_schema_validator)
    assert "get_plugins()" in inspect.getsource(_schema_validator.create_schema_validator)
    assert not inspect.signature(_loader.get_plugins).parameters


def test_library_use_leaves_pydantic_as_it_is() -> None:
    """``import polyflow_argo`` and in-process ``main([...])`` (tests, embedding) keep pydantic's loader."""
    code = (
        "import sys, io, contextlib\nfrom polyflow_argo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['compile', 'examples/diamond.yaml'])\n"
        "print(type(sys.modules['pydantic.plugin._loader'].__spec__).__name__)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "ModuleSpec", res.stderr  # the real module (the stand-in has no spec)


def test_a_plain_pipeline_loads_no_feature_module(tmp_path: Path, plain: Path) -> None:
    modules, _ = loaded(tmp_path, "compile", str(plain), "-o", "json")
    assert "polyflow_argo.translate.workflow" in modules  # it did compile
    assert not {m for names in FEATURES.values() for m in names} & modules


@pytest.mark.parametrize(
    ("feature", "pipeline"),
    [
        ("group", "examples/hyperparameter-search.yaml"),
        ("distributed", "tests/fixtures/runtime/distributed.yaml"),
        ("events", "examples/events.yaml"),
        ("schedule", "examples/nightly-cron.yaml"),
    ],
)
def test_a_feature_loads_its_modules(tmp_path: Path, feature: str, pipeline: str) -> None:
    """The other side of the test above: the modules are the ones these features use."""
    modules, _ = loaded(tmp_path, "compile", pipeline, "--no-warnings")
    assert set(FEATURES[feature]) <= modules
