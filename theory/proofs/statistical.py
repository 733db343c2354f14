"""Symbolic proofs for statistical robustness (Appendix D).

Each proof takes the statement's constant as a keyword argument defaulting to the true value; a
perturbed constant makes the same proof fail. ``B(lam) = lam / (1 + lam) = (1 + 1/lam)^{-1}``.
"""

from __future__ import annotations

import itertools

import sympy as sp

from . import ProofResult, assert_no_integral, proved

__all__ = [
    "prove_lemma_d1_tight",
    "prove_single_model_bound",
    "prove_we_margin_moments",
    "prove_mme_variance_bound",
    "prove_mme_bound",
    "prove_symmetric_extremes_mean",
    "prove_hoeffding_exponent",
    "prove_lemma_d4",
    "prove_uniform_we_moments",
    "prove_fact_d1",
    "prove_uniform_extreme_sum",
    "prove_theorem8_constant",
    "prove_theorem9_constant",
    "prove_theorem9_exact_constant",
    "prove_corollary6_constant",
    "prove_corollary6_sufficient",
]


def _level(lam: sp.Expr) -> sp.Expr:
    return lam / (1 + lam)


def _all_hold(claim: str, residuals: dict[str, sp.Expr], extra: str = "") -> ProofResult:
    """Several identities at once: holds when every residual simplifies to 0."""
    parts, holds = [], True
    for name, residual in residuals.items():
        simplified = sp.simplify(assert_no_integral(sp.sympify(residual)))
        holds &= simplified == 0
        parts.append(f"{name}: {simplified}")
    detail = "; ".join(parts) + (f"; {extra}" if extra else "")
    return ProofResult(claim=claim, holds=bool(holds), detail=detail)


# ---------------------------------------------------------------------------------------------
# Lemma D.1
# ---------------------------------------------------------------------------------------------


def prove_lemma_d1_tight(factor=sp.Rational(1, 2)) -> ProofResult:
    """Lemma D.1 is attained: ``Pr(X <= 0) = factor Var X / (E X)^2`` for a symmetric three-point law.

    X takes ``0, m, 2m`` with probabilities ``q/2, 1 - q, q/2``; ``q = v/m^2 in (0, 1]`` (i.e. ``v <= m^2``) gives
    ``E X = m``, ``Var X = v`` and ``Pr(X <= 0) = v/(2 m^2)``, so no factor below 1/2 is valid. For ``v > m^2``
    the two-point law ``m +- sqrt(v)`` has ``Pr(X <= 0) = 1/2``, the ceiling of every symmetric law.
    """
    m, v = sp.symbols("m v", positive=True)
    q = v / m**2
    values, probs = (0, m, 2 * m), (q / 2, 1 - q, q / 2)
    mean = sum(x * w for x, w in zip(values, probs))
    var = sum((x - mean) ** 2 * w for x, w in zip(values, probs))
    tail = probs[0]  # only the atom at 0 lies in (-inf, 0]
    two_point_var = sp.expand(((m + sp.sqrt(v) - m) ** 2 + (m - sp.sqrt(v) - m) ** 2) / 2)
    return _all_hold(
        f"three-point law: Pr(X <= 0) = {factor} Var X / (E X)^2, E X = m, Var X = v (v <= m^2)",
        {"mean": mean - m, "variance": var - v, "tail": tail - factor * var / mean**2,
         "two-point variance": two_point_var - v},
    )


def prove_single_model_bound(factor=sp.Rational(1, 2)) -> ProofResult:
    """Proposition D.1: with ``Y = (1 + lam) f - lam``, ``E Y = (1 + lam)(mu - B(lam))`` and Lemma D.1 gives
    ``Var Y / (2 (E Y)^2) = factor s^2 / (mu - B(lam))^2`` with ``factor = 1/2``."""
    mu, s, lam = sp.symbols("mu s lam", positive=True)
    mean_y, var_y = (1 + lam) * mu - lam, (1 + lam) ** 2 * s**2
    return _all_hold(
        f"Var Y/(2 (EY)^2) = {factor} s^2/(mu - B)^2 and EY = (1+lam)(mu - B)",
        {"mean": mean_y - (1 + lam) * (mu - _level(lam)),
         "bound": var_y / (2 * mean_y**2) - factor * s**2 / (mu - _level(lam)) ** 2},
    )


