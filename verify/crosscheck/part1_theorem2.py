"""Part 1 of the cross-check: Theorem 2 on the trained members.

Theorem 2 bounds the second derivatives of a soft-smoothed confidence g = E f(x0 + eps) by
beta = 2/sigma^2 (the paper's constant); the tight supremum over [0, 1]-valued f is 2 phi(1)/sigma^2
(ledger). The bank estimates u^T H u of every member's confidence by Stein's identity, along each
member's gradient direction and a few random ones, with rigorous bounds
(:func:`verify.crosscheck.bounds.second_derivative_bounds`). A bound certainly above the tight
constant would be a bug; how close the estimates come to it says how much Corollaries 2-3 lose by
using the paper's constant.

This module summarises the bank's records (:func:`part1`), holds the part's record (:class:`Part1`)
and renders its section, ``part1_theorem2.csv`` and ``part1_theorem2.png``.
"""

from __future__ import annotations

import pathlib
from dataclasses import asdict, dataclass

import numpy as np

from . import parts as P
from .bank import Bank
from .fmt import fmt, table

__all__ = ["DirectionStats", "Theorem2Stats", "Part1", "part1", "DIRECTION_KINDS"]

#: The two kinds of directions, in the bank's order (the first N directions follow the gradients).
DIRECTION_KINDS = ("gradient", "random")


@dataclass(frozen=True)
class DirectionStats:
    """One kind of direction of one ensemble (:func:`verify.crosscheck.parts.theorem2_summary`)."""

    count: int                  # estimates (directions x images x members x classes)
    max_estimate: float         # largest |u^T H u| estimate
    max_certain: float          # largest max(lower, -upper): certainly reached
    max_upper: float            # largest |u^T H u| the bounds allow
    above_tight: int            # bounds certainly above the tight constant (each one a bug)
    max_estimate_over_tight: float
    max_estimate_over_paper: float
    halfwidth_median: float


@dataclass(frozen=True)
class Theorem2Stats:
    """Part 1's numbers for one ensemble."""

    gradient: DirectionStats
    random: DirectionStats
    tight: float
    paper: float
    sigma: float

    def kind(self, name: str) -> DirectionStats:
        return self.gradient if name == "gradient" else self.random


