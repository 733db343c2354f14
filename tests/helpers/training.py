"""Oracles, data location and small configurations for the trainer's tests.

The oracles are deliberately plain: explicit loops over inputs and pairs, written from Eqs. (9)-(10)
and (54)-(55) without the batching tricks of :mod:`drt_min.losses`.
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass

import pytest
import torch

from drt_min.config import TrainConfig

REPO = pathlib.Path(__file__).resolve().parents[2]


def mnist_data_dir() -> pathlib.Path | None:
    """``$DRT_DATA_DIR`` if it holds mnist/, else the repository's ``../shared/data``, else None."""
    candidates = []
    if os.environ.get("DRT_DATA_DIR"):
        candidates.append(pathlib.Path(os.environ["DRT_DATA_DIR"]))
    candidates.append(REPO.parent / "shared" / "data")
    for cand in candidates:
        if (cand / "mnist" / "t10k-labels-idx1-ubyte.gz").is_file():
            return cand
    return None


def require_mnist() -> pathlib.Path:
    """The MNIST data directory, or skip the test saying where it was looked for (fail under CI)."""
    found = mnist_data_dir()
    if found is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("MNIST not found: set DRT_DATA_DIR to a directory holding mnist/ with the four "
                    "IDX .gz files (looked in $DRT_DATA_DIR and ../shared/data)")
    return found


def valid_pairs(correct: torch.Tensor, *, ordered: bool = False):
    """(k, i, j) for input k and every pair i != j (i < j unless ``ordered``) of members both correct."""
    b, n = correct.shape
    for k in range(b):
        for i in range(n):
            for j in range(n):
                if i != j and (ordered or i < j) and correct[k, i] and correct[k, j]:
                    yield k, i, j


def gd_loss_loop(grads: torch.Tensor, correct: torch.Tensor, *, ordered: bool = False,
                 squared: bool = False) -> torch.Tensor:
    """sum over inputs b and valid pairs of ||g_i + g_j||_2 (or squared), divided by B."""
    total = grads.new_zeros(())
    for k, i, j in valid_pairs(correct, ordered=ordered):
        s = grads[k, i] + grads[k, j]
        total = total + (s.dot(s) if squared else s.norm())
    return total / grads.shape[0]


def cm_loss_loop(margins: torch.Tensor, correct: torch.Tensor, *, ordered: bool = False
                 ) -> torch.Tensor:
    """sum over inputs and valid pairs of (f_i[y2] - f_i[y0]) + (f_j[y2] - f_j[y0]), divided by B."""
    total = margins.new_zeros(())
    for k, i, j in valid_pairs(correct, ordered=ordered):
        total = total - margins[k, i] - margins[k, j]
    return total / margins.shape[0]


def count_valid_pairs(correct: torch.Tensor, *, ordered: bool = False) -> int:
    return sum(1 for _ in valid_pairs(correct, ordered=ordered))


