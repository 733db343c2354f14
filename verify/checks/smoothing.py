"""Checks of Gaussian smoothing (Section 2.3, Appendices A and B.4-B.5) against exact ground truth.

Statements (ledger ids): Theorem 2 and its tight constant (``thm2``, ``thm2-tight``, ``thm2-ab``,
``thm2-margin``), Proposition B.4 (``propB4``), Lemma A.1 and Proposition C.1 (``lemA1``, ``propC1``),
Corollaries 2-3 (``cor2``, ``cor3``), Eq. (8) and Definition 5 (``eq8``, ``def5``). Definition 6, Theorem 5
and Corollary 4 are checked in verify/checks/strategies.py.

Ground truth:

- Hessians of ``g = f * N(0, sigma^2 I)``: closed forms through phi and Phi (piecewise-constant
  functions, products of intervals, half-spaces); ``scipy.integrate.quad``/``quad_vec`` with their error
  estimates (sigmoids, sigmoid networks in 1-D, balls and bands in 2-D, where the inner integral along
  the second axis is closed form); composite Gauss-Legendre with an order-doubling error estimate
  (sigmoid networks in 2-D, order 10 against 16 per panel); in d = 10-100, Stein's identity
  ``sigma^2 u^T H u = E[(f - 1/2)(Z^2 - 1)]``, ``Z = u.eps/sigma``, split at ``Z^2 <= T`` into a bounded
  part (Bernstein's inequality with the known variance bound 1/2) and a tail whose contribution is
  bounded exactly by ``E[(Z^2 - 1) 1{Z^2 > T}]/2 = sqrt(T) phi(sqrt(T))``.
- Linear members (partitions along one direction, half-spaces in orthogonal coordinates): smoothed
  probabilities are Phi of signed distances, or exact sums over the 2^N vote patterns; perturbations
  are searched along the worst directions and by local optimisation; the true radius of a 1-D margin is
  bracketed rigorously (a Lipschitz grid gives a lower bound, a sign change refined by ``brentq`` an
  upper bound).

The checks are written in :mod:`verify.checks.smoothing_hessians` (the Hessians' ground truth),
:mod:`verify.checks.smoothing_theorem2` (Theorem 2, Proposition B.4), :mod:`verify.checks.smoothing_linear`
(Lemma A.1, Proposition C.1, Definition 5), :mod:`verify.checks.smoothing_bands` (Corollaries 2-3) and
:mod:`verify.checks.smoothing_eq8` (Eq. (8)); this module registers them, in the ledger's order.
"""

from __future__ import annotations

import numpy as np

from theory import smoothing as sm

from . import Check
from ._common import mutation
from .smoothing_bands import cor23_mutations, cor23_run, cor2_condition, cor3_condition
from .smoothing_eq8 import eq8
from .smoothing_linear import def5, lemA1, propC1
from .smoothing_theorem2 import propB4, thm2_ab, thm2_margin, thm2_paper, thm2_tight_1d, thm2_tight_2d, thm2_tight_stein

__all__ = ["CHECKS"]

# Registry
# =====================================================================================================


_B4 = float(sm.step_smoothness_lower_bound(1.0))

