"""Oracles and strategies for the statistical-robustness tests (Appendix D).

The oracles are exact: closed forms (Irwin-Hall, order statistics of uniforms, three-point laws),
scipy's exact CDFs, or adaptive quadrature of a one-dimensional smooth integrand. They do not use
the formulas under test.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from scipy import integrate, stats

# ---------------------------------------------------------------------------------------------
# ensemble predictions (Definitions 2-3), written out sample by sample
# ---------------------------------------------------------------------------------------------


def we_predict_loop(conf: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """WE label per sample; ``conf`` shape (S, N, C). Ties go to the smallest class."""
    out = np.empty(conf.shape[0], dtype=np.int64)
    for s in range(conf.shape[0]):
        scores = [sum(weights[i] * conf[s, i, j] for i in range(conf.shape[1])) for j in range(conf.shape[2])]
        out[s] = int(np.argmax(scores))
    return out


def mme_predict_loop(conf: np.ndarray) -> np.ndarray:
    """MME label per sample: the top class of the member with the largest top-1 minus top-2 margin."""
    out = np.empty(conf.shape[0], dtype=np.int64)
    for s in range(conf.shape[0]):
        margins = []
        for i in range(conf.shape[1]):
            top = sorted(conf[s, i], reverse=True)
            margins.append(top[0] - top[1])
        best = int(np.argmax(margins))
        out[s] = int(np.argmax(conf[s, best]))
    return out


def confidence_ratio_loop(conf_row: np.ndarray, y0: int) -> float:
    """Smallest lam with max_{j != y0} f_j <= lam (1 - f_y0), by the definition (0/0 = 0, x/0 = inf)."""
    others = max(v for j, v in enumerate(conf_row) if j != y0)
    rest = 1.0 - conf_row[y0]
    if rest == 0:
        return 0.0 if others == 0 else math.inf
    return others / rest


# ---------------------------------------------------------------------------------------------
# exact tails
# ---------------------------------------------------------------------------------------------


def three_point_tail(mean: float, var: float) -> float:
    """Pr(X <= 0) for X on {0, mean, 2 mean} with probabilities q/2, 1-q, q/2, q = var/mean^2 <= 1."""
    return var / mean**2 / 2


def symmetric_law(kind: str, center: float, half_width: float):
    """A frozen scipy law symmetric about ``center`` on ``[center - half_width, center + half_width]``."""
    lo = center - half_width
    if kind == "uniform":
        return stats.uniform(loc=lo, scale=2 * half_width)
    if kind == "beta":
        return stats.beta(3.0, 3.0, loc=lo, scale=2 * half_width)
    if kind == "arcsine":
        return stats.beta(0.5, 0.5, loc=lo, scale=2 * half_width)
    if kind == "truncnorm":
        return stats.truncnorm(-2.0, 2.0, loc=center, scale=half_width / 2)
    raise ValueError(kind)


def irwin_hall_cdf(x: float, n: int) -> float:
    """Pr(U_1 + ... + U_n <= x) for i.i.d. U[0, 1] (alternating sum; exact for moderate n)."""
    if x <= 0:
        return 0.0
    if x >= n:
        return 1.0
    total = sum((-1) ** k * math.comb(n, k) * (x - k) ** n for k in range(int(math.floor(x)) + 1))
    return total / math.factorial(n)


def uniform_average_margin_tail(a: float, b: float, level: float, n: int) -> float:
    """Pr(X_1 <= 0) for equal weights and i.i.d. U[a, b]: Pr(sum f_j <= n level)."""
    return irwin_hall_cdf(n * (level - a) / (b - a), n)


def extreme_sum_cdf(t: float, n: int) -> float:
    """Pr(max + min <= t) for n i.i.d. U[0, 1]: t^n/2 on [0, 1], 1 - (2 - t)^n/2 on [1, 2].

    Given min = x (density n (1-x)^{n-1}) the other n-1 are i.i.d. U[x, 1], so for t <= 1 the probability
    is int_0^{t/2} n (t - 2x)^{n-1} dx = t^n/2; the law of max + min is symmetric about 1.
    """
    if t <= 0:
        return 0.0
    if t >= 2:
        return 1.0
    return t**n / 2 if t <= 1 else 1 - (2 - t) ** n / 2


def uniform_mme_margin_tail(a: float, b: float, level: float, n: int) -> float:
    """Pr(X_2 <= 0) for i.i.d. U[a, b]: Pr(max + min <= 2 level)."""
    return extreme_sum_cdf(2 * (level - a) / (b - a), n)


def three_class_accuracy(law, lam: float) -> tuple[float, float]:
    """A three-class model with exact accuracy and exact single-confidence p (Proposition D.1 spot check).

    f_{y0} = F ~ ``law`` (support in [0, 1]); the other two classes share 1 - F as (R, 1 - R), R ~ U[0, 1]
    independent, so the confidence ratio is M = max(R, 1 - R) ~ U[1/2, 1]. The model is correct iff
    F > M/(1 + M). Returns (Pr(correct), p(lam)) with p(lam) = Pr(M > lam) for lam in [1/2, 1].
    """
    accuracy, _ = integrate.quad(lambda m: 2.0 * law.sf(m / (1.0 + m)), 0.5, 1.0, epsabs=1e-12, limit=200)
    return accuracy, float(np.clip(2.0 * (1.0 - lam), 0.0, 1.0))


def sample_three_class(law, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Samples (S, 3) of the model of :func:`three_class_accuracy`, true class 0."""
    f = law.rvs(size=n_samples, random_state=rng)
    r = rng.uniform(size=n_samples)
    return np.stack([f, (1 - f) * r, (1 - f) * (1 - r)], axis=-1)


