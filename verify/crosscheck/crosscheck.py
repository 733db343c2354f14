"""``python -m verify crosscheck RUN_DIR``: a trained DRT run's certificates held up against the theorems.

Seven parts, each on the run's own checkpoints and noise streams (:mod:`verify.crosscheck.sampling`):

1. Theorem 2 on the trained members (second derivatives of the soft-smoothed confidences);
2. Corollaries 2-3 (and the partner condition for N > 2) as certificates, beside the run's Cohen
   radii and the soft-smoothing certificate, then attacked;
3. the Ensemble Robustness Indicator (Eq. 7) of the DRT and the rho = 0 control ensembles;
4. ensemble against single models (Corollary 1, Tables 14-15);
5. EAS against EBS (Theorem 5 corrected, Corollary 4);
6. Figure 6 (Appendix D.5.3);
7. certificates under a SmoothAdv attack, with Algorithm PREDICT at the attacked points.

:func:`crosscheck` computes everything and hands it to :func:`verify.crosscheck.report.write_report`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from drt_min.checkpoint import resolve_device
from drt_min.ensemble import eas_certify
from drt_min.errors import UserError, check_output_dir
from drt_min.seeding import derive_seed
from drt_min.smoothing import NOISE_BLOCK
from theory.smoothing import smoothness_constant_paper, smoothness_constant_tight

from . import parts as P
from .attacks import attack_hard_and_predict, attack_noise, attack_soft, soft_objective, verify_points
from .image_stats import (Settings, analyse_image, bounds_per_image, cohen_certificates, hard_votes,
                          soft_certificate)
from .inputs import Ensemble, load_run
from .sampling import DIRECTION, ESTIMATION, PROXY, SELECTION, member_confidences, standard_noise

__all__ = ["Profile", "PROFILES", "FAMILY_LEVEL", "DESCRIPTIVE_LEVEL", "crosscheck", "figure6_from_run",
           "lambda_table"]

#: Simultaneous failure probability of each family of bounds (one family per part and ensemble).
FAMILY_LEVEL = 1e-3
#: Part 2 verifies an attacked point only if the attack's own estimate of its objective exceeds this
#: (a margin of -0.2 on 32 or more draws is far from adversarial).
WORTH_VERIFYING = -0.2
#: Part 2 attacks within this fraction of the largest certified radius.
INSIDE = 0.999
#: Confidence of the descriptive intervals (proportions, AUC): 95%.
DESCRIPTIVE_LEVEL = 0.05


@dataclass(frozen=True)
class Profile:
    """Sample sizes of a cross-check (fixed per profile, so that a rerun is identical)."""

    images: int                  # images of parts 1-5 and 7 (the first of the run's certified images)
    bank: int                    # estimation samples per image (Stein estimates)
    direction_samples: int       # samples that fix the gradient directions of part 1
    random_directions: int       # random directions per image in part 1
    lambda_samples: int          # samples per image of Figure 6's proxies (0: the run's n)
    attack_steps: int            # PGD steps (parts 2 and 7)
    attack_draws: int            # fixed noise draws per PGD objective
    verify_samples: int          # fresh samples that confirm an adversarial point (part 2)
    bootstrap: int               # AUC bootstrap resamples
    power_images: int = 16       # images of parts 2 and 7 attacked at inflated radii (the same at each)


PROFILES = {
    "ci": Profile(images=100, bank=4000, direction_samples=1000, random_directions=4,
                  lambda_samples=200, attack_steps=10, attack_draws=32, verify_samples=2000,
                  bootstrap=2000, power_images=16),
    "thorough": Profile(images=500, bank=20000, direction_samples=4000, random_directions=8,
                        lambda_samples=0, attack_steps=40, attack_draws=128, verify_samples=10000,
                        bootstrap=10000, power_images=100),
    # A few seconds on a CPU: every part runs, at sizes too small for its bounds to say much
    # (benchmarks/gpu.sh --dry-run). Not a result.
    "dry-run": Profile(images=1, bank=200, direction_samples=100, random_directions=1,
                       lambda_samples=50, attack_steps=1, attack_draws=2, verify_samples=100,
                       bootstrap=20, power_images=1),
}


def _bank(ens: Ensemble, images, labels, indices, prof: Profile, settings: Settings, device,
          batch_size: int, progress: bool) -> list[dict]:
    """Per-image records of :func:`analyse_image` for ``indices``, plus the certificate check."""
    man = ens.manifest
    seed, n0, cert_n, sigma = int(man["seed"]), int(man["n0"]), int(man["n"]), ens.sigma
    aligned = cert_n <= prof.bank and (cert_n % NOISE_BLOCK == 0 or cert_n == prof.bank)
    phases = [(SELECTION, n0), (ESTIMATION, prof.bank), (DIRECTION, prof.direction_samples)]
    if not aligned:  # the certificate's own estimation noise, drawn again
        phases.append((ESTIMATION, cert_n))
    shape = tuple(images.shape[1:])
    records = []
    chunk = max(1, min(8, 20_000 // sum(n for _, n in phases)))
    for start in tqdm(range(0, len(indices), chunk), desc=f"{ens.stage}: samples", unit="chunk",
                      disable=None if progress else True, dynamic_ncols=True):
        idx = indices[start:start + chunk]
        x = images[idx].to(device)
        confs = member_confidences(ens.model, x, idx, phases, sigma=sigma, seed=seed,
                                   batch_size=batch_size)
        for i, conf in zip(idx, confs):
            eps_est = standard_noise(seed, i, ESTIMATION, prof.bank, shape, device).reshape(prof.bank, -1)
            eps_dir = standard_noise(seed, i, DIRECTION, prof.direction_samples, shape, device)
            rec = analyse_image(conf[0], conf[1], eps_est.cpu().numpy(), conf[2],
                                eps_dir.reshape(prof.direction_samples, -1).cpu().numpy(), settings,
                                direction_seed=derive_seed(seed, "crosscheck-directions", i))
            cert_votes = rec["votes_est"][:cert_n] if aligned else hard_votes(conf[3], ens.weights)
            pred, radius = cohen_certificates(rec["votes_sel"], cert_votes, conf[1].shape[-1], n=cert_n,
                                              alpha=float(man["alpha"]), sigma=sigma)
            rec.update(index=int(i), label=int(labels[i]), bank_predict=pred, bank_radius=radius)
            if aligned and prof.bank >= 2 * cert_n + n0:
                # a second certificate of the same protocol on independent noise: estimation samples
                # cert_n..2 cert_n, selection samples 2 cert_n..2 cert_n + n0 (Figure 6's test-retest)
                v = rec["votes_est"]
                rec["retest"] = cohen_certificates(v[2 * cert_n:2 * cert_n + n0], v[cert_n:2 * cert_n],
                                                   conf[1].shape[-1], n=cert_n, alpha=float(man["alpha"]),
                                                   sigma=sigma)
            records.append(rec)
    return records


def _certificate_check(ens: Ensemble, records: list[dict]) -> dict:
    """Do the bank's votes reproduce the run's TSV rows (prediction and radius) for every protocol?"""
    protocols = [p for p in ens.manifest["protocols"] if p != "eas"]
    mismatches = []
    for rec in records:
        for j, name in enumerate(protocols):
            row = ens.certificates[name][rec["index"]]
            if row.predict != int(rec["bank_predict"][j]) or \
                    not np.isclose(row.radius, float(rec["bank_radius"][j]), rtol=1e-9, atol=1e-12):
                mismatches.append((rec["index"], name))
    return {"images": len(records), "protocols": len(protocols), "mismatches": mismatches}


def _at_label(pred, radius, label) -> float:
    return float(radius) if int(pred) == int(label) else 0.0


def _pair_outcomes(rec: dict, ens: Ensemble, cert_n: int, sigma: float, alpha: float, n_classes: int,
                   beta: float) -> list[dict]:
    """Parts 4 and 5 for every pair of members at one image."""
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
        r_we, r_mme, r_i, r_k = (_at_label(p, r, label) for p, r in zip(pred, radius))

        def counts(v):
            return np.stack([np.bincount(v[:, j], minlength=n_classes) for j in (2, 3)])
        eas_pred, eas_r = eas_certify(counts(v_sel), counts(v_est[:n]), n, alpha, sigma)
        r_eas = _at_label(eas_pred, eas_r, label)
        row = {"index": rec["index"], "pair": f"{i}{k}", "r_we": r_we, "r_mme": r_mme, "r_i": r_i,
               "r_k": r_k, "r_eas": r_eas}
        r_common = min(soft_r[i], soft_r[k])
        margins = rec["member_margin_point"] if rec["y_mme"] == y0 else None
        for kind in ("we", "mme"):
            pred1 = None
            if margins is not None:
                pred1 = P.corollary1_prediction(margins[i], margins[k], rec["member_margin_gram"], i, k,
                                                n_wrong, r_common, beta, kind)
            row[f"cor1_{kind}"] = pred1
        row["cor4"] = P.corollary4_prediction(np.stack([v_est[:, 2], v_est[:, 3], v_est[:, 1]], axis=1),
                                              label)
        out.append(row)
    return out


def _soft_jobs(records, factor: float) -> dict:
    """Part 2's attack targets: (record, radius, y0) per image, at ``factor`` x the largest certified
    radius of the soft WE and the soft MME."""
    return {
        "we": [(r, factor * max(r["radii"]["we_paper"], r["radii"]["we_tight"], r["radii"]["we_soft"]),
                r["y_we"]) for r in records],
        "mme": [(r, factor * max(r["radii"]["mme_paper"], r["radii"]["mme_tight"]), r["y_mme"])
                for r in records],
    }


def _soft_delta(records, n_checks: int, n_members: int) -> float:
    """One family over every verification: classes (WE) or member class pairs (MME) per point."""
    n_classes = records[0]["we_scores"]["estimate"].shape[0] if records else 2
    per_point = max(n_classes - 1, n_members * n_classes * (n_classes - 1))
    return FAMILY_LEVEL / max(1, n_checks * per_point)


def _attack_soft_job(ens: Ensemble, images, job, kind: str, prof: Profile, device, batch_size: int,
                     progress: bool, delta: float, desc: str) -> list[dict]:
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
        checks = [{"estimate": float(v), "confirmed": False, "verified": False} for v in value]
        if promising:
            found = verify_points(ens.model, pts[promising], [idx[j] for j in promising], y0[promising],
                                  kind=kind, sigma=sigma, weights=ens.weights, seed=seed,
                                  num=prof.verify_samples, batch_size=batch_size, delta=delta)
            for j, chk in zip(promising, found):
                checks[j] = {**chk, "verified": True}
        for (rec, radius, y), p, x0, chk, own in zip(part, pts, x, checks, value):
            dist = float((p - x0).norm())
            rows.append({"index": rec["index"], "y0": int(y), "attack_radius": float(radius),
                         "distance": dist, "own_estimate": float(own), **chk,
                         "point": p.detach().cpu().numpy()})
    return rows


def _soft_attacks(ens: Ensemble, images, records, prof: Profile, device, batch_size: int,
                  progress: bool) -> dict:
    """Part 2's attacks on the soft-smoothed WE and MME inside their certified radii, and on the WE
    where the necessary condition fails."""
    # just inside the largest certified radius: a point on the sphere could round to just outside
    jobs = {**_soft_jobs(records, INSIDE),
            "we_necessary": [(r, r["we_necessary_fails_at"] * (1 + 1e-6), r["y_we"]) for r in records
                             if np.isfinite(r["we_necessary_fails_at"]) and r["we_necessary_fails_at"] > 0]}
    n_checks = sum(1 for name in jobs for _, radius, _ in jobs[name] if radius > 0)
    delta = _soft_delta(records, n_checks, len(ens.weights))
    results = {}
    for name, job in jobs.items():
        kind = "mme" if name == "mme" else "we"
        results[name] = _attack_soft_job(ens, images, job, kind, prof, device, batch_size, progress, delta,
                                         f"attack soft {name}")
    results["delta"] = delta
    return results


def _power_records(records, count: int) -> list[dict]:
    """The first ``count`` images certified (r > 0) by both soft ensembles: the same images at every
    inflation factor."""
    ok = [r for r in records if min(max(r["radii"]["we_paper"], r["radii"]["we_tight"], r["radii"]["we_soft"]),
                                    max(r["radii"]["mme_paper"], r["radii"]["mme_tight"])) > 0]
    return ok[:count]


def _soft_power(ens: Ensemble, images, records, prof: Profile, device, batch_size: int,
                progress: bool) -> dict:
    """Part 2's power: the same attack at 1.25x, 1.5x, 2x the largest certified radius, on the same
    images. A row is broken when fresh samples prove the point adversarial within the inflated radius."""
    chosen = _power_records(records, prof.power_images)
    delta = _soft_delta(chosen, 2 * len(chosen) * len(P.INFLATIONS), len(ens.weights))
    out = {"delta": delta, "we": [], "mme": []}
    for factor in P.INFLATIONS:
        for kind, job in _soft_jobs(chosen, factor).items():
            rows = _attack_soft_job(ens, images, job, kind, prof, device, batch_size, progress, delta,
                                    f"power soft {kind} x{factor:g}")
            out[kind] += [{**{k: v for k, v in r.items() if k != "point"}, "inflation": factor,
                           "broken": bool(r["confirmed"]) and r["distance"] <= r["attack_radius"] * (1 + 1e-6),
                           "reached": r["own_estimate"] > 0} for r in rows]
    return out


def _hard_attack_rows(ens: Ensemble, images, rows, protocol: str, factor: float, prof: Profile, device,
                      batch_size: int, progress: bool, desc: str) -> list[dict]:
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
            results.append({**x, "radius": r.radius})
    return results


def _hard_attacks(ens: Ensemble, images, indices, prof: Profile, device, batch_size: int,
                  progress: bool) -> dict:
    """Part 7: SmoothAdv on the run's EBS WE and MME at 0.99 x the certified radius, then PREDICT."""
    out = {}
    for protocol in ("we", "mme"):
        rows = [ens.certificates[protocol][i] for i in indices]
        todo = [r for r in rows if r.predict >= 0 and r.radius > 0]
        out[protocol] = _hard_attack_rows(ens, images, todo, protocol, 0.99, prof, device, batch_size, progress,
                                          f"attack hard {protocol}")
    return out


