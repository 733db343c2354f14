"""Checkpoints of LeNet ensembles: atomic writes, ``weights_only=True`` loads, sha256 of the file.

A checkpoint is a plain dict (tensors, numbers, strings, lists, dicts only, so that
``torch.load(weights_only=True)`` reads it, with no fallback):

``format``        the string ``"drt_min.ensemble/1"``
``config``        the :class:`drt_min.config.TrainConfig` that produced it, as a plain dict
``epoch``         epochs completed
``num_members``, ``num_classes``
``model``         the :class:`drt_min.models.LeNetEnsemble` state dict
``optimizer``     the SGD state dict (momentum buffers), for resuming
``history``       one dict of floats per completed epoch (loss terms, accuracy, valid-pair fraction)
``parent_sha256`` sha256 of the checkpoint fine-tuning started from ("" for base training)

:func:`save_checkpoint` writes to a temporary file in the destination directory, fsyncs it and
``os.replace``-s it into place, so a crash never leaves a truncated checkpoint under the final name.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
from typing import Any

import torch

from drt_min.atomic import atomic_open
from drt_min.models import LeNetEnsemble

__all__ = ["FORMAT", "save_checkpoint", "load_checkpoint", "load_ensemble", "sha256_file",
           "resolve_device"]

FORMAT = "drt_min.ensemble/1"


def resolve_device(device: str | torch.device) -> torch.device:
    """'auto' -> CUDA when available, else CPU; anything else as given."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> str:
    """Atomically write ``payload`` (see module docstring) to ``path``; returns the file's sha256."""
    path = pathlib.Path(path)
    missing = {"config", "epoch", "model", "num_members", "num_classes"} - set(payload)
    if missing:
        raise ValueError(f"checkpoint payload lacks {sorted(missing)}")
    payload = dict(payload, format=FORMAT)
    with atomic_open(path, "wb") as fh:
        torch.save(payload, fh)
    return sha256_file(path)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu"
                    ) -> tuple[dict[str, Any], str]:
    """(payload, sha256) of a checkpoint, read with ``torch.load(weights_only=True)``."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    digest = sha256_file(path)
    payload = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} checkpoint")
    return payload, digest


def load_ensemble(path: str | os.PathLike, device: str | torch.device = "cpu"
                  ) -> tuple[LeNetEnsemble, dict[str, Any]]:
    """The ensemble in eval mode on ``device`` and its metadata.

    meta: ``config`` (plain dict), ``certify`` (the recorded certification protocol, a plain dict;
    empty for checkpoints that record none), ``sha256`` (of the checkpoint file), ``epoch``, ``num_members``,
    ``num_classes``, ``history``, ``parent_sha256``, ``path``.
    """
    device = resolve_device(device)
    payload, digest = load_checkpoint(path, map_location=device)
    model = LeNetEnsemble(int(payload["num_members"]), int(payload["num_classes"]))
    model.load_state_dict(payload["model"])
    model.to(device).eval()
    meta = {
        "config": dict(payload["config"]),
        "certify": dict(payload.get("certify") or {}),
        "sha256": digest,
        "epoch": int(payload["epoch"]),
        "num_members": int(payload["num_members"]),
        "num_classes": int(payload["num_classes"]),
        "history": list(payload.get("history", [])),
        "parent_sha256": str(payload.get("parent_sha256", "")),
        "path": str(pathlib.Path(path).resolve()),
    }
    return model, meta
