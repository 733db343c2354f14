"""Exact oracles and hypothesis strategies for the smoothing and strategies tests.

Oracles: 1-D Gaussian smoothing by adaptive quadrature (``scipy.integrate.quad`` of ``f`` against
the kernel or its second derivative, split at ``f``'s jumps), the true radius of a 1-D smoothed
margin by a grid scan plus bisection, and a concrete EAS ensemble whose members' smoothed
probabilities are closed form (linear / band classifiers).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from scipy.integrate import IntegrationWarning, quad
from scipy.special import expit
from scipy.stats import norm

from theory.smoothing import (
    gaussian_kernel_second_derivative,
    interval_indicator_second_derivative,
    interval_indicator_smoothed,
    interval_indicator_smoothed_gradient,
    interval_partition_smoothed_probabilities,
)
from verify.checks.smoothing_hessians import Piecewise

_SPAN = 12.0  # the kernel beyond 12 sigma weighs < 1e-30


# --- quadrature oracles ----------------------------------------------------------------------


def _quad_split(integrand, x, sigma, breakpoints, scale):
    """Integrate over x +- 12 sigma, split at the jumps; the returned value is trusted only when
    quad's error estimate is below ``1e-9 * scale`` (checked, so a silent inaccuracy fails)."""
    lo, hi = x - _SPAN * sigma, x + _SPAN * sigma
    cuts = sorted({lo, hi, *[b for b in breakpoints if lo < b < hi]})
    total, error = 0.0, 0.0
    with warnings.catch_warnings():
        # roundoff warnings near the requested 1e-12 tolerance; the error estimate is checked below
        warnings.simplefilter("ignore", IntegrationWarning)
        for a, b in zip(cuts[:-1], cuts[1:]):
            value, err = quad(integrand, a, b, limit=200, epsabs=1e-12 * scale, epsrel=1e-10)
            total, error = total + value, error + err
    assert error < 1e-9 * scale, f"quadrature error estimate {error} too large"
    return total


def smoothed_by_quadrature(f, x, sigma, breakpoints=()):
    """``g(x) = int f(t) phi_sigma(x - t) dt`` for scalar ``x``."""
    return _quad_split(lambda t: f(t) * norm.pdf((x - t) / sigma) / sigma, x, sigma, breakpoints, 1.0)


def second_derivative_by_quadrature(f, x, sigma, breakpoints=()):
    """``g''(x) = int f(t) phi_sigma''(x - t) dt`` for scalar ``x`` (Theorem 2, Eq. 35)."""
    return _quad_split(lambda t: f(t) * float(gaussian_kernel_second_derivative(x - t, sigma)), x, sigma,
                       breakpoints, 1.0 / sigma**2)


@dataclass(frozen=True)
class PiecewiseConstant(Piecewise):
    """:class:`verify.checks.smoothing_hessians.Piecewise` with a second, independent closed form of ``g''``."""

    def second_derivative(self, x, sigma):
        """Closed form: a sum of interval-indicator second derivatives (theory.smoothing)."""
        bounds = (-np.inf, *self.edges, np.inf)
        return sum(v * interval_indicator_second_derivative(x, lo, hi, sigma)
                   for v, lo, hi in zip(self.values, bounds[:-1], bounds[1:]) if v != 0)


def sigmoid(slope, center):
    return lambda t: expit(slope * (t - center))


# --- true radius of a 1-D smoothed margin ------------------------------------------------------


def first_sign_change(func, limit, steps=4000, tol=1e-10):
    """Smallest ``s in (0, limit]`` with ``func(s) < 0`` (func(0) > 0), by grid plus bisection; ``inf`` if none."""
    grid = np.linspace(0.0, limit, steps + 1)
    vals = func(grid)
    bad = np.nonzero(vals < 0)[0]
    if bad.size == 0:
        return np.inf
    lo, hi = grid[bad[0] - 1], grid[bad[0]]
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if func(np.array([mid]))[0] >= 0 else (lo, mid)
    return hi


