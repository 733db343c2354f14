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

__all__ = ["smoothadv_pgd", "l2_pgd", "l2_ascent_step"]


def l2_ascent_step(delta: torch.Tensor, grad: torch.Tensor, base: torch.Tensor, *, step_size,
                   epsilon, clamp: bool = True) -> torch.Tensor:
    """One step of L2 PGD on ``delta`` (B, ...): move ``step_size`` along the L2-normalised gradient
    (a random direction where it is zero, as the reference does), optionally keep ``base + delta``
    in [0, 1], and project onto the ball of radius ``epsilon`` (a float or a (B,) tensor)."""
    flat = (delta.shape[0], -1)
    g = grad.reshape(flat)
    norms = g.norm(dim=1, keepdim=True)
    direction = torch.where(norms > 0, g / norms.clamp_min(1e-12),
                            F.normalize(torch.randn_like(g), dim=1))
    step = torch.as_tensor(step_size, dtype=delta.dtype, device=delta.device).reshape(-1, 1)
    delta = delta.detach() + (step * direction).reshape(delta.shape)
    if clamp:
        delta = (base + delta).clamp_(0, 1) - base
    d = delta.reshape(flat)
    if isinstance(epsilon, (int, float)):
        return d.renorm(p=2, dim=0, maxnorm=epsilon).reshape(delta.shape)
    # per-image radii: renorm's rule, maxnorm / (norm + 1e-7) above the radius
    eps = torch.as_tensor(epsilon, dtype=delta.dtype, device=delta.device).reshape(-1, 1)
    norms = d.norm(dim=1, keepdim=True)
    return torch.where(norms > eps, d * (eps / (norms + 1e-7)), d).reshape(delta.shape)


def l2_pgd(objective, images: torch.Tensor, *, epsilon, steps: int,
           clamp: bool = False) -> torch.Tensor:
    """L2 PGD that maximises ``objective(x') -> (B,)`` over ``||x' - x|| <= epsilon`` per image.

    ``epsilon`` is a float or a (B,) tensor; the step size is ``2 epsilon / steps`` (Salman et al.).
    Returns the iterate with the largest objective seen (the start included), detached.
    """
    eps = torch.as_tensor(epsilon, dtype=images.dtype, device=images.device).expand(images.shape[0])
    delta = torch.zeros_like(images)
    best, best_value = images.detach().clone(), torch.full((images.shape[0],), -torch.inf,
                                                           dtype=images.dtype, device=images.device)
    for step in range(steps + 1):
        delta.requires_grad_(True)
        value = objective(images + delta)
        with torch.no_grad():
            better = value > best_value
            best[better] = (images + delta)[better].detach()
            best_value = torch.where(better, value.detach(), best_value)
        if step == steps:
            break
        (grad,) = torch.autograd.grad(value.sum(), delta)
        with torch.no_grad():
            delta = l2_ascent_step(delta, grad, images, step_size=2.0 * eps / max(steps, 1),
                                   epsilon=eps, clamp=clamp)
    return best


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
            delta = l2_ascent_step(delta.reshape(b * n, *images.shape[1:]),
                                   grad.reshape(b * n, *images.shape[1:]),
                                   base.reshape(b * n, *images.shape[1:]), step_size=step_size,
                                   epsilon=epsilon).reshape(delta.shape)
    return (base + delta).detach()
