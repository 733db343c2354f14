"""Figures 4 and 5 of Appendix D, regenerated from their stated settings, with their data as CSV.

Figure 4 (Appendix D.5.1): signed certified-radius difference MME - WE against lambda1/lambda2, by
sampling the true-class confidences of N base models and certifying each ensemble with randomized
smoothing (Lemma A.1, Clopper-Pearson). Figure 5 (Appendix D.5.2): the certified radius that Theorems 8
and 9 and Proposition D.2 give against the number of base models N.

One function per figure; paths are passed in; files are written atomically (a reader never sees half a
PNG or CSV). matplotlib is imported inside the functions, with the Agg backend, so that importing this
module (and ``verify.report``) does not load it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from drt_min.atomic import atomic_save_figure
from drt_min.csvtable import write_csv
from drt_min.seeding import numpy_stream
from theory import statistical as stat
from theory.smoothing import clopper_pearson_lower

__all__ = ["Figure4Settings", "Figure5Panel", "FIGURE5_PANELS", "figure4", "figure5", "smoothing_radius"]


def smoothing_radius(k, n, alpha: float, sigma: float) -> np.ndarray:
    """Certified radius ``sigma Phi^{-1}(pA_lower)`` from ``k`` of ``n`` correct samples; 0 when pA_lower <= 1/2.

    ``pA_lower`` is the one-sided Clopper-Pearson bound (:func:`theory.smoothing.clopper_pearson_lower`), the
    radius that of :func:`theory.statistical.certified_radius`.
    """
    return stat.certified_radius(sigma, clopper_pearson_lower(k, n, alpha))


@dataclass(frozen=True)
class Figure4Settings:
    """Figure 4's caption: lambda2 = 0.95, lambda1 ~ U[0.8, 0.95), a ~ U[0.3, 1), b ~ U[a, 1)."""

    num_models: tuple[int, ...] = (3, 10, 20)
    instances: int = 400
    samples: int = 10_000
    lambda2: float = 0.95
    lambda1_range: tuple[float, float] = (0.8, 0.95)
    a_range: tuple[float, float] = (0.3, 1.0)
    sigma: float = 1.0
    alpha: float = 0.001
    seed: int = 0


def _figure4_data(settings: Figure4Settings, progress=None) -> list[tuple]:
    """Rows (N, instance, a, b, lambda1, lambda2, ratio, r_WE, r_MME, r_MME - r_WE)."""
    rows = []
    rng = numpy_stream(settings.seed, "figures:figure4")
    chunk = 20
    for n_models in settings.num_models:
        for start in range(0, settings.instances, chunk):
            m = min(chunk, settings.instances - start)
            a = rng.uniform(*settings.a_range, size=m)
            b = rng.uniform(a, settings.a_range[1])
            lam1 = rng.uniform(*settings.lambda1_range, size=m)
            conf = rng.uniform(a[:, None, None], b[:, None, None], size=(m, settings.samples, n_models))
            weights = np.ones(n_models)
            # Worst case allowed by Definitions 9-10 with p = 0: the wrong classes take exactly the
            # lambda-share of the remaining mass, so the ensembles are correct iff X1 > 0 (Lemma D.2, WE)
            # and iff X2 > 0 (Lemmas B.1-B.2, MME; y0 is top or runner-up of every member).
            we_correct = (stat.we_margin(conf, weights, lam1[:, None]) > 0).sum(axis=-1)
            mme_correct = (stat.mme_margin(conf, settings.lambda2) > 0).sum(axis=-1)
            r_we = smoothing_radius(we_correct, settings.samples, settings.alpha, settings.sigma)
            r_mme = smoothing_radius(mme_correct, settings.samples, settings.alpha, settings.sigma)
            for i in range(m):
                rows.append((n_models, start + i, a[i], b[i], lam1[i], settings.lambda2,
                             lam1[i] / settings.lambda2, r_we[i], r_mme[i], r_mme[i] - r_we[i]))
            if progress is not None:
                progress.update(m)
    return rows


def figure4_summary(rows: list[tuple]) -> dict[int, dict[str, float]]:
    """Per N: Spearman correlation of ratio with the difference, and mean difference in the lower and upper half."""
    out = {}
    for n_models in sorted({r[0] for r in rows}):
        sel = np.array([(r[6], r[9]) for r in rows if r[0] == n_models])
        ratio, diff = sel[:, 0], sel[:, 1]
        median = np.median(ratio)
        nonzero = diff != 0
        out[n_models] = {
            "spearman": float(stats.spearmanr(ratio, diff).statistic) if np.ptp(diff) > 0 else 0.0,
            "mean_diff_low_ratio": float(diff[ratio < median].mean()),
            "mean_diff_high_ratio": float(diff[ratio >= median].mean()),
            "frac_mme_better": float((diff[nonzero] > 0).mean()) if nonzero.any() else 0.0,
        }
    return out