# ---------------------------------------------------------------------------------------------
# Lemma D.3, Theorems 6-7
# ---------------------------------------------------------------------------------------------


def _expect_independent(poly: sp.Expr, variables, moments) -> sp.Expr:
    """E[poly] for independent variables: each monomial's expectation is the product of raw moments."""
    poly = sp.Poly(sp.expand(poly), *variables)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        term = coeff
        for k in powers:
            term *= moments[k]
        total += term
    return total


def prove_we_margin_moments(n: int = 3, var_coefficient=sp.Integer(1), factor=sp.Rational(1, 2)) -> ProofResult:
    """Lemma D.3 for X_1 and Theorem 6, for ``n`` independent confidences with mean mu and variance s^2.

    ``E X_1 = (1 + lam) ||w||_1 mu - lam ||w||_1``, ``Var X_1 = var_coefficient (1 + lam)^2 s^2 ||w||_2^2``, and
    Lemma D.1 turns them into ``factor (||w||_2^2/||w||_1^2) s^2/(mu - B)^2`` (Theorem 6, Eq. 44).
    """
    mu, s, lam = sp.symbols("mu s lam", positive=True)
    f = sp.symbols(f"f1:{n + 1}", real=True)
    w = sp.symbols(f"w1:{n + 1}", positive=True)
    moments = {0: 1, 1: mu, 2: s**2 + mu**2}
    l1, l2sq = sum(w), sum(wi**2 for wi in w)
    x1 = (1 + lam) * sum(wi * fi for wi, fi in zip(w, f)) - lam * l1
    mean = _expect_independent(x1, f, moments)
    var = _expect_independent(x1**2, f, moments) - mean**2
    return _all_hold(
        f"n = {n}: E X1, Var X1 = {var_coefficient}(1+lam)^2 s^2 ||w||_2^2, tail bound {factor} d_w s^2/(mu-B)^2",
        {"mean": mean - ((1 + lam) * l1 * mu - lam * l1),
         "variance": var - var_coefficient * (1 + lam) ** 2 * s**2 * l2sq,
         "theorem 6": var / (2 * mean**2) - factor * (l2sq / l1**2) * s**2 / (mu - _level(lam)) ** 2},
    )


def prove_mme_variance_bound(coefficient=sp.Integer(4)) -> ProofResult:
    """Lemma D.3: ``Var(max + min) <= coefficient s_f^2`` when ``Var max = Var min = s_f^2``.

    With correlation ``rho in [-1, 1]``, ``Var(max + min) = 2 s_f^2 (1 + rho)`` is increasing in rho, so its
    exact maximum over all couplings is ``4 s_f^2`` at ``rho = 1``; the bound holds iff ``coefficient >= 4``.
    """
    s_f = sp.Symbol("s_f", positive=True)
    rho = sp.Symbol("rho", real=True)
    var_sum = s_f**2 + s_f**2 + 2 * rho * s_f**2
    slope = sp.diff(var_sum, rho)
    increasing = bool(sp.ask(sp.Q.positive(slope), sp.Q.positive(s_f)))
    worst = sp.simplify(var_sum.subs(rho, 1))
    margin = sp.simplify(coefficient * s_f**2 - worst)
    holds = increasing and bool(margin.is_nonnegative)
    return ProofResult(
        claim=f"max over rho in [-1, 1] of Var(max + min) = 4 s_f^2 <= {coefficient} s_f^2",
        holds=holds,
        detail=f"d/drho = {slope}; value at rho = 1: {worst}; slack = {margin}",
    )


