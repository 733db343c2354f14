"""Part 3 of the cross-check: the Ensemble Robustness Indicator (Eq. 7) of the DRT and the rho = 0
control ensembles.

ERI = max_y I_y at r = sigma/2 for the soft-smoothed WE, from the bank's unbiased split-half estimates
of the margins' gradient norms (smaller is more robust). DRT's regulariser is meant to lower it: the
part compares the two ensembles image by image (Wilcoxon signed-rank) and ranks ERI against the run's
Cohen WE radius (Spearman).

This module summarises the bank's records (:func:`part3`), holds the part's record (:class:`Part3`)
and renders its section and ``part3_eri.png``.
"""

from __future__ import annotations

import pathlib
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from . import parts as P
from .bank import Bank
from .fmt import fmt, prop, table

__all__ = ["EriStats", "EriShift", "Part3", "part3"]


@dataclass(frozen=True)
class EriStats:
    """One ensemble's ERI per image and how it ranks against the run's Cohen WE radius."""

    eri: np.ndarray
    cohen_we: np.ndarray
    spearman: dict               # parts.spearman(eri, cohen_we)
    quartiles: list[float]       # 25%, median, 75% of eri


@dataclass(frozen=True)
class EriShift:
    """DRT's ERI minus the control's, paired over the images."""

    median_difference: float
    n: int
    lower_share: dict            # parts.proportion of images where DRT's ERI is lower
    wilcoxon_p: float            # NaN when every difference is 0


@dataclass
class Part3:
    stages: dict[str, EriStats]
    shift: EriShift | None       # None without a control ensemble
    sigma: float

    def summary(self) -> dict:
        """summary.json's ``part3`` (the per-image columns left out)."""
        out: dict = {stage: {"spearman": t.spearman, "quartiles": t.quartiles} for stage, t in self.stages.items()}
        if self.shift is not None:
            out["shift"] = asdict(self.shift)
        return out

    def markdown(self) -> list[str]:
        lines = ["## 3. The Ensemble Robustness Indicator (Eq. 7)", "",
                 f"max_y I_y at r = sigma/2 = {self.sigma / 2:g} for the soft-smoothed WE, from unbiased split-half "
                 "estimates of the gradient norms (smaller is more robust).", ""]
        rows = [[stage, *[fmt(q) for q in t.quartiles], fmt(t.spearman["rho"]), fmt(t.spearman["p"])]
                for stage, t in self.stages.items()]
        lines += table(["ensemble", "25%", "median", "75%", "Spearman with Cohen WE radius", "p"], rows)
        if self.shift is not None:
            sh = self.shift
            lines += ["", f"DRT minus control, paired over {sh.n} images: median difference "
                      f"{sh.median_difference:.4g}; DRT lower on {prop(sh.lower_share)}; Wilcoxon "
                      f"signed-rank p = {sh.wilcoxon_p:.3g}. ![part 3](part3_eri.png)"]
        lines.append("")
        return lines

    def plot(self, out_dir: pathlib.Path) -> None:
        """part3_eri.png: each ensemble's ERI histogram."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from drt_min.atomic import atomic_save_figure

        fig, ax = plt.subplots(figsize=(6, 3.6))
        for stage, t in self.stages.items():
            ax.hist(t.eri, bins=40, histtype="step", label=stage)
        ax.set_xlabel(f"max_y ERI (Eq. 7) at r = {self.sigma / 2:g} (smaller: more robust)")
        ax.set_ylabel("images")
        ax.legend()
        fig.tight_layout()
        atomic_save_figure(fig, out_dir / "part3_eri.png")
        plt.close(fig)


def part3(banks: dict[str, Bank], *, sigma: float, level: float) -> Part3:
    """Part 3 from each ensemble's bank (the ERI is computed per image by
    :func:`verify.crosscheck.image_stats.analyse_image`)."""
    stages = {}
    for stage, b in banks.items():
        eri = np.array([rec["eri"] for rec in b.records])
        cohen = [float(b.ensemble.radius("we", [rec["index"]])[0]) for rec in b.records]
        stages[stage] = EriStats(eri=eri, cohen_we=np.array(cohen), spearman=P.spearman(eri, cohen),
                                 quartiles=np.percentile(eri, [25, 50, 75]).tolist())
    shift = None
    if "control" in stages:
        d = stages["drt"].eri - stages["control"].eri
        test = stats.wilcoxon(d) if np.any(d != 0) else None
        shift = EriShift(median_difference=float(np.median(d)), n=int(d.size),
                         lower_share=P.proportion(int((d < 0).sum()), d.size, level),
                         wilcoxon_p=float(test.pvalue) if test is not None else float("nan"))
    return Part3(stages=stages, shift=shift, sigma=sigma)
