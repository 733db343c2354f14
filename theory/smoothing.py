"""Gaussian smoothing: certified radii, smoothness of soft-smoothed confidences, EBS (Sec. 2.1, 2.3, App. A, B.4-B.5).

Statements and their reconstruction:

- Lemma A.1 / Proposition C.1: ``r = (sigma/2)(Phi^{-1}(pA) - Phi^{-1}(pB)) >= sigma Phi^{-1}(pA)``
  when ``pB <= 1 - pA``. The extraction of Eq. (11) lacks the 1/2 (:func:`cohen_radius_printed`).
- Theorem 2: ``g = f * N(0, sigma^2 I)`` of any ``f: R^d -> [0, 1]`` is beta-smooth with the printed
  ``beta = 2/sigma^2`` (:func:`smoothness_constant_paper`). The best constant is
  ``beta* = sqrt(2/(pi e))/sigma^2 = 2 phi(1)/sigma^2`` (:func:`smoothness_constant_tight`), since
  ``u^T H_g(x) u = E[f(x + eps)(Z^2 - 1)]/sigma^2`` with ``Z = u.eps/sigma`` and the supremum of
  ``E[f h]`` over ``0 <= f <= 1`` is ``E[h_+]``. For the margin ``f_a - f_b`` of two simplex
  components it is ``2 beta*`` (:func:`margin_smoothness_constant`).
- Proposition B.4: the step function's ``g`` has ``sup|g''| = phi(1)/sigma^2``
  (:func:`step_smoothness_lower_bound`).
- Corollaries 2-3: Theorems 1 and 3 with a smoothness constant (:func:`cor2_sufficient`, ...).
- Eq. (8) and Definition 5: soft-smoothed WE confidence versus the EBS hard-vote probability.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import beta, norm

from theory._validation import (
    as_array,
    require_integer_at_least,
    require_nonnegative,
    require_positive,
    require_probability,
)

__all__ = [
    "clopper_pearson_lower",
    "clopper_pearson_upper",
    "cohen_radius",
    "cohen_radius_printed",
    "cohen_radius_lower",
    "halfspace_smoothed_probability",
    "interval_partition_smoothed_probabilities",
    "interval_indicator_smoothed",
    "interval_indicator_smoothed_gradient",
    "gaussian_kernel_second_derivative",
    "interval_indicator_second_derivative",
    "step_second_derivative",
    "extremal_indicator",
    "smoothness_constant_paper",
    "smoothness_constant_tight",
    "margin_smoothness_constant",
    "step_smoothness_lower_bound",
    "cor2_sufficient",
    "cor2_necessary",
    "cor3_sufficient",
    "cor3_necessary",
    "soft_we_confidence",
    "ebs_vote_probability",
    "ebs_soft_gap_bounds",
    "ebs_predict",
    "ebs_certified_radius",
]

_SIMPLEX_TOL = 1e-9


def _binomial_counts(k, n: int) -> np.ndarray:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    k = np.asarray(k)
    if k.size and (np.any(k < 0) or np.any(k > n)):
        raise ValueError(f"counts must lie in [0, n={n}], got {k!r}")
    return k


def _level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"the level must lie in (0, 1), got {level!r}")
    return float(level)


def clopper_pearson_lower(k, n: int, level: float) -> np.ndarray:
    """One-sided Clopper-Pearson lower bound on a binomial proportion (Cohen et al.'s ``pA_bar``).

    For ``k ~ Binomial(n, p)``: ``P(p < bound(k)) <= level``. The bound is
    ``beta.ppf(level, k, n - k + 1)``, 0 at ``k = 0`` (where ``beta.ppf`` gives NaN) and exactly
    ``level ** (1 / n)`` at ``k = n``. ``k`` may be an array; the result has its shape (float64).
    """
    k, level = _binomial_counts(k, n), _level(level)
    kf = k.astype(np.float64)
    with np.errstate(invalid="ignore"):
        bound = beta.ppf(level, np.maximum(kf, 1.0), n - kf + 1.0)
    bound = np.where(k == 0, 0.0, bound)
    bound = np.where(k == n, level ** (1.0 / n), bound)
    return np.asarray(bound, dtype=np.float64)


def clopper_pearson_upper(k, n: int, level: float) -> np.ndarray:
    """One-sided Clopper-Pearson upper bound: ``P(p > bound(k)) <= level``; 1 at ``k = n``.

    The bound is ``beta.ppf(1 - level, k + 1, n - k)``. ``k`` may be an array.
    """
    k, level = _binomial_counts(k, n), _level(level)
    kf = k.astype(np.float64)
    with np.errstate(invalid="ignore"):
        bound = beta.ppf(1.0 - level, kf + 1.0, np.maximum(n - kf, 1.0))
    return np.asarray(np.where(k == n, 1.0, bound), dtype=np.float64)
# E[(Z^2 - 1)_+] = 2 phi(1) = sqrt(2 / (pi e)): the sup of E[f (Z^2 - 1)] over 0 <= f <= 1.
_TIGHT = 2.0 * norm.pdf(1.0)


# --- Lemma A.1, Proposition C.1 ------------------------------------------------------------------


def cohen_radius(p_a, p_b, sigma) -> np.ndarray:
    """Lemma A.1, Eq. (11) (Cohen et al., 2019, Theorem 1): ``r = (sigma/2)(Phi^{-1}(pA) - Phi^{-1}(pB))``.

    ``p_a`` is (a lower bound on) the top class's smoothed probability, ``p_b`` (an upper bound on)
    the runner-up's, ``p_b <= p_a``, ``p_a + p_b <= 1``. Returns the radius (``inf`` when
    ``p_a = 1`` or ``p_b = 0``).
    """
    p_a = require_probability(p_a, "p_a")
    p_b = require_probability(p_b, "p_b")
    sigma = require_positive(sigma, "sigma")
    if np.any(p_b > p_a) or np.any(p_a + p_b > 1 + _SIMPLEX_TOL):
        raise ValueError("need p_b <= p_a and p_a + p_b <= 1")
    with np.errstate(divide="ignore", invalid="ignore"):
        return sigma / 2 * (norm.ppf(p_a) - norm.ppf(p_b))


def cohen_radius_printed(p_a, p_b, sigma) -> np.ndarray:
    """Eq. (11) as the extraction prints it, ``sigma (Phi^{-1}(pA) - Phi^{-1}(pB))``: twice the
    true radius (kept to exhibit the counterexample)."""
    return 2 * cohen_radius(p_a, p_b, sigma)


def cohen_radius_lower(p_a, sigma) -> np.ndarray:
    """Lemma A.1 lower bound and Proposition C.1, Eq. (38): ``r = sigma Phi^{-1}(pA)``.

    Equals :func:`cohen_radius` with ``pB = 1 - pA`` and is below it for any ``pB <= 1 - pA``.
    Meaningful (positive) for ``pA > 1/2``. Returns ``-inf`` at 0 and ``inf`` at 1.
    """
    p_a = require_probability(p_a, "p_a")
    sigma = require_positive(sigma, "sigma")
    with np.errstate(divide="ignore"):
        return sigma * norm.ppf(p_a)


# --- closed-form smoothed models ------------------------------------------------------------------


def halfspace_smoothed_probability(x, normal, offset, sigma) -> np.ndarray:
    """``P(normal . (x + eps) + offset > 0)`` for ``eps ~ N(0, sigma^2 I)``: ``Phi(dist/sigma)``.

    The smoothed probability of the positive class of a linear two-class classifier; ``dist`` is
    the signed distance of ``x`` (shape (..., d)) to the hyperplane. Cohen et al. show this classifier
    attains the radius of Lemma A.1.
    """
    x = as_array(x, "x")
    normal = as_array(normal, "normal")
    sigma = require_positive(sigma, "sigma")
    norm_w = np.linalg.norm(normal)
    if x.shape[-1:] != normal.shape or norm_w == 0:
        raise ValueError("normal must be a nonzero vector of length x.shape[-1]")
    dist = (x @ normal + as_array(offset, "offset")) / norm_w
    return norm.cdf(dist / sigma)


def interval_partition_smoothed_probabilities(t, edges, sigma) -> np.ndarray:
    """Smoothed class probabilities of a 1-D partition classifier.

    The classifier predicts class k on ``[edges[k-1], edges[k])`` (with ``edges[-1] = -inf``,
    ``edges[K] = +inf``), as a function of one coordinate ``t``; orthogonal coordinates are ignored,
    so the probabilities do not change under perturbations orthogonal to that coordinate.
    ``t`` has any shape, ``edges`` is strictly increasing of length K; returns shape (..., K + 1).
    """
    t = as_array(t, "t")
    edges = as_array(edges, "edges")
    sigma = require_positive(sigma, "sigma")
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be a strictly increasing 1-D array")
    cdf = norm.cdf((edges - t[..., None]) / np.asarray(sigma)[..., None])
    pad = np.ones(cdf.shape[:-1] + (1,))
    return np.diff(np.concatenate([0 * pad, cdf, pad], axis=-1), axis=-1)


def interval_indicator_smoothed(x, low, high, sigma) -> np.ndarray:
    """``g(x) = P(x + eps in [low, high])`` in 1-D, ``eps ~ N(0, sigma^2)``; ``low < high`` may be infinite."""
    x, low, high, sigma = _interval_args(x, low, high, sigma)
    return norm.cdf((high - x) / sigma) - norm.cdf((low - x) / sigma)


def interval_indicator_smoothed_gradient(x, low, high, sigma) -> np.ndarray:
    """``g'(x)`` for :func:`interval_indicator_smoothed`: ``(phi((low-x)/s) - phi((high-x)/s))/s``."""
    x, low, high, sigma = _interval_args(x, low, high, sigma)
    return (norm.pdf((low - x) / sigma) - norm.pdf((high - x) / sigma)) / sigma


