"""Checks of the robustness conditions (Section 2.2, Appendix B.2-B.3) against exact ground truth.

Statements (ledger ids): Definitions 2-3 (``def2``, ``def3``), Proposition B.2, Theorem 4, Lemmas B.1-B.2 and
Fact B.1 (``propB2``, ``thm4``, ``lemB1``, ``lemB2``, ``factB1``), Theorems 1 and 3 and Proposition B.3 (``thm1``,
``thm3``, ``propB3``), the ERI of Eq. (6) and its beta reading (``eri6``, ``eri-beta``), and the MME with N > 2
members (``mme-n``, ours; ``mme-n-conj``, the paper's conjecture) on :mod:`verify.mme_many`. Corollary 1 and
Proposition B.1 are checked in verify/checks/comparison.py, Corollaries 2-3 in verify/checks/smoothing.py.

Ground truth:

- Quadratic ensembles (:mod:`verify.quadratic`): exact robust radii of the WE and of a single model, and the
  exact pair-sum radius of the two-model MME, which is its radius whenever assumption (2) of Theorem 4 holds on
  the ball; that is certified per instance by the exact radius of the margins of y0 over the classes other than
  each model's top-two. Instance families: random Hessians, and the extremal ones that attain the bounds
  (``H = -+beta I`` on ``y0`` and ``+-beta I`` on the other classes).
- Confidence vectors on the simplex (Dirichlet draws, integer grids with exact ties, near-ties at 1e-9):
  the conditions are compared with the actual predictions of Definitions 2-3, written here independently of
  theory/, including the most and least favourable tie rules. Exact and deterministic.

Every check here is deterministic given its seed; false-alarm probability 0. Radii computed by root finding
are compared with a relative slack of 1e-9 (the trust-region radii are accurate to ~1e-14).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from drt_min.seeding import numpy_stream
from theory import conditions as cd
from verify.quadratic import (CURVATURES, TOL, QuadraticEnsemble, assumption2_radius, describe, flip_witness,
                              pair_coeffs, pair_radius, random_beta, random_dimension, random_ensemble,
                              single_radius, we_margin_coeffs, we_radius, wrong_classes)
from verify import mme_many
from verify.trust_region import quadratic_robust_radius

from . import Check, CheckOutcome, Mutation, Profile
from ._common import counted_outcome, instance_count, mutation

__all__ = ["CHECKS", "simplex_batch", "reference_we_predict", "reference_mme_predict", "mme_tie_rules",
           "affine_tie_ensemble", "ABOVE", "BELOW"]

ABOVE = 1.0 + np.array([1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0])  # test radii beyond the exact radius
BELOW = 1.0 - np.array([1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.3, 0.6, 0.9])  # test radii inside it
_UNBOUNDED = np.geomspace(1e-2, 1e2, 9)  # test radii when the exact radius is infinite
_AMBIGUOUS = 1e-12  # a score gap in (0, this) could be a rounding artefact of the summation order


# =====================================================================================================
# quadratic instances and the radii they are tested at
# =====================================================================================================


@functools.lru_cache(maxsize=32)
def _quadratic_cases(rule: str, count: int, seed: int) -> tuple[tuple[QuadraticEnsemble, float, float], ...]:
    """``count`` instances of a rule with their exact radius (and, for the MME, the assumption-(2) radius)."""
    rng = numpy_stream(seed, f"quadratic-{rule}")
    cases = []
    for i in range(count):
        curvature = CURVATURES[i % len(CURVATURES)]
        d = random_dimension(rng)
        n = {"we": int(rng.integers(2, 11)), "mme": 2, "single": 1}[rule]
        c = int(rng.integers(2, 11)) if rule != "mme" else int(rng.integers(2, 7))
        ens = random_ensemble(rng, n_models=n, n_classes=c, d=d, beta=random_beta(rng), curvature=curvature,
                              rule=rule, top_two=rule == "mme" and i % 2 == 0)
        if rule == "we":
            cases.append((ens, we_radius(ens), np.nan))
        elif rule == "single":
            cases.append((ens, single_radius(ens), np.nan))
        else:
            cases.append((ens, pair_radius(ens), assumption2_radius(ens)))
    return tuple(cases)


def _test_radii(radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Radii beyond and inside the exact radius (an unbounded radius has only inside ones)."""
    if not np.isfinite(radius):
        return np.empty(0), _UNBOUNDED
    if radius == 0:
        return np.array([0.05, 0.2, 1.0]), np.empty(0)
    return radius * ABOVE, radius * BELOW


# =====================================================================================================
# Theorems 1, 3 and Proposition B.3: sufficient => robust => necessary, against exact radii
# =====================================================================================================


