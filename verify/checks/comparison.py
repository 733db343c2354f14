"""Checks of the comparisons of WE and MME (Appendix B.1.2) against exact ground truth.

Statements (ledger ids): Corollary 1 for the WE and the MME (``cor1-we``, ``cor1-mme``), its optimal weights
(``cor1-weights``) and the remark after it (``cor1-remark``), and Proposition B.1 (``propB1``).

Ground truth:

- Two-model quadratic ensembles (:mod:`verify.quadratic`) meeting every hypothesis of Corollary 1, checked
  exactly (exact base radii): the exact WE radius, and the exact pair-sum radius (a lower bound on the MME
  radius); random instances and anti-parallel-gradient ones, where the printed radius is largest.
- Optimal weights: an exact optimality certificate (the objective in ``log(w2/w1)`` is maximised at the
  midpoint of ``-l_max`` and ``-l_min``), plus a grid.
- The remark: exact rational arithmetic (``fractions.Fraction`` of the float inputs).
- Proposition B.1: closed-form certified radii (Theorem 1) of random WE sub-ensembles and the exact radius of
  their union.

Every check here is deterministic given its seed; false-alarm probability 0.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from drt_min.seeding import numpy_stream
from theory import comparison as cp
from theory import conditions as cd
from verify.quadratic import (CURVATURES, TOL, QuadraticEnsemble, describe, pair_coeffs, pair_radius,
                              random_beta, random_dimension, random_ensemble, single_radius, unit_symmetric,
                              we_margin_coeffs, we_radius, wrong_classes)
from verify.trust_region import minimize_quadratic_on_ball

from . import Check, CheckOutcome, Profile
from ._common import counted_outcome, instance_count, mutation
from .conditions import reference_mme_predict, reference_we_predict

__all__ = ["CHECKS", "Cor1Instance", "cor1_instance"]


# =====================================================================================================
# Corollary 1 and the remark after it
# =====================================================================================================


def _anti_parallel_ensemble(rng, d, c, *, equal_margins: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two models whose margin gradients are anti-parallel for every class, with extremal negative curvature.

    Model 1's gradients are large (small base radius), model 2's small; wrong classes share the remaining mass
    equally, so ``C_MME`` (equal margins) or ``C_WE`` at the optimal weights is 1/2: the printed radius of
    Corollary 1 is then large for cos(theta) near -1. Class 1 moves fastest (the other wrong classes at 0.1-0.5
    of its rate), so that y0 stays top or runner-up of each model near the flip (assumption (2) of Theorem 4).
    """
    p = rng.uniform(1.0 / c + 0.1, 0.95, size=2)
    if equal_margins:
        p[1] = p[0]
    a = np.stack([np.r_[q, np.full(c - 1, (1 - q) / (c - 1))] for q in p])
    e = rng.normal(size=d)
    e /= np.linalg.norm(e)
    alpha = np.array([rng.uniform(2.0, 10.0), rng.uniform(0.01, 0.2)])
    g = np.zeros((2, c, d))
    rates = np.r_[1.0, rng.uniform(0.1, 0.5, size=c - 2)]
    g[0, 1:] = -alpha[0] * rates[:, None] * e
    g[1, 1:] = alpha[1] * rates[:, None] * e
    unit = np.broadcast_to(np.eye(d), (2, c, d, d)) * np.where(np.arange(c) == 0, -1.0, 1.0)[None, :, None, None]
    return a, g, unit


