"""The bank: one ensemble's samples on the run's seeded noise streams, analysed per image for parts 1-5.

Every part from 1 to 5 reads the same per-image records (:func:`verify.crosscheck.image_stats.analyse_image`
on the selection, estimation and direction phases), so they are drawn once per ensemble. Where the
bank's estimation samples begin with the certificate's own (n a multiple of the noise block, or the
whole bank), its votes recompute the run's Cohen certificates: :func:`certificate_check` compares
them with the TSV rows, so that every later part is known to read the run's noise. A bank of at least
2 n + n0 samples also holds a second certification on independent noise (Figure 6's test-retest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from drt_min.seeding import derive_seed
from drt_min.smoothing import NOISE_BLOCK

from .image_stats import Settings, analyse_image, cohen_certificates, hard_votes
from .inputs import Ensemble
from .sampling import DIRECTION, ESTIMATION, SELECTION, member_confidences, standard_noise

__all__ = ["Bank", "CertificateCheck", "bank", "certificate_check", "sample_stage"]


@dataclass(frozen=True)
class CertificateCheck:
    """Do the bank's votes reproduce the run's TSV rows (prediction and radius) for every protocol?"""

    images: int
    protocols: int
    mismatches: list            # (index, protocol) of each row the bank does not reproduce

    def markdown(self, stage: str) -> str:
        verdict = "all equal" if not self.mismatches else f"{len(self.mismatches)} MISMATCHES: {self.mismatches[:5]}"
        return (f"Certificate check ({stage}): the cross-check's own samples recompute the run's "
                f"TSV rows (prediction and radius) for {self.images} images x {self.protocols} "
                f"EBS protocols: {verdict}.")


@dataclass
class Bank:
    """One ensemble's per-image records (:func:`bank`) with the settings they were computed at."""

    ensemble: Ensemble
    records: list[dict]
    settings: Settings
    check: CertificateCheck


def bank(ens: Ensemble, images, labels, indices, prof, settings: Settings, device, batch_size: int,
         progress: bool) -> list[dict]:
    """Per-image records of :func:`analyse_image` for ``indices``, plus the certificate check's
    ``bank_predict``, ``bank_radius`` and, where the bank is large enough, ``retest``."""
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


def certificate_check(ens: Ensemble, records: list[dict]) -> CertificateCheck:
    """Compare the bank's recomputed certificates with the run's TSV rows, protocol by protocol."""
    protocols = [p for p in ens.manifest["protocols"] if p != "eas"]
    mismatches = []
    for rec in records:
        for j, name in enumerate(protocols):
            row = ens.certificates[name][rec["index"]]
            if row.predict != int(rec["bank_predict"][j]) or \
                    not np.isclose(row.radius, float(rec["bank_radius"][j]), rtol=1e-9, atol=1e-12):
                mismatches.append((rec["index"], name))
    return CertificateCheck(images=len(records), protocols=len(protocols), mismatches=mismatches)


def sample_stage(ens: Ensemble, images, labels, indices, prof, settings: Settings, device, batch_size: int,
                 progress: bool) -> Bank:
    """:func:`bank` and :func:`certificate_check` of one ensemble."""
    with torch.no_grad():
        records = bank(ens, images, labels, indices, prof, settings, device, batch_size, progress)
    return Bank(ensemble=ens, records=records, settings=settings, check=certificate_check(ens, records))
