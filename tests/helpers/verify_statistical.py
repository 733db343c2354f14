"""Strategies and oracles for the Appendix D checks of verify/ (tests/verify/test_checks_statistical.py).

The oracles are independent of the code under test: the variance of a minimum from its density
``n f(x) (1 - F(x))^{n-1}`` (the checks integrate the survival function instead), enumeration over atoms,
and the definitions of the ensembles written sample by sample (tests/helpers/statistical.py).
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st
from scipy import integrate, special

from verify.checks.statistical_models import Law, Scenario, _continuous, law_cdf

SYMMETRIC_KINDS = ("uniform", "beta", "truncnorm", "three_point", "two_point")


@st.composite
def symmetric_laws(draw, kinds=SYMMETRIC_KINDS, inside_unit: bool = True):
    """A symmetric law; inside [0, 1] unless ``inside_unit`` is False (then centred at a positive mean)."""
    kind = draw(st.sampled_from(kinds))
    if inside_unit:
        center = draw(st.floats(0.05, 0.95))
        half = draw(st.floats(0.02, 1.0)) * min(center, 1 - center)
    else:
        center = draw(st.floats(0.01, 10.0))
        half = center * draw(st.floats(0.05, 5.0))
    shape = {"beta": draw(st.floats(0.05, 5.0)), "truncnorm": draw(st.floats(0.5, 3.0)),
             "three_point": draw(st.floats(0.01, 1.0))}.get(kind, 1.0)
    return Law(kind, center, half, shape)


@st.composite
def scenarios(draw, max_members: int = 6, max_classes: int = 7):
    """A confident ensemble as the checks build it: lam in [1/(C-1), 1] and a law with mean above B(lam)."""
    c = draw(st.integers(2, max_classes))
    lam = 1.0 if c == 2 else draw(st.floats(1.0 / (c - 1), 1.0))
    p = 0.0 if lam >= 1.0 else draw(st.floats(0.0, 0.5))
    level = lam / (1 + lam)
    kind = draw(st.sampled_from(SYMMETRIC_KINDS))
    mu = level + draw(st.floats(0.05, 0.95)) * (1 - level)
    half = draw(st.floats(0.05, 1.0)) * min(mu, 1 - mu)
    shape = {"beta": draw(st.floats(0.05, 5.0)), "truncnorm": draw(st.floats(0.5, 3.0)),
             "three_point": draw(st.floats(0.01, 1.0))}.get(kind, 1.0)
    n = draw(st.integers(1, max_members))
    weights = tuple(draw(st.lists(st.floats(0.0, 2.0), min_size=n, max_size=n)))
    if sum(weights) <= 1e-6:
        weights = (1.0,) * n
    return Scenario(Law(kind, mu, half, shape), n, c, lam, p, weights, worst=draw(st.booleans()))


def min_variance_by_density(law: Law, n: int) -> float:
    """Var(min of n i.i.d. draws) from the density of the minimum (continuous laws) or by enumeration (atoms)."""
    if law.kind in ("three_point", "two_point"):
        values = [law.lo, law.center, law.hi] if law.kind == "three_point" else [law.lo, law.hi]
        probs = [law.shape / 2, 1 - law.shape, law.shape / 2] if law.kind == "three_point" else [0.5, 0.5]
        mins, weights = [], []
        for combo in itertools.product(range(len(values)), repeat=n):
            mins.append(min(values[i] for i in combo))
            weights.append(float(np.prod([probs[i] for i in combo])))
        mins, weights = np.array(mins), np.array(weights)
        mean = weights @ mins
        return float(weights @ (mins - mean) ** 2)
    dist = _continuous(law)
    if law.kind == "beta":
        # u in [0, 1] with the Beta weight u^(a-1) (1-u)^(a-1) handled by QUADPACK's algebraic weight
        a, width = law.shape, 2 * law.half
        norm = 1.0 / special.beta(a, a)

        def moment(power):
            def g(u):
                return (law.lo + width * u - law.center) ** power * n * norm * special.betainc(a, a, 1 - u) ** (n - 1)
            return integrate.quad(g, 0.0, 1.0, weight="alg", wvar=(a - 1, a - 1), limit=200, epsabs=1e-14)[0]
    else:
        def moment(power):  # about the centre, to avoid cancellation
            def g(x):
                return (x - law.center) ** power * n * dist.pdf(x) * dist.sf(x) ** (n - 1)
            return integrate.quad(g, law.lo, law.hi, limit=200, epsabs=1e-14)[0]

    return moment(2) - moment(1) ** 2


def exact_tail(law: Law) -> float:
    """Pr(X <= 0), for the Lemma D.1 property tests."""
    return law_cdf(law, 0.0)
