"""The Diversity-Regularized Training objective (Section 3 and Appendix E) as plain numpy.

This is the reference that the batched PyTorch losses of :mod:`drt_min.losses` are tested against,
so it favours clarity over speed: explicit pairs, explicit sums.

Notation (Section 2.1): ``f_i(x)`` is member ``i``'s confidence vector on the simplex; the confidence
margin is ``f_i^{y0/y}(x) = f_i(x)_{y0} - f_i(x)_y``; ``y_i^(2)`` is member ``i``'s runner-up class. On a
valid pair both members predict the label ``y0``, so each member's runner-up is its best class other
than ``y0``; that is the reading taken here for every member (:func:`runner_up_excluding_label`).

Shapes: confidences ``(..., N, C)``; labels ``(...)``; margin gradients ``(..., N, d)``.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_array, require_nonnegative, require_probability

__all__ = [
    "runner_up_excluding_label",
    "label_margins",
    "valid_pairs",
    "gd_loss_pair",
    "cm_loss_pair",
    "drt_regularizer",
    "train_objective",
    "gd_loss_summed",
    "cm_loss_summed",
    "gd_cosine_form",
    "pairwise_gd_squared_identity",
    "DRT_READINGS",
    "drt_terms_by_reading",
    "worked_batch",
]

#: Named readings of the DRT regulariser over a batch (ledger ``ltrain``; ``drt_min.losses`` implements them).
DRT_READINGS = ("package", "literal", "public-code")


def _confidences_and_labels(confidences, labels) -> tuple[np.ndarray, np.ndarray]:
    conf = require_probability(confidences, "confidences")
    if conf.ndim < 2:
        raise ValueError(f"confidences must have shape (..., N, C), got {conf.shape}")
    if not np.allclose(conf.sum(axis=-1), 1.0, atol=1e-6):
        raise ValueError("each confidence vector must sum to 1 (Section 2.1: f maps to the simplex)")
    lab = np.asarray(labels)
    if not np.issubdtype(lab.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {lab.dtype}")
    if lab.shape != conf.shape[:-2]:
        raise ValueError(f"labels shape {lab.shape} must equal the batch shape {conf.shape[:-2]}")
    num_classes = conf.shape[-1]
    if np.any((lab < 0) | (lab >= num_classes)):
        raise ValueError(f"labels must lie in [0, {num_classes - 1}]")
    return conf, lab


def runner_up_excluding_label(confidences, labels) -> np.ndarray:
    """Each member's best class other than the label, ``arg max_{y != y0} f_i(x)_y``; shape (..., N).

    On a valid pair (Section 3) the member predicts ``y0``, so this is its runner-up ``y_i^(2)``.
    Ties go to the lowest class index.
    """
    conf, lab = _confidences_and_labels(confidences, labels)
    masked = conf.copy()
    np.put_along_axis(masked, lab[..., None, None].repeat(conf.shape[-2], axis=-2), -np.inf, axis=-1)
    return masked.argmax(axis=-1)


def label_margins(confidences, labels) -> np.ndarray:
    """Confidence margins ``f_i^{y0/y_i^(2)}(x) = f_i(x)_{y0} - f_i(x)_{y_i^(2)}`` of every member; (..., N)."""
    conf, lab = _confidences_and_labels(confidences, labels)
    runner_up = runner_up_excluding_label(conf, lab)
    own = np.take_along_axis(conf, lab[..., None, None].repeat(conf.shape[-2], axis=-2), axis=-1)[..., 0]
    other = np.take_along_axis(conf, runner_up[..., None], axis=-1)[..., 0]
    return own - other


def valid_pairs(confidences, labels) -> np.ndarray:
    """Valid model pairs (Section 3): ``(i, j)``, ``i != j``, with both members predicting ``y0``.

    Returns a boolean array (..., N, N), symmetric, false on the diagonal. A member predicts ``y0`` when
    ``y0`` is its arg max (ties to the lowest index, as in :func:`numpy.argmax`).
    """
    conf, lab = _confidences_and_labels(confidences, labels)
    correct = conf.argmax(axis=-1) == lab[..., None]
    pairs = correct[..., :, None] & correct[..., None, :]
    n = conf.shape[-2]
    return pairs & ~np.eye(n, dtype=bool)


def gd_loss_pair(grad_i, grad_j, *, squared: bool = False) -> np.ndarray:
    """Gradient Diversity loss, Eq. (9): ``|| grad f_i^{y0/y_i^(2)} + grad f_j^{y0/y_j^(2)} ||_2``.

    The paper's norm is not squared; ``squared=True`` gives the squared variant. Shapes (..., d).
    """
    gi, gj = as_array(grad_i, "grad_i"), as_array(grad_j, "grad_j")
    if gi.shape != gj.shape:
        raise ValueError(f"gradient shapes differ: {gi.shape} vs {gj.shape}")
    sq = np.sum((gi + gj) ** 2, axis=-1)
    return sq if squared else np.sqrt(sq)


def cm_loss_pair(margin_i, margin_j) -> np.ndarray:
    """Confidence Margin loss, Eq. (10): ``f_i^{y_i^(2)/y0} + f_j^{y_j^(2)/y0} = -(m_i + m_j)``."""
    mi, mj = as_array(margin_i, "margin_i"), as_array(margin_j, "margin_j")
    return -(mi + mj)


def drt_regularizer(margins, margin_grads, valid, *, rho1: float, rho2: float,
                    ordered_pairs: bool = False, squared: bool = False) -> np.ndarray:
    """The two DRT terms of ``L_train`` (Section 3) for one input, summed over valid pairs.

    ``rho1 * sum_{valid (i,j)} L_GD(x)_{ij} + rho2 * sum_{valid (i,j)} L_CM(x)_{ij}``.
    The paper writes the sum over ``i, j in [N], i != j``, which counts every unordered pair twice;
    ``ordered_pairs=True`` takes that literal reading, the default sums each unordered pair once
    (the two differ by exactly a factor 2, which a rescaled rho absorbs).

    Shapes: margins (..., N), margin_grads (..., N, d), valid (..., N, N). Returns shape (...).
    """
    m = as_array(margins, "margins")
    g = as_array(margin_grads, "margin_grads")
    v = np.asarray(valid, dtype=bool)
    r1 = float(require_nonnegative(rho1, "rho1"))
    r2 = float(require_nonnegative(rho2, "rho2"))
    n = m.shape[-1]
    if g.shape[:-1] != m.shape or v.shape != m.shape + (n,):
        raise ValueError(f"shapes do not match: margins {m.shape}, grads {g.shape}, valid {v.shape}")
    total = np.zeros(m.shape[:-1])
    for i in range(n):
        for j in range(n):
            if i == j or (not ordered_pairs and j < i):
                continue
            term = r1 * gd_loss_pair(g[..., i, :], g[..., j, :], squared=squared) \
                + r2 * cm_loss_pair(m[..., i], m[..., j])
            total = total + np.where(v[..., i, j], term, 0.0)
    return total


def train_objective(std_losses, margins, margin_grads, valid, *, rho1: float, rho2: float,
                    ordered_pairs: bool = False, squared: bool = False) -> np.ndarray:
    """``L_train`` of Section 3 for one input: ``sum_i L_std(x0 + eps, y0)_i`` plus the DRT terms.

    ``std_losses`` (..., N) are the members' standard losses (cross-entropy or SmoothAdv's).
    """
    std = as_array(std_losses, "std_losses")
    return std.sum(axis=-1) + drt_regularizer(margins, margin_grads, valid, rho1=rho1, rho2=rho2,
                                              ordered_pairs=ordered_pairs, squared=squared)


def gd_loss_summed(margin_grads) -> np.ndarray:
    """Appendix E, Eq. (54): ``|| sum_i grad f_i^{y0/y_i^(2)}(x0) ||_2`` over all members; (..., N, d) -> (...)."""
    g = as_array(margin_grads, "margin_grads")
    return np.linalg.norm(g.sum(axis=-2), axis=-1)


def cm_loss_summed(margins) -> np.ndarray:
    """Appendix E, Eq. (55): ``sum_i f_i^{y_i^(2)/y0}(x0) = -sum_i m_i``; (..., N) -> (...)."""
    return -as_array(margins, "margins").sum(axis=-1)


def gd_cosine_form(norm_a, norm_b, cosine) -> np.ndarray:
    """Law of cosines behind Eq. (9) (Section 2.2, 'Diversified Gradients').

    ``||a + b||_2 = sqrt(||a||^2 + ||b||^2 + 2 ||a|| ||b|| cos<a, b>)``: for fixed norms the GD loss grows
    with the cosine similarity, so minimising it diversifies the gradients or shrinks them.
    """
    a = require_nonnegative(norm_a, "norm_a")
    b = require_nonnegative(norm_b, "norm_b")
    c = as_array(cosine, "cosine")
    if np.any(np.abs(c) > 1):
        raise ValueError("cosine must lie in [-1, 1]")
    return np.sqrt(a**2 + b**2 + 2 * a * b * c)


def pairwise_gd_squared_identity(margin_grads) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of ``sum_{i<j} ||g_i + g_j||^2 = (N - 2) sum_i ||g_i||^2 + ||sum_i g_i||^2``.

    With every pair valid, the squared pairwise GD loss is the squared summed loss of Eq. (54) plus
    ``(N - 2)`` times a gradient-magnitude penalty: the pairwise design penalises magnitude more as N grows.
    Returns ``(lhs, rhs)``.
    """
    g = as_array(margin_grads, "margin_grads")
    n = g.shape[-2]
    lhs = sum(np.sum((g[..., i, :] + g[..., j, :]) ** 2, axis=-1)
              for i in range(n) for j in range(i + 1, n))
    rhs = (n - 2) * np.sum(g**2, axis=(-2, -1)) + np.sum(g.sum(axis=-2) ** 2, axis=-1)
    return np.asarray(lhs, dtype=float), rhs