def _hard_power(ens: Ensemble, images, indices, prof: Profile, device, batch_size: int,
                progress: bool) -> dict:
    """Part 7's power: the same attack at 1.25x, 1.5x, 2x the certified radius, on the first
    ``power_images`` images certified by both protocols. Broken: PREDICT returns another class."""
    both = [i for i in indices if all(ens.certificates[p][i].predict >= 0 and ens.certificates[p][i].radius > 0
                                      for p in ("we", "mme"))][: prof.power_images]
    out = {}
    for protocol in ("we", "mme"):
        rows = [ens.certificates[protocol][i] for i in both]
        out[protocol] = []
        for factor in P.INFLATIONS:
            res = _hard_attack_rows(ens, images, rows, protocol, factor, prof, device, batch_size, progress,
                                    f"power {protocol} x{factor:g}")
            out[protocol] += [{**r, "inflation": factor,
                               "broken": r["predict"] >= 0 and r["predict"] != r["certified"]} for r in res]
    return out


def lambda_table(ens: Ensemble, images, labels, samples: int, device, batch_size: int,
                 progress: bool) -> list[dict]:
    """Figure 6's proxies for every certified image from ``samples`` draws (0: the certificate's n)
    of the ``PROXY`` noise stream: independent of the certificates' noise (phases 0 and 1), so that X
    and Y share no Monte-Carlo error."""
    man = ens.manifest
    num = samples or int(man["n"])
    indices = list(man["all_indices"])
    out = []
    chunk = max(1, 20_000 // num)
    for start in tqdm(range(0, len(indices), chunk), desc="figure 6: proxies", unit="chunk",
                      disable=None if progress else True, dynamic_ncols=True):
        idx = indices[start:start + chunk]
        confs = member_confidences(ens.model, images[idx].to(device), idx, [(PROXY, num)],
                                   sigma=ens.sigma, seed=int(man["seed"]), batch_size=batch_size)
        for i, (conf,) in zip(idx, confs):
            out.append({"index": int(i), **P.lambda_proxies(conf, ens.weights, int(labels[i]))})
    return out


def crosscheck(run_dir, out, *, images: int | None = None, profile: str = "ci", device="cpu",
               data_dir: str = "", batch_size: int = 4000, progress: bool = True, log=print) -> dict:
    """Run the seven parts on ``run_dir`` and write ``crosscheck.md``, CSVs and plots into ``out``.

    ``images`` overrides the profile's number of images for parts 1-5 and 7 (Figure 6 uses every
    certified image). Returns the report's data (also written as CSV).
    """
    from .report import write_report  # matplotlib is loaded only when a report is written

    if profile not in PROFILES:
        raise UserError(f"--profile must be one of {sorted(PROFILES)}, got {profile!r}")
    prof = PROFILES[profile]
    if images is not None:
        if images < 1:
            raise UserError(f"--images must be at least 1, got {images}")
        prof = Profile(**{**asdict(prof), "images": int(images)})
    if batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {batch_size}")
    check_output_dir(out, "--out")
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    device = resolve_device(device, "--device")
    ensembles, imgs, labels = load_run(run_dir, device=device, data_dir=data_dir)
    drt = ensembles["drt"]
    sigma = drt.sigma
    indices = list(drt.manifest["all_indices"])[: prof.images]
    n_members, n_classes = int(drt.manifest["num_members"]), int(drt.manifest["num_classes"])
    counts = bounds_per_image(n_members, n_classes, prof.random_directions)
    betas = {"paper": float(smoothness_constant_paper(sigma)), "tight": float(smoothness_constant_tight(sigma))}
    data: dict = {"profile": asdict(prof), "profile_name": profile, "run_dir": str(run_dir),
                  "indices": indices, "sigma": sigma, "betas": betas, "family_level": FAMILY_LEVEL,
                  "descriptive_level": DESCRIPTIVE_LEVEL, "bounds_per_image": counts,
                  "device": str(device), "ensembles": {}}
    for stage, ens in ensembles.items():
        t0 = time.perf_counter()
        settings = Settings(
            sigma=sigma, weights=ens.weights, betas=betas,
            delta_theorem2=FAMILY_LEVEL / (len(indices) * counts["theorem2"]),
            delta_conditions=FAMILY_LEVEL / (len(indices) * counts["conditions"]),
            random_directions=prof.random_directions, eri_radius=sigma / 2)
        with torch.no_grad():
            records = _bank(ens, imgs, labels, indices, prof, settings, device, batch_size, progress)
        pairs = [row for rec in records
                 for row in _pair_outcomes(rec, ens, int(ens.manifest["n"]), sigma,
                                           float(ens.manifest["alpha"]), n_classes, betas["tight"])]
        data["ensembles"][stage] = {"records": records, "pairs": pairs, "settings": settings,
                                    "certificate_check": _certificate_check(ens, records),
                                    "ensemble": ens}
        timings[f"{stage}_samples_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    data["soft_attacks"] = _soft_attacks(drt, imgs, data["ensembles"]["drt"]["records"], prof, device,
                                         batch_size, progress)
    timings["soft_attacks_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    data["hard_attacks"] = _hard_attacks(drt, imgs, indices, prof, device, batch_size, progress)
    timings["hard_attacks_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    data["soft_power"] = _soft_power(drt, imgs, data["ensembles"]["drt"]["records"], prof, device,
                                     batch_size, progress)
    data["hard_power"] = _hard_power(drt, imgs, indices, prof, device, batch_size, progress)
    timings["power_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with torch.no_grad():
        data["lambdas"] = lambda_table(drt, imgs, labels, prof.lambda_samples, device, batch_size, progress)
    timings["figure6_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - t_start
    data["timings"] = timings
    path = write_report(out, data)
    if log:
        log(f"wrote {path} ({timings['total_s']:.0f} s)")
    return data


def figure6_from_run(run_dir, out, *, profile: str = "ci", device="cpu", data_dir: str = "",
                     batch_size: int = 4000, progress: bool = True) -> dict:
    """Part 6 alone: Figure 6 (PNG + CSV) of the run's DRT ensemble into ``out``."""
    from .report import write_figure6

    if profile not in PROFILES:
        raise UserError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    check_output_dir(out, "--out")
    prof = PROFILES[profile]
    device = resolve_device(device, "--device")
    ensembles, imgs, labels = load_run(run_dir, device=device, data_dir=data_dir)
    drt = ensembles["drt"]
    with torch.no_grad():
        lambdas = lambda_table(drt, imgs, labels, prof.lambda_samples, device, batch_size, progress)
    return write_figure6(out, drt, lambdas, bootstrap=prof.bootstrap)
