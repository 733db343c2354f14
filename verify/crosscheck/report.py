"""The cross-check's report: ``crosscheck.md``, one CSV per table, the plots, the refutations.

:class:`CrossCheck` is everything :func:`verify.crosscheck.crosscheck.crosscheck` computed: the run's
settings, each ensemble's bank, and the record of each of the seven parts. Each part's module renders
its own section, CSVs and plots (``part1_theorem2`` .. ``part7_predict``); this module writes the
header, puts the sections in order, and writes everything atomically (a reader never sees half a
report). Numbers the paper reports appear only as text next to ours.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from drt_min.atomic import atomic_open, atomic_publish_dir, atomic_write_text
from drt_min.certify import library_versions
from drt_min.lock import DirectoryLock

from .bank import Bank
from .fmt import write_table
from .pairs import PairOutcome, pairs_csv
from .part1_theorem2 import Part1
from .part2_certificates import Part2
from .part3_eri import Part3
from .part4_members import Part4
from .part5_eas import Part5
from .part6_figure6 import PAPER_FIGURE6_AUC, Part6, certificate_ceiling, figure6_markdown, write_figure6
from .part7_predict import Part7
from .power import POWER_CSV_HEADER

if TYPE_CHECKING:
    from .crosscheck import Profile

__all__ = ["CrossCheck", "write_report", "write_figure6", "figure6_markdown", "certificate_ceiling",
           "PAPER_FIGURE6_AUC"]


@dataclass
class CrossCheck:
    """A cross-check's results: the run's settings, each ensemble's bank and pairs, the seven parts."""

    run_dir: str
    profile_name: str
    profile: Profile
    device: str
    sigma: float
    indices: list[int]                  # images of parts 1-5 and 7
    family_level: float
    descriptive_level: float
    banks: dict[str, Bank]              # per ensemble ("drt", then "control" if the run has one)
    pairs: dict[str, list[PairOutcome]]  # per ensemble: every pair of members at every image (parts 4-5)
    part1: Part1
    part2: Part2
    part3: Part3
    part4: Part4
    part5: Part5
    part6: Part6
    part7: Part7
    timings: dict[str, float]

    @property
    def parts(self) -> tuple:
        return (self.part1, self.part2, self.part3, self.part4, self.part5, self.part6, self.part7)


def _header(cc: CrossCheck) -> list[str]:
    """The report's title, the run's settings and each ensemble's certificate check."""
    prof, sigma = cc.profile, cc.sigma
    drt = cc.banks["drt"].ensemble
    man = drt.manifest
    lines = ["# Cross-check: the run's certificates against the theorems", "",
             f"Run `{cc.run_dir}`, profile `{cc.profile_name}`. Everything below comes from "
             "the run's checkpoints and noise streams; a rerun of the command gives the same numbers.", "",
             "| | |", "|---|---|"]
    for stage, b in cc.banks.items():
        sha = b.ensemble.meta["sha256"]
        lines.append(f"| {stage} checkpoint | `checkpoints/{stage}.pt` of the run, sha256 `{sha}` |")
    lines += [f"| certification | sigma = {sigma:g}, n0 = {man['n0']}, n = {man['n']}, alpha = {man['alpha']:g}, "
              f"noise seed {man['seed']}, WE weights {list(drt.weights)} |",
              f"| images | parts 1-5 and 7: the first {len(cc.indices)} certified images (indices "
              f"{cc.indices[0]}..{cc.indices[-1]}); part 6: all {len(man['all_indices'])} |",
              f"| samples per image | selection {man['n0']} (centring, y0), estimation {prof.bank} (Stein), "
              f"directions {prof.direction_samples}, Figure 6 {prof.lambda_samples or man['n']} |",
              f"| bounds | each family (one part, one ensemble) holds simultaneously with probability "
              f">= 1 - {cc.family_level:g} (Bonferroni over images and quantities); descriptive "
              f"intervals are {100 * (1 - cc.descriptive_level):g}% Clopper-Pearson |",
              f"| device, versions | {cc.device}; " + ", ".join(f"{k} {v}" for k, v in
                                                               library_versions().items()) + " |",
              "| time | " + ", ".join(f"{k[:-2]} {v:.0f} s" for k, v in cc.timings.items()) + " |", ""]
    lines += [b.check.markdown(stage) for stage, b in cc.banks.items()]
    lines += ["", "Figure 6 here uses the run's own certificates, at whose n the outcome Y is noisy. Figure 6 at "
              "a larger n with Y's test-retest agreement, on a rho setting that balances MME and WE wins and "
              "with two training seeds, is `benchmarks/figure6_study.py` (`python -m verify figure6`), not this "
              "report. Every sentence below is scoped to what was measured: the directions searched, and which "
              "smoothed classifier each certificate is for.", ""]
    return lines