@dataclass
class Part1:
    """Part 1's record: per ensemble the summary, and the per-image bounds behind the CSV and the plot."""

    stages: dict[str, Theorem2Stats]
    seconds: dict[str, list[tuple[int, dict]]]  # per ensemble, (index, second-derivative bounds (directions, N C))
    members: dict[str, int]            # per ensemble, N (its first N directions follow gradients)
    sigma: float
    tight: float                       # the tight beta = 2 phi(1)/sigma^2
    paper: float                       # the paper's beta = 2/sigma^2
    random_directions: int

    def summary(self) -> dict:
        """summary.json's ``part1``."""
        return {stage: asdict(t) for stage, t in self.stages.items()}

    def _all(self):
        return [t.kind(k) for t in self.stages.values() for k in DIRECTION_KINDS]

    def markdown(self) -> list[str]:
        sigma = self.sigma
        lines = ["## 1. Theorem 2 on the trained members", "",
                 "Directional second derivatives u^T H u of every member's soft-smoothed confidence "
                 "g_j^c = E f_j^c(x0 + eps), by Stein's identity E[(f - c)(t^2 - 1)]/sigma^2 (t = u.eps/sigma), "
                 "along each member's gradient direction (estimated on independent samples) and along "
                 f"{self.random_directions} random directions per image, for all classes. Values are "
                 f"scaled by sigma^2: the tight constant is 2 phi(1) = {self.tight * sigma ** 2:.4f}, "
                 f"the paper's 2/sigma^2 is {self.paper * sigma ** 2:g}.", ""]
        lines += ["'Certain value': max(lower bound, -upper bound), the |u^T H u| that is certainly reached "
                  "(negative: none is). 'Upper bound': the largest |u^T H u| the bounds allow.", ""]
        rows = []
        for stage, t in self.stages.items():
            for kind in DIRECTION_KINDS:
                v = t.kind(kind)
                rows.append([stage, kind, v.count, fmt(v.max_estimate * sigma ** 2, 4),
                             fmt(v.max_certain * sigma ** 2, 4), fmt(v.max_upper * sigma ** 2, 4),
                             v.above_tight, fmt(v.halfwidth_median * sigma ** 2, 3)])
        lines += table(["ensemble", "directions", "estimates", "largest |estimate|", "largest certain value",
                        "largest upper bound", "certainly above tight", "median half-width"], rows)
        bug = sum(v.above_tight for v in self._all())
        n_members_drt = self.members["drt"]
        largest = max(v.max_estimate for v in self._all())
        lines += ["", ("**No value is certainly above the tight constant** (a value above it would be a bug: "
                       "the constant is the supremum over all [0, 1]-valued f). " if not bug else
                       f"**{bug} bounds lie above the tight constant: a bug in the estimator or the constant.** ")
                  + f"The largest estimate is {largest * sigma ** 2 / 2:.3f} of the paper's constant and "
                  f"{largest / self.tight:.3f} of the tight one, along the directions searched: "
                  f"N + {self.random_directions} = {n_members_drt + self.random_directions} per image "
                  f"({n_members_drt} gradient directions and {self.random_directions} random ones), not a "
                  "supremum over all directions. ![part 1](part1_theorem2.png)", ""]
        return lines

    def csvs(self) -> dict[str, tuple[list[str], list[list]]]:
        """``part1_theorem2.csv``: per ensemble, image and direction the largest |estimate| and certain
        value over members and classes, and the median half-width."""
        rows = []
        for stage, seconds in self.seconds.items():
            for index, sec in seconds:
                for d in range(sec["estimate"].shape[0]):
                    kind = "gradient" if d < self.members[stage] else "random"
                    rows.append([stage, index, d, kind, float(np.abs(sec["estimate"][d]).max()),
                                 float(np.maximum(sec["lower"][d], -sec["upper"][d]).max()),
                                 float(np.median(sec["halfwidth"][d]))])
        return {"part1_theorem2.csv": (["ensemble", "index", "direction", "kind", "max_abs_estimate",
                                        "max_certain", "median_halfwidth"], rows)}

    def plot(self, out_dir: pathlib.Path) -> None:
        """part1_theorem2.png: histograms of the estimates beside the tight constant and the largest bound."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from drt_min.atomic import atomic_save_figure

        sigma = self.sigma
        fig, ax = plt.subplots(figsize=(7, 4))
        for stage, seconds in self.seconds.items():
            n_members = self.members[stage]
            for name, sl, style in (("gradient", slice(0, n_members), "-"), ("random", slice(n_members, None), ":")):
                v = np.concatenate([np.abs(sec["estimate"][sl]).ravel() for _, sec in seconds]) * sigma ** 2
                ax.hist(v, bins=60, histtype="step", linestyle=style, label=f"{stage}, {name} directions")
        ax.axvline(self.tight * sigma ** 2, color="k", label="tight constant 2 phi(1)")
        largest_upper = max(v.max_upper for v in self._all())
        ax.axvline(largest_upper * sigma ** 2, color="k", linestyle="--", label="largest upper bound")
        ax.set_yscale("log")
        ax.set_xlabel("sigma^2 |u^T H u| of a member's soft-smoothed confidence (estimates)")
        ax.set_ylabel("count (log scale)")
        ax.set_title(f"Theorem 2 on the trained members (paper's constant: {self.paper * sigma ** 2:g})")
        ax.legend(fontsize=7)
        fig.tight_layout()
        atomic_save_figure(fig, out_dir / "part1_theorem2.png")
        plt.close(fig)


def part1(banks: dict[str, Bank], *, sigma: float, tight: float, paper: float, random_directions: int) -> Part1:
    """Part 1 from each ensemble's bank."""
    stages, seconds, members = {}, {}, {}
    for stage, b in banks.items():
        members[stage] = len(b.ensemble.weights)
        seconds[stage] = [(rec["index"], rec["second"]) for rec in b.records]
        t = P.theorem2_summary([rec["second"] for rec in b.records], members[stage], sigma, tight, paper)
        stages[stage] = Theorem2Stats(gradient=DirectionStats(**t["gradient"]), random=DirectionStats(**t["random"]),
                                      tight=t["tight"], paper=t["paper"], sigma=t["sigma"])
    return Part1(stages=stages, seconds=seconds, members=members, sigma=sigma, tight=tight, paper=paper,
                 random_directions=random_directions)
