"""Checks of the smoothing strategies EBS and EAS (Appendix C) against exact ground truth.

Statements (ledger ids): Definition 6 (``def6``), Theorem 5 (``thm5``) and Corollary 4 (``cor4-1``, ``cor4-2``,
``cor4-threshold``). Definition 5 and Proposition C.1 (EBS) are checked in verify/checks/smoothing.py.

Ground truth:

- Linear members (:class:`verify.checks.smoothing_linear.Partition`, partitions along one direction): smoothed
  probabilities are Phi of signed distances, so Definition 6 is evaluated by the letter and Theorem 5's radius
  is attacked in the span of the members' directions (along the members' normals, their sums and differences,
  random directions, then Nelder-Mead).
- Corollary 4: the EBS probability from the joint law of the two members' correctness, enumerated.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import optimize
from scipy.stats import norm

from drt_min.seeding import numpy_stream
from theory import strategies as sg

from . import Check
from ._common import instance_count, mutation, outcome
from .smoothing_linear import Partition, random_partition

__all__ = ["CHECKS", "eas_margin", "eas_attack", "cor4_truth"]


# =====================================================================================================
# Definition 6 and Theorem 5: EAS on linear members
# =====================================================================================================


def _def6_reference(probs):
    """Definition 6 by the letter: c = the first member with the largest top probability, y0 its first top class."""
    best, member = -1.0, 0
    for i, row in enumerate(probs):
        if row.max() > best:
            best, member = row.max(), i
    return member, int(np.argmax(probs[member]))


def _def6(profile, seed, reference=_def6_reference):
    """Definition 6: ``theory.strategies.eas_select`` against the definition by the letter, on pinned ties and
    random ensembles of linear members (closed-form smoothed probabilities)."""
    rng = numpy_stream(seed, "def6")
    cases = [np.array([[0.4, 0.4, 0.2], [0.1, 0.4, 0.5], [0.5, 0.5, 0.0]]),  # ties
             np.array([[0.6, 0.4], [0.3, 0.7], [0.35, 0.65]])]  # soft average says class 1, EAS says class 1 via B
    cases.append(np.array([[0.45, 0.55, 0.0], [0.9, 0.05, 0.05], [0.0, 0.45, 0.55]]))
    for _ in range(profile.instances):
        n, c, d = int(rng.integers(1, 11)), int(rng.integers(2, 11)), int(rng.integers(1, 51))
        sigma = float(np.exp(rng.uniform(np.log(0.1), np.log(3))))
        members = [random_partition(rng, d, c, 4, sigma) for _ in range(n)]
        x = rng.normal(0, sigma, d)
        cases.append(np.stack([m.probabilities(x, sigma) for m in members]))
    bad = [i for i, p in enumerate(cases) if tuple(map(int, sg.eas_select(p))) != reference(p)]
    problems = [f"eas_select differs from Definition 6 on {len(bad)} ensembles (first {bad[0]})"] if bad else []
    detail = f"{len(cases)} ensembles of linear members (N 1-10, C 2-10), ties pinned"
    return outcome(problems, len(cases), 0.0, detail)


# --- Theorem 5 -------------------------------------------------------------------------------------


def eas_margin(members, x, y0, sigma):
    """``max_i p_i(y0) - max_{i, y != y0} p_i(y)`` at points x: positive means EAS predicts y0."""
    p = np.stack([m.probabilities(x, sigma) for m in members], axis=-2)
    return p[..., y0].max(axis=-1) - np.delete(p, y0, axis=-1).max(axis=(-1, -2))


def eas_attack(members, y0, rho, sigma, rng, extra=(), refine: int = 2) -> float:
    """min of :func:`eas_margin` over ``|delta| <= rho``: the members depend on ``u_j.delta`` only, so the
    search runs in span{u_j}: along +-u_j, +-(u_j +- u_k), random directions, at 41 scales, then Nelder-Mead
    from the three worst points (kept inside the ball)."""
    u = np.stack([m.direction for m in members])
    basis = np.linalg.qr(u.T)[0][:, : min(len(members), u.shape[1])]
    coef = u @ basis
    dirs = [coef, -coef]
    if len(members) > 1:
        i, j = np.triu_indices(len(members), 1)
        dirs += [coef[i] + coef[j], coef[i] - coef[j], coef[j] - coef[i], -coef[i] - coef[j]]
    dirs += [rng.normal(size=(40, basis.shape[1])), *[np.atleast_2d(e @ basis) for e in extra]]
    dirs = np.concatenate(dirs)
    dirs = dirs[np.linalg.norm(dirs, axis=1) > 1e-12]
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    scales = np.linspace(0, 1, 41) * rho
    pts = (scales[:, None, None] * dirs[None]).reshape(-1, basis.shape[1])
    vals = eas_margin(members, pts @ basis.T, y0, sigma)
    best = float(vals.min())

    def inside(c):
        nrm = np.linalg.norm(c)
        return c if nrm <= rho else c * (rho / nrm)

    for k in np.argsort(vals)[:refine]:
        res = optimize.minimize(lambda c: float(eas_margin(members, inside(c) @ basis.T, y0, sigma)), pts[k],
                                method="Nelder-Mead", options={"maxiter": 150, "xatol": 1e-12, "fatol": 1e-14})
        best = min(best, float(res.fun))
    return best


def _eas_pinned(sigma):
    """The Theorem 5 counterexample (4 classes) and the example where the factor 1/2 is tight (2 classes)."""
    e1, e2 = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    a = Partition(e1, np.array([-sigma * norm.ppf(0.6)]), np.array([1, 0]), 4)
    b = Partition(e2, sigma * norm.ppf(np.cumsum([0.24, 0.26, 0.25])), np.array([0, 1, 2, 3]), 4)
    a2 = Partition(e1, np.array([-sigma * norm.ppf(0.9)]), np.array([1, 0]), 2)
    b2 = Partition(e1, np.array([sigma * norm.ppf(0.7)]), np.array([1, 0]), 2)
    return [[a, b], [a2, b2]]


def _thm5(profile, seed, radius_fn=None):
    """Theorem 5, corrected (and the sharper sound radius): EAS keeps its prediction on the open ball of the
    certified radius, found by :func:`eas_attack` on random linear ensembles (d 2-50, N 2-10, C 2-10) and on
    the pinned examples; on the 2-class pinned example it flips just beyond the radius (the 1/2 is tight)."""
    rng = numpy_stream(seed, "thm5")
    radius_fns = [radius_fn] if radius_fn else [sg.eas_certified_radius_from_probabilities, sg.eas_certified_radius_sharp]
    problems, certified = [], 0
    sigma0 = 0.8
    ensembles = [(m, np.zeros(2), sigma0) for m in _eas_pinned(sigma0)]
    for _ in range(instance_count(profile, 3)):
        n, c, d = int(rng.integers(2, 11)), int(rng.integers(2, 11)), int(rng.integers(2, 51))
        sigma = float(np.exp(rng.uniform(np.log(0.3), np.log(3))))
        members = [random_partition(rng, d, c, 3, sigma) for _ in range(n)]
        ensembles.append((members, rng.normal(0, 0.3, d) * sigma, sigma))
    for idx, (members, x0, sigma) in enumerate(ensembles):
        # translate so that x0 is the origin: member j's edges shift by u_j.x0
        shifted = [Partition(m.direction, m.edges - m.direction @ x0, m.labels, m.n_classes) for m in members]
        probs = np.stack([m.probabilities(np.zeros_like(x0), sigma) for m in shifted])
        _, y0 = sg.eas_select(probs)
        for fn in radius_fns:
            r = float(fn(probs, sigma))
            if not (r > 0):
                continue
            certified += 1
            rho = min(r, 10 * sigma) * (1 - 1e-7)
            worst = eas_attack(shifted, int(y0), rho, sigma, rng)
            if worst < -1e-12:
                problems.append(f"ensemble {idx} ({getattr(fn, '__name__', 'radius')}): flips within {rho:.5g} "
                                f"< radius {r:.5g}")
        if idx == 1 and radius_fn is None:  # the factor 1/2 is tight: a flip just beyond the radius
            r = float(sg.eas_certified_radius_from_probabilities(probs, sigma))
            if not eas_attack(shifted, int(y0), r * (1 + 1e-6), sigma, rng) < 0:
                problems.append("no flip just beyond the radius on the tight example")
    detail = f"{len(ensembles)} EAS ensembles (2 pinned), {certified} certified radii attacked"
    return outcome(problems, len(ensembles), 0.0, detail)


def _eas_radius_doubled(probs, sigma):
    return 2 * sg.eas_certified_radius_from_probabilities(probs, sigma)


# =====================================================================================================
# Corollary 4
# =====================================================================================================


def cor4_truth(p_a, p_b, p_ab, p, sigma):
    """Exact radii from the joint law of (A right, B right): cells both / only A / only B, and the MME
    conditional probability p on 'exactly one right'. Returns (r_G, r_H, P(EBS right))."""
    both, only_a, only_b = p_ab, p_a - p_ab, p_b - p_ab
    prob = both + p * (only_a + only_b)
    return sigma * norm.ppf(prob), sigma / 2 * (norm.ppf(p_a) + norm.ppf(p_b)), prob


def _cor4_sample(profile, seed):
    rng = numpy_stream(seed, "cor4")
    n = profile.samples
    p_b = rng.uniform(0.5, 1, n)
    p_b = np.clip(p_b, 0.5 + 1e-6, 1 - 1e-6)
    p_a = np.where(rng.random(n) < 0.1, p_b, p_b + rng.random(n) * (1 - 1e-6 - p_b))
    lo, hi = np.maximum(0.0, p_a + p_b - 1), np.minimum(p_a, p_b)
    frac = rng.random(n)
    frac = np.where(rng.random(n) < 0.05, 0.0, np.where(rng.random(n) < 0.05, 1.0, frac))
    p_ab = lo + frac * (hi - lo)
    ok = p_a + p_b - 2 * p_ab > 1e-9
    p_a, p_b, p_ab = p_a[ok], p_b[ok], p_ab[ok]
    thr = (np.maximum(p_a, p_b) - p_ab) / (p_a + p_b - 2 * p_ab)
    p = rng.random(p_a.size)
    kind = rng.integers(0, 6, p_a.size)  # random p, just above/below the threshold, at 1/2, 0, 1
    p = np.select([kind == 1, kind == 2, kind == 3, kind == 4, kind == 5],
                  [thr + 1e-6 * (1 - thr), thr * (1 - 1e-6), np.full_like(p, 0.5), np.zeros_like(p), np.ones_like(p)], p)
    p = np.clip(p, 0.0, 1.0)
    sigma = np.exp(rng.uniform(np.log(0.1), np.log(2), p_a.size))
    return p_a, p_b, p_ab, p, sigma


def _cor4_values(profile, seed):
    p_a, p_b, p_ab, p, sigma = _cor4_sample(profile, seed)
    r_g, r_h, prob = cor4_truth(p_a, p_b, p_ab, p, sigma)
    problems = []
    # theory's formulas against the enumeration (radii only away from P = 1, where Phi^-1 amplifies rounding)
    ebs_p, eas = sg.ebs_mme_probability(p_a, p_b, p_ab, p), sg.cor4_radius_eas(p_a, p_b, sigma)
    inner = prob < 1 - 1e-9
    ebs = sg.cor4_radius_ebs(p_a[inner], p_b[inner], p_ab[inner], p[inner], sigma[inner])
    if not (np.allclose(ebs_p, prob, rtol=0, atol=1e-14) and np.allclose(eas, r_h, rtol=1e-12, atol=1e-14)
            and np.allclose(ebs, r_g[inner], rtol=1e-9, atol=1e-12)):
        problems.append("theory's r_G or r_H differs from the enumerated joint law")
    return p_a, p_b, p_ab, p, sigma, r_g, r_h, problems


def _cor4_part(profile, seed, part, threshold=None, flipped=False):
    """Part 1: ``p > threshold => r_G > r_H``; part 2: ``p <= 1/2 => r_H >= r_G`` (tolerance 1e-12 sigma for
    the equality at p = 1/2, p_a = p_b). ``threshold`` and ``flipped`` perturb the statement."""
    p_a, p_b, p_ab, p, sigma, r_g, r_h, problems = _cor4_values(profile, seed)
    if part == 1:
        thr = sg.cor4_threshold(p_a, p_b, p_ab) if threshold is None else threshold(p_a, p_b, p_ab)
        mask = p > thr
        holds = (r_g <= r_h) if flipped else (r_g > r_h)
    else:
        thr = np.full_like(p, 0.5) if threshold is None else threshold(p_a, p_b, p_ab)
        mask = p <= thr
        holds = (r_h < r_g) if flipped else (r_h >= r_g - 1e-12 * sigma)
    bad = mask & ~holds
    detail = f"{p.size} feasible (p_a, p_b, p_ab, p), {int(mask.sum())} satisfy the hypothesis of part {part}"
    if bad.any():
        k = int(np.argmax(bad))
        problems.append(f"{int(bad.sum())} violations, e.g. p_a={p_a[k]:.6g}, p_b={p_b[k]:.6g}, p_ab={p_ab[k]:.6g}, "
                        f"p={p[k]:.6g}: r_G={r_g[k]:.6g}, r_H={r_h[k]:.6g}")
    return outcome(problems, int(p.size), 0.0, detail)


def _cor4_threshold(profile, seed, four=4.0, half=0.5):
    """The printed threshold ``1/2 + (2 + 4 (p_min - p_ab)/delta)^{-1}`` equals theory's form, and at that p
    the EBS probability (enumerated joint law) equals p_max exactly: the threshold is where EBS reaches
    the better member's probability."""
    p_a, p_b, p_ab, _, sigma = _cor4_sample(profile, seed)
    delta = np.abs(p_a - p_b)
    ok = delta > 1e-6
    printed = half + 1 / (2 + four * (np.minimum(p_a, p_b) - p_ab)[ok] / delta[ok])
    ours = sg.cor4_threshold(p_a, p_b, p_ab)
    _, _, prob = cor4_truth(p_a[ok], p_b[ok], p_ab[ok], printed, sigma[ok])
    problems = []
    if not np.allclose(printed, ours[ok], rtol=1e-9, atol=0):
        problems.append(f"printed form differs from (p_max - p_ab)/(p_a + p_b - 2 p_ab) by up to "
                        f"{np.abs(printed - ours[ok]).max():.3g}")
    if not np.allclose(prob, np.maximum(p_a, p_b)[ok], rtol=1e-9, atol=1e-12):
        problems.append("at the printed threshold the EBS probability is not p_max")
    if not np.all(ours[~ok & (delta == 0)] == 0.5):
        problems.append("the delta = 0 limit is not 1/2")
    detail = f"{int(ok.sum())} tuples with delta > 1e-6, {int((delta == 0).sum())} with delta = 0"
    return outcome(problems, int(p_a.size), 0.0, detail, shown=None)


