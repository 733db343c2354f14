"""The ``certify``, ``report`` and ``merge`` subcommands of ``python -m drt_min``.

    python -m drt_min certify CHECKPOINT --out RUN_DIR [--sigma SIGMA --n0 100 --n 100000
        --alpha 0.001 --batch 1000 --skip 10 --max -1 --seed 0 --device auto --shard i/k]
    python -m drt_min report RUN_DIR
    python -m drt_min merge RUN_DIR

Under ``torchrun --nproc_per_node K -m drt_min certify ...`` every rank certifies its shard and
rank 0 merges them.
"""

from __future__ import annotations

import argparse
import pathlib

__all__ = ["register", "select_indices"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "certify", help="certify a trained ensemble (WE, MME, every member, EAS) on MNIST",
        description="Randomized-smoothing certificates of every protocol in one pass; one TSV per "
                    "protocol and manifest.json in --out. Rerunning the same command resumes.")
    p.add_argument("checkpoint", type=pathlib.Path, help="checkpoint written by `train`")
    p.add_argument("--out", type=pathlib.Path, required=True, help="run directory")
    p.add_argument("--sigma", type=float, default=None,
                   help="noise level in pixel space (default: the sigma the checkpoint was trained with)")
    p.add_argument("--n0", type=int, default=100, help="selection samples")
    p.add_argument("--n", type=int, default=100_000, help="estimation samples")
    p.add_argument("--alpha", type=float, default=0.001, help="failure probability")
    p.add_argument("--batch", type=int, default=1000,
                   help="noisy samples per forward pass (does not change the certificates; on CPU "
                        "a multiple of 64 spares the LeNet ensemble a padded sub-batch)")
    p.add_argument("--split", choices=("test", "train"), default="test")
    p.add_argument("--skip", type=int, default=10, help="certify every skip-th image")
    p.add_argument("--start", type=int, default=0, help="first image index")
    p.add_argument("--max", type=int, default=-1, help="at most this many images (-1: all)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (per image: seed, index)")
    p.add_argument("--weights", type=str, default=None,
                   help="comma-separated WE weights (default: the average)")
    p.add_argument("--data-dir", type=str, default=None, help="directory holding mnist/")
    p.add_argument("--device", type=str, default="auto", help="auto, cpu, cuda, cuda:1, ...")
    p.add_argument("--shard", type=str, default=None, help="certify shard i of k, written i/k")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--report", action="store_true", help="write the summary and plot at the end")
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


def select_indices(total: int, *, start: int = 0, skip: int = 1, max_count: int = -1) -> list[int]:
    """Cohen et al.'s image selection: every ``skip``-th index from ``start``, at most ``max_count``."""
    if skip < 1 or start < 0:
        raise ValueError(f"need skip >= 1 and start >= 0, got skip={skip}, start={start}")
    indices = list(range(start, total, skip))
    return indices if max_count < 0 else indices[:max_count]


def _certify(args: argparse.Namespace) -> int:
    from drt_min.certify import certify_dataset, parse_shard
    from drt_min.checkpoint import load_ensemble
    from drt_min.data import load_mnist
    from drt_min.distributed import certify_distributed, rank_device, world_from_env

    env = world_from_env()
    if env is not None and args.shard is not None:
        raise ValueError("--shard and torchrun exclude each other: torchrun assigns the shards")
    parse_shard(args.shard)
    device = rank_device(args.device, env[2] if env else 0)
    model, meta = load_ensemble(args.checkpoint, device)
    images, labels = load_mnist(args.split, args.data_dir, "cpu")
    indices = select_indices(len(images), start=args.start, skip=args.skip, max_count=args.max)
    weights = [float(w) for w in args.weights.split(",")] if args.weights else None
    sigma = args.sigma if args.sigma is not None else meta["config"].get("sigma")
    if sigma is None:
        raise ValueError("the checkpoint records no training sigma: pass --sigma")
    extra = {"checkpoint": meta["path"], "checkpoint_sha256": meta["sha256"],
             "train_config": meta["config"], "epoch": meta["epoch"], "split": args.split}
    kwargs = dict(sigma=float(sigma), n0=args.n0, n=args.n, alpha=args.alpha, batch_size=args.batch,
                  seed=args.seed, device=device, weights=weights, manifest_extra=extra,
                  progress=not args.no_progress)
    if env is not None:
        paths = certify_distributed(model, images, labels, indices, out_dir=args.out, **kwargs)
        if env[0] != 0:
            return 0
    else:
        paths = certify_dataset(model, images, labels, indices, out_dir=args.out,
                                shard=args.shard, **kwargs)
    for name, path in paths.items():
        print(f"{name}\t{path}")
    if args.report and args.shard is None:
        from drt_min.report import write_report

        print(write_report(args.out))
    return 0


def _report(args: argparse.Namespace) -> int:
    from drt_min.report import write_report

    summary = write_report(args.run_dir)
    print(summary.read_text(), end="")
    print(f"written: {summary}, {summary.with_name('certified_accuracy.png')}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from drt_min.compare import compare_certifications

    path = compare_certifications(args.drt_dir, args.control_dir, args.out)
    print(path.read_text(), end="")
    print(f"written: {path}, {path.with_name('comparison.png')}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from drt_min.results import merge_shards

    for name, path in merge_shards(args.run_dir).items():
        print(f"{name}\t{path}")
    if args.report:
        from drt_min.report import write_report

        print(write_report(args.run_dir))
    return 0
