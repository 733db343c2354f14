"""Part 7 of the cross-check: the run's certificates under a SmoothAdv attack, checked with Algorithm
PREDICT.

The run certified the *hard* (EBS) smoothed WE and MME ensembles with Algorithm CERTIFY (Cohen et
al., 2019, Theorem 1 / Lemma A.1). SmoothAdv PGD (Salman et al., 2019) moves each certified image to
0.99 x its certified radius, then PREDICT (n samples, level alpha, independent noise) classifies the
point. If both guarantees hold, PREDICT returns another class than the certified one with
probability at most 2 alpha per image, so the count of disagreements is tested against
Binomial(images, 2 alpha). The power rows repeat the attack at 1.25x, 1.5x and 2x the radius
(:mod:`verify.crosscheck.power`).

This module runs the attacks (:func:`attack`, :func:`power`), holds the part's record
(:class:`Part7`) and renders its section and ``part7_attacks.csv``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from tqdm import tqdm

from . import parts as P
from .attacks import attack_hard_and_predict
from .fmt import prop, table
from .inputs import Ensemble
from .power import PowerRow, power_csv_rows, power_markdown, power_table

__all__ = ["PredictRow", "PredictSummary", "Part7", "attack_rows", "attack", "power", "part7", "PROTOCOLS"]

#: The EBS protocols attacked, in the report's order.
PROTOCOLS = ("we", "mme")
#: The attack's radius as a fraction of the certified one (inside it: a point on the sphere could
#: round to just outside).
ATTACK_FRACTION = 0.99


@dataclass(frozen=True)
class PredictRow:
    """One attacked image: the certified class and radius, the point's distance and PREDICT's answer."""

    index: int
    certified: int
    predict: int               # PREDICT at the attacked point (-1: abstained)
    distance: float
    radius: float              # the run's certified radius (the attack used factor x this)

    @property
    def disagrees(self) -> bool:
        return self.predict >= 0 and self.predict != self.certified


@dataclass(frozen=True)
class PredictSummary:
    """Part 7's table row for one protocol."""

    attacked: int
    disagree: int
    abstain: int
    disagree_rate: dict        # parts.proportion
    p_value: float             # of the disagreements under Binomial(attacked, 2 alpha)


@dataclass
class Part7:
    """Part 7's record: per protocol the attacked rows and their summary, the power rows and tables."""

    alpha: float
    rows: dict[str, list[PredictRow]]
    summaries: dict[str, PredictSummary]
    power_rows: dict[str, list[PowerRow]]
    power: dict[str, dict]     # protocol -> parts.power_table
    attack_steps: int          # the profile's, named in the section
    attack_draws: int
    n: int                     # PREDICT's samples (the run's n)
    family_level: float        # the level the disagreements are tested at
    level: float               # descriptive intervals' level

    def summary(self) -> dict:
        """summary.json's ``part7``."""
        return {p: asdict(self.summaries[p]) for p in PROTOCOLS}

    def markdown(self) -> list[str]:
        attack_steps, attack_draws, n, family_level = self.attack_steps, self.attack_draws, self.n, self.family_level
        lines = ["## 7. Certificates under attack", "",
                 f"SmoothAdv PGD ({attack_steps} steps, {attack_draws} draws) on the smoothed "
                 "soft surrogate of each EBS ensemble, at 0.99 x its certified radius, then Algorithm PREDICT "
                 f"(n = {n}, alpha = {self.alpha:g}) at the point on independent noise. If both "
                 "guarantees hold, PREDICT returns another class than the certified one with probability at "
                 f"most 2 alpha per image; the p-value is that of the count under Binomial(images, 2 alpha).", ""]
        s = self.summaries
        rows = [[proto.upper(), s[proto].attacked, s[proto].disagree, s[proto].abstain,
                 prop(s[proto].disagree_rate), f"{s[proto].p_value:.3g}"] for proto in PROTOCOLS]
        lines += table(["protocol", "images attacked", "PREDICT disagrees", "abstains", "disagreement rate",
                        "p-value"], rows)
        ok = all(s[p].p_value > family_level for p in PROTOCOLS)
        lines += ["", ("The disagreements are within what alpha allows." if ok else
                       "**The disagreements exceed what alpha allows at level "
                       f"{family_level:g}: a certificate is wrong.**"), ""]
        if self.power:
            lines += power_markdown(self.power, "Broken: PREDICT at the attacked point returns a class other "
                                    "than the certified one (these are the hard-smoothed EBS classifiers the run "
                                    "certified).", self.level)
        return lines

    def csv(self) -> tuple[list[str], list[list]]:
        """``part7_attacks.csv``."""
        return (["protocol", "index", "certified", "radius", "distance", "predict"],
                [[proto, r.index, r.certified, r.radius, r.distance, r.predict]
                 for proto in PROTOCOLS for r in self.rows[proto]])

    def power_csv_rows(self) -> list[list]:
        return [row for proto in PROTOCOLS for row in power_csv_rows("part7", proto, self.power_rows[proto])]


