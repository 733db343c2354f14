"""Subcommands ``run``, ``train`` and ``download`` of ``python -m drt_min``.

``run --preset NAME --out DIR``      the whole pipeline (see :mod:`drt_min.run`)
``train --preset NAME --stage S --out CKPT``  one training stage (pretrain, drt or control)
``download [--data-dir DIR]``        fetch MNIST's four files (checksum-verified, atomic)

Every field of the preset's configuration can be overridden (``--rho1 0.5``, ``--epochs 3``, ...);
see ``--help`` of each subcommand for the list and for the readings of the paper they encode.
"""

from __future__ import annotations

import argparse
import pathlib

from drt_min import config
from drt_min.data import download
from drt_min.errors import UserError, lower_on_oom
from drt_min.run import run
from drt_min.train import train

__all__ = ["register", "run_config_from_args", "train_config_from_args"]


def register(subparsers) -> None:
    r = subparsers.add_parser(
        "run", help="train base members, DRT and control fine-tuning, certify, report",
        description="End to end: base training, DRT fine-tuning, a rho1=rho2=0 control fine-tuning "
                    "of the same members, certification of WE/MME/members/EAS, summary, plots. "
                    "Rerunning the same command resumes. The preset gives every default.")
    r.add_argument("--preset", choices=sorted(config.PRESETS), default="smoke",
                   help="starting configuration; any field below overrides it")
    r.add_argument("--out", type=pathlib.Path, required=True, help="run directory")
    r.add_argument("--no-progress", action="store_true", help="no progress bars")
    config.add_arguments(r, config.RunConfig, skip=config.RUN_STAGE_FIELDS)
    r.set_defaults(func=_run)

    t = subparsers.add_parser(
        "train", help="one training stage: Gaussian/SmoothAdv base training or DRT fine-tuning",
        description="Train an ensemble with the unified objective sum_i L_std,i + rho1 GD + rho2 CM. "
                    "The preset and stage give the defaults; every field can be overridden. The "
                    "checkpoint is written after every epoch and resumed when it exists.")
    t.add_argument("--preset", choices=sorted(config.PRESETS), default="smoke")
    t.add_argument("--stage", choices=config.STAGES, default="pretrain",
                   help="pretrain: base models; drt: DRT fine-tuning; control: rho=0 fine-tuning")
    t.add_argument("--out", type=pathlib.Path, required=True, help="checkpoint path (.pt)")
    t.add_argument("--no-resume", action="store_true",
                   help="start afresh even if --out exists (it is overwritten)")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    config.add_arguments(t, config.TrainConfig)
    t.set_defaults(func=_train)

    d = subparsers.add_parser("download", help="download MNIST (checksum-verified, atomic)")
    d.add_argument("--data-dir", type=str, default=None,
                   help="directory to hold mnist/ (default: $DRT_DATA_DIR or the user cache)")
    d.set_defaults(func=_download)


def run_config_from_args(args: argparse.Namespace) -> config.RunConfig:
    """The validated RunConfig of ``run``'s arguments (raises UserError; runs nothing)."""
    return config.replace(config.get_preset(args.preset), **config.overrides_from_args(args))


def train_config_from_args(args: argparse.Namespace) -> config.TrainConfig:
    """The validated TrainConfig of ``train``'s arguments (raises UserError; runs nothing)."""
    base = config.train_config_for(config.get_preset(args.preset), args.stage)
    cfg = config.replace(base, **config.overrides_from_args(args))
    if args.stage != "pretrain" and not cfg.init_from:
        raise UserError(f"--stage {args.stage} fine-tunes: give --init-from CHECKPOINT")
    return cfg


def _run(args: argparse.Namespace) -> int:
    run(run_config_from_args(args), args.out, preset=args.preset, progress=not args.no_progress)
    return 0


def _train(args: argparse.Namespace) -> int:
    preset = config.get_preset(args.preset)
    cfg = train_config_from_args(args)
    with lower_on_oom("--batch-size", cfg.batch_size):
        result = train(cfg, args.out, progress=not args.no_progress, resume=not args.no_resume,
                       certify=preset.certify)
    print(f"{result.checkpoint}\tsha256={result.sha256}")
    return 0


def _download(args: argparse.Namespace) -> int:
    print(download(args.data_dir))
    return 0
