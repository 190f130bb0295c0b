"""What a CLI process loads (issue 16: a 200-op compile is start-up bound): pydantic plugin
discovery is skipped by the one-shot commands only (cli/startup.py), and the modules of features a
pipeline does not use (groups, distributed jobs, events, schedules) are not imported for it.
docs/performance.md has the figures."""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from polyflow_argo import compile as compile_pipeline
from polyflow_argo.emit import to_yaml

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


def loaded(tmp_path: Path, *args: str, env: dict[str, str | None] | None = None) -> tuple[set[str], str]:
    """The modules a CLI process loaded for ``args``, and what it printed; ``env``: changes to this
    process's environment (None: the variable unset)."""
    out = tmp_path / "modules.json"
    merged = {**os.environ, **(env or {})}
    res = subprocess.run(
        [sys.executable, "-c", RUN, str(out), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in merged.items() if v is not None},
    )
    assert res.returncode == 0, res.stderr
    return set(json.loads(out.read_text())), res.stdout


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain.yaml"
    path.write_text(PLAIN)
    return path


@pytest.mark.parametrize("command", ["compile", "lint"])
def test_one_shot_commands_skip_pydantic_plugin_discovery(tmp_path: Path, plain: Path, command: str) -> None:
    modules, stdout = loaded(tmp_path, command, str(plain), env={"PYDANTIC_DISABLE_PLUGINS": None})
    assert "pydantic.plugin._loader" in modules  # the stand-in pydantic imported
    assert "importlib.metadata" not in modules
    if command == "compile":
        assert stdout == to_yaml(compile_pipeline(plain))  # the same manifest as the library's


@pytest.mark.parametrize("value", ["some-plugin", ""])
def test_other_values_of_the_variable_get_pydantics_own_loader(
    tmp_path: Path, plain: Path, value: str
) -> None:
    """``PYDANTIC_DISABLE_PLUGINS=a,b`` keeps the other plugins, and an empty value all of them:
    pydantic's loader looks for them."""
    modules, _ = loaded(tmp_path, "compile", str(plain), env={"PYDANTIC_DISABLE_PLUGINS": value})
    assert "importlib.metadata" in modules


PLUGIN = """\
import os, pathlib

class Plugin:
    def new_schema_validator(self, *args, **kwargs):
        with open(os.environ["FAKE_PLUGIN_CALLS"], "a") as f:
            f.write("called\\n")
        return None, None, None

plugin = Plugin()
"""


@pytest.fixture
def fake_plugin(tmp_path: Path) -> dict[str, str | None]:
    """An installed pydantic plugin (a distribution with a ``pydantic`` entry point) that counts
    the validators pydantic builds; the environment that makes it visible."""
    site = tmp_path / "site"
    dist = site / "fake_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[pydantic]\nfake = fake_plugin:plugin\n")
    (site / "fake_plugin.py").write_text(PLUGIN)
    return {"PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "FAKE_PLUGIN_CALLS": str(tmp_path / "calls"),
            "PYDANTIC_DISABLE_PLUGINS": None}


@pytest.mark.parametrize(
    ("args", "env", "called"),
    [
        (["compile"], {}, False),  # a one-shot command: no plugins
        (["lint"], {}, False),
        (["compile"], {"PYDANTIC_DISABLE_PLUGINS": ""}, True),  # asked for pydantic's own loader
        (["graph"], {}, True),  # any other command: pydantic as it is
    ],
)
def test_an_installed_plugin_runs_where_pydantic_would_run_it(
    tmp_path: Path, plain: Path, fake_plugin: dict[str, str | None], args: list[str],
    env: dict[str, str | None], called: bool,
) -> None:
    loaded(tmp_path, *args, str(plain), env={**fake_plugin, **env})
    calls = tmp_path / "calls"
    assert calls.exists() == called


def _loader_uses() -> dict[str, set[str]]:
    """Every name pydantic's modules import from, or read off, its plugin loader, by module."""
    import pydantic

    uses: dict[str, set[str]] = {}
    for path in Path(pydantic.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "_loader":
                uses.setdefault(str(path), set()).update(alias.name for alias in node.names)
            elif isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "_loader":
                uses.setdefault(str(path), set()).add(node.attr)
            elif isinstance(node, ast.Import) and any(a.name.endswith("._loader") for a in node.names):
                uses.setdefault(str(path), set()).add("<module>")
    return uses


def test_the_stand_in_answers_every_use_pydantic_makes_of_its_loader() -> None:
    """pydantic imports only ``get_plugins`` from its loader, and calls it without arguments; a
    release that uses it otherwise fails here (the stand-in would then load the real loader)."""
    from pydantic.plugin import _loader, _schema_validator

    uses = _loader_uses()
    assert uses, "pydantic no longer uses a plugin loader: drop polyflow_argo/cli/startup.py"
    assert set().union(*uses.values()) == {"get_plugins"}, uses
    assert "get_plugins()" in inspect.getsource(_schema_validator.create_schema_validator)
    assert not inspect.signature(_loader.get_plugins).parameters


def test_the_stand_in_gives_way_to_the_real_loader(tmp_path: Path) -> None:
    """What the stand-in does not know is the real loader's, which takes its place."""
    code = (
        "import sys, importlib.util\n"
        "from polyflow_argo.cli.startup import LOADER, without_pydantic_plugins\n"
        "without_pydantic_plugins()\n"
        "stand_in = sys.modules[LOADER]\n"
        "assert importlib.util.find_spec(LOADER) is stand_in.__spec__\n"
        "assert list(stand_in.get_plugins()) == []\n"
        "group = stand_in.PYDANTIC_ENTRY_POINT_GROUP\n"
        "assert sys.modules[LOADER] is not stand_in and group == 'pydantic'\n"
        "print('ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.stdout == "ok\n", res.stderr


def test_library_use_leaves_pydantic_as_it_is() -> None:
    """``import polyflow_argo`` and in-process ``main([...])`` (tests, embedding) keep pydantic's loader."""
    code = (
        "import sys, io, contextlib\nfrom polyflow_argo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['compile', 'examples/diamond.yaml'])\n"
        "print(type(sys.modules['pydantic.plugin._loader']).__name__)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "module", res.stderr  # the real one (the stand-in is a _NoPlugins)


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
