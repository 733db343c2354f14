"""Strategies and oracles for the quadratic-ensemble checks of verify/ (tests/verify/test_checks_conditions.py and
tests/verify/test_checks_comparison.py).

The oracles are independent of the code under test: class scores of a quadratic ensemble evaluated component
by component, the ensemble decisions of Definitions 2-3 written sample by sample (tests/helpers/statistical.py),
and the flip witness, a minimiser of the worst margin over a ball just beyond the exact radius, at which the
actual ensemble is evaluated.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tests.helpers.statistical import mme_predict_loop, we_predict_loop
from verify.quadratic import CURVATURES, QuadraticEnsemble, random_ensemble
from verify.trust_region import minimize_quadratic_on_ball


@st.composite
def quadratic_ensembles(draw, rule: str = "we", max_models: int = 10, max_classes: int = 10,
                        all_predict: bool = False):
    """A quadratic ensemble (input dimension 1-50, base models 2-``max_models``, classes 2-``max_classes``).

    ``rule`` picks the ensemble that must predict ``y0`` at ``x0``: ``we`` (weights drawn here), ``mme`` (two
    models) or ``single`` (one model). Beta is drawn log-uniformly in [1e-3, 1]; the arrays come from a numpy
    generator seeded by hypothesis.
    """
    n = {"we": draw(st.integers(2, max_models)), "mme": 2, "single": 1}[rule]
    c = draw(st.integers(2, max_classes))
    d = draw(st.integers(1, 50))
    beta = 10 ** draw(st.floats(-3.0, 0.0))
    weights = np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=n, max_size=n)))
    curvature = draw(st.sampled_from(CURVATURES))
    seed = draw(st.integers(0, 2**32 - 1))
    return random_ensemble(np.random.default_rng(seed), n_models=n, n_classes=c, d=d, beta=beta,
                           curvature=curvature, rule=rule, weights=weights, top_two=draw(st.booleans()),
                           all_predict=all_predict)


def scores_at(ens: QuadraticEnsemble, delta: np.ndarray) -> np.ndarray:
    """Scores ``(N, C)`` at ``x0 + delta``, component by component."""
    n, c, _ = ens.g.shape
    out = np.empty((n, c))
    for j in range(n):
        for k in range(c):
            out[j, k] = ens.a[j, k] + ens.g[j, k] @ delta + 0.5 * delta @ ens.H[j, k] @ delta
    return out


def margin_quadratic(ens: QuadraticEnsemble, pieces: list[tuple[int, int, float]]):
    """``sum coeff (f_{j,y0} - f_{j,y})`` over ``(j, y, coeff)``, as ``(value, gradient, Hessian)`` at ``x0``."""
    c = sum(w * (ens.a[j, ens.y0] - ens.a[j, y]) for j, y, w in pieces)
    g = sum(w * (ens.g[j, ens.y0] - ens.g[j, y]) for j, y, w in pieces)
    H = sum(w * (ens.H[j, ens.y0] - ens.H[j, y]) for j, y, w in pieces)
    return float(c), g, H


def we_margin_pieces(ens: QuadraticEnsemble, y: int):
    return [(j, y, ens.w[j]) for j in range(ens.a.shape[0])]


def worst_point(ens: QuadraticEnsemble, margins: list[list[tuple[int, int, float]]], radius: float):
    """The point of the ball of ``radius`` where the smallest of the given margins is smallest, and that value."""
    best = None
    for pieces in margins:
        res = minimize_quadratic_on_ball(*margin_quadratic(ens, pieces), radius)
        if best is None or res.value < best[1]:
            best = (res.argmin, res.value)
    return best


def we_label(ens: QuadraticEnsemble, delta: np.ndarray) -> int:
    return int(we_predict_loop(scores_at(ens, delta)[None], ens.w)[0])


def mme_label(ens: QuadraticEnsemble, delta: np.ndarray) -> int:
    return int(mme_predict_loop(scores_at(ens, delta)[None])[0])


def single_label(ens: QuadraticEnsemble, delta: np.ndarray) -> int:
    return int(np.argmax(scores_at(ens, delta)[0]))
