"""Batched, resumable certification of WE, MME, every member (EBS) and EAS in one pass.

For each image the noise is drawn once per sample, from streams seeded by (seed, image index,
phase, block) (:func:`drt_min.smoothing.noise_segment`); the ensemble is evaluated once per noisy
batch; the votes of every protocol are computed from the same logits and counted on the device
with one ``index_add_`` (:func:`drt_min.smoothing.add_counts`: the counts of ``bincount`` without
its host synchronisation on CUDA); several images share a forward batch. The certificates are therefore those
a per-image, per-protocol loop over the same noise would give, whatever the batch size, the number
of images per batch, the shard or an interruption and resumption.

Each EBS protocol gets Cohen et al.'s certificate at level alpha (each holds with probability at
least 1 - alpha; they share samples and are not independent). EAS takes the members' bounds at
level alpha / N so that they hold simultaneously.
"""

from __future__ import annotations

import json
import math
import pathlib
import platform
import sys
import time
from datetime import datetime, timezone
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from drt_min import results as res
from drt_min.ensemble import eas_certify, normalize_weights, protocol_names, protocol_votes
from drt_min.errors import UserError, check_output_dir, check_sigma
from drt_min.lock import DirectoryLock
from drt_min.precision import for_precision
from drt_min.smoothing import (
    ESTIMATION,
    NOISE_BLOCK,
    SELECTION,
    add_counts,
    certify_from_counts,
    check_sampling_arguments,
    min_samples_to_certify,
    noisy_batches,
    nonfinite_error,
    warn_if_never_certifies,
)

__all__ = ["certify_dataset", "count_votes", "certificates_from_counts", "shard_range",
           "parse_shard", "library_versions"]


#: Seconds between rewrites of the running manifest's ``elapsed_s`` (so a killed run keeps it).
ELAPSED_EVERY_S = 10.0


