"""Robustness-condition checks (verify/checks/conditions.py): every check passes on the ci profile, every mutation
is caught, and the statements hold on hypothesis-generated instances against exact trust-region radii, confirmed
by evaluating the actual ensembles at the flip witness and inside the ball."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.helpers.conditions import grid_confidences
from tests.helpers.statistical import mme_predict_loop, we_predict_loop
from tests.helpers.verify_conditions import (mme_label, quadratic_ensembles, single_label, we_label,
                                             we_margin_pieces, worst_point)
from theory import comparison as cp
from theory import conditions as cd
from verify.checks import PROFILES
from verify.checks.conditions import (CHECKS, TOL, affine_tie_ensemble, assumption2_radius, cor1_instance,
                                      mme_tie_rules, pair_radius, reference_mme_predict, reference_we_predict,
                                      single_radius, we_radius)

_BY_NAME = {check.name: check for check in CHECKS}
_MUTATIONS = [(check.name, mutation.name) for check in CHECKS for mutation in check.mutations]
_PART = {"def2", "def3", "propB2", "thm4", "lemB1", "lemB2", "factB1", "thm1", "thm3", "propB3", "eri6",
         "eri-beta", "cor1-we", "cor1-mme", "cor1-weights", "cor1-remark", "propB1"}
_FRACTIONS = st.floats(0.01, 3.0)


# ---------------------------------------------------------------------------------------------
# the checks and their mutations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_BY_NAME))
def test_check_passes(name):
    outcome = _BY_NAME[name].run(PROFILES["ci"], 0)
    assert outcome.passed, outcome.detail
    assert outcome.false_alarm == 0.0 and outcome.samples > 0


@pytest.mark.parametrize("name, mutation", _MUTATIONS)
def test_mutation_is_caught(name, mutation):
    run = next(m.run for m in _BY_NAME[name].mutations if m.name == mutation)
    outcome = run(PROFILES["ci"], 0)
    assert not outcome.passed, outcome.detail


def test_every_statement_of_the_part_has_a_check_with_mutations():
    from theory.ledger.entries_comparison import ENTRIES as COMPARISON
    from theory.ledger.entries_conditions import ENTRIES as CONDITIONS

    covered = {check.ledger_id for check in CHECKS if check.mutations}
    assert covered == _PART
    assert covered <= {entry.id for entry in CONDITIONS + COMPARISON}


def test_checks_pass_on_another_seed():
    for check in CHECKS:
        outcome = check.run(PROFILES["ci"], 7)
        assert outcome.passed, (check.name, outcome.detail)


# ---------------------------------------------------------------------------------------------
# Theorems 1 and 3, Proposition B.3 on generated quadratic ensembles
# ---------------------------------------------------------------------------------------------


def _test_radius(radius: float, t: float) -> float:
    return radius * t if 0 < radius < np.inf else t


@given(quadratic_ensembles("we"), _FRACTIONS)
def test_thm1_on_generated_ensembles(ens, t):
    """Eq. (4) => r <= exact radius; r < exact radius => Eq. (5); the ERI verdict agrees; the radius is exact:
    the WE flips at the witness just beyond it and keeps y0 at random points inside."""
    radius = we_radius(ens)
    r = np.array([_test_radius(radius, t)])
    if cd.theorem1_sufficient(ens.a, ens.g, ens.w, ens.y0, ens.beta, r)[0]:
        assert r[0] <= radius * (1 + TOL)
    if r[0] < radius:
        assert cd.theorem1_necessary(ens.a, ens.g, ens.w, ens.y0, ens.beta, r)[0]
    assert cd.theorem1_certified_radius(ens.a, ens.g, ens.w, ens.y0, ens.beta) <= radius * (1 + TOL)
    verdict = cd.eri_verdict(cd.eri(ens.a, ens.g, ens.w, ens.y0, r), ens.beta, r)[0]
    assert (verdict != 1 or r[0] <= radius * (1 + TOL)) and (verdict != -1 or r[0] >= radius)
    margins = [we_margin_pieces(ens, y) for y in range(ens.a.shape[1]) if y != ens.y0]
    _confirm_radius(ens, radius, margins, we_label)


def _confirm_radius(ens, radius, margins, label, certified_beyond=True):
    """Oracle: inside the exact radius every margin is positive and the ensemble keeps y0; just beyond, the worst
    margin is negative and (where ``certified_beyond``) the ensemble has flipped."""
    if not np.isfinite(radius) or radius == 0:
        return
    _, inside = worst_point(ens, margins, radius * (1 - 1e-6))
    assert inside > 0
    rng = np.random.default_rng(0)
    u = rng.normal(size=(16, ens.g.shape[-1]))
    pts = u / np.linalg.norm(u, axis=1, keepdims=True) * radius * (1 - 1e-6) * rng.uniform(0, 1, (16, 1))
    assert all(label(ens, p) == ens.y0 for p in pts)
    point, beyond = worst_point(ens, margins, radius * (1 + 1e-6))
    assert beyond <= 0
    if certified_beyond and beyond < -1e-12:
        assert label(ens, point) != ens.y0


@given(quadratic_ensembles("single"), _FRACTIONS)
def test_propB3_on_generated_models(ens, t):
    radius = single_radius(ens)
    r = np.array([_test_radius(radius, t)])
    if cd.propB3_sufficient(ens.a[0], ens.g[0], ens.y0, ens.beta, r)[0]:
        assert r[0] <= radius * (1 + TOL)
    if r[0] < radius:
        assert cd.propB3_necessary(ens.a[0], ens.g[0], ens.y0, ens.beta, r)[0]
    assert cd.propB3_certified_radius(ens.a[0], ens.g[0], ens.y0, ens.beta) <= radius * (1 + TOL)
    margins = [[(0, y, 1.0)] for y in range(ens.a.shape[1]) if y != ens.y0]
    _confirm_radius(ens, radius, margins, single_label)


@given(quadratic_ensembles("mme", max_classes=8), _FRACTIONS)
def test_thm3_on_generated_pairs(ens, t):
    """Eq. (12) => r <= pair-sum radius <= MME radius; r < pair-sum radius => Eq. (13). Where assumption (2) is
    certified beyond the pair-sum radius, the MME itself flips at the witness (Lemma B.2)."""
    radius = pair_radius(ens)
    r = np.array([_test_radius(radius, t)])
    if cd.theorem3_sufficient(ens.a, ens.g, ens.y0, ens.beta, r)[0]:
        assert r[0] <= radius * (1 + TOL)
    if r[0] < radius:
        assert cd.theorem3_necessary(ens.a, ens.g, ens.y0, ens.beta, r)[0]
    assert cd.theorem3_certified_radius(ens.a, ens.g, ens.y0, ens.beta) <= radius * (1 + TOL)
    wrong = [y for y in range(ens.a.shape[1]) if y != ens.y0]
    margins = [[(0, y1, 1.0), (1, y2, 1.0)] for y1 in wrong for y2 in wrong]
    exact = np.isfinite(radius) and assumption2_radius(ens) > radius * (1 + 1e-5)
    _confirm_radius(ens, radius, margins, mme_label, certified_beyond=exact)


def test_thm3_printed_equality_case_flips():
    """The affine case of the ledger: Eq. (12) with '<=' holds at every r, yet the MME predicts 1 at x = -0.15."""
    ens = affine_tie_ensemble()
    assert cd.theorem3_sufficient(ens.a, ens.g, 0, 0.0, np.array([0.2]), strict=False)[0]
    assert not cd.theorem3_sufficient(ens.a, ens.g, 0, 0.0, np.array([0.2]))[0]
    assert mme_label(ens, np.array([-0.15])) == 1 and mme_label(ens, np.array([0.0])) == 0


# ---------------------------------------------------------------------------------------------
# Corollary 1 and Proposition B.1
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


# ---------------------------------------------------------------------------------------------
# conditions on the simplex, against the predictions written sample by sample
# ---------------------------------------------------------------------------------------------


def _grid(max_models=5, max_classes=5):
    return st.tuples(st.integers(1, max_models), st.integers(2, max_classes)).flatmap(
        lambda nc: st.lists(grid_confidences(*nc), min_size=1, max_size=8).map(np.stack))


@given(_grid(), st.lists(st.integers(1, 3), min_size=5, max_size=5))
@example(np.array([[[4.0, 6.0], [6.0, 4.0]]]), [1, 1, 1, 1, 1])
def test_propB2_factB1_pointwise_on_grid(conf, weights):
    w = np.array(weights[: conf.shape[1]], dtype=float)
    ref = we_predict_loop(conf, w)
    assert np.array_equal(reference_we_predict(conf, w), ref)
    for y0 in range(conf.shape[-1]):
        value = cd.we_condition_value(conf, w, y0)
        assert np.all(ref[value > 0] == y0) and np.all(value[ref == y0] >= 0)
        single = cd.single_condition_value(conf[:, 0], y0)
        top = np.argmax(conf[:, 0], axis=-1)
        assert np.all(top[single > 0] == y0) and np.all(single[top == y0] >= 0)


@given(_grid())
@example(np.array([[[4.0, 6.0], [6.0, 4.0]]]))
@example(np.array([[[6.0, 3.0, 1.0], [1.0, 5.0, 4.0]]]))
def test_lemB1_lemB2_pointwise_on_grid(conf):
    ref = mme_predict_loop(conf)
    assert np.array_equal(reference_mme_predict(conf), ref)
    for y0 in range(conf.shape[-1]):
        value = cd.mme_condition_value(conf, y0)
        every, some = mme_tie_rules(conf, y0)
        assert np.all(every[value > 0])
        assert np.all(some[ref == y0])
        premise = cd.mme_assumption2(conf, y0) & some
        assert np.all(value[premise] >= 0)


def test_lemB1_ledger_tie_is_found_by_the_tie_rules():
    conf = np.array([[[0.4, 0.6], [0.6, 0.4]]])
    every, some = mme_tie_rules(conf, 0)
    assert cd.mme_condition_value(conf, 0)[0] == 0 and not every[0] and some[0]
