"""Part 2 of the cross-check: Corollaries 2 and 3 as certificates for the soft-smoothed ensemble,
beside the run's Cohen radii, then attacked.

Per image (the bank's records, :mod:`verify.crosscheck.image_stats`): the soft WE radius of
Corollary 2 (Theorem 1, Eq. 5) and of Lemma A.1 on G, the soft MME radius of the partner condition
(ledger ``mme-n``; Corollary 3 for N = 2) and Corollary 3 for the best pair of members, each with the
paper's beta = 2/sigma^2 and the tight one (Theorem 2), against the run's hard-vote EBS certificates.
Then L2 PGD on the soft-smoothed WE and MME inside the largest certified radius (a point counts only
if fresh samples prove it adversarial: :func:`verify.crosscheck.attacks.verify_points`), at the radius
where the necessary condition of Corollary 2 (Eq. 22) provably fails, and at the radius inflated
1.25x, 1.5x and 2x to show the attack's power (:mod:`verify.crosscheck.power`).

This module runs the attacks (:func:`attack`, :func:`power`), holds the part's record
(:class:`Part2`) and renders its section, ``part2_certificates.csv``, ``part2_attacks.csv``,
``part2_certificates.png`` and ``refutations.npz``.
"""

from __future__ import annotations

import pathlib
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from drt_min.curves import radius_at_label

from . import parts as P
from .attacks import attack_noise, attack_soft, soft_objective, verify_points
from .bank import Bank
from .fmt import fmt, prop, table
from .inputs import Ensemble
from .power import PowerRow, power_csv_rows, power_markdown, power_table

__all__ = ["CertificateRow", "RadiusStats", "ComparedStats", "SoftAttackRow", "AttackCounts", "NecessaryCheck",
           "Refutation", "Part2", "certificate_rows", "certificate_stats", "largest_radius", "soft_jobs",
           "power_records", "attack", "power", "part2", "WORTH_VERIFYING", "INSIDE"]

#: A soft-smoothed attack target's point is verified only if the attack's own estimate of its
#: objective exceeds this (a margin of -0.2 on 32 or more draws is far from adversarial).
WORTH_VERIFYING = -0.2
#: The attack's radius as a fraction of the largest certified one (a point on the sphere could round
#: to just outside).
INSIDE = 0.999
#: The WE and MME certificates of the soft-smoothed ensemble (the attacked classifier of each).
WE_CERTIFICATES = ("we_paper", "we_tight", "we_soft")
MME_CERTIFICATES = ("mme_paper", "mme_tight")
#: The report's certificates in its order, each with the run's Cohen radius it is set beside.
COMPARED = (("we_paper", "cohen_we"), ("we_tight", "cohen_we"), ("we_soft", "cohen_we"),
            ("mme_paper", "cohen_mme"), ("mme_tight", "cohen_mme"),
            ("pair_paper", "cohen_mme"), ("pair_tight", "cohen_mme"))


# ------------------------------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class CertificateRow:
    """One image's radii at the true label (0 where the ensemble predicts another class at x0)."""

    index: int
    label: int
    y_we: int                   # soft WE's class at x0 (selection sample)
    y_mme: int                  # soft MME's class at x0
    we_paper: float             # Corollary 2, beta = 2/sigma^2
    we_tight: float             # Corollary 2, tight beta (Theorem 2)
    we_soft: float              # Lemma A.1 on G
    mme_paper: float            # partner condition (Corollary 3 for N = 2)
    mme_tight: float
    pair_paper: float           # Corollary 3 for the best pair of members
    pair_tight: float
    pair_members: str           # that pair (tight beta), e.g. "01"
    cohen_we: float             # the run's EBS certificates (hard votes)
    cohen_mme: float
    we_necessary_fails_at: float  # Corollary 2, Eq. (22) provably fails beyond it (inf: never)
    eri: float                  # Eq. (7), part 3

    def radius(self, name: str) -> float:
        return getattr(self, name)


