"""Part 5 of the cross-check: EAS against EBS (Theorem 5 corrected, Corollary 4).

(a) On all certified images, the run's EAS certificate (corrected Theorem 5, Bonferroni over members)
against its EBS MME certificate. (b) Corollary 4 per pair of members: p > threshold predicts that EBS
(MME) certifies more than EAS, scored against the pair's two certificates on the same noise
(:mod:`verify.crosscheck.pairs`).

This module holds the part's record (:class:`Part5`, built by :func:`part5`) and renders its section.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import parts as P
from .fmt import prop, table
from .inputs import Ensemble
from .pairs import Confusion, PairOutcome, confusion

__all__ = ["EasStats", "Part5", "eas_stats", "part5"]


@dataclass(frozen=True)
class EasStats:
    """Part 5 for one ensemble (the two rates' intervals Bonferroni over both)."""

    images: int
    eas_larger: dict            # parts.proportion
    ebs_larger: dict
    ties: int
    cor4: Confusion


def eas_stats(ens: Ensemble, pairs: list[PairOutcome], level: float) -> EasStats:
    """Part 5 for one ensemble from the run's certificates and the bank's pair outcomes."""
    indices = ens.manifest["all_indices"]
    eas, mme = ens.radius("eas", indices), ens.radius("mme", indices)
    applicable = [row for row in pairs if row.cor4 is not None]
    predicted = np.array([row.cor4["predicts_ebs"] for row in applicable], dtype=bool)
    observed = np.array([row.r_mme > row.r_eas for row in applicable], dtype=bool)
    return EasStats(images=len(indices),
                    eas_larger=P.proportion(int((eas > mme).sum()), len(indices), level / 2),
                    ebs_larger=P.proportion(int((mme > eas).sum()), len(indices), level / 2),
                    ties=int((eas == mme).sum()), cor4=confusion(predicted, observed, level, len(pairs)))


@dataclass
class Part5:
    stages: dict[str, EasStats]

    def summary(self) -> dict:
        """summary.json's ``part5``."""
        return {stage: asdict(t) for stage, t in self.stages.items()}

    def markdown(self) -> list[str]:
        lines = ["## 5. EAS against EBS (Theorem 5 corrected, Corollary 4)", "",
                 "(a) The run's EAS certificate (corrected Theorem 5, Bonferroni over members) against the EBS "
                 "MME certificate on all images.", ""]
        rows = [[stage, prop(r.eas_larger), prop(r.ebs_larger), r.ties] for stage, r in self.stages.items()]
        lines += table(["ensemble", "EAS larger", "EBS MME larger", "ties"], rows)
        lines += ["", "(b) Corollary 4 per pair of members: p > threshold predicts that EBS (MME) certifies more "
                  "than EAS; outcome from the pair's two certificates on the same noise.", ""]
        rows = []
        for stage, r in self.stages.items():
            c = r.cor4
            rows.append([stage, f"{c.n}/{c.pairs}", f"{c.tp}/{c.fp}/{c.fn}/{c.tn}",
                         prop(c.precision), prop(c.accuracy), prop(c.base_rate)])
        lines += table(["ensemble", "applies", "TP/FP/FN/TN", "precision (EBS predicted)", "accuracy",
                        "outcome rate (EBS larger)"], rows)
        lines += ["", "Corollaries 1 and 4 are sufficient conditions: precision is what they promise, a low "
                  "recall (many FN) is not a contradiction."]
        lines.append("")
        return lines


def part5(stages: dict[str, tuple[Ensemble, list[PairOutcome]]], level: float) -> Part5:
    """Part 5 from each ensemble's (ensemble, pair outcomes)."""
    return Part5(stages={stage: eas_stats(ens, pairs, level) for stage, (ens, pairs) in stages.items()})
