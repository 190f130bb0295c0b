#!/usr/bin/env python3
"""Benchmark: ours against Hera and against the floor of a bare Python, in interleaved rounds.

Not a test. Every figure is the MEDIAN of ``--rounds`` rounds, printed with its spread (min-max);
the cases of one section run one after the other inside each round (in alternating order), so a
machine that slows down for a while slows every case alike, and each ratio is the median of the
per-round ratios. Before every timed call the garbage collector is run, and the call runs with the
collector as ``--gc`` says (default ``off``: as the CLI compiles; ``on``: as a default Python),
the same for ours and for Hera.

Sections:

1. stages at ``--ops`` (5,000): parse (also of the same pipeline as a ``.json`` file, and with the
   span index built), validate, resolve, translate, emit YAML, emit JSON; the
   whole compile from text (``compile`` + YAML / JSON); our back end alone (translate + serialize,
   from the resolved pipeline: the part that does Hera's job); Hera building the same Workflow the
   way its docs write it (``with Workflow(...)``, ``with DAG(...)``, ``Task(template=<Container>)``)
   then ``to_yaml()`` / ``json.dumps(to_dict())``.
2. per-op flatness: the whole compile to JSON at 1k, 5k and 20k ops (chains of fan-outs) and at a
   20k-way fan-in, in microseconds per op; flat when the largest is at most ``FLAT``x the smallest.
3. the CLI as processes (bytecode cached in a temporary PYTHONPYCACHEPREFIX, as after
   ``pip install``; user+system CPU of the child and wall time): a small compile against
   ``python -c "import yaml, json"``; a 200-op pipeline to JSON against the floor of C-loading its
   YAML and dumping the output JSON; 100 pipelines in one call against one small compile.

Argo's 200-task limit is lifted explicitly (``CompileOptions(lift_limits=True)``, the CLI's
``--lift-limits``) above 200 ops.

Usage::

    python benchmarks/bench_compile.py                     # everything (a few minutes)
    python benchmarks/bench_compile.py --only stages --rounds 5
    python benchmarks/bench_compile.py --save after.json --compare before.json   # before/after table
    PYTHONPATH=/path/to/old/checkout python benchmarks/bench_compile.py --save before.json
    python benchmarks/bench_compile.py --check             # exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata, util
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_load import TEMPLATES, generate, translate_options  # noqa: E402
from hera_build import build_hera_context, equivalence, plan_from_manifest  # noqa: E402

import polyflow_argo  # noqa: E402
from polyflow_argo import compiler, source  # noqa: E402
from polyflow_argo.emit import to_json, to_yaml  # noqa: E402
from polyflow_argo.language.load import load_pipeline  # noqa: E402
from polyflow_argo.resolve import ResolveOptions, resolve  # noqa: E402
from polyflow_argo.translate import CompileOptions, translate  # noqa: E402

TREE = Path(polyflow_argo.__file__).resolve().parents[1]  # the checkout being measured
FLAT = 1.5  # per-op cost: largest / smallest
SIZES = (1000, 5000, 20000)

# Targets (issue 16): (label, the ratio's key, bound, "<=" or ">="); the CLI's on CPU time (the wall
# time of a shared machine swings), both printed
TARGETS = (
    ("CLI small compile / python -c 'import yaml, json' (cpu)", "cli small / python (cpu)", 6.0, "<="),
    ("CLI 200 ops -o json / floor: C-load YAML, dump JSON (cpu)", "cli 200 json / floor (cpu)", 4.0, "<="),
    ("CLI 100 pipelines in one call / one small compile (cpu)", "cli 100 / small (cpu)", 3.0, "<="),
    ("Hera to YAML / our compile from text to YAML", "hera yaml / compile yaml", 4.0, ">="),
    ("Hera to JSON / our compile from text to JSON", "hera json / compile json", 1.2, ">="),
    ("Hera to YAML / our back end to YAML", "hera yaml / back end yaml", 5.0, ">="),
    ("Hera to JSON / our back end to JSON", "hera json / back end json", 5.0, ">="),
)


def options(n: int) -> Any:
    """Argo's task and template limits lifted above 200 ops; ``check_limits=False`` on a checkout
    older than ``lift_limits`` (the before figures)."""
    if n <= 200:
        return CompileOptions()
    if "lift_limits" in CompileOptions.__dataclass_fields__:
        return CompileOptions(lift_limits=True)
    return CompileOptions(check_limits=False)


def generate_fanin(n: int) -> str:
    """A head, ``n - 2`` workers that depend on it, and one join that depends on every worker."""
    lines = ["version: 1", "kind: pipeline", f"name: fanin-{n}", "ops:",
             "  - {name: head, template: {name: head}, params: {seed: 1, label: alpha}}"]
    workers = [f"w{i}" for i in range(n - 2)]
    lines += [f"  - {{name: {w}, template: {{name: worker}}, dependencies: [head], "
              f"params: {{lr: 0.01, shards: [1], verbose: false}}}}" for w in workers]
    lines += ["  - name: join", "    template: {name: join}", f"    dependencies: [{', '.join(workers)}]",
              "    params: {rows: '{{ ops.head.outputs.rows }}', out: 's3://b/x'}"]
    return "\n".join(lines) + "\n" + TEMPLATES


# --------------------------------------------------------------------------------------------------
# Interleaved rounds
# --------------------------------------------------------------------------------------------------

Times = dict[str, list[float]]


def timed(fn: Callable[[], object], gc_mode: str) -> float:
    gc.collect()
    enabled = gc.isenabled()
    if gc_mode == "off":
        gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()


def interleaved(cases: list[tuple[str, Callable[[], object]]], rounds: int, gc_mode: str) -> Times:
    for _, fn in cases:  # warm-up: first-call costs (imports, caches) are not a round's
        fn()
    times: Times = {label: [] for label, _ in cases}
    for r in range(rounds):
        for label, fn in cases if r % 2 == 0 else cases[::-1]:
            times[label].append(timed(fn, gc_mode))
    return times


def med(values: list[float]) -> float:
    return statistics.median(values)


def ratio(times: Times, a: str, b: str) -> list[float]:
    """``a / b`` round by round."""
    return [x / y for x, y in zip(times[a], times[b], strict=True)]


def fmt(values: list[float], unit: float = 1000.0, digits: int = 0) -> str:
    return (f"{med(values) * unit:9.{digits}f}  [{min(values) * unit:.{digits}f}-"
            f"{max(values) * unit:.{digits}f}]")


# --------------------------------------------------------------------------------------------------
# 1. stages at N ops, ours and Hera
# --------------------------------------------------------------------------------------------------


def stage_cases(n: int) -> list[tuple[str, Callable[[], object]]]:
    text = generate(n)
    opts = options(n)
    doc = compiler.read(text)
    spec = load_pipeline(compiler.read(text))
    ir = compiler.resolve_file(text)
    topts = translate_options(opts, ir)
    docs = translate(ir, topts)[0]
    plan = plan_from_manifest(docs[0])
    json_text = json.dumps(doc.data)  # the same pipeline as a .json file

    def validate() -> object:
        d = compiler.read(text)
        return load_pipeline(d)

    return [
        ("parse", lambda: compiler.read(text)),
        ("parse json", lambda: source.parse(json_text, "p.json")),
        ("parse + spans", lambda: source.parse(text, "p.yaml").spans),
        ("validate", lambda: load_pipeline(doc)),
        ("resolve", lambda: resolve(spec, doc, ResolveOptions())),
        ("translate", lambda: translate(ir, topts)),
        ("emit yaml", lambda: to_yaml(docs)),
        ("emit json", lambda: to_json(docs)),
        ("compile yaml", lambda: to_yaml(polyflow_argo.compile(text, opts))),
        ("compile json", lambda: to_json(polyflow_argo.compile(text, opts))),
        ("back end yaml", lambda: to_yaml(translate(ir, topts)[0])),
        ("back end json", lambda: to_json(translate(ir, topts)[0])),
        ("hera yaml", lambda: build_hera_context(plan).to_yaml()),
        ("hera json", lambda: json.dumps(build_hera_context(plan).to_dict())),
    ]


def stages(n: int, rounds: int, gc_mode: str) -> tuple[Times, dict[str, list[float]]]:
    import hera.workflows  # noqa: F401 - imported before the clock, as a Hera user's script does

    times = interleaved(stage_cases(n), rounds, gc_mode)
    ratios = {
        "hera yaml / compile yaml": ratio(times, "hera yaml", "compile yaml"),
        "hera json / compile json": ratio(times, "hera json", "compile json"),
        "hera yaml / back end yaml": ratio(times, "hera yaml", "back end yaml"),
        "hera json / back end json": ratio(times, "hera json", "back end json"),
    }
    return times, ratios


# --------------------------------------------------------------------------------------------------
# 2. per-op flatness
# --------------------------------------------------------------------------------------------------


def flatness(rounds: int, gc_mode: str) -> Times:
    cases: list[tuple[str, Callable[[], object]]] = []
    for n in SIZES:
        text, opts = generate(n), options(n)
        cases.append((f"{n} ops", lambda t=text, o=opts: to_json(polyflow_argo.compile(t, o))))
    fan = generate_fanin(SIZES[-1])
    cases.append((f"{SIZES[-1]}-way fan-in", lambda: to_json(polyflow_argo.compile(fan, options(SIZES[-1])))))
    times = interleaved(cases, rounds, gc_mode)
    ops = {f"{n} ops": n for n in SIZES} | {f"{SIZES[-1]}-way fan-in": SIZES[-1]}
    return {label: [t / ops[label] for t in values] for label, values in times.items()}


# --------------------------------------------------------------------------------------------------
# 3. the CLI as processes
# --------------------------------------------------------------------------------------------------

FLOOR = ("import json, sys, yaml\n"
         "yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader)\n"
         "out = json.load(open(sys.argv[2], encoding='utf-8'))\n"
         "sys.stdout.write(json.dumps(out, separators=(',', ':')))\n")


def run_process(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(wall, user+system CPU) of one run of ``cmd``; output thrown away."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def cli(rounds: int) -> tuple[Times, dict[str, list[float]]]:
    batch = util.find_spec("polyflow_argo.cli.batch") is not None  # older checkouts merged the files
    with tempfile.TemporaryDirectory(prefix="polyflow-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"PYTHONPATH": str(TREE), "PYTHONPYCACHEPREFIX": f"{tmp}/pycache"}
        py, pf = sys.executable, [sys.executable, "-m", "polyflow_argo"]
        small = str(TREE / "examples" / "diamond.yaml")
        big = Path(tmp, "p200.yaml")
        big.write_text(generate(200))
        out200 = Path(tmp, "p200.json")
        out200.write_text(to_json(polyflow_argo.compile(big.read_text())))
        many = Path(tmp, "many")
        many.mkdir()
        source = Path(small).read_text()
        for i in range(100):
            renamed = source.replace("name: diamond", f"name: diamond-{i}", 1)
            many.joinpath(f"p{i:03}.yaml").write_text(renamed)
        one = str(many / "p000.yaml")
        cases = {
            "cli small": [*pf, "compile", small, "--no-warnings"],
            "python": [py, "-c", "import yaml, json"],
            "cli 200 json": [*pf, "compile", str(big), "-o", "json", "--no-warnings"],
            "floor": [py, "-c", FLOOR, str(big), str(out200)],
            "cli one": [*pf, "compile", one, "--no-warnings"],
        }
        if batch:
            cases["cli 100"] = [*pf, "compile", str(many), "--no-warnings"]
        for cmd in cases.values():  # warm-up: bytecode written to the cache
            run_process(cmd, env, tmp)
        walls: Times = {k: [] for k in cases}
        cpus: Times = {f"{k} cpu": [] for k in cases}
        labels = list(cases)
        for r in range(rounds):
            for label in labels if r % 2 == 0 else labels[::-1]:
                wall, cpu = run_process(cases[label], env, tmp)
                walls[label].append(wall)
                cpus[f"{label} cpu"].append(cpu)
    times = walls | cpus
    ratios = {
        "cli small / python": ratio(times, "cli small", "python"),
        "cli small / python (cpu)": ratio(times, "cli small cpu", "python cpu"),
        "cli 200 json / floor": ratio(times, "cli 200 json", "floor"),
        "cli 200 json / floor (cpu)": ratio(times, "cli 200 json cpu", "floor cpu"),
    }
    if batch:
        ratios["cli 100 / small"] = ratio(times, "cli 100", "cli one")
        ratios["cli 100 / small (cpu)"] = ratio(times, "cli 100 cpu", "cli one cpu")
    return times, ratios


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def print_times(title: str, times: Times, unit: float, unit_name: str, before: Times | None) -> None:
    print(f"{title} ({unit_name}: median [min-max]" + ("; before -> after" if before else "") + ")")
    for label, values in times.items():
        old = (before or {}).get(label)
        change = f"   before {fmt(old, unit, 1)}  x{med(old) / med(values):.2f} faster" if old else ""
        print(f"  {label:<22} {fmt(values, unit, 1)}{change}")


def print_ratios(ratios: dict[str, list[float]], before: dict[str, list[float]] | None) -> None:
    print("ratios (median of per-round ratios [min-max])")
    for label, values in ratios.items():
        old = (before or {}).get(label)
        was = f"   before {med(old):6.2f} [{min(old):.2f}-{max(old):.2f}]" if old else ""
        print(f"  {label:<28} {med(values):6.2f} [{min(values):.2f}-{max(values):.2f}]{was}")


def check(ratios: dict[str, list[float]], flat: Times | None) -> bool:
    ok = True
    print("targets:")
    for label, key, bound, op in TARGETS:
        if key not in ratios:
            print(f"  {label:<60} not measured")
            continue
        value = med(ratios[key])
        met = value <= bound if op == "<=" else value >= bound
        ok &= met
        print(f"  {label:<60} {value:6.2f} {op} {bound:<4} {'met' if met else 'MISSED'}")
    if flat:
        per_op = {label: med(v) for label, v in flat.items()}
        spread = max(per_op.values()) / min(per_op.values())
        met = spread <= FLAT
        ok &= met
        print(f"  {'per-op cost flat 1k-20k ops and a 20k fan-in (max/min)':<60} {spread:6.2f} <= {FLAT:<4} "
              f"{'met' if met else 'MISSED'}")
    return ok


def prefixed(saved: dict[str, Any], prefix: str) -> Times:
    return {k[len(prefix):]: v for k, v in saved.get("times", {}).items() if k.startswith(prefix)}


def loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--ops", type=int, default=5000, help="pipeline size of the stage section (default 5000)")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    ap.add_argument("--cli-rounds", type=int, default=11, help="rounds of the CLI section (default 11)")
    ap.add_argument("--gc", choices=("off", "on"), default="off", help="collector during a timed call")
    ap.add_argument("--only", choices=("stages", "flat", "cli"), action="append", help="sections to run")
    ap.add_argument("--save", metavar="FILE", help="write every time and ratio as JSON")
    ap.add_argument("--compare", metavar="FILE", help="a --save file to print as 'before'")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    only = set(args.only or ("stages", "flat", "cli"))
    before = json.loads(Path(args.compare).read_text()) if args.compare else {}

    print(f"polyflow_argo {polyflow_argo.__version__} from {TREE}, hera {metadata.version('hera')}, "
          f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs, load {loadavg()}; "
          f"gc {args.gc} in timed calls")
    saved: dict[str, Any] = {"times": {}, "ratios": {}}
    ratios: dict[str, list[float]] = {}
    flat: Times | None = None
    if "stages" in only:
        times, r = stages(args.ops, args.rounds, args.gc)
        ratios |= r
        saved["times"] |= times
        print()
        print_times(f"{args.ops:,} ops in-process, {args.rounds} rounds", times, 1000, "ms",
                    before.get("times"))
        tasks, _ = equivalence(polyflow_argo.compile(generate(50))[0])
        print(f"  Hera builds the same DAG tasks (50 ops: names, depends, when, template, arguments): "
              f"{'yes' if not tasks else tasks[:3]}; load after: {loadavg()}")
    if "flat" in only:
        flat = flatness(max(3, args.rounds // 2), args.gc)
        saved["times"] |= {f"per op {k}": v for k, v in flat.items()}
        print()
        print_times("per-op cost of the whole compile to JSON", flat, 1e6, "µs/op",
                    prefixed(before, "per op "))
        print(f"  load after: {loadavg()}")
    if "cli" in only:
        times, r = cli(args.cli_rounds)
        ratios |= r
        saved["times"] |= {f"process {k}": v for k, v in times.items()}
        print()
        print_times(f"the CLI as processes, {args.cli_rounds} rounds", times, 1000, "ms",
                    prefixed(before, "process "))
        print(f"  load after: {loadavg()}")
    saved["ratios"] = ratios
    print()
    print_ratios(ratios, before.get("ratios"))
    print()
    ok = check(ratios, flat)
    if args.save:
        Path(args.save).write_text(json.dumps(saved, indent=1))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
