"""The DRT loss terms on random tensors: batched vs per-pair loops, vs theory/, finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drt_min import losses
from drt_min.models import LeNetEnsemble
from tests.helpers.drt import ensemble_outputs
from tests.helpers.training import (cm_loss_loop, count_valid_pairs, drt_objective_loop,  # noqa: F401
                                    gd_loss_loop, margins_loop, single_thread)
from theory import drt as theory_drt

pytestmark = pytest.mark.usefixtures("single_thread")


def _random_case(seed: int, b: int = 6, n: int = 4, c: int = 5, d: int = 7, p_correct: float = 0.6):
    gen = torch.Generator().manual_seed(seed)
    probs = torch.rand(b, n, c, generator=gen, dtype=torch.float64).softmax(-1)
    targets = torch.randint(0, c, (b,), generator=gen)
    grads = torch.randn(b, n, d, generator=gen, dtype=torch.float64)
    margins = torch.randn(b, n, generator=gen, dtype=torch.float64)
    correct = torch.rand(b, n, generator=gen) < p_correct
    return probs, targets, grads, margins, correct


@pytest.mark.parametrize("seed", range(4))
def test_label_margins_match_loop_and_theory(seed):
    probs, targets, *_ = _random_case(seed)
    m, runner = losses.label_margins(probs, targets)
    torch.testing.assert_close(m, margins_loop(probs, targets))
    np.testing.assert_allclose(m.numpy(), theory_drt.label_margins(probs.numpy(), targets.numpy()))
    np.testing.assert_array_equal(runner.numpy(),
                                  theory_drt.runner_up_excluding_label(probs.numpy(),
                                                                       targets.numpy()))
    assert not (runner == targets[:, None]).any()


def test_margin_of_a_member_that_predicts_the_label_is_top_minus_runner_up():
    probs = torch.tensor([[[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]]])
    m, runner = losses.label_margins(probs, torch.tensor([0]))
    torch.testing.assert_close(m, torch.tensor([[0.3, -0.3]]))
    assert runner.tolist() == [[1, 1]]


@pytest.mark.parametrize("ordered", [False, True])
def test_valid_pairs_match_theory(ordered):
    probs, targets, *_ = _random_case(7, b=20, n=4, c=3)
    correct = losses.correct_members(probs, targets)
    mask = losses.valid_pairs(correct, ordered_pairs=ordered)
    ref = theory_drt.valid_pairs(probs.numpy(), targets.numpy())
    if not ordered:
        ref = np.triu(ref, k=1)
    np.testing.assert_array_equal(mask.numpy(), ref)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("ordered", [False, True])
@pytest.mark.parametrize("squared", [False, True])
def test_gd_and_cm_match_per_pair_loops_in_value_and_gradient(seed, ordered, squared):
    _, _, grads, margins, correct = _random_case(seed)
    valid = losses.valid_pairs(correct, ordered_pairs=ordered)
    g1 = grads.clone().requires_grad_(True)
    g2 = grads.clone().requires_grad_(True)
    batched = losses.gd_loss(g1, valid, squared=squared)
    looped = gd_loss_loop(g2, correct, ordered=ordered, squared=squared)
    torch.testing.assert_close(batched, looped)
    batched.backward()
    looped.backward()
    torch.testing.assert_close(g1.grad, g2.grad)

    m1 = margins.clone().requires_grad_(True)
    m2 = margins.clone().requires_grad_(True)
    cb = losses.cm_loss(m1, valid)
    cl = cm_loss_loop(m2, correct, ordered=ordered)
    torch.testing.assert_close(cb, cl)
    cb.backward()
    cl.backward()
    torch.testing.assert_close(m1.grad, m2.grad)


def test_ordered_pairs_count_every_pair_twice():
    _, _, grads, margins, correct = _random_case(11)
    for fn, arg in ((losses.gd_loss, grads), (losses.cm_loss, margins)):
        once = fn(arg, losses.valid_pairs(correct))
        twice = fn(arg, losses.valid_pairs(correct, ordered_pairs=True))
        torch.testing.assert_close(twice, 2 * once)


def test_pairs_normalisation_is_the_mean_over_valid_pairs():
    _, _, grads, margins, correct = _random_case(5, b=9)
    valid = losses.valid_pairs(correct)
    k = count_valid_pairs(correct)
    assert k > 0
    b = grads.shape[0]
    torch.testing.assert_close(losses.gd_loss(grads, valid, normalize="pairs"),
                               gd_loss_loop(grads, correct) * b / k)
    torch.testing.assert_close(losses.cm_loss(margins, valid, normalize="pairs"),
                               cm_loss_loop(margins, correct) * b / k)


def test_no_valid_pair_gives_zero_loss_and_zero_gradient():
    grads = torch.randn(4, 3, 5, dtype=torch.float64, requires_grad=True)
    margins = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    correct = torch.zeros(4, 3, dtype=torch.bool)
    correct[:, 0] = True  # one correct member per input: no pair
    valid = losses.valid_pairs(correct)
    for normalize in losses.NORMALIZATIONS:
        total = losses.gd_loss(grads, valid, normalize=normalize) + \
            losses.cm_loss(margins, valid, normalize=normalize)
        assert total.item() == 0.0
        grads.grad = margins.grad = None
        total.backward()
        assert torch.all(grads.grad == 0) and torch.all(margins.grad == 0)


def test_plain_norm_has_a_finite_gradient_where_the_pair_sum_is_zero():
    g = torch.tensor([[[1.0, 2.0], [-1.0, -2.0], [0.5, 0.0]]], dtype=torch.float64,
                     requires_grad=True)
    correct = torch.ones(1, 3, dtype=torch.bool)
    loss = losses.gd_loss(g, losses.valid_pairs(correct))
    loss.backward()
    assert torch.isfinite(g.grad).all()
    # pairs (0,2) and (1,2) are non-zero: ||(1.5, 2)|| + ||(-0.5, -2)||
    assert loss.item() == pytest.approx(2.5 + np.hypot(0.5, 2.0))


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("normalize", ["batch", "pairs"])
def test_gd_and_cm_gradients_match_finite_differences(squared, normalize):
    _, _, grads, margins, correct = _random_case(3, b=3, n=3, d=4)
    valid = losses.valid_pairs(correct)
    assert torch.autograd.gradcheck(
        lambda g: losses.gd_loss(g, valid, squared=squared, normalize=normalize),
        (grads.clone().requires_grad_(True),))
    assert torch.autograd.gradgradcheck(
        lambda g: losses.gd_loss(g, valid, squared=squared, normalize=normalize),
        (grads.clone().requires_grad_(True),))
    assert torch.autograd.gradcheck(lambda m: losses.cm_loss(m, valid, normalize=normalize),
                                    (margins.clone().requires_grad_(True),))


@settings(max_examples=40)
@given(ensemble_outputs(), st.floats(0, 5), st.floats(0, 5), st.booleans(), st.booleans())
@example((np.array([[0.5, 0.5], [0.5, 0.5]]), np.int64(0), np.array([[1.0], [-1.0]])),
         1.0, 1.0, False, False)
def test_regularizer_equals_theory_reference(case, rho1, rho2, ordered, squared):
    """drt_min.losses vs theory.drt (numpy, explicit pairs) on one input at a time."""
    conf, label, grads = case
    probs = torch.tensor(conf)[None]
    target = torch.tensor([int(label)])
    margins, _ = losses.label_margins(probs, target)
    correct = losses.correct_members(probs, target)
    total, _, _ = losses.drt_regularizer(margins, torch.tensor(grads)[None], correct,
                                         rho1=rho1, rho2=rho2, ordered_pairs=ordered,
                                         squared=squared)
    ref = theory_drt.drt_regularizer(theory_drt.label_margins(conf, label), grads,
                                     theory_drt.valid_pairs(conf, label), rho1=rho1, rho2=rho2,
                                     ordered_pairs=ordered, squared=squared)
    assert total.item() == pytest.approx(float(ref), rel=1e-9, abs=1e-12)


def test_summed_variant_matches_appendix_e_on_all_correct_inputs_only():
    _, _, grads, margins, _ = _random_case(9, b=5, n=3)
    all_correct = torch.tensor([True, False, True, True, False])
    gd = losses.gd_loss_summed(grads, all_correct)
    cm = losses.cm_loss_summed(margins, all_correct)
    keep = all_correct.numpy()
    ref_gd = theory_drt.gd_loss_summed(grads.numpy())[keep].sum() / 5
    ref_cm = theory_drt.cm_loss_summed(margins.numpy())[keep].sum() / 5
    assert gd.item() == pytest.approx(ref_gd)
    assert cm.item() == pytest.approx(ref_cm)
    sq = losses.gd_loss_summed(grads, all_correct, squared=True)
    assert sq.item() == pytest.approx((theory_drt.gd_loss_summed(grads.numpy())[keep] ** 2).sum() / 5)
    assert torch.autograd.gradcheck(lambda g: losses.gd_loss_summed(g, all_correct),
                                    (grads.clone().requires_grad_(True),))


def test_standard_loss_is_the_sum_of_member_cross_entropies():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 3, 10, generator=gen)
    y = torch.randint(0, 10, (8,), generator=gen)
    ref = sum(torch.nn.functional.cross_entropy(logits[:, i], y) for i in range(3))
    torch.testing.assert_close(losses.standard_loss(logits, y), ref)


def test_shape_and_option_errors():
    g = torch.zeros(2, 3, 4)
    with pytest.raises(ValueError):
        losses.gd_loss(g, torch.zeros(2, 3, 2, dtype=torch.bool))
    with pytest.raises(ValueError):
        losses.gd_loss(g, torch.zeros(2, 3, 3, dtype=torch.bool), normalize="mean")
    with pytest.raises(ValueError):
        losses.drt_regularizer(torch.zeros(2, 3), g, torch.ones(2, 3, dtype=torch.bool), rho1=1,
                               rho2=0, variant="triplet")
    with pytest.raises(ValueError):
        losses.drt_regularizer(torch.zeros(2, 3), g, torch.ones(2, 3, dtype=torch.bool), rho1=-1,
                               rho2=0)


def _drt_objective_batched(model, x, y, rho1, rho2):
    """The trainer's computation of L_train on fixed noisy inputs (one forward, one input backward)."""
    n = model.num_members
    xr = x.unsqueeze(1).expand(-1, n, -1, -1, -1).clone().requires_grad_(True)
    logits = model(xr)
    margins, _ = losses.label_margins(logits.softmax(-1), y)
    (g,) = torch.autograd.grad(margins.sum(), xr, create_graph=True)
    reg, _, _ = losses.drt_regularizer(margins, g.reshape(x.shape[0], n, -1),
                                       losses.correct_members(logits, y), rho1=rho1, rho2=rho2)
    return losses.standard_loss(logits, y) + reg


