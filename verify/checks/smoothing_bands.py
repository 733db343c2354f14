"""Corollaries 2-3 (``cor2``, ``cor3``): soft-smoothed band members along one direction.

The true radius of a 1-D margin is bracketed rigorously (:func:`band_margin_radius_bracket`: a Lipschitz grid
gives a lower bound, a sign change refined by ``brentq`` an upper bound) and compared with the corollaries'
sufficient and necessary conditions.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import optimize
from scipy.stats import norm

from drt_min.seeding import numpy_stream
from theory import smoothing as sm

from . import Mutation, Profile
from ._common import instance_count, outcome
from .smoothing_hessians import unit

__all__ = ["band_margin_radius_bracket"]

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
        u = unit(rng.normal(size=int(rng.integers(1, 51))))
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


def cor2_condition(sign):
    """Corollary 2 with ``- beta r sum w`` (sign -1: sufficient) or ``+`` (sign +1: necessary)."""
    f = sm.cor2_sufficient if sign < 0 else sm.cor2_necessary
    return lambda grads, m, w, r, sigma, beta: bool(f(grads, m, w, r, sigma, beta=beta))


def cor3_condition(sign):
    """Corollary 3 with ``- 2 beta r`` (sign -1: sufficient) or ``+`` (sign +1: necessary)."""
    f = sm.cor3_sufficient if sign < 0 else sm.cor3_necessary
    return lambda grads, m, w, r, sigma, beta: bool(f(grads[0], grads[1], m[0], m[1], r, sigma, beta=beta))


def cor23_run(n_members, condition, sufficient_sign=-1, necessary_sign=1, beta_scale=1.0):
    """Corollary 2 (``n_members=0``: 1-10 members) or 3 (2 members); the signs of the beta r term and the
    scale of beta perturb the statement."""
    return functools.partial(_cor23, n_members=n_members, suff_fn=condition(sufficient_sign),
                             nec_fn=condition(necessary_sign), beta_scale=beta_scale)


def cor23_mutations(n_members, condition) -> tuple[Mutation, ...]:
    """Corollaries 2-3 perturbed: the tight beta halved, the sign of either condition's beta r term flipped."""
    return (Mutation("tight beta halved", cor23_run(n_members, condition, beta_scale=0.5)),
            Mutation("sufficient with + (flipped)", cor23_run(n_members, condition, sufficient_sign=1)),
            Mutation("necessary with - (flipped)", cor23_run(n_members, condition, necessary_sign=-1)))
