"""Statistical robustness (Appendix D): definitions, margins, bounds and comparisons.

Every bound is checked against an exact ground truth (closed forms, scipy CDFs, quadrature), and a
perturbed statement (a constant halved or doubled, an inequality flipped, an assumption dropped) is
shown to fail.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, event, example, given
from hypothesis import strategies as st
from scipy import integrate, stats

from tests.helpers.statistical import (
    binomial_margin_tail,
    confidence_ratio_loop,
    extreme_sum_cdf,
    lambdas,
    mean_above_level,
    mme_predict_loop,
    probabilities,
    sample_three_class,
    sampled_confidences,
    symmetric_law,
    three_class_accuracy,
    three_point_tail,
    uniform_average_margin_tail,
    uniform_mme_margin_tail,
    uniform_ranges,
    we_predict_loop,
    weight_vectors,
)
from theory import statistical as stat
from theory.proofs import statistical as stat_proofs

R = sp.Rational


def _three_point(mean: float, var: float):
    """Values and probabilities of the symmetric three-point law on {mean - d, mean, mean + d}, d = mean."""
    q = var / mean**2
    return np.array([0.0, mean, 2 * mean]), np.array([q / 2, 1 - q, q / 2])


# ---------------------------------------------------------------------------------------------
# Definition 7 and the radius
# ---------------------------------------------------------------------------------------------


@given(sampled_confidences(), st.data())
def test_statistical_robustness_matches_loop(sample, data):
    conf, y0 = sample
    weights = np.asarray(data.draw(st.lists(st.floats(0.05, 1.0), min_size=conf.shape[1], max_size=conf.shape[1])))
    for labels in (we_predict_loop(conf, weights), mme_predict_loop(conf)):
        expected = sum(int(lab == y0) for lab in labels) / len(labels)
        assert stat.statistical_robustness(labels, y0) == pytest.approx(expected)
        assert stat.is_statistically_robust(labels, y0, expected)
        if expected < 1:
            assert not stat.is_statistically_robust(labels, y0, min(1.0, expected + 1e-9))


def test_certified_radius():
    sigma = 0.5
    probs = np.array([-0.2, 0.0, 0.5, 0.6, 0.99, 1.0])
    radius = stat.certified_radius(sigma, probs)
    assert np.all(radius[:3] == 0)
    assert radius[3] == pytest.approx(sigma * stats.norm.ppf(0.6))
    assert radius[4] == pytest.approx(sigma * stats.norm.ppf(0.99))
    assert np.isinf(radius[5])
    assert np.all(np.diff(radius) >= 0)
    with pytest.raises(ValueError):
        stat.certified_radius(0.0, 0.7)
    with pytest.raises(ValueError):
        stat.certified_radius(1.0, 1.2)


# ---------------------------------------------------------------------------------------------
# Definitions 8-10
# ---------------------------------------------------------------------------------------------


@given(sampled_confidences(), st.data())
def test_confidence_ratios_match_definition(sample, data):
    conf, y0 = sample
    s, n, _ = conf.shape
    weights = np.asarray(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    if weights.sum() == 0:
        weights = np.ones(n)
    single = stat.single_confidence_ratio(conf, y0)
    we = stat.we_confidence_ratio(conf, weights, y0)
    mme = stat.mme_confidence_ratio(conf, y0)
    for k in range(s):
        for i in range(n):
            assert single[k, i] == pytest.approx(confidence_ratio_loop(conf[k, i], y0))
        pooled = np.array([sum(weights[i] * conf[k, i, j] for i in range(n)) for j in range(conf.shape[2])])
        rest = sum(weights[i] * (1 - conf[k, i, y0]) for i in range(n))
        others = max(v for j, v in enumerate(pooled) if j != y0)
        assert we[k] == pytest.approx(others / rest)
        # Definition 10: the MME event holds for lam iff every member's single event holds
        for lam in (0.3, 0.7, 1.0):
            every = all(max(v for j, v in enumerate(conf[k, i]) if j != y0) <= lam * (1 - conf[k, i, y0]) + 1e-15
                        for i in range(n))
            assert (mme[k] <= lam + 1e-12) == every or abs(mme[k] - lam) < 1e-9


@given(sampled_confidences(max_samples=40), st.floats(0.0, 1.0))
@example((np.full((4, 1, 2), 0.5), 0), 0.5)
def test_smallest_lambda_reaches_p_and_is_smallest(sample, p):
    conf, y0 = sample
    for ratios in (stat.mme_confidence_ratio(conf, y0), stat.we_confidence_ratio(conf, np.ones(conf.shape[1]), y0),
                   stat.single_confidence_ratio(conf[:, 0], y0)):
        lam = float(stat.confidence_lambda(ratios, p))
        if lam > 0:
            assert stat.confidence_p(ratios, lam) <= p + 1e-12
            assert stat.confidence_p(ratios, lam * (1 - 1e-9)) > p  # any smaller lam misses the target
        else:
            assert np.mean(ratios <= 0) >= 1 - p - 1e-12


def test_confidence_definitions_on_known_models():
    # two classes on the simplex: the ratio is 1, so p(lam) = 1 below 1 and 0 from 1 on
    f = np.array([0.9, 0.6, 0.7])
    conf = np.stack([f, 1 - f], axis=-1)
    assert stat.single_confident_p(conf, 0, 0.99) == 1.0
    assert stat.single_confident_p(conf, 0, 1.0) == 0.0
    assert stat.single_confident_lambda(conf, 0, 0.0) == pytest.approx(1.0)
    # vectorised over a leading axis of lambdas and of p
    assert np.allclose(stat.single_confident_p(conf, 0, np.array([0.5, 1.5])), [1.0, 0.0])
    assert stat.single_confident_lambda(conf, 0, np.array([0.0, 1.0])).tolist() == [1.0, 0.0]
    # a fully confident member: 0/0 counts as ratio 0
    assert stat.single_confidence_ratio(np.array([1.0, 0.0, 0.0]), 0) == 0.0


@given(sampled_confidences(max_samples=25), st.floats(0.0, 0.9))
def test_we_lambda_at_most_mme_lambda(sample, p):
    """Remark after Definition 10: under the same p, lam1 <= lam2 (so lam1/lam2 <= 1), sample by sample."""
    conf, y0 = sample
    w = np.linspace(1.0, 2.0, conf.shape[1])
    we, mme = stat.we_confidence_ratio(conf, w, y0), stat.mme_confidence_ratio(conf, y0)
    assert np.all(we <= mme + 1e-12)
    assert stat.confidence_lambda(we, p) <= stat.confidence_lambda(mme, p) + 1e-12
    assert np.all(we <= 1 + 1e-12)  # on the simplex, lam = 1 is always enough


# ---------------------------------------------------------------------------------------------
# Definitions D.1-D.2 and Lemma D.2
# ---------------------------------------------------------------------------------------------


@given(weight_vectors(), st.floats(0.0, 1.0), lambdas)
def test_margins_match_formulas(w, level, lam):
    f = np.clip(level + 0.1 * np.sin(np.arange(w.size) + 1.0), 0, 1)
    assert stat.we_margin(f, w, lam) == pytest.approx((1 + lam) * sum(w * f) - lam * sum(w))
    assert stat.mme_margin(f, lam) == pytest.approx((1 + lam) * (max(f) + min(f)) - 2 * lam)
    # the margins are the member-wise worst cases of f - lam (1 - f) (proof of Lemma D.2)
    g = f - lam * (1 - f)
    assert stat.we_margin(f, w, lam) == pytest.approx(sum(w * g))
    assert stat.mme_margin(f, lam) == pytest.approx(max(g) + min(g))


@given(sampled_confidences(), st.floats(0.2, 1.0))
def test_lemma_d2_pointwise(sample, lam):
    conf, y0 = sample
    n = conf.shape[1]
    w = np.linspace(0.5, 1.5, n)
    true_conf = conf[..., y0]
    x1, x2 = stat.we_margin(true_conf, w, lam), stat.mme_margin(true_conf, lam)
    we_ok = we_predict_loop(conf, w) == y0
    mme_ok = mme_predict_loop(conf) == y0
    we_conf = stat.we_confidence_ratio(conf, w, y0) <= lam
    mme_conf = stat.mme_confidence_ratio(conf, y0) <= lam
    assert np.all(we_ok[we_conf & (x1 > 0)])
    assert np.all(mme_ok[mme_conf & (x2 > 0)])
    # aggregated: Pr(correct) >= 1 - p - Pr(X <= 0)
    assert we_ok.mean() >= 1 - stat.we_confident_p(conf, w, y0, lam) - np.mean(x1 <= 0) - 1e-12
    assert mme_ok.mean() >= 1 - stat.mme_confident_p(conf, y0, lam) - np.mean(x2 <= 0) - 1e-12


def test_lemma_d2_strict_inequality_needs_no_ties():
    """Printed Pr(X < 0) fails when X = 0 has mass: a tie the ensemble resolves against y0."""
    conf = np.full((1, 1, 2), 0.5)  # one member, one sample, an exact tie; argmax picks class 0
    y0, lam, w = 1, 1.0, np.ones(1)
    accuracy = stat.statistical_robustness(we_predict_loop(conf, w), y0)
    p = stat.we_confident_p(conf, w, y0, lam)
    x1 = stat.we_margin(conf[..., y0], w, lam)
    assert p == 0 and x1[0] == 0 and accuracy == 0
    assert not accuracy >= 1 - p - np.mean(x1 < 0)  # the printed form
    assert accuracy >= 1 - p - np.mean(x1 <= 0)  # the corrected form


# ---------------------------------------------------------------------------------------------
# Lemma D.1
# ---------------------------------------------------------------------------------------------


def test_lemma_d1_tight_symbolic():
    assert stat_proofs.prove_lemma_d1_tight()
    assert not stat_proofs.prove_lemma_d1_tight(factor=R(1, 4))
    assert not stat_proofs.prove_lemma_d1_tight(factor=1)


@pytest.mark.parametrize("kind", ["uniform", "beta", "arcsine", "truncnorm"])
def test_lemma_d1_exact_laws(kind):
    strict = []
    for center, half in itertools.product((0.2, 0.5, 1.0), (0.3, 0.8, 1.5, 3.0)):
        law = symmetric_law(kind, center, half)
        exact, bound = law.cdf(0.0), stat.symmetric_tail_bound(center, law.var())
        assert exact <= bound + 1e-12
        assert exact <= stat.symmetric_tail_sup(center, law.var()) + 1e-12
        strict.append(exact < bound)
    assert any(strict)  # the flipped inequality Pr(X <= 0) >= bound is caught


def test_lemma_d1_halved_or_asymmetric_is_caught():
    for mean, var in ((1.0, 0.2), (0.5, 0.25), (2.0, 4.0)):
        values, probs = _three_point(mean, var)
        exact = probs[values <= 0].sum()
        assert exact == pytest.approx(stat.symmetric_tail_bound(mean, var))  # attained
        assert exact > stat.symmetric_tail_bound(mean, var) / 2  # a halved constant fails
    # two-point law m +- sqrt(v), v > m^2: Pr(X <= 0) = 1/2, the supremum
    assert stat.symmetric_tail_sup(1.0, 4.0) == 0.5
    # dropping symmetry: X in {0, 1} with Pr(0) = 0.2 has mean 0.8, var 0.16, tail 0.2 > 0.16/(2 0.64) = 0.125
    assert 0.2 > stat.symmetric_tail_bound(0.8, 0.16)


# ---------------------------------------------------------------------------------------------
# Proposition D.1 and Proposition D.2
# ---------------------------------------------------------------------------------------------


def test_single_model_bound_symbolic():
    assert stat_proofs.prove_single_model_bound()
    assert not stat_proofs.prove_single_model_bound(factor=R(1, 4))


@pytest.mark.parametrize("kind", ["uniform", "beta", "arcsine", "truncnorm"])
def test_single_model_bound_below_exact_accuracy(kind):
    law = symmetric_law(kind, 0.72, 0.26)
    mu, s = law.mean(), law.std()
    for lam in (0.55, 0.7, 0.85, 1.0):
        accuracy, p = three_class_accuracy(law, lam)
        bound = stat.single_model_bound(p, mu, s, lam)
        assert accuracy >= bound - 1e-10
        if kind == "uniform":
            assert accuracy >= stat.uniform_single_model_bound(p, 0.46, 0.98, lam) - 1e-10


def test_three_class_model_has_the_stated_p():
    """The construction of the exact check is (eps, lam, p)-single confident with p = 2 (1 - lam)."""
    law = symmetric_law("beta", 0.72, 0.26)
    conf = sample_three_class(law, 4000, np.random.default_rng(7))
    for lam in (0.6, 0.8):
        assert stat.single_confident_p(conf, 0, lam) == pytest.approx(2 * (1 - lam), abs=0.04)
    accuracy = np.mean(np.argmax(conf, axis=-1) == 0)
    assert accuracy == pytest.approx(three_class_accuracy(law, 1.0)[0], abs=0.03)


@given(uniform_ranges(), lambdas, probabilities)
def test_uniform_single_model_clip_is_exact(ab, lam, p):
    a, b = ab
    level = lam / (1 + lam)
    exact = stats.uniform(loc=a, scale=b - a).cdf(level)  # Pr((1 + lam) f - lam <= 0)
    assert stat.uniform_single_model_bound(p, a, b, lam) == pytest.approx(1 - p - exact)


def test_uniform_single_model_clip_is_needed():
    # two classes: the ratio is 1, so lam3 = 1 gives p = 0 and B = 1/2 < a; f ~ U[0.6, 1] is always correct
    a, b, lam = 0.6, 1.0, 1.0
    f = np.linspace(a, b, 101)
    conf = np.stack([f, 1 - f], axis=-1)
    p = stat.single_confident_p(conf, 0, lam)
    accuracy = 1.0  # f_{y0} > 1/2 on the whole support
    unclipped = 1 - p - (stat.confidence_level(lam) - a) / (b - a)
    assert p == 0 and unclipped > accuracy  # without the clip the bound exceeds the truth
    assert stat.uniform_single_model_bound(p, a, b, lam) == accuracy


# ---------------------------------------------------------------------------------------------
# Lemma D.3, Theorems 6-7
# ---------------------------------------------------------------------------------------------


def test_we_margin_moments_symbolic():
    assert stat_proofs.prove_we_margin_moments(n=3)
    assert not stat_proofs.prove_we_margin_moments(n=2, var_coefficient=2)
    assert not stat_proofs.prove_we_margin_moments(n=2, factor=1)


def test_margin_moments_by_enumeration():
    mean, var, lam = 0.7, 0.02, 0.8
    q = var / 0.2**2  # symmetric three-point law on {0.5, 0.7, 0.9}
    values, probs = np.array([0.5, 0.7, 0.9]), np.array([q / 2, 1 - q, q / 2])
    w = np.array([0.2, 0.5, 0.3])
    outcomes = list(itertools.product(range(3), repeat=3))
    pr = np.array([np.prod(probs[list(o)]) for o in outcomes])
    f = np.array([values[list(o)] for o in outcomes])
    x1, x2 = stat.we_margin(f, w, lam), stat.mme_margin(f, lam)
    e1, v1 = stat.we_margin_moments(mean, math.sqrt(var), lam, w)
    assert pr @ x1 == pytest.approx(e1) and pr @ (x1 - e1) ** 2 == pytest.approx(v1)
    mins = f.min(axis=1)
    s_f = math.sqrt(pr @ (mins - pr @ mins) ** 2)
    e2, v2_bound = stat.mme_margin_moments(mean, s_f, lam)
    v2 = pr @ (x2 - pr @ x2) ** 2
    assert pr @ x2 == pytest.approx(e2)
    assert v2 <= v2_bound and v2 >= v2_bound / 2  # Cov(max, min) >= 0 keeps it above half the bound


def test_mme_variance_bound_symbolic():
    assert stat_proofs.prove_mme_variance_bound()
    assert not stat_proofs.prove_mme_variance_bound(coefficient=3)
    assert stat_proofs.prove_symmetric_extremes_mean(n=2) and stat_proofs.prove_symmetric_extremes_mean(n=3)
    assert not stat_proofs.prove_symmetric_extremes_mean(n=2, shift=R(1, 10))


def test_mme_variance_bound_attained_only_at_one_member():
    for n in (1, 2, 5, 20):
        _, bound = stat.uniform_mme_margin_moments(0.2, 0.9, 0.5, n)
        _, uniform_var = stat.uniform_mme_margin_moments(0.2, 0.9, 0.5, n, exact=True)
        assert bound / uniform_var == pytest.approx(2 * n / (n + 1))


def test_theorem6_symbolic():
    assert stat_proofs.prove_we_margin_moments(n=2)
    assert not stat_proofs.prove_we_margin_moments(n=2, factor=R(1, 4))


@given(uniform_ranges(), st.integers(1, 10), st.floats(0.05, 0.95), probabilities)
def test_theorem6_below_exact_tail(ab, n, frac, p):
    a, b = ab
    level = a + frac * ((a + b) / 2 - a)  # B(lam1) in (a, (a+b)/2)
    lam = level / (1 - level)
    w = np.ones(n)
    exact = uniform_average_margin_tail(a, b, level, n)
    penalty = 1 - p - stat.we_bound(p, (a + b) / 2, (b - a) / math.sqrt(12), lam, w)
    assert exact <= penalty + 1e-9
    assert stat.we_bound(p, (a + b) / 2, (b - a) / math.sqrt(12), lam, w) == pytest.approx(
        stat.uniform_we_bound(p, a, b, lam, w))


def test_theorem6_and_7_attained_at_one_member():
    mean, lam, var = 0.7, 1.0, 0.02
    level = lam / (1 + lam)
    # f on {0.5, 0.7, 0.9} (inside [0, 1]) so that Y = 2 f - 1 is the three-point law on {0, EY, 2 EY}
    d = mean - level
    assert 0 <= mean - d and mean + d <= 1 and var <= d**2
    ey, var_y = 2 * mean - 1, 4 * var
    exact = three_point_tail(ey, var_y)
    for penalty in (1 - stat.we_bound(0.0, mean, math.sqrt(var), lam, np.ones(1)),
                    1 - stat.mme_bound(0.0, mean, math.sqrt(var), lam)):
        assert exact == pytest.approx(penalty)
        assert exact > penalty / 2  # a halved constant is caught
    assert level < mean


def test_theorem7_symbolic():
    assert stat_proofs.prove_mme_bound()
    assert not stat_proofs.prove_mme_bound(factor=R(1, 4))


@given(uniform_ranges(), st.integers(1, 30), st.floats(0.05, 0.95))
def test_theorem7_below_exact_tail(ab, n, frac):
    a, b = ab
    level = a + frac * ((a + b) / 2 - a)
    lam = level / (1 - level)
    exact = uniform_mme_margin_tail(a, b, level, n)
    s_f = math.sqrt(stat.uniform_extreme_variance(a, b, n))
    assert exact <= 1 - stat.mme_bound(0.0, (a + b) / 2, s_f, lam) + 1e-12


# ---------------------------------------------------------------------------------------------
# The Hoeffding (McDiarmid) remark
# ---------------------------------------------------------------------------------------------


def test_hoeffding_exponent_symbolic():
    assert stat_proofs.prove_hoeffding_exponent()
    assert not stat_proofs.prove_hoeffding_exponent(coefficient=1)
    assert not stat_proofs.prove_hoeffding_exponent(coefficient=4)


def test_hoeffding_bound_below_exact_tails():
    for n, a, b, frac in itertools.product((1, 3, 8), (0.0, 0.4), (0.9, 1.0), (0.1, 0.5, 0.9)):
        level = a + frac * ((a + b) / 2 - a)
        lam = level / (1 - level)
        exact = uniform_average_margin_tail(a, b, level, n)
        assert exact <= 1 - stat.we_hoeffding_bound(0.0, (a + b) / 2, lam, np.ones(n)) + 1e-12
    for n in (1, 4, 9):
        for level in (0.001, 0.1, 0.3):
            lam = level / (1 - level)
            exact = binomial_margin_tail(level, 0.0, 1.0, n)
            assert exact <= 1 - stat.we_hoeffding_bound(0.0, 0.5, lam, np.ones(n)) + 1e-12
    # doubling the exponent's constant is caught: one two-point member, lam -> 0
    lam = 1e-3
    level = lam / (1 + lam)
    exact = binomial_margin_tail(level, 0.0, 1.0, 1)
    assert exact == 0.5 > math.exp(-4 * (0.5 - level) ** 2)


def test_hoeffding_tighter_for_large_n():
    mu, s, lam = 0.75, 0.1, 0.8
    penalties = {}
    for n in (1, 2, 5, 50, 200):
        w = np.ones(n)
        penalties[n] = (1 - stat.we_hoeffding_bound(0.0, mu, lam, w), 1 - stat.we_bound(0.0, mu, s, lam, w))
    assert penalties[1][0] > penalties[1][1]  # small N: Chebyshev is tighter for this small s
    assert penalties[200][0] < penalties[200][1]  # large N: Hoeffding's exponential wins


# ---------------------------------------------------------------------------------------------
# Lemma D.4 and Corollary 5
# ---------------------------------------------------------------------------------------------


def test_lemma_d4_symbolic():
    assert stat_proofs.prove_lemma_d4()
    assert not stat_proofs.prove_lemma_d4(offset=2)
    assert not stat_proofs.prove_lemma_d4(c_exponent=1)


@given(mean_above_level(2), st.floats(0.05, 3.0))
@example((0.9, 0.5, 2.0), 1.0)
def test_lemma_d4_equivalence_numeric(params, c):
    mu, lam1, lam2 = params
    ratio = stat.lemma_d4_ratio(mu, lam1, lam2)
    threshold = stat.lemma_d4_threshold(mu, lam2, c)
    if abs(ratio - c) > 1e-9 and abs(lam1 / lam2 - threshold) > 1e-9:
        assert (ratio < c) == (lam1 / lam2 < threshold)
        assert (ratio > c) == (lam1 / lam2 > threshold)


def test_lemma_d4_c_above_one_is_used_by_corollary5():
    """The printed C < 1 is not needed, and Corollary 5's (48) uses C = sqrt(N) s_f/s >= 1."""
    a, b, n = 0.3, 0.9, 2
    s, s_f = (b - a) / math.sqrt(12), math.sqrt(stat.uniform_extreme_variance(a, b, n))
    c = math.sqrt(n) * s_f / s
    assert s_f < s and c > 1
    mu, lam2 = 0.6, 0.5
    threshold = stat.lemma_d4_threshold(mu, lam2, c)
    for lam1 in np.linspace(0.01, mu / (1 - mu) - 0.01, 50):
        assert (stat.lemma_d4_ratio(mu, lam1, lam2) > c) == (lam1 / lam2 > threshold)


