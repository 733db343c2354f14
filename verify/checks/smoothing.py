"""Checks of Gaussian smoothing (Section 2.3, Appendices A and B.4-B.5) against exact ground truth.

Statements (ledger ids): Theorem 2 and its tight constant (``thm2``, ``thm2-tight``, ``thm2-ab``,
``thm2-margin``), Proposition B.4 (``propB4``), Lemma A.1 and Proposition C.1 (``lemA1``, ``propC1``),
Corollaries 2-3 (``cor2``, ``cor3``), Eq. (8) and Definition 5 (``eq8``, ``def5``). Definition 6, Theorem 5
and Corollary 4 are checked in verify/checks/strategies.py.

Ground truth:

- Hessians of ``g = f * N(0, sigma^2 I)``: closed forms through phi and Phi (piecewise-constant
  functions, products of intervals, half-spaces); ``scipy.integrate.quad``/``quad_vec`` with their error
  estimates (sigmoids, sigmoid networks in 1-D, balls and bands in 2-D, where the inner integral along
  the second axis is closed form); composite Gauss-Legendre with an order-doubling error estimate
  (sigmoid networks in 2-D, order 10 against 16 per panel); in d = 10-100, Stein's identity
  ``sigma^2 u^T H u = E[(f - 1/2)(Z^2 - 1)]``, ``Z = u.eps/sigma``, split at ``Z^2 <= T`` into a bounded
  part (Bernstein's inequality with the known variance bound 1/2) and a tail whose contribution is
  bounded exactly by ``E[(Z^2 - 1) 1{Z^2 > T}]/2 = sqrt(T) phi(sqrt(T))``.
- Linear members (partitions along one direction, half-spaces in orthogonal coordinates): smoothed
  probabilities are Phi of signed distances, or exact sums over the 2^N vote patterns; perturbations
  are searched along the worst directions and by local optimisation; the true radius of a 1-D margin is
  bracketed rigorously (a Lipschitz grid gives a lower bound, a sign change refined by ``brentq`` an
  upper bound).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import integrate, optimize
from scipy.special import expit, softmax
from scipy.stats import norm

from drt_min.seeding import numpy_stream
from theory import smoothing as sm
from verify.stats import FALSE_ALARM, hoeffding_halfwidth

from . import Check, CheckOutcome, Mutation, Profile
from ._common import instance_count, mutation, outcome

__all__ = ["CHECKS", "Piecewise", "SigmoidNet1D", "hessian_bound_1d", "piecewise_second_derivative",
           "quad_second_derivative", "stein_interval", "bernstein_halfwidth", "Partition", "random_partition",
           "OrthogonalVote", "band_margin_radius_bracket"]

PHI1 = float(norm.pdf(1.0))
KAPPA_TIGHT = 2 * PHI1  # E[(Z^2 - 1)_+]: sigma^2 beta* for f in [0, 1]
_SPAN = 12.0  # the kernel beyond 12 sigma weighs < 1e-30
_QUAD_TOL = 1e-9  # absolute tolerance on sigma^2 g'' (all sigma^2-normalised values are O(1))


# =====================================================================================================
# Theorem 2: exact Hessians of smoothed functions
# =====================================================================================================


def _psi(z, sigma):
    """``phi_sigma'(z) = -z phi(z/sigma)/sigma^3`` (derivative of the N(0, sigma^2) density; 0 at +-inf)."""
    z = np.asarray(z, dtype=float)
    finite = np.isfinite(z)
    zf = np.where(finite, z, 0.0)
    return np.where(finite, -zf * norm.pdf(zf / sigma) / sigma**3, 0.0)


def _kernel2(z, sigma):
    """``phi_sigma''(z) = phi(z/sigma)(z^2/sigma^2 - 1)/sigma^3``."""
    return norm.pdf(z / sigma) * ((z / sigma) ** 2 - 1) / sigma**3


@dataclass(frozen=True)
class Piecewise:
    """``f(t) = values[k]`` on ``[edges[k-1], edges[k])`` (edges strictly increasing)."""

    edges: tuple[float, ...]
    values: tuple[float, ...]

    def __call__(self, t):
        return np.asarray(self.values)[np.searchsorted(np.asarray(self.edges), t, side="right")]


def piecewise_second_derivative(f: Piecewise, x, sigma):
    """Closed form ``g''(x) = sum_k (v_{k+1} - v_k) phi_sigma'(x - e_k)`` for a piecewise-constant ``f``."""
    x = np.asarray(x, dtype=float)[..., None]
    jumps = np.diff(np.asarray(f.values))
    return (jumps * _psi(x - np.asarray(f.edges), sigma)).sum(axis=-1)


@dataclass(frozen=True)
class SigmoidNet1D:
    """``f(t) = scale * expit(v . tanh(w t + b) + c) + shift``; one hidden unit with v = 1, b = 0 is a sigmoid."""

    w: tuple[float, ...]
    b: tuple[float, ...]
    v: tuple[float, ...]
    c: float
    scale: float = 1.0
    shift: float = 0.0

    def __call__(self, t):
        t = np.asarray(t, dtype=float)[..., None]
        return self.scale * expit(np.tanh(t * np.asarray(self.w) + self.b) @ np.asarray(self.v) + self.c) + self.shift


def quad_second_derivative(f, x: float, sigma: float, breaks=()) -> tuple[float, float]:
    """``g''(x) = int f(t) phi_sigma''(x - t) dt`` by ``quad`` over ``x +- 12 sigma``, split at ``breaks``.

    Returns the value and quad's summed error estimate (both in units of 1/sigma^2 times sigma^2, i.e.
    multiplied by sigma^2, so that they are comparable with the normalised constants)."""
    lo, hi = x - _SPAN * sigma, x + _SPAN * sigma
    cuts = sorted({lo, hi, *[b for b in breaks if lo < b < hi]})
    total = error = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)  # the error estimate is returned
        for a, b in zip(cuts[:-1], cuts[1:]):
            val, err = integrate.quad(lambda t: float(f(t)) * _kernel2(x - t, sigma) * sigma**2, a, b,
                                      limit=200, epsabs=1e-12, epsrel=1e-11)
            total, error = total + val, error + err
    return total, error


@dataclass(frozen=True)
class HessianSample:
    """sigma^2-normalised |second derivatives| per instance and the extremal functions' signed values."""

    family: tuple[str, ...]
    worst: np.ndarray  # max over evaluated x of sigma^2 |g''| / (b - a) (+ quadrature error), per instance
    extremal: np.ndarray  # sigma^2 g''(c) / (b - a) for the extremal function and minus its complement
    oracle_errors: tuple[str, ...]  # closed form vs quadrature disagreements, or unconverged quadrature
    evaluations: int
    widths: np.ndarray | None = None  # b - a per instance (functions with values in [a, b])


def _piecewise_instance(rng, kind, sigma, low, high):
    c = rng.uniform(-2, 2)
    if kind == "step":
        vals = (low, high) if rng.random() < 0.5 else (high, low)
        return Piecewise((c,), vals)
    if kind == "interval":
        w = rng.uniform(0.05, 4) * sigma
        return Piecewise((c - w / 2, c + w / 2), (low, high, low))
    k = int(rng.integers(1, 7))
    edges = np.sort(c + rng.uniform(-3, 3, k) * sigma)
    if np.any(np.diff(edges) < 1e-3 * sigma):
        edges = c + np.linspace(-2, 2, k) * sigma
    return Piecewise(tuple(edges), tuple(rng.uniform(low, high, k + 1)))


def _sigmoid_instance(rng, kind, sigma, low, high):
    c = rng.uniform(-2, 2)
    if kind == "sigmoid":
        slope = np.exp(rng.uniform(np.log(0.1), np.log(50))) / sigma
        return SigmoidNet1D((slope,), (-slope * c,), (1.0,), 0.0, high - low, low), (c,)
    h = 4
    w = rng.normal(0, 3, h) / sigma
    b = rng.normal(0, 2, h)
    return SigmoidNet1D(tuple(w), tuple(b), tuple(rng.normal(0, 3, h)), float(rng.normal()), high - low, low), \
        tuple(-b / w)


def hessian_bound_1d(f, sigma: float, xs, breaks=(), width: float = 1.0) -> tuple[float, float]:
    """max over ``xs`` of ``sigma^2 |g''(x)| / width`` by quadrature, and the largest error estimate."""
    vals = [quad_second_derivative(f, float(x), sigma, breaks) for x in xs]
    return max(abs(v) for v, _ in vals) / width, max(e for _, e in vals) / width


