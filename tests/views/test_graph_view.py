"""`polyflow-argo graph`: what each node says, the edges, the formats, and labels that stay data.

Op names and condition values are data: whatever characters they hold, the Mermaid and DOT texts
keep the shape we emit (one node line per op, one edge line per dependency) and each label reads
back as the text it shows. The DOT output is also read by Graphviz when `dot` is installed; the
Mermaid goldens and the hostile labels below were checked once with Mermaid 11's own parser
(docs/graph-explain.md)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from polyflow_argo.cli import main
from polyflow_argo.views.graph import Graph, GraphNode, build_graph, graph, to_dot, to_mermaid, visible
from tests.views.cases import resolve_text

ROOT = Path(__file__).resolve().parent.parent.parent

HOSTILE = [
    'a"]; n1 --> x["b',
    "end",
    "x]",
    "%% comment",
    "#quot; #35; &amp; <b>bold</b> <br>",
    "`md`",
    "c|d",
    "e{f}",
    "g;h",
    '\\N \\" \\',
    "new\nline\ttab\u202e",
    "subgraph",
    "click n0 call alert()",
    "()[]{}<>",
    "x --> y",
    "n0",
    "naïve ünïcode",
    "",
]

MERMAID_NODE = re.compile(r'^  (n\d+|schedule)(\[|>)"((?:[^\W_]|[ _.,:=!/+\-@()*\'?]|#\d+;|<br>)*)"\]$')
MERMAID_EDGE = re.compile(r"^  (n\d+) --> (n\d+)$")
DOT_NODE = re.compile(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)"\];$')
DOT_EDGE = re.compile(r"^  (n\d+) -> (n\d+);$")


def mermaid_lines(label: str) -> list[str]:
    return [re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), part) for part in label.split("<br>")]


def dot_lines(label: str, entities: bool = True) -> list[str]:
    lines, current, i = [], [], 0
    while i < len(label):
        if label[i] == "\\":
            nxt = label[i + 1]
            assert nxt in '\\"n', f"a Graphviz escape \\{nxt} was formed in {label!r}"
            if nxt == "n":
                lines.append("".join(current))
                current = []
            else:
                current.append(nxt)
            i += 2
        else:
            current.append(label[i])
            i += 1
    out = [*lines, "".join(current)]
    if not entities:  # Graphviz's own output: entities already decoded
        return out
    assert all(re.fullmatch(r"(?:[^&]|&amp;)*", line) for line in out), f"a Graphviz entity in {label!r}"
    return [line.replace("&amp;", "&") for line in out]


def parse_mermaid(text: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    lines = text.splitlines()
    assert lines[0] == "flowchart TD" and lines[1].startswith("  %% polyflow-argo graph: ")
    assert "\n" not in lines[1] and re.fullmatch(r"  %% polyflow-argo graph: [^\n]*", lines[1])
    nodes, edges = {}, []
    for line in lines[2:]:
        node, edge = MERMAID_NODE.match(line), MERMAID_EDGE.match(line)
        assert node or edge, f"unexpected Mermaid line {line!r}"
        if node:
            assert node.group(1) not in nodes
            nodes[node.group(1)] = mermaid_lines(node.group(3))
        else:
            edges.append((edge.group(1), edge.group(2)))  # type: ignore[union-attr]
    return nodes, edges


def parse_dot(text: str) -> tuple[dict[str, list[str]], list[tuple[str, str]], list[str] | None]:
    lines = text.splitlines()
    assert re.fullmatch(r'digraph "(?:[^"\\]|\\.)*" \{', lines[0]) and lines[-1] == "}"
    nodes, edges, label = {}, [], None
    for line in lines[1:-1]:
        if line in (
            "  rankdir=TB;",
            '  node [shape=box, style=rounded, fontname="Helvetica"];',
            "  labelloc=t;",
        ):
            continue
        graph_label = re.fullmatch(r'  label="((?:[^"\\]|\\.)*)";', line)
        node, edge = DOT_NODE.match(line), DOT_EDGE.match(line)
        assert graph_label or node or edge, f"unexpected DOT line {line!r}"
        if graph_label:
            label = dot_lines(graph_label.group(1))
        elif node:
            nodes[node.group(1)] = dot_lines(node.group(2))
        else:
            edges.append((edge.group(1), edge.group(2)))  # type: ignore[union-attr]
    return nodes, edges, label


def hostile_graph() -> Graph:
    nodes = tuple(GraphNode(f"n{i}", (h, "job", f'if {h}.k == "v"')) for i, h in enumerate(HOSTILE))
    return Graph(
        'p"]{ end', 'cron "x" ] %%', nodes, tuple((f"n{i}", f"n{i + 1}") for i in range(len(HOSTILE) - 1))
    )


def test_hostile_labels_stay_labels_in_mermaid() -> None:
    g = hostile_graph()
    nodes, edges = parse_mermaid(to_mermaid(g))
    assert nodes.pop("schedule") == ["schedule", visible(g.schedule or "")]
    assert nodes == {n.id: [visible(line) for line in n.lines] for n in g.nodes}
    assert edges == list(g.edges)


def test_hostile_labels_stay_labels_in_dot() -> None:
    g = hostile_graph()
    nodes, edges, label = parse_dot(to_dot(g))
    assert label == ["schedule", visible(g.schedule or "")]
    assert nodes == {n.id: [visible(line) for line in n.lines] for n in g.nodes}
    assert edges == list(g.edges)


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (apt-get install graphviz)"
)
def test_graphviz_reads_the_hostile_labels_back() -> None:
    g = hostile_graph()
    out = subprocess.run(
        ["dot", "-Tplain"], input=to_dot(g), capture_output=True, text=True, check=True
    ).stdout
    labels = re.findall(r'^node (n\d+) (?:\S+ ){4}"((?:[^"\\]|\\.)*)"', out, flags=re.M)
    assert {k: dot_lines(v, entities=False) for k, v in labels} == {
        n.id: [visible(line) for line in n.lines] for n in g.nodes
    }
    assert len(re.findall(r"^edge ", out, flags=re.M)) == len(g.edges)


def test_control_characters_are_shown_not_obeyed() -> None:
    assert visible("a\nb\tc\u202ed\x00") == "a\\nb\\tc\\u202ed\\u0000"


PIPELINE = {
    "version": 1,
    "kind": "pipeline",
    "name": "hostile",
    "schedule": {
        "kind": "cron",
        "cron": "0 2 * * *",
        "start_at": "2020-01-01T00:00",
        "depends_on_past": True,
    },
    "ops": [
        {
            "name": "end",
            "template": {"name": "t"},
            "max_retries": 2,
            "retry_delay": 5,
            "retry_exp_backoff": True,
            "max_retry_delay": 40,
        },
        {
            "name": "subgraph",
            "template": {"name": "t"},
            "dependencies": ["end"],
            "trigger": "one_failed",
            "skip_on_upstream_skip": True,
            "conditions": {
                "kind": "outputs",
                "op": "end",
                "exp": "ne",
                "params": [["flag", 'x"]} <br> #quot; %% \\N \\" end\n[y]'], ["n", True]],
            },
        },
        {
            "name": "click",
            "template": {"name": "t"},
            "dependencies": ["end", "subgraph"],
            "trigger": "all_done",
            "conditions": {"kind": "status", "op": "subgraph", "trigger": "failed"},
        },
    ],
    "templates": [
        {
            "kind": "job",
            "name": "t",
            "outputs": [{"name": "flag"}, {"name": "n", "type": "bool"}],
            "build": {"image": "python:3.11-slim"},
            "run": {"cmd": "true"},
        }
    ],
}
EXPECTED_LABELS = {
    "n0": ["end", "job", "trigger all_succeeded", "retries 2, delay 5s, exponential backoff, max delay 40s"],
    "n1": [
        "subgraph",
        "job",
        "trigger one_failed",
        "skip_on_upstream_skip",
        'if end.flag != "x\\"]} <br> #quot; %% \\\\N \\\\\\" end\\n[y]" and end.n != "true"',
    ],
    "n2": ["click", "job", "trigger all_done", "if subgraph failed"],
}


@pytest.fixture
def hostile_file(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(json.dumps(PIPELINE))
    return path


def test_each_node_says_kind_trigger_skip_condition_retries_and_the_schedule(hostile_file: Path) -> None:
    ir = resolve_text(hostile_file.read_text())
    g = build_graph(ir)
    assert {n.id: list(n.lines) for n in g.nodes} == EXPECTED_LABELS
    assert g.edges == (("n0", "n1"), ("n0", "n2"), ("n1", "n2"))
    assert g.schedule == "cron '0 2 * * *' UTC from 2020-01-01T00:00:00+00:00, depends on past"
    nodes, edges = parse_mermaid(graph(ir, "mermaid"))
    assert nodes.pop("schedule") == ["schedule", g.schedule]
    assert nodes == {k: [visible(line) for line in v] for k, v in EXPECTED_LABELS.items()}
    assert edges == list(g.edges)
    dnodes, dedges, label = parse_dot(graph(ir, "dot"))
    assert dnodes == nodes and dedges == list(g.edges) and label == ["schedule", g.schedule]


def test_cli_default_is_mermaid_on_stdout(hostile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(hostile_file)]) == 0
    out = capsys.readouterr().out
    assert out == graph(resolve_text(hostile_file.read_text()), "mermaid")


def test_cli_writes_dot_to_out(
    hostile_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "sub" / "g.dot"
    assert main(["graph", str(hostile_file), "-o", "dot", "--out", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text() == graph(resolve_text(hostile_file.read_text()), "dot")
    assert [p.name for p in target.parent.iterdir()] == ["g.dot"]  # no temporary file left


def test_cli_rejects_an_unknown_format(hostile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(hostile_file), "-o", "svg"]) == 2
    assert "invalid choice: 'svg'" in capsys.readouterr().err


def test_an_invalid_pipeline_exits_1_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nkind: pipeline\nops:\n  - name: a\n    template: {name: missing}\n")
    target = tmp_path / "g.mmd"
    assert main(["graph", str(bad), "--out", str(target)]) == 1
    captured = capsys.readouterr()
    assert (
        captured.out == ""
        and "bad.yaml:" in captured.err
        and "error PF" in captured.err
        and "Traceback" not in captured.err
    )
    assert not target.exists()


def test_resolve_options_are_those_of_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--registry resolves action/event templates; -p is checked as compile checks it."""
    src = str(ROOT / "examples" / "shared-templates.yaml")
    assert main(["graph", src]) == 1  # no registry: its action and event templates cannot resolve
    capsys.readouterr()
    assert main(["graph", src, "--registry", str(ROOT / "examples" / "registry")]) == 0
    assert "job (action notify-slack:1.1.0)" in capsys.readouterr().out
    assert main(["graph", str(ROOT / "examples" / "diamond.yaml"), "-p", "prepre.x=1"]) == 1
    assert "PF290" in capsys.readouterr().err
    assert (
        main(["graph", str(ROOT / "examples" / "diamond.yaml"), "--project", str(tmp_path / "none.yaml")])
        == 1
    )
    assert "none.yaml" in capsys.readouterr().err