@given(mean_above_level(1), st.floats(0.01, 0.3), st.floats(0.05, 1.0), weight_vectors(), st.floats(0.0, 1.0))
def test_corollary5_bullets(params, s, sf_frac, w, t):
    mu, lam2 = params
    n = w.size
    s_f = sf_frac * s
    we_threshold, mme_threshold = stat.corollary5_thresholds(mu, lam2, s, s_f, n)
    lam1_max = mu / (1 - mu)  # mu > B(lam1)
    checked = 0
    if we_threshold > 0:
        lam1 = lam2 * we_threshold * max(t, 1e-3) * (1 - 1e-9)
        assert stat.we_bound(0.0, mu, s, lam1, w) > stat.mme_bound(0.0, mu, s_f, lam2)
        checked += 1
    low = max(lam2 * mme_threshold, 0.0)
    if low < lam1_max * (1 - 1e-6):
        lam1 = low + (lam1_max - low) * min(max(t, 1e-3), 1 - 1e-3)
        if lam1 / lam2 > mme_threshold * (1 + 1e-9) + 1e-12:
            assert stat.mme_bound(0.0, mu, s_f, lam2) > stat.we_bound(0.0, mu, s, lam1, w)
            checked += 2
    event({0: "no bullet applies", 1: "bullet 1", 2: "bullet 2", 3: "both bullets"}[checked])