@functools.lru_cache(maxsize=8)
def _hessians_1d(profile: Profile, seed: int, ranged: bool) -> HessianSample:
    """Random functions on R with values in [0, 1] (or a random [a, b] when ``ranged``)."""
    rng = numpy_stream(seed, f"hess1d{ranged}")
    kinds = ("step", "interval", "piecewise", "sigmoid", "sigmoid_net")
    family, worst, errors, evals, widths = [], [], [], 0, []
    for i in range(profile.instances):
        kind = kinds[i % len(kinds)]
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(3))))
        low, high = (sorted(rng.uniform(-3, 3, 2)) if ranged else (0.0, 1.0))
        width = high - low
        widths.append(width)
        if kind in ("step", "interval", "piecewise"):
            f = _piecewise_instance(rng, kind, sigma, low, high)
            e = np.asarray(f.edges)
            xs = np.concatenate([np.linspace(e.min() - 6 * sigma, e.max() + 6 * sigma, 1201), e - sigma, e + sigma])
            closed = np.abs(piecewise_second_derivative(f, xs, sigma)).max() * sigma**2 / width
            for x in rng.choice(xs, 2):  # the closed form against quadrature
                q, err = quad_second_derivative(f, float(x), sigma, f.edges)
                cf = float(piecewise_second_derivative(f, x, sigma)) * sigma**2
                if abs(q - cf) > _QUAD_TOL + err:
                    errors.append(f"{kind}: closed form {cf:.12g} vs quad {q:.12g} at x={x:.4g}")
            worst.append(closed)
            evals += xs.size
        else:
            f, centers = _sigmoid_instance(rng, kind, sigma, low, high)
            xs = np.concatenate([rng.uniform(-3, 3, 3), np.asarray(centers[:2]) - sigma, np.asarray(centers[:2]) + sigma])
            xs = xs[np.isfinite(xs) & (np.abs(xs) < 50)]
            value, err = hessian_bound_1d(f, sigma, xs, centers, width)
            if err > 1e-8:
                errors.append(f"{kind}: quadrature error estimate {err:.3g}")
            worst.append(value + err)
            evals += xs.size
        family.append(kind)
    extremal = []
    for sigma in (0.1, 0.7, 2.5):  # the extremal function a + (b - a) 1{|t - c| > sigma} and its complement
        low, high = (-1.5, 2.0) if ranged else (0.0, 1.0)
        for vals, sign in (((high, low, high), 1.0), ((low, high, low), -1.0)):
            f = Piecewise((0.3 - sigma, 0.3 + sigma), vals)
            q, err = quad_second_derivative(f, 0.3, sigma, f.edges)
            extremal.append(sign * q / (high - low))
            evals += 1
    return HessianSample(tuple(family), np.asarray(worst), np.asarray(extremal), tuple(errors), evals,
                         np.asarray(widths))


# --- two dimensions -----------------------------------------------------------------------------


def _inner_integrals(x2, intervals, sigma):
    """``int over the t2-intervals of (phi_sigma, phi_sigma', phi_sigma'')(x2 - t2) dt2`` in closed form."""
    out = np.zeros(3)
    for lo, hi in intervals:
        zl, zh = x2 - lo, x2 - hi  # z = x2 - t2 runs from zl down to zh
        out[0] += norm.cdf(zl / sigma) - norm.cdf(zh / sigma)
        out[1] += norm.pdf(zl / sigma) / sigma - norm.pdf(zh / sigma) / sigma
        out[2] += _psi(zl, sigma) - _psi(zh, sigma)
    return out


def hessian_2d_by_sections(sections: Callable[[float], list], x, sigma, support=None) -> tuple[np.ndarray, float]:
    """sigma^2 H_g(x) of the indicator of a planar set whose sections at fixed t1 are the given t2-intervals.

    ``H11 = int phi''(x1 - t1) A0(t1)``, ``H12 = int phi'(x1 - t1) A1(t1)``, ``H22 = int phi(x1 - t1) A2(t1)``
    with the inner integrals ``A`` in closed form; the outer integral by ``quad_vec`` with its error
    estimate, over ``x1 +- 12 sigma``, or over a bounded ``support = (a, b)`` of the sections with
    ``t1 = (a + b)/2 + (b - a)/2 sin(theta)`` (which removes the square-root edges of a disc)."""
    x1, x2 = float(x[0]), float(x[1])

    def integrand(t1):
        a = _inner_integrals(x2, sections(t1), sigma)
        z = x1 - t1
        return np.array([_kernel2(z, sigma) * a[0], _psi(z, sigma) * a[1], norm.pdf(z / sigma) / sigma * a[2]]) * sigma**2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        if support is None:
            val, err = integrate.quad_vec(integrand, x1 - _SPAN * sigma, x1 + _SPAN * sigma, epsabs=1e-12,
                                          epsrel=1e-11, limit=400)
        else:
            mid, half = (support[0] + support[1]) / 2, (support[1] - support[0]) / 2
            val, err = integrate.quad_vec(lambda th: integrand(mid + half * np.sin(th)) * half * np.cos(th),
                                          -np.pi / 2, np.pi / 2, epsabs=1e-12, epsrel=1e-11, limit=400)
    return np.array([[val[0], val[1]], [val[1], val[2]]]), float(err)


@functools.lru_cache(maxsize=4)
def _legendre_panels(order: int, half: float = 8.5, width: float = 0.5):
    x, w = leggauss(order)
    mids = np.arange(-half + width / 2, half, width)
    z = (mids[:, None] + x * width / 2).ravel()
    return z, np.tile(w * width / 2, mids.size) * norm.pdf(z)


def hessian_2d_smooth(f, x, sigma) -> tuple[np.ndarray, float]:
    """sigma^2 H_g(x) = E[f(x + sigma Z)(Z Z^T - I)] for a smooth ``f`` on R^2 by composite Gauss-Legendre
    on [-8.5, 8.5]^2 (34 panels); the error estimate is the change from order 10 to order 16 per panel."""
    out = []
    for order in (10, 16):
        z, w = _legendre_panels(order)
        z1, z2 = np.meshgrid(z, z, indexing="ij")
        fw = f(np.stack([x[0] + sigma * z1, x[1] + sigma * z2], axis=-1)) * np.outer(w, w)
        h12 = float((fw * z1 * z2).sum())
        out.append(np.array([[float((fw * (z1**2 - 1)).sum()), h12], [h12, float((fw * (z2**2 - 1)).sum())]]))
    return out[1], float(np.abs(out[1] - out[0]).max()) + 1e-15


def _box_hessian_2d(x, lows, highs, sigma):
    """Closed form sigma^2 H_g for the indicator of a box (product of intervals)."""
    x, lows, highs = map(np.asarray, (x, lows, highs))
    g0 = norm.cdf((x - lows) / sigma) - norm.cdf((x - highs) / sigma)
    g1 = (norm.pdf((lows - x) / sigma) - norm.pdf((highs - x) / sigma)) / sigma
    g2 = _psi(x - lows, sigma) - _psi(x - highs, sigma)
    return np.array([[g2[0] * g0[1], g1[0] * g1[1]], [g1[0] * g1[1], g0[0] * g2[1]]]) * sigma**2


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def _planar_instance(rng, kind, sigma):
    """(sections function, bounded t1-support or None, evaluation points) of a planar indicator."""
    c = rng.uniform(-1, 1, 2)
    if kind == "ball":
        r = rng.uniform(0.1, 3) * sigma

        def sections(t1):
            h2 = r**2 - (t1 - c[0]) ** 2
            return [(c[1] - np.sqrt(h2), c[1] + np.sqrt(h2))] if h2 > 0 else []

        radial = _unit(rng.normal(size=2))
        xs = [c, c + (r + sigma) * radial, c + max(r - sigma, 0) * radial, c + r * radial]
        return sections, (c[0] - r, c[0] + r), xs
    n = _unit(rng.normal(size=2))
    if abs(n[1]) < 0.2:
        n = _unit(n + np.array([0.0, 0.5]))
    if kind == "halfspace":  # {n.(t - c) > 0}
        def sections(t1):
            cut = c[1] - n[0] * (t1 - c[0]) / n[1]
            return [(cut, np.inf)] if n[1] > 0 else [(-np.inf, cut)]

        return sections, None, [c + sigma * n, c - sigma * n, c + rng.normal(size=2)]

    def sections(t1):  # the extremal band complement {|n.(t - c)| > sigma}
        lo = c[1] + (-sigma - n[0] * (t1 - c[0])) / n[1]
        hi = c[1] + (sigma - n[0] * (t1 - c[0])) / n[1]
        lo, hi = min(lo, hi), max(lo, hi)
        return [(-np.inf, lo), (hi, np.inf)]

    return sections, None, [c, c + rng.normal(size=2) * sigma]


