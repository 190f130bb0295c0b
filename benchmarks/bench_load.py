#!/usr/bin/env python3
"""Benchmark: how long does it take to load (read + parse + validate + resolve) a large pipeline?

Not a test. Generates pipelines of N ops, writes them as YAML to a temporary directory, and times
``polyflow_argo.load(path)`` and ``polyflow_argo.lint(path)``: the median of ``--repeat`` runs each
with its spread (min-max); the collector runs before each run and is off during it, as the CLI
compiles (docs/performance.md).

The generated pipelines mix chains and fan-outs: ops come in groups of 10 (a "head" op that depends on
the previous group's head, 8 fan-out ops that depend on the head, and a "join" op that depends on the 8
fan-out ops). Every op uses one of 3 shared templates with typed inputs, and each join op passes a
``{{ ops.X.outputs.Y }}`` reference from its group's head (an int output into an int input).

Usage::

    python benchmarks/bench_load.py                 # 5000 ops
    python benchmarks/bench_load.py --ops 50 200 5000
    python benchmarks/bench_load.py --ops 5000 --profile   # also print cProfile hotspots

Dependency-free: stdlib + the polyflow_argo package.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import statistics
import pstats
import sys
import tempfile
import time
from pathlib import Path

import polyflow_argo

TEMPLATES = """\
templates:
  - kind: job
    name: head
    inputs:
      - {name: seed, type: int}
      - {name: label, type: str, options: [alpha, beta, gamma]}
    outputs:
      - {name: rows, type: int}
      - {name: score, type: metric}
    build: {image: 'python:3.7-slim'}
    run: {cmd: 'python head.py --seed={{ seed }} --label={{ label }}'}
  - kind: job
    name: worker
    inputs:
      - {name: lr, type: float}
      - {name: shards, type: int, is_list: true}
      - {name: verbose, type: bool, is_flag: true, is_optional: true, default: false}
    build: {image: 'python:3.7-slim'}
    run: {cmd: 'python work.py --lr={{ lr }} --shards={{ shards }} {{ verbose }}'}
  - kind: experiment
    name: join
    inputs:
      - {name: rows, type: int}
      - {name: score, type: metric, is_optional: true, default: 0.5}
      - {name: out, type: s3_path}
    build: {image: 'tensorflow/tensorflow:1.14.0-py3'}
    run: {cmd: 'python join.py --rows={{ rows }} --score={{ score }} --out={{ out }}'}