@dataclass(frozen=True)
class Statement:
    """A sufficient condition, a necessary condition and the largest radius the sufficient one certifies."""

    sufficient: object  # (ens, r (K,)) -> bool (K,)
    necessary: object
    certified: object  # ens -> float


def _thm1(beta_scale=1.0, necessary_term=1.0, literal_printed=False) -> Statement:
    def suff(e, r):
        if literal_printed:  # Eq. (4) read literally: 'r sum_j w_j f_j' instead of (1/r) sum_j w_j f_j
            s, g, w = cd.we_taylor_terms(e.a, e.g, e.w, e.y0)
            return np.all(g <= r[:, None] * s - (e.beta * r * w)[:, None], axis=-1)
        return cd.theorem1_sufficient(e.a, e.g, e.w, e.y0, beta_scale * e.beta, r)

    def nec(e, r):
        return cd.theorem1_necessary(e.a, e.g, e.w, e.y0, necessary_term * e.beta, r)

    def cert(e):
        if literal_printed:
            return np.nan
        return float(cd.theorem1_certified_radius(e.a, e.g, e.w, e.y0, beta_scale * e.beta))

    return Statement(suff, nec, cert)


def _propB3(beta_scale=1.0, necessary_term=1.0) -> Statement:
    return Statement(lambda e, r: cd.propB3_sufficient(e.a[0], e.g[0], e.y0, beta_scale * e.beta, r),
                     lambda e, r: cd.propB3_necessary(e.a[0], e.g[0], e.y0, necessary_term * e.beta, r),
                     lambda e: float(cd.propB3_certified_radius(e.a[0], e.g[0], e.y0, beta_scale * e.beta)))


def _thm3(beta_scale=1.0, necessary_term=1.0, strict=True) -> Statement:
    return Statement(lambda e, r: cd.theorem3_sufficient(e.a, e.g, e.y0, beta_scale * e.beta, r, strict=strict),
                     lambda e, r: cd.theorem3_necessary(e.a, e.g, e.y0, necessary_term * e.beta, r),
                     lambda e: float(cd.theorem3_certified_radius(e.a, e.g, e.y0, beta_scale * e.beta)))


def affine_tie_ensemble() -> QuadraticEnsemble:
    """The ledger's equality case of Eq. (12): ``f_1 = (0.6 + x, 0.4 - x)``, ``f_2 = (0.4 - x, 0.6 + x)``, beta = 0.

    Both gaps are ``|0.2 + 2x|`` for every ``x``: the lowest-index tie rule lets model 1 decide, and it predicts
    class 1 for ``x < -0.1``. The pair sum is identically 0 (radius 0), so Eq. (12) holds with equality.
    """
    a = np.array([[0.6, 0.4], [0.4, 0.6]])
    g = np.array([[[1.0], [-1.0]], [[-1.0], [1.0]]])
    return QuadraticEnsemble(a, g, np.zeros((2, 2, 1, 1)), 0.0, np.ones(2), 0)


def _condition_check(rule: str, statement: Statement, profile: Profile, seed: int,
                     divisor: int = 1) -> CheckOutcome:
    """Sufficient at r => r <= exact radius; r < exact radius => necessary at r; certified radius <= exact."""
    count = instance_count(profile, divisor, low=8)
    cases = list(_quadratic_cases(rule, count, seed))
    if rule == "mme":
        cases.append((affine_tie_ensemble(), 0.0, np.inf))
    violations, tested, exact_mme = [], 0, 0
    for idx, (ens, radius, rho2) in enumerate(cases):
        above, below = _test_radii(radius)
        tested += above.size + below.size
        if above.size and np.any(hit := statement.sufficient(ens, above)):
            r = float(above[np.argmax(hit)])
            note = ""
            if rule == "mme":  # the witness is sought at the largest radius the condition certifies
                note = _mme_flip_note(ens, radius, float(above[hit].max()), rho2)
            violations.append(f"#{idx} {describe(ens)}: sufficient holds at r = {r:.6g} > exact radius "
                              f"{radius:.6g}{note}")
        if below.size and not np.all(ok := statement.necessary(ens, below)):
            r = float(below[np.argmin(ok)])
            violations.append(f"#{idx} {describe(ens)}: robust at r = {r:.6g} < {radius:.6g} but necessary fails")
        cert = statement.certified(ens)
        if np.isfinite(cert) and cert > radius * (1 + TOL) and not (radius == 0 and cert == np.inf and rule == "mme"):
            violations.append(f"#{idx} {describe(ens)}: certified radius {cert:.9g} > exact {radius:.9g}")
        exact_mme += rule == "mme" and rho2 > radius
    truth = {"we": "exact WE radius", "single": "exact radius", "mme": "exact pair-sum radius"}[rule]
    summary = f"{len(cases)} quadratic instances (d 1-50), {tested} test radii vs {truth}"
    if rule == "mme":
        summary += f" ({exact_mme} with assumption (2) certified on the ball, where it is the MME radius)"
    return counted_outcome(violations, tested, summary)


