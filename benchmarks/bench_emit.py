#!/usr/bin/env python3
"""Benchmark: emit only (manifest dicts → bytes) for the pipelines of ``bench_load.generate``.

Not a test. Compiles an N-op pipeline once (``check_limits=False``), then times, best of
``--repeat`` runs each, in CPU time of this process (the figures hold on a shared machine):

    YAML            ``emit.to_yaml`` (the default output of ``compile``)
    YAML reference  ``emit.to_yaml_reference``: PyYAML's representer + libyaml (the path before
                    issue 16; kept as the reference the fast path must match byte for byte)
    JSON            ``emit.to_json`` (``compile -o json``)

and checks the two YAML paths give the same bytes.

Usage::

    python benchmarks/bench_emit.py                 # 5000 ops
    python benchmarks/bench_emit.py --ops 200 5000 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_load import generate  # noqa: E402

import polyflow_argo  # noqa: E402
from polyflow_argo import emit  # noqa: E402
from polyflow_argo.translate import CompileOptions  # noqa: E402


def best_of(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, nargs="+", default=[5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    reference = getattr(emit, "to_yaml_reference", None)
    print(f"{'ops':>6} {'KiB yaml':>9} {'YAML ms':>9} {'YAML ref ms':>12} {'JSON ms':>9}  (CPU)")
    for n in args.ops:
        docs = polyflow_argo.compile(generate(n), CompileOptions(check_limits=False))
        text = emit.to_yaml(docs)
        if reference is not None and reference(docs) != text:
            print(f"{n} ops: to_yaml and to_yaml_reference differ", file=sys.stderr)
            return 1
        fast = best_of(lambda d=docs: emit.to_yaml(d), args.repeat)
        ref = best_of(lambda d=docs: reference(d), args.repeat) if reference else float("nan")
        js = best_of(lambda d=docs: emit.to_json(d), args.repeat)
        kib = len(text.encode()) / 1024
        print(f"{n:>6} {kib:>9.0f} {fast * 1000:>9.1f} {ref * 1000:>12.1f} {js * 1000:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
