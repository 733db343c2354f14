"""Symbolic proofs for the smoothing strategies: Theorem 5 (corrected) and Corollary 4."""

from __future__ import annotations

import sympy as sp

from theory.proofs import ProofResult, proved

__all__ = [
    "prove_thm5_corrected",
    "prove_cor4_threshold",
    "prove_cor4_part1_step",
    "prove_cor4_part2_step",
    "prove_phi_inverse_convex",
]


def prove_thm5_corrected(factor=sp.Rational(1, 2)) -> ProofResult:
    """Theorem 5 (corrected), the final step. With ``R = r_max`` (best member's
    ``sigma Phi^{-1}(p(y0))``) and ``m = r_min``, at ``|delta| = s`` the best member keeps
    ``Phi^{-1}(p(y0)) >= (R - s)/sigma`` and every wrong class of every member has
    ``Phi^{-1} <= (s - m)/sigma``. Claim: for all ``s < factor (R + m)`` with ``R + m > 0``,
    ``(R - s) - (s - m) > 0``.

    Write ``s = factor (R + m) - e`` with ``e > 0``: the gap is ``(1 - 2 factor)(R + m) + 2 e``,
    which is positive for every ``R + m > 0``, ``e > 0`` iff ``factor <= 1/2``; its infimum over
    ``e -> 0`` is ``(1 - 2 factor)(R + m)``, checked nonnegative with ``R + m`` a positive symbol.
    """
    total, e = sp.symbols("S e", positive=True)  # S = R + m > 0
    r_max = sp.Symbol("R", real=True)
    r_min = total - r_max
    s = factor * total - e
    gap = sp.expand((r_max - s) - (s - r_min))
    infimum = gap.subs(e, 0)
    holds = bool(gap.is_positive) and bool(infimum.is_nonnegative)
    return ProofResult("(R - s) > (s - m) for all 0 <= s < factor (R + m)", holds, f"gap = {gap}")


def prove_cor4_threshold(half=sp.Rational(1, 2), two=2, four=4) -> ProofResult:
    """Corollary 4, part 1: ``1/2 + (2 + 4 (p_b - p_ab)/delta)^{-1} = (p_a - p_ab)/(p_a + p_b - 2 p_ab)``
    with ``p_a = p_b + delta``, ``delta > 0``."""
    p_b, p_ab, delta = sp.symbols("p_b p_ab delta", positive=True)
    p_a = p_b + delta
    printed = half + 1 / (two + four * (p_b - p_ab) / delta)
    return proved("printed threshold = (p_a - p_ab)/(p_a + p_b - 2 p_ab)",
                  sp.together(printed - (p_a - p_ab) / (p_a + p_b - 2 * p_ab)))


def prove_cor4_part1_step() -> ProofResult:
    """Corollary 4, part 1: ``p_ab + p D - p_a = D (p - T)`` with ``D = p_a + p_b - 2 p_ab > 0`` and
    ``T = (p_a - p_ab)/D``; so ``p > T`` gives ``P(EBS = y0) > p_a``, ``r_G > sigma Phi^{-1}(p_a) >= r_H``."""
    p_a, p_b, p_ab, p = sp.symbols("p_a p_b p_ab p", positive=True)
    d = p_a + p_b - 2 * p_ab
    return proved("p_ab + p D - p_a = D (p - T)", p_ab + p * d - p_a - d * (p - (p_a - p_ab) / d))


def prove_cor4_part2_step(half=sp.Rational(1, 2)) -> ProofResult:
    """Corollary 4, part 2: ``(p_a + p_b)/2 - (p_ab + p D) = D (1/2 - p)``, nonnegative for
    ``p <= 1/2``: ``P(EBS = y0) <= (p_a + p_b)/2``."""
    p_a, p_b, p_ab = sp.symbols("p_a p_b p_ab", positive=True)
    slack = sp.Symbol("slack", nonnegative=True)  # p = half - slack
    d = p_a + p_b - 2 * p_ab
    residual = sp.expand((p_a + p_b) / 2 - (p_ab + (half - slack) * d) - d * slack)
    return proved("(p_a + p_b)/2 - P(EBS = y0) = D (1/2 - p)", residual)


def prove_phi_inverse_convex(left_end=sp.Rational(1, 2)) -> ProofResult:
    """Corollary 4, part 2: ``Phi^{-1}`` is convex on ``[left_end, 1)`` iff ``left_end >= 1/2``.

    ``(Phi^{-1})''(p) = y/phi(y)^2 = 2 pi y exp(y^2)`` with ``y = Phi^{-1}(p)``, which has the sign of
    ``y``, i.e. is ``>= 0`` exactly for ``p >= 1/2``. Jensen then gives
    ``Phi^{-1}(p_a) + Phi^{-1}(p_b) >= 2 Phi^{-1}((p_a + p_b)/2)``.
    """
    p = sp.Symbol("p", positive=True)
    y = sp.sqrt(2) * sp.erfinv(2 * p - 1)
    second = sp.diff(y, p, 2)
    closed = 2 * sp.pi * y * sp.exp(y**2)
    identity = sp.simplify(second - closed) == 0
    # sign: y >= 0 iff erfinv(2p - 1) >= 0 iff p >= 1/2; on the left end y takes the value below
    y_left = sp.sqrt(2) * sp.erfinv(2 * left_end - 1)
    w = sp.Symbol("w", nonnegative=True)  # y on [1/2, 1)
    nonneg = bool((2 * sp.pi * w * sp.exp(w**2)).is_nonnegative)
    holds = identity and nonneg and bool(sp.simplify(y_left).is_nonnegative)
    return ProofResult("Phi^-1 convex on [left_end, 1)", holds, f"(Phi^-1)'' = {closed}")
