"""The import graph of ``polyflow_argo/``, computed from the code: no cycle, and no stage imports a later one.

Every ``import`` and ``from ... import`` of every module counts, at module level or inside a function
(relative imports resolved; ``from pkg import name`` is an edge to ``pkg/name.py`` when that is a module,
else to ``pkg/__init__.py``). Imports under ``if TYPE_CHECKING:`` never run, so they are left out of the
cycle check, but they still must not reach a later stage. Importing ``a.b`` also runs ``a/__init__.py``;
that implicit edge is not counted (every module would otherwise import the package root).

``STAGES`` is the one table of the stages: a file belongs to the most specific entry naming it or a folder
above it. Adding a module under an existing folder needs no change here; a new top-level module must be
given a stage (test_every_module_has_a_stage says which).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "polyflow_argo"

# In import order: a module may import its own stage and earlier ones, never a later one.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("errors.py", "version.py", "files.py")),  # diagnostics, the version, atomic writes
    ("source", ("source.py", "source_codes.py")),  # text → located document; its codes catalog
    ("language", ("language/",)),  # the Polyflow language models, value parsing, project config
    ("registry", ("registry/",)),  # entries as data; in-cluster ones read through an injected client
    ("inputs", ("inputs.py",)),  # the input edge: every file, URL and registry a pipeline names, as data
    ("resolve", ("resolve/",)),
    ("views", ("views/",)),  # read-only renderings of the resolved pipeline: graph, explain
    ("translate", ("translate/", "registry/build.py")),  # publishing a registry entry is translation
    ("emit", ("emit.py",)),
    ("cluster", ("cluster/",)),  # sends manifests, reads runs; never compiles
    ("api", ("compiler.py", "client.py", "__init__.py")),  # the public API: compile/load/lint, Client
    ("edge", ("cli/", "plugin/", "__main__.py")),  # the command line and the executor plugin
)


@dataclass(frozen=True)
class Import:
    source: str  # importing file, relative to the package ("cluster/client.py")
    line: int
    target: str  # imported file, relative to the package
    type_only: bool  # under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        return f"polyflow_argo/{self.source}:{self.line} imports polyflow_argo/{self.target}"


def stage_of(path: str) -> int:
    """The index in ``STAGES`` of the most specific entry naming ``path`` (relative to the package)."""
    best: tuple[int, int] | None = None  # (length of the entry, stage)
    for index, (_, entries) in enumerate(STAGES):
        for entry in entries:
            named = path == entry or (entry.endswith("/") and path.startswith(entry))
            if named and (best is None or len(entry) > best[0]):
                best = (len(entry), index)
    if best is None:
        raise LookupError(f"polyflow_argo/{path} has no stage: add it to STAGES in {Path(__file__).name}")
    return best[1]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, type_only: bool = False) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import node under ``tree`` (functions included), with whether it runs only for type checkers."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, type_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), type_only)
        else:
            yield from _imports(node, type_only)


def module_files(root: Path) -> dict[str, str]:
    """Dotted module name (``polyflow_argo.cluster.client``) → path relative to ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        parts = [root.name, *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = rel.as_posix()
    return out


def import_graph(root: Path) -> list[Import]:
    """Every import between two modules under ``root`` (a package directory)."""
    modules = module_files(root)
    edges: list[Import] = []
    for name, rel in modules.items():
        package = name if rel.endswith("__init__.py") else name.rpartition(".")[0]
        tree = ast.parse((root / rel).read_text(), filename=rel)
        for node, type_only in _imports(tree):
            for target in _targets(node, package, modules):
                if target != name:
                    edges.append(Import(rel, node.lineno, modules[target], type_only))
    return edges


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules: dict[str, str]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1])
            module = f"{base}.{node.module}" if node.module else base
        else:
            module = node.module or ""
        names = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
    out = []
    for dotted in names:
        while dotted and dotted not in modules:  # `import a.b.c` of a name inside a module, or outside
            dotted = dotted.rpartition(".")[0]
        if dotted and dotted not in out:
            out.append(dotted)
    return out


