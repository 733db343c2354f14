"""SmoothAdv's L2 PGD attack on the smoothed soft classifier (Salman et al., 2019), per member.

For an image x with label y and m fixed noise draws delta_1..delta_m, the attack looks for x' in the
L2 ball of radius epsilon around x that maximises the cross-entropy of the *smoothed soft* classifier
estimated on those draws: ``-log( (1/m) sum_k softmax(f(x' + delta_k))_y )``. Each step moves along
the L2-normalised gradient with step size ``2 * epsilon / steps``, clamps x' to [0, 1] and projects
back onto the ball (Salman et al.'s ``PGD_L2`` with ``--multi-noise``, no random start).

For an ensemble every member is attacked on its own copy of the input (members are independent base
models): the adversarial inputs have shape (B, N, 1, 28, 28), and because member i only sees copy i,
one backward gives every member's attack gradient.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["smoothadv_pgd"]


def smoothadv_pgd(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
                  noise: torch.Tensor, *, epsilon: float, steps: int) -> torch.Tensor:
    """Per-member SmoothAdv adversarial images, shape (B, N, 1, H, W), detached.

    images (B, 1, H, W) in [0, 1]; labels (B,); noise (m, B, N, 1, H, W) the fixed draws (the same
    draws must then be added for training). ``model`` maps (K, N, 1, H, W) to logits (K, N, C).
    """
    m, b, n = noise.shape[:3]
    if images.shape[0] != b or noise.shape[3:] != images.shape[1:]:
        raise ValueError(f"noise shape {tuple(noise.shape)} does not match images "
                         f"{tuple(images.shape)}")
    base = images.unsqueeze(1).expand(b, n, *images.shape[1:])
    if steps <= 0 or epsilon <= 0:
        return base.detach().clone()
    step_size = 2.0 * epsilon / steps
    delta = torch.zeros_like(base)
    flat = (b * n, -1)
    for _ in range(steps):
        delta.requires_grad_(True)
        adv = base + delta
        logits = model((adv.unsqueeze(0) + noise).reshape(m * b, n, *images.shape[1:]))
        probs = logits.softmax(-1).reshape(m, b, n, -1).mean(0)             # (B, N, C)
        log_probs = probs.clamp_min(1e-20).log()
        loss = F.nll_loss(log_probs.reshape(b * n, -1), labels.repeat_interleave(n),
                          reduction="sum")
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            g = grad.reshape(flat)
            norms = g.norm(dim=1, keepdim=True)
            # a zero gradient gives no direction: take a random one (as the reference does)
            direction = torch.where(norms > 0, g / norms.clamp_min(1e-12),
                                    F.normalize(torch.randn_like(g), dim=1))
            delta = delta.detach() + step_size * direction.reshape(delta.shape)
            delta = (base + delta).clamp_(0, 1) - base
            delta = delta.reshape(flat).renorm(p=2, dim=0, maxnorm=epsilon).reshape(delta.shape)
    return (base + delta).detach()
