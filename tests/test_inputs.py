"""The input edge (polyflow_argo/inputs.py): every file, URL, lock, registry and project config a
pipeline names is read before resolving; resolve and translate look up data and do no I/O.

Problems found at the edge are reported by resolve where the op names them, with the codes and
positions they had when resolve read the files itself."""

from __future__ import annotations

import builtins
import io
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import pytest

import polyflow_argo
from polyflow_argo import PolyflowError, Text
from polyflow_argo.compiler import (
    _cluster_reader,
    _read_and_validate,
    _read_inputs,
    _resolve_for_compile,
    compile_with_warnings,
    translate_options,
)
from polyflow_argo.inputs import read_project, read_sources, store, write_lock
from polyflow_argo.resolve import ResolveOptions, resolve
from polyflow_argo.translate import CompileOptions, TranslateOptions, translate
from tests.support import REMOTE_TEMPLATE as REMOTE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
URL = "https://templates.example.com/remote-trainer.yaml"


class IOAttempt(AssertionError):
    pass


@contextmanager
def no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every way the edge reads (files, the working directory, stat, the network) raises inside."""

    def refuse(what: str):  # type: ignore[no-untyped-def]
        def call(*args: object, **kwargs: object) -> object:
            raise IOAttempt(f"{what} during resolve/translate: {args!r}")
        return call

    with monkeypatch.context() as m:
        m.setattr(builtins, "open", refuse("open"))
        m.setattr(io, "open", refuse("io.open"))
        m.setattr(os, "open", refuse("os.open"))
        m.setattr(os, "stat", refuse("os.stat"))
        m.setattr(os, "lstat", refuse("os.lstat"))
        m.setattr(os, "getcwd", refuse("os.getcwd"))
        for name in ("open", "read_text", "read_bytes", "exists", "is_file", "is_dir", "resolve", "stat",
                     "rglob", "iterdir"):
            m.setattr(Path, name, refuse(f"Path.{name}"))
        m.setattr(urllib.request, "urlopen", refuse("urlopen"))
        m.setattr(socket, "socket", refuse("socket"))
        m.setattr(socket, "create_connection", refuse("create_connection"))
        yield


@pytest.fixture
def project_files() -> dict[str, str | None]:
    """The shared-templates example in a project of its own, plus a url template (tests/conftest.py
    writes them)."""
    text = (EXAMPLES / "shared-templates.yaml").read_text()
    text += f"  - name: remote\n    template: {{url: '{URL}'}}\n    dependencies: [train]\n" \
            "    params: {lr: 0.5}\n"
    files: dict[str, str | None] = {"polyflow.yaml": (EXAMPLES / "polyflow.yaml").read_text(), "p.yaml": text}
    for t in sorted((EXAMPLES / "templates").rglob("*")):
        if t.is_file():
            files[str(t.relative_to(EXAMPLES))] = t.read_text()
    return files


@pytest.fixture
def project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """... with the url template pinned in polyflow.lock and its content in the cache (so no network
    is needed, as after `lock`)."""
    monkeypatch.delenv("POLYFLOW_REGISTRY", raising=False)
    write_lock(project, {URL: store(REMOTE.encode())})
    return project


def test_resolve_and_translate_do_no_io(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = CompileOptions(registries=(str(EXAMPLES / "registry"),))
    pipeline = str(project / "p.yaml")
    expected, warnings = compile_with_warnings(pipeline, options)  # the whole flow, as compile runs it
    assert [t["name"] for t in expected[0]["spec"]["templates"]][-1] == "remote-trainer"  # type: ignore[index]

    spec, doc, replaced = _read_and_validate(pipeline, options)  # read and validate
    found, project_config = _read_inputs(spec, doc, pipeline, options)  # the input edge
    assert sorted(found.files) == [str(project / "templates" / "trainer.yaml"), URL]
    assert found.registry is not None and found.registry.find("action", "notify-slack") is not None
    with no_io(monkeypatch):
        with pytest.raises(IOAttempt):  # the guard does catch what the edge does
            read_sources(spec, doc, resolve_sources=True, registries=options.registries,
                         connect=_cluster_reader)
        ir = _resolve_for_compile(spec, doc, found, replaced)
        settings = translate_options(options, project_config, ir)
        docs, sink = translate(ir, settings)
    assert docs == expected
    assert settings.build is not None and settings.build.registry == "registry.example.com/ml/polyflow"
    assert sorted([*ir.warnings, *sink.items], key=lambda d: d.sort_key()) == warnings


def test_a_missing_path_template_is_reported_at_the_op(project: Path) -> None:
    p = project / "p.yaml"
    p.write_text(p.read_text().replace("templates/trainer.yaml", "templates/gone.yaml"))
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p, registries=(str(EXAMPLES / "registry"),))
    (err,) = info.value.errors
    assert (err.code, err.span.file, err.span.line, err.span.column) == ("PF323", str(p), 17, 22)  # type: ignore[union-attr]
    assert err.message == "template file 'templates/gone.yaml' of op 'train' does not exist"
    assert err.hint == f"paths are relative to the file that names them ({p})"
    found = read_sources(_spec(p), _spec(p)._doc, resolve_sources=False, connect=_cluster_reader)
    assert found.paths[1].state == "missing" and found.files == {} and found.urls == {}
    # plain lint does not resolve sources: no error, as in Polyflow 0.5
    assert [d.code for d in polyflow_argo.lint(p) if d.severity == "error"] == []


def test_errors_in_a_template_file_are_reported_once_at_its_lines(project: Path) -> None:
    broken = "kind: job\nname: trainer\ninputs: [{name: lr, type: flaot}]\n"
    (project / "templates" / "trainer.yaml").write_text(broken)
    p = project / "p.yaml"
    again = "  - name: train-again\n    template: {path: templates/trainer.yaml}\n    params: {lr: 0.1}\n"
    p.write_text(p.read_text().replace("  - name: notify\n", again + "  - name: notify\n"))
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p, registries=(str(EXAMPLES / "registry"),))
    # once, at the template file's line, though two ops name it
    where = [(e.code, e.span.file, e.span.line, e.span.column) for e in info.value.errors]  # type: ignore[union-attr]
    assert where == [("PF207", str(project / "templates" / "trainer.yaml"), 3, 27)]


def test_an_unpinned_url_is_reported_at_the_op(project: Path) -> None:
    (project / "polyflow.lock").unlink()
    p = project / "p.yaml"
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p, registries=(str(EXAMPLES / "registry"),))
    (err,) = info.value.errors
    assert (err.code, err.span.line, err.span.column) == ("PF326", 30, 21)  # type: ignore[union-attr]
    assert err.message == f"template URL {URL} of op 'remote' is not pinned in polyflow.lock"
    found = read_sources(_spec(p), _spec(p)._doc, resolve_sources=True, connect=_cluster_reader)
    assert found.urls[4].pinned is False and URL not in found.files


def test_a_malformed_lock_stops_at_its_line(project: Path) -> None:
    (project / "polyflow.lock").write_text("urls:\n  x: md5\n")
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(project / "p.yaml", registries=(str(EXAMPLES / "registry"),))
    (err,) = info.value.errors
    assert (err.code, Path(err.span.file).name, err.span.line) == ("PF114", "polyflow.lock", 2)  # type: ignore[union-attr]


def test_registry_misses_are_reported_at_the_op(project: Path, tmp_path: Path) -> None:
    p = project / "p.yaml"
    with pytest.raises(PolyflowError) as info:  # no registry at all
        polyflow_argo.compile(p)
    assert [(e.code, e.span.line, e.span.column) for e in info.value.errors] == [  # type: ignore[union-attr]
        ("PF324", 14, 23), ("PF324", 21, 24), ("PF324", 25, 24)]
    assert info.value.errors[1].message == (
        "op 'notify' uses action 'notify-slack', but no registry is configured")
    p.write_text(p.read_text().replace("notify-slack:1.0.0", "notify-slack:9.9.9"))
    with pytest.raises(PolyflowError) as info:  # a version the registry does not have
        polyflow_argo.compile(p, registries=(str(EXAMPLES / "registry"),))
    (err,) = info.value.errors
    assert (err.code, err.span.line, err.span.column) == ("PF325", 25, 24)  # type: ignore[union-attr]
    assert err.message == "op 'notify-failure' uses action 'notify-slack:9.9.9', which is not in the registry"
    assert err.hint == "versions of action 'notify-slack': 1.0.0, 1.1.0"


def test_the_registry_is_read_only_when_an_op_uses_it(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\nkind: pipeline\nname: p\nops: [{name: a, template: {name: t}}]\n"
                 "templates: [{kind: job, name: t, build: {image: busybox}}]\n")
    spec = _spec(p)
    found = read_sources(spec, spec._doc, resolve_sources=True,
                         registries=(str(tmp_path / "no-such-dir"),), connect=_cluster_reader)
    assert found.registry is None


def test_a_broken_project_config_is_raised_after_the_pipeline_resolves(tmp_path: Path) -> None:
    (tmp_path / "polyflow.yaml").write_text("version: 1\nbuild: {builder: docker}\n")
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\nkind: pipeline\nname: p\nops: [{name: a, template: {name: nope}}]\n"
                 "templates: [{kind: job, name: t, build: {image: busybox}}]\n")
    project = read_project(None, [str(p)])
    assert project.error is not None and project.loaded is None
    with pytest.raises(PolyflowError) as info:  # the pipeline's own error first, as before the edge
        polyflow_argo.compile(p)
    assert [e.code for e in info.value.errors] == ["PF320"]
    p.write_text(p.read_text().replace("name: nope", "name: t"))
    with pytest.raises(PolyflowError) as info:
        polyflow_argo.compile(p)
    assert info.value.errors[0].span.file == str(tmp_path / "polyflow.yaml")  # type: ignore[union-attr]


def test_resolve_without_sources_resolves_the_pipelines_own_templates(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\nkind: pipeline\nname: p\nops: [{name: a, template: {name: t}}]\n"
                 "templates: [{kind: job, name: t, build: {image: busybox}}]\n")
    spec = _spec(p)
    ir = resolve(spec, spec._doc, ResolveOptions(resolve_sources=True))
    assert ir.nodes["a"].template is not None


def test_resolve_options_have_no_template_only_flag() -> None:
    """Registry build decides that its templates' inputs get no params (registry/build.py)."""
    assert [f.name for f in fields(ResolveOptions)] == ["resolve_sources", "overridden"]