def parse_shard(spec) -> tuple[int, int] | None:
    """``None``, ``(i, k)`` or ``"i/k"`` -> ``(i, k)`` with ``0 <= i < k``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        try:
            i, k = (int(s) for s in spec.split("/"))
        except ValueError as exc:
            raise UserError(f"a shard is written i/k, got {spec!r}") from exc
    else:
        i, k = (int(s) for s in spec)
    if not (k >= 1 and 0 <= i < k):
        raise UserError(f"shard i/k needs 0 <= i < k, got {i}/{k}")
    return i, k


def shard_range(count: int, shard: tuple[int, int]) -> tuple[int, int]:
    """The contiguous [start, stop) of shard i of k over ``count`` items (sizes differ by <= 1)."""
    i, k = shard
    return (i * count) // k, ((i + 1) * count) // k


def library_versions() -> dict[str, str]:
    import scipy

    try:
        from importlib.metadata import version

        pkg = version("drt-ensembles")
    except Exception:  # noqa: BLE001 - an uninstalled checkout has no metadata
        pkg = "unknown"
    return {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "drt-ensembles": pkg, "platform": platform.platform()}


def count_votes(model, images: torch.Tensor, indices, *, sigma: float, n0: int, n: int, seed: int,
                batch_size: int, weights: torch.Tensor, num_protocols: int,
                num_classes: int) -> torch.Tensor:
    """Vote counts (K, 2, P, C) of K images: [:, 0] from n0 selection samples, [:, 1] from n
    estimation samples, for the P = 2 + N protocols of :func:`protocol_votes`.

    ``images`` (K, *input_shape) are on the device; ``indices`` are their dataset indices, which
    seed their noise (:func:`drt_min.smoothing.noisy_batches`). Noisy inputs of consecutive images
    fill each forward batch of ``batch_size``; votes are counted on the device
    (:func:`drt_min.smoothing.add_counts`).

    Non-finite logits (a NaN would vote for class 0) are counted per image and member on the
    device as well and read once, after the last batch: an image with any raises the
    :func:`drt_min.smoothing.nonfinite_error` naming it and the protocols it would falsify.
    """
    p, c = num_protocols, num_classes
    offsets = torch.arange(p, device=images.device) * c
    total = torch.zeros(images.shape[0] * 2 * p * c, dtype=torch.long, device=images.device)
    nonfinite = torch.zeros(images.shape[0] * 2, p - 2, dtype=torch.long, device=images.device)
    for inputs, keys in noisy_batches(images, indices, ((SELECTION, n0), (ESTIMATION, n)),
                                      sigma=sigma, seed=seed, batch_size=batch_size):
        size = inputs.shape[0]
        logits = model(inputs)
        if logits.dim() != 3 or logits.shape[0] != size or logits.shape[1] != p - 2 \
                or logits.shape[2] != c:
            raise UserError(f"the model must return logits (B, {p - 2}, {c}), got {tuple(logits.shape)}")
        nonfinite.index_add_(0, keys, (~torch.isfinite(logits)).any(2).long())
        votes = protocol_votes(logits, weights)                          # (size, P)
        flat = keys[:, None] * (p * c) + offsets + votes
        add_counts(total, flat.reshape(-1))
    bad = nonfinite.reshape(images.shape[0], 2 * (p - 2)).sum(1)
    if bool(bad.any()):
        slot = int(bad.nonzero()[0, 0])
        per_member = nonfinite.reshape(images.shape[0], 2, p - 2)[slot].sum(0)
        names = ["we", "mme"] + [f"member{int(i)}" for i in per_member.nonzero()[:, 0]] + ["eas"]
        raise nonfinite_error(int(indices[slot]), names, int(per_member.max()))
    return total.reshape(images.shape[0], 2, p, c)


def certificates_from_counts(counts: np.ndarray, *, n: int, alpha: float, sigma: float):
    """Predictions and radii (K, P + 1) from counts (K, 2, P, C): the P EBS protocols certified by
    :func:`drt_min.smoothing.certify_from_counts`, then EAS (:func:`drt_min.ensemble.eas_certify`)."""
    counts0, counts1 = counts[:, 0], counts[:, 1]
    prediction, radius = certify_from_counts(counts0, counts1, n=n, alpha=alpha, sigma=sigma)
    eas_pred, eas_radius = eas_certify(counts0[:, 2:], counts1[:, 2:], n, alpha, sigma)
    return (np.concatenate([prediction, eas_pred[:, None]], axis=1),
            np.concatenate([radius, eas_radius[:, None]], axis=1))


def _checked_indices(indices, images, labels) -> list[int]:
    """``indices`` as a list of distinct ints that index ``images`` (and ``labels`` matches them)."""
    all_indices = [int(i) for i in indices]
    if not all_indices:
        raise UserError("no images to certify")
    if len(set(all_indices)) != len(all_indices):
        raise UserError("image indices must be distinct")
    if min(all_indices) < 0 or max(all_indices) >= len(images) or len(labels) != len(images):
        raise UserError(f"image indices must lie in [0, {len(images)}) and labels match images")
    return all_indices


def _ensemble_shape(model, image: torch.Tensor) -> tuple[int, int]:
    """(members N, classes C) of ``model`` from one forward of ``image`` (1, *input_shape)."""
    if hasattr(model, "eval"):
        model.eval()
    with torch.inference_mode():
        probe = model(image)
    if probe.dim() != 3 or probe.shape[0] != 1:
        raise UserError(f"the model must return logits (B, N, C), got {tuple(probe.shape)}")
    return int(probe.shape[1]), int(probe.shape[2])


def _warn_if_protocols_never_certify(n: int, alpha: float, num_members: int) -> None:
    """Warn when ``n`` samples cannot certify at ``alpha``, or EAS's members at ``alpha / N``."""
    warn_if_never_certifies(n, alpha)
    if num_members > 1 and n >= min_samples_to_certify(alpha) and n < min_samples_to_certify(
            alpha / num_members):
        warn_if_never_certifies(n, alpha / num_members)