#: Columns of ``part2_certificates.csv`` after ``ensemble``.
CSV_COLUMNS = ["index", "label", "y_we", "y_mme", "we_paper", "we_tight", "we_soft", "mme_paper", "mme_tight",
               "pair_paper", "pair_tight", "pair_members", "cohen_we", "cohen_mme", "we_necessary_fails_at", "eri"]


def certificate_rows(ens: Ensemble, records: list[dict]) -> list[CertificateRow]:
    """One :class:`CertificateRow` per bank record."""
    rows = []
    for rec in records:
        i, label, rad = rec["index"], rec["label"], rec["radii"]
        at = {k: radius_at_label(rec["y_mme"] if k.startswith(("mme", "pair")) else rec["y_we"], v, label)
              for k, v in rad.items() if not k.endswith("_members")}
        rows.append(CertificateRow(index=i, label=label, y_we=rec["y_we"], y_mme=rec["y_mme"], **at,
                                   pair_members="".join(map(str, rad["pair_tight_members"])),
                                   cohen_we=float(ens.radius("we", [i])[0]),
                                   cohen_mme=float(ens.radius("mme", [i])[0]),
                                   we_necessary_fails_at=rec["we_necessary_fails_at"], eri=rec["eri"]))
    return rows


@dataclass(frozen=True)
class RadiusStats:
    """How often and how large one certificate is over the images."""

    certified: dict             # parts.proportion of r > 0
    median: float
    mean: float


@dataclass(frozen=True)
class ComparedStats(RadiusStats):
    """:class:`RadiusStats` of a soft certificate, set beside the run's Cohen radius ``reference``."""

    reference: str
    median_ratio: float         # over images where both are > 0
    max_ratio: float
    spearman: dict              # parts.spearman


def certificate_stats(rows: list[CertificateRow], level: float) -> dict[str, RadiusStats]:
    """Each certificate's :class:`ComparedStats`, then the run's two Cohen certificates'."""
    cert: dict[str, RadiusStats] = {}
    for name, ref in COMPARED:
        a = np.array([r.radius(name) for r in rows])
        b = np.array([r.radius(ref) for r in rows])
        both = (a > 0) & (b > 0)
        cert[name] = ComparedStats(
            certified=P.proportion(int((a > 0).sum()), len(a), level), median=float(np.median(a)),
            mean=float(a.mean()), reference=ref,
            median_ratio=float(np.median(a[both] / b[both])) if both.any() else float("nan"),
            max_ratio=float((a[both] / b[both]).max()) if both.any() else float("nan"),
            spearman=P.spearman(a, b))
    for ref in ("cohen_we", "cohen_mme"):
        b = np.array([r.radius(ref) for r in rows])
        cert[ref] = RadiusStats(certified=P.proportion(int((b > 0).sum()), len(b), level),
                                median=float(np.median(b)), mean=float(b.mean()))
    return cert


# ------------------------------------------------------------------------------------------ attacks


@dataclass(frozen=True)
class SoftAttackRow:
    """One PGD point on a soft-smoothed ensemble and what fresh samples say about it."""

    index: int
    y0: int
    attack_radius: float
    distance: float
    own_estimate: float         # the objective on the attack's own draws (> 0: looks adversarial)
    estimate: float             # the fresh samples' estimate (the own one where not verified)
    confirmed: bool             # fresh samples prove the point adversarial
    verified: bool              # fresh samples were drawn (own_estimate > WORTH_VERIFYING)
    point: np.ndarray


def largest_radius(rec: dict, kind: str) -> float:
    """The largest radius any certificate of the soft ``kind`` ensemble gives at the bank record ``rec``
    (the attack targets the classifier, not one certificate of it)."""
    return max(rec["radii"][c] for c in (WE_CERTIFICATES if kind == "we" else MME_CERTIFICATES))


def soft_jobs(records, factor: float) -> dict:
    """The attack targets: (record, radius, y0) per image, at ``factor`` x the largest certified
    radius of the soft WE and the soft MME."""
    return {"we": [(r, factor * largest_radius(r, "we"), r["y_we"]) for r in records],
            "mme": [(r, factor * largest_radius(r, "mme"), r["y_mme"]) for r in records]}