@functools.lru_cache(maxsize=4)
def _hessians_2d(profile: Profile, seed: int) -> HessianSample:
    rng = numpy_stream(seed, "hess2d")
    kinds = ("box", "halfspace", "ball", "band", "sigmoid_net")
    family, worst, extremal, errors, evals = [], [], [], [], 0
    for i in range(instance_count(profile, 3, low=10)):
        kind = kinds[i % len(kinds)]
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(3))))
        if kind == "box":
            lows = rng.uniform(-2, 1, 2) * sigma
            highs = lows + rng.uniform(0.05, 4, 2) * sigma
            xs = [lows - sigma, highs + sigma, (lows + highs) / 2, np.array([lows[0], highs[1]])]
            hs = [(_box_hessian_2d(x, lows, highs, sigma), 0.0) for x in xs]
            # the closed form against the section quadrature at one point
            q, err = hessian_2d_by_sections(lambda t1: [(lows[1], highs[1])], xs[0], sigma, (lows[0], highs[0]))
            if np.abs(q - hs[0][0]).max() > _QUAD_TOL + err:
                errors.append(f"box: closed form vs quadrature {np.abs(q - hs[0][0]).max():.3g}")
        elif kind == "sigmoid_net":
            w = rng.normal(0, 1.5, (6, 2)) / sigma
            b, v, c0 = rng.normal(0, 1, 6), rng.normal(0, 2, 6), float(rng.normal())
            f = lambda p, w=w, b=b, v=v, c0=c0: expit(np.tanh(p @ w.T + b) @ v + c0)  # noqa: E731
            hs = [hessian_2d_smooth(f, rng.normal(0, sigma, 2), sigma) for _ in range(2)]
        else:
            sections, support, xs = _planar_instance(rng, kind, sigma)
            hs = [hessian_2d_by_sections(sections, x, sigma, support) for x in xs]
            if kind == "band":  # at the centre sigma^2 H = beta* sigma^2 n n^T: its top eigenvalue is attained
                extremal.append(float(np.linalg.eigvalsh(hs[0][0]).max()))
        for h, err in hs:  # the error estimate is also added to the value compared with the bound
            if err > 1e-6:
                errors.append(f"{kind}: quadrature error estimate {err:.3g}")
        worst.append(max(float(np.abs(np.linalg.eigvalsh(h)).max()) + err for h, err in hs))
        family.append(kind)
        evals += len(hs)
    return HessianSample(tuple(family), np.asarray(worst), np.asarray(extremal), tuple(errors), evals)


# --- higher dimensions: Stein's identity with rigorous bounds -------------------------------------


def bernstein_halfwidth(n: int, variance_bound: float, range_bound: float, delta: float) -> float:
    """Two-sided Bernstein half-width for the mean of ``n`` i.i.d. variables with variance at most
    ``variance_bound`` and ``|Y - EY| <= range_bound``: ``P(|mean - EY| > t) <= delta``."""
    log_term = np.log(2 / delta)
    a = range_bound * log_term / (3 * n)
    return float(a + np.sqrt(a**2 + 2 * variance_bound * log_term / n))


def stein_interval(f, x, u, sigma, n, rng, delta, truncation=25.0, chunk=4000) -> tuple[float, float, float]:
    """A ``1 - delta`` confidence interval for ``sigma^2 u^T H_g(x) u`` with ``g = f * N(0, sigma^2 I)``.

    ``sigma^2 u^T H u = E[(f(x + eps) - 1/2)(Z^2 - 1)]`` (Stein; ``E[Z^2 - 1] = 0`` allows the shift by 1/2),
    ``Z = u.eps/sigma``, for ``f`` with values in [0, 1]. The part with ``Z^2 <= T`` lies in
    ``[-(T-1)/2, (T-1)/2]`` with variance at most ``E[(Z^2-1)^2]/4 = 1/2`` (Bernstein); the rest has
    absolute expectation at most ``E[(Z^2 - 1) 1{Z^2 > T}]/2 = sqrt(T) phi(sqrt(T))``.
    Returns (estimate, lower, upper)."""
    x, u = np.asarray(x, dtype=float), _unit(u)
    total, done = 0.0, 0
    while done < n:
        m = min(chunk, n - done)
        eps = rng.normal(0.0, sigma, (m, x.size))
        z2 = (eps @ u / sigma) ** 2
        total += float(((f(x + eps) - 0.5) * np.where(z2 <= truncation, z2 - 1, 0.0)).sum())
        done += m
    est = total / n
    slack = bernstein_halfwidth(n, 0.5, truncation - 1, delta) + np.sqrt(truncation) * norm.pdf(np.sqrt(truncation))
    return est, est - slack, est + slack


def _stein_instance(rng, kind, d, sigma):
    """(f, x, u, exact sigma^2 u^T H u or None) of a function on R^d with values in [0, 1]."""
    c = rng.normal(0, 1, d)
    if kind == "halfspace":
        n = _unit(rng.normal(size=d))
        dist = rng.choice([-1.0, 1.0]) * sigma * rng.uniform(0.5, 1.5)
        u = n if rng.random() < 0.5 else _unit(n + 0.5 * _unit(rng.normal(size=d)))
        exact = -(dist / sigma) * norm.pdf(dist / sigma) * (u @ n) ** 2
        return (lambda t: ((t - c) @ n > 0).astype(float)), c + dist * n, u, exact
    if kind == "box":
        k = int(rng.integers(1, 4))
        lows = rng.uniform(-2, 0.5, k) * sigma
        highs = lows + rng.uniform(0.3, 3, k) * sigma
        x = c.copy()
        x[:k] = np.where(rng.random(k) < 0.5, lows - sigma, highs + sigma)
        u = np.zeros(d)
        u[:k] = rng.normal(size=k)
        u = _unit(u)
        g0 = norm.cdf((x[:k] - lows) / sigma) - norm.cdf((x[:k] - highs) / sigma)
        g1 = (norm.pdf((lows - x[:k]) / sigma) - norm.pdf((highs - x[:k]) / sigma)) / sigma
        g2 = _psi(x[:k] - lows, sigma) - _psi(x[:k] - highs, sigma)
        prod_except = lambda i, j: np.prod([g0[m] for m in range(k) if m not in (i, j)])  # noqa: E731
        h = np.array([[(g2[i] if i == j else g1[i] * g1[j]) * prod_except(i, j) for j in range(k)] for i in range(k)])
        exact = float(u[:k] @ h @ u[:k]) * sigma**2

        def f(t):
            return np.all((t[:, :k] >= lows) & (t[:, :k] <= highs), axis=1).astype(float)

        return f, x, u, exact
    if kind == "ball":
        r = rng.uniform(0.5, 1.5) * sigma * np.sqrt(d)
        radial = _unit(rng.normal(size=d))
        x = c + (r + rng.uniform(-1, 1) * sigma) * radial
        return (lambda t: (np.linalg.norm(t - c, axis=1) <= r).astype(float)), x, radial, None
    if kind == "sigmoid_net":
        w = rng.normal(0, 1, (8, d)) / (sigma * np.sqrt(d)) * 3
        b, v = rng.normal(0, 1, 8), rng.normal(0, 3, 8)
        return (lambda t: expit(np.tanh(t @ w.T + b) @ v)), rng.normal(0, sigma, d), _unit(w[0]), None
    u = _unit(rng.normal(size=d))
    sign = 1.0 if kind == "extremal" else -1.0
    base = (lambda t: (np.abs((t - c) @ u) > sigma).astype(float)) if sign > 0 else \
        (lambda t: (np.abs((t - c) @ u) <= sigma).astype(float))
    return base, c, u, sign * KAPPA_TIGHT


@dataclass(frozen=True)
class SteinSample:
    family: tuple[str, ...]
    intervals: np.ndarray  # (instances, 3): estimate, lower, upper of sigma^2 u^T H u
    exact: np.ndarray  # exact value or NaN
    samples: int
    false_alarm: float


@functools.lru_cache(maxsize=4)
def _stein(profile: Profile, seed: int) -> SteinSample:
    rng = numpy_stream(seed, "stein")
    kinds = ("extremal", "halfspace", "box", "ball", "sigmoid_net", "extremal_complement")
    count = instance_count(profile, 5, low=6)
    delta = FALSE_ALARM / count
    family, rows, exact = [], [], []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        d = int(rng.integers(10, 101))
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(2))))
        f, x, u, truth = _stein_instance(rng, kind, d, sigma)
        rows.append(stein_interval(f, x, u, sigma, profile.samples, rng, delta))
        exact.append(np.nan if truth is None else truth)
        family.append(f"{kind}(d={d})")
    return SteinSample(tuple(family), np.asarray(rows), np.asarray(exact), count * profile.samples, FALSE_ALARM)


# --- the checks of Theorem 2 ----------------------------------------------------------------------


