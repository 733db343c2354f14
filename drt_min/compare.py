"""DRT against the rho1 = rho2 = 0 control: certified-accuracy curves and a paired test.

Both ensembles are certified on the same test images with the same noise, so the comparison is
paired. :func:`paired_tests` gives, per protocol and radius, the images certified (correct and at
radius >= r) by one ensemble only, and McNemar's exact two-sided test on them (a binomial test of
the discordant images at 1/2), and the ACR difference with a percentile bootstrap interval over
the images (the mean per-image difference of certified radii, a wrong or abstained prediction
counting 0).

Certificates are read with :func:`drt_min.results.read_tsv` (validated rows) and summarised with
:mod:`drt_min.curves`; every file is written atomically (:mod:`drt_min.atomic`).
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
from scipy.stats import binomtest

from drt_min.atomic import atomic_save_figure, atomic_write_text
from drt_min.curves import PAPER_RADII, average_certified_radius, certified_accuracy, certified_radii
from drt_min.csvtable import write_csv
from drt_min.errors import UserError, check_output_dir, child_path
from drt_min.results import Row, check_labels, read_certificates, read_manifest, read_tsv
from drt_min.seeding import numpy_stream
from drt_min.smoothing import max_certifiable_radius

__all__ = ["comparison_table", "paired_tests", "write_comparison", "plot_comparison",
           "compare_certifications"]


def _certificates(directory: pathlib.Path, protocol: str) -> list[Row]:
    """Validated rows of one protocol; with a manifest beside them, radii checked against it."""
    directory = pathlib.Path(directory)
    if (directory / "manifest.json").exists():
        return read_certificates(directory, protocol)
    return read_tsv(child_path(directory, protocol, ".tsv", what="protocol"), require_rows=True)


def comparison_table(drt_dir: pathlib.Path, control_dir: pathlib.Path,
                     protocols=("mme", "we"), radii=PAPER_RADII) -> list[dict[str, Any]]:
    """Certified accuracy at ``radii`` and ACR of DRT and control for each protocol (one row each)."""
    table = []
    for protocol in protocols:
        for name, directory in (("DRT", drt_dir), ("control (rho=0)", control_dir)):
            rows = _certificates(directory, protocol)
            table.append({"ensemble": name, "protocol": protocol.upper(), "images": len(rows),
                          "accuracy": [certified_accuracy(rows, r) for r in radii],
                          "acr": average_certified_radius(rows)})
    return table


def paired_tests(drt_dir: pathlib.Path, control_dir: pathlib.Path, protocols=("mme", "we"),
                 radii=PAPER_RADII, *, bootstrap: int = 10_000, seed: int = 0) -> list[dict[str, Any]]:
    """Per protocol: McNemar's exact test at each radius and the ACR difference (DRT - control).

    Returns one dict per protocol with ``drt_only`` / ``control_only`` (images certified at radius
    >= r by that ensemble alone, one entry per radius), ``p`` (exact two-sided McNemar p-values;
    1 where no image is discordant), ``acr_diff`` and its 95% bootstrap interval ``acr_ci``.
    """
    out = []
    rng = numpy_stream(seed, "compare:bootstrap")
    for protocol in protocols:
        drt = _certificates(drt_dir, protocol)
        ctl = _certificates(control_dir, protocol)
        if [r.idx for r in drt] != [r.idx for r in ctl]:
            raise UserError(f"{protocol}: DRT and control were certified on different images")
        check_labels({pathlib.Path(drt_dir) / f"{protocol}.tsv": drt,
                      pathlib.Path(control_dir) / f"{protocol}.tsv": ctl})
        rad_d, rad_c = certified_radii(drt), certified_radii(ctl)
        drt_only, control_only, pvalues = [], [], []
        for radius in radii:
            a, b = rad_d >= radius, rad_c >= radius
            if radius == 0:  # certified at 0 means correct and not abstained
                a = np.array([bool(r.correct) for r in drt])
                b = np.array([bool(r.correct) for r in ctl])
            k, m = int(np.sum(a & ~b)), int(np.sum(b & ~a))
            drt_only.append(k)
            control_only.append(m)
            pvalues.append(binomtest(k, k + m, 0.5).pvalue if k + m else 1.0)
        diff = rad_d - rad_c
        means = diff[rng.integers(0, len(diff), size=(bootstrap, len(diff)))].mean(axis=1)
        lo, hi = np.quantile(means, [0.025, 0.975])
        out.append({"protocol": protocol.upper(), "images": len(drt), "radii": list(radii),
                    "drt_only": drt_only, "control_only": control_only, "p": pvalues,
                    "acr_diff": float(diff.mean()), "acr_ci": (float(lo), float(hi))})
    return out


def write_comparison(out: pathlib.Path, table: list[dict[str, Any]], *, sigma: float, n0: int,
                     n: int, alpha: float, description: str = "", radii=PAPER_RADII,
                     paired: list[dict[str, Any]] | None = None, plot: bool = True) -> pathlib.Path:
    """``comparison.md`` and ``comparison.csv`` (and ``comparison.png``) in ``out``.

    ``sigma``, ``n0``, ``n`` and ``alpha`` are the certification settings shared by both
    ensembles; ``description`` (the images, the DRT weights, ...) is added to the text.
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    largest = max_certifiable_radius(n, alpha, sigma)
    head = ["ensemble", "protocol"] + [f"{r:.2f}" for r in radii] + ["ACR"]
    csv_rows = []
    md = [f"# DRT vs the rho1 = rho2 = 0 control (sigma = {sigma:g})", "",
          f"Certified accuracy (%) at L2 radius r on {table[0]['images']} test images, "
          f"n0 = {n0}, n = {n}, alpha = {alpha:g}. {description}".rstrip() +
          f" With this n and alpha no radius above {largest:.2f} can be certified.", "",
          "| ensemble | protocol | " + " | ".join(head[2:]) + " |",
          "|---|---|" + "---|" * (len(head) - 2)]
    for row in table:
        acc = [f"{100 * a:.1f}" for a in row["accuracy"]]
        md.append(f"| {row['ensemble']} | {row['protocol']} | " + " | ".join(acc) +
                  f" | {row['acr']:.3f} |")
        csv_rows.append([row["ensemble"], row["protocol"]] + [f"{a:.6f}" for a in row["accuracy"]] +
                        [f"{row['acr']:.6f}"])
    if paired:
        md += ["", "Paired comparison (same images, same noise). At each radius r: images certified "
               "(correct and radius >= r) by DRT only / by the control only, and McNemar's exact "
               "two-sided p-value. No correction for looking at several radii.", "",
               "| protocol | " + " | ".join(head[2:-1]) + " | ACR difference (95% bootstrap CI) |",
               "|---|" + "---|" * (len(head) - 2)]
        for row in paired:
            cells = [f"{k} / {m}, p = {p:.2g}" for k, m, p in
                     zip(row["drt_only"], row["control_only"], row["p"])]
            lo, hi = row["acr_ci"]
            md.append(f"| {row['protocol']} | " + " | ".join(cells) +
                      f" | {row['acr_diff']:+.3f} [{lo:+.3f}, {hi:+.3f}] |")
    write_csv(out / "comparison.csv", head, csv_rows, line_end="\n")
    if plot:
        plot_comparison(table, radii, out / "comparison.png", sigma=sigma, max_radius=largest,
                        paired=paired)
        md += ["", "![certified accuracy](comparison.png)"]
    path = out / "comparison.md"
    atomic_write_text(path, "\n".join(md) + "\n")
    return path


