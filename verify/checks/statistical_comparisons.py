"""Appendix D's comparisons of certificates: Corollaries 5-6 and Lemma D.4, exact and deterministic.

Corollaries 5-6 compare the computed certificates of Theorems 6-7 and 8-9 (ratios within 1e-9 of a
threshold are not judged); Lemma D.4 evaluates both sides of Eq. (46) directly (instances within 1e-9 of the
threshold are undecidable in floating point and skipped).
"""

from __future__ import annotations

import math

import numpy as np

from drt_min.seeding import numpy_stream
from theory import statistical as stat

from . import CheckOutcome, Profile
from .statistical_models import Law, SYMMETRIC_KINDS, random_shape, law_min_var, law_var

# ---------------------------------------------------------------------------------------------
# Corollaries 5 and 6: comparisons of computed certificates (exact, deterministic)
# ---------------------------------------------------------------------------------------------

_REL = 1e-9  # ratios this close to a threshold are not judged (rounding)


def _lambda1_grid(mu: float, rng: np.random.Generator, count: int = 24) -> np.ndarray:
    top = mu / (1 - mu) * 0.999
    return np.sort(np.concatenate([np.geomspace(top * 1e-6, top, count // 2),
                                   rng.uniform(0, top, count - count // 2) + 1e-12]))


def _weight_sets(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    one_hot = np.zeros(n)
    one_hot[0] = 1.0
    return [one_hot, np.ones(n)] + [rng.exponential(size=n) + 1e-3 for _ in range(3)]


def _comparison_check(instances, describe, labels=("decided 'WE better'", "decided 'MME better'")) -> CheckOutcome:
    """``instances`` yields (ok, first condition, second condition, failure text) per parameter point; both
    conditions must occur somewhere, or the check is vacuous and fails."""
    failures, counts = [], np.zeros(2, dtype=int)
    total = 0
    for ok, we_dec, mme_dec, text in instances:
        total += 1
        counts += (we_dec, mme_dec)
        if not ok:
            failures.append(text)
    vacuous = counts.min() == 0
    detail = (f"{total} parameter points; {counts[0]} {labels[0]}, {counts[1]} {labels[1]}; {describe}"
              + (f"; {len(failures)} fail, first: {failures[0]}" if failures else "")
              + ("; vacuous (a bullet never applied)" if vacuous else ""))
    return CheckOutcome(not failures and not vacuous, 0, 0.0, detail)


def _corollary5_points(profile: Profile, seed: int, c1_sqrt_n: bool = False, c2_sqrt_n: bool = True):
    rng = numpy_stream(seed, "statistical:corollary5")
    for i in range(profile.instances):
        kind = str(SYMMETRIC_KINDS[i % len(SYMMETRIC_KINDS)])
        mu = float(rng.uniform(0.55, 0.95))
        law = Law(kind, mu, float(rng.uniform(0.1, 1.0)) * min(mu, 1 - mu), random_shape(kind, rng))
        n = int(rng.integers(1, 13))
        s, s_f = math.sqrt(law_var(law)), math.sqrt(law_min_var(law, n))
        lam2 = float(rng.uniform(0.02, 0.98)) * mu / (1 - mu)
        c1 = (math.sqrt(n) if c1_sqrt_n else 1.0) * s_f / s
        c2 = (math.sqrt(n) if c2_sqrt_n else 1.0) * s_f / s
        thr1, thr2 = float(stat.lemma_d4_threshold(mu, lam2, c1)), float(stat.lemma_d4_threshold(mu, lam2, c2))
        weights = _weight_sets(n, rng)
        for lam1 in _lambda1_grid(mu, rng):
            ratio = lam1 / lam2
            mme = float(stat.mme_bound(0.0, mu, s_f, lam2))
            we = np.array([float(stat.we_bound(0.0, mu, s, lam1, w)) for w in weights])
            we_dec = ratio < thr1 * (1 - _REL) - 1e-15
            mme_dec = ratio > thr2 * (1 + _REL) + 1e-15
            ok = (not we_dec or np.all(we > mme)) and (not mme_dec or np.all(mme > we))
            # remark (2): for equal weights the second threshold alone decides
            equal_gap = mme - we[1]
            if c2_sqrt_n and abs(ratio - thr2) > _REL * max(abs(thr2), 1e-12) and abs(equal_gap) > 1e-12:
                ok = ok and ((equal_gap > 0) == (ratio > thr2))
            yield ok, we_dec, mme_dec, (f"{law.kind} N={n} mu={mu:.4f} lam1={lam1:.4g} lam2={lam2:.4g}: "
                                        f"thresholds {thr1:.4g}, {thr2:.4g}; WE {we.min():.6f}..{we.max():.6f}, "
                                        f"MME {mme:.6f}")


def run_corollary5(**kw):
    return lambda profile, seed: _comparison_check(_corollary5_points(profile, seed, **kw),
                                                   "Theorem 6 for one-hot, equal and random weights vs Theorem 7")


def _uniform_parameters(rng: np.random.Generator):
    a = float(rng.uniform(0.0, 0.8))
    b = float(rng.uniform(a + 0.05, 1.0))
    mu = (a + b) / 2
    lam2 = float(rng.uniform(0.02, 0.98)) * mu / (1 - mu)
    return a, b, mu, lam2


def _corollary6_points(profile: Profile, seed: int, scale1: float = 12.0, scale2: float = 12.0):
    rng = numpy_stream(seed, "statistical:corollary6")
    for _ in range(profile.instances):
        a, b, mu, lam2 = _uniform_parameters(rng)
        n = int(rng.integers(1, 31))
        thr1, _ = stat.corollary6_thresholds(mu, lam2, n, scale=scale1)
        _, thr2 = stat.corollary6_thresholds(mu, lam2, n, scale=scale2)
        thr1, thr2 = float(thr1), float(thr2)
        weights = _weight_sets(n, rng)
        mme = float(stat.uniform_mme_bound(0.0, a, b, lam2, n))
        for lam1 in _lambda1_grid(mu, rng):
            ratio = lam1 / lam2
            we = np.array([float(stat.uniform_we_bound(0.0, a, b, lam1, w)) for w in weights])
            we_dec = ratio < thr1 * (1 - _REL) - 1e-15
            mme_dec = ratio > thr2 * (1 + _REL) + 1e-15
            ok = (not we_dec or np.all(we > mme)) and (not mme_dec or np.all(mme > we))
            yield ok, we_dec, mme_dec, (f"U[{a:.4f}, {b:.4f}] N={n} lam1={lam1:.4g} lam2={lam2:.4g}: thresholds "
                                        f"{thr1:.4g}, {thr2:.4g}; WE {we.min():.6f}..{we.max():.6f}, MME {mme:.6f}")


def run_corollary6_bullets(scale1=12.0, scale2=12.0):
    return lambda profile, seed: _comparison_check(
        _corollary6_points(profile, seed, scale1, scale2),
        f"Theorem 8 (/24) vs Theorem 9 (c_N K2^2/2), Lemma D.4 with C^2 = {scale1:g} c_N and {scale2:g} N c_N")


def _corollary6_bullet3_points(profile: Profile, seed: int, scale: float = 12.0):
    """Premise ``N > scale (1 - B(lam2)/mu)^-2 - 2``; claim: Eq. (50) >= Eq. (49) for every lam1 and weights."""
    rng = numpy_stream(seed, "statistical:corollary6-bullet3")
    ledger_example = (0.6, 1.0, 0.8, 0.25)  # N = 10 > 8.67 (printed premise), yet WE's certificate is larger
    for i in range(profile.instances + 1):
        a, b, mu, lam2 = ledger_example if i == 0 else _uniform_parameters(rng)
        n12 = float(stat.corollary6_min_n(mu, lam2))
        n_min = float(stat.corollary6_min_n(mu, lam2, scale=scale))
        if n12 > 400:
            continue  # keep N moderate
        # N spread over both sides of the premise, plus the smallest N it admits
        candidates = {int(math.floor(n_min)) + 1, int(math.floor(n12)) + 1, int(rng.integers(1, int(1.5 * n12) + 3))}
        for n in sorted(candidates | ({10} if i == 0 else set())):
            if n < 1:
                continue
            premise = n > n_min
            mme = float(stat.uniform_mme_bound(0.0, a, b, lam2, n))
            weights = [np.ones(n)] + [rng.exponential(size=n) + 1e-3 for _ in range(2)]
            lam1s = np.concatenate([[1e-12], _lambda1_grid(mu, rng, 12)])
            we = np.array([[float(stat.uniform_we_bound(0.0, a, b, l1, w)) for w in weights] for l1 in lam1s])
            dominates = bool(np.all(mme >= we - 1e-12))
            ok = dominates or not premise
            # the exact condition: MME >= WE for every lam1 iff 12 N^2/((N+1)^2(N+2)) <= (1 - B/mu)^2
            exact = bool(stat.corollary6_mme_dominates(mu, lam2, n))
            if abs(mme - we[0, 0]) > 1e-9:
                ok = ok and exact == (mme >= we[0, 0])
            yield ok, premise, exact, (f"U[{a:.4f}, {b:.4f}] (mu = {mu:.4f}) lam2={lam2:.4g} (B/mu = "
                                       f"{lam2 / (1 + lam2) / mu:.4f}) N={n} > {n_min:.3f}: MME {mme:.6f} < WE "
                                       f"{we.max():.6f} at lam1 -> 0, equal weights")


def run_corollary6_bullet3(scale=12.0):
    return lambda profile, seed: _comparison_check(
        _corollary6_bullet3_points(profile, seed, scale),
        "MME >= WE checked for lam1 in [1e-12, mu/(1-mu)) and equal and random weights",
        labels=(f"meet the premise N > {scale:g} (1 - B/mu)^-2 - 2", "meet the exact condition"))


# ---------------------------------------------------------------------------------------------
# Lemma D.4 (exact up to floating point)
# ---------------------------------------------------------------------------------------------


def lemma_d4(profile: Profile, seed: int, c_scale: float = 1.0) -> CheckOutcome:
    """Lemma D.4, Eq. (46): ratio < C iff lam1/lam2 < threshold(C), on random (mu, lam1, lam2, C) with C up to 3."""
    rng = numpy_stream(seed, "statistical:lemma-d4")
    n = profile.samples
    lam1, lam2 = np.exp(rng.uniform(-4, 2, size=(2, n)))
    lo = np.maximum(stat.confidence_level(lam1), stat.confidence_level(lam2))
    mu = rng.uniform(lo, 1.0)
    c = np.exp(rng.uniform(np.log(0.05), np.log(3.0), size=n))
    left = stat.lemma_d4_ratio(mu, lam1, lam2) - c
    right = lam1 / lam2 - stat.lemma_d4_threshold(mu, lam2, c * c_scale)
    decided = (np.abs(left) > 1e-9) & (np.abs(right) > 1e-9)
    agree = np.sign(left[decided]) == np.sign(right[decided])
    return CheckOutcome(bool(agree.all()), int(decided.sum()), 0.0,
                        f"{int((~agree).sum())} disagreements among {int(decided.sum())} decided instances "
                        f"(C > 1 in {int((c[decided] > 1).sum())})")