def soft_delta(records, n_checks: int, n_members: int, family_level: float) -> float:
    """One family over every verification: classes (WE) or member class pairs (MME) per point."""
    n_classes = records[0]["we_scores"]["estimate"].shape[0] if records else 2
    per_point = max(n_classes - 1, n_members * n_classes * (n_classes - 1))
    return family_level / max(1, n_checks * per_point)


def attack_job(ens: Ensemble, images, job, kind: str, prof, device, batch_size: int, progress: bool,
               delta: float, desc: str) -> list[SoftAttackRow]:
    """PGD on the soft ``kind`` ensemble at each (record, radius, y0) of ``job``; fresh samples verify
    the points whose own estimate looks adversarial."""
    seed, sigma, shape = int(ens.manifest["seed"]), ens.sigma, tuple(images.shape[1:])
    job = [(rec, radius, y0) for rec, radius, y0 in job if radius > 0]
    rows = []
    for start in tqdm(range(0, len(job), 16), desc=f"{ens.stage}: {desc}", unit="chunk",
                      disable=None if progress else True, dynamic_ncols=True):
        part = job[start:start + 16]
        idx = [rec["index"] for rec, _, _ in part]
        x = images[idx].to(device)
        noise = attack_noise(seed, idx, prof.attack_draws, shape, device)
        y0 = np.array([y for _, _, y in part])
        radii = np.array([radius for _, radius, _ in part])
        pts = attack_soft(ens.model, x, y0, radii, kind=kind, sigma=sigma, weights=ens.weights,
                          noise=noise, steps=prof.attack_steps)
        # only points that look adversarial on the attack's own draws are worth fresh samples;
        # the others are reported as not proved (which is what they are)
        with torch.no_grad():
            value = soft_objective(ens.model, pts, y0, kind=kind, sigma=sigma, weights=ens.weights,
                                   noise=noise).cpu().numpy()
        promising = [j for j, v in enumerate(value) if v > WORTH_VERIFYING]
        checks = [(float(v), False, False) for v in value]       # (estimate, confirmed, verified)
        if promising:
            found = verify_points(ens.model, pts[promising], [idx[j] for j in promising], y0[promising],
                                  kind=kind, sigma=sigma, weights=ens.weights, seed=seed,
                                  num=prof.verify_samples, batch_size=batch_size, delta=delta)
            for j, chk in zip(promising, found):
                checks[j] = (chk["estimate"], chk["confirmed"], True)
        for (rec, radius, y), p, x0, (estimate, confirmed, verified), own in zip(part, pts, x, checks, value):
            rows.append(SoftAttackRow(index=rec["index"], y0=int(y), attack_radius=float(radius),
                                      distance=float((p - x0).norm()), own_estimate=float(own),
                                      estimate=estimate, confirmed=confirmed, verified=verified,
                                      point=p.detach().cpu().numpy()))
    return rows


def attack(ens: Ensemble, images, records, prof, device, batch_size: int, progress: bool,
           family_level: float) -> tuple[dict[str, list[SoftAttackRow]], float]:
    """The attacks on the soft-smoothed WE and MME inside their certified radii, and on the WE where
    the necessary condition fails. Returns the rows per target and the verifications' level."""
    # just inside the largest certified radius: a point on the sphere could round to just outside
    jobs = {**soft_jobs(records, INSIDE),
            "we_necessary": [(r, r["we_necessary_fails_at"] * (1 + 1e-6), r["y_we"]) for r in records
                             if np.isfinite(r["we_necessary_fails_at"]) and r["we_necessary_fails_at"] > 0]}
    n_checks = sum(1 for name in jobs for _, radius, _ in jobs[name] if radius > 0)
    delta = soft_delta(records, n_checks, len(ens.weights), family_level)
    results = {}
    for name, job in jobs.items():
        kind = "mme" if name == "mme" else "we"
        results[name] = attack_job(ens, images, job, kind, prof, device, batch_size, progress, delta,
                                   f"attack soft {name}")
    return results, delta


