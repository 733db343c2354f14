"""Figure 6 in the paper's setting: a rho grid that balances MME and WE wins, two training seeds,
and Y certified at a large n with its test-retest agreement.

    DRT_DATA_DIR=../shared/data python benchmarks/figure6_study.py --out runs/figure6 \
        --grid-cert-every 20 --cert-every 200 --cert-n 30000 --report docs/verify/figure6-study

Appendix D.5.3 varied DRT's hyper-parameters until WE and MME each won on about half the images.
Steps, each a command of the package (rerunning the script resumes every one of them):

1. ``python -m drt_min run --preset cpu --rho1 A --rho2 B --seed S --control false`` for each grid
   point at ``--grid-seed``; the run's certificates (the preset's n: 1,000 for ``cpu``) give the share of MME wins among the
   images where one of the two wins (ties counted apart), with its Clopper-Pearson interval;
2. the grid point whose share is nearest 1/2 is trained again with every other ``--seeds``;
3. ``python -m verify figure6`` on each seed's DRT checkpoint at ``--cert-n`` on every
   ``--cert-every``-th test image: Figure 6's ties-excluded AUC and Y's test-retest agreement.

``--report DIR`` copies each seed's Figure 6 report (Markdown, JSON, CSV, PNG) and the certificates
behind it into DIR and writes DIR/README.md with the grid and the per-seed results.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drt_min.atomic import atomic_write_text  # noqa: E402
from drt_min.curves import certified_radii  # noqa: E402
from drt_min.results import read_certificates, read_manifest  # noqa: E402
from verify.crosscheck.parts import figure6_outcomes, proportion  # noqa: E402

#: (rho1, rho2): the cpu preset's point and three rows of Table 6 (sigma = 1.0).
DEFAULT_GRID = ((2.0, 0.5), (0.5, 2.0), (5.0, 0.5), (5.0, 5.0))


def _pair(text: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a grid point is RHO1,RHO2, got {text!r}") from None
    return a, b


def _run(cmd: list[str], log: list[str]) -> None:
    """Run a package command (resumes if its output exists) and record it."""
    log.append(" ".join(cmd[2:] if cmd[0] == sys.executable else cmd))
    print("$", log[-1], flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env={"OMP_NUM_THREADS": "1", **os.environ})


def _balance(run_dir: pathlib.Path) -> dict:
    """MME wins, WE wins and ties of a run's DRT certificates, and the share of MME wins."""
    cert = run_dir / "certify" / "drt"
    man = read_manifest(cert)
    r = {p: certified_radii(read_certificates(cert, p, man)) for p in ("mme", "we")}
    counts = figure6_outcomes(r["mme"], r["we"])["counts"]
    share = proportion(counts["mme_wins"], counts["mme_wins"] + counts["we_wins"], 0.05)
    return {**counts, "mme_share": share, "n": int(man["n"])}


def most_balanced(grid: dict) -> tuple[float, float]:
    """The grid point whose share of MME wins among the decided images is nearest 1/2 (the first of
    equals; a point without a decided image cannot be balanced)."""
    shares = {rho: b["mme_share"]["rate"] for rho, b in grid.items() if b["mme_share"]["n"] > 0}
    if not shares:
        raise SystemExit("no grid point has an image where MME or WE wins: certify more images")
    return min(shares, key=lambda rho: abs(shares[rho] - 0.5))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=pathlib.Path, help="directory of the runs")
    ap.add_argument("--preset", default="cpu", help="the runs' preset ('smoke': a dry run for tests)")
    ap.add_argument("--grid", nargs="+", type=_pair, default=list(DEFAULT_GRID), metavar="RHO1,RHO2")
    ap.add_argument("--grid-seed", type=int, default=0)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1],
                    help="training seeds of the balanced setting (the grid seed is reused)")
    ap.add_argument("--grid-cert-every", type=int, default=10,
                    help="the grid runs certify every k-th test image (at the preset's n)")
    ap.add_argument("--cert-n", type=int, default=10_000)
    ap.add_argument("--cert-every", type=int, default=30)
    ap.add_argument("--cert-max-images", type=int, default=0)
    ap.add_argument("--report", type=pathlib.Path, default=None)
    ap.add_argument("--data-dir", default="")
    ap.add_argument("--jobs", type=int, default=2, help="commands run at a time (each with "
                    "OMP_NUM_THREADS=1 when the variable is unset)")
    args = ap.parse_args(argv)
    py = [sys.executable, "-m"]
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    commands: list[str] = []

    def run_dir(rho, seed):
        return args.out / f"seed{seed}" / f"rho{rho[0]:g}_{rho[1]:g}"

    def train(rho, seed):
        d = run_dir(rho, seed)
        _run(
            py + ["drt_min", "run", "--preset", args.preset, "--rho1", str(rho[0]), "--rho2", str(rho[1]),
                  "--seed", str(seed), "--control", "false", "--cert-every", str(args.grid_cert_every),
                  "--out", str(d), "--no-progress", *data], commands)
        return _balance(d)

    # single-threaded commands, --jobs at a time: on a few cores this beats one multi-threaded one
    with ThreadPoolExecutor(args.jobs) as pool:
        grid = dict(zip(args.grid, pool.map(lambda rho: train(rho, args.grid_seed), args.grid)))
        best = most_balanced(grid)
        seeds = [args.grid_seed] + [s for s in args.seeds if s != args.grid_seed]
        balance = {args.grid_seed: grid[best], **dict(zip(seeds[1:], pool.map(lambda s: train(best, s),
                                                                               seeds[1:])))}

        def study(s):
            ckpt = run_dir(best, s) / "checkpoints" / "drt.pt"
            out = run_dir(best, s) / f"figure6-n{args.cert_n}"
            _run(
                py + ["verify", "figure6", str(ckpt), "--out", str(out), "--cert-n", str(args.cert_n),
                      "--cert-every", str(args.cert_every), "--cert-max-images", str(args.cert_max_images),
                      "--no-progress", *data], commands)
            return out, json.loads((out / "figure6_study.json").read_text())

        studies = dict(zip(seeds, pool.map(study, seeds)))
    text = _readme(args, grid, best, balance, studies, commands)
    target = args.report or args.out
    target.mkdir(parents=True, exist_ok=True)
    if args.report:
        for s, (out, _) in studies.items():
            dest = target / f"seed{s}"
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(out, dest)
    atomic_write_text(target / "README.md", text)
    print(f"wrote {target / 'README.md'}")
    return 0


