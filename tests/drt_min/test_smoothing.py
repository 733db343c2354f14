"""The Clopper-Pearson certificate, abstention rules and noise streams of drt_min.smoothing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.stats import beta, binom, norm

from drt_min.smoothing import (
    ESTIMATION,
    NOISE_BLOCK,
    SELECTION,
    Smooth,
    lower_confidence_bound,
    min_samples_to_certify,
    noise_segment,
    radius_from_bound,
)
from drt_min.seeding import stream_seed
from tests.helpers.certify import clopper_pearson_reference


class Constant(torch.nn.Module):
    """Predicts ``cls`` everywhere (scores one-hot)."""

    def __init__(self, cls, num_classes=3):
        super().__init__()
        self.cls, self.num_classes = cls, num_classes

    def forward(self, x):
        out = torch.zeros(x.shape[0], self.num_classes, dtype=x.dtype)
        out[:, self.cls] = 1.0
        return out


class HalfSpace(torch.nn.Module):
    """Class 1 where the first coordinate is > 0, else class 0."""

    def forward(self, x):
        z = x.flatten(1)[:, :1]
        return torch.cat([torch.zeros_like(z), z], dim=1)


@given(n=st.integers(1, 5000), frac=st.floats(0, 1), alpha=st.sampled_from([1e-3, 0.01, 0.05, 0.3]))
@example(n=1, frac=0.0, alpha=0.001)
@example(n=1, frac=1.0, alpha=0.001)
@example(n=100_000, frac=1.0, alpha=0.001)
def test_bound_is_the_clopper_pearson_formula(n, frac, alpha):
    k = int(round(frac * n))
    got = float(lower_confidence_bound(k, n, alpha))
    assert got == pytest.approx(clopper_pearson_reference(k, n, alpha), rel=1e-9, abs=1e-15)
    if 0 < k < n:
        assert got == float(beta.ppf(alpha, k, n - k + 1))


def test_bound_edge_cases_and_vectorisation():
    assert lower_confidence_bound(0, 10, 0.01) == 0.0
    assert lower_confidence_bound(10, 10, 0.01) == 0.01 ** (1 / 10)
    ks = np.arange(0, 51)
    vec = lower_confidence_bound(ks, 50, 0.05)
    assert vec.shape == (51,)
    assert np.all(np.diff(vec) > 0)
    assert [float(v) for v in vec] == pytest.approx(
        [clopper_pearson_reference(int(k), 50, 0.05) for k in ks], rel=1e-9, abs=1e-15)
    for bad in (-1, 11):
        with pytest.raises(ValueError):
            lower_confidence_bound(bad, 10, 0.01)
    with pytest.raises(ValueError):
        lower_confidence_bound(1, 10, 1.5)


def test_largest_radius_at_paper_protocol():
    # n = 100,000 agreeing samples at alpha = 0.001: pA_bar = 0.001 ** 1e-5, radius about 3.81 sigma.
    pA_bar = lower_confidence_bound(100_000, 100_000, 0.001)
    r = float(radius_from_bound(pA_bar, 1.0))
    assert r == pytest.approx(float(norm.ppf(0.001 ** 1e-5)), rel=1e-12)
    assert 3.80 < r < 3.82
    assert float(radius_from_bound(pA_bar, 0.25)) == pytest.approx(0.25 * r, rel=1e-12)


@pytest.mark.parametrize("n", [1, 7, 50, 400])
@pytest.mark.parametrize("alpha", [0.001, 0.05, 0.2])
def test_bound_coverage_exact(n, alpha):
    """P(bound > p) summed exactly over the binomial law stays <= alpha for every p on a grid."""
    ks = np.arange(n + 1)
    bounds = lower_confidence_bound(ks, n, alpha)
    for p in np.linspace(0.0005, 0.9995, 401):
        miss = binom.pmf(ks[bounds > p], n, p).sum()
        assert miss <= alpha * (1 + 1e-9), (p, miss)


def test_exact_coverage_check_detects_an_unsound_bound():
    """The exact check above rejects the point estimate k/n used as a 'bound'."""
    n, alpha = 50, 0.05
    ks = np.arange(n + 1)
    miss = binom.pmf(ks[ks / n > 0.5], n, 0.5).sum()
    assert miss > alpha


def test_min_samples_to_certify():
    for alpha in (0.5, 0.1, 0.01, 0.001, 1e-6):
        n = min_samples_to_certify(alpha)
        assert alpha ** (1 / n) >= 0.5
        assert n == 1 or alpha ** (1 / (n - 1)) < 0.5
    assert min_samples_to_certify(0.001) == 10


def test_warns_when_n_can_never_certify():
    smooth = Smooth(Constant(1), 3, 0.5)
    x = torch.zeros(2)
    with pytest.warns(UserWarning, match="can never certify"):
        assert smooth.certify(x, 5, 9, 0.001, 4, seed=0) == (Smooth.ABSTAIN, 0.0)
    # n = 10 suffices at alpha = 0.001: no warning (warnings are errors here), and it certifies.
    cls, radius = smooth.certify(x, 5, 10, 0.001, 4, seed=0)
    assert cls == 1 and radius == pytest.approx(0.5 * norm.ppf(0.001 ** 0.1))


def test_certify_constant_classifier_radius_and_prediction():
    smooth = Smooth(Constant(2), 3, 0.25)
    cls, radius = smooth.certify(torch.zeros(4), 10, 1000, 0.001, 128, seed=3)
    assert cls == 2
    assert radius == 0.25 * float(norm.ppf(0.001 ** (1 / 1000)))


def test_abstains_when_the_bound_is_below_one_half():
    # The half space through x: P(class 1) = 1/2, so pA_bar < 1/2 whatever is selected.
    smooth = Smooth(HalfSpace(), 2, 1.0)
    assert smooth.certify(torch.zeros(3), 100, 2000, 0.01, 500, seed=1) == (Smooth.ABSTAIN, 0.0)
    # Far on the positive side it certifies class 1 with radius close to the distance 2.
    cls, radius = smooth.certify(torch.tensor([2.0, 0.0, 0.0]), 100, 20000, 0.01, 5000, seed=1)
    assert cls == 1 and 1.8 < radius < 2.0


def test_predict_abstains_on_a_tie_and_answers_otherwise():
    smooth = Smooth(HalfSpace(), 2, 1.0)
    assert smooth.predict(torch.zeros(3), 400, 0.01, 100, seed=5) == Smooth.ABSTAIN
    assert smooth.predict(torch.tensor([3.0, 0, 0]), 400, 0.01, 100, seed=5) == 1
    assert smooth.predict(torch.tensor([-3.0, 0, 0]), 400, 0.01, 100, seed=5) == 0


def test_unseeded_calls_use_torch_global_state():
    smooth = Smooth(HalfSpace(), 2, 1.0)
    torch.manual_seed(0)
    a = smooth.certify(torch.tensor([0.3, 0.0]), 50, 500, 0.1, 64)
    torch.manual_seed(0)
    b = smooth.certify(torch.tensor([0.3, 0.0]), 50, 500, 0.1, 64)
    assert a == b


def test_seeded_certificate_does_not_depend_on_batch_size():
    smooth = Smooth(HalfSpace(), 2, 0.5)
    x = torch.tensor([0.2, 0.1], dtype=torch.float64)
    results = {smooth.certify(x, 64, 2 * NOISE_BLOCK + 37, 0.01, bs, seed=11, index=4)
               for bs in (7, 100, 1000, 5000)}
    assert len(results) == 1


def test_selection_and_estimation_noise_are_independent_streams():
    shape = (3, 5)
    sel = noise_segment(0, 7, SELECTION, 0, 400, shape, device="cpu")
    est = noise_segment(0, 7, ESTIMATION, 0, 400, shape, device="cpu")
    other_image = noise_segment(0, 8, ESTIMATION, 0, 400, shape, device="cpu")
    other_block = noise_segment(0, 7, ESTIMATION, 1, 400, shape, device="cpu")
    again = noise_segment(0, 7, ESTIMATION, 0, 400, shape, device="cpu")
    assert torch.equal(est, again)
    for other in (sel, other_image, other_block):
        corr = np.corrcoef(est.flatten().numpy(), other.flatten().numpy())[0, 1]
        assert abs(corr) < 0.03
    seeds = {stream_seed(s, i, p, b) for s in (0, 1) for i in range(50) for p in (0, 1) for b in range(3)}
    assert len(seeds) == 2 * 50 * 2 * 3
    assert all(0 <= s < 2 ** 63 for s in seeds)


def test_estimation_counts_do_not_depend_on_n0():
    """The n estimation samples are the same whatever n0 is, so selection cannot bias them."""
    smooth = Smooth(HalfSpace(), 2, 1.0)
    x = torch.tensor([0.1, 0.0])
    c_a = smooth._sample_noise(x, ((ESTIMATION, 700),), 256, 9, 3)[0]
    smooth.certify(x, 10, 700, 0.05, 256, seed=9, index=3)
    c_b = smooth._sample_noise(x, ((SELECTION, 10), (ESTIMATION, 700)), 256, 9, 3)[1]
    assert np.array_equal(c_a, c_b)
    c_sel = smooth._sample_noise(x, ((SELECTION, 700),), 256, 9, 3)[0]
    assert not np.array_equal(c_a, c_sel)


def test_smooth_puts_the_base_classifier_in_eval_mode():
    """Cohen et al.'s certify evaluates the base classifier in eval mode; dropout must be off."""
    net = torch.nn.Sequential(torch.nn.Dropout(0.9), HalfSpace())
    net.train()
    smooth = Smooth(net, 2, 1.0)
    smooth.certify(torch.tensor([0.3, 0.0]), 10, 100, 0.1, 64, seed=1)
    assert not net.training


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        Smooth(HalfSpace(), 2, 0.0)
    with pytest.raises(ValueError):
        Smooth(HalfSpace(), 1, 0.5)
    with pytest.raises(ValueError):
        radius_from_bound(0.9, -1.0)


