"""Gaussian smoothing: Lemma A.1, Theorem 2 (printed, tight, margin, [a, b]), Prop. B.4, Cor. 2-3, Eq. 8."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, example, given
from hypothesis import strategies as st
from scipy.stats import norm

from tests.helpers.smoothing import (
    BandMembers,
    PiecewiseConstant,
    piecewise_constant_functions,
    second_derivative_by_quadrature,
    sigmas,
    sigmoid,
    smoothed_by_quadrature,
)
from theory import smoothing as sm
from theory.proofs import smoothing as sm_proofs

BETA_STAR_UNIT = np.sqrt(2 / (np.pi * np.e))  # beta* sigma^2, computed, not copied


# --- Lemma A.1 / Proposition C.1 ---------------------------------------------------------------


@given(ratio=st.floats(0.01, 5.0), sigma=sigmas)
def test_lemA1_linear_classifier_radius_exact(ratio, sigma):
    dist = ratio * sigma  # beyond ~6 sigma Phi(dist/sigma) rounds to 1 in float64
    normal = np.array([0.6, -0.8])
    x0 = dist * normal  # signed distance dist to {normal . x = 0}
    p_a = sm.halfspace_smoothed_probability(x0, normal, 0.0, sigma)
    p_b = sm.halfspace_smoothed_probability(x0, -normal, 0.0, sigma)  # 1 - p_a without cancellation
    assert p_a + p_b == pytest.approx(1.0)
    assert sm.cohen_radius(p_a, p_b, sigma) == pytest.approx(dist, rel=1e-6, abs=1e-9)
    # the smoothed classifier flips just beyond dist along -normal: the radius cannot be larger
    beyond = x0 - (dist * 1.001 + 1e-9) * normal
    assert sm.halfspace_smoothed_probability(beyond, normal, 0.0, sigma) < 0.5


@pytest.mark.xfail(strict=True, reason="Eq. (11) read literally (no 1/2) doubles the linear classifier's radius")
def test_lemA1_printed_radius_linear_counterexample():
    dist, sigma = 0.5, 1.0
    p_a = sm.halfspace_smoothed_probability(np.array([dist]), np.array([1.0]), 0.0, sigma)
    assert sm.cohen_radius_printed(p_a, 1 - p_a, sigma) <= dist + 1e-9


def test_lemA1_symbolic():
    assert sm_proofs.prove_lemA1_linear_radius()
    assert not sm_proofs.prove_lemA1_linear_radius(factor=1).holds
    assert sm_proofs.prove_lemA1_lower_bound()
    assert not sm_proofs.prove_lemA1_lower_bound(factor=1).holds


@given(p_a=st.floats(0.5, 1 - 1e-9), frac=st.floats(0.0, 1.0), sigma=sigmas)
@example(p_a=0.5, frac=1.0, sigma=1.0)
def test_lemA1_lower_bound_numeric(p_a, frac, sigma):
    p_b = frac * (1 - p_a)
    assert sm.cohen_radius(p_a, p_b, sigma) >= sm.cohen_radius_lower(p_a, sigma) - 1e-12
    # flipped: the lower bound does not dominate the two-class radius when p_b < 1 - p_a
    if frac < 0.9 and p_a < 0.99:
        assert not sm.cohen_radius(p_a, p_b, sigma) <= sm.cohen_radius_lower(p_a, sigma) - 1e-9


def test_propC1_ebs_radius_is_lemma_lower_bound():
    p = np.array([0.5, 0.6, 0.9, 0.999])
    np.testing.assert_allclose(sm.ebs_certified_radius(p, 0.25), 0.25 * norm.ppf(p))
    assert sm.ebs_certified_radius(0.5, 1.0) == 0.0
    # the linear classifier realises it: its true radius is sigma Phi^{-1}(pA)
    p_a = sm.halfspace_smoothed_probability(np.array([0.3]), np.array([1.0]), 0.0, 0.5)
    assert sm.ebs_certified_radius(p_a, 0.5) == pytest.approx(0.3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: sm.cohen_radius(0.7, 0.2, 0.0),
        lambda: sm.cohen_radius(0.3, 0.6, 1.0),
        lambda: sm.cohen_radius(0.7, 0.4, 1.0),
        lambda: sm.cohen_radius_lower(1.2, 1.0),
        lambda: sm.ebs_certified_radius(np.nan, 1.0),
        lambda: sm.smoothness_constant_tight(-1.0),
        lambda: sm.smoothness_constant_paper(1.0, low=1.0, high=0.0),
        lambda: sm.interval_indicator_second_derivative(0.0, 1.0, 0.0, 1.0),
        lambda: sm.halfspace_smoothed_probability([0.0, 0.0], [0.0, 0.0], 0.0, 1.0),
        lambda: sm.extremal_indicator([[0.0, 0.0]], [0.0, 0.0], [1.0], 1.0),
        lambda: sm.cor2_sufficient(np.zeros((2, 3)), np.zeros(3), np.ones(2), 1.0, 1.0),
        lambda: sm.cor2_sufficient(np.zeros((2, 1)), np.zeros(2), np.ones(2), 0.0, 1.0),
        lambda: sm.cor3_sufficient(np.zeros(2), np.zeros(3), 0.0, 0.0, 1.0, 1.0),
        lambda: sm.soft_we_confidence(np.full((4, 1, 2), 0.7), np.ones(1)),
        lambda: sm.ebs_vote_probability(np.full((4, 2, 2), 0.5), np.ones(3)),
        lambda: sm.ebs_soft_gap_bounds(1),
        lambda: sm.interval_partition_smoothed_probabilities(0.0, [1.0, 0.0], 1.0),
    ],
)
def test_smoothing_rejects_out_of_domain(call):
    with pytest.raises(ValueError):
        call()


# --- Theorem 2 as printed ------------------------------------------------------------------------


def test_thm2_paper_integral_steps():
    assert sm_proofs.prove_thm2_gamma_integral()
    assert not sm_proofs.prove_thm2_gamma_integral(value=sp.sqrt(sp.pi)).holds
    assert sm_proofs.prove_thm2_paper_bound()
    assert not sm_proofs.prove_thm2_paper_bound(constant=1).holds
    assert sm_proofs.prove_hessian_kernel_identity()
    assert not sm_proofs.prove_hessian_kernel_identity(factor=2).holds


def test_thm2_paper_constant_is_sound_but_loose():
    sigma = 0.7
    paper, tight = sm.smoothness_constant_paper(sigma), sm.smoothness_constant_tight(sigma)
    assert paper == pytest.approx(2 / sigma**2)
    assert tight < paper / 4  # ratio 2/sqrt(2/(pi e)) ~ 4.13
    f = lambda t: (np.abs(t) > sigma).astype(float)  # noqa: E731 - the extremal function
    attained = abs(second_derivative_by_quadrature(f, 0.0, sigma, (-sigma, sigma)))
    assert attained <= paper
    assert attained == pytest.approx(tight, rel=1e-8)


# --- the tight constant ------------------------------------------------------------------------


def test_thm2_tight_symbolic():
    assert sm_proofs.prove_thm2_tight_value()
    assert not sm_proofs.prove_thm2_tight_value(constant=sp.sqrt(2 / (sp.pi * sp.E)) / 2).holds
    assert not sm_proofs.prove_thm2_tight_value(constant=2).holds
    assert sm_proofs.prove_bathtub_pointwise()
    assert sm_proofs.prove_thm2_extremal_attains()
    assert not sm_proofs.prove_thm2_extremal_attains(constant=sp.sqrt(2 / (sp.pi * sp.E)) / 2).holds


def test_thm2_tight_constant_value():
    assert sm.smoothness_constant_tight(1.0) == pytest.approx(BETA_STAR_UNIT)
    assert sm.smoothness_constant_tight(1.0) == pytest.approx(2 * norm.pdf(1.0))
    assert sm.smoothness_constant_tight(0.5) == pytest.approx(4 * BETA_STAR_UNIT)
    assert sm.smoothness_constant_tight(1.0) == pytest.approx(2 * sm.step_smoothness_lower_bound(1.0))


@given(f=piecewise_constant_functions(), x=st.floats(-4.0, 4.0), sigma=st.floats(0.2, 3.0))
@example(f=PiecewiseConstant((-1.0, 1.0), (1.0, 0.0, 1.0)), x=0.0, sigma=1.0)
def test_thm2_tight_bound_piecewise_constant(f, x, sigma):
    quad_value = second_derivative_by_quadrature(f, x, sigma, f.edges)
    closed = f.second_derivative(x, sigma)
    assert closed == pytest.approx(quad_value, abs=1e-9 / sigma**2)  # closed form vs quadrature
    assert abs(quad_value) <= sm.smoothness_constant_tight(sigma) * (1 + 1e-9)


@given(slope=st.floats(0.1, 50.0), center=st.floats(-2.0, 2.0), x=st.floats(-3.0, 3.0), sigma=st.floats(0.2, 3.0))
def test_thm2_tight_bound_sigmoids(slope, center, x, sigma):
    g2 = second_derivative_by_quadrature(sigmoid(slope, center), x, sigma, (center,))
    assert abs(g2) <= sm.smoothness_constant_tight(sigma) * (1 + 1e-9)


@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.5])
def test_thm2_tight_attained_by_extremal_function(sigma):
    u = np.array([1.0, 2.0, -2.0]) / 3.0
    center = np.array([0.3, -0.1, 0.2])
    offsets = np.linspace(-2.95, 3.05, 13)  # no offset on the jump at +-sigma
    orthogonal = np.array([2.0, -1.0, 0.0]) / np.sqrt(5.0)  # u . orthogonal = 0
    ts = center + np.outer(offsets, u) + 0.7 * orthogonal
    # in d = 3 the extremal function depends only on u.(t - c): its section along u is 1{|s| > sigma}
    np.testing.assert_array_equal(sm.extremal_indicator(ts, center, 2 * u, sigma), (np.abs(offsets) > sigma).astype(float))
    f = lambda s: (np.abs(s) > sigma).astype(float)  # noqa: E731
    plus = second_derivative_by_quadrature(f, 0.0, sigma, (-sigma, sigma))
    minus = second_derivative_by_quadrature(lambda s: 1 - f(s), 0.0, sigma, (-sigma, sigma))
    beta = sm.smoothness_constant_tight(sigma)
    assert plus == pytest.approx(beta, rel=1e-9)
    assert minus == pytest.approx(-beta, rel=1e-9)
    # perturbed: a constant 1% below beta* is exceeded, so beta* is the best constant
    assert plus > 0.99 * beta


def test_propB4_symbolic_and_numeric():
    assert sm_proofs.prove_propB4()
    assert not sm_proofs.prove_propB4(value=2 / sp.sqrt(2 * sp.pi * sp.E)).holds
    sigma = 0.8
    xs = np.linspace(-6 * sigma, 6 * sigma, 24001)
    g2 = sm.step_second_derivative(xs, sigma)
    assert np.max(np.abs(g2)) == pytest.approx(sm.step_smoothness_lower_bound(sigma), rel=1e-7)
    assert xs[np.argmax(np.abs(g2))] == pytest.approx(-sigma, abs=1e-3)
    step = lambda t: float(t >= 0)  # noqa: E731
    assert second_derivative_by_quadrature(step, sigma, sigma, (0.0,)) == pytest.approx(
        float(sm.step_second_derivative(sigma, sigma)), rel=1e-9)
    # the step is not extremal: beta* is exactly twice Proposition B.4's bound
    assert sm.smoothness_constant_tight(sigma) == pytest.approx(2 * sm.step_smoothness_lower_bound(sigma))


def test_propB4_sigma_reading_fails_for_sigma_above_two():
    # The extraction's other grouping, 1/sqrt(2 pi e sigma^2) = phi(1)/sigma, read as the note's existence
    # statement (some f needs beta >= the constant), holds iff the best universal constant 2 phi(1)/sigma^2
    # (thm2-tight, attained by the band 1[|t| <= sigma]) reaches it: iff sigma <= 2. The step alone stops
    # being a witness at sigma > 1, which is not the reading's verdict.
    for sigma in (0.5, 1.0, 1.5, 2.0, 2.5, 4.0):
        xs = np.linspace(-6 * sigma, 6 * sigma, 24001)
        step_need = np.max(np.abs(sm.step_second_derivative(xs, sigma)))
        band_need = abs(float(sm.interval_indicator_second_derivative(0.0, -sigma, sigma, sigma)))
        other = float(norm.pdf(1.0)) / sigma
        assert step_need == pytest.approx(sm.step_smoothness_lower_bound(sigma), rel=1e-7)
        assert band_need == pytest.approx(float(sm.smoothness_constant_tight(sigma)), rel=1e-12)
        assert bool(step_need < other * (1 - 1e-6)) == (sigma > 1)
        reading_holds = band_need >= other * (1 - 1e-12)
        assert reading_holds == (sigma <= 2)


@pytest.mark.xfail(strict=True, reason="a misparse of Prop. B.4 as 'every f': a constant f gives a 0-smooth g")
def test_propB4_iff_literal_reading():
    sigma = 1.0
    constant = lambda t: np.full_like(np.asarray(t, dtype=float), 0.3)  # noqa: E731
    sup_g2 = max(abs(second_derivative_by_quadrature(constant, x, sigma)) for x in np.linspace(-3, 3, 7))
    # literal claim: every smoothed g needs beta >= phi(1)/sigma^2
    assert sup_g2 >= sm.step_smoothness_lower_bound(sigma)


@given(f=piecewise_constant_functions(low=-2.0, high=3.0), x=st.floats(-3.0, 3.0), sigma=st.floats(0.3, 2.0))
def test_thm2_ab_scaling(f, x, sigma):
    a, b = -2.0, 3.0
    g2 = second_derivative_by_quadrature(f, x, sigma, f.edges)
    assert abs(g2) <= sm.smoothness_constant_tight(sigma, a, b) * (1 + 1e-9) + 1e-12
    assert sm.smoothness_constant_tight(sigma, a, b) < sm.smoothness_constant_paper(sigma, a, b) / 4


def test_thm2_ab_constant_shift_symbolic():
    assert sm_proofs.prove_thm2_constant_shift()


def test_thm2_ab_attained():
    a, b, sigma = -2.0, 3.0, 0.6
    f = lambda t: a + (b - a) * (np.abs(t) > sigma)  # noqa: E731
    g2 = second_derivative_by_quadrature(f, 0.0, sigma, (-sigma, sigma))
    assert g2 == pytest.approx(sm.smoothness_constant_tight(sigma, a, b), rel=1e-9)
    assert g2 > 0.99 * sm.smoothness_constant_tight(sigma, a, b)


def test_thm2_margin_symbolic_and_attained():
    assert sm_proofs.prove_thm2_margin()
    assert not sm_proofs.prove_thm2_margin(constant=sp.sqrt(2 / (sp.pi * sp.E))).holds
    sigma = 1.3
    f_a = lambda t: (np.abs(t) > sigma).astype(float)  # noqa: E731
    f_b = lambda t: (np.abs(t) <= sigma).astype(float)  # noqa: E731
    margin = lambda t: f_a(t) - f_b(t)  # noqa: E731
    g2 = second_derivative_by_quadrature(margin, 0.0, sigma, (-sigma, sigma))
    assert g2 == pytest.approx(sm.margin_smoothness_constant(sigma), rel=1e-9)
    assert g2 > sm.smoothness_constant_tight(sigma)  # one component's constant is not enough


@st.composite
def simplex_pairs(draw):
    f_a = draw(piecewise_constant_functions())
    frac = draw(st.lists(st.floats(0.0, 1.0), min_size=len(f_a.values), max_size=len(f_a.values)))
    f_b = PiecewiseConstant(f_a.edges, tuple(q * (1 - v) for q, v in zip(frac, f_a.values)))
    return f_a, f_b


@given(pair=simplex_pairs(), x=st.floats(-3.0, 3.0), sigma=st.floats(0.3, 2.0))
def test_thm2_margin_bound(pair, x, sigma):
    f_a, f_b = pair
    g2 = f_a.second_derivative(x, sigma) - f_b.second_derivative(x, sigma)
    assert abs(g2) <= sm.margin_smoothness_constant(sigma) * (1 + 1e-9)


# --- Corollaries 2 and 3 -----------------------------------------------------------------------


def _band_high(low, margin, sigma):
    """The upper edge that gives a band ``[low, high]`` the smoothed margin ``margin`` at x = 0:
    ``2 (Phi(high / sigma) - Phi(low / sigma)) - 1 = margin``."""
    return sigma * norm.ppf(norm.cdf(low / sigma) + (margin + 1) / 2)


def _largest_band_margin(low, sigma):
    """The largest margin a band from ``low`` < 0 can have at 0 with ``high <= sigma Phi^-1(0.999)``."""
    return 2 * (norm.cdf(-low / sigma) - 1e-3) - 1


@st.composite
def positive_band_ensembles(draw, members=st.integers(1, 3)):
    """``(BandMembers, weights, sigma)`` whose WE margin at x0 = 0 is positive, by construction.

    Member 0 gets a positive margin; the others any margin in [-0.9, their largest]; member 0's
    weight is then at least what makes ``sum_j w_j m_j > 0``. Building the case, rather than
    filtering random bands, keeps every example inside Corollary 2's hypotheses."""
    n = draw(members)
    sigma = draw(st.floats(0.2, 1.5))
    lows = draw(st.lists(st.floats(-3.0, -0.1), min_size=n, max_size=n))
    tops = [_largest_band_margin(lo, sigma) for lo in lows]
    fractions = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    margins = [0.01 + fractions[0] * (tops[0] - 0.01)]
    margins += [-0.9 + f * (top + 0.9) for f, top in zip(fractions[1:], tops[1:])]
    weights = np.array(draw(st.lists(st.floats(0.1, 2.0), min_size=n, max_size=n)))
    rest = float(weights[1:] @ np.array(margins[1:])) if n > 1 else 0.0
    weights[0] = max(weights[0], -rest / margins[0] * (1 + draw(st.floats(0.01, 1.0))))
    highs = [_band_high(lo, m, sigma) for lo, m in zip(lows, margins)]
    return BandMembers(tuple(lows), tuple(highs)), weights, sigma


