"""Smoothing strategies: Definition 6 (EAS), Theorem 5 (printed vs corrected), Corollary 4 (EBS vs EAS)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from tests.helpers.smoothing import (
    LinearMember,
    cor4_tuples,
    eas_counterexample,
    ensemble_probabilities,
    sigmas,
)
from theory import smoothing as sm
from theory import strategies as sg
from theory.proofs import strategies as sg_proofs


def _eas_class(members, x, sigma):
    return sg.eas_select(ensemble_probabilities(members, x, sigma))[1]


# --- Definition 6 -----------------------------------------------------------------------------


def test_def6_eas_select():
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.6, 0.2, 0.2]])
    member, y0 = sg.eas_select(probs)
    assert member == 1 and y0 == 2
    batch = np.stack([probs, probs[::-1]])
    members, classes = sg.eas_select(batch)
    np.testing.assert_array_equal(members, [1, 1])
    np.testing.assert_array_equal(classes, [2, 2])
    # ties: the first member with the largest top probability, and its first top class
    tied = np.array([[0.4, 0.4, 0.2], [0.1, 0.4, 0.5], [0.5, 0.5, 0.0]])
    member, y0 = sg.eas_select(tied)
    assert member == 1 and y0 == 2
    member, y0 = sg.eas_select(tied[[0, 2]])
    assert member == 1 and y0 == 0


@given(seed=st.integers(0, 10_000), n=st.integers(1, 5), c=st.integers(2, 5))
def test_def6_selected_member_has_largest_top(seed, n, c):
    raw = np.random.default_rng(seed).gamma(0.7, size=(n, c))
    probs = raw / raw.sum(axis=-1, keepdims=True)
    member, y0 = sg.eas_select(probs)
    assert probs[member].max() == probs.max()
    assert probs[member, y0] == probs[member].max()


# --- Theorem 5 -----------------------------------------------------------------------------------


def test_thm5_counterexample_setup():
    sigma = 1.0
    members = eas_counterexample(sigma)
    probs = ensemble_probabilities(members, np.zeros(2), sigma)
    np.testing.assert_allclose(probs, [[0.6, 0.4, 0, 0], [0.24, 0.26, 0.25, 0.25]], atol=1e-12)
    member, y0 = sg.eas_select(probs)
    assert member == 0 and y0 == 0
    radii = sg.eas_member_radii_printed(probs, sigma)
    assert radii[1] > 0  # the wrong member gets a positive printed radius (q = 0.26 < 1/2)
    np.testing.assert_allclose(radii, [norm.ppf(0.6), -norm.ppf(0.26)])
    # B's probabilities do not move along e1; A flips just beyond sigma Phi^{-1}(0.6)
    flip = sigma * norm.ppf(0.6)
    step = np.array([-1.0, 0.0])
    assert _eas_class(members, (flip * 0.999) * step, sigma) == 0
    assert _eas_class(members, (flip * 1.001) * step, sigma) != 0
    np.testing.assert_allclose(ensemble_probabilities(members, 0.7 * step, sigma)[1], probs[1], atol=1e-12)


@pytest.mark.xfail(strict=True, reason="Theorem 5 as printed: a wrong member with q < 1/2 inflates max r_i")
def test_thm5_printed_radius_counterexample():
    sigma = 1.0
    members = eas_counterexample(sigma)
    probs = ensemble_probabilities(members, np.zeros(2), sigma)
    printed = sg.eas_radius_printed(probs, sigma)
    delta = np.array([-0.26 * sigma, 0.0])  # |delta| = 0.26 sigma < printed radius
    assert np.linalg.norm(delta) < printed
    assert _eas_class(members, delta, sigma) == 0  # the printed claim: prediction unchanged


def test_thm5_corrected_and_sharp_on_counterexample():
    sigma = 0.8
    members = eas_counterexample(sigma)
    probs = ensemble_probabilities(members, np.zeros(2), sigma)
    corrected = sg.eas_certified_radius(probs[:, 0], sigma)
    assert corrected == pytest.approx(sigma * (norm.ppf(0.6) + norm.ppf(0.24)) / 2)
    assert corrected <= 0  # abstain: sound
    sharp = sg.eas_certified_radius_sharp(probs, sigma)
    true_flip = sigma * norm.ppf(0.6)  # A flips there (previous test)
    assert sharp == pytest.approx(true_flip)  # the sharp radius is exact here
    assert sg.eas_radius_printed(probs, sigma) > 1.7 * true_flip


def test_thm5_symbolic():
    assert sg_proofs.prove_thm5_corrected()
    assert not sg_proofs.prove_thm5_corrected(factor=sp.Rational(3, 5)).holds
    assert sg_proofs.prove_thm5_corrected(factor=sp.Rational(1, 3))  # smaller radii stay sound


def test_thm5_factor_half_is_tight():
    # A predicts y0 = 0 with 0.9 and drops along -e1; B predicts 1 with 0.7 and rises along -e1
    sigma = 0.5
    a = LinearMember((1.0, 0.0), (-sigma * norm.ppf(0.9),), (1, 0), 2)
    b = LinearMember((1.0, 0.0), (sigma * norm.ppf(0.7),), (1, 0), 2)
    probs = ensemble_probabilities([a, b], np.zeros(2), sigma)
    r = sg.eas_certified_radius(probs[:, 0], sigma)
    assert r == pytest.approx(sigma * (norm.ppf(0.9) + norm.ppf(0.3)) / 2)
    assert r == pytest.approx(sg.eas_radius_printed(probs, sigma))  # printed is right when q >= 1/2
    step = np.array([-1.0, 0.0])
    assert _eas_class([a, b], r * 0.999 * step, sigma) == 0
    assert _eas_class([a, b], r * 1.001 * step, sigma) == 1  # a factor above 1/2 would be unsound


@st.composite
def linear_ensembles(draw):
    n = draw(st.integers(1, 4))
    c = draw(st.integers(2, 4))
    members = []
    for _ in range(n):
        angle = draw(st.floats(0.0, 2 * np.pi))
        k = draw(st.integers(1, c - 1))
        # k edges in [-2, 2], at least 1e-3 apart, built from their gaps (no rejected near-duplicates)
        gaps = draw(st.lists(st.floats(1e-3, 4.0 / k), min_size=k - 1, max_size=k - 1))
        start = draw(st.floats(-2.0, 2.0 - sum(gaps)))
        edges = list(start + np.concatenate([[0.0], np.cumsum(gaps)]))
        labels = draw(st.lists(st.integers(0, c - 1), min_size=k + 1, max_size=k + 1))
        members.append(LinearMember((np.cos(angle), np.sin(angle)), tuple(edges), tuple(labels), c))
    return members


def _check_robust(members, sigma, radius, y0):
    """No flip on rays of the 2-D plane up to ``radius`` (checked from 0: at a non-positive radius only
    the prediction at the centre); returns whether any radius was checked, for the test's statistics."""
    if not radius > 0:
        assert _eas_class(members, np.zeros((1, 2)), sigma)[0] == y0
        return False
    radius = min(radius, 3.0 * sigma)  # an infinite radius (a constant member) is checked out to 3 sigma
    dirs = [np.asarray(m.direction) for m in members]
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    dirs += [np.array([np.cos(t), np.sin(t)]) for t in angles] + [-d for d in dirs]
    scales = np.linspace(0.02, 0.999, 25) * radius
    points = np.concatenate([np.outer(scales, d / np.linalg.norm(d)) for d in dirs])
    classes = _eas_class(members, points, sigma)
    assert np.all(classes == y0)
    return True


