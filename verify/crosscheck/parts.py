"""The cross-check's tables, from per-image records (pure numpy; no model, no sampling).

Each function takes what :func:`verify.crosscheck.image_stats.analyse_image` and the run's
certificates give and returns a flat dict (a table row) plus, where a plot or CSV needs them, the
per-image columns. Intervals are Clopper-Pearson (:func:`theory.smoothing.clopper_pearson_lower`,
``_upper``) for proportions, Bonferroni-split where several are read together.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.optimize import brentq

from theory.comparison import corollary1_radius, mme_constant, we_constant
from theory.smoothing import clopper_pearson_lower, clopper_pearson_upper
from theory.statistical import corollary5_thresholds
from theory.strategies import cor4_feasible, cor4_threshold

from .roc import auc, auc_bootstrap_interval, auc_delong_interval

__all__ = ["proportion", "spearman", "theorem2_summary", "corollary1_prediction", "corollary4_prediction",
           "lambda_proxies", "figure6_table", "binomial_excess"]


def proportion(k: int, n: int, level: float) -> dict:
    """``k/n`` with its two-sided Clopper-Pearson interval at confidence ``1 - level``."""
    if n == 0:
        return {"k": 0, "n": 0, "rate": float("nan"), "low": float("nan"), "high": float("nan")}
    return {"k": int(k), "n": int(n), "rate": k / n,
            "low": float(clopper_pearson_lower(k, n, level / 2)),
            "high": float(clopper_pearson_upper(k, n, level / 2))}


def spearman(a, b) -> dict:
    """Spearman's rank correlation with its p-value and sample size (NaN below 3 points or constant data)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return {"rho": float("nan"), "p": float("nan"), "n": int(ok.sum())}
    res = stats.spearmanr(a[ok], b[ok])
    return {"rho": float(res.statistic), "p": float(res.pvalue), "n": int(ok.sum())}


def theorem2_summary(second: list[dict], n_members: int, sigma: float, tight: float, paper: float) -> dict:
    """Part 1: the largest directional second derivative of the members' soft-smoothed confidences.

    ``second`` holds per image the bounds (directions, N C) of
    :func:`verify.crosscheck.bounds.second_derivative_bounds`; the first ``n_members`` directions are
    gradient directions. Returns the largest |estimate|, the largest value that is certainly reached
    (``max(lower, -upper)``), and how many bounds exceed the tight constant (each such bound is a bug:
    Theorem 2's tight constant is a supremum over all [0, 1]-valued functions).
    """
    out = {}
    for name, sl in (("gradient", slice(0, n_members)), ("random", slice(n_members, None))):
        est = np.concatenate([np.abs(s["estimate"][sl]).ravel() for s in second])
        certain = np.concatenate([np.maximum(s["lower"][sl], -s["upper"][sl]).ravel() for s in second])
        upper = np.concatenate([np.maximum(np.abs(s["upper"][sl]), np.abs(s["lower"][sl])).ravel()
                                for s in second])
        out[name] = {"count": int(est.size), "max_estimate": float(est.max()),
                     "max_certain": float(certain.max()), "max_upper": float(upper.max()),
                     "above_tight": int((certain > tight).sum()),
                     "max_estimate_over_tight": float(est.max() / tight),
                     "max_estimate_over_paper": float(est.max() / paper),
                     "halfwidth_median": float(np.median(np.concatenate(
                         [s["halfwidth"][sl].ravel() for s in second])))}
    out["tight"], out["paper"], out["sigma"] = tight, paper, sigma
    return out


def _delta_for(r: float, cos: float, constant: float, min_margin: float, beta: float) -> float | None:
    """The smallest Delta in [0, 1) meeting Corollary 1's hypothesis ``beta <= Delta m / (c^2 r^2)``
    with ``c = max(R(Delta)/r, 1)``; None if there is none. R decreases in Delta, so the right side
    increases and a root search applies."""
    def slack(delta):
        radius = float(corollary1_radius(r, delta, constant, cos, corrected=True))
        c = max(radius / r, 1.0)
        return delta * min_margin / (c * c * r * r) - beta
    hi = 1.0 - 1e-12
    if slack(hi) < 0:
        return None
    if slack(0.0) >= 0:
        return 0.0
    return brentq(slack, 0.0, hi, xtol=1e-14)


def corollary1_prediction(margins_i, margins_k, gram, i: int, k: int, n_wrong: int, r: float, beta: float,
                          kind: str) -> dict | None:
    """Corollary 1 (the ledger's form, ``max(cos, 0)``) for the pair of members (i, k) at one image.

    ``margins_*`` the smoothed margins over the wrong classes (point estimates), ``gram`` the
    unbiased Gram matrix of all members' margin gradients ordered (member, wrong class), ``r`` the
    radius both members are certified at, ``beta`` the members' smoothness constant. Returns the
    constant C, cos(theta), Delta and R, and whether R > r; None where the corollary does not apply
    (a margin <= 0, a zero gradient, or no Delta < 1 meets the smoothness hypothesis).
    """
    a, b = np.asarray(margins_i), np.asarray(margins_k)
    if not (np.all(a > 0) and np.all(b > 0) and r > 0):
        return None
    ia, ib = i * n_wrong, k * n_wrong
    diag = np.diag(gram)
    gi, gk = diag[ia:ia + n_wrong], diag[ib:ib + n_wrong]
    if np.any(gi <= 0) or np.any(gk <= 0):
        return None
    cross = gram[ia:ia + n_wrong, ib:ib + n_wrong] / np.sqrt(np.outer(gi, gk))
    if kind == "we":
        constant, cos = float(we_constant(a, b, np.array([0.5, 0.5]))), float(np.diag(cross).max())
    else:
        constant, cos = float(mme_constant(a, b)), float(cross.max())
    cos = float(np.clip(cos, -1.0, 1.0))
    delta = _delta_for(r, cos, constant, float(min(a.min(), b.min())), beta)
    if delta is None:
        return None
    radius = float(corollary1_radius(r, delta, constant, cos, corrected=True))
    return {"C": constant, "cos": cos, "delta": delta, "R": radius, "predicts_larger": radius > r}