@st.composite
def positive_band_pairs(draw):
    """``(BandMembers, sigma)``: two members (or one, twice) with ``m_1 + m_2 > 0`` at 0, by construction."""
    sigma = draw(st.floats(0.2, 1.5))
    lows = draw(st.lists(st.floats(-3.0, -0.1), min_size=2, max_size=2))
    tops = [_largest_band_margin(lo, sigma) for lo in lows]
    m0 = 0.01 + draw(st.floats(0.0, 1.0)) * (tops[0] - 0.01)
    if draw(st.booleans()):  # one member, twice
        lows, m1 = [lows[0]] * 2, m0
    else:
        floor = max(-0.9, -m0 + 0.005)
        m1 = floor + draw(st.floats(0.0, 1.0)) * (tops[1] - floor)
    return BandMembers(tuple(lows), (_band_high(lows[0], m0, sigma), _band_high(lows[1], m1, sigma))), sigma


@given(ens=positive_band_ensembles())
def test_cor2_tight_beta_sound_and_necessary(ens):
    members, w, sigma = ens
    x0 = 0.0
    margins = members.margins(x0, sigma)
    assume(margins @ w > 0)  # built in; only rounding could break it
    grads = members.gradients(x0, sigma)
    true_r = members.true_radius(x0, w, sigma, limit=8 * sigma + 8)
    beta = sm.smoothness_constant_tight(sigma)
    for r in np.linspace(0.01, 3.0, 60) * sigma:
        if sm.cor2_sufficient(grads, margins, w, r, sigma, beta=beta):
            assert r <= true_r + 1e-9
        if r < true_r:
            assert sm.cor2_necessary(grads, margins, w, r, sigma, beta=beta)
        # the paper's beta certifies a subset of what the tight beta certifies
        if sm.cor2_sufficient(grads, margins, w, r, sigma):
            assert sm.cor2_sufficient(grads, margins, w, r, sigma, beta=beta)


