"""The end-to-end run: base training, DRT fine-tuning, the rho = 0 control, certification, report.

``python -m drt_min run --preset NAME --out DIR`` calls :func:`run`, which writes::

    DIR/run_config.json                the RunConfig (and preset name); a rerun must match it
    DIR/checkpoints/pretrain.pt        base members (Gaussian or SmoothAdv), resumable
    DIR/checkpoints/drt.pt             DRT fine-tuned from pretrain.pt (rho1, rho2)
    DIR/checkpoints/control.pt         the same members fine-tuned for the same epochs, rho1=rho2=0
    DIR/certify/drt/                   we/mme/member*/eas TSVs, manifest.json, summary.md, plot
    DIR/certify/control/               the same for the control ensemble
    DIR/comparison.md, .csv, .png      DRT vs control at the paper's radii (MME and WE), with
                                       McNemar's exact test per radius and the ACR difference

The control isolates the DRT terms: it starts from the very same base checkpoint and sees the very
same data order, noise draws, learning rates and epochs; only rho1 and rho2 are zero. Both ensembles
are certified on the same test images with the same noise seed. Every stage resumes: a rerun of the
same command skips finished epochs and finished certificates.
"""

from __future__ import annotations

import json
import pathlib
import time
from typing import Any

import torch

from drt_min.atomic import atomic_write_text
from drt_min.checkpoint import resolve_device
from drt_min.compare import (PAPER_RADII, comparison_table, paired_tests, read_certificates,
                             write_comparison)
from drt_min.config import RunConfig, from_dict, to_dict, train_config_for
from drt_min.train import train

__all__ = ["run", "certify_checkpoint", "comparison_table", "paired_tests", "write_comparison",
           "PAPER_RADII", "read_certificates"]


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
        paired = paired_tests(cert_dirs["drt"], cert_dirs["control"])
        description = (f"Every {cfg.cert_every}th test image. DRT: rho1 = {cfg.rho1:g}, "
                       f"rho2 = {cfg.rho2:g}; both fine-tuned for {cfg.finetune_epochs} epoch(s) "
                       "from the same base members.")
        outputs["comparison"] = write_comparison(out, table, sigma=cfg.sigma, n0=cfg.cert_n0,
                                                 n=cfg.cert_n, alpha=cfg.cert_alpha,
                                                 description=description, paired=paired)
        outputs["table"] = table
        if log:
            log(outputs["comparison"].read_text())
    atomic_write_text(out / "timings.json", json.dumps(timings, indent=2) + "\n")
    return outputs
