"""``hptuning`` of group templates (spec §1.19): matrix, search algorithms, early stopping.

Matrix entries accept the original's three spellings: ``"a:b:c"`` strings, lists and mappings.
:func:`MatrixEntry.normalized` returns the mapping form so later stages need not care.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .base import Bool, Float, Int, Spec, fail, loose_enum

_DISCRETE = ("values", "pvalues", "range", "linspace", "logspace", "geomspace")
_CONTINUOUS = (
    "uniform",
    "quniform",
    "loguniform",
    "qloguniform",
    "normal",
    "qnormal",
    "lognormal",
    "qlognormal",
)
MATRIX_KINDS = _DISCRETE + _CONTINUOUS

# Positional field names of each kind (string "a:b:c" or list form), and the optional ones.
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "range": (("start", "stop", "step"), ()),
    "linspace": (("start", "stop", "num"), ()),
    "logspace": (("start", "stop", "num"), ("base",)),
    "geomspace": (("start", "stop", "num"), ()),
    "uniform": (("low", "high"), ("size",)),
    "loguniform": (("low", "high"), ("size",)),
    "quniform": (("low", "high", "q"), ("size",)),
    "qloguniform": (("low", "high", "q"), ("size",)),
    "normal": (("loc", "scale"), ("size",)),
    "lognormal": (("loc", "scale"), ("size",)),
    "qnormal": (("loc", "scale", "q"), ("size",)),
    "qlognormal": (("loc", "scale", "q"), ("size",)),
}
_INT_FIELDS = {"num", "size"}


def _num(kind: str, field: str, value: Any) -> float | int:
    if isinstance(value, bool):
        fail("PF262", f"`{kind}.{field}` must be a number, got {value!r}", at=kind)
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            fail("PF262", f"`{kind}.{field}` must be a number, got {value!r}", at=kind)
    if not isinstance(value, (int, float)):
        fail("PF262", f"`{kind}.{field}` must be a number, got {type(value).__name__}", at=kind)
    if field in _INT_FIELDS and (not float(value).is_integer() or value < 0):
        fail("PF262", f"`{kind}.{field}` must be a non-negative integer, got {value!r}", at=kind)
    return int(value) if field in _INT_FIELDS else value


def normalize_entry(kind: str, raw: Any) -> dict[str, Any]:
    """Turn one matrix value (string, list or mapping) into ``{field: number}``."""
    required, optional = _FIELDS[kind]
    allowed = required + optional
    if isinstance(raw, str):
        raw = [p.strip() for p in raw.split(":")]
    if isinstance(raw, list):
        if not len(required) <= len(raw) <= len(allowed):
            fail(
                "PF261",
                f"`{kind}` takes {':'.join(required)}" + (f"[:{':'.join(optional)}]" if optional else "")
                + f" ({len(raw)} values given)",
                at=kind,
                hint=f"e.g. `{kind}: {{{', '.join(f'{f}: ...' for f in required)}}}`",
            )
        raw = dict(zip(allowed, raw, strict=False))  # optional fields may be left out
    if not isinstance(raw, dict):
        fail("PF261", f"`{kind}` must be a string 'a:b:c', a list or a mapping", at=kind)
    unknown = [k for k in raw if k not in allowed]
    missing = [k for k in required if k not in raw]
    if unknown or missing:
        what = f"unknown field `{unknown[0]}`" if unknown else f"missing `{missing[0]}`"
        fail("PF261", f"`{kind}`: {what}; it takes {', '.join(allowed)}", at=kind)
    out = {k: _num(kind, k, v) for k, v in raw.items()}
    # The original's checks, no more (a 0 step/num/q; ranges need start < stop).
    third = required[2] if len(required) > 2 else None
    if third in ("step", "num", "q") and out[third] == 0:
        fail("PF262", f"`{kind}.{third}` cannot be 0", at=kind)
    if kind in _DISCRETE and out["start"] >= out["stop"]:
        fail(
            "PF262",
            f"`{kind}`: stop must be strictly higher than start (start: {out['start']}, stop: {out['stop']})",
            at=kind,
        )
    return out


class MatrixEntry(Spec):
    """Exactly one way to produce the values of one hyperparameter."""

    values: list[Any] | None = None
    """The values to try, e.g. [0.01, 0.1]."""
    pvalues: list[list[Any]] | None = None
    """`[value, probability]` pairs, for random search."""
    range: Any = None
    """start:stop:step (stop excluded), as 'a:b:c', a list or a mapping."""
    linspace: Any = None
    """start:stop:num evenly spaced values."""
    logspace: Any = None
    """start:stop:num[:base] values evenly spaced on a log scale."""
    geomspace: Any = None
    """start:stop:num values in geometric progression."""
    uniform: Any = None
    """low:high, a uniform distribution (random search)."""
    quniform: Any = None
    """low:high:q, a quantized uniform distribution (random search)."""
    loguniform: Any = None
    """low:high, a log-uniform distribution (random search)."""
    qloguniform: Any = None
    """low:high:q, a quantized log-uniform distribution (random search)."""
    normal: Any = None
    """loc:scale, a normal distribution (random search)."""
    qnormal: Any = None
    """loc:scale:q, a quantized normal distribution (random search)."""
    lognormal: Any = None
    """loc:scale, a log-normal distribution (random search)."""
    qlognormal: Any = None
    """loc:scale:q, a quantized log-normal distribution (random search)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> MatrixEntry:
        given = [k for k in MATRIX_KINDS if getattr(self, k) not in (None, [], {}, "")]
        if len(given) != 1:
            fail(
                "PF260",
                "a matrix entry needs exactly one of "
                + ", ".join(MATRIX_KINDS)
                + (f" (got {', '.join(given)})" if given else ""),
                hint="e.g. `lr: {values: [0.01, 0.1]}`",
            )
        kind = given[0]
        if kind == "pvalues":
            self._check_pvalues()
        elif kind != "values":
            normalize_entry(kind, getattr(self, kind))
        return self

    def _check_pvalues(self) -> None:
        assert self.pvalues is not None
        total = 0.0
        for i, pair in enumerate(self.pvalues):
            prob = pair[1] if len(pair) == 2 else None
            if not isinstance(prob, float) or not 0 <= prob < 1:
                fail(
                    "PF261",
                    "each `pvalues` item is `[value, probability]` with a float probability, 0 <= p < 1",
                    at=("pvalues", i),
                    hint="e.g. `[0.1, 0.25]`",
                )
            total += prob
        if total > 1 + 1e-9:  # the original rejects only a sum above 1
            fail("PF261", f"`pvalues` probabilities must sum to 1 (they sum to {total:g})", at="pvalues")

    @property
    def kind(self) -> str:
        return next(k for k in MATRIX_KINDS if getattr(self, k) not in (None, [], {}, ""))

    @property
    def is_distribution(self) -> bool:
        return self.kind in _CONTINUOUS or self.kind == "pvalues"

    def normalized(self) -> Any:
        kind = self.kind
        if kind in ("values", "pvalues"):
            return getattr(self, kind)
        return normalize_entry(kind, getattr(self, kind))