def prove_mme_bound(factor=sp.Rational(1, 2)) -> ProofResult:
    """Theorem 7: Lemma D.1 with ``E X_2 = 2(1 + lam) mu - 2 lam`` and ``Var X_2 <= 4 (1 + lam)^2 s_f^2`` gives
    ``factor s_f^2 / (mu - B)^2`` with ``factor = 1/2`` (Eq. 45)."""
    mu, s_f, lam = sp.symbols("mu s_f lam", positive=True)
    mean, var = 2 * (1 + lam) * mu - 2 * lam, 4 * (1 + lam) ** 2 * s_f**2
    return proved(f"Var X2/(2 (EX2)^2) = {factor} s_f^2/(mu - B)^2",
                  var / (2 * mean**2) - factor * s_f**2 / (mu - _level(lam)) ** 2)


def prove_symmetric_extremes_mean(n: int = 3, shift=sp.Integer(0)) -> ProofResult:
    """Lemma D.3's ``E(max + min) = 2 mu + shift`` (true value ``shift = 0``) for n i.i.d. copies of a symmetric
    three-point law ``mu - d, mu, mu + d`` with probabilities ``q/2, 1 - q, q/2``, by enumerating all 3^n outcomes."""
    mu, d, q = sp.symbols("mu d q", positive=True)
    law = ((mu - d, q / 2), (mu, 1 - q), (mu + d, q / 2))
    expectation = sp.Integer(0)
    for outcome in itertools.product(law, repeat=n):
        values = [x for x, _ in outcome]
        weight = sp.Mul(*[w for _, w in outcome])
        expectation += weight * (sp.Max(*values) + sp.Min(*values))
    return proved(f"n = {n}: E(max + min) = 2 mu + {shift}", expectation - (2 * mu + shift))


# ---------------------------------------------------------------------------------------------
# The Hoeffding remark
# ---------------------------------------------------------------------------------------------


def prove_hoeffding_exponent(n: int = 3, coefficient=sp.Integer(2)) -> ProofResult:
    """Hoeffding for ``X_1``: ``2 t^2 / sum_j c_j^2 = coefficient (||w||_1^2/||w||_2^2)(mu - B)^2``.

    ``t = E X_1 = (1 + lam) ||w||_1 (mu - B)`` and ``c_j = (1 + lam) w_j`` is the range of the j-th summand
    (confidences in [0, 1]); the exact constant is ``coefficient = 2``.
    """
    mu, lam = sp.symbols("mu lam", positive=True)
    w = sp.symbols(f"w1:{n + 1}", positive=True)
    l1, l2sq = sum(w), sum(wi**2 for wi in w)
    t = (1 + lam) * l1 * mu - lam * l1
    ranges_sq = sum(((1 + lam) * wi) ** 2 for wi in w)
    return proved(f"n = {n}: Hoeffding exponent = {coefficient} ||w||_1^2/||w||_2^2 (mu - B)^2",
                  2 * t**2 / ranges_sq - coefficient * (l1**2 / l2sq) * (mu - _level(lam)) ** 2)


# ---------------------------------------------------------------------------------------------
# Lemma D.4
# ---------------------------------------------------------------------------------------------