def compare_certifications(drt_dir: pathlib.Path, control_dir: pathlib.Path, out: pathlib.Path,
                           *, plot: bool = True) -> pathlib.Path:
    """The comparison of two certification runs (``python -m drt_min compare``).

    Both must have certified the same images with the same sigma, n0, n, alpha and noise seed,
    as their manifests record; otherwise the comparison is not paired and this raises.
    """
    a, b = read_manifest(drt_dir), read_manifest(control_dir)
    check_output_dir(out, "--out")
    keys = ("sigma", "n0", "n", "alpha", "seed", "all_indices")
    differ = [k for k in keys if a.get(k) != b.get(k)]
    if differ:
        raise UserError(f"{drt_dir} and {control_dir} differ in {', '.join(differ)}: "
                         "a paired comparison needs the same images, settings and noise")
    for manifest, where in ((a, drt_dir), (b, control_dir)):
        if manifest.get("status") != "complete":
            raise UserError(f"{where}: certification is not complete (status "
                             f"{manifest.get('status')!r}; merge shards or resume it first)")
    protocols = [p for p in ("mme", "we") if p in a.get("protocols", []) and p in b.get("protocols", [])]
    table = comparison_table(drt_dir, control_dir, protocols=protocols)
    paired = paired_tests(drt_dir, control_dir, protocols=protocols)

    def trained(manifest):
        cfg = (manifest.get("extra") or {}).get("train_config") or {}
        if "rho1" in cfg:
            return f"rho1 = {cfg['rho1']:g}, rho2 = {cfg.get('rho2', 0):g}"
        return "training settings not recorded"

    description = (f"Noise seed {a['seed']}. DRT: {drt_dir} ({trained(a)}); control: {control_dir} "
                   f"({trained(b)}).")
    return write_comparison(out, table, sigma=a["sigma"], n0=a["n0"], n=a["n"], alpha=a["alpha"],
                            description=description, paired=paired, plot=plot)