def _mme_flip_note(ens: QuadraticEnsemble, radius: float, r: float, rho2: float) -> str:
    """For a violation of Theorem 3: does the MME itself flip inside the ball of radius r?"""
    if radius == 0:  # the affine equality case: walk along -x
        point = np.array([[-(radius + r) * 0.75]])
    else:
        wrong = wrong_classes(ens)
        pairs = [(y1, y2) for y1 in wrong for y2 in wrong]
        k = int(np.argmin([quadratic_robust_radius(*ens.combine(pair_coeffs(ens, *p))) for p in pairs]))
        point = flip_witness(ens, pair_coeffs(ens, *pairs[k]), (radius + r) / 2)[None, :]
    pred = int(reference_mme_predict(ens.scores(point))[0])
    status = "assumption (2) holds there" if rho2 > r else "assumption (2) not certified"
    return f" (M_MME at |delta| = {np.linalg.norm(point):.4g} predicts {pred}, y0 = {ens.y0}; {status})"


# =====================================================================================================
# ERI (Eq. 6) and the impact of beta
# =====================================================================================================


def _reference_eri(ens: QuadraticEnsemble, r: np.ndarray) -> np.ndarray:
    """Eq. (6) from the quadratic's coefficients: ``||grad m_y|| / ||w||_1 - m_y / (r ||w||_1)``; shape (K, C - 1)."""
    out = []
    for y in wrong_classes(ens):
        s, g, _ = ens.combine(we_margin_coeffs(ens, y))
        out.append(np.linalg.norm(g) / ens.w.sum() - s / (r * ens.w.sum()))
    return np.stack(out, axis=-1)


def _eri_check(profile: Profile, seed: int, eri_fn=None) -> CheckOutcome:
    """Eq. (6): the ERI equals its definition, and max I <= -beta r (resp. > beta r) matches Eq. (4) (resp. (5))
    and the exact radius: robust, resp. not robust."""
    eri_fn = eri_fn or (lambda e, r: cd.eri(e.a, e.g, e.w, e.y0, r))
    violations, tested = [], 0
    for idx, (ens, radius, _) in enumerate(_quadratic_cases("we", profile.instances, seed)):
        above, below = _test_radii(radius)
        r = np.concatenate([above, below])
        tested += r.size
        values = eri_fn(ens, r)
        ref = _reference_eri(ens, r)
        if not np.allclose(values, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max()):
            violations.append(f"#{idx} {describe(ens)}: ERI differs from Eq. (6) by {np.abs(values - ref).max():.3g}")
        worst = values.max(axis=-1)
        robust_claim = worst <= -ens.beta * r
        eq4 = cd.theorem1_sufficient(ens.a, ens.g, ens.w, ens.y0, ens.beta, r)
        clear = np.abs(worst + ens.beta * r) > 1e-9 * (np.abs(worst) + ens.beta * r)
        if np.any((robust_claim != eq4) & clear):
            violations.append(f"#{idx}: max I <= -beta r disagrees with Eq. (4)")
        if np.any(robust_claim & (r > radius * (1 + TOL))):
            violations.append(f"#{idx} {describe(ens)}: max I <= -beta r at r = {r[robust_claim].max():.6g} > exact "
                              f"radius {radius:.6g}")
        if np.any((worst > ens.beta * r) & (r < radius)):
            violations.append(f"#{idx} {describe(ens)}: max I > beta r inside the exact radius {radius:.6g}")
    return counted_outcome(violations, tested, f"{profile.instances} quadratic WE instances, {tested} radii: "
                           f"ERI vs Eq. (6), Eqs. (4)-(5) and the exact radius")


def _printed_eri(e, r):
    """Eq. (7)'s extracted form with r in place of 1/(r ||w||_1) (the reading the ledger corrects)."""
    s, g, w = cd.we_taylor_terms(e.a, e.g, e.w, e.y0)
    return g / w - r[:, None] * s


def _verdict_corrected(values, beta, r):
    return cd.eri_verdict(values, beta, r)


def _verdict_printed_min(values, beta, r):
    """Section 2.2 as printed: robust if min_y I_y <= -beta r, not robust if min_y I_y > beta r."""
    best = values.min(axis=-1)
    return np.where(best <= -beta * r, 1, np.where(best > beta * r, -1, 0))


