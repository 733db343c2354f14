"""Exact oracles and hypothesis strategies for the robustness-condition and comparison tests.

- :class:`CdfModel`: a one-dimensional model whose confidences are ``a_c + b_c Phi((x - t) / s)``. They lie on
  the simplex (``sum a = 1``, ``sum b = 0``) and each component has ``sup |f_c''| = |b_c| phi(1) / s^2`` exactly
  (``Phi''(z) = -z phi(z)`` peaks at ``|z| = 1``), so its smoothness constant beta is known exactly.
- :func:`first_zero`: the exact distance from ``x0`` to the first zero of a 1-D function (scan, then brentq).
- :func:`trust_region_min` / :func:`quadratic_radius`: the exact minimum of a quadratic over a ball and the
  exact robust radius of a quadratic margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import brentq
from scipy.stats import norm

PHI_ONE = float(norm.pdf(1.0))  # sup_z |Phi''(z)| = |z phi(z)| at z = 1


@dataclass(frozen=True)
class CdfModel:
    """Confidences ``f_c(x) = a_c + b_c Phi((x - t) / s)`` of a 1-D input ``x``."""

    a: tuple[float, ...]
    b: tuple[float, ...]
    t: float = 0.0
    s: float = 1.0

    def __post_init__(self):
        a, b = np.asarray(self.a), np.asarray(self.b)
        if abs(a.sum() - 1) > 1e-12 or abs(b.sum()) > 1e-12:
            raise ValueError("sum a must be 1 and sum b 0")
        if np.any(a + np.minimum(b, 0) < 0) or np.any(a + np.maximum(b, 0) > 1):
            raise ValueError("confidences would leave [0, 1]")

    def conf(self, x) -> np.ndarray:
        """Confidences at ``x`` (shape ``(...)``): shape ``(..., C)``."""
        z = (np.asarray(x, float)[..., None] - self.t) / self.s
        return np.asarray(self.a) + np.asarray(self.b) * norm.cdf(z)

    def grad(self, x) -> np.ndarray:
        """Gradients ``(..., C, 1)``."""
        z = (np.asarray(x, float)[..., None] - self.t) / self.s
        return (np.asarray(self.b) * norm.pdf(z) / self.s)[..., None]

    @property
    def beta(self) -> float:
        """Exact smoothness constant: ``max_c |b_c| phi(1) / s^2``."""
        return float(np.max(np.abs(self.b)) * PHI_ONE / self.s**2)

    def smoothed(self, sigma: float) -> "CdfModel":
        """Soft smoothing ``E f(x + eps)``, ``eps ~ N(0, sigma^2)``: ``Phi`` convolved with a Gaussian is ``Phi`` widened."""
        return CdfModel(self.a, self.b, self.t, float(np.hypot(self.s, sigma)))


def stack_conf(models, x) -> np.ndarray:
    """Confidences ``(..., N, C)`` of several models at ``x``."""
    return np.stack([m.conf(x) for m in models], axis=-2)


def stack_grad(models, x) -> np.ndarray:
    """Gradients ``(..., N, C, 1)``."""
    return np.stack([m.grad(x) for m in models], axis=-3)


def first_zero(h, x0: float, direction: float, span: float, steps: int = 4001) -> float:
    """Distance from ``x0`` to the first zero of ``h`` along ``direction`` within ``span`` (``inf`` if none).

    ``h`` is vectorised (an array of points in, an array of values out) and ``h(x0) > 0``. A sign change on the
    scan grid is refined with brentq; ``h`` is smooth and the grid fine relative to its features in the tests,
    so no zero is skipped.
    """
    assert h(np.asarray(x0, float)) > 0
    ts = np.linspace(0.0, span, steps)
    vals = np.asarray(h(x0 + direction * ts))
    bad = np.nonzero(vals <= 0)[0]
    if bad.size == 0:
        return np.inf
    k = bad[0]
    if vals[k] == 0:
        return float(ts[k])
    return float(brentq(lambda t: float(h(np.asarray(x0 + direction * t))), ts[k - 1], ts[k], xtol=1e-14))


def radius_1d(h, x0: float, span: float) -> float:
    """Exact robust radius of ``{h > 0}`` around ``x0`` on the line: the nearer first zero."""
    return min(first_zero(h, x0, 1.0, span), first_zero(h, x0, -1.0, span))


def trust_region_min(g: np.ndarray, H: np.ndarray, rho: float) -> float:
    """Exact ``min_{||delta|| <= rho} g.delta + delta.H.delta / 2`` (More-Sorensen secular equation, hard case included)."""
    lam, Q = np.linalg.eigh(H)
    gt = Q.T @ g

    def norm_at(mu):
        with np.errstate(over="ignore", divide="ignore"):  # near the pole the norm is +inf, which brentq handles
            return np.linalg.norm(gt / (lam + mu))

    def value(step):
        return float(gt @ step + 0.5 * step @ (lam * step))

    if lam[0] > 0 and norm_at(0.0) <= rho:
        return value(-gt / lam)
    lo = max(0.0, -lam[0])
    bottom = lam <= lam[0] + 1e-12
    if np.all(np.abs(gt[bottom]) < 1e-14):  # hard case: the boundary solution needs the bottom eigenvector
        step = np.zeros_like(gt)
        step[~bottom] = -gt[~bottom] / (lam[~bottom] + lo)
        if step @ step <= rho**2:
            step[np.argmax(bottom)] = np.sqrt(rho**2 - step @ step)
            return value(step)
    eps = 1e-9 * (1.0 + np.abs(lam).max())
    while norm_at(lo + eps) <= rho:
        eps /= 10.0
    hi = lo + 1.0
    while norm_at(hi) > rho:
        hi = lo + 2 * (hi - lo)
    mu = brentq(lambda m: norm_at(m) - rho, lo + eps, hi, xtol=1e-15, rtol=1e-14)
    return value(-gt / (lam + mu))


def quadratic_radius(S: float, g: np.ndarray, H: np.ndarray, rho_max: float = 1e3) -> float:
    """Exact radius of ``{S + g.delta + delta.H.delta/2 > 0}``: the ``rho`` where the ball minimum reaches 0."""
    assert S > 0
    if S + trust_region_min(g, H, rho_max) > 0:
        return np.inf
    return float(brentq(lambda rho: S + trust_region_min(g, H, rho), 0.0, rho_max, xtol=1e-13))


# --------------------------------------------------------------------------- strategies


def confidences(num_models: int, num_classes: int):
    """Confidence arrays ``(N, C)`` on the simplex with entries bounded away from 0."""
    raw = hnp.arrays(np.float64, (num_models, num_classes), elements=st.floats(0.05, 1.0))
    return raw.map(lambda x: x / x.sum(axis=-1, keepdims=True))


def grid_confidences(num_models: int, num_classes: int, denominator: int = 10):
    """Integer confidence scores ``k`` with ``sum_c k = denominator`` (the simplex scaled by ``denominator``).

    Integers keep every margin and gap exact in floating point, so ties between classes and between models
    are exact and common. Predictions are invariant to the scale.
    """
    def row():  # stars and bars: C - 1 cuts of [0, denominator] give every composition, no rejection
        return st.lists(st.integers(0, denominator), min_size=num_classes - 1, max_size=num_classes - 1).map(
            lambda cuts: np.diff([0, *sorted(cuts), denominator]).tolist())
    return st.lists(row(), min_size=num_models, max_size=num_models).map(
        lambda rows: np.array(rows, dtype=np.float64))


@st.composite
def assumption2_predictions(draw, num_models: int, num_classes: int, denominator: int = 10):
    """``(conf, y0)``: grid confidences in which y0 is every model's top or runner-up class (Theorem 4's
    assumption (2)) and the model with the largest gap (the lowest index among ties) has y0 on top, so
    the MME predicts y0 unless that model's top two tie. Built, not filtered: a random grid ensemble
    meets both conditions at its prediction about six times in ten."""
    rows = np.sort(draw(grid_confidences(num_models, num_classes, denominator)), axis=-1)[:, ::-1]
    y0 = draw(st.integers(0, num_classes - 1))
    decider = int(np.argmax(rows[:, 0] - rows[:, 1]))
    conf = np.empty_like(rows)
    others = [c for c in range(num_classes) if c != y0]
    for i, row in enumerate(rows):
        place = 0 if i == decider else draw(st.integers(0, 1))  # y0 on top, or second
        order = draw(st.permutations(others))
        conf[i, y0] = row[place]
        conf[i, order] = np.delete(row, place)
    return conf, y0


def positive_weights(num_models: int):
    return hnp.arrays(np.float64, (num_models,), elements=st.floats(0.1, 3.0))


@st.composite
def _simplex_point(draw, num_classes: int):
    """A point of the simplex: entries in [0, 1], one of them (an anchor) at least 0.1, normalised.

    The anchor keeps the sum away from 0 by construction (a filter on the sum rejected about one
    draw in five); the other entries may still be exactly 0 (faces of the simplex)."""
    x = draw(hnp.arrays(np.float64, (num_classes,), elements=st.floats(0.0, 1.0)))
    x[draw(st.integers(0, num_classes - 1))] = draw(st.floats(0.1, 1.0))
    return x / x.sum()


@st.composite
def cdf_models(draw, num_classes: int):
    """A random :class:`CdfModel`: confidences move from ``p`` (at ``-inf``) to ``q`` (at ``+inf``) on the simplex."""
    p = draw(_simplex_point(num_classes))
    q = draw(_simplex_point(num_classes))
    a, b = p, q - p  # a + b = q up to rounding
    b = np.where(np.abs(b) < 1e-12, 0.0, b)
    if np.any(a + np.minimum(b, 0) < 0) or np.any(a + np.maximum(b, 0) > 1) or abs(b.sum()) > 1e-12:
        a, b = q, np.zeros(num_classes)  # rounding pushed a bound: a constant model
    t = draw(st.floats(-2.0, 2.0))
    s = draw(st.floats(0.5, 2.0))
    return CdfModel(tuple(a), tuple(b), t, s)
