"""Symbolic proofs for Corollary 1, its remark, the optimal WE weights and Proposition B.1 (App. B.1.2, B.3).

Inequalities under hypotheses are proved by substituting each hypothesis as "bound = value + slack" with a
nonnegative slack symbol and showing the residual is a polynomial with nonnegative coefficients in
nonnegative symbols (:func:`theory.proofs.conditions.nonneg_by_terms`).
"""

from __future__ import annotations

import sympy as sp

from . import ProofResult, proved
from .conditions import _result, nonneg_by_terms

__all__ = [
    "prove_corollary1_step_i",
    "prove_corollary1_step_ii",
    "prove_corollary1_step_iii",
    "prove_corollary1",
    "prove_constant_range",
    "prove_remark_threshold",
    "prove_optimal_weights_one_class",
    "prove_weight_term_concavity",
    "prove_propB1",
]


def _pos(*names: str) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(n, positive=True) for n in names)


def prove_corollary1_step_i() -> ProofResult:
    """Step (i) of Corollary 1's proof: ``||w1 g1 + w2 g2||^2 = w1^2 |g1|^2 + w2^2 |g2|^2 + 2 w1 w2 |g1||g2| cos``
    (law of cosines, in the plane of ``g1, g2``), and ``<= ... cos(theta)`` when ``cos <= cos(theta)``.
    """
    w1, w2, n1, n2, slack = _pos("w1", "w2", "n1", "n2", "slack")
    al, ga = sp.symbols("alpha gamma", real=True)
    g1 = sp.Matrix([n1 * sp.cos(al), n1 * sp.sin(al)])
    g2 = sp.Matrix([n2 * sp.cos(ga), n2 * sp.sin(ga)])
    v = w1 * g1 + w2 * g2
    cos = sp.cos(al - ga)
    law = (v.T * v)[0] - (w1**2 * n1**2 + w2**2 * n2**2 + 2 * w1 * w2 * n1 * n2 * cos)
    bound = (w1**2 * n1**2 + w2**2 * n2**2 + 2 * w1 * w2 * n1 * n2 * (cos + slack)) - (v.T * v)[0]
    checks = {
        "law of cosines": sp.simplify(sp.expand_trig(sp.expand(law))) == 0,
        "cos <= cos(theta) bound": nonneg_by_terms(sp.simplify(sp.expand_trig(sp.expand(bound))), (w1, w2, n1, n2, slack)),
    }
    return _result("Corollary 1, step (i)", checks)


def prove_corollary1_step_ii(cos_floor=0) -> ProofResult:
    """Step (ii) of Corollary 1's proof, with its missing hypothesis ``cos(theta) >= cos_floor = 0``.

    (a) Prop. B.3's necessary condition and the beta hypothesis give ``||grad f_j|| <= f_j / r + beta r <= (1 + Delta) f_j / r``
    (``beta <= Delta f_j / (c^2 r^2)``, ``c >= 1``). (b) Replacing ``a = ||grad f_1||, b = ||grad f_2||`` by these upper
    bounds in ``Q = w1^2 a^2 + w2^2 b^2 + 2 w1 w2 a b cos(theta)`` needs ``Q`` increasing in ``a, b >= 0``:
    ``dQ/da = 2 w1^2 a + 2 w1 w2 b cos(theta)``, nonnegative for ``cos(theta) >= 0`` but not for ``cos(theta) < 0``
    (``cos_floor = -1`` fails: then ``Q(0, B) > Q(A, B)`` is possible, which Corollary 1's counterexample uses).
    """
    f, r, dlt, cc, slack, a, b, w1, w2, u = _pos("f", "r", "Delta", "c", "slack", "a", "b", "w1", "w2", "u")
    c = 1 + cc  # c >= 1 (c = max{R/r, 1})
    beta = dlt * f / (c**2 * r**2) - slack  # beta <= Delta f / (c^2 r^2)
    grad_bound = (1 + dlt) * f / r - (f / r + beta * r)
    cos = cos_floor + u  # cos(theta) >= cos_floor
    dq_da = 2 * w1**2 * a + 2 * w1 * w2 * b * cos
    checks = {
        "(a) ||grad f|| <= (1 + Delta) f / r": nonneg_by_terms(grad_bound, (f, r, dlt, cc, slack)),
        "(b) Q increasing in a": nonneg_by_terms(dq_da, (w1, w2, a, b, u)),
    }
    return _result(f"Corollary 1, step (ii), for cos(theta) >= {cos_floor}", checks)


