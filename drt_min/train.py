"""One training loop for Gaussian augmentation, SmoothAdv and DRT: :func:`train`.

The method is a matter of weights and options of :class:`drt_min.config.TrainConfig`:

* ``rho1 = rho2 = 0, attack_steps = 0``: Gaussian augmentation (Cohen et al.): every image gives
  ``noise_copies`` noisy copies with fresh noise every step; the loss is the members' cross-entropy.
* ``attack_steps > 0``: SmoothAdv (Salman et al.): the standard loss is the cross-entropy on the
  PGD-attacked images plus the same noise draws (:mod:`drt_min.attacks`), epsilon warmed up.
* ``rho1 > 0`` or ``rho2 > 0``: DRT (Section 3): on each noisy input ``x0 + eps`` the GD and CM
  losses of every valid pair are added (:mod:`drt_min.losses`; the readings of the ambiguous points
  are documented there). The margins, their input gradients and the cross-entropy come from one
  forward of all members; the input gradients of all members are one backward with
  ``create_graph=True`` (each member sees its own copy of the input), so the GD loss trains through
  them. With SmoothAdv base losses the DRT terms are computed on the clean noisy input and the
  adversarial and clean noisy inputs go through the ensemble in one concatenated forward.

Training state is saved after every epoch to one checkpoint (atomic write, see
:mod:`drt_min.checkpoint`) and an existing checkpoint with the same configuration is resumed (its
``epochs`` may be raised). The data order and the noise of epoch e come from generators seeded by
(seed, e), so a resumed run computes exactly what an uninterrupted one does.
"""

from __future__ import annotations

import math
import os
import pathlib
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch
from tqdm.auto import tqdm

from drt_min import losses
from drt_min.attacks import smoothadv_pgd
from drt_min.checkpoint import (load_checkpoint, load_ensemble, resolve_device, save_checkpoint,
                                sha256_file)
from drt_min.config import CertifyConfig, TrainConfig, to_dict
from drt_min.data import epoch_batches, load_split
from drt_min.errors import UserError, check_output_file
from drt_min.lock import DirectoryLock
from drt_min.models import LeNetEnsemble
from drt_min.seeding import derive_seed

__all__ = ["train", "TrainResult", "training_step", "load_training_data",
           "epsilon_at", "lr_at", "build_model"]


@dataclass
class TrainResult:
    model: LeNetEnsemble
    checkpoint: pathlib.Path
    sha256: str
    history: list[dict[str, float]]
    resumed_from_epoch: int


