"""Pass: build the DAG (dependencies ∪ referenced ops), report unknown ops and cycles, and level it."""

from __future__ import annotations

from ..errors import Problem
from ..language.hints import did_you_mean
from .context import Context
from .refs import parse_refs


def build_graph(ctx: Context) -> None:
    known = ctx.op_index
    for i, op in enumerate(ctx.ops()):
        if ctx.op_index.get(op.name) != i:
            continue  # a duplicate name, already reported
        upstream: dict[str, None] = {}  # insertion-ordered set: a list made 20k-way joins quadratic
        for j, dep in enumerate(op.dependencies or []):
            path = ("ops", i, "dependencies", j)
            if dep not in known:
                ctx.error(
                    "PF310", f"op '{op.name}' depends on unknown op '{dep}'", path, _unknown_hint(ctx, dep)
                )
            else:
                upstream[dep] = None
        for key, value in (op.params or {}).items():
            if not isinstance(value, str):
                continue
            try:
                refs = parse_refs(value)
            except Problem:
                continue  # reported by the params pass
            for ref in refs:
                if ref.entity != "ops":
                    continue
                if ref.target not in known:
                    ctx.error(
                        "PF311",
                        f"op '{op.name}' references unknown op '{ref.target}' in param '{key}'",
                        ("ops", i, "params", key),
                        _unknown_hint(ctx, ref.target),
                    )
                else:
                    upstream[ref.target] = None
        ctx.upstream[op.name] = tuple(upstream)
    _check_overrides(ctx)
    _check_cycles(ctx)


def _check_overrides(ctx: Context) -> None:
    """PF313: a ``-p`` override replaced a param whose ``{{ ops.X.outputs.Y }}`` made the op wait
    for X, and nothing else (``dependencies``, another param, the new value) still does."""
    for op_name, param, old in ctx.options.overridden:
        i = ctx.op_index.get(op_name)
        if i is None or not isinstance(old, str):
            continue
        try:
            refs = parse_refs(old)
        except Problem:
            continue
        kept = ctx.upstream.get(op_name, ())
        lost = dict.fromkeys(
            r.target for r in refs
            if r.entity == "ops" and r.target in ctx.op_index and r.target != op_name and r.target not in kept
        )
        shown = old if len(old) <= 80 else old[:77] + "..."
        for target in lost:
            ctx.warning(
                "PF313",
                f"-p {op_name}.{param}: op '{op_name}' no longer waits for op '{target}': the value it "
                f"replaced, {shown!r}, was what made '{op_name}' depend on '{target}'",
                ("ops", i, "name"),
                f"if '{op_name}' must still run after '{target}', add `dependencies: [{target}]` to it",
            )


def _unknown_hint(ctx: Context, name: str) -> str:
    return did_you_mean(name, ctx.op_index) or "the ops are: " + ", ".join(sorted(ctx.op_index))


def _check_cycles(ctx: Context) -> None:
    """Report each cycle once (one per strongly connected component), with its path; then level."""
    upstream = ctx.upstream
    components = _cyclic_components(upstream)
    for comp in components:
        cycle = _cycle_path(comp, upstream)
        first = min(comp, key=lambda n: ctx.op_index[n])
        shown = " -> ".join(cycle)
        ctx.error(
            "PF312",
            f"the pipeline's graph is not acyclic: {shown}"
            if len(cycle) > 2
            else f"op '{first}' depends on itself",
            ("ops", ctx.op_index[first], "dependencies")
            if ctx.ops()[ctx.op_index[first]].dependencies
            else ("ops", ctx.op_index[first], "name"),
            "remove one of these dependencies, or the param reference that creates it",
        )
    if not components:
        ctx.levels = _levels(upstream, list(upstream))


def _cyclic_components(upstream: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """The strongly connected components that hold a cycle (Tarjan's algorithm, iterative)."""
    order = list(upstream)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in order:
        if root in index:
            continue
        work = [(root, iter(upstream[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in upstream:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(upstream[nxt])))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                if len(comp) > 1 or node in upstream[node]:
                    components.append(comp)
    return components


def _cycle_path(comp: list[str], upstream: dict[str, tuple[str, ...]]) -> list[str]:
    """A concrete cycle inside one strongly connected component, as op -> its dependency -> … -> op."""
    members = set(comp)
    start = min(comp)
    path = [start]
    seen = {start: 0}
    node = start
    while True:
        node = next(u for u in sorted(upstream[node]) if u in members)
        if node in seen:
            cyc = path[seen[node]:] + [node]
            return list(reversed(cyc))
        seen[node] = len(path)
        path.append(node)


def _levels(upstream: dict[str, tuple[str, ...]], order: list[str]) -> list[list[str]]:
    depth: dict[str, int] = {}
    for name in order:
        _depth(name, upstream, depth)
    levels: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in order:
        levels[depth[name]].append(name)
    return levels


def _depth(name: str, upstream: dict[str, tuple[str, ...]], depth: dict[str, int]) -> int:
    # iterative to survive very deep chains
    stack = [name]
    while stack:
        cur = stack[-1]
        if cur in depth:
            stack.pop()
            continue
        pending = [u for u in upstream[cur] if u in upstream and u not in depth]
        if pending:
            stack.extend(pending)
            continue
        depth[cur] = 1 + max((depth[u] for u in upstream[cur] if u in upstream), default=-1)
        stack.pop()
    return depth[name]