def _extremal_band(sigma):
    # y0 = class "inside the band": margin f_in - f_out has Hessian -2 beta* at the centre
    return BandMembers((-sigma,), (sigma,))


def test_cor2_halved_tight_beta_is_unsound():
    sigma = 1.0
    members = _extremal_band(sigma)
    w = np.ones(1)
    margins, grads = members.margins(0.0, sigma), members.gradients(0.0, sigma)
    true_r = members.true_radius(0.0, w, sigma, limit=5.0)
    beta = sm.smoothness_constant_tight(sigma)
    r_tight = np.sqrt(margins @ w / beta)  # largest r with 0 <= m/r - beta r
    r_half = np.sqrt(margins @ w / (beta / 2))
    assert sm.cor2_sufficient(grads, margins, w, r_tight * 0.999, sigma, beta=beta)
    assert r_tight <= true_r
    assert sm.cor2_sufficient(grads, margins, w, r_half * 0.999, sigma, beta=beta / 2)
    assert r_half * 0.999 > true_r  # beta*/2 certifies a radius the model does not have
    # the paper's 2/sigma^2 is sound but certifies less than beta*
    r_paper = np.sqrt(margins @ w / sm.smoothness_constant_paper(sigma))
    assert r_paper < r_tight
    assert sm.cor2_sufficient(grads, margins, w, r_paper * 0.999, sigma)
    assert not sm.cor2_sufficient(grads, margins, w, r_paper * 1.001, sigma)