@dataclass(frozen=True)
class BandMembers:
    """Two-class 1-D members: member j says y0 with confidence ``1[low_j, high_j]`` (else class 1).

    The soft-smoothed margin of member j is ``m_j = 2 g_j - 1`` with ``g_j`` in closed form.
    """

    lows: tuple[float, ...]
    highs: tuple[float, ...]

    def margins(self, x, sigma):
        x = np.asarray(x, dtype=float)[..., None]
        return 2 * interval_indicator_smoothed(x, np.array(self.lows), np.array(self.highs), sigma) - 1

    def gradients(self, x, sigma):
        x = np.asarray(x, dtype=float)[..., None]
        return (2 * interval_indicator_smoothed_gradient(x, np.array(self.lows), np.array(self.highs), sigma))[..., None]

    def true_radius(self, x0, weights, sigma, limit):
        """Smallest |delta| at which the WE margin ``sum w_j m_j`` turns negative (both directions)."""
        w = np.asarray(weights, dtype=float)

        def along(sign):
            return lambda s: self.margins(x0 + sign * np.asarray(s), sigma) @ w

        return min(first_sign_change(along(1.0), limit), first_sign_change(along(-1.0), limit))


# --- a concrete EAS ensemble with closed-form smoothed probabilities ------------------------


@dataclass(frozen=True)
class LinearMember:
    """A 1-D partition classifier along a unit direction ``u``: class ``labels[k]`` on the k-th
    interval of ``u.x`` cut at ``edges``; ``n_classes`` classes in all. Its smoothed probabilities
    are closed form and ignore every direction orthogonal to ``u``."""

    direction: tuple[float, ...]
    edges: tuple[float, ...]
    labels: tuple[int, ...]
    n_classes: int

    def probabilities(self, x, sigma):
        x = np.asarray(x, dtype=float)
        u = np.asarray(self.direction) / np.linalg.norm(self.direction)
        parts = interval_partition_smoothed_probabilities(x @ u, self.edges, sigma)
        out = np.zeros(parts.shape[:-1] + (self.n_classes,))
        for k, label in enumerate(self.labels):
            out[..., label] += parts[..., k]
        return out


def ensemble_probabilities(members, x, sigma):
    """Stack the members' smoothed probabilities: shape (..., N, C)."""
    return np.stack([m.probabilities(x, sigma) for m in members], axis=-2)


def eas_counterexample(sigma):
    """The Theorem 5 counterexample (two members, four classes, d = 2), at ``x0 = 0``.

    Member A: linear two-class along e1 with ``p_A(y0 = 0) = 0.6``. Member B: bands along e2 with
    smoothed vector (0.24, 0.26, 0.25, 0.25), so it predicts class 1 with top probability 0.26.
    """
    s_a = sigma * norm.ppf(0.6)
    member_a = LinearMember((1.0, 0.0), (-s_a,), (1, 0), 4)
    cuts = sigma * norm.ppf(np.cumsum([0.24, 0.26, 0.25]))
    member_b = LinearMember((0.0, 1.0), tuple(cuts), (0, 1, 2, 3), 4)
    return member_a, member_b


# --- hypothesis strategies ---------------------------------------------------------------------

sigmas = st.floats(0.05, 5.0)


@st.composite
def piecewise_constant_functions(draw, max_pieces=6, low=0.0, high=1.0):
    n = draw(st.integers(1, max_pieces))
    edges = sorted(draw(st.lists(st.floats(-3.0, 3.0), min_size=n, max_size=n, unique=True)))
    if np.any(np.diff(edges) < 1e-3):
        edges = list(np.linspace(-3, 3, n))
    values = draw(st.lists(st.floats(low, high), min_size=n + 1, max_size=n + 1))
    return PiecewiseConstant(tuple(edges), tuple(values))


@st.composite
def cor4_tuples(draw):
    """Feasible (p_a, p_b, p_ab, p): p_a >= p_b > 1/2, Frechet bounds on p_ab, some disagreement; delta = 0 and the edges p in {0, 1/2, 1} included."""
    p_b = draw(st.floats(0.501, 0.999))
    p_a = draw(st.one_of(st.just(p_b), st.floats(p_b, 0.9995)))
    lo, hi = max(0.0, p_a + p_b - 1), p_b
    p_ab = draw(st.one_of(st.just(lo), st.floats(lo, hi)))
    if p_a + p_b - 2 * p_ab <= 1e-9:
        p_ab = lo
    p = draw(st.one_of(st.just(0.5), st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)))
    return p_a, p_b, p_ab, p
