"""Checks of Gaussian smoothing and Theorem 2's constant (verify/checks/smoothing.py and its smoothing_*.py modules).

Every registered check passes with the ``ci`` profile and every mutation (a perturbed statement) fails;
the hypothesis tests run the checks' exact oracles on generated instances.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.helpers.verify_registry import assert_check_passes, assert_mutation_caught, assert_part_covered
from tests.helpers.verify_smoothing import (
    band_ensembles,
    boxes,
    partitions,
    piecewise_functions,
    sigmas,
    sigmoid_nets,
)
from theory import smoothing as sm
from theory.ledger import entries_smoothing
from verify.checks import PROFILES
from verify.checks import smoothing as vs
from verify.checks import smoothing_bands as vb
from verify.checks import smoothing_hessians as vh
from verify.checks import smoothing_linear as vl

CI = PROFILES["ci"]
CHECKS = {c.name: c for c in vs.CHECKS}
MUTATIONS = {f"{c.name}::{m.name}": m for c in vs.CHECKS for m in c.mutations}
KAPPA = float(sm.smoothness_constant_tight(1.0))  # sigma^2 beta*


# --- the registered checks and their mutations -------------------------------------------------


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_passes(name):
    assert_check_passes(CHECKS.values(), name, max_false_alarm=1e-6)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_caught(name):
    check, mutation = name.split("::")
    assert_mutation_caught(CHECKS.values(), check, mutation)


def test_every_ledger_entry_of_the_part_has_a_check_with_mutations():
    assert_part_covered(vs.CHECKS, {e.id for e in entries_smoothing.ENTRIES}, entries_smoothing.ENTRIES,
                        every_check_mutated=True)
    assert len(CHECKS) == len(vs.CHECKS)  # check names are unique


# --- Theorem 2 on generated functions -------------------------------------------------------------


@given(f=piecewise_functions(), x=st.floats(-4.0, 4.0), sigma=sigmas)
@example(f=vh.Piecewise((-1.0, 1.0), (1.0, 0.0, 1.0)), x=0.0, sigma=1.0)  # the extremal function at its centre
@example(f=vh.Piecewise((0.0,), (0.0, 1.0)), x=-1.0, sigma=1.0)  # the step at -sigma (Proposition B.4)
def test_thm2_tight_bound_piecewise(f, x, sigma):
    closed = float(vh.piecewise_second_derivative(f, x, sigma)) * sigma**2
    quad, err = vh.quad_second_derivative(f, x, sigma, f.edges)
    assert closed == pytest.approx(quad, abs=1e-9 + err)
    assert abs(closed) <= KAPPA * (1 + 1e-9)


@given(data=st.data(), x=st.floats(-3.0, 3.0), sigma=sigmas)
def test_thm2_tight_bound_sigmoid_nets(data, x, sigma):
    f = data.draw(sigmoid_nets(sigma))
    value, err = vh.hessian_bound_1d(f, sigma, [x], tuple(-np.asarray(f.b) / np.asarray(f.w)))
    assert err < 1e-8
    assert value <= KAPPA * (1 + 1e-9)


@given(f=piecewise_functions(low=-2.0, high=3.0), x=st.floats(-4.0, 4.0), sigma=sigmas)
def test_thm2_ab_bound_piecewise(f, x, sigma):
    g2 = abs(float(vh.piecewise_second_derivative(f, x, sigma)))
    assert g2 <= float(sm.smoothness_constant_tight(sigma, -2.0, 3.0)) * (1 + 1e-9)


@given(box=boxes(), sigma=sigmas)
def test_thm2_2d_box_closed_form_and_bound(box, sigma):
    lows, highs, x = box
    lows, highs = lows * sigma, highs * sigma
    closed = vh._box_hessian_2d(x * sigma, lows, highs, sigma)
    sections, err = vh.hessian_2d_by_sections(lambda t1: [(lows[1], highs[1])], x * sigma, sigma,
                                              (lows[0], highs[0]))
    np.testing.assert_allclose(sections, closed, atol=1e-9 + err)
    assert np.abs(np.linalg.eigvalsh(closed)).max() <= KAPPA * (1 + 1e-9)


@given(seed=st.integers(0, 2**32 - 1), d=st.integers(10, 100), sigma=sigmas,
       kind=st.sampled_from(["halfspace", "box", "extremal", "extremal_complement"]))
def test_thm2_stein_interval_covers_exact_value(seed, d, sigma, kind):
    rng = np.random.default_rng(seed)
    f, x, u, exact = vh._stein_instance(rng, kind, d, sigma)
    _, lo, hi = vh.stein_interval(f, x, u, sigma, 4000, rng, delta=1e-9)  # false alarm <= 2000 x 1e-9 per run
    assert lo <= exact <= hi
    assert lo <= KAPPA and hi >= -KAPPA


def test_bernstein_halfwidth_shrinks_and_is_conservative():
    widths = [vh.bernstein_halfwidth(n, 0.5, 24.0, 1e-6) for n in (1000, 10_000, 100_000)]
    assert widths[0] > widths[1] > widths[2] > np.sqrt(2 * 0.5 * np.log(2e6) / 100_000)


# --- Lemma A.1 on generated linear classifiers ------------------------------------------------------


@given(member=partitions(), t0=st.floats(-2.0, 2.0), sigma=sigmas)
def test_lemA1_generated_partitions(member, t0, sigma):
    member = vl.Partition(member.direction, member.edges * sigma, member.labels, member.n_classes)
    p = member.probabilities_t(np.array(t0 * sigma), sigma)
    y0 = int(np.argmax(p))
    pa, pb = np.sort(p)[-1], np.sort(p)[-2]
    r = float(sm.cohen_radius(pa, pb, sigma))
    assume(r > 0)  # a tie for the top class at x0 (rare)
    assert vl._partition_min_margin(member, y0, t0 * sigma, min(r, 12 * sigma) * (1 - 1e-7), sigma) >= -1e-12


# --- Corollary 2 on generated instances -----------------------------------------------------------


@given(ens=band_ensembles())
# two members that cancel and a half-space whose margin is exactly 0 on a grid point of the bracket
@example(ens=(np.array([-1.0, -1.0, -1.0]), np.array([0.0, 0.0, np.inf]), np.array([True, False, False]),
              np.array([0.109375, 0.109375, 1.0]), 1.0))
def test_cor2_generated_band_ensembles(ens):
    lows, highs, flips, w, sigma = ens
    m, dm = vb._band_margins(lows, highs, flips, np.array(0.0), sigma)
    assume(m @ w > 0)  # built into band_ensembles; only rounding could break it
    lower, upper = vb.band_margin_radius_bracket(lows, highs, flips, w, sigma)
    assert lower <= upper
    grads = dm[:, None] * np.ones(1)
    beta = float(sm.smoothness_constant_tight(sigma))
    for r in np.linspace(0.01, 4.0, 40) * sigma:
        if sm.cor2_sufficient(grads, m, w, r, sigma, beta=beta):
            assert r <= upper * (1 + 1e-9)
        if r < lower:
            assert sm.cor2_necessary(grads, m, w, r, sigma, beta=beta)
