"""Third round, findings 1-3 and 11: no certificate is ever computed from non-finite outputs,
from WE weights that overflow, or from class numbers that the run cannot have; ``Smooth`` refuses
arguments that would make its answer meaningless."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from drt_min import results as res
from drt_min.certify import certify_dataset
from drt_min.checkpoint import load_ensemble
from drt_min.ensemble import ProtocolClassifier, normalize_weights
from drt_min.errors import UserError
from drt_min.models import LeNetEnsemble
from drt_min.smoothing import Smooth
from tests.helpers.reliability import TINY_CERT, assert_clean_error


class _NanWhereBright(torch.nn.Module):
    """An ensemble (B, N, C) whose member 1 returns NaN logits on bright inputs."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.inner = LeNetEnsemble(2, 3)

    def forward(self, x):
        out = self.inner(x)
        bright = x.flatten(1).mean(1) > 0.5
        out[:, 1] = torch.where(bright[:, None], torch.full_like(out[:, 1], float("nan")),
                                out[:, 1])
        return out


def _images():
    images = torch.zeros(3, 1, 28, 28)
    images[2] = 1.0  # the third image is bright: member 1 returns NaN on its noisy copies
    return images, torch.tensor([0, 1, 2])


# --- finding 1: non-finite model outputs ---------------------------------------------------------

def test_certify_refuses_nan_logits_naming_image_and_protocols(tmp_path):
    images, labels = _images()
    with pytest.raises(UserError) as info:
        certify_dataset(_NanWhereBright(), images, labels, [0, 1, 2], sigma=0.25, n0=10, n=100,
                        alpha=0.001, batch_size=10, seed=0, out_dir=tmp_path / "c", device="cpu",
                        progress=False)
    text = str(info.value)
    assert "image 2" in text and "member1" in text and "non-finite" in text
    assert len(text.splitlines()) == 1
    for name in ("we", "mme", "member0", "member1", "eas"):
        rows = res.read_tsv(tmp_path / "c" / f"{name}.tsv", allow_partial=True)
        assert [r.idx for r in rows] == [0, 1], name   # nothing written for image 2


def test_certify_is_unchanged_on_finite_outputs(tmp_path):
    """The finiteness check changes no certificate: the NaN-free images give the same rows."""
    images, labels = _images()
    model = _NanWhereBright()
    a = certify_dataset(model, images, labels, [0, 1], sigma=0.25, n0=10, n=100, alpha=0.001,
                        batch_size=10, seed=0, out_dir=tmp_path / "a", device="cpu", progress=False)
    b = certify_dataset(model.inner, images, labels, [0, 1], sigma=0.25, n0=10, n=100,
                        alpha=0.001, batch_size=37, seed=0, out_dir=tmp_path / "b", device="cpu",
                        progress=False)
    for name in a:
        strip = [(r.idx, r.predict, r.radius) for r in res.read_tsv(a[name])]
        assert strip == [(r.idx, r.predict, r.radius) for r in res.read_tsv(b[name])]


def test_smooth_refuses_nan_scores():
    model = _NanWhereBright()
    smooth = Smooth(ProtocolClassifier(model, "we"), 3, 0.25)
    with pytest.raises(ValueError, match="non-finite.*image 7|image 7.*non-finite"):
        smooth.certify(torch.ones(1, 28, 28), 10, 100, 0.001, 50, seed=0, index=7)
    with pytest.raises(ValueError, match="non-finite"):
        smooth.predict(torch.ones(1, 28, 28), 100, 0.001, 50)
    # a finite image is certified as before
    assert smooth.certify(torch.zeros(1, 28, 28), 10, 100, 0.001, 50, seed=0)[0] >= -1


def test_a_checkpoint_whose_weights_overflow_is_refused_at_load(tiny_ckpt, tmp_path, capsys):
    payload = torch.load(tiny_ckpt, weights_only=True)
    payload["model"] = {k: v * 1e30 for k, v in payload["model"].items()}
    assert all(bool(torch.isfinite(v).all()) for v in payload["model"].values())
    torch.save(payload, tiny_ckpt)
    with pytest.raises(UserError, match="non-finite"):
        load_ensemble(tiny_ckpt)
    assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", tmp_path / "c", *TINY_CERT],
                       names=[tiny_ckpt, "non-finite"], unchanged=[tmp_path])
    assert not (tmp_path / "c").exists()


# --- finding 2: WE weights that overflow ---------------------------------------------------------

