"""Certified accuracy and the Average Certified Radius of a list of certificates.

Certified accuracy at radius r is the fraction of images whose prediction is correct and whose
certified radius is at least r (Cohen et al., 2019, Section 4). The Average Certified Radius is
the mean over images of the certified radius of a correct prediction, 0 for a wrong prediction or
an abstention (Zhai et al., 2020, MACER). Both take the validated rows of
:func:`drt_min.results.read_tsv`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from drt_min.errors import UserError
from drt_min.results import Row

__all__ = ["PAPER_RADII", "radius_at_label", "radius_if_correct", "certified_radii", "certified_accuracy",
           "average_certified_radius"]

#: The radii of the paper's MNIST tables (Table 1): 0, 0.25, ..., 2.5.
PAPER_RADII = tuple(0.25 * i for i in range(11))


def radius_at_label(predict, radius, label) -> float:
    """The certified radius of a prediction that is the label; 0 for a wrong one or an abstention
    (predict = -1). Every "radius if correct, else 0" of the package is this function."""
    return float(radius) if int(predict) == int(label) else 0.0


def radius_if_correct(row: Row) -> float:
    """:func:`radius_at_label` of a TSV row (its ``correct`` is ``predict == label``, checked on reading)."""
    return radius_at_label(row.predict, row.radius, row.label)


def certified_radii(rows: Sequence[Row]) -> np.ndarray:
    """Per row: :func:`radius_if_correct` (the terms of the ACR)."""
    return np.array([radius_if_correct(r) for r in rows], dtype=float)


def certified_accuracy(rows: Sequence[Row], radius: float) -> float:
    """Fraction of ``rows`` that are correct with radius >= ``radius``."""
    if not rows:
        raise UserError("certified accuracy of no rows")
    return sum(1 for r in rows if r.correct and r.radius >= radius) / len(rows)


def average_certified_radius(rows: Sequence[Row]) -> float:
    """Mean over ``rows`` of the radius where the prediction is correct, 0 where it is not."""
    if not rows:
        raise UserError("average certified radius of no rows")
    # a Python sum in row order, as the ACRs on record were summed (the added zeros change nothing)
    return sum(radius_if_correct(r) for r in rows) / len(rows)
