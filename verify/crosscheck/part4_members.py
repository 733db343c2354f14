"""Part 4 of the cross-check: the ensemble against its single members (Corollary 1, Tables 14-15).

(a) On all certified images, the run's EBS WE and MME radii against the best member's radius from the
same noise (Tables 14-15 compare ensembles with their members). (b) Corollary 1 (corrected:
max(cos, 0)) per pair of members: its prediction R > r (the pair certifies more than either member)
against the two-member EBS ensemble's Cohen radius (:mod:`verify.crosscheck.pairs`).

This module holds the part's record (:class:`Part4`, built by :func:`part4`) and renders its section;
``part4_5_pairs.csv`` is :func:`verify.crosscheck.pairs.pairs_csv`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import parts as P
from .fmt import fmt, prop, table
from .inputs import Ensemble
from .pairs import Confusion, PairOutcome, confusion

__all__ = ["AgainstBest", "Corollary1Score", "MembersStats", "Part4", "members_stats", "part4"]


@dataclass(frozen=True)
class AgainstBest:
    """One EBS protocol against the best member, image by image (intervals Bonferroni over four rates)."""

    beats_best: dict            # parts.proportion
    loses_to_best: dict
    ties: int


@dataclass(frozen=True)
class Corollary1Score(Confusion):
    """Corollary 1's predictions scored, with the median cos(theta) where it applies."""

    cos_median: float


@dataclass(frozen=True)
class MembersStats:
    """Part 4 for one ensemble."""

    images: int
    we: AgainstBest
    mme: AgainstBest
    cor1_we: Corollary1Score
    cor1_mme: Corollary1Score

    def against_best(self, protocol: str) -> AgainstBest:
        return self.we if protocol == "we" else self.mme

    def cor1(self, kind: str) -> Corollary1Score:
        return self.cor1_we if kind == "we" else self.cor1_mme


def members_stats(ens: Ensemble, pairs: list[PairOutcome], level: float) -> MembersStats:
    """Part 4 for one ensemble from the run's certificates and the bank's pair outcomes."""
    indices = ens.manifest["all_indices"]
    members = [p for p in ens.manifest["protocols"] if p.startswith("member")]
    best = np.max([ens.radius(m, indices) for m in members], axis=0)
    against = {}
    for protocol in ("we", "mme"):
        r = ens.radius(protocol, indices)
        against[protocol] = AgainstBest(beats_best=P.proportion(int((r > best).sum()), len(r), level / 4),
                                        loses_to_best=P.proportion(int((r < best).sum()), len(r), level / 4),
                                        ties=int((r == best).sum()))
    cor1 = {}
    for kind in ("we", "mme"):
        applicable = [row for row in pairs if row.cor1(kind) is not None]
        observed = np.array([row.r(kind) > max(row.r_i, row.r_k) for row in applicable], dtype=bool)
        predicted = np.array([row.cor1(kind)["predicts_larger"] for row in applicable], dtype=bool)
        score = confusion(predicted, observed, level, len(pairs))
        cor1[kind] = Corollary1Score(**vars(score), cos_median=float(np.median(
            [row.cor1(kind)["cos"] for row in applicable])) if applicable else float("nan"))
    return MembersStats(images=len(indices), we=against["we"], mme=against["mme"], cor1_we=cor1["we"],
                        cor1_mme=cor1["mme"])


@dataclass
class Part4:
    stages: dict[str, MembersStats]

    def summary(self) -> dict:
        """summary.json's ``part4``."""
        return {stage: asdict(t) for stage, t in self.stages.items()}

    def markdown(self) -> list[str]:
        lines = ["## 4. Ensemble against single models (Corollary 1, Tables 14-15)", "",
                 "(a) The run's certificates on all images: the EBS ensemble's radius against its best "
                 "member's from the same noise (intervals Bonferroni over the four rates).", ""]
        rows = []
        for stage, r in self.stages.items():
            for proto in ("we", "mme"):
                a = r.against_best(proto)
                rows.append([stage, proto.upper(), prop(a.beats_best), prop(a.loses_to_best), a.ties])
        lines += table(["ensemble", "protocol", "beats best member", "below best member", "ties"], rows)
        lines += ["", "(b) Corollary 1 (corrected: max(cos, 0)) for each pair of members on the cross-check's "
                  "images: C from the smoothed margins, cos(theta) from unbiased gradient Gram estimates, r the "
                  "pair's common soft certificate, Delta the smallest value meeting the smoothness hypothesis "
                  "with the tight beta. Prediction: R > r. Outcome: the two-member EBS ensemble's Cohen radius "
                  "exceeds both members' (same noise). The corollary speaks of the soft-smoothed pair and its "
                  "Taylor certificate; the outcome is the practical reading (the certifier people use), so a "
                  "false positive here is a failed prediction, not a counterexample.", ""]
        rows = []
        for stage, r in self.stages.items():
            for kind in ("we", "mme"):
                c = r.cor1(kind)
                rows.append([stage, kind.upper(), f"{c.n}/{c.pairs}", f"{c.tp}/{c.fp}/{c.fn}/{c.tn}",
                             prop(c.precision), prop(c.accuracy), prop(c.base_rate), fmt(c.cos_median)])
        lines += table(["ensemble", "protocol", "applies", "TP/FP/FN/TN", "precision (R > r predicted)",
                        "accuracy", "outcome rate", "median cos"], rows)
        lines.append("")
        return lines


def part4(stages: dict[str, tuple[Ensemble, list[PairOutcome]]], level: float) -> Part4:
    """Part 4 from each ensemble's (ensemble, pair outcomes)."""
    return Part4(stages={stage: members_stats(ens, pairs, level) for stage, (ens, pairs) in stages.items()})
