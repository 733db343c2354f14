"""Oracles, data location and small configurations for the trainer's tests.

The oracles are deliberately plain: explicit loops over inputs and pairs, written from Eqs. (9)-(10)
and (54)-(55) without the batching tricks of :mod:`drt_min.losses`.
"""

from __future__ import annotations

import os
import pathlib

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


def drt_objective_loop(model, x: torch.Tensor, y: torch.Tensor, *, rho1: float, rho2: float
                       ) -> torch.Tensor:
    """L_train on fixed noisy inputs x (B, 1, 28, 28), one member and one pair at a time.

    Each member's margin gradient comes from its own forward and autograd call on a fresh leaf.
    """
    members = model.members() if hasattr(model, "members") else model
    b = x.shape[0]
    ce = x.new_zeros(())
    margins, grads, correct = [], [], []
    for net in members:
        xi = x.detach().clone().requires_grad_(True)
        logits = net(xi)
        ce = ce + torch.nn.functional.cross_entropy(logits, y, reduction="sum") / b
        probs = logits.softmax(-1)
        own = probs.gather(1, y[:, None])[:, 0]
        masked = probs.detach().scatter(1, y[:, None], float("-inf"))
        other = probs.gather(1, masked.argmax(1, keepdim=True))[:, 0]
        m = own - other
        (g,) = torch.autograd.grad(m.sum(), xi, create_graph=True)
        margins.append(m)
        grads.append(g.reshape(b, -1))
        correct.append(logits.argmax(1) == y)
    margins_t = torch.stack(margins, 1)
    grads_t = torch.stack(grads, 1)
    correct_t = torch.stack(correct, 1)
    return ce + rho1 * gd_loss_loop(grads_t, correct_t) + rho2 * cm_loss_loop(margins_t, correct_t)


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
