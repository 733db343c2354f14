"""Synthetic ensembles and a plain reference certifier for the tests of drt_min's certifier.

The reference works one image, one protocol and one sample at a time, straight from the
definitions (Definitions 2, 3, 6; Algorithm CERTIFY of Cohen et al.), on the same seeded noise as
:func:`drt_min.certify.certify_dataset`; the batched certifier must reproduce it exactly. It takes
the package's one Clopper-Pearson bound (:func:`theory.smoothing.clopper_pearson_lower`), which is
itself checked against :func:`clopper_pearson_reference`, the bound found from its definition.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import brentq
from scipy.stats import binom, norm
from torch import nn

from drt_min.ensemble import StackedEnsemble
from drt_min.smoothing import ESTIMATION, SELECTION, iter_noise_blocks, noise_segment
from theory.smoothing import clopper_pearson_lower
from theory.strategies import eas_certified_radius

__all__ = [
    "tiny_members",
    "tiny_ensemble",
    "ThresholdEnsemble",
    "definition_vote",
    "reference_certificates",
    "clopper_pearson_reference",
]


def tiny_members(num_members=3, num_classes=4, input_shape=(1, 6, 6), seed=0,
                 dtype=torch.float64, hidden=16) -> list[nn.Module]:
    """Small random MLP classifiers (B, *input_shape) -> (B, num_classes) sharing an architecture."""
    gen = torch.Generator().manual_seed(seed)
    d = int(np.prod(input_shape))
    members = []
    for _ in range(num_members):
        m = nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * 1.5)
        members.append(m.to(dtype).eval())
    return members


def tiny_ensemble(**kw):
    return StackedEnsemble(tiny_members(**kw)).eval()


class ThresholdEnsemble(nn.Module):
    """N linear two-class members on the first input coordinate: member i has logits
    (0, scale * (x_0 + b_i)), so it predicts class 1 iff x_0 + b_i > 0.

    Smoothed with N(0, sigma^2 I), member i gives class 1 probability Phi((x_0 + b_i) / sigma);
    the single member's smoothed classifier has exact radius |x_0 + b_i|, and the EAS ensemble
    (Definition 6) switches class exactly at x_0 = -(max b + min b) / 2.
    """

    def __init__(self, offsets, scale=50.0, dtype=torch.float64):
        super().__init__()
        self.register_buffer("b", torch.as_tensor(offsets, dtype=dtype))
        self.scale = scale

    def forward(self, x):
        z = x.flatten(1)[:, :1] + self.b                                 # (B, N)
        return torch.stack([torch.zeros_like(z), self.scale * z], dim=-1)  # (B, N, 2)


def definition_vote(conf: np.ndarray, protocol: str, weights: np.ndarray) -> int:
    """One sample's prediction from member confidences (N, C), written from the definitions."""
    n_members, n_classes = conf.shape

    def first_argmax(values):
        best = 0
        for j in range(1, len(values)):
            if values[j] > values[best]:
                best = j
        return best

    if protocol == "we":
        return first_argmax([sum(weights[i] * conf[i, c] for i in range(n_members))
                             for c in range(n_classes)])
    if protocol == "mme":
        margins = []
        for i in range(n_members):
            ordered = sorted(conf[i], reverse=True)
            margins.append(ordered[0] - ordered[1])
        return first_argmax(conf[first_argmax(margins)])
    return first_argmax(conf[int(protocol[len("member"):])])


def clopper_pearson_reference(k: int, n: int, alpha: float) -> float:
    """The exact one-sided lower bound from its definition: the p at which observing k or more
    successes has probability alpha, ``P(Binomial(n, p) >= k) = alpha`` (root found by brentq)."""
    if k == 0:
        return 0.0
    if k == n:
        return alpha ** (1.0 / n)  # P(all n) = p^n = alpha
    return brentq(lambda p: binom.sf(k - 1, n, p) - alpha, 0.0, 1.0, xtol=1e-15, rtol=1e-15)


def _counts(model, x, idx, phase, num, *, sigma, seed, batch_size, protocol, weights, num_classes):
    counts = np.zeros(num_classes, dtype=np.int64)
    per_member = None
    for block, count in iter_noise_blocks(num):
        noise = noise_segment(seed, idx, phase, block, count, x.shape, device=x.device, dtype=x.dtype)
        for s in range(0, count, batch_size):
            with torch.no_grad():
                logits = model(torch.add(x, noise[s:s + batch_size], alpha=sigma))
            conf = torch.softmax(logits, dim=-1).cpu().numpy()
            if per_member is None:
                per_member = np.zeros(conf.shape[1:], dtype=np.int64)
            for row in conf:
                if protocol == "eas":
                    for i in range(row.shape[0]):
                        per_member[i, definition_vote(row, f"member{i}", weights)] += 1
                else:
                    counts[definition_vote(row, protocol, weights)] += 1
    return per_member if protocol == "eas" else counts


def reference_certificates(model, images, indices, *, protocols, sigma, n0, n, alpha, batch_size,
                           seed, weights=None):
    """{protocol: [(prediction, radius), ...]} for the given images, one at a time."""
    out = {p: [] for p in protocols}
    for idx in indices:
        x = images[idx]
        with torch.no_grad():
            n_members, n_classes = model(x[None]).shape[1:]
        w = np.full(n_members, 1.0 / n_members) if weights is None else np.asarray(weights) / np.sum(weights)
        for protocol in protocols:
            kw = dict(sigma=sigma, seed=seed, batch_size=batch_size, protocol=protocol, weights=w,
                      num_classes=n_classes)
            c0 = _counts(model, x, idx, SELECTION, n0, **kw)
            c1 = _counts(model, x, idx, ESTIMATION, n, **kw)
            if protocol == "eas":
                tops = [int(np.argmax(c0[i])) for i in range(n_members)]
                decider = int(np.argmax([c0[i, tops[i]] for i in range(n_members)]))
                y0 = tops[decider]
                p = np.array([float(clopper_pearson_lower(int(c1[i, y0]), n, alpha / n_members))
                              for i in range(n_members)])
                r = -np.inf if np.any(p == 0) else float(eas_certified_radius(p, sigma))
                out[protocol].append((y0, r) if r > 0 else (-1, 0.0))
            else:
                cA = int(np.argmax(c0))
                pA_bar = float(clopper_pearson_lower(int(c1[cA]), n, alpha))
                out[protocol].append((cA, sigma * float(norm.ppf(pA_bar))) if pA_bar >= 0.5
                                     else (-1, 0.0))
    return out