def test_corollary5_average_weights_closes_gap():
    mu, lam2, s, s_f, n = 0.8, 1.5, 0.15, 0.05, 6
    _, threshold = stat.corollary5_thresholds(mu, lam2, s, s_f, n)
    w = np.ones(n)
    for lam1 in np.linspace(0.05, mu / (1 - mu) - 0.05, 40):
        diff = stat.mme_bound(0.0, mu, s_f, lam2) - stat.we_bound(0.0, mu, s, lam1, w)
        if abs(lam1 / lam2 - threshold) > 1e-6:
            assert (diff > 0) == (lam1 / lam2 > threshold)


# ---------------------------------------------------------------------------------------------
# Lemma D.5 and Fact D.1
# ---------------------------------------------------------------------------------------------


def test_uniform_moments_symbolic():
    assert stat_proofs.prove_uniform_we_moments()
    assert not stat_proofs.prove_uniform_we_moments(var_coefficient=R(1, 6))
    assert stat_proofs.prove_uniform_extreme_sum()
    assert not stat_proofs.prove_uniform_extreme_sum(numerator=4)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 15])
def test_lemma_d5_against_exact_cdf(n):
    a, b, lam = 0.25, 0.95, 0.6
    # moments of S = max + min of U[0, 1] from its exact CDF: E S = int (1 - F), E S^2 = int 2 t (1 - F)
    m1 = integrate.quad(lambda t: 1 - extreme_sum_cdf(t, n), 0, 2, points=[1.0])[0]
    m2 = integrate.quad(lambda t: 2 * t * (1 - extreme_sum_cdf(t, n)), 0, 2, points=[1.0])[0]
    var_s = (m2 - m1**2) * (b - a) ** 2
    mean, exact_var = stat.uniform_mme_margin_moments(a, b, lam, n, exact=True)
    _, bound = stat.uniform_mme_margin_moments(a, b, lam, n)
    assert mean == pytest.approx((1 + lam) * (2 * a + (b - a) * m1) - 2 * lam)
    assert exact_var == pytest.approx((1 + lam) ** 2 * var_s, rel=1e-8)
    assert exact_var <= bound * (1 + 1e-12)
    assert stat.uniform_extreme_sum_variance(a, b, n) == pytest.approx(var_s, rel=1e-8)
    e1, v1 = stat.uniform_we_margin_moments(a, b, lam, np.array([0.3, 0.7]))
    assert e1 == pytest.approx(0.5 * (1 + lam) * 1.0 * (a + b) - lam * 1.0)
    assert v1 == pytest.approx((1 + lam) ** 2 * (0.09 + 0.49) * (b - a) ** 2 / 12)


