"""The end-to-end run: base training, DRT fine-tuning, the rho = 0 control, certification, report.

``python -m drt_min run --preset NAME --out DIR`` calls :func:`run`, which writes::

    DIR/run_config.json                the RunConfig (and preset name); a rerun must match it
    DIR/checkpoints/pretrain.pt        base members (Gaussian or SmoothAdv), resumable
    DIR/checkpoints/drt.pt             DRT fine-tuned from pretrain.pt (rho1, rho2)
    DIR/checkpoints/control.pt         the same members fine-tuned for the same epochs, rho1=rho2=0
    DIR/certify/drt/                   we/mme/member*/eas TSVs, manifest.json, summary.md, plot
    DIR/certify/control/               the same for the control ensemble
    DIR/comparison.md, .csv, .png      DRT vs control at the paper's radii (MME and WE)

The control isolates the DRT terms: it starts from the very same base checkpoint and sees the very
same data order, noise draws, learning rates and epochs; only rho1 and rho2 are zero. Both ensembles
are certified on the same test images with the same noise seed. Every stage resumes: a rerun of the
same command skips finished epochs and finished certificates.
"""

from __future__ import annotations

import csv
import json
import math
import pathlib
import time
from typing import Any

import torch

from drt_min.atomic import atomic_write_text
from drt_min.checkpoint import resolve_device
from drt_min.config import RunConfig, from_dict, to_dict, train_config_for
from drt_min.train import train

__all__ = ["run", "certify_checkpoint", "comparison_table", "write_comparison", "PAPER_RADII",
           "read_certificates"]

PAPER_RADII = tuple(0.25 * i for i in range(11))
TSV_COLUMNS = ["idx", "label", "predict", "radius", "correct", "time"]


def certification_indices(cfg: RunConfig, total: int) -> list[int]:
    """Every ``cert_every``-th test image from index 0, at most ``cert_max_images`` (0: no limit)."""
    indices = list(range(0, total, cfg.cert_every))
    return indices[: cfg.cert_max_images] if cfg.cert_max_images else indices