# =====================================================================================================
# Registry
# =====================================================================================================


CHECKS = [
    Check("def6", "def6_eas_selection",
          "Definition 6 by the letter on linear members' closed-form probabilities, ties pinned",
          "c = argmax_i top probability of member i", "same", _def6,
          (mutation("select by the soft average", _def6, reference=lambda p: (0, int(np.argmax(p.mean(axis=0))))),
           mutation("last index on ties", _def6,
                    reference=lambda p: (int(len(p) - 1 - np.argmax(p.max(axis=1)[::-1])),
                                         int(np.argmax(p[len(p) - 1 - np.argmax(p.max(axis=1)[::-1])])))))),
    Check("thm5", "thm5_eas_linear_members",
          "closed-form member probabilities (Phi of signed distances); search along +-u_j, +-(u_j +- u_k), random "
          "directions and Nelder-Mead in span{u_j}", "r_i = -sigma Phi^-1(q_i) for wrong members",
          "r_i = sigma Phi^-1(p_i(y0)) for every member; factor 1/2 tight", _thm5,
          (mutation("printed Theorem 5", _thm5, radius_fn=sg.eas_radius_printed),
           mutation("factor 1/2 dropped (radius doubled)", _thm5, radius_fn=_eas_radius_doubled))),
    Check("cor4-1", "cor4_part1", "enumerated joint law of (A right, B right); exact radii",
          "p > 1/2 + (2 + 4(p_b - p_ab)/delta)^-1 => r_G > r_H", "same", functools.partial(_cor4_part, part=1),
          (mutation("flipped conclusion", _cor4_part, part=1, flipped=True),
           mutation("threshold replaced by 1/2", _cor4_part, part=1,
                    threshold=lambda a, b, ab: np.full_like(a, 0.5)))),
    Check("cor4-2", "cor4_part2", "enumerated joint law; exact radii", "p <= 1/2 => r_H >= r_G", "same",
          functools.partial(_cor4_part, part=2),
          (mutation("flipped conclusion", _cor4_part, part=2, flipped=True),
           mutation("1/2 replaced by the part-1 threshold", _cor4_part, part=2,
                    threshold=lambda a, b, ab: sg.cor4_threshold(a, b, ab) * (1 - 1e-6)))),
    Check("cor4-threshold", "cor4_threshold_identity", "closed forms; EBS probability at the threshold = p_max",
          "1/2 + (2 + 4(p_b - p_ab)/delta)^-1", "= (p_max - p_ab)/(p_a + p_b - 2 p_ab)", _cor4_threshold,
          (mutation("4 -> 2", _cor4_threshold, four=2.0), mutation("1/2 -> 1/3", _cor4_threshold, half=1 / 3))),
]
