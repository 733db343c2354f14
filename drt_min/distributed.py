"""Certification across processes: under ``torchrun`` each rank certifies its shard, rank 0 merges.

Shards are contiguous ranges of the index list (:func:`drt_min.certify.shard_range`), never a
``DistributedSampler``, which pads with duplicate images when the count does not divide evenly.
Since every image's noise is seeded by (seed, image index), the merged result equals an
unsharded run's.
"""

from __future__ import annotations

import datetime
import os
import pathlib

import torch
import torch.distributed as dist

from drt_min.certify import certify_dataset
from drt_min.checkpoint import resolve_device
from drt_min.errors import UserError
from drt_min.results import merge_shards

__all__ = ["world_from_env", "rank_device", "certify_distributed"]


def world_from_env() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) when launched by torchrun with more than one process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    return int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0"))


def rank_device(device: str, local_rank: int) -> torch.device:
    """The device of a rank: its own GPU for 'auto'/'cuda' when CUDA is there, else as given."""
    if device in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if device == "auto":
        return torch.device("cpu")
    return resolve_device(device)


def certify_distributed(model, images, labels, indices, *, out_dir, backend: str | None = None,
                        timeout_s: float = 24 * 3600.0, **kwargs) -> dict[str, pathlib.Path] | None:
    """Certify shard ``rank`` of ``world`` with :func:`drt_min.certify.certify_dataset`, wait for
    every rank, then merge on rank 0. Returns the merged TSV paths on rank 0, None elsewhere.

    ``kwargs`` are those of ``certify_dataset`` (``device`` included, already resolved for this
    rank); ``shard`` is set here. The process group is created when none exists (gloo on CPU,
    nccl on CUDA) and destroyed again if it was created here.
    """
    env = world_from_env()
    if env is None:
        raise UserError("certify_distributed needs WORLD_SIZE > 1 (launch with torchrun)")
    rank, world, _ = env
    created = False
    if not dist.is_initialized():
        device = torch.device(kwargs.get("device", "cpu"))
        if backend is None:
            backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
        created = True
    try:
        failed = torch.zeros(1)
        try:
            certify_dataset(model, images, labels, indices, out_dir=out_dir, shard=(rank, world),
                            **kwargs)
        except Exception:
            failed += 1
            _all_reduce_cpu(failed)
            raise
        _all_reduce_cpu(failed)
        if failed.item():
            raise RuntimeError("another rank failed; nothing merged")
        paths = merge_shards(out_dir) if rank == 0 else None
        dist.barrier()
        return paths
    finally:
        if created:
            dist.destroy_process_group()


def _all_reduce_cpu(tensor: torch.Tensor) -> None:
    """All-reduce a small flag (on the GPU for nccl, which does not take CPU tensors)."""
    if dist.get_backend() == "nccl":
        t = tensor.to(torch.device("cuda", torch.cuda.current_device()))
        dist.all_reduce(t)
        tensor.copy_(t.cpu())
    else:
        dist.all_reduce(tensor)
