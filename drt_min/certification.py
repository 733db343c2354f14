"""Certify a checkpoint as a :class:`~drt_min.config.CertifyConfig` says: what ``run`` and
``certify`` both call, so the same checkpoint and protocol give the same certificates.

The protocol's defaults come from the checkpoint (:func:`protocol_for`): a checkpoint written by
``run`` or ``train`` records the certification protocol of its run or preset, so
``python -m drt_min certify RUN/checkpoints/drt.pt --out DIR`` with no other flag reproduces the
TSVs that ``run`` wrote (up to the ``time`` column).
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

from drt_min.certify import certify_dataset
from drt_min.checkpoint import load_ensemble
from drt_min.config import CertifyConfig, TrainConfig, from_dict, replace, to_dict
from drt_min.data import load_split
from drt_min.distributed import certify_distributed
from drt_min.errors import UserError, check_output_dir, lower_on_oom

__all__ = ["protocol_for", "certify_checkpoint", "select_images"]


def protocol_for(meta: dict[str, Any], overrides: dict[str, Any] | None = None) -> CertifyConfig:
    """The checkpoint's recorded protocol (the defaults where it records none), then ``overrides``."""
    recorded = from_dict(CertifyConfig, meta.get("certify") or {})
    return replace(recorded, **(overrides or {}))


def select_images(protocol: CertifyConfig, train_cfg: TrainConfig):
    """(images, labels, indices) that ``protocol`` certifies from the data of ``train_cfg``; a
    selection without images is an error (``run`` checks it before training)."""
    images, labels = load_split(protocol.cert_split, train_cfg, "cpu")
    indices = protocol.indices(len(images))
    if not indices:
        raise UserError(f"no {protocol.cert_split} image is selected (cert_start "
                        f"{protocol.cert_start} of {len(images)} images); lower --cert-start")
    return images, labels, indices


def certify_checkpoint(checkpoint, out_dir, protocol: CertifyConfig | None = None, *,
                       overrides: dict[str, Any] | None = None, device,
                       data_dir: str = "", shard=None, distributed: bool = False,
                       manifest_extra: dict[str, Any] | None = None,
                       progress: bool = True) -> dict[str, pathlib.Path] | None:
    """Certify ``checkpoint``'s ensemble on the images ``protocol`` selects; write the TSVs.

    Without ``protocol`` it is the checkpoint's recorded one with ``overrides``
    (:func:`protocol_for`).

    The images are the split of the checkpoint's training configuration (MNIST from ``data_dir``,
    else from the directory the training used; or its synthetic set), sigma is
    ``protocol.cert_sigma`` or else the training sigma. The manifest records the checkpoint, its
    hash, its training configuration and the protocol, plus ``manifest_extra``. With
    ``distributed`` (under torchrun) every rank certifies its shard and rank 0 merges them.
    Returns the TSV paths by protocol name (None on ranks other than 0).
    """
    model, meta = load_ensemble(checkpoint, device)
    check_output_dir(out_dir, "--out")
    if protocol is None:
        protocol = protocol_for(meta, overrides)
    if not protocol.cert_sigma and "sigma" not in meta["config"]:
        raise UserError(f"{checkpoint} records no training sigma: pass --cert-sigma")
    train_cfg = from_dict(TrainConfig, meta["config"])
    if data_dir:
        train_cfg = replace(train_cfg, data_dir=data_dir)
    images, labels, indices = select_images(protocol, train_cfg)
    if int(labels.max()) >= meta["num_classes"]:
        raise UserError(f"{checkpoint} has {meta['num_classes']} classes but the "
                        f"{protocol.cert_split} data have label {int(labels.max())}")
    # the checkpoint's path relative to the run directory: a moved run still resumes
    extra = {"checkpoint": os.path.relpath(meta["path"], os.path.abspath(out_dir)), "checkpoint_sha256": meta["sha256"],
             "train_config": meta["config"], "epoch": meta["epoch"],
             "split": protocol.cert_split, "protocol": to_dict(protocol), **(manifest_extra or {})}
    kwargs = dict(sigma=protocol.cert_sigma or train_cfg.sigma, n0=protocol.cert_n0,
                  n=protocol.cert_n, alpha=protocol.cert_alpha, batch_size=protocol.cert_batch,
                  seed=protocol.cert_seed, device=device, weights=protocol.weights(),
                  manifest_extra=extra, progress=progress, precision=protocol.cert_precision)
    with lower_on_oom("--cert-batch", protocol.cert_batch):
        if distributed:
            return certify_distributed(model, images, labels, indices, out_dir=out_dir, **kwargs)
        return certify_dataset(model, images, labels, indices, out_dir=out_dir, shard=shard,
                               **kwargs)