@given(members=linear_ensembles(), sigma=st.floats(0.5, 5.0))  # keeps every |edge/sigma| <= 4: no p rounds to 1
def test_thm5_corrected_radius_is_sound(members, sigma):
    probs = ensemble_probabilities(members, np.zeros(2), sigma)
    _, y0 = sg.eas_select(probs)
    corrected = sg.eas_certified_radius_from_probabilities(probs, sigma)
    sharp = sg.eas_certified_radius_sharp(probs, sigma)
    assert sharp >= corrected - 1e-9
    assert corrected <= sg.eas_radius_printed(probs, sigma) + 1e-9
    checked = _check_robust(members, sigma, float(corrected), y0)
    checked += _check_robust(members, sigma, float(sharp), y0)
    event(f"{checked} of 2 radii positive")


def _eas_flip_radius(members, sigma, y0, reach):
    """The smallest |x| <= reach where the EAS class leaves y0, by ray scans and bisection (inf if none).

    Rays: 360 directions plus +-each member's direction and its normal; on each, a 400-point scan and 60
    bisection steps on the first flip (the boundary is found to 1e-15 relative)."""
    dirs = [np.array([np.cos(t), np.sin(t)]) for t in np.linspace(0, 2 * np.pi, 360, endpoint=False)]
    for m in members:
        d = np.asarray(m.direction, dtype=float) / np.linalg.norm(m.direction)
        dirs += [d, -d, np.array([-d[1], d[0]]), np.array([d[1], -d[0]])]
    ts = np.linspace(0.0, reach, 401)[1:]
    best = np.inf
    for d in dirs:
        classes = _eas_class(members, np.outer(ts, d), sigma)
        bad = np.flatnonzero(classes != y0)
        if bad.size == 0 or (ts[bad[0] - 1] if bad[0] else 0.0) >= best:
            continue
        lo, hi = (ts[bad[0] - 1] if bad[0] else 0.0), ts[bad[0]]
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _eas_class(members, mid * d[None], sigma)[0] == y0 else (lo, mid)
        best = min(best, hi)
    return best


