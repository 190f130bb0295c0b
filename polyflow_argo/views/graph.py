"""``polyflow-argo graph``: the DAG of a resolved pipeline as Mermaid (renders in GitHub and GitLab
reviews) or Graphviz DOT.

Each op is one node labelled with its name, template kind, trigger, ``skip_on_upstream_skip``,
condition and retries; each upstream op is an edge; the schedule, if any, is a note (Mermaid) or the
graph's label (DOT). Node ids are generated (``n0``, ``n1``, … in the order of the DAG's levels), so
op names appear only inside labels, and every label is escaped for its format: op names and
condition values are data, and no character of theirs can end a label or start syntax.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..resolve import Pipeline
from .describe import condition_text, retries_text, schedule_text, template_kind

FORMATS = ("mermaid", "dot")


@dataclass(frozen=True)
class GraphNode:
    id: str
    lines: tuple[str, ...]  # the op name first, then what the rules and the template say


@dataclass(frozen=True)
class Graph:
    name: str
    schedule: str | None
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]  # (upstream id, op id)


def build_graph(ir: Pipeline) -> Graph:
    """The format-neutral graph of a resolved pipeline (ops in the order of the DAG's levels)."""
    ids: dict[str, str] = {}
    nodes: list[GraphNode] = []
    edges: list[tuple[str, str]] = []
    for level in ir.levels:
        for name in level:
            node = ir.nodes[name]
            ids[name] = f"n{len(ids)}"
            lines = [name, template_kind(node), f"trigger {node.trigger}"]
            if node.op.skip_on_upstream_skip:
                lines.append("skip_on_upstream_skip")
            for extra in (
                condition_text(None if node.op.conditions is None else node.op.conditions.model_dump()),
                retries_text(node),
            ):
                if extra is not None:
                    lines.append(extra)
            nodes.append(GraphNode(ids[name], tuple(lines)))
            edges.extend((ids[u], ids[name]) for u in node.upstream)
    return Graph(ir.name or "pipeline", schedule_text(ir.schedule), tuple(nodes), tuple(edges))


def render(graph: Graph, fmt: str = "mermaid") -> str:
    """The graph as Mermaid (``mermaid``) or DOT (``dot``) text, ending with a newline."""
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    raise ValueError(f"unknown graph format {fmt!r} (one of {', '.join(FORMATS)})")


def graph(ir: Pipeline, fmt: str = "mermaid") -> str:
    """:func:`render` of :func:`build_graph`."""
    return render(build_graph(ir), fmt)


def visible(text: str) -> str:
    """``text`` with control characters (newlines, tabs, …) written as escapes, so a label stays on
    one line and shows them: ``a\\nb``."""
    out = []
    for ch in text:
        if ch in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


# ----------------------------------------------------------------------------- Mermaid

# Kept as is in a Mermaid label; every other character becomes an entity code (`#34;` for `"`),
# which Mermaid decodes after parsing, so it is shown but never read as syntax (quotes, brackets,
# `#…;`, `<br>`, `%%`, backticks, `|`, `;`, …).
_MERMAID_PLAIN = frozenset(" _.,:=!/+-@()*'?")


def mermaid_text(text: str) -> str:
    """``text`` escaped for a double-quoted Mermaid label."""
    return "".join(
        ch if (ch.isalnum() and ch.isprintable()) or ch in _MERMAID_PLAIN else f"#{ord(ch)};"
        for ch in visible(text)
    )


def _mermaid_label(lines: tuple[str, ...]) -> str:
    return '"' + "<br>".join(mermaid_text(line) for line in lines) + '"'


def to_mermaid(graph: Graph) -> str:
    out = ["flowchart TD", f"  %% polyflow-argo graph: {mermaid_text(graph.name)}"]
    if graph.schedule is not None:
        out.append(f"  schedule>{_mermaid_label(('schedule', graph.schedule))}]")
    for node in graph.nodes:
        out.append(f"  {node.id}[{_mermaid_label(node.lines)}]")
    for source, target in graph.edges:
        out.append(f"  {source} --> {target}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- DOT


def dot_text(text: str) -> str:
    """``text`` escaped for a double-quoted DOT string: ``\\`` and ``"`` escaped (so no ``\\N``,
    ``\\l``, … escape of Graphviz is formed), ``&`` as ``&amp;`` (Graphviz decodes HTML entities in
    every string), control characters written out."""
    return visible(text).replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def _dot_label(lines: tuple[str, ...]) -> str:
    return '"' + "\\n".join(dot_text(line) for line in lines) + '"'


def to_dot(graph: Graph) -> str:
    out = [
        f'digraph "{dot_text(graph.name)}" {{',
        "  rankdir=TB;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
    ]
    if graph.schedule is not None:
        out += [f"  label={_dot_label(('schedule', graph.schedule))};", "  labelloc=t;"]
    for node in graph.nodes:
        out.append(f"  {node.id} [label={_dot_label(node.lines)}];")
    for source, target in graph.edges:
        out.append(f"  {source} -> {target};")
    out.append("}")
    return "\n".join(out) + "\n"
