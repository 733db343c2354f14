"""The cross-check's tables, from per-image records (pure numpy; no model, no sampling).

Each function takes what :func:`verify.crosscheck.image_stats.analyse_image` and the run's
certificates give and returns a flat dict (a table row) plus, where a plot or CSV needs them, the
per-image columns; each part's module (``part1_theorem2`` .. ``part7_predict``) keeps them in its typed
record. Intervals are Clopper-Pearson (:func:`theory.smoothing.clopper_pearson_lower`,
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
           "lambda_proxies", "figure6_outcomes", "figure6_x", "auc_summary", "figure6_table", "UNDEFINED_X",
           "binomial_excess", "power_table", "outcome_agreement"]


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


def _corollary5_screen(own: np.ndarray, level: float = 0.05) -> dict:
    """Corollary 5's distributional hypotheses at one image, screened on samples ``own`` (n, N) of
    the members' confidences in y0: identically distributed members (no pairwise two-sample
    Kolmogorov-Smirnov test rejects) and a symmetric distribution (no member's D'Agostino skewness
    test rejects), each family Bonferroni at ``level``. A screen only: not rejecting is not proof
    (independence across members cannot be tested on one image at all)."""
    n, members = own.shape
    pairs = [(i, k) for i in range(members) for k in range(i + 1, members)]
    identical, symmetric = True, True
    for i, k in pairs:
        if np.ptp(own[:, i]) == 0 and np.ptp(own[:, k]) == 0:
            identical &= bool(own[0, i] == own[0, k])
        elif stats.ks_2samp(own[:, i], own[:, k]).pvalue <= level / max(1, len(pairs)):
            identical = False
    for j in range(members):
        if np.ptp(own[:, j]) == 0:
            continue  # a constant is symmetric
        if n < 8 or stats.skewtest(own[:, j]).pvalue <= level / members:
            symmetric = False
    return {"identical": identical, "symmetric": symmetric}


def lambda_proxies(conf: np.ndarray, weights, y0: int) -> dict:
    """Appendix D.5.3's proxies at one image from confidences (n, N, C) under noise.

    lambda1 = E[max_{y != y0} sum_i w_i f_i^y / sum_i w_i (1 - f_i^{y0})],
    lambda2 = E[max_i max_{y != y0} f_i^y / (1 - f_i^{y0})];
    mu, s: mean and standard deviation of the members' f_i^{y0} (pooled: Corollary 5 takes them
    i.i.d.), s_f: standard deviation of min_i f_i^{y0}; ``identical``, ``symmetric``: the screen of
    Corollary 5's distributional hypotheses (:func:`_corollary5_screen`).
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    own = conf[..., y0]                                              # (n, N)
    wrong = np.delete(conf, y0, axis=-1)                             # (n, N, C-1)
    rest = np.clip(1.0 - own, 1e-12, None)
    lam1 = (np.einsum("snc,n->sc", wrong, w).max(axis=-1) / (rest @ w)).mean()
    lam2 = (wrong.max(axis=-1) / rest).max(axis=-1).mean()
    return {"lambda1": float(lam1), "lambda2": float(lam2), "mu": float(own.mean()),
            "s": float(own.std(ddof=1)), "s_f": float(own.min(axis=-1).std(ddof=1)),
            **_corollary5_screen(own)}


#: How Figure 6 may treat images where X is undefined (Corollary 5's hypotheses fail).
UNDEFINED_X = ("excluded", "lowest", "highest")


def figure6_outcomes(r_mme, r_we, ceiling: float | None = None) -> dict:
    """Figure 6's outcome per image: 'mme' (MME certifies a larger radius), 'we' (WE does), or a tie.

    Ties are never folded into either class. They are counted by kind: both radii 0 ('zero'), both
    at the certifier's ceiling (``ceiling``: the radius at k = n, 'ceiling'), other equal radii
    ('equal'). Returns the boolean masks and the counts.
    """
    r_mme, r_we = np.asarray(r_mme, dtype=float), np.asarray(r_we, dtype=float)
    mme, we = r_mme > r_we, r_we > r_mme
    tie = ~(mme | we)
    zero = tie & (r_mme == 0)
    at_ceiling = tie & ~zero & (np.isclose(r_mme, ceiling, rtol=1e-12, atol=0.0) if ceiling else False)
    equal = tie & ~zero & ~at_ceiling
    return {"mme": mme, "we": we, "tie": tie,
            "counts": {"images": int(r_mme.size), "mme_wins": int(mme.sum()), "we_wins": int(we.sum()),
                       "ties": int(tie.sum()), "ties_zero": int(zero.sum()),
                       "ties_ceiling": int(at_ceiling.sum()), "ties_equal": int(equal.sum())}}


