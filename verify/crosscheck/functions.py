"""The linear functions of the members' confidences that the theorems speak of, as coefficient rows.

A trained ensemble's N members give, at every noisy input, N * C confidences ``f_j(x)_c``, flattened
to index ``j * C + c``. Every margin in the paper is a linear combination of them: a row of the
matrices below. Bounds for many combinations then come from one set of samples
(:mod:`verify.crosscheck.bounds`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["wrong_classes", "class_score_rows", "we_margin_rows", "member_margin_rows",
           "pair_sum_rows", "member_difference_rows"]


def wrong_classes(num_classes: int, y0: int) -> np.ndarray:
    """The classes other than ``y0``, increasing (the order of :mod:`theory.conditions`)."""
    return np.array([c for c in range(num_classes) if c != y0])


def _unit(num_members: int, num_classes: int, member: int, cls: int) -> np.ndarray:
    row = np.zeros(num_members * num_classes)
    row[member * num_classes + cls] = 1.0
    return row


def class_score_rows(weights: np.ndarray, num_classes: int) -> np.ndarray:
    """WE class scores ``sum_j w_j f_j(x)_c`` for every class c: (C, N C)."""
    weights = np.asarray(weights, dtype=float)
    return np.stack([sum(w * _unit(len(weights), num_classes, j, c) for j, w in enumerate(weights))
                     for c in range(num_classes)])


def we_margin_rows(weights: np.ndarray, num_classes: int, y0: int) -> np.ndarray:
    """Theorem 1's weighted margins ``sum_j w_j f_j^{y0/y}`` for the wrong classes y: (C - 1, N C)."""
    scores = class_score_rows(weights, num_classes)
    return scores[y0][None, :] - scores[wrong_classes(num_classes, y0)]


def member_margin_rows(num_members: int, num_classes: int, y0: int) -> np.ndarray:
    """Every member's margins ``f_j^{y0/y}``, ordered (member, wrong class): (N (C - 1), N C)."""
    rows = [_unit(num_members, num_classes, j, y0) - _unit(num_members, num_classes, j, y)
            for j in range(num_members) for y in wrong_classes(num_classes, y0)]
    return np.stack(rows)


def pair_sum_rows(num_members: int, num_classes: int, y0: int) -> np.ndarray:
    """Theorem 3's pair sums ``f_i^{y0/y} + f_k^{y0/y'}`` ordered (i, k, y, y'): (N^2 (C-1)^2, N C).

    ``k = i`` is included: it is the partner condition's self-pair (:func:`theory.conditions.mme_pair_taylor_terms`).
    """
    m = member_margin_rows(num_members, num_classes, y0).reshape(num_members, num_classes - 1, -1)
    return (m[:, None, :, None, :] + m[None, :, None, :, :]).reshape(-1, m.shape[-1])


def member_difference_rows(num_members: int, num_classes: int) -> np.ndarray:
    """``f_j(x)_a - f_j(x)_b`` for every member j and ordered pair a != b: (N C (C - 1), N C),
    ordered (j, a, b) with b running over the classes other than a."""
    rows = [_unit(num_members, num_classes, j, a) - _unit(num_members, num_classes, j, b)
            for j in range(num_members) for a in range(num_classes)
            for b in wrong_classes(num_classes, a)]
    return np.stack(rows)