"""

GROUP = 10  # head + 8 fan-out + join
FANOUT = GROUP - 2
LABELS = ("alpha", "beta", "gamma")


def generate(n_ops: int) -> str:
    """YAML text of a valid pipeline with exactly ``n_ops`` ops."""
    lines = ["version: 1", "kind: pipeline", f"name: bench-{n_ops}", "concurrency: 16", "ops:"]
    prev_join: str | None = None
    i = 0
    g = 0
    while i < n_ops:
        head = f"g{g}-head"
        deps = f", dependencies: [{prev_join}]" if prev_join else ""
        lines.append(
            f"  - {{name: {head}, template: {{name: head}}{deps}, "
            f"params: {{seed: {g}, label: {LABELS[g % 3]}}}}}"
        )
        i += 1
        workers = []
        for w in range(FANOUT):
            if i >= n_ops:
                break
            name = f"g{g}-w{w}"
            workers.append(name)
            flag = "true" if w % 2 else "false"
            lines.append(
                f"  - {{name: {name}, template: {{name: worker}}, dependencies: [{head}], "
                f"params: {{lr: 0.0{w + 1}, shards: [{w}, {w + 1}], verbose: {flag}}}, max_retries: 2}}"
            )
            i += 1
        if i < n_ops:
            join = f"g{g}-join"
            lines.append(f"  - name: {join}")
            lines.append("    template: {name: join}")
            lines.append(f"    dependencies: [{', '.join(workers)}]")
            lines.append("    trigger: all_done")
            lines.append("    params:")
            lines.append(f"      rows: '{{{{ ops.{head}.outputs.rows }}}}'")
            lines.append(f"      score: '{{{{ ops.{head}.outputs.score }}}}'")
            lines.append(f"      out: 's3://bench-bucket/group-{g}'")
            i += 1
            prev_join = join
        else:
            prev_join = head
        g += 1
    return "\n".join(lines) + "\n" + TEMPLATES


def translate_options(options, ir):
    """What ``translate()`` takes for ``options`` (a CompileOptions) and a resolved pipeline ``ir``:
    the TranslateOptions the compiler derives, without a project config; an older checkout (measured
    through ``PYTHONPATH``) took the CompileOptions itself."""
    from polyflow_argo import compiler

    derive = getattr(compiler, "translate_options", None)
    if derive is None:
        return options
    from polyflow_argo.inputs import Project

    return derive(options, Project(), ir)


def timings(fn, repeat: int) -> list[float]:
    """Seconds of ``repeat`` runs of ``fn`` after a warm-up run, each with the collector off."""
    fn()
    out = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return out


def profile(path: Path, top: int) -> str:
    prof = cProfile.Profile()
    prof.enable()
    polyflow_argo.load(path)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    out.write("\n--- by internal time ---\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, nargs="+", default=[5000], metavar="N", help="pipeline sizes (default 5000)")
    ap.add_argument("--repeat", type=int, default=7, help="runs per measurement; the median is kept (default 7)")
    ap.add_argument("--budget", type=float, default=1.5, help="seconds allowed for 5000 ops (default 1.5)")
    ap.add_argument("--profile", action="store_true", help="print cProfile hotspots of load() for each size")
    ap.add_argument("--top", type=int, default=25, help="rows of profile output (default 25)")
    args = ap.parse_args(argv)

    rows = []
    over_budget = []
    with tempfile.TemporaryDirectory(prefix="polyflow-bench-") as tmp:
        for n in args.ops:
            path = Path(tmp) / f"pipeline-{n}.yaml"
            path.write_text(generate(n), encoding="utf-8")
            # Sanity: the generated pipeline must be valid (and warning-free).
            diags = polyflow_argo.lint(path)
            if diags:
                print(f"generated pipeline with {n} ops is not clean:", file=sys.stderr)
                for d in diags[:10]:
                    print(f"  {d.code} {d.severity}: {d.message}", file=sys.stderr)
                return 2
            model = polyflow_argo.load(path)
            n_loaded = len(model.ops)
            if n_loaded != n:
                print(f"expected {n} ops, loaded {n_loaded}", file=sys.stderr)
                return 2
            loads = timings(lambda: polyflow_argo.load(path), args.repeat)
            lints = timings(lambda: polyflow_argo.lint(path), args.repeat)
            t_load, t_lint = statistics.median(loads), statistics.median(lints)
            size_kb = path.stat().st_size / 1024
            rows.append((n, size_kb, t_load, f"{min(loads):.3f}-{max(loads):.3f}", t_lint,
                         f"{min(lints):.3f}-{max(lints):.3f}"))
            if n >= 5000 and t_load > args.budget * n / 5000:
                over_budget.append(path.read_text(encoding="utf-8"))
            if args.profile:
                print(f"=== cProfile: load() of {n} ops ===")
                print(profile(path, args.top))

        header = ("ops", "YAML KiB", "load s", "min-max", "lint s", "min-max")
        print(f"polyflow_argo {polyflow_argo.__version__}, Python {sys.version.split()[0]}, "
              f"median of {args.repeat}, collector off during a run")
        print(f"{header[0]:>7} {header[1]:>9} {header[2]:>9} {header[3]:>13} {header[4]:>9} {header[5]:>13}")
        for n, kb, tl, sl, tn, sn in rows:
            print(f"{n:>7} {kb:>9.1f} {tl:>9.3f} {sl:>13} {tn:>9.3f} {sn:>13}")
        if over_budget:
            print(f"\nover budget: load() of 5000 ops should take at most {args.budget} s "
                  f"(run with --profile to see the hotspots)")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