CHECKS = [
    Check("thm2-tight", "thm2_tight_1d_quadrature",
          "closed forms (phi') for steps/intervals/piecewise constants checked against quad; quad with error "
          "estimates for sigmoids and sigmoid networks; extremal 1{|t - c| > sigma} and its complement",
          "(beyond the paper) best constant not stated", "sup_f sup|u^T H u| = 2 phi(1)/sigma^2, attained",
          thm2_tight_1d,
          (mutation("tight constant x 0.9", thm2_tight_1d, scale=0.9),
           mutation("Prop. B.4's phi(1)/sigma^2 as the universal constant", thm2_tight_1d, scale=0.5))),
    Check("thm2-tight", "thm2_tight_2d_exact",
          "box Hessians in closed form; balls, half-spaces, extremal bands by quad_vec over t1 of closed-form "
          "t2-integrals; 2-D sigmoid networks by composite Gauss-Legendre (order 10 vs 16 error estimate)",
          "(beyond the paper)", "spectral norm of sigma^2 H_g <= 2 phi(1), attained by the band",
          thm2_tight_2d, (mutation("tight constant x 0.9", thm2_tight_2d, scale=0.9),)),
    Check("thm2-tight", "thm2_tight_stein_highdim",
          "Stein's identity in d = 10-100, Bernstein bound (variance <= 1/2) on the part Z^2 <= 25 plus the exact "
          "tail bound; exact values for half-spaces, boxes and the extremal function must be covered",
          "(beyond the paper)", "|sigma^2 u^T H u| <= 2 phi(1); the extremal function's interval covers 2 phi(1)",
          thm2_tight_stein,
          (mutation("tight constant x 0.9", thm2_tight_stein, scale=0.9),
           mutation("Prop. B.4's phi(1)/sigma^2 as an upper bound", thm2_tight_stein, scale=0.5))),
    Check("thm2", "thm2_printed_constant_sound_and_loose",
          "as thm2_tight_1d_quadrature", "g is 2/sigma^2-smooth", "sound; the attained supremum is 2 phi(1)/sigma^2 "
          "(4.13x smaller)", thm2_paper,
          (mutation("printed constant / 4.2 (below beta*)", thm2_paper, constant=2 / 4.2),
           mutation("range [0, 1] dropped: values in [-3, 3]", thm2_paper, low=-3.0, high=3.0))),
    Check("thm2-ab", "thm2_ab_quadrature",
          "closed forms and quad for functions with values in random [a, b]; extremal a + (b - a) 1{|t - c| > sigma}",
          "2(b - a)/sigma^2", "(b - a) 2 phi(1)/sigma^2, attained", thm2_ab,
          (mutation("tight constant halved", thm2_ab, scale=0.5),
           mutation("width (b - a) dropped", thm2_ab, width_factor=lambda a, b: 1.0))),
    Check("thm2-margin", "thm2_margin_quadrature",
          "closed forms for piecewise-constant simplex pairs, quad for 3-class softmax networks; the extremal pair",
          "(used with beta = 2/sigma^2 per component)", "margin f_a - f_b: 4 phi(1)/sigma^2, attained",
          thm2_margin,
          (mutation("one component's constant 2 phi(1)/sigma^2", thm2_margin, kappa_fn=sm.smoothness_constant_tight),
           mutation("margin constant x 0.9", thm2_margin, kappa_fn=lambda s: 0.9 * sm.margin_smoothness_constant(s)))),
    Check("propB4", "propB4_step_supremum",
          "closed form -x phi(x/sigma)/sigma^3 on a grid and quad at x = -sigma; the extremal function",
          "some g_f needs beta >= 1/(sqrt(2 pi e) sigma^2) (grouping garbled)", "the step attains phi(1)/sigma^2: a lower bound on the "
          "universal constant, which is 2 phi(1)/sigma^2", propB4,
          (mutation("value doubled", propB4, claimed=2 * _B4),
           mutation("as a universal upper bound", propB4, universal_upper=True),
           mutation("literal 'iff' (every g needs it)", propB4, literal_iff=True))),
    Check("lemA1", "lemA1_linear_classifiers",
          "closed-form smoothed probabilities of half-spaces and parallel partitions; grid + bounded minimisation "
          "along the worst direction", "r = sigma (Phi^-1(pA) - Phi^-1(pB)) (extraction)",
          "r = (sigma/2)(Phi^-1(pA) - Phi^-1(pB)), exact for two classes", lemA1,
          (mutation("printed form (no 1/2)", lemA1,
                    radius_fn=lambda pa, pb, s, p: sm.cohen_radius_printed(pa, pb, s)),
           mutation("p_B = smallest class probability (bound on the runner-up dropped)", lemA1,
                    radius_fn=lambda pa, pb, s, p: sm.cohen_radius(pa, min(pb, p.min()), s)))),
    Check("propC1", "propC1_ebs_orthogonal_votes",
          "exact EBS vote probabilities (sum over 2^N patterns of products of Phi); L-BFGS attack on the sphere",
          "r = sigma Phi^-1(g_M(x0)_top)", "same; Phi^-1(p_y0) is (1/sigma)-Lipschitz", propC1,
          (mutation("radius doubled", propC1, factor=2.0),)),
    Check("cor2", "cor2_soft_we_bands",
          "closed-form smoothed margins/gradients of band and half-space members along one direction (d 1-50); "
          "true radius bracketed by a Lipschitz grid and brentq", "-+ 2 r/sigma^2 sum w_j",
          "-+ sqrt(2/(pi e)) r/sigma^2 sum w_j", cor23_run(0, cor2_condition), cor23_mutations(0, cor2_condition)),
    Check("cor3", "cor3_soft_mme_pairs",
          "as cor2 with two members (2-class MME predicts y0 iff m_1 + m_2 > 0)", "-+ 4 r/sigma^2",
          "-+ 2 sqrt(2/(pi e)) r/sigma^2", cor23_run(2, cor3_condition), cor23_mutations(2, cor3_condition)),
    Check("eq8", "eq8_soft_vs_vote",
          "quad_vec of softmax members; vote probability from brentq-refined switch points; Hoeffding interval "
          "for theory's estimator", "g_M(x) ~ gbar(x)", "gbar exact; -1/2 <= g_M - gbar <= 1 - 1/C, attained at ties (first-index rule)",
          eq8,
          (mutation("'~' read as |g_M - gbar| < 0.05", eq8, approx=0.05),
           mutation("upper bound halved", eq8, up_scale=0.5),
           mutation("lower bound halved", eq8, down_scale=0.5),
           mutation("weights dropped", eq8, weighted=False))),
    Check("def5", "def5_ebs_vote_probability",
          "exact vote probabilities of one-hot linear members on orthogonal coordinates; Clopper-Pearson",
          "G = argmax_j P(M(x + eps) = j)", "same", def5,
          (mutation("soft WE confidence instead of the vote", def5, vote_fn=sm.soft_we_confidence),
           mutation("argmin instead of argmax", def5, predict_fn=lambda p: np.argmin(p, axis=-1)))),
]
