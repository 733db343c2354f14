"""Appendix D's moment statements: Lemma D.1 (exact CDFs) and Lemmas D.3, D.5 and Fact D.1 (sampled moments).

Lemma D.1 is compared with the exact CDFs of random symmetric laws. The moment checks compare sample means of
bounded variables (variances by the unbiased pair statistic ``(X - X')^2 / 2``) with the exact values through
the empirical Bernstein bound (Maurer and Pontil, 2009, Thm 4).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from drt_min.seeding import numpy_stream
from theory import statistical as stat
from verify.stats import FALSE_ALARM

from . import CheckOutcome, Profile
from .statistical_models import (
    Law, SYMMETRIC_KINDS, ensemble_samples, random_shape, random_weights, law_cdf, law_mean, law_min_var, law_sample,
    law_var
)

__all__ = ["empirical_bernstein_halfwidth"]

# ---------------------------------------------------------------------------------------------
# Lemma D.1 with exact CDFs
# ---------------------------------------------------------------------------------------------


def _lemma_d1_laws(count: int, seed: int, symmetric: bool = True) -> list[Law]:
    """Random laws symmetric about a positive mean (or, with ``symmetric=False``, skewed ones)."""
    rng = numpy_stream(seed, "statistical:lemma-d1-laws")
    fixed = [Law("three_point", 1.0, 1.0, 0.2), Law("three_point", 0.5, 0.5, 1.0), Law("uniform", 1.0, 0.5),
             Law("two_point", 1.0, 2.0)]
    if not symmetric:
        fixed = [Law("asym_two_point", 0.5, 0.5, 0.2), Law("asym_beta", 0.6, 0.6, 0.3, 3.0)]
    laws = []
    for _ in range(count):
        kind = str(rng.choice(SYMMETRIC_KINDS + ("two_point",))) if symmetric else str(
            rng.choice(["asym_two_point", "asym_beta"]))
        center = float(np.exp(rng.uniform(-3, 2)))
        half = center * float(np.exp(rng.uniform(-1.5, 1.5)))
        shape = random_shape(kind, rng)
        if kind == "asym_two_point":
            shape = float(rng.uniform(0.05, 0.45))
        laws.append(Law(kind, center, half, shape, float(rng.uniform(2.0, 6.0))))
    return fixed + laws


def run_lemma_d1(factor: float = 0.5, flipped: bool = False, symmetric: bool = True):
    """``Pr(X <= 0) <= factor Var X / (E X)^2`` (factor 1/2 in the lemma), exactly, on random laws.

    Also checks sharpness: the three-point law on {0, EX, 2 EX} attains the bound, and no law exceeds
    ``min(1/2, bound)``.
    """
    def run(profile, seed):
        laws = _lemma_d1_laws(profile.instances, seed, symmetric)
        failures, attained = [], 0
        for law in laws:
            mean, var = law_mean(law), law_var(law)
            tail, bound = law_cdf(law, 0.0), factor * var / mean**2
            ok = tail >= bound - 1e-12 if flipped else tail <= bound + 1e-12
            if not flipped and symmetric:
                ok = ok and tail <= float(stat.symmetric_tail_sup(mean, var)) + 1e-12
            if law.kind == "three_point" and abs(law.half - law.center) < 1e-15:
                attained += abs(tail - bound) < 1e-12
            if not ok:
                failures.append(f"{law}: Pr(X <= 0) = {tail:.6g} vs {'>=' if flipped else '<='} {bound:.6g}")
        detail = (f"{len(laws)} laws, exact CDFs; bound attained by {attained} three-point laws"
                  + (f"; {len(failures)} fail, first: {failures[0]}" if failures else ""))
        return CheckOutcome(not failures, 0, 0.0, detail)
    return run


# ---------------------------------------------------------------------------------------------
# moments (Lemma D.3, Lemma D.5, Fact D.1) with empirical Bernstein bounds
# ---------------------------------------------------------------------------------------------


def empirical_bernstein_halfwidth(z: np.ndarray, value_range: float, delta: float) -> float:
    """Two-sided half-width for the mean of i.i.d. ``z`` in an interval of length ``value_range``.

    Maurer and Pontil (2009), Theorem 4, on each side at ``delta/2``: with probability at least ``1 - delta``,
    ``|E z - mean(z)| <= sqrt(2 V ln(4/delta) / n) + 7 R ln(4/delta) / (3 (n - 1))`` with ``V`` the unbiased sample
    variance and ``R`` the range.
    """
    return _Summary.of(np.asarray(z, dtype=np.float64), value_range).halfwidth(delta)


@dataclass(frozen=True)
class _Summary:
    """Sample mean, unbiased sample variance, count and range of a bounded i.i.d. sample."""

    mean: float
    var: float
    n: int
    value_range: float

    @classmethod
    def of(cls, z: np.ndarray, value_range: float) -> "_Summary":
        if z.size < 2 or value_range <= 0:
            raise ValueError("need n >= 2 and a positive range")
        return cls(float(np.mean(z)), float(np.var(z, ddof=1)), int(z.size), float(value_range))

    def halfwidth(self, delta: float) -> float:
        log_term = math.log(4 / delta)
        return math.sqrt(2 * self.var * log_term / self.n) + 7 * self.value_range * log_term / (3 * (self.n - 1))


@dataclass(frozen=True)
class _Claim:
    """A moment claim: E z vs ``value`` with ``side`` '=', '<=' (E z <= value) or '>=' (E z >= value)."""

    name: str
    summary: _Summary
    value: float
    side: str = "="


def _claim_ok(claim: _Claim, delta: float) -> tuple[bool, float]:
    """Whether the claim survives a two-sided band at ``delta``; also the relative excess over the band."""
    mean, half = claim.summary.mean, claim.summary.halfwidth(delta)
    scale = max(abs(claim.value), 1e-300)
    if claim.side == "=":
        return abs(mean - claim.value) <= half, (abs(mean - claim.value) - half) / scale
    if claim.side == "<=":
        return mean - half <= claim.value, (mean - half - claim.value) / scale
    return mean + half >= claim.value, (claim.value - mean - half) / scale


def _pair_variance(x: np.ndarray) -> np.ndarray:
    """``(X - X')^2 / 2`` over disjoint halves: i.i.d. with mean ``Var X``."""
    half = x.size // 2
    return (x[:half] - x[half: 2 * half]) ** 2 / 2


def _moment_check(instances, claims_of) -> CheckOutcome:
    """Run every claim of every instance at a Bonferroni share of the false-alarm budget."""
    all_claims = [(inst, c) for inst in instances for c in claims_of(inst)]
    delta = FALSE_ALARM / len(all_claims)
    failures, samples, worst = [], 0, -math.inf
    for inst, claim in all_claims:
        ok, excess = _claim_ok(claim, delta)
        worst = max(worst, excess)
        samples += claim.summary.n
        if not ok:
            failures.append(f"{claim.name} ({inst.law.kind}, N={inst.n}): mean {claim.summary.mean:.6g} vs "
                            f"{claim.side} {claim.value:.6g}")
    detail = (f"{len(instances)} instances, {len(all_claims)} moment claims, largest relative excess over the "
              f"confidence band {worst:+.3f}" + (f"; {len(failures)} fail, first: {failures[0]}" if failures else ""))
    return CheckOutcome(not failures, samples, FALSE_ALARM, detail)


@dataclass(frozen=True)
class _MomentInstance:
    law: Law
    n: int
    lam: float
    weights: tuple[float, ...]
    stats: dict  # name -> _Summary for x1, x1var, x2, x2var, min_var, max_var

    @property
    def w(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64)


def _summaries(law: Law, lam: float, w: np.ndarray, f: np.ndarray) -> dict:
    width = law.hi - law.lo
    x1, x2 = stat.we_margin(f, w, lam), stat.mme_margin(f, lam)
    r1, r2 = (1 + lam) * w.sum() * width, 2 * (1 + lam) * width
    return {"x1": _Summary.of(x1, r1), "x1var": _Summary.of(_pair_variance(x1), r1**2 / 2),
            "x2": _Summary.of(x2, r2), "x2var": _Summary.of(_pair_variance(x2), r2**2 / 2),
            "min_var": _Summary.of(_pair_variance(f.min(axis=1)), width**2 / 2),
            "max_var": _Summary.of(_pair_variance(f.max(axis=1)), width**2 / 2)}


@functools.lru_cache(maxsize=16)
def _moment_instances(profile: Profile, seed: int, kinds: tuple[str, ...], stream: str,
                      symmetric: bool = True) -> tuple[_MomentInstance, ...]:
    """Random laws centred in [0.2, 0.8] inside [0, 1], N in 1..10 (N = 1 for every fourth), lam, weights;
    f (S, N) drawn from the law and reduced to summaries (cached, so mutations reuse the samples)."""
    rng = numpy_stream(seed, stream)
    out = []
    for i in range(profile.instances):
        kind = kinds[i % len(kinds)]
        center = float(rng.uniform(0.2, 0.8))
        half = float(rng.uniform(0.1, 1.0)) * min(center, 1 - center)
        shape = random_shape(kind, rng) if symmetric else float(rng.uniform(0.3, 0.6))
        law = Law(kind, center, half, shape, float(rng.uniform(2.5, 5.0)))
        n = 1 if i % 4 == 0 else int(rng.integers(2, 11))
        lam = float(np.exp(rng.uniform(np.log(0.1), np.log(5.0))))
        w = np.asarray(random_weights(n, rng))
        f = law_sample(law, rng, (ensemble_samples(profile), n))
        out.append(_MomentInstance(law, n, lam, tuple(w), _summaries(law, lam, w, f)))
    return tuple(out)


def _lemma_d3_claims(var1_scale=1.0, mean2_offset=2.0, upper=4.0, lower=2.0):
    def claims(inst: _MomentInstance):
        law, n, lam, w, z = inst.law, inst.n, inst.lam, inst.w, inst.stats
        mu, s, s_f2 = law_mean(law), math.sqrt(law_var(law)), law_min_var(law, n)
        e1, v1 = stat.we_margin_moments(mu, s, lam, w)
        _, v2_upper = stat.mme_margin_moments(mu, math.sqrt(s_f2), lam)
        return [
            _Claim("E X1", z["x1"], float(e1)),
            _Claim("Var X1", z["x1var"], var1_scale * float(v1)),
            _Claim("E X2", z["x2"], 2 * (1 + lam) * mu - mean2_offset * lam),
            _Claim("Var X2 upper", z["x2var"], float(v2_upper) * upper / 4, "<="),
            _Claim("Var X2 lower", z["x2var"], float(v2_upper) * lower / 4, ">="),
        ]
    return claims


def run_lemma_d3(symmetric=True, **kw):
    kinds = SYMMETRIC_KINDS if symmetric else ("asym_beta",)
    instances = functools.partial(_moment_instances, kinds=kinds, stream="statistical:lemma-d3-moments",
                                  symmetric=symmetric)
    return lambda profile, seed: _moment_check(instances(profile, seed),
                                               _lemma_d3_claims(**kw))


def _lemma_d5_claims(var1_denominator=12.0, exact_var2=True, mean1_half=0.5):
    def claims(inst: _MomentInstance):
        a, b, n, lam, w, z = inst.law.lo, inst.law.hi, inst.n, inst.lam, inst.w, inst.stats
        l1 = w.sum()
        _, v1 = stat.uniform_we_margin_moments(a, b, lam, w)
        e2, v2_exact = stat.uniform_mme_margin_moments(a, b, lam, n, exact=True)
        _, v2_printed = stat.uniform_mme_margin_moments(a, b, lam, n)
        return [
            _Claim("E X1", z["x1"], mean1_half * (1 + lam) * l1 * (a + b) - lam * l1),
            _Claim("Var X1", z["x1var"], float(v1) * 12.0 / var1_denominator),
            _Claim("E X2", z["x2"], float(e2)),
            _Claim("Var X2", z["x2var"], float(v2_exact) if exact_var2 else float(v2_printed)),
            _Claim("Var X2 <= printed", z["x2var"], float(v2_printed), "<="),
        ]
    return claims


def run_lemma_d5(**kw):
    return lambda profile, seed: _moment_check(_moment_instances(profile, seed, ("uniform",),
                                                                         "statistical:lemma-d5-moments"),
                                               _lemma_d5_claims(**kw))


def _fact_d1_claims(scale=1.0, shift=0):
    def claims(inst: _MomentInstance):
        value = scale * float(stat.uniform_extreme_variance(inst.law.lo, inst.law.hi, inst.n + shift))
        return [_Claim("Var min", inst.stats["min_var"], value), _Claim("Var max", inst.stats["max_var"], value)]
    return claims


def run_fact_d1(**kw):
    return lambda profile, seed: _moment_check(_moment_instances(profile, seed, ("uniform",),
                                                                         "statistical:fact-d1-moments"),
                                               _fact_d1_claims(**kw))
