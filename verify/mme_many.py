"""The MME with N > 2 base models (Appendix B.1.1 leaves it open): exact radii, flip search, the conjecture study.

Two-class quadratic ensembles (:mod:`verify.quadratic`) make the MME radius computable. With C = 2 every member
has one margin ``m_i`` and ``M_MME(x) = y0`` iff ``max_i m_i + min_i m_i > 0`` (ties aside; assumption (2) of
Theorem 4 holds trivially), and ``max + min = min_i max_k (m_i + m_k)``, so the flip set is
``U_i F_i`` with ``F_i = {x : m_i + m_k <= 0 for all k}``. Each pair sum is a quadratic with an exact
trust-region radius ``rho_ik``, hence

- ``lower = min_i max_k rho_ik`` is a rigorous lower bound on the MME radius (``F_i`` lies in every
  ``{m_i + m_k <= 0}``), and
- ``upper`` is the norm of the nearest point found where :func:`theory.conditions.mme_predict` actually leaves
  ``y0`` (a rigorous upper bound); candidates are the trust-region minimisers of every pair sum.

When the nearest flip has one active pair constraint (the usual case) the two coincide and the radius is exact;
:func:`radius_bracket` reports both. :func:`conjecture_study` runs the randomized search of ledger entry
``mme-n-conj`` and :func:`figure_mme_many` draws its figure.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from drt_min.atomic import atomic_save_figure
from drt_min.csvtable import write_csv
from drt_min.seeding import numpy_stream
from theory import conditions as cd
from verify.quadratic import QuadraticEnsemble, random_beta, random_ensemble, single_margin_coeffs
from verify.trust_region import minimize_quadratic_on_ball, quadratic_robust_radius

__all__ = ["EXACT_RTOL", "radius_bracket", "flips_within", "margin_gradient", "with_margin_gradient",
           "with_margin_shift", "global_diversity", "mean_cosine", "StudyRow", "conjecture_study", "STUDY_SIZES", "study_rows",
           "summarize", "partner_conservativeness", "figure_mme_many"]

EXACT_RTOL = 1e-6  # a bracket this narrow (relative) counts as the exact radius
_BEYOND = 1.0 + 1e-7  # candidates just outside a pair's zero set, so that a flip is strict, not a tie


def _pair_quads(ens: QuadraticEnsemble):
    """``{(i, k): (c, g, H)}`` for the pair sums ``m_i + m_k``, ``i <= k``, of a two-class ensemble."""
    n = ens.shape[0]
    y = 1 - ens.y0
    return {(i, k): ens.combine(single_margin_coeffs(ens, i, y) + single_margin_coeffs(ens, k, y))
            for i in range(n) for k in range(i, n)}


def _predicts_y0(ens: QuadraticEnsemble, x: np.ndarray) -> bool:
    return int(cd.mme_predict(ens.scores(x[None])[0])) == ens.y0


def radius_bracket(ens: QuadraticEnsemble) -> tuple[float, float]:
    """Rigorous ``(lower, upper)`` bounds on the exact MME radius of a two-class quadratic ensemble."""
    if ens.shape[1] != 2:
        raise ValueError("radius_bracket needs C = 2 (the MME is then decided by max + min of the margins)")
    n = ens.shape[0]
    quads = _pair_quads(ens)
    rho = np.empty((n, n))
    for (i, k), q in quads.items():
        rho[i, k] = rho[k, i] = quadratic_robust_radius(*q)
    lower = float(rho.max(axis=1).min())
    upper = np.inf
    for (i, k), q in quads.items():
        if np.isfinite(rho[i, k]) and rho[i, k] * _BEYOND < upper:
            x = minimize_quadratic_on_ball(*q, rho[i, k] * _BEYOND).argmin
            if not _predicts_y0(ens, x):
                upper = min(upper, float(np.linalg.norm(x)))
    return lower, max(upper, lower)


def flips_within(ens: QuadraticEnsemble, radius: float) -> list[float]:
    """Norms of points inside the open ball of ``radius`` where the MME leaves ``y0`` (any C; rigorous flips).

    Candidates: the minimisers over the ball of every pair sum ``f_i^{y0/y} + f_k^{y0/y'}`` (``k = i`` allowed,
    which covers single margins), taken at ``radius (1 - 1e-9)`` and at half of it.
    """
    if not np.isfinite(radius) or radius <= 0:
        return []
    n, c, _ = ens.shape
    wrong = [y for y in range(c) if y != ens.y0]
    found = []
    for i in range(n):
        for k in range(i, n):
            for y1 in wrong:
                for y2 in wrong:
                    q = ens.combine(single_margin_coeffs(ens, i, y1) + single_margin_coeffs(ens, k, y2))
                    for t in (radius * (1 - 1e-9), radius / 2):
                        x = minimize_quadratic_on_ball(*q, t).argmin
                        if np.linalg.norm(x) < radius and not _predicts_y0(ens, x):
                            found.append(float(np.linalg.norm(x)))
    return found


def margin_gradient(ens: QuadraticEnsemble) -> np.ndarray:
    """Margin gradients ``grad m_i(x0)``, shape ``(N, d)``, of a two-class ensemble."""
    y = 1 - ens.y0
    return ens.g[:, ens.y0] - ens.g[:, y]


def with_margin_gradient(ens: QuadraticEnsemble, j: int, v: np.ndarray) -> QuadraticEnsemble:
    """The ensemble with member ``j``'s margin gradient set to ``v`` (confidence gradients ``+-v/2``; rest unchanged)."""
    g = ens.g.copy()
    g[j, ens.y0], g[j, 1 - ens.y0] = v / 2, -v / 2
    return replace(ens, g=g)


