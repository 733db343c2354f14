"""Symbolic proofs for the robustness conditions (Definition 4, Theorems 1 and 3, Prop. B.3, Eq. 6).

The Taylor steps are proved in one dimension along the segment from ``x0`` (the ``d``-dimensional statement
reduces to it: ``f(x0 + t u)`` for a unit ``u`` has second derivative ``u^T H u``, bounded by the smoothness
constant, and first derivative ``grad f . u >= -||grad f||``). Inequalities are proved by writing the residual
as a polynomial in nonnegative symbols with nonnegative coefficients (:func:`nonneg_by_terms`), or by a
sign split at the root of an ``Abs``; none by sampling.
"""

from __future__ import annotations

import sympy as sp

from . import ProofResult, assert_no_integral, proved

__all__ = [
    "nonneg_by_terms",
    "prove_margin_smoothness",
    "prove_lagrange_bounds",
    "prove_theorem1",
    "prove_theorem3",
    "prove_propB3",
    "prove_largest_radius",
    "prove_eri_equivalence",
    "prove_max_min_as_pair_minimax",
    "prove_mme_partner_condition",
]


def nonneg_by_terms(expr: sp.Expr, nonneg: tuple[sp.Symbol, ...]) -> bool:
    """True when ``expr`` is a ratio of polynomials in the nonnegative ``nonneg`` symbols whose expanded
    numerator and denominator have only nonnegative coefficients (denominator nonzero): then ``expr >= 0``.
    """
    expr = assert_no_integral(sp.together(sp.sympify(expr)))
    num, den = sp.fraction(expr)
    for part in (sp.expand(num), sp.expand(den)):
        if part == 0:
            continue
        if not part.free_symbols <= set(nonneg):
            return False
        try:
            coeffs = sp.Poly(part, *nonneg).coeffs()
        except sp.PolynomialError:
            return False
        if any(c < 0 for c in coeffs):
            return False
    return sp.expand(den) != 0


def _result(claim: str, checks: dict[str, bool]) -> ProofResult:
    failed = [name for name, ok in checks.items() if not ok]
    return ProofResult(claim=claim, holds=not failed, detail="failed: " + ", ".join(failed) if failed else "all steps hold")


def prove_margin_smoothness(constant=2) -> ProofResult:
    """Definition 4 / proof of Theorem 1: if ``|f_{y0}''|, |f_y''| <= beta`` then ``|(f_{y0} - f_y)''| <= constant beta``,
    with ``constant = 2`` the best constant.

    ``|u - v|`` is convex, so its maximum over the box ``[-beta, beta]^2`` is at a vertex; the maximum is ``2 beta``.
    """
    beta = sp.Symbol("beta", positive=True)
    vertices = [(su * beta, sv * beta) for su in (-1, 1) for sv in (-1, 1)]
    worst = sp.Max(*[sp.Abs(u - v) for u, v in vertices])
    return proved(f"the margin of beta-smooth components is {constant} beta-smooth (tight)", worst - constant * beta)


def prove_lagrange_bounds(curvature=2, remainder=1) -> ProofResult:
    """Lagrange remainder in 1-D: for ``|f''| <= curvature * beta`` (``curvature = 2`` for a margin),

    ``f(x0) - r |f'(x0)| - remainder beta r^2 <= min_{|t| <= r} f(x0 + t) <= f(x0) - r |f'(x0)| + remainder beta r^2``,

    with ``remainder = curvature / 2``, attained by the quadratic ``f(x0) + f' t - curvature beta t^2 / 2``.
    Steps: the remainder ``f''(xi) t^2 / 2`` with ``f''(xi) = -curvature beta + u``, ``0 <= u <= 2 curvature beta``,
    gives the lower quadratic; it is concave, so its minimum over ``[-r, r]`` is at an endpoint; ``Abs`` is split
    at its root (``f' >= 0`` and ``f' < 0``). The upper bound evaluates the upper quadratic at ``t = -r sign(f')``.
    """
    S, t = sp.symbols("S t", real=True)
    beta, r, u, p = (sp.Symbol(n, positive=True) for n in ("beta", "r", "u", "p"))
    L = curvature * beta
    checks: dict[str, bool] = {}
    for label, g in (("f' >= 0", p), ("f' < 0", -p)):
        taylor = S + g * t + (-L + u) * t**2 / 2  # exact value for some u in [0, 2L] (Lagrange form)
        lower_q = S + g * t - L * t**2 / 2
        checks[f"lower quadratic below f ({label})"] = sp.simplify(taylor - lower_q).is_nonnegative is True
        checks[f"lower quadratic concave ({label})"] = bool(sp.diff(lower_q, t, 2).is_nonpositive)
        ends = [lower_q.subs(t, r), lower_q.subs(t, -r)]
        worst_end = ends[1] if label == "f' >= 0" else ends[0]
        checks[f"worst endpoint is -r sign(f') ({label})"] = nonneg_by_terms(sp.expand(sum(ends) - 2 * worst_end), (p, r))
        claimed_low = S - r * sp.Abs(g) - remainder * beta * r**2
        checks[f"lower bound is sharp ({label})"] = sp.simplify(worst_end - claimed_low) == 0
        upper_q = S + g * t + L * t**2 / 2
        taylor_up = S + g * t + (L - u) * t**2 / 2  # f''(xi) = L - u, u in [0, 2L]
        checks[f"upper quadratic above f ({label})"] = sp.simplify(upper_q - taylor_up).is_nonnegative is True
        claimed_up = S - r * sp.Abs(g) + remainder * beta * r**2
        at = upper_q.subs(t, -r if label == "f' >= 0" else r)
        checks[f"upper bound ({label})"] = sp.simplify(at - claimed_up) == 0
    return _result(f"min over |t| <= r of f is within f - r|f'| -/+ {remainder} beta r^2 when |f''| <= {curvature} beta", checks)


