"""Coverage, power and formula checks of the Monte-Carlo confidence bounds in verify.crosscheck.bounds.

Exact reference: for the halfspace indicator h(y) = 1{w . y > b} with unit w and a = w . x - b,
    G(x) = Phi(a / sigma),  grad G(x) = phi(a / sigma) w / sigma,
    u^T H_G(x) u = -(a / sigma) phi(a / sigma) (w . u)^2 / sigma^2      (phi' (z) = -z phi(z)).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from verify.crosscheck.bounds import (chi_truncation, empirical_bernstein_halfwidth,
                                      empirical_bernstein_interval, gradient_norm_bounds,
                                      gradient_norm_bounds_split, scalar_mean_bounds,
                                      second_derivative_bounds, split_half_gram, stein_gradients,
                                      truncation_bias)

# ----------------------------------------------------------------------------- exact halfspace cases

D, N, SIGMA, DELTA, REPS = 50, 2000, 0.5, 1e-3, 30
Z = np.array([0.0, 1.0, -0.7, 5.0])          # a / sigma of the four halfspaces; the last has grad ~ 0
COMBOS = np.array([[1.0, -1.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, -1.0]])
# Bounds per repetition and mode: 4 means + 4 gradient norms + 3 combination norms + 2 x 4 second
# derivatives + 4 + 3 split-sample gradient norms = 26, each at DELTA. Each coverage test checks at
# most 8 bounds per repetition, so for a fresh seed it fails with probability at most
# 30 * 1e-3 * 8 = 0.24, and the whole set (two modes; the means, second derivatives and split bounds
# do not depend on the mode) at most 30 * 1e-3 * (26 + 7) = 0.99 (union bounds: weak, as the
# specification accepted). The seeds are fixed, so the outcome is deterministic, and the measured worst
# |estimate - truth| / halfwidth is below 0.7 (see test_bounds_are_not_too_loose_to_fail).


def halfspace_case(seed: int, d: int = D, n: int = N, sigma: float = SIGMA):
    """Draw one Monte-Carlo sample for four halfspaces with orthonormal normals, plus exact targets."""
    rng = np.random.default_rng(seed)
    w = np.linalg.qr(rng.standard_normal((d, len(Z))))[0].T       # (4, d), orthonormal rows
    x = rng.standard_normal(d)
    b = w @ x - Z * sigma
    eps = rng.standard_normal((n, d))
    values = ((x + sigma * eps) @ w.T > b).astype(float)            # (n, 4)
    other = rng.standard_normal(d)
    dirs = np.stack([w[1], other / np.linalg.norm(other)])          # unit directions, fixed before eps use
    pdf = stats.norm.pdf(Z)
    grads = pdf[:, None] * w / sigma
    return {
        "values": values, "eps": eps, "t": eps @ dirs.T, "sigma": sigma,
        "mean": stats.norm.cdf(Z),
        "grad_norm": np.linalg.norm(grads, axis=1),
        "combo_norm": np.linalg.norm(COMBOS @ grads, axis=1),
        "hess": -(Z * pdf)[None, :] * (dirs @ w.T) ** 2 / sigma ** 2,  # (r, m)
        "grads": grads,
    }


CENTERS, LO, HI = np.full(4, 0.5), np.zeros(4), np.ones(4)  # mid-range centers: sample-independent


def all_bounds(case, sigma=None, second_moment="product"):
    s = case["sigma"] if sigma is None else sigma
    args = (CENTERS, LO, HI, DELTA)
    return {
        "mean": (scalar_mean_bounds(case["values"], LO, HI, DELTA), case["mean"]),
        "grad": (gradient_norm_bounds(case["values"], case["eps"], s, *args,
                                      second_moment=second_moment), case["grad_norm"]),
        "combo": (gradient_norm_bounds(case["values"], case["eps"], s, *args, combos=COMBOS,
                                       second_moment=second_moment), case["combo_norm"]),
        "hess": (second_derivative_bounds(case["values"], case["t"], s, *args), case["hess"]),
        "split": (gradient_norm_bounds_split(case["values"], case["eps"], s, *args), case["grad_norm"]),
        "split_combo": (gradient_norm_bounds_split(case["values"], case["eps"], s, *args, combos=COMBOS),
                        case["combo_norm"]),
    }


@pytest.fixture(scope="module")
def cases():
    return [halfspace_case(seed) for seed in range(REPS)]


@pytest.fixture(scope="module")
def bounds(cases):
    return {mode: [all_bounds(c, second_moment=mode) for c in cases] for mode in ("product", "joint")}


def coverage_rate(results, key, scale=1.0):
    """Fraction of repetitions whose every true value lies in estimate -/+ scale * halfwidth.

    With scale = 1 the reported lower/upper are used (they may be clipped, which only helps)."""
    hits = []
    for res in results:
        b, truth = res[key]
        if scale == 1.0:
            ok = (b["lower"] <= truth) & (truth <= b["upper"])
        else:
            ok = np.abs(b["estimate"] - truth) <= scale * b["halfwidth"]
        hits.append(bool(np.all(ok)))
    return float(np.mean(hits))


@pytest.mark.parametrize("mode", ["product", "joint"])
@pytest.mark.parametrize("key", ["mean", "grad", "combo", "hess", "split", "split_combo"])
def test_exact_values_are_covered_every_time(bounds, key, mode):
    assert coverage_rate(bounds[mode], key) == 1.0


def test_bounds_are_not_too_loose_to_fail(bounds):
    # Worst |estimate - truth| / halfwidth over all 30 repetitions (measured: mean 0.69, grad 0.17,
    # combo 0.07, hess 0.26 in product mode). Checks the margin recorded in the header comment.
    for key in ("mean", "grad", "combo", "hess"):
        worst = max(float(np.max(np.abs(r[key][0]["estimate"] - r[key][1]) / r[key][0]["halfwidth"]))
                    for r in bounds["product"])
        assert worst < 0.8, key


def test_bounds_are_not_vacuous(bounds):
    # Measured at d = 50, n = 2000, sigma = 0.5: gradient half-width 0.577/sigma (product) and
    # 0.377/sigma (joint), second derivative <= 0.21/sigma^2, means <= 0.056. Thresholds leave ~15%.
    for res in bounds["product"]:
        assert np.all(res["grad"][0]["halfwidth"] < 0.65 / SIGMA)
        assert np.all(res["hess"][0]["halfwidth"] < 0.25 / SIGMA ** 2)
        assert np.all(res["mean"][0]["halfwidth"] < 0.065)
    for res in bounds["joint"]:
        assert np.all(res["grad"][0]["halfwidth"] < 0.45 / SIGMA)


def test_gradient_lower_bound_is_informative_with_more_samples():
    # At n = 20000 the lower bound separates the steepest halfspaces from zero; one bound family at
    # delta = 1e-3 on 4 functions: false alarm <= 4e-3 for a fresh seed.
    case = halfspace_case(123, n=20000)
    b = gradient_norm_bounds(case["values"], case["eps"], SIGMA, CENTERS, LO, HI, DELTA)
    assert np.all(b["lower"] <= case["grad_norm"]) and np.all(case["grad_norm"] <= b["upper"])
    # Measured lower bounds 0.46, 0.14, 0.28 against true norms 0.80, 0.48, 0.62.
    assert np.all(b["lower"][:3] > 0.07) and b["lower"][0] > 0.5 * case["grad_norm"][0]
    assert b["lower"][3] == 0.0


# ----------------------------------------------------------------------------- the tests can fail

def test_coverage_check_catches_shrunken_halfwidths(bounds):
    res = bounds["product"]
    # The gradient-norm bound is very conservative (worst ratio 0.17): a 0.1x half-width is caught,
    # through the noise floor ||estimate|| ~ sqrt(E||xi||^2 / n) of the zero-gradient halfspace.
    assert coverage_rate(res, "grad", scale=0.1) < 1.0
    assert coverage_rate(res, "hess", scale=0.2) < 1.0
    assert coverage_rate(res, "mean", scale=0.2) < 1.0
    assert coverage_rate(res, "mean", scale=0.5) < 1.0


def test_coverage_check_catches_wrong_sigma_powers(cases):
    # Dividing by sigma instead of sigma^2 in the second derivative = passing sqrt(sigma) (sigma = 0.5).
    wrong_hess = [all_bounds(c, sigma=np.sqrt(SIGMA)) for c in cases]
    assert coverage_rate(wrong_hess, "hess") < 0.5
    # Dropping 1/sigma from the gradient = passing sigma = 1.
    wrong_grad = [all_bounds(c, sigma=1.0) for c in cases]
    assert coverage_rate(wrong_grad, "grad") < 0.5


# ----------------------------------------------------------------------------- exact formulas

def test_empirical_bernstein_matches_maurer_pontil_formula():
    x = np.array([0.1, 0.4, 0.35, 0.9, 0.0, 0.7])
    n, v, lg = 6, np.var(x, ddof=1), np.log(4 / 0.05)
    expected = np.sqrt(2 * v * lg / n) + 7 * 1.0 * lg / (3 * (n - 1))
    assert empirical_bernstein_halfwidth(x, 1.0, 0.05) == pytest.approx(expected, rel=1e-12)


@given(st.integers(2, 40), st.floats(0.1, 10), st.floats(-5, 5), st.floats(1e-6, 0.5),
       st.integers(0, 2 ** 32 - 1))
def test_empirical_bernstein_is_affine_equivariant(n, scale, shift, delta, seed):
    x = np.random.default_rng(seed).uniform(size=(n, 3))
    base = empirical_bernstein_halfwidth(x, 1.0, delta)
    moved = empirical_bernstein_halfwidth(scale * x + shift, scale, delta)
    np.testing.assert_allclose(moved, scale * base, rtol=1e-9)
    lower, upper = empirical_bernstein_interval(x, 0.0, 1.0, delta)
    assert np.all((0 <= lower) & (lower <= x.mean(0)) & (x.mean(0) <= upper) & (upper <= 1))


def test_empirical_bernstein_axis_and_broadcast():
    x = np.random.default_rng(0).uniform(size=(4, 50, 3))
    hw = empirical_bernstein_halfwidth(x, np.array([1.0, 2.0, 3.0]), 0.01, axis=1)
    assert hw.shape == (4, 3)
    np.testing.assert_allclose(hw[2], empirical_bernstein_halfwidth(x[2], [1.0, 2.0, 3.0], 0.01))


@given(st.integers(1, 400), st.floats(0.0, 40.0))
def test_truncation_bias_equals_tail_first_moment(d, q_offset):
    # E[||eps|| 1{||eps|| > q}] by quadrature against m1 * chi(d + 1).sf(q).
    q = max(np.sqrt(d) - 3 + q_offset * 0.25, 0.0)
    chi = stats.chi(d)
    direct = integrate.quad(lambda r: r * chi.pdf(r), q, q + 60, epsabs=0, epsrel=1e-10, limit=200)[0]
    bound = truncation_bias(d, q, 1.0, 1.0)
    assert bound == pytest.approx(direct, rel=1e-6, abs=1e-300)
    assert truncation_bias(d, q, 3.0, 0.5) == pytest.approx(6 * bound, rel=1e-12)


@given(st.floats(1.0, 8.0))
def test_second_derivative_tail_identity(T):
    direct = 2 * integrate.quad(lambda t: (t * t - 1) * stats.norm.pdf(t), T, np.inf, epsabs=1e-15)[0]
    assert 2 * T * stats.norm.pdf(T) == pytest.approx(direct, rel=1e-7, abs=1e-14)


def test_chi_truncation_tail():
    q = chi_truncation(784, 1e-9)
    assert stats.chi(784).sf(q) == pytest.approx(1e-9, rel=1e-6)


def test_stein_gradients_divide_by_n_and_truncate():
    rng = np.random.default_rng(1)
    values, eps = rng.uniform(size=(40, 2)), rng.standard_normal((40, 5))
    centers, q = np.array([0.3, 0.6]), 2.0
    grads, kept = stein_gradients(values, eps, 0.7, centers, q)
    keep = np.linalg.norm(eps, axis=1) <= q
    assert 0 < keep.sum() < 40 and np.array_equal(kept, keep)
    explicit = sum((values[s] - centers)[:, None] * eps[s] for s in range(40) if keep[s]) / (40 * 0.7)
    np.testing.assert_allclose(grads, explicit, rtol=1e-12)


def test_gradient_halfwidth_matches_pinelis_formula():
    rng = np.random.default_rng(2)
    n, d, sigma, delta = 500, 7, 0.8, 0.01
    values, eps = rng.uniform(-1, 2, size=(n, 1)), rng.standard_normal((n, d))
    c, lo, hi = np.array([0.2]), np.array([-1.0]), np.array([2.0])
    q = chi_truncation(d, 1e-6)
    radius = 1.8
    y = (values[:, 0] - 0.2) ** 2
    lg_u = np.log(2 / (delta / 2))
    u = min(y.mean() + np.sqrt(2 * y.var(ddof=1) * lg_u / n) + 7 * radius ** 2 * lg_u / (3 * (n - 1)),
            radius ** 2)
    big_m, lg = radius * q / sigma, np.log(2 / (delta / 2))
    expected = (2 * big_m * lg / n + np.sqrt(2 * q * q * u / sigma ** 2 * lg / n)
                + float(truncation_bias(d, q, radius, sigma)))
    b = gradient_norm_bounds(values, eps, sigma, c, lo, hi, delta, tail=1e-6)
    assert b["halfwidth"][0] == pytest.approx(expected, rel=1e-12)
    # "joint": the same with q^2 U replaced by the bound J on E[(h - c)^2 ||eps||^2 1{||eps|| <= q}].
    sq = np.sum(eps ** 2, axis=1)
    yj = y * sq * (sq <= q * q)
    jr = radius ** 2 * q * q
    j = min(yj.mean() + np.sqrt(2 * yj.var(ddof=1) * lg_u / n) + 7 * jr * lg_u / (3 * (n - 1)), jr)
    expected_j = (2 * big_m * lg / n + np.sqrt(2 * j / sigma ** 2 * lg / n)
                  + float(truncation_bias(d, q, radius, sigma)))
    bj = gradient_norm_bounds(values, eps, sigma, c, lo, hi, delta, tail=1e-6, second_moment="joint")
    assert bj["halfwidth"][0] == pytest.approx(expected_j, rel=1e-12)
    assert bj["estimate"][0] == b["estimate"][0]
    assert b["estimate"][0] == pytest.approx(np.linalg.norm(stein_gradients(values, eps, sigma, c, q)[0]))


def test_second_derivative_matches_explicit_computation():
    # The (r, m) moments come from matrix products; recompute them on the explicit (n, r, m) array.
    rng = np.random.default_rng(3)
    n, sigma, T, delta = 300, 0.6, 2.5, 0.02
    values, t = rng.uniform(-1, 3, size=(n, 3)), rng.standard_normal((n, 2))
    c, lo, hi = np.array([0.0, 1.0, 2.5]), np.full(3, -1.0), np.full(3, 3.0)
    b = second_derivative_bounds(values, t, sigma, c, lo, hi, delta, T=T)
    prod = (values - c)[:, None, :] * ((t ** 2 - 1) * (np.abs(t) <= T))[:, :, None] / sigma ** 2
    corners = np.array([[(lo[j] - c[j]) * -1, (lo[j] - c[j]) * (T * T - 1), (hi[j] - c[j]) * -1,
                         (hi[j] - c[j]) * (T * T - 1)] for j in range(3)]) / sigma ** 2
    y_range = corners.max(1) - corners.min(1)
    bias = np.maximum(np.abs(lo - c), np.abs(hi - c)) * 2 * T * stats.norm.pdf(T) / sigma ** 2
    np.testing.assert_allclose(b["estimate"], prod.mean(0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b["halfwidth"], empirical_bernstein_halfwidth(prod, y_range, delta) + bias,
                               rtol=1e-9)
    np.testing.assert_allclose(b["bias"], np.broadcast_to(bias, (2, 3)), rtol=1e-12)


def test_split_bounds_match_their_formula():
    rng = np.random.default_rng(7)
    n, d, sigma, delta, T = 301, 6, 0.7, 0.01, 3.0
    values, eps = rng.uniform(-1, 2, size=(n, 1)), rng.standard_normal((n, d))
    c, lo, hi, r = 0.2, -1.0, 2.0, 1.8
    n1, n2 = 150, 151
    w = ((values[n1:, 0] - c)[:, None] * eps[n1:]).sum(0) / (n2 * sigma)
    wn = np.linalg.norm(w)
    p = eps[:n1] @ w
    y = (values[:n1, 0] - c) * p * (np.abs(p) <= T * wn) / sigma
    lg1 = np.log(4 / (delta / 2))
    hw1 = (np.sqrt(2 * y.var(ddof=1) * lg1 / n1) + 7 * (2 * r * T * wn / sigma) * lg1 / (3 * (n1 - 1))
           + r * wn * 2 * stats.norm.pdf(T) / sigma)
    tau, lg2 = stats.norm.isf(delta / (8 * n2)), np.log(8 / delta)
    e2 = (np.sqrt(2 * r * r * lg2 / (n2 * sigma ** 2)) + 2 * r * tau * lg2 / (3 * n2 * sigma)
          + 2 * r * stats.norm.pdf(tau) / sigma)
    up = (e2 + np.sqrt(e2 ** 2 + 4 * max(y.mean() + hw1, 0))) / 2
    low = max((-e2 + np.sqrt(e2 ** 2 + 4 * max(y.mean() - hw1, 0))) / 2, 0)
    b = gradient_norm_bounds_split(values, eps, sigma, np.array([c]), np.array([lo]), np.array([hi]),
                                   delta, T=T)
    assert b["upper"][0] == pytest.approx(min(up, 3 / (sigma * np.sqrt(2 * np.pi))), rel=1e-12)
    assert b["lower"][0] == pytest.approx(low, rel=1e-12, abs=1e-15)
    assert b["estimate"][0] == pytest.approx(np.sqrt(max(y.mean(), 0)), rel=1e-12)


def test_split_bounds_are_informative_where_pinelis_is_vacuous():
    # d = 784, n = 4000, sigma = 1, delta = 1e-6 (a Bonferroni share of 1e-3 over 1000 bounds): the
    # Pinelis half-width (~1.5) exceeds the largest possible norm 0.399, the split bound does not.
    # Measured split lower bounds 0.26-0.28 for the true 0.399; 4 bounds: false alarm <= 4e-6.
    rng = np.random.default_rng(8)
    n, d = 4000, 784
    eps = rng.standard_normal((n, d))
    w = np.linalg.qr(rng.standard_normal((d, 2)))[0].T
    values = (eps @ w.T > 0).astype(float)                      # a = 0: ||grad G|| = phi(0) = 0.399
    args = (np.full(2, 0.5), np.zeros(2), np.ones(2), 1e-6)
    split = gradient_norm_bounds_split(values, eps, 1.0, *args)
    pin = gradient_norm_bounds(values, eps, 1.0, *args)
    truth = stats.norm.pdf(0.0)
    assert np.all((split["lower"] <= truth) & (truth <= split["upper"]))
    assert np.all(split["lower"] > 0.2)
    assert np.all(pin["lower"] == 0.0) and np.all(pin["halfwidth"] > 1.0)


# ----------------------------------------------------------------------------- combinations

def _combo_ranges(a, lo, hi):
    return np.minimum(a * lo, a * hi).sum(1), np.maximum(a * lo, a * hi).sum(1)


@given(st.lists(st.lists(st.integers(-4, 4), min_size=3, max_size=3), min_size=1, max_size=4),
       st.integers(0, 2 ** 32 - 1))
def test_combos_equal_direct_computation(rows, seed):
    # Dyadic values and coefficients keep every sum exact, so the two routes agree bit for bit.
    a = np.array(rows, dtype=float) / 2
    rng = np.random.default_rng(seed)
    lo, hi = np.array([-1.0, 0.0, 0.5]), np.array([1.0, 2.0, 0.75])
    values = lo + (hi - lo) * rng.integers(0, 9, size=(60, 3)) / 8
    eps = rng.standard_normal((60, 4))
    c = np.array([0.0, 1.0, 0.625])
    alo, ahi = _combo_ranges(a, lo, hi)
    via = gradient_norm_bounds(values, eps, 0.5, c, lo, hi, 0.01, combos=a)
    direct = gradient_norm_bounds(values @ a.T, eps, 0.5, a @ c, alo, ahi, 0.01)
    for key in ("estimate", "lower", "upper", "halfwidth"):
        np.testing.assert_allclose(via[key], direct[key], rtol=1e-12, atol=1e-14)
    t = eps[:, :2]
    via = second_derivative_bounds(values, t, 0.5, c, lo, hi, 0.01, combos=a)
    direct = second_derivative_bounds(values @ a.T, t, 0.5, a @ c, alo, ahi, 0.01)
    for key in ("estimate", "lower", "upper", "halfwidth"):
        np.testing.assert_allclose(via[key], direct[key], rtol=1e-12, atol=1e-14)
    via = gradient_norm_bounds_split(values, eps, 0.5, c, lo, hi, 0.01, combos=a)
    direct = gradient_norm_bounds_split(values @ a.T, eps, 0.5, a @ c, alo, ahi, 0.01)
    for key in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(via[key], direct[key], rtol=1e-12, atol=1e-14)
    gram = split_half_gram(values, eps, 0.5, c)
    np.testing.assert_allclose(split_half_gram(values, eps, 0.5, c, combos=a), a @ gram @ a.T,
                               rtol=1e-9, atol=1e-12)


def test_combos_are_memory_sane_at_full_size():
    # n = 4000, d = 784, k = 1000: O(n k + n d + k d) floats, a few tens of MB.
    rng = np.random.default_rng(4)
    n, d, m, k = 4000, 784, 10, 1000
    values = rng.uniform(size=(n, m))
    eps = rng.standard_normal((n, d)).astype(np.float32)
    a = rng.integers(-1, 2, size=(k, m)).astype(float)
    b = gradient_norm_bounds(values, eps, 0.25, np.full(m, 0.5), np.zeros(m), np.ones(m), 1e-6, combos=a)
    assert b["estimate"].shape == (k,) and np.all(np.isfinite(b["upper"]))


# ----------------------------------------------------------------------------- split-half Gram

def test_split_half_gram_is_unbiased():
    # 2000 repetitions of n = 60 draws in d = 10 (sigma = 1, three halfspaces). Each of the 6 distinct
    # entries' average is compared with the exact Gram at 5 standard errors: false alarm about
    # 6 * 5.7e-7 under the normal approximation of a 2000-term average. The full-sample A A^T, biased
    # upwards by tr Cov / n (about 0.04 on the diagonal), must be rejected by the same test.
    rng = np.random.default_rng(5)
    d, n, reps, sigma = 10, 60, 2000, 1.0
    w = np.linalg.qr(rng.standard_normal((d, 3)))[0].T
    z = np.array([0.0, 0.5, -1.0])
    exact_grads = stats.norm.pdf(z)[:, None] * w / sigma
    exact = exact_grads @ exact_grads.T
    centers = np.full(3, 0.5)
    split, naive = np.empty((reps, 3, 3)), np.empty((reps, 3, 3))
    for r in range(reps):
        eps = rng.standard_normal((n, d))
        values = (sigma * eps @ w.T > -z * sigma).astype(float)   # x = 0, b = -a
        split[r] = split_half_gram(values, eps, sigma, centers)
        g, _ = stein_gradients(values, eps, sigma, centers, np.inf)
        naive[r] = g @ g.T
    iu = np.triu_indices(3)

    def within(est):
        se = est.std(0, ddof=1) / np.sqrt(reps)
        return np.abs(est.mean(0) - exact)[iu] <= 5 * se[iu]

    assert np.all(within(split))
    assert not np.all(within(naive))
    assert np.allclose(split, np.swapaxes(split, 1, 2))


# ----------------------------------------------------------------------------- input validation

def _ok():
    rng = np.random.default_rng(6)
    return {"values": rng.uniform(size=(20, 2)), "eps": rng.standard_normal((20, 3)), "sigma": 0.5,
            "centers": np.full(2, 0.5), "lo": np.zeros(2), "hi": np.ones(2), "delta": 0.1}


def _grad(**kw):
    a = {**_ok(), **kw}
    return gradient_norm_bounds(a["values"], a["eps"], a["sigma"], a["centers"], a["lo"], a["hi"],
                                a["delta"], **{k: v for k, v in kw.items() if k in ("combos", "tail",
                                                                                    "second_moment")})


def _hess(**kw):
    a = {**_ok(), **kw}
    t = kw.get("t", a["eps"][:, :2])
    return second_derivative_bounds(a["values"], t, a["sigma"], a["centers"], a["lo"], a["hi"],
                                    a["delta"], **({"T": kw["T"]} if "T" in kw else {}))


@pytest.mark.parametrize("call, match", [
    (lambda: empirical_bernstein_halfwidth(np.ones(1), 1.0, 0.1), "n = 2"),
    (lambda: empirical_bernstein_halfwidth(np.ones(5), 1.0, 0.0), "delta"),
    (lambda: empirical_bernstein_halfwidth(np.ones(5), 1.0, 1.0), "delta"),
    (lambda: empirical_bernstein_halfwidth(np.ones(5), -1.0, 0.1), "nonnegative"),
    (lambda: empirical_bernstein_halfwidth(np.arange(5.0), 1.0, 0.1), "spread"),
    (lambda: empirical_bernstein_halfwidth(np.ones((5, 3)), np.ones(2), 0.1), "broadcast"),
    (lambda: empirical_bernstein_halfwidth(np.array([0.0, np.nan]), 1.0, 0.1), "non-finite"),
    (lambda: empirical_bernstein_interval(np.ones(5), 1.0, 0.0, 0.1), "negative range"),
    (lambda: empirical_bernstein_interval(np.full(5, 2.0), 0.0, 1.0, 0.1), "outside"),
    (lambda: scalar_mean_bounds(np.ones((1, 2)), 0.0, 1.0, 0.1), "n = 2"),
    (lambda: _grad(values=np.ones((1, 2)), eps=np.ones((1, 3))), "n = 2"),
    (lambda: _grad(delta=1.5), "delta"),
    (lambda: _grad(sigma=0.0), "sigma"),
    (lambda: _grad(eps=np.ones((19, 3))), "rows"),
    (lambda: _grad(centers=np.ones(3)), "centers"),
    (lambda: _grad(lo=np.zeros(3)), "shape"),
    (lambda: _grad(hi=np.full(2, -1.0)), "negative range"),
    (lambda: _grad(hi=np.full(2, 0.5)), "outside"),
    (lambda: _grad(combos=np.ones((4, 3))), "combos"),
    (lambda: _grad(tail=0.0), "tail"),
    (lambda: _grad(second_moment="other"), "second_moment"),
    (lambda: _hess(T=0.5), "T must"),
    (lambda: _hess(t=np.ones((7, 2))), "rows"),
    (lambda: _hess(delta=0.0), "delta"),
    (lambda: split_half_gram(np.ones((1, 2)), np.ones((1, 3)), 1.0, np.ones(2)), "n = 2"),
    (lambda: gradient_norm_bounds_split(np.ones((3, 1)), np.ones((3, 2)), 1.0, np.ones(1), np.zeros(1),
                                        np.ones(1), 0.1), "n = 4"),
    (lambda: gradient_norm_bounds_split(np.ones((8, 1)), np.ones((8, 2)), 1.0, np.ones(1), np.zeros(1),
                                        np.ones(1), 0.1, T=0.0), "T must"),
    (lambda: stein_gradients(np.ones((5, 2)), np.ones((5, 3)), 1.0, np.ones(2), 0.0), "q must"),
    (lambda: chi_truncation(0, 0.1), "dimension"),
    (lambda: truncation_bias(3, 1.0, -1.0, 1.0), "radius_c"),
])
def test_invalid_inputs_are_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()