def _random_two_models(rng, d, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two models both predicting class 0 at x0 (Dirichlet, top class moved to 0), random gradients and Hessians."""
    a = rng.dirichlet(np.ones(c), size=2)
    top = np.argmax(a, axis=1)
    for j in range(2):
        a[j, [0, top[j]]] = a[j, [top[j], 0]]
    a[:, 0] += 1e-3
    a /= a.sum(axis=1, keepdims=True)
    g = rng.normal(size=(2, c, d)) * np.exp(rng.uniform(np.log(0.05), np.log(3.0))) / np.sqrt(d)
    unit = unit_symmetric(rng, (2, c), d) * rng.uniform(0.0, 1.0, size=(2, c, 1, 1))
    return a, g, unit


@dataclass(frozen=True, eq=False)
class Cor1Instance:
    ens: QuadraticEnsemble
    r: float
    delta: float
    cos_theta: float
    radius: float  # the statement's R
    truth: float  # exact WE radius, or the exact pair-sum radius (<= MME radius)
    family: str


def cor1_instance(rng: np.random.Generator, rule: str, family: str, corrected: bool) -> Cor1Instance | None:
    """An instance meeting every hypothesis of Corollary 1 for the statement (printed or corrected radius).

    cos(theta) is the largest actual cosine plus a slack; ``c = max(R/r, 1)`` does not depend on r (R is linear
    in r), so r is drawn below both exact base radii and below ``sqrt(Delta min f^{y0/y} / (beta c^2))``.
    Returns None when no positive r exists (the printed R infinite).
    """
    d, c = random_dimension(rng), int(rng.integers(2, 11))
    if family == "adversarial":
        a, g, unit = _anti_parallel_ensemble(rng, d, c, equal_margins=rule == "mme")
        delta, slack = rng.uniform(0.02, 0.3), rng.uniform(0.002, 0.03)
        beta = float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-2))))
    else:
        a, g, unit = _random_two_models(rng, d, c)
        delta, slack = rng.uniform(0.0, 0.95), rng.uniform(0.0, 0.1)
        beta = random_beta(rng)
    m = cd.margins(a, 0)
    if rule == "we":
        w = cp.optimal_we_weights(m[0], m[1])[0] if family == "adversarial" else rng.uniform(0.1, 3.0, size=2)
        cos = cp.margin_gradient_cosines_we(g, 0).max()
    else:
        w = np.ones(2)
        cos = cp.margin_gradient_cosines_mme(g, 0).max()
    cos_theta = float(min(1.0, cos + slack))
    unit_radius = _cor1_radius(rule, a, w, 1.0, delta, cos_theta, corrected)
    if not np.isfinite(unit_radius):
        return None
    ens = QuadraticEnsemble(a, g, beta * unit, beta, w, 0)
    cc = max(unit_radius, 1.0)
    r_max = min(single_radius(ens, 0), single_radius(ens, 1), np.sqrt(delta * m.min() / (beta * cc**2)))
    r = float(r_max * rng.uniform(0.3, 1.0))
    hyp = (cp.corollary1_we_hypotheses(a, g, w, 0, beta, r, delta, cos_theta, corrected=corrected) if rule == "we"
           else cp.corollary1_mme_hypotheses(a, g, 0, beta, r, delta, cos_theta, corrected=corrected))
    if not hyp:
        return None
    truth = we_radius(ens) if rule == "we" else pair_radius(ens)
    return Cor1Instance(ens, r, float(delta), cos_theta, unit_radius * r, truth, family)


def _cor1_radius(rule, a, w, r, delta, cos_theta, corrected):
    if rule == "we":
        return float(cp.corollary1_we_radius(a, w, 0, r, delta, cos_theta, corrected=corrected))
    return float(cp.corollary1_mme_radius(a, 0, r, delta, cos_theta, corrected=corrected))


@functools.lru_cache(maxsize=8)
def _cor1_cases(rule: str, count: int, seed: int, corrected: bool) -> tuple[Cor1Instance, ...]:
    rng = numpy_stream(seed, f"cor1-{rule}-{corrected}")
    cases = []
    for i in range(count):
        inst = cor1_instance(rng, rule, "adversarial" if i % 3 == 0 else "random", corrected)
        if inst is not None:
            cases.append(inst)
    return tuple(cases)


def _cor1_check(profile: Profile, seed: int, rule: str, corrected: bool = True) -> CheckOutcome:
    """Corollary 1: under its hypotheses (checked exactly), R <= the exact ensemble radius."""
    cases = _cor1_cases(rule, instance_count(profile, 2, low=8), seed, corrected)
    violations, beats = [], 0
    for idx, inst in enumerate(cases):
        beats += inst.radius > inst.r
        if inst.radius > inst.truth * (1 + TOL):
            violations.append(f"#{idx} ({inst.family}, {describe(inst.ens)}, r={inst.r:.4g}, Delta={inst.delta:.3g}, "
                              f"cos(theta)={inst.cos_theta:.4f}): R = {inst.radius:.6g} > exact radius "
                              f"{inst.truth:.6g}{_cor1_flip_note(inst, rule)}")
    truth = "exact WE radius" if rule == "we" else "exact pair-sum radius (<= MME radius)"
    return counted_outcome(violations, len(cases), f"{len(cases)} two-model quadratic instances meeting the "
                           f"hypotheses (d 1-50, C 2-10; {beats} with R > r) vs the {truth}")


def _cor1_flip_note(inst: Cor1Instance, rule: str) -> str:
    """The ensemble's own prediction at the worst point of the ball of radius R (Definitions 2-3)."""
    ens, wrong = inst.ens, wrong_classes(inst.ens)
    coeffs = ([we_margin_coeffs(ens, y) for y in wrong] if rule == "we"
              else [pair_coeffs(ens, y1, y2) for y1 in wrong for y2 in wrong])
    worst = min((minimize_quadratic_on_ball(*ens.combine(k), inst.radius) for k in coeffs), key=lambda m: m.value)
    scores = ens.scores(worst.argmin[None, :])
    pred = int(reference_we_predict(scores, ens.w)[0] if rule == "we" else reference_mme_predict(scores)[0])
    return f" (the {rule.upper()} predicts {pred} at |delta| = {np.linalg.norm(worst.argmin):.4g}, y0 = 0)"


def _exact_beats(constant: float, delta: float, cos: float) -> bool:
    """R > r in exact arithmetic of the given floats: ((1 - D)/(1 + D))^2 > 1 - C (1 - cos)."""
    c, dl, cs = Fraction(constant), Fraction(delta), Fraction(cos)
    return ((1 - dl) / (1 + dl)) ** 2 > 1 - c * (1 - cs)


def _remark_points(rng: np.random.Generator, count: int) -> list[tuple[float, float, float]]:
    """Random (C, Delta, cos) plus exact equality points (Delta = 0, cos = 1) and near-equality ones."""
    pts = [(float(rng.uniform(1e-3, 0.5)), 0.0, 1.0) for _ in range(max(2, count // 10))]
    pts += [(0.5, 0.0, 1.0)]
    for _ in range(count):
        c, dl = float(rng.uniform(1e-3, 0.5)), float(rng.uniform(0.0, 0.99))
        pts.append((c, dl, float(rng.uniform(-1.0, 1.0))))
        t = float(cp.ensemble_beats_single_threshold(c, dl))
        if -1.0 <= t <= 1.0:
            pts.append((c, dl, float(np.clip(t + rng.choice([-1, 1]) * 1e-6, -1, 1))))
    return pts


def _remark_check(profile: Profile, seed: int, beats=None) -> CheckOutcome:
    """The remark after Corollary 1 (for the corrected radius, i.e. at max(cos, 0)) against exact arithmetic."""
    beats = beats or cp.ensemble_beats_single
    violations, skipped = [], 0
    pts = _remark_points(numpy_stream(seed, "remark"), 4 * profile.instances)
    for c, dl, cos in pts:
        eff = max(cos, 0.0)
        truth = _exact_beats(c, dl, eff)
        t = Fraction(1) - 4 * Fraction(dl) / (Fraction(c) * (1 + Fraction(dl)) ** 2)
        if t != Fraction(eff) and abs(float(t - Fraction(eff))) < 1e-13:
            skipped += 1  # within rounding of the threshold (not an exact tie): float verdict is ambiguous
            continue
        radius_ratio = float(cp.corollary1_radius(1.0, dl, c, cos)) if 1 - c * (1 - eff) > 0 else np.inf
        if bool(beats(c, dl, eff)) != truth or ((radius_ratio > 1.0) != truth and t != Fraction(eff)):
            violations.append(f"C={c:.6g} Delta={dl:.6g} cos={cos:.6g}: claim {bool(beats(c, dl, eff))}, exact {truth}")
    return counted_outcome(violations, len(pts) - skipped, f"{len(pts)} (C, Delta, cos) points incl. exact ties "
                           f"(Delta = 0, cos = 1), {skipped} within rounding skipped")


# =====================================================================================================
# optimal weights (Corollary 1) and Proposition B.1
# =====================================================================================================


def _weights_check(profile: Profile, seed: int, optimum=None) -> CheckOutcome:
    """Optimal WE weights: C_WE at the stated weights equals the stated C*, and no weight does better.

    Exact certificate: with ``s = log(w2/w1)`` each term is ``(1/2) sech^2((s + l_y)/2)``, decreasing in
    ``|s + l_y|``, so ``min_y`` is maximised exactly where ``max_y |s + l_y|`` is smallest, at the midpoint of
    ``-l_max`` and ``-l_min`` (compared to 1e-12, plus a grid of 4001 weights as a sanity check).
    """
    optimum = optimum or cp.optimal_we_weights
    rng = numpy_stream(seed, "weights")
    violations = []
    for i in range(profile.instances):
        k = 1 if i % 4 == 0 else int(rng.integers(2, 10))
        a, b = rng.uniform(0.01, 1.0, size=k), rng.uniform(0.01, 1.0, size=k)
        w, cstar = optimum(a, b)
        ell = np.log(b) - np.log(a)
        s = float(np.log(w[1] / w[0]))
        achieved = float(cp.we_constant(a, b, w))
        best = float(0.5 / np.cosh((ell.max() - ell.min()) / 4) ** 2)
        grid = np.linspace(-ell.max() - 1, -ell.min() + 1, 4001)
        on_grid = float(cp.weight_objective(grid, a, b).max())
        if not (abs(achieved - float(cstar)) <= 1e-12 and abs(achieved - best) <= 1e-12 and on_grid <= best + 1e-12
                and abs(s + (ell.max() + ell.min()) / 2) <= 1e-9):
            violations.append(f"K={k}: stated C* {float(cstar):.9g}, achieved {achieved:.9g}, optimum {best:.9g}")
        if k == 1 and not (abs(w[0] / w[1] - b[0] / a[0]) <= 1e-9 * b[0] / a[0] and abs(achieved - 0.5) <= 1e-12):
            violations.append("one wrong class: w is not proportional to (f_2^{y0/y}, f_1^{y0/y}) with C = 1/2")
    return counted_outcome(violations, profile.instances, f"{profile.instances} margin pairs (K = 1-9 wrong classes)")


def _swapped_weights(a, b):
    w, _ = cp.optimal_we_weights(a, b)
    return w[..., ::-1], cp.we_constant(a, b, w)


def _half_exponent_weights(a, b):
    w, _ = cp.optimal_we_weights(a, b)
    ell = np.log(b) - np.log(a)
    return w, 0.5 / np.cosh((ell.max() - ell.min()) / 2) ** 2


@functools.lru_cache(maxsize=8)
def _propB1_cases(count: int, seed: int) -> tuple[tuple[QuadraticEnsemble, int, bool], ...]:
    """WE instances split into two sub-ensembles; every fifth has the second half a copy of the first (colinear)."""
    rng = numpy_stream(seed, "propB1")
    cases = []
    for i in range(count):
        n = int(rng.integers(2, 11))
        ens = random_ensemble(rng, n_models=n, n_classes=int(rng.integers(2, 11)), d=random_dimension(rng),
                              beta=random_beta(rng), curvature=CURVATURES[i % 4], rule="we", all_predict=True)
        split = int(rng.integers(1, n))
        if i % 5 == 4:  # colinear halves: the union is the first half counted twice
            half = max(1, n // 2)
            idx = np.r_[np.arange(half), np.arange(half)]
            ens = QuadraticEnsemble(ens.a[idx], ens.g[idx], ens.H[idx], ens.beta, ens.w[idx], ens.y0)
            split = half
        cases.append((ens, split, i % 5 == 4))
    return tuple(cases)


def _sub(ens: QuadraticEnsemble, idx: np.ndarray) -> QuadraticEnsemble:
    return QuadraticEnsemble(ens.a[idx], ens.g[idx], ens.H[idx], ens.beta, ens.w[idx], ens.y0)


def _propB1_check(profile: Profile, seed: int, require_hypothesis: bool = True, compare_to: str = "min") -> CheckOutcome:
    """Proposition B.1: both halves satisfy Eq. (4) at r = min of their certified radii (and the union's margin
    gradients are not colinear) => the union satisfies Eq. (4) strictly at r, certifies r' > r, and is r'-robust.

    Computed certified radii (closed-form roots) and the exact union radius; ``compare_to='max'`` is the
    stronger, false reading 'the union beats the better half'.
    """
    violations, used = [], 0
    for idx, (ens, split, colinear) in enumerate(_propB1_cases(profile.instances, seed)):
        n = ens.shape[0]
        halves = (_sub(ens, np.arange(split)), _sub(ens, np.arange(split, n)))
        if any(cd.we_condition_value(h.a, h.w, ens.y0) <= 0 for h in halves):
            continue  # a half does not predict y0 at x0: Theorem 1's assumption fails for it
        radii = [float(cd.theorem1_certified_radius(h.a, h.g, h.w, ens.y0, ens.beta)) for h in halves]
        grads = [cd.margin_gradients(np.einsum("ncd,n->cd", h.g, h.w), ens.y0) for h in halves]
        norms = [np.linalg.norm(gr, axis=-1) for gr in grads]
        cos = np.einsum("cd,cd->c", *grads) / np.maximum(norms[0] * norms[1], 1e-300)
        hypothesis = bool(np.all(norms[0] > 0) and np.all(norms[1] > 0) and np.all(cos < 1 - 1e-6))
        if require_hypothesis and not hypothesis:
            continue
        used += 1
        r = min(radii) if compare_to == "min" else max(radii)
        union = float(cd.theorem1_certified_radius(ens.a, ens.g, ens.w, ens.y0, ens.beta))
        slack = cp.we_slack(ens.a, ens.g, ens.w, ens.y0, ens.beta, min(radii))
        if not (union > r and (compare_to == "max" or np.all(slack > 0))):
            violations.append(f"#{idx} {describe(ens)} (halves {split}+{n - split}{', colinear' if colinear else ''}): "
                              f"union certifies {union:.9g}, halves {radii[0]:.9g} and {radii[1]:.9g}")
        if union > we_radius(ens) * (1 + TOL):
            violations.append(f"#{idx}: union certified {union:.6g} beyond its exact radius")
    return counted_outcome(violations, used, f"{used} splits of quadratic WE instances meeting the hypotheses (N 2-10)")


# =====================================================================================================
# registry
# =====================================================================================================


CHECKS = [
    Check("cor1-we", "cor1_we_quadratic_exact_radius",
          "exact WE radius of two-model quadratic ensembles meeting every hypothesis (exact base radii); random and "
          "anti-parallel-gradient families", "R = r (1-D)/(1+D) (1 - C_WE (1 - cos theta))^-1/2 for any cos theta",
          "same with max(cos theta, 0) (printed false for cos theta < 0)",
          functools.partial(_cor1_check, rule="we"),
          (mutation("printed radius (cos theta < 0 allowed)", _cor1_check, rule="we", corrected=False),)),
    Check("cor1-mme", "cor1_mme_quadratic_pair_radius",
          "exact pair-sum radius (<= MME radius) of two-model quadratic ensembles meeting every hypothesis; random and "
          "anti-parallel-gradient families", "R = r (1-D)/(1+D) (1 - C_MME (1 - cos theta))^-1/2 for any cos theta",
          "same with max(cos theta, 0)", functools.partial(_cor1_check, rule="mme"),
          (mutation("printed radius (cos theta < 0 allowed)", _cor1_check, rule="mme", corrected=False),)),
    Check("cor1-weights", "cor1_optimal_weights_exact", "exact optimality certificate (midpoint of -l_max, -l_min) and "
          "a 4001-point grid", "one class: w ~ (f_2^{y0/y}, f_1^{y0/y}), C = 1/2; else optimise w2",
          "log(w2/w1) = -(l_max + l_min)/2, C* = sech^2((l_max - l_min)/4)/2", _weights_check,
          (mutation("weights swapped", _weights_check, optimum=_swapped_weights),
           mutation("C* with /2 for /4", _weights_check, optimum=_half_exponent_weights))),
    Check("cor1-remark", "cor1_remark_exact_arithmetic", "exact rational arithmetic of the float inputs",
          "R > r iff cos theta <= 1 - 4D/(C (1+D)^2)", "strict <; applies to max(cos theta, 0)", _remark_check,
          (mutation("printed <=", _remark_check,
                    beats=lambda c, d, cos: np.asarray(cos) <= cp.ensemble_beats_single_threshold(c, d)),
           mutation("2 Delta for 4 Delta", _remark_check,
                    beats=lambda c, d, cos: np.asarray(cos) < 1 - 2 * d / (c * (1 + d) ** 2)))),
    Check("propB1", "propB1_union_certifies_more", "closed-form certified radii of quadratic WE sub-ensembles and the "
          "exact union radius", "Eq. (4) for both halves at r, non-colinear => union certified radius r' > r",
          "same (with the weights in Eqs. 16-20); not beyond the better half", _propB1_check,
          (mutation("colinearity assumption dropped", _propB1_check, require_hypothesis=False),
           mutation("union beats the better half", _propB1_check, compare_to="max"))),
]