def _eri_beta_check(profile: Profile, seed: int, verdict=_verdict_corrected) -> CheckOutcome:
    """Verdict 1 only at radii <= the exact radius, verdict -1 only beyond it (random instances, C = 2-10)."""
    violations, tested, decided = [], 0, 0
    for idx, (ens, radius, _) in enumerate(_quadratic_cases("we", profile.instances, seed)):
        above, below = _test_radii(radius)
        r = np.concatenate([above, below])
        tested += r.size
        v = verdict(cd.eri(ens.a, ens.g, ens.w, ens.y0, r), ens.beta, r)
        decided += int(np.count_nonzero(v))
        if np.any((v == 1) & (r > radius * (1 + TOL))):
            violations.append(f"#{idx} {describe(ens)}: verdict 'robust' at r = {r[v == 1].max():.6g} > exact radius "
                              f"{radius:.6g}")
        if np.any((v == -1) & (r < radius)):
            violations.append(f"#{idx} {describe(ens)}: verdict 'not robust' at r = {r[v == -1].min():.6g} < exact "
                              f"radius {radius:.6g}")
    return counted_outcome(violations, tested, f"{profile.instances} quadratic WE instances, {tested} radii, "
                           f"{decided} decided verdicts vs the exact radius")


# =====================================================================================================
# confidence vectors on the simplex: Definitions 2-3, Prop. B.2, Fact B.1, Lemmas B.1-B.2, Theorem 4
# =====================================================================================================