def with_margin_shift(ens: QuadraticEnsemble, j: int, shift: float) -> QuadraticEnsemble:
    """The ensemble with member ``j``'s margin at ``x0`` raised by ``shift`` (confidences ``+-shift/2``)."""
    a = ens.a.copy()
    a[j, ens.y0] += shift / 2
    a[j, 1 - ens.y0] -= shift / 2
    return replace(ens, a=a)


def global_diversity(grads: np.ndarray) -> float:
    """``||sum_i g_i|| / sum_i ||g_i||``: the Eq. (5)-style measure (0 = fully diverse, 1 = aligned)."""
    return float(np.linalg.norm(grads.sum(axis=0)) / np.linalg.norm(grads, axis=1).sum())


def mean_cosine(grads: np.ndarray) -> float:
    """Mean pairwise cosine of the margin gradients."""
    u = grads / np.linalg.norm(grads, axis=1, keepdims=True)
    cos = u @ u.T
    n = len(u)
    return float((cos.sum() - n) / (n * (n - 1)))


def _partner_radius(ens: QuadraticEnsemble) -> float:
    return float(cd.mme_partner_certified_radius(ens.a, ens.g, ens.y0, ens.beta))


@dataclass(frozen=True)
class StudyRow:
    """One diversifying or margin-raising move: the ensemble before and after, with exact radius brackets."""

    n_models: int
    trial: int
    move: str  # "diversify" (one gradient rotated against the others' sum) or "margin" (one margin raised)
    d: int
    beta: float
    diversity_before: float
    diversity_after: float
    cosine_before: float
    cosine_after: float
    lower_before: float
    upper_before: float
    lower_after: float
    upper_after: float
    partner_before: float

    @property
    def more_diverse(self) -> bool:
        return self.diversity_after < self.diversity_before and self.cosine_after < self.cosine_before

    @property
    def counterexample(self) -> bool:
        """Certified: the move should help (more diverse, or a larger margin) yet the radius strictly drops."""
        helps = self.more_diverse if self.move == "diversify" else True
        return helps and self.upper_after < self.lower_before * (1 - 1e-9)

    @property
    def raised(self) -> bool:
        """Certified: the radius strictly grows (its lower bound after exceeds its upper bound before)."""
        return self.lower_after > self.upper_before * (1 + 1e-9)

    @property
    def exact(self) -> bool:
        return all(u <= lo * (1 + EXACT_RTOL) for lo, u in ((self.lower_before, self.upper_before),
                                                              (self.lower_after, self.upper_after)))