def _interval_args(x, low, high, sigma):
    x = as_array(x, "x")
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    if np.any(np.isnan(low)) or np.any(np.isnan(high)) or np.any(low >= high):
        raise ValueError("need low < high (either may be infinite)")
    return x, low, high, require_positive(sigma, "sigma")


def gaussian_kernel_second_derivative(z, sigma) -> np.ndarray:
    """``d^2/dz^2`` of the N(0, sigma^2) density: ``phi_sigma(z) (z^2/sigma^2 - 1)/sigma^2``.

    ``g''(x) = int f(t) phi_sigma''(x - t) dt`` for ``g = f * phi_sigma`` (Theorem 2, Eq. 35).
    """
    z = as_array(z, "z")
    sigma = require_positive(sigma, "sigma")
    return norm.pdf(z / sigma) / sigma * ((z / sigma) ** 2 - 1) / sigma**2


def interval_indicator_second_derivative(x, low, high, sigma) -> np.ndarray:
    """Closed-form ``g''(x)`` for ``f = 1[low, high]`` in 1-D.

    ``int_low^high phi_sigma''(x - t) dt = phi_sigma'(x - low) - phi_sigma'(x - high)`` with
    ``phi_sigma'(z) = -z phi_sigma(z)/sigma^2`` (zero at infinite ends).
    """
    x, low, high, sigma = _interval_args(x, low, high, sigma)

    def dphi(z):
        with np.errstate(invalid="ignore"):
            out = -z * norm.pdf(z / sigma) / sigma**3
        return np.where(np.isfinite(z), out, 0.0)

    return dphi(x - low) - dphi(x - high)