def prove_lemma_d4(offset=sp.Integer(1), c_exponent=sp.Integer(-1)) -> ProofResult:
    """Lemma D.4 (Eq. 46) as one sign identity, with every factor's sign shown under the assumptions.

    With ``T = mu - (mu - B_2)/C`` and ``R = T/(1 - T)``:
    ``(mu - B_2)/(mu - B_1) - C = C (1 - T)(lam_1 - R) / ((1 + lam_1)(mu - B_1))`` and
    ``R/lam_2 = (1/lam_2)((C^{-1}(mu - B_2) + 1 - mu)^{-1} - 1)``. The factors ``C``, ``1 - T = (1 - mu) + (mu - B_2)/C``,
    ``1 + lam_1`` and ``mu - B_1`` are positive when ``C > 0`` and ``max(B_1, B_2) < mu <= 1``, so both sides of
    (46) have the same sign: ``<``, ``=`` and ``>`` are each equivalent. ``C < 1`` is never used.
    ``offset`` and ``c_exponent`` are the printed right side's ``-1`` and ``C^{-1}``.
    """
    lam1, lam2, c = sp.symbols("lam1 lam2 C", positive=True)
    mu = sp.Symbol("mu", positive=True)
    b1, b2 = _level(lam1), _level(lam2)
    t = mu - (mu - b2) / c
    r = t / (1 - t)
    rhs = ((c**c_exponent * (mu - b2) + 1 - mu) ** -1 - offset) / lam2
    lhs_minus_c = (mu - b2) / (mu - b1) - c
    factored = c * (1 - t) * (lam1 - r) / ((1 + lam1) * (mu - b1))
    # signs: write mu = 1 - e (e >= 0) and mu - B_2 = d2 > 0, then 1 - T = e + d2/C
    e = sp.Symbol("e", nonnegative=True)
    d2 = sp.Symbol("d2", positive=True)
    one_minus_t = sp.simplify((1 - t).subs(mu, 1 - e).subs(b2, 1 - e - d2))
    positive = bool(one_minus_t.is_positive)
    result = _all_hold(
        "(mu - B2)/(mu - B1) - C and lam1/lam2 - RHS(46) have the same sign (C > 0, max(B1, B2) < mu <= 1)",
        {"factorisation": lhs_minus_c - factored, "threshold": rhs - r / lam2},
        extra=f"1 - T = {one_minus_t} > 0: {positive}",
    )
    return ProofResult(result.claim, result.holds and positive, result.detail)


# ---------------------------------------------------------------------------------------------
# Appendix D.4: the uniform case
# ---------------------------------------------------------------------------------------------


def prove_uniform_we_moments(var_coefficient=sp.Rational(1, 12)) -> ProofResult:
    """Lemma D.5 for X_1: a ``U[a, b]`` confidence has mean ``(a + b)/2`` and variance ``(b - a)^2/12``, so with
    Lemma D.3 ``E X_1 = (1/2)(1 + lam)||w||_1 (a + b) - lam ||w||_1`` and ``Var X_1 = var_coefficient (1 + lam)^2 ||w||_2^2 (b - a)^2``."""
    a = sp.Symbol("a", nonnegative=True)
    width, lam, l1, l2 = sp.symbols("width lam W1 W2", positive=True)
    b = a + width
    y = sp.Symbol("y", real=True)
    mean_f = sp.integrate(y / width, (y, a, b))
    var_f = sp.integrate(y**2 / width, (y, a, b)) - mean_f**2
    mean_x1 = (1 + lam) * l1 * mean_f - lam * l1
    var_x1 = (1 + lam) ** 2 * var_f * l2**2
    return _all_hold(
        f"uniform: E f = (a+b)/2, Var X1 = {var_coefficient} (1+lam)^2 ||w||_2^2 (b-a)^2",
        {"mean": mean_x1 - (sp.Rational(1, 2) * (1 + lam) * l1 * (a + b) - lam * l1),
         "variance": var_x1 - var_coefficient * (1 + lam) ** 2 * l2**2 * (b - a) ** 2},
    )


def _unit_power_integral(poly_in_u: sp.Expr, u: sp.Symbol, base_power: sp.Expr) -> sp.Expr:
    """``int_0^1 poly(u) u^base_power du`` monomial by monomial (``base_power > -1`` symbolic)."""
    poly = sp.Poly(sp.expand(poly_in_u), u)
    total = sp.Integer(0)
    for (k,), coeff in poly.terms():
        total += coeff * sp.integrate(u ** (base_power + k), (u, 0, 1))
    return assert_no_integral(total)


