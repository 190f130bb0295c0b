#!/usr/bin/env python3
"""Instructions per stage, counted by valgrind's callgrind: a figure the load of a shared machine
does not move (wall time on 2 busy cores swings by 2x; ``perf stat -e instructions`` needs
hardware counters that a VM often lacks).

Not a test. For each stage, callgrind counts the instructions of one process that sets up (imports,
generates the ``--ops`` pipeline, parses and resolves it) and then runs the stage ``--repeat``
times, and of one that only sets up; the difference over ``--repeat`` is the stage's count. A run
takes about a minute a stage under valgrind.

Usage::

    python benchmarks/bench_instructions.py                          # parse, translate, compile json
    python benchmarks/bench_instructions.py --stages parse --ops 1000
    python benchmarks/bench_instructions.py --tree /path/to/old/checkout   # the same for another tree
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("parse", "parse json", "parse spans", "translate", "emit json", "compile json")


def child(stage: str, ops: int, repeat: int) -> None:
    """The measured process: set up, then ``stage`` ``repeat`` times (``setup``: nothing more)."""
    import gc
    import json

    sys.path.insert(0, str(HERE))
    from bench_load import generate, translate_options

    import polyflow_argo
    from polyflow_argo import compiler, source
    from polyflow_argo.emit import to_json
    from polyflow_argo.translate import CompileOptions, translate

    gc.disable()  # as the CLI compiles
    text = generate(ops)
    opts = CompileOptions()  # Argo's 200-task limit lifted above 200 ops, as bench_compile does
    if ops > 200:
        lift = "lift_limits" in CompileOptions.__dataclass_fields__
        opts = CompileOptions(lift_limits=True) if lift else CompileOptions(check_limits=False)
    json_text = json.dumps(source.parse(text, "p.yaml").data)
    ir = compiler.resolve_file(text)
    topts = translate_options(opts, ir)
    docs = translate(ir, topts)[0]
    runs = {
        "setup": lambda: None,
        "parse": lambda: source.parse(text, "p.yaml"),
        "parse json": lambda: source.parse(json_text, "p.json"),
        "parse spans": lambda: source.parse(text, "p.yaml").spans,
        "translate": lambda: translate(ir, topts),
        "emit json": lambda: to_json(docs),
        "compile json": lambda: to_json(polyflow_argo.compile(text, opts)),
    }
    for _ in range(repeat):
        runs[stage]()


def count(stage: str, ops: int, repeat: int, tree: str | None) -> int:
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = tree + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory(prefix="polyflow-callgrind-") as tmp:
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable,
               __file__, "--child", stage, "--ops", str(ops), "--repeat", str(repeat)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--stages", default="parse,translate,compile json",
                    help=f"comma-separated, of: {', '.join(STAGES)}")
    ap.add_argument("--ops", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tree", help="a checkout to measure instead of the installed package")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.ops, args.repeat)
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    stages = [s.strip() for s in args.stages.split(",")]
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise SystemExit(f"unknown stages: {', '.join(sorted(unknown))}")
    base = count("setup", args.ops, args.repeat, args.tree)
    print(f"{args.tree or 'installed package'}: {args.ops:,} ops, mean of {args.repeat} runs, "
          f"setup {base / 1e6:,.0f} M instructions")
    for stage in stages:
        total = count(stage, args.ops, args.repeat, args.tree)
        print(f"  {stage:<14} {(total - base) / args.repeat / 1e6:10,.1f} M instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
