"""Ensemble versus single-model robustness (Appendix B.1.2 and B.3): Corollary 1, optimal WE weights, Prop. B.1.

Shapes follow :mod:`theory.conditions`: confidences ``(..., 2, C)`` for the two base models of Corollary 1,
gradients ``(..., 2, C, d)``, ``y0`` an int; per-class arrays drop the ``y0`` column.

Corollary 1 as printed is false for negative gradient cosines (step (i) -> (ii) of its proof replaces
``||grad f_j||`` by an upper bound inside ``w1^2 a^2 + w2^2 b^2 + 2 w1 w2 a b cos(theta)``, which increases in
``a, b`` only when ``cos(theta) >= 0``). The corrected radius uses ``max(cos(theta), 0)``:
whenever the cosines are ``<= cos(theta) < 0`` they are also ``<= 0``, so the corrected statement covers
every case. ``corrected=False`` gives the printed radius, kept to exhibit the counterexample.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from ._validation import as_array, require_in_interval, require_nonnegative, require_positive
from .conditions import _scores, largest_radius, margin_gradients, margins, we_taylor_terms

__all__ = [
    "we_constant",
    "mme_constant",
    "corollary1_radius",
    "corollary1_c",
    "corollary1_beta_bound",
    "corollary1_we_radius",
    "corollary1_mme_radius",
    "corollary1_we_hypotheses",
    "corollary1_mme_hypotheses",
    "margin_gradient_cosines_we",
    "margin_gradient_cosines_mme",
    "ensemble_beats_single_threshold",
    "ensemble_beats_single",
    "weight_objective",
    "optimal_we_weights",
    "optimal_we_weights_numeric",
    "we_slack",
    "we_certified_radius_by_class",
]


def _positive_margins(m, name: str) -> np.ndarray:
    m = as_array(m, name)
    if np.any(m <= 0):
        raise ValueError(f"{name} must be > 0: Corollary 1 needs both base models to predict y0 at x0, got {m!r}")
    return m


# --------------------------------------------------------------------------- Corollary 1 constants


def we_constant(margins1, margins2, weights) -> np.ndarray:
    """Corollary 1, Eq. (14): ``C_WE = min_y 2 w1 w2 a_y b_y / (w1 a_y + w2 b_y)^2``; shape ``(...)``.

    ``margins1 = a``, ``margins2 = b`` are the two base models' margins ``f_j^{y0/y}(x0)`` over the wrong classes,
    shape ``(..., K)``, positive. ``C_WE`` lies in ``(0, 1/2]`` (AM-GM), with ``1/2`` iff ``w1 a_y = w2 b_y`` for all ``y``.
    """
    a = _positive_margins(margins1, "margins1")
    b = _positive_margins(margins2, "margins2")
    w = require_positive(weights, "weights")
    if w.shape != (2,):
        raise ValueError(f"Corollary 1 has two base models: weights must have shape (2,), got {w.shape}")
    u, v = w[0] * a, w[1] * b
    # 2uv/(u+v)^2 written as 1/2 - (u-v)^2/(2(u+v)^2): never above 1/2 in floating point either.
    return (0.5 - (u - v) ** 2 / (2.0 * (u + v) ** 2)).min(axis=-1)


def mme_constant(margins1, margins2) -> np.ndarray:
    """Corollary 1, Eq. (15): ``C_MME = min_{y1, y2} 2 a_{y1} b_{y2} / (a_{y1} + b_{y2})^2``; shape ``(...)``."""
    a = _positive_margins(margins1, "margins1")[..., :, None]
    b = _positive_margins(margins2, "margins2")[..., None, :]
    return (0.5 - (a - b) ** 2 / (2.0 * (a + b) ** 2)).min(axis=(-2, -1))


def corollary1_radius(r, delta, constant, cos_theta, *, corrected: bool = True) -> np.ndarray:
    """Corollary 1, Eqs. (14)-(15): ``R = r (1 - Delta)/(1 + Delta) (1 - C (1 - cos(theta)))^{-1/2}``.

    ``C`` is ``C_WE`` or ``C_MME`` in ``(0, 1/2]``, ``Delta`` in ``[0, 1)``, ``cos(theta)`` in ``[-1, 1]``.
    ``corrected=True`` uses ``max(cos(theta), 0)`` (the proof's step (ii) needs ``cos(theta) >= 0``); the printed
    form (``corrected=False``) is infinite at ``C = 1/2, cos(theta) = -1``. Broadcast shape.
    """
    r = require_positive(r, "r")
    delta = require_in_interval(delta, "delta", 0.0, 1.0, closed="left")
    c = require_in_interval(constant, "constant", 0.0, 0.5, closed="right")
    cos = require_in_interval(cos_theta, "cos_theta", -1.0, 1.0)
    if corrected:
        cos = np.maximum(cos, 0.0)
    inner = 1.0 - c * (1.0 - cos)
    with np.errstate(divide="ignore"):
        return r * (1.0 - delta) / (1.0 + delta) / np.sqrt(inner)


def corollary1_c(R, r) -> np.ndarray:
    """Corollary 1: ``c = max{R / r, 1}`` (``R`` may be infinite for the printed radius)."""
    R = np.asarray(R, dtype=float)
    if np.any(np.isnan(R)) or np.any(R <= 0):
        raise ValueError(f"R must be > 0, got {R!r}")
    return np.maximum(R / require_positive(r, "r"), 1.0)


def corollary1_beta_bound(delta, min_margin, c, r) -> np.ndarray:
    """Corollary 1's smoothness hypothesis: ``beta <= Delta min_j f_j^{y0/y}(x0) / (c^2 r^2)``."""
    delta = require_in_interval(delta, "delta", 0.0, 1.0, closed="left")
    return delta * as_array(min_margin, "min_margin") / (np.asarray(c, dtype=float) ** 2 * require_positive(r, "r") ** 2)


def margin_gradient_cosines_we(gradients, y0) -> np.ndarray:
    """``cos<grad f_1^{y0/y}, grad f_2^{y0/y}>`` per wrong class from gradients ``(..., 2, C, d)``; shape ``(..., C - 1)``."""
    dm = margin_gradients(_two(gradients), y0)
    return _cos(dm[..., 0, :, :], dm[..., 1, :, :])


def margin_gradient_cosines_mme(gradients, y0) -> np.ndarray:
    """``cos<grad f_1^{y0/y1}, grad f_2^{y0/y2}>`` per pair of wrong classes; shape ``(..., C - 1, C - 1)``."""
    dm = margin_gradients(_two(gradients), y0)
    return _cos(dm[..., 0, :, None, :], dm[..., 1, None, :, :])


def _two(gradients) -> np.ndarray:
    g = as_array(gradients, "gradients")
    if g.ndim < 3 or g.shape[-3] != 2:
        raise ValueError(f"Corollary 1 has two base models: gradients must have shape (..., 2, C, d), got {g.shape}")
    return g


def _cos(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    nu, nv = np.linalg.norm(u, axis=-1), np.linalg.norm(v, axis=-1)
    if np.any(nu == 0) or np.any(nv == 0):
        raise ValueError("a margin gradient is zero: its cosine with the other model's is undefined")
    return np.einsum("...d,...d->...", u, v) / (nu * nv)


def _two_models(confidences, y0) -> tuple[np.ndarray, np.ndarray]:
    f = _scores(confidences, min_ndim=2)
    if f.shape[-2] != 2:
        raise ValueError(f"Corollary 1 has two base models: confidences must have shape (..., 2, C), got {f.shape}")
    m = margins(f, y0)
    return m[..., 0, :], m[..., 1, :]


def corollary1_we_radius(confidences, weights, y0, r, delta, cos_theta, *, corrected: bool = True) -> np.ndarray:
    """Corollary 1 (WE), Eq. (14): the radius ``R`` the corollary certifies for ``M_WE`` over two base models.

    Hypotheses (check with :func:`corollary1_we_hypotheses`; r-robustness of the base models is not local):
    both base models beta-smooth, r-robust at ``x0`` and predicting ``y0`` there; ``M_WE(x0) = y0``;
    ``beta <= Delta min_j f_j^{y0/y}(x0) / (c^2 r^2)`` and ``cos<grad f_1^{y0/y}, grad f_2^{y0/y}> <= cos(theta)``
    for every ``y != y0``, with ``c = max{R/r, 1}``.
    """
    a, b = _two_models(confidences, y0)
    return corollary1_radius(r, delta, we_constant(a, b, weights), cos_theta, corrected=corrected)


def corollary1_mme_radius(confidences, y0, r, delta, cos_theta, *, corrected: bool = True) -> np.ndarray:
    """Corollary 1 (MME), Eq. (15): the radius ``R`` the corollary certifies for ``M_MME`` over two base models.

    Hypotheses as for :func:`corollary1_we_radius`, over pairs ``(y1, y2)`` of wrong classes.
    """
    a, b = _two_models(confidences, y0)
    return corollary1_radius(r, delta, mme_constant(a, b), cos_theta, corrected=corrected)


def corollary1_we_hypotheses(confidences, gradients, weights, y0, beta, r, delta, cos_theta,
                             *, corrected: bool = True) -> np.ndarray:
    """The local hypotheses of Corollary 1 (WE): margins positive, the beta bound and the cosine bound; shape ``(...)``."""
    beta = require_nonnegative(beta, "beta")
    a, b = _two_models(confidences, y0)
    R = corollary1_we_radius(confidences, weights, y0, r, delta, cos_theta, corrected=corrected)
    c = corollary1_c(R, r)
    bound = corollary1_beta_bound(delta, np.minimum(a, b), c[..., None], r)
    cos_ok = np.all(margin_gradient_cosines_we(gradients, y0) <= cos_theta, axis=-1)
    return np.all(beta <= bound, axis=-1) & cos_ok


def corollary1_mme_hypotheses(confidences, gradients, y0, beta, r, delta, cos_theta,
                              *, corrected: bool = True) -> np.ndarray:
    """The local hypotheses of Corollary 1 (MME), over pairs of wrong classes; shape ``(...)``."""
    beta = require_nonnegative(beta, "beta")
    a, b = _two_models(confidences, y0)
    R = corollary1_mme_radius(confidences, y0, r, delta, cos_theta, corrected=corrected)
    c = corollary1_c(R, r)
    bound = corollary1_beta_bound(delta, np.minimum(a[..., :, None], b[..., None, :]), c[..., None, None], r)
    cos_ok = np.all(margin_gradient_cosines_mme(gradients, y0) <= cos_theta, axis=(-2, -1))
    return np.all(beta <= bound, axis=(-2, -1)) & cos_ok


# --------------------------------------------------------------------------- Remark after Corollary 1


def ensemble_beats_single_threshold(constant, delta) -> np.ndarray:
    """Remark after Corollary 1: ``R > r`` iff ``cos(theta) < 1 - 4 Delta / (C (1 + Delta)^2)``.

    The paper prints ``<=``; at equality ``R = r``. Valid for ``1 - C (1 - cos(theta)) > 0``.
    """
    c = require_in_interval(constant, "constant", 0.0, 0.5, closed="right")
    delta = require_in_interval(delta, "delta", 0.0, 1.0, closed="left")
    return 1.0 - 4.0 * delta / (c * (1.0 + delta) ** 2)


def ensemble_beats_single(constant, delta, cos_theta) -> np.ndarray:
    """Whether Corollary 1's radius exceeds the base models' ``r`` (strict inequality)."""
    return np.asarray(cos_theta, dtype=float) < ensemble_beats_single_threshold(constant, delta)


# --------------------------------------------------------------------------- optimal WE weights


def _log_ratio(margins1, margins2) -> np.ndarray:
    a = _positive_margins(margins1, "margins1")
    b = _positive_margins(margins2, "margins2")
    return np.log(b) - np.log(a)


def weight_objective(s, margins1, margins2) -> np.ndarray:
    """``min_y 2 w1 w2 a_y b_y / (w1 a_y + w2 b_y)^2`` at ``s = log(w2 / w1)``; shape broadcast of ``s`` and ``(...)``.

    Each term equals ``(1/2) sech^2((s + l_y) / 2)`` with ``l_y = log(b_y / a_y)``. The term is log-concave
    in ``s`` but not concave (it is convex for ``|s + l_y| > 2 arsinh(1/sqrt 2)``), so the minimum over ``y`` is
    log-concave, hence unimodal.
    """
    ell = _log_ratio(margins1, margins2)
    u = (np.asarray(s, dtype=float)[..., None] + ell) / 2.0
    return (0.5 / np.cosh(u) ** 2).min(axis=-1)


def optimal_we_weights(margins1, margins2) -> tuple[np.ndarray, np.ndarray]:
    """Optimal WE weights of App. B.1.2: ``arg max_w C_WE``, normalised to ``w1 + w2 = 1``; returns ``(w, C*)``.

    The objective is ``(1/2) sech^2(max_y |s + l_y| / 2)``, maximised by minimising ``max_y |s + l_y|``:
    ``s* = -(max_y l_y + min_y l_y) / 2`` and ``C* = (1/2) sech^2((max_y l_y - min_y l_y) / 4)``. With one wrong
    class this is ``w proportional to (b, a)`` and ``C* = 1/2``. Shapes: margins ``(..., K)``, ``w`` ``(..., 2)``.
    """
    ell = _log_ratio(margins1, margins2)
    hi, lo = ell.max(axis=-1), ell.min(axis=-1)
    s = -(hi + lo) / 2.0
    w2 = 1.0 / (1.0 + np.exp(-s))
    return np.stack([1.0 - w2, w2], axis=-1), 0.5 / np.cosh((hi - lo) / 4.0) ** 2


def optimal_we_weights_numeric(margins1, margins2) -> tuple[np.ndarray, float]:
    """The same optimum by bounded scalar search on ``log C_WE`` (concave in ``s``) for one input, margins ``(K,)``."""
    ell = _log_ratio(margins1, margins2)
    if ell.ndim != 1:
        raise ValueError(f"margins must have shape (K,), got {ell.shape}")
    lo, hi = -ell.max(), -ell.min()
    if hi - lo < 1e-12:
        s = lo
    else:
        res = minimize_scalar(lambda t: -np.log(weight_objective(t, margins1, margins2)),
                              bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
        s = float(res.x)
    w2 = 1.0 / (1.0 + np.exp(-s))
    return np.array([1.0 - w2, w2]), float(weight_objective(s, margins1, margins2))


# --------------------------------------------------------------------------- Proposition B.1


def we_slack(confidences, gradients, weights, y0, beta, r) -> np.ndarray:
    """Slack of Theorem 1's Eq. (4) per wrong class: ``S_y / r - beta r sum w - G_y``; shape ``(..., C - 1)``.

    Proposition B.1: if two sub-ensembles (same weights) have nonnegative slacks and, for each class, ensemble
    margin gradients that are nonzero and not positively colinear, the union has strictly positive slacks.
    """
    beta = require_nonnegative(beta, "beta")
    r = require_positive(r, "r")
    s, g, w = we_taylor_terms(confidences, gradients, weights, y0)
    return s / r[..., None] - (beta * r * w)[..., None] - g


def we_certified_radius_by_class(confidences, gradients, weights, y0, beta) -> np.ndarray:
    """Largest radius certified by Eq. (4) for each wrong class; shape ``(..., C - 1)`` (min gives Theorem 1's)."""
    s, g, w = we_taylor_terms(confidences, gradients, weights, y0)
    return largest_radius(require_nonnegative(beta, "beta")[..., None] * w, g, s)