def _condition_equivalence(S, G, r, remainder_term, condition_term) -> bool:
    """``S - r G - a r^2 >= 0`` iff ``G <= S / r - b r`` when ``a = b``: the slacks differ by the factor ``r > 0``."""
    return sp.simplify((S - r * G - remainder_term * r**2) / r - (S / r - condition_term * r - G)) == 0


def prove_theorem1(remainder=1, eq4_coefficient=1) -> ProofResult:
    """Theorem 1: ``sum_j w_j f_j^{y0/y}`` is ``2 beta W``-smooth (``W = sum w``), so the Lagrange bound gives
    ``min_ball >= S - r G - remainder beta W r^2`` (sharp for ``remainder = 1``), and ``>= 0`` iff Eq. (4)
    ``G <= S / r - beta r W`` (``eq4_coefficient = 1``); the upper bound gives Eq. (5) the same way.
    """
    S, G = sp.symbols("S G", real=True)
    beta, r, W = (sp.Symbol(n, positive=True) for n in ("beta", "r", "W"))
    lagrange = prove_lagrange_bounds(curvature=2 * W, remainder=remainder * W)
    checks = {
        "Lagrange bound with curvature 2 beta W": lagrange.holds,
        "Eq. (4) equivalent to the lower bound >= 0": _condition_equivalence(S, G, r, remainder * beta * W, eq4_coefficient * beta * W),
        "Eq. (5) equivalent to the upper bound >= 0": sp.simplify(
            (S - r * G + remainder * beta * W * r**2) / r - (S / r + eq4_coefficient * beta * W * r - G)) == 0,
    }
    return _result("Theorem 1, Eqs. (4)-(5): G <= S/r -/+ beta r sum w", checks)


def prove_theorem3(remainder=2, eq12_coefficient=2) -> ProofResult:
    """Theorem 3: ``f_1^{y0/y1} + f_2^{y0/y2}`` is ``4 beta``-smooth, so the remainder is ``2 beta r^2`` and Eq. (12)
    reads ``G <= S / r - 2 beta r`` (Eq. (13) with ``+``).
    """
    S, G = sp.symbols("S G", real=True)
    beta, r = (sp.Symbol(n, positive=True) for n in ("beta", "r"))
    checks = {
        "sum of two margins is 4 beta-smooth": prove_margin_smoothness(2).holds,
        "Lagrange bound with curvature 4 beta": prove_lagrange_bounds(curvature=4, remainder=remainder).holds,
        "Eq. (12) equivalent to the lower bound >= 0": _condition_equivalence(S, G, r, remainder * beta, eq12_coefficient * beta),
    }
    return _result("Theorem 3, Eqs. (12)-(13): G <= S/r -/+ 2 beta r", checks)


def prove_propB3(remainder=1, eq31_coefficient=1) -> ProofResult:
    """Proposition B.3: a single margin is ``2 beta``-smooth, remainder ``beta r^2``, Eq. (31) ``G <= S/r - beta r``."""
    S, G = sp.symbols("S G", real=True)
    beta, r = (sp.Symbol(n, positive=True) for n in ("beta", "r"))
    checks = {
        "Lagrange bound with curvature 2 beta": prove_lagrange_bounds(curvature=2, remainder=remainder).holds,
        "Eq. (31) equivalent to the lower bound >= 0": _condition_equivalence(S, G, r, remainder * beta, eq31_coefficient * beta),
    }
    return _result("Proposition B.3, Eqs. (31)-(32): G <= S/r -/+ beta r", checks)


def prove_largest_radius(numerator=2) -> ProofResult:
    """The largest radius of a sufficient condition ``a r^2 + G r - S <= 0`` (``a, G >= 0``, ``S > 0``) is
    ``r* = numerator S / (G + sqrt(G^2 + 4 a S))`` with ``numerator = 2``: ``r*`` is a root, and the quadratic
    increases on ``r > 0`` (derivative ``2 a r + G >= 0``), so the condition holds exactly on ``(0, r*]``.
    """
    a, G, S, r = (sp.Symbol(n, positive=True) for n in ("a", "G", "S", "r"))
    root = numerator * S / (G + sp.sqrt(G**2 + 4 * a * S))
    q = a * root**2 + G * root - S
    # rationalise: 2S / (G + sqrt(D)) = (sqrt(D) - G) / (2a)
    checks = {
        "r* is a root": sp.simplify(sp.radsimp(q)) == 0,
        "the quadratic increases for r > 0": nonneg_by_terms(sp.diff(a * r**2 + G * r - S, r), (a, G, r)),
    }
    return _result(f"largest certified radius = {numerator} S / (G + sqrt(G^2 + 4 a S))", checks)