Optimization = loose_enum("maximize", "minimize")


class Metric(Spec):
    name: str
    """The output that is the metric."""
    optimization: Optimization = "maximize"  # type: ignore[valid-type]
    """maximize or minimize."""


class SearchConfig(Spec):
    n_experiments: Int | None = Field(default=None, ge=1)
    """How many suggestions to run (at least 1; required for random search)."""


class HyperbandResource(Spec):
    name: str
    """The input that receives the resource (e.g. epochs)."""
    type: loose_enum("int", "float") = None  # type: ignore[valid-type]
    """int or float."""


class Hyperband(Spec):
    max_iter: Int = Field(ge=1)
    """The most resource a trial gets (at least 1)."""
    eta: Float = Field(ge=0)
    """The downsampling rate (0 or more)."""
    resource: HyperbandResource
    """The resource given to trials."""
    metric: Metric
    """The metric to optimize."""
    resume: Bool | None = None
    """Resume trials instead of restarting them."""


class GaussianProcess(Spec):
    kernel: loose_enum("rbf", "matern") = None  # type: ignore[valid-type]
    """rbf or matern."""
    length_scale: Float | None = None
    """The kernel's length scale."""
    nu: Float | None = None
    """The matern kernel's nu."""
    n_restarts_optimizer: Int | None = None
    """Restarts of the optimizer."""


class UtilityFunction(Spec):
    acquisition_function: loose_enum("ucb", "ei", "poi") = None  # type: ignore[valid-type]
    """ucb (needs `kappa`), ei or poi (need `eps`)."""
    gaussian_process: GaussianProcess | None = None
    """The gaussian process settings."""
    kappa: Float | None = None
    """ucb's exploration parameter."""
    eps: Float | None = None
    """ei's and poi's exploration parameter."""
    n_warmup: Int | None = None
    """Random samples before optimizing."""
    n_iter: Int | None = None
    """Optimizer iterations."""

    @model_validator(mode="after")
    def _params(self) -> UtilityFunction:
        function = self.acquisition_function or "ucb"
        needed = "kappa" if function == "ucb" else "eps"
        if getattr(self, needed) is None:
            fail(
                "PF266",
                f"the acquisition function `{function}` requires a parameter `{needed}`",
                hint=f"add `{needed}: ...`",
            )
        return self


