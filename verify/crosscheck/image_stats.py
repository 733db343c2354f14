"""Per-image estimates of a trained ensemble's soft-smoothed members, with confidence bounds.

For one image x0 the members' confidences on three independent noise samples come in: the
selection sample (n0, it fixes the classes y0 and the centring constants), the estimation sample
(n, with its noise eps: Stein's identity turns it into values, gradients and second derivatives of
``g_j = E f_j(x0 + sigma eps)``; gradient norms are bounded by the dimension-free split-sample bound
:func:`verify.crosscheck.bounds.gradient_norm_bounds_split`, since the Hilbert-space Bernstein bound is
vacuous at d = 784 and a few thousand samples), and the direction sample (it fixes the gradient directions of
the second derivatives). :func:`analyse_image` returns every number parts 1-5 of the cross-check
read, each bound at the failure probability its caller passes (one Bonferroni share per bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from drt_min.ensemble import protocol_votes
from drt_min.seeding import numpy_stream
from drt_min.smoothing import certify_from_counts
from theory.conditions import (
    eri_from_terms,
    mme_partner_radius_from_terms,
    mme_predict,
    theorem1_radius_from_terms,
    theorem3_radius_from_terms,
    we_predict,
)
from theory.smoothing import cohen_radius

from . import bounds as B
from . import functions as fn

__all__ = ["Settings", "bounds_per_image", "analyse_image", "soft_certificate", "necessary_failure_radius",
           "hard_votes", "cohen_certificates"]


@dataclass(frozen=True)
class Settings:
    """What the per-image analysis needs besides the samples."""

    sigma: float
    weights: tuple[float, ...]           # WE weights, summing to 1
    betas: dict                          # name -> smoothness constant of one confidence (paper, tight)
    delta_theorem2: float                # failure probability of each part-1 bound
    delta_conditions: float              # failure probability of each part-2 bound
    random_directions: int = 4
    eri_radius: float = 0.5
    truncation_t: float = 4.0


def bounds_per_image(num_members: int, num_classes: int, random_directions: int) -> dict[str, int]:
    """How many bounds each part computes per image (the Bonferroni denominators)."""
    n, c = num_members, num_classes
    return {"theorem2": (n + random_directions) * n * c,
            "conditions": 2 * (c - 1) + c + n * c + n * (c - 1) + n * n * (c - 1) ** 2}


def soft_certificate(score_lower: np.ndarray, score_upper: np.ndarray, y0: int, sigma: float) -> float:
    """Lemma A.1 for a soft-smoothed classifier with scores in [0, 1] on the simplex:
    ``(sigma/2)(Phi^{-1}(G_A) - Phi^{-1}(G_B))`` from a lower bound on the score of y0 and upper
    bounds on the others (Salman et al., 2019, Lemma 2: ``Phi^{-1}(G)`` is 1/sigma-Lipschitz); 0 when
    the bounds do not separate."""
    p_a = float(score_lower[y0])
    others = np.delete(score_upper, y0)
    p_b = min(float(others.max()), 1.0 - p_a)  # the scores sum to 1, so G_B <= 1 - G_A
    if not p_a > p_b:
        return 0.0
    return float(cohen_radius(p_a, max(p_b, 0.0), sigma))


def necessary_failure_radius(s_upper: np.ndarray, g_lower: np.ndarray, curvature: float) -> float:
    """The smallest r at which Eq. (5) / Corollary 2, Eq. (22) fails for some class, from upper
    bounds on the margins S_y and lower bounds on the gradient norms G_y: the lower root of
    ``a r^2 - G r + S = 0`` (a = beta ||w||_1). Beyond it the ensemble is not r-robust. inf if it never fails."""
    a = curvature
    disc = g_lower ** 2 - 4.0 * a * np.maximum(s_upper, 0.0)
    ok = disc > 0
    if not np.any(ok):
        return float("inf")
    roots = (g_lower[ok] - np.sqrt(disc[ok])) / (2.0 * a)
    return float(max(roots.min(), 0.0))


def hard_votes(conf: np.ndarray, weights) -> np.ndarray:
    """The hard votes (n, 2 + N) of WE, MME and each member on confidence samples (n, N, C), by
    :func:`drt_min.ensemble.protocol_votes` (``log`` of a confidence is a logit of it)."""
    logits = torch.log(torch.as_tensor(conf).clamp_min(1e-300))
    return protocol_votes(logits, torch.as_tensor(np.asarray(weights, dtype=float))).numpy()


def cohen_certificates(votes_sel: np.ndarray, votes_est: np.ndarray, num_classes: int, *, n: int,
                       alpha: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm CERTIFY per column of hard votes (selection (n0, P), estimation (n, P)):
    :func:`drt_min.smoothing.certify_from_counts`, as the run's certifier computes it."""
    def counts(v):
        return np.stack([np.bincount(col, minlength=num_classes) for col in v.T])
    return certify_from_counts(counts(votes_sel), counts(votes_est[:n]), n=n, alpha=alpha, sigma=sigma)


