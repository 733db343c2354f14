"""Section 3 and Appendix E: the DRT objective (Eqs. 9-10, L_train, Eqs. 54-55)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from tests.helpers.drt import ensemble_outputs
from theory import drt
from theory.proofs.drt import prove_gd_increasing_in_cosine, prove_law_of_cosines, prove_pairwise_gd_identity


def _oracle_regularizer(conf, label, grads, rho1, rho2, ordered):
    """Plain transcription of Section 3: loop over pairs, recompute everything from scratch."""
    n, c = conf.shape
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i == j or (not ordered and j < i):
                continue
            if np.argmax(conf[i]) != label or np.argmax(conf[j]) != label:
                continue
            ru_i = max((k for k in range(c) if k != label), key=lambda k: (conf[i, k], -k))
            ru_j = max((k for k in range(c) if k != label), key=lambda k: (conf[j, k], -k))
            gd = np.sqrt(np.sum((grads[i] + grads[j]) ** 2))
            cm = (conf[i, ru_i] - conf[i, label]) + (conf[j, ru_j] - conf[j, label])
            total += rho1 * gd + rho2 * cm
    return total


@given(ensemble_outputs(), st.floats(0, 5), st.floats(0, 5), st.booleans())
def test_regularizer_matches_pairwise_oracle(outputs, rho1, rho2, ordered):
    conf, label, grads = outputs
    margins = drt.label_margins(conf[None], label[None])[0]
    valid = drt.valid_pairs(conf[None], label[None])[0]
    got = drt.drt_regularizer(margins, grads, valid, rho1=rho1, rho2=rho2, ordered_pairs=ordered)
    assert got == pytest.approx(_oracle_regularizer(conf, label, grads, rho1, rho2, ordered), abs=1e-9)


@given(ensemble_outputs())
def test_ordered_reading_doubles_unordered(outputs):
    conf, label, grads = outputs
    margins = drt.label_margins(conf[None], label[None])[0]
    valid = drt.valid_pairs(conf[None], label[None])[0]
    kw = dict(rho1=1.3, rho2=0.7)
    once = drt.drt_regularizer(margins, grads, valid, **kw)
    twice = drt.drt_regularizer(margins, grads, valid, ordered_pairs=True, **kw)
    assert twice == pytest.approx(2 * once, abs=1e-9)


def test_valid_pairs_need_both_members_correct():
    conf = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    valid = drt.valid_pairs(conf, np.int64(0))
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 1] = expected[1, 0] = True
    np.testing.assert_array_equal(valid, expected)


def test_margins_use_the_best_other_class():
    conf = np.array([[0.5, 0.1, 0.4], [0.2, 0.7, 0.1]])
    np.testing.assert_allclose(drt.label_margins(conf, np.int64(0)), [0.1, -0.5])
    np.testing.assert_array_equal(drt.runner_up_excluding_label(conf, np.int64(0)), [2, 1])


def test_cm_loss_is_the_negated_margin_sum():
    assert drt.cm_loss_pair(0.3, 0.1) == pytest.approx(-0.4)
    # A flipped sign (rewarding small margins) would be caught:
    assert drt.cm_loss_pair(0.3, 0.1) != pytest.approx(0.4)


def test_gd_loss_plain_and_squared():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 4.0])
    assert drt.gd_loss_pair(a, b) == pytest.approx(5.0)
    assert drt.gd_loss_pair(a, b, squared=True) == pytest.approx(25.0)
    assert drt.gd_loss_pair(a, -a) == 0.0  # perfectly opposed gradients cost nothing


@given(ensemble_outputs())
def test_summed_variant_equals_eri_numerator_with_unit_weights(outputs):
    """Eq. (54) with w = 1 is ||w||_1 times the gradient term of the ERI (Eq. 6) when runner-ups agree."""
    _, _, grads = outputs
    n = grads.shape[0]
    eri_gradient_term = np.linalg.norm(np.ones(n) @ grads) / n
    assert drt.gd_loss_summed(grads) == pytest.approx(n * eri_gradient_term)
    assert drt.cm_loss_summed(np.array([0.2, 0.3])) == pytest.approx(-0.5)


@given(st.floats(0, 10), st.floats(0, 10), st.floats(-1, 1), st.floats(-1, 1))
@example(1.0, 1.0, -1.0, 1.0)
def test_gd_loss_grows_with_cosine(a, b, c1, c2):
    lo, hi = sorted((c1, c2))
    assert drt.gd_cosine_form(a, b, lo) <= drt.gd_cosine_form(a, b, hi) + 1e-12


@given(ensemble_outputs())
def test_pairwise_identity_numerically(outputs):
    _, _, grads = outputs
    lhs, rhs = drt.pairwise_gd_squared_identity(grads)
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


def test_law_of_cosines_symbolic():
    assert prove_law_of_cosines().holds
    assert not prove_law_of_cosines(cross_coefficient=sp.Integer(1)).holds


def test_gd_increasing_in_cosine_symbolic():
    assert prove_gd_increasing_in_cosine().holds
    assert not prove_gd_increasing_in_cosine(cross_coefficient=sp.Integer(-2)).holds


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_pairwise_gd_identity_symbolic(n):
    assert prove_pairwise_gd_identity(n).holds
    assert not prove_pairwise_gd_identity(n, magnitude_coefficient=n - 1).holds


def test_train_objective_adds_standard_losses():
    conf = np.array([[0.7, 0.3], [0.8, 0.2]])
    margins = drt.label_margins(conf, np.int64(0))
    valid = drt.valid_pairs(conf, np.int64(0))
    grads = np.array([[1.0, 0.0], [0.0, 1.0]])
    got = drt.train_objective(np.array([0.5, 0.25]), margins, grads, valid, rho1=2.0, rho2=3.0)
    expected = 0.75 + 2.0 * np.sqrt(2.0) + 3.0 * -(0.4 + 0.6)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "call",
    [
        lambda: drt.label_margins(np.array([[0.5, 0.6]]), np.int64(0)),  # not on the simplex
        lambda: drt.label_margins(np.array([[0.5, 0.5]]), np.int64(2)),  # label out of range
        lambda: drt.label_margins(np.array([[1.5, -0.5]]), np.int64(0)),  # not probabilities
        lambda: drt.drt_regularizer(np.zeros(2), np.zeros((2, 3)), np.zeros((2, 2), bool), rho1=-1, rho2=0),
        lambda: drt.gd_cosine_form(1.0, 1.0, 1.5),
        lambda: drt.gd_loss_pair(np.zeros(2), np.zeros(3)),
    ],
)
def test_bad_input_is_rejected(call):
    with pytest.raises(ValueError):
        call()


def test_drt_readings_on_the_worked_batch():
    """The ledger's worked batch (ltrain), computed by hand: pair sums all of norm 1; input 0 has the three
    pairs of margins (0.5, 0.3, 0.2), input 1 the pair (0.4, 0.2); 4 valid pairs and 5 correct cases."""
    m, g, c = drt.worked_batch()
    literal = drt.drt_terms_by_reading(m, g, c, "literal")
    package = drt.drt_terms_by_reading(m, g, c, "package")
    public = drt.drt_terms_by_reading(m, g, c, "public-code")
    # package: GD (3 + 1) / 2, CM -(2 (0.5 + 0.3 + 0.2) + (0.4 + 0.2)) / 2
    assert package == (pytest.approx(2.0), pytest.approx(-1.3))
    assert literal == (pytest.approx(4.0), pytest.approx(-2.6))  # every pair twice
    # public code: GD (1 + 1 + 1 + 1) / 4 pairs, CM -(0.5 + 0.3 + 0.2 + 0.4 + 0.2) / 5 cases
    assert public == (pytest.approx(1.0), pytest.approx(-0.32))
    assert package[0] / public[0] == pytest.approx(2.0) and package[1] / public[1] == pytest.approx(4.0625)
    # every pair valid (input 0 alone): package's GD is 3x and its CM N (N - 1) = 6x the public code's
    full = [drt.drt_terms_by_reading(m[:1], g[:1], c[:1], r) for r in ("package", "public-code")]
    assert full[0][0] / full[1][0] == pytest.approx(3.0) and full[0][1] / full[1][1] == pytest.approx(6.0)
    # the ledger states these numbers
    from theory.ledger import by_id

    note = by_id("ltrain").note
    assert "GD = 4, 2, 1 and CM = -2.6, -1.3, -0.32" in note and "factors are 3 for GD" in note
    assert "= 6 for CM" in note and "2x and CM 4.06x" in note
