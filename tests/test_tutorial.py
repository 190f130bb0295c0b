"""docs/tutorial.md shows what the commands really print: every ```console block is run and compared.

A ```console block is one command line ``$ polyflow-argo ARGS`` followed by its output (stdout and stderr
interleaved as written: the CLI runs with ``PYTHONUNBUFFERED=1`` and stderr merged into stdout). The
command runs as ``python -m polyflow_argo ARGS`` in docs/tutorial/, in document order, and must print
exactly the lines shown and exit 0, or the code of an ``<!-- exit N -->`` comment just before the block.

Rules that keep the comparison exact yet stable (and nothing else is normalised):

- **Elision.** A line that is only ``…`` stands for zero or more lines of the real output; the parts between
  elisions must appear in order, line for line. Used for excerpts of ``compile`` (a whole Workflow).
- **Run names.** The API double names each run it creates from ``generateName`` plus five random
  characters, as the apiserver does. The real name of the n-th run created is replaced by ``RUN_NAMES[n]``
  in the output, and ``RUN_NAMES[n]`` by the real name in command lines.
- **Creation time.** ``watch`` prints the run's ``Pending`` line at the time the run was created (the
  double's clock, now); that time, at the start of a line, becomes ``CREATED``. Every other time printed
  comes from the controller story below, which fixes them.

The cluster commands (submit, watch, get, list, logs) talk to the repository's API double (tests/apidouble)
through a kubeconfig, as on a cluster; the double does not run pods, so :func:`controller` plays Argo's
controller for each created Workflow: the story of a run whose ``train`` op is OOM-killed once and
succeeds on its retry. It starts only when a client watches, so the ``Pending`` line is always seen.

``<!-- file: NAME -->`` before a ```yaml block: the block is docs/tutorial/NAME. ``<!-- diff: A B -->``
before a ```diff block: the block is the unified diff from docs/tutorial/A to B.

Regenerate the outputs after a change (review the diff of docs/tutorial.md like code)::

    make tutorial        # python -m tests.test_tutorial --update

An elided block is kept as written when it still matches, and reported otherwise (edit it by hand).
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyflow_argo.cluster.watch import clock
from tests.apidouble import ApiDouble, node_id

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "tutorial.md"
DIR = ROOT / "docs" / "tutorial"
NS = "ml"
ELLIPSIS = "…"
RUN_NAMES = ["churn-model-7xq2m"]
CREATED = "08:59:58"

BLOCK = re.compile(r"^(?:<!-- (?P<marker>[^>]*) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)^```$", re.M | re.S)


@dataclass
class Block:
    lang: str
    marker: str
    body: str
    start: int  # offsets of the body in the document
    end: int


def blocks(text: str) -> list[Block]:
    return [Block(m["lang"], m["marker"] or "", m["body"], m.start("body"), m.end("body"))
            for m in BLOCK.finditer(text)]


# ---------------------------------------------------------------- the controller's story of a run


def _at(second: int) -> str:
    return f"2026-12-01T{9 + second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"


def controller() -> list[tuple[float, Any]]:
    """Status patches of one churn-model run, as Argo's controller writes them: prepare succeeds, train's
    first attempt is OOM-killed, its retry (60 s later) succeeds, evaluate succeeds, notify-failure is
    Omitted (its trigger one_failed is not met), and the run Succeeds. Pods and their logs for ``logs``."""

    def node(op: str, start: int, end: int | None = None, phase: str = "Running", **fields: Any
             ) -> Callable[[ApiDouble, str, str], Any]:
        def step(d: ApiDouble, ns: str, wf: str) -> None:
            extra = {"finishedAt": _at(end)} if end is not None else {}
            d.set_node(ns, wf, op, phase=phase, boundaryID=wf, startedAt=_at(start), **extra, **fields)
        return step

    def pod(node_name: str, *lines: str, exit_code: int = 0) -> Callable[[ApiDouble, str, str], Any]:
        def step(d: ApiDouble, ns: str, wf: str) -> None:
            name = f"{wf}-{node_name.replace('(', '-').rstrip(')')}"
            d.add_pod(ns, name, workflow=wf, node_name=f"{wf}.{node_name}")
            d.append_log(ns, name, *lines)
            d.finish_container(ns, name, exit_code=exit_code)
        return step

    def wait_for_a_watch(d: ApiDouble, ns: str, wf: str) -> None:
        deadline = time.monotonic() + 20
        while not any(r.param("watch") for r in d.requests_to("GET", rf"/namespaces/{ns}/workflows$")):
            if time.monotonic() > deadline:
                raise AssertionError("nobody watched the run")
            time.sleep(0.02)

    def retries(d: ApiDouble, ns: str, wf: str, attempts: int, start: int, phase: str = "Running",
                end: int | None = None) -> None:
        children = [node_id(wf, f"{wf}.train({i})") for i in range(attempts)]
        extra = {"finishedAt": _at(end)} if end is not None else {}
        d.set_node(ns, wf, "train", type="Retry", phase=phase, boundaryID=wf, startedAt=_at(start),
                   children=children, **extra)

    oom = "OOMKilled (exit code 137)"
    return [
        (0.0, wait_for_a_watch),
        (0.2, {"phase": "Running", "startedAt": _at(0)}),
        (0.1, node("prepare", 1)),
        (0.1, pod("prepare", "preparing s3://ml-datasets/churn/2026-11")),
        (0.1, node("prepare", 1, 9, "Succeeded")),
        (0.1, lambda d, ns, wf: retries(d, ns, wf, 1, 10)),
        (0.1, node("train(0)", 10)),
        (0.1, pod("train(0)", "training on /data/churn/prepared for 10 epochs", exit_code=137)),
        (0.1, node("train(0)", 10, 95, "Failed", message=oom)),
        (0.1, lambda d, ns, wf: retries(d, ns, wf, 2, 10)),
        (0.1, node("train(1)", 155)),
        (0.1, pod("train(1)", "training on /data/churn/prepared for 10 epochs")),
        (0.1, node("train(1)", 155, 241, "Succeeded")),
        (0.1, lambda d, ns, wf: retries(d, ns, wf, 2, 10, "Succeeded", 241)),
        (0.1, node("evaluate", 242)),
        (0.1, pod("evaluate", "accuracy 0.93")),
        (0.1, node("evaluate", 242, 246, "Succeeded")),
        (0.1, node("notify-failure", 242, 242, "Omitted", message="omitted: depends condition not met")),
        (0.1, {"phase": "Succeeded", "finishedAt": _at(247)}),
    ]


# ---------------------------------------------------------------- running the blocks


def _env(kubeconfig: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ARGO_", "KUBE", "POLYFLOW_")) and "proxy" not in k.lower()}
    env.update(KUBECONFIG=str(kubeconfig), PYTHONUNBUFFERED="1", POLYFLOW_RETRY_BACKOFF="0.01",
               POLYFLOW_RETRY_MAX_WAIT="0.05")
    return env


def _runs(double: ApiDouble, seen: list[str]) -> list[dict[str, Any]]:
    """Workflows the CLI created, in creation order (``seen`` keeps the order across commands)."""
    by_name = {w["metadata"]["name"]: w for w in double.objects("workflows", NS)}
    seen.extend(sorted(set(by_name) - set(seen)))
    return [by_name[name] for name in seen if name in by_name]


def run(command: str, double: ApiDouble, kubeconfig: Path, seen: list[str]) -> tuple[int, str]:
    """Run one documented command line; its exit code and its output with the placeholders applied."""
    argv = shlex.split(command)
    assert argv[0] == "polyflow-argo", f"a console block runs polyflow-argo, not {argv[0]!r}"
    runs = _runs(double, seen)
    real = {doc: w["metadata"]["name"] for doc, w in zip(RUN_NAMES, runs, strict=False)}
    argv = [real.get(a, a) for a in argv[1:]]
    res = subprocess.run([sys.executable, "-m", "polyflow_argo", *argv], cwd=DIR, env=_env(kubeconfig),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    out = res.stdout
    runs = _runs(double, seen)
    assert len(runs) <= len(RUN_NAMES), "add a name to RUN_NAMES for each run the tutorial creates"
    for doc, wf in zip(RUN_NAMES, runs, strict=False):
        created = clock(wf["metadata"]["creationTimestamp"])
        out = re.sub(rf"^{created}(?=  {re.escape(wf['metadata']['name'])} )", CREATED, out, flags=re.M)
        out = out.replace(wf["metadata"]["name"], doc)
    return res.returncode, out


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual`` with each ``…`` line standing for any number of lines."""
    if ELLIPSIS not in expected:
        return expected == actual
    first = expected.index(ELLIPSIS)
    if actual[:first] != expected[:first]:
        return False
    rest = expected[first + 1:]
    return any(matches(rest, actual[i:]) for i in range(first, len(actual) + 1))