def _test_data(cfg: RunConfig) -> tuple[torch.Tensor, torch.Tensor]:
    if cfg.synthetic:
        from drt_min.data import synthetic_digits

        images, labels, _ = synthetic_digits(max(1, cfg.synthetic // 4), 7,
                                             seed=cfg.seed + 12345)
        return images, labels
    from drt_min.data import load_mnist

    return load_mnist("test", cfg.data_dir or None, "cpu")


def certify_checkpoint(checkpoint: pathlib.Path, out_dir: pathlib.Path, cfg: RunConfig, *,
                       stage: str, progress: bool = True) -> dict[str, pathlib.Path]:
    """Certify one trained ensemble with the certifier's one-pass path (WE, MME, members, EAS)."""
    from drt_min.certify import certify_dataset
    from drt_min.checkpoint import load_ensemble

    device = resolve_device(cfg.device)
    model, meta = load_ensemble(checkpoint, device)
    images, labels = _test_data(cfg)
    indices = certification_indices(cfg, len(images))
    extra = {"checkpoint": meta["path"], "checkpoint_sha256": meta["sha256"],
             "train_config": meta["config"], "epoch": meta["epoch"], "stage": stage,
             "run_config": to_dict(cfg), "split": "test"}
    return certify_dataset(model, images, labels, indices, sigma=cfg.sigma, n0=cfg.cert_n0,
                           n=cfg.cert_n, alpha=cfg.cert_alpha, batch_size=cfg.cert_batch,
                           seed=cfg.seed + 1000, out_dir=out_dir, device=device,
                           manifest_extra=extra, progress=progress)


def read_certificates(path: pathlib.Path) -> list[dict[str, Any]]:
    """Rows of a certificate TSV (columns ``idx label predict radius correct time`` first)."""
    with open(path, newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader)
        if header[:6] != TSV_COLUMNS:
            raise ValueError(f"{path}: header {header[:6]} is not {TSV_COLUMNS}")
        rows = []
        for line in reader:
            if not line:
                continue
            row = {"idx": int(line[0]), "label": int(line[1]), "predict": int(line[2]),
                   "radius": float(line[3]), "correct": int(line[4])}
            if row["correct"] not in (0, 1) or not (row["radius"] >= 0 or
                                                     math.isnan(row["radius"])):
                raise ValueError(f"{path}: invalid row {line}")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


def _curve(rows: list[dict[str, Any]], radii) -> list[float]:
    return [sum(1 for r in rows if r["correct"] and r["radius"] >= rad) / len(rows) for rad in radii]


def _acr(rows: list[dict[str, Any]]) -> float:
    return sum(r["radius"] for r in rows if r["correct"]) / len(rows)


def comparison_table(drt_dir: pathlib.Path, control_dir: pathlib.Path,
                     protocols=("mme", "we"), radii=PAPER_RADII) -> list[dict[str, Any]]:
    """Certified accuracy at ``radii`` and ACR of DRT and control for each protocol (one row each)."""
    table = []
    for protocol in protocols:
        for name, directory in (("DRT", drt_dir), ("control (rho=0)", control_dir)):
            rows = read_certificates(pathlib.Path(directory) / f"{protocol}.tsv")
            table.append({"ensemble": name, "protocol": protocol.upper(), "images": len(rows),
                          "accuracy": _curve(rows, radii), "acr": _acr(rows)})
    return table


def write_comparison(out: pathlib.Path, cfg: RunConfig, table: list[dict[str, Any]],
                     radii=PAPER_RADII, *, plot: bool = True) -> pathlib.Path:
    """``comparison.md`` and ``comparison.csv`` (and ``comparison.png``) in ``out``."""
    out = pathlib.Path(out)
    head = ["ensemble", "protocol"] + [f"{r:.2f}" for r in radii] + ["ACR"]
    csv_lines = [",".join(head)]
    md = [f"# DRT vs the rho1 = rho2 = 0 control (sigma = {cfg.sigma:g})", "",
          f"Certified accuracy (%) at L2 radius r on {table[0]['images']} test images "
          f"(every {cfg.cert_every}th), n0 = {cfg.cert_n0}, n = {cfg.cert_n}, "
          f"alpha = {cfg.cert_alpha:g}. DRT: rho1 = {cfg.rho1:g}, rho2 = {cfg.rho2:g}; both "
          f"fine-tuned for {cfg.finetune_epochs} epoch(s) from the same base members.", "",
          "| ensemble | protocol | " + " | ".join(head[2:]) + " |",
          "|---|---|" + "---|" * (len(head) - 2)]
    for row in table:
        acc = [f"{100 * a:.1f}" for a in row["accuracy"]]
        md.append(f"| {row['ensemble']} | {row['protocol']} | " + " | ".join(acc) +
                  f" | {row['acr']:.3f} |")
        csv_lines.append(",".join([row["ensemble"], row["protocol"]] +
                                  [f"{a:.6f}" for a in row["accuracy"]] + [f"{row['acr']:.6f}"]))
    atomic_write_text(out / "comparison.csv", "\n".join(csv_lines) + "\n")
    if plot:
        plot_comparison(table, radii, out / "comparison.png", sigma=cfg.sigma)
        md += ["", "![certified accuracy](comparison.png)"]
    path = out / "comparison.md"
    atomic_write_text(path, "\n".join(md) + "\n")
    return path


def plot_comparison(table: list[dict[str, Any]], radii, png_path: pathlib.Path, *,
                    sigma: float) -> None:
    """Certified accuracy against radius, DRT solid and control dashed, one colour per protocol."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    colours = {"MME": "tab:blue", "WE": "tab:orange"}
    for row in table:
        style = "-" if row["ensemble"] == "DRT" else "--"
        ax.plot(radii, [100 * a for a in row["accuracy"]], style,
                color=colours.get(row["protocol"], None), marker="o", markersize=3,
                label=f"{row['ensemble']} + {row['protocol']}")
    ax.set_xlabel("L2 radius")
    ax.set_ylabel("certified accuracy (%)")
    ax.set_title(f"MNIST, sigma = {sigma:g}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)


def run(cfg: RunConfig, out: str | pathlib.Path, *, preset: str = "", progress: bool = True,
        log=print) -> dict[str, Any]:
    """Train, fine-tune (DRT and control), certify and report into ``out``; returns the paths."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "run_config.json"
    record = {"preset": preset, "config": to_dict(cfg)}
    if cfg_path.exists():
        saved = json.loads(cfg_path.read_text())
        saved_cfg = from_dict(RunConfig, saved.get("config", {}))
        if to_dict(saved_cfg) != to_dict(cfg):
            raise ValueError(f"{out} holds a run with a different configuration; use another --out")
    else:
        atomic_write_text(cfg_path, json.dumps(record, indent=2) + "\n")
    timings: dict[str, float] = {}
    ckpt_dir = out / "checkpoints"
    start = time.perf_counter()
    pre = train(train_config_for(cfg, "pretrain"), ckpt_dir / "pretrain.pt", progress=progress,
                log=log)
    timings["pretrain_s"] = time.perf_counter() - start
    stages = ["drt"] + (["control"] if cfg.control else [])
    results = {"pretrain": pre.checkpoint}
    for stage in stages:
        start = time.perf_counter()
        res = train(train_config_for(cfg, stage, init_from=str(pre.checkpoint)),
                    ckpt_dir / f"{stage}.pt", progress=progress, log=log)
        timings[f"{stage}_s"] = time.perf_counter() - start
        results[stage] = res.checkpoint
    from drt_min.report import write_report

    cert_dirs = {}
    for stage in stages:
        start = time.perf_counter()
        cert_dir = out / "certify" / stage
        certify_checkpoint(results[stage], cert_dir, cfg, stage=stage, progress=progress)
        timings[f"certify_{stage}_s"] = time.perf_counter() - start
        summary = write_report(cert_dir)
        if log:
            log(f"{stage}: {summary}")
        cert_dirs[stage] = cert_dir
    outputs: dict[str, Any] = {"checkpoints": results, "certify": cert_dirs, "timings": timings}
    if cfg.control:
        table = comparison_table(cert_dirs["drt"], cert_dirs["control"])
        outputs["comparison"] = write_comparison(out, cfg, table)
        outputs["table"] = table
        if log:
            log(outputs["comparison"].read_text())
    atomic_write_text(out / "timings.json", json.dumps(timings, indent=2) + "\n")
    return outputs