def _trained_ish_ensemble(seed: int = 0) -> tuple[LeNetEnsemble, torch.Tensor, torch.Tensor]:
    """A float64 ensemble and inputs on which some but not all members are correct.

    The members are small perturbations of one LeNet (so they mostly agree and pairs are valid),
    yet different enough that a mix-up of members would show; the last two labels are shifted so
    that those inputs have no valid pair.
    """
    torch.manual_seed(seed)
    model = LeNetEnsemble(3, 10).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p[:1].expand_as(p) + 0.05 * p.abs().mean() * torch.randn_like(p))
    x = torch.rand(6, 1, 28, 28, dtype=torch.float64)
    with torch.no_grad():
        y = model(x)[:, 0].argmax(-1)
    y[-2:] = (y[-2:] + 1) % 10
    return model, x, y


def test_full_objective_batched_equals_per_member_loop_in_value_and_parameter_gradient():
    model, x, y = _trained_ish_ensemble()
    correct = losses.correct_members(model(x), y)
    assert losses.valid_pairs(correct).any(), "the case must contain valid pairs"
    batched = _drt_objective_batched(model, x, y, rho1=0.7, rho2=0.3)
    grads_b = torch.autograd.grad(batched, list(model.parameters()))
    members = model.members()
    looped = drt_objective_loop(members, x, y, rho1=0.7, rho2=0.3)
    grads_l = torch.autograd.grad(looped, [p for m in members for p in m.parameters()])
    torch.testing.assert_close(batched, looped)
    # regroup the looped gradients per stacked parameter
    per_member = [grads_l[i * 8:(i + 1) * 8] for i in range(3)]
    for k, gb in enumerate(grads_b):
        torch.testing.assert_close(gb, torch.stack([pm[k] for pm in per_member]))


