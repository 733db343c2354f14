"""The batched LeNet ensemble equals a per-model loop: forward, parameter and input gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from drt_min.models import LeNet, LeNetEnsemble
from tests.helpers.training import single_thread  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("single_thread")


def _case(n=3, b=5, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    model = LeNetEnsemble(n, 10).to(dtype)
    x = torch.rand(b, 1, 28, 28, dtype=dtype)
    y = torch.randint(0, 10, (b,))
    return model, x, y


def test_architecture_is_the_papers_lenet():
    net = LeNet()
    assert (net.conv1.in_channels, net.conv1.out_channels, net.conv1.kernel_size) == (1, 20, (5, 5))
    assert (net.conv2.in_channels, net.conv2.out_channels, net.conv2.kernel_size) == (20, 50, (5, 5))
    assert (net.fc1.in_features, net.fc1.out_features) == (800, 500)
    assert (net.fc2.in_features, net.fc2.out_features) == (500, 10)
    per_member = sum(p.numel() for p in net.parameters())
    assert per_member == 20 * 25 + 20 + 50 * 20 * 25 + 50 + 800 * 500 + 500 + 5000 + 10 == 431_080
    ens = LeNetEnsemble(4)
    assert sum(p.numel() for p in ens.parameters()) == 4 * per_member


@pytest.mark.parametrize("n", [1, 3, 5])
def test_forward_equals_per_member_loop_shared_and_per_member_inputs(n):
    model, x, _ = _case(n=n)
    out = model(x)
    assert out.shape == (5, n, 10)
    ref = torch.stack([m(x) for m in model.members()], 1)
    torch.testing.assert_close(out, ref)
    xs = torch.rand(5, n, 1, 28, 28, dtype=torch.float64)
    out2 = model(xs)
    ref2 = torch.stack([m(xs[:, i]) for i, m in enumerate(model.members())], 1)
    torch.testing.assert_close(out2, ref2)


def test_parameter_gradients_equal_per_member_loop():
    model, x, y = _case()
    loss = F.cross_entropy(model(x).reshape(-1, 10), y.repeat_interleave(3), reduction="sum")
    grads = torch.autograd.grad(loss, list(model.parameters()))
    members = model.members()
    per = [torch.autograd.grad(F.cross_entropy(m(x), y, reduction="sum"), list(m.parameters()))
           for m in members]
    for k, g in enumerate(grads):
        torch.testing.assert_close(g, torch.stack([p[k] for p in per]))


def test_input_gradients_of_all_members_in_one_backward():
    model, x, y = _case()
    xr = x.unsqueeze(1).expand(-1, 3, -1, -1, -1).clone().requires_grad_(True)
    logits = model(xr)
    score = logits.gather(-1, y.view(-1, 1, 1).expand(-1, 3, 1)).sum()
    (g,) = torch.autograd.grad(score, xr)
    for i, m in enumerate(model.members()):
        xi = x.clone().requires_grad_(True)
        (gi,) = torch.autograd.grad(m(xi).gather(1, y[:, None]).sum(), xi)
        torch.testing.assert_close(g[:, i], gi)
    assert not torch.allclose(g[:, 0], g[:, 1])  # members differ, so do their gradients


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("batch", [1, 64, 150])
def test_inference_path_equals_the_differentiable_path_and_the_member_loop(dtype, batch):
    # 150 = two full sub-batches of 64 and a partial one
    model, _, _ = _case(dtype=dtype)
    assert model.inference_chunk == 64
    x = torch.rand(batch, 1, 28, 28, dtype=dtype)
    x[:, :, :4] = 0.0  # blank rows as in MNIST: ties inside pooling windows
    reference = torch.stack([m(x) for m in model.members()], 1)
    differentiable = model(x)
    with torch.no_grad():
        inference = model(x)
    with torch.inference_mode():
        inference_mode = model(x)
    tol = {} if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(inference, differentiable.detach(), **tol)
    torch.testing.assert_close(inference, reference.detach(), **tol)
    torch.testing.assert_close(inference_mode, inference, rtol=0, atol=0)
    xs = torch.rand(batch, 3, 1, 28, 28, dtype=dtype)
    with torch.no_grad():
        per_member = model(xs)
    ref2 = torch.stack([m(xs[:, i]) for i, m in enumerate(model.members())], 1)
    torch.testing.assert_close(per_member, ref2.detach(), **tol)


@pytest.mark.parametrize("per_member", [False, True])
def test_inference_logits_are_bit_identical_whatever_the_batch(per_member):
    model, _, _ = _case(dtype=torch.float32)
    shape = (200, 3, 1, 28, 28) if per_member else (200, 1, 28, 28)
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        whole = model(x)
        for batch in (1, 7, 63, 65, 133):
            pieces = torch.cat([model(part) for part in x.split(batch)])
            assert torch.equal(pieces, whole), batch


def test_inference_sub_batches_do_not_change_the_result():
    model, _, _ = _case(dtype=torch.float64)
    x = torch.rand(130, 1, 28, 28, dtype=torch.float64)
    with torch.no_grad():
        whole = model(x)
        model.inference_chunk = 7
        pieces = model(x)
    torch.testing.assert_close(pieces, whole, rtol=1e-12, atol=1e-12)


def test_strided_max_pool_equals_max_pool2d():
    from drt_min.models import _max_pool_2x2

    h = torch.randn(4, 6, 24, 24, dtype=torch.float64)
    h[:, :, :6] = 0.5  # ties
    assert torch.equal(_max_pool_2x2(h), F.max_pool2d(h, 2))
    assert not torch.equal(_max_pool_2x2(h), F.avg_pool2d(h, 2))


def test_from_members_round_trip_and_seeded_init():
    torch.manual_seed(4)
    a = LeNetEnsemble(3)
    torch.manual_seed(4)
    b = LeNetEnsemble(3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    rebuilt = LeNetEnsemble.from_members(a.members())
    for pa, pr in zip(a.parameters(), rebuilt.parameters()):
        assert torch.equal(pa, pr)
    # members are initialised independently
    assert not torch.equal(a.conv1_weight[0], a.conv1_weight[1])


def test_bad_inputs_raise():
    model = LeNetEnsemble(3)
    with pytest.raises(ValueError):
        model(torch.rand(2, 3, 28, 28))
    with pytest.raises(ValueError):
        model(torch.rand(2, 2, 1, 28, 28))
    with pytest.raises(ValueError):
        LeNetEnsemble(0)
    with pytest.raises(IndexError):
        model.member(3)


@pytest.mark.gpu
def test_cuda_forward_and_drt_step_match_cpu():
    from drt_min.config import TrainConfig
    from drt_min.train import training_step

    model, x, y = _case(dtype=torch.float32)
    out_cpu = model(x)
    gpu = LeNetEnsemble(3).cuda()
    gpu.load_state_dict(model.state_dict())
    torch.testing.assert_close(gpu(x.cuda()).cpu(), out_cpu, rtol=1e-4, atol=1e-4)
    cfg = TrainConfig(rho1=0.5, rho2=1.0, noise_copies=2)
    stats = training_step(gpu, None, x.cuda(), y.cuda(), cfg,
                          torch.Generator(device="cuda").manual_seed(0))
    assert torch.isfinite(stats["loss"]).item() and gpu.conv1_weight.grad is not None
