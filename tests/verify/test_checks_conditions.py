"""Robustness-condition checks (verify/checks/conditions.py): every check passes on the ci profile, every mutation
is caught, and the statements hold on hypothesis-generated instances against exact trust-region radii, confirmed
by evaluating the actual ensembles at the flip witness and inside the ball."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.helpers.verify_registry import (assert_check_passes, assert_checks_pass_on_seed,
                                          assert_mutation_caught, assert_part_covered, mutation_ids)
from tests.helpers.conditions import grid_confidences
from tests.helpers.statistical import mme_predict_loop, we_predict_loop
from tests.helpers.verify_conditions import (mme_label, quadratic_ensembles, single_label, we_label,
                                             we_margin_pieces, worst_point)
from theory import conditions as cd
from theory.ledger.entries_conditions import ENTRIES
from verify.checks.conditions import (CHECKS, affine_tie_ensemble, mme_tie_rules, reference_mme_predict,
                                      reference_we_predict)
from verify.quadratic import TOL, assumption2_radius, pair_radius, single_radius, we_radius

_BY_NAME = {check.name: check for check in CHECKS}
_MUTATIONS = mutation_ids(CHECKS)
_PART = {"def2", "def3", "propB2", "thm4", "lemB1", "lemB2", "factB1", "thm1", "thm3", "propB3", "eri6", "eri-beta",
         "mme-n", "mme-n-conj"}
_FRACTIONS = st.floats(0.01, 3.0)


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


# ---------------------------------------------------------------------------------------------
# the N > 2 MME machinery (verify/mme_many.py)
# ---------------------------------------------------------------------------------------------


def test_mme_many_bracket_is_rigorous_and_exact_for_two_models():
    from verify.mme_many import _predicts_y0, radius_bracket
    from verify.quadratic import random_ensemble
    from verify.trust_region import minimize_quadratic_on_ball

    rng = np.random.default_rng(2)
    for i in range(12):
        n = 2 + i % 5
        ens = random_ensemble(rng, n_models=n, n_classes=2, d=3, beta=0.2, rule="mme")
        lower, upper = radius_bracket(ens)
        assert lower <= upper
        if n == 2:  # max + min = m_1 + m_2: a single quadratic, so the bracket closes on the pair radius
            assert lower == pytest.approx(pair_radius(ens), rel=1e-12) and upper <= lower * (1 + 1e-6)
        # no flip strictly inside the lower bound, at the minimisers of every pair sum
        for j in range(n):
            for k in range(n):
                coeffs = np.zeros_like(ens.a)
                coeffs[[j, k], ens.y0] += 1.0
                coeffs[[j, k], 1 - ens.y0] -= 1.0
                if np.isfinite(lower) and lower > 0:
                    x = minimize_quadratic_on_ball(*ens.combine(coeffs), lower * (1 - 1e-9)).argmin
                    assert _predicts_y0(ens, x)


def test_mme_many_bracket_rejects_more_than_two_classes():
    from verify.mme_many import radius_bracket
    from verify.quadratic import random_ensemble

    ens = random_ensemble(np.random.default_rng(0), n_models=3, n_classes=3, d=2, beta=0.1, rule="mme")
    with pytest.raises(ValueError):
        radius_bracket(ens)


def test_mme_many_figure_and_study_are_reproducible(tmp_path):
    from verify.mme_many import conjecture_study, figure_mme_many

    rows = conjecture_study(n_models=(3, 4), trials=2, seed=3)
    assert rows == conjecture_study(n_models=(3, 4), trials=2, seed=3)
    summary = figure_mme_many(tmp_path, rows)
    assert (tmp_path / "mme_many.png").stat().st_size > 10_000
    lines = (tmp_path / "mme_many.csv").read_text().splitlines()
    assert len(lines) == len(rows) + 1 and summary["moves"] == len(rows) == 8
    assert summary["margin"]["counterexamples"] == 0


def test_mme_many_report_gives_both_tallies_and_says_suffices():
    """The N > 2 section reports the certain rises beside the certain falls, says which reading each concerns,
    and calls the partner condition sufficient (with its conservativeness), never necessary."""
    from verify.mme_many import StudyRow, summarize
    from verify.report import _mme_many_section

    base = dict(n_models=3, d=2, beta=0.1, diversity_before=0.5, cosine_before=0.0, partner_before=1.0)
    rows = [StudyRow(trial=0, move="diversify", diversity_after=0.4, cosine_after=-0.1, lower_before=2.0,
                     upper_before=2.0, lower_after=3.0, upper_after=3.0, **base),   # certainly rose
            StudyRow(trial=1, move="diversify", diversity_after=0.4, cosine_after=-0.1, lower_before=2.0,
                     upper_before=2.0, lower_after=1.0, upper_after=1.0, **base),   # certainly fell
            StudyRow(trial=2, move="diversify", diversity_after=0.4, cosine_after=-0.1, lower_before=2.0,
                     upper_before=2.5, lower_after=2.2, upper_after=2.3, **base),   # undecided
            StudyRow(trial=0, move="margin", diversity_after=0.5, cosine_after=0.0, lower_before=2.0,
                     upper_before=2.0, lower_after=2.5, upper_after=2.5, **base)]
    summary = summarize(rows)
    div = summary["diversify"]
    assert (div["raised"], div["lowered"], div["neither"]) == (1, 1, 1)
    assert summary["margin"]["raised"] == 1 and summary["margin"]["lowered"] == 0
    assert summary["partner"]["ensembles"] == 2 and summary["partner"]["median"] == pytest.approx(2.0)
    text = " ".join(_mme_many_section(summary, "ci"))
    assert "certainly rose 1 times and certainly fell 1 times" in text
    assert "sum-form reading" in text and "tendency reading" in text and "*suffices*" in text
    assert "median 2" in text and "needs" not in text