def test_full_objective_parameter_gradient_matches_finite_differences():
    """Directional derivative of L_train (through the input gradients) vs central differences."""
    model, x, y = _trained_ish_ensemble(1)
    params = list(model.parameters())
    loss = _drt_objective_batched(model, x, y, rho1=1.3, rho2=0.4)
    grads = torch.autograd.grad(loss, params)
    gen = torch.Generator().manual_seed(2)
    direction = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params]
    analytic = sum((g * d).sum() for g, d in zip(grads, direction)).item()
    h = 1e-6
    values = []
    for sign in (1, -1):
        with torch.no_grad():
            for p, d in zip(params, direction):
                p.add_(sign * h * d)
        values.append(_drt_objective_batched(model, x, y, rho1=1.3, rho2=0.4).item())
        with torch.no_grad():
            for p, d in zip(params, direction):
                p.sub_(sign * h * d)
    numeric = (values[0] - values[1]) / (2 * h)
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    # the GD term really trains through the input gradient: its parameter gradient is non-zero
    gd_only = _drt_objective_batched(model, x, y, rho1=1.0, rho2=0.0) - \
        _drt_objective_batched(model, x, y, rho1=0.0, rho2=0.0)
    g_gd = torch.autograd.grad(gd_only, params)
    assert sum(float(g.abs().sum()) for g in g_gd) > 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), b=st.integers(1, 6), n=st.integers(2, 5), p=st.floats(0.0, 1.0))