@settings(max_examples=60, deadline=None)
@given(members=linear_ensembles(), sigma=st.floats(0.5, 5.0))
def test_thm5_minimal_repair_is_sound_against_exact_flip_radii(members, sigma):
    """Eq. (39) with its max over the members predicting y0 only: never beyond the nearest flip of the EAS
    class (found by root finding along rays), between the headline correction and the sharp radius, and
    the printed radius itself whenever every wrong member's top probability is >= 1/2."""
    probs = ensemble_probabilities(members, np.zeros(2), sigma)
    _, y0 = sg.eas_select(probs)
    repaired = float(sg.eas_radius_repaired(probs, sigma))
    assert float(sg.eas_certified_radius_from_probabilities(probs, sigma)) <= repaired + 1e-12
    assert repaired <= float(sg.eas_certified_radius_sharp(probs, sigma)) + 1e-12
    wrong = probs.argmax(axis=-1) != y0
    if np.all(probs.max(axis=-1)[wrong] >= 0.5):
        assert repaired == pytest.approx(float(sg.eas_radius_printed(probs, sigma)), abs=1e-12)
    # a repaired radius <= 0 certifies nothing: the orderings above are then all there is to check
    event("positive repaired radius: checked against the flip radius" if repaired > 0 else
          "repaired radius <= 0: orderings only")
    if repaired > 0:
        reach = min(repaired, 3.0 * sigma) * 1.5 if np.isfinite(repaired) else 3.0 * sigma
        flip = _eas_flip_radius(members, sigma, y0, reach)
        assert repaired <= flip * (1 + 1e-9)


def test_thm5_minimal_repair_on_the_counterexample():
    sigma = 0.7
    members = eas_counterexample(sigma)
    probs = ensemble_probabilities(members, np.zeros(2), sigma)
    flip = _eas_flip_radius(members, sigma, 0, 1.0 * sigma)
    assert flip == pytest.approx(sigma * norm.ppf(0.6), rel=1e-9)  # the true radius, 0.253 sigma
    assert float(sg.eas_radius_repaired(probs, sigma)) == pytest.approx(flip, rel=1e-9)  # exact here
    # the headline correction certifies nothing; the printed radius covers the flip
    assert float(sg.eas_certified_radius_from_probabilities(probs, sigma)) == pytest.approx(
        sigma * (norm.ppf(0.6) + norm.ppf(0.24)) / 2)
    assert float(sg.eas_certified_radius_from_probabilities(probs, sigma)) < 0
    assert float(sg.eas_radius_printed(probs, sigma)) > 1.7 * flip


