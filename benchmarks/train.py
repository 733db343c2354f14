"""Time per training step of Gaussian augmentation, SmoothAdv and DRT for the same ensemble.

Usage::

    python benchmarks/train.py [--batch 256] [--noise-copies 2] [--attack-steps 10] [--rounds 5]
                               [--device auto] [--threads 0] [--out benchmarks/results/train-steps.md]

Every method runs :func:`drt_min.train.training_step` (the loop ``train`` uses) on the same
ensemble of three LeNets and the same MNIST batch (random images if MNIST is not found), with the
forward, the backward and, for DRT, the double backward through the input gradients; the optimizer
update is left out so every method times the same model. The methods are interleaved round by round
and each is timed with ``torch.utils.benchmark.Timer`` (which synchronises CUDA); the table gives the
median over rounds, so a machine shared with other jobs skews all methods alike.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import statistics
import sys

import torch
from torch.utils import benchmark

from drt_min.checkpoint import resolve_device
from drt_min.config import TrainConfig
from drt_min.data import load_mnist
from drt_min.models import LeNetEnsemble
from drt_min.train import training_step


def _batch(batch: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, str]:
    try:
        x, y = load_mnist("train", None, device)
        return x[:batch].contiguous(), y[:batch].contiguous(), "MNIST (first images of train)"
    except (FileNotFoundError, ValueError):
        gen = torch.Generator().manual_seed(0)
        x = torch.rand(batch, 1, 28, 28, generator=gen).to(device)
        y = torch.randint(0, 10, (batch,), generator=gen).to(device)
        return x, y, "random images (MNIST not found)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch", type=int, default=256, help="images per step")
    p.add_argument("--noise-copies", type=int, default=2, help="noisy copies per image (m)")
    p.add_argument("--members", type=int, default=3)
    p.add_argument("--attack-steps", type=int, default=10, help="SmoothAdv PGD steps")
    p.add_argument("--rho1", type=float, default=0.5)
    p.add_argument("--rho2", type=float, default=2.0)
    p.add_argument("--sigma", type=float, default=0.25)
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds per method")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: default)")
    p.add_argument("--out", type=pathlib.Path, default=None, help="also write a markdown table")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    x, y, source = _batch(args.batch, device)
    torch.manual_seed(0)
    model = LeNetEnsemble(args.members).to(device)
    base = dict(sigma=args.sigma, noise_copies=args.noise_copies, num_members=args.members,
                batch_size=args.batch)
    methods = {
        "Gaussian": TrainConfig(**base),
        f"SmoothAdv ({args.attack_steps}-step PGD)": TrainConfig(
            **base, attack_steps=args.attack_steps, attack_eps=1.0),
        f"DRT (rho1={args.rho1:g}, rho2={args.rho2:g})": TrainConfig(
            **base, rho1=args.rho1, rho2=args.rho2),
    }
    gen = torch.Generator(device=device).manual_seed(0)
    times: dict[str, list[float]] = {name: [] for name in methods}
    for name, cfg in methods.items():  # warm-up
        training_step(model, None, x, y, cfg, gen)
        model.zero_grad(set_to_none=True)
    for _ in range(args.rounds):
        for name, cfg in methods.items():
            timer = benchmark.Timer(
                stmt="training_step(model, None, x, y, cfg, gen); model.zero_grad(set_to_none=True)",
                globals=dict(training_step=training_step, model=model, x=x, y=y, cfg=cfg, gen=gen))
            times[name].append(timer.timeit(1).median)
    gauss = statistics.median(times["Gaussian"])
    if device.type == "cuda":
        dev_name = torch.cuda.get_device_name(device)
    else:
        dev_name = f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "n/a"
    lines = [
        f"device: {dev_name}; torch {torch.__version__}; threads {torch.get_num_threads()}; "
        f"python {sys.version.split()[0]}",
        f"batch {args.batch} images x {args.noise_copies} noisy copies = "
        f"{args.batch * args.noise_copies} inputs, {args.members} LeNet members, data: {source}; "
        f"median of {args.rounds} interleaved rounds",
        "",
        "| method | s / step | x Gaussian | all rounds (s) |",
        "|---|---|---|---|",
    ]
    for name, ts in times.items():
        med = statistics.median(ts)
        lines.append(f"| {name} | {med:.3f} | {med / gauss:.2f} | "
                     + ", ".join(f"{t:.3f}" for t in ts) + " |")
    lines.append("")
    lines.append(f"load average at the end: {load}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