def prove_fact_d1(two=sp.Integer(2)) -> ProofResult:
    """Fact D.1: ``Var(min) = Var(max) = (1/(n+1))(two/(n+2) - 1/(n+1))(b - a)^2`` for n i.i.d. ``U[a, b]`` (``two = 2``).

    The proof's integrals, for a symbolic positive integer n: the min has CDF ``1 - ((b - y)/(b - a))^n``; its
    density is the derivative; substituting ``y = b - (b - a) u`` turns ``E Y^k`` into integrals of
    ``u^{n-1}`` times a polynomial. The max follows from ``y = a + (b - a) u``.
    """
    n = sp.Symbol("n", integer=True, positive=True)
    a = sp.Symbol("a", real=True)
    width = sp.Symbol("width", positive=True)
    b = a + width
    y, u = sp.Symbol("y", real=True), sp.Symbol("u", positive=True)
    density_min = sp.diff(1 - ((b - y) / width) ** n, y)
    density_max = sp.diff(((y - a) / width) ** n, y)

    def moments(density, y_of_u):
        # the density times the Jacobian, as poly(u) * u^(n-1)
        kernel = sp.simplify(density.subs(y, y_of_u) * width / u ** (n - 1))
        return [_unit_power_integral(sp.expand(kernel * y_of_u**k), u, n - 1) for k in (1, 2)]

    claimed = (1 / (n + 1)) * (two / (n + 2) - 1 / (n + 1)) * width**2
    m1, m2 = moments(density_min, b - width * u)
    x1, x2 = moments(density_max, a + width * u)
    return _all_hold(
        f"Var(min) = Var(max) = (1/(n+1))({two}/(n+2) - 1/(n+1))(b-a)^2",
        {"min": m2 - m1**2 - claimed, "max": x2 - x1**2 - claimed, "mean of min": m1 - (a + width / (n + 1))},
    )


def prove_uniform_extreme_sum(numerator=sp.Integer(2)) -> ProofResult:
    """Exact ``Var(max + min) = numerator / ((N+1)(N+2))`` for N i.i.d. U[0, 1] (true value 2), and
    ``E(max + min) = 1`` (Lemma D.5's ``E X_2``).

    N >= 2 (``N = M + 2``, M a symbolic nonnegative integer): the joint density of (min, max) is
    ``N (N-1) (y - x)^{N-2}`` on ``0 < x < y < 1``; with ``x = y (1 - u)`` every moment is a product of
    integrals of powers. N = 1 (min = max = U) separately. It follows that Lemma D.5's ``4 Var(min)`` is
    ``2N/(N+1)`` times the exact value.
    """
    m = sp.Symbol("M", integer=True, nonnegative=True)
    n = m + 2
    u, y = sp.symbols("u y", positive=True)

    def moment(i: int, j: int) -> sp.Expr:
        # int_0^1 int_0^y N(N-1)(y-x)^{N-2} x^i y^j dx dy with x = y (1 - u), dx = y du
        inner = _unit_power_integral((1 - u) ** i, u, m)  # (y u)^{N-2} (y (1-u))^i y -> y^{N-1+i} ...
        outer = sp.integrate(y ** (n - 1 + i + j), (y, 0, 1))
        return n * (n - 1) * inner * outer

    total = moment(0, 0)
    e_sum = moment(1, 0) + moment(0, 1)
    e_sq = moment(2, 0) + 2 * moment(1, 1) + moment(0, 2)
    var_min = moment(2, 0) - moment(1, 0) ** 2
    var_sum = e_sq - e_sum**2
    one = sp.Symbol("U", positive=True)  # N = 1: max + min = 2U
    var_sum_n1 = sp.integrate((2 * one) ** 2, (one, 0, 1)) - sp.integrate(2 * one, (one, 0, 1)) ** 2
    return _all_hold(
        f"Var(max + min) = {numerator}/((N+1)(N+2)), E(max + min) = 1",
        {"normalisation": total - 1, "mean": e_sum - 1,
         "variance": var_sum - numerator / ((n + 1) * (n + 2)),
         "N = 1": var_sum_n1 - numerator / sp.Integer(2 * 3),
         "4 Var(min) / Var(sum)": 4 * var_min / var_sum - 2 * n / (n + 1)},
    )