def test_thm5_sharp_radius_can_exceed_a_sound_printed_one():
    # With more than two classes the sharper radius is not the printed one even where the printed one is sound.
    probs = np.array([[0.6, 0.2, 0.2]])
    printed = float(sg.eas_radius_printed(probs, 1.0))
    sharp = float(sg.eas_certified_radius_sharp(probs, 1.0))
    assert printed == pytest.approx(norm.ppf(0.6)) and sharp == pytest.approx((norm.ppf(0.6) - norm.ppf(0.2)) / 2)
    assert sharp > 2 * printed
    # both sound: one member's smoothed classifier is Cohen-robust at (Phi^-1(pA) - Phi^-1(pB))/2 = sharp
    assert sharp <= float(sm.cohen_radius(0.6, 0.2, 1.0)) + 1e-12


def test_thm5_required_api():
    p = np.array([[0.9, 0.7, 0.6], [0.8, 0.0, 0.9], [1.0, 0.0, 0.7], [0.5, 0.5, 0.5]])
    sigma = np.array([1.0, 2.0, 1.0, 0.5])
    r = sg.eas_certified_radius(p, sigma)
    assert r.shape == (4,)
    assert r[0] == pytest.approx((norm.ppf(0.9) + norm.ppf(0.6)) / 2)
    assert np.isneginf(r[1])
    assert r[2] == 0.0
    assert r[3] == 0.0
    assert sg.eas_certified_radius([0.8], 0.5) == pytest.approx(0.5 * norm.ppf(0.8))
    np.testing.assert_allclose(sg.eas_certified_radius(p[None, :3], 1.5)[0], sg.eas_certified_radius(p[:3], 1.5))


@pytest.mark.parametrize(
    "call",
    [
        lambda: sg.eas_certified_radius([0.6, 0.7], 0.0),
        lambda: sg.eas_certified_radius([0.6, 1.2], 1.0),
        lambda: sg.eas_certified_radius([0.6, np.nan], 1.0),
        lambda: sg.eas_certified_radius(0.6, 1.0),
        lambda: sg.eas_select(np.array([0.5, 0.5])),
        lambda: sg.eas_select(np.array([[0.7, 0.7]])),
        lambda: sg.eas_radius_printed(np.array([[0.6, 0.4]]), -1.0),
        lambda: sg.cor4_radius_eas(0.4, 0.7, 1.0),
        lambda: sg.cor4_threshold(0.7, 0.7, 0.7),
        lambda: sg.cor4_threshold(0.8, 0.7, 0.75),
        lambda: sg.cor4_radius_ebs(0.8, 0.7, 0.6, 1.5, 1.0),
    ],
)
def test_strategies_reject_out_of_domain(call):
    with pytest.raises(ValueError):
        call()


# --- Corollary 4 -----------------------------------------------------------------------------------


def test_cor4_threshold_symbolic():
    assert sg_proofs.prove_cor4_threshold()
    assert not sg_proofs.prove_cor4_threshold(four=2).holds
    assert not sg_proofs.prove_cor4_threshold(half=sp.Rational(1, 3)).holds
    assert sg_proofs.prove_cor4_part1_step()
    assert sg_proofs.prove_cor4_part2_step()
    assert not sg_proofs.prove_cor4_part2_step(half=1).holds
    assert sg_proofs.prove_phi_inverse_convex()
    assert not sg_proofs.prove_phi_inverse_convex(left_end=sp.Rational(1, 4)).holds