def test_cor2_cor3_printed_constants():
    sigma, r = 0.5, 0.2
    grads = np.array([[0.1, 0.0], [0.0, 0.2]])
    margins = np.array([0.4, 0.5])
    w = np.array([1.0, 2.0])
    lhs = np.linalg.norm(grads.T @ w)
    rhs_paper = (margins @ w) / r - 2 * r / sigma**2 * w.sum()
    rhs_tight = (margins @ w) / r - BETA_STAR_UNIT * r / sigma**2 * w.sum()
    assert bool(sm.cor2_sufficient(grads, margins, w, r, sigma)) == (lhs <= rhs_paper)
    tight = sm.smoothness_constant_tight(sigma)
    assert bool(sm.cor2_sufficient(grads, margins, w, r, sigma, beta=tight)) == (lhs <= rhs_tight)
    # Corollary 3: 4 r/sigma^2 printed, 2 sqrt(2/(pi e)) r/sigma^2 tight; find the switching margin
    g1, g2 = np.array([0.3, 0.1]), np.array([-0.1, 0.2])
    lhs3 = np.linalg.norm(g1 + g2)
    for beta, term in ((None, 4 * r / sigma**2), (tight, 2 * BETA_STAR_UNIT * r / sigma**2)):
        edge = r * (lhs3 + term)  # margin sum at which sufficiency starts
        assert sm.cor3_sufficient(g1, g2, edge / 2 + 1e-6, edge / 2, r, sigma, beta=beta)
        assert not sm.cor3_sufficient(g1, g2, edge / 2 - 1e-6, edge / 2, r, sigma, beta=beta)
        edge_n = r * (lhs3 - term)
        assert sm.cor3_necessary(g1, g2, edge_n / 2 + 1e-6, edge_n / 2, r, sigma, beta=beta)
        assert not sm.cor3_necessary(g1, g2, edge_n / 2 - 1e-6, edge_n / 2, r, sigma, beta=beta)


