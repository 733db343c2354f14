"""Hypothesis strategies for the smoothing checks (verify/checks/smoothing.py).

The instances are the ones the checks draw at random, generated here so that hypothesis can search
and shrink them: piecewise-constant functions and sigmoid networks on R (Theorem 2), boxes in the
plane, linear partition classifiers (Lemma A.1; ensembles of them are in tests/helpers/verify_strategies.py)
and soft-smoothed band ensembles (Corollary 2). The oracles are those of the checks module.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from scipy.stats import norm

from tests.helpers.smoothing import piecewise_constant_functions
from verify.checks.smoothing_hessians import SigmoidNet1D
from verify.checks.smoothing_linear import Partition

sigmas = st.floats(0.1, 3.0)


def _unit(v):
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v)
    return v / n if n > 1e-6 else np.eye(v.size)[0]


def piecewise_functions(low=0.0, high=1.0):
    """A piecewise-constant f with 1-6 jumps in [-3, 3] and values in [low, high]."""
    return piecewise_constant_functions(low=low, high=high)


@st.composite
def sigmoid_nets(draw, sigma):
    """A sigmoid network f(t) = expit(v . tanh(w t + b) + c) with 1-4 hidden units, slopes up to 5/sigma."""
    h = draw(st.integers(1, 4))
    floats = lambda lo, hi: st.lists(st.floats(lo, hi), min_size=h, max_size=h)  # noqa: E731
    w = np.asarray(draw(floats(0.05, 5.0))) / sigma
    return SigmoidNet1D(tuple(w), tuple(draw(floats(-2.0, 2.0))), tuple(draw(floats(-4.0, 4.0))),
                        draw(st.floats(-2.0, 2.0)))


@st.composite
def boxes(draw):
    """(lows, highs, x) of a box in the plane and an evaluation point near it."""
    lows = np.array(draw(st.lists(st.floats(-2.0, 1.0), min_size=2, max_size=2)))
    widths = np.array(draw(st.lists(st.floats(0.05, 4.0), min_size=2, max_size=2)))
    x = np.array(draw(st.lists(st.floats(-3.0, 4.0), min_size=2, max_size=2)))
    return lows, lows + widths, x


@st.composite
def partitions(draw, d=None, n_classes=None, max_edges=6, sigma=1.0):
    """A linear member: a partition along a random direction in R^d (d 1-50) into C (2-10) labels."""
    d = d or draw(st.integers(1, 50))
    c = n_classes or draw(st.integers(2, 10))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    k = draw(st.integers(1, max_edges))
    # k edges in [-2.5, 2.5], at least 1e-3 apart, built from their gaps (no rejection of near-duplicates)
    gaps = np.asarray(draw(st.lists(st.floats(1e-3, 5.0 / k), min_size=k - 1, max_size=k - 1)))
    start = draw(st.floats(-2.5, 2.5 - gaps.sum()))
    edges = start + np.concatenate([[0.0], np.cumsum(gaps)])
    labels = np.asarray(draw(st.lists(st.integers(0, c - 1), min_size=k + 1, max_size=k + 1)))
    return Partition(_unit(rng.normal(size=d)), edges * sigma, labels, c)


@st.composite
def band_ensembles(draw):
    """Two-class soft members along one direction: bands [low, high] (high = inf: half-spaces), some flipped,
    whose WE margin at 0 is positive by construction.

    Member 0 is flipped or not so that its own margin is positive, and its weight is then at least what makes
    ``sum_j w_j m_j > 0`` (filtering random ensembles instead rejected 44% of them)."""
    n = draw(st.integers(1, 6))
    sigma = draw(st.floats(0.1, 2.0))
    lows = np.asarray(draw(st.lists(st.floats(-3.0, -0.05), min_size=n, max_size=n))) * sigma
    widths = np.asarray(draw(st.lists(st.one_of(st.floats(0.2, 5.0), st.just(np.inf)), min_size=n, max_size=n)))
    highs = lows + widths * sigma
    flips = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    weights = np.asarray(draw(st.lists(st.floats(0.1, 2.0), min_size=n, max_size=n)))
    inside = norm.cdf(highs / sigma) - norm.cdf(lows / sigma)     # each band's smoothed mass at 0
    flips[0] = inside[0] < 0.5
    margins = np.where(flips, -1.0, 1.0) * (2 * inside - 1)
    assume(margins[0] > 1e-6)  # a band of mass exactly 1/2 has no sign to give (measure zero)
    rest = float(weights[1:] @ margins[1:])
    weights[0] = max(weights[0], -rest / margins[0] * (1 + draw(st.floats(0.01, 1.0))))
    return lows, highs, flips, weights, sigma
