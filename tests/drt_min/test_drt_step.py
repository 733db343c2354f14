"""DRT's training step against a per-member, per-pair oracle (Eqs. 9-10; Appendix E, 54-55).

``training_step`` returns the loss it backpropagates and leaves the parameter gradients in the
model. Both are compared, in float64, with :func:`tests.helpers.training.drt_terms_loop`, which
evaluates one ordinary LeNet member at a time on its own input leaf and sums the valid pairs one by
one; it shares no code with :mod:`drt_min.losses`. The ensemble is trained for two epochs on the
synthetic set first, so that the noisy batch holds all three kinds of input the masks tell apart:
every member correct, a valid pair but not every member correct, and no valid pair at all.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from drt_min.models import LeNetEnsemble
from drt_min.train import load_training_data, train, training_step
from tests.helpers.training import (drt_noisy_batch, drt_terms_loop, single_thread,  # noqa: F401
                                    tiny_config)

pytestmark = pytest.mark.usefixtures("single_thread")

# Distinct weights, neither a multiple of the other: a swap or a common rescaling changes the loss.
RHO1, RHO2 = 0.7, 2.9
SIGMA = 0.5            # larger than in training, so that some members err on some noisy inputs
BATCH = 12
NOISE_SEED = 7
# float64 throughout: the trainer and the oracle differ by rounding only (the trainer's GD goes
# through a Gram matrix, the oracle's through explicit norms).
TOL = dict(rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(state dict, images, labels): a 3-member ensemble after two epochs and BATCH of its images.

    The last two labels are shifted to a class the members do not predict there, so that the batch
    also has inputs without a valid pair.
    """
    cfg = tiny_config(epochs=2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as single_thread does for the tests (it is function-scoped)
    try:
        result = train(cfg, tmp_path_factory.mktemp("drt_step") / "base.pt", progress=False,
                       log=None)
    finally:
        torch.set_num_threads(threads)
    images, labels = load_training_data(cfg, torch.device("cpu"))
    labels = labels[:BATCH].clone()
    labels[-2:] = (labels[-2:] + 1) % cfg.num_classes
    return result.model.state_dict(), images[:BATCH].double(), labels


def _step_and_oracle(trained, mutant="", **changes):
    """Run one step with optimizer=None on a float64 copy of the ensemble and evaluate the oracle
    on the same noisy inputs (the trainer's noise draw, reproduced from the same generator seed)."""
    state, images, labels = trained
    cfg = tiny_config(**{"rho1": RHO1, "rho2": RHO2, "sigma": SIGMA, **changes})
    model = LeNetEnsemble(cfg.num_members, cfg.num_classes).double()
    model.load_state_dict(state)
    members = model.members()
    stats = training_step(model, None, images, labels, cfg,
                          torch.Generator().manual_seed(NOISE_SEED))
    x, y = drt_noisy_batch(images, labels, cfg, torch.Generator().manual_seed(NOISE_SEED))
    terms = drt_terms_loop(members, x, y, gd_norm=cfg.gd_norm, pairs=cfg.pairs,
                           normalize=cfg.normalize, variant=cfg.variant,
                           drt_reading=cfg.drt_reading, mutant=mutant)
    return cfg, model, members, stats, terms


def _assert_every_kind_of_input(terms):
    """The masks must matter: a batch where they select everything or nothing proves nothing."""
    n = terms.correct.shape[1]
    per_input = terms.correct.sum(1)
    assert (per_input == n).sum() > 0, "no input with every member correct"
    assert ((per_input >= 2) & (per_input < n)).sum() > 0, "no input with a valid pair but an error"
    assert (per_input < 2).sum() > 0, "no input without a valid pair"
    assert terms.pairs > 0 and terms.all_correct > 0
    # GD >= 0 and CM <= 0 (margins of correct members are >= 0), both clearly nonzero here, so
    # exchanging or rescaling rho1 and rho2 moves the loss far beyond the tolerance.
    assert terms.gd > 1e-3 and terms.cm < -1e-3


def _assert_parameter_gradients(model, members, oracle_loss):
    """model's .grad (stacked per member) equals d oracle_loss / d member parameters."""
    per_member = [list(m.parameters()) for m in members]
    flat = torch.autograd.grad(oracle_loss, [p for ps in per_member for p in ps])
    k = len(per_member[0])
    for index, (name, param) in enumerate(model.named_parameters()):
        expected = torch.stack([flat[i * k + index] for i in range(len(members))])
        assert param.grad is not None, name
        torch.testing.assert_close(param.grad, expected, **TOL, msg=lambda m: f"{name}: {m}")


def _assert_statistics(stats, terms):
    """std is sum_i CE_i; acc and valid are the oracle's fractions of correct members and pairs."""
    torch.testing.assert_close(stats["std"], terms.ce.detach(), **TOL)
    correct = terms.correct
    n = correct.shape[1]
    torch.testing.assert_close(stats["acc"], correct.float().mean())
    unordered = sum(int(a) * int(b) for row in correct for a, b in itertools.combinations(row, 2))
    assert stats["valid"].item() == pytest.approx(unordered / (correct.shape[0] * n * (n - 1) / 2))


OPTIONS = list(itertools.product(("plain", "squared"), ("unordered", "ordered"), ("batch", "pairs"),
                                 ("pairwise", "summed")))


@pytest.mark.parametrize("gd_norm,pairs,normalize,variant", OPTIONS,
                         ids=["-".join(o) for o in OPTIONS])
def test_drt_step_equals_the_oracle_in_loss_and_parameter_gradient(trained, gd_norm, pairs,
                                                                    normalize, variant):
    """L_train = sum_i CE_i + rho1 * GD + rho2 * CM (Section 3) for every option of TrainConfig:
    GD of Eq. (9) with the plain or squared norm, CM of Eq. (10), over unordered or ordered valid
    pairs, or Appendix E's ||sum_i g_i|| and -sum_i m_i (Eqs. 54-55) on all-correct inputs; divided
    by the batch or by the number of terms. Half of the combinations use two noisy copies (noise
    index outer), chosen by parity so that each option value meets both."""
    copies = 1 + sum(o in ("squared", "ordered", "pairs", "summed")
                     for o in (gd_norm, pairs, normalize, variant)) % 2
    cfg, model, members, stats, terms = _step_and_oracle(
        trained, gd_norm=gd_norm, pairs=pairs, normalize=normalize, variant=variant,
        noise_copies=copies)
    _assert_every_kind_of_input(terms)
    oracle = terms.loss(cfg.rho1, cfg.rho2)
    torch.testing.assert_close(stats["loss"], oracle.detach(), **TOL)
    torch.testing.assert_close(stats["gd"], terms.gd.detach(), **TOL)
    torch.testing.assert_close(stats["cm"], terms.cm.detach(), **TOL)
    _assert_statistics(stats, terms)
    _assert_parameter_gradients(model, members, oracle)


@pytest.mark.parametrize("rho1,rho2", [(RHO1, RHO2), (RHO2, RHO1), (1.3, 0.0), (0.0, 1.7)])
def test_each_drt_weight_multiplies_its_own_term_once(trained, rho1, rho2):
    """loss = std + rho1 * GD + rho2 * CM with GD, CM the oracle's (Eqs. 9-10): the weights are not
    exchanged, not rescaled, and a zero weight drops exactly its own term (also from the gradient).
    """
    cfg, model, members, stats, terms = _step_and_oracle(trained, rho1=rho1, rho2=rho2,
                                                         noise_copies=2)
    _assert_every_kind_of_input(terms)
    expected = stats["std"] + rho1 * terms.gd.detach() + rho2 * terms.cm.detach()
    torch.testing.assert_close(stats["loss"], expected, **TOL)
    torch.testing.assert_close(stats["std"], terms.ce.detach(), **TOL)
    if rho1 > 0:
        torch.testing.assert_close(stats["gd"], terms.gd.detach(), **TOL)
    if rho2 > 0:
        torch.testing.assert_close(stats["cm"], terms.cm.detach(), **TOL)
    _assert_parameter_gradients(model, members, terms.loss(rho1, rho2))


def test_smoothadv_drt_terms_are_the_oracle_on_the_clean_noisy_inputs(trained):
    """With SmoothAdv's base loss the DRT terms are taken on x0 + eps, not on the attacked inputs:
    stats gd and cm are the oracle's there and loss - std = rho1 * GD + rho2 * CM. (The attacked
    cross-entropy itself is not pinned here.)"""
    cfg, _, _, stats, terms = _step_and_oracle(trained, attack_steps=2, attack_eps=0.3)
    _assert_every_kind_of_input(terms)
    torch.testing.assert_close(stats["gd"], terms.gd.detach(), **TOL)
    torch.testing.assert_close(stats["cm"], terms.cm.detach(), **TOL)
    torch.testing.assert_close(stats["loss"] - stats["std"],
                               (cfg.rho1 * terms.gd + cfg.rho2 * terms.cm).detach(), **TOL)


READINGS = ("package", "literal", "public-code")


@pytest.mark.parametrize("reading", READINGS)
def test_drt_step_equals_the_oracle_under_each_named_reading(trained, reading):
    """TrainConfig.drt_reading: 'package' (unordered pairs, plain norm, per-pair CM, batch mean),
    'literal' (ordered pairs i != j, twice 'package') and 'public-code' (squared GD / valid pairs,
    per-member CM / correct cases) each equal the oracle's loop in loss, terms and parameter gradient."""
    cfg, model, members, stats, terms = _step_and_oracle(trained, drt_reading=reading, noise_copies=2)
    _assert_every_kind_of_input(terms)
    oracle = terms.loss(cfg.rho1, cfg.rho2)
    torch.testing.assert_close(stats["loss"], oracle.detach(), **TOL)
    torch.testing.assert_close(stats["gd"], terms.gd.detach(), **TOL)
    torch.testing.assert_close(stats["cm"], terms.cm.detach(), **TOL)
    _assert_parameter_gradients(model, members, oracle)


MUTANTS = ("gd x2", "cm x2", "per-pair cm")


@pytest.mark.parametrize("reading", READINGS)
def test_drt_step_tells_each_reading_from_its_mutants(trained, reading):
    """The comparisons above can fail: a factor 2 on either term, or (public code) the per-pair CM in
    place of the per-member CM, moves the oracle's loss far outside the tolerance of the step's; and no
    two named readings give the same loss on this batch."""
    cfg, _, _, stats, terms = _step_and_oracle(trained, drt_reading=reading, noise_copies=2)
    for mutant in MUTANTS if reading == "public-code" else MUTANTS[:2]:
        _, _, _, _, wrong = _step_and_oracle(trained, mutant=mutant, drt_reading=reading, noise_copies=2)
        gap = abs(float(stats["loss"]) - float(wrong.loss(cfg.rho1, cfg.rho2).detach()))
        assert gap > 1e3 * (TOL["atol"] + TOL["rtol"] * abs(float(stats["loss"]))), (reading, mutant, gap)
    others = {r: _step_and_oracle(trained, drt_reading=r, noise_copies=2)[3]["loss"] for r in READINGS}
    assert len({round(float(v), 9) for v in others.values()}) == len(READINGS)
