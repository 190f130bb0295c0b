"""resolve.matrix: hptuning → suggestions. numpy is the reference for the discrete kinds."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from polyflow_argo.language.hptuning import HPTuning, MatrixEntry
from polyflow_argo.resolve import matrix as m

PROPS = settings(max_examples=60, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def np() -> Any:
    return pytest.importorskip(
        "numpy", reason="numpy is the reference for range/linspace/logspace/geomspace (test extra)"
    )


def entry(data: dict[str, Any]) -> MatrixEntry:
    return MatrixEntry.model_validate(data)


def hpt(data: dict[str, Any]) -> HPTuning:
    return HPTuning.model_validate(data)


def close(ours: list[Any], ref: list[float]) -> bool:
    """Same length; each value within the 12-significant-digit rounding of numpy's."""
    return len(ours) == len(ref) and all(
        math.isclose(a, b, rel_tol=1e-11, abs_tol=1e-300) for a, b in zip(ours, ref, strict=False)
    )


# --------------------------------------------------------------------------- numpy reference


@pytest.mark.parametrize(
    "spec, call",
    [
        ({"range": "1:1.3:0.1"}, ("arange", 1, 1.3, 0.1)),  # 4 values: numpy's ceil length quirk
        ({"range": [0.1, 2, 0.2]}, ("arange", 0.1, 2, 0.2)),
        ({"range": {"start": -2.5, "stop": 3.1, "step": 0.37}}, ("arange", -2.5, 3.1, 0.37)),
        ({"linspace": "0:1:7"}, ("linspace", 0, 1, 7)),
        ({"linspace": [-3, 5, 1]}, ("linspace", -3, 5, 1)),
        ({"logspace": "-3:0:4"}, ("logspace", -3, 0, 4)),
        ({"logspace": {"start": 0, "stop": 3, "num": 7, "base": 2}}, ("logspace", 0, 3, 7, True, 2)),
        ({"geomspace": [1, 256, 9]}, ("geomspace", 1, 256, 9)),
        ({"geomspace": [-1000, -0.001, 5]}, ("geomspace", -1000, -0.001, 5)),
        ({"geomspace": [-1, 10, 2]}, ("geomspace", -1, 10, 2)),  # two items: only the ends
    ],
    ids=lambda v: str(v),
)
def test_discrete_kinds_match_numpy(np: Any, spec: dict[str, Any], call: tuple[Any, ...]) -> None:
    fn, *args = call
    with np.errstate(all="ignore"):  # geomspace(-1, 10, 2): numpy warns about its (unused) inner log
        ref = getattr(np, fn)(*args).tolist()
    ours = m.values(entry(spec))
    assert close(ours, ref), (ours, ref)
    assert all(isinstance(v, float) for v in ours)
    assert m.length(entry(spec)) == len(ref)


def test_range_quirk_and_int_range() -> None:
    assert m.values(entry({"range": "1:1.3:0.1"})) == [1.0, 1.1, 1.2, 1.3]
    ints = m.values(entry({"range": [0, 10, 3]}))
    assert ints == [0, 3, 6, 9] and all(type(v) is int for v in ints)
    assert m.values(entry({"linspace": [1, 5, 5]})) == [1.0, 2.0, 3.0, 4.0, 5.0]  # floats, as numpy


@PROPS
@given(
    start=st.integers(-1000, 1000), span=st.integers(1, 1000), step=st.integers(1, 50)
)
def test_int_range_equals_numpy_exactly(np: Any, start: int, span: int, step: int) -> None:
    ref = np.arange(start, start + span, step).tolist()
    assert m.values(entry({"range": [start, start + span, step]})) == ref


@PROPS
@given(
    start=st.floats(-100, 100, allow_nan=False),
    span=st.floats(0.01, 100),
    step=st.floats(0.05, 10),
)
def test_float_range_matches_numpy(np: Any, start: float, span: float, step: float) -> None:
    stop = start + span
    assume(stop > start)
    assert close(m.values(entry({"range": [start, stop, step]})), np.arange(start, stop, step).tolist())


