"""Statistical robustness of smoothed ensembles (Appendix D).

Notation: ``B(lam) = (1 + 1/lam)^{-1} = lam / (1 + lam)`` is the confidence level at which a model
that is (eps, lam, p)-confident stops being guaranteed correct; every bound below needs the mean
confidence ``mu`` of the true class above it. ``d_w = ||w||_2^2 / ||w||_1^2`` is the weight ratio of a
Weighted Ensemble (``1/N <= d_w <= 1``).

Sampled confidences: a single model's confidences have shape ``(..., S, C)`` and an ensemble's
``(..., S, N, C)``, with ``S`` noise samples along the named axis; ``y0`` is the true class index.

Bounds on Pr(correct) are returned as computed; they may be negative (vacuous). The certified radius
:func:`certified_radius` turns any such bound into ``sigma Phi^{-1}(bound)``, zero below 1/2.
"""

from __future__ import annotations

import numpy as np

from theory._validation import (as_array, require_integer_at_least, require_nonnegative, require_positive,
                                require_probability)
from theory.smoothing import cohen_radius_lower

__all__ = [
    "confidence_level",
    "weight_ratio",
    "statistical_robustness",
    "is_statistically_robust",
    "certified_radius",
    "single_confidence_ratio",
    "we_confidence_ratio",
    "mme_confidence_ratio",
    "confidence_p",
    "confidence_lambda",
    "single_confident_p",
    "single_confident_lambda",
    "we_confident_p",
    "we_confident_lambda",
    "mme_confident_p",
    "mme_confident_lambda",
    "we_margin",
    "mme_margin",
    "symmetric_tail_bound",
    "symmetric_tail_sup",
    "single_model_bound",
    "we_margin_moments",
    "mme_margin_moments",
    "we_bound",
    "mme_bound",
    "we_hoeffding_bound",
    "lemma_d4_ratio",
    "lemma_d4_threshold",
    "corollary5_thresholds",
    "uniform_single_model_bound",
    "uniform_extreme_variance",
    "uniform_extreme_sum_variance",
    "uniform_we_margin_moments",
    "uniform_mme_margin_moments",
    "uniform_we_bound",
    "uniform_mme_bound",
    "uniform_min_variance_factor",
    "corollary6_thresholds",
    "corollary6_min_n",
    "corollary6_mme_dominates",
    "corollary6_conditions",
]


# ---------------------------------------------------------------------------------------------
# shared quantities and validation
# ---------------------------------------------------------------------------------------------


def confidence_level(lam) -> np.ndarray:
    """``B(lam) = (1 + 1/lam)^{-1} = lam / (1 + lam)`` for ``lam > 0`` (the threshold of Prop. D.1, Thms 6-9)."""
    lam = require_positive(lam, "lam")
    return lam / (1.0 + lam)


def _require_weights(weights) -> np.ndarray:
    w = require_nonnegative(weights, "weights")
    if w.ndim == 0:
        raise ValueError("weights must have a trailing axis of length N >= 1")
    if np.any(w.sum(axis=-1) <= 0):
        raise ValueError("weights must not all be zero")
    return w


def weight_ratio(weights) -> np.ndarray:
    """``d_w = ||w||_2^2 / ||w||_1^2`` over the last axis of nonnegative ``weights`` (Theorem 6, Eq. 44; Theorem 8).

    It lies in ``[1/N, 1]``: ``1/N`` for equal weights, ``1`` for a single nonzero weight.
    """
    w = _require_weights(weights)
    return np.sum(w**2, axis=-1) / np.sum(w, axis=-1) ** 2


def _require_mean_above(mu, lam, name_lam: str) -> tuple[np.ndarray, np.ndarray]:
    """``mu`` in ``(B(lam), 1]``, the non-trivial-accuracy assumption of Prop. D.1 and Theorems 6-7."""
    mu = require_probability(mu, "mu")
    level = confidence_level(require_positive(lam, name_lam))
    if np.any(mu <= level):
        raise ValueError(f"mu must exceed (1 + 1/{name_lam})^-1 = {level!r}, got mu = {mu!r}")
    return mu, level


