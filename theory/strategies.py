"""Ensemble-before-Smoothing versus Ensemble-after-Smoothing (Appendix C).

Everything here acts on smoothed probabilities that are already known (or lower-bounded):

- Definition 6 (EAS): :func:`eas_select` picks the member with the largest top-class smoothed
  probability and predicts that member's class.
- Theorem 5 (EAS radius). The printed radius (:func:`eas_radius_printed`) takes, for a member
  whose smoothed prediction is wrong, ``r_i = -sigma Phi^{-1}(q_i)`` with ``q_i`` its top-class
  probability. That is unsound when such a ``q_i`` is below 1/2: then ``r_i > 0`` can be the maximum
  although the member does not predict ``y0``. The corrected radius
  (:func:`eas_certified_radius`) uses ``r_i = sigma Phi^{-1}(p_i(y0))`` for every member;
  :func:`eas_certified_radius_sharp` is a sound radius that is never smaller than it.
  :func:`eas_radius_repaired` is the minimal repair of the printed formula: its max runs over the
  members that predict ``y0`` only (equivalently, a wrong member's top probability is at least 1/2).
- Corollary 4 (two-model MME, EBS vs EAS): :func:`cor4_radius_ebs`, :func:`cor4_radius_eas`,
  :func:`cor4_threshold` and the feasibility check :func:`cor4_feasible`.

All radii are for the open ball: the prediction is constant on ``{x0 + delta : ||delta||_2 < r}``.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from theory._validation import (
    as_array,
    require_in_interval,
    require_positive,
    require_probability,
)

__all__ = [
    "eas_select",
    "eas_member_radii_printed",
    "eas_radius_printed",
    "eas_certified_radius",
    "eas_certified_radius_from_probabilities",
    "eas_certified_radius_sharp",
    "eas_radius_repaired",
    "ebs_mme_probability",
    "cor4_radius_ebs",
    "cor4_radius_eas",
    "cor4_threshold",
    "cor4_feasible",
]

_SIMPLEX_TOL = 1e-9


def _require_members(probs, name: str = "probs") -> np.ndarray:
    """Smoothed probability vectors of shape (..., N, C), each row in the closed simplex."""
    arr = require_probability(probs, name)
    if arr.ndim < 2 or arr.shape[-1] < 2 or arr.shape[-2] < 1:
        raise ValueError(f"{name} must have shape (..., N, C) with N >= 1 and C >= 2, got {arr.shape}")
    if np.any(arr.sum(axis=-1) > 1 + _SIMPLEX_TOL):
        raise ValueError(f"each row of {name} must sum to at most 1 (smoothed probabilities)")
    return arr


def eas_select(probs) -> tuple[np.ndarray, np.ndarray]:
    """Definition 6, Eq. (37): the EAS choice.

    ``probs[..., i, :]`` is member i's smoothed probability vector ``g^eps_{F_i}(x0)``.
    Returns ``(c, y0)``: the member ``c = argmax_i max_j probs[i, j]`` (first index on ties) and its
    predicted class ``y0 = argmax_j probs[c, j]``, both integer arrays of shape ``probs.shape[:-2]``.
    """
    arr = _require_members(probs)
    member = np.argmax(arr.max(axis=-1), axis=-1)
    chosen = np.take_along_axis(arr, member[..., None, None], axis=-2)[..., 0, :]
    return member, np.argmax(chosen, axis=-1)


def eas_member_radii_printed(probs, sigma) -> np.ndarray:
    """Theorem 5 as printed: ``r_i = sigma Phi^{-1}(p_i)`` if member i predicts ``y0``, else
    ``r_i = -sigma Phi^{-1}(q_i)`` with ``q_i`` its top-class probability.

    Returns the radii of shape (..., N). ``y0`` is the EAS prediction of :func:`eas_select`.
    """
    arr = _require_members(probs)
    sigma = require_positive(sigma, "sigma")
    _, y0 = eas_select(arr)
    predicted = np.argmax(arr, axis=-1)
    p_y0 = np.take_along_axis(arr, np.broadcast_to(y0[..., None, None], arr.shape[:-1] + (1,)), axis=-1)[..., 0]
    top = arr.max(axis=-1)
    sig = np.asarray(sigma)[..., None]
    with np.errstate(divide="ignore"):
        return np.where(predicted == y0[..., None], sig * norm.ppf(p_y0), -sig * norm.ppf(top))


def eas_radius_printed(probs, sigma) -> np.ndarray:
    """Theorem 5, Eq. (39) as printed: ``(max_i r_i + min_i r_i) / 2`` with the printed ``r_i``.

    Unsound in general (see :mod:`theory.strategies`); kept to exhibit the counterexample.
    """
    radii = eas_member_radii_printed(probs, sigma)
    return _midrange(radii)


def eas_radius_repaired(probs, sigma) -> np.ndarray:
    """Theorem 5, minimal repair: Eq. (39) with the max taken only over the members that predict ``y0``.

        r = (max_{i: F_i predicts y0} r_i + min_i r_i) / 2,   r_i as printed
        (sigma Phi^{-1}(p_i(y0)) for a member predicting y0, -sigma Phi^{-1}(q_i) for one that does not).

    Equivalently, the printed formula under the added assumption that a wrong member's top probability
    ``q_i`` is at least 1/2 (then its ``r_i <= 0`` never is the max). Sound: for ``|delta| < r`` the EAS
    member (largest top probability, so predicting ``y0`` with the largest ``r_i`` among correct members)
    keeps ``y0`` probability ``>= Phi((max - |delta|)/sigma)``; a correct member's wrong classes stay below
    ``1 - p_i(y0)``, a wrong member's below its top ``q_i``, so every wrong probability is
    ``<= Phi((|delta| - min_i r_i)/sigma)`` (Lipschitz ``Phi^{-1}``, Salman et al. 2019). Never below
    :func:`eas_certified_radius`, never above :func:`eas_certified_radius_sharp`, and equal to the printed
    radius when every wrong member has ``q_i >= 1/2`` (in particular with two classes).
    For exact smoothed probabilities (which member predicts ``y0`` must be known). Returns ``probs.shape[:-2]``.
    """
    arr = _require_members(probs)
    radii = eas_member_radii_printed(arr, sigma)
    _, y0 = eas_select(arr)
    correct = np.argmax(arr, axis=-1) == y0[..., None]
    hi = np.where(correct, radii, -np.inf).max(axis=-1)  # the EAS member predicts y0: never empty
    return _midrange(np.stack([hi, radii.min(axis=-1)], axis=-1))


def _midrange(radii: np.ndarray) -> np.ndarray:
    hi, lo = radii.max(axis=-1), radii.min(axis=-1)
    # +inf and -inf together: one member is y0 almost surely and another never is, so ties with a
    # wrong class of probability 1 are possible; report no radius (the caller abstains at <= 0).
    both = np.isposinf(hi) & np.isneginf(lo)
    with np.errstate(invalid="ignore"):
        out = np.where(both, 0.0, (np.where(both, 0.0, hi) + np.where(both, 0.0, lo)) / 2)
    return out


def eas_certified_radius(p_y0, sigma) -> np.ndarray:
    """Theorem 5, corrected: the EAS ensemble is r-robust at x0 for

        r = (max_i r_i + min_i r_i) / 2,   r_i = sigma * Phi^{-1}(p_y0_i),

    where ``p_y0[..., i]`` is member i's smoothed probability (or a lower bound on it) of the EAS
    class ``y0``, for EVERY member, whatever that member predicts. Proof: ``Phi^{-1}(g_i(.)_{y0})``
    is (1/sigma)-Lipschitz (Salman et al., 2019, Lemma 2), so at ``x0 + delta`` the member k with
    the largest ``r_k`` keeps ``y0`` probability ``>= Phi((r_k - |delta|)/sigma)``, while any wrong
    class of any member j has probability ``<= 1 - g_j(.)_{y0} <= Phi((|delta| - r_j)/sigma)``;
    for ``|delta| < r`` the former is larger, so the selected member predicts ``y0``.

    ``p_y0`` has shape (..., N) with values in [0, 1]; ``sigma > 0`` broadcasts against
    ``p_y0.shape[:-1]``. Returns an array of shape ``p_y0.shape[:-1]``; ``-inf`` when some
    probability is 0; 0 when one member has probability 1 and another 0. The caller abstains when
    the radius is <= 0.
    """
    p = require_probability(p_y0, "p_y0")
    if p.ndim < 1 or p.shape[-1] < 1:
        raise ValueError(f"p_y0 must have shape (..., N) with N >= 1, got {p.shape}")
    sigma = require_positive(sigma, "sigma")
    with np.errstate(divide="ignore"):
        radii = np.asarray(sigma)[..., None] * norm.ppf(p)
    return _midrange(radii)


def eas_certified_radius_from_probabilities(probs, sigma) -> np.ndarray:
    """:func:`eas_certified_radius` with ``y0`` taken from :func:`eas_select` on full vectors."""
    arr = _require_members(probs)
    _, y0 = eas_select(arr)
    idx = np.broadcast_to(y0[..., None, None], arr.shape[:-1] + (1,))
    return eas_certified_radius(np.take_along_axis(arr, idx, axis=-1)[..., 0], sigma)


def eas_certified_radius_sharp(probs, sigma) -> np.ndarray:
    """A sound EAS radius that is never below :func:`eas_certified_radius`.

    With ``y0`` the EAS class, ``A = max_i sigma Phi^{-1}(p_i(y0))`` and
    ``B = min_i -sigma Phi^{-1}(w_i)``, ``w_i = max_{y != y0} p_i(y)`` (each member's largest
    wrong-class probability), the EAS ensemble is r-robust for ``r = (A + B) / 2``: for
    ``|delta| < r`` the best member's ``y0`` probability ``Phi((A - |delta|)/sigma)`` beats every wrong
    probability ``Phi((|delta| - B)/sigma)`` of every member. Since ``w_i <= 1 - p_i(y0)``,
    ``B >= min_i sigma Phi^{-1}(p_i(y0))``; it coincides with the printed Eq. (39) whenever the printed
    form is sound (the member with the largest printed r_i predicts y0).
    Returns shape ``probs.shape[:-2]``.
    """
    arr = _require_members(probs)
    sigma = np.asarray(require_positive(sigma, "sigma"))
    _, y0 = eas_select(arr)
    onehot = np.arange(arr.shape[-1]) == y0[..., None, None]
    p_y0 = np.where(onehot, arr, -np.inf).max(axis=-1)
    wrong = np.where(onehot, -np.inf, arr).max(axis=-1)
    with np.errstate(divide="ignore"):
        a = sigma * norm.ppf(p_y0).max(axis=-1)
        b = -sigma * norm.ppf(wrong).max(axis=-1)
    a, b = np.broadcast_arrays(a, b)
    return _midrange(np.stack([a, b], axis=-1))


# --- Corollary 4 ---------------------------------------------------------------------------------


def cor4_feasible(p_a, p_b, p_ab) -> np.ndarray:
    """Whether (p_a, p_b, p_ab) can be the probabilities of Corollary 4.

    ``p_a, p_b`` are the members' smoothed probabilities of y0, ``p_ab = P(both predict y0)``.
    Feasible: ``max(0, p_a + p_b - 1) <= p_ab <= min(p_a, p_b)`` (Frechet bounds), and the
    conditioning event of ``p`` (exactly one member right, probability ``p_a + p_b - 2 p_ab``) has
    positive probability, so that ``p`` is defined.
    """
    p_a, p_b, p_ab = (as_array(v, n) for v, n in ((p_a, "p_a"), (p_b, "p_b"), (p_ab, "p_ab")))
    tol = 1e-12
    return ((p_ab >= np.maximum(0.0, p_a + p_b - 1) - tol) & (p_ab <= np.minimum(p_a, p_b) + tol)
            & (p_a + p_b - 2 * p_ab > 0))


def _cor4_inputs(p_a, p_b, p_ab):
    p_a = require_in_interval(p_a, "p_a", 0.5, 1.0, closed="neither")
    p_b = require_in_interval(p_b, "p_b", 0.5, 1.0, closed="neither")
    p_ab = require_probability(p_ab, "p_ab")
    if not np.all(cor4_feasible(p_a, p_b, p_ab)):
        raise ValueError("need max(0, p_a + p_b - 1) <= p_ab <= min(p_a, p_b) and p_a + p_b - 2 p_ab > 0")
    return p_a, p_b, p_ab


def ebs_mme_probability(p_a, p_b, p_ab, p) -> np.ndarray:
    """Corollary 4 proof: ``P(M_MME(x0 + eps) = y0) = p_ab + p (p_a + p_b - 2 p_ab)``.

    Both right: MME says y0; both wrong: MME picks a wrong class; exactly one right (probability
    ``p_a + p_b - 2 p_ab``): MME says y0 with conditional probability ``p``.
    """
    p_a, p_b, p_ab = _cor4_inputs(p_a, p_b, p_ab)
    p = require_probability(p, "p")
    return p_ab + p * (p_a + p_b - 2 * p_ab)


def cor4_radius_ebs(p_a, p_b, p_ab, p, sigma) -> np.ndarray:
    """Corollary 4: ``r_G = sigma Phi^{-1}(p_ab + p (p_a + p_b - 2 p_ab))`` (Proposition C.1, Eq. 38)."""
    sigma = require_positive(sigma, "sigma")
    with np.errstate(divide="ignore"):
        return sigma * norm.ppf(ebs_mme_probability(p_a, p_b, p_ab, p))


def cor4_radius_eas(p_a, p_b, sigma) -> np.ndarray:
    """Corollary 4: ``r_H = (sigma/2)(Phi^{-1}(p_a) + Phi^{-1}(p_b))`` (Theorem 5 with both members right)."""
    p_a = require_in_interval(p_a, "p_a", 0.5, 1.0, closed="neither")
    p_b = require_in_interval(p_b, "p_b", 0.5, 1.0, closed="neither")
    sigma = require_positive(sigma, "sigma")
    return sigma / 2 * (norm.ppf(p_a) + norm.ppf(p_b))


def cor4_threshold(p_a, p_b, p_ab) -> np.ndarray:
    """Corollary 4, part 1: the threshold ``1/2 + (2 + 4 (p_min - p_ab)/delta)^{-1}``.

    Computed in the equivalent form ``(p_max - p_ab) / (p_a + p_b - 2 p_ab)`` (proved equal in
    :func:`theory.proofs.strategies.prove_cor4_threshold`), which is also defined at ``delta = 0``
    (where it is 1/2, the limit of the printed form). ``p > threshold`` implies ``r_G > r_H``.
    """
    p_a, p_b, p_ab = _cor4_inputs(p_a, p_b, p_ab)
    return (np.maximum(p_a, p_b) - p_ab) / (p_a + p_b - 2 * p_ab)