def _directions(grads: np.ndarray, rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    random = rng.standard_normal((count, dim))
    u = np.concatenate([grads, random])
    norms = np.linalg.norm(u, axis=1, keepdims=True)
    fallback = rng.standard_normal(u.shape)  # a zero gradient estimate: any direction will do
    u = np.where(norms > 0, u, fallback)
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def analyse_image(conf_sel: np.ndarray, conf_est: np.ndarray, eps_est: np.ndarray,
                  conf_dir: np.ndarray, eps_dir: np.ndarray, settings: Settings, *,
                  direction_seed: int) -> dict:
    """Every per-image number of parts 1-5 for one ensemble at one image.

    ``conf_*`` (n_phase, N, C) member confidences, ``eps_*`` (n_phase, d) the standard normal noise
    they were evaluated on (``x0 + sigma eps``).
    """
    sel, est, dirs = (np.asarray(a, dtype=np.float64) for a in (conf_sel, conf_est, conf_dir))
    _, n_members, n_classes = est.shape
    sigma = settings.sigma
    w = np.asarray(settings.weights, dtype=np.float64)
    f_sel = sel.reshape(len(sel), -1)
    f_est = est.reshape(len(est), -1)
    eps = np.asarray(eps_est, dtype=np.float64).reshape(len(est), -1)
    centers = f_sel.mean(axis=0)
    lo, hi = np.zeros(f_est.shape[1]), np.ones(f_est.shape[1])
    g_sel = sel.mean(axis=0)                                         # (N, C) selection estimates
    out: dict = {}

    # --- part 1: Theorem 2, directional second derivatives of every member confidence
    member_top = g_sel.argmax(axis=1)
    top_rows = np.stack([fn.class_score_rows(np.eye(n_members)[j], n_classes)[member_top[j]]
                         for j in range(n_members)])
    f_dir = dirs.reshape(len(dirs), -1)
    grads_dir, _ = B.stein_gradients(f_dir @ top_rows.T, np.asarray(eps_dir, dtype=np.float64).reshape(len(dirs), -1),
                                     sigma, top_rows @ centers, q=np.inf)
    rng = numpy_stream(direction_seed, "crosscheck:directions")
    u = _directions(grads_dir, rng, settings.random_directions, eps.shape[1])
    second = B.second_derivative_bounds(f_est, eps @ u.T, sigma, centers, lo, hi,
                                        settings.delta_theorem2, T=settings.truncation_t)
    out["second"] = {k: np.asarray(v) for k, v in second.items()}   # (directions, N C)
    out["directions"] = u                                            # the first N follow gradients

    # --- part 2: soft WE (Corollary 2) and soft MME (Corollary 3, partner condition)
    delta = settings.delta_conditions
    y_we = int(we_predict(g_sel, w))
    rows_we = fn.we_margin_rows(w, n_classes, y_we)
    s_we = B.scalar_mean_bounds(f_est @ rows_we.T, -1.0, 1.0, delta)
    g_we = B.gradient_norm_bounds_split(f_est, eps, sigma, centers, lo, hi, delta, combos=rows_we)
    rows_cls = fn.class_score_rows(w, n_classes)
    scores = B.scalar_mean_bounds(f_est @ rows_cls.T, 0.0, 1.0, delta)
    member_conf = B.scalar_mean_bounds(f_est, 0.0, 1.0, delta)       # (N C,)
    y_mme = int(mme_predict(g_sel))
    rows_mm = fn.member_margin_rows(n_members, n_classes, y_mme)
    s_mm = B.scalar_mean_bounds(f_est @ rows_mm.T, -1.0, 1.0, delta)
    rows_pair = fn.pair_sum_rows(n_members, n_classes, y_mme)
    g_pair = B.gradient_norm_bounds_split(f_est, eps, sigma, centers, lo, hi, delta, combos=rows_pair)
    k = n_classes - 1
    s_mm_low = s_mm["lower"].reshape(n_members, k)
    s_pair_low = s_mm_low[:, None, :, None] + s_mm_low[None, :, None, :]
    g_pair_up = np.asarray(g_pair["upper"]).reshape(n_members, n_members, k, k)
    out.update(y_we=y_we, y_mme=y_mme, we_margin=s_we, we_grad=g_we, we_scores=scores,
               member_conf=member_conf, mme_margin=s_mm, pair_margin_lower=s_pair_low,
               pair_grad_upper=g_pair_up)
    radii = {}
    for name, beta in settings.betas.items():
        radii[f"we_{name}"] = float(theorem1_radius_from_terms(s_we["lower"], g_we["upper"], w.sum(), beta))
        radii[f"mme_{name}"] = float(mme_partner_radius_from_terms(s_pair_low, g_pair_up, beta))
        pair = theorem3_radius_from_terms(s_pair_low, g_pair_up, beta)      # (N, N)
        off = ~np.eye(n_members, dtype=bool)
        best = np.argmax(np.where(off, pair, -np.inf))
        radii[f"pair_{name}"] = float(pair.flat[best])
        radii[f"pair_{name}_members"] = divmod(int(best), n_members)
    radii["we_soft"] = soft_certificate(scores["lower"], scores["upper"], y_we, sigma)
    out["radii"] = radii
    tight = settings.betas["tight"]
    out["we_necessary_fails_at"] = necessary_failure_radius(s_we["upper"], g_we["lower"], tight * w.sum())

    # --- part 3: the Ensemble Robustness Indicator, Eq. (7), from unbiased point estimates
    gram_we = B.split_half_gram(f_est, eps, sigma, centers, combos=rows_we)
    g_we_point = np.sqrt(np.maximum(np.diag(gram_we), 0.0))
    out["eri"] = float(eri_from_terms(s_we["estimate"], g_we_point, w.sum(), settings.eri_radius).max())

    # --- part 4: member margins and margin-gradient cosines per pair (Corollary 1)
    gram_mm = B.split_half_gram(f_est, eps, sigma, centers, combos=rows_mm)
    out["member_margin_point"] = s_mm["estimate"].reshape(n_members, k)
    out["member_margin_gram"] = gram_mm                              # (N (C-1), N (C-1))

    # --- parts 4-5: hard votes on the run's own noise (selection + first cert_n estimation samples)
    out["votes_sel"] = hard_votes(sel, w)
    out["votes_est"] = hard_votes(est, w)
    half = np.array([0.5, 0.5])
    out["pair_votes"] = {(i, k): (hard_votes(sel[:, [i, k]], half), hard_votes(est[:, [i, k]], half))
                         for i in range(n_members) for k in range(i + 1, n_members)}
    return out
