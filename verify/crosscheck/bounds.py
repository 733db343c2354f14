"""Non-asymptotic confidence bounds for Monte-Carlo estimates of Gaussian-smoothed functions.

Setting: ``h: R^d -> [lo, hi]`` (e.g. a margin of a trained network), ``G(x) = E h(x + sigma eps)`` with
``eps ~ N(0, I_d)``. From ``n`` i.i.d. noise draws we estimate ``G``, ``grad G`` (Stein's identity) and
``u^T H_G u`` (second-order Stein identity) and return intervals that contain the true value with
probability at least ``1 - delta`` *for every* ``n``, not just asymptotically.

Conventions
-----------
* ``delta`` is the failure probability of ONE bound (one entry of an output array). Bounding many
  quantities simultaneously is the caller's business (Bonferroni: divide the total by the count).
  Inside a function that chains two random steps, ``delta`` is split and the split is documented.
* Known ranges are part of the hypothesis: a sample outside its stated range makes a bound invalid,
  so the public functions reject such samples.
* Centering constants ``centers`` must not depend on the samples they are used with (take them from
  a pilot sample, or a fixed value such as the mid-range); otherwise the summands are not i.i.d.
* Results are in the units of ``G``: gradients carry ``1/sigma``, second derivatives ``1/sigma^2``.

Inequalities used
-----------------
* Maurer & Pontil (2009), "Empirical Bernstein bounds and sample variance penalization", Theorem 4.
* Pinelis (1994), Hilbert-space Bernstein inequality, in the form of Smale & Zhou (2007),
  "Learning theory estimates via integral operators and their approximations", Lemma 2.
* Bernstein's inequality with a known variance bound (Boucheron, Lugosi & Massart 2013,
  "Concentration Inequalities", Theorem 2.10), in :func:`gradient_norm_bounds_split`.

The Pinelis bound of :func:`gradient_norm_bounds` grows with ``E||xi||^2 ~ d / sigma^2`` and is vacuous
for d in the hundreds at a few thousand samples; :func:`gradient_norm_bounds_split` is dimension-free.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "empirical_bernstein_halfwidth",
    "empirical_bernstein_interval",
    "scalar_mean_bounds",
    "stein_gradients",
    "chi_truncation",
    "truncation_bias",
    "gradient_norm_bounds",
    "split_half_gram",
    "gradient_norm_bounds_split",
    "second_derivative_bounds",
]


# ----------------------------------------------------------------------------- validation helpers

def _check_delta(delta) -> np.ndarray:
    d = np.asarray(delta, dtype=float)
    if not np.all((d > 0) & (d < 1)):
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    return d


def _check_sigma(sigma) -> float:
    s = float(sigma)
    if not (np.isfinite(s) and s > 0):
        raise ValueError(f"sigma must be positive and finite, got {sigma!r}")
    return s


def _as_samples(samples, name: str, ndim: int | None = None) -> np.ndarray:
    x = np.asarray(samples, dtype=float)
    if x.ndim == 0:
        raise ValueError(f"{name} must have a sample axis")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains non-finite values")
    return x


def _check_n(n: int) -> None:
    if n < 2:
        raise ValueError(f"need at least n = 2 samples, got n = {n}")


def _check_range_arrays(lo, hi, m: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    if lo.shape != (m,) or hi.shape != (m,):
        raise ValueError(f"lo and hi must have shape ({m},), got {lo.shape} and {hi.shape}")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError("lo and hi must be finite")
    if np.any(hi < lo):
        raise ValueError("negative range: some hi < lo")
    return lo, hi


def _check_within(values: np.ndarray, lo, hi) -> None:
    # A sample outside the stated range voids every bound below, so refuse it outright.
    if np.any(values < lo) or np.any(values > hi):
        raise ValueError("values lie outside the stated range [lo, hi]")


def _check_centers(centers, m: int) -> np.ndarray:
    c = np.asarray(centers, dtype=float)
    if c.shape != (m,):
        raise ValueError(f"centers must have shape ({m},), got {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("centers must be finite")
    return c


def _check_eps(eps, n: int, name: str = "eps") -> np.ndarray:
    e = _as_samples(eps, name, ndim=2)
    if e.shape[0] != n:
        raise ValueError(f"{name} has {e.shape[0]} rows but values has {n}")
    return e


def _apply_combos(values, centers, lo, hi, combos):
    """Map (values, centers, ranges) of h_1..h_m to those of the k combinations A @ h."""
    if combos is None:
        return values, centers, lo, hi
    a = np.asarray(combos, dtype=float)
    m = values.shape[1]
    if a.ndim != 2 or a.shape[1] != m:
        raise ValueError(f"combos must have shape (k, {m}), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("combos must be finite")
    new_lo = new_hi = None
    if lo is not None:
        # Interval arithmetic: each term a_j h_j ranges over [min(a_j lo_j, a_j hi_j), max(...)].
        new_lo = np.minimum(a * lo, a * hi).sum(axis=1)
        new_hi = np.maximum(a * lo, a * hi).sum(axis=1)
    return values @ a.T, a @ centers, new_lo, new_hi


# ----------------------------------------------------------------------------- empirical Bernstein

def _mp_halfwidth(var, n: int, value_range, log_term):
    """Maurer-Pontil deviation sqrt(2 V ln(.)/n) + 7 R ln(.)/(3(n-1)) for a given ln(.) term."""
    var = np.maximum(var, 0.0)  # guards round-off in var = E x^2 - (E x)^2 forms
    return np.sqrt(2.0 * var * log_term / n) + 7.0 * value_range * log_term / (3.0 * (n - 1))


def _broadcast_both(a: np.ndarray, b: np.ndarray, shape, names: str):
    """``a`` and ``b`` broadcast to the output ``shape``, or a ValueError naming them."""
    try:
        return np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    except ValueError:
        raise ValueError(f"{names} of shapes {np.shape(a)}/{np.shape(b)} do not broadcast to the output "
                         f"shape {shape}") from None


def empirical_bernstein_halfwidth(samples, value_range, delta, axis: int = 0) -> np.ndarray:
    """Two-sided empirical Bernstein half-width for the mean of i.i.d. bounded samples.

    Maurer & Pontil (2009), Theorem 4: for i.i.d. ``X_i`` in ``[0, 1]`` and ``delta' > 0``, with probability
    at least ``1 - delta'``, ``E X - mean <= sqrt(2 V_n ln(2/delta') / n) + 7 ln(2/delta') / (3 (n - 1))``,
    ``V_n`` the unbiased sample variance. Rescaling to an interval of length ``R`` multiplies the right
    side by ``R`` (``V_n`` scales by ``R^2``). Applying it to ``X`` and ``-X`` at ``delta' = delta/2`` each gives,
    with probability at least ``1 - delta``,

        |mean - E X| <= sqrt(2 V_n ln(4/delta) / n) + 7 R ln(4/delta) / (3 (n - 1)).

    ``value_range`` (``R``, scalar or broadcastable to the output) is the length of an interval known to
    contain every ``X``; the spread of the samples may not exceed it. Returns an array of the samples'
    shape with ``axis`` removed.
    """
    x = _as_samples(samples, "samples")
    n = x.shape[axis]
    _check_n(n)
    d = _check_delta(delta)
    r = np.asarray(value_range, dtype=float)
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("value_range must be finite and nonnegative")
    out_shape = x.shape[:axis % x.ndim] + x.shape[axis % x.ndim + 1:]
    r, d = _broadcast_both(r, d, out_shape, "value_range/delta")
    spread = np.ptp(x, axis=axis)
    if np.any(spread > r * (1 + 1e-12) + 1e-300):
        raise ValueError("the samples spread over more than value_range")
    return _mp_halfwidth(x.var(axis=axis, ddof=1), n, r, np.log(4.0 / d))


def empirical_bernstein_interval(samples, low, high, delta, axis: int = 0):
    """Two-sided ``1 - delta`` confidence interval ``(lower, upper)`` for ``E X`` (Maurer & Pontil 2009, Thm 4).

    ``[low, high]`` is the known range of ``X`` (arrays broadcastable to the output, i.e. the samples'
    shape without ``axis``). The interval is ``mean -/+ empirical_bernstein_halfwidth`` clipped to
    ``[low, high]``, which is harmless since ``E X`` lies there.
    """
    x = _as_samples(samples, "samples")
    ax = axis % x.ndim
    out_shape = x.shape[:ax] + x.shape[ax + 1:]
    lo, hi = _broadcast_both(np.asarray(low, dtype=float), np.asarray(high, dtype=float), out_shape, "low/high")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError("low and high must be finite")
    if np.any(hi < lo):
        raise ValueError("negative range: some high < low")
    _check_within(x, np.expand_dims(lo, ax), np.expand_dims(hi, ax))
    hw = empirical_bernstein_halfwidth(x, hi - lo, delta, axis=ax)
    mean = x.mean(axis=ax)
    return np.clip(mean - hw, lo, hi), np.clip(mean + hw, lo, hi)


def scalar_mean_bounds(values, lo, hi, delta) -> dict:
    """Two-sided ``1 - delta`` bounds on the means of bounded variables (Maurer & Pontil 2009, Thm 4).

    ``values`` has shape ``(n, ...)`` (typically ``(n, m)``: m functions on the same n draws); ``lo``, ``hi``
    broadcast to ``values.shape[1:]``. Each entry of the output is one bound at level ``delta``.
    Returns ``dict(estimate, lower, upper, halfwidth)``; ``halfwidth`` is before clipping to ``[lo, hi]``.
    """
    x = _as_samples(values, "values")
    lower, upper = empirical_bernstein_interval(x, lo, hi, delta, axis=0)
    hw = empirical_bernstein_halfwidth(x, np.asarray(hi, float) - np.asarray(lo, float), delta, axis=0)
    return {"estimate": x.mean(axis=0), "lower": lower, "upper": upper, "halfwidth": hw}


def _stein_inputs(values, noise, sigma, centers, lo, hi, delta, combos, *, min_n: int = 2,
                  noise_name: str = "eps"):
    """The checked inputs of the Stein bounds: ``(values, noise, sigma, centers, lo, hi, delta)`` with
    ``combos`` applied (values, centers and ranges of the combinations)."""
    v = _as_samples(values, "values", ndim=2)
    n, m = v.shape
    _check_n(n)
    if n < min_n:
        raise ValueError(f"need at least n = {min_n} samples, got n = {n}")
    e = _check_eps(noise, n, name=noise_name)
    s = _check_sigma(sigma)
    c = _check_centers(centers, m)
    if lo is not None:  # point estimates need no range and no failure probability
        lo, hi = _check_range_arrays(lo, hi, m)
        _check_within(v, lo, hi)
    dl = None if delta is None else float(_check_delta(delta))
    v, c, lo, hi = _apply_combos(v, c, lo, hi, combos)
    return v, e, s, c, lo, hi, dl


# ----------------------------------------------------------------------------- Stein gradients

def stein_gradients(values, eps, sigma, centers, q):
    """Truncated Stein estimates of ``grad G_j(x)``, shape ``(m, d)``, and the mask of kept draws, shape ``(n,)``.

    Stein's lemma: ``grad G(x) = E[(h(x + sigma eps) - c) eps] / sigma`` for any constant ``c``. The estimator
    is ``(1/n) sum_s (h_s - c) eps_s 1{||eps_s|| <= q} / sigma`` -- divided by ``n``, not by the number kept,
    so that it is a plain mean of i.i.d. bounded vectors (its bias is :func:`truncation_bias`).
    ``q = np.inf`` disables truncation. Computed as one ``(m, n) @ (n, d)`` product.
    """
    v, e, s, c, _, _, _ = _stein_inputs(values, eps, sigma, centers, None, None, None, None)
    q = float(q)
    if not q > 0:
        raise ValueError(f"truncation radius q must be positive, got {q!r}")
    return _stein(v, e, s, c, q)


def _stein(v, e, s, c, q):
    # (h - c) weighted by the kept mask, then one (m, n) @ (n, d) product: never an (n, m, d) array.
    kept = np.einsum("ij,ij->i", e, e) <= q * q
    weighted = (v - c) * kept[:, None]
    return weighted.T @ e / (v.shape[0] * s), kept


def chi_truncation(d: int, tail: float) -> float:
    """Radius ``q`` with ``P(||eps|| > q) = tail`` for ``eps ~ N(0, I_d)``: ``scipy.stats.chi(d).isf(tail)``."""
    if int(d) != d or d < 1:
        raise ValueError(f"dimension d must be a positive integer, got {d!r}")
    if not 0 < tail < 1:
        raise ValueError(f"tail must lie in (0, 1), got {tail!r}")
    return float(stats.chi(int(d)).isf(tail))


def truncation_bias(d: int, q, radius_c, sigma) -> np.ndarray:
    """Deterministic bound on the truncation bias of :func:`stein_gradients`.

    The bias is ``E[(h - c) eps 1{||eps|| > q}] / sigma`` (the ``c``-part of the truncated mean vanishes by
    symmetry of ``eps``), so its norm is at most ``radius_c E[||eps|| 1{||eps|| > q}] / sigma`` with
    ``radius_c = max(|lo - c|, |hi - c|)``. For the chi densities
    ``f_d(x) = x^(d-1) e^(-x^2/2) / (2^(d/2-1) Gamma(d/2))`` one has ``x f_d(x) = m1 f_(d+1)(x)`` with
    ``m1 = E chi_d = sqrt(2) Gamma((d+1)/2) / Gamma(d/2)`` (compare the normalising constants), hence
    ``E[||eps|| 1{||eps|| > q}] = m1 P(chi_(d+1) > q)`` and the bound is
    ``radius_c * m1 * chi(d+1).sf(q) / sigma``. ``m1`` uses ``gammaln`` to avoid overflow for large ``d``.
    """
    if int(d) != d or d < 1:
        raise ValueError(f"dimension d must be a positive integer, got {d!r}")
    s = _check_sigma(sigma)
    q = float(q)
    if not q >= 0:
        raise ValueError(f"q must be nonnegative, got {q!r}")
    r = np.asarray(radius_c, dtype=float)
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("radius_c must be finite and nonnegative")
    m1 = np.sqrt(2.0) * np.exp(special.gammaln((d + 1) / 2.0) - special.gammaln(d / 2.0))
    return r * m1 * stats.chi(int(d) + 1).sf(q) / s


def gradient_norm_bounds(values, eps, sigma, centers, lo, hi, delta, *, tail: float = 1e-9,
                         combos=None, second_moment: str = "product") -> dict:
    """``1 - delta`` confidence bounds on ``||grad G_j(x)||`` for each function (or each combination).

    ``values`` (n, m): ``h_j(x + sigma eps_s)``; ``eps`` (n, d): the standard normal draws; ``centers`` (m,):
    constants independent of these samples; ``lo``, ``hi`` (m,): known ranges of the ``h_j``.
    ``combos`` (k, m), optional: bound instead the k functions ``A @ h`` (values -> values @ A.T,
    centers -> A @ centers, ranges by interval arithmetic); same result as passing those directly.

    Method. With ``q = chi_truncation(d, tail)``, ``xi_s = (h_s - c) eps_s 1{||eps_s|| <= q} / sigma`` are
    i.i.d. with ``||xi|| <= M = radius_c q / sigma``. Pinelis (1994), as stated in Smale & Zhou (2007,
    Lemma 2): if ``||xi|| <= M`` a.s. and ``E||xi||^2 <= V`` then with probability at least ``1 - delta'``,
    ``||mean - E xi|| <= 2 M ln(2/delta') / n + sqrt(2 V ln(2/delta') / n)``. ``V`` is itself replaced by an
    upper confidence bound, and ``||E xi - grad G|| <= truncation_bias``; by the triangle inequality
    ``| ||estimate|| - ||grad G|| | <= halfwidth``.

    ``second_moment`` chooses ``V``:
      * ``"product"`` (default): ``||xi||^2 <= (h - c)^2 q^2 / sigma^2`` so ``V = q^2 U / sigma^2`` where ``U``
        is the one-sided Maurer-Pontil (2009, Thm 4) upper bound on ``E[(h - c)^2]`` (a variable in
        ``[0, radius_c^2]``), capped at ``radius_c^2``.
      * ``"joint"``: ``V = J / sigma^2`` with ``J`` the one-sided Maurer-Pontil upper bound on
        ``E[(h - c)^2 ||eps||^2 1{||eps|| <= q}]`` (a variable in ``[0, radius_c^2 q^2]``), capped at
        ``radius_c^2 q^2``. Equally rigorous; smaller because ``||eps||^2`` is about ``d``, not ``q^2``.

    Delta split: ``delta/2`` for the Pinelis step and ``delta/2`` for the second-moment bound (union bound;
    the two events may be dependent). The bias is deterministic. ``upper`` is also capped by the
    deterministic ``||grad G|| <= (hi - lo) / (sigma sqrt(2 pi))`` (for unit ``v``, ``v . grad G =
    E[h (v . eps)] / sigma`` is largest when ``h = hi`` on ``{v . eps > 0}`` and ``lo`` elsewhere).

    Returns ``dict(estimate, lower, upper, halfwidth, bias)``, arrays of shape (m,) or (k,); ``lower`` is
    clipped at 0; ``halfwidth`` includes ``bias``. Memory: O(n k + n d + k d), no (n, k, d) array.
    The half-width scales like ``radius_c q sqrt(2 ln(4/delta) / n) / sigma`` with ``q ~ sqrt(d)``: at d = 784,
    n = 4000, delta = 1e-6 it is about 1.5/sigma for h in [0, 1], above the cap 0.399/sigma, so the bound
    is vacuous there; use :func:`gradient_norm_bounds_split` in that regime.
    """
    if second_moment not in ("product", "joint"):
        raise ValueError(f"second_moment must be 'product' or 'joint', got {second_moment!r}")
    v, e, s, c, lo, hi, dl = _stein_inputs(values, eps, sigma, centers, lo, hi, delta, combos)
    n = v.shape[0]
    d = e.shape[1]
    q = chi_truncation(d, tail)

    grads, kept = _stein(v, e, s, c, q)
    estimate = np.linalg.norm(grads, axis=1)
    radius = np.maximum(np.abs(lo - c), np.abs(hi - c))

    delta_pinelis = delta_moment = dl / 2.0
    centered_sq = (v - c) ** 2
    if second_moment == "product":
        y, y_range = centered_sq, radius ** 2
    else:
        y = centered_sq * (np.einsum("ij,ij->i", e, e) * kept)[:, None]
        y_range = radius ** 2 * q * q
    # One-sided Maurer-Pontil: E Y <= mean + sqrt(2 V_n ln(2/delta_u)/n) + 7 R ln(2/delta_u)/(3(n-1)).
    y_upper = y.mean(axis=0) + _mp_halfwidth(y.var(axis=0, ddof=1), n, y_range, np.log(2.0 / delta_moment))
    y_upper = np.minimum(y_upper, y_range)
    second = (q * q * y_upper if second_moment == "product" else y_upper) / s ** 2

    big_m = radius * q / s
    log_term = np.log(2.0 / delta_pinelis)
    bias = truncation_bias(d, q, radius, s)
    halfwidth = 2.0 * big_m * log_term / n + np.sqrt(2.0 * second * log_term / n) + bias
    # The factor 1 + 1e-12 absorbs round-off: a halfspace indicator attains the cap exactly.
    cap = (hi - lo) / (s * np.sqrt(2.0 * np.pi)) * (1.0 + 1e-12)
    return {
        "estimate": estimate,
        "lower": np.maximum(estimate - halfwidth, 0.0),
        "upper": np.minimum(estimate + halfwidth, cap),
        "halfwidth": halfwidth,
        "bias": bias,
    }


def gradient_norm_bounds_split(values, eps, sigma, centers, lo, hi, delta, *, T: float = 4.0,
                               combos=None) -> dict:
    """Dimension-free ``1 - delta`` bounds on ``||grad G_j(x)||`` from a split sample (not Pinelis).

    Not part of the original specification; offered because :func:`gradient_norm_bounds` pays for the
    whole noise vector (``E||xi||^2 ~ d / sigma^2``) and is vacuous at e.g. d = 784, n = 4000. Same
    arguments and ``combos`` as there. Write ``g = grad G``, ``S_1`` the first ``n // 2`` draws, ``S_2`` the rest,
    ``w = A_2`` the untruncated Stein estimate from ``S_2`` (``E w = g``), ``r = radius_c``.

    Step 1 (``delta/2``). Given ``S_2``, ``w`` is fixed and ``Y_s = (h_s - c)(eps_s . w) / sigma``, ``s in S_1``, are
    i.i.d. with ``E Y = g . w`` (Stein). Truncating at ``|eps_s . w| <= T ||w||`` costs at most
    ``r ||w|| 2 phi(T) / sigma`` (``E|z| 1{|z| > T} = 2 phi(T)``) and leaves a range of ``2 r T ||w|| / sigma``;
    two-sided Maurer & Pontil (2009, Thm 4) then gives ``g . w in [L_1, U_1]``, conditionally on ``S_2`` and
    hence unconditionally.

    Step 2 (``delta/2``). With the fixed unit vector ``u = g / ||g||``, ``u . w`` is the mean over ``S_2`` of
    ``Z_s = (h_s - c)(u . eps_s) / sigma``, ``E Z = ||g||``. Outside an event of probability
    ``2 n_2 Q(tau) = delta/4`` every ``|u . eps_s| <= tau``, so the mean equals that of the truncated
    ``Z'``, which has ``|Z' - E Z'| <= 2 r tau / sigma``, ``Var Z' <= r^2 / sigma^2`` and
    ``|E Z' - ||g||| <= 2 r phi(tau) / sigma``. Bernstein's inequality with a known variance bound
    (Boucheron, Lugosi & Massart 2013, Thm 2.10), two-sided at ``delta/4``, gives
    ``|u . w - ||g||| <= eps_2`` and so ``|g . w - ||g||^2| <= ||g|| eps_2``. (``u`` is never computed: the
    truncation only enters the analysis.)

    Solving ``x^2 - eps_2 x <= U_1`` and ``x^2 + eps_2 x >= L_1`` for ``x = ||g||`` gives the bounds; ``upper``
    is also capped by ``(hi - lo) / (sigma sqrt(2 pi))``. Returns ``dict(estimate, lower, upper)`` with
    ``estimate = sqrt(max(mean Y', 0))`` (a split-half point estimate, not the norm of a mean).
    Needs ``n >= 4`` (each half at least 2).
    """
    T = float(T)
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"T must be positive and finite, got {T!r}")
    v, e, s, c, lo, hi, dl = _stein_inputs(values, eps, sigma, centers, lo, hi, delta, combos,
                                           min_n=4)  # two samples per half
    n = v.shape[0]
    radius = np.maximum(np.abs(lo - c), np.abs(hi - c))
    half = n // 2
    n1, n2 = half, n - half

    # Step 1: scalar means over S_1 along the S_2 estimates, one (n1, d) @ (d, k) product.
    w, _ = _stein(v[half:], e[half:], s, c, np.inf)                 # (k, d)
    w_norm = np.linalg.norm(w, axis=1)
    proj = e[:half] @ w.T                                           # (n1, k): eps_s . w
    y = (v[:half] - c) * proj * (np.abs(proj) <= T * w_norm) / s
    hw1 = _mp_halfwidth(y.var(axis=0, ddof=1), n1, 2 * radius * T * w_norm / s, np.log(4.0 / (dl / 2)))
    bias1 = radius * w_norm * 2 * stats.norm.pdf(T) / s
    inner = y.mean(axis=0)
    low1, up1 = inner - hw1 - bias1, inner + hw1 + bias1

    # Step 2: deviation of u . w around ||g||, with tau set so that the truncation event costs delta/4.
    tau = stats.norm.isf(dl / (8 * n2))
    lg = np.log(2.0 / (dl / 4))
    eps2 = (np.sqrt(2 * radius ** 2 * lg / (n2 * s ** 2)) + 2 * radius * tau * lg / (3 * n2 * s)
            + 2 * radius * stats.norm.pdf(tau) / s)

    upper = (eps2 + np.sqrt(eps2 ** 2 + 4 * np.maximum(up1, 0.0))) / 2
    lower = np.maximum((-eps2 + np.sqrt(eps2 ** 2 + 4 * np.maximum(low1, 0.0))) / 2, 0.0)
    cap = (hi - lo) / (s * np.sqrt(2.0 * np.pi)) * (1.0 + 1e-12)
    return {"estimate": np.sqrt(np.maximum(inner, 0.0)), "lower": lower, "upper": np.minimum(upper, cap)}


def split_half_gram(values, eps, sigma, centers, combos=None) -> np.ndarray:
    """Unbiased estimate of the Gram matrix ``<grad G_a, grad G_b>``, shape (m, m) or (k, k).

    ``A_1``, ``A_2`` are the (untruncated, hence unbiased) Stein gradient estimates from the first ``n // 2``
    draws and from the rest. The halves are independent, so ``E[A_1 A_2^T] = E[A_1] E[A_2]^T =
    grad G grad G^T`` entrywise; the estimate ``(A_1 A_2^T + A_2 A_1^T) / 2`` is unbiased and symmetric.
    (The full-sample ``A A^T`` is biased upwards by ``Cov/n``, which matters when ``d`` is comparable to
    ``n``.) A point estimate only -- no confidence bound. ``combos`` as in :func:`gradient_norm_bounds`.
    """
    v, e, s, c, _, _, _ = _stein_inputs(values, eps, sigma, centers, None, None, None, combos)
    n = v.shape[0]
    half = n // 2
    a1, _ = _stein(v[:half], e[:half], s, c, np.inf)
    a2, _ = _stein(v[half:], e[half:], s, c, np.inf)
    cross = a1 @ a2.T
    return (cross + cross.T) / 2.0


# ----------------------------------------------------------------------------- second derivatives

def second_derivative_bounds(values, t, sigma, centers, lo, hi, delta, *, T: float = 4.0,
                             combos=None) -> dict:
    """``1 - delta`` bounds on ``u^T H_G(x) u`` for r unit directions and m functions, shape (r, m).

    ``values`` (n, m); ``t`` (n, r): ``t_s = u . eps_s`` for unit directions ``u`` fixed independently of the
    samples (so each column is N(0, 1)); ``centers``, ``lo``, ``hi`` (m,) as in :func:`gradient_norm_bounds`;
    ``combos`` likewise (output (r, k)).

    Second-order Stein identity: ``u^T H_G u = E[(h - c)(t^2 - 1)] / sigma^2`` (``E[t^2 - 1] = 0`` removes c).
    Estimator: the mean of ``Y = (h - c)(t^2 - 1) 1{|t| <= T} / sigma^2``. Its bias is
    ``-E[(h - c)(t^2 - 1) 1{|t| > T}] / sigma^2``, bounded by ``radius_c E[|t^2 - 1| 1{|t| > T}] / sigma^2``, and
    for ``T >= 1``: ``E[(t^2 - 1) 1{|t| > T}] = 2 int_T^inf (t^2 - 1) phi = 2 [T phi(T) + Q(T) - Q(T)] =
    2 T phi(T)`` (integrate ``t . t phi(t)`` by parts; ``Q`` the normal tail). So bias <= ``radius_c 2 T phi(T) /
    sigma^2``. ``Y`` is bilinear in ``(h - c) in [lo - c, hi - c]`` and ``(t^2 - 1) 1{|t| <= T} in [-1, T^2 - 1]``,
    so its exact range is spanned by the four corner products. Confidence: two-sided Maurer & Pontil (2009,
    Thm 4) at ``delta`` on the mean of ``Y``, clipped to ``Y``'s range, then widened by the bias.

    Returns ``dict(estimate, lower, upper, halfwidth, bias)``; ``halfwidth`` (unclipped) includes ``bias``.
    Mean and variance come from matrix products, so no (n, r, m) array is formed.
    """
    T = float(T)
    if not (np.isfinite(T) and T >= 1):
        raise ValueError(f"T must be finite and >= 1, got {T!r}")
    v, tt, s, c, lo, hi, dl = _stein_inputs(values, t, sigma, centers, lo, hi, delta, combos, noise_name="t")
    n = v.shape[0]

    weight = (tt ** 2 - 1.0) * (np.abs(tt) <= T)           # (n, r), in [-1, T^2 - 1]
    centered = v - c                                        # (n, k)
    mean = weight.T @ centered / n                          # (r, k), unscaled
    second = (weight ** 2).T @ centered ** 2 / n
    var = (second - mean ** 2) * (n / (n - 1.0))            # unbiased sample variance

    corners = np.stack([a * b for a in (lo - c, hi - c) for b in (-1.0, T * T - 1.0)])  # (4, k)
    y_lo, y_hi = corners.min(axis=0), corners.max(axis=0)
    hw_mp = _mp_halfwidth(var, n, y_hi - y_lo, np.log(4.0 / dl)) / s ** 2
    radius = np.maximum(np.abs(lo - c), np.abs(hi - c))
    bias = np.broadcast_to(radius * 2.0 * T * stats.norm.pdf(T) / s ** 2, mean.shape).copy()
    estimate = mean / s ** 2
    return {
        "estimate": estimate,
        "lower": np.maximum(estimate - hw_mp, y_lo / s ** 2) - bias,
        "upper": np.minimum(estimate + hw_mp, y_hi / s ** 2) + bias,
        "halfwidth": hw_mp + bias,
        "bias": bias,
    }
