"""The CUDA paths (marker ``gpu``: skipped without CUDA; step 2 of ``benchmarks/gpu.sh``).

What would waste a GPU is checked directly: ``torch.cuda.set_sync_debug_mode("error")`` makes any
operation that waits for the device raise, so the certifier's counting loop and a training step
must run without one. The rest compares the CUDA results with the CPU's and across batch sizes;
cuDNN chooses its kernels by batch size, so the bit-identity that the CPU path gets from its
padded sub-batches is a measurement here, reported by the tests' outcome.
"""

from __future__ import annotations

import contextlib

import pytest
import torch

from drt_min import results as res
from drt_min.certify import certify_dataset, count_votes
from drt_min.config import TrainConfig
from drt_min.models import LeNetEnsemble
from drt_min.precision import for_precision
from drt_min.smoothing import noise_segment
from drt_min.train import training_step

pytestmark = pytest.mark.gpu


@contextlib.contextmanager
def no_host_sync():
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


def _lenet(device="cuda"):
    torch.manual_seed(0)
    return LeNetEnsemble(3, 10).to(device).eval()


def _images(num=4, device="cuda"):
    gen = torch.Generator().manual_seed(2)
    return torch.rand(num, 1, 28, 28, generator=gen).to(device), torch.arange(num) % 10


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_count_votes_never_waits_for_the_device(precision):
    model = for_precision(_lenet(), precision)
    images, _ = _images()
    weights = torch.full((3,), 1 / 3, device="cuda")
    with torch.inference_mode():
        model(images)  # cuDNN's first call sets itself up
        with no_host_sync():
            counts = count_votes(model, images, [0, 1, 2, 3], sigma=0.25, n0=100, n=5000,
                                 seed=1, batch_size=2000, weights=weights, num_protocols=5,
                                 num_classes=10)
    assert counts.device.type == "cuda"
    assert torch.all(counts[:, 1].sum(-1) == 5000)


def test_noise_is_drawn_on_the_device():
    noise = noise_segment(1, 2, 1, 0, 1000, (1, 28, 28), device=torch.device("cuda"))
    assert noise.device.type == "cuda"
    again = noise_segment(1, 2, 1, 0, 1000, (1, 28, 28), device=torch.device("cuda"))
    assert torch.equal(noise, again)


@pytest.mark.parametrize("rho", [(0.0, 0.0), (0.5, 2.0)])
def test_a_training_step_never_waits_for_the_device(rho):
    model = _lenet().train()
    x, y = _images(16)
    y = y.cuda()
    cfg = TrainConfig(sigma=0.25, noise_copies=2, batch_size=16, rho1=rho[0], rho2=rho[1])
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    gen = torch.Generator(device="cuda").manual_seed(0)
    training_step(model, opt, x, y, cfg, gen)  # first step: allocator, cuDNN, optimizer state
    with no_host_sync():
        stats = training_step(model, opt, x, y, cfg, gen)
    assert torch.isfinite(stats["loss"])


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_cuda_certificates_across_batch_sizes(tmp_path, precision):
    """Bit-identical certificates at batch sizes 500 and 3000 on CUDA (a failure here says cuDNN
    gave some sample different logits in a different batch: certificates then depend, rarely, on
    the batch size on this GPU)."""
    model = _lenet()
    images, labels = _images(device="cpu")
    kw = dict(sigma=0.5, n0=100, n=4000, alpha=0.001, seed=3, device="cuda", progress=False,
              precision=precision)
    tables = []
    for b in (500, 3000):
        paths = certify_dataset(model, images, labels, [0, 1, 2, 3], batch_size=b,
                                out_dir=tmp_path / f"{b}", **kw)
        tables.append({k: [(r.predict, r.radius) for r in res.read_tsv(p)]
                       for k, p in paths.items()})
    assert tables[0] == tables[1]


def test_bf16_on_cuda_agrees_with_fp32_on_most_votes():
    model = _lenet()
    bf16 = for_precision(model, "bf16")
    gen = torch.Generator(device="cuda").manual_seed(0)
    x = _images(8)[0].repeat(500, 1, 1, 1) + 0.25 * torch.randn(4000, 1, 28, 28, device="cuda",
                                                                 generator=gen)
    with torch.inference_mode():
        a, b = model(x).argmax(-1), bf16(x).argmax(-1)
    assert (a == b).float().mean() > 0.95
