"""Symbolic proofs for the DRT objective (Section 2.2 'Diversified Gradients', Section 3, Appendix E)."""

from __future__ import annotations

import itertools

import sympy as sp

from . import ProofResult, proved

__all__ = ["prove_law_of_cosines", "prove_gd_increasing_in_cosine", "prove_pairwise_gd_identity"]


def _vectors(count: int, dim: int) -> list[sp.Matrix]:
    return [sp.Matrix(sp.symbols(f"g{i}_0:{dim}", real=True)) for i in range(count)]


def prove_law_of_cosines(cross_coefficient=sp.Integer(2), dim: int = 3) -> ProofResult:
    """``||a + b||^2 = ||a||^2 + ||b||^2 + 2 <a, b>`` for symbolic vectors in R^dim (Section 2.2).

    With ``<a, b> = ||a|| ||b|| cos<a, b>`` this is the paper's law of cosines for the GD loss.
    """
    a, b = _vectors(2, dim)
    residual = (a + b).dot(a + b) - (a.dot(a) + b.dot(b) + cross_coefficient * a.dot(b))
    return proved(f"||a+b||^2 = ||a||^2 + ||b||^2 + {cross_coefficient}<a,b> in R^{dim}", residual)


def prove_gd_increasing_in_cosine(cross_coefficient=sp.Integer(2)) -> ProofResult:
    """For fixed norms ``A, B > 0``, ``sqrt(A^2 + B^2 + k A B c)`` is strictly increasing in ``c``.

    The derivative is ``k A B / (2 sqrt(...))``, positive exactly when ``k > 0``: minimising the GD loss
    (Eq. 9) at fixed gradient norms lowers the cosine similarity.
    """
    A, B = sp.symbols("A B", positive=True)
    c = sp.Symbol("c", real=True)
    loss = sp.sqrt(A**2 + B**2 + cross_coefficient * A * B * c)
    derivative = sp.simplify(sp.diff(loss, c) * 2 * loss)  # sign of d loss/dc, loss > 0 on the domain
    holds = bool(sp.ask(sp.Q.positive(derivative), sp.Q.positive(A) & sp.Q.positive(B)))
    return ProofResult(
        claim=f"d/dc sqrt(A^2 + B^2 + {cross_coefficient} A B c) > 0 for A, B > 0",
        holds=holds,
        detail=f"2 loss * d loss/dc = {derivative}",
    )


def prove_pairwise_gd_identity(num_members: int = 4, magnitude_coefficient=None, dim: int = 2) -> ProofResult:
    """``sum_{i<j} ||g_i + g_j||^2 = (N - 2) sum_i ||g_i||^2 + ||sum_i g_i||^2`` (beyond the paper).

    Relates the squared pairwise GD loss (Eq. 9, all pairs valid) to the squared summed loss (Eq. 54).
    ``magnitude_coefficient`` defaults to ``N - 2``.
    """
    n = num_members
    coefficient = sp.Integer(n - 2) if magnitude_coefficient is None else sp.sympify(magnitude_coefficient)
    g = _vectors(n, dim)
    lhs = sum(((g[i] + g[j]).dot(g[i] + g[j]) for i, j in itertools.combinations(range(n), 2)), sp.Integer(0))
    total = sum(g[1:], g[0])
    rhs = coefficient * sum((v.dot(v) for v in g), sp.Integer(0)) + total.dot(total)
    return proved(f"pairwise GD^2 = ({coefficient}) sum ||g_i||^2 + ||sum g_i||^2 for N = {n}", sp.expand(lhs - rhs))