def test_fact_d1_symbolic():
    assert stat_proofs.prove_fact_d1()
    assert not stat_proofs.prove_fact_d1(two=1)


@pytest.mark.parametrize("n", [1, 2, 5, 30])
def test_fact_d1_numeric(n):
    a, b = 0.1, 0.7
    # min of n i.i.d. U[0, 1] is Beta(1, n); the max is Beta(n, 1)
    var_min = stats.beta(1, n, loc=a, scale=b - a).var()
    var_max = stats.beta(n, 1, loc=a, scale=b - a).var()
    assert stat.uniform_extreme_variance(a, b, n) == pytest.approx(var_min)
    assert stat.uniform_extreme_variance(a, b, n) == pytest.approx(var_max)
    c_n = stat.uniform_min_variance_factor(n)
    assert c_n == pytest.approx((1 / (n + 1)) * (2 / (n + 2) - 1 / (n + 1)))


# ---------------------------------------------------------------------------------------------
# Theorems 8-9
# ---------------------------------------------------------------------------------------------


def test_theorem8_constant_symbolic():
    assert stat_proofs.prove_theorem8_constant()
    assert not stat_proofs.prove_theorem8_constant(denominator=12)  # the printed constant
    assert not stat_proofs.prove_theorem8_constant(denominator=48)