def find_cycle(edges: Iterable[Import]) -> list[Import] | None:
    """One cycle of runtime imports (the imports that make it), or None."""
    graph: dict[str, list[Import]] = {}
    for edge in edges:
        if not edge.type_only:
            graph.setdefault(edge.source, []).append(edge)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[Import] = []

    def visit(module: str) -> list[Import] | None:
        state[module] = 1
        for edge in graph.get(module, []):
            if state.get(edge.target) == 1:  # back on the path: the cycle runs from there to here
                start = next(i for i, e in enumerate(path) if e.source == edge.target)
                return path[start:] + [edge]
            if edge.target not in state:
                path.append(edge)
                found = visit(edge.target)
                if found:
                    return found
                path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def later_stage_imports(edges: Iterable[Import]) -> list[str]:
    out = []
    for edge in edges:
        here, there = stage_of(edge.source), stage_of(edge.target)
        if there > here:
            out.append(
                f"{edge}: stage '{STAGES[here][0]}' must not import the later stage '{STAGES[there][0]}'"
                + (" (even for type checking)" if edge.type_only else "")
            )
    return out


GRAPH = import_graph(PACKAGE)


def test_every_module_has_a_stage() -> None:
    missing = []
    for rel in module_files(PACKAGE).values():
        try:
            stage_of(rel)
        except LookupError as exc:
            missing.append(str(exc))
    assert not missing, "\n".join(missing)


def test_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle:\n  " + "\n  ".join(str(e) for e in cycle or [])


def test_no_module_imports_a_later_stage() -> None:
    wrong = later_stage_imports(GRAPH)
    assert not wrong, "\n".join(wrong)


def test_the_graph_sees_imports_inside_functions() -> None:
    lazy = [e for e in GRAPH if e.source == "compiler.py" and e.target == "cluster/client.py"]
    assert lazy, "compiler.py imports the cluster client inside a function"


# ----------------------------------------------------------------------------- self-tests


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "polyflow_argo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "__init__.py": "",
        "errors.py": "",
        "resolve/__init__.py": "",
        "resolve/a.py": "from . import b\n",
        "resolve/b.py": "def f():\n    from .c import g\n",
        "resolve/c.py": "from polyflow_argo.resolve.a import x\nfrom ..errors import E\n",
    })
    cycle = find_cycle(import_graph(root))
    assert cycle is not None
    assert [str(e) for e in cycle] == [
        "polyflow_argo/resolve/a.py:1 imports polyflow_argo/resolve/b.py",
        "polyflow_argo/resolve/b.py:2 imports polyflow_argo/resolve/c.py",
        "polyflow_argo/resolve/c.py:1 imports polyflow_argo/resolve/a.py",
    ]


def test_type_checking_imports_make_no_cycle_but_count_for_stages(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "__init__.py": "",
        "emit.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .compiler import X\n",
        "compiler.py": "from .emit import to_yaml\n",
    })
    edges = import_graph(root)
    assert find_cycle(edges) is None
    assert later_stage_imports(edges) == [
        "polyflow_argo/emit.py:3 imports polyflow_argo/compiler.py: stage 'emit' must not import the later "
        "stage 'api' (even for type checking)"
    ]


def test_an_import_of_a_later_stage_is_named_with_its_line(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "__init__.py": "",
        "cluster/__init__.py": "",
        "cluster/client.py": "import json\n\n\ndef submit():\n    from ..compiler import compile\n",
        "compiler.py": "",
        "registry/__init__.py": "",
        "registry/build.py": "from ..translate import workflow\n",
        "translate/__init__.py": "",
        "translate/workflow.py": "import polyflow_argo.registry\n",
    })
    assert later_stage_imports(import_graph(root)) == [
        "polyflow_argo/cluster/client.py:5 imports polyflow_argo/compiler.py: stage 'cluster' must not "
        "import "
        "the later stage 'api'",
    ]


@pytest.mark.parametrize(("path", "stage"), [
    ("registry/local.py", "registry"),
    ("registry/build.py", "translate"),
    ("language/values.py", "language"),
    ("cluster/kube.py", "cluster"),
    ("__init__.py", "api"),
    ("cli/__init__.py", "edge"),
])
def test_the_most_specific_entry_wins(path: str, stage: str) -> None:
    assert STAGES[stage_of(path)][0] == stage