@example(seed=0, b=3, n=3, p=0.0)   # no valid pair, no correct member: both terms 0
@example(seed=1, b=3, n=3, p=1.0)   # every pair valid
def test_named_readings_match_theory_on_random_tensors(seed, b, n, p):
    """losses.drt_regularizer(reading=...) against theory.drt.drt_terms_by_reading (explicit loops),
    in value; the batched GD and CM of each reading are then the weighted total."""
    _, _, grads, margins, correct = _random_case(seed, b=b, n=n, p_correct=p)
    for reading in losses.DRT_READINGS:
        total, gd, cm = losses.drt_regularizer(margins, grads, correct, rho1=0.7, rho2=2.9, reading=reading)
        ref = theory_drt.drt_terms_by_reading(margins.numpy(), grads.numpy(), correct.numpy(), reading)
        assert float(gd) == pytest.approx(ref[0], rel=1e-12, abs=1e-12)
        assert float(cm) == pytest.approx(ref[1], rel=1e-12, abs=1e-12)
        assert float(total) == pytest.approx(0.7 * ref[0] + 2.9 * ref[1], rel=1e-12, abs=1e-12)
    literal = losses.drt_regularizer(margins, grads, correct, rho1=0.7, rho2=2.9, reading="literal")[0]
    package = losses.drt_regularizer(margins, grads, correct, rho1=0.7, rho2=2.9)[0]
    torch.testing.assert_close(literal, 2 * package)


def test_cm_loss_members_counts_each_correct_member_once():
    margins = torch.tensor([[0.5, 0.3, 0.2], [0.4, 0.2, -0.2]], dtype=torch.float64, requires_grad=True)
    correct = torch.tensor([[True, True, True], [True, True, False]])
    cm = losses.cm_loss_members(margins, correct)
    assert float(cm.detach()) == pytest.approx(-1.6 / 5)
    (grad,) = torch.autograd.grad(cm, margins)
    torch.testing.assert_close(grad, -correct.double() / 5)
    assert float(losses.cm_loss_members(margins.detach(), torch.zeros(2, 3, dtype=torch.bool))) == 0.0
    with pytest.raises(ValueError):
        losses.cm_loss_members(margins, correct[:, :2])
    with pytest.raises(ValueError):
        losses.drt_regularizer(margins, None, correct, rho1=0.0, rho2=1.0, reading="public-code", squared=True)
    with pytest.raises(ValueError):
        losses.drt_regularizer(margins, None, correct, rho1=0.0, rho2=1.0, reading="hydra")


def test_paper_mnist_drt_loss_is_the_public_code_reading_on_the_worked_batch():
    """The paper-mnist preset's DRT stage, through the trainer's own drt_terms, on the ledger's worked batch
    (theory.drt.worked_batch) computed by hand: GD = (1 + 1 + 1 + 1) / 4 valid pairs = 1 (squared unit pair
    norms), CM = -(0.5 + 0.3 + 0.2 + 0.4 + 0.2) / 5 correct cases = -0.32. The cpu and smoke presets keep the
    package reading: GD = (3 + 1) / 2 = 2, CM = -(2 x 1.0 + 0.6) / 2 = -1.3."""
    from drt_min.config import get_preset, train_config_for
    from drt_min.train import drt_terms

    m, g, c = (torch.as_tensor(a) for a in theory_drt.worked_batch())
    cfg = train_config_for(get_preset("paper-mnist"), "drt")
    assert cfg.drt_reading == "public-code" and (cfg.rho1, cfg.rho2) == (0.1, 0.5)
    total, gd, cm = drt_terms(cfg, m, g, c)
    assert float(gd) == pytest.approx(1.0) and float(cm) == pytest.approx(-0.32)
    assert float(total) == pytest.approx(0.1 * 1.0 + 0.5 * -0.32)
    for preset in ("cpu", "smoke"):
        cfg = train_config_for(get_preset(preset), "drt")
        assert cfg.drt_reading == "package"
        _, gd, cm = drt_terms(cfg, m, g, c)
        assert float(gd) == pytest.approx(2.0) and float(cm) == pytest.approx(-1.3)