@given(uniform_ranges(), st.integers(1, 10), st.floats(0.02, 0.98), probabilities)
def test_theorem8_below_exact_tail(ab, n, frac, p):
    a, b = ab
    level = frac * (a + b) / 2
    lam = level / (1 - level)
    w = np.ones(n)
    exact = uniform_average_margin_tail(a, b, level, n)
    proved_bound = stat.uniform_we_bound(p, a, b, lam, w)
    printed_bound = stat.uniform_we_bound(p, a, b, lam, w, printed=True)
    assert 1 - p - exact >= proved_bound - 1e-9  # the proof's 1/24 is valid
    assert 1 - p - proved_bound == pytest.approx(0.5 * (1 - p - printed_bound))  # the printed 1/12 is twice it


def test_theorem9_constant_symbolic():
    assert stat_proofs.prove_theorem9_constant()
    assert not stat_proofs.prove_theorem9_constant(cn_numerator=4)
    assert not stat_proofs.prove_theorem9_constant(cn_numerator=1)
    assert stat_proofs.prove_theorem9_exact_constant()
    assert not stat_proofs.prove_theorem9_exact_constant(denominator=2)


@given(uniform_ranges(), st.integers(1, 40), st.floats(0.02, 0.98))
def test_theorem9_below_exact_tail(ab, n, frac):
    a, b = ab
    level = frac * (a + b) / 2
    lam = level / (1 - level)
    exact = uniform_mme_margin_tail(a, b, level, n)
    printed = 1 - stat.uniform_mme_bound(0.0, a, b, lam, n)
    sharp = 1 - stat.uniform_mme_bound(0.0, a, b, lam, n, exact=True)
    assert exact <= sharp + 1e-12 <= printed + 2e-12
    assert printed / sharp == pytest.approx(2 * n / (n + 1))