def plot_comparison(table: list[dict[str, Any]], radii, png_path: pathlib.Path, *,
                    sigma: float, max_radius: float | None = None,
                    paired: list[dict[str, Any]] | None = None) -> None:
    """Certified accuracy against radius, DRT solid and control dashed, one colour per protocol;
    with ``paired``, a lower panel of DRT minus control in points, filled where McNemar's p < 0.05."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if paired:
        fig, (ax, low) = plt.subplots(2, 1, figsize=(6, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [2, 1]})
    else:
        fig, ax = plt.subplots(figsize=(6, 4))
        low = None
    try:
        _draw_comparison(ax, low, table, radii, sigma=sigma, max_radius=max_radius, paired=paired)
        fig.tight_layout()
        atomic_save_figure(fig, png_path, dpi=120)
    finally:
        plt.close(fig)


def _draw_comparison(ax, low, table, radii, *, sigma, max_radius, paired) -> None:
    colours = {"MME": "tab:blue", "WE": "tab:orange"}
    for row in table:
        style = "-" if row["ensemble"] == "DRT" else "--"
        ax.plot(radii, [100 * a for a in row["accuracy"]], style,
                color=colours.get(row["protocol"], None), marker="o", markersize=3,
                label=f"{row['ensemble']} + {row['protocol']}")
    ax.set_ylabel("certified accuracy (%)")
    ax.set_title(f"MNIST, sigma = {sigma:g}")
    ax.legend()
    axes = [ax]
    if low is not None:
        for row in paired:
            diff = [100 * (k - m) / row["images"] for k, m in zip(row["drt_only"], row["control_only"])]
            colour = colours.get(row["protocol"], None)
            low.plot(row["radii"], diff, "-", color=colour, linewidth=1, label=row["protocol"])
            sig = [p < 0.05 for p in row["p"]]
            for r, d, filled in zip(row["radii"], diff, sig):
                low.plot(r, d, "o", markersize=5, color=colour,
                         markerfacecolor=colour if filled else "white")
        low.axhline(0, color="black", linewidth=0.8)
        low.set_ylabel("DRT - control (points)")
        low.set_title("filled: McNemar's exact p < 0.05 (same images, same noise)", fontsize=8)
        low.legend(fontsize=7)
        axes.append(low)
    axes[-1].set_xlabel("L2 radius")
    for a in axes:
        if max_radius is not None and max_radius < max(radii):
            a.axvline(max_radius, color="grey", linestyle=":", linewidth=1)
        a.grid(alpha=0.3)
    if max_radius is not None and max_radius < max(radii):
        ax.text(max_radius, ax.get_ylim()[1], " largest certifiable radius", color="grey",
                fontsize=7, va="top", ha="right", rotation=90)
