"""Throughput of drt_min's certifier against a Cohen-style reference, same models, same n.

The reference follows Cohen et al.'s ``core.py``: one image and one protocol at a time; per batch
``x.repeat`` + ``randn_like``; the ensemble module's forward; predictions counted in a Python loop
over the samples. It certifies WE, MME and each member in separate runs (it has no EAS: EAS needs
every member's counts at once). drt_min certifies all of them, and EAS, in one pass.

Its ensemble module is the one such code bases use: the members as ordinary ``LeNet`` modules,
called one after the other and stacked (:class:`ModuleListEnsemble`). drt_min evaluates the same
weights with its own :class:`drt_min.models.LeNetEnsemble`. To separate what the model's
evaluation and what the certifier contribute, the reference also certifies WE once with
drt_min's model.

    python benchmarks/certify.py                      # defaults sized for 2 CPU cores, a few minutes
    python benchmarks/certify.py --device cuda --images 100 --n 100000

Prints samples/s (noisy forward samples, n0 + n per image) per protocol and the ratios, with the
device (its name on CUDA), torch version, thread count and load average. On CUDA the bare-forward
table is timed with CUDA events; the certifiers' wall times synchronise the device before reading
the clock (their host work is part of what is measured).

``--compare-precision CKPT`` compares ``--cert-precision bf16`` with fp32 on a trained checkpoint
instead, side by side in one process: the bare forward and the certifier, interleaved, and the
agreement of the two certificates (predictions, radii, certified accuracy, ACR) on the images of
the checkpoint's recorded protocol, plus the fraction of noisy inputs on which the two classifiers
vote differently::

    python benchmarks/certify.py --compare-precision runs/cpu/checkpoints/drt.pt \
        --out benchmarks/results/certify-bf16-cpu.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np
import torch

from drt_min.certify import certify_dataset
from drt_min.data import load_mnist
from drt_min.ensemble import ProtocolClassifier, protocol_names
from drt_min.models import LeNetEnsemble
from drt_min.smoothing import lower_confidence_bound, radius_from_bound


def device_name(device) -> str:
    """The device in words: the GPU's name on CUDA, the CPU's model otherwise."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{device} ({model}, {os.cpu_count()} logical CPUs)"


def time_once(fn, device) -> float:
    """Seconds of one call of ``fn``: CUDA events around it on a GPU (the host clock would time
    the kernel launches, not the kernels), the host clock on CPU."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class CohenReference:
    """Cohen et al.'s ``Smooth.certify`` over one protocol of an ensemble."""

    def __init__(self, base_classifier, num_classes, sigma):
        self.base_classifier, self.num_classes, self.sigma = base_classifier, num_classes, sigma

    def certify(self, x, n0, n, alpha, batch_size):
        self.base_classifier.eval()
        counts_selection = self._sample_noise(x, n0, batch_size)
        cAHat = counts_selection.argmax().item()
        counts_estimation = self._sample_noise(x, n, batch_size)
        nA = counts_estimation[cAHat].item()
        pABar = float(lower_confidence_bound(nA, n, alpha))
        if pABar < 0.5:
            return -1, 0.0
        return cAHat, float(radius_from_bound(pABar, self.sigma))

    def _sample_noise(self, x, num, batch_size):
        with torch.no_grad():
            counts = np.zeros(self.num_classes, dtype=int)
            for _ in range(int(np.ceil(num / batch_size))):
                this_batch_size = min(batch_size, num)
                num -= this_batch_size
                batch = x.repeat((this_batch_size, 1, 1, 1))
                noise = torch.randn_like(batch, device=x.device) * self.sigma
                predictions = self.base_classifier(batch + noise).argmax(1)
                counts += self._count_arr(predictions.cpu().numpy(), self.num_classes)
            return counts

    def _count_arr(self, arr, length):
        counts = np.zeros(length, dtype=int)
        for idx in arr:
            counts[idx] += 1
        return counts