def test_translate_options_are_the_output_fields_of_compile_options() -> None:
    compile_fields = {f.name for f in fields(CompileOptions)}
    derived = {"project_config", "build"}
    own = {f.name for f in fields(TranslateOptions)}
    assert derived & compile_fields == set()  # compile derives them; a user does not pass them
    assert own - derived <= compile_fields
    options = CompileOptions(name="n", namespace="ml", argo_version="3.6", pod_gc="OnPodSuccess",
                             params=(("a.b", "1"),))
    settings = TranslateOptions.of(options)
    assert (settings.name, settings.namespace, settings.argo_version, settings.pod_gc) == ("n", "ml", "3.6",
                                                                                          "OnPodSuccess")
    assert settings.project_config is None and settings.build is None
    with pytest.raises(TypeError):
        polyflow_argo.compile(EXAMPLES / "diamond.yaml", build=None)


def _spec(path: Path) -> polyflow_argo.Pipeline:
    from polyflow_argo.compiler import read
    from polyflow_argo.language.load import load_pipeline

    doc = read(path)
    spec = load_pipeline(doc)
    spec._doc = doc
    return spec


def test_resolve_without_sources_says_what_the_caller_forgot() -> None:
    """resolve() is public: a path template without the Sources the input edge reads is a clear
    TypeError (a caller's mistake), never a KeyError from inside."""
    from polyflow_argo.compiler import read
    from polyflow_argo.language.load import load_pipeline
    from polyflow_argo.resolve import ResolveOptions, resolve

    doc = read(Text("version: 1\nkind: pipeline\nops: [{name: a, template: {path: t.yaml}}]\n"))
    spec = load_pipeline(doc)
    with pytest.raises(TypeError, match="read them first with polyflow_argo.inputs.read_sources"):
        resolve(spec, doc, ResolveOptions())
