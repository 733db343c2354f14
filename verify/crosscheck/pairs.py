"""Two-member sub-ensembles at each image, shared by parts 4 (Corollary 1) and 5 (Corollary 4).

For every pair of members (i, k) the bank's hard votes on the run's noise give the pair's EBS WE and
MME certificates, each member's, and the EAS certificate (Theorem 5 corrected); beside them
Corollary 1's prediction (R > r) and Corollary 4's (EBS certifies more than EAS). Parts 4 and 5 score
the predictions against these outcomes (:func:`confusion`); ``part4_5_pairs.csv`` holds every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drt_min.curves import radius_at_label
from drt_min.ensemble import eas_certify

from . import parts as P
from .image_stats import cohen_certificates, soft_certificate

__all__ = ["PairOutcome", "Confusion", "pair_outcomes", "confusion", "pairs_csv"]


@dataclass(frozen=True)
class PairOutcome:
    """One pair of members at one image: radii at the label (0 where another class is certified)."""

    index: int
    pair: str                   # "ik", e.g. "01"
    r_we: float                 # the pair's EBS WE (Cohen)
    r_mme: float                # the pair's EBS MME (Cohen)
    r_i: float                  # member i alone (Cohen)
    r_k: float
    r_eas: float                # the pair's EAS (Theorem 5 corrected)
    cor1_we: dict | None        # parts.corollary1_prediction (None: the corollary does not apply)
    cor1_mme: dict | None
    cor4: dict | None           # parts.corollary4_prediction

    def cor1(self, kind: str) -> dict | None:
        return self.cor1_we if kind == "we" else self.cor1_mme

    def r(self, kind: str) -> float:
        return self.r_we if kind == "we" else self.r_mme


def pair_outcomes(rec: dict, ens, cert_n: int, sigma: float, alpha: float, n_classes: int,
                  beta: float) -> list[PairOutcome]:
    """Every pair of members at the bank record ``rec``: Algorithm CERTIFY and EAS of the two-member
    ensemble on the run's noise, Corollary 1 (with the members' smoothness constant ``beta``) and
    Corollary 4."""
    out = []
    label, y0 = rec["label"], rec["y_we"]
    n_members = len(ens.weights)
    n_wrong = n_classes - 1
    conf_lo = rec["member_conf"]["lower"].reshape(n_members, n_classes)
    conf_hi = rec["member_conf"]["upper"].reshape(n_members, n_classes)
    soft_r = [soft_certificate(conf_lo[j], conf_hi[j], y0, sigma) for j in range(n_members)]
    for (i, k), (v_sel, v_est) in rec["pair_votes"].items():
        n = min(cert_n, len(v_est))  # the run's n, or all the bank has (a paper-size n exceeds it)
        pred, radius = cohen_certificates(v_sel, v_est, n_classes, n=n, alpha=alpha, sigma=sigma)
        r_we, r_mme, r_i, r_k = (radius_at_label(p, r, label) for p, r in zip(pred, radius))

        def counts(v):
            return np.stack([np.bincount(v[:, j], minlength=n_classes) for j in (2, 3)])
        eas_pred, eas_r = eas_certify(counts(v_sel), counts(v_est[:n]), n, alpha, sigma)
        r_eas = radius_at_label(eas_pred, eas_r, label)
        # Corollary 1 speaks of members certified at a common radius r around the same class
        r_common = min(soft_r[i], soft_r[k])
        margins = rec["member_margin_point"] if rec["y_mme"] == y0 else None
        cor1 = {}
        for kind in ("we", "mme"):
            cor1[kind] = None if margins is None else P.corollary1_prediction(
                margins[i], margins[k], rec["member_margin_gram"], i, k, n_wrong, r_common, beta, kind)
        cor4 = P.corollary4_prediction(np.stack([v_est[:, 2], v_est[:, 3], v_est[:, 1]], axis=1), label)
        out.append(PairOutcome(index=rec["index"], pair=f"{i}{k}", r_we=r_we, r_mme=r_mme, r_i=r_i, r_k=r_k,
                               r_eas=r_eas, cor1_we=cor1["we"], cor1_mme=cor1["mme"], cor4=cor4))
    return out


@dataclass(frozen=True)
class Confusion:
    """A sufficient condition's predictions against the outcomes, over the pairs where it applies."""

    n: int                      # pairs where the corollary applies
    tp: int
    fp: int
    fn: int
    tn: int
    accuracy: dict              # parts.proportion
    precision: dict             # what a sufficient condition promises
    base_rate: dict             # the outcome's rate
    pairs: int                  # all pairs


def confusion(predicted: np.ndarray, observed: np.ndarray, level: float, pairs: int) -> Confusion:
    """Score boolean ``predicted`` against ``observed`` (one entry per pair where the corollary applies)."""
    n = int(predicted.size)
    tp = int((predicted & observed).sum())
    tn = int((~predicted & ~observed).sum())
    return Confusion(n=n, tp=tp, fp=int((predicted & ~observed).sum()), fn=int((~predicted & observed).sum()),
                     tn=tn, accuracy=P.proportion(tp + tn, n, level),
                     precision=P.proportion(tp, int(predicted.sum()), level),
                     base_rate=P.proportion(int(observed.sum()), n, level), pairs=pairs)


def pairs_csv(pairs: dict[str, list[PairOutcome]]) -> tuple[list[str], list[list]]:
    """``part4_5_pairs.csv``: every pair of every ensemble (Corollary 1 and 4 columns empty where they
    do not apply)."""
    rows = []
    for stage, outcomes in pairs.items():
        for row in outcomes:
            c1w, c1m, c4 = row.cor1_we, row.cor1_mme, row.cor4
            cor1 = [v for c in (c1w, c1m) for v in
                    ((c["C"], c["cos"], c["delta"], c["R"], int(c["predicts_larger"])) if c else ("",) * 5)]
            rows.append([stage, row.index, row.pair, row.r_we, row.r_mme, row.r_i, row.r_k,
                         row.r_eas, *cor1, c4["p"] if c4 else "", c4["threshold"] if c4 else "",
                         int(c4["predicts_ebs"]) if c4 else ""])
    cor1_header = [f"cor1_{kind}_{col}" for kind in ("we", "mme")
                   for col in ("C", "cos", "delta", "R", "predicts_larger")]
    return (["ensemble", "index", "pair", "r_we", "r_mme", "r_member_i", "r_member_k", "r_eas", *cor1_header,
             "cor4_p", "cor4_threshold", "cor4_predicts_ebs"], rows)
