"""Appendix D checks (verify/checks/statistical.py and its statistical_*.py modules): every check passes on
the ci profile, every mutation is caught, and the machinery the checks rely on (confident-by-construction
ensembles, vectorised decisions, exact moments, confidence bands) is tested on generated instances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from scipy import stats

from tests.helpers.verify_registry import (assert_check_passes, assert_mutation_caught, assert_part_covered,
                                          mutation_ids)
from tests.helpers.statistical import mme_predict_loop, we_predict_loop
from tests.helpers.verify_statistical import (exact_tail, min_variance_by_density, scenarios,
                                              symmetric_laws)
from theory import statistical as stat
from theory.ledger.entries_statistical import ENTRIES
from verify.checks import PROFILES
from verify.checks.statistical import CHECKS
from verify.checks.statistical_models import (TIE, Law, Scenario, law_cdf, law_mean, law_min_var, law_sample, law_var,
                                              mme_correct, sample_confidences, single_correct, we_correct)
from verify.checks.statistical_moments import empirical_bernstein_halfwidth
from verify.stats import FALSE_ALARM, alarm_probability

_BY_NAME = {check.name: check for check in CHECKS}
_MUTATIONS = mutation_ids(CHECKS)
_QUANTITATIVE = {"lemD1", "propD1", "lemD2", "lemD3", "thm6", "thm7", "mcdiarmid", "lemD4", "cor5", "propD2",
                 "lemD5", "factD1", "thm8", "thm9", "cor6-12", "cor6-3"}


# ---------------------------------------------------------------------------------------------
# the checks and their mutations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_BY_NAME))
def test_check_passes(name):
    assert_check_passes(CHECKS, name, max_false_alarm=FALSE_ALARM, sampled=False)


@pytest.mark.parametrize("name, mutation", _MUTATIONS)
def test_mutation_is_caught(name, mutation):
    assert_mutation_caught(CHECKS, name, mutation)


def test_every_quantitative_statement_has_a_check_with_mutations():
    assert_part_covered(CHECKS, _QUANTITATIVE, ENTRIES)


def test_the_printed_corollary6_bullet3_is_refuted_by_its_check():
    """The mutation with the printed constant 6 fails on the ledger's counterexample (N = 10, U[0.6, 1], lam2 = 1/4)."""
    check = _BY_NAME["corollary6_bullet3_certificate_order"]
    outcome = check.mutations[0].run(PROFILES["ci"], 0)
    assert not outcome.passed and "U[0.6000, 1.0000]" in outcome.detail
    a, b, lam2, n = 0.6, 1.0, 0.25, 10
    assert n > stat.corollary6_min_n(0.8, lam2, scale=6)
    assert stat.uniform_mme_bound(0.0, a, b, lam2, n) < stat.uniform_we_bound(0.0, a, b, 1e-12, np.ones(n))


def test_attained_instance_stays_within_the_false_alarm_budget():
    """Proposition D.1 is attained (three-point law, p = 0): the check's alarm probability there is exact."""
    level = FALSE_ALARM / (PROFILES["ci"].instances + 5)
    assert alarm_probability(PROFILES["ci"].samples, 0.75, 0.75, level, at_most=False) <= level
    # and a bound 0.03 too high is caught almost surely
    assert alarm_probability(PROFILES["ci"].samples, 0.75, 0.78, level, at_most=False) > 0.999


# ---------------------------------------------------------------------------------------------
# the models the checks sample
# ---------------------------------------------------------------------------------------------


@given(scenarios(), st.integers(0, 2**32 - 1))
@example(Scenario(Law("three_point", 0.7, 0.2, 0.9), 2, 2, 1.0, 0.0, (1.0, 1.0)), 0)
def test_constructed_ensembles_are_confident_with_exact_p(sc, seed):
    """Definitions 8-10: every good sample has ratio <= lam for single, WE and MME; every bad one > lam."""
    conf, f, bad = sample_confidences(sc, np.random.default_rng(seed), 64)
    y0 = sc.n_classes - 1
    assert np.all(conf >= 0) and np.allclose(conf.sum(axis=-1), 1.0, atol=1e-12)
    assert np.array_equal(conf[..., y0], f)
    ratios = (stat.single_confidence_ratio(conf[:, 0], y0), stat.we_confidence_ratio(conf, sc.w, y0),
              stat.mme_confidence_ratio(conf, y0))
    for ratio in ratios:
        assert np.all(ratio[~bad] <= sc.lam * (1 + 1e-12))
        assert np.all(ratio[bad & (f.max(axis=1) < 1)] > sc.lam)
    assert sc.p > 0 or not bad.any()