def expected_exit(marker: str) -> int:
    m = re.fullmatch(r"exit (\d+)", marker)
    return int(m[1]) if m else 0


def check(update: bool = False) -> list[str]:
    """Run every block of the tutorial; the problems found (with ``update``, rewrite what can be)."""
    text = DOC.read_text()
    problems: list[str] = []
    edits: list[tuple[int, int, str]] = []
    double = ApiDouble(namespaces=("default", "argo", NS), max_watch_seconds=10.0).start()
    home = tempfile.TemporaryDirectory(prefix="polyflow-tutorial-")
    try:
        kubeconfig = double.kubeconfig(Path(home.name) / "kubeconfig", namespace=NS)
        double.on_create("workflows", controller())
        seen: list[str] = []
        for block in blocks(text):
            if block.lang == "console":
                command, _, output = block.body.partition("\n")
                assert command.startswith("$ "), f"a console block starts with `$ command`: {command!r}"
                code, actual = run(command[2:], double, kubeconfig, seen)
                want = expected_exit(block.marker)
                if code != want:
                    problems.append(f"`{command[2:]}` exited {code}, not {want}:\n{actual}")
                if matches(output.splitlines(), actual.splitlines()):
                    continue
                if update and ELLIPSIS not in output:
                    edits.append((block.start, block.end, f"{command}\n{actual}"))
                    continue
                diff = difflib.unified_diff(output.splitlines(), actual.splitlines(), "docs/tutorial.md",
                                            "real output", lineterm="")
                problems.append(f"`{command[2:]}` prints something else:\n" + "\n".join(diff))
            elif block.marker.startswith("file: "):
                content = (DIR / block.marker[6:]).read_text()
                if block.body != content:
                    if update:
                        edits.append((block.start, block.end, content))
                    else:
                        problems.append(f"the file shown is not docs/tutorial/{block.marker[6:]}")
            elif block.marker.startswith("diff: "):
                a, b = block.marker[6:].split()
                diff = "".join(difflib.unified_diff((DIR / a).read_text().splitlines(True),
                                                    (DIR / b).read_text().splitlines(True), a, b, n=1))
                if block.body != diff:
                    if update:
                        edits.append((block.start, block.end, diff))
                    else:
                        problems.append(f"the diff shown is not the diff from {a} to {b}")
    finally:
        double.stop()
        home.cleanup()
    if update and edits:
        for start, end, body in reversed(edits):
            text = text[:start] + body + text[end:]
        DOC.write_text(text)
    return problems