@PROPS
@given(
    start=st.floats(-5, 5, allow_nan=False),
    span=st.floats(1e-3, 5),
    num=st.integers(1, 40),
    base=st.sampled_from([2, 10, 2.718281828459045, 0.5]),
)
def test_spaces_match_numpy(np: Any, start: float, span: float, num: int, base: float) -> None:
    stop = start + span
    assume(stop > start)
    assert close(m.values(entry({"linspace": [start, stop, num]})), np.linspace(start, stop, num).tolist())
    logspace = {"logspace": {"start": start, "stop": stop, "num": num, "base": base}}
    assert close(m.values(entry(logspace)), np.logspace(start, stop, num, base=base).tolist())
    lo, hi = 10**start, 10**stop
    assert close(m.values(entry({"geomspace": [lo, hi, num]})), np.geomspace(lo, hi, num).tolist())


# --------------------------------------------------------------------------- sampling: bounds


def draws(spec: dict[str, Any], n: int = 200, seed: int = 7) -> list[Any]:
    rng, e = random.Random(seed), entry(spec)
    return [m.sample(e, rng) for _ in range(n)]


def multiple_of(v: float, q: float) -> bool:
    return abs(v / q - round(v / q)) < 1e-6


bounds = st.tuples(st.floats(-50, 50, allow_nan=False), st.floats(0.01, 50))


@PROPS
@given(lh=bounds, seed=st.integers(0, 2**32))
def test_uniform_within_half_open_interval(lh: tuple[float, float], seed: int) -> None:
    low, high = lh[0], lh[0] + lh[1]
    assume(high > low)
    assert all(low <= v < high for v in draws({"uniform": [low, high]}, 50, seed))


@PROPS
@given(lh=bounds, q=st.sampled_from([0.1, 0.25, 1, 3, 7.5]), seed=st.integers(0, 2**32))
def test_quniform_floors_to_multiples_of_q(lh: tuple[float, float], q: float, seed: int) -> None:
    low, high = lh[0], lh[0] + lh[1]
    assume(high > low)
    for v in draws({"quniform": [low, high, q]}, 50, seed):
        assert multiple_of(v, q)
        assert math.floor(low / q) * q - 1e-9 <= v <= high  # floor(x / q) * q, not round: may go below low


@PROPS
@given(low=st.floats(-6, 2, allow_nan=False), span=st.floats(0.01, 3), seed=st.integers(0, 2**32))
def test_loguniform_is_exp_of_uniform(low: float, span: float, seed: int) -> None:
    high = low + span
    for v in draws({"loguniform": [low, high]}, 50, seed):
        assert math.exp(low) * (1 - 1e-11) <= v <= math.exp(high) * (1 + 1e-11)
    for v in draws({"qloguniform": [low, high, 0.5]}, 50, seed):
        assert multiple_of(v, 0.5) and 0 <= v <= math.exp(high)


def test_normal_family_moments_and_quantization() -> None:
    normal = draws({"normal": [3, 2]}, 4000)
    mean = sum(normal) / len(normal)
    std = math.sqrt(sum((x - mean) ** 2 for x in normal) / len(normal))
    assert abs(mean - 3) < 0.15 and abs(std - 2) < 0.15
    logs = draws({"lognormal": [0, 0.5]}, 4000)
    assert all(v > 0 for v in logs)
    assert abs(sum(math.log(v) for v in logs) / len(logs)) < 0.05  # log of lognormal is normal(0, .5)
    assert all(multiple_of(v, 0.5) for v in draws({"qnormal": [0, 3, 0.5]}))
    qlog = draws({"qlognormal": [1, 0.5, 0.25]})
    assert all(multiple_of(v, 0.25) and v >= 0 for v in qlog)
    assert max(qlog) < 50  # the q fix: 0.5.6 returned exp(lognormal), i.e. up to e**e**2.5


def test_discrete_sampling_picks_listed_values() -> None:
    picked = draws({"values": [1, "a", [1, 2]]}, 300)
    assert {repr(v) for v in picked} == {"1", "'a'", "[1, 2]"}  # the elements themselves, uncoerced
    assert set(draws({"range": [0, 5, 1]}, 300)) == {0, 1, 2, 3, 4}
    assert set(draws({"geomspace": [1, 8, 4]}, 300)) == {1.0, 2.0, 4.0, 8.0}


def test_pvalues_weights_respected() -> None:
    counts = Counter(draws({"pvalues": [["a", 0.2], ["b", 0.5], ["c", 0.3]]}, 6000))
    for key, p in {"a": 0.2, "b": 0.5, "c": 0.3}.items():
        assert abs(counts[key] / 6000 - p) < 0.03, counts


