"""ROC curve and AUC of a score thresholded to predict a binary label (Appendix D.5.3, Figure 6).

Figure 6 of the paper draws the ROC curve of the rule "predict Y = 1 when X >= t" for a score X and the
label Y = 1 when the Max-Margin Ensemble certifies a larger radius than the Weighted Ensemble, and reports
its AUC. This module recomputes both from data, with two confidence intervals for the AUC (a stratified
percentile bootstrap, and DeLong et al. 1988 as a cross-check); no number from the paper is built in.

The AUC is the Mann-Whitney probability P(X_pos > X_neg) + 0.5 P(X_pos = X_neg), from midranks in
O(n log n); it equals the trapezoidal area under :func:`roc_curve` (ties give the diagonal segments
whose area is that 0.5). matplotlib is imported inside :func:`plot_roc`, with the Agg backend.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from drt_min.atomic import atomic_save_figure
from drt_min.seeding import numpy_stream

__all__ = ["roc_curve", "auc", "auc_bootstrap_interval", "auc_delong_interval", "plot_roc"]

_GRID_BITS = 53  # auc() returns a multiple of 2**-53, so that 1 - auc is exact (see auc)
_BOOTSTRAP_CHUNK_ELEMENTS = 4_000_000  # resamples x points ranked at once (bounds memory to ~100 MB)


def _validate(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    """Return ``scores`` as float64 and ``labels`` as bool, or raise ValueError with the reason."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels)
    if scores.ndim != 1 or labels.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D, got shapes {scores.shape} and {labels.shape}")
    if scores.shape != labels.shape:
        raise ValueError(f"scores and labels lengths differ: {scores.size} != {labels.size}")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"scores must be finite; found {np.count_nonzero(~np.isfinite(scores))} non-finite")
    if labels.dtype != bool:
        if labels.dtype.kind not in "biuf" or not np.all((labels == 0) | (labels == 1)):
            bad = labels[~np.isin(labels, (0, 1))] if labels.dtype.kind in "biuf" else labels
            raise ValueError(f"labels must be 0 or 1; found e.g. {bad[:3].tolist()!r}")
        labels = labels == 1
    n_pos = int(np.count_nonzero(labels))
    if n_pos < 1 or n_pos == labels.size:
        raise ValueError(f"need at least one positive and one negative label; got {n_pos} positive and "
                         f"{labels.size - n_pos} negative")
    return scores, labels


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return level


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve of the rule "predict 1 when score >= threshold", one point per distinct score.

    Returns ``(fpr, tpr, thresholds)``: ``thresholds`` is ``+inf`` (nothing predicted 1: the point (0, 0))
    followed by the distinct scores in decreasing order, the last (the minimum score) giving (1, 1).
    Tied scores change both rates together, so a tie between classes is one diagonal step.
    """
    scores, labels = _validate(scores, labels)
    order = np.argsort(scores, kind="stable")[::-1]
    s, y = scores[order], labels[order]
    last_of_run = np.flatnonzero(np.append(s[1:] != s[:-1], True))  # last index of each run of equal scores
    tps = np.cumsum(y)[last_of_run]
    fps = last_of_run + 1 - tps
    n_pos, n_neg = tps[-1], fps[-1]
    fpr = np.concatenate(([0.0], fps / n_neg))
    tpr = np.concatenate(([0.0], tps / n_pos))
    thresholds = np.concatenate(([np.inf], s[last_of_run]))
    return fpr, tpr, thresholds


def _twice_u(scores: np.ndarray, labels: np.ndarray) -> tuple[int, int, int]:
    """``(2U, n_pos, n_neg)`` with U the Mann-Whitney count of (pos > neg) pairs + half the tied pairs.

    Midranks are half-integers, so doubling them gives exact integers (for n < 2**52).
    """
    twice_ranks = np.rint(2.0 * stats.rankdata(scores, method="average")).astype(np.int64)
    n_pos = int(np.count_nonzero(labels))
    n_neg = labels.size - n_pos
    return int(twice_ranks[labels].sum()) - n_pos * (n_pos + 1), n_pos, n_neg


def auc(scores, labels) -> float:
    """Area under the ROC curve: P(X_pos > X_neg) + 0.5 P(X_pos = X_neg) (Mann-Whitney U / (n_pos n_neg)).

    Computed from midranks (``scipy.stats.rankdata``) in O(n log n) and in integer arithmetic; the result
    is U / (n_pos n_neg) rounded (half to even) to the nearest multiple of 2**-53 (error <= 2**-54), which
    makes ``1 - auc`` exact: exchanging the labels, or negating the scores, gives exactly ``1 - auc``.
    """
    scores, labels = _validate(scores, labels)
    twice_u, n_pos, n_neg = _twice_u(scores, labels)
    den = 2 * n_pos * n_neg
    q, r = divmod(twice_u << _GRID_BITS, den)
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    return q / (1 << _GRID_BITS)  # q <= 2**53: the division is exact


def auc_bootstrap_interval(scores, labels, *, level: float = 0.95, resamples: int = 2000,
                           seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval for the AUC at confidence ``level``.

    Positives and negatives are resampled separately with replacement (stratified: every resample keeps
    the class sizes), the AUC of each resample comes from row-wise midranks, and the interval is the
    ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of the resampled AUCs. Seeded with
    ``drt_min.seeding.numpy_stream(seed, "crosscheck:auc-bootstrap")``, so the same inputs and seed
    give the same interval.
    """
    scores, labels = _validate(scores, labels)
    level = _check_level(level)
    if int(resamples) != resamples or resamples < 1:
        raise ValueError(f"resamples must be a positive integer, got {resamples!r}")
    resamples = int(resamples)
    pos, neg = scores[labels], scores[~labels]
    n_pos, n_neg = pos.size, neg.size
    rng = numpy_stream(seed, "crosscheck:auc-bootstrap")
    chunk = max(1, _BOOTSTRAP_CHUNK_ELEMENTS // scores.size)
    aucs = np.empty(resamples)
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        sample = np.concatenate((pos[rng.integers(0, n_pos, size=(b, n_pos))],
                                 neg[rng.integers(0, n_neg, size=(b, n_neg))]), axis=1)
        rank_sum = stats.rankdata(sample, method="average", axis=1)[:, :n_pos].sum(axis=1)
        aucs[start:start + b] = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    low, high = np.quantile(aucs, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def auc_delong_interval(scores, labels, level: float = 0.95) -> tuple[float, float]:
    """Normal-approximation interval ``auc +- z sqrt(V)`` with DeLong, DeLong & Clarke-Pearson (1988)'s V.

    V = S10/n_pos + S01/n_neg, the sample variances of the structural components (placement values)
    V10_i = P(X_neg < x_i) + 0.5 P(X_neg = x_i) and V01_j = P(X_pos > y_j) + 0.5 P(X_pos = y_j), computed
    from midranks (Sun & Xu 2014). Clipped to [0, 1]; needs at least two positives and two negatives.
    V is 0 (a zero-width interval) when the classes are perfectly separated.
    """
    scores, labels = _validate(scores, labels)
    level = _check_level(level)
    pos, neg = scores[labels], scores[~labels]
    n_pos, n_neg = pos.size, neg.size
    if n_pos < 2 or n_neg < 2:
        raise ValueError(f"the DeLong variance needs at least two positives and two negatives; got {n_pos} "
                         f"positive and {n_neg} negative")
    pooled = stats.rankdata(np.concatenate((pos, neg)), method="average")
    v10 = (pooled[:n_pos] - stats.rankdata(pos, method="average")) / n_neg
    v01 = 1.0 - (pooled[n_pos:] - stats.rankdata(neg, method="average")) / n_pos
    variance = np.var(v10, ddof=1) / n_pos + np.var(v01, ddof=1) / n_neg
    centre = auc(scores, labels)
    half = stats.norm.ppf((1 + level) / 2) * np.sqrt(variance)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def plot_roc(path, curves, *, title: str, reference_auc: float | None = None,
             reference_label: str | None = None) -> None:
    """Draw ROC ``curves`` (a list of ``(fpr, tpr, label)``) with the chance diagonal and save a PNG at ``path``.

    ``reference_auc`` (e.g. a published value, passed by the caller) appears as legend text only, as
    "<reference_label>: AUC <value>" ("reference" when no label is given). Saved atomically with
    :func:`drt_min.atomic.atomic_save_figure`; the figure is closed.
    """
    curves = list(curves)
    if not curves:
        raise ValueError("curves must hold at least one (fpr, tpr, label) tuple")
    for k, curve in enumerate(curves):
        if len(curve) != 3 or np.shape(curve[0]) != np.shape(curve[1]) or np.ndim(curve[0]) != 1:
            raise ValueError(f"curve {k} must be (fpr, tpr, label) with 1-D fpr and tpr of equal length")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    try:
        for fpr, tpr, label in curves:
            ax.plot(fpr, tpr, lw=1.5, label=str(label))
        ax.plot([0, 1], [0, 1], ls="--", color="0.5", lw=0.8, label="chance")
        if reference_auc is not None:
            ax.plot([], [], ls="none", label=f"{reference_label or 'reference'}: AUC {float(reference_auc):.2f}")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title(title)
        ax.legend(loc="lower right", fontsize="small")
        atomic_save_figure(fig, path, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