def test_every_output_shown_in_the_tutorial_is_what_the_command_prints() -> None:
    problems = check()
    assert not problems, "\n\n".join(problems) + "\n\n(regenerate with `make tutorial`)"


def test_the_tutorial_runs_every_step() -> None:
    """The tutorial shows the whole path, each step a checked command (not a block left unchecked)."""
    shown = [b.body.partition("\n")[0].split()[1:3] for b in blocks(DOC.read_text()) if b.lang == "console"]
    steps = {step for _, step in shown}
    assert steps >= {"lint", "graph", "explain", "compile", "submit", "watch", "get", "list", "logs",
                     "schedule"}
    assert RUN_NAMES[0] in DOC.read_text()


def test_elision_matches_in_order_only() -> None:
    assert matches(["a", ELLIPSIS, "c"], ["a", "b", "b", "c"]) and matches(["a", ELLIPSIS], ["a"])
    assert not matches(["a", ELLIPSIS, "c"], ["a", "c", "b"]) and not matches(["a"], ["a", "b"])


if __name__ == "__main__":
    found = check(update="--update" in sys.argv[1:])
    if found:
        print("\n\n".join(found), file=sys.stderr)
    else:
        print("docs/tutorial.md: every block matches (after --update: review `git diff docs/tutorial.md`)")
    sys.exit(1 if found else 0)
