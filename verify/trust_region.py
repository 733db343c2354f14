"""Exact minimum of a quadratic over an L2 ball (the trust-region subproblem) and exact robust radii.

For ``q(x) = c + g^T x + x^T H x / 2`` with symmetric ``H``, the minimum over ``||x||_2 <= r`` is found to
machine precision from the eigendecomposition ``H = Q diag(lam) Q^T``: the minimiser is
``x(mu) = -(H + mu I)^{-1} g`` with ``mu >= max(0, -lam_min)`` and ``mu (r - ||x(mu)||) = 0``
(Moré and Sorensen, 1983), including the "hard case" where ``g`` has no component along the eigenvectors
of ``lam_min``. The secular equation ``1/r - 1/||x(mu)|| = 0`` is monotone in ``mu`` and solved by
:func:`scipy.optimize.brentq`.

Base models whose confidence margins are such quadratics have a known smoothness constant (the spectral
norm of ``H``), so the true robust radius of Definition 1 is available exactly:
:func:`quadratic_robust_radius` is the distance from the origin to the set ``{q <= 0}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

__all__ = ["BallMinimum", "minimize_quadratic_on_ball", "quadratic_robust_radius", "min_robust_radius"]

_REL_TOL = 1e-12


@dataclass(frozen=True)
class BallMinimum:
    """Minimum value and a minimiser of a quadratic over a ball."""

    value: float
    argmin: np.ndarray


def _check(c, g, H):
    g = np.asarray(g, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    if g.ndim != 1 or H.shape != (g.size, g.size):
        raise ValueError(f"need g of shape (d,) and H of shape (d, d), got {g.shape} and {H.shape}")
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(H)) and np.isfinite(c)):
        raise ValueError("c, g and H must be finite")
    if not np.allclose(H, H.T, atol=1e-12 * max(1.0, np.abs(H).max())):
        raise ValueError("H must be symmetric")
    return float(c), g, (H + H.T) / 2


def minimize_quadratic_on_ball(c, g, H, r) -> BallMinimum:
    """``min_{||x||_2 <= r} c + g^T x + x^T H x / 2`` exactly, with a minimiser."""
    c, g, H = _check(c, g, H)
    if not np.isfinite(r) or r < 0:
        raise ValueError(f"radius must be finite and >= 0, got {r!r}")
    if r == 0:
        return BallMinimum(c, np.zeros_like(g))
    lam, Q = linalg.eigh(H)
    gt = Q.T @ g
    scale = max(1.0, np.abs(lam).max(), np.linalg.norm(g))
    tol = _REL_TOL * scale
    mu_low = max(0.0, -lam[0])
    null = lam + mu_low <= tol  # eigen-directions where H + mu_low I is singular

    def step(mu: float) -> np.ndarray:
        return -gt / (lam + mu)

    def value(xt: np.ndarray) -> float:
        return c + float(gt @ xt) + 0.5 * float(np.sum(lam * xt**2))

    hard = not np.any(null) or np.all(np.abs(gt[null]) <= tol)
    if hard:
        xt = np.zeros_like(gt)
        xt[~null] = -gt[~null] / (lam[~null] + mu_low)
        norm_low = float(np.linalg.norm(xt))
        if norm_low <= r:
            if mu_low > 0:  # negative curvature: move to the boundary along the null space
                xt[np.argmax(null)] = np.sqrt(max(r**2 - norm_low**2, 0.0))
            return BallMinimum(value(xt), Q @ xt)
    # The minimiser is on the boundary with mu > mu_low: solve the secular equation.
    def secular(mu: float) -> float:
        with np.errstate(divide="ignore", over="ignore"):
            norm = float(np.linalg.norm(step(mu)))
        return 1.0 / r - (1.0 / norm if norm > 0 else np.inf)

    mu_high = mu_low + np.linalg.norm(g) / r + tol + 1.0
    while secular(mu_high) > 0:
        mu_high *= 2
    # Just above mu_low, H + mu I is positive definite and ||x(mu)|| > r (or infinite), so secular > 0.
    lo = np.nextafter(mu_low, np.inf)
    mu = optimize.brentq(secular, lo, mu_high, xtol=1e-15 * max(1.0, mu_high), rtol=4 * np.finfo(float).eps,
                         maxiter=500) if secular(lo) > 0 else lo
    xt = step(mu)
    xt *= r / np.linalg.norm(xt)  # remove the residual of the root find
    return BallMinimum(value(xt), Q @ xt)


def quadratic_robust_radius(c, g, H) -> float:
    """Distance from 0 to ``{x : c + g^T x + x^T H x / 2 <= 0}`` (``inf`` when the set is empty).

    With ``q`` a confidence margin and ``c = q(0) > 0`` this is the exact r of Definition 1: the margin
    stays positive on the open ball of that radius and vanishes on its boundary.
    """
    c, g, H = _check(c, g, H)
    if c <= 0:
        return 0.0
    lam = linalg.eigvalsh(H)
    if lam[0] > 0:
        x_star = -linalg.solve(H, g, assume_a="pos")
        if c + 0.5 * float(g @ x_star) > 0:  # global minimum positive: never crosses zero
            return np.inf
    elif lam[0] >= -_REL_TOL * max(1.0, np.abs(lam).max()) and np.linalg.norm(g) == 0:
        return np.inf

    def margin_at(r: float) -> float:
        return minimize_quadratic_on_ball(c, g, H, r).value

    hi = 1.0
    while margin_at(hi) > 0:
        hi *= 2
        if hi > 1e12:
            return np.inf
    return float(optimize.brentq(margin_at, 0.0, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))


def min_robust_radius(cs, gs, Hs) -> float:
    """Robust radius when several margins must stay positive: the minimum over them (Proposition B.2)."""
    return min(quadratic_robust_radius(c, g, H) for c, g, H in zip(cs, gs, Hs))
