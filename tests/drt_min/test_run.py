"""The end-to-end run: `python -m drt_min run --preset smoke`, resume, and the comparison report."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import binomtest

from drt_min import config
from drt_min.checkpoint import sha256_file
from drt_min.compare import comparison_table, paired_tests, write_comparison
from drt_min.results import read_tsv
from drt_min.run import run
from tests.helpers.training import REPO, require_mnist, single_thread  # noqa: F401

pytestmark = pytest.mark.usefixtures("single_thread")


def test_smoke_preset_end_to_end_resumes_and_certify_reproduces_it(tmp_path):
    data_dir = require_mnist()
    out = tmp_path / "run"
    env = dict(os.environ, DRT_DATA_DIR=str(data_dir))
    cmd = [sys.executable, "-m", "drt_min", "run", "--preset", "smoke", "--out", str(out),
           "--no-progress", "--device", "cpu"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]

    for stage in ("pretrain", "drt", "control"):
        assert (out / "checkpoints" / f"{stage}.pt").is_file()
    for stage in ("drt", "control"):
        cert = out / "certify" / stage
        for name in ("we", "mme", "member0", "member1", "member2", "eas"):
            rows = read_tsv(cert / f"{name}.tsv")
            assert [r.idx for r in rows] == [0, 1000, 2000, 3000, 4000]
        manifest = json.loads((cert / "manifest.json").read_text())
        text = json.dumps(manifest)
        assert sha256_file(out / "checkpoints" / f"{stage}.pt") in text
        assert (cert / "summary.md").is_file()
    comparison = (out / "comparison.md").read_text()
    assert "| DRT | MME |" in comparison and "| control (rho=0) | MME |" in comparison
    assert "McNemar" in comparison and "ACR difference" in comparison
    assert (out / "comparison.png").stat().st_size > 1000
    saved = json.loads((out / "run_config.json").read_text())
    assert saved["preset"] == "smoke"
    assert config.from_dict(config.RunConfig, saved["config"]) == \
        config.replace(config.get_preset("smoke"), train={"device": "cpu"})

    # `certify` on a run's checkpoint with no protocol flag reproduces the run's certificates
    again = tmp_path / "again"
    proc = subprocess.run([sys.executable, "-m", "drt_min", "certify",
                           str(out / "checkpoints" / "drt.pt"), "--out", str(again),
                           "--no-progress"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("we", "mme", "member0", "member1", "member2", "eas"):
        def without_time(path):
            return [line.split("\t")[:5] for line in path.read_text().splitlines()]

        assert without_time(again / f"{name}.tsv") == \
            without_time(out / "certify" / "drt" / f"{name}.tsv"), name

    before = {p: p.read_bytes() for p in (out / "certify").rglob("*.tsv")}
    ckpt = sha256_file(out / "checkpoints" / "drt.pt")
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sha256_file(out / "checkpoints" / "drt.pt") == ckpt  # nothing retrained
    assert {p: p.read_bytes() for p in (out / "certify").rglob("*.tsv")} == before

    other = subprocess.run(cmd + ["--rho1", "3.0"], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=120)
    assert other.returncode == 2 and "different configuration (train.rho1)" in other.stderr


def test_run_on_the_synthetic_set_needs_no_mnist(tmp_path):
    cfg = config.RunConfig(
        train=config.TrainConfig(sigma=0.25, synthetic=8, batch_size=16, noise_copies=1, epochs=2,
                                 lr=0.05, rho1=0.5, rho2=0.5, device="cpu"),
        finetune_epochs=1, finetune_lr=0.01,
        certify=config.CertifyConfig(cert_every=3, cert_max_images=4, cert_n0=10, cert_n=50,
                                     cert_batch=200))
    outputs = run(cfg, tmp_path, progress=False, log=None)
    table = outputs["table"]
    assert [(r["ensemble"], r["protocol"]) for r in table] == [
        ("DRT", "MME"), ("control (rho=0)", "MME"), ("DRT", "WE"), ("control (rho=0)", "WE")]
    assert all(len(r["accuracy"]) == 11 and r["images"] == 4 for r in table)
    assert set(outputs["timings"]) >= {"pretrain_s", "drt_s", "control_s", "certify_drt_s"}


def _write_tsv(path: pathlib.Path, rows):
    lines = ["idx\tlabel\tpredict\tradius\tcorrect\ttime"]
    lines += [f"{i}\t{lab}\t{pred}\t{rad!r}\t{int(lab == pred)}\t0.1" for i, lab, pred, rad in rows]
    path.write_text("\n".join(lines) + "\n")


def test_comparison_table_numbers(tmp_path):
    for stage, radii in (("drt", [0.0, 0.3, 0.6, 1.1]), ("ctl", [0.1, 0.2, 0.2, 0.0])):
        d = tmp_path / stage
        d.mkdir()
        for protocol in ("mme", "we"):
            # image 3 is wrong in both: its radius must not count
            _write_tsv(d / f"{protocol}.tsv",
                       [(k, 1, 1 if k < 3 else 2, r) for k, r in enumerate(radii)])
    table = comparison_table(tmp_path / "drt", tmp_path / "ctl")
    drt, ctl = table[0], table[1]
    assert drt["accuracy"][:4] == [0.75, 0.5, 0.25, 0.0]
    assert ctl["accuracy"][:2] == [0.75, 0.0]
    assert drt["acr"] == pytest.approx(0.9 / 4)
    cert = config.get_preset("smoke").certify
    path = write_comparison(tmp_path, table, sigma=0.25, n0=cert.cert_n0, n=cert.cert_n,
                            alpha=cert.cert_alpha, plot=False)
    text = path.read_text()
    assert "| DRT | MME | 75.0 | 50.0 | 25.0 | 0.0 |" in text
    assert (tmp_path / "comparison.csv").read_text().count("\n") == 5


def test_paired_tests_count_discordant_images_and_test_them(tmp_path):
    # 30 images: DRT certifies 0..19 at radius 1.0, the control certifies 10..29 at 1.0 and
    # additionally images 0..4 at 0.5; image 29 is wrong for DRT.
    drt = [(k, 1, 1, 1.0 if k < 20 else 0.2) for k in range(29)] + [(29, 1, 2, 0.0)]
    ctl = [(k, 1, 1, 1.0 if k >= 10 else (0.5 if k < 5 else 0.0)) for k in range(30)]
    for stage, rows in (("drt", drt), ("ctl", ctl)):
        (tmp_path / stage).mkdir()
        _write_tsv(tmp_path / stage / "mme.tsv", rows)
    (row,) = paired_tests(tmp_path / "drt", tmp_path / "ctl", protocols=("mme",), radii=(0.0, 0.5, 1.0))
    # r = 0: DRT wrong on 29 only -> 0 / 1; r = 0.5: DRT-only 5..9, control-only 20..29
    assert row["drt_only"] == [0, 5, 10] and row["control_only"] == [1, 10, 10]
    assert row["p"][1] == pytest.approx(binomtest(5, 15, 0.5).pvalue)
    assert row["p"][2] == 1.0
    diff = np.array([r for *_x, r in drt[:29]] + [0.0]) - np.array([r for *_x, r in ctl])
    assert row["acr_diff"] == pytest.approx(diff.mean())
    lo, hi = row["acr_ci"]
    assert lo < row["acr_diff"] < hi
    # a one-sided difference on enough images is significant
    (tmp_path / "ctl2").mkdir()
    _write_tsv(tmp_path / "ctl2" / "mme.tsv", [(k, 1, 1, 0.0 if k < 20 else 0.2) for k in range(30)])
    (row2,) = paired_tests(tmp_path / "drt", tmp_path / "ctl2", protocols=("mme",), radii=(1.0,))
    assert row2["drt_only"] == [20] and row2["control_only"] == [0] and row2["p"][0] < 1e-5
    assert row2["acr_ci"][0] > 0
    # different image sets cannot be paired
    _write_tsv(tmp_path / "ctl2" / "mme.tsv", [(k + 1, 1, 1, 0.0) for k in range(30)])
    with pytest.raises(ValueError, match="different images"):
        paired_tests(tmp_path / "drt", tmp_path / "ctl2", protocols=("mme",))
    cert = config.get_preset("smoke").certify
    table = comparison_table(tmp_path / "drt", tmp_path / "ctl", protocols=("mme",))
    text = write_comparison(tmp_path, table, sigma=0.25, n0=cert.cert_n0, n=cert.cert_n,
                            alpha=cert.cert_alpha, paired=[row], plot=False).read_text()
    assert "McNemar" in text and "5 / 10, p = 0.3" in text
