"""Attacks on the smoothed ensembles inside their certified radii (parts 2 and 7 of the cross-check).

Part 2 attacks the *soft*-smoothed ensembles that Corollaries 2-3 speak of: L2 PGD on the Monte-Carlo
estimate (m fixed noise draws of the ``ATTACK`` phase) of the soft WE margin
``max_{y != y0} G_WE^y - G_WE^{y0}``, or of the soft MME value ``-(max_j a_j + min_j a_j)`` with
``a_j = G_j^{y0} - max_{y != y0} G_j^y`` (Lemma B.1: a positive value means MME says y0). A point
counts as adversarial only when fresh samples (``VERIFY`` phase) prove it with confidence
(:func:`we_confirmed`, :func:`mme_confirmed`).

Part 7 attacks the *hard* (EBS) smoothed ensembles that the run certified, SmoothAdv-style: PGD on
the cross-entropy of the smoothed soft surrogate of the protocol (Salman et al., 2019), then
Algorithm PREDICT at the attacked point on noise independent of the certificate's.
"""

from __future__ import annotations

import numpy as np
import torch

from drt_min.attacks import l2_pgd
from drt_min.ensemble import ProtocolClassifier
from drt_min.smoothing import Smooth

from . import bounds as B
from . import functions as fn
from .sampling import ATTACK, PREDICT, VERIFY, member_confidences, standard_noise

__all__ = ["attack_noise", "soft_member_means", "we_objective", "mme_objective", "soft_objective", "attack_soft",
           "we_confirmed", "mme_confirmed", "verify_points", "attack_hard_and_predict"]


def attack_noise(seed: int, indices, num: int, shape, device="cpu") -> torch.Tensor:
    """The fixed PGD draws (num, K, *shape) of each image's ``ATTACK`` stream."""
    return torch.stack([standard_noise(seed, i, ATTACK, num, shape, device) for i in indices], dim=1)


def soft_member_means(model, x: torch.Tensor, noise: torch.Tensor, sigma: float) -> torch.Tensor:
    """Monte-Carlo ``G_j(x)`` (K, N, C): members' softmax averaged over ``x + sigma noise``."""
    m, k = noise.shape[:2]
    inputs = (x.unsqueeze(0) + sigma * noise).reshape(m * k, *x.shape[1:])
    conf = torch.softmax(model(inputs), dim=-1)
    return conf.reshape(m, k, *conf.shape[1:]).mean(dim=0)


def _wrong_max(scores: torch.Tensor, y0: torch.Tensor) -> torch.Tensor:
    mask = torch.nn.functional.one_hot(y0, scores.shape[-1]).bool()
    if scores.dim() == 3:
        mask = mask.unsqueeze(1).expand_as(scores)
    return scores.masked_fill(mask, -torch.inf).amax(dim=-1)