def attack_rows(ens: Ensemble, images, rows, protocol: str, factor: float, prof, device, batch_size: int,
                progress: bool, desc: str) -> list[PredictRow]:
    """SmoothAdv + PREDICT on the run's ``protocol`` certificates ``rows`` at ``factor`` x their radii."""
    man = ens.manifest
    results = []
    for start in tqdm(range(0, len(rows), 16), desc=f"{ens.stage}: {desc}", unit="chunk",
                      disable=None if progress else True, dynamic_ncols=True):
        part = rows[start:start + 16]
        idx = [r.idx for r in part]
        res = attack_hard_and_predict(
            ens.model, images[idx].to(device), idx, [r.predict for r in part],
            [factor * r.radius for r in part], protocol=protocol, sigma=ens.sigma,
            weights=list(ens.weights), seed=int(man["seed"]), noise_draws=prof.attack_draws,
            steps=prof.attack_steps, n=int(man["n"]), alpha=float(man["alpha"]),
            batch_size=batch_size)
        for r, x in zip(part, res):
            results.append(PredictRow(index=x["index"], certified=x["certified"], predict=x["predict"],
                                      distance=x["distance"], radius=r.radius))
    return results


def attack(ens: Ensemble, images, indices, prof, device, batch_size: int,
           progress: bool) -> dict[str, list[PredictRow]]:
    """SmoothAdv on the run's EBS WE and MME at 0.99 x the certified radius, then PREDICT, on every
    image of ``indices`` the protocol certified."""
    out = {}
    for protocol in PROTOCOLS:
        rows = [ens.certificates[protocol][i] for i in indices]
        todo = [r for r in rows if r.predict >= 0 and r.radius > 0]
        out[protocol] = attack_rows(ens, images, todo, protocol, ATTACK_FRACTION, prof, device, batch_size, progress,
                                    f"attack hard {protocol}")
    return out


def power(ens: Ensemble, images, indices, prof, device, batch_size: int,
          progress: bool) -> dict[str, list[PowerRow]]:
    """The same attack at 1.25x, 1.5x, 2x the certified radius, on the first ``power_images`` images
    certified by both protocols. Broken: PREDICT returns another class."""
    both = [i for i in indices if all(ens.certificates[p][i].predict >= 0 and ens.certificates[p][i].radius > 0
                                      for p in PROTOCOLS)][: prof.power_images]
    out = {}
    for protocol in PROTOCOLS:
        rows = [ens.certificates[protocol][i] for i in both]
        out[protocol] = []
        for factor in P.INFLATIONS:
            res = attack_rows(ens, images, rows, protocol, factor, prof, device, batch_size, progress,
                              f"power {protocol} x{factor:g}")
            out[protocol] += [PowerRow(index=r.index, inflation=factor, attack_radius=factor * r.radius,
                                       distance=r.distance, broken=r.disagrees) for r in res]
    return out


def part7(ens: Ensemble, rows: dict[str, list[PredictRow]], power_rows: dict[str, list[PowerRow]], prof, *,
          family_level: float, level: float) -> Part7:
    """Part 7's record from the attacked rows (:func:`attack`) and the power rows (:func:`power`)."""
    alpha = float(ens.manifest["alpha"])
    summaries = {}
    for protocol, rs in rows.items():
        dis = sum(1 for r in rs if r.disagrees)
        abst = sum(1 for r in rs if r.predict < 0)
        summaries[protocol] = PredictSummary(attacked=len(rs), disagree=dis, abstain=abst,
                                             disagree_rate=P.proportion(dis, len(rs), level),
                                             p_value=P.binomial_excess(dis, len(rs), 2 * alpha))
    return Part7(alpha=alpha, rows=rows, summaries=summaries, power_rows=power_rows,
                 power={k: power_table(power_rows[k], level) for k in PROTOCOLS},
                 attack_steps=prof.attack_steps, attack_draws=prof.attack_draws, n=ens.manifest["n"],
                 family_level=family_level, level=level)