def corollary4_prediction(votes: np.ndarray, y0: int) -> dict | None:
    """Corollary 4 for two members from their hard votes (n, 3): member a, member b and their EBS MME.

    ``p_a, p_b`` the members' probabilities of y0, ``p_ab`` both, ``p`` the MME's probability of y0
    when exactly one member says y0. Returns them and whether ``p`` exceeds the corollary's threshold
    (then EBS certifies more than EAS); None outside the corollary's hypotheses (p_a or p_b <= 1/2, or
    no sample with exactly one member right).
    """
    a, b, mme = (votes[:, j] == y0 for j in range(3))
    p_a, p_b, p_ab = a.mean(), b.mean(), (a & b).mean()
    one = a ^ b
    if not (0.5 < p_a < 1 and 0.5 < p_b < 1) or not one.any() or not cor4_feasible(p_a, p_b, p_ab):
        return None
    p = float(mme[one].mean())
    threshold = float(cor4_threshold(p_a, p_b, p_ab))
    return {"p_a": float(p_a), "p_b": float(p_b), "p_ab": float(p_ab), "p": p, "threshold": threshold,
            "predicts_ebs": p > threshold}


def lambda_proxies(conf: np.ndarray, weights, y0: int) -> dict:
    """Appendix D.5.3's proxies at one image from confidences (n, N, C) under noise.

    lambda1 = E[max_{y != y0} sum_i w_i f_i^y / sum_i w_i (1 - f_i^{y0})],
    lambda2 = E[max_i max_{y != y0} f_i^y / (1 - f_i^{y0})];
    mu, s: mean and standard deviation of the members' f_i^{y0} (pooled: Corollary 5 takes them
    i.i.d.), s_f: standard deviation of min_i f_i^{y0}.
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    own = conf[..., y0]                                              # (n, N)
    wrong = np.delete(conf, y0, axis=-1)                             # (n, N, C-1)
    rest = np.clip(1.0 - own, 1e-12, None)
    lam1 = (np.einsum("snc,n->sc", wrong, w).max(axis=-1) / (rest @ w)).mean()
    lam2 = (wrong.max(axis=-1) / rest).max(axis=-1).mean()
    return {"lambda1": float(lam1), "lambda2": float(lam2), "mu": float(own.mean()),
            "s": float(own.std(ddof=1)), "s_f": float(own.min(axis=-1).std(ddof=1))}


def figure6_table(proxies: list[dict], r_mme, r_we, n_members: int, *, resamples: int = 2000,
                  seed: int = 0, level: float = 0.95) -> dict:
    """Figure 6: X = lambda1/lambda2 - RHS of Eq. (48) against Y = 1[MME radius > WE radius].

    Eq. (48)'s RHS is :func:`theory.statistical.corollary5_thresholds` (second value) at each image's
    mu, lambda2, s, s_f and N. X is undefined where Corollary 5's hypotheses fail (mu <= B(lambda2),
    s or s_f = 0); those images are counted and left out. Returns the columns, the AUC with a
    stratified bootstrap and a DeLong interval, and the AUC of lambda1/lambda2 alone.
    """
    r_mme, r_we = np.asarray(r_mme, dtype=float), np.asarray(r_we, dtype=float)
    y = (r_mme > r_we).astype(int)
    ratio = np.array([p["lambda1"] / p["lambda2"] if p["lambda2"] > 0 else np.nan for p in proxies])
    x = np.full(len(proxies), np.nan)
    for j, p in enumerate(proxies):
        lam2 = p["lambda2"]
        if lam2 > 0 and p["s"] > 0 and p["s_f"] > 0 and p["mu"] > lam2 / (1 + lam2):
            x[j] = ratio[j] - float(corollary5_thresholds(p["mu"], lam2, p["s"], p["s_f"], n_members)[1])
    out = {"x": x, "y": y, "ratio": ratio, "n_images": len(y), "n_defined": int(np.isfinite(x).sum()),
           "positives": int(y.sum()), "ties": int((r_mme == r_we).sum())}
    for name, score in (("x", x), ("ratio", ratio)):
        ok = np.isfinite(score)
        if ok.sum() and 0 < y[ok].sum() < ok.sum():
            out[f"auc_{name}"] = auc(score[ok], y[ok])
            out[f"auc_{name}_bootstrap"] = auc_bootstrap_interval(score[ok], y[ok], level=level,
                                                                  resamples=resamples, seed=seed)
            pos = int(y[ok].sum())
            out[f"auc_{name}_delong"] = auc_delong_interval(score[ok], y[ok], level=level) \
                if min(pos, int(ok.sum()) - pos) >= 2 else (float("nan"), float("nan"))  # needs 2 of each
            out[f"auc_{name}_n"] = int(ok.sum())
        else:
            out[f"auc_{name}"] = float("nan")
    return out


def binomial_excess(disagreements: int, trials: int, rate: float) -> float:
    """One-sided p-value of ``disagreements`` or more out of ``trials`` when each has probability
    at most ``rate`` (scipy.stats.binom survival function)."""
    if trials == 0:
        return 1.0
    return float(stats.binom.sf(disagreements - 1, trials, rate))
