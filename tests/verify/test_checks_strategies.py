"""Checks of the smoothing strategies EBS and EAS (verify/checks/strategies.py).

Every registered check passes with the ``ci`` profile and every mutation (a perturbed statement) fails;
the hypothesis tests run the checks' exact oracles on generated instances.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.stats import norm

from tests.helpers.verify_registry import assert_check_passes, assert_mutation_caught, assert_part_covered
from tests.helpers.smoothing import cor4_tuples
from tests.helpers.verify_smoothing import sigmas
from tests.helpers.verify_strategies import linear_ensembles
from theory import strategies as sg
from theory.ledger import entries_strategies
from verify.checks import PROFILES
from verify.checks import strategies as vg

CI = PROFILES["ci"]
CHECKS = {c.name: c for c in vg.CHECKS}
MUTATIONS = {f"{c.name}::{m.name}": m for c in vg.CHECKS for m in c.mutations}


# --- the registered checks and their mutations -------------------------------------------------


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_passes(name):
    assert_check_passes(CHECKS.values(), name, max_false_alarm=1e-6)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_caught(name):
    check, mutation = name.split("::")
    assert_mutation_caught(CHECKS.values(), check, mutation)


def test_every_ledger_entry_of_the_part_has_a_check_with_mutations():
    assert_part_covered(vg.CHECKS, {e.id for e in entries_strategies.ENTRIES}, entries_strategies.ENTRIES,
                        every_check_mutated=True)
    assert len(CHECKS) == len(vg.CHECKS)  # check names are unique


# --- Theorem 5 on generated linear ensembles --------------------------------------------------------


@given(ens=linear_ensembles(), seed=st.integers(0, 1000))
def test_thm5_generated_linear_ensembles(ens, seed):
    members, sigma = ens
    probs = np.stack([m.probabilities(np.zeros(m.direction.size), sigma) for m in members])
    _, y0 = sg.eas_select(probs)
    corrected = float(sg.eas_certified_radius_from_probabilities(probs, sigma))
    sharp = float(sg.eas_certified_radius_sharp(probs, sigma))
    assert sharp >= corrected - 1e-9
    rng = np.random.default_rng(seed)
    for r in (corrected, sharp):
        if r > 0:
            assert vg.eas_attack(members, int(y0), min(r, 10 * sigma) * (1 - 1e-7), sigma, rng, refine=0) >= -1e-12


def test_thm5_printed_radius_is_refuted_by_the_pinned_counterexample():
    members = vg._eas_pinned(1.0)[0]
    probs = np.stack([m.probabilities(np.zeros(2), 1.0) for m in members])
    printed = float(sg.eas_radius_printed(probs, 1.0))
    flip = norm.ppf(0.6)  # member A flips there along -e1; member B does not move
    assert printed > 1.7 * flip
    assert vg.eas_margin(members, np.array([-(flip + 1e-6), 0.0]), 0, 1.0) < 0


# --- Corollary 4 on generated tuples ---------------------------------------------------------------


@given(t=cor4_tuples(), sigma=sigmas)
@example(t=(0.7, 0.7, 0.5, 0.5), sigma=1.0)  # delta = 0, p = 1/2: r_G = r_H
@example(t=(0.8, 0.7, 0.5, 1.0), sigma=1.0)  # p_ab at the lower Frechet bound, P(EBS right) = 1
def test_cor4_generated_tuples(t, sigma):
    p_a, p_b, p_ab, p = t
    r_g, r_h, prob = vg.cor4_truth(p_a, p_b, p_ab, p, sigma)
    assert float(sg.ebs_mme_probability(p_a, p_b, p_ab, p)) == pytest.approx(prob, abs=1e-14)
    threshold = float(sg.cor4_threshold(p_a, p_b, p_ab))
    if p > threshold:
        assert r_g > r_h
    if p <= 0.5:
        assert r_h >= r_g - 1e-12 * sigma
    if p_a - p_b > 1e-6:
        printed = 0.5 + 1 / (2 + 4 * (p_b - p_ab) / (p_a - p_b))
        assert printed == pytest.approx(threshold, rel=1e-9)
