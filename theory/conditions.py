"""Robustness conditions for single models, Weighted and Max-Margin Ensembles (Section 2.2, App. B.1-B.2).

Notation (Section 2.1): ``f_j(x)`` is base model ``j``'s confidence vector, ``f_j^{y0/y} = f_{j,y0} - f_{j,y}``
its confidence margin, ``y0`` the label the ensemble predicts at ``x0``. Shapes:

- confidences ``(..., N, C)`` (``N`` base models, ``C`` classes) or ``(..., C)`` for a single model;
- gradients of the confidences ``(..., N, C, d)`` or ``(..., C, d)``;
- weights ``(N,)``, positive;
- ``y0`` a class index (int); per-class results drop the ``y0`` column, so they have ``C - 1`` entries,
  the wrong classes in increasing order.

No statement here needs the confidences to lie on the simplex, so any finite scores are accepted:
Definition 4 speaks of differentiable ``f: R^d -> R^C``.

Tie rules (documented because Lemma B.1 and Proposition B.2 fail at ties, see the ledger): ``arg max``
over classes returns the lowest class index, and the Max-Margin Ensemble picks the lowest model index
among models with the same top-1 minus runner-up gap.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validation import as_array, require_integer_at_least, require_nonnegative, require_positive

__all__ = [
    "r_robust_on",
    "top_two",
    "we_scores",
    "we_predict",
    "mme_gaps",
    "mme_predict",
    "component_smoothness",
    "margin_hessians",
    "margin_smoothness",
    "margins",
    "margin_gradients",
    "we_margins",
    "we_condition_value",
    "single_condition_value",
    "mme_member_margins",
    "mme_condition_value",
    "mme_assumption2",
    "largest_radius",
    "we_taylor_terms",
    "theorem1_sufficient",
    "theorem1_necessary",
    "theorem1_certified_radius",
    "theorem1_radius_from_terms",
    "eri",
    "eri_from_terms",
    "eri_smoothed",
    "eri_verdict",
    "theorem3_taylor_terms",
    "theorem3_sufficient",
    "theorem3_necessary",
    "theorem3_certified_radius",
    "theorem3_radius_from_terms",
    "propB3_sufficient",
    "propB3_necessary",
    "propB3_certified_radius",
    "mme_partner_value",
    "mme_pair_taylor_terms",
    "mme_partner_sufficient",
    "mme_partner_certified_radius",
    "mme_partner_radius_from_terms",
    "mme_sum_form_certified_radius",
]


# --------------------------------------------------------------------------- validation helpers


def _scores(confidences, name: str = "confidences", *, min_ndim: int = 1) -> np.ndarray:
    arr = as_array(confidences, name)
    if arr.ndim < min_ndim or arr.shape[-1] < 2:
        raise ValueError(f"{name} needs at least {min_ndim} axes and C >= 2 classes, got shape {arr.shape}")
    return arr


def _label(y0, num_classes: int) -> int:
    y0 = require_integer_at_least(y0, "y0", 0)
    if y0 >= num_classes:
        raise ValueError(f"y0 must be a class index in [0, {num_classes - 1}], got {y0}")
    return y0


def _weights(weights, num_models: int) -> np.ndarray:
    w = require_positive(weights, "weights")
    if w.shape != (num_models,):
        raise ValueError(f"weights must have shape ({num_models},) to match N = {num_models}, got {w.shape}")
    return w


def _gradients(gradients, scores: np.ndarray) -> np.ndarray:
    g = as_array(gradients, "gradients")
    if g.ndim != scores.ndim + 1 or g.shape[:-1] != scores.shape:
        raise ValueError(f"gradients must have shape {scores.shape} + (d,), got {g.shape}")
    return g


def _drop(arr: np.ndarray, y0: int, axis: int) -> np.ndarray:
    return np.delete(arr, y0, axis=axis)


# --------------------------------------------------------------------------- Definitions 1-3


def r_robust_on(predict: Callable[[np.ndarray], np.ndarray], x0, deltas, r) -> bool:
    """Definition 1 on the given perturbations: does ``F(x0 + delta) = F(x0)`` for each ``||delta||_2 < r``?

    ``predict`` maps points ``(M, d)`` to integer labels ``(M,)``; ``x0`` has shape ``(d,)`` and ``deltas``
    ``(M, d)``. Perturbations with ``||delta||_2 >= r`` lie outside the open ball of Definition 1 and are
    ignored. True certifies nothing beyond the given perturbations; False is a proof that ``F`` is not
    ``r``-robust at ``x0``.
    """
    r = float(require_positive(r, "r"))
    x0 = as_array(x0, "x0")
    deltas = as_array(deltas, "deltas")
    if x0.ndim != 1 or deltas.ndim != 2 or deltas.shape[1] != x0.shape[0]:
        raise ValueError(f"x0 must have shape (d,) and deltas (M, d); got {x0.shape} and {deltas.shape}")
    inside = deltas[np.linalg.norm(deltas, axis=1) < r]
    y0 = np.asarray(predict(x0[None, :]))[0]
    if inside.shape[0] == 0:
        return True
    return bool(np.all(np.asarray(predict(x0[None, :] + inside)) == y0))


def top_two(confidences) -> tuple[np.ndarray, np.ndarray]:
    """Top-1 class ``F(x)`` and runner-up ``F^(2)(x)`` of each confidence vector; shapes ``(...)``.

    Ties go to the lowest class index, for both.
    """
    f = _scores(confidences)
    top = np.argmax(f, axis=-1)
    masked = f.copy()
    np.put_along_axis(masked, top[..., None], -np.inf, axis=-1)
    return top, np.argmax(masked, axis=-1)


def we_scores(confidences, weights) -> np.ndarray:
    """Weighted-ensemble confidence ``sum_j w_j f_j(x)`` of Definition 2, Eq. (1); shape ``(..., C)``."""
    f = _scores(confidences, min_ndim=2)
    w = _weights(weights, f.shape[-2])
    return np.einsum("...nc,n->...c", f, w)


def we_predict(confidences, weights) -> np.ndarray:
    """Definition 2, Eq. (1): ``M_WE(x) = arg max_i sum_j w_j f_j(x)_i``; shape ``(...)``, ties to the lowest class."""
    return np.argmax(we_scores(confidences, weights), axis=-1)


def mme_gaps(confidences) -> np.ndarray:
    """Each base model's top-1 minus runner-up confidence, ``f_i(x)_{F_i} - f_i(x)_{F_i^(2)}``; shape ``(..., N)``."""
    f = _scores(confidences, min_ndim=2)
    two = np.sort(f, axis=-1)[..., -2:]
    return two[..., 1] - two[..., 0]


