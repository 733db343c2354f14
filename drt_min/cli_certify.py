"""The ``certify``, ``report``, ``compare`` and ``merge`` subcommands of ``python -m drt_min``.

    python -m drt_min certify CHECKPOINT --out RUN_DIR [--cert-n0 100 --cert-n 100000
        --cert-alpha 0.001 --cert-every 10 --cert-max-images 0 --cert-seed 1000 ... --shard i/k]
    python -m drt_min report RUN_DIR
    python -m drt_min compare DRT_DIR CONTROL_DIR --out DIR
    python -m drt_min merge RUN_DIR

The ``--cert-*`` options are the fields of :class:`drt_min.config.CertifyConfig`, the same as
``run``'s; their defaults are the protocol the checkpoint records (that of the run or preset that
trained it), so certifying a run's checkpoint with no option reproduces the run's certificates.
Under ``torchrun --nproc_per_node K -m drt_min certify ...`` every rank certifies its shard and
rank 0 merges them.
"""

from __future__ import annotations

import argparse
import pathlib

from drt_min import config
from drt_min.certification import certify_checkpoint
from drt_min.certify import parse_shard
from drt_min.compare import compare_certifications
from drt_min.distributed import rank_device, world_from_env
from drt_min.errors import UserError
from drt_min.report import write_report
from drt_min.results import merge_shards

__all__ = ["register", "certify_options"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "certify", help="certify a trained ensemble (WE, MME, every member, EAS) on MNIST",
        description="Randomized-smoothing certificates of every protocol in one pass; one TSV per "
                    "protocol and manifest.json in --out. Rerunning the same command resumes. "
                    "Every --cert-* option defaults to the protocol the checkpoint records.")
    p.add_argument("checkpoint", type=pathlib.Path, help="checkpoint written by `train` or `run`")
    p.add_argument("--out", type=pathlib.Path, required=True, help="run directory")
    p.add_argument("--shard", type=str, default=None, help="certify shard i of k, written i/k")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--report", action="store_true", help="write the summary and plot at the end")
    config.add_arguments(p, config.CertifyConfig, defaults="the protocol the checkpoint records")
    config.add_arguments(p, config.TrainConfig, only=("data_dir", "device"),
                         defaults="the training data directory, and 'auto'")
    p.set_defaults(func=_certify)

    r = subparsers.add_parser("report", help="summary and plot of a certification run")
    r.add_argument("run_dir", type=pathlib.Path)
    r.set_defaults(func=_report)

    c = subparsers.add_parser("compare", help="DRT against a control: curves, paired tests, plot")
    c.add_argument("drt_dir", type=pathlib.Path, help="certification run of the DRT ensemble")
    c.add_argument("control_dir", type=pathlib.Path, help="certification run of the control")
    c.add_argument("--out", type=pathlib.Path, required=True, help="where comparison.* go")
    c.set_defaults(func=_compare)

    m = subparsers.add_parser("merge", help="join the shards of a certification run")
    m.add_argument("run_dir", type=pathlib.Path)
    m.add_argument("--report", action="store_true", help="write the summary and plot as well")
    m.set_defaults(func=_merge)


def certify_options(args: argparse.Namespace) -> tuple[dict, str, str]:
    """(protocol overrides, data_dir, device) of ``certify``'s arguments, checked as far as they
    can be without the checkpoint (raises UserError; runs nothing)."""
    overrides = config.overrides_from_args(args)
    data_dir, device = overrides.pop("data_dir", ""), overrides.pop("device", "auto")
    config.replace(config.CertifyConfig(), **overrides)
    config.TrainConfig(data_dir=data_dir, device=device)
    parse_shard(args.shard)
    return overrides, data_dir, device


def _certify(args: argparse.Namespace) -> int:
    overrides, data_dir, device = certify_options(args)
    env = world_from_env()
    if env is not None and args.shard is not None:
        raise UserError("--shard and torchrun exclude each other: torchrun assigns the shards")
    device = rank_device(device, env[2] if env else 0)
    paths = certify_checkpoint(args.checkpoint, args.out, overrides=overrides, device=device,
                               data_dir=data_dir, shard=args.shard,
                               distributed=env is not None, progress=not args.no_progress)
    if paths is None:
        return 0
    for name, path in paths.items():
        print(f"{name}\t{path}")
    if args.report and args.shard is None:
        print(write_report(args.out))
    return 0


def _report(args: argparse.Namespace) -> int:
    summary = write_report(args.run_dir)
    print(summary.read_text(), end="")
    print(f"written: {summary}, {summary.with_name('certified_accuracy.png')}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    path = compare_certifications(args.drt_dir, args.control_dir, args.out)
    print(path.read_text(), end="")
    print(f"written: {path}, {path.with_name('comparison.png')}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    for name, path in merge_shards(args.run_dir).items():
        print(f"{name}\t{path}")
    if args.report:
        print(write_report(args.run_dir))
    return 0