def test_pvalues_last_value_takes_the_remainder_like_numpy_multinomial() -> None:
    counts = Counter(draws({"pvalues": [["a", 0.5], ["b", 0.3]]}, 6000))
    assert abs(counts["b"] / 6000 - 0.5) < 0.03, counts  # not 0.3: numpy ignores the last p
    zero = Counter(draws({"pvalues": [["a", 0.0], ["b", 0.6], ["c", 0.4]]}, 2000))
    assert zero["a"] == 0 and zero["b"] > 0 and zero["c"] > 0


def test_values_of_pvalues_and_distributions() -> None:
    assert m.values(entry({"pvalues": [["x", 0.5], ["y", 0.5]]})) == ["x", "y"]
    with pytest.raises(m.MatrixError) as info:
        m.values(entry({"uniform": [0, 1]}))
    assert info.value.problems[0].code == "PF373"


# --------------------------------------------------------------------------- grid search


small_discrete = st.sampled_from(
    [
        {"values": [1, 2, 3]},
        {"values": ["a"]},
        {"range": [0, 4, 1]},
        {"linspace": [0, 1, 3]},
        {"logspace": [0, 2, 2]},
        {"geomspace": [1, 4, 3]},
    ]
)


@PROPS
@given(specs=st.lists(small_discrete, min_size=1, max_size=4), n=st.none() | st.integers(1, 200))
def test_grid_is_the_product_in_matrix_order_capped(specs: list[dict[str, Any]], n: int | None) -> None:
    matrix = {f"p{i}": s for i, s in enumerate(specs)}
    grid: dict[str, Any] = {"n_experiments": n} if n else {}
    out = m.expand(hpt({"matrix": matrix, "grid_search": grid}))
    full = [
        dict(zip(matrix, combo, strict=True))
        for combo in itertools.product(*(m.values(entry(s)) for s in specs))
    ]
    assert len(full) == math.prod(m.length(entry(s)) for s in specs)
    assert out == (full[:n] if n else full)