def _bound_outcome(sample: HessianSample, kappa: float, attained: float | None, label: str,
                   samples: int | None = None) -> CheckOutcome:
    """Pass when no normalised value exceeds ``kappa`` (relative 1e-9) and, if ``attained`` is given, the
    extremal functions' values equal it (relative 1e-8)."""
    problems = list(sample.oracle_errors)
    over = sample.worst > kappa * (1 + 1e-9) + 1e-12
    if over.any():
        i = int(np.argmax(sample.worst))
        problems.append(f"{int(over.sum())} functions exceed {kappa:.6g}, worst {sample.family[i]} {sample.worst[i]:.6g}")
    ext_over = sample.extremal > kappa * (1 + 1e-9)
    if ext_over.any():
        problems.append(f"the extremal function reaches {sample.extremal.max():.9g} > {kappa:.6g}")
    if attained is not None and not np.allclose(sample.extremal, attained, rtol=1e-8, atol=0):
        problems.append(f"extremal values {sample.extremal.min():.9g}..{sample.extremal.max():.9g} != {attained:.9g}")
    detail = (f"{label}: {len(sample.worst)} functions ({', '.join(sorted(set(sample.family)))}), "
              f"{sample.evaluations} exact evaluations; max sigma^2|g''|/(b-a) = {sample.worst.max():.6g}, "
              f"extremal {sample.extremal.max():.9g}, bound {kappa:.6g}")
    return outcome(problems, samples or sample.evaluations, 0.0, detail, shown=3)


def _thm2_tight_1d(profile, seed, scale=1.0):
    kappa = float(sm.smoothness_constant_tight(1.0)) * scale
    return _bound_outcome(_hessians_1d(profile, seed, False), kappa, KAPPA_TIGHT, "1-D quadrature/closed form")


def _thm2_tight_2d(profile, seed, scale=1.0):
    kappa = float(sm.smoothness_constant_tight(1.0)) * scale
    return _bound_outcome(_hessians_2d(profile, seed), kappa, KAPPA_TIGHT, "2-D sections/Gauss-Legendre")


def _thm2_tight_stein(profile, seed, scale=1.0):
    """|sigma^2 u^T H u| <= kappa: alarm when the interval lies beyond +-kappa; exact values (half-spaces,
    boxes, the extremal function's +-beta*) must lie in their intervals."""
    kappa = float(sm.smoothness_constant_tight(1.0)) * scale
    s = _stein(profile, seed)
    est, lo, hi = s.intervals.T
    beyond = (lo > kappa) | (hi < -kappa)
    known = ~np.isnan(s.exact)
    missed = known & ((s.exact < lo) | (s.exact > hi))
    ext = np.array(["extremal" in f for f in s.family])
    detail = (f"Stein in d = 10-100: {len(est)} functions x {s.samples // len(est)} samples, intervals "
              f"+-{np.mean(hi - lo) / 2:.3g}; extremal estimates {est[ext].round(4).tolist()} vs +-{KAPPA_TIGHT:.4f}; "
              f"{int(known.sum())} exact values covered: {int((known & ~missed).sum())}; bound {kappa:.6g}")
    problems = []
    if beyond.any():
        problems.append(f"{int(beyond.sum())} intervals beyond the bound, e.g. {s.family[int(np.argmax(beyond))]}")
    if missed.any():
        problems.append(f"{int(missed.sum())} exact values outside their intervals")
    return outcome(problems, s.samples, s.false_alarm, detail, shown=None)


def _thm2_paper(profile, seed, constant=None, low=0.0, high=1.0):
    """Theorem 2 as printed: ``2(b - a)/sigma^2`` is never exceeded, and the supremum attained is only
    beta* (the extremal function): the printed constant is sound and loose by 2/(2 phi(1)) ~ 4.13."""
    kappa = float(sm.smoothness_constant_paper(1.0)) if constant is None else constant
    s = _hessians_1d(profile, seed, False)
    if (low, high) != (0.0, 1.0):  # the [0, 1] assumption dropped: the extremal function with values in [low, high]
        s = HessianSample(s.family, s.worst * (high - low), s.extremal * (high - low), s.oracle_errors, s.evaluations)
    out = _bound_outcome(s, kappa, None, "1-D quadrature/closed form")
    loose = kappa / s.extremal.max()
    return CheckOutcome(out.passed, out.samples, 0.0, out.detail + f"; printed/attained = {loose:.4g}")


def _thm2_ab(profile, seed, width_factor=lambda a, b: b - a, scale=1.0):
    """Functions with values in a random [a, b]: ``sigma^2 |g''| <= (b - a) beta* sigma^2``, attained."""
    s = _hessians_1d(profile, seed, True)
    kappa = float(sm.smoothness_constant_tight(1.0, -1.5, 2.0)) / 3.5 * scale
    if width_factor(-1.5, 2.0) != 3.5:  # the width (b - a) dropped: compare unnormalised values with beta*
        s = HessianSample(s.family, s.worst * s.widths, s.extremal * 3.5, s.oracle_errors, s.evaluations)
    return _bound_outcome(s, kappa, KAPPA_TIGHT, "1-D, values in random [a, b] (normalised by b - a)")


# --- margins of two simplex components ---------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _margins_1d(profile: Profile, seed: int) -> HessianSample:
    """f_a - f_b for f_a, f_b >= 0, f_a + f_b <= 1: piecewise-constant pairs (closed form) and 3-class
    softmax networks (quadrature)."""
    rng = numpy_stream(seed, "margin1d")
    family, worst, errors, evals = [], [], [], 0
    for i in range(profile.instances):
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(3))))
        if i % 2 == 0:
            k = int(rng.integers(1, 7))
            edges = tuple(np.sort(rng.uniform(-3, 3, k)) * sigma) if k > 0 else ()
            if np.any(np.diff(edges) < 1e-3 * sigma):
                edges = tuple(np.linspace(-2, 2, k) * sigma)
            fa = rng.uniform(0, 1, k + 1)
            fb = rng.uniform(0, 1, k + 1) * (1 - fa)
            f = Piecewise(edges, tuple(fa - fb))
            e = np.asarray(edges)
            xs = np.concatenate([np.linspace(e.min() - 6 * sigma, e.max() + 6 * sigma, 1201), e - sigma, e + sigma])
            worst.append(float(np.abs(piecewise_second_derivative(f, xs, sigma)).max()) * sigma**2)
            family.append("piecewise pair")
            evals += xs.size
        else:
            w = rng.normal(0, 3, (3, 4)) / sigma
            b = rng.normal(0, 2, (3, 4))
            v = rng.normal(0, 3, (3, 4))

            def f(t, w=w, b=b, v=v):
                p = softmax(np.sum(np.tanh(t * w + b) * v, axis=1))
                return p[0] - p[1]

            xs = rng.uniform(-3, 3, 4) * sigma
            value, err = hessian_bound_1d(f, sigma, xs, tuple((-b / w).ravel()))
            if err > 1e-8:
                errors.append(f"softmax net: quadrature error {err:.3g}")
            worst.append(value + err)
            family.append("softmax net")
            evals += xs.size
    extremal = []
    for sigma in (0.2, 1.3):  # f_a = 1{|z| > 1}, f_b = 1{|z| <= 1}
        q, _ = quad_second_derivative(Piecewise((-sigma, sigma), (1.0, -1.0, 1.0)), 0.0, sigma, (-sigma, sigma))
        extremal.append(q)
        evals += 1
    return HessianSample(tuple(family), np.asarray(worst), np.asarray(extremal), tuple(errors), evals)


def _thm2_margin(profile, seed, kappa_fn=lambda s: sm.margin_smoothness_constant(s)):
    kappa = float(kappa_fn(1.0))
    return _bound_outcome(_margins_1d(profile, seed), kappa, 2 * KAPPA_TIGHT, "margins f_a - f_b in 1-D")


# --- Proposition B.4 -------------------------------------------------------------------------------


