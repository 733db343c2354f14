"""Strategies for the DRT objective tests: simplex confidences, labels and margin gradients."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@st.composite
def ensemble_outputs(draw, max_members: int = 5, max_classes: int = 6, max_dim: int = 4):
    """(confidences (N, C) on the simplex, label, margin gradients (N, d))."""
    n = draw(st.integers(2, max_members))
    c = draw(st.integers(2, max_classes))
    d = draw(st.integers(1, max_dim))
    raw = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(0.01, 1.0)))
    conf = raw / raw.sum(axis=-1, keepdims=True)
    label = draw(st.integers(0, c - 1))
    grads = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-3.0, 3.0)))
    return conf, np.int64(label), grads