def step_second_derivative(x, sigma) -> np.ndarray:
    """Proposition B.4: ``g''(x)`` for the step ``f = 1[t >= 0]``: ``-x phi(x/sigma)/sigma^3``."""
    return interval_indicator_second_derivative(x, 0.0, np.inf, sigma)


def extremal_indicator(t, center, direction, sigma) -> np.ndarray:
    """The function attaining the tight smoothness constant: ``f(t) = 1{|u.(t - c)| > sigma}``.

    ``u = direction/|direction|``; ``t`` has shape (..., d). Its smoothed ``g`` has
    ``u^T H_g(c) u = + sqrt(2/(pi e))/sigma^2``; ``1 - f`` gives ``-sqrt(2/(pi e))/sigma^2``.
    Returns a 0/1 float array of shape ``t.shape[:-1]``.
    """
    t = as_array(t, "t")
    center = as_array(center, "center")
    u = as_array(direction, "direction")
    sigma = require_positive(sigma, "sigma")
    if np.linalg.norm(u) == 0 or t.shape[-1:] != u.shape or center.shape != u.shape:
        raise ValueError("direction and center must be vectors of length t.shape[-1], direction nonzero")
    proj = (t - center) @ (u / np.linalg.norm(u))
    return (np.abs(proj) > sigma).astype(np.float64)


# --- Theorem 2, its remark, the tight constants, Proposition B.4 ----------------------------------


def _range_width(low, high) -> np.ndarray:
    low, high = as_array(low, "low"), as_array(high, "high")
    if np.any(high < low):
        raise ValueError(f"need low <= high, got [{low}, {high}]")
    return high - low


def smoothness_constant_paper(sigma, low=0.0, high=1.0) -> np.ndarray:
    """Theorem 2 and its remark as printed: ``2 (b - a)/sigma^2`` for ``f`` with values in [a, b].

    Sound but loose by the factor ``2/sqrt(2/(pi e)) ~ 4.13``; see :func:`smoothness_constant_tight`.
    """
    sigma = require_positive(sigma, "sigma")
    return 2 * _range_width(low, high) / sigma**2