def _propB4(profile, seed, claimed=None, universal_upper=False, literal_iff=False):
    """The step's smoothed g has ``sup |g''| = phi(1)/sigma^2``, attained at x = -sigma (quadrature), and the
    best universal constant is 2 phi(1)/sigma^2 > it (the extremal function): a lower bound only."""
    rng = numpy_stream(seed, "propB4")
    claim = float(sm.step_smoothness_lower_bound(1.0)) if claimed is None else claimed
    problems, evals = [], 0
    for sigma in np.exp(rng.uniform(np.log(0.1), np.log(3), instance_count(profile, 6))):
        step = Piecewise((0.0,), (0.0, 1.0))
        xs = np.linspace(-8 * sigma, 8 * sigma, 4001)
        grid_max = float(np.abs(piecewise_second_derivative(step, xs, sigma)).max()) * sigma**2
        at, err = quad_second_derivative(step, -sigma, sigma, (0.0,))
        evals += xs.size + 1
        if abs(at - claim) > 1e-9 + err or grid_max > claim * (1 + 1e-9):
            problems.append(f"sigma={sigma:.3g}: step g''(-sigma) sigma^2 = {at:.9g}, grid max {grid_max:.9g} vs {claim:.9g}")
    extremal = _hessians_1d(profile, seed, False).extremal.max()
    if universal_upper and extremal > claim * (1 + 1e-9):
        problems.append(f"the extremal function reaches {extremal:.6g} > {claim:.6g}: not a universal upper bound")
    if not universal_upper and not extremal > claim * 1.5:
        problems.append("the extremal function does not exceed the step's value")
    if literal_iff:  # 'every smoothed g needs beta >= phi(1)/sigma^2': a constant f has g'' = 0
        const, _ = quad_second_derivative(lambda t: 0.3, 0.0, 1.0)
        if abs(const) < claim:
            problems.append(f"constant f: sup |g''| = {abs(const):.2g} < {claim:.6g}")
    detail = (f"{instance_count(profile, 6)} sigmas: step attains {claim:.9g} at x = -sigma; "
              f"extremal/step = {extremal / claim:.6g}")
    return outcome(problems, evals, 0.0, detail)


# =====================================================================================================
# Linear members: Lemma A.1, Proposition C.1 and Definition 5
# =====================================================================================================


@dataclass(frozen=True)
class Partition:
    """A linear member: class ``labels[k]`` on the k-th interval of ``u.x`` cut at ``edges``.

    Its smoothed probabilities are closed form (Phi of signed distances) and depend on ``u.x`` only."""

    direction: np.ndarray
    edges: np.ndarray
    labels: np.ndarray
    n_classes: int

    def probabilities_t(self, t, sigma):
        t = np.asarray(t, dtype=float)
        cdf = norm.cdf((self.edges - t[..., None]) / sigma)
        parts = np.diff(np.concatenate([np.zeros(t.shape + (1,)), cdf, np.ones(t.shape + (1,))], axis=-1), axis=-1)
        return np.clip(parts @ np.eye(self.n_classes)[self.labels], 0.0, 1.0)

    def probabilities(self, x, sigma):
        return self.probabilities_t(np.asarray(x) @ self.direction, sigma)


def random_partition(rng, d, n_classes, max_edges, sigma, direction=None):
    k = int(rng.integers(1, max_edges + 1))
    edges = np.sort(rng.uniform(-2.5, 2.5, k)) * sigma
    if np.any(np.diff(edges) < 1e-3 * sigma):
        edges = np.linspace(-2, 2, k) * sigma
    labels = rng.integers(0, n_classes, k + 1)
    u = _unit(rng.normal(size=d)) if direction is None else direction
    return Partition(u, edges, labels, n_classes)


def _top_two(p):
    s = np.sort(p, axis=-1)
    return s[..., -1], s[..., -2]


def _partition_min_margin(member: Partition, y0: int, t0: float, reach: float, sigma: float) -> float:
    """min over ``|s| <= reach`` of ``p_y0 - max_{y != y0} p_y`` at ``t0 + s`` (grid, then a local refinement)."""
    def margin(t):
        p = member.probabilities_t(t, sigma)
        other = np.delete(p, y0, axis=-1).max(axis=-1)
        return p[..., y0] - other

    ts = t0 + np.linspace(-reach, reach, 4001)
    vals = margin(ts)
    i = int(np.argmin(vals))
    lo, hi = ts[max(i - 1, 0)], ts[min(i + 1, ts.size - 1)]
    if hi > lo:
        res = optimize.minimize_scalar(lambda t: float(margin(np.array([t]))[0]), bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-13})
        return float(min(vals[i], res.fun))
    return float(vals[i])


def _lemA1(profile, seed, radius_fn=None):
    """Lemma A.1 on linear classifiers in d = 1-50: two-class half-spaces (the radius equals the distance D;
    the smoothed class flips just beyond it) and C-class parallel partitions (no flip inside the radius,
    searched along the worst direction, on which alone the probabilities depend)."""
    rng = numpy_stream(seed, "lemA1")
    radius_fn = radius_fn or (lambda pa, pb, s, p: sm.cohen_radius(pa, pb, s))
    problems, ratios, count = [], [], instance_count(profile, 2)
    for i in range(count):
        d = int(rng.integers(1, 51))
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(3))))
        if i % 3 == 0 or i == 0:
            dist = rng.uniform(0.01, 4) * sigma if i else 0.5 * sigma
            member = Partition(_unit(rng.normal(size=d)), np.array([0.0]), np.array([1, 0]), 2)
            t0 = -dist  # class 0 on t < 0
        else:
            member = random_partition(rng, d, int(rng.integers(3, 11)), 6, sigma)
            t0 = float(rng.uniform(-2, 2) * sigma)
        p = member.probabilities_t(t0, sigma)
        y0 = int(np.argmax(p))
        pa, pb = _top_two(p)
        r = float(radius_fn(pa, pb, sigma, p))
        if not r > 0:
            continue
        reach = min(r, 12 * sigma) * (1 - 1e-7)
        worst = _partition_min_margin(member, y0, t0, reach, sigma)
        if worst < -1e-12:
            problems.append(f"C={member.n_classes}: flips within {reach:.6g} < radius {r:.6g} (margin {worst:.3g})")
        if member.n_classes == 2 and r < 6 * sigma:  # tight: flips just beyond
            beyond = _partition_min_margin(member, y0, t0, r * (1 + 1e-6) + 1e-12, sigma)
            ratios.append(beyond < 0)
    tight = f"{sum(ratios)}/{len(ratios)} two-class instances flip just beyond the radius"
    if ratios and not all(ratios) and not problems:
        problems.append("a two-class radius is not tight: " + tight)
    detail = f"{count} linear classifiers (d 1-50, C 2-10); {tight}"
    return outcome(problems, count, 0.0, detail)


@dataclass(frozen=True)
class OrthogonalVote:
    """N one-hot linear members on orthogonal coordinates: member j says ``above[j]`` if x_j > b_j, else
    ``below[j]``; the WE vote (weights w, first index on ties) has exact class probabilities under noise
    (a sum over the 2^N patterns of products of Phi's)."""

    b: np.ndarray
    above: np.ndarray
    below: np.ndarray
    weights: np.ndarray
    n_classes: int

    @functools.cached_property
    def winners(self) -> np.ndarray:
        n = self.b.size
        pats = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
        labels = np.where(pats == 1, self.above, self.below)
        votes = np.zeros((2**n, self.n_classes))
        np.add.at(votes, (np.repeat(np.arange(2**n), n), labels.ravel()), np.tile(self.weights, 2**n))
        return pats, np.argmax(votes, axis=1)

    def vote_probabilities(self, x, sigma):
        pats, win = self.winners
        q = norm.cdf((np.asarray(x)[..., : self.b.size] - self.b) / sigma)
        prob = np.prod(np.where(pats == 1, q[..., None, :], 1 - q[..., None, :]), axis=-1)
        return prob @ np.eye(self.n_classes)[win]

    def member_confidences(self, x):
        """One-hot confidences of the members at points x: (..., N, C)."""
        labels = np.where(np.asarray(x)[..., : self.b.size] > self.b, self.above, self.below)
        return np.eye(self.n_classes)[labels]

    @property
    def size(self) -> int:
        return int(self.b.size)


def _random_vote(rng, n, c, sigma):
    above = rng.integers(0, c, n)
    below = (above + rng.integers(1, c, n)) % c
    return OrthogonalVote(rng.normal(0, 1, n) * sigma, above, below, rng.uniform(0.2, 2, n), c)


def _vote_attack(ens: OrthogonalVote, x0, y0, rho, sigma, rng) -> tuple[float, float]:
    """min over the sphere ``|delta| = rho`` (and half of it) of ``p_y0`` and of the EBS margin, searched from
    coordinate directions, the negative gradient and random starts by L-BFGS on the sphere."""
    n = ens.size

    def point(v, scale):
        x = x0.copy()
        x[:n] += scale * v / max(np.linalg.norm(v), 1e-300)
        return x

    def p_y0(v, scale=rho):
        return float(ens.vote_probabilities(point(v, scale), sigma)[y0])

    eye = np.eye(n)
    grad = np.array([p_y0(e, 1e-6) - p_y0(-e, 1e-6) for e in eye])
    starts = np.array([*eye, *(-eye), -grad if np.linalg.norm(grad) > 0 else eye[0], *rng.normal(size=(3, n))])
    # screen the starts on the sphere and at half the radius, then refine the three lowest by L-BFGS
    probs = ens.vote_probabilities(x0 + np.pad(rho * starts / np.linalg.norm(starts, axis=1, keepdims=True),
                                               ((0, 0), (0, x0.size - n))), sigma)
    half = ens.vote_probabilities(x0 + np.pad(rho / 2 * starts / np.linalg.norm(starts, axis=1, keepdims=True),
                                              ((0, 0), (0, x0.size - n))), sigma)
    margins = lambda q: q[..., y0] - np.delete(q, y0, axis=-1).max(axis=-1)  # noqa: E731
    best_p, best_margin = float(probs[:, y0].min()), float(min(margins(probs).min(), margins(half).min()))
    for k in np.argsort(probs[:, y0])[:3]:
        res = optimize.minimize(lambda v: p_y0(v), starts[k], method="L-BFGS-B", options={"maxiter": 40})
        q = ens.vote_probabilities(point(res.x, rho), sigma)
        best_p, best_margin = min(best_p, float(q[y0])), min(best_margin, float(margins(q)))
    return best_p, best_margin