def mme_predict(confidences) -> np.ndarray:
    """Definition 3, Eq. (2): the base model with the largest top-1 minus runner-up gap decides.

    Returns ``F_c(x)`` with ``c = arg max_i gap_i``; shape ``(...)``. Ties between models go to the lowest
    model index, ties between classes to the lowest class index.
    """
    f = _scores(confidences, min_ndim=2)
    c = np.argmax(mme_gaps(f), axis=-1)
    chosen = np.take_along_axis(f, c[..., None, None], axis=-2)[..., 0, :]
    return np.argmax(chosen, axis=-1)


# --------------------------------------------------------------------------- Definition 4


def component_smoothness(hessians) -> np.ndarray:
    """Definition 4: the smoothness of ``f`` read off Hessians ``(..., C, d, d)`` of its components; shape ``(...)``.

    A twice-differentiable ``f_j`` has ``||grad f_j(x1) - grad f_j(x2)||_2 <= beta ||x1 - x2||_2`` with the best
    ``beta = sup_x ||H_j(x)||_2`` (operator norm). This returns ``max_j ||H_j||_2`` at the given points; the
    smoothness constant of ``f`` is its maximum over all points (for a quadratic, one point suffices).
    """
    h = as_array(hessians, "hessians")
    if h.ndim < 3 or h.shape[-1] != h.shape[-2]:
        raise ValueError(f"hessians must have shape (..., C, d, d), got {h.shape}")
    return np.linalg.norm(h, ord=2, axis=(-2, -1)).max(axis=-1)


def margin_hessians(hessians, y0) -> np.ndarray:
    """Hessians of the margins ``f^{y0/y} = f_{y0} - f_y``, ``y != y0``: shape ``(..., C - 1, d, d)``."""
    h = as_array(hessians, "hessians")
    if h.ndim < 3 or h.shape[-1] != h.shape[-2]:
        raise ValueError(f"hessians must have shape (..., C, d, d), got {h.shape}")
    y0 = _label(y0, h.shape[-3])
    return _drop(h[..., y0:y0 + 1, :, :] - h, y0, axis=-3)