def drt_terms_by_reading(margins, margin_grads, correct, reading: str) -> tuple[float, float]:
    """(GD, CM) of a batch of noisy inputs under one named reading of ``L_train``'s DRT terms.

    Shapes: margins (B, N), margin_grads (B, N, d), correct (B, N) boolean (member i predicts y0 on input b).

    * ``"package"``: per input, ``sum_{i<j valid} ||g_i + g_j||`` and ``sum_{i<j valid} -(m_i + m_j)``;
      both averaged over the B inputs.
    * ``"literal"``: the printed sums over ordered pairs ``i != j`` (each unordered pair twice), same
      normalisation: exactly twice ``"package"``.
    * ``"public-code"``: ``sum_{i<j valid} ||g_i + g_j||^2`` over the batch divided by the number of valid
      pairs in the batch; ``-sum m_i`` over the correct (input, member) cases divided by their number.
    """
    if reading not in DRT_READINGS:
        raise ValueError(f"reading must be one of {DRT_READINGS}, got {reading!r}")
    m = as_array(margins, "margins")
    g = as_array(margin_grads, "margin_grads")
    ok = np.asarray(correct, dtype=bool)
    if m.ndim != 2 or g.shape[:2] != m.shape or ok.shape != m.shape:
        raise ValueError(f"shapes do not match: margins {m.shape}, grads {g.shape}, correct {ok.shape}")
    b, n = m.shape
    gd = cm = 0.0
    pairs = 0
    for k in range(b):
        for i in range(n):
            for j in range(n):
                if i == j or not (ok[k, i] and ok[k, j]) or (reading != "literal" and j < i):
                    continue
                s = g[k, i] + g[k, j]
                pairs += 1
                if reading == "public-code":
                    gd += float(s @ s)
                else:
                    gd += float(np.sqrt(s @ s))
                    cm -= float(m[k, i] + m[k, j])
    if reading == "public-code":
        cases = int(ok.sum())
        cm = -float(m[ok].sum())
        return gd / max(pairs, 1), cm / max(cases, 1)
    return gd / b, cm / b


def worked_batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The worked batch of ledger ``ltrain``: B = 2 noisy inputs, N = 3 members, d = 2.

    Input 0: every member correct, margins (0.5, 0.3, 0.2), gradients (0.5, 0), (0.5, 0), (-1.5, 0), so every
    pair sum has norm 1. Input 1: members 0 and 1 correct (margins 0.4, 0.2, gradients (0, 0.5) each, pair sum
    of norm 1), member 2 wrong (margin -0.2). Unit pair norms make the plain and squared norms agree, so the
    factors between readings are those of the counting and normalisation alone.
    Returns (margins (2, 3), margin_grads (2, 3, 2), correct (2, 3)).
    """
    margins = np.array([[0.5, 0.3, 0.2], [0.4, 0.2, -0.2]])
    grads = np.array([[[0.5, 0.0], [0.5, 0.0], [-1.5, 0.0]], [[0.0, 0.5], [0.0, 0.5], [0.3, -0.7]]])
    correct = np.array([[True, True, True], [True, True, False]])
    return margins, grads, correct
