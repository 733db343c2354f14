"""Symbolic proofs for Gaussian smoothing: Lemma A.1, Theorem 2 (printed and tight), Proposition B.4.

Notation: ``phi`` is the standard normal density, ``Z ~ N(0, 1)``, ``Phi^{-1}(p) =
sqrt(2) erfinv(2p - 1)``. For ``g = f * N(0, sigma^2 I)`` and a unit vector u,

    u^T H_g(x) u = int f(t) d^2/ds^2 phi_sigma(x + s u - t)|_{s=0} dt = E[f(x + eps)(Z^2 - 1)] / sigma^2,

with ``Z = u.eps/sigma`` (:func:`prove_hessian_kernel_identity`). Every claim is then a
one-dimensional Gaussian integral or a pointwise inequality.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from theory.proofs import ProofResult, assert_no_integral, proved

__all__ = [
    "prove_lemA1_linear_radius",
    "prove_lemA1_lower_bound",
    "prove_hessian_kernel_identity",
    "prove_thm2_gamma_integral",
    "prove_thm2_paper_bound",
    "prove_bathtub_pointwise",
    "prove_thm2_tight_value",
    "prove_thm2_extremal_attains",
    "prove_thm2_constant_shift",
    "prove_thm2_margin",
    "prove_propB4",
]

_z = sp.Symbol("z", real=True)
_PHI = sp.exp(-_z**2 / 2) / sp.sqrt(2 * sp.pi)


def _phi_inv(p):
    return sp.sqrt(2) * sp.erfinv(2 * p - 1)


def _cdf(x):
    return (1 + sp.erf(x / sp.sqrt(2))) / 2


@lru_cache(maxsize=64)
def _definite(expr, var, lo, hi) -> sp.Expr:
    """``int_lo^hi expr d(var)`` with no integral left, by an antiderivative and its limits
    (the fundamental theorem of calculus; much cheaper than sympy's definite-integral machinery)."""
    antiderivative = assert_no_integral(sp.integrate(expr, var))

    def at(end):
        return sp.limit(antiderivative, var, end) if end in (sp.oo, -sp.oo) else antiderivative.subs(var, end)

    return sp.simplify(at(hi) - at(lo))


def _gauss(expr, lo, hi) -> sp.Expr:
    """``int_lo^hi expr(z) phi(z) dz``."""
    return _definite(expr * _PHI, _z, lo, hi)


@lru_cache(maxsize=1)
def _moments_of_z2_minus_1() -> tuple[sp.Expr, sp.Expr]:
    """``E[(Z^2 - 1)_+]`` (split at the roots z = +-1) and ``E[Z^2 - 1]``, integrated once."""
    positive_part = _gauss(_z**2 - 1, 1, sp.oo) + _gauss(_z**2 - 1, -sp.oo, -1)
    negative_part = _gauss(1 - _z**2, -1, 1)
    mean = _gauss(_z**2 - 1, -sp.oo, sp.oo)
    assert sp.simplify(positive_part - negative_part - mean) == 0
    return positive_part, mean


def prove_lemA1_linear_radius(factor=sp.Rational(1, 2)) -> ProofResult:
    """Lemma A.1, Eq. (11) with the factor 1/2 is exact for a linear two-class classifier.

    At signed distance D > 0 from the hyperplane, ``pA = Phi(D/sigma)``, ``pB = 1 - pA`` and the true
    radius is D. Claim: ``factor * sigma (Phi^{-1}(pA) - Phi^{-1}(pB)) = D``; holds iff factor = 1/2,
    so the literal printed form (factor 1) doubles the radius.
    """
    d, sigma = sp.symbols("D sigma", positive=True)
    p_a = _cdf(d / sigma)
    radius = factor * sigma * (_phi_inv(p_a) - _phi_inv(1 - p_a))
    return proved(f"linear classifier: {factor} sigma (Phi^-1(pA) - Phi^-1(pB)) = distance", radius - d)


def prove_lemA1_lower_bound(factor=sp.Rational(1, 2)) -> ProofResult:
    """Lemma A.1: ``(sigma/2)(Phi^{-1}(pA) - Phi^{-1}(pB)) >= sigma Phi^{-1}(pA)`` whenever ``pB <= 1 - pA``.

    At ``pB = 1 - pA`` the two sides agree (odd symmetry of erfinv), and the left side decreases in
    ``pB``: its derivative is ``-(sigma/2) sqrt(2 pi) exp(erfinv(2 pB - 1)^2) < 0``.
    """
    p_a, p_b, sigma = sp.symbols("p_A p_B sigma", positive=True)
    lhs = factor * sigma * (_phi_inv(p_a) - _phi_inv(p_b))
    q = sp.Symbol("q", real=True)  # pA = (1 + q)/2, so pB = 1 - pA gives erfinv(-q) = -erfinv(q)
    edge = (lhs.subs(p_b, 1 - p_a) - sigma * _phi_inv(p_a)).subs(p_a, (1 + q) / 2)
    # erfinv is odd: erf(-erfinv(q)) = -q and erf is injective, so erfinv(-q) = -erfinv(q)
    odd = sp.simplify(sp.erf(-sp.erfinv(q)) + q) == 0
    equal_at_edge = odd and sp.simplify(sp.expand(edge.subs(sp.erfinv(-q), -sp.erfinv(q)))) == 0
    slope = sp.simplify(sp.diff(lhs, p_b))
    w = sp.Symbol("w", real=True)  # erfinv(2 pB - 1) is real for pB in (0, 1)
    decreasing = bool(slope.xreplace({e: w for e in slope.atoms(sp.erfinv)}).is_negative)
    return ProofResult("(sigma/2)(Phi^-1(pA) - Phi^-1(pB)) >= sigma Phi^-1(pA) for pB <= 1 - pA",
                       equal_at_edge and decreasing, f"d/dpB = {slope}")


def prove_hessian_kernel_identity(factor=1) -> ProofResult:
    """Theorem 2, Eq. (35): ``d^2/dx^2 phi_sigma(x - t) = phi_sigma(x - t)((x - t)^2/sigma^2 - 1)/sigma^2``,
    i.e. ``u^T H_g u = E[f (Z^2 - 1)]/sigma^2`` (``factor`` multiplies the right side)."""
    x, t = sp.symbols("x t", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    kernel = sp.exp(-(x - t) ** 2 / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)
    claimed = factor * kernel * ((x - t) ** 2 / sigma**2 - 1) / sigma**2
    return proved("second derivative of the Gaussian kernel", sp.diff(kernel, x, 2) - claimed)


def prove_thm2_gamma_integral(value=sp.sqrt(sp.pi / 2)) -> ProofResult:
    """Theorem 2 proof: ``int_0^inf t^2 exp(-t^2/2) dt = sqrt(2) Gamma(3/2) = sqrt(pi/2)``."""
    t = sp.Symbol("t", positive=True)
    integral = _definite(t**2 * sp.exp(-t**2 / 2), t, 0, sp.oo)
    gamma_form = sp.sqrt(2) * sp.gamma(sp.Rational(3, 2))
    return proved("int_0^inf t^2 e^{-t^2/2} dt = sqrt(2) Gamma(3/2) = value",
                  (integral - value) ** 2 + (gamma_form - value) ** 2)


def prove_thm2_paper_bound(constant=2) -> ProofResult:
    """Theorem 2, Eqs. (35)-(36): the paper's bound ``|H_11| <= 1/sigma^2 + (2/(sqrt(2 pi) sigma^2))
    int_0^inf t^2 e^{-t^2/2} dt = 1/sigma^2 + 1/sigma^2 = constant/sigma^2`` with constant = 2.

    (This is ``E[f]/sigma^2 + E[f Z^2]/sigma^2 <= (1 + E Z^2)/sigma^2``, via the triangle inequality.)
    """
    sigma = sp.Symbol("sigma", positive=True)
    t = sp.Symbol("t", positive=True)
    tail = _definite(t**2 * sp.exp(-t**2 / 2), t, 0, sp.oo)
    bound = 1 / sigma**2 + 2 / (sp.sqrt(2 * sp.pi) * sigma**2) * tail
    second_moment = _gauss(_z**2, -sp.oo, sp.oo)
    return proved("1/sigma^2 + 2/(sqrt(2 pi) sigma^2) int_0^inf t^2 e^{-t^2/2} dt = constant/sigma^2",
                  (bound - constant / sigma**2) ** 2 + (1 / sigma**2 + second_moment / sigma**2 - bound) ** 2)


def prove_bathtub_pointwise() -> ProofResult:
    """The bathtub / Neyman-Pearson step: for ``0 <= f <= 1``, ``f h <= h_+`` pointwise, with equality
    for ``f = 1{h > 0}``; hence ``sup_f E[f h] = E[h_+]``.

    Cases: ``h > 0``: ``h_+ - f h = (1 - f) h``, a product of nonnegatives; ``h <= 0``:
    ``h_+ - f h = f (-h)``, again nonnegative. For the margin ``d = f_a - f_b in [-1, 1]``:
    ``|h| - d h = (1 - d) h`` or ``(1 + d)(-h)``, nonnegative, equality at ``d = sign(h)``.
    """
    # f in [0, 1] written as f = 1 - a with a, f >= 0; d in [-1, 1] as d = 1 - a = b - 1, a, b >= 0.
    a, b, f, m = sp.symbols("a b f m", nonnegative=True)  # m = -h when h <= 0
    h = sp.Symbol("h", positive=True)
    residuals = [
        (h - (1 - a) * h).expand(),  # h > 0:  h_+ - f h
        (0 - f * (-m)).expand(),  # h <= 0: h_+ - f h
        (h - (1 - a) * h).expand(),  # h > 0:  |h| - d h
        (m - (b - 1) * (-m)).expand(),  # h <= 0: |h| - d h
    ]
    nonnegative = all(bool(r.is_nonnegative) for r in residuals)
    # equality at f = 1{h > 0} (a = 0 on h > 0, f = 0 on h <= 0) and d = sign(h) (a = 0, b = 0)
    attained = all(r.subs({a: 0, b: 0, f: 0}) == 0 for r in residuals)
    return ProofResult("sup over 0 <= f <= 1 of E[f h] is E[h_+]; over f_a - f_b it is E|h|",
                       nonnegative and attained, f"residuals {residuals}")


def prove_thm2_tight_value(constant=sp.sqrt(2 / (sp.pi * sp.E))) -> ProofResult:
    """Tight Theorem 2: ``sup_f E[f (Z^2 - 1)] = E[(Z^2 - 1)_+] = 2 phi(1) = sqrt(2/(pi e))`` and
    ``inf_f = -sup_f`` because ``E[Z^2 - 1] = 0``. So the best constant is ``constant/sigma^2``.

    ``(Z^2 - 1)_+`` is split at its roots ``z = +-1``.
    """
    positive_part, mean = _moments_of_z2_minus_1()
    two_phi1 = 2 * _PHI.subs(_z, 1)
    return proved("E[(Z^2-1)_+] = 2 phi(1) = constant and E[Z^2 - 1] = 0",
                  (positive_part - constant) ** 2 + (two_phi1 - constant) ** 2 + mean**2)


def prove_thm2_extremal_attains(constant=sp.sqrt(2 / (sp.pi * sp.E))) -> ProofResult:
    """The extremal ``f(t) = 1{|t - c| > sigma}`` (1-D section along u) has ``g''(c) = constant/sigma^2``
    and its complement ``-constant/sigma^2``: the tight constant is attained, not only approached."""
    t, c = sp.symbols("t c", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    kernel2 = (sp.exp(-(c - t) ** 2 / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)
               * ((c - t) ** 2 / sigma**2 - 1) / sigma**2)
    outside = _definite(kernel2, t, -sp.oo, c - sigma) + _definite(kernel2, t, c + sigma, sp.oo)
    inside = _definite(kernel2, t, c - sigma, c + sigma)
    return proved("g''(c) = +-constant/sigma^2 for 1{|t-c|>sigma} and its complement",
                  (outside - constant / sigma**2) ** 2 + (inside + constant / sigma**2) ** 2)


def prove_thm2_constant_shift() -> ProofResult:
    """Remark after Theorem 2: a constant ``a`` has zero Hessian after smoothing
    (``int phi_sigma'' = 0``), so ``f`` in [a, b] writes ``a + (b - a) f~`` with ``f~`` in [0, 1] and
    its constant is ``(b - a)`` times the [0, 1] constant: ``2(b - a)/sigma^2`` printed,
    ``(b - a) sqrt(2/(pi e))/sigma^2`` tight."""
    t, x = sp.symbols("t x", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    kernel = sp.exp(-(x - t) ** 2 / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)
    total = _definite(sp.diff(kernel, x, 2), t, -sp.oo, sp.oo)
    return proved("int d^2/dx^2 phi_sigma(x - t) dt = 0", total)


def prove_thm2_margin(constant=2 * sp.sqrt(2 / (sp.pi * sp.E))) -> ProofResult:
    """Margin ``f_a - f_b`` of two simplex components: ``sup E[(f_a - f_b)(Z^2 - 1)] = E|Z^2 - 1|
    = 4 phi(1) = 2 sqrt(2/(pi e))``, attained by ``f_a = 1{|z| > 1}``, ``f_b = 1{|z| <= 1}``
    (which sum to 1, so they are components of a simplex-valued f). ``|.|`` split at ``z = +-1``."""
    positive_part, mean = _moments_of_z2_minus_1()
    abs_part = positive_part + (positive_part - mean)  # E|h| = E h_+ + E h_-, E h_- = E h_+ - E h
    return proved("E|Z^2 - 1| = constant", abs_part - constant)


def prove_propB4(value=1 / sp.sqrt(2 * sp.pi * sp.E)) -> ProofResult:
    """Proposition B.4: for ``f = 1[t >= 0]``, ``g(x) = Phi(x/sigma)``, ``g''(x) = -x phi(x/sigma)/sigma^3``
    and ``sup_x |g''| = value/sigma^2`` with ``value = phi(1) = 1/sqrt(2 pi e)``.

    With ``y = x/sigma``, ``|g''| = h(|y|)/sigma^2``, ``h(y) = y phi(y)``; ``h'(y) = (1 - y^2) phi(y)``
    has the single positive root ``y = 1`` where ``h'' < 0``; ``h(0) = 0`` and ``h -> 0`` at infinity.
    """
    x, y = sp.Symbol("x", real=True), sp.Symbol("y", positive=True)
    sigma = sp.Symbol("sigma", positive=True)
    g = _cdf(x / sigma)
    g2 = sp.diff(g, x, 2)
    closed = -x * sp.exp(-x**2 / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma**3)
    h = y * sp.exp(-y**2 / 2) / sp.sqrt(2 * sp.pi)
    roots = sp.solve(sp.diff(h, y), y)
    ok_roots = roots == [1] and sp.diff(h, y, 2).subs(y, 1).is_negative
    ends = sp.limit(h, y, sp.oo) == 0 and h.subs(y, 0) == 0
    residual = (sp.simplify(g2 - closed)) ** 2 + (h.subs(y, 1) - value) ** 2
    res = proved("sup |g''| of the smoothed step = value/sigma^2", residual)
    return ProofResult(res.claim, res.holds and bool(ok_roots) and bool(ends), res.detail + f"; roots {roots}")