def power_records(records, count: int) -> list[dict]:
    """The first ``count`` images certified (r > 0) by both soft ensembles: the same images at every
    inflation factor."""
    return [r for r in records if min(largest_radius(r, "we"), largest_radius(r, "mme")) > 0][:count]


def power(ens: Ensemble, images, records, prof, device, batch_size: int, progress: bool,
          family_level: float) -> dict[str, list[PowerRow]]:
    """The same attack at 1.25x, 1.5x, 2x the largest certified radius, on the same images. A row is
    broken when fresh samples prove the point adversarial within the inflated radius."""
    chosen = power_records(records, prof.power_images)
    delta = soft_delta(chosen, 2 * len(chosen) * len(P.INFLATIONS), len(ens.weights), family_level)
    out: dict[str, list[PowerRow]] = {"we": [], "mme": []}
    for factor in P.INFLATIONS:
        for kind, job in soft_jobs(chosen, factor).items():
            rows = attack_job(ens, images, job, kind, prof, device, batch_size, progress, delta,
                              f"power soft {kind} x{factor:g}")
            out[kind] += [PowerRow(index=r.index, inflation=factor, attack_radius=r.attack_radius,
                                   distance=r.distance,
                                   broken=bool(r.confirmed) and r.distance <= r.attack_radius * (1 + 1e-6),
                                   reached=r.own_estimate > 0) for r in rows]
    return out


# ------------------------------------------------------------------------------------------ the record


@dataclass(frozen=True)
class AttackCounts:
    """One target's attacks inside the certified radii."""

    attacked: int
    confirmed: int              # points fresh samples prove adversarial
    refuted: int                # of those, inside a certified radius
    median_objective: float


@dataclass(frozen=True)
class NecessaryCheck:
    """The attack where Corollary 2's necessary condition (Eq. 22) provably fails."""

    images_failing: int
    found: dict                 # parts.proportion of points proved adversarial there


@dataclass(frozen=True)
class Refutation:
    """A proved adversarial point inside a certified radius: a broken certificate."""

    index: int
    kind: str                   # "we" or "mme"
    distance: float
    certificates: list[str]     # the certificates whose radius exceeds the distance
    point: np.ndarray


