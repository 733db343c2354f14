"""L2 PGD (drt_min.attacks.l2_pgd): per-image radii, the projection, and the best iterate returned."""

from __future__ import annotations

import numpy as np
import torch

from drt_min.attacks import l2_pgd


def test_l2_pgd_reaches_a_linear_optimum_on_each_ball():
    """For objective u.x the maximiser on the ball of radius eps_i is x_i + eps_i u/||u||."""
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5)
    u = torch.randn(4, 5)
    eps = torch.tensor([0.1, 0.5, 2.0])
    out = l2_pgd(lambda z: (z * u).flatten(1).sum(1), x, epsilon=eps, steps=20)
    dist = (out - x).flatten(1).norm(dim=1)
    assert torch.all(dist <= eps * (1 + 1e-6))
    expected = x + eps[:, None, None] * u / u.norm()
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-4)


def test_l2_pgd_returns_the_best_iterate_not_the_last():
    """A target inside the ball makes the fixed-size steps overshoot and oscillate: the returned point
    is the best the attack saw, which beats its last iterate."""
    x = torch.zeros(1, 10)
    target = torch.zeros(1, 10)
    target[0, 0] = 0.33
    values = []

    def objective(z):
        v = -(z - target).norm(dim=1)
        values.append(float(v.detach()))
        return v

    out = l2_pgd(objective, x, epsilon=1.0, steps=6)  # step 1/3: iterates 0, 1/3, 0, 1/3, ...
    best = float(-(out - target).norm())
    assert best == max(values)
    assert best > values[-1]
    assert np.isclose(float(out.norm()), 1 / 3, atol=1e-6)