def simplex_batch(rng: np.random.Generator, kind: str, m: int, n: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` confidence arrays ``(m, n, c)`` and weights ``(n,)``.

    ``dirichlet``: Dirichlet(alpha) rows; ``grid``: integer scores summing to 6 or 10 with integer weights (all
    sums exact, so ties are exact and common; predictions are scale-invariant); ``near``: grid rows divided by
    their total plus 1e-9 noise (near-ties that are not ties).
    """
    if kind == "dirichlet":
        alpha = float(rng.choice([0.3, 1.0, 3.0]))
        return rng.dirichlet(np.full(c, alpha), size=(m, n)), rng.uniform(0.1, 3.0, size=n)
    total = int(rng.choice([6, 10]))
    p = rng.dirichlet(np.ones(c), size=(m, n))
    grid = np.stack([rng.multinomial(total, row) for row in p.reshape(-1, c)]).reshape(m, n, c).astype(float)
    if kind == "grid":
        return grid, rng.integers(1, 4, size=n).astype(float)
    return grid / total + 1e-9 * rng.normal(size=grid.shape), rng.uniform(0.1, 3.0, size=n)


def _lowest_argmax(scores: np.ndarray) -> np.ndarray:
    """``arg max`` over the last axis with ties to the lowest index, by explicit comparison."""
    best = scores[..., 0].copy()
    idx = np.zeros(scores.shape[:-1], dtype=int)
    for k in range(1, scores.shape[-1]):
        better = scores[..., k] > best
        idx[better], best[better] = k, scores[..., k][better]
    return idx


def reference_we_predict(conf: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Definition 2 summed model by model: ``arg max_i sum_j w_j f_j(x)_i`` (ties to the lowest class)."""
    total = np.zeros(conf.shape[:-2] + conf.shape[-1:])
    for j in range(conf.shape[-2]):
        total = total + w[j] * conf[..., j, :]
    return _lowest_argmax(total)


def _top_gaps(conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each model's top class (lowest index) and top-1 minus runner-up gap, by explicit comparison."""
    top = _lowest_argmax(conf)
    masked = conf.copy()
    np.put_along_axis(masked, top[..., None], -np.inf, axis=-1)
    top_val = np.take_along_axis(conf, top[..., None], axis=-1)[..., 0]
    return top, top_val - masked.max(axis=-1)


def reference_mme_predict(conf: np.ndarray) -> np.ndarray:
    """Definition 3: the model with the largest gap (lowest index among ties) gives its top class."""
    top, gaps = _top_gaps(conf)
    chosen = _lowest_argmax(gaps)
    return np.take_along_axis(top, chosen[..., None], axis=-1)[..., 0]


def mme_tie_rules(conf: np.ndarray, y0: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether ``M_MME = y0`` under every tie rule, and under some tie rule (models and classes), shape ``(M,)``.

    A tie rule may pick any model with the largest gap and any of its top classes.
    """
    _, gaps = _top_gaps(conf)
    tied_model = gaps == gaps.max(axis=-1, keepdims=True)
    top_set = conf == conf.max(axis=-1, keepdims=True)
    only_y0 = top_set[..., y0] & (top_set.sum(axis=-1) == 1)
    every = np.all(~tied_model | only_y0, axis=-1)
    some = np.any(tied_model & top_set[..., y0], axis=-1)
    return every, some


def _assumption2(conf: np.ndarray, y0: int) -> np.ndarray:
    """Theorem 4 (2), written here: at most one class strictly above y0 in every model."""
    above = (conf > conf[..., y0:y0 + 1]).sum(axis=-1)
    return np.all(above <= 1, axis=-1)


_KINDS = ("dirichlet", "grid", "near")


@functools.lru_cache(maxsize=8)
def _simplex_cases(count: int, m: int, seed: int) -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    rng = numpy_stream(seed, "simplex")
    cases = []
    for i in range(count):
        kind = _KINDS[i % 3]
        conf, w = simplex_batch(rng, kind, m, int(rng.integers(1, 11)), int(rng.integers(2, 11)))
        cases.append((kind, conf, w))
    return tuple(cases)


def _simplex(profile: Profile, seed: int):
    return _simplex_cases(profile.instances, max(20, profile.samples // 100), seed)


def _ambiguous(scores: np.ndarray) -> np.ndarray:
    """Points whose top-two scores differ by less than rounding error could sum to either order."""
    two = np.sort(scores, axis=-1)[..., -2:]
    gap = two[..., 1] - two[..., 0]
    return (gap > 0) & (gap < _AMBIGUOUS * np.maximum(1.0, np.abs(two[..., 1])))


def _def2_check(profile: Profile, seed: int, predict=None) -> CheckOutcome:
    """Definition 2: ``theory.conditions.we_predict`` against the model-by-model sum (ties to the lowest class)."""
    predict = predict or cd.we_predict
    violations, total, ties = [], 0, 0
    for idx, (kind, conf, w) in enumerate(_simplex(profile, seed)):
        scores = np.einsum("mnc,n->mc", conf, w)
        keep = ~_ambiguous(scores)
        ref = reference_we_predict(conf, w)
        got = predict(conf, w)
        total += int(keep.sum())
        ties += int(np.sum(np.sort(scores, axis=-1)[:, -1] == np.sort(scores, axis=-1)[:, -2]))
        if np.any((ref != got) & keep):
            violations.append(f"batch #{idx} ({kind}): {int(np.sum((ref != got) & keep))} points differ")
    return counted_outcome(violations, total, f"{total} confidence arrays ({ties} with tied top classes)")


def _def3_check(profile: Profile, seed: int, predict=None) -> CheckOutcome:
    """Definition 3: ``theory.conditions.mme_predict`` against the reference (gaps, lowest-index ties)."""
    predict = predict or cd.mme_predict
    violations, total = [], 0
    for idx, (kind, conf, _) in enumerate(_simplex(profile, seed)):
        ref = reference_mme_predict(conf)
        got = predict(conf)
        total += conf.shape[0]
        if np.any(ref != got):
            violations.append(f"batch #{idx} ({kind}): {int(np.sum(ref != got))} points differ")
    return counted_outcome(violations, total, f"{total} confidence arrays (ties included)")


def _pointwise_check(profile: Profile, seed: int, *, target: str, strict: bool = True) -> CheckOutcome:
    """Prop. B.2 (``we``) / Fact B.1 (``single``): value > 0 => predicts y0 => value >= 0, for every y0.

    ``strict=False`` is the printed 'iff >= 0': value >= 0 taken as sufficient.
    """
    violations, total, zero = [], 0, 0
    for idx, (kind, conf, w) in enumerate(_simplex(profile, seed)):
        if target == "single":
            conf, scores, pred = conf[:, 0, :], conf[:, 0, :], _lowest_argmax(conf[:, 0, :])
        else:
            scores, pred = np.einsum("mnc,n->mc", conf, w), reference_we_predict(conf, w)
        keep = ~_ambiguous(scores)
        for y0 in range(conf.shape[-1]):
            value = cd.single_condition_value(conf, y0) if target == "single" else cd.we_condition_value(conf, w, y0)
            suff = value > 0 if strict else value >= 0
            zero += int(np.sum(value == 0))
            total += int(keep.sum())
            bad_suff = suff & (pred != y0) & keep
            bad_nec = (pred == y0) & (value < 0) & keep
            if bad_suff.any():
                k = int(np.argmax(bad_suff))
                violations.append(f"batch #{idx} ({kind}) y0={y0}: condition {value[k]:.3g} "
                                  f"{'>' if strict else '>='} 0 but the prediction is {pred[k]}")
            if bad_nec.any():
                violations.append(f"batch #{idx} ({kind}) y0={y0}: predicts y0 with condition < 0")
    return counted_outcome(violations, total, f"{total} (point, y0) pairs, {zero} with condition exactly 0")


def _mme_cases(profile: Profile, seed: int):
    """Per simplex batch and y0: the batch's index, kind and confidences, y0, the value ``max a + min a`` of
    Lemmas B.1-B.2, and whether ``M_MME = y0`` under every and under some tie rule."""
    for idx, (kind, conf, _) in enumerate(_simplex(profile, seed)):
        for y0 in range(conf.shape[-1]):
            every, some = mme_tie_rules(conf, y0)
            yield idx, kind, conf, y0, cd.mme_condition_value(conf, y0), every, some


def _lemB1_check(profile: Profile, seed: int, strict: bool = True) -> CheckOutcome:
    """Lemma B.1 (corrected): max a + min a > 0 => M_MME = y0 under every tie rule."""
    violations, total, zero = [], 0, 0
    for idx, kind, conf, y0, value, every, _ in _mme_cases(profile, seed):
        cond = value > 0 if strict else value >= 0
        total += conf.shape[0]
        zero += int(np.sum(value == 0))
        if np.any(bad := cond & ~every):
            k = int(np.argmax(bad))
            violations.append(f"batch #{idx} ({kind}) y0={y0}: value {value[k]:.3g} but a tie rule picks another "
                              f"class; f = {np.round(conf[k], 4).tolist()}")
    return counted_outcome(violations, total, f"{total} (point, y0) pairs, {zero} with value exactly 0 "
                                              f"(adversarial ties)")


def _lemB2_check(profile: Profile, seed: int, assume: bool = True) -> CheckOutcome:
    """Lemma B.2: assumption (2) and M_MME = y0 under some tie rule => max a + min a >= 0."""
    violations, total, held = [], 0, 0
    for idx, kind, conf, y0, value, _, some in _mme_cases(profile, seed):
        a2 = _assumption2(conf, y0) if assume else np.ones(conf.shape[0], bool)
        total += conf.shape[0]
        held += int(np.sum(a2 & some))
        if np.any(bad := a2 & some & (value < 0)):
            k = int(np.argmax(bad))
            violations.append(f"batch #{idx} ({kind}) y0={y0}: M_MME = y0 but value {value[k]:.3g} < 0; "
                              f"f = {np.round(conf[k], 4).tolist()}")
    return counted_outcome(violations, total, f"{total} (point, y0) pairs, {held} meeting the premises")


def _thm4_check(profile: Profile, seed: int, strict: bool = True, assume: bool = True) -> CheckOutcome:
    """Theorem 4 on finite balls: each batch is the model's values on a set of points of a ball.

    Any finite assignment of confidence vectors to distinct points extends to a smooth model, so Theorem 4 on
    such sets is the statement at its most demanding. 'If': value > 0 on the set => M_MME = y0 on the set
    (every tie rule); 'only if': (2) and M_MME = y0 (some tie rule) on the set => value >= 0 on the set. Each batch
    is split into balls of 5 points.
    """
    violations, balls = [], 0
    for idx, (kind, conf, _) in enumerate(_simplex(profile, seed)):
        sets = conf[: conf.shape[0] // 5 * 5].reshape(-1, 5, *conf.shape[1:])
        for y0 in range(conf.shape[-1]):
            value = cd.mme_condition_value(sets, y0)
            every, some = mme_tie_rules(sets, y0)
            a2 = _assumption2(sets, y0) if assume else np.ones(value.shape, bool)
            cond = np.all(value > 0 if strict else value >= 0, axis=-1)
            balls += value.shape[0]
            if np.any(cond & ~np.all(every, axis=-1)):
                violations.append(f"batch #{idx} ({kind}) y0={y0}: condition on the ball but not r-robust")
            premise = np.all(a2 & some, axis=-1)
            if np.any(premise & np.any(value < 0, axis=-1)):
                violations.append(f"batch #{idx} ({kind}) y0={y0}: r-robust under (2) but the value is < 0 somewhere")
    return counted_outcome(violations, balls, f"{balls} (ball, y0) pairs of 5 points each")


# =====================================================================================================
# registry
# =====================================================================================================


def _mme_n_radius(ens: QuadraticEnsemble, remainder: float, over_members: str, sum_form: bool) -> float:
    if sum_form:
        return float(cd.mme_sum_form_certified_radius(ens.a, ens.g, ens.y0, ens.beta))
    if remainder == 2.0 and over_members == "min":
        return float(cd.mme_partner_certified_radius(ens.a, ens.g, ens.y0, ens.beta))
    s, g = cd.mme_pair_taylor_terms(ens.a, ens.g, ens.y0)
    per_member = cd.largest_radius(remainder * ens.beta, g, s).min(axis=(-2, -1)).max(axis=-1)
    return float(per_member.min() if over_members == "min" else per_member.max())


def _mme_n_check(profile: Profile, seed: int, remainder: float = 2.0, over_members: str = "min",
                 sum_form: bool = False) -> CheckOutcome:
    """Ledger ``mme-n``: the partner radius never covers a flip (rigorous flip points; C = 2 also its exact bracket)."""
    rng = numpy_stream(seed, "mme-n")
    count = instance_count(profile, 2)
    violations = []
    for i in range(count):
        n, c = 3 + i % 6, 2 if i % 4 else 3
        ens = random_ensemble(rng, n_models=n, n_classes=c, d=min(random_dimension(rng), 12), beta=random_beta(rng),
                              rule="mme", curvature=CURVATURES[i % len(CURVATURES)])
        radius = _mme_n_radius(ens, remainder, over_members, sum_form)
        flips = mme_many.flips_within(ens, radius)
        upper = mme_many.radius_bracket(ens)[1] if c == 2 else np.inf
        if flips or radius > upper * (1 + TOL):
            violations.append(f"{describe(ens)}: certified {radius:.4g}, flip at {min(flips + [upper]):.4g}")
    return counted_outcome(violations, count, f"{count} MMEs (N 3-8)")


def _mme_n_conj_check(profile: Profile, seed: int, claim: str = "margin") -> CheckOutcome:
    """Ledger ``mme-n-conj``: no move of kind ``claim`` ever lowers the radius for certain (see mme_many.summarize)."""
    rows = mme_many.study_rows(profile.name, seed)
    summary = mme_many.summarize(rows)[claim]
    bad = [r for r in rows if r.move == claim and r.counterexample]
    violations = [f"N={r.n_models} d={r.d}: radius >= {r.lower_before:.4g} before, <= {r.upper_after:.4g} after"
                  for r in bad]
    return counted_outcome(violations, summary["qualifying"], f"{summary['qualifying']} '{claim}' moves searched")


def _cond(rule, statement, divisor=1):
    return functools.partial(_condition_check, rule, statement, divisor=divisor)


def _cond_m(name, rule, statement, divisor=1) -> Mutation:
    return Mutation(name, _cond(rule, statement, divisor))


_MN = ("two-class quadratic MMEs with N 3-8 (and C = 3 for the flip search): exact radius brackets from pair-sum "
       "trust-region radii and flip points found by mme_predict (verify/mme_many.py)")
_QT = ("exact trust-region radii of quadratic ensembles (||H|| <= beta; random and extremal Hessians), "
       "radii 1e-6 to 3x beyond and inside the exact radius")
_SX = "Dirichlet, integer-grid (exact ties) and near-tie confidence arrays; predictions of Defs. 2-3 written independently"

CHECKS = [
    Check("def2", "def2_we_prediction_reference", _SX, "M_WE = argmax_i sum_j w_j f_j(x)_i",
          "same, ties to the lowest class", _def2_check,
          (mutation("ties to the highest class", _def2_check,
                    predict=lambda f, w: f.shape[-1] - 1 - np.argmax(cd.we_scores(f, w)[..., ::-1], axis=-1)),
           mutation("unweighted sum", _def2_check, predict=lambda f, w: cd.we_predict(f, np.ones_like(w))))),
    Check("def3", "def3_mme_prediction_reference", _SX, "M_MME = F_c(x), c = argmax_i (top-1 minus runner-up of f_i)",
          "same, ties to the lowest model and class", _def3_check,
          (mutation("largest top-1 confidence decides", _def3_check,
                    predict=lambda f: np.argmax(np.take_along_axis(
                        f, np.argmax(f.max(axis=-1), axis=-1)[..., None, None], axis=-2)[..., 0, :], axis=-1)),
           mutation("smallest gap decides", _def3_check,
                    predict=lambda f: np.argmax(np.take_along_axis(
                        f, np.argmin(cd.mme_gaps(f), axis=-1)[..., None, None], axis=-2)[..., 0, :], axis=-1)))),
    Check("factB1", "factB1_single_condition_pointwise", _SX,
          "r-robust iff min_y f^{y0/y} >= 0 on the closed ball", "> 0 sufficient, >= 0 necessary (ties)",
          functools.partial(_pointwise_check, target="single"),
          (mutation("printed: >= 0 sufficient", _pointwise_check, target="single", strict=False),)),
    Check("propB2", "propB2_we_condition_pointwise", _SX,
          "r-robust iff min_y sum_j w_j f_j^{y0/y} >= 0 on the closed ball", "> 0 sufficient, >= 0 necessary (ties)",
          functools.partial(_pointwise_check, target="we"),
          (mutation("printed: >= 0 sufficient", _pointwise_check, target="we", strict=False),)),
    Check("lemB1", "lemB1_mme_sufficient_any_tie_rule", _SX + "; adversarial tie rule",
          "max a + min a >= 0 => M_MME = y0", "> 0 => M_MME = y0 under every tie rule", _lemB1_check,
          (mutation("printed >= 0 under adversarial ties", _lemB1_check, strict=False),)),
    Check("lemB2", "lemB2_mme_necessary_under_assumption2", _SX + "; favourable tie rule",
          "(2) and M_MME = y0 => max a + min a >= 0", "same (under any tie rule)", _lemB2_check,
          (mutation("assumption (2) dropped", _lemB2_check, assume=False),)),
    Check("thm4", "thm4_mme_condition_on_finite_balls", _SX + "; sets of 5 points as balls",
          "r-robust iff max a + min a >= 0 on the ball (under (2))", "> 0 on the ball sufficient; >= 0 necessary "
          "under (2)", _thm4_check,
          (mutation("printed >= 0 sufficient", _thm4_check, strict=False),
           mutation("assumption (2) dropped", _thm4_check, assume=False))),
    Check("thm1", "thm1_we_quadratic_exact_radius", _QT + "; N 2-10, C 2-10",
          "Eq. (4) => r-robust => Eq. (5) (printed 'r sum w f' in (4))",
          "same with (1/r) sum w f; both bounds attained", _cond("we", _thm1()),
          (_cond_m("beta halved in Eq. (4)", "we", _thm1(beta_scale=0.5)),
           _cond_m("Eq. (5) without + beta r sum w", "we", _thm1(necessary_term=0.0)),
           _cond_m("Eq. (4) read literally (r times the margin)", "we", _thm1(literal_printed=True)))),
    Check("propB3", "propB3_single_quadratic_exact_radius", _QT + "; C 2-10",
          "Eq. (31) => r-robust => Eq. (32)", "same, both attained", _cond("single", _propB3()),
          (_cond_m("beta halved in Eq. (31)", "single", _propB3(beta_scale=0.5)),
           _cond_m("Eq. (32) without + beta r", "single", _propB3(necessary_term=0.0)))),
    Check("thm3", "thm3_mme_quadratic_pair_radius", _QT + "; two models, C 2-6; pair-sum radius (the MME radius "
          "where assumption (2) is certified on the ball) and the affine equality case",
          "Eq. (12) with <= => r-robust => Eq. (13)", "same on the simplex (<= fails only for affine models off the "
          "simplex, beta = G = S = 0, where Eq. (12) must be strict)",
          _cond("mme", _thm3(), divisor=2),
          (_cond_m("2 beta r replaced by beta r in Eq. (12)", "mme", _thm3(beta_scale=0.5), divisor=2),
           _cond_m("Eq. (13) without + 2 beta r", "mme", _thm3(necessary_term=0.0), divisor=2),
           _cond_m("<= in Eq. (12) with affine models off the simplex", "mme", _thm3(strict=False), divisor=2))),
    Check("eri6", "eri6_indicator_quadratic", "Eq. (6) recomputed from the quadratic coefficients; " + _QT,
          "I_y = ||sum w grad f^{y0/y}||/||w||_1 - sum w f^{y0/y}/(r ||w||_1)",
          "same; max I <= -beta r iff Eq. (4), max I <= beta r iff Eq. (5)", _eri_check,
          (mutation("r in place of 1/(r ||w||_1) (extracted Eq. 7)", _eri_check, eri_fn=_printed_eri),)),
    Check("mme-n", "mme_n_partner_condition_quadratic", _MN, "(open in the paper: N > 2 left as future work)",
          "a partner for every member whose pair satisfies Eq. (12) suffices for r-robust (any N, any tie rule); "
          "not necessary",
          _mme_n_check,
          (mutation("2 beta r replaced by beta r", _mme_n_check, remainder=1.0),
           mutation("one member with a partner suffices (max over members)", _mme_n_check, over_members="max"),
           mutation("Eq. (5) form: Taylor radius of the sum of all margins", _mme_n_check, sum_form=True))),
    Check("mme-n-conj", "mme_n_conjecture_search", _MN + "; moves that diversify one gradient or raise one margin",
          "for N > 2 the tendency is similar to Eq. (5): diverse gradients and large margins raise MME robustness",
          "open as a tendency; sum-form reading refuted: more diverse gradients (||sum g||, mean cosine) can lower "
          "the radius (they raise it more often); with two classes larger margins never lower it",
          _mme_n_conj_check,
          (mutation("the paper's reading: more diverse gradients never lower the radius", _mme_n_conj_check,
                    claim="diversify"),)),
    Check("eri-beta", "eri_beta_verdict_quadratic", _QT,
          "min_y I <= -beta r => robust; min_y I > beta r => not robust",
          "max_y I <= -beta r => robust; max_y I > beta r => not robust (printed (1) false)", _eri_beta_check,
          (mutation("printed min rule", _eri_beta_check, verdict=_verdict_printed_min),)),
]
