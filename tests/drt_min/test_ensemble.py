"""Ensemble protocols: StackedEnsemble, WE, MME (Definition 3, ties included) and EAS selection."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from drt_min.ensemble import (
    ProtocolClassifier,
    StackedEnsemble,
    eas_certify,
    eas_select,
    mme_choice,
    normalize_weights,
    protocol_names,
    protocol_votes,
)
from drt_min.smoothing import lower_confidence_bound
from tests.helpers.certify import definition_vote, tiny_members


def test_stacked_ensemble_equals_members():
    members = tiny_members(num_members=4, num_classes=5, seed=2)
    ens = StackedEnsemble(members)
    assert ens.vectorized
    x = torch.rand(9, 1, 6, 6, dtype=torch.float64)
    with torch.no_grad():
        expected = torch.stack([m(x) for m in members], dim=1)
        got = ens(x)
    assert got.shape == (9, 4, 5)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_stacked_ensemble_falls_back_to_a_loop_for_mixed_architectures():
    a = tiny_members(num_members=1, num_classes=3, seed=0, hidden=8)[0]
    b = tiny_members(num_members=1, num_classes=3, seed=1, hidden=5)[0]
    ens = StackedEnsemble([a, b])
    assert not ens.vectorized
    x = torch.rand(4, 1, 6, 6, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(ens(x), torch.stack([a(x), b(x)], dim=1))
    with pytest.raises(ValueError):
        StackedEnsemble([])


def test_stacked_ensemble_copies_the_parameters():
    members = tiny_members(num_members=2, num_classes=3, seed=4)
    ens = StackedEnsemble(members)
    x = torch.rand(3, 1, 6, 6, dtype=torch.float64)
    with torch.no_grad():
        before = ens(x).clone()
        for p in members[0].parameters():
            p.add_(1.0)
        assert torch.equal(ens(x), before)


def test_protocol_names():
    assert protocol_names(3) == ["we", "mme", "member0", "member1", "member2"]


@given(seed=st.integers(0, 2 ** 31 - 1), n_members=st.integers(1, 4), n_classes=st.integers(2, 5),
       quantize=st.booleans())
def test_votes_equal_the_definitions(seed, n_members, n_classes, quantize):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(16, n_members, n_classes, generator=gen, dtype=torch.float64)
    if quantize:  # coarse logits make ties between classes and between members' margins common
        logits = torch.round(logits)
    w = torch.rand(n_members, generator=gen, dtype=torch.float64) + 0.1
    w = torch.as_tensor(normalize_weights(w.numpy(), n_members))
    votes = protocol_votes(logits, w)
    conf = torch.softmax(logits, dim=-1).numpy()
    names = protocol_names(n_members)
    for b in range(16):
        for j, name in enumerate(names):
            assert votes[b, j].item() == definition_vote(conf[b], name, w.numpy()), (b, name)


def test_mme_picks_the_member_with_the_largest_margin():
    # member 0 is unsure (margin ~0.1), member 1 is confident in class 2: MME follows member 1
    # although WE (dominated by member 0's mass on class 0 and member 2) says otherwise.
    conf = torch.tensor([[[0.45, 0.35, 0.20], [0.05, 0.05, 0.90], [0.70, 0.29, 0.01]]])
    logits = conf.log()
    votes = protocol_votes(logits, torch.full((3,), 1 / 3))
    assert mme_choice(torch.softmax(logits, -1)).item() == 1
    assert votes[0, 1].item() == 2                    # MME
    assert votes[0, 0].item() == 0                    # WE: 1.20 / 3 on class 0, 1.11 / 3 on class 2
    assert votes[0, 2:].tolist() == [0, 2, 0]
    we_scores = conf.mean(dim=1)[0]
    assert votes[0, 0].item() == int(we_scores.argmax())


def test_mme_ties_go_to_the_first_member():
    # Two classes: members with logits (0, 1) and (1, 0) have exactly equal margins.
    a = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])
    b = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    w = torch.tensor([0.5, 0.5])
    assert protocol_votes(a, w)[0, 1].item() == 1
    assert protocol_votes(b, w)[0, 1].item() == 0
    # A tie between classes inside the chosen member goes to the first class, and WE's exact tie
    # (equal weighted confidences) to class 0.
    c = torch.tensor([[[2.0, 2.0, -5.0], [-1.0, 3.0, 3.0]]])  # both margins exactly 0
    votes = protocol_votes(c, w)
    assert votes[0, 1].item() == 0 and votes[0, 2].item() == 0
    assert protocol_votes(a, w)[0, 0].item() == 0


def test_we_weights():
    logits = torch.tensor([[[5.0, 0.0], [0.0, 1.0], [0.0, 1.0]]])
    assert protocol_votes(logits, torch.as_tensor(normalize_weights(None, 3)))[0, 0].item() == 0
    assert protocol_votes(logits, torch.as_tensor(normalize_weights([0, 1, 1], 3)))[0, 0].item() == 1
    assert np.allclose(normalize_weights([2, 2], 2), [0.5, 0.5])
    for bad in ([1, 2], [-1, 1, 1], [0, 0, 0], [np.nan, 1, 1]):
        with pytest.raises(ValueError):
            normalize_weights(bad, 3)


def test_protocol_classifier_agrees_with_votes():
    members = tiny_members(num_members=3, num_classes=4, seed=5)
    ens = StackedEnsemble(members)
    x = torch.rand(32, 1, 6, 6, dtype=torch.float64) * 3
    w = [0.2, 0.5, 0.3]
    with torch.no_grad():
        votes = protocol_votes(ens(x), torch.as_tensor(normalize_weights(w, 3)))
        for j, name in enumerate(protocol_names(3)):
            pred = ProtocolClassifier(ens, name, w)(x).argmax(1)
            assert torch.equal(pred, votes[:, j]), name
    with pytest.raises(ValueError):
        ProtocolClassifier(ens, "average")


def test_eas_select_rules():
    counts0 = np.array([
        [[60, 40, 0], [10, 85, 5], [0, 20, 80]],   # member 1 has the largest top count: y0 = 1
        [[50, 50, 0], [0, 50, 50], [30, 30, 40]],  # ties: member 0 first, its class 0 first
    ])
    assert eas_select(counts0).tolist() == [1, 0]


def test_eas_certify_uses_bonferroni_and_the_corrected_theorem():
    from theory.strategies import eas_certified_radius

    n, alpha, sigma = 1000, 0.01, 0.5
    counts0 = np.array([[[5, 95], [20, 80]]])
    counts = np.array([[[40, 960], [150, 850]]])
    pred, radius = eas_certify(counts0, counts, n, alpha, sigma)
    p = lower_confidence_bound(np.array([960, 850]), n, alpha / 2)
    assert pred.tolist() == [1]
    assert radius[0] == pytest.approx(float(eas_certified_radius(p, sigma)), rel=1e-12)
    # At level alpha (no Bonferroni) the radius would be larger: the test tells them apart.
    p_loose = lower_confidence_bound(np.array([960, 850]), n, alpha)
    assert float(eas_certified_radius(p_loose, sigma)) > radius[0] + 1e-6


def test_eas_abstains_when_a_member_gives_y0_no_mass_or_the_radius_is_not_positive():
    n, alpha, sigma = 500, 0.01, 1.0
    # member 1 never votes y0 = 1: its bound is 0, Phi^{-1}(0) = -inf, abstain.
    pred, radius = eas_certify(np.array([[0, 100], [100, 0]])[None], np.array([[0, 500], [500, 0]])[None],
                               n, alpha, sigma)
    assert pred.tolist() == [-1] and radius.tolist() == [0.0]
    # a member far below 1/2 on y0 drags (max + min) / 2 below 0: abstain.
    pred, radius = eas_certify(np.array([[0, 100], [80, 20]])[None], np.array([[0, 500], [495, 5]])[None],
                               n, alpha, sigma)
    assert pred.tolist() == [-1] and radius.tolist() == [0.0]
    # all members agree: certified.
    pred, radius = eas_certify(np.array([[0, 100], [3, 97]])[None], np.array([[0, 500], [10, 490]])[None],
                               n, alpha, sigma)
    assert pred.tolist() == [1] and radius[0] > 0

