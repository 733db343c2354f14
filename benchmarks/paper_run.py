"""A ``paper-mnist`` run that fits a time limit: fewer epochs, the paper's certification protocol.

Step 4 of ``benchmarks/gpu.sh``. The run is ``python -m drt_min run --preset paper-mnist`` (the
same directory layout, the same resumable stages, ``run_config.json``, the comparison), with two
things chosen from measurements so that it ends within ``--time-s``:

* the epochs: each stage first trains one epoch, times it, and is then resumed with as many epochs
  as its share of the training time allows (``--train-share`` of the time, split 40 / 30 / 30
  between the base members, DRT and the control; at most the preset's 90);
* the images: after training, two images are certified with the paper's protocol (n0 = 100,
  n = 100,000, alpha = 0.001) to time one image, and the run certifies as many of the protocol's
  1,000 test images (every 10th) as the time left allows, both ensembles.

The stages are trained exactly as ``run`` trains them (:func:`drt_min.config.train_config_for`,
the same checkpoint paths), so the final :func:`drt_min.run.run` resumes them and only certifies.
The chosen epochs and image count are in ``run_config.json`` and in ``paper_run.json``.

    python benchmarks/paper_run.py --out runs/paper --time-s 200 --device cuda

``--train-subset``, ``--cert-n``, ``--cert-n0`` and ``--max-epochs`` shrink it for a dry run on a
CPU.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import tempfile
import time

import torch

from drt_min import config
from drt_min.atomic import atomic_write_text
from drt_min.certification import certify_checkpoint
from drt_min.checkpoint import resolve_device
from drt_min.errors import check_output_dir
from drt_min.run import run
from drt_min.train import load_training_data, train

#: Shares of the training time: base members, DRT fine-tuning, control fine-tuning.
STAGE_SHARES = {"pretrain": 0.4, "drt": 0.3, "control": 0.3}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def epochs_for(seconds_per_epoch: float, budget_s: float, cap: int) -> int:
    """Epochs in total when the first took ``seconds_per_epoch`` of a stage's ``budget_s``: the
    first, plus as many more as the rest of the budget holds; between 1 and ``cap``."""
    more = math.floor(max(0.0, budget_s - seconds_per_epoch) / max(seconds_per_epoch, 1e-6))
    return int(max(1, min(cap, 1 + more)))


def paper_run(out, *, time_s: float, device: str = "auto", train_share: float = 0.45,
              max_epochs: int = 90, train_subset: int = 0, cert_n: int = 0, cert_n0: int = 0,
              max_images: int = 0, cert_precision: str = "fp32", data_dir: str = "",
              reserve_s: float = 15.0, log=print) -> dict:
    """Train and certify the paper-mnist preset into ``out`` within about ``time_s`` seconds."""
    t_start = time.perf_counter()
    deadline = t_start + time_s
    out = check_output_dir(out, "--out")
    dev = resolve_device(device)
    preset = config.get_preset("paper-mnist")
    cert = {"cert_precision": cert_precision}
    if cert_n:
        cert["cert_n"] = cert_n
    if cert_n0:
        cert["cert_n0"] = cert_n0
    cfg = config.replace(preset, train={"epochs": 1, "device": device, "train_subset": train_subset,
                                        "data_dir": data_dir},
                         finetune_epochs=1, certify=cert)
    ckpt_dir = out / "checkpoints"
    train_budget = train_share * time_s
    record: dict = {"time_s": time_s, "device": str(dev), "train_share": train_share,
                    "stages": {}}
    # the training images, on the device, read once for the stages trained here (every stage
    # has the same data fields, and train() cuts nothing from data it is given)
    data = load_training_data(config.train_config_for(cfg, "pretrain"), dev)

    def stage(name: str, cfg_now: config.RunConfig, init_from: str = ""):
        """Train ``name`` for one epoch, time it, then resume it with the epochs its share allows."""
        path = ckpt_dir / f"{name}.pt"
        t0 = time.perf_counter()
        result = train(config.train_config_for(cfg_now, name, init_from=init_from), path,
                       progress=False, certify=cfg_now.certify, log=log, data=data)
        _sync(dev)
        first = time.perf_counter() - t0
        epochs = epochs_for(first, STAGE_SHARES[name] * train_budget, max_epochs)
        record["stages"][name] = {"first_epoch_s": first, "epochs": epochs}
        return result, epochs

    pre, pre_epochs = stage("pretrain", cfg)
    cfg = config.replace(cfg, train={"epochs": pre_epochs})
    if pre_epochs > 1:
        t0 = time.perf_counter()
        pre = train(config.train_config_for(cfg, "pretrain"), ckpt_dir / "pretrain.pt",
                    progress=False, certify=cfg.certify, log=log, data=data)
        record["stages"]["pretrain"]["total_s"] = time.perf_counter() - t0 + \
            record["stages"]["pretrain"]["first_epoch_s"]
    _, ft_epochs = stage("drt", cfg, init_from=str(pre.checkpoint))
    cfg = config.replace(cfg, finetune_epochs=ft_epochs)
    for name in ("drt", "control"):
        if name == "drt" and ft_epochs == 1:
            continue
        t0 = time.perf_counter()
        train(config.train_config_for(cfg, name, init_from=str(pre.checkpoint)),
              ckpt_dir / f"{name}.pt", progress=False, certify=cfg.certify, log=log, data=data)
        _sync(dev)
        record["stages"].setdefault(name, {})["total_s"] = time.perf_counter() - t0 + \
            record["stages"].get(name, {}).get("first_epoch_s", 0.0)
    record["stages"]["control"]["epochs"] = ft_epochs

    # time one image of the paper's protocol (one image to warm up, then two timed)
    all_images = len(cfg.certify.indices(10_000))
    with tempfile.TemporaryDirectory() as tmp:
        for k, name in ((1, "warm"), (2, "timed")):
            probe = config.replace(cfg.certify, cert_max_images=k)
            _sync(dev)
            t0 = time.perf_counter()
            certify_checkpoint(ckpt_dir / "drt.pt", pathlib.Path(tmp) / name, probe, device=dev,
                               data_dir=data_dir, progress=False)
            _sync(dev)
            per_image = (time.perf_counter() - t0) / k
    left = deadline - time.perf_counter() - reserve_s
    images = int(max(1, min(all_images, math.floor(left / (2 * 1.1 * per_image)))))
    if max_images:
        images = min(images, max_images)
    record.update(seconds_per_image=per_image, images=images, of_images=all_images,
                  epochs=pre_epochs, finetune_epochs=ft_epochs,
                  seconds_before_certification=time.perf_counter() - t_start)
    if log:
        log(f"paper_run: epochs {pre_epochs} + {ft_epochs}, {per_image:.3f} s per image and "
            f"ensemble, certifying {images} of {all_images} images")
    cfg = config.replace(cfg, certify={"cert_max_images": images})
    outputs = run(cfg, out, preset="paper-mnist", progress=False, log=log)
    record["timings"] = outputs["timings"]
    record["total_s"] = time.perf_counter() - t_start
    atomic_write_text(out / "paper_run.json", json.dumps(record, indent=2) + "\n")
    return record


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--time-s", type=float, required=True, help="the whole run's time limit")
    p.add_argument("--device", default="auto")
    p.add_argument("--train-share", type=float, default=0.45, help="share of the time for training")
    p.add_argument("--max-epochs", type=int, default=90, help="at most this many epochs per stage")
    p.add_argument("--train-subset", type=int, default=0, help="first K training images (0: all)")
    p.add_argument("--cert-n", type=int, default=0, help="estimation samples (0: the paper's)")
    p.add_argument("--cert-n0", type=int, default=0, help="selection samples (0: the paper's)")
    p.add_argument("--max-images", type=int, default=0, help="certify at most this many images")
    p.add_argument("--cert-precision", default="fp32", choices=("fp32", "bf16"))
    p.add_argument("--data-dir", default="")
    args = p.parse_args(argv)
    record = paper_run(args.out, time_s=args.time_s, device=args.device,
                       train_share=args.train_share, max_epochs=args.max_epochs,
                       train_subset=args.train_subset, cert_n=args.cert_n, cert_n0=args.cert_n0,
                       max_images=args.max_images, cert_precision=args.cert_precision,
                       data_dir=args.data_dir)
    json.dump(record, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
