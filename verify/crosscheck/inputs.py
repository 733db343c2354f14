"""What a cross-check reads from a run directory: the checkpoints, their certificates and images.

``python -m drt_min run --out RUN`` writes ``RUN/checkpoints/{drt,control}.pt`` and
``RUN/certify/{drt,control}/`` (one TSV per protocol and a manifest with the checkpoint's hash).
:func:`load_run` finds them, checks that each certificate directory was written from the checkpoint
beside it (same SHA-256), and loads the images the certificates are about.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass, field

import numpy as np
import torch

from drt_min.checkpoint import load_ensemble
from drt_min.config import TrainConfig, from_dict, replace
from drt_min.curves import certified_radii
from drt_min.data import load_split
from drt_min.errors import MissingInputError, UserError
from drt_min.report import summarize
from drt_min.results import check_against_checkpoint, check_dataset_labels, read_manifest

__all__ = ["Ensemble", "load_run", "load_certified", "load_images", "STAGES"]

#: The stages a run certifies, in the order the report shows them.
STAGES = ("drt", "control")


@dataclass
class Ensemble:
    """One certified ensemble of a run: its model, protocol and certificates."""

    stage: str
    model: torch.nn.Module
    meta: dict
    manifest: dict
    certificates: dict = field(default_factory=dict)   # protocol -> {index: Row}
    cert_dir: pathlib.Path | None = None               # where the certificates were read

    @property
    def sigma(self) -> float:
        return float(self.manifest["sigma"])

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(float(w) for w in self.manifest["weights"])

    def radius(self, protocol: str, indices) -> np.ndarray:
        """Certified radius (0 where the certifier abstained or was wrong) of ``protocol`` per index."""
        rows = self.certificates[protocol]
        return certified_radii([rows[i] for i in indices])


def _stage(run_dir: pathlib.Path, stage: str, device) -> Ensemble | None:
    ckpt = run_dir / "checkpoints" / f"{stage}.pt"
    cert = run_dir / "certify" / stage
    if not ckpt.exists() and not cert.exists():
        return None
    if not ckpt.exists():
        raise MissingInputError(f"{ckpt} is missing: the cross-check needs the checkpoint behind "
                                f"{cert}")
    return load_certified(ckpt, cert, stage, device)


def load_certified(ckpt, cert, stage: str, device) -> Ensemble:
    """The ensemble of checkpoint ``ckpt`` with its complete certification directory ``cert``,
    checked to be written from that checkpoint (same SHA-256) and with the fp32 classifier."""
    ckpt, cert = pathlib.Path(ckpt), pathlib.Path(cert)
    manifest = read_manifest(cert)
    if manifest.get("status") != "complete":
        raise UserError(f"{cert} holds an unfinished certification: rerun the `run` command to "
                        "finish it")
    # the run is validated as `python -m drt_min report` validates it, before any sampling
    manifest, tables = summarize(cert)
    for key in ("all_indices", "num_members", "num_classes", "weights"):
        if key not in manifest:
            raise UserError(f"{cert / 'manifest.json'}: the manifest lacks {key}; it was not "
                            "written by `python -m drt_min run`")
    model, meta = load_ensemble(ckpt, device)
    recorded = (manifest.get("extra") or {}).get("checkpoint_sha256")
    if recorded != meta["sha256"]:
        raise UserError(f"{cert} was certified from another checkpoint than {ckpt} (sha256 "
                        f"{str(recorded)[:12]}... vs {meta['sha256'][:12]}...); certify it again")
    check_against_checkpoint(manifest, meta, cert / "manifest.json")
    if manifest.get("precision", "fp32") != "fp32":
        raise UserError(f"the {stage} certificates are of the {manifest['precision']} "
                        "classifier (--cert-precision); the cross-check evaluates the fp32 "
                        "model: certify the run in fp32 for it")
    certs = {protocol: {r.idx: r for r in rows} for protocol, rows in tables.items()}
    return Ensemble(stage, model, meta, manifest, certs, cert)


def load_run(run_dir, *, device="cpu", data_dir: str = "") -> tuple[dict[str, Ensemble], torch.Tensor,
                                                                     torch.Tensor]:
    """The run's certified ensembles by stage (the DRT one required), the images and labels."""
    run_dir = pathlib.Path(run_dir)
    if not run_dir.is_dir():
        raise MissingInputError(f"RUN_DIR {run_dir} is not a directory: give the --out of "
                                "`python -m drt_min run`")
    ensembles = {}
    for stage in STAGES:
        ens = _stage(run_dir, stage, device)
        if ens is not None:
            ensembles[stage] = ens
    if "drt" not in ensembles:
        raise MissingInputError(f"{run_dir} holds no checkpoints/drt.pt and certify/drt/: give the "
                                "--out of `python -m drt_min run`")
    drt = ensembles["drt"]
    for ens in ensembles.values():
        if ens.manifest["all_indices"] != drt.manifest["all_indices"] or ens.sigma != drt.sigma:
            raise UserError(f"the {ens.stage} certificates are on other images or another sigma "
                            "than the DRT ones")
    images, labels = load_images(drt, data_dir, others=list(ensembles.values()))
    return ensembles, images, labels


def load_images(ens: Ensemble, data_dir: str = "", others=()) -> tuple[torch.Tensor, torch.Tensor]:
    """The split ``ens`` was certified on (from ``data_dir``, else the training's), with the
    certificates' labels of ``ens`` and ``others`` checked against it."""
    train_cfg = from_dict(TrainConfig, ens.meta["config"])
    if data_dir:
        train_cfg = replace(train_cfg, data_dir=data_dir)
    split = (ens.manifest.get("extra") or {}).get("split", "test")
    images, labels = load_split(split, train_cfg, "cpu")
    for e in [ens, *[o for o in others if o is not ens]]:
        check_dataset_labels({p: list(rows.values()) for p, rows in e.certificates.items()},
                             labels, e.cert_dir, split)
    return images, labels