class ModuleListEnsemble(torch.nn.Module):
    """The members as ordinary modules, run one after the other: (B, 1, 28, 28) -> (B, N, C)."""

    def __init__(self, members):
        super().__init__()
        self.members = torch.nn.ModuleList(members)
        self.num_classes = members[0].fc2.out_features

    def forward(self, x):
        return torch.stack([m(x) for m in self.members], dim=1)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_reference(model, images, protocol, *, sigma, n0, n, alpha, batch_size, device):
    smooth = CohenReference(ProtocolClassifier(model, protocol), model.num_classes, sigma)
    _sync(device)
    t0, c0 = time.perf_counter(), time.process_time()
    for x in images:
        smooth.certify(x.to(device), n0, n, alpha, batch_size)
    _sync(device)
    return time.perf_counter() - t0, time.process_time() - c0


def run_ours(model, images, labels, *, sigma, n0, n, alpha, batch_size, device):
    with tempfile.TemporaryDirectory() as out:
        _sync(device)
        t0, c0 = time.perf_counter(), time.process_time()
        certify_dataset(model, images, labels, range(len(images)), sigma=sigma, n0=n0, n=n,
                        alpha=alpha, batch_size=batch_size, seed=0, out_dir=out, device=device,
                        progress=False)
        _sync(device)
        return time.perf_counter() - t0, time.process_time() - c0


def forward_table(model, plain, device, chunks, samples=2000, repeats=3) -> None:
    """Microseconds per noisy sample of the bare forward (no certifier), by sub-batch size."""
    x = torch.rand(samples, 1, 28, 28, device=device)
    saved = model.inference_chunk

    def best(fn):
        fn()
        _sync(device)
        times = [time_once(fn, device) for _ in range(repeats)]
        return min(times) / samples * 1e6

    clock = "CUDA events" if device.type == "cuda" else "wall"
    print(f"Bare forward, microseconds per noisy sample ({clock}, fastest of "
          f"{repeats}), {samples} samples split into batches of the given size:")
    print()
    print("| batch | ordinary LeNet modules | LeNetEnsemble, autograd on | "
          "LeNetEnsemble, no_grad, whole batch | LeNetEnsemble, no_grad, sub-batches of 64 |")
    print("|---|---|---|---|---|")
    try:
        for b in chunks:
            parts = x.split(b)
            with torch.no_grad():
                t_plain = best(lambda: [plain(p) for p in parts])
                model.inference_chunk = b
                t_whole = best(lambda: [model(p) for p in parts])
                model.inference_chunk = 64
                t_chunk = best(lambda: [model(p) for p in parts])
            t_grad = best(lambda: [model(p) for p in parts])
            print(f"| {b} | {t_plain:.0f} | {t_grad:.0f} | {t_whole:.0f} | {t_chunk:.0f} |")
    finally:
        model.inference_chunk = saved
    print()


RADII = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0)


def _rows(paths):
    from drt_min.results import read_tsv

    return {name: read_tsv(path) for name, path in paths.items()}