def _propC1(profile, seed, factor=1.0):
    """Proposition C.1: the EBS classifier of a WE of one-hot linear members is ``sigma Phi^{-1}(p)``-robust.

    Exact vote probabilities; the attack must neither flip the prediction within the radius nor push
    ``p_y0(x0 + delta)`` below ``Phi(Phi^{-1}(p) - |delta|/sigma)`` (the Lipschitz property behind it)."""
    rng = numpy_stream(seed, "propC1")
    count = instance_count(profile, 5)
    problems, certified = [], 0
    for i in range(count):
        n = 1 if i == 0 else int(rng.integers(1, 7))
        c = int(rng.integers(2, 5))
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(2))))
        ens = _random_vote(rng, n, c, sigma)
        d = n + int(rng.integers(0, 5))
        x0 = rng.normal(0, 1, d) * sigma
        if i == 0:
            x0[0] = ens.b[0] + 0.7 * sigma
        probs = ens.vote_probabilities(x0, sigma)
        y0 = int(sm.ebs_predict(probs))
        r = float(sm.ebs_certified_radius(probs[y0], sigma)) * factor
        if not (r > 0 and np.isfinite(r)):
            continue
        certified += 1
        rho = r * (1 - 1e-7)
        low_p, low_margin = _vote_attack(ens, x0, y0, rho, sigma, rng)
        floor = norm.cdf(norm.ppf(probs[y0]) - rho / sigma)
        if low_margin < -1e-12:
            problems.append(f"N={n}: the EBS prediction flips within {rho:.4g} (radius {r:.4g})")
        if low_p < floor - 1e-10:
            problems.append(f"N={n}: p_y0 = {low_p:.6g} below Phi(Phi^-1(p) - |delta|/sigma) = {floor:.6g}")
    detail = f"{count} EBS ensembles (N 1-6, C 2-4, exact vote probabilities), {certified} with a positive radius"
    return outcome(problems, count, 0.0, detail)


def _def5(profile, seed, vote_fn=None, predict_fn=None):
    """Definition 5: the EBS vote probability of hard votes (theory's estimator on Monte-Carlo noise) is the
    exact ``P(M(x + eps) = j)``; two-sided Clopper-Pearson per class, Bonferroni over instances and classes.
    The EBS prediction of the exact probabilities is their argmax."""
    rng = numpy_stream(seed, "def5")
    vote_fn = vote_fn or sm.ebs_vote_probability
    predict_fn = predict_fn or sm.ebs_predict
    count = instance_count(profile, 6)
    ensembles = [OrthogonalVote(np.zeros(3), np.array([1, 1, 1]), np.array([0, 0, 0]), np.ones(3), 2)]
    x_first = np.full(3, norm.ppf(0.6))  # each member votes 1 with 0.6: the vote says 1 with 0.648
    for _ in range(count - 1):
        ensembles.append(_random_vote(rng, int(rng.integers(2, 7)), int(rng.integers(2, 5)), 1.0))
    tests = sum(e.n_classes for e in ensembles)
    level = FALSE_ALARM / (2 * tests)
    n = profile.samples
    problems = []
    for i, ens in enumerate(ensembles):
        x0 = x_first if i == 0 else rng.normal(0, 1, ens.size)
        exact = ens.vote_probabilities(x0, 1.0)
        conf = ens.member_confidences(x0 + rng.normal(0, 1.0, (n, ens.size)))
        est = vote_fn(conf, ens.weights)
        k = np.rint(est * n).astype(int)
        for j in range(ens.n_classes):
            lo = float(sm.clopper_pearson_lower(k[j], n, level))
            hi = float(sm.clopper_pearson_upper(k[j], n, level))
            if not lo <= exact[j] <= hi:
                problems.append(f"ensemble {i}, class {j}: exact {exact[j]:.5f} outside [{lo:.5f}, {hi:.5f}]")
        if int(predict_fn(exact)) != int(np.argmax(exact)):
            problems.append(f"ensemble {i}: EBS prediction {int(predict_fn(exact))} != argmax {int(np.argmax(exact))}")
    detail = f"{len(ensembles)} WE ensembles x {n} noise draws, {tests} class probabilities"
    return outcome(problems, n * len(ensembles), FALSE_ALARM, detail)


# =====================================================================================================
# Corollaries 2-3: soft-smoothed band members along one direction
# =====================================================================================================


def _band_margins(lows, highs, flips, t, sigma):
    """Members' smoothed margins ``2 g_j - 1`` at positions t along the common direction, and d/dt.

    Member j's confidence of y0 is ``1[low_j, high_j]`` (``1 - `` that when flips[j]); shape (..., N)."""
    t = np.asarray(t, dtype=float)[..., None]
    g = norm.cdf((highs - t) / sigma) - norm.cdf((lows - t) / sigma)
    dg = (norm.pdf((lows - t) / sigma) - norm.pdf((highs - t) / sigma)) / sigma
    sign = np.where(flips, -1.0, 1.0)
    return sign * (2 * g - 1), sign * 2 * dg


def band_margin_radius_bracket(lows, highs, flips, weights, sigma, t0=0.0, reach=None) -> tuple[float, float]:
    """Rigorous bracket ``[lower, upper]`` of the true radius of the WE margin ``sum_j w_j m_j`` at t0.

    The margin is Lipschitz with ``L = 2 phi(0)/sigma sum w`` (each band's |g'| <= phi(0)/sigma); on a grid of
    step h it stays positive up to the first cell with ``(M_k + M_{k+1})/2 <= L h/2`` (lower bound); the
    first sign change, refined by ``brentq``, is an upper bound (``inf`` when none within ``reach``)."""
    weights = np.asarray(weights, dtype=float)
    reach = reach or (12 * sigma + np.max(np.abs(np.concatenate([lows, highs])[np.isfinite(np.concatenate([lows, highs]))]),
                                            initial=0.0))
    h = sigma * 5e-4
    lip = 2 * norm.pdf(0.0) / sigma * weights.sum()
    s = np.arange(0.0, reach + h, h)
    lower, upper = np.inf, np.inf
    for sign in (1.0, -1.0):
        m = _band_margins(lows, highs, flips, t0 + sign * s, sigma)[0] @ weights
        cells = np.nonzero((m[:-1] + m[1:]) / 2 <= lip * h / 2)[0]
        lower = min(lower, s[cells[0]] if cells.size else s[-1])
        neg = np.nonzero(m < 0)[0]
        if neg.size:
            k = neg[0]
            fun = lambda v: float(_band_margins(lows, highs, flips, np.array([t0 + sign * v]), sigma)[0][0] @ weights)  # noqa: E731
            a, b = s[k - 1], s[k]
            # one point and a grid round differently: where the margin is 0 to rounding at a grid point
            # (members that cancel), the scalar value may not change sign on the cell; that point is the root
            if fun(a) <= 0:
                root = a
            elif fun(b) >= 0:
                root = b
            else:
                root = optimize.brentq(fun, a, b, xtol=1e-14)
            upper = min(upper, root)
    return lower, upper


def _band_instance(rng, n, sigma):
    lows = rng.uniform(-3, -0.05, n) * sigma
    highs = lows + rng.uniform(0.2, 5, n) * sigma
    half = rng.random(n) < 0.3  # half-spaces: members whose smoothed confidence is Phi of an affine function
    highs = np.where(half, np.inf, highs)
    flips = rng.random(n) < 0.2
    return lows, highs, flips, rng.uniform(0.1, 2, n)