def _require_uniform_range(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Confidence range ``0 <= a < b <= 1`` of the uniform case (Appendix D.4)."""
    a = require_probability(a, "a")
    b = require_probability(b, "b")
    if np.any(b <= a):
        raise ValueError(f"need b > a, got a = {a!r}, b = {b!r}")
    return a, b


def _require_uniform_mean_above(a, b, lam, name_lam: str):
    a, b = _require_uniform_range(a, b)
    level = confidence_level(require_positive(lam, name_lam))
    if np.any((a + b) / 2 <= level):
        raise ValueError(f"(a + b)/2 must exceed (1 + 1/{name_lam})^-1 = {level!r}, got a = {a!r}, b = {b!r}")
    return a, b, level


# ---------------------------------------------------------------------------------------------
# Definition 7 and its remark
# ---------------------------------------------------------------------------------------------


def statistical_robustness(predictions, y0) -> np.ndarray:
    """Empirical ``Pr_eps(F(x0 + eps) = y0)`` of Definition 7 over the last axis of ``predictions``.

    ``predictions`` holds the predicted labels of any model (single, WE or MME) on ``S`` noise samples,
    shape ``(..., S)``; returns shape ``(...)``.
    """
    pred = np.asarray(predictions)
    if pred.ndim == 0 or pred.shape[-1] == 0:
        raise ValueError("predictions need a trailing sample axis of length S >= 1")
    if not np.issubdtype(pred.dtype, np.integer):
        raise ValueError(f"predictions must be integer labels, got dtype {pred.dtype}")
    return np.mean(pred == y0, axis=-1)


def is_statistically_robust(predictions, y0, p) -> np.ndarray:
    """Definition 7: the model is (eps, p)-statistically robust when ``Pr(F(x0 + eps) = y0) >= p``."""
    p = require_probability(p, "p")
    return statistical_robustness(predictions, y0) >= p


def certified_radius(sigma, probability) -> np.ndarray:
    """Remark after Definition 7 (Lemma A.1): radius ``sigma Phi^{-1}(probability)`` of the smoothed model.

    ``probability`` is a lower bound on Pr(correct) under ``N(0, sigma^2 I)`` noise, e.g. one of the bounds
    of Theorems 6-9; a bound at or below 1/2 certifies nothing (radius 0), a bound of 1 gives ``inf``.
    """
    prob = as_array(probability, "probability")
    if np.any(prob > 1):
        raise ValueError(f"probability must be <= 1, got {probability!r}")
    # Phi^{-1} is only evaluated where it certifies something, so no warning at 0 or below.
    safe = np.where(prob > 0.5, prob, 0.75)
    return np.where(prob > 0.5, cohen_radius_lower(safe, sigma), 0.0)


# ---------------------------------------------------------------------------------------------
# Definitions 8-10 on sampled confidences
# ---------------------------------------------------------------------------------------------


def _require_confidences(conf, y0, min_ndim: int) -> tuple[np.ndarray, int]:
    conf = require_probability(conf, "conf")
    if conf.ndim < min_ndim:
        raise ValueError(f"conf needs at least {min_ndim} axes, got shape {conf.shape}")
    n_classes = conf.shape[-1]
    if n_classes < 2:
        raise ValueError("conf needs at least two classes")
    y0 = require_integer_at_least(y0, "y0", 0)
    if y0 >= n_classes:
        raise ValueError(f"y0 must be < C = {n_classes}, got {y0}")
    return conf, y0


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with ``0/0 = 0`` and ``x/0 = inf``: the smallest lam with num <= lam den."""
    out = np.where(numerator > 0, np.inf, 0.0)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def _wrong_max(conf: np.ndarray, y0: int) -> np.ndarray:
    return np.max(np.delete(conf, y0, axis=-1), axis=-1)


def single_confidence_ratio(conf, y0) -> np.ndarray:
    """Per sample, the smallest ``lam`` with ``max_{j != y0} f_j <= lam (1 - f_{y0})`` (Definition 8).

    ``conf``: shape ``(..., C)``; returns shape ``(...)``.
    """
    conf, y0 = _require_confidences(conf, y0, 1)
    return _ratio(_wrong_max(conf, y0), 1.0 - conf[..., y0])


def we_confidence_ratio(conf, weights, y0) -> np.ndarray:
    """Per sample, the smallest ``lam`` with ``max_{j != y0} sum_i w_i f_ij <= lam sum_i w_i (1 - f_{i y0})`` (Def. 9, Eq. 40).

    ``conf``: shape ``(..., N, C)``; ``weights``: shape ``(N,)`` (or broadcastable to ``(..., N)``), nonnegative.
    """
    conf, y0 = _require_confidences(conf, y0, 2)
    w = _require_weights(weights)
    weighted = np.sum(w[..., :, None] * conf, axis=-2)
    return _ratio(_wrong_max(weighted, y0), np.sum(w * (1.0 - conf[..., y0]), axis=-1))


def mme_confidence_ratio(conf, y0) -> np.ndarray:
    """Per sample, the smallest ``lam`` with ``max_{j != y0} f_ij <= lam (1 - f_{i y0})`` for every member i (Def. 10, Eq. 41).

    ``conf``: shape ``(..., N, C)``; the conjunction over members is the maximum of their ratios.
    """
    conf, y0 = _require_confidences(conf, y0, 2)
    return np.max(single_confidence_ratio(conf, y0), axis=-1)


def confidence_p(ratios, lam) -> np.ndarray:
    """Empirical ``p = 1 - Pr(ratio <= lam)`` over the last (sample) axis of ``ratios`` (Definitions 8-10).

    ``lam`` broadcasts against ``ratios.shape[:-1]``.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.ndim == 0 or ratios.shape[-1] == 0:
        raise ValueError("ratios need a trailing sample axis of length S >= 1")
    lam = require_positive(lam, "lam")
    return 1.0 - np.mean(ratios <= lam[..., None], axis=-1)


def confidence_lambda(ratios, p) -> np.ndarray:
    """The smallest ``lam >= 0`` whose empirical ``p`` (:func:`confidence_p`) is at most ``p`` (Definitions 8-10).

    It is the ``ceil((1 - p) S)``-th smallest ratio; 0 when that count is 0 (``p = 1``); ``inf`` when the
    event needs a ratio that is infinite.
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.ndim == 0 or ratios.shape[-1] == 0:
        raise ValueError("ratios need a trailing sample axis of length S >= 1")
    p = require_probability(p, "p")
    n_samples = ratios.shape[-1]
    # round before ceil so that (1 - p) S = 3.0000000000000004 counts as 3
    count = np.ceil(np.round((1.0 - p) * n_samples, 9)).astype(np.int64)
    ordered = np.sort(ratios, axis=-1)
    shape = np.broadcast_shapes(ordered.shape[:-1], count.shape)
    ordered = np.broadcast_to(ordered, shape + (n_samples,))
    index = np.broadcast_to(np.clip(count - 1, 0, n_samples - 1), shape)[..., None]
    picked = np.take_along_axis(ordered, index, axis=-1)[..., 0]
    return np.where(np.broadcast_to(count, shape) == 0, 0.0, picked)


def single_confident_p(conf, y0, lam) -> np.ndarray:
    """Definition 8: the ``p`` for which the model is (eps, lam, p)-single confident; ``conf`` shape ``(..., S, C)``."""
    return confidence_p(single_confidence_ratio(conf, y0), lam)


def single_confident_lambda(conf, y0, p) -> np.ndarray:
    """Definition 8: the smallest ``lam`` reaching the given ``p``; ``conf`` shape ``(..., S, C)``."""
    return confidence_lambda(single_confidence_ratio(conf, y0), p)


def we_confident_p(conf, weights, y0, lam) -> np.ndarray:
    """Definition 9 (Eq. 40): the ``p`` of (eps, lam, p)-WE confidence; ``conf`` shape ``(..., S, N, C)``."""
    return confidence_p(we_confidence_ratio(conf, weights, y0), lam)


def we_confident_lambda(conf, weights, y0, p) -> np.ndarray:
    """Definition 9 (Eq. 40): the smallest ``lam_1`` reaching the given ``p``."""
    return confidence_lambda(we_confidence_ratio(conf, weights, y0), p)


def mme_confident_p(conf, y0, lam) -> np.ndarray:
    """Definition 10 (Eq. 41): the ``p`` of (eps, lam, p)-MME confidence; ``conf`` shape ``(..., S, N, C)``."""
    return confidence_p(mme_confidence_ratio(conf, y0), lam)


def mme_confident_lambda(conf, y0, p) -> np.ndarray:
    """Definition 10 (Eq. 41): the smallest ``lam_2`` reaching the given ``p``."""
    return confidence_lambda(mme_confidence_ratio(conf, y0), p)


# ---------------------------------------------------------------------------------------------
# Definitions D.1-D.2: statistical margins
# ---------------------------------------------------------------------------------------------


def we_margin(true_conf, weights, lam1) -> np.ndarray:
    """Definition D.1, Eq. (42): ``X_1 = (1 + lam1) sum_j w_j f_j(x0 + eps)_{y0} - lam1 ||w||_1``.

    ``true_conf``: the members' true-class confidences, shape ``(..., N)``; weights nonnegative.
    By Lemma D.2, on the (eps, lam1, p)-WE-confident event ``X_1 > 0`` implies a correct WE.
    """
    f = require_probability(true_conf, "true_conf")
    w = _require_weights(weights)
    lam1 = require_positive(lam1, "lam1")
    return (1.0 + lam1) * np.sum(w * f, axis=-1) - lam1 * np.sum(w, axis=-1)


def mme_margin(true_conf, lam2) -> np.ndarray:
    """Definition D.2, Eq. (43): ``X_2 = (1 + lam2)(max_i f_i + min_i f_i) - 2 lam2`` over the last axis."""
    f = require_probability(true_conf, "true_conf")
    if f.ndim == 0 or f.shape[-1] == 0:
        raise ValueError("true_conf needs a trailing member axis of length N >= 1")
    lam2 = require_positive(lam2, "lam2")
    return (1.0 + lam2) * (np.max(f, axis=-1) + np.min(f, axis=-1)) - 2.0 * lam2


# ---------------------------------------------------------------------------------------------
# Lemma D.1, Proposition D.1, Lemma D.3, Theorems 6-7, the Hoeffding remark
# ---------------------------------------------------------------------------------------------


def symmetric_tail_bound(mean, var) -> np.ndarray:
    """Lemma D.1: ``Pr(X <= 0) <= Var X / (2 (E X)^2)`` for X symmetric about ``E X > 0``, finite variance.

    Chebyshev gives ``Pr(|X - EX| >= EX) <= Var/EX^2``, and symmetry puts half of it below 0.
    """
    mean = require_positive(mean, "mean")
    var = require_nonnegative(var, "var")
    return var / (2.0 * mean**2)


def symmetric_tail_sup(mean, var) -> np.ndarray:
    """The exact supremum of ``Pr(X <= 0)`` over laws symmetric about ``mean > 0`` with variance ``var``.

    It is ``min(1/2, var / (2 mean^2))``: the three-point law on ``{0, mean, 2 mean}`` attains Lemma D.1 when
    ``var <= mean^2``, the two-point law ``mean +- sqrt(var)`` attains 1/2 otherwise.
    """
    return np.minimum(0.5, symmetric_tail_bound(mean, var))


def single_model_bound(p, mu, s, lam3) -> np.ndarray:
    """Proposition D.1: ``Pr(F correct) >= 1 - p - s^2 / (2 (mu - B(lam3))^2)``.

    Assumes F is (eps, lam3, p)-single confident and ``f(x0 + eps)_{y0}`` is symmetric with mean ``mu`` in
    ``(B(lam3), 1]`` and standard deviation ``s >= 0``.
    """
    p = require_probability(p, "p")
    mu, level = _require_mean_above(mu, lam3, "lam3")
    s = require_nonnegative(s, "s")
    return 1.0 - p - s**2 / (2.0 * (mu - level) ** 2)


def we_margin_moments(mu, s, lam1, weights) -> tuple[np.ndarray, np.ndarray]:
    """Lemma D.3: ``E X_1 = (1 + lam1) ||w||_1 mu - lam1 ||w||_1`` and ``Var X_1 = (1 + lam1)^2 s^2 ||w||_2^2``.

    Assumes independent true-class confidences with mean ``mu`` and standard deviation ``s``.
    """
    mu = require_probability(mu, "mu")
    s = require_nonnegative(s, "s")
    lam1 = require_positive(lam1, "lam1")
    w = _require_weights(weights)
    l1, l2sq = np.sum(w, axis=-1), np.sum(w**2, axis=-1)
    return (1.0 + lam1) * l1 * mu - lam1 * l1, (1.0 + lam1) ** 2 * s**2 * l2sq


def mme_margin_moments(mu, s_f, lam2) -> tuple[np.ndarray, np.ndarray]:
    """Lemma D.3: ``E X_2 = 2 (1 + lam2) mu - 2 lam2`` and the bound ``Var X_2 <= 4 (1 + lam2)^2 s_f^2``.

    Assumes i.i.d. symmetric true-class confidences with mean ``mu``; ``s_f^2 = Var(min_i f_i) = Var(max_i f_i)``.
    The variance bound is Cauchy-Schwarz on ``Var(max + min)``; it is attained at N = 1 only
    (for the uniform law see :func:`uniform_extreme_sum_variance`).
    """
    mu = require_probability(mu, "mu")
    s_f = require_nonnegative(s_f, "s_f")
    lam2 = require_positive(lam2, "lam2")
    return 2.0 * (1.0 + lam2) * mu - 2.0 * lam2, 4.0 * (1.0 + lam2) ** 2 * s_f**2


def we_bound(p, mu, s, lam1, weights) -> np.ndarray:
    """Theorem 6, Eq. (44): ``Pr(M_WE correct) >= 1 - p - d_w s^2 / (2 (mu - B(lam1))^2)``.

    Assumes (eps, lam1, p)-WE confidence, i.i.d. symmetric true-class confidences with mean ``mu`` in
    ``(B(lam1), 1]`` and standard deviation ``s``, nonnegative weights.
    """
    p = require_probability(p, "p")
    mu, level = _require_mean_above(mu, lam1, "lam1")
    s = require_nonnegative(s, "s")
    return 1.0 - p - weight_ratio(weights) * s**2 / (2.0 * (mu - level) ** 2)


def mme_bound(p, mu, s_f, lam2) -> np.ndarray:
    """Theorem 7, Eq. (45): ``Pr(M_MME correct) >= 1 - p - s_f^2 / (2 (mu - B(lam2))^2)``.

    Assumes (eps, lam2, p)-MME confidence and i.i.d. symmetric true-class confidences with mean ``mu`` in
    ``(B(lam2), 1]``; ``s_f^2 = Var(min_i f_i)``.
    """
    p = require_probability(p, "p")
    mu, level = _require_mean_above(mu, lam2, "lam2")
    s_f = require_nonnegative(s_f, "s_f")
    return 1.0 - p - s_f**2 / (2.0 * (mu - level) ** 2)


def we_hoeffding_bound(p, mu, lam1, weights) -> np.ndarray:
    """Remark after Theorem 7: ``Pr(M_WE correct) >= 1 - p - exp(-2 (mu - B(lam1))^2 / d_w)``.

    Hoeffding for ``X_1 = sum_j (1 + lam1) w_j f_j - lam1 ||w||_1`` with independent ``f_j in [0, 1]`` (ranges
    ``(1 + lam1) w_j``) and deviation ``E X_1 = (1 + lam1) ||w||_1 (mu - B(lam1))``; no symmetry is needed.
    """
    p = require_probability(p, "p")
    mu, level = _require_mean_above(mu, lam1, "lam1")
    return 1.0 - p - np.exp(-2.0 * (mu - level) ** 2 / weight_ratio(weights))


# ---------------------------------------------------------------------------------------------
# Lemma D.4 and Corollary 5
# ---------------------------------------------------------------------------------------------


def lemma_d4_ratio(mu, lam1, lam2) -> np.ndarray:
    """The left side of Lemma D.4, Eq. (46): ``(mu - B(lam2)) / (mu - B(lam1))``; needs ``mu > B(lam1)``."""
    mu, level1 = _require_mean_above(mu, lam1, "lam1")
    return (mu - confidence_level(lam2)) / (mu - level1)


def lemma_d4_threshold(mu, lam2, c) -> np.ndarray:
    """Lemma D.4, Eq. (46): ``(1/lam2) ((C^{-1} (mu - B(lam2)) + 1 - mu)^{-1} - 1)``.

    For ``lam1 > 0`` with ``mu > B(lam1)``: ``lemma_d4_ratio < C`` iff ``lam1/lam2 <`` this threshold (likewise
    with ``=`` and ``>``). Needs ``C > 0`` and ``B(lam2) < mu <= 1``; no ``C < 1`` is needed.
    """
    mu, level2 = _require_mean_above(mu, lam2, "lam2")
    c = require_positive(c, "C")
    lam2 = np.asarray(lam2, dtype=np.float64)
    return (1.0 / ((mu - level2) / c + 1.0 - mu) - 1.0) / lam2


def corollary5_thresholds(mu, lam2, s, s_f, n) -> tuple[np.ndarray, np.ndarray]:
    """Corollary 5, Eqs. (47)-(48): thresholds on ``lam1/lam2`` for the certificates of Theorems 6-7.

    Below the first (Lemma D.4 with ``C = s_f/s``) WE is better for every weight vector; above the second
    (``C = sqrt(N) s_f/s``) MME is better for every weight vector. For equal weights the second alone
    decides. Needs ``s, s_f > 0``; the printed ``s_f < s`` is not needed.
    """
    n = require_integer_at_least(n, "n", 1)
    s = require_positive(s, "s")
    s_f = require_positive(s_f, "s_f")
    return lemma_d4_threshold(mu, lam2, s_f / s), lemma_d4_threshold(mu, lam2, np.sqrt(n) * s_f / s)


# ---------------------------------------------------------------------------------------------
# Appendix D.4: the uniform case
# ---------------------------------------------------------------------------------------------


def uniform_single_model_bound(p, a, b, lam3) -> np.ndarray:
    """Proposition D.2: ``Pr(F correct) >= 1 - p - clip((B(lam3) - a) / (b - a))`` for ``f_{y0} ~ U[a, b]``.

    The clipped term is exactly ``Pr((1 + lam3) f_{y0} - lam3 <= 0)``; ``clip(x) = max(min(x, 1), 0)``.
    """
    p = require_probability(p, "p")
    a, b = _require_uniform_range(a, b)
    level = confidence_level(lam3)
    return 1.0 - p - np.clip((level - a) / (b - a), 0.0, 1.0)


def uniform_min_variance_factor(n) -> float:
    """``c_N = (1/(N+1)) (2/(N+2) - 1/(N+1)) = N / ((N+1)^2 (N+2))``: Var(min) of N i.i.d. U[0, 1] (Fact D.1)."""
    n = require_integer_at_least(n, "n", 1)
    return n / ((n + 1) ** 2 * (n + 2))


def uniform_extreme_variance(a, b, n) -> np.ndarray:
    """Fact D.1: ``Var(min_i X_i) = Var(max_i X_i) = N (b - a)^2 / ((N+1)^2 (N+2))`` for N i.i.d. ``U[a, b]``."""
    a, b = _require_uniform_range(a, b)
    return uniform_min_variance_factor(n) * (b - a) ** 2


def uniform_extreme_sum_variance(a, b, n) -> np.ndarray:
    """Exact ``Var(max_i X_i + min_i X_i) = 2 (b - a)^2 / ((N+1)(N+2))`` for N i.i.d. ``U[a, b]``.

    ``Cov(min, max) = (b - a)^2 / ((N+1)^2 (N+2)) >= 0``, so Lemma D.5's ``4 Var(min)`` overstates it by
    ``2N/(N+1)``.
    """
    a, b = _require_uniform_range(a, b)
    n = require_integer_at_least(n, "n", 1)
    return 2.0 * (b - a) ** 2 / ((n + 1) * (n + 2))


def uniform_we_margin_moments(a, b, lam1, weights) -> tuple[np.ndarray, np.ndarray]:
    """Lemma D.5: ``E X_1 = (1/2)(1 + lam1) ||w||_1 (a + b) - lam1 ||w||_1``, ``Var X_1 = (1/12)(1 + lam1)^2 ||w||_2^2 (b - a)^2``."""
    a, b = _require_uniform_range(a, b)
    return we_margin_moments((a + b) / 2, (b - a) / np.sqrt(12.0), lam1, weights)


def uniform_mme_margin_moments(a, b, lam2, n, *, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Lemma D.5: ``E X_2 = (1 + lam2)(a + b) - 2 lam2`` and ``Var X_2 <= 4 (1 + lam2)^2 c_N (b - a)^2``.

    With ``exact=True`` the variance is the exact ``2 (1 + lam2)^2 (b - a)^2 / ((N+1)(N+2))``.
    """
    a, b = _require_uniform_range(a, b)
    lam2 = require_positive(lam2, "lam2")
    mean = (1.0 + lam2) * (a + b) - 2.0 * lam2
    if exact:
        return mean, (1.0 + lam2) ** 2 * uniform_extreme_sum_variance(a, b, n)
    return mean, 4.0 * (1.0 + lam2) ** 2 * uniform_extreme_variance(a, b, n)


def uniform_we_bound(p, a, b, lam1, weights, *, printed: bool = False) -> np.ndarray:
    """Theorem 8: ``Pr(M_WE correct) >= 1 - p - d_w K_1^2 / 24``, ``K_1 = (b - a) / ((a + b)/2 - B(lam1))``.

    ``24`` is what Lemma D.1 gives with Lemma D.5's moments; ``printed=True`` returns the paper's
    ``d_w K_1^2 / 12`` (Eq. 49), which drops Lemma D.1's factor 1/2. Needs ``(a + b)/2 > B(lam1)``.
    """
    p = require_probability(p, "p")
    a, b, level = _require_uniform_mean_above(a, b, lam1, "lam1")
    k1_sq = ((b - a) / ((a + b) / 2 - level)) ** 2
    return 1.0 - p - weight_ratio(weights) * k1_sq / (12.0 if printed else 24.0)


def uniform_mme_bound(p, a, b, lam2, n, *, exact: bool = False) -> np.ndarray:
    """Theorem 9, Eq. (50): ``Pr(M_MME correct) >= 1 - p - c_N K_2^2 / 2``, ``K_2 = (b - a) / ((a + b)/2 - B(lam2))``.

    This is the paper's ``c_N'^2 K_2^2 / 4`` with ``c_N'^2 = (2/(N+1))(2/(N+2) - 1/(N+1)) = 2 c_N``, i.e. Lemma D.1
    with Lemma D.5's variance bound. ``exact=True`` uses the exact variance instead:
    ``1 - p - K_2^2 / (4 (N+1)(N+2))``, whose subtracted term is smaller by the factor ``(N+1)/(2N)``.
    """
    p = require_probability(p, "p")
    a, b, level = _require_uniform_mean_above(a, b, lam2, "lam2")
    n = require_integer_at_least(n, "n", 1)
    k2_sq = ((b - a) / ((a + b) / 2 - level)) ** 2
    if exact:
        return 1.0 - p - k2_sq / (4.0 * (n + 1) * (n + 2))
    return 1.0 - p - uniform_min_variance_factor(n) * k2_sq / 2.0


def corollary6_thresholds(mu, lam2, n, *, scale: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """Corollary 6, Eqs. (51)-(52): thresholds on ``lam1/lam2`` for the uniform certificates (Theorems 8-9).

    Lemma D.4 with ``C_1 = sqrt(scale c_N)`` and ``C_2 = sqrt(scale N c_N)``. ``scale = 12`` compares
    Theorem 8's ``d_w K_1^2/24`` with Theorem 9's ``c_N K_2^2/2`` (both from Lemma D.1); it equals Corollary 5
    with ``s_f/s = sqrt(12 c_N)``. ``scale = 6`` compares with the printed ``d_w K_1^2/12`` instead.
    """
    c_n = uniform_min_variance_factor(n)
    scale = float(require_positive(scale, "scale"))
    return (lemma_d4_threshold(mu, lam2, np.sqrt(scale * c_n)),
            lemma_d4_threshold(mu, lam2, np.sqrt(scale * n * c_n)))


def corollary6_min_n(mu, lam2, *, scale: float = 12.0) -> np.ndarray:
    """Corollary 6, third bullet (Eq. 53): the sufficient ``N > scale (1 - B(lam2)/mu)^{-2} - 2``.

    The paper prints ``scale = 6``; the consistent comparison (:func:`corollary6_mme_dominates`) needs 12.
    """
    mu, level2 = _require_mean_above(mu, lam2, "lam2")
    scale = require_positive(scale, "scale")
    return scale / (1.0 - level2 / mu) ** 2 - 2.0


def corollary6_mme_dominates(mu, lam2, n, *, scale: float = 12.0, exact: bool = False) -> np.ndarray:
    """Corollary 6, third bullet, exact form: MME's certificate >= WE's for every ``lam1`` and weights.

    The worst case is equal weights and ``lam1 -> 0``. With Theorem 8 (``d_w K_1^2/24``) and Theorem 9
    (``c_N K_2^2/2``) the condition is ``12 N^2 / ((N+1)^2 (N+2)) <= (1 - B(lam2)/mu)^2``; ``scale = 6`` gives the
    comparison with the printed Theorem 8 (``/12``). With ``exact=True`` Theorem 9 uses the exact variance and
    the condition is ``scale N / ((N+1)(N+2)) <= (1 - B(lam2)/mu)^2`` with ``scale = 6``.
    """
    mu, level2 = _require_mean_above(mu, lam2, "lam2")
    n = require_integer_at_least(n, "n", 1)
    scale = require_positive(scale, "scale")
    growth = n / ((n + 1) * (n + 2)) if exact else n * uniform_min_variance_factor(n)
    return scale * growth <= (1.0 - level2 / mu) ** 2


def corollary6_conditions(mu, lam1, lam2, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corollary 6's three conditions at ``scale = 12``: (WE better for all weights, MME better for all
    weights, MME at least as good for every ``lam1``). Needs ``mu > max(B(lam1), B(lam2))``."""
    _require_mean_above(mu, lam1, "lam1")
    we_threshold, mme_threshold = corollary6_thresholds(mu, lam2, n)
    ratio = np.asarray(lam1, dtype=np.float64) / np.asarray(lam2, dtype=np.float64)
    return ratio < we_threshold, ratio > mme_threshold, corollary6_mme_dominates(mu, lam2, n)