@dataclass
class Part2:
    """Part 2's record: per ensemble the images' radii and their statistics; for the DRT ensemble the
    attacks, what they broke and their power."""

    rows: dict[str, list[CertificateRow]]
    certificates: dict[str, dict[str, RadiusStats]]
    attacks: dict[str, list[SoftAttackRow]]     # "we", "mme", "we_necessary"
    delta: float                                 # level of each verification bound
    counts: dict[str, AttackCounts]              # "we", "mme"
    necessary: NecessaryCheck
    refutations: list[Refutation]
    power_rows: dict[str, list[PowerRow]]
    power: dict[str, dict]                       # target -> parts.power_table
    attack_steps: int                            # the profile's, named in the section
    attack_draws: int
    verify_samples: int
    images: int                                  # images of parts 1-5
    level: float                                 # descriptive intervals' level

    def summary(self) -> dict:
        """summary.json's ``part2``."""
        return {stage: {name: asdict(c) for name, c in cert.items()} for stage, cert in self.certificates.items()}

    def attacks_summary(self) -> dict:
        """summary.json's ``part2_attacks``."""
        return {"delta": self.delta, "we": asdict(self.counts["we"]), "mme": asdict(self.counts["mme"]),
                "we_necessary": asdict(self.necessary)}

    def markdown(self) -> list[str]:
        attack_steps, attack_draws, verify_samples = self.attack_steps, self.attack_draws, self.verify_samples
        cert = self.certificates["drt"]
        lines = ["## 2. Corollaries 2 and 3 as certificates for the soft-smoothed DRT ensemble", "",
                 "Radii at the true label (0 where the ensemble predicts another class at x0) from lower "
                 "bounds on the smoothed margins (Maurer-Pontil) and upper bounds on their gradient norms "
                 "(Stein's identity with a dimension-free split-sample bound, "
                 "`verify.crosscheck.bounds.gradient_norm_bounds_split`). WE: Corollary 2 (Theorem 1). "
                 "MME: the partner condition (ledger `mme-n`; for N = 2 it is Corollary 3); 'best pair': "
                 "Corollary 3 for the two-member soft MME of the best pair of members. 'Lemma A.1 on G': "
                 "(sigma/2)(Phi^-1(G_A) - Phi^-1(G_B)) for the soft WE. Cohen: the run's hard-vote EBS "
                 "certificate. Corollaries 2-3 and Lemma A.1 on G certify the *soft*-smoothed classifier "
                 "(argmax of averaged confidences); Cohen's radius certifies the *hard*-smoothed one (majority "
                 "of votes). They are different classifiers, so a ratio or rank correlation near 1 says the two "
                 "classifiers' certificates agree in size, not that one certificate checks the other.", ""]
        rows = []
        for name, label in (("we_paper", "WE, beta = 2/sigma^2"), ("we_tight", "WE, tight beta"),
                            ("we_soft", "WE, Lemma A.1 on G"), ("mme_paper", "MME partner, beta = 2/sigma^2"),
                            ("mme_tight", "MME partner, tight beta"), ("pair_paper", "best pair, beta = 2/sigma^2"),
                            ("pair_tight", "best pair, tight beta"), ("cohen_we", "Cohen, EBS WE (run)"),
                            ("cohen_mme", "Cohen, EBS MME (run)")):
            c = cert[name]
            sp = getattr(c, "spearman", None)   # the Cohen rows are the references: no ratio, no correlation
            rows.append([label, prop(c.certified), fmt(c.median), fmt(c.mean),
                         fmt(getattr(c, "median_ratio", None)), fmt(sp["rho"]) if sp else "-"])
        lines += table(["certificate", "certified (r > 0)", "median r", "mean r",
                        "median ratio to Cohen (both > 0)", "Spearman with Cohen"], rows)
        we, mme, nec = self.counts["we"], self.counts["mme"], self.necessary
        lines += ["", "![part 2](part2_certificates.png)", "",
                  f"Attacks (PGD, {attack_steps} steps, {attack_draws} fixed noise draws, on the "
                  "Monte-Carlo soft WE margin or soft MME value) inside the largest certified radius of each "
                  f"image; a point counts as adversarial only if {verify_samples} fresh samples prove it "
                  f"(each bound at {self.delta:.2g}).", ""]
        lines += table(["target", "images attacked", "proved adversarial", "inside a certified radius"],
                       [["soft WE", we.attacked, we.confirmed, we.refuted],
                        ["soft MME", mme.attacked, mme.confirmed, mme.refuted]])
        lines += ["", ("**No certificate was broken by this attack** (PGD from the image, within the radius, on "
                       "the soft-smoothed classifiers; see the power table below for what this attack can find)."
                       if not self.refutations else
                       f"**{len(self.refutations)} certified radii were broken** (points in `refutations.npz`): " +
                       "; ".join(f"image {r.index} ({r.kind}, distance {r.distance:.4f} < "
                                 f"{', '.join(r.certificates)})" for r in self.refutations[:10])),
                  "", f"Necessary condition (Corollary 2, Eq. 22, tight beta): it provably fails at some radius for "
                  f"{nec.images_failing} of {self.images} images; at that radius the "
                  f"attack proved an adversarial point for {prop(nec.found)}.",]
        if self.power:
            lines += power_markdown(self.power, "Broken: fresh samples prove the point adversarial "
                                    "for the soft-smoothed ensemble within the inflated radius.", self.level)
        return lines

    def csvs(self) -> dict[str, tuple[list[str], list[list]]]:
        """``part2_certificates.csv`` (every ensemble) and ``part2_attacks.csv``."""
        certs = [[stage] + [getattr(r, h) for h in CSV_COLUMNS] for stage, rows in self.rows.items() for r in rows]
        att = [[name, r.index, r.y0, r.attack_radius, r.distance, r.estimate, int(r.confirmed)]
               for name in ("we", "mme", "we_necessary") for r in self.attacks[name]]
        return {"part2_certificates.csv": (["ensemble", *CSV_COLUMNS], certs),
                "part2_attacks.csv": (["target", "index", "y0", "attack_radius", "distance",
                                       "objective_estimate", "confirmed_adversarial"], att)}

    def power_csv_rows(self) -> list[list]:
        return [row for kind in ("we", "mme") for row in power_csv_rows("part2", kind, self.power_rows[kind])]

    def plot(self, out_dir: pathlib.Path) -> None:
        """part2_certificates.png: three soft certificates of the DRT ensemble against the run's Cohen radii."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from drt_min.atomic import atomic_save_figure

        rows = self.rows["drt"]
        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
        for ax, (name, ref, title) in zip(axes, (("we_tight", "cohen_we", "soft WE, Cor. 2 (tight beta)"),
                                                 ("we_soft", "cohen_we", "soft WE, Lemma A.1 on G"),
                                                 ("mme_tight", "cohen_mme", "soft MME, partner cond. (tight)"))):
            a, b = np.array([r.radius(name) for r in rows]), np.array([r.radius(ref) for r in rows])
            ax.scatter(b, a, s=8, alpha=0.6)
            top = max(a.max(initial=0), b.max(initial=0), 1e-3) * 1.05
            ax.plot([0, top], [0, top], "k--", lw=0.8)
            ax.set_xlabel(f"run's Cohen radius ({ref[6:].upper()}, hard EBS)")
            ax.set_ylabel("certified radius")
            ax.set_title(title, fontsize=9)
        fig.tight_layout()
        atomic_save_figure(fig, out_dir / "part2_certificates.png")
        plt.close(fig)

    def refutation_points(self) -> dict[str, np.ndarray]:
        """``refutations.npz``'s arrays: the broken certificates' points."""
        return {f"image{r.index}_{r.kind}": r.point for r in self.refutations}


def part2(banks: dict[str, Bank], attacks: dict[str, list[SoftAttackRow]], delta: float,
          power_rows: dict[str, list[PowerRow]], prof, level: float) -> Part2:
    """Part 2's record from each ensemble's bank and the DRT ensemble's attacks (:func:`attack`) and
    power rows (:func:`power`)."""
    rows = {stage: certificate_rows(b.ensemble, b.records) for stage, b in banks.items()}
    radii = {r["index"]: r["radii"] for r in banks["drt"].records}
    refutations, counts = [], {}
    for name in ("we", "mme"):
        certs = WE_CERTIFICATES if name == "we" else MME_CERTIFICATES
        confirmed = [r for r in attacks[name] if r.confirmed]
        for r in confirmed:
            broken = [c for c in certs if r.distance < radii[r.index][c]]
            if broken:
                refutations.append(Refutation(index=r.index, kind=name, distance=r.distance, certificates=broken,
                                              point=r.point))
        counts[name] = AttackCounts(
            attacked=len(attacks[name]), confirmed=len(confirmed),
            refuted=sum(1 for x in refutations if x.kind == name),
            median_objective=float(np.median([r.estimate for r in attacks[name]])) if attacks[name] else float("nan"))
    nec = attacks["we_necessary"]
    necessary = NecessaryCheck(images_failing=len(nec),
                               found=P.proportion(sum(r.confirmed for r in nec), len(nec), level))
    return Part2(rows=rows, certificates={stage: certificate_stats(r, level) for stage, r in rows.items()},
                 attacks=attacks, delta=delta, counts=counts, necessary=necessary, refutations=refutations,
                 power_rows=power_rows, power={k: power_table(power_rows[k], level) for k in ("we", "mme")},
                 attack_steps=prof.attack_steps, attack_draws=prof.attack_draws, verify_samples=prof.verify_samples,
                 images=len(rows["drt"]), level=level)