@functools.lru_cache(maxsize=8)
def _band_ensembles(profile: Profile, seed: int, n_members: int):
    """Random soft-smoothed band/half-space ensembles with their margins, gradients and radius brackets; the
    first is the extremal band (y0 inside (-sigma, sigma): margin Hessian -2 beta* at the centre)."""
    rng = numpy_stream(seed, f"cor23-{n_members}")
    out = []
    for i in range(instance_count(profile, 3)):
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(2))))
        n = n_members or int(rng.integers(1, 11))
        if i == 0:
            lows, highs, flips, w = np.full(n, -sigma), np.full(n, sigma), np.zeros(n, bool), np.ones(n)
        else:
            lows, highs, flips, w = _band_instance(rng, n, sigma)
        if n_members == 2:
            w = np.ones(2)
        m, dm = _band_margins(lows, highs, flips, np.array(0.0), sigma)
        if m @ w <= 0:
            continue
        u = _unit(rng.normal(size=int(rng.integers(1, 51))))
        grads = dm[:, None] * u  # (N, d): member j's margin gradient is m_j'(t) u
        out.append((sigma, m, grads, w, *band_margin_radius_bracket(lows, highs, flips, w, sigma)))
    return out


def _cor23(profile, seed, n_members, suff_fn, nec_fn, beta_scale=1.0):
    """Sufficient condition at r => r <= true radius (upper end of the bracket); r < true radius (lower end)
    => necessary condition; on random band/half-space ensembles in d = 1-50 (along one direction, so the
    gradient norm is |d/dt| and the radius is the 1-D one) and the extremal band, pinned."""
    problems, tested = [], 0
    ensembles = _band_ensembles(profile, seed, n_members)
    for i, (sigma, m, grads, w, lower, upper) in enumerate(ensembles):
        beta = float(sm.smoothness_constant_tight(sigma)) * beta_scale
        rs = np.concatenate([np.linspace(0.005, 4, 80) * sigma, [lower * (1 - 1e-9), upper * (1 + 1e-7)]])
        for r in rs[np.isfinite(rs) & (rs > 0)]:
            tested += 1
            if suff_fn(grads, m, w, r, sigma, beta) and r > upper * (1 + 1e-9):
                problems.append(f"instance {i}: sufficient at r = {r:.5g} > true radius <= {upper:.5g}")
                break
            if r < lower and not nec_fn(grads, m, w, r, sigma, beta):
                problems.append(f"instance {i}: r = {r:.5g} < true radius >= {lower:.5g} but the necessary "
                                "condition fails")
                break
    detail = f"{len(ensembles)} soft-smoothed ensembles, {tested} radii tested against rigorous radius brackets"
    return outcome(problems, tested, 0.0, detail)


def _cor2_condition(sign):
    """Corollary 2 with ``- beta r sum w`` (sign -1: sufficient) or ``+`` (sign +1: necessary)."""
    f = sm.cor2_sufficient if sign < 0 else sm.cor2_necessary
    return lambda grads, m, w, r, sigma, beta: bool(f(grads, m, w, r, sigma, beta=beta))


def _cor3_condition(sign):
    """Corollary 3 with ``- 2 beta r`` (sign -1: sufficient) or ``+`` (sign +1: necessary)."""
    f = sm.cor3_sufficient if sign < 0 else sm.cor3_necessary
    return lambda grads, m, w, r, sigma, beta: bool(f(grads[0], grads[1], m[0], m[1], r, sigma, beta=beta))


def _cor23_run(n_members, condition, sufficient_sign=-1, necessary_sign=1, beta_scale=1.0):
    """Corollary 2 (``n_members=0``: 1-10 members) or 3 (2 members); the signs of the beta r term and the
    scale of beta perturb the statement."""
    return functools.partial(_cor23, n_members=n_members, suff_fn=condition(sufficient_sign),
                             nec_fn=condition(necessary_sign), beta_scale=beta_scale)


def _cor23_mutations(n_members, condition) -> tuple[Mutation, ...]:
    """Corollaries 2-3 perturbed: the tight beta halved, the sign of either condition's beta r term flipped."""
    return (Mutation("tight beta halved", _cor23_run(n_members, condition, beta_scale=0.5)),
            Mutation("sufficient with + (flipped)", _cor23_run(n_members, condition, sufficient_sign=1)),
            Mutation("necessary with - (flipped)", _cor23_run(n_members, condition, necessary_sign=-1)))


# =====================================================================================================
# Eq. (8): soft-smoothed WE versus the EBS vote probability
# =====================================================================================================


@dataclass(frozen=True)
class SoftmaxMembers:
    """Members with confidences ``softmax(A_j t + B_j)`` of one coordinate t (A, B of shape (N, C))."""

    A: np.ndarray
    B: np.ndarray
    weights: np.ndarray

    def we(self, t):
        t = np.asarray(t, dtype=float)[..., None, None]
        return np.einsum("...nc,n->...c", softmax(self.A * t + self.B, axis=-1), self.weights) / self.weights.sum()

    def members(self, t):
        return softmax(self.A * np.asarray(t, dtype=float)[..., None, None] + self.B, axis=-1)


def _soft_and_vote(ens: SoftmaxMembers, x, sigma):
    """Exact soft WE ``E f_WE(x + eps)`` (quad_vec of the members, combined by weights), its direct quadrature,
    and the vote probability (the argmax of f_WE changes at roots of class differences, found on a grid
    and refined by brentq; each piece contributes a Phi difference)."""
    def integrand(z):
        return ens.members(np.array(x + sigma * z)) * norm.pdf(z)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        g_members, err = integrate.quad_vec(integrand, -_SPAN, _SPAN, epsabs=1e-13, epsrel=1e-12)
        direct, err2 = integrate.quad_vec(lambda z: ens.we(np.array(x + sigma * z)) * norm.pdf(z), -_SPAN, _SPAN,
                                          epsabs=1e-13, epsrel=1e-12)
    soft = ens.weights @ g_members / ens.weights.sum()
    z = np.linspace(-_SPAN, _SPAN, 24001)
    win = np.argmax(ens.we(x + sigma * z), axis=-1)
    cuts = [-np.inf]
    for k in np.nonzero(win[1:] != win[:-1])[0]:
        a, b = win[k], win[k + 1]
        fun = lambda v: float(np.diff(ens.we(np.array(x + sigma * v))[[b, a]])[0])  # noqa: E731
        cuts.append(optimize.brentq(fun, z[k], z[k + 1], xtol=1e-14) if fun(z[k]) * fun(z[k + 1]) < 0 else z[k])
    cuts.append(np.inf)
    labels = [win[0], *win[1:][win[1:] != win[:-1]]]
    vote = np.zeros(ens.A.shape[1])
    for lab, lo, hi in zip(labels, cuts[:-1], cuts[1:]):
        vote[lab] += norm.cdf(hi) - norm.cdf(lo)
    return soft, direct, vote, err + err2


def _eq8_instances(rng, count):
    out = []
    for c in (2, 3, 10):  # near the suprema: f = (1/C + e, ...) and (1/2 - e, 1/2 + e, ~0)
        e = 1e-4
        near = np.full(c, (1 - 1 / c - e) / (c - 1))
        near[0] = 1 / c + e
        out.append(SoftmaxMembers(np.zeros((1, c)), np.log(near)[None], np.ones(1)))
        loser = np.full(c, 1e-14)
        loser[0], loser[1] = 0.5 - e, 0.5 + e - (c - 2) * 1e-14
        out.append(SoftmaxMembers(np.zeros((1, c)), np.log(loser)[None], np.ones(1)))
    out.append(SoftmaxMembers(np.array([[0.0, 0.0], [3.0, -3.0]]), np.array([[0.0, 1.0], [0.0, 0.0]]),
                              np.array([3.0, 1.0])))  # unequal weights, unequal members
    for _ in range(count):
        n, c = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        out.append(SoftmaxMembers(rng.normal(0, 3, (n, c)), rng.normal(0, 1, (n, c)), rng.uniform(0.1, 2, n)))
    return out


@functools.lru_cache(maxsize=4)
def _eq8_data(profile: Profile, seed: int):
    rng = numpy_stream(seed, "eq8")
    rows = []
    for ens in _eq8_instances(rng, instance_count(profile, 4)):
        sigma = float(np.exp(rng.uniform(np.log(0.2), np.log(2))))
        x = float(rng.normal())
        rows.append((ens, x, sigma, *_soft_and_vote(ens, x, sigma)))
    return rows


