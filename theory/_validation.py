"""Input validation shared by every statement in :mod:`theory`.

Each statement of the paper holds only on a domain (sigma > 0, probabilities in [0, 1], ...).
The functions here turn out-of-domain input into a ``ValueError`` that names the argument and
the domain, before any arithmetic can produce a silent NaN.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_array",
    "require_finite",
    "require_positive",
    "require_nonnegative",
    "require_probability",
    "require_open_probability",
    "require_in_interval",
    "require_integer_at_least",
]


def as_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array; reject NaN and infinities."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {x!r}") from exc
    return require_finite(arr, name)


def require_finite(arr: np.ndarray, name: str) -> np.ndarray:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr!r}")
    return arr


def require_positive(x, name: str) -> np.ndarray:
    arr = as_array(x, name)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return arr


def require_nonnegative(x, name: str) -> np.ndarray:
    arr = as_array(x, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got {x!r}")
    return arr


def require_probability(x, name: str) -> np.ndarray:
    """Values in the closed interval [0, 1]."""
    arr = as_array(x, name)
    if np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"{name} must lie in [0, 1], got {x!r}")
    return arr


def require_open_probability(x, name: str) -> np.ndarray:
    """Values in the open interval (0, 1), where Phi^{-1} is finite."""
    arr = as_array(x, name)
    if np.any((arr <= 0) | (arr >= 1)):
        raise ValueError(f"{name} must lie in the open interval (0, 1), got {x!r}")
    return arr


def require_in_interval(x, name: str, low: float, high: float, *, closed: str = "both") -> np.ndarray:
    """Values in an interval; ``closed`` is one of 'both', 'left', 'right', 'neither'."""
    arr = as_array(x, name)
    lo_ok = arr >= low if closed in ("both", "left") else arr > low
    hi_ok = arr <= high if closed in ("both", "right") else arr < high
    if not np.all(lo_ok & hi_ok):
        left = "[" if closed in ("both", "left") else "("
        right = "]" if closed in ("both", "right") else ")"
        raise ValueError(f"{name} must lie in {left}{low}, {high}{right}, got {x!r}")
    return arr


def require_integer_at_least(n, name: str, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)