def auc_summary(score, labels, *, resamples: int, seed: int, level: float) -> dict:
    """AUC of ``score`` for binary ``labels`` with its bootstrap and DeLong intervals and class sizes
    (NaN where a class is empty; the DeLong interval needs two of each)."""
    score, labels = np.asarray(score, dtype=float), np.asarray(labels, dtype=bool)
    pos = int(labels.sum())
    out = {"n": int(labels.size), "positives": pos, "negatives": int(labels.size) - pos,
           "auc": float("nan"), "bootstrap": (float("nan"), float("nan")),
           "delong": (float("nan"), float("nan"))}
    if 0 < pos < labels.size:
        out["auc"] = auc(score, labels)
        out["bootstrap"] = auc_bootstrap_interval(score, labels, level=level, resamples=resamples, seed=seed)
        if min(pos, labels.size - pos) >= 2:
            out["delong"] = auc_delong_interval(score, labels, level=level)
    return out


def figure6_x(proxies: list[dict], n_members: int) -> tuple[np.ndarray, np.ndarray]:
    """(X, lambda1/lambda2) per image: X = lambda1/lambda2 - RHS of Eq. (48), NaN where Corollary 5's
    hypotheses needed to compute it fail (mu <= B(lambda2), s or s_f = 0)."""
    ratio = np.array([p["lambda1"] / p["lambda2"] if p["lambda2"] > 0 else np.nan for p in proxies])
    x = np.full(len(proxies), np.nan)
    for j, p in enumerate(proxies):
        lam2 = p["lambda2"]
        if lam2 > 0 and p["s"] > 0 and p["s_f"] > 0 and p["mu"] > lam2 / (1 + lam2):
            x[j] = ratio[j] - float(corollary5_thresholds(p["mu"], lam2, p["s"], p["s_f"], n_members)[1])
    return x, ratio


def _fill_undefined(x: np.ndarray, how: str) -> np.ndarray:
    ok = np.isfinite(x)
    if how == "excluded" or ok.all():
        return x
    lo, hi = (x[ok].min(), x[ok].max()) if ok.any() else (0.0, 0.0)
    return np.where(ok, x, lo - 1.0 if how == "lowest" else hi + 1.0)


def figure6_table(proxies: list[dict], r_mme, r_we, n_members: int, *, resamples: int = 2000,
                  seed: int = 0, level: float = 0.95, ceiling: float | None = None) -> dict:
    """Figure 6: X = lambda1/lambda2 - RHS of Eq. (48) against Y = MME wins (1) / WE wins (0).

    Images where both ensembles certify the same radius are ties: counted (:func:`figure6_outcomes`)
    and left out of Y, never folded into either class. The headline ``auc_x`` is on the images where
    MME or WE wins and X is defined. Beside it, as separate findings: ``undefined``, the AUC for each
    treatment of undefined X (:data:`UNDEFINED_X`: left out, kept scored lowest, kept scored highest);
    ``tie_inclusive``, the AUC with ties counted as WE wins (Y = 1[r_MME > r_WE], the rule this package
    used before); ``ties_from_x``, the AUC of -X for "tie" against "not a tie"; ``hypotheses``, the
    AUC on the images whose screen of Corollary 5's hypotheses passes (identical, symmetric, s_f < s).
    """
    out_y = figure6_outcomes(r_mme, r_we, ceiling)
    mme, decided, tie = out_y["mme"], ~out_y["tie"], out_y["tie"]
    x, ratio = figure6_x(proxies, n_members)
    defined = np.isfinite(x)
    y = np.where(tie, -1, mme.astype(int))                            # 1 MME, 0 WE, -1 tie
    kw = dict(resamples=resamples, seed=seed, level=level)
    hyp = np.array([bool(p.get("identical", False) and p.get("symmetric", False) and p["s_f"] < p["s"])
                    for p in proxies], dtype=bool) & defined
    out = {"x": x, "y": y, "ratio": ratio, **out_y["counts"], "n_images": len(y),
           "n_defined": int(defined.sum()), "positives": int(mme.sum()),
           "hypotheses_hold": int(hyp.sum()), "s_f_below_s": int(sum(p["s_f"] < p["s"] for p in proxies))}
    head = auc_summary(x[decided & defined], mme[decided & defined], **kw)
    out.update(auc_x=head["auc"], auc_x_bootstrap=head["bootstrap"], auc_x_delong=head["delong"],
               auc_x_n=head["n"], auc_x_positives=head["positives"], auc_x_negatives=head["negatives"])
    rat = np.isfinite(ratio) & decided
    r = auc_summary(ratio[rat], mme[rat], **kw)
    out.update(auc_ratio=r["auc"], auc_ratio_bootstrap=r["bootstrap"], auc_ratio_delong=r["delong"],
               auc_ratio_n=r["n"])
    out["undefined"] = {}
    for how in UNDEFINED_X:
        filled = _fill_undefined(x, how)
        keep = decided & np.isfinite(filled)
        out["undefined"][how] = auc_summary(filled[keep], mme[keep], **kw)
    out["tie_inclusive"] = auc_summary(x[defined], mme[defined], **kw)
    out["ties_from_x"] = auc_summary(-x[defined], tie[defined], **kw)
    out["hypotheses"] = auc_summary(x[decided & hyp], mme[decided & hyp], **kw)
    return out


