"""Checks of the identities behind the DRT regulariser (Section 3, Appendix E) on random instances.

Statements (ledger ids): the law of cosines behind the GD loss (``gd-cosine``) and the pairwise sum of
squared GD losses (``gd-pairwise``). Both are proved symbolically in :mod:`theory.proofs.drt`; the checks
evaluate :mod:`theory.drt` on random vectors against a direct computation (exact up to floating point, so the
false-alarm probability is 0).
"""

from __future__ import annotations

import numpy as np

from drt_min.seeding import numpy_stream
from theory import drt

from . import Check, CheckOutcome, Profile
from ._common import mutation

__all__ = ["CHECKS"]


def _pairwise_gd(profile: Profile, seed: int, coefficient_shift: int = 0) -> CheckOutcome:
    """``sum_{i<j} ||g_i + g_j||^2 = (N - 2) sum_i ||g_i||^2 + ||sum_i g_i||^2`` for N = 2-10 random gradients."""
    rng = numpy_stream(seed, "drt:pairwise-gd")
    worst = 0.0
    count = 0
    for n in range(2, 11):
        g = rng.normal(size=(profile.instances, n, 7)) * rng.uniform(0.01, 10, size=(profile.instances, 1, 1))
        lhs, _ = drt.pairwise_gd_squared_identity(g)
        rhs = (n - 2 + coefficient_shift) * np.sum(g**2, axis=(-2, -1)) + np.sum(g.sum(axis=-2) ** 2, axis=-1)
        worst = max(worst, float(np.max(np.abs(lhs - rhs) / (1 + np.abs(lhs)))))
        count += profile.instances
    return CheckOutcome(worst < 1e-9, count, 0.0, f"largest relative residual {worst:.2e} over N = 2..10")


def _gd_cosine(profile: Profile, seed: int, cross: float = 2.0) -> CheckOutcome:
    """``||a + b|| = sqrt(||a||^2 + ||b||^2 + 2 ||a|| ||b|| cos)``, and the GD loss increases with the cosine."""
    rng = numpy_stream(seed, "drt:gd-cosine")
    a, b = rng.normal(size=(2, profile.samples, 5))
    na, nb = np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1)
    cos = np.sum(a * b, axis=-1) / (na * nb)
    direct = np.linalg.norm(a + b, axis=-1)
    formula = np.sqrt(np.maximum(na**2 + nb**2 + cross * na * nb * cos, 0.0))
    err = float(np.max(np.abs(direct - formula) / (1 + direct)))
    # monotone in the cosine at fixed norms: a finer cosine grid never decreases the loss
    grid = drt.gd_cosine_form(na[:, None], nb[:, None], np.linspace(-1, 1, 21)[None, :])
    monotone = bool(np.all(np.diff(grid, axis=-1) >= -1e-12))
    return CheckOutcome(err < 1e-9 and monotone, profile.samples, 0.0,
                        f"largest relative error {err:.2e}; monotone in cos: {monotone}")


CHECKS = [
    Check("gd-pairwise", "pairwise_vs_summed_gd", "direct sums over pairs of random gradient vectors",
          "(not in the paper)", "sum_{i<j} ||g_i+g_j||^2 = (N-2) sum ||g_i||^2 + ||sum g_i||^2", _pairwise_gd,
          (mutation("coefficient N-1", _pairwise_gd, coefficient_shift=1),)),
    Check("gd-cosine", "law_of_cosines_gd", "||a+b|| computed directly on random vectors",
          "||a+b|| = sqrt(||a||^2+||b||^2+2||a||||b|| cos)", "same; increasing in cos", _gd_cosine,
          (mutation("cross term coefficient 1", _gd_cosine, cross=1.0),)),
]