def test_import_drt_min_pulls_in_neither_sympy_nor_matplotlib():
    code = ("import sys, drt_min, drt_min.smoothing, drt_min.ensemble, drt_min.certify, "
            "drt_min.results, drt_min.report, drt_min.distributed, drt_min.cli_certify; "
            "bad = [m for m in ('sympy', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_predict_draws_from_the_phase_it_is_given():
    """``phase=`` picks the noise stream: the classifier sees x + sigma * that stream's draws.

    The two sides compute ``x + sigma eps`` in float32 with other kernels (``torch.add(alpha=)`` may
    fuse the multiply-add, the plain expression rounds twice), so they may differ by rounding:
    at most 2u (|x| + sigma |eps|) per element, u = 2^-24. Another stream's draws differ by O(sigma).
    """
    from drt_min.smoothing import ESTIMATION, noise_segment

    seen = []

    class Recorder(torch.nn.Module):
        def forward(self, x):
            seen.append(x.clone())
            return torch.zeros(x.shape[0], 2)

    x = torch.tensor([0.5, -0.25])
    for phase in (ESTIMATION, 5):
        seen.clear()
        Smooth(Recorder(), 2, 0.5).predict(x, 30, 0.01, 30, seed=9, index=3, phase=phase)
        eps = noise_segment(9, 3, phase, 0, 30, (2,), device="cpu")
        rounding = 2 * 2.0 ** -24 * (x.abs() + 0.5 * eps.abs())
        assert torch.all((torch.cat(seen) - (x + 0.5 * eps)).abs() <= rounding)
        other = noise_segment(9, 3, phase + 1, 0, 30, (2,), device="cpu")
        assert not torch.all((torch.cat(seen) - (x + 0.5 * other)).abs() <= rounding)