@given(ens=positive_band_pairs())
def test_cor3_tight_beta_sound_two_class(ens):
    # two-class, two-member MME predicts y0 iff m_1 + m_2 > 0 (the larger |m_i| decides)
    pair, sigma = ens
    m, g = pair.margins(0.0, sigma), pair.gradients(0.0, sigma)
    assume(m.sum() > 0)  # built in; only rounding could break it
    true_r = pair.true_radius(0.0, np.ones(2), sigma, limit=8 * sigma + 8)
    beta = sm.smoothness_constant_tight(sigma)
    for r in np.linspace(0.01, 3.0, 40) * sigma:
        if sm.cor3_sufficient(g[0], g[1], m[0], m[1], r, sigma, beta=beta):
            assert r <= true_r + 1e-9
        if r < true_r:
            assert sm.cor3_necessary(g[0], g[1], m[0], m[1], r, sigma, beta=beta)


def test_cor3_halved_tight_beta_is_unsound():
    sigma = 1.0
    pair = BandMembers((-sigma, -sigma), (sigma, sigma))
    m, g = pair.margins(0.0, sigma), pair.gradients(0.0, sigma)
    true_r = pair.true_radius(0.0, np.ones(2), sigma, limit=5.0)
    beta = sm.smoothness_constant_tight(sigma)
    r_half = np.sqrt(m.sum() / beta)  # 0 <= (m1 + m2)/r - 2 (beta/2) r
    assert sm.cor3_sufficient(g[0], g[1], m[0], m[1], 0.999 * r_half, sigma, beta=beta / 2)
    assert 0.999 * r_half > true_r
    r_tight = np.sqrt(m.sum() / (2 * beta))
    assert r_tight <= true_r