def smoothness_constant_tight(sigma, low=0.0, high=1.0) -> np.ndarray:
    """The best smoothness constant of ``g = f * N(0, sigma^2 I)`` over all ``f: R^d -> [a, b]``:

        beta* = (b - a) sqrt(2/(pi e)) / sigma^2 = 2 (b - a) phi(1) / sigma^2.

    ``|u^T H_g(x) u| <= beta*`` for every x and unit u, with equality at ``x = c`` for
    ``f = a + (b - a) 1{|u.(t - c)| > sigma}`` (and ``-beta*`` for the complement). Since a
    symmetric Hessian's operator norm is the largest ``|u^T H u|``, ``grad g`` is beta*-Lipschitz.
    """
    sigma = require_positive(sigma, "sigma")
    return _TIGHT * _range_width(low, high) / sigma**2


def margin_smoothness_constant(sigma) -> np.ndarray:
    """Best smoothness constant of the smoothed margin ``g_a - g_b`` of two simplex components
    (values in [-1, 1]): ``2 beta* = 4 phi(1)/sigma^2``, attained by ``f_a = 1{|z| > 1}``,
    ``f_b = 1{|z| <= 1}`` (``z = u.(t - c)/sigma``)."""
    return 2 * smoothness_constant_tight(sigma)


def step_smoothness_lower_bound(sigma) -> np.ndarray:
    """Proposition B.4: ``sup_x |g''(x)| = phi(1)/sigma^2 = 1/(sqrt(2 pi e) sigma^2)`` for the step.

    Hence the best universal constant of Theorem 2 is at least this (it is exactly twice this).
    """
    sigma = require_positive(sigma, "sigma")
    return norm.pdf(1.0) / sigma**2


# --- Corollaries 2 and 3 -----------------------------------------------------------------------


def _beta(beta, sigma):
    return smoothness_constant_paper(sigma) if beta is None else require_nonnegative(beta, "beta")


def _cor2_terms(grads, margins, weights, r, sigma, beta):
    grads = as_array(grads, "grads")
    margins = as_array(margins, "margins")
    weights = require_positive(weights, "weights")
    r = require_positive(r, "r")
    sigma = require_positive(sigma, "sigma")
    if weights.ndim != 1 or grads.shape[-2:-1] != weights.shape or margins.shape[-1:] != weights.shape:
        raise ValueError("need grads (..., N, d), margins (..., N) and weights (N,)")
    lhs = np.linalg.norm(np.einsum("...nd,n->...d", grads, weights), axis=-1)
    total = weights.sum()
    return lhs, (margins @ weights) / r, _beta(beta, sigma) * r * total


def cor2_sufficient(grads, margins, weights, r, sigma, beta=None) -> np.ndarray:
    """Corollary 2, Eq. (21) (Theorem 1, Eq. 4, for the soft-smoothed WE): r-robust at x0 if

        || sum_j w_j grad g_j^{y0/yi}(x0) ||_2 <= (1/r) sum_j w_j g_j^{y0/yi}(x0) - beta r sum_j w_j

    for the wrong class yi. ``grads`` (..., N, d) and ``margins`` (..., N) are the members'
    smoothed margin gradients and margins ``g_{y0} - g_{yi}``; ``weights`` (N,) positive. ``beta``
    defaults to the paper's ``2/sigma^2``; pass :func:`smoothness_constant_tight` for the tight form
    ``sqrt(2/(pi e)) r/sigma^2 sum w_j``. Returns a boolean array over the leading axes.
    """
    lhs, margin_term, beta_term = _cor2_terms(grads, margins, weights, r, sigma, beta)
    return lhs <= margin_term - beta_term


def cor2_necessary(grads, margins, weights, r, sigma, beta=None) -> np.ndarray:
    """Corollary 2, Eq. (22): if r-robust then ``||sum w_j grad|| <= (1/r) sum w_j margin + beta r sum w_j``."""
    lhs, margin_term, beta_term = _cor2_terms(grads, margins, weights, r, sigma, beta)
    return lhs <= margin_term + beta_term


def _cor3_terms(grad1, grad2, margin1, margin2, r, sigma, beta):
    grad1, grad2 = as_array(grad1, "grad1"), as_array(grad2, "grad2")
    if grad1.shape != grad2.shape:
        raise ValueError("grad1 and grad2 must have the same shape (..., d)")
    r = require_positive(r, "r")
    sigma = require_positive(sigma, "sigma")
    lhs = np.linalg.norm(grad1 + grad2, axis=-1)
    margin_term = (as_array(margin1, "margin1") + as_array(margin2, "margin2")) / r
    return lhs, margin_term, 2 * _beta(beta, sigma) * r