@pytest.mark.parametrize("weights", [[1e308, 1e308], [1e308, 1e308, 1e308], [5e-324, 0.0]])
def test_we_weights_are_validated_after_normalisation(weights):
    try:
        w = normalize_weights(weights, len(weights))
    except UserError as exc:
        assert "weights" in str(exc)
        return
    assert np.all(np.isfinite(w)) and np.all(w >= 0) and abs(w.sum() - 1) < 1e-9


def test_cert_weights_that_overflow_are_refused(tiny_ckpt, tmp_path, capsys):
    assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", tmp_path / "c", *TINY_CERT,
                                "--cert-weights", "1e308,1e308"],
                       names=["--cert-weights"], unchanged=[tmp_path])
    assert not (tmp_path / "c").exists()


def test_manifest_weights_must_sum_to_one(tiny_run, tmp_path, capsys):
    manifest = json.loads((tiny_run / "manifest.json").read_text())
    manifest["weights"] = [0.0, 0.0]
    (tiny_run / "manifest.json").write_text(json.dumps(manifest))
    assert_clean_error(capsys, ["report", tiny_run], names=["weights"], unchanged=[tmp_path])


# --- finding 3: class numbers --------------------------------------------------------------------

def _set_row(tsv, line, **values):
    lines = tsv.read_text().splitlines()
    fields = lines[line].split("\t")
    for column, value in values.items():
        fields[res.COLUMNS.index(column)] = str(value)
    lines[line] = "\t".join(fields)
    tsv.write_text("\n".join(lines) + "\n")


def test_a_class_above_num_classes_is_refused(tiny_run, tmp_path, capsys):
    _set_row(tiny_run / "mme.tsv", 1, label=77, predict=77, correct=1, radius=0.1)
    assert_clean_error(capsys, ["report", tiny_run], names=[tiny_run / "mme.tsv", "77"],
                       unchanged=[tmp_path])
    assert_clean_error(capsys, ["compare", tiny_run, tiny_run, "--out", tmp_path / "cmp"],
                       names=["mme.tsv", "77"], unchanged=[tmp_path])


def test_protocols_must_agree_on_each_label(tiny_run, tmp_path, capsys):
    tsv = tiny_run / "member0.tsv"
    row = res.read_tsv(tsv)[0]
    label = (row.label + 1) % 3
    _set_row(tsv, 1, label=label, correct=int(row.predict == label))
    assert_clean_error(capsys, ["report", tiny_run], names=["member0.tsv", "label"],
                       unchanged=[tmp_path])


def test_compare_needs_the_same_labels_in_both_runs(tiny_run, tmp_path, capsys):
    twin = tmp_path / "twin"
    import shutil

    shutil.copytree(tiny_run, twin)
    for name in res.read_manifest(twin)["protocols"]:   # consistently changed in the twin
        row = res.read_tsv(twin / f"{name}.tsv")[0]
        label = (row.label + 1) % 3
        _set_row(twin / f"{name}.tsv", 1, label=label, correct=int(row.predict == label))
    assert_clean_error(capsys, ["compare", tiny_run, twin, "--out", tmp_path / "cmp"],
                       names=[twin / "mme.tsv", tiny_run / "mme.tsv", "label"],
                       unchanged=[tmp_path])


# --- finding 11: Smooth's arguments --------------------------------------------------------------

def _smooth(num_classes=3, sigma=0.25):
    torch.manual_seed(0)
    return Smooth(ProtocolClassifier(LeNetEnsemble(2, 3), "we"), num_classes, sigma)


@pytest.mark.parametrize("call,match", [
    (lambda: _smooth().certify(torch.zeros(1, 28, 28), 10, 0, 0.001, 50), "n must"),
    (lambda: _smooth().certify(torch.zeros(1, 28, 28), 0, 100, 0.001, 50), "n0 must"),
    (lambda: _smooth().predict(torch.zeros(1, 28, 28), 0, 0.001, 50), "n must"),
    (lambda: _smooth(sigma=float("inf")), "sigma"),
    (lambda: _smooth(sigma=float("nan")), "sigma"),
    (lambda: _smooth().predict(torch.zeros(1, 28, 28), 100, 2.0, 50), "alpha"),
    (lambda: _smooth().certify(torch.zeros(1, 28, 28), 10, 100, 0.0, 50), "alpha"),
    (lambda: _smooth(num_classes=5).certify(torch.zeros(1, 28, 28), 10, 100, 0.001, 50),
     "num_classes"),
    (lambda: _smooth().certify(torch.zeros(2, 1, 28, 28), 10, 100, 0.001, 50), "batch"),
    (lambda: _smooth().certify(torch.zeros(1, 28, 28), 10, 100, 0.001, 0), "batch_size"),
    (lambda: _smooth(num_classes=2.5), "num_classes"),
])
def test_smooth_arguments_are_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