# --- Eq. (8), Definition 5 -----------------------------------------------------------------------


def _samples(rng, n, members, classes):
    raw = rng.gamma(0.5, size=(n, members, classes))
    return raw / raw.sum(axis=-1, keepdims=True)


def test_eq8_soft_we_is_weighted_mean_of_soft_members():
    rng = np.random.default_rng(0)
    conf = _samples(rng, 200, 3, 4)
    w = np.array([0.5, 1.0, 2.5])
    per_member = conf.mean(axis=0)  # g_j = E f_j
    np.testing.assert_allclose(sm.soft_we_confidence(conf, w), (w @ per_member) / w.sum())
    votes = sm.ebs_vote_probability(conf, w)
    assert votes.sum() == pytest.approx(1.0)
    assert sm.ebs_predict(votes) == np.argmax(votes)


def test_eq8_approximation_changes_class_and_radius():
    # 60% of the noise draws give (0.45, 0.55), 40% give (1, 0): soft says class 0, the vote class 1
    conf = np.array([[[0.45, 0.55]]] * 6 + [[[1.0, 0.0]]] * 4)
    w = np.ones(1)
    soft, hard = sm.soft_we_confidence(conf, w), sm.ebs_vote_probability(conf, w)
    assert sm.ebs_predict(soft) == 0 and sm.ebs_predict(hard) == 1
    # radius: 90% give (0.4, 0.6) and 10% (0, 1): the vote certifies class 1 with sigma Phi^{-1}(1);
    conf2 = np.array([[[0.4, 0.6]]] * 9 + [[[0.0, 1.0]]])
    soft2, hard2 = sm.soft_we_confidence(conf2, w), sm.ebs_vote_probability(conf2, w)
    assert hard2[1] == 1.0 and soft2[1] == pytest.approx(0.64)
    assert sm.ebs_certified_radius(hard2[1], 1.0) > 10 * sm.ebs_certified_radius(soft2[1], 1.0)