def lr_at(cfg: TrainConfig, epoch: int) -> float:
    """Step decay: ``lr * lr_gamma ** (epoch // lr_step)`` (epoch counted from 0)."""
    return cfg.lr * cfg.lr_gamma ** (epoch // cfg.lr_step)


def epsilon_at(cfg: TrainConfig, epoch: int) -> float:
    """SmoothAdv epsilon of ``epoch``: ramped linearly over the warm-up epochs, then constant."""
    if cfg.attack_warmup_epochs <= 0:
        return cfg.attack_eps
    return cfg.attack_eps * min(1.0, (epoch + 1) / cfg.attack_warmup_epochs)


def load_training_data(cfg: TrainConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The training split of ``cfg`` (:func:`drt_min.data.load_split`), cut to ``train_subset``."""
    images, labels = load_split("train", cfg, device)
    if cfg.train_subset:
        images, labels = images[:cfg.train_subset], labels[:cfg.train_subset]
    return images, labels


def build_model(cfg: TrainConfig, device: torch.device) -> tuple[LeNetEnsemble, str]:
    """Fresh members seeded by ``cfg.seed``, or the ensemble of ``cfg.init_from``; (model, parent sha)."""
    if cfg.init_from:
        model, meta = load_ensemble(cfg.init_from, device)
        if meta["num_members"] != cfg.num_members or meta["num_classes"] != cfg.num_classes:
            raise UserError(f"{cfg.init_from} holds {meta['num_members']} members of "
                             f"{meta['num_classes']} classes, the config asks for "
                             f"{cfg.num_members} of {cfg.num_classes}")
        return model.train(), meta["sha256"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(cfg.seed, "init"))
        model = LeNetEnsemble(cfg.num_members, cfg.num_classes)
    return model.to(device).train(), ""


def _draw_noise(cfg: TrainConfig, m: int, b: int, n: int, shape: tuple[int, ...],
                generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """(m, B, N, *shape) noise of std sigma: shared across members or independent per member."""
    members = 1 if cfg.shared_noise else n
    noise = torch.randn((m, b, members, *shape), generator=generator, device=device)
    return noise.mul_(cfg.sigma).expand(m, b, n, *shape)


def drt_terms(cfg: TrainConfig, margins: torch.Tensor, grads: torch.Tensor | None,
              correct: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(rho1 * GD + rho2 * CM, GD, CM)`` as ``cfg`` asks (its weights, options and ``drt_reading``).

    margins (B, N), grads (B, N, d) or None when rho1 == 0, correct (B, N): see :mod:`drt_min.losses`.
    """
    return losses.drt_regularizer(
        margins, grads, correct, rho1=cfg.rho1, rho2=cfg.rho2,
        ordered_pairs=cfg.pairs == "ordered", squared=cfg.gd_norm == "squared",
        normalize=cfg.normalize, variant=cfg.variant, reading=cfg.drt_reading)


def training_step(model: LeNetEnsemble, optimizer: torch.optim.Optimizer | None,
                  images: torch.Tensor, labels: torch.Tensor, cfg: TrainConfig,
                  generator: torch.Generator, epsilon: float | None = None) -> dict[str, torch.Tensor]:
    """One step of the unified objective on a batch; returns detached statistics (tensors).

    ``L = sum_i L_std,i + rho1 * GD + rho2 * CM``. With ``optimizer=None`` only the loss is built and
    backpropagated (used by the benchmark to time steps without changing the model).
    """
    b, n, m = images.shape[0], model.num_members, cfg.noise_copies
    shape = tuple(images.shape[1:])
    drt_on = cfg.rho1 > 0 or cfg.rho2 > 0
    attack = cfg.attack_steps > 0
    eps = cfg.attack_eps if epsilon is None else epsilon
    targets = labels.repeat(m)                                              # noise index outer
    noise = _draw_noise(cfg, m, b, n, shape, generator, images.device)
    clean_noisy = images.view(1, b, 1, *shape) + noise                      # (m, B, N, *shape)
    if attack:
        adv = smoothadv_pgd(model, images, labels, noise, epsilon=eps, steps=cfg.attack_steps)
        std_inputs = (adv.unsqueeze(0) + noise).reshape(m * b, n, *shape)
    elif drt_on:
        std_inputs = None                                                   # the DRT inputs serve
    elif cfg.shared_noise:
        std_inputs = clean_noisy[:, :, 0].reshape(m * b, *shape)            # one shared input
    else:
        std_inputs = clean_noisy.reshape(m * b, n, *shape)

    stats: dict[str, torch.Tensor] = {}
    if drt_on:
        drt_inputs = clean_noisy.reshape(m * b, n, *shape).detach().clone()
        if cfg.rho1 > 0:
            drt_inputs.requires_grad_(True)
        if attack:
            logits_all = model(torch.cat([std_inputs, drt_inputs]))
            std_logits, drt_logits = logits_all[: m * b], logits_all[m * b:]
        else:
            drt_logits = std_logits = model(drt_inputs)
        margins, _ = losses.label_margins(drt_logits.softmax(-1), targets)
        correct = losses.correct_members(drt_logits, targets)
        grads = None
        if cfg.rho1 > 0:
            (grads,) = torch.autograd.grad(margins.sum(), drt_inputs, create_graph=True)
            grads = grads.reshape(m * b, n, -1)
        reg, gd, cm = drt_terms(cfg, margins, grads, correct)
        std = losses.standard_loss(std_logits, targets)
        loss = std + reg
        stats.update(gd=gd.detach(), cm=cm.detach())
    else:
        std_logits = model(std_inputs)
        std = loss = losses.standard_loss(std_logits, targets)
        drt_logits = std_logits
        correct = losses.correct_members(drt_logits, targets)
    if optimizer is not None:
        optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if optimizer is not None:
        optimizer.step()
    valid = losses.valid_pairs(correct)
    pairs_per_input = n * (n - 1) // 2
    stats.update(
        loss=loss.detach(), std=std.detach(),
        acc=correct.float().mean(),
        valid=valid.sum() / max(1, valid.shape[0] * pairs_per_input),
    )
    stats.setdefault("gd", torch.zeros((), device=images.device))
    stats.setdefault("cm", torch.zeros((), device=images.device))
    return stats


def _relative_init_from(init_from: str, checkpoint: pathlib.Path) -> str:
    """``init_from`` as a checkpoint records it: relative to the checkpoint's directory, so that
    a run directory can be moved or copied and still resumed."""
    if not init_from:
        return ""
    return os.path.relpath(os.path.abspath(init_from), os.path.abspath(checkpoint.parent))


def _recorded_config(cfg: TrainConfig, checkpoint: pathlib.Path) -> dict[str, Any]:
    """The configuration a checkpoint records (``init_from`` relative to it)."""
    return dict(to_dict(cfg), init_from=_relative_init_from(cfg.init_from, checkpoint))


def _resume_differences(saved: dict[str, Any], cfg: TrainConfig,
                        checkpoint: pathlib.Path) -> list[str]:
    """The fields in which a checkpoint's config and ``cfg`` differ; it can be resumed by ``cfg``
    when there are none (``epochs`` may be raised, and the ``device`` changed). ``init_from`` is
    compared relative to the checkpoint (older checkpoints recorded it as given)."""
    mine = _recorded_config(cfg, checkpoint)
    saved = dict(saved)
    if isinstance(saved.get("init_from"), str) and os.path.isabs(saved["init_from"]):
        saved["init_from"] = _relative_init_from(saved["init_from"], checkpoint)
    keys = sorted((set(saved) | set(mine)) - {"epochs", "device"})
    return [k for k in keys if saved.get(k) != mine.get(k)]


#: The statistics of :func:`training_step` that an epoch averages (a non-finite one stops the run).
_STATISTICS = ("loss", "std", "gd", "cm", "acc", "valid")


def _method_name(cfg: TrainConfig) -> str:
    """The method as the progress bar and the log name it, e.g. ``Gaussian+DRT(rho1=0.5, rho2=0.5)``."""
    drt = (f"+DRT(rho1={cfg.rho1:g}, rho2={cfg.rho2:g}"
           + ("" if cfg.drt_reading == "package" else f", {cfg.drt_reading} reading") + ")"
           if cfg.rho1 or cfg.rho2 else "")
    return ("SmoothAdv" if cfg.attack_steps else "Gaussian") + drt


def _checkpoint_payload(cfg: TrainConfig, recorded: dict[str, Any], certify_record: dict[str, Any],
                        epoch: int, model: LeNetEnsemble, optimizer: torch.optim.Optimizer,
                        history: list[dict[str, float]], parent_sha: str) -> dict[str, Any]:
    """What a checkpoint holds after ``epoch`` epochs (the one place its keys are listed)."""
    return {"config": recorded, "certify": certify_record, "epoch": epoch,
            "num_members": cfg.num_members, "num_classes": cfg.num_classes,
            "model": model.state_dict(), "optimizer": optimizer.state_dict(), "history": history,
            "parent_sha256": parent_sha}


def _resume_state(checkpoint: pathlib.Path, cfg: TrainConfig, model: LeNetEnsemble,
                  optimizer: torch.optim.Optimizer, device: torch.device, parent_sha: str,
                  restart_hint: str) -> tuple[list[dict[str, float]], int, str]:
    """Load a resumable ``checkpoint`` into ``model`` and ``optimizer``: (history, epochs done, parent
    sha256, ``parent_sha`` where the checkpoint records none).

    Raises a :class:`UserError` when it was written by another configuration or its optimizer
    state does not fit."""
    payload, _ = load_checkpoint(checkpoint, map_location=device)
    differ = _resume_differences(payload["config"], cfg, checkpoint)
    if differ:
        raise UserError(f"{checkpoint} was written by a different configuration "
                        f"({', '.join(differ)}); choose another output path or "
                        f"{restart_hint}")
    model.load_state_dict(payload["model"])
    try:
        optimizer.load_state_dict(payload["optimizer"])
    except (KeyError, ValueError, TypeError, RuntimeError, IndexError) as exc:
        raise UserError(f"{checkpoint}: its optimizer state cannot be resumed "
                        f"({type(exc).__name__}); {restart_hint} to start afresh") from exc
    return list(payload.get("history", [])), int(payload["epoch"]), str(payload.get("parent_sha256", parent_sha))


def _train_epoch(model: LeNetEnsemble, optimizer: torch.optim.Optimizer, images: torch.Tensor,
                 labels: torch.Tensor, cfg: TrainConfig, epoch: int, device: torch.device, *,
                 desc: str, progress: bool) -> dict[str, float]:
    """One epoch at the epoch's learning rate, epsilon, data order and noise (seeded by (seed,
    epoch)); returns its record: the mean statistics of :func:`training_step` weighted by batch
    size, with epoch, lr, epsilon, seconds and inputs_per_s."""
    lr = lr_at(cfg, epoch)
    for group in optimizer.param_groups:
        group["lr"] = lr
    eps = epsilon_at(cfg, epoch)
    order_gen = torch.Generator().manual_seed(derive_seed(cfg.seed, "order", epoch))
    noise_gen = torch.Generator(device=device).manual_seed(derive_seed(cfg.seed, "noise", epoch))
    sums = {k: torch.zeros((), device=device) for k in _STATISTICS}
    num = images.shape[0]
    steps_per_epoch = math.ceil(num / cfg.batch_size)
    seen = 0
    start = time.perf_counter()
    bar = tqdm(total=steps_per_epoch, desc=desc, disable=None if progress else True, leave=False,
               unit="step")
    model.train()
    for step, idx in enumerate(epoch_batches(num, cfg.batch_size, order_gen, device)):
        stats = training_step(model, optimizer, images[idx], labels[idx], cfg, noise_gen, eps)
        w = idx.numel()
        for k in sums:
            sums[k] += stats[k] * w
        seen += w
        bar.update(1)
        # float() waits for the device: only when a bar shows it (tqdm's disable=None turns
        # the bar off when output is not a terminal, and the statistics stay on the device)
        if not bar.disable and (step % 10 == 0 or step == steps_per_epoch - 1):
            rate = seen * cfg.noise_copies / max(time.perf_counter() - start, 1e-9)
            bar.set_postfix(loss=f"{float(stats['loss']):.3f}", acc=f"{float(stats['acc']):.3f}",
                            valid=f"{float(stats['valid']):.2f}", inputs_s=f"{rate:.0f}")
    bar.close()
    seconds = time.perf_counter() - start
    record = {k: float(v) / max(seen, 1) for k, v in sums.items()}
    record.update(epoch=float(epoch + 1), lr=lr, epsilon=eps if cfg.attack_steps else 0.0,
                  seconds=seconds, inputs_per_s=seen * cfg.noise_copies / max(seconds, 1e-9))
    return record


def _epoch_line(method: str, cfg: TrainConfig, record: dict[str, float]) -> str:
    """The log line of one epoch's record."""
    return (f"{method} epoch {int(record['epoch'])}/{cfg.epochs}: loss {record['loss']:.4f} "
            f"(std {record['std']:.4f}, gd {record['gd']:.4f}, cm {record['cm']:.4f}) "
            f"noisy acc {record['acc']:.4f} valid pairs {record['valid']:.3f} "
            f"lr {record['lr']:g} {record['seconds']:.1f}s ({record['inputs_per_s']:.0f} inputs/s)")


def train(cfg: TrainConfig, checkpoint: str | pathlib.Path, *, progress: bool = True,
          resume: bool = True, data: tuple[torch.Tensor, torch.Tensor] | None = None,
          certify: CertifyConfig | None = None, log=print,
          on_start: Callable[[], None] | None = None,
          restart_hint: str = "pass --no-resume") -> TrainResult:
    """Train an ensemble as ``cfg`` says, writing (and resuming) ``checkpoint`` after every epoch.

    ``data`` optionally gives the training (images, labels) directly (otherwise MNIST or the
    synthetic set per ``cfg``). Returns the trained model, the checkpoint path and sha256, and the
    per-epoch history. ``certify`` is the certification protocol recorded in the checkpoint
    (``python -m drt_min certify`` takes it as its defaults); None records the defaults.

    Nothing is written until the inputs are checked (the output path, the device, the data, the
    starting and the resumed checkpoint); then ``on_start()`` is called, once, before the first
    write. A loss that turns NaN or infinite stops the run with a :class:`UserError` and the
    checkpoint of the last good epoch. ``restart_hint`` is what the errors about a checkpoint that
    cannot be resumed advise (``run`` has no ``--no-resume``).

    One process trains into a checkpoint at a time (a lock ``.NAME.lock`` beside it); the
    temporary files of a killed process's last save are removed.
    """
    checkpoint = check_output_file(checkpoint, "--out")
    certify_record = to_dict(certify if certify is not None else CertifyConfig())
    device = resolve_device(cfg.device)
    images, labels = data if data is not None else load_training_data(cfg, device)
    images, labels = images.to(device), labels.to(device)
    if int(labels.max()) >= cfg.num_classes:
        raise UserError(f"label {int(labels.max())} does not fit num_classes={cfg.num_classes}")

    model, parent_sha = build_model(cfg, device)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                                weight_decay=cfg.weight_decay)
    recorded = _recorded_config(cfg, checkpoint)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    # one process per checkpoint; a second one fails here, naming the holder
    lock = DirectoryLock(checkpoint.parent, "--out", name=f".{checkpoint.name}.lock",
                         what=checkpoint)
    try:
        for stale in checkpoint.parent.glob(f".{checkpoint.name}.*.tmp"):
            stale.unlink(missing_ok=True)  # the last save of a killed process
        history: list[dict[str, float]] = []
        start_epoch = 0
        if resume and checkpoint.exists():
            history, start_epoch, parent_sha = _resume_state(checkpoint, cfg, model, optimizer, device,
                                                             parent_sha, restart_hint)
            if log and start_epoch:
                log(f"resuming {checkpoint} at epoch {start_epoch}/{cfg.epochs}")
        if on_start is not None:
            on_start()
        method = _method_name(cfg)
        sha = ""
        for epoch in range(start_epoch, cfg.epochs):
            record = _train_epoch(model, optimizer, images, labels, cfg, epoch, device,
                                  desc=f"{method} epoch {epoch + 1}/{cfg.epochs}", progress=progress)
            if not all(math.isfinite(record[k]) for k in _STATISTICS):
                raise UserError(f"training diverged in epoch {epoch + 1} (loss {record['loss']}); "
                                f"{checkpoint} keeps the last good epoch; lower --lr (now {record['lr']:g}) "
                                "or the DRT weights --rho1/--rho2")
            history.append(record)
            sha = save_checkpoint(checkpoint, _checkpoint_payload(cfg, recorded, certify_record, epoch + 1,
                                                                  model, optimizer, history, parent_sha))
            if log:
                log(_epoch_line(method, cfg, record))
        if not sha:  # no epoch left to train: the checkpoint as it is, or with zero epochs
            # requested and none on disk, the initial state, so that later stages can use it
            sha = sha256_file(checkpoint) if checkpoint.exists() else save_checkpoint(
                checkpoint, _checkpoint_payload(cfg, recorded, certify_record, start_epoch, model,
                                                optimizer, history, parent_sha))
        model.eval()
        return TrainResult(model=model, checkpoint=checkpoint, sha256=sha, history=history,
                           resumed_from_epoch=start_epoch)
    finally:
        lock.release()
