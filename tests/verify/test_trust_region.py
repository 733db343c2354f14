"""The exact trust-region solver that gives the true robust radius of quadratic base models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

from verify.trust_region import minimize_quadratic_on_ball, min_robust_radius, quadratic_robust_radius


def _instance(seed: int, d: int, hard: bool):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    H = (A + A.T) / 2
    g = rng.normal(size=d)
    if hard:  # g orthogonal to the eigenvector of the smallest eigenvalue
        v = np.linalg.eigh(H)[1][:, 0]
        g = g - v * (v @ g)
    return float(rng.normal()), g, H, float(rng.uniform(0.1, 3.0))


def _multistart_minimum(c, g, H, r, seed):
    rng = np.random.default_rng(seed)
    q = lambda x: c + g @ x + 0.5 * x @ H @ x  # noqa: E731
    best = np.inf
    for _ in range(12):
        x0 = rng.normal(size=g.size)
        x0 *= r * rng.uniform() / np.linalg.norm(x0)
        res = optimize.minimize(q, x0, method="SLSQP", constraints=[{"type": "ineq", "fun": lambda x: r * r - x @ x}])
        x = res.x * min(1.0, r / max(np.linalg.norm(res.x), 1e-300))
        best = min(best, q(x))
    return best


def _naive_projection(c, g, H, r):
    """A wrong solver: the stationary point projected onto the ball (ignores negative curvature)."""
    x = -np.linalg.lstsq(H, g, rcond=None)[0]
    x *= min(1.0, r / max(np.linalg.norm(x), 1e-300))
    return c + g @ x + 0.5 * x @ H @ x


@given(st.integers(0, 10**6), st.integers(1, 6), st.booleans())
def test_minimum_is_attained_and_not_beaten(seed, d, hard):
    c, g, H, r = _instance(seed, d, hard)
    res = minimize_quadratic_on_ball(c, g, H, r)
    assert np.linalg.norm(res.argmin) <= r * (1 + 1e-9)
    assert c + g @ res.argmin + 0.5 * res.argmin @ H @ res.argmin == pytest.approx(res.value, abs=1e-9)
    assert res.value <= _multistart_minimum(c, g, H, r, seed) + 1e-9


def test_the_same_check_catches_a_wrong_solver():
    beaten = 0
    for seed in range(30):
        c, g, H, r = _instance(seed, 4, hard=seed % 2 == 0)
        beaten += _naive_projection(c, g, H, r) > _multistart_minimum(c, g, H, r, seed) + 1e-6
    assert beaten > 0


def test_hard_case_with_negative_curvature_reaches_the_boundary():
    H = np.diag([-1.0, 2.0])
    res = minimize_quadratic_on_ball(0.0, np.array([0.0, 1.0]), H, 2.0)
    assert np.linalg.norm(res.argmin) == pytest.approx(2.0)
    # On the boundary x1^2 = 4 - x2^2: q = -2 + 1.5 x2^2 + x2, minimal at x2 = -1/3, q = -13/6.
    assert res.value == pytest.approx(-13 / 6)
    assert res.argmin[1] == pytest.approx(-1 / 3)


@given(st.integers(0, 10**6), st.integers(1, 5))
def test_robust_radius_is_where_the_margin_first_vanishes(seed, d):
    c, g, H, _ = _instance(seed, d, hard=False)
    c = abs(c) + 0.05
    radius = quadratic_robust_radius(c, g, H)
    if np.isfinite(radius):
        assert minimize_quadratic_on_ball(c, g, H, radius * (1 - 1e-9)).value >= -1e-9
        assert minimize_quadratic_on_ball(c, g, H, radius * (1 + 1e-6)).value < 0
    else:
        assert minimize_quadratic_on_ball(c, g, H, 1e6).value > 0


def test_linear_margin_radius_is_the_distance_to_the_hyperplane():
    g = np.array([3.0, 4.0])
    assert quadratic_robust_radius(2.0, g, np.zeros((2, 2))) == pytest.approx(2.0 / 5.0)
    assert min_robust_radius([2.0, 1.0], [g, g], [np.zeros((2, 2))] * 2) == pytest.approx(1.0 / 5.0)
    assert quadratic_robust_radius(1.0, np.zeros(2), np.eye(2)) == np.inf
    assert quadratic_robust_radius(-1.0, g, np.eye(2)) == 0.0


@pytest.mark.parametrize("bad", [
    lambda: minimize_quadratic_on_ball(0.0, np.zeros(2), np.zeros((3, 3)), 1.0),
    lambda: minimize_quadratic_on_ball(0.0, np.zeros(2), np.array([[0.0, 1.0], [0.0, 0.0]]), 1.0),
    lambda: minimize_quadratic_on_ball(0.0, np.zeros(2), np.eye(2), -1.0),
    lambda: minimize_quadratic_on_ball(np.nan, np.zeros(2), np.eye(2), 1.0),
])
def test_bad_input_is_rejected(bad):
    with pytest.raises(ValueError):
        bad()