def binomial_margin_tail(level: float, lo: float, hi: float, n: int) -> float:
    """Pr(X_1 <= 0) for equal weights and i.i.d. two-point f in {lo, hi} with probability 1/2 each."""
    # sum f = n lo + K (hi - lo), K ~ Bin(n, 1/2); X_1 <= 0 iff sum f <= n level
    k_max = math.floor((n * level - n * lo) / (hi - lo) + 1e-12)
    return float(stats.binom.cdf(k_max, n, 0.5)) if k_max >= 0 else 0.0


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------

lambdas = st.floats(0.05, 5.0)
probabilities = st.floats(0.0, 0.5)


@st.composite
def mean_above_level(draw, lam_name_count: int = 1):
    """(mu, lam_1, ..., lam_k) with mu in (max B(lam_i), 1)."""
    lams = [draw(lambdas) for _ in range(lam_name_count)]
    level = max(lam / (1 + lam) for lam in lams)
    mu = draw(st.floats(level + 0.02 * (1 - level), 1.0 - 1e-3 * (1 - level)).filter(lambda m: m > level))
    return (mu, *lams)


@st.composite
def uniform_ranges(draw):
    """(a, b) with 0 <= a < b <= 1 and b - a not tiny."""
    a = draw(st.floats(0.0, 0.9))
    b = draw(st.floats(a + 0.05, 1.0).filter(lambda v: v > a + 0.04))
    return a, b


@st.composite
def weight_vectors(draw, max_n: int = 8):
    n = draw(st.integers(1, max_n))
    w = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    if w.sum() <= 1e-6:
        w = np.ones(n)
    return w


@st.composite
def sampled_confidences(draw, max_samples: int = 30, max_members: int = 5, max_classes: int = 5):
    """(conf (S, N, C) on the simplex, y0), drawn from Dirichlet laws with a seed from hypothesis."""
    seed = draw(st.integers(0, 2**32 - 1))
    s = draw(st.integers(1, max_samples))
    n = draw(st.integers(1, max_members))
    c = draw(st.integers(2, max_classes))
    y0 = draw(st.integers(0, c - 1))
    rng = np.random.default_rng(seed)
    alpha = np.ones(c)
    alpha[y0] = draw(st.floats(0.5, 6.0))
    return rng.dirichlet(alpha, size=(s, n)), y0
