"""Figure 6 (Appendix D.5.3) at a chosen n, with the test-retest agreement of its outcome Y.

``python -m verify figure6 CHECKPOINT --out DIR --cert-n 10000``: Y (MME wins against WE wins, ties
counted apart) is only as good as the two certificates it compares. The cross-check's Figure 6 uses
the run's n = 1,000 certificates, at which two certifications on independent noise agree on Y for
about two images in three. This study certifies the checkpoint's images twice at the chosen n, with
two noise seeds (the certificates' selection and estimation streams of the two seeds share nothing),
reports how often the two Y agree, and computes Figure 6 from the first certification with lambda
proxies drawn from a third, independent stream (the ``PROXY`` phase of the first seed).

Both certifications are ordinary ``drt_min`` runs (``DIR/certify/first``, ``DIR/certify/second``:
Cohen's TSVs, manifests with the checkpoint's hash), so a killed study resumes where it stopped, and
the TSVs can be read by ``python -m drt_min report``.
"""

from __future__ import annotations

import json
import pathlib
import time
from typing import Any

import torch

from drt_min.atomic import atomic_write_text
from drt_min.certification import certify_checkpoint, protocol_for
from drt_min.checkpoint import load_ensemble, resolve_device
from drt_min.certify import library_versions
from drt_min.config import FINETUNE_SEED_OFFSET, to_dict
from drt_min.errors import UserError, check_output_dir
from drt_min.results import read_manifest
from drt_min.seeding import derive_seed

from . import parts as P
from .crosscheck import DESCRIPTIVE_LEVEL, PROFILES
from .inputs import load_certified, load_images
from .part6_figure6 import figure6_markdown, lambda_table, write_figure6

__all__ = ["figure6_study", "retest_seed"]


def retest_seed(seed: int) -> int:
    """The noise seed of the second certification, derived from the first (62 bits: the range of
    ``--cert-seed``)."""
    return derive_seed(seed, "figure6-retest") >> 1


def figure6_study(checkpoint, out, *, overrides: dict[str, Any] | None = None, profile: str = "ci",
                  device="cpu", data_dir: str = "", batch_size: int = 4000, progress: bool = True,
                  log=print) -> dict:
    """Certify ``checkpoint`` twice on independent noise, write Figure 6 and the test-retest of Y.

    ``overrides`` change the checkpoint's recorded certification protocol (``cert_n``,
    ``cert_every``, ``cert_max_images``, ``cert_seed``, ...: :class:`drt_min.config.CertifyConfig`);
    the second certification differs from the first only in its seed (:func:`retest_seed`).
    ``profile`` gives the proxies' sample count and the bootstrap resamples (the cross-check's).
    Returns the summary that ``figure6_study.json`` holds.
    """
    if profile not in PROFILES:
        raise UserError(f"--profile must be one of {sorted(PROFILES)}, got {profile!r}")
    prof = PROFILES[profile]
    out = pathlib.Path(out)
    check_output_dir(out, "--out")
    device = resolve_device(device, "--device")
    _, meta = load_ensemble(checkpoint, "cpu")            # the protocol, checked before any work
    first = protocol_for(meta, overrides)
    second = protocol_for(meta, {**(overrides or {}), "cert_seed": retest_seed(first.cert_seed)})
    if first.cert_precision != "fp32":
        raise UserError("--cert-precision: Figure 6's proxies evaluate the fp32 model; certify in fp32")
    t0 = time.perf_counter()
    times = {}
    for name, protocol in (("first", first), ("second", second)):
        certify_checkpoint(checkpoint, out / "certify" / name, protocol, device=device,
                           data_dir=data_dir, progress=progress)
        # the manifest's time sums every segment of a resumed certification
        times[f"certify_{name}_s"] = float(read_manifest(out / "certify" / name)["elapsed_s"])
    ens_a = load_certified(checkpoint, out / "certify" / "first", "drt", device)
    ens_b = load_certified(checkpoint, out / "certify" / "second", "drt", device)
    images, labels = load_images(ens_a, data_dir)
    t = time.perf_counter()
    with torch.no_grad():
        lambdas = lambda_table(ens_a, images, labels, prof.lambda_samples, device, batch_size, progress)
    times["proxies_s"] = time.perf_counter() - t
    f6 = write_figure6(out, ens_a, lambdas, bootstrap=prof.bootstrap)
    idx = list(ens_a.manifest["all_indices"])
    f6["retest"] = P.outcome_agreement((ens_a.radius("mme", idx), ens_a.radius("we", idx)),
                                       (ens_b.radius("mme", idx), ens_b.radius("we", idx)),
                                       DESCRIPTIVE_LEVEL)
    times["total_s"] = time.perf_counter() - t0
    summary = _summary(checkpoint, meta, first, second, prof, profile, f6, times, device)
    atomic_write_text(out / "figure6_study.json", json.dumps(summary, indent=1) + "\n")
    lines = _header(summary) + figure6_markdown(
        f6, prof.lambda_samples or first.cert_n, first.cert_n, heading="## Figure 6 (Appendix D.5.3)",
        certificates="the first certification's", retest_text=_retest_text(f6["retest"], summary))
    atomic_write_text(out / "figure6_study.md", "\n".join(lines) + "\n")
    if log:
        log(f"wrote {out / 'figure6_study.md'} ({times['total_s']:.0f} s)")
    return summary