def _diversify(ens: QuadraticEnsemble, rng: np.random.Generator) -> tuple[QuadraticEnsemble, int]:
    """Rotate one member's margin gradient part of the way towards minus the others' sum (norm kept)."""
    grads = margin_gradient(ens)
    j = int(rng.integers(len(grads)))
    others = grads.sum(axis=0) - grads[j]
    norm_j, norm_o = np.linalg.norm(grads[j]), np.linalg.norm(others)
    t = rng.uniform(0.2, 1.0)
    v = (1 - t) * grads[j] / max(norm_j, 1e-300) - t * others / max(norm_o, 1e-300)
    return with_margin_gradient(ens, j, norm_j * v / max(np.linalg.norm(v), 1e-300)), j


def conjecture_study(n_models=tuple(range(3, 9)), trials: int = 12, seed: int = 0,
                     budget_s: float | None = None) -> list[StudyRow]:
    """Randomized search for counterexamples to the Eq. (5) form of the conjecture (ledger ``mme-n-conj``).

    Per N and trial: a random two-class quadratic MME (d 2-10, beta log-uniform in [1e-3, 1]); one diversifying
    move (a gradient rotated towards minus the others' sum: ``||sum g||`` and the mean cosine both drop) and one
    margin move (a margin raised by 10-100 %), each with exact radius brackets before and after.
    ``budget_s`` stops early (after a whole round over N) when the time is spent.
    """
    rng = numpy_stream(seed, "mme-many:study")
    rows: list[StudyRow] = []
    start = time.perf_counter()
    for trial in range(trials):
        for n in n_models:
            d = int(rng.integers(2, 11))
            beta = random_beta(rng)
            ens = random_ensemble(rng, n_models=n, n_classes=2, d=d, beta=beta, rule="mme",
                                  curvature=("random", "mixed")[trial % 2])
            lo, up = radius_bracket(ens)
            grads = margin_gradient(ens)
            base = dict(n_models=n, trial=trial, d=d, beta=beta, diversity_before=global_diversity(grads),
                        cosine_before=mean_cosine(grads), lower_before=lo, upper_before=up,
                        partner_before=_partner_radius(ens))
            div, _ = _diversify(ens, rng)
            g2 = margin_gradient(div)
            rows.append(StudyRow(move="diversify", diversity_after=global_diversity(g2), cosine_after=mean_cosine(g2),
                                 lower_after=radius_bracket(div)[0], upper_after=radius_bracket(div)[1], **base))
            j = int(rng.integers(n))
            raised = with_margin_shift(ens, j, rng.uniform(0.1, 1.0) * abs(float(cd.margins(ens.a[j], ens.y0)[0])))
            lo2, up2 = radius_bracket(raised)
            rows.append(StudyRow(move="margin", diversity_after=base["diversity_before"],
                                 cosine_after=base["cosine_before"], lower_after=lo2, upper_after=up2, **base))
        if budget_s is not None and time.perf_counter() - start > budget_s:
            break
    return rows


STUDY_SIZES = {"ci": dict(trials=60), "thorough": dict(trials=600)}  # fixed sizes: reproducible


@functools.lru_cache(maxsize=4)
def study_rows(profile_name: str = "ci", seed: int = 0) -> tuple[StudyRow, ...]:
    """The study at a profile's size (:data:`STUDY_SIZES`), cached: the check and the figure share it."""
    return tuple(conjecture_study(seed=seed, **STUDY_SIZES[profile_name]))


def partner_conservativeness(rows: list[StudyRow]) -> dict:
    """How conservative the partner condition (ledger ``mme-n``) is on the study's ensembles.

    One ensemble per (N, trial) (its state before the moves), kept when its bracket is exact and finite: the
    ratio exact radius / partner radius (>= 1 since the condition is sound; inf where it certifies nothing).
    """
    seen, ratios = set(), []
    for r in rows:
        key = (r.n_models, r.trial)
        if key in seen or not (r.lower_before > 0 and np.isfinite(r.lower_before)
                               and r.upper_before <= r.lower_before * (1 + EXACT_RTOL)):
            continue
        seen.add(key)
        ratios.append(r.lower_before / r.partner_before if r.partner_before > 0 else np.inf)
    ratios = np.array(ratios)
    finite = ratios[np.isfinite(ratios)]
    q = np.percentile(finite, [50, 90]) if finite.size else (np.nan, np.nan)
    return {"ensembles": int(ratios.size), "certifies_nothing": int(np.isinf(ratios).sum()),
            "median": float(q[0]), "p90": float(q[1]), "max": float(finite.max()) if finite.size else np.nan,
            "min": float(finite.min()) if finite.size else np.nan}


