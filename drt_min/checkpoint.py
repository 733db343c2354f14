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
import io
import os
import pathlib
import pickle
import warnings
from typing import Any

import torch

from drt_min.atomic import atomic_open
from drt_min.config import CertifyConfig, TrainConfig, from_dict
from drt_min.errors import MissingInputError, UserError, one_line
from drt_min.models import LeNetEnsemble

__all__ = ["FORMAT", "save_checkpoint", "load_checkpoint", "load_ensemble", "sha256_file", "weights_only",
           "resolve_device", "validate_payload", "parameter_shapes", "MAX_MEMBERS",
           "MAX_CLASSES", "check_forward"]

FORMAT = "drt_min.ensemble/1"


def resolve_device(device: str | torch.device, option: str = "--device") -> torch.device:
    """'auto' -> CUDA when available, else CPU; 'cpu', 'cuda', 'cuda:N' as given, if present.

    Anything else, or a CUDA device this machine does not have, is a :class:`UserError`.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise UserError(f"{option} {device!r} is not a device; use auto, cpu, cuda or cuda:N")
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (dev.index or 0) >= count:
            raise UserError(f"{option} {device!r}: this machine has {count} CUDA device(s); "
                            "use --device cpu or auto")
    return dev


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
        raise UserError(f"checkpoint payload lacks {sorted(missing)}")
    payload = dict(payload, format=FORMAT)
    # serialised in memory first: torch's zip writer turns a full disk (ENOSPC) into a
    # RuntimeError about file positions; written as bytes, it stays an OSError naming the file
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_open(path, "wb") as fh:
        fh.write(buffer.getbuffer())
    return sha256_file(path)


#: Limits on the sizes a checkpoint may declare, checked before any model is built from them.
MAX_MEMBERS = 64
MAX_CLASSES = 1000


def _sha256_or_error(path: pathlib.Path) -> str:
    try:
        return sha256_file(path)
    except OSError as exc:
        raise UserError(f"checkpoint {path} cannot be read ({one_line(exc)})") from exc


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu"
                    ) -> tuple[dict[str, Any], str]:
    """(payload, sha256) of a checkpoint, read with ``torch.load(weights_only=True)``.

    The payload is validated (:func:`validate_payload`) before it is returned; anything that is not
    a complete checkpoint of this package is a :class:`UserError` naming the file.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        raise UserError(f"checkpoint {path} is a directory; give the .pt file written by `train`")
    if not path.is_file():
        raise MissingInputError(f"checkpoint {path} not found")
    digest = _sha256_or_error(path)
    try:
        with warnings.catch_warnings():
            # torch warns about an unusual pickle protocol before it fails or succeeds; the user
            # sees the one error line (or nothing), not two lines of torch's text before it
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's text advises weights_only=False, which is exactly what must never be done here
        raise UserError(f"{path} is refused: it is not a drt_min checkpoint, or it holds objects "
                        "other than tensors and plain values (checkpoints are loaded with "
                        "weights_only=True and never run code)") from exc
    except Exception as exc:  # noqa: BLE001 - any failure to parse an untrusted file is bad input
        raise UserError(f"{path} is not a readable checkpoint (truncated or corrupt: "
                        f"{type(exc).__name__}); write it again with `python -m drt_min train`"
                        ) from exc
    validate_payload(payload, path)
    return payload, digest


def parameter_shapes(num_members: int, num_classes: int) -> dict[str, tuple[int, ...]]:
    """The state-dict shapes of a :class:`LeNetEnsemble` of ``num_members`` x ``num_classes``,
    read off the model built on the meta device (no memory is allocated)."""
    with torch.device("meta"):
        model = LeNetEnsemble(num_members, num_classes)
    return {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}