def margins_loop(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """m_i = f_i[y0] - max_{y != y0} f_i[y], one input and one member at a time."""
    b, n, c = probs.shape
    out = probs.new_zeros(b, n)
    for k in range(b):
        y0 = int(targets[k])
        for i in range(n):
            others = [probs[k, i, y] for y in range(c) if y != y0]
            out[k, i] = probs[k, i, y0] - torch.stack(others).max()
    return out


@dataclass
class DrtTerms:
    """The parts of L_train on a batch of noisy inputs, from :func:`drt_terms_loop`."""

    ce: torch.Tensor        # sum_i L_std,i: members' cross-entropies summed, mean over the inputs
    gd: torch.Tensor        # GD (Eq. 9) or ||sum_i g_i|| (Eq. 54), normalised
    cm: torch.Tensor        # CM (Eq. 10) or -sum_i m_i (Eq. 55), normalised
    correct: torch.Tensor   # (B, N) bool: member i's arg max is the label
    pairs: int              # valid pairs summed (ordered ones counted twice)
    all_correct: int        # inputs on which every member is correct

    def loss(self, rho1: float, rho2: float) -> torch.Tensor:
        """L_train = sum_i CE_i + rho1 * GD + rho2 * CM."""
        return self.ce + rho1 * self.gd + rho2 * self.cm


def drt_terms_loop(model, x: torch.Tensor, y: torch.Tensor, *, gd_norm: str = "plain",
                   pairs: str = "unordered", normalize: str = "batch",
                   variant: str = "pairwise", drt_reading: str = "package",
                   mutant: str = "") -> DrtTerms:
    """CE, GD and CM on fixed noisy inputs x (B, 1, 28, 28), one member, input and pair at a time.

    ``model`` is a :class:`LeNetEnsemble` or a list of ordinary LeNet members. Member i gets its own
    fresh input leaf; ``g_i = grad_x m_i`` comes from its own autograd call with ``create_graph`` so
    that GD trains through it. The options are those of :class:`TrainConfig`:

    * pairwise (Eqs. 9-10): ``sum ||g_i + g_j||`` (``gd_norm="squared"``: squared) and
      ``sum -(m_i + m_j)`` over the valid pairs i < j (``pairs="ordered"``: every i != j);
    * summed (Eqs. 54-55): ``||sum_i g_i||`` and ``-sum_i m_i`` on the inputs where every member
      is correct;
    * ``normalize="batch"`` divides both sums by B, ``"pairs"`` by the number of terms summed
      (valid pairs, or all-correct inputs for the summed variant; 1 when there are none).
    * ``drt_reading="literal"``: ordered pairs, plain norm, batch; ``"public-code"``: the squared norm
      over unordered valid pairs divided by their number, and ``-m_i`` over the correct (input, member)
      cases divided by their number (the other options then stay at their defaults).

    ``mutant`` perturbs the oracle on purpose, for the tests that show the comparison can fail:
    ``"gd x2"``, ``"cm x2"``, or ``"per-pair cm"`` (public-code's CM summed per valid pair and divided by
    the number of valid pairs).
    """
    if drt_reading == "literal":
        pairs = "ordered"
    members = model.members() if hasattr(model, "members") else list(model)
    b, n = x.shape[0], len(members)
    ce = x.new_zeros(())
    margin, grad, correct = [], [], torch.zeros(b, n, dtype=torch.bool)
    for i, net in enumerate(members):
        xi = x.detach().clone().requires_grad_(True)
        logits = net(xi)
        ce = ce + torch.nn.functional.cross_entropy(logits, y, reduction="sum") / b
        probs = logits.softmax(-1)
        m_i = []
        for k in range(b):
            y0 = int(y[k])
            others = torch.cat([probs[k, :y0], probs[k, y0 + 1:]])
            m_i.append(probs[k, y0] - others.max())     # f_i[y0] - max_{y != y0} f_i[y]
            correct[k, i] = int(logits[k].argmax()) == y0
        m_i = torch.stack(m_i)
        (g_i,) = torch.autograd.grad(m_i.sum(), xi, create_graph=True)
        margin.append(m_i)
        grad.append(g_i.reshape(b, -1))

    def norm(v: torch.Tensor) -> torch.Tensor:
        return v.dot(v) if gd_norm == "squared" else v.norm()

    gd, cm, terms = x.new_zeros(()), x.new_zeros(()), 0
    if drt_reading == "public-code":
        cases = 0
        for k, i, j in valid_pairs(correct):
            s = grad[i][k] + grad[j][k]
            gd = gd + s.dot(s)
            if mutant == "per-pair cm":
                cm = cm - (margin[i][k] + margin[j][k])
            terms += 1
        for k in range(b):
            for i in range(n):
                if correct[k, i]:
                    if mutant != "per-pair cm":
                        cm = cm - margin[i][k]
                    cases += 1
        gd = gd / max(terms, 1)
        cm = cm / max(terms if mutant == "per-pair cm" else cases, 1)
    elif variant == "pairwise":
        for k, i, j in valid_pairs(correct, ordered=pairs == "ordered"):
            gd = gd + norm(grad[i][k] + grad[j][k])
            cm = cm - (margin[i][k] + margin[j][k])
            terms += 1
    else:
        for k in range(b):
            if correct[k].all():
                gd = gd + norm(sum(grad[i][k] for i in range(n)))
                cm = cm - sum(margin[i][k] for i in range(n))
                terms += 1
    if drt_reading != "public-code":
        denominator = b if normalize == "batch" else max(terms, 1)
        gd, cm = gd / denominator, cm / denominator
    gd = gd * (2 if mutant == "gd x2" else 1)
    cm = cm * (2 if mutant == "cm x2" else 1)
    return DrtTerms(ce=ce, gd=gd, cm=cm, correct=correct,
                    pairs=count_valid_pairs(correct, ordered=pairs == "ordered"),
                    all_correct=int(correct.all(1).sum()))


def drt_objective_loop(model, x: torch.Tensor, y: torch.Tensor, *, rho1: float, rho2: float,
                       **options: str) -> torch.Tensor:
    """L_train on fixed noisy inputs x (B, 1, 28, 28): :func:`drt_terms_loop` weighted by rho."""
    return drt_terms_loop(model, x, y, **options).loss(rho1, rho2)


def drt_noisy_batch(images: torch.Tensor, labels: torch.Tensor, cfg: TrainConfig,
                    generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The (m*B) noisy inputs and targets of one DRT step, noise index outer.

    The same draw as the trainer's: one (m, B, 1, *shape) standard normal tensor (shared noise, so
    one draw per input for all members) scaled by sigma.
    """
    m, b, shape = cfg.noise_copies, images.shape[0], tuple(images.shape[1:])
    noise = torch.randn((m, b, 1, *shape), generator=generator) * cfg.sigma
    x = (images.unsqueeze(0) + noise[:, :, 0]).reshape(m * b, *shape)
    return x, labels.repeat(m)


def tiny_config(**changes) -> TrainConfig:
    """A TrainConfig on the synthetic set that trains in a second or two on a CPU."""
    base = dict(synthetic=12, num_classes=7, epochs=1, batch_size=16, lr=0.05, noise_copies=1,
                sigma=0.1, device="cpu", seed=3)
    base.update(changes)
    return TrainConfig(**base)


@pytest.fixture
def single_thread():
    """Run a test with one intra-op thread: the tests' tiny batches gain nothing from more, and on
    a shared machine a second spinning thread only adds waiting."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