def _cuda_record(device: torch.device) -> dict[str, Any]:
    """The CUDA device and its TF32 settings: float32 convolutions run in TF32 where cuDNN allows
    it (PyTorch's default), which the manifest records."""
    return {"name": torch.cuda.get_device_name(device),
            "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
            "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32}


class _RunManifest:
    """The manifest of a certification run as it goes: resumed or started, running (``elapsed_s``
    rewritten every :data:`ELAPSED_EVERY_S`, so that a killed run keeps it), complete or stopped.

    Opening it decides the resume: :func:`drt_min.results.resume_prefix` checks an existing run
    with the same settings (before any write) and gives the images already done."""

    def __init__(self, run_dir: pathlib.Path, manifest: dict[str, Any], protocols: list[str]):
        self.run_dir, self.manifest = run_dir, manifest
        self.done = res.resume_prefix(run_dir, manifest)
        res.remove_stale_temporaries(run_dir, protocols)  # of a killed process; the lock is ours
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        previous = res.read_manifest(run_dir) if (run_dir / res.MANIFEST).exists() else {}
        # every segment counts, also a killed one: the running manifest is rewritten as it goes
        self.elapsed_before = float(previous.get("elapsed_s", 0.0))
        self.running = {**manifest, "status": "running", "started": self.started,
                        "resumed_at_image": self.done}
        res.write_manifest(run_dir, {**self.running, "elapsed_s": self.elapsed_before})

    def start_clock(self) -> None:
        self.t_run = self.last_saved = time.perf_counter()

    def tick(self) -> None:
        """Rewrite the running manifest's ``elapsed_s`` when :data:`ELAPSED_EVERY_S` have passed."""
        if time.perf_counter() - self.last_saved >= ELAPSED_EVERY_S:
            self.last_saved = time.perf_counter()
            self.stopped()

    def complete(self) -> None:
        res.write_manifest(self.run_dir, {**self.manifest, "status": "complete", "started": self.started,
                                          "resumed_at_image": self.done,
                                          "finished": datetime.now(timezone.utc).isoformat(
                                              timespec="seconds"),
                                          "elapsed_s": self._elapsed()})

    def stopped(self) -> None:
        """The running manifest with the time spent so far (also what an interrupted run leaves)."""
        res.write_manifest(self.run_dir, {**self.running, "elapsed_s": self._elapsed()})

    def _elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.t_run


def _certified_chunks(model, images: torch.Tensor, indices: list[int], images_per_chunk: int, *,
                      alpha: float, **votes):
    """Per chunk of ``images_per_chunk`` images (on the device, dataset ``indices``): the chunk's
    indices, the (prediction, radius) of every protocol (K, P) and the seconds per image.
    ``votes`` are the settings of :func:`count_votes` (sigma, n0, n, seed, batch size, ...)."""
    for start in range(0, len(indices), images_per_chunk):
        chunk = indices[start:start + images_per_chunk]
        t0 = time.perf_counter()
        with torch.inference_mode():
            counts = count_votes(model, images[start:start + len(chunk)], chunk, **votes)
            counts = counts.cpu().numpy()  # the one wait for the device per chunk
        prediction, radius = certificates_from_counts(counts, n=votes["n"], alpha=alpha, sigma=votes["sigma"])
        yield chunk, prediction, radius, (time.perf_counter() - t0) / len(chunk)


def _append_rows(appenders: dict, protocols: list[str], chunk: list[int], labels_np: np.ndarray,
                 prediction: np.ndarray, radius: np.ndarray, per_image: float) -> None:
    """One TSV row per image of ``chunk`` and protocol: (idx, label, predict, radius, correct, time)."""
    for p_i, name in enumerate(protocols):
        rows = []
        for k, idx in enumerate(chunk):
            label = int(labels_np[idx])
            pred = int(prediction[k, p_i])
            rows.append(res.Row(idx, label, pred, float(radius[k, p_i]), int(pred == label), per_image))
        appenders[name].write(rows)


def certify_dataset(model, images, labels, indices, *, sigma, n0, n, alpha, batch_size, seed,
                    out_dir, device, weights=None, manifest_extra=None, progress=True,
                    shard=None, precision: str = "fp32") -> dict[str, pathlib.Path]:
    """Certify ``images[indices]`` under every protocol and write one TSV per protocol.

    With probability at least 1 - alpha (per protocol and image), each row that does not abstain
    is a correct statement about that protocol's smoothed classifier: it predicts ``predict``
    everywhere within L2 distance ``radius`` of the image.

    ``model(x) -> logits (B, N, C)`` is the ensemble. Writes ``we.tsv``, ``mme.tsv``,
    ``member0.tsv``, ..., ``eas.tsv`` and ``manifest.json`` into ``out_dir`` (into
    ``out_dir/shards/i-of-k`` with ``shard=(i, k)`` or ``"i/k"``, which certifies the i-th of k
    contiguous parts of ``indices``; join them with :func:`drt_min.results.merge_shards`). An
    existing directory with the same settings is resumed. Returns the TSV paths by protocol name.

    ``precision`` 'bf16' certifies the bf16 classifier (:mod:`drt_min.precision`): the model's
    copy in bfloat16 on bfloat16 inputs; the manifest records it ('fp32' where absent).
    """
    check_sigma(sigma)
    check_sampling_arguments(n0=n0, n=n, alpha=alpha, batch_size=batch_size)
    sigma, alpha, n0, n, batch_size, seed = float(sigma), float(alpha), int(n0), int(n), \
        int(batch_size), int(seed)
    device = torch.device(device)
    all_indices = _checked_indices(indices, images, labels)
    shard = parse_shard(shard)
    if shard is None:
        my_indices, run_dir = all_indices, pathlib.Path(out_dir)
    else:
        start, stop = shard_range(len(all_indices), shard)
        my_indices, run_dir = all_indices[start:stop], res.shard_dir(out_dir, shard)
    if manifest_extra is not None:
        # stored as JSON; normalised now (tuples become lists) so that a resumed run compares equal
        manifest_extra = json.loads(json.dumps(manifest_extra))

    model = for_precision(model, precision)
    num_members, num_classes = _ensemble_shape(model, images[all_indices[0]:all_indices[0] + 1].to(device))
    w = normalize_weights(weights, num_members)
    ebs = protocol_names(num_members)
    protocols = ebs + ["eas"]
    _warn_if_protocols_never_certify(n, alpha, num_members)

    manifest = {
        "sigma": sigma, "n0": n0, "n": n, "alpha": alpha, "seed": seed, "noise_block": NOISE_BLOCK,
        "indices": my_indices, "all_indices": all_indices,
        "shard": list(shard) if shard else None, "weights": [float(x) for x in w],
        "protocols": protocols, "num_members": num_members, "num_classes": num_classes,
        "batch_size": batch_size, "device": str(device), "versions": library_versions(),
        "precision": precision,
        "extra": manifest_extra, "eas_alpha_per_member": alpha / num_members,
        "seeding": "noise of image idx, phase (0 selection, 1 estimation), block b: "
                   "torch.Generator seeded by drt_min.seeding.stream_seed(seed, idx, phase, b)",
    }
    if device.type == "cuda":
        manifest["cuda"] = _cuda_record(device)
    check_output_dir(run_dir, "--out")
    run_dir.mkdir(parents=True, exist_ok=True)
    # one process per directory: a second one fails here, naming the holder, and touches nothing
    lock = DirectoryLock(run_dir, "--out")
    try:
        run = _RunManifest(run_dir, manifest, protocols)
        paths = {name: run_dir / f"{name}.tsv" for name in protocols}
        todo = my_indices[run.done:]
        images_per_chunk = max(1, min(64, math.ceil(8 * batch_size / (n0 + n))))
        weights_t = torch.as_tensor(w, device=device)
        labels_np = np.asarray(torch.as_tensor(labels).cpu())
        todo_images = images[todo].to(device)  # one copy to the device, not one per chunk

        appenders = {name: res.TsvAppender(paths[name]) for name in protocols}
    except BaseException:
        lock.release()
        raise
    run.start_clock()
    try:
        with tqdm(total=len(my_indices), initial=run.done, unit="img", desc="certify",
                  disable=None if progress else True, dynamic_ncols=True) as bar:
            chunks = _certified_chunks(model, todo_images, todo, images_per_chunk, sigma=sigma, n0=n0, n=n,
                                       alpha=alpha, seed=seed, batch_size=batch_size, weights=weights_t,
                                       num_protocols=len(ebs), num_classes=num_classes)
            for chunk, prediction, radius, per_image in chunks:
                _append_rows(appenders, protocols, chunk, labels_np, prediction, radius, per_image)
                bar.update(len(chunk))
                run.tick()
        run.complete()
    except BaseException:
        run.stopped()
        raise
    finally:
        for a in appenders.values():
            a.close()
        lock.release()
    return paths