def prove_corollary1_step_iii() -> ProofResult:
    """Step (iii): ``(p + q)^2 - 2 (1 - cos) p q <= (1 - (1 - cos) C) (p + q)^2`` for ``C <= 2 p q / (p + q)^2``,
    ``p = w1 f_1^{y0/y}``, ``q = w2 f_2^{y0/y}``; the residual is ``(1 - cos)(2 p q - C (p + q)^2) >= 0``.
    """
    p, q, v, slack = _pos("p", "q", "v", "slack")  # v = 1 - cos >= 0
    C = 2 * p * q / (p + q) ** 2 - slack
    residual = (1 - v * C) * (p + q) ** 2 - ((p + q) ** 2 - 2 * v * p * q)
    return ProofResult("Corollary 1, step (iii)", nonneg_by_terms(residual, (p, q, v, slack)),
                       f"residual = {sp.factor(residual)}")


def prove_corollary1(protocol: str = "we", radius_scale=1) -> ProofResult:
    """The end of Corollary 1's proof: with ``K = (1 - Delta)/(1 + Delta) (1 - C (1 - cos))^{-1/2}`` (times
    ``radius_scale``, 1 for the statement),

    ``(1 + Delta)/r sqrt(1 - C (1 - cos)) S = (1 - Delta) S / (K r)`` and ``(1 - Delta) S <= S - k beta K^2 r^2``,

    so Eq. (4) (WE, ``k = W = w1 + w2``, ``S = w1 f_1 + w2 f_2``) or Eq. (12) (MME, ``k = 2``, ``S = f_1 + f_2``) holds at
    radius ``K r``. Hypotheses: ``S >= min(f_1, f_2) k`` (``k = W``: a weighted mean; ``k = 2``: a sum),
    ``beta <= Delta min(f_1, f_2) / (c^2 r^2)``, ``c = max{K, 1} >= K``.
    """
    r, dlt, C, v, m, e, slack, cc, k = _pos("r", "Delta", "C", "v", "m", "e", "slack", "cc", "k")
    if protocol == "we":
        weight = k
    elif protocol == "mme":
        weight = sp.Integer(2)
    else:
        raise ValueError(f"protocol must be 'we' or 'mme', got {protocol!r}")
    inner = 1 - C * v  # 1 - C (1 - cos); positive for the radius to be finite
    K = radius_scale * (1 - dlt) / (1 + dlt) / sp.sqrt(inner)
    S = m * weight + e  # S >= min margin * weight
    identity = (1 + dlt) / r * sp.sqrt(inner) * S - (1 - dlt) * S / (K * r)
    # Hypotheses in slack form, with Kc = K the radius ratio and c = Kc + cc >= K:
    Kc = sp.Symbol("K", positive=True)
    c = Kc + cc
    beta = dlt * m / (c**2 * r**2) - slack
    last = (S - beta * Kc**2 * r**2 * weight) - (1 - dlt) * S
    checks = {
        "norm bound equals (1 - Delta) S / (K r)": sp.simplify(identity) == 0,
        "(1 - Delta) S <= S - k beta K^2 r^2": nonneg_by_terms(last * c**2, (r, dlt, m, e, slack, cc, k, Kc)),
    }
    return _result(f"Corollary 1 ({protocol.upper()}): the sufficient condition holds at radius K r", checks)


def prove_constant_range() -> ProofResult:
    """``C = 2 p q / (p + q)^2`` lies in ``(0, 1/2]``: ``1/2 - C = (p - q)^2 / (2 (p + q)^2)``."""
    p, q = _pos("p", "q")
    return proved("0 < C_WE, C_MME <= 1/2", sp.Rational(1, 2) - 2 * p * q / (p + q) ** 2 - (p - q) ** 2 / (2 * (p + q) ** 2))