def margin_smoothness(beta):
    """Definition 4 consequence (Proof of Theorem 1): a margin of beta-smooth components is ``2 beta``-smooth.

    By the triangle inequality ``||H_{y0} - H_y|| <= 2 beta``; the constant 2 is attained by
    ``H_{y0} = beta I, H_y = -beta I``.
    """
    return 2.0 * require_nonnegative(beta, "beta")


# --------------------------------------------------------------------------- Prop. B.2, Thm. 4, Fact B.1


def margins(confidences, y0) -> np.ndarray:
    """Confidence margins ``f^{y0/y}(x) = f(x)_{y0} - f(x)_y`` for ``y != y0``; shape ``(..., C - 1)``."""
    f = _scores(confidences)
    y0 = _label(y0, f.shape[-1])
    return _drop(f[..., y0:y0 + 1] - f, y0, axis=-1)


def margin_gradients(gradients, y0) -> np.ndarray:
    """Gradients of the margins, from gradients ``(..., C, d)`` of the confidences; shape ``(..., C - 1, d)``."""
    g = as_array(gradients, "gradients")
    if g.ndim < 2:
        raise ValueError(f"gradients must have shape (..., C, d), got {g.shape}")
    y0 = _label(y0, g.shape[-2])
    return _drop(g[..., y0:y0 + 1, :] - g, y0, axis=-2)


def we_margins(confidences, weights, y0) -> np.ndarray:
    """Weighted margins ``sum_j w_j f_j^{y0/y}(x)`` for ``y != y0`` (Proposition B.2); shape ``(..., C - 1)``."""
    return margins(we_scores(confidences, weights), y0)


def we_condition_value(confidences, weights, y0) -> np.ndarray:
    """Proposition B.2, Eq. (25): ``min_{y != y0} sum_j w_j f_j^{y0/y}(x)``; shape ``(...)``.

    ``M_WE`` predicts ``y0`` at ``x`` if the value is ``> 0`` and only if it is ``>= 0``. At 0 the class
    tie decides: the paper's "``>= 0`` on the ball iff r-robust" holds only with ties resolved to ``y0``.
    """
    return we_margins(confidences, weights, y0).min(axis=-1)


def single_condition_value(confidences, y0) -> np.ndarray:
    """Fact B.1: ``min_{y != y0} f^{y0/y}(x)`` for a single model, confidences ``(..., C)``; shape ``(...)``.

    ``F`` predicts ``y0`` at ``x`` if the value is ``> 0`` and only if it is ``>= 0``.
    """
    return margins(confidences, y0).min(axis=-1)


def mme_member_margins(confidences, y0) -> np.ndarray:
    """``a_i = min_{y != y0} f_i^{y0/y}(x)`` for each base model; shape ``(..., N)``."""
    f = _scores(confidences, min_ndim=2)
    return margins(f, y0).min(axis=-1)


def mme_condition_value(confidences, y0) -> np.ndarray:
    """Theorem 4, Eq. (26) (alternative form): ``max_i a_i + min_i a_i``; shape ``(...)``.

    Lemma B.1 (corrected): a value ``> 0`` implies ``M_MME(x) = y0`` under any tie rule; at 0 a tie between
    models can pick a model whose top class is not ``y0``. Lemma B.2: under assumption (2)
    (:func:`mme_assumption2`), ``M_MME(x) = y0`` implies a value ``>= 0``.
    """
    a = mme_member_margins(confidences, y0)
    return a.max(axis=-1) + a.min(axis=-1)


def mme_assumption2(confidences, y0) -> np.ndarray:
    """Theorem 4, assumption (2): ``y0`` is the top or the runner-up class of every base model; shape ``(...)``.

    With ties, ``y0`` counts as top or runner-up when at most one class has a strictly larger confidence.
    """
    f = _scores(confidences, min_ndim=2)
    y0 = _label(y0, f.shape[-1])
    above = (f > f[..., y0:y0 + 1]).sum(axis=-1)
    return np.all(above <= 1, axis=-1)


# --------------------------------------------------------------------------- Taylor conditions