@given(n_classes=st.integers(2, 6), seed=st.integers(0, 10_000), n=st.integers(1, 30))
def test_eq8_gap_bounds(n_classes, seed, n):
    rng = np.random.default_rng(seed)
    conf = _samples(rng, n, 2, n_classes)
    w = rng.uniform(0.1, 1.0, size=2)
    gap = sm.ebs_vote_probability(conf, w) - sm.soft_we_confidence(conf, w)
    up, down = sm.ebs_soft_gap_bounds(n_classes)
    assert np.all(gap <= up + 1e-12) and np.all(-gap <= down + 1e-12)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_eq8_gap_bounds_approached(n_classes):
    e = 1e-6
    up, down = sm.ebs_soft_gap_bounds(n_classes)
    near_uniform = np.full((1, 1, n_classes), (1 - 1 / n_classes - e) / (n_classes - 1))
    near_uniform[..., 0] = 1 / n_classes + e
    gap = sm.ebs_vote_probability(near_uniform, np.ones(1)) - sm.soft_we_confidence(near_uniform, np.ones(1))
    assert gap[0] == pytest.approx(up, abs=1e-4)
    loser = np.zeros((1, 1, n_classes))
    loser[..., 0], loser[..., 1] = 0.5 - e, 0.5 + e
    gap2 = sm.soft_we_confidence(loser, np.ones(1)) - sm.ebs_vote_probability(loser, np.ones(1))
    assert gap2[0] == pytest.approx(down, abs=1e-4)
    assert up == pytest.approx(1 - 1 / n_classes)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_eq8_gap_bounds_attained_at_ties(n_classes):
    # Under the first-index tie rule both bounds are attained, so Eq. (8)'s gap bounds are '<=', not '<'.
    up, down = sm.ebs_soft_gap_bounds(n_classes)
    uniform = np.full((1, 1, n_classes), 1 / n_classes)  # ties everywhere: the vote is always class 0
    gap = sm.ebs_vote_probability(uniform, np.ones(1)) - sm.soft_we_confidence(uniform, np.ones(1))
    assert gap[0] == pytest.approx(up, abs=1e-15)
    half = np.zeros((1, 1, n_classes))
    half[..., 0], half[..., 1] = 0.5, 0.5  # class 1 ties class 0 and never wins the vote
    gap2 = sm.soft_we_confidence(half, np.ones(1)) - sm.ebs_vote_probability(half, np.ones(1))
    assert gap2[1] == pytest.approx(down, abs=1e-15)


def test_smoothed_quadrature_oracle_matches_closed_form():
    sigma = 0.7
    g = smoothed_by_quadrature(lambda t: float(-0.5 <= t <= 1.0), 0.2, sigma, (-0.5, 1.0))
    assert g == pytest.approx(float(sm.interval_indicator_smoothed(0.2, -0.5, 1.0, sigma)), rel=1e-10)
    probs = sm.interval_partition_smoothed_probabilities(np.array([0.2]), [-0.5, 1.0], sigma)
    assert probs[0, 1] == pytest.approx(g, rel=1e-10)
    assert probs.sum() == pytest.approx(1.0)