def cor3_sufficient(grad1, grad2, margin1, margin2, r, sigma, beta=None) -> np.ndarray:
    """Corollary 3, Eq. (23) (Theorem 3, Eq. 12, for the soft-smoothed two-member MME):

        || grad g_1^{y0/y1} + grad g_2^{y0/y2} ||_2 <= (1/r)(g_1^{y0/y1} + g_2^{y0/y2}) - 2 beta r,

    i.e. ``4r/sigma^2`` with the paper's beta, ``2 sqrt(2/(pi e)) r/sigma^2`` with the tight one.
    (The printed proof cites Theorem 1; it is Theorem 3 that applies.)
    """
    lhs, margin_term, beta_term = _cor3_terms(grad1, grad2, margin1, margin2, r, sigma, beta)
    return lhs <= margin_term - beta_term


def cor3_necessary(grad1, grad2, margin1, margin2, r, sigma, beta=None) -> np.ndarray:
    """Corollary 3, Eq. (24) (Theorem 3, Eq. 13): the necessary condition, ``+ 2 beta r``."""
    lhs, margin_term, beta_term = _cor3_terms(grad1, grad2, margin1, margin2, r, sigma, beta)
    return lhs <= margin_term + beta_term


# --- Eq. (8), Definition 5, Proposition C.1 -----------------------------------------------------


def _ensemble_confidence(confidences, weights) -> np.ndarray:
    """WE confidence ``sum_j w_j f_j / ||w||_1`` of per-sample confidences (n, N, C) -> (n, C)."""
    conf = require_probability(confidences, "confidences")
    weights = require_positive(weights, "weights")
    if conf.ndim < 3 or weights.ndim != 1 or conf.shape[-2] != weights.shape[0]:
        raise ValueError("need confidences (..., n, N, C) and weights (N,)")
    if np.any(np.abs(conf.sum(axis=-1) - 1) > 1e-6):
        raise ValueError("each confidence vector must lie on the probability simplex")
    return np.einsum("...nkc,k->...nc", conf, weights) / weights.sum()


def soft_we_confidence(confidences, weights) -> np.ndarray:
    """Eq. (8), right side: the soft-smoothed WE confidence ``E_eps f_MWE(x + eps)``.

    ``confidences[..., s, j, :]`` is member j's confidence at the s-th noise sample. By linearity
    it equals ``sum_j w_j (g_j)_i / ||w||_1`` exactly. Returns (..., C).
    """
    return _ensemble_confidence(confidences, weights).mean(axis=-2)


def ebs_vote_probability(confidences, weights) -> np.ndarray:
    """Eq. (8), left side: ``g_M(x)_i = P(M_WE(x + eps) = i)``, the EBS hard-vote probability
    (Definition 5) over the given noise samples (first index on ties). Returns (..., C)."""
    ens = _ensemble_confidence(confidences, weights)
    votes = np.argmax(ens, axis=-1)
    return (votes[..., None] == np.arange(ens.shape[-1])).mean(axis=-2)


def ebs_soft_gap_bounds(n_classes) -> tuple[float, float]:
    """How far the two sides of Eq. (8) can be apart, for C classes: the suprema of
    ``g_M(x)_i - gbar(x)_i`` and ``gbar(x)_i - g_M(x)_i`` (hard vote minus soft, and back).

    - hard - soft <= 1 - 1/C: when class i wins the vote its confidence is >= 1/C, so
      ``E f_i >= P(vote = i)/C``;
    - soft - hard <= 1/2: a class that loses the vote has confidence <= 1/2.
    Both are approached by ``f = (1/C + e, ...)`` and ``f = (1/2 - e, 1/2 + e)`` and attained at ``e = 0``
    under the first-index tie rule, so the bounds are ``<=`` (ledger ``eq8``).
    """
    c = require_integer_at_least(n_classes, "n_classes", 2)
    return 1.0 - 1.0 / c, 0.5


def ebs_predict(vote_probability) -> np.ndarray:
    """Definition 5: the EBS classifier ``G_M(x) = argmax_j g_M(x)_j`` (first index on ties)."""
    p = require_probability(vote_probability, "vote_probability")
    if p.ndim < 1:
        raise ValueError("vote_probability must have a class axis")
    return np.argmax(p, axis=-1)


def ebs_certified_radius(p_top, sigma) -> np.ndarray:
    """Proposition C.1, Eq. (38): the EBS ensemble is r-robust for ``r = sigma Phi^{-1}(g_M(x0)_{G_M(x0)})``."""
    return cohen_radius_lower(p_top, sigma)