def _uniform_symbols():
    a = sp.Symbol("a", nonnegative=True)
    width, lam = sp.symbols("width lam", positive=True)
    return a, a + width, width, lam


def prove_theorem8_constant(denominator=sp.Integer(24)) -> ProofResult:
    """Theorem 8: Lemma D.1 with Lemma D.5's moments gives ``d_w K_1^2 / denominator`` with ``denominator = 24``.

    The paper prints 12 (Eq. 49), twice the proof's own bound; this proof fails for 12.
    """
    a, b, width, lam = _uniform_symbols()
    l1, l2 = sp.symbols("W1 W2", positive=True)
    mean = sp.Rational(1, 2) * (1 + lam) * l1 * (a + b) - lam * l1
    var = sp.Rational(1, 12) * (1 + lam) ** 2 * l2**2 * width**2
    k1 = width / ((a + b) / 2 - _level(lam))
    return proved(f"Var X1/(2 (EX1)^2) = d_w K1^2/{denominator}",
                  var / (2 * mean**2) - (l2**2 / l1**2) * k1**2 / denominator)


def prove_theorem9_constant(cn_numerator=sp.Integer(2)) -> ProofResult:
    """Theorem 9: Lemma D.1 with Lemma D.5's ``Var X_2 <= 4 (1 + lam)^2 c_N (b - a)^2`` gives ``c_N'^2 K_2^2 / 4`` with
    ``c_N'^2 = (cn_numerator/(N+1))(2/(N+2) - 1/(N+1))``; the lost numerator of Eq. (50) must be 2."""
    a, b, width, lam = _uniform_symbols()
    n = sp.Symbol("N", integer=True, positive=True)
    c_n = (1 / (n + 1)) * (sp.Integer(2) / (n + 2) - 1 / (n + 1))
    mean = (1 + lam) * (a + b) - 2 * lam
    var = 4 * (1 + lam) ** 2 * c_n * width**2
    k2 = width / ((a + b) / 2 - _level(lam))
    cn_sq = (cn_numerator / (n + 1)) * (sp.Integer(2) / (n + 2) - 1 / (n + 1))
    return proved(f"Var-bound X2/(2 (EX2)^2) = c_N^2 K2^2/4, c_N^2 numerator {cn_numerator}",
                  var / (2 * mean**2) - cn_sq * k2**2 / 4)


def prove_theorem9_exact_constant(denominator=sp.Integer(4)) -> ProofResult:
    """Theorem 9 with the exact ``Var X_2 = 2 (1 + lam)^2 (b - a)^2 / ((N+1)(N+2))``: Lemma D.1 gives
    ``K_2^2 / (denominator (N+1)(N+2))`` with ``denominator = 4``."""
    a, b, width, lam = _uniform_symbols()
    n = sp.Symbol("N", integer=True, positive=True)
    mean = (1 + lam) * (a + b) - 2 * lam
    var = 2 * (1 + lam) ** 2 * width**2 / ((n + 1) * (n + 2))
    k2 = width / ((a + b) / 2 - _level(lam))
    return proved(f"Var X2/(2 (EX2)^2) = K2^2/({denominator} (N+1)(N+2))",
                  var / (2 * mean**2) - k2**2 / (denominator * (n + 1) * (n + 2)))