def largest_radius(curvature, gradient_norm, margin) -> np.ndarray:
    """The largest ``r`` with ``curvature r^2 + gradient_norm r - margin <= 0``, ``r > 0``; broadcast shape.

    This is the largest radius a sufficient condition of the form ``G <= S / r - a r`` certifies
    (Theorem 1: ``a = beta sum w``; Theorem 3: ``a = 2 beta``; Proposition B.3: ``a = beta``). For ``S > 0``
    the root is ``2 S / (G + sqrt(G^2 + 4 a S))`` (written so that ``a = 0`` gives ``S / G``, and ``a = G = 0``
    gives infinity); for ``S <= 0`` no radius is certified and 0 is returned.
    """
    a = require_nonnegative(curvature, "curvature")
    g = require_nonnegative(gradient_norm, "gradient_norm")
    s = as_array(margin, "margin")
    a, g, s = np.broadcast_arrays(a, g, s)
    positive = np.maximum(s, 0.0)
    denom = g + np.hypot(g, 2.0 * np.sqrt(a) * np.sqrt(positive))  # sqrt(G^2 + 4aS) without under/overflow
    root = np.where(denom > 0, 2.0 * positive / np.where(denom > 0, denom, 1.0), np.inf)  # denom = 0 iff a = G = 0
    return np.where(s > 0, root, 0.0)