def _int_in(payload: dict, key: str, low: int, high: int, path) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(f"{path}: {key} must be an integer in [{low}, {high}], got "
                        f"{_short(value)}; the checkpoint is corrupt")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_payload(payload: Any, path) -> None:
    """Check a loaded checkpoint's structure, declared sizes and tensors (no model is built).

    The declared ``num_members`` and ``num_classes`` are bounded and every tensor of ``model`` must
    have exactly the shape they imply, be floating point and finite; ``config`` must be a valid
    :class:`~drt_min.config.TrainConfig` that agrees with them.
    """
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UserError(f"{path} is not a {FORMAT} checkpoint")
    n = _int_in(payload, "num_members", 1, MAX_MEMBERS, path)
    c = _int_in(payload, "num_classes", 2, MAX_CLASSES, path)
    _int_in(payload, "epoch", 0, 10**9, path)
    try:
        cfg = from_dict(TrainConfig, payload.get("config"))
        if payload.get("certify") is not None:
            from_dict(CertifyConfig, payload.get("certify"))
    except ValueError as exc:
        raise UserError(f"{path}: invalid recorded configuration ({one_line(exc)})") from exc
    if (cfg.num_members, cfg.num_classes) != (n, c):
        raise UserError(f"{path}: declares {n} members of {c} classes but its config says "
                        f"{cfg.num_members} of {cfg.num_classes}; the checkpoint is corrupt")
    state = payload.get("model")
    expected = parameter_shapes(n, c)
    if not isinstance(state, dict) or set(state) != set(expected):
        keys = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise UserError(f"{path}: model state {_short(keys)} is not that of a LeNet ensemble "
                        f"(expected {sorted(expected)})")
    for key, shape in expected.items():
        t = state[key]
        if not isinstance(t, torch.Tensor) or t.layout != torch.strided or t.is_quantized:
            kind = f"a {t.layout} tensor" if isinstance(t, torch.Tensor) else type(t).__name__
            raise UserError(f"{path}: model tensor {key} is {kind}, expected a dense float tensor; "
                            "the checkpoint is corrupt or not written by drt_min")
        if tuple(t.shape) != shape or not t.is_floating_point():
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise UserError(f"{path}: model tensor {key} is {got}, expected a float tensor of "
                            f"shape {shape} for {n} members of {c} classes")
        if not bool(torch.isfinite(t).all()):
            raise UserError(f"{path}: model tensor {key} holds NaN or infinite weights (training "
                            "diverged); retrain with a smaller --lr")
    for key, typ in (("history", list), ("optimizer", dict), ("parent_sha256", str)):
        if key in payload and not isinstance(payload[key], typ):
            raise UserError(f"{path}: {key} must be a {typ.__name__}; the checkpoint is corrupt")


def check_forward(model: LeNetEnsemble, path) -> None:
    """One forward pass of fixed inputs (black, white, a ramp, and two seeded noisy images at the
    scale of sigma = 1) must give finite logits: finite weights can still overflow float32 on the
    way, and NaN logits would be counted as votes for class 0."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(0)
    ramp = torch.linspace(0.0, 1.0, 28 * 28).reshape(1, 1, 28, 28)
    noisy = 0.5 + torch.randn((2, 1, 28, 28), generator=gen)
    x = torch.cat([torch.zeros(1, 1, 28, 28), torch.ones(1, 1, 28, 28), ramp, noisy]).to(device)
    with torch.inference_mode():
        finite = bool(torch.isfinite(model(x)).all())
    if not finite:
        raise UserError(f"{path}: the model gives non-finite outputs (NaN or infinite) on a fixed "
                        "test input: its weights overflow in a forward pass (training diverged); "
                        "retrain with a smaller --lr")


def load_ensemble(path: str | os.PathLike, device: str | torch.device = "cpu"
                  ) -> tuple[LeNetEnsemble, dict[str, Any]]:
    """The ensemble in eval mode on ``device`` and its metadata.

    meta: ``config`` (plain dict), ``certify`` (the recorded certification protocol, a plain dict;
    empty for checkpoints that record none), ``sha256`` (of the checkpoint file), ``epoch``, ``num_members``,
    ``num_classes``, ``history``, ``parent_sha256``, ``path``.
    """
    device = resolve_device(device)
    payload, digest = load_checkpoint(path, map_location=device)
    # validate_payload checked every declared size and tensor shape before this allocation
    model = LeNetEnsemble(int(payload["num_members"]), int(payload["num_classes"]))
    model.load_state_dict(payload["model"])
    model.to(device).eval()
    check_forward(model, path)
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


def weights_only(source: str | os.PathLike, destination: str | os.PathLike) -> str:
    """Copy a checkpoint without its optimizer state (for committing: the model weights, config,
    protocol and history are kept, so ``certify`` and ``verify crosscheck`` load it as before; it can
    no longer resume training). Read and validated by :func:`load_checkpoint`, written atomically by
    :func:`save_checkpoint`; returns the new file's sha256 (another than the source's)."""
    payload, _ = load_checkpoint(source)
    payload = {k: v for k, v in payload.items() if k != "optimizer"}
    return save_checkpoint(destination, payload)