def prove_eri_equivalence(threshold=1) -> ProofResult:
    """Eq. (6): Eq. (4) for class ``y`` is ``I_y <= -beta r`` and Eq. (5) is ``I_y <= beta r`` (``threshold = 1``).

    ``I_y + threshold beta r = (G - S/r + threshold beta r W) / W`` with ``W = ||w||_1 > 0``, so the sign of each
    side is the sign of the slack of Eq. (4) (resp. (5)).
    """
    S, G = sp.symbols("S G", real=True)
    beta, r, W = (sp.Symbol(n, positive=True) for n in ("beta", "r", "W"))
    I = G / W - S / (r * W)
    checks = {
        "Eq. (4) <-> I <= -beta r": sp.simplify((I + threshold * beta * r) - (G - (S / r - beta * r * W)) / W) == 0,
        "Eq. (5) <-> I <= beta r": sp.simplify((I - threshold * beta * r) - (G - (S / r + beta * r * W)) / W) == 0,
    }
    return _result("ERI: Eq. (4) iff I <= -beta r, Eq. (5) iff I <= beta r", checks)


def prove_max_min_as_pair_minimax(n: int, offset=1) -> ProofResult:
    """``max_i a_i + min_i a_i = min_i max_k (a_i + a_k)`` for ``n`` reals (the N > 2 step of ledger ``mme-n``).

    Both sides are symmetric in the ``a_i``, so it suffices to prove it for sorted values, written
    ``a_1 = t``, ``a_k = t + s_2 + ... + s_k`` with ``s_k >= 0``; sympy then evaluates every ``Max`` and ``Min``
    from the signs of the increments. ``offset`` perturbs the right-hand side (``a_i + offset a_k``) for the
    mutation tests.
    """
    n = int(n)
    t = sp.Symbol("t", real=True)
    s = sp.symbols(f"s2:{n + 1}", nonnegative=True)
    a = [t + sum(s[:k], sp.Integer(0)) for k in range(n)]
    lhs = sp.Max(*a) + sp.Min(*a)
    rhs = sp.Min(*[sp.Max(*[a[i] + offset * a[k] for k in range(n)]) for i in range(n)])
    same = sp.simplify(lhs - rhs) == 0
    # Lemma B.1 for any N: a model predicting y0 wins whenever max + min > 0 (its gap max a exceeds every
    # wrong model's gap, at most -min a). The partner step: fixing k_i per i bounds the min-max from below.
    partner = all(sp.simplify(sp.Max(*[a[i] + a[k] for k in range(n)]) - (a[i] + a[j])).is_nonnegative
                  for i in range(n) for j in range(n))
    return _result(f"max a + min a = min_i max_k (a_i + a_k), N = {n}",
                   {"identity on sorted values": bool(same), "any fixed partner bounds the max": bool(partner)})


def prove_mme_partner_condition(n: int = 3, remainder=2) -> ProofResult:
    """Ledger ``mme-n``: for every member ``i`` a partner ``k_i`` whose pair satisfies Eq. (12) gives r-robustness.

    Steps: (i) :func:`prove_max_min_as_pair_minimax`; (ii) each pair sum is ``4 beta``-smooth (Theorem 3's
    Lagrange bound, :func:`prove_theorem3`); (iii) on ``||delta|| = t < r`` the bound ``S - G t - 2 beta t^2``
    exceeds its value at ``r`` by ``(r - t)(G + 2 beta (r + t)) >= 0``, so Eq. (12) at ``r`` keeps every chosen
    pair sum positive on the open ball (strictly when ``beta > 0``, ``G > 0`` or Eq. (12) is strict);
    (iv) the largest such r is the root ``2 S / (G + sqrt(G^2 + 8 beta S))``.
    """
    S, G = sp.symbols("S G", nonnegative=True)
    beta, r = sp.symbols("beta r", positive=True)
    t = sp.Symbol("t", nonnegative=True)
    lower = lambda u: S - G * u - remainder * beta * u**2  # noqa: E731
    gap = sp.factor(lower(t) - lower(r))
    monotone = sp.simplify(gap - (r - t) * (G + remainder * beta * (r + t))) == 0
    root = 2 * S / (G + sp.sqrt(G**2 + 4 * remainder * beta * S))
    root_ok = sp.simplify(sp.radsimp(lower(root))) == 0
    checks = {
        "pair minimax identity": prove_max_min_as_pair_minimax(n).holds,
        "Theorem 3's pair bound": prove_theorem3().holds,
        "pair remainder from curvature 4 beta": prove_lagrange_bounds(curvature=4, remainder=remainder).holds,
        "Taylor bound decreases in t": bool(monotone),
        "largest radius is the root": bool(root_ok),
    }
    return _result(f"partner condition for the MME with N = {n} members", checks)
