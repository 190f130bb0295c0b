"""The Python API's input contract (docs/api.md).

- A str or PathLike is a path (``kind-demo.yaml`` and ``versions/p.yaml`` were once read as YAML
  text); text is passed as ``text=``; ``compile`` also takes a mapping.
- ``lint`` returns diagnostics and never raises for any content; ``load``/``compile`` raise only
  ``PolyflowError`` for content, and for an unknown ``argo_version``.
- ``lint(resolve_sources=True)`` reports what ``compile`` would, in one run; a cron window that never
  fires (PF355) is a lint warning and a compile error.
"""

from __future__ import annotations

import contextlib
import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import polyflow_argo
from polyflow_argo import PolyflowError
from polyflow_argo import Text

ROOT = Path(__file__).resolve().parents[2]
DIAMOND = (ROOT / "examples" / "diamond.yaml").read_text()
JOB = "version: 1\nkind: pipeline\nops: [{name: a, template: {name: t}}]\n" \
      "templates: [{kind: job, name: t, build: {image: 'python:3.12'}}]\n"


# --------------------------------------------------------------------------- a path is a path
@pytest.mark.parametrize("name", ["kind-demo.yaml", "versions/p.yaml", "version", "{x}.yaml", "---.yaml"])
def test_a_path_is_read_as_a_path_whatever_its_name(name: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(JOB)
    assert polyflow_argo.lint(name) == []
    assert polyflow_argo.load(name).op_list[0].name == "a"
    assert polyflow_argo.compile(name)[0]["kind"] == "Workflow"
    assert polyflow_argo.compile(Path(name))[0]["kind"] == "Workflow"


def test_a_missing_path_is_reported_as_a_missing_file_not_as_yaml(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (d,) = polyflow_argo.lint("kind-demo.yaml")
    assert d.code == "PF106" and "no such file: kind-demo.yaml" in d.message


def test_text_is_passed_explicitly() -> None:
    assert polyflow_argo.lint(text=JOB) == []
    assert polyflow_argo.lint(text=JOB.encode()) == []
    assert polyflow_argo.load(text=JOB).op_list[0].name == "a"
    assert polyflow_argo.compile(text=JOB)[0]["kind"] == "Workflow"
    assert polyflow_argo.compile(Text(JOB, "mine.yaml"))[0]["kind"] == "Workflow"
    (d,) = polyflow_argo.lint(text="version: 1\nkind: pipelin\n" + JOB.split("\n", 2)[2])
    assert d.span is not None and (d.span.file, d.span.line, d.span.column) == ("<string>", 2, 7)
    with pytest.raises(TypeError):
        polyflow_argo.compile("p.yaml", text=JOB)


def test_compile_accepts_a_mapping() -> None:
    data = yaml.safe_load(JOB)
    assert polyflow_argo.compile(data) == polyflow_argo.compile(text=JOB)
    assert data == yaml.safe_load(JOB)  # not modified
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile({**data, "tags": {"a", "b"}})
    assert [d.code for d in err.value.diagnostics] == ["PF113"]
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile({**data, "concurrency": float("inf")})
    assert [d.code for d in err.value.diagnostics] == ["PF113"]
    with pytest.raises(PolyflowError) as err:  # positions are lines of json.dumps(mapping, indent=1)
        polyflow_argo.compile({**data, "concurrency": "two"})
    (d,) = err.value.diagnostics
    assert d.span is not None and d.span.file == "<dict>" and "'two'" in d.message
    dumped = json.dumps({**data, "concurrency": "two"}, indent=1).splitlines()
    assert '"concurrency": "two"' in dumped[d.span.line - 1]


@pytest.mark.parametrize("version", ["9", "", None, 4, "latest"])
def test_an_unknown_argo_version_is_a_polyflow_error(version: Any) -> None:
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(text=JOB, argo_version=version)
    (d,) = err.value.diagnostics
    assert d.code == "PF404" and "3.5" in (d.hint or "")


# --------------------------------------------------------------------------- the contract
def _only_polyflow_errors(call: Any) -> None:
    with contextlib.suppress(PolyflowError):
        call()


YAMLISH = st.text(alphabet=string.printable + "&*!<>|{}[]-:#'\"\\%@`é\u2028\x00\ud800", max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_lint_never_raises_and_load_compile_raise_only_polyflow_errors_for_any_text(text: str) -> None:
    found = polyflow_argo.lint(text=text)
    assert all(isinstance(d, polyflow_argo.Diagnostic) for d in found)
    _only_polyflow_errors(lambda: polyflow_argo.load(text=text))
    _only_polyflow_errors(lambda: polyflow_argo.compile(text=text))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_lint_never_raises_for_any_bytes(data: bytes) -> None:
    assert isinstance(polyflow_argo.lint(text=data), list)
    _only_polyflow_errors(lambda: polyflow_argo.compile(text=data))


SCALARS = st.sampled_from(
    ["0", "-1", "1.5", ".inf", "-.inf", ".nan", "9223372036854775808", "0x_", "~", "yes", "''",
     "!!python/none ''", "!!binary aGk=", "!x y", "*undefined", "2019-01-01", "[]", "{}", "'{{ x }}'",
     "[[[[[[[[[[1]]]]]]]]]]", "&a [*a]", "a: b", "- x", "|\n  text", "'\\u0000'", '"\\ud800"']
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000), SCALARS)
def test_a_hostile_value_anywhere_in_a_real_pipeline_gives_diagnostics(where: int, value: str) -> None:
    """Replace one scalar of examples/diamond.yaml (a value after `: ` on some line) with a hostile one."""
    lines = DIAMOND.splitlines()
    candidates = [i for i, ln in enumerate(lines) if ": " in ln and not ln.lstrip().startswith("#")]
    i = candidates[where % len(candidates)]
    key, _, _ = lines[i].partition(": ")
    lines[i] = f"{key}: {value}"
    text = "\n".join(lines) + "\n"
    assert isinstance(polyflow_argo.lint(text=text), list)
    assert isinstance(polyflow_argo.lint(text=text, resolve_sources=True), list)
    _only_polyflow_errors(lambda: polyflow_argo.compile(text=text))


# --------------------------------------------------------------------------- lint --resolve parity
PARITY = """\
version: 1
kind: pipeline
concurrency: 0
ops:
  - name: a
    template: {name: t}
    max_retries: -1
  - name: b
    template: {name: t}
    max_retries: 2
    retry_delay: -5
templates:
  - kind: job
    name: t
    build: {dockerfile: Dockerfile}
"""


def test_lint_resolve_reports_what_compile_would_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PARITY)
    assert polyflow_argo.lint(path) == []  # Polyflow 0.5.6 accepted it: plain lint still does
    found = {(d.code, d.span.line if d.span else 0) for d in polyflow_argo.lint(path, resolve_sources=True)}
    assert found >= {("PF412", 3), ("PF410", 7), ("PF410", 11), ("PF490", 15)}
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(path)
    compiled = {(d.code, d.span.line if d.span else 0) for d in err.value.errors}
    assert compiled <= found  # compile stops earlier, but never reports what lint --resolve missed


def test_lint_resolve_reads_the_project_config_like_compile(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PARITY.replace("concurrency: 0", "concurrency: 2")
                                     .replace("-1", "1").replace("-5", "5"))
    (tmp_path / "polyflow.yaml").write_text(
        "version: 1\nbuild: {context: 'https://github.com/org/repo.git#" + "a" * 40 + "', "
        "registry: registry.example.com/team/p}\n"
    )
    found = polyflow_argo.lint(tmp_path / "p.yaml", resolve_sources=True)
    assert [d for d in found if d.severity == "error"] == []
    polyflow_argo.compile(tmp_path / "p.yaml")


NEVER = JOB.replace("ops:", "name: never\nschedule: {kind: cron, cron: '0 0 30 2 *'}\nops:")


def test_a_cron_that_never_fires_is_a_lint_warning_and_a_compile_error() -> None:
    (d,) = polyflow_argo.lint(text=NEVER)
    assert (d.code, d.severity) == ("PF355", "warning") and d.span is not None and d.span.line == 4
    with pytest.raises(PolyflowError) as err:
        polyflow_argo.compile(text=NEVER)
    assert [(e.code, e.severity) for e in err.value.diagnostics] == [("PF355", "error")]


@pytest.mark.parametrize(
    ("path", "what", "command"),
    [
        ("examples/diamond.argo.yaml", "Argo Workflow manifest", "kubectl create -f"),
        ("examples/nightly-cron.argo.yaml", "Argo CronWorkflow manifest", "polyflow-argo apply"),
        ("examples/registry/actions/notify-slack-1.0.0.yaml", "registry action entry", "registry build"),
        ("examples/registry/events/wait-for-file.yaml", "registry event entry", "registry build"),
    ],
)
def test_linting_something_else_says_what_it_is_and_which_command_takes_it(
    path: str, what: str, command: str
) -> None:
    (d,) = polyflow_argo.lint(ROOT / path)
    assert d.code == "PF202" and what in d.message and command in (d.hint or "")
    assert "set `kind: pipeline`" not in (d.hint or "")
