"""Summary and plot of a certification run: certified accuracy at fixed radii, then the ACR.

The curves are those of :mod:`drt_min.curves` (certified accuracy in Cohen et al.'s convention,
the Average Certified Radius of Zhai et al., 2020) on the rows of :func:`drt_min.results.read_tsv`.
Every file is written atomically; matplotlib is imported inside :func:`plot_certified_accuracy`
only, with the Agg backend.
"""

from __future__ import annotations

import pathlib

import numpy as np

from drt_min import results as res
from drt_min.atomic import atomic_save_figure, atomic_write_text
from drt_min.curves import PAPER_RADII, average_certified_radius, certified_accuracy
from drt_min.csvtable import write_csv
from drt_min.errors import UserError, check_output_dir

__all__ = ["summarize", "write_report", "plot_certified_accuracy"]


def summarize(run_dir) -> tuple[dict, dict[str, list]]:
    """The manifest and the validated rows of every protocol of a complete run."""
    run_dir = pathlib.Path(run_dir)
    manifest = res.read_manifest(run_dir)
    if manifest.get("status") != "complete":
        raise UserError(f"{run_dir} is not a complete run (status {manifest.get('status')!r}); "
                         "resume it, or merge its shards first")
    tables = {}
    for name in manifest["protocols"]:
        rows = res.read_certificates(run_dir, name, manifest)
        if [r.idx for r in rows] != manifest["indices"]:
            missing = sorted(set(manifest["indices"]) - {r.idx for r in rows})
            detail = f"no row for image {missing[0]}" if missing else "other images or order"
            raise UserError(f"{run_dir / (name + '.tsv')} does not hold the run's images "
                            f"({len(rows)} rows for {len(manifest['indices'])} images: {detail})")
        tables[name] = rows
    res.check_labels(tables, run_dir)
    return manifest, tables


def write_report(run_dir) -> pathlib.Path:
    """Write ``summary.md``, ``summary.csv``, ``certified_accuracy.png`` and its data
    ``certified_accuracy.csv`` into ``run_dir``; returns the path of ``summary.md``."""
    run_dir = pathlib.Path(run_dir)
    manifest, tables = summarize(run_dir)
    check_output_dir(run_dir, "run directory")
    radii = PAPER_RADII
    header = ["protocol"] + [f"{r:.2f}" for r in radii] + ["ACR", "abstain"]
    lines_md = [
        f"# Certification summary: {run_dir.name}",
        "",
        f"sigma = {manifest['sigma']}, n0 = {manifest['n0']}, n = {manifest['n']}, "
        f"alpha = {manifest['alpha']}, images = {len(manifest['indices'])}, "
        f"seed = {manifest['seed']}, device = {manifest.get('device')}"
        + ("" if manifest.get("precision", "fp32") == "fp32" else
           f", precision = {manifest['precision']} (certificates of the {manifest['precision']} "
           "classifier, not of the fp32 model)"),
        "",
        "Certified accuracy (%) at radius r, then the Average Certified Radius (ACR).",
        "EAS bounds each member at alpha / N (Bonferroni) and uses the corrected Theorem 5.",
        "",
        "| protocol | " + " | ".join(f"{r:.2f}" for r in radii) + " | ACR | abstain (%) |",
        "|---" * (len(radii) + 3) + "|",
    ]
    rows_csv = []
    for name, rows in tables.items():
        acc = [certified_accuracy(rows, r) for r in radii]
        acr = average_certified_radius(rows)
        abstain = sum(1 for r in rows if r.predict == -1) / len(rows)
        rows_csv.append([name] + [repr(a) for a in acc] + [repr(acr), repr(abstain)])
        lines_md.append(f"| {name} | " + " | ".join(f"{100 * a:.1f}" for a in acc)
                        + f" | {acr:.4f} | {100 * abstain:.1f} |")
    write_csv(run_dir / "summary.csv", header, rows_csv, line_end="\n")
    summary = run_dir / "summary.md"
    atomic_write_text(summary, "\n".join(lines_md) + "\n")
    plot_certified_accuracy(tables, run_dir / "certified_accuracy.png",
                            run_dir / "certified_accuracy.csv", sigma=manifest["sigma"])
    return summary


def plot_certified_accuracy(tables: dict, png_path, csv_path, *, sigma: float) -> None:
    """Certified accuracy against radius, one curve per protocol; also writes the curve data."""
    top = max([r.radius for rows in tables.values() for r in rows] + [PAPER_RADII[-1]])
    grid = np.linspace(0.0, top * 1.02, 256)
    curves = {name: np.array([certified_accuracy(rows, g) for g in grid]) for name, rows in tables.items()}
    write_csv(csv_path, ["radius", *curves],
              ([repr(float(g))] + [repr(float(c[i])) for c in curves.values()] for i, g in enumerate(grid)),
              line_end="\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    try:
        for name, c in curves.items():
            ax.plot(grid, c, label=name, linestyle="--" if name.startswith("member") else "-")
        ax.set_xlabel("L2 radius")
        ax.set_ylabel("certified accuracy")
        ax.set_title(f"sigma = {sigma}")
        ax.set_ylim(0.0, 1.0)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        atomic_save_figure(fig, png_path, dpi=120)
    finally:
        plt.close(fig)
