"""Checks of the comparisons of WE and MME (verify/checks/comparison.py): every check passes on the ci profile,
every mutation is caught, and Corollary 1 and Proposition B.1 hold on hypothesis-generated instances against exact
trust-region radii, confirmed by evaluating the actual ensembles at the worst point of the ball."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.helpers.verify_registry import (assert_check_passes, assert_checks_pass_on_seed,
                                          assert_mutation_caught, assert_part_covered, mutation_ids)
from tests.helpers.verify_conditions import quadratic_ensembles, we_label, we_margin_pieces, worst_point
from theory import comparison as cp
from theory import conditions as cd
from theory.ledger.entries_comparison import ENTRIES
from verify.checks.comparison import CHECKS, cor1_instance
from verify.quadratic import TOL, we_radius

_BY_NAME = {check.name: check for check in CHECKS}
_MUTATIONS = mutation_ids(CHECKS)
_PART = {"cor1-we", "cor1-mme", "cor1-weights", "cor1-remark", "propB1"}


# ---------------------------------------------------------------------------------------------
# the checks and their mutations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_BY_NAME))
def test_check_passes(name):
    assert_check_passes(CHECKS, name)


@pytest.mark.parametrize("name, mutation", _MUTATIONS)
def test_mutation_is_caught(name, mutation):
    assert_mutation_caught(CHECKS, name, mutation)


def test_every_statement_of_the_part_has_a_check_with_mutations():
    assert_part_covered(CHECKS, _PART, ENTRIES)


def test_checks_pass_on_another_seed():
    assert_checks_pass_on_seed(CHECKS, 7)


# ---------------------------------------------------------------------------------------------
# Corollary 1 and Proposition B.1 on generated instances
# ---------------------------------------------------------------------------------------------


@given(st.integers(0, 2**32 - 1), st.sampled_from(["we", "mme"]), st.sampled_from(["random", "adversarial"]))
def test_cor1_corrected_radius_on_generated_instances(seed, rule, family):
    inst = cor1_instance(np.random.default_rng(seed), rule, family, corrected=True)
    assume(inst is not None)
    assert inst.radius <= inst.truth * (1 + TOL)
    for j in range(2):  # hypotheses re-checked by the oracle: each base model keeps y0 on the ball of radius r
        margins = [[(j, y, 1.0)] for y in range(inst.ens.a.shape[1]) if y != 0]
        assert worst_point(inst.ens, margins, inst.r)[1] > 0


def test_cor1_printed_radius_is_refuted_on_an_adversarial_instance():
    """Some anti-parallel instance meeting every hypothesis has a printed R beyond the exact WE radius."""
    for seed in range(40):
        inst = cor1_instance(np.random.default_rng(seed), "we", "adversarial", corrected=False)
        if inst is not None and inst.radius > inst.truth * 1.01:
            point, value = worst_point(inst.ens, [we_margin_pieces(inst.ens, y)
                                                  for y in range(1, inst.ens.a.shape[1])], inst.radius)
            assert value < 0 and we_label(inst.ens, point) != 0
            return
    pytest.fail("no adversarial instance refuted the printed radius")


@given(quadratic_ensembles("we", all_predict=True), st.data())
def test_propB1_on_generated_splits(ens, data):
    n = ens.a.shape[0]
    split = data.draw(st.integers(1, n - 1))
    halves = [np.arange(split), np.arange(split, n)]
    radii = [cd.theorem1_certified_radius(ens.a[h], ens.g[h], ens.w[h], ens.y0, ens.beta) for h in halves]
    grads = [cd.margin_gradients(np.einsum("ncd,n->cd", ens.g[h], ens.w[h]), ens.y0) for h in halves]
    norms = [np.linalg.norm(g, axis=-1) for g in grads]
    assume(np.all(norms[0] > 0) and np.all(norms[1] > 0))
    assume(np.all(np.einsum("cd,cd->c", *grads) < (1 - 1e-6) * norms[0] * norms[1]))
    union = cd.theorem1_certified_radius(ens.a, ens.g, ens.w, ens.y0, ens.beta)
    assert union > min(radii)
    assert union <= we_radius(ens) * (1 + TOL)


def test_optimal_weights_constant_rounds_within_corollary1_domain():
    """At the optimal weights C_WE is 1/2 in exact arithmetic; the float value must be accepted by Corollary 1."""
    a, b = np.array([0.1]), np.array([0.15])
    w, _ = cp.optimal_we_weights(a, b)
    assert cp.we_constant(a, b, w) <= 0.5
    conf = np.array([[0.55, 0.45], [0.575, 0.425]])
    assert np.isfinite(cp.corollary1_we_radius(conf, w, 0, 1.0, 0.5, 0.0))
