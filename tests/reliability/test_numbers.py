"""Finding 4: non-finite and out-of-range numbers are refused at the boundary, before anything is
written; a NaN model is never certified. Finding 7: a radius above what the run's n, alpha and
sigma allow is refused by ``report``, ``compare`` and ``merge``, naming the file and the image."""

from __future__ import annotations

import shutil

import pytest
import torch

from drt_min import results as res
from drt_min.errors import UserError
from drt_min.train import train
from drt_min import config
from tests.helpers.reliability import TINY_CERT, assert_clean_error


@pytest.mark.parametrize("option,value", [
    ("--sigma", "inf"), ("--sigma", "nan"), ("--sigma", "-1"), ("--sigma", "1e309"),
    ("--lr", "nan"), ("--lr", "-inf"), ("--momentum", "1.5"), ("--rho1", "nan"),
    ("--epochs", "-1"), ("--num-members", "1000000"), ("--synthetic", "100000000"),
    ("--seed", "-5"), ("--cert-alpha", "1"), ("--cert-n", "0"),
])
def test_bad_numbers_of_train_and_run_create_nothing(option, value, tmp_path, capsys):
    if not option.startswith("--cert"):
        assert_clean_error(capsys, ["train", "--out", tmp_path / "t.pt", "--synthetic", "4",
                                    "--no-progress", option, value],
                           names=[option], unchanged=[tmp_path])
    assert_clean_error(capsys, ["run", "--out", tmp_path / "r", "--synthetic", "4", "--no-progress",
                                option, value], names=[option], unchanged=[tmp_path])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option,value", [
    ("--cert-sigma", "inf"), ("--cert-sigma", "nan"), ("--cert-alpha", "0"),
    ("--cert-alpha", "nan"), ("--cert-n", "-3"), ("--cert-weights", "1,nan"),
    ("--cert-weights", "0,0"), ("--cert-start", "99999999"), ("--cert-batch", "0"),
])
def test_bad_certify_numbers_create_nothing(option, value, tiny_ckpt, tmp_path, capsys):
    assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", tmp_path / "c", *TINY_CERT,
                                option, value], names=[option.lstrip("-")[:6]],
                       unchanged=[tmp_path])
    assert not (tmp_path / "c").exists()


def test_a_nan_model_is_never_certified(tiny_ckpt, tmp_path, capsys):
    payload = torch.load(tiny_ckpt, weights_only=True)
    payload["model"]["fc2_weight"][0, 0, 0] = float("nan")
    torch.save(payload, tiny_ckpt)
    assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", tmp_path / "c", *TINY_CERT],
                       names=[tiny_ckpt, "NaN"], unchanged=[tmp_path])


def test_diverging_training_stops_with_an_error_and_no_nan_checkpoint(tmp_path):
    cfg = config.TrainConfig(synthetic=4, num_classes=3, num_members=2, batch_size=16, epochs=2,
                             lr=1e3, momentum=0.99, noise_copies=1, device="cpu")
    path = tmp_path / "d.pt"
    try:
        train(cfg, path, progress=False, log=None)
    except UserError as exc:
        assert "diverged" in str(exc) and "--lr" in str(exc)
    if path.exists():  # only a finite epoch may have been saved
        payload = torch.load(path, weights_only=True)
        assert all(bool(torch.isfinite(t).all()) for t in payload["model"].values())


def test_impossible_radii_are_refused_by_report_compare_and_merge(tiny_run, tmp_path, capsys):
    manifest = res.read_manifest(tiny_run)
    bound = res.max_radius(manifest)
    assert bound > 0
    twin = tmp_path / "twin"
    shutil.copytree(tiny_run, twin)
    tsv = tiny_run / "mme.tsv"
    lines = tsv.read_text().splitlines()
    f = lines[1].split("\t")
    f[2], f[3], f[4] = f[1], repr(bound * 1.5), "1"
    lines[1] = "\t".join(f)
    tsv.write_text("\n".join(lines) + "\n")
    image = f[0]
    assert_clean_error(capsys, ["report", tiny_run], names=[tsv, f"image {image}"],
                       unchanged=[tmp_path])
    assert_clean_error(capsys, ["compare", tiny_run, twin, "--out", tmp_path / "cmp"],
                       names=[tsv, f"image {image}"], unchanged=[tmp_path])
    # a shard holding the same impossible row
    shard = tmp_path / "sharded" / "shards" / "0-of-1"
    shutil.copytree(tiny_run, shard)
    man = res.read_manifest(shard)
    res.write_manifest(shard, dict(man, shard=[0, 1]))
    assert_clean_error(capsys, ["merge", tmp_path / "sharded"], names=["mme.tsv", "radius"],
                       unchanged=[tmp_path])