def test_grid_is_default_algorithm_and_last_entry_varies_fastest() -> None:
    out = m.expand(hpt({"matrix": {"a": {"values": [1, 2]}, "b": {"values": ["x", "y", "z"]}}}))
    assert [(s["a"], s["b"]) for s in out] == [(1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z")]


def test_grid_over_huge_range_is_never_materialized() -> None:
    huge = {"matrix": {"i": {"range": [0, 10**12, 1]}, "j": {"values": [0, 1]}}}
    assert m.expand(hpt({**huge, "grid_search": {"n_experiments": 3}})) == [
        {"i": 0, "j": 0}, {"i": 0, "j": 1}, {"i": 1, "j": 0}
    ]
    (problem,) = m.problems(hpt(huge))
    assert problem.code == "PF375" and "2,000,000,000,000 suggestions" in problem.message


# --------------------------------------------------------------------------- random search


def rnd(matrix: dict[str, Any], n: int, seed: int | None = None) -> HPTuning:
    data: dict[str, Any] = {"matrix": matrix, "random_search": {"n_experiments": n}}
    return hpt(data if seed is None else {**data, "seed": seed})


MIXED = {
    "lr": {"loguniform": [-5, -1]},
    "units": {"values": [32, 64, 128]},
    "dropout": {"quniform": [0, 0.5, 0.1]},
    "act": {"pvalues": [["relu", 0.7], ["tanh", 0.2]]},
    "noise": {"normal": [0, 1]},
}


def test_same_seed_same_suggestions_frozen() -> None:
    """Same seed → same list across polyflow-argo versions and platforms (not Polyaxon's numpy stream)."""
    assert m.expand(rnd(MIXED, 4, seed=42)) == [
        {"lr": 0.125697697824, "units": 128, "dropout": 0.0, "act": "relu", "noise": -1.32346835165},
        {"lr": 0.0147949416265, "units": 64, "dropout": 0.2, "act": "tanh", "noise": -1.31554331395},
        {"lr": 0.138678086943, "units": 32, "dropout": 0.2, "act": "tanh", "noise": -1.28280906309},
        {"lr": 0.0111430142681, "units": 128, "dropout": 0.0, "act": "tanh", "noise": -0.568867054266},
    ]


def test_default_seed_is_derived_from_the_matrix() -> None:
    hp = rnd({"lr": {"uniform": [0, 1]}}, 2)
    assert m.effective_seed(hp) == 9312147846977878103
    result = m.plan(hp)
    assert result.seed == 9312147846977878103
    assert result.suggestions == [{"lr": 0.0598316836115}, {"lr": 0.665235885613}]
    assert m.effective_seed(rnd({"lr": {"uniform": [0, 2]}}, 2)) != 9312147846977878103


@PROPS
@given(seed=st.integers(-(2**40), 2**40), n=st.integers(1, 30))
def test_random_determinism_size_and_prefix(seed: int, n: int) -> None:
    first = m.expand(rnd(MIXED, n, seed))
    assert first == m.expand(rnd(MIXED, n, seed))
    assert len(first) == n
    assert len({tuple(s.items()) for s in first}) == n  # no duplicate suggestion
    assert m.expand(rnd(MIXED, n + 5, seed))[:n] == first  # more experiments only append
    assert all(list(s) == list(MIXED) for s in first)


def test_different_seeds_usually_differ() -> None:
    lists = [m.expand(rnd(MIXED, 3, seed)) for seed in range(-10, 10)]
    assert len({repr(x) for x in lists}) == 20  # includes 0 (a real seed here) and -5 vs 5


@PROPS
@given(
    specs=st.lists(small_discrete, min_size=1, max_size=3), n=st.integers(1, 100), seed=st.integers(0, 999)
)
def test_random_all_discrete_capped_at_distinct_space(specs: list[dict[str, Any]], n: int, seed: int) -> None:
    matrix = {f"p{i}": s for i, s in enumerate(specs)}
    out = m.expand(rnd(matrix, n, seed))
    space = math.prod(m.length(entry(s)) for s in specs)
    assert len(out) == min(n, space)
    assert len({tuple(s.items()) for s in out}) == len(out)
    allowed = {k: m.values(entry(s)) for k, s in matrix.items()}
    assert all(s[k] in allowed[k] for s in out for k in s)


def test_random_duplicates_in_values_count_once() -> None:
    # Polyaxon capped at len(values) = 3 and then looped forever: 1 == 1.0 == True.
    assert m.expand(rnd({"x": {"values": [1, 1.0, True]}}, 3, seed=1)) == [{"x": 1}]


# --------------------------------------------------------------------------- problems


def raw_hpt(**fields: Any) -> HPTuning:
    """Bypass the spec's own checks (it already rejects some of these as PF265)."""
    matrix = {k: entry(v) for k, v in fields.pop("matrix").items()}
    return HPTuning.model_construct(matrix=matrix, **fields)


HB = {"max_iter": 81, "eta": 3, "resource": {"name": "steps"}, "metric": {"name": "loss"}}
BO = {"n_initial_trials": 5, "n_iterations": 10, "metric": {"name": "loss"}}
ES = [{"metric": "loss", "value": 0.1}]
LR = {"lr": {"values": [0.1, 0.01]}}
PROBLEMS = [
    ("hyperband", {"matrix": LR, "hyperband": HB}, "PF370", ("hyperband",), "hyperband cannot be compiled"),
    ("bo", {"matrix": LR, "bo": BO}, "PF371", ("bo",), "bayesian optimization (`bo`) cannot be compiled"),
    (
        "early-stopping",
        {"matrix": LR, "early_stopping": ES},
        "PF372",
        ("early_stopping",),
        "needs the runs' metrics",
    ),
    (
        "random-no-n",
        {"matrix": LR, "random_search": {}},
        "PF374",
        ("random_search",),
        "needs `n_experiments`",
    ),
    (
        "grid-cap",
        {"matrix": {"a": {"range": [0, 200, 1]}, "b": {"range": [0, 200, 1]}}},
        "PF375",
        ("matrix",),
        "grid search gives 40,000 suggestions, more than the limit of 10,000",
    ),
    (
        "grid-cap-n",
        {
            "matrix": {"a": {"range": [0, 200, 1]}, "b": {"range": [0, 200, 1]}},
            "grid_search": {"n_experiments": 20000},
        },
        "PF375",
        ("grid_search", "n_experiments"),
        "20,000",
    ),
    (
        "random-cap",
        {"matrix": {"a": {"uniform": [0, 1]}}, "random_search": {"n_experiments": 10001}},
        "PF375",
        ("random_search", "n_experiments"),
        "random search gives 10,001 suggestions",
    ),
    ("no-matrix", {}, "PF376", ("matrix",), "a group needs a non-empty `matrix`"),
    (
        "empty-range",
        {"matrix": {"x": {"range": [0, 10, -1]}}},
        "PF376",
        ("matrix", "x", "range"),
        "`x.range` (start 0, stop 10, step -1) gives no values",
    ),
    (
        "too-few-distinct",
        {"matrix": {"x": {"quniform": [0, 1, 1]}}, "random_search": {"n_experiments": 3}},
        "PF377",
        ("random_search", "n_experiments"),
        "found only 1 distinct suggestions of the 3",
    ),
    (
        "geomspace-zero",
        {"matrix": {"x": {"geomspace": [0, 10, 3]}}},
        "PF378",
        ("matrix", "x", "geomspace"),
        "cannot include zero",
    ),
    (
        "geomspace-across-zero",
        {"matrix": {"x": {"geomspace": [-1, 10, 3]}}},
        "PF378",
        ("matrix", "x", "geomspace"),
        "across zero",
    ),
    (
        "logspace-overflow",
        {"matrix": {"x": {"logspace": [0, 400, 3]}}},
        "PF378",
        ("matrix", "x", "logspace"),
        "`x.logspace` gives inf for item 2",
    ),
    (
        "negative-scale",
        {"matrix": {"x": {"normal": [0, -1]}}, "random_search": {"n_experiments": 2}},
        "PF378",
        ("matrix", "x", "normal", "scale"),
        "negative scale",
    ),
    (
        "lognormal-overflow",
        {"matrix": {"x": {"lognormal": [0, 1000]}}, "random_search": {"n_experiments": 50}},
        "PF378",
        ("matrix", "x", "lognormal"),
        "not a finite number",
    ),
]


@pytest.mark.parametrize(
    "data, code, path, fragment", [p[1:] for p in PROBLEMS], ids=[p[0] for p in PROBLEMS]
)
def test_problems_table(data: dict[str, Any], code: str, path: tuple[Any, ...], fragment: str) -> None:
    hp = hpt(data)
    found = m.problems(hp)
    assert [(p.code, p.path, p.severity) for p in found] == [(code, path, "error")]
    assert fragment in found[0].message, found[0].message
    assert found[0].hint
    assert m.plan(hp).suggestions == []
    with pytest.raises(m.MatrixError) as info:
        m.expand(hp)
    assert info.value.problems == tuple(found)


def test_grid_over_a_distribution_is_reported() -> None:
    hp = raw_hpt(matrix={"lr": {"uniform": [0, 1]}, "act": {"pvalues": [["a", 0.5], ["b", 0.5]]}})
    assert [(p.code, p.path) for p in m.problems(hp)] == [
        ("PF373", ("matrix", "lr", "uniform")),
        ("PF373", ("matrix", "act", "pvalues")),
    ]
    assert "use `random_search" in (m.problems(hp)[0].hint or "")


def test_cap_is_a_parameter() -> None:
    hp = hpt({"matrix": {"a": {"values": [1, 2, 3]}, "b": {"values": [1, 2, 3]}}})
    assert len(m.expand(hp)) == 9
    (problem,) = m.problems(hp, max_suggestions=8)
    assert (
        problem.code == "PF375"
        and "limit of 8" in problem.message
        and "n_experiments: N" in (problem.hint or "")
    )


def test_size_is_ignored_with_a_warning() -> None:
    hp = rnd({"x": {"uniform": {"low": 0, "high": 1, "size": 3}}, "y": {"normal": "0:1:2"}}, 3, seed=1)
    result = m.plan(hp)
    assert [(p.code, p.path, p.severity) for p in result.problems] == [
        ("PF379", ("matrix", "x", "uniform", "size"), "warning"),
        ("PF379", ("matrix", "y", "normal"), "warning"),
    ]
    assert len(m.expand(hp)) == 3 and all(isinstance(s["x"], float) for s in result.suggestions)


def test_several_static_problems_are_reported_together() -> None:
    hp = hpt({"matrix": {"x": {"range": [0, 10, -1]}}, "hyperband": HB, "early_stopping": ES})
    assert [p.code for p in m.problems(hp)] == ["PF370", "PF372", "PF376"]