def figure4(out_dir, settings: Figure4Settings = Figure4Settings(), progress: bool = True) -> dict:
    """Write ``figure4.png`` and ``figure4.csv`` into ``out_dir``; return the per-N summary."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    total = settings.instances * len(settings.num_models)
    with tqdm(total=total, desc="figure 4 instances", disable=None if progress else True) as bar:
        rows = _figure4_data(settings, bar)
    header = ["N", "instance", "a", "b", "lambda1", "lambda2", "lambda1_over_lambda2", "radius_we",
              "radius_mme", "radius_mme_minus_we"]
    write_csv(out_dir / "figure4.csv", header, rows)

    fig, axes = plt.subplots(1, len(settings.num_models), figsize=(4.2 * len(settings.num_models), 3.6),
                             sharey=True, squeeze=False)
    for ax, n_models in zip(axes[0], settings.num_models):
        sel = np.array([(r[6], r[9]) for r in rows if r[0] == n_models])
        colors = np.where(sel[:, 1] > 0, "tab:red", np.where(sel[:, 1] < 0, "tab:blue", "0.6"))
        ax.scatter(sel[:, 0], sel[:, 1], c=colors, s=6)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_title(f"N = {n_models}")
        ax.set_xlabel(r"$\lambda_1/\lambda_2$")
    axes[0][0].set_ylabel("certified radius MME - WE")
    fig.suptitle(rf"Figure 4: $\lambda_2$ = {settings.lambda2}, {settings.samples} samples, "
                 rf"$\sigma$ = {settings.sigma}, $\alpha$ = {settings.alpha}, seed {settings.seed}")
    atomic_save_figure(fig, out_dir / "figure4.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return figure4_summary(rows)


@dataclass(frozen=True)
class Figure5Panel:
    """One panel of Figure 5: true-class confidence ~ U[a, b]; WE lambda1, MME lambda2, single model lambda3."""

    a: float
    b: float
    lambda1: float
    lambda2: float
    lambda3: float


FIGURE5_PANELS = (Figure5Panel(0.2, 0.3, 0.29, 0.31, 0.30), Figure5Panel(0.3, 0.4, 0.48, 0.50, 0.49))


def _figure5_data(panel: Figure5Panel, num_models, p: float, sigma: float, n: int, alpha: float) -> list[tuple]:
    """Rows (N, curve, probability bound, certified radius) for one panel."""
    rows = []

    def radius(prob):
        k = np.floor(np.clip(prob, 0.0, 1.0) * n).astype(int)
        return smoothing_radius(k, n, alpha, sigma)

    single = stat.uniform_single_model_bound(p, panel.a, panel.b, panel.lambda3)
    for n_models in num_models:
        w = np.ones(n_models)
        curves = {
            "single (Prop. D.2)": single,
            "WE (Thm 8 as printed, /12)": stat.uniform_we_bound(p, panel.a, panel.b, panel.lambda1, w, printed=True),
            "WE (Thm 8 from its proof, /24)": stat.uniform_we_bound(p, panel.a, panel.b, panel.lambda1, w),
            "MME (Thm 9)": stat.uniform_mme_bound(p, panel.a, panel.b, panel.lambda2, n_models),
            "MME (Thm 9, exact variance)": stat.uniform_mme_bound(p, panel.a, panel.b, panel.lambda2, n_models,
                                                                  exact=True),
        }
        for name, prob in curves.items():
            rows.append((n_models, name, float(prob), float(radius(prob))))
    return rows


def figure5(out_dir, panels=FIGURE5_PANELS, num_models=range(2, 31), p: float = 0.01, sigma: float = 1.0,
            n: int = 100_000, alpha: float = 0.001) -> list[list[tuple]]:
    """Write ``figure5.png`` and ``figure5.csv``; return the rows of each panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    data = [_figure5_data(panel, list(num_models), p, sigma, n, alpha) for panel in panels]
    write_csv(out_dir / "figure5.csv", ["panel", "a", "b", "lambda1", "lambda2", "lambda3", "N", "curve",
                                        "probability_bound", "certified_radius"],
               [(i, pn.a, pn.b, pn.lambda1, pn.lambda2, pn.lambda3, *row)
                for i, (pn, rows) in enumerate(zip(panels, data)) for row in rows])
    styles = {
        "single (Prop. D.2)": dict(color="tab:red", ls="--"),
        "WE (Thm 8 as printed, /12)": dict(color="tab:blue", ls="-"),
        "WE (Thm 8 from its proof, /24)": dict(color="tab:blue", ls=":"),
        "MME (Thm 9)": dict(color="tab:green", ls="-"),
        "MME (Thm 9, exact variance)": dict(color="tab:green", ls=":"),
    }
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), squeeze=False)
    for ax, panel, rows in zip(axes[0], panels, data):
        for name, style in styles.items():
            pts = [(r[0], r[3]) for r in rows if r[1] == name]
            ax.plot(*zip(*pts), label=name, **style)
        ax.set_title(rf"[a, b] = [{panel.a}, {panel.b}], $\lambda_1$ = {panel.lambda1}, "
                     rf"$\lambda_2$ = {panel.lambda2}, $\lambda_3$ = {panel.lambda3}", fontsize=9)
        ax.set_xlabel("number of base models N")
        ax.set_ylabel("certified radius")
        ax.legend(fontsize=7)
    fig.suptitle(rf"Figure 5: p = {p}, $\sigma$ = {sigma}, n = {n}, $\alpha$ = {alpha}")
    atomic_save_figure(fig, out_dir / "figure5.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return data
