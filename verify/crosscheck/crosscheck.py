"""``python -m verify crosscheck RUN_DIR``: a trained DRT run's certificates held up against the theorems.

Seven parts, each on the run's own checkpoints and noise streams (:mod:`verify.crosscheck.sampling`),
each in its own module (computation, typed record, renderer):

1. Theorem 2 on the trained members (second derivatives of the soft-smoothed confidences):
   :mod:`~verify.crosscheck.part1_theorem2`;
2. Corollaries 2-3 (and the partner condition for N > 2) as certificates, beside the run's Cohen
   radii and the soft-smoothing certificate, then attacked: :mod:`~verify.crosscheck.part2_certificates`;
3. the Ensemble Robustness Indicator (Eq. 7) of the DRT and the rho = 0 control ensembles:
   :mod:`~verify.crosscheck.part3_eri`;
4. ensemble against single models (Corollary 1, Tables 14-15): :mod:`~verify.crosscheck.part4_members`;
5. EAS against EBS (Theorem 5 corrected, Corollary 4): :mod:`~verify.crosscheck.part5_eas`;
6. Figure 6 (Appendix D.5.3): :mod:`~verify.crosscheck.part6_figure6`;
7. certificates under a SmoothAdv attack, with Algorithm PREDICT at the attacked points:
   :mod:`~verify.crosscheck.part7_predict`.

Parts 1-5 read one bank of samples per ensemble (:mod:`verify.crosscheck.bank`). :func:`crosscheck`
loads the run, draws the banks, runs the parts and hands their records to
:func:`verify.crosscheck.report.write_report`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from drt_min.checkpoint import resolve_device
from drt_min.errors import UserError, check_output_dir
from theory.smoothing import smoothness_constant_paper, smoothness_constant_tight

from . import part1_theorem2 as part1
from . import part2_certificates as part2
from . import part3_eri as part3
from . import part4_members as part4
from . import part5_eas as part5
from . import part6_figure6 as part6
from . import part7_predict as part7
from .bank import sample_stage
from .image_stats import Settings, bounds_per_image
from .inputs import load_run
from .pairs import pair_outcomes
from .part6_figure6 import lambda_table

__all__ = ["Profile", "PROFILES", "FAMILY_LEVEL", "DESCRIPTIVE_LEVEL", "crosscheck", "figure6_from_run",
           "lambda_table"]

#: Simultaneous failure probability of each family of bounds (one family per part and ensemble).
FAMILY_LEVEL = 1e-3
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


def _attacks(drt, imgs, records, indices, prof: Profile, device, batch_size: int, progress: bool,
             timings: dict) -> tuple:
    """Parts 2 and 7's attacks on the DRT ensemble, in this order: part 2 inside the certified radii,
    part 7 inside them, then part 2's power, then part 7's. PGD takes a random direction from torch's
    global generator wherever a gradient vanishes (:func:`drt_min.attacks.l2_ascent_step`), so the
    order is part of the result: it is the order every committed report was computed in."""
    t0 = time.perf_counter()
    soft, soft_delta = part2.attack(drt, imgs, records, prof, device, batch_size, progress, FAMILY_LEVEL)
    timings["soft_attacks_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    hard = part7.attack(drt, imgs, indices, prof, device, batch_size, progress)
    timings["hard_attacks_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    soft_power = part2.power(drt, imgs, records, prof, device, batch_size, progress, FAMILY_LEVEL)
    hard_power = part7.power(drt, imgs, indices, prof, device, batch_size, progress)
    timings["power_s"] = time.perf_counter() - t0
    return soft, soft_delta, soft_power, hard, hard_power


def _profile(profile: str, images: int | None, batch_size: int) -> Profile:
    """The named profile, with ``images`` images if given; one-line errors for bad values."""
    if profile not in PROFILES:
        raise UserError(f"--profile must be one of {sorted(PROFILES)}, got {profile!r}")
    prof = PROFILES[profile]
    if images is not None:
        if images < 1:
            raise UserError(f"--images must be at least 1, got {images}")
        prof = Profile(**{**asdict(prof), "images": int(images)})
    if batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {batch_size}")
    return prof


def _banks(ensembles, imgs, labels, indices, prof: Profile, betas: dict, device, batch_size: int, progress: bool,
           timings: dict) -> tuple[dict, dict]:
    """Each ensemble's bank of parts 1-5 (:func:`verify.crosscheck.bank.sample_stage`) and its pairs of
    members at every image (:func:`verify.crosscheck.pairs.pair_outcomes`, parts 4-5). Each bound of
    part 1 and of part 2 gets an equal Bonferroni share of :data:`FAMILY_LEVEL` over the images."""
    man = ensembles["drt"].manifest
    sigma, n_classes = ensembles["drt"].sigma, int(man["num_classes"])
    counts = bounds_per_image(int(man["num_members"]), n_classes, prof.random_directions)
    banks, pairs = {}, {}
    for stage, ens in ensembles.items():
        t0 = time.perf_counter()
        settings = Settings(
            sigma=sigma, weights=ens.weights, betas=betas,
            delta_theorem2=FAMILY_LEVEL / (len(indices) * counts["theorem2"]),
            delta_conditions=FAMILY_LEVEL / (len(indices) * counts["conditions"]),
            random_directions=prof.random_directions, eri_radius=sigma / 2)
        banks[stage] = sample_stage(ens, imgs, labels, indices, prof, settings, device, batch_size, progress)
        pairs[stage] = [row for rec in banks[stage].records
                        for row in pair_outcomes(rec, ens, int(ens.manifest["n"]), sigma,
                                                 float(ens.manifest["alpha"]), n_classes, betas["tight"])]
        timings[f"{stage}_samples_s"] = time.perf_counter() - t0
    return banks, pairs


def crosscheck(run_dir, out, *, images: int | None = None, profile: str = "ci", device="cpu",
               data_dir: str = "", batch_size: int = 4000, progress: bool = True, log=print):
    """Run the seven parts on ``run_dir`` and write ``crosscheck.md``, CSVs and plots into ``out``.

    ``images`` overrides the profile's number of images for parts 1-5 and 7 (Figure 6 uses every
    certified image). Returns the report's :class:`verify.crosscheck.report.CrossCheck` (also written
    as CSV and summary.json).
    """
    from .report import CrossCheck, write_report  # matplotlib is loaded only when a report is written

    prof = _profile(profile, images, batch_size)
    check_output_dir(out, "--out")
    timings: dict[str, float] = {}
    t_start = time.perf_counter()

    # load the run; the settings every part shares
    device = resolve_device(device, "--device")
    ensembles, imgs, labels = load_run(run_dir, device=device, data_dir=data_dir)
    drt = ensembles["drt"]
    sigma = drt.sigma
    indices = list(drt.manifest["all_indices"])[: prof.images]
    betas = {"paper": float(smoothness_constant_paper(sigma)), "tight": float(smoothness_constant_tight(sigma))}

    # the samples: the banks of parts 1-5 and the DRT ensemble's attacks of parts 2 and 7
    banks, pairs = _banks(ensembles, imgs, labels, indices, prof, betas, device, batch_size, progress, timings)
    soft, soft_delta, soft_power, hard, hard_power = _attacks(drt, imgs, banks["drt"].records, indices, prof,
                                                              device, batch_size, progress, timings)

    # the seven parts
    p1 = part1.part1(banks, sigma=sigma, tight=betas["tight"], paper=betas["paper"],
                     random_directions=prof.random_directions)
    p2 = part2.part2(banks, soft, soft_delta, soft_power, prof, DESCRIPTIVE_LEVEL)
    p3 = part3.part3(banks, sigma=sigma, level=DESCRIPTIVE_LEVEL)
    p4 = part4.part4({stage: (ensembles[stage], pairs[stage]) for stage in banks}, DESCRIPTIVE_LEVEL)
    p5 = part5.part5({stage: (ensembles[stage], pairs[stage]) for stage in banks}, DESCRIPTIVE_LEVEL)
    t0 = time.perf_counter()
    with torch.no_grad():
        lambdas = lambda_table(drt, imgs, labels, prof.lambda_samples, device, batch_size, progress)
    timings["figure6_s"] = time.perf_counter() - t0
    p6 = part6.part6(drt, lambdas, banks["drt"].records, bootstrap=prof.bootstrap, proxy_samples=prof.lambda_samples,
                     level=DESCRIPTIVE_LEVEL)
    p7 = part7.part7(drt, hard, hard_power, prof, family_level=FAMILY_LEVEL, level=DESCRIPTIVE_LEVEL)
    timings["total_s"] = time.perf_counter() - t_start

    # write
    result = CrossCheck(run_dir=str(run_dir), profile_name=profile, profile=prof, device=str(device), sigma=sigma,
                        indices=indices, family_level=FAMILY_LEVEL,
                        descriptive_level=DESCRIPTIVE_LEVEL, banks=banks, pairs=pairs, part1=p1, part2=p2,
                        part3=p3, part4=p4, part5=p5, part6=p6, part7=p7, timings=timings)
    path = write_report(out, result)
    if log:
        log(f"wrote {path} ({timings['total_s']:.0f} s)")
    return result


def figure6_from_run(run_dir, out, *, profile: str = "ci", device="cpu", data_dir: str = "",
                     batch_size: int = 4000, progress: bool = True) -> dict:
    """Part 6 alone: Figure 6 (PNG + CSV) of the run's DRT ensemble into ``out``."""
    if profile not in PROFILES:
        raise UserError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}")
    check_output_dir(out, "--out")
    prof = PROFILES[profile]
    device = resolve_device(device, "--device")
    ensembles, imgs, labels = load_run(run_dir, device=device, data_dir=data_dir)
    drt = ensembles["drt"]
    with torch.no_grad():
        lambdas = lambda_table(drt, imgs, labels, prof.lambda_samples, device, batch_size, progress)
    return part6.write_figure6(out, drt, lambdas, bootstrap=prof.bootstrap)
