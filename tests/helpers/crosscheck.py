"""A small ensemble whose soft-smoothed confidences are known exactly, for the cross-check's tests.

Member j's logits depend on the input only through ``s_j = u_j . x`` (a unit vector u_j):
``logits = k (a s_j - b_j) + e`` with per-class slopes ``a`` and offsets ``e``. Under noise
``x + sigma eps`` the projection is ``s_j + sigma z`` with z ~ N(0, 1), so every smoothed quantity is
a one-dimensional Gaussian integral, computed here by Gauss-Hermite quadrature:

- ``G_j^c(x) = E softmax(L_j(s_j + sigma z))_c``;
- ``grad G_j^c = u_j dG/ds``, ``dG/ds = E[softmax_c z] / sigma``;
- ``u^T H u = (u_j . u)^2 d2G/ds2``, ``d2G/ds2 = E[softmax_c (z^2 - 1)] / sigma^2``.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.polynomial.hermite_e import hermegauss

_NODES, _WEIGHTS = hermegauss(160)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


class RidgeEnsemble(torch.nn.Module):
    """N members on inputs (B, *shape); logits (B, N, C)."""

    def __init__(self, directions: np.ndarray, offsets, slopes, class_offsets, sharpness: float, shape):
        super().__init__()
        u = np.asarray(directions, dtype=np.float64)
        self.u_np = u / np.linalg.norm(u, axis=1, keepdims=True)
        self.b = np.asarray(offsets, dtype=np.float64)
        self.a = np.asarray(slopes, dtype=np.float64)
        self.e = np.asarray(class_offsets, dtype=np.float64)
        self.k = float(sharpness)
        self.shape = tuple(shape)
        self.register_buffer("u", torch.tensor(self.u_np, dtype=torch.float32))
        self.register_buffer("bt", torch.tensor(self.b, dtype=torch.float32))
        self.register_buffer("at", torch.tensor(self.a, dtype=torch.float32))
        self.register_buffer("et", torch.tensor(self.e, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.reshape(x.shape[0], -1) @ self.u.T                      # (B, N)
        return self.k * (self.at * (s - self.bt)[..., None]) + self.et  # (B, N, C)

    # --- exact smoothed quantities ------------------------------------------------------------
    def _softmax(self, s: np.ndarray) -> np.ndarray:
        logits = self.k * (self.a * (s - self.b[:, None])[..., None]) + self.e
        logits = logits - logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=-1, keepdims=True)

    def projections(self, x: np.ndarray) -> np.ndarray:
        return self.u_np @ np.asarray(x, dtype=np.float64).reshape(-1)

    def smoothed(self, x: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``G`` (N, C), ``dG/ds`` (N, C) and ``d2G/ds2`` (N, C) at x."""
        s = self.projections(x)[:, None] + sigma * _NODES[None, :]     # (N, Q)
        p = self._softmax(s)                                          # (N, Q, C)
        w = _WEIGHTS[None, :, None]
        g = (p * w).sum(axis=1)
        d1 = (p * w * _NODES[None, :, None]).sum(axis=1) / sigma
        d2 = (p * w * (_NODES[None, :, None] ** 2 - 1)).sum(axis=1) / sigma ** 2
        return g, d1, d2

    def gradients(self, x: np.ndarray, sigma: float) -> np.ndarray:
        """Exact ``grad G_j^c`` (N, C, d)."""
        _, d1, _ = self.smoothed(x, sigma)
        return d1[..., None] * self.u_np[:, None, :]


def ridge_ensemble(seed: int = 0, *, members: int = 3, classes: int = 3, shape=(1, 4, 4),
                   sharpness: float = 8.0) -> RidgeEnsemble:
    """Members whose directions are random and whose classes split the line into bands."""
    rng = np.random.default_rng(seed)
    d = int(np.prod(shape))
    slopes = np.linspace(-1.0, 1.0, classes)
    class_offsets = -np.abs(np.linspace(-1.0, 1.0, classes)) * 2.0
    return RidgeEnsemble(rng.standard_normal((members, d)), rng.uniform(-0.2, 0.2, members), slopes,
                         class_offsets, sharpness, shape)