@given(scenarios(), st.integers(0, 2**32 - 1))
def test_vectorised_decisions_match_the_definitions(sc, seed):
    """Definitions 2-3 written sample by sample agree with the vectorised decisions (away from rounding ties)."""
    conf, _, _ = sample_confidences(sc, np.random.default_rng(seed), 40)
    y0 = sc.n_classes - 1
    pooled = np.einsum("snc,n->sc", conf, sc.w)
    top2 = np.sort(pooled, axis=-1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 1e-9
    assert np.array_equal(we_correct(conf, sc.w)[clear], (we_predict_loop(conf, sc.w) == y0)[clear])
    margins = np.diff(np.sort(conf, axis=-1)[..., -2:], axis=-1)[..., 0]
    ordered = np.sort(margins, axis=-1)
    clear = ordered[:, -1] - (ordered[:, -2] if sc.n_members > 1 else -1) > 1e-9
    assert np.array_equal(mme_correct(conf)[clear], (mme_predict_loop(conf) == y0)[clear])
    assert np.array_equal(single_correct(conf), np.argmax(conf[:, 0], axis=-1) == y0)


@given(scenarios(), st.integers(0, 2**32 - 1))
def test_lemma_d2_pointwise_on_generated_ensembles(sc, seed):
    """Lemma D.2's proof: a confident sample with a positive margin is classified correctly (WE, MME, single)."""
    conf, f, _ = sample_confidences(sc, np.random.default_rng(seed), 64)
    y0, lam = sc.n_classes - 1, sc.lam
    cases = ((we_correct(conf, sc.w), stat.we_confidence_ratio(conf, sc.w, y0), stat.we_margin(f, sc.w, lam)),
             (mme_correct(conf), stat.mme_confidence_ratio(conf, y0), stat.mme_margin(f, lam)),
             (single_correct(conf), stat.single_confidence_ratio(conf[:, 0], y0), (1 + lam) * f[:, 0] - lam))
    for correct, ratio, margin in cases:
        assert np.all(correct[(ratio <= lam) & (margin > TIE)])
    event(f"{sum(np.any((ratio <= lam) & (margin > TIE)) for _, ratio, margin in cases)} of 3 rules with a case")


# ---------------------------------------------------------------------------------------------
# exact ground truth
# ---------------------------------------------------------------------------------------------


@given(symmetric_laws(inside_unit=False))
@example(Law("three_point", 1.0, 1.0, 0.3))
def test_lemma_d1_on_generated_laws(law):
    mean, var = law_mean(law), law_var(law)
    tail = exact_tail(law)
    assert tail <= stat.symmetric_tail_bound(mean, var) + 1e-12
    assert tail <= 0.5 + 1e-12
    if law.kind == "three_point" and law.half == law.center:
        assert tail == pytest.approx(stat.symmetric_tail_bound(mean, var), abs=1e-12)


@given(symmetric_laws(), st.integers(1, 6))
@example(Law("uniform", 0.5, 0.3), 4)
def test_min_variance_matches_the_density_oracle(law, n):
    exact = law_min_var(law, n)
    assert exact == pytest.approx(min_variance_by_density(law, n), rel=1e-7, abs=1e-12)
    if law.kind == "uniform":
        assert exact == pytest.approx(stat.uniform_extreme_variance(law.lo, law.hi, n), rel=1e-9)


@pytest.mark.parametrize("kind, shape", [("uniform", 1.0), ("beta", 0.05), ("beta", 4.0), ("truncnorm", 1.5),
                                         ("three_point", 0.4), ("two_point", 1.0)])
def test_samplers_follow_their_laws(kind, shape):
    """Kolmogorov-Smirnov-type check of each sampler against the exact CDF (DKW band at 1e-9)."""
    law = Law(kind, 0.6, 0.3, shape)
    x = np.sort(law_sample(law, np.random.default_rng(3), 20_000))
    grid = np.linspace(law.lo, law.hi, 301)[1:-1]  # interior: at the ends a U-shaped CDF is all rounding
    empirical = np.searchsorted(x, grid, side="right") / x.size
    exact = np.array([law_cdf(law, g) for g in grid])
    dkw = math.sqrt(math.log(2 / 1e-9) / (2 * x.size))
    assert np.max(np.abs(empirical - exact)) <= dkw
    assert np.all((x >= law.lo) & (x <= law.hi))


@pytest.mark.parametrize("p", [0.02, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("n", [20, 400])
def test_empirical_bernstein_covers_bernoulli_means_exactly(p, n):
    """Exact coverage of the band for Bernoulli(p) samples: sum of binom.pmf over the counts it misses."""
    delta = 1e-3
    ks = np.arange(n + 1)
    misses = 0.0
    for k in ks:
        z = np.r_[np.ones(k), np.zeros(n - k)]
        if abs(k / n - p) > empirical_bernstein_halfwidth(z, 1.0, delta):
            misses += stats.binom.pmf(k, n, p)
    assert misses <= delta
