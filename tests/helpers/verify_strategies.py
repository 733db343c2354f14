"""Hypothesis strategies for the smoothing-strategy checks (verify/checks/strategies.py).

Ensembles of linear partition classifiers (Theorem 5), built from the members of
tests/helpers/verify_smoothing.py. The oracles are those of the checks module.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests.helpers.verify_smoothing import partitions


@st.composite
def linear_ensembles(draw):
    """(members, sigma) with N 2-10 members in R^d (d 2-50) and C 2-10 classes."""
    d = draw(st.integers(2, 50))
    c = draw(st.integers(2, 10))
    sigma = draw(st.floats(0.3, 3.0))
    n = draw(st.integers(2, 10))
    return [draw(partitions(d=d, n_classes=c, max_edges=3, sigma=sigma)) for _ in range(n)], sigma