def summarize(rows: list[StudyRow]) -> dict:
    """Counts of the study: searched moves, exact brackets, certified counterexamples and certified raises
    (both directions of the radius, so that neither tally is quoted alone), by move and N; and the partner
    condition's conservativeness (:func:`partner_conservativeness`)."""
    out: dict = {"moves": len(rows), "exact": sum(r.exact for r in rows)}
    for move in ("diversify", "margin"):
        sel = [r for r in rows if r.move == move]
        div = [r for r in sel if move == "margin" or r.more_diverse]
        exact = [r for r in div if r.exact and np.isfinite(r.lower_before) and np.isfinite(r.lower_after)]
        lowered = sum(r.counterexample for r in div)
        raised = sum(r.raised for r in div)
        out[move] = {"moves": len(sel), "qualifying": len(div), "counterexamples": lowered,
                     "lowered": lowered, "raised": raised, "neither": len(div) - lowered - raised,
                     "exact_pairs": len(exact),
                     "radius_dropped_exact": sum(r.lower_after < r.lower_before * (1 - 1e-9) for r in exact),
                     "radius_grew_exact": sum(r.lower_after > r.lower_before * (1 + 1e-9) for r in exact),
                     "by_n": {n: sum(r.counterexample for r in div if r.n_models == n)
                              for n in sorted({r.n_models for r in sel})}}
    out["partner"] = partner_conservativeness(rows)
    return out


def figure_mme_many(out_dir, rows: list[StudyRow]) -> dict:
    """Figure of the N > 2 study (``mme_many.png`` + ``mme_many.csv``); returns :func:`summarize`.

    Left: relative change of the exact radius after a diversifying move against the drop in ``||sum g|| /
    sum ||g||`` (points below 0 are counterexamples to 'more diverse is more robust'). Right: the partner
    condition's certified radius against the exact radius (all below the diagonal: it is sound).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fields = list(StudyRow.__dataclass_fields__)
    write_csv(out_dir / "mme_many.csv", fields + ["exact", "counterexample"],
              [[getattr(r, f) for f in fields] + [int(r.exact), int(r.counterexample)] for r in rows])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    cmap = plt.get_cmap("viridis")
    ns = sorted({r.n_models for r in rows})
    for n in ns:
        sel = [r for r in rows if r.n_models == n and r.move == "diversify" and r.more_diverse and r.exact
               and np.isfinite(r.lower_before) and np.isfinite(r.lower_after)]
        color = cmap((n - ns[0]) / max(1, ns[-1] - ns[0]))
        ax1.scatter([r.diversity_before - r.diversity_after for r in sel],
                    [r.lower_after / r.lower_before - 1 for r in sel], s=12, color=color, label=f"N = {n}")
        sel2 = [r for r in rows if r.n_models == n and r.move == "margin" and r.exact and np.isfinite(r.lower_before)
                and r.partner_before > 0]
        ax2.scatter([r.lower_before for r in sel2], [r.partner_before for r in sel2], s=12, color=color, label=f"N = {n}")
    ax1.axhline(0, color="k", lw=0.8)
    ax1.set_xlabel("drop of ||sum g|| / sum ||g|| (more diverse ->)")
    ax1.set_ylabel("relative change of the exact MME radius")
    ax1.set_title("Diversifying one member's gradient")
    ax1.legend(fontsize=7)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    lims = ax2.get_xlim()
    ax2.plot(lims, lims, "k--", lw=0.8)
    ax2.set_xlabel("exact MME radius")
    ax2.set_ylabel("partner condition's certified radius")
    ax2.set_title("Partner condition (ledger mme-n) vs exact radius")
    fig.tight_layout()
    atomic_save_figure(fig, out_dir / "mme_many.png", dpi=120)
    plt.close(fig)
    return summarize(rows)