def _eq8(profile, seed, up_scale=1.0, down_scale=1.0, weighted=True, approx=None):
    """Eq. (8): ``E f_WE(x + eps) = sum_j w_j g_j/|w|`` exactly (quadrature, and theory's
    ``soft_we_confidence`` on Monte-Carlo noise within a Hoeffding interval), and the vote probability
    differs from it by less than ``1 - 1/C`` above and ``1/2`` below (suprema approached by pinned cases)."""
    rng = numpy_stream(seed, "eq8-mc")
    rows = _eq8_data(profile, seed)
    problems, gaps_up, gaps_down = [], [], []
    n = max(2000, profile.samples // 4)
    tests = sum(len(r[3]) for r in rows)
    hw = hoeffding_halfwidth(n, 1.0, FALSE_ALARM / tests)
    for i, (ens, x, sigma, soft, direct, vote, err) in enumerate(rows):
        c = soft.size
        if np.abs(soft - direct).max() > 1e-9 + err:
            problems.append(f"instance {i}: soft WE {soft} != direct quadrature {direct}")
        t = x + sigma * rng.standard_normal(n)
        conf = ens.members(t)
        w = ens.weights if weighted else np.ones_like(ens.weights)
        est = sm.soft_we_confidence(conf, w)
        if np.abs(est - soft).max() > hw:
            problems.append(f"instance {i}: soft_we_confidence {est.round(4)} vs exact {soft.round(4)} (+-{hw:.3g})")
        up, down = sm.ebs_soft_gap_bounds(c)
        up, down = up * up_scale, down * down_scale
        if approx is not None:
            up = down = approx
        gap = vote - soft
        gaps_up.append(gap.max() / (1 - 1 / c))
        gaps_down.append(-gap.min() / 0.5)
        if gap.max() >= up or -gap.min() >= down:
            problems.append(f"instance {i} (C={c}): vote - soft in [{gap.min():.5f}, {gap.max():.5f}] "
                            f"not inside (-{down:.4g}, {up:.4g})")
    detail = (f"{len(rows)} soft ensembles ({n} noise draws each for the estimator); largest gaps: "
              f"{max(gaps_up):.5f} of 1 - 1/C above, {max(gaps_down):.5f} of 1/2 below")
    return outcome(problems, n * len(rows), FALSE_ALARM, detail)


# =====================================================================================================
# Registry
# =====================================================================================================


_B4 = float(sm.step_smoothness_lower_bound(1.0))

CHECKS = [
    Check("thm2-tight", "thm2_tight_1d_quadrature",
          "closed forms (phi') for steps/intervals/piecewise constants checked against quad; quad with error "
          "estimates for sigmoids and sigmoid networks; extremal 1{|t - c| > sigma} and its complement",
          "(beyond the paper) best constant not stated", "sup_f sup|u^T H u| = 2 phi(1)/sigma^2, attained",
          _thm2_tight_1d,
          (mutation("tight constant x 0.9", _thm2_tight_1d, scale=0.9),
           mutation("Prop. B.4's phi(1)/sigma^2 as the universal constant", _thm2_tight_1d, scale=0.5))),
    Check("thm2-tight", "thm2_tight_2d_exact",
          "box Hessians in closed form; balls, half-spaces, extremal bands by quad_vec over t1 of closed-form "
          "t2-integrals; 2-D sigmoid networks by composite Gauss-Legendre (order 10 vs 16 error estimate)",
          "(beyond the paper)", "spectral norm of sigma^2 H_g <= 2 phi(1), attained by the band",
          _thm2_tight_2d, (mutation("tight constant x 0.9", _thm2_tight_2d, scale=0.9),)),
    Check("thm2-tight", "thm2_tight_stein_highdim",
          "Stein's identity in d = 10-100, Bernstein bound (variance <= 1/2) on the part Z^2 <= 25 plus the exact "
          "tail bound; exact values for half-spaces, boxes and the extremal function must be covered",
          "(beyond the paper)", "|sigma^2 u^T H u| <= 2 phi(1); the extremal function's interval covers 2 phi(1)",
          _thm2_tight_stein,
          (mutation("tight constant x 0.9", _thm2_tight_stein, scale=0.9),
           mutation("Prop. B.4's phi(1)/sigma^2 as an upper bound", _thm2_tight_stein, scale=0.5))),
    Check("thm2", "thm2_printed_constant_sound_and_loose",
          "as thm2_tight_1d_quadrature", "g is 2/sigma^2-smooth", "sound; the attained supremum is 2 phi(1)/sigma^2 "
          "(4.13x smaller)", _thm2_paper,
          (mutation("printed constant / 4.2 (below beta*)", _thm2_paper, constant=2 / 4.2),
           mutation("range [0, 1] dropped: values in [-3, 3]", _thm2_paper, low=-3.0, high=3.0))),
    Check("thm2-ab", "thm2_ab_quadrature",
          "closed forms and quad for functions with values in random [a, b]; extremal a + (b - a) 1{|t - c| > sigma}",
          "2(b - a)/sigma^2", "(b - a) 2 phi(1)/sigma^2, attained", _thm2_ab,
          (mutation("tight constant halved", _thm2_ab, scale=0.5),
           mutation("width (b - a) dropped", _thm2_ab, width_factor=lambda a, b: 1.0))),
    Check("thm2-margin", "thm2_margin_quadrature",
          "closed forms for piecewise-constant simplex pairs, quad for 3-class softmax networks; the extremal pair",
          "(used with beta = 2/sigma^2 per component)", "margin f_a - f_b: 4 phi(1)/sigma^2, attained",
          _thm2_margin,
          (mutation("one component's constant 2 phi(1)/sigma^2", _thm2_margin, kappa_fn=sm.smoothness_constant_tight),
           mutation("margin constant x 0.9", _thm2_margin, kappa_fn=lambda s: 0.9 * sm.margin_smoothness_constant(s)))),
    Check("propB4", "propB4_step_supremum",
          "closed form -x phi(x/sigma)/sigma^3 on a grid and quad at x = -sigma; the extremal function",
          "some g_f needs beta >= 1/(sqrt(2 pi e) sigma^2) (grouping garbled)", "the step attains phi(1)/sigma^2: a lower bound on the "
          "universal constant, which is 2 phi(1)/sigma^2", _propB4,
          (mutation("value doubled", _propB4, claimed=2 * _B4),
           mutation("as a universal upper bound", _propB4, universal_upper=True),
           mutation("literal 'iff' (every g needs it)", _propB4, literal_iff=True))),
    Check("lemA1", "lemA1_linear_classifiers",
          "closed-form smoothed probabilities of half-spaces and parallel partitions; grid + bounded minimisation "
          "along the worst direction", "r = sigma (Phi^-1(pA) - Phi^-1(pB)) (extraction)",
          "r = (sigma/2)(Phi^-1(pA) - Phi^-1(pB)), exact for two classes", _lemA1,
          (mutation("printed form (no 1/2)", _lemA1,
                    radius_fn=lambda pa, pb, s, p: sm.cohen_radius_printed(pa, pb, s)),
           mutation("p_B = smallest class probability (bound on the runner-up dropped)", _lemA1,
                    radius_fn=lambda pa, pb, s, p: sm.cohen_radius(pa, min(pb, p.min()), s)))),
    Check("propC1", "propC1_ebs_orthogonal_votes",
          "exact EBS vote probabilities (sum over 2^N patterns of products of Phi); L-BFGS attack on the sphere",
          "r = sigma Phi^-1(g_M(x0)_top)", "same; Phi^-1(p_y0) is (1/sigma)-Lipschitz", _propC1,
          (mutation("radius doubled", _propC1, factor=2.0),)),
    Check("cor2", "cor2_soft_we_bands",
          "closed-form smoothed margins/gradients of band and half-space members along one direction (d 1-50); "
          "true radius bracketed by a Lipschitz grid and brentq", "-+ 2 r/sigma^2 sum w_j",
          "-+ sqrt(2/(pi e)) r/sigma^2 sum w_j", _cor23_run(0, _cor2_condition), _cor23_mutations(0, _cor2_condition)),
    Check("cor3", "cor3_soft_mme_pairs",
          "as cor2 with two members (2-class MME predicts y0 iff m_1 + m_2 > 0)", "-+ 4 r/sigma^2",
          "-+ 2 sqrt(2/(pi e)) r/sigma^2", _cor23_run(2, _cor3_condition), _cor23_mutations(2, _cor3_condition)),
    Check("eq8", "eq8_soft_vs_vote",
          "quad_vec of softmax members; vote probability from brentq-refined switch points; Hoeffding interval "
          "for theory's estimator", "g_M(x) ~ gbar(x)", "gbar exact; -1/2 <= g_M - gbar <= 1 - 1/C, attained at ties (first-index rule)",
          _eq8,
          (mutation("'~' read as |g_M - gbar| < 0.05", _eq8, approx=0.05),
           mutation("upper bound halved", _eq8, up_scale=0.5),
           mutation("lower bound halved", _eq8, down_scale=0.5),
           mutation("weights dropped", _eq8, weighted=False))),
    Check("def5", "def5_ebs_vote_probability",
          "exact vote probabilities of one-hot linear members on orthogonal coordinates; Clopper-Pearson",
          "G = argmax_j P(M(x + eps) = j)", "same", _def5,
          (mutation("soft WE confidence instead of the vote", _def5, vote_fn=sm.soft_we_confidence),
           mutation("argmin instead of argmax", _def5, predict_fn=lambda p: np.argmin(p, axis=-1)))),
]