def binomial_excess(disagreements: int, trials: int, rate: float) -> float:
    """One-sided p-value of ``disagreements`` or more out of ``trials`` when each has probability
    at most ``rate`` (scipy.stats.binom survival function)."""
    if trials == 0:
        return 1.0
    return float(stats.binom.sf(disagreements - 1, trials, rate))


#: The factors by which parts 2 and 7 inflate a certified radius to measure their attacks' power.
INFLATIONS = (1.25, 1.5, 2.0)


def power_table(rows: list[dict], level: float) -> dict:
    """The power of an attack on certificates: per inflation factor, the fraction of images broken.

    ``rows`` hold ``inflation`` (the factor the certified radius was multiplied by), ``index`` and
    ``broken`` (the attack proved the attacked classifier leaves the certified class within the
    inflated radius), optionally ``reached`` (the attack's own estimate crossed the boundary).
    Returns ``by_inflation`` {factor: proportion with its Clopper-Pearson interval (confidence
    ``1 - level``), plus the count reached (None where no row measures it)}, ``images`` and ``tests_certificate``: False when no
    image is broken at any factor above 1, i.e. the attack cannot reach the decision boundary even
    where the certificate is known to be too large, so its silence at the true radius says nothing.
    """
    factors = sorted({float(r["inflation"]) for r in rows})
    by = {}
    for f in factors:
        sel = [r for r in rows if float(r["inflation"]) == f]
        by[f] = {**proportion(sum(bool(r["broken"]) for r in sel), len(sel), level),
                 "reached": sum(bool(r["reached"]) for r in sel) if all("reached" in r for r in sel)
                 else None}
    images = sorted({int(r["index"]) for r in rows})
    tests = any(v["k"] > 0 for f, v in by.items() if f > 1.0)
    return {"by_inflation": by, "images": len(images), "tests_certificate": tests}


def outcome_agreement(first: tuple, second: tuple, level: float) -> dict:
    """Test-retest of Figure 6's outcome: two certifications of the same images on independent noise,
    each given as (r_mme, r_we) at the label. Returns the agreement of the three-way outcome (MME win,
    WE win, tie) and, on images decided in both, of the winner, with Clopper-Pearson intervals, and
    Cohen's kappa of the three-way outcome."""
    a = figure6_outcomes(*first)
    b = figure6_outcomes(*second)
    code = lambda o: np.where(o["tie"], 2, np.where(o["mme"], 1, 0))  # noqa: E731
    ca, cb = code(a), code(b)
    n = int(ca.size)
    agree = int((ca == cb).sum())
    decided = (ca != 2) & (cb != 2)
    p_o = agree / n if n else float("nan")
    p_e = sum(float(np.mean(ca == k)) * float(np.mean(cb == k)) for k in range(3)) if n else float("nan")
    kappa = (p_o - p_e) / (1 - p_e) if n and p_e < 1 else float("nan")
    return {"three_way": proportion(agree, n, level),
            "winner_when_decided": proportion(int((ca[decided] == cb[decided]).sum()), int(decided.sum()), level),
            "kappa": float(kappa)}