def _summary(checkpoint, meta, first, second, prof, profile, f6, times, device) -> dict:
    """Everything needed to reproduce the study and every number its report states."""
    keys = ("images", "mme_wins", "we_wins", "ties", "ties_zero", "ties_ceiling", "ties_equal",
            "n_defined", "hypotheses_hold", "s_f_below_s", "ceiling", "auc_x", "auc_x_bootstrap",
            "auc_x_delong", "auc_x_n", "auc_x_positives", "auc_x_negatives")
    return {
        "checkpoint": str(checkpoint), "checkpoint_sha256": meta["sha256"],
        "train_config": meta["config"], "protocol": to_dict(first),
        "retest_seed": second.cert_seed, "profile": profile,
        "lambda_samples": prof.lambda_samples or first.cert_n, "bootstrap": prof.bootstrap,
        "device": str(device), "versions": library_versions(), "times": times,
        "figure6": {k: f6[k] for k in keys},
        "hypotheses": f6["hypotheses"], "tie_inclusive": f6["tie_inclusive"],
        "ties_from_x": f6["ties_from_x"], "undefined": f6["undefined"], "retest": f6["retest"],
    }


def _header(s: dict) -> list[str]:
    p, t = s["protocol"], s["times"]
    return ["# Figure 6 at n = {:,} with its test-retest".format(p["cert_n"]), "",
            f"Checkpoint `{s['checkpoint']}` (sha256 `{s['checkpoint_sha256'][:16]}...`), trained with "
            f"rho1 = {s['train_config']['rho1']}, rho2 = {s['train_config']['rho2']}, "
            + _seed_text(s["train_config"]) + ". Certified twice by CERTIFY (Cohen et al.) with sigma = "
            f"{p['cert_sigma'] or s['train_config']['sigma']}, n0 = {p['cert_n0']}, n = {p['cert_n']}, "
            f"alpha = {p['cert_alpha']}, every {p['cert_every']}-th {p['cert_split']} image from "
            f"{p['cert_start']}" + (f" (at most {p['cert_max_images']})" if p["cert_max_images"] else "")
            + f"; noise seeds {p['cert_seed']} and {s['retest_seed']}. Device {s['device']}, torch "
            f"{s['versions'].get('torch', '?')}. Time: certification {t['certify_first_s']:.0f} s + "
            f"{t['certify_second_s']:.0f} s (every segment of a resumed one), proxies "
            f"{t['proxies_s']:.0f} s; this command's last segment took {t['total_s']:.0f} s.", ""]


def _seed_text(cfg: dict) -> str:
    """The training seed as a user gave it: a fine-tuned stage of ``drt_min run --seed S`` trains
    with S + FINETUNE_SEED_OFFSET."""
    if cfg.get("init_from"):
        return (f"fine-tuning seed {cfg['seed']} (`drt_min run --seed "
                f"{cfg['seed'] - FINETUNE_SEED_OFFSET}`)")
    return f"seed {cfg['seed']}"


def _retest_text(rt: dict, s: dict) -> list[str]:
    three = rt["three_way"]
    verdict = ("at least 90%" if three["low"] >= 0.9 else "below 90%" if three["high"] < 0.9 else
               "not distinguishable from 90%")
    return [f"Test-retest of Y at n = {s['protocol']['cert_n']:,}: a second certification of the same "
            f"images on independent noise (seed {s['retest_seed']}) agrees on the outcome (MME win, WE "
            f"win, tie) for {three['k']}/{three['n']} = {three['rate']:.3f} [{three['low']:.3f}, "
            f"{three['high']:.3f}] (95% Clopper-Pearson; {verdict}), Cohen's kappa {rt['kappa']:.2f}; "
            f"where both have a winner, the winner agrees on {rt['winner_when_decided']['k']}/"
            f"{rt['winner_when_decided']['n']}."]