def we_objective(g: torch.Tensor, y0: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``max_{y != y0} G_WE^y - G_WE^{y0}`` from member means (K, N, C); > 0 means WE leaves y0."""
    scores = torch.einsum("knc,n->kc", g, weights.to(g.dtype))
    return _wrong_max(scores, y0) - scores.gather(1, y0[:, None])[:, 0]


def mme_objective(g: torch.Tensor, y0: torch.Tensor) -> torch.Tensor:
    """``-(max_j a_j + min_j a_j)``, ``a_j = G_j^{y0} - max_{y != y0} G_j^y`` (Lemma B.1, Eq. 26)."""
    own = g.gather(2, y0[:, None, None].expand(-1, g.shape[1], 1))[..., 0]
    a = own - _wrong_max(g, y0)
    return -(a.amax(dim=1) + a.amin(dim=1))


def soft_objective(model, x: torch.Tensor, y0, *, kind: str, sigma: float, weights,
                   noise: torch.Tensor) -> torch.Tensor:
    """The attacked objective (K,) at points ``x``: :func:`we_objective` or :func:`mme_objective`
    of the members' means over ``noise``."""
    y0 = torch.as_tensor(np.asarray(y0), dtype=torch.long, device=x.device)
    g = soft_member_means(model, x, noise, sigma)
    if kind == "we":
        return we_objective(g, y0, torch.as_tensor(np.asarray(weights, dtype=np.float64), device=x.device))
    return mme_objective(g, y0)


def attack_soft(model, images: torch.Tensor, y0, radii, *, kind: str, sigma: float, weights,
                noise: torch.Tensor, steps: int) -> torch.Tensor:
    """PGD points within ``radii`` (K,) of ``images`` (K, *shape) against the soft WE or MME."""
    radii = torch.as_tensor(np.asarray(radii, dtype=np.float64), dtype=images.dtype,
                            device=images.device)
    return l2_pgd(lambda x: soft_objective(model, x, y0, kind=kind, sigma=sigma, weights=weights,
                                           noise=noise), images, epsilon=radii, steps=steps)


def we_confirmed(diff_lower: np.ndarray) -> bool:
    """The soft WE provably leaves y0: a lower bound on some ``G_WE^y - G_WE^{y0}`` is positive."""
    return bool(np.max(diff_lower) > 0)


def mme_confirmed(d_lower: np.ndarray, d_upper: np.ndarray, y0: int) -> bool:
    """The soft MME provably leaves y0, from bounds on every member's ``G_j^a - G_j^b`` (N, C, C-1).

    Some member i has a class c != y0 provably on top with gap at least ``gap_i`` =
    ``min_b lower(G_i^c - G_i^b)`` > 0, and every member that may still have y0 on top has its gap
    (``<= min_b upper(G_k^{y0} - G_k^b)``) strictly below ``gap_i``: MME then picks a member whose top
    class is not y0, under any tie rule among members.
    """
    n, c, _ = d_lower.shape
    best = -np.inf
    for i in range(n):
        for cls in range(c):
            if cls != y0:
                best = max(best, float(d_lower[i, cls].min()))
    if not best > 0:
        return False
    wrong_idx = fn.wrong_classes(c, y0)
    for k in range(n):
        # some b beats y0 provably in member k: y0 is not its top class
        beats_y0 = any(d_lower[k, b, list(fn.wrong_classes(c, b)).index(y0)] > 0 for b in wrong_idx)
        if not beats_y0 and not d_upper[k, y0].min() < best:
            return False
    return True


def verify_points(model, points: torch.Tensor, indices, y0, *, kind: str, sigma: float, weights,
                  seed: int, num: int, batch_size: int, delta: float) -> list[dict]:
    """Fresh ``VERIFY`` samples at each point: the estimate of the attacked objective and whether
    the point is provably adversarial (each bound at failure probability ``delta``)."""
    confs = member_confidences(model, points, indices, [(VERIFY, num)], sigma=sigma, seed=seed,
                               batch_size=batch_size)
    out = []
    for (conf,), label in zip(confs, np.asarray(y0)):
        n_members, n_classes = conf.shape[1:]
        f = conf.reshape(len(conf), -1)
        if kind == "we":
            rows = -fn.we_margin_rows(np.asarray(weights, dtype=float), n_classes, int(label))
            b = B.scalar_mean_bounds(f @ rows.T, -1.0, 1.0, delta)
            out.append({"estimate": float(b["estimate"].max()), "confirmed": we_confirmed(b["lower"])})
        else:
            rows = fn.member_difference_rows(n_members, n_classes)
            b = B.scalar_mean_bounds(f @ rows.T, -1.0, 1.0, delta)
            shape = (n_members, n_classes, n_classes - 1)
            g = conf.mean(axis=0)
            a = np.array([g[j, label] - np.delete(g[j], label).max() for j in range(n_members)])
            out.append({"estimate": float(-(a.max() + a.min())),
                        "confirmed": mme_confirmed(b["lower"].reshape(shape), b["upper"].reshape(shape),
                                                   int(label))})
    return out


def attack_hard_and_predict(model, images: torch.Tensor, indices, classes, radii, *, protocol: str,
                            sigma: float, weights, seed: int, noise_draws: int, steps: int, n: int,
                            alpha: float, batch_size: int) -> list[dict]:
    """SmoothAdv PGD on the EBS ensemble ``protocol`` ('we' or 'mme') within ``radii`` of each
    image, then :meth:`Smooth.predict` (n samples, level alpha) at the point on the ``PREDICT``
    stream. Returns per image the distance, the prediction and the certified class."""
    base = ProtocolClassifier(model, protocol, weights)
    noise = attack_noise(seed, indices, noise_draws, images.shape[1:], images.device)
    y = torch.as_tensor(np.asarray(classes), dtype=torch.long, device=images.device)

    def objective(x):  # cross-entropy of the smoothed soft surrogate (Salman et al.)
        m, k = noise.shape[:2]
        scores = base((x.unsqueeze(0) + sigma * noise).reshape(m * k, *x.shape[1:]))
        mean = scores.reshape(m, k, -1).mean(dim=0)
        return -mean.gather(1, y[:, None])[:, 0].clamp_min(1e-30).log()

    radii_t = torch.as_tensor(np.asarray(radii, dtype=np.float64), dtype=images.dtype)
    points = l2_pgd(objective, images, epsilon=radii_t, steps=steps)
    smooth = Smooth(base, int(model(images[:1]).shape[-1]), sigma)
    out = []
    for x, x_adv, idx, cls in zip(images, points, indices, np.asarray(classes)):
        pred = smooth.predict(x_adv, n, alpha, batch_size, seed=seed, index=int(idx), phase=PREDICT)
        out.append({"index": int(idx), "certified": int(cls), "predict": int(pred),
                    "distance": float((x_adv - x).norm())})
    return out
