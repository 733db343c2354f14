"""Symbolic (sympy) proofs of the algebraic and calculus steps of the paper.

Every proof is a function that returns a :class:`ProofResult`. Its keyword arguments are the
constants of the statement, defaulting to the reconstructed (true) values, so that a test can
pass a perturbed constant and check that the same proof then fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = ["ProofResult", "assert_no_integral", "is_zero", "proved"]


@dataclass(frozen=True)
class ProofResult:
    """Outcome of a symbolic proof: the claim, whether it holds, and the simplified residual."""

    claim: str
    holds: bool
    detail: str = ""

    def __bool__(self) -> bool:  # lets `assert prove_x()` read naturally
        return self.holds


def assert_no_integral(expr: sp.Expr) -> sp.Expr:
    """Refuse a result that still holds an unevaluated integral: it would prove nothing."""
    if isinstance(expr, sp.Basic) and expr.has(sp.Integral):
        raise AssertionError(f"sympy left an unevaluated integral: {expr}")
    return expr


def is_zero(expr: sp.Expr) -> bool:
    """True when ``expr`` simplifies to exactly zero."""
    expr = assert_no_integral(sp.sympify(expr))
    return sp.simplify(expr) == 0


def proved(claim: str, residual: sp.Expr) -> ProofResult:
    """A proof of an identity: it holds when the residual simplifies to zero."""
    residual = assert_no_integral(sp.sympify(residual))
    simplified = sp.simplify(residual)
    return ProofResult(claim=claim, holds=simplified == 0, detail=f"residual = {simplified}")