class BayesianOptimization(Spec):
    """``bo``; the acquisition function ucb needs ``kappa``, ei and poi need ``eps``."""

    n_initial_trials: Int
    """Random trials before the optimization starts."""
    n_iterations: Int
    """Optimization iterations."""
    metric: Metric
    """The metric to optimize."""
    utility_function: UtilityFunction | None = None
    """The acquisition function and its parameters."""


class StoppingPolicy(Spec):
    kind: Literal["median", "average", "truncation"]
    """median, average or truncation."""
    evaluation_interval: Int
    """How often the policy is evaluated."""
    percent: Float | None = None
    """The share of trials to stop (truncation only)."""

    @model_validator(mode="after")
    def _percent(self) -> StoppingPolicy:
        if self.kind == "truncation" and self.percent is None:
            fail("PF263", "the truncation policy needs `percent`", hint="add `percent: 50`")
        if self.percent is not None and self.kind != "truncation":
            fail("PF263", "`percent` is only for the truncation policy", at="percent")
        return self


class EarlyStopping(Spec):
    metric: str
    """The output watched."""
    value: Float
    """The value that stops the search."""
    optimization: Optimization = "maximize"  # type: ignore[valid-type]
    """maximize or minimize."""
    policy: StoppingPolicy | None = None
    """The stopping policy."""


SEARCH_ALGORITHMS = ("grid_search", "random_search", "hyperband", "bo")


class HPTuning(Spec):
    concurrency: Int | None = None
    """At most this many trials at once (at least 1)."""
    seed: Int | None = None
    """The random search seed (default from the template; same seed, same suggestions)."""
    matrix: dict[str, MatrixEntry] | None = None
    """The hyperparameters: name to exactly one of values, range, linspace, ..., uniform, ..."""
    # Extension (polyflow-argo): the output whose best value picks the trial a group reports
    # (docs/templates.md). Shaped like hyperband's and bo's `metric`.
    metric: Metric | None = None
    """Extension: the output whose best value picks the trial the group reports (docs/templates.md)."""
    grid_search: SearchConfig | None = None
    """Every combination of the matrix (`n_experiments` caps it)."""
    random_search: SearchConfig | None = None
    """`n_experiments` random suggestions."""
    hyperband: Hyperband | None = None
    """Not compiled: needs the runs' metrics fed back (PF370)."""
    bo: BayesianOptimization | None = None
    """Not compiled: needs the runs' metrics fed back (PF371)."""
    early_stopping: list[EarlyStopping] | None = None
    """Not compiled: needs the runs' metrics while the search runs (PF372)."""

    @model_validator(mode="after")
    def _one_algorithm(self) -> HPTuning:
        given = [k for k in SEARCH_ALGORITHMS if getattr(self, k) is not None]
        if len(given) > 1:
            fail(
                "PF264",
                f"hptuning takes at most one search algorithm (got {', '.join(given)})",
                at=given[1],
                hint="keep one of grid_search, random_search, hyperband, bo",
            )
        if given and not self.matrix:
            fail("PF267", "search algorithms need a `matrix` definition", at=given[0], hint="add `matrix:`")
        matrix = self.matrix or {}
        if self.algorithm == "grid_search":
            dists = [k for k, v in matrix.items() if v.is_distribution]
            if dists:
                fail(
                    "PF265",
                    f"`{dists[0]}` defines a distribution, and it cannot be used with grid search",
                    at=("matrix", dists[0]),
                    hint="use random_search, or give `values`, `range` or `linspace`",
                )
        if self.algorithm == "bo":
            bad = [k for k, v in matrix.items() if v.is_distribution and v.kind != "uniform"]
            if bad:
                fail(
                    "PF265",
                    f"`{bad[0]}` defines a non uniform distribution, and it cannot be used with bayesian "
                    "optimization",
                    at=("matrix", bad[0]),
                )
        return self

    @property
    def algorithm(self) -> str:
        return next((k for k in SEARCH_ALGORITHMS if getattr(self, k) is not None), "grid_search")