# ---------------------------------------------------------------------------------------------
# Corollary 6
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3, 10])
def test_corollary6_thresholds_match_corollary5(n):
    a, b, mu, lam2 = 0.5, 1.0, 0.75, 1.2
    s, s_f = (b - a) / math.sqrt(12), math.sqrt(stat.uniform_extreme_variance(a, b, n))
    assert np.allclose(stat.corollary6_thresholds(mu, lam2, n), stat.corollary5_thresholds(mu, lam2, s, s_f, n))


@given(st.floats(0.0, 0.6), st.floats(0.05, 0.4), st.floats(0.01, 0.999), st.integers(1, 30), st.floats(0.0, 1.0))
def test_corollary6_bullets_numeric(a, width, lam2_fraction, n, t):
    """Corollary 6 needs mu > lam2 / (1 + lam2) (a margin level below the mean); lam2 is drawn as a
    fraction of the largest such value (capped at 3), with a 1% gap, so every example satisfies it."""
    b = min(a + width, 1.0)
    mu = (a + b) / 2
    level = mu / 1.01
    lam2 = lam2_fraction * min(level / (1 - level), 3.0)
    assume(mu > lam2 / (1 + lam2) * 1.01)  # built in; only rounding could break it
    we_threshold, mme_threshold = stat.corollary6_thresholds(mu, lam2, n)
    worst_w, avg_w = np.array([1.0]), np.ones(n)
    lam1_max = mu / (1 - mu)
    if we_threshold > 0:  # bullet 1: WE better even with the least favourable weights (d_w = 1)
        lam1 = lam2 * we_threshold * max(t, 1e-3) * (1 - 1e-9)
        assert stat.uniform_we_bound(0.0, a, b, lam1, worst_w) > stat.uniform_mme_bound(0.0, a, b, lam2, n)
    low = max(lam2 * mme_threshold, 0.0)
    if low < lam1_max * (1 - 1e-6):  # bullet 2: MME better even against equal weights (d_w = 1/N)
        lam1 = low + (lam1_max - low) * min(max(t, 1e-3), 1 - 1e-3)
        if lam1 / lam2 > mme_threshold * (1 + 1e-9) + 1e-12:
            assert stat.uniform_mme_bound(0.0, a, b, lam2, n) > stat.uniform_we_bound(0.0, a, b, lam1, avg_w)
    we_better, mme_better, _ = stat.corollary6_conditions(mu, min(lam2 * we_threshold * 0.5, lam1_max * 0.5)
                                                          if we_threshold > 0 else lam1_max * 0.5, lam2, n)
    assert not (we_better and mme_better)