def we_taylor_terms(confidences, gradients, weights, y0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Terms of Theorem 1 at ``x0`` per wrong class: ``S_y = sum_j w_j f_j^{y0/y}``, ``G_y = ||sum_j w_j grad f_j^{y0/y}||``.

    Confidences ``(..., N, C)``, gradients ``(..., N, C, d)``. Returns ``(S, G, W)`` with ``S, G`` of shape
    ``(..., C - 1)`` and ``W = ||w||_1`` a float.
    """
    f = _scores(confidences, min_ndim=2)
    g = _gradients(gradients, f)
    w = _weights(weights, f.shape[-2])
    s = margins(np.einsum("...nc,n->...c", f, w), y0)
    grad = margin_gradients(np.einsum("...ncd,n->...cd", g, w), y0)
    return s, np.linalg.norm(grad, axis=-1), float(w.sum())


def _beta_r(beta, r) -> tuple[np.ndarray, np.ndarray]:
    return require_nonnegative(beta, "beta"), require_positive(r, "r")


def theorem1_sufficient(confidences, gradients, weights, y0, beta, r) -> np.ndarray:
    """Theorem 1, Eq. (4): for every ``y != y0``, ``G_y <= S_y / r - beta r sum_j w_j``; shape ``(...)``.

    Assumes ``M_WE(x0) = y0`` and beta-smooth base models. True implies ``M_WE`` is r-robust at ``x0``.
    (The printed "r sum w f" is the fraction ``(1/r) sum w f``, as the proof's Eq. (29) gives.)
    """
    beta, r = _beta_r(beta, r)
    s, g, w = we_taylor_terms(confidences, gradients, weights, y0)
    return np.all(g <= s / r[..., None] - (beta * r * w)[..., None], axis=-1)


def theorem1_necessary(confidences, gradients, weights, y0, beta, r) -> np.ndarray:
    """Theorem 1, Eq. (5): for every ``y != y0``, ``G_y <= S_y / r + beta r sum_j w_j``; shape ``(...)``.

    If False for some class, ``M_WE`` is not r-robust at ``x0`` (beta-smooth base models).
    """
    beta, r = _beta_r(beta, r)
    s, g, w = we_taylor_terms(confidences, gradients, weights, y0)
    return np.all(g <= s / r[..., None] + (beta * r * w)[..., None], axis=-1)


def theorem1_certified_radius(confidences, gradients, weights, y0, beta) -> np.ndarray:
    """The largest ``r`` for which Eq. (4) holds: ``min_y`` of the root of ``beta W r^2 + G_y r - S_y``; shape ``(...)``."""
    s, g, w = we_taylor_terms(confidences, gradients, weights, y0)
    return theorem1_radius_from_terms(s, g, w, beta)


def theorem1_radius_from_terms(s, g, weight_sum, beta) -> np.ndarray:
    """Eq. (4)'s largest radius from its terms: ``min_y`` root of ``beta W r^2 + G_y r - S_y``; shape ``(...)``.

    ``s``, ``g`` (..., C - 1) as :func:`we_taylor_terms` returns them, or a lower bound on each ``S_y`` and an
    upper bound on each ``G_y`` (the radius only shrinks, so a certificate from bounds stays sound).
    """
    beta = require_nonnegative(beta, "beta")
    w = require_positive(weight_sum, "weight_sum")
    return largest_radius(beta[..., None] * w[..., None], g, s).min(axis=-1)


def eri(confidences, gradients, weights, y0, r) -> np.ndarray:
    """Ensemble Robustness Indicator, Eq. (6): ``I_y = G_y / ||w||_1 - S_y / (r ||w||_1)``; shape ``(..., C - 1)``.

    Eq. (4) for all classes is ``max_y I_y <= -beta r``; Eq. (5) is ``max_y I_y <= beta r``.
    """
    s, g, w = we_taylor_terms(confidences, gradients, weights, y0)
    return eri_from_terms(s, g, w, r)


def eri_from_terms(s, g, weight_sum, r) -> np.ndarray:
    """Eq. (6) from the Taylor terms ``S_y, G_y`` (..., C - 1) of :func:`we_taylor_terms`: ``G_y / W - S_y / (r W)``."""
    r = require_positive(r, "r")
    w = require_positive(weight_sum, "weight_sum")
    return as_array(g, "g") / w[..., None] - as_array(s, "s") / (r[..., None] * w[..., None])


def eri_smoothed(expected_confidences, expected_gradients, weights, y0, r) -> np.ndarray:
    """ERI of the soft-smoothed WE, Eq. (7), from ``E_eps f_j(x0 + eps)`` and ``E_eps grad f_j(x0 + eps)``.

    Shapes as in :func:`eri`. Since ``grad E f(x0 + eps) = E grad f(x0 + eps)`` for bounded ``f`` (the Gaussian
    density is smooth), Eq. (7) is Eq. (6) applied to the soft-smoothed base models ``g_j = E f_j(. + eps)``.
    """
    return eri(expected_confidences, expected_gradients, weights, y0, r)


def eri_verdict(eri_values, beta, r) -> np.ndarray:
    """What Theorem 1 concludes from the ERIs ``(..., C - 1)``: ``1`` r-robust, ``-1`` not r-robust, ``0`` undecided.

    Corrected form of Section 2.2, "Impact of beta": robust when ``max_y I_y <= -beta r`` (every class must
    satisfy Eq. (4); the printed ``min_y`` is wrong), not robust when ``max_y I_y > beta r`` (which includes
    the printed ``min_y I_y > beta r``).
    """
    beta, r = _beta_r(beta, r)
    worst = as_array(eri_values, "eri_values").max(axis=-1)
    return np.where(worst <= -beta * r, 1, np.where(worst > beta * r, -1, 0))


# --------------------------------------------------------------------------- Theorem 3 (MME, two models)


def theorem3_taylor_terms(confidences, gradients, y0) -> tuple[np.ndarray, np.ndarray]:
    """Terms of Theorem 3 per pair ``(y1, y2)`` of wrong classes: ``S = f_1^{y0/y1} + f_2^{y0/y2}`` and
    ``G = ||grad f_1^{y0/y1} + grad f_2^{y0/y2}||``, both of shape ``(..., C - 1, C - 1)``.

    Confidences ``(..., 2, C)``, gradients ``(..., 2, C, d)``: Theorem 3 is stated for two base models.
    """
    f = _scores(confidences, min_ndim=2)
    if f.shape[-2] != 2:
        raise ValueError(f"Theorem 3 is stated for N = 2 base models, got N = {f.shape[-2]}")
    g = _gradients(gradients, f)
    m = margins(f, y0)
    dm = margin_gradients(g, y0)
    s = m[..., 0, :, None] + m[..., 1, None, :]
    grad = dm[..., 0, :, None, :] + dm[..., 1, None, :, :]
    return s, np.linalg.norm(grad, axis=-1)


def theorem3_sufficient(confidences, gradients, y0, beta, r, *, strict: bool = True) -> np.ndarray:
    """Theorem 3, Eq. (12): for all wrong ``y1, y2``, ``G <= S / r - 2 beta r``; shape ``(...)``.

    With ``strict=True`` (default) the inequality is strict, which is what the proof needs (Lemma B.1 at
    equality fails under a model tie); ``strict=False`` is the printed ``<=``, sufficient whenever ``beta > 0``
    or ``S > 0``, and false only in the affine case ``beta = G = S = 0`` (see the ledger entry ``thm3``).
    """
    beta, r = _beta_r(beta, r)
    s, g = theorem3_taylor_terms(confidences, gradients, y0)
    rhs = s / r[..., None, None] - 2.0 * (beta * r)[..., None, None]
    ok = g < rhs if strict else g <= rhs
    return np.all(ok, axis=(-2, -1))


def theorem3_necessary(confidences, gradients, y0, beta, r) -> np.ndarray:
    """Theorem 3, Eq. (13): for all wrong ``y1, y2``, ``G <= S / r + 2 beta r``; shape ``(...)``.

    If False, ``M_MME`` is not r-robust, provided assumption (2) holds on the ball.
    """
    beta, r = _beta_r(beta, r)
    s, g = theorem3_taylor_terms(confidences, gradients, y0)
    return np.all(g <= s / r[..., None, None] + 2.0 * (beta * r)[..., None, None], axis=(-2, -1))


def theorem3_certified_radius(confidences, gradients, y0, beta) -> np.ndarray:
    """The largest ``r`` for which Eq. (12) holds (``<=`` form): min over pairs of the root of ``2 beta r^2 + G r - S``."""
    s, g = theorem3_taylor_terms(confidences, gradients, y0)
    return theorem3_radius_from_terms(s, g, beta)


def theorem3_radius_from_terms(s, g, beta) -> np.ndarray:
    """Eq. (12)'s largest radius from its terms ``S, G`` (..., C - 1, C - 1) (or bounds: ``S`` lower, ``G`` upper)."""
    beta = require_nonnegative(beta, "beta")
    return largest_radius(2.0 * beta[..., None, None], g, s).min(axis=(-2, -1))


# --------------------------------------------------------------------------- Proposition B.3 (single model)


def _single_terms(confidences, gradients, y0) -> tuple[np.ndarray, np.ndarray]:
    f = _scores(confidences)
    g = _gradients(gradients, f)
    return margins(f, y0), np.linalg.norm(margin_gradients(g, y0), axis=-1)


def propB3_sufficient(confidences, gradients, y0, beta, r) -> np.ndarray:
    """Proposition B.3, Eq. (31): for every ``y != y0``, ``||grad f^{y0/y}|| <= f^{y0/y} / r - beta r``; shape ``(...)``.

    Confidences ``(..., C)``, gradients ``(..., C, d)`` of a beta-smooth model with ``F(x0) = y0``.
    """
    beta, r = _beta_r(beta, r)
    s, g = _single_terms(confidences, gradients, y0)
    return np.all(g <= s / r[..., None] - (beta * r)[..., None], axis=-1)


def propB3_necessary(confidences, gradients, y0, beta, r) -> np.ndarray:
    """Proposition B.3, Eq. (32): for every ``y != y0``, ``||grad f^{y0/y}|| <= f^{y0/y} / r + beta r``; shape ``(...)``."""
    beta, r = _beta_r(beta, r)
    s, g = _single_terms(confidences, gradients, y0)
    return np.all(g <= s / r[..., None] + (beta * r)[..., None], axis=-1)


def propB3_certified_radius(confidences, gradients, y0, beta) -> np.ndarray:
    """The largest ``r`` for which Eq. (31) holds: min over classes of the root of ``beta r^2 + G r - S``."""
    beta = require_nonnegative(beta, "beta")
    s, g = _single_terms(confidences, gradients, y0)
    return largest_radius(beta[..., None], g, s).min(axis=-1)


# --------------------------------------------------------------------------- MME with N > 2 (beyond the paper)
# Appendix B.1.1 leaves the MME conditions for N > 2 open. The ledger entry ``mme-n`` states and proves the
# partner condition below (theory.proofs.conditions.prove_mme_partner_condition); ``mme-n-conj`` tests the
# paper's conjecture that the Eq. (5) form carries over.


def mme_partner_value(member_margins) -> np.ndarray:
    """``min_i max_k (a_i + a_k)``, which equals Lemma B.1's ``max_i a_i + min_i a_i``; shape ``(...)``.

    The pair form is what makes a Taylor condition possible for any N: fixing one partner ``k_i`` per member
    bounds the max from below (``a_i + max_k a_k >= a_i + a_{k_i}``) by a smooth pair sum.
    """
    a = as_array(member_margins, "member_margins")
    return (a[..., :, None] + a[..., None, :]).max(axis=-1).min(axis=-1)


def mme_pair_taylor_terms(confidences, gradients, y0) -> tuple[np.ndarray, np.ndarray]:
    """Theorem 3's terms for every ordered pair of members ``(i, k)`` (``k = i`` allowed) and wrong ``y, y'``.

    ``S[..., i, k, y, y'] = f_i^{y0/y} + f_k^{y0/y'}`` and ``G = ||grad S||``, shape ``(..., N, N, C-1, C-1)``.
    Confidences ``(..., N, C)``, gradients ``(..., N, C, d)``.
    """
    f = _scores(confidences, min_ndim=2)
    g = _gradients(gradients, f)
    m = margins(f, y0)  # (..., N, C-1)
    dm = margin_gradients(g, y0)  # (..., N, C-1, d)
    s = m[..., :, None, :, None] + m[..., None, :, None, :]
    grad = dm[..., :, None, :, None, :] + dm[..., None, :, None, :, :]
    return s, np.linalg.norm(grad, axis=-1)


def mme_partner_sufficient(confidences, gradients, y0, beta, r, *, strict: bool = True) -> np.ndarray:
    """Partner condition for an MME of N >= 2 members (ledger ``mme-n``, not in the paper); shape ``(...)``.

    For every member ``i`` there is a partner ``k`` (``k = i`` allowed) such that Theorem 3's Eq. (12) holds for
    the pair: ``||grad f_i^{y0/y} + grad f_k^{y0/y'}|| < (f_i^{y0/y} + f_k^{y0/y'}) / r - 2 beta r`` for all wrong
    ``y, y'``. Then ``M_MME`` is r-robust at ``x0`` under any tie rule. With N = 2 it is Theorem 3 (a partner
    equal to the member itself only adds Proposition B.3 for both members, which implies Eq. (12)).
    """
    beta, r = _beta_r(beta, r)
    s, g = mme_pair_taylor_terms(confidences, gradients, y0)
    rhs = s / r[..., None, None, None, None] - 2.0 * (beta * r)[..., None, None, None, None]
    pair_ok = np.all(g < rhs if strict else g <= rhs, axis=(-2, -1))  # (..., N, N)
    return np.all(np.any(pair_ok, axis=-1), axis=-1)


def mme_partner_certified_radius(confidences, gradients, y0, beta) -> np.ndarray:
    """The largest r the partner condition certifies: ``min_i max_k min_{y,y'}`` of Theorem 3's root per pair."""
    s, g = mme_pair_taylor_terms(confidences, gradients, y0)
    return mme_partner_radius_from_terms(s, g, beta)


def mme_partner_radius_from_terms(s, g, beta) -> np.ndarray:
    """The partner condition's radius from the pair terms ``S, G`` (..., N, N, C - 1, C - 1) of
    :func:`mme_pair_taylor_terms` (or bounds: ``S`` lower, ``G`` upper): ``min_i max_k`` of Theorem 3's radius."""
    beta = require_nonnegative(beta, "beta")
    pair = theorem3_radius_from_terms(s, g, beta[..., None, None])
    return pair.max(axis=-1).min(axis=-1)


def mme_sum_form_certified_radius(confidences, gradients, y0, beta) -> np.ndarray:
    """The Eq. (5)-form reading of the conjecture, as a certificate: Taylor radius of ``sum_i f_i^{y0/y_i}``.

    ``min`` over the wrong classes ``y_i`` chosen per member of the root of ``N beta r^2 + G r - S`` (each margin
    is 2 beta-smooth). It is NOT sound for N > 2 (``sum_i a_i > 0`` does not give ``max + min > 0``); kept as the
    conjecture's literal form for the ``mme-n-conj`` counterexample and as a mutation of the ``mme-n`` check.
    """
    beta = require_nonnegative(beta, "beta")
    f = _scores(confidences, min_ndim=2)
    g = _gradients(gradients, f)
    m, dm = margins(f, y0), margin_gradients(g, y0)
    n, k = m.shape[-2], m.shape[-1]
    best = None
    for choice in np.ndindex(*(k,) * n):  # every assignment of a wrong class to each member (k^N, small here)
        idx = np.array(choice)
        s = np.take_along_axis(m, idx.reshape((1,) * (m.ndim - 2) + (n, 1)), axis=-1)[..., 0].sum(axis=-1)
        gr = np.take_along_axis(dm, idx.reshape((1,) * (dm.ndim - 3) + (n, 1, 1)), axis=-2)[..., 0, :].sum(axis=-2)
        rad = largest_radius(n * beta, np.linalg.norm(gr, axis=-1), s)
        best = rad if best is None else np.minimum(best, rad)
    return best
