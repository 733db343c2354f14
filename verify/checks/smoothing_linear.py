"""Linear members: Lemma A.1 (``lemA1``), Proposition C.1 (``propC1``) and Definition 5 (``def5``).

Members are partitions along one direction (:class:`Partition`) or half-spaces in orthogonal coordinates
(:class:`OrthogonalVote`): their smoothed probabilities are Phi of signed distances, or exact sums over the 2^N
vote patterns; perturbations are searched along the worst directions and by local optimisation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.stats import norm

from drt_min.seeding import numpy_stream
from theory import smoothing as sm
from verify.stats import FALSE_ALARM

from ._common import instance_count, outcome
from .smoothing_hessians import unit

__all__ = ["Partition", "random_partition", "OrthogonalVote"]

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
    u = unit(rng.normal(size=d)) if direction is None else direction
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


def lemA1(profile, seed, radius_fn=None):
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
            member = Partition(unit(rng.normal(size=d)), np.array([0.0]), np.array([1, 0]), 2)
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


def propC1(profile, seed, factor=1.0):
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


def def5(profile, seed, vote_fn=None, predict_fn=None):
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
