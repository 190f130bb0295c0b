"""Expansion of a group's ``hptuning`` (spec §1.19) into concrete parameter suggestions.

The lead pass turns the result into an Argo ``withItems`` fan-out
(https://argo-workflows.readthedocs.io/en/latest/walk-through/loops/) whose ``parallelism`` is
``hptuning.concurrency``. This module is pure: data in, data out, no numpy at run time.

What Polyaxon 0.5.6 did, and what we do (polyaxon-schemas@6060719
``polyaxon_schemas/ops/group/matrix.py``, ``ops/group/hptuning.py``; polyaxon@0.5.6
``polyaxon/hpsearch/search_managers/{grid,random,utils}.py``):

- **grid search** (also when no algorithm is given): the cartesian product of the entries' values in
  the matrix's order, the last entry varying fastest (``itertools.product``), cut to the first
  ``n_experiments`` when given. Distributions (``pvalues`` included) are rejected.
- **random search**: ``n_experiments`` is required. Each suggestion samples every entry in matrix
  order; a suggestion equal (``==``) to an earlier one is drawn again. When no entry is continuous
  (``pvalues`` counts as discrete), ``n_experiments`` is capped at the number of combinations.
- discrete kinds, as numpy computes them: ``range`` is ``np.arange`` (length
  ``ceil((stop - start) / step)``, then ``start + i * ((start + step) - start)``, so
  ``range: 1:1.3:0.1`` gives four values, the last about 1.3; all-int arguments give ints);
  ``linspace`` is ``np.linspace`` (always floats, last value exactly ``stop``); ``logspace`` is
  ``base ** linspace`` (``base`` defaults to 10); ``geomspace`` is ``np.geomspace`` (both ends kept
  exactly; it cannot include or cross zero). Discrete entries are sampled by uniform choice.
- ``pvalues``: a weighted choice with numpy ``multinomial`` semantics: the last value takes the
  probability left over by the others, ``1 - sum(p[:-1])``, whatever its own ``p``.
- distributions: ``uniform`` in ``[low, high)``; ``loguniform`` is ``exp(uniform(low, high))``, so
  ``low``/``high`` are natural-log exponents (the 0.5 docs said "[low, high]"; the code won);
  ``normal(loc, scale)``; ``lognormal`` is ``exp(normal)``. The ``q`` kinds quantize with
  ``round(x // q) * q``, i.e. *floor* to a multiple of ``q`` (the docs said ``round(x / q) * q``).
  ``size`` is ignored, as the original overwrote it (warning PF379).

Deliberate differences:

- Streams: Polyaxon used numpy's ``RandomState(seed)``, or the unseeded global generator when
  ``seed`` was missing *or 0*. We use ``random.Random`` and call only its ``random()`` method, whose
  sequence Python guarantees for an int seed; normals use Box-Muller on two such draws. So a seed
  gives the same suggestions across polyflow-argo versions, Python versions and platforms, but not
  Polyaxon's. ``seed: 0`` is an ordinary seed. Without a seed, :func:`effective_seed` derives one
  from a SHA-256 of the matrix, so compiles stay reproducible (and a larger ``n_experiments`` only
  appends suggestions).
- Computed floats (not user ``values``) are rounded to 12 significant digits: ``0.30000000000000004``
  becomes ``0.3``, and last-bit differences between platforms' ``exp``/``log``/``cos`` cannot change
  the output. ``uniform`` keeps the unrounded draw when rounding would reach ``high``.
- ``qlognormal``: 0.5.6 returned ``exp(lognormal)`` and ignored ``q`` (a bug fixed in polyaxon
  v1.1.0 ``core/polyaxon/polytune/matrix/dist.py``); we use the fix, ``round(lognormal // q) * q``.
- Random choice returns the listed element itself (numpy's ``choice`` coerced mixed-type lists,
  e.g. ``[1, "a"]`` gave ``"1"``).
- Polyaxon looped forever when fewer distinct suggestions existed than asked (duplicate ``values``,
  zero-probability ``pvalues``, coarse ``q``). We count distinct values for the cap and stop after
  a bounded number of draws with PF377.
- hyperband, bo and early stopping need the runs' metrics fed back into the search, which a static
  Argo fan-out cannot do: PF370-PF372.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..language.hptuning import HPTuning, MatrixEntry

DEFAULT_MAX_SUGGESTIONS = 10_000
SIGNIFICANT_DIGITS = 12

PathT = tuple[str | int, ...]
_Draw = Callable[[random.Random], Any]

_CONTINUOUS = frozenset(
    {"uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal", "lognormal", "qlognormal"}
)
_SCALED = frozenset({"normal", "qnormal", "lognormal", "qlognormal"})
_DISCRETE_KINDS = "`values`, `range`, `linspace`, `logspace` or `geomspace`"


@dataclass(frozen=True)
class Problem:
    """Something the expansion cannot do. ``path`` is relative to the group's ``hptuning``."""

    code: str
    path: PathT
    message: str
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"