def prove_remark_threshold(numerator=4) -> ProofResult:
    """Remark after Corollary 1: ``R > r`` iff ``cos(theta) < T = 1 - numerator Delta / (C (1 + Delta)^2)``, ``numerator = 4``.

    ``((1 - Delta)/(1 + Delta))^2 - (1 - C (1 - cos)) = C (T - cos)``, and ``R / r > 1`` iff the left side is ``> 0``
    (both ``R / r`` and the bracket are positive); at ``cos = T``, ``R = r`` exactly, so the printed ``<=`` is wrong.
    """
    dlt, C = _pos("Delta", "C")
    cos = sp.Symbol("cos", real=True)
    T = 1 - numerator * dlt / (C * (1 + dlt) ** 2)
    identity = ((1 - dlt) / (1 + dlt)) ** 2 - (1 - C * (1 - cos)) - C * (T - cos)
    ratio_at_T = (1 - dlt) / (1 + dlt) / sp.sqrt(1 - C * (1 - T))
    checks = {
        "sign identity": sp.simplify(identity) == 0,
        "R = r at equality (R / r > 0 and (R / r)^2 = 1)": sp.simplify(ratio_at_T**2 - 1) == 0,
    }
    return _result(f"R > r iff cos(theta) < 1 - {numerator} Delta / (C (1 + Delta)^2)", checks)


def prove_optimal_weights_one_class(swap: bool = False) -> ProofResult:
    """With one wrong class, ``w = (k b, k a)`` maximises ``2 w1 w2 a b / (w1 a + w2 b)^2`` with value ``1/2``
    (``1/2 - C = (w1 a - w2 b)^2 / (2 (w1 a + w2 b)^2)``, zero iff ``w1 a = w2 b``). ``swap=True`` tries ``(k a, k b)``.
    """
    a, b, k = _pos("a", "b", "k")
    w1, w2 = (k * a, k * b) if swap else (k * b, k * a)
    return proved("optimal weights (k b, k a) give C_WE = 1/2", 2 * w1 * w2 * a * b / (w1 * a + w2 * b) ** 2 - sp.Rational(1, 2))


def prove_weight_term_concavity(log_transform: bool = True) -> ProofResult:
    """Each term ``2 x / (1 + x)^2``, ``x = e^u`` (``u = s + log(b_y / a_y)``, ``s = log(w2 / w1)``), is log-concave in ``u``:
    ``d^2/du^2 log term = -2 e^u / (1 + e^u)^2 < 0``. The term itself is not concave (``log_transform=False`` fails):
    its second derivative ``2 e^u (1 - 4 e^u + e^{2u}) / (1 + e^u)^4`` is positive for ``e^u > 2 + sqrt 3``.
    So ``min_y`` of the terms is log-concave (unimodal), which is what a scalar search needs.
    """
    u = sp.Symbol("u", real=True)
    term = 2 * sp.exp(u) / (1 + sp.exp(u)) ** 2
    h = sp.log(term) if log_transform else term
    x = sp.Symbol("x", positive=True)  # x = e^u ranges over (0, inf)
    d2x = sp.factor(sp.together(sp.expand(sp.diff(h, u, 2).subs(u, sp.log(x)))))
    holds = nonneg_by_terms(-d2x, (x,))
    witness = d2x.subs(x, 4)  # 4 > 2 + sqrt(3): where the term is convex
    return ProofResult(f"{'log of ' if log_transform else ''}each C_WE term is concave in s", holds,
                       f"second derivative = {d2x}; at e^u = 4: {witness}")


def prove_propB1(colinear: bool = False) -> ProofResult:
    """Proposition B.1: adding Eqs. (16)-(17) and the strict triangle inequality
    ``(|a| + |b|)^2 - |a + b|^2 = 2 |a| |b| (1 - cos) > 0`` (``cos < 1``: nonzero, not positively colinear) make Eq. (4)
    strict for the union, and a strict Eq. (4) at ``r`` gives a larger certified radius: with
    ``q(r) = A r^2 + G r - S``, ``q(r*) - q(r) = (r* - r)(A (r* + r) + G)``, so ``q(r) < 0 = q(r*)`` forces ``r* > r``.
    ``colinear=True`` (``cos = 1``) loses the strictness.
    """
    n1, n2, A, G, S, r, rs, v = _pos("n1", "n2", "A", "G", "S", "r", "rstar", "v")
    cos = 1 if colinear else 1 - v
    gap = (n1 + n2) ** 2 - (n1**2 + n2**2 + 2 * n1 * n2 * cos)
    q = lambda t: A * t**2 + G * t - S  # noqa: E731
    checks = {
        "triangle gap is 2 |a||b| (1 - cos)": sp.simplify(gap - 2 * n1 * n2 * (1 - cos)) == 0,
        "triangle gap strictly positive": bool(sp.simplify(gap).is_positive),
        "q(r*) - q(r) factors": sp.simplify(q(rs) - q(r) - (rs - r) * (A * (rs + r) + G)) == 0,
    }
    return _result("Proposition B.1: the union satisfies Eq. (4) strictly, so r' > r is certified", checks)