def test_corollary6_constant_symbolic():
    assert stat_proofs.prove_corollary6_constant()  # Theorem 8 (1/24) vs Theorem 9 via Lemma D.5: 12
    assert not stat_proofs.prove_corollary6_constant(scale=6)
    assert stat_proofs.prove_corollary6_constant(scale=6, exact=True)  # Theorem 9 with the exact variance: 6
    assert stat_proofs.prove_corollary6_constant(scale=6, we_denominator=12)  # against the printed Theorem 8: 6
    assert stat_proofs.prove_corollary6_sufficient()
    assert stat_proofs.prove_corollary6_sufficient(scale=6, exact=True)
    assert not stat_proofs.prove_corollary6_sufficient(premise_scale=6)  # printed premise, Lemma D.5's Theorem 9


# the counterexample: N = 10, B(lam2)/mu = 0.25, lam1 -> 0, equal weights
_CE = dict(a=0.6, b=1.0, lam2=0.25, lam1=0.01, n=10)


def test_corollary6_printed_bullet3_counterexample():
    # The scale inconsistency: the printed premise holds, MME beats the printed Theorem 8 (/12) but not the /24
    # its proof gives. So the counterexample needs Theorem 8 on the symmetric-Chebyshev scale.
    a, b, lam1, lam2, n = _CE["a"], _CE["b"], _CE["lam1"], _CE["lam2"], _CE["n"]
    mu = (a + b) / 2
    assert stat.confidence_level(lam2) / mu == pytest.approx(0.25)
    assert n > stat.corollary6_min_n(mu, lam2, scale=6)  # the printed premise holds
    mme = stat.uniform_mme_bound(0.0, a, b, lam2, n)
    assert mme >= stat.uniform_we_bound(0.0, a, b, lam1, np.ones(n), printed=True)
    assert mme < stat.uniform_we_bound(0.0, a, b, lam1, np.ones(n))


def test_corollary6_printed_bullet3_holds_for_the_printed_theorems():
    # Line 1908: 'the certified robustness is given by Theorems 8 and 9' (as printed; Theorem 9 with numerator 2).
    for a, b, lam2 in itertools.product((0.4, 0.6, 0.8), (0.9, 1.0), (0.05, 0.1, 0.3, 0.6)):
        mu = (a + b) / 2
        if mu <= stat.confidence_level(lam2):
            continue
        n = int(math.floor(stat.corollary6_min_n(mu, lam2, scale=6))) + 1
        mme = stat.uniform_mme_bound(0.0, a, b, lam2, n)
        mme_reading1 = 1 - (1 - mme) / 2  # Theorem 9 with numerator 1: half the penalty
        for lam1 in np.geomspace(1e-6, mu / (1 - mu) * 0.999, 12):
            for w in (np.ones(n), np.linspace(1, 3, n)):
                we = stat.uniform_we_bound(0.0, a, b, lam1, w, printed=True)
                assert mme >= we - 1e-12 and mme_reading1 >= we - 1e-12
    # 6 is the right constant: with 5 the premise admits cases where MME's certificate is below WE's
    mu, lam2, a, b = 0.8, 0.6, 0.6, 1.0
    found = False
    for n in range(2, 400):
        if n > stat.corollary6_min_n(mu, lam2, scale=5):
            mme = stat.uniform_mme_bound(0.0, a, b, lam2, n)
            found |= bool(mme < stat.uniform_we_bound(0.0, a, b, 1e-9, np.ones(n), printed=True))
    assert found