def _corollary6_penalties(exact: bool, we_denominator):
    """Penalties of Theorems 8-9 in the uniform case, with ``m = (a + b)/2`` and ``B_1, B_2`` free."""
    n = sp.Symbol("N", integer=True, positive=True)
    width, m, b1, b2, d_w = sp.symbols("width m B1 B2 d_w", positive=True)
    c_n = n / ((n + 1) ** 2 * (n + 2))
    k2_sq = width**2 / (m - b2) ** 2
    mme = k2_sq / (4 * (n + 1) * (n + 2)) if exact else c_n * k2_sq / 2
    we = d_w * width**2 / (m - b1) ** 2 / we_denominator
    return n, m, b1, b2, d_w, mme, we


def prove_corollary6_constant(scale=sp.Integer(12), exact: bool = False, we_denominator=sp.Integer(24)) -> ProofResult:
    """Corollary 6, third bullet: MME's penalty over WE's smallest penalty equals ``scale g(N) (1 - B_2/m)^{-2}``.

    WE's penalty ``d_w K_1^2/we_denominator`` is increasing in ``B_1`` (derivative sign shown) and in ``d_w``, so its
    infimum over ``lam_1 > 0`` and weights is at ``B_1 -> 0``, ``d_w = 1/N``. With Theorem 9 via Lemma D.5
    (``exact=False``) ``g(N) = N^2/((N+1)^2 (N+2))`` and ``scale = 12``; with the exact variance (``exact=True``)
    ``g(N) = N/((N+1)(N+2))`` and ``scale = 6``. Against the printed Theorem 8 (``we_denominator = 12``) the
    scales halve: the printed 6 matches Lemma D.5's Theorem 9 only against the printed Theorem 8.
    """
    n, m, b1, b2, d_w, mme, we = _corollary6_penalties(exact, we_denominator)
    slope = sp.simplify(sp.diff(we, b1) * (m - b1) ** 3)  # sign of dWE/dB1 for B1 < m
    increasing = bool(sp.ask(sp.Q.positive(slope), sp.Q.positive(d_w) & sp.Q.positive(n)))
    infimum = we.subs({b1: 0, d_w: 1 / n})
    g = n / ((n + 1) * (n + 2)) if exact else n**2 / ((n + 1) ** 2 * (n + 2))
    result = proved(f"P_MME / inf P_WE = {scale} g(N) / (1 - B2/m)^2 (exact variance: {exact})",
                    mme / infimum - scale * g / (1 - b2 / m) ** 2)
    return ProofResult(result.claim, result.holds and increasing, result.detail + f"; (m-B1)^3 dP_WE/dB1 = {slope}")


def prove_corollary6_sufficient(scale=sp.Integer(12), exact: bool = False, premise_scale=None) -> ProofResult:
    """Eq. (53)'s form: ``N + 2 >= premise_scale (1 - B_2/m)^{-2}`` implies ``scale g(N) < (1 - B_2/m)^2`` for all N >= 1.

    With ``premise_scale = scale`` (the default) the gap ``scale/(N+2) - scale g(N)`` is
    ``scale (2N+1)/((N+1)^2 (N+2))`` (or ``scale/((N+1)(N+2))`` for the exact variance), positive. The printed
    premise ``premise_scale = 6`` against Lemma D.5's Theorem 9 (``scale = 12``) leaves a gap that turns negative.
    """
    premise_scale = scale if premise_scale is None else premise_scale
    n = sp.Symbol("N", integer=True, positive=True)
    g = n / ((n + 1) * (n + 2)) if exact else n**2 / ((n + 1) ** 2 * (n + 2))
    gap = sp.factor(sp.simplify(premise_scale / (n + 2) - scale * g))
    return ProofResult(
        claim=f"{premise_scale}/(N+2) - {scale} g(N) > 0 for N >= 1 (exact variance: {exact})",
        holds=bool(sp.ask(sp.Q.positive(gap), sp.Q.positive(n))),
        detail=f"gap = {gap}",
    )