def _markdown(cc: CrossCheck, files: list[str]) -> str:
    lines = _header(cc)
    for part in cc.parts:
        lines += part.markdown()
    lines += ["## Files", "", ", ".join(f"`{f}`" for f in files + ["summary.json"]), ""]
    return "\n".join(lines)


def _summary(cc: CrossCheck) -> dict:
    """summary.json: the profile and every part's numbers (per-image columns are in the CSVs)."""
    return {"profile": asdict(cc.profile), "timings": cc.timings,
            "part1": cc.part1.summary(), "part2": cc.part2.summary(), "part2_attacks": cc.part2.attacks_summary(),
            "part3": cc.part3.summary(), "part4": cc.part4.summary(), "part5": cc.part5.summary(),
            "part6": cc.part6.summary(), "part6_retest": cc.part6.retest,
            "part2_power": cc.part2.power, "part7_power": cc.part7.power, "part7": cc.part7.summary()}


def _plots(out_dir: pathlib.Path, cc: CrossCheck) -> list[str]:
    cc.part1.plot(out_dir)
    cc.part2.plot(out_dir)
    cc.part3.plot(out_dir)
    cc.part6.write_files(out_dir)   # figure6.png and figure6.csv
    return ["part1_theorem2.png", "part2_certificates.png", "part3_eri.png", "figure6.png"]


def _csvs(out_dir: pathlib.Path, cc: CrossCheck) -> list[str]:
    """Every CSV but figure6.csv (written with its plot); returns all CSV names, sorted."""
    files = {**cc.part1.csvs(), **cc.part2.csvs(), "part4_5_pairs.csv": pairs_csv(cc.pairs),
             "part7_attacks.csv": cc.part7.csv(),
             "power_attacks.csv": (POWER_CSV_HEADER, cc.part2.power_csv_rows() + cc.part7.power_csv_rows())}
    for name, (header, rows) in files.items():
        write_table(out_dir / name, header, rows)
    return sorted([*files, "figure6.csv"])


#: Prefix of the staging directory a cross-check writes its report into before publishing it.
STAGING_PREFIX = ".crosscheck-"


def write_report(out_dir, data: CrossCheck) -> pathlib.Path:
    """Write crosscheck.md, the CSVs, the plots, summary.json and refutations.npz; returns the .md path.

    Everything is written into a staging directory inside ``out_dir`` and then moved into place as
    one group, crosscheck.md last (:func:`drt_min.atomic.atomic_publish_dir`): an error leaves the
    previous report, or nothing, never a mix.
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # one cross-check writes into out_dir at a time; holding the lock, every staging directory
    # there belongs to no live process (a killed cross-check left it) and is removed
    with DirectoryLock(out_dir, "--out"):
        for stale in out_dir.glob(f"{STAGING_PREFIX}*"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
        staging = pathlib.Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
        try:
            files = _write_all(staging, data)
            if "refutations.npz" not in files:  # a previous report's refutations would describe other data
                (out_dir / "crosscheck.md").unlink(missing_ok=True)
                (out_dir / "refutations.npz").unlink(missing_ok=True)
            atomic_publish_dir(staging, out_dir, "crosscheck.md")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir / "crosscheck.md"


def _write_all(out_dir: pathlib.Path, cc: CrossCheck) -> list[str]:
    pngs = _plots(out_dir, cc)
    files = _csvs(out_dir, cc) + pngs
    refutations = cc.part2.refutation_points()
    if refutations:
        with atomic_open(out_dir / "refutations.npz", "wb") as fh:
            np.savez(fh, **refutations)
        files.append("refutations.npz")
    atomic_write_text(out_dir / "summary.json", json.dumps(_summary(cc), indent=1, default=_json) + "\n")
    atomic_write_text(out_dir / "crosscheck.md", _markdown(cc, files))
    return files


def _json(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, tuple):
        return list(v)
    return str(v)