class MatrixError(ValueError):
    """Raised by :func:`expand`, :func:`values` and :func:`sample`; carries the problems."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Expansion:
    """The result of :func:`plan`: suggestions (empty when there are errors) and problems."""

    algorithm: str
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    problems: tuple[Problem, ...] = ()
    seed: int | None = None  # the seed actually used (random search only)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


# --------------------------------------------------------------------------- numbers


def _canon(x: float) -> float:
    """Round a computed float to :data:`SIGNIFICANT_DIGITS` (also turns -0.0 into 0.0)."""
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}") + 0.0


def _checked(x: float, where: PathT, what: str) -> float:
    if not math.isfinite(x):
        raise MatrixError(
            Problem("PF378", where, f"`{_label(where)}` gives {x} for {what}, which is not a finite number",
                    "use smaller bounds")
        )
    return _canon(x)


def _label(where: PathT) -> str:
    return ".".join(str(p) for p in (where[1:] if where[:1] == ("matrix",) else where))


def _pow(base: float, exponent: float) -> float:
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


# --------------------------------------------------------------------------- discrete kinds


@dataclass(frozen=True)
class _Seq:
    """A discrete entry's values, computed by index so a huge range is never materialized."""

    length: int
    at: Callable[[int], Any]


def _range(n: dict[str, Any], where: PathT) -> _Seq:
    start, stop, step = n["start"], n["stop"], n["step"]
    if all(isinstance(v, int) for v in (start, stop, step)):  # np.arange with ints: int64 values
        return _Seq(max(0, -((start - stop) // step)), lambda i: start + i * step)
    quotient = (stop - start) / step
    if not math.isfinite(quotient):
        raise MatrixError(
            Problem("PF378", where, f"`{_label(where)}` has no computable length", "use a larger step")
        )
    first, second = float(start), float(start + step)
    delta = second - first  # numpy fills with start + i * delta, not start + i * step

    def at(i: int) -> float:
        return _checked(first if i == 0 else second if i == 1 else first + i * delta, where, f"item {i}")

    return _Seq(max(0, math.ceil(quotient)), at)


def _lin(start: float, stop: float, num: int) -> Callable[[int], float]:
    """np.linspace(start, stop, num), unrounded, item by item (same float operations)."""
    div = num - 1
    delta = stop - start
    step = delta / div if div > 0 else math.nan

    def at(i: int) -> float:
        if div > 0 and i == div:
            return stop
        if div <= 0:
            return i * delta + start
        if step == 0:  # numpy's path for denormal steps
            return (i / div) * delta + start
        return i * step + start

    return at


def _linspace(n: dict[str, Any], where: PathT) -> _Seq:
    lin = _lin(float(n["start"]), float(n["stop"]), n["num"])
    return _Seq(n["num"], lambda i: _checked(lin(i), where, f"item {i}"))


def _logspace(n: dict[str, Any], where: PathT) -> _Seq:
    lin = _lin(float(n["start"]), float(n["stop"]), n["num"])
    base = float(n.get("base", 10.0))
    return _Seq(n["num"], lambda i: _checked(_pow(base, lin(i)), where, f"item {i}"))


def _geomspace(n: dict[str, Any], where: PathT) -> _Seq:
    start, stop, num = float(n["start"]), float(n["stop"]), n["num"]
    if start == 0 or stop == 0:
        raise MatrixError(
            Problem(
                "PF378",
                where,
                f"`{_label(where)}` cannot include zero (a geometric sequence never reaches 0)",
                "use `linspace`, or a start and stop of the same sign",
            )
        )
    if start < 0 < stop and num > 2:
        raise MatrixError(
            Problem(
                "PF378",
                where,
                f"`{_label(where)}` goes from {n['start']} to {n['stop']}, across zero, so its inner values "
                "are not numbers (NaN in numpy)",
                "use `linspace`, or keep both ends on one side of 0",
            )
        )
    sign = 1.0 if start > 0 else -1.0
    lo, hi = start / sign, stop / sign
    lin = _lin(math.log10(lo), math.log10(hi), num) if hi > 0 else None

    def at(i: int) -> float:
        if i == 0:
            return _canon(start)
        if i == num - 1:
            return _canon(stop)
        assert lin is not None
        return _checked(_pow(10.0, lin(i)) * sign, where, f"item {i}")

    return _Seq(num, at)


def _listed(items: list[Any]) -> _Seq:
    return _Seq(len(items), lambda i: copy.deepcopy(items[i]))


_SEQUENCES: dict[str, Callable[[dict[str, Any], PathT], _Seq]] = {
    "range": _range,
    "linspace": _linspace,
    "logspace": _logspace,
    "geomspace": _geomspace,
}


def _seq(entry: MatrixEntry, where: PathT) -> _Seq:
    kind = entry.kind
    if kind == "values":
        return _listed(list(entry.values or []))
    if kind == "pvalues":
        return _listed([pair[0] for pair in entry.pvalues or []])
    if kind in _SEQUENCES:
        return _SEQUENCES[kind](entry.normalized(), where)
    raise MatrixError(
        Problem("PF373", where, f"`{_label(where)}` is a distribution and has no list of values",
                f"sample it with random search, or give {_DISCRETE_KINDS}")
    )


# --------------------------------------------------------------------------- sampling


def _index(rng: random.Random, n: int) -> int:
    return min(int(rng.random() * n), n - 1)


def _weights(pairs: list[list[Any]]) -> list[float]:
    """numpy multinomial: the last outcome takes whatever probability the others leave."""
    head = [float(p[1]) for p in pairs[:-1]]
    return head + [max(0.0, 1.0 - math.fsum(head))]


def _weighted(pairs: list[list[Any]]) -> _Draw:
    keys, weights = [p[0] for p in pairs], _weights(pairs)
    last = max(i for i, w in enumerate(weights) if w > 0) if any(w > 0 for w in weights) else len(keys) - 1

    def draw(rng: random.Random) -> Any:
        u, total = rng.random(), 0.0
        for i, w in enumerate(weights):
            total += w
            if u < total and w > 0:
                return copy.deepcopy(keys[i])
        return copy.deepcopy(keys[last])

    return draw


def _std_normal(rng: random.Random) -> float:
    """Box-Muller from exactly two ``random()`` draws (no cached second value)."""
    u1, u2 = rng.random(), rng.random()
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _continuous(kind: str, n: dict[str, Any], where: PathT) -> _Draw:
    quantum = float(n["q"]) if "q" in n else None
    log = kind in ("loguniform", "qloguniform", "lognormal", "qlognormal")
    if kind in _SCALED:
        loc, scale = float(n["loc"]), float(n["scale"])

        def raw(rng: random.Random) -> float:
            return loc + scale * _std_normal(rng)
    else:
        low, high = float(n["low"]), float(n["high"])

        def raw(rng: random.Random) -> float:
            return low + (high - low) * rng.random()

    def draw(rng: random.Random) -> float:
        x = raw(rng)
        if log:
            x = _exp(x)
        if quantum is not None:
            x = (x // quantum) * quantum  # np.round(x // q) * q: floor, then a no-op round
        value = _checked(x, where, "a draw")
        if kind == "uniform" and (
            value == n["high"] or not min(n["low"], n["high"]) <= value <= max(n["low"], n["high"])
        ):
            return x  # rounding reached the open end (or left the interval): keep the exact draw
        return value

    return draw


def _drawer(entry: MatrixEntry, where: PathT) -> _Draw:
    kind = entry.kind
    if kind == "pvalues":
        return _weighted(list(entry.pvalues or []))
    if kind in _CONTINUOUS:
        return _continuous(kind, entry.normalized(), where)
    seq = _seq(entry, where)
    if seq.length == 0:
        raise MatrixError(_empty(entry, where))
    return lambda rng: seq.at(_index(rng, seq.length))


# --------------------------------------------------------------------------- public helpers


def length(entry: MatrixEntry) -> int:
    """Number of values of a discrete entry (``pvalues``: number of pairs), without computing them."""
    return _seq(entry, (entry.kind,)).length


def values(entry: MatrixEntry) -> list[Any]:
    """The values of a discrete entry, as numpy computes them (floats rounded, see module doc).

    Raises:
        MatrixError: for a continuous distribution (PF373) or a value that is not finite (PF378).
    """
    seq = _seq(entry, (entry.kind,))
    return [seq.at(i) for i in range(seq.length)]


def sample(entry: MatrixEntry, rng: random.Random) -> Any:
    """One draw from ``entry``; uses only ``rng.random()``.

    Raises:
        MatrixError: when the entry has no values (PF376) or gives a non-finite number (PF378).
    """
    return _drawer(entry, (entry.kind,))(rng)


def effective_seed(hptuning: HPTuning) -> int:
    """``hptuning.seed``, or one derived from a SHA-256 of the matrix when it is not given."""
    if hptuning.seed is not None:
        return hptuning.seed
    matrix = [[name, entry.kind, entry.normalized()] for name, entry in (hptuning.matrix or {}).items()]
    text = json.dumps(matrix, sort_keys=True, separators=(",", ":"), default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _rng(seed: int) -> random.Random:
    # random.Random seeds with abs(seed); zigzag keeps -5 and 5 apart.
    return random.Random(2 * seed if seed >= 0 else -2 * seed - 1)


# --------------------------------------------------------------------------- checks


def _empty(entry: MatrixEntry, where: PathT) -> Problem:
    n = ", ".join(f"{k} {v}" for k, v in entry.normalized().items())
    hint = "use a step with the sign of stop - start" if entry.kind == "range" else "give at least one value"
    return Problem(
        "PF376", where, f"`{_label(where)}` ({n}) gives no values, so there is nothing to run", hint
    )


def _algorithm_problems(hp: HPTuning) -> list[Problem]:
    out = []
    feedback = "needs the runs' metrics fed back into the search, which a static Argo fan-out cannot do"
    alternative = "use `random_search: {n_experiments: N}` or `grid_search`, or run the tuner inside one job"
    if hp.hyperband is not None:
        out.append(
            Problem("PF370", ("hyperband",), f"hyperband cannot be compiled: it {feedback}", alternative)
        )
    if hp.bo is not None:
        out.append(
            Problem(
                "PF371",
                ("bo",),
                f"bayesian optimization (`bo`) cannot be compiled: it {feedback}",
                alternative,
            )
        )
    if hp.early_stopping:
        out.append(
            Problem(
                "PF372",
                ("early_stopping",),
                f"`early_stopping` cannot be compiled: it {feedback}",
                "remove `early_stopping` to run every suggestion to the end, or stop early in the training "
                "code",
            )
        )
    if (
        hp.algorithm == "random_search"
        and hp.random_search is not None
        and not hp.random_search.n_experiments
    ):
        out.append(Problem("PF374", ("random_search",), "random search needs `n_experiments`",
                           "add `random_search: {n_experiments: 10}`"))
    return out


def _entry_problems(hp: HPTuning) -> list[Problem]:
    out: list[Problem] = []
    grid = hp.algorithm == "grid_search"
    for name, entry in (hp.matrix or {}).items():
        kind = entry.kind
        where: PathT = ("matrix", name, kind)
        if grid and entry.is_distribution:
            out.append(
                Problem(
                    "PF373",
                    where,
                    f"`{name}` uses `{kind}`, a distribution, and grid search can only enumerate discrete "
                    "values",
                    f"use `random_search: {{n_experiments: N}}`, or give {_DISCRETE_KINDS}",
                )
            )
            continue
        if kind in _CONTINUOUS:
            n = entry.normalized()
            if kind in _SCALED and n["scale"] < 0:
                out.append(
                    Problem(
                        "PF378",
                        where + ("scale",),
                        f"`{name}.{kind}` has a negative scale ({n['scale']})",
                        "use a scale >= 0",
                    )
                )
            if "size" in n:
                raw = getattr(entry, kind)
                out.append(
                    Problem(
                        "PF379",
                        where + (("size",) if isinstance(raw, dict) else ()),
                        f"`{name}.{kind}.size` is ignored: each suggestion draws one value (as in Polyaxon "
                        "0.5)",
                        "remove `size`",
                        "warning",
                    )
                )
            continue
        try:
            if kind != "pvalues" and _seq(entry, where).length == 0:
                out.append(_empty(entry, where))
        except MatrixError as exc:
            out.extend(exc.problems)
    return out


def _too_many(count: int, cap: int, what: str, path: PathT, hint: str) -> Problem:
    return Problem("PF375", path, f"{what} gives {count:,} suggestions, more than the limit of {cap:,} "
                   "(each one becomes an Argo node)", hint)


# --------------------------------------------------------------------------- searches


def _grid(hp: HPTuning, cap: int) -> tuple[list[dict[str, Any]], list[Problem]]:
    matrix = hp.matrix or {}
    names = list(matrix)
    seqs = [_seq(matrix[k], ("matrix", k, matrix[k].kind)) for k in names]
    size = math.prod(s.length for s in seqs)
    wanted = hp.grid_search.n_experiments if hp.grid_search is not None else None
    count = min(size, wanted) if wanted else size
    if count > cap:
        hint = (
            f"set `grid_search: {{n_experiments: N}}` (N <= {cap:,}) to run the first N, or shrink the matrix"
        )
        path: PathT = ("grid_search", "n_experiments") if wanted else ("matrix",)
        return [], [_too_many(count, cap, "grid search", path, hint)]
    out = []
    for k in range(count):  # mixed radix: the last entry varies fastest, as itertools.product
        picks: list[Any] = []
        for seq in reversed(seqs):
            k, i = divmod(k, seq.length)
            picks.append(seq.at(i))
        out.append(dict(zip(names, reversed(picks), strict=True)))
    return out, []


def _freeze(value: Any) -> Any:
    """A hashable stand-in that is equal exactly when the values compare equal (1 == 1.0 == True)."""
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((k, _freeze(v)) for k, v in value.items()))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value


def _distinct(entry: MatrixEntry) -> int | None:
    """Distinct outcomes of a discrete entry (None when continuous)."""
    if entry.kind in _CONTINUOUS:
        return None
    if entry.kind == "pvalues":
        pairs = list(entry.pvalues or [])
        return len({_freeze(p[0]) for p, w in zip(pairs, _weights(pairs), strict=True) if w > 0})
    if entry.kind == "values":
        return len({_freeze(v) for v in entry.values or []})
    return length(entry)


def _random(hp: HPTuning, cap: int, seed: int) -> tuple[list[dict[str, Any]], list[Problem]]:
    matrix = hp.matrix or {}
    assert hp.random_search is not None and hp.random_search.n_experiments
    wanted = hp.random_search.n_experiments
    distinct = [_distinct(e) for e in matrix.values()]
    count = wanted
    if all(d is not None for d in distinct):
        count = min(wanted, math.prod(d for d in distinct if d is not None))
    if count > cap:
        hint = f"lower `n_experiments` to at most {cap:,}"
        return [], [_too_many(count, cap, "random search", ("random_search", "n_experiments"), hint)]
    draws = {k: _drawer(e, ("matrix", k, e.kind)) for k, e in matrix.items()}
    rng = _rng(seed)
    seen: set[Any] = set()
    out: list[dict[str, Any]] = []
    budget = 100 * count + 1000
    for _ in range(budget):
        if len(out) == count:
            break
        suggestion = {k: draw(rng) for k, draw in draws.items()}
        key = _freeze(list(suggestion.values()))
        if key not in seen:
            seen.add(key)
            out.append(suggestion)
    if len(out) < count:
        problem = Problem(
            "PF377", ("random_search", "n_experiments"),
            f"random search found only {len(out):,} distinct suggestions of the {count:,} asked for in "
            f"{budget:,} draws: the matrix has too few distinct (or too unlikely) combinations",
            f"lower `n_experiments` to {len(out):,}, or widen the matrix (a smaller `q`, more values)",
        )
        return [], [problem]
    return out, []


# --------------------------------------------------------------------------- entry points


def plan(hptuning: HPTuning, *, max_suggestions: int = DEFAULT_MAX_SUGGESTIONS) -> Expansion:
    """Check ``hptuning`` and expand it; never raises for a problem in the input.

    Args:
        hptuning: a validated ``group`` template's ``hptuning``.
        max_suggestions: the largest fan-out accepted (PF375 beyond it).

    Returns:
        The algorithm, the suggestions (empty when there is any error), the problems, and the
        seed used by random search.
    """
    algorithm = hptuning.algorithm
    found = _algorithm_problems(hptuning)
    if not hptuning.matrix:
        found.append(
            Problem(
                "PF376",
                ("matrix",),
                "a group needs a non-empty `matrix`: there is nothing to run",
                "add e.g. `matrix: {lr: {values: [0.01, 0.1]}}`",
            )
        )
    else:
        found += _entry_problems(hptuning)
    seed = effective_seed(hptuning) if algorithm == "random_search" else None
    if any(p.severity == "error" for p in found) or algorithm not in ("grid_search", "random_search"):
        return Expansion(algorithm, [], tuple(found), seed)
    try:
        if algorithm == "grid_search":
            suggestions, more = _grid(hptuning, max_suggestions)
        else:
            assert seed is not None
            suggestions, more = _random(hptuning, max_suggestions, seed)
    except MatrixError as exc:
        suggestions, more = [], list(exc.problems)
    return Expansion(algorithm, suggestions, tuple(found + more), seed)


def problems(hptuning: HPTuning, *, max_suggestions: int = DEFAULT_MAX_SUGGESTIONS) -> list[Problem]:
    """Errors and warnings of :func:`plan` (it runs the expansion: some problems only show there)."""
    return list(plan(hptuning, max_suggestions=max_suggestions).problems)


def expand(hptuning: HPTuning, *, max_suggestions: int = DEFAULT_MAX_SUGGESTIONS) -> list[dict[str, Any]]:
    """The suggestions, each mapping param name to value, in a deterministic order.

    Raises:
        MatrixError: carrying every error of :func:`plan` (call :func:`plan` to report them instead).
    """
    result = plan(hptuning, max_suggestions=max_suggestions)
    if result.errors:
        raise MatrixError(*result.errors)
    return result.suggestions