@given(p_b=st.floats(0.51, 0.98), gap=st.floats(0.001, 0.01), share=st.floats(0.0, 0.99))
def test_cor4_threshold_printed_form(p_b, gap, share):
    p_a = min(p_b + gap, 0.999)
    delta = p_a - p_b
    p_ab = max(0.0, p_a + p_b - 1) + share * (p_b - max(0.0, p_a + p_b - 1))
    printed = 0.5 + 1 / (2 + 4 * (p_b - p_ab) / delta)
    assert sg.cor4_threshold(p_a, p_b, p_ab) == pytest.approx(printed, rel=1e-9)
    assert sg.cor4_threshold(p_b, p_a, p_ab) == pytest.approx(printed, rel=1e-9)  # symmetric in a, b


def test_cor4_threshold_delta_zero_and_remark():
    assert sg.cor4_threshold(0.8, 0.8, 0.65) == 0.5  # limit of the printed form as delta -> 0
    # the remark's "p_min - p_ab ~ delta" gives 1/2 + 1/6
    p_b, delta = 0.7, 0.1
    assert sg.cor4_threshold(p_b + delta, p_b, p_b - delta) == pytest.approx(2 / 3)


def _cor4_grid():
    pb = np.linspace(0.505, 0.995, 22)
    pa_gap = np.concatenate([[0.0], np.linspace(0.002, 0.49, 14)])
    frac = np.linspace(0.0, 1.0, 11)
    p = np.linspace(0.0, 1.0, 41)
    PB, G, F, P = np.meshgrid(pb, pa_gap, frac, p, indexing="ij")
    PA = PB + G
    lo = np.maximum(0.0, PA + PB - 1)
    PAB = lo + F * (PB - lo)
    ok = (PA < 1) & (PA + PB - 2 * PAB > 1e-9)
    return PA[ok], PB[ok], PAB[ok], P[ok]


def test_cor4_parts_on_exhaustive_grid():
    pa, pb, pab, p = _cor4_grid()
    assert pa.size > 50_000
    sigma = 0.5
    r_g = sg.cor4_radius_ebs(pa, pb, pab, p, sigma)
    r_h = sg.cor4_radius_eas(pa, pb, sigma)
    above = p > sg.cor4_threshold(pa, pb, pab)
    assert above.any() and np.all(r_g[above] > r_h[above])  # part 1
    low = p <= 0.5
    assert low.any() and np.all(r_h[low] >= r_g[low] - 1e-12)  # part 2
    # flipped conclusions are caught on the same grid
    assert not np.all(r_g[above] <= r_h[above])
    assert not np.all(r_h[low] < r_g[low])
    # dropped hypotheses: neither conclusion holds for every p
    assert not np.all(r_g > r_h) and not np.all(r_h >= r_g)


@given(t=cor4_tuples(), sigma=sigmas)
@example(t=(0.7, 0.7, 0.5, 0.75), sigma=1.0)
@example(t=(0.7, 0.7, 0.5, 0.5), sigma=1.0)
def test_cor4_parts_random(t, sigma):
    p_a, p_b, p_ab, p = t
    r_g = sg.cor4_radius_ebs(p_a, p_b, p_ab, p, sigma)
    r_h = sg.cor4_radius_eas(p_a, p_b, sigma)
    if p > sg.cor4_threshold(p_a, p_b, p_ab):
        assert r_g > r_h
    if p <= 0.5:
        assert r_h >= r_g - 1e-12
    # r_H is Theorem 5 (corrected and printed agree) for two members that both predict y0
    assert r_h == pytest.approx(float(sg.eas_certified_radius([p_a, p_b], sigma)))


def test_cor4_ebs_probability_by_enumeration():
    # joint law of (A right, B right) and p: P(EBS right) = p_ab + p * P(exactly one right)
    p_a, p_b, p_ab, p = 0.8, 0.7, 0.6, 0.3
    both, only_a, only_b = p_ab, p_a - p_ab, p_b - p_ab
    assert sg.ebs_mme_probability(p_a, p_b, p_ab, p) == pytest.approx(both + p * (only_a + only_b))
