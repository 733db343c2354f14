"""The end-to-end run: base training, DRT fine-tuning, the rho = 0 control, certification, report.

``python -m drt_min run --preset NAME --out DIR`` calls :func:`run`, which writes::

    DIR/run_config.json                the RunConfig (and preset name), written once the first
                                       stage has started cleanly; a rerun must match it (the
                                       device aside) and is told which field differs
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

from drt_min.atomic import atomic_write_text
from drt_min.certification import certify_checkpoint, select_images
from drt_min.checkpoint import resolve_device
from drt_min.compare import comparison_table, paired_tests, write_comparison
from drt_min.config import RunConfig, from_dict, to_dict, train_config_for
from drt_min.data import ensure_mnist
from drt_min.errors import UserError, check_output_dir, lower_on_oom, one_line
from drt_min.report import write_report
from drt_min.train import train

__all__ = ["run"]

#: Fields a rerun may change without invalidating what is on disk.
_RESUMABLE_CHANGES = ("device", "cert_batch")


def _differences(saved: RunConfig, cfg: RunConfig) -> list[str]:
    """Dotted names of the fields in which two run configurations differ (the device and the
    forward batch of certification aside: they change no result)."""
    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from flat(v, f"{prefix}{k}.")
            elif k not in _RESUMABLE_CHANGES:
                yield f"{prefix}{k}", v

    a, b = dict(flat(to_dict(saved))), dict(flat(to_dict(cfg)))
    return [k for k in a if a[k] != b.get(k)]


def _without_device(cfg: RunConfig) -> dict[str, Any]:
    """The run's configuration as certificates record it: the device does not change them."""
    record = to_dict(cfg)
    record["train"].pop("device", None)
    return record


def _read_run_config(path: pathlib.Path) -> RunConfig:
    try:
        saved = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} cannot be read ({one_line(exc)}); it is corrupt: use another "
                        "--out") from exc
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
        raise UserError(f"{path} holds no run configuration; use another --out")
    try:
        return from_dict(RunConfig, saved["config"])
    except ValueError as exc:
        raise UserError(f"{path}: invalid configuration ({one_line(exc)}); use another --out"
                        ) from exc


def run(cfg: RunConfig, out: str | pathlib.Path, *, preset: str = "", progress: bool = True,
        log=print) -> dict[str, Any]:
    """Train, fine-tune (DRT and control), certify and report into ``out``; returns the paths."""
    out = check_output_dir(out, "--out")
    cfg_path = out / "run_config.json"
    record = {"preset": preset, "config": to_dict(cfg)}
    if cfg_path.exists():
        saved = _read_run_config(cfg_path)
        differ = _differences(saved, cfg)
        if differ:
            raise UserError(f"{out} holds a run with a different configuration "
                            f"({', '.join(differ)}); use another --out")
    # Inputs first: the device, and the data of both splits (fetched when missing and possible).
    device = resolve_device(cfg.train.device)
    if not cfg.train.synthetic:
        ensure_mnist(cfg.train.data_dir or None, progress=progress)
    select_images(cfg.certify, cfg.train)  # the certified images exist: checked before training

    def record_config() -> None:
        """Called by the first stage once it has started cleanly (data, model, checkpoint read)."""
        if not cfg_path.exists():
            atomic_write_text(cfg_path, json.dumps(record, indent=2) + "\n")

    timings: dict[str, float] = {}
    ckpt_dir = out / "checkpoints"
    start = time.perf_counter()
    hint = "use another --out"  # `run` has no --no-resume
    with lower_on_oom("--batch-size", cfg.train.batch_size):
        pre = train(train_config_for(cfg, "pretrain"), ckpt_dir / "pretrain.pt",
                    progress=progress, certify=cfg.certify, log=log, on_start=record_config,
                    restart_hint=hint)
    timings["pretrain_s"] = time.perf_counter() - start
    stages = ["drt"] + (["control"] if cfg.control else [])
    results = {"pretrain": pre.checkpoint}
    for stage in stages:
        start = time.perf_counter()
        with lower_on_oom("--batch-size", cfg.train.batch_size):
            res = train(train_config_for(cfg, stage, init_from=str(pre.checkpoint)),
                        ckpt_dir / f"{stage}.pt", progress=progress, certify=cfg.certify, log=log,
                        restart_hint=hint)
        timings[f"{stage}_s"] = time.perf_counter() - start
        results[stage] = res.checkpoint

    cert_dirs = {}
    for stage in stages:
        start = time.perf_counter()
        cert_dir = out / "certify" / stage
        certify_checkpoint(results[stage], cert_dir, cfg.certify, device=device,
                           manifest_extra={"stage": stage, "run_config": _without_device(cfg)},
                           progress=progress)
        timings[f"certify_{stage}_s"] = time.perf_counter() - start
        summary = write_report(cert_dir)
        if log:
            log(f"{stage}: {summary}")
        cert_dirs[stage] = cert_dir
    outputs: dict[str, Any] = {"checkpoints": results, "certify": cert_dirs, "timings": timings}
    if cfg.control:
        table = comparison_table(cert_dirs["drt"], cert_dirs["control"])
        paired = paired_tests(cert_dirs["drt"], cert_dirs["control"])
        cert = cfg.certify
        description = (f"Every {cert.cert_every}th test image. DRT: rho1 = {cfg.train.rho1:g}, "
                       f"rho2 = {cfg.train.rho2:g}; both fine-tuned for {cfg.finetune_epochs} "
                       "epoch(s) from the same base members.")
        outputs["comparison"] = write_comparison(out, table, sigma=cert.cert_sigma or cfg.train.sigma,
                                                 n0=cert.cert_n0, n=cert.cert_n,
                                                 alpha=cert.cert_alpha, description=description,
                                                 paired=paired)
        outputs["table"] = table
        if log:
            log(outputs["comparison"].read_text())
    atomic_write_text(out / "timings.json", json.dumps(timings, indent=2) + "\n")
    return outputs
