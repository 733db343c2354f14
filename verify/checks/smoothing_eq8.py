"""Eq. (8) (``eq8``): the soft-smoothed Weighted Ensemble against the EBS vote probability, on softmax members
whose smoothed probabilities are computed by quadrature and by Monte-Carlo (Hoeffding bounds).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize
from scipy.special import softmax
from scipy.stats import norm

from drt_min.seeding import numpy_stream
from theory import smoothing as sm
from verify.stats import FALSE_ALARM, hoeffding_halfwidth

from . import Profile
from ._common import instance_count, outcome
from .smoothing_hessians import SPAN

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
        g_members, err = integrate.quad_vec(integrand, -SPAN, SPAN, epsabs=1e-13, epsrel=1e-12)
        direct, err2 = integrate.quad_vec(lambda z: ens.we(np.array(x + sigma * z)) * norm.pdf(z), -SPAN, SPAN,
                                          epsabs=1e-13, epsrel=1e-12)
    soft = ens.weights @ g_members / ens.weights.sum()
    z = np.linspace(-SPAN, SPAN, 24001)
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


def eq8(profile, seed, up_scale=1.0, down_scale=1.0, weighted=True, approx=None):
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
