"""Randomized checks of the algebraic statements: Lemma D.4's equivalence and the GD-loss identities.

These statements are proved symbolically in :mod:`theory.proofs`; the checks evaluate them on random
instances against a direct computation (exact up to floating point, so the false-alarm probability is 0;
instances within 1e-9 of the threshold are skipped as undecidable in floating point).
"""

from __future__ import annotations

import numpy as np

from theory import drt
from theory import statistical as st

from . import Check, CheckOutcome, Mutation, Profile

__all__ = ["CHECKS"]


def _lemma_d4(profile: Profile, seed: int, c_scale: float = 1.0) -> CheckOutcome:
    """Eq. (46): ratio < C iff lam1/lam2 < threshold(C), on random (mu, lam1, lam2, C) with C up to 3."""
    rng = np.random.default_rng(seed)
    n = profile.samples
    lam1, lam2 = np.exp(rng.uniform(-4, 2, size=(2, n)))
    lo = np.maximum(st.confidence_level(lam1), st.confidence_level(lam2))
    mu = rng.uniform(lo, 1.0)
    c = np.exp(rng.uniform(np.log(0.05), np.log(3.0), size=n))
    left = st.lemma_d4_ratio(mu, lam1, lam2) - c
    right = lam1 / lam2 - st.lemma_d4_threshold(mu, lam2, c * c_scale)
    decided = (np.abs(left) > 1e-9) & (np.abs(right) > 1e-9)
    agree = np.sign(left[decided]) == np.sign(right[decided])
    return CheckOutcome(bool(agree.all()), int(decided.sum()), 0.0,
                        f"{int((~agree).sum())} disagreements among {int(decided.sum())} decided instances "
                        f"(C > 1 in {int((c[decided] > 1).sum())})")


def _pairwise_gd(profile: Profile, seed: int, coefficient_shift: int = 0) -> CheckOutcome:
    rng = np.random.default_rng(seed)
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
    rng = np.random.default_rng(seed)
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
    Check("lemD4", "lemma_d4_equivalence", "direct evaluation of both sides of Eq. (46)",
          "ratio < C iff lam1/lam2 < threshold, for C < 1",
          "holds for every C > 0 (C < 1 is not needed)", _lemma_d4,
          (Mutation("threshold with C doubled", lambda p, s: _lemma_d4(p, s, c_scale=2.0)),)),
    Check("gd-pairwise", "pairwise_vs_summed_gd", "direct sums over pairs of random gradient vectors",
          "(not in the paper)", "sum_{i<j} ||g_i+g_j||^2 = (N-2) sum ||g_i||^2 + ||sum g_i||^2", _pairwise_gd,
          (Mutation("coefficient N-1", lambda p, s: _pairwise_gd(p, s, coefficient_shift=1)),)),
    Check("gd-cosine", "law_of_cosines_gd", "||a+b|| computed directly on random vectors",
          "||a+b|| = sqrt(||a||^2+||b||^2+2||a||||b|| cos)", "same; increasing in cos", _gd_cosine,
          (Mutation("cross term coefficient 1", lambda p, s: _gd_cosine(p, s, cross=1.0)),)),
]
