"""Ground truth for Theorem 2: exact Hessians of Gaussian-smoothed functions ``g = f * N(0, sigma^2 I)``.

Closed forms through phi and Phi (piecewise-constant functions, products of intervals, half-spaces);
``scipy.integrate.quad``/``quad_vec`` with their error estimates (sigmoids, sigmoid networks in 1-D, balls and
bands in 2-D, where the inner integral along the second axis is closed form); composite Gauss-Legendre with an
order-doubling error estimate (sigmoid networks in 2-D, order 10 against 16 per panel); in d = 10-100, Stein's
identity ``sigma^2 u^T H u = E[(f - 1/2)(Z^2 - 1)]``, ``Z = u.eps/sigma``, split at ``Z^2 <= T`` into a bounded
part (Bernstein's inequality with the known variance bound 1/2) and a tail bounded exactly by
``E[(Z^2 - 1) 1{Z^2 > T}]/2 = sqrt(T) phi(sqrt(T))``. The checks that use them are in
:mod:`verify.checks.smoothing_theorem2`.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import integrate
from scipy.special import expit
from scipy.stats import norm

from drt_min.seeding import numpy_stream
from verify.stats import FALSE_ALARM

from . import Profile
from ._common import instance_count

__all__ = ["PHI1", "KAPPA_TIGHT", "Piecewise", "SigmoidNet1D", "HessianSample", "piecewise_second_derivative",
           "quad_second_derivative", "hessian_bound_1d", "hessian_2d_by_sections", "hessian_2d_smooth",
           "bernstein_halfwidth", "stein_interval"]


PHI1 = float(norm.pdf(1.0))
KAPPA_TIGHT = 2 * PHI1  # E[(Z^2 - 1)_+]: sigma^2 beta* for f in [0, 1]
SPAN = 12.0  # the kernel beyond 12 sigma weighs < 1e-30
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
    lo, hi = x - SPAN * sigma, x + SPAN * sigma
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
def hessians_1d(profile: Profile, seed: int, ranged: bool) -> HessianSample:
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
            val, err = integrate.quad_vec(integrand, x1 - SPAN * sigma, x1 + SPAN * sigma, epsabs=1e-12,
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


def unit(v):
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

        radial = unit(rng.normal(size=2))
        xs = [c, c + (r + sigma) * radial, c + max(r - sigma, 0) * radial, c + r * radial]
        return sections, (c[0] - r, c[0] + r), xs
    n = unit(rng.normal(size=2))
    if abs(n[1]) < 0.2:
        n = unit(n + np.array([0.0, 0.5]))
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
def hessians_2d(profile: Profile, seed: int) -> HessianSample:
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
    x, u = np.asarray(x, dtype=float), unit(u)
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
        n = unit(rng.normal(size=d))
        dist = rng.choice([-1.0, 1.0]) * sigma * rng.uniform(0.5, 1.5)
        u = n if rng.random() < 0.5 else unit(n + 0.5 * unit(rng.normal(size=d)))
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
        u = unit(u)
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
        radial = unit(rng.normal(size=d))
        x = c + (r + rng.uniform(-1, 1) * sigma) * radial
        return (lambda t: (np.linalg.norm(t - c, axis=1) <= r).astype(float)), x, radial, None
    if kind == "sigmoid_net":
        w = rng.normal(0, 1, (8, d)) / (sigma * np.sqrt(d)) * 3
        b, v = rng.normal(0, 1, 8), rng.normal(0, 3, 8)
        return (lambda t: expit(np.tanh(t @ w.T + b) @ v)), rng.normal(0, sigma, d), unit(w[0]), None
    u = unit(rng.normal(size=d))
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
def stein(profile: Profile, seed: int) -> SteinSample:
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