def test_corollary6_corrected_bullet3():
    a, b, lam1, lam2, n = _CE["a"], _CE["b"], _CE["lam1"], _CE["lam2"], _CE["n"]
    mu = (a + b) / 2
    assert not stat.corollary6_mme_dominates(mu, lam2, n)
    assert n <= stat.corollary6_min_n(mu, lam2)  # the corrected premise excludes the counterexample
    # the two readings under which the printed 6 is right
    w = np.ones(n)
    assert stat.uniform_mme_bound(0.0, a, b, lam2, n) >= stat.uniform_we_bound(0.0, a, b, lam1, w, printed=True)
    assert stat.uniform_mme_bound(0.0, a, b, lam2, n, exact=True) >= stat.uniform_we_bound(0.0, a, b, lam1, w)
    assert stat.corollary6_mme_dominates(mu, lam2, n, scale=6)
    assert stat.corollary6_mme_dominates(mu, lam2, n, scale=6, exact=True)
    assert not stat.corollary6_mme_dominates(mu, lam2, n, scale=12, exact=True)
    # the exact-variance reading on a grid: N > 6 (1 - B/mu)^-2 - 2 suffices
    for lam2_, n_ in itertools.product((0.1, 0.25, 0.6), (3, 10, 40)):
        if n_ > stat.corollary6_min_n(mu, lam2_, scale=6):
            assert stat.corollary6_mme_dominates(mu, lam2_, n_, scale=6, exact=True)
            lam1s = np.geomspace(1e-6, mu / (1 - mu) * 0.999, 12)
            mme = stat.uniform_mme_bound(0.0, a, b, lam2_, n_, exact=True)
            assert all(mme >= stat.uniform_we_bound(0.0, a, b, l1, np.ones(n_)) - 1e-12 for l1 in lam1s)
    # the corrected statement on a grid: N > 12 (1 - B/mu)^-2 - 2 gives MME >= WE for every lam1 and weights
    for a, b, lam2 in itertools.product((0.4, 0.6, 0.8), (0.9, 1.0), (0.1, 0.3, 0.6)):
        mu = (a + b) / 2
        if mu <= stat.confidence_level(lam2):
            continue
        n = int(math.floor(stat.corollary6_min_n(mu, lam2))) + 1
        assert stat.corollary6_mme_dominates(mu, lam2, n)
        mme = stat.uniform_mme_bound(0.0, a, b, lam2, n)
        for lam1 in np.geomspace(1e-6, mu / (1 - mu) * 0.999, 12):
            assert mme >= stat.uniform_we_bound(0.0, a, b, lam1, np.ones(n)) - 1e-12


def test_corollary6_any_lambda1_means_mu_above_its_level():
    """"For any lam1" is limited to lam1 < mu/(1 - mu): beyond it Theorem 8 has no certificate to compare."""
    a, b, lam2, n = 0.6, 1.0, 0.25, 60
    mu = (a + b) / 2
    with pytest.raises(ValueError):
        stat.uniform_we_bound(0.0, a, b, mu / (1 - mu) * 1.01, np.ones(n))
    with pytest.raises(ValueError):
        stat.corollary6_conditions(mu, mu / (1 - mu) * 1.01, lam2, n)
    assert stat.corollary6_conditions(mu, 0.5, lam2, n)[2]


# ---------------------------------------------------------------------------------------------
# domains and module weight
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: stat.single_model_bound(0.1, 0.4, 0.1, 1.0),  # mu <= B(lam) = 1/2
        lambda: stat.single_model_bound(1.1, 0.9, 0.1, 1.0),  # p outside [0, 1]
        lambda: stat.we_bound(0.1, 0.9, 0.1, 1.0, np.array([1.0, -0.5])),  # negative weight
        lambda: stat.we_bound(0.1, 0.9, 0.1, 1.0, np.zeros(3)),
        lambda: stat.mme_bound(0.1, 0.9, -0.1, 1.0),  # s_f < 0
        lambda: stat.uniform_we_bound(0.1, 0.8, 0.6, 0.5, np.ones(2)),  # b <= a
        lambda: stat.uniform_mme_bound(0.1, 0.2, 0.9, 0.5, 0),  # N < 1
        lambda: stat.uniform_mme_bound(0.1, 0.1, 0.3, 1.0, 3),  # (a+b)/2 <= B
        lambda: stat.lemma_d4_threshold(0.9, 1.0, 0.0),  # C <= 0
        lambda: stat.lemma_d4_threshold(1.2, 1.0, 0.5),  # mu > 1
        lambda: stat.symmetric_tail_bound(0.0, 1.0),  # E X <= 0
        lambda: stat.single_confidence_ratio(np.array([0.5, 0.5]), 2),  # y0 out of range
        lambda: stat.we_confidence_ratio(np.full((3, 2), 1.5), np.ones(3), 0),  # not probabilities
        lambda: stat.confidence_lambda(np.ones(3), 1.5),
        lambda: stat.confidence_p(np.ones(3), 0.0),  # lam <= 0
        lambda: stat.statistical_robustness(np.array([0.5, 1.0]), 0),  # not labels
        lambda: stat.corollary5_thresholds(0.9, 1.0, 0.1, 0.05, 0),
        lambda: stat.mme_margin(np.array([]), 1.0),
    ],
)
def test_domain_errors(call):
    with pytest.raises(ValueError):
        call()


def test_numeric_module_does_not_import_sympy():
    code = "import sys, theory.statistical; assert 'sympy' not in sys.modules and 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_corollary6_bullet2_needs_scale_12():
    """Eq. (52) at the scale the bullet-3 proof implies (6) claims MME better where WE's proved certificate wins."""
    a, b, lam2, n = _CE["a"], _CE["b"], _CE["lam2"], _CE["n"]
    mu = (a + b) / 2
    _, mme_at_6 = stat.corollary6_thresholds(mu, lam2, n, scale=6)
    _, mme_at_12 = stat.corollary6_thresholds(mu, lam2, n)
    assert mme_at_6 < 0 < mme_at_12
    lam1 = lam2 * mme_at_12 / 2  # above the scale-6 threshold, below the scale-12 one
    assert lam1 / lam2 > mme_at_6
    assert stat.uniform_we_bound(0.0, a, b, lam1, np.ones(n)) > stat.uniform_mme_bound(0.0, a, b, lam2, n)
    assert not stat.corollary6_conditions(mu, lam1, lam2, n)[1]
