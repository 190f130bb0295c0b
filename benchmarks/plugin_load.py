#!/usr/bin/env python3
"""Benchmark: the executor plugin server (`polyflow-argo plugin serve`) under load, on loopback.

Not a test. Starts the real server in a subprocess (its own interpreter, so the load generator does
not share its GIL) and measures three things with ``time`` events (pure: no network call):

1. ``--calls`` calls (2,000) at ``--concurrency`` (50) concurrent, each on a new connection: how many
   were served (a 200 reply) and the latency percentiles (connect + request + reply).
2. ``--keepalive`` calls (500) one after another on one kept-alive connection: p50 and p99.
3. ``--slow`` connections (300) that send their headers one byte every 0.5 s; meanwhile one normal
   call on a new connection: how long its answer took (and whether it came at all).

Targets (issue 15): all served, p99 <= 100 ms; kept-alive p50 <= 10 ms; the normal call answered
within 1 s while the slow connections are open.

Usage::

    python benchmarks/plugin_load.py
    python benchmarks/plugin_load.py --calls 500 --slow 100
    # the server of an older commit, for a before/after comparison:
    mkdir /tmp/before && git archive HEAD polyflow_argo | tar -x -C /tmp/before
    python benchmarks/plugin_load.py --source /tmp/before

The machine's load average is printed too: latency percentiles on a shared machine depend on it.

Dependency-free: stdlib + the polyflow_argo package. Prints one summary table.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PATH = "/api/v1/template.execute"
TOKEN = "bench-token"
BODY = json.dumps({
    "workflow": {"metadata": {"name": "wf", "namespace": "ml", "uid": "u-1"}},
    "template": {"name": "wait", "plugin": {"polyflow": {"kind": "time", "delay": 3600}}},
}).encode()
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(token_file: Path, source: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    root = source or Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "polyflow_argo", "plugin", "serve", "--port", str(port),
         "--token-file", str(token_file)],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the plugin server did not start")


def one_call(port: int, timeout: float) -> float | None:
    """One call on a new connection: its latency in seconds, or None if it was not served."""
    start = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("POST", PATH, body=BODY, headers=HEADERS)
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return time.perf_counter() - start if resp.status == 200 else None
    except OSError:
        return None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def new_connections(port: int, calls: int, concurrency: int) -> tuple[int, list[float]]:
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda _: one_call(port, 30.0), range(calls)))
    latencies = [r for r in results if r is not None]
    return len(latencies), latencies


def kept_alive(port: int, calls: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    for _ in range(calls):
        start = time.perf_counter()
        conn.request("POST", PATH, body=BODY, headers=HEADERS)
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.perf_counter() - start)
    conn.close()
    return latencies


def slow_headers(port: int, slow: int, hold: float) -> float | None:
    """Open ``slow`` connections dribbling headers; the latency of one normal call meanwhile."""
    stop = threading.Event()
    socks: list[socket.socket] = []
    for _ in range(slow):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\n")
            socks.append(s)
        except OSError:
            break

    def dribble() -> None:
        while not stop.is_set():
            for s in socks:
                with contextlib.suppress(OSError):
                    s.send(b"X")
            stop.wait(0.5)

    feeder = threading.Thread(target=dribble, daemon=True)
    feeder.start()
    time.sleep(1.0)  # let the server take them all
    latency = one_call(port, hold)
    stop.set()
    feeder.join()
    for s in socks:
        s.close()
    return latency


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--keepalive", type=int, default=500)
    parser.add_argument("--slow", type=int, default=300)
    parser.add_argument("--source", type=Path, help="a directory holding the polyflow_argo package to serve "
                                                     "(default: this checkout)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "token"
        token_file.write_text(TOKEN)
        proc, port = start_server(token_file, args.source)
        try:
            one_call(port, 5)  # warm up
            t0 = time.perf_counter()
            served, lat = new_connections(port, args.calls, args.concurrency)
            wall = time.perf_counter() - t0
            keep = kept_alive(port, args.keepalive)
            slow = slow_headers(port, args.slow, hold=30.0)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    ms = 1000.0
    print(f"server: {args.source or 'this checkout'}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"new connections: {served}/{args.calls} served at {args.concurrency} concurrent in {wall:.1f} s; "
          + (f"p50 {percentile(lat, 50) * ms:.1f} ms, p99 {percentile(lat, 99) * ms:.1f} ms, "
             f"max {max(lat) * ms:.1f} ms" if lat else "none served"))
    print(f"kept-alive: {len(keep)} calls, p50 {statistics.median(keep) * ms:.1f} ms, "
          f"p99 {percentile(keep, 99) * ms:.1f} ms")
    print(f"slow headers: {args.slow} connections; a normal call meanwhile: "
          + (f"answered in {slow * ms:.0f} ms" if slow is not None else "not answered within 30 s"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