def _agreement_table(fp32, bf16, radii) -> list[str]:
    """Per protocol: how the bf16 certificates compare with the fp32 ones on the same images."""
    lines = ["| protocol | images | same prediction | same certificate (prediction and radius, "
             "bit for bit) | max abs radius difference | mean abs radius difference | "
             "certified accuracy fp32 -> bf16 at " + ", ".join(f"{r:g}" for r in radii)
             + " | ACR fp32 | ACR bf16 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in fp32:
        a, b = fp32[name], bf16[name]
        assert [r.idx for r in a] == [r.idx for r in b]
        k = len(a)
        same_pred = sum(x.predict == y.predict for x, y in zip(a, b))
        same_cert = sum(x.predict == y.predict and x.radius == y.radius for x, y in zip(a, b))
        diffs = np.array([abs(x.radius - y.radius) for x, y in zip(a, b)])
        acc = []
        for r in radii:
            ca = np.mean([x.correct and x.radius >= r for x in a])
            cb = np.mean([y.correct and y.radius >= r for y in b])
            acc.append(f"{ca:.3f}->{cb:.3f}")
        acr_a = np.mean([x.radius if x.correct else 0.0 for x in a])
        acr_b = np.mean([y.radius if y.correct else 0.0 for y in b])
        lines.append(f"| {name} | {k} | {same_pred} ({same_pred / k:.1%}) | {same_cert} "
                     f"({same_cert / k:.1%}) | {diffs.max():.4g} | {diffs.mean():.3g} | "
                     f"{'; '.join(acc)} | {acr_a:.4f} | {acr_b:.4f} |")
    return lines


def _sample_disagreement(model, bf16, images, indices, *, sigma, n, seed, batch_size, weights,
                         device) -> tuple[int, np.ndarray]:
    """Noisy inputs drawn as the certifier draws them (estimation stream) and the fraction on
    which fp32 and bf16 vote differently, per protocol: (samples, disagreements (P,))."""
    from drt_min.ensemble import protocol_votes
    from drt_min.smoothing import ESTIMATION, noisy_batches

    total, differ = 0, None
    with torch.inference_mode():
        x = images[indices].to(device)
        for inputs, _ in noisy_batches(x, indices, ((ESTIMATION, n),), sigma=sigma, seed=seed,
                                       batch_size=batch_size):
            va = protocol_votes(model(inputs), weights)
            vb = protocol_votes(bf16(inputs), weights)
            d = (va != vb).sum(0)
            differ = d if differ is None else differ + d
            total += inputs.shape[0]
    return total, differ.cpu().numpy()


def compare_precision(args, device) -> str:
    """bf16 against fp32 on a trained checkpoint: speed side by side, and agreement."""
    from drt_min.certification import protocol_for
    from drt_min.checkpoint import load_ensemble
    from drt_min.config import TrainConfig, from_dict, replace
    from drt_min.data import load_split
    from drt_min.ensemble import normalize_weights
    from drt_min.precision import for_precision

    load_before = os.getloadavg()
    model, meta = load_ensemble(args.compare_precision, device)
    bf16 = for_precision(model, "bf16").eval()
    protocol = protocol_for(meta)
    full_protocol = protocol  # before --images-agree cuts its images: the timed ones come from it
    if args.images_agree:
        protocol = replace(protocol, cert_max_images=args.images_agree)
    train_cfg = from_dict(TrainConfig, meta["config"])
    if args.data_dir:
        train_cfg = replace(train_cfg, data_dir=args.data_dir)
    images, labels = load_split(protocol.cert_split, train_cfg, "cpu")
    indices = protocol.indices(len(images))
    sigma = protocol.cert_sigma or train_cfg.sigma
    batch = protocol.cert_batch
    kw = dict(sigma=sigma, n0=protocol.cert_n0, n=protocol.cert_n, alpha=protocol.cert_alpha,
              batch_size=batch, seed=protocol.cert_seed, device=device,
              weights=protocol.weights(), progress=False)
    out = [f"device: {device_name(device)}; torch {torch.__version__}; threads "
           f"{torch.get_num_threads()}; python {sys.version.split()[0]}",
           f"load average before: {' '.join(f'{v:.2f}' for v in load_before)}",
           f"checkpoint: {meta['path']} (sha256 {meta['sha256'][:16]}..., {meta['num_members']} "
           f"members, epoch {meta['epoch']})",
           f"protocol (the checkpoint's): {protocol.cert_split} images every "
           f"{protocol.cert_every} from {protocol.cert_start}, {len(indices)} images; sigma "
           f"{sigma:g}, n0 {protocol.cert_n0}, n {protocol.cert_n}, alpha {protocol.cert_alpha:g}, "
           f"noise seed {protocol.cert_seed}, batch {batch}", ""]

    # 1. the bare forward, fp32 and bf16 interleaved, on noisy copies of real images
    gen = torch.Generator().manual_seed(0)
    src = images[indices[: min(len(indices), 64)]]
    reps = -(-args.forward_samples // src.shape[0])
    x = (src.repeat(reps, 1, 1, 1)[: args.forward_samples]
         + sigma * torch.randn((args.forward_samples, *src.shape[1:]), generator=gen)).to(device)
    forward = {"fp32": [], "bf16": []}
    forward_cpu = {"fp32": [], "bf16": []}
    with torch.inference_mode():
        for m in (model, bf16):
            m(x)
        for _ in range(args.repeats):
            for name, m in (("fp32", model), ("bf16", bf16)):
                c0 = time.process_time()
                forward[name].append(time_once(lambda: m(x), device) / x.shape[0] * 1e6)
                forward_cpu[name].append((time.process_time() - c0) / x.shape[0] * 1e6)
    clock = "CUDA events" if device.type == "cuda" else "wall clock"
    out += [f"Bare forward of the ensemble, {x.shape[0]} noisy inputs in one call "
            f"({clock}, and process CPU time; {args.repeats} interleaved repeats), microseconds "
            "per sample:", "",
            "| precision | median | fastest | median CPU | all (wall) |", "|---|---|---|---|---|"]
    for name, ts in forward.items():
        out.append(f"| {name} | {np.median(ts):.1f} | {min(ts):.1f} | "
                   f"{np.median(forward_cpu[name]):.1f} | " + ", ".join(f"{t:.1f}" for t in ts)
                   + " |")
    out += ["", f"speed-up of bf16: {np.median(forward['fp32']) / np.median(forward['bf16']):.2f}x "
            f"(medians), {min(forward['fp32']) / min(forward['bf16']):.2f}x (fastest), "
            f"{np.median(forward_cpu['fp32']) / np.median(forward_cpu['bf16']):.2f}x (median CPU "
            "time)", ""]

    # 2. the certifier, fp32 and bf16 interleaved, on the first images
    speed_idx = full_protocol.indices(len(images))[: args.images_speed]
    cert = {"fp32": [], "bf16": []}
    for _ in range(args.repeats):
        for name in ("fp32", "bf16"):
            with tempfile.TemporaryDirectory() as tmp:
                _sync(device)
                c0 = time.process_time()
                t0 = time.perf_counter()
                certify_dataset(model, images, labels, speed_idx, out_dir=tmp, precision=name,
                                **kw)
                _sync(device)
                cert[name].append((time.perf_counter() - t0, time.process_time() - c0))
    samples = len(speed_idx) * (protocol.cert_n0 + protocol.cert_n)
    out += [f"Certifier (all protocols, one pass), {len(speed_idx)} images x "
            f"{protocol.cert_n0 + protocol.cert_n} samples, {args.repeats} interleaved repeats:", "",
            "| precision | median wall s | fastest wall s | median CPU s | forward samples/s "
            "(median wall) |", "|---|---|---|---|---|"]
    for name, ts in cert.items():
        walls, cpus = [w for w, _ in ts], [c for _, c in ts]
        out.append(f"| {name} | {np.median(walls):.2f} | {min(walls):.2f} | {np.median(cpus):.2f} "
                   f"| {samples / np.median(walls):,.0f} |")
    med = {k: np.median([w for w, _ in v]) for k, v in cert.items()}
    medc = {k: np.median([c for _, c in v]) for k, v in cert.items()}
    out += ["", f"speed-up of bf16: {med['fp32'] / med['bf16']:.2f}x by wall time, "
            f"{medc['fp32'] / medc['bf16']:.2f}x by CPU time (medians)", ""]

    # 3. agreement of the certificates on every image of the protocol
    with tempfile.TemporaryDirectory() as tmp:
        tables, times = {}, {}
        for name in ("fp32", "bf16"):
            t0, c0 = time.perf_counter(), time.process_time()
            paths = certify_dataset(model, images, labels, indices, out_dir=f"{tmp}/{name}",
                                    precision=name, **kw)
            times[name] = (time.perf_counter() - t0, time.process_time() - c0)
            tables[name] = _rows(paths)
    out += [f"Certificates of the {len(indices)} images, fp32 against bf16 (same noise; each run "
            "once, one after the other: " + ", ".join(f"{k} {w:.0f} s wall / {c:.0f} s CPU"
                                                      for k, (w, c) in times.items()) + "):", ""]
    out += _agreement_table(tables["fp32"], tables["bf16"], RADII)

    # 4. the base classifiers' votes on the same noisy inputs
    sample_idx = indices[: args.images_samples]
    weights = torch.as_tensor(normalize_weights(protocol.weights(), meta["num_members"]),
                              device=device)
    total, differ = _sample_disagreement(model, bf16, images, sample_idx, sigma=sigma,
                                         n=protocol.cert_n, seed=protocol.cert_seed,
                                         batch_size=batch, weights=weights, device=device)
    names = protocol_names(meta["num_members"])
    out += ["", f"Votes of the base classifiers on the same {total:,} noisy inputs (the "
            f"estimation noise of the first {len(sample_idx)} images): inputs on which fp32 and "
            "bf16 vote differently", "", "| protocol | inputs | differing votes | fraction |",
            "|---|---|---|---|"]
    for name, d in zip(names, differ):
        out.append(f"| {name} | {total:,} | {int(d):,} | {d / total:.2e} |")
    out += ["", f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"]
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=4)
    p.add_argument("--n0", type=int, default=100)
    p.add_argument("--n", type=int, default=1500)
    p.add_argument("--alpha", type=float, default=0.001)
    p.add_argument("--sigma", type=float, default=0.25)
    p.add_argument("--batch", type=int, nargs="+", default=[1000, 200],
                   help="batch sizes; both certifiers run at each (1000 is Cohen et al.'s default)")
    p.add_argument("--members", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeats", type=int, default=2,
                   help="interleaved repetitions; the fastest of each is reported (robust to other load)")
    p.add_argument("--data-dir", default=None, help="directory holding mnist/ (default: $DRT_DATA_DIR, "
                   "else ../shared/data beside the repository)")
    p.add_argument("--forward-batches", type=int, nargs="*", default=[32, 64, 200, 1000],
                   help="batch sizes of the bare-forward table printed first (none: skip it)")
    p.add_argument("--protocols", nargs="+", default=None,
                   help="reference protocols (default: we, mme and every member)")
    g = p.add_argument_group("bf16 against fp32 (--compare-precision)")
    g.add_argument("--compare-precision", metavar="CKPT", default=None,
                   help="compare --cert-precision bf16 with fp32 on this checkpoint instead")
    g.add_argument("--images-agree", type=int, default=0,
                   help="images of the checkpoint's protocol for the agreement (0: all)")
    g.add_argument("--images-speed", type=int, default=10, help="images timed per repeat")
    g.add_argument("--images-samples", type=int, default=100,
                   help="images whose noisy inputs are compared vote by vote")
    g.add_argument("--forward-samples", type=int, default=0,
                   help="noisy inputs of the bare-forward timings (0: 2000 for the table, 1024 "
                        "for --compare-precision)")
    g.add_argument("--out", default=None, help="also write the comparison (markdown) here")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if args.compare_precision:
        args.repeats = max(args.repeats, 1)
        args.forward_samples = args.forward_samples or 1024
        text = compare_precision(args, device)
        print(text)
        if args.out:
            with open(args.out, "w") as fh:
                fh.write(text + "\n")
        return 0
    torch.manual_seed(0)
    model = LeNetEnsemble(args.members, 10).to(device).eval()
    plain = ModuleListEnsemble(model.members()).to(device).eval()
    try:
        data_dir = args.data_dir or os.environ.get("DRT_DATA_DIR") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
        images, labels = load_mnist("test", data_dir, "cpu")
        source = "MNIST test images"
    except FileNotFoundError:
        gen = torch.Generator().manual_seed(0)
        images, labels = torch.rand(1000, 1, 28, 28, generator=gen), torch.randint(0, 10, (1000,), generator=gen)
        source = "uniform random 28x28 images (MNIST not found)"
    step = len(images) // args.images
    images, labels = images[::step][: args.images].contiguous(), labels[::step][: args.images].contiguous()
    protocols = args.protocols or protocol_names(args.members)
    samples = args.images * (args.n0 + args.n)

    print(f"device: {device_name(device)}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, cpus {os.cpu_count()}, python {sys.version.split()[0]}")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"models: {args.members} LeNet members, random init, the same weights in both forms; data: {source}")
    print("  reference: ModuleListEnsemble (ordinary LeNet modules, one after the other);"
          " 'reference + LeNetEnsemble': the reference handed drt_min's model")
    print(f"  drt_min: drt_min.models.LeNetEnsemble (inference chunk {model.inference_chunk})")
    print(f"images {args.images}, n0 {args.n0}, n {args.n}, alpha {args.alpha}, sigma {args.sigma}; "
          f"{samples} noisy samples per image set and protocol; fastest of {args.repeats} interleaved runs")

    print()
    if args.forward_batches:
        forward_table(model, plain, device, args.forward_batches,
                      samples=args.forward_samples or 2000)

    # warm-up (allocator, oneDNN kernels)
    warm = dict(sigma=args.sigma, n0=args.n0, n=args.n0, alpha=args.alpha, batch_size=max(args.batch),
                device=device)
    run_ours(model, images[:1], labels[:1], **warm)
    run_reference(plain, images[:1], "we", **warm)
    run_reference(model, images[:1], "we", **warm)

    kw = dict(sigma=args.sigma, n0=args.n0, n=args.n, alpha=args.alpha, device=device)
    inf = (float("inf"), float("inf"))
    best_ref = {(b, proto): inf for b in args.batch for proto in protocols}
    best_ref_ours_model = {b: inf for b in args.batch}
    best_ours = {b: inf for b in args.batch}

    def keep_best(table, key, result):
        table[key] = tuple(min(old, new) for old, new in zip(table[key], result))

    for _ in range(args.repeats):
        for batch in args.batch:
            for proto in protocols:
                keep_best(best_ref, (batch, proto), run_reference(plain, images, proto, batch_size=batch, **kw))
            if "we" in protocols:
                keep_best(best_ref_ours_model, batch, run_reference(model, images, "we", batch_size=batch, **kw))
            keep_best(best_ours, batch, run_ours(model, images, labels, batch_size=batch, **kw))

    print()
    print("Wall seconds and process CPU seconds, each the fastest of the repeats (CPU time is less "
          "sensitive to other load on the machine). Forward samples: noisy inputs through the "
          "ensemble; certificate samples: forward samples times the protocols they certify.")
    print()
    print("| batch | certifier | protocols | wall s | CPU s | forward samples/s (wall) | "
          "certificate samples/s (wall) | certificate samples/CPU-s |")
    print("|---|---|---|---|---|---|---|---|")
    ratios = []
    for batch in args.batch:
        ref = {proto: best_ref[batch, proto] for proto in protocols}
        for proto, (wall, cpu) in ref.items():
            print(f"| {batch} | reference | {proto} | {wall:.2f} | {cpu:.2f} | {samples / wall:,.0f} | "
                  f"{samples / wall:,.0f} | {samples / cpu:,.0f} |")
        ref_wall = sum(w for w, _ in ref.values())
        ref_cpu = sum(c for _, c in ref.values())
        print(f"| {batch} | reference | {' + '.join(ref)}, one run each | {ref_wall:.2f} | {ref_cpu:.2f} | "
              f"{samples * len(ref) / ref_wall:,.0f} | {samples * len(ref) / ref_wall:,.0f} | "
              f"{samples * len(ref) / ref_cpu:,.0f} |")
        if "we" in ref:
            wall, cpu = best_ref_ours_model[batch]
            print(f"| {batch} | reference + LeNetEnsemble | we | {wall:.2f} | {cpu:.2f} | {samples / wall:,.0f} | "
                  f"{samples / wall:,.0f} | {samples / cpu:,.0f} |")
        ours_wall, ours_cpu = best_ours[batch]
        n_ours = len(protocols) + 1
        print(f"| {batch} | drt_min | all {n_ours} (incl. EAS), one pass | {ours_wall:.2f} | {ours_cpu:.2f} | "
              f"{samples / ours_wall:,.0f} | {samples * n_ours / ours_wall:,.0f} | "
              f"{samples * n_ours / ours_cpu:,.0f} |")
        if "we" in ref:
            ratios.append((batch, "WE: reference WE run vs drt_min's one pass",
                           ref["we"][0] / ours_wall, ref["we"][1] / ours_cpu))
            wall, cpu = best_ref_ours_model[batch]
            ratios.append((batch, "WE: reference + LeNetEnsemble WE run vs drt_min's one pass",
                           wall / ours_wall, cpu / ours_cpu))
        ratios.append((batch, f"{' + '.join(ref)}: reference runs vs drt_min's one pass",
                       ref_wall / ours_wall, ref_cpu / ours_cpu))
    if "we" in protocols and len(args.batch) > 1:
        # the reference at its fastest batch size against drt_min at its slowest
        ref_best = min(best_ref[b, "we"] for b in args.batch)
        ours_worst = max(best_ours.values())
        ratios.append(("any", "WE: fastest reference WE run vs slowest drt_min one pass",
                       ref_best[0] / ours_worst[0], ref_best[1] / ours_worst[1]))
    print()
    print("| batch | speed-up of drt_min | by wall time | by CPU time |")
    print("|---|---|---|---|")
    for batch, what, r_wall, r_cpu in ratios:
        print(f"| {batch} | {what} | {r_wall:.2f}x | {r_cpu:.2f}x |")
    print()
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