def _elapsed(cert_dir: pathlib.Path) -> float:
    return float(read_manifest(cert_dir)["elapsed_s"])


def _ci(p: dict) -> str:
    return f"{p['k']}/{p['n']} = {p['rate']:.3f} [{p['low']:.3f}, {p['high']:.3f}]"


def _auc(a: dict) -> str:
    if a["auc"] is None or not np.isfinite(a["auc"]):
        return f"undefined ({a['positives']}/{a['negatives']})"
    lo, hi = a["bootstrap"]
    return f"{a['auc']:.3f} [{lo:.3f}, {hi:.3f}] ({a['positives']}/{a['negatives']})"


def _readme(args, grid, best, balance, studies, commands) -> str:
    lines = ["# Figure 6 in the paper's setting: balanced rho, two seeds, Y at n = {:,}".format(args.cert_n),
             "", "Written by `benchmarks/figure6_study.py` (its docstring says what each step does). "
             "All numbers below are computed by the package from the runs; none is taken from the paper.", "",
             f"## 1. The rho grid (seed {args.grid_seed}, `{args.preset}` preset, n = "
             f"{grid[best]['n']:,}, every {args.grid_cert_every}-th test image)", "",
             "| rho1 | rho2 | MME wins | WE wins | ties | MME share of decided (95% CP) |", "|---|---|---|---|---|---|"]
    for rho, b in grid.items():
        mark = " **(most balanced)**" if rho == best else ""
        lines.append(f"| {rho[0]:g} | {rho[1]:g} | {b['mme_wins']} | {b['we_wins']} | {b['ties']} | "
                     f"{_ci(b['mme_share'])}{mark} |")
    lines += ["", f"## 2. Figure 6 at rho = ({best[0]:g}, {best[1]:g}), per training seed", "",
              "Y (MME wins against WE wins; ties counted apart and left out) from a certification at "
              f"n = {args.cert_n:,} on every {args.cert_every}-th test image; X from "
              f"{next(iter(studies.values()))[1]['lambda_samples']} proxy samples per "
              "image on an independent stream; test-retest: a second certification of the same images on "
              "independent noise. Intervals: 95% bootstrap (AUC), 95% Clopper-Pearson (proportions).", "",
              f"| seed | MME share at n = {grid[best]['n']:,} | images | MME / WE / ties (zero, ceiling, equal) | AUC of X, ties "
              "excluded (MME/WE) | AUC where Cor. 5's hypotheses hold | Y test-retest (3-way) | kappa |",
              "|---|---|---|---|---|---|---|---|"]
    for s, (out, st) in studies.items():
        f = st["figure6"]
        head = {"auc": f["auc_x"], "bootstrap": f["auc_x_bootstrap"], "positives": f["auc_x_positives"],
                "negatives": f["auc_x_negatives"]}
        rt = st["retest"]
        lines.append(f"| {s} | {_ci(balance[s]['mme_share'])} | {f['images']} | {f['mme_wins']} / {f['we_wins']} / "
                     f"{f['ties']} ({f['ties_zero']}, {f['ties_ceiling']}, {f['ties_equal']}) | {_auc(head)} | "
                     f"{_auc(st['hypotheses'])} on {f['hypotheses_hold']} images | {_ci(rt['three_way'])} | "
                     f"{rt['kappa']:.2f} |")
    pooled = proportion(sum(st["retest"]["three_way"]["k"] for _, st in studies.values()),
                        sum(st["retest"]["three_way"]["n"] for _, st in studies.values()), 0.05)
    lines += ["", f"Y's test-retest agreement pooled over the seeds: {_ci(pooled)}."]
    lines += ["", "Each seed's full report (every AUC variant, the tie kinds, the ROC plot) is in "
              "`seedS/figure6_study.md`; its certificates in `seedS/certify/`.", "",
              "## Commands and times", "", "```"] + commands + ["```", "",
              "| step | certification time (s) |", "|---|---|"]
    for rho in grid:
        run = args.out / f"seed{args.grid_seed}" / f"rho{rho[0]:g}_{rho[1]:g}"
        lines.append(f"| grid seed {args.grid_seed}, rho ({rho[0]:g}, {rho[1]:g}): {grid[rho]['images']} images "
                     f"at n = {grid[rho]['n']:,} | {_elapsed(run / 'certify' / 'drt'):.0f} |")
    for s, (out, st) in studies.items():
        t = st["times"]
        lines.append(f"| seed {s}: two certifications of {st['figure6']['images']} images at n = "
                     f"{args.cert_n:,} | {t['certify_first_s']:.0f} + {t['certify_second_s']:.0f} |")
    lines += ["", f"{args.jobs} single-threaded commands ran at a time; a certification's time sums every "
              "segment of a resumed one. Training times are not kept across resumes (`timings.json` holds the "
              "last segment's); a `cpu` preset run trains in about 1.5 min on a quiet 2-core machine "
              "(benchmarks/results/train-cpu-preset.md)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
