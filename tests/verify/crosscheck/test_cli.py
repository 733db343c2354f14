"""``python -m verify crosscheck`` end to end on a smoke run: files, reproducibility, the certificate
check, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from drt_min import config
from drt_min.run import run
from tests.helpers.training import REPO, require_mnist
from verify.crosscheck import crosscheck as C

TINY = C.Profile(images=2, bank=1000, direction_samples=200, random_directions=2, lambda_samples=100,
                 attack_steps=3, attack_draws=8, verify_samples=500, bootstrap=200, power_images=1)
FILES = ("crosscheck.md", "summary.json", "part1_theorem2.csv", "part1_theorem2.png", "part2_certificates.csv",
         "part2_certificates.png", "part2_attacks.csv", "part3_eri.png", "part4_5_pairs.csv", "figure6.csv",
         "figure6.png", "part7_attacks.csv", "power_attacks.csv")


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """The smoke preset, certified with n = 1000 so that the bank's first block is the certificate's noise."""
    data_dir = require_mnist()
    out = tmp_path_factory.mktemp("smoke") / "run"
    cfg = config.replace(config.get_preset("smoke"), train={"device": "cpu", "data_dir": str(data_dir)},
                         certify={"cert_n": 1000, "cert_n0": 20})
    run(cfg, out, progress=False, log=None)
    return out


@pytest.fixture()
def tiny_profile(monkeypatch):
    monkeypatch.setitem(C.PROFILES, "tiny", TINY)
    return "tiny"


def _summary(path):
    data = json.loads((path / "summary.json").read_text())
    data.pop("timings")
    return data


def test_crosscheck_writes_every_part_and_reruns_identically(smoke_run, tmp_path, tiny_profile):
    a, b = tmp_path / "a", tmp_path / "b"
    C.crosscheck(smoke_run, a, profile=tiny_profile, progress=False, log=None)
    C.crosscheck(smoke_run, b, profile=tiny_profile, progress=False, log=None)
    for name in FILES:
        assert (a / name).is_file() and (a / name).stat().st_size > 0, name
    text = (a / "crosscheck.md").read_text()
    for heading in ("## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## 6.", "## 7."):
        assert heading in text
    assert text.count(": all equal.") == 2  # both ensembles' certificates recomputed exactly
    assert text.count("Power: the same attack at the certified radius inflated") == 2  # parts 2 and 7
    assert "ties are counted here and left out of Y" in text
    assert _summary(a) == _summary(b)
    for name in FILES:
        if name.endswith(".csv"):
            assert (a / name).read_text() == (b / name).read_text(), name
    _check_layout(a)


PROPORTION = ["k", "n", "rate", "low", "high"]
CONFUSION = ["n", "tp", "fp", "fn", "tn", "accuracy", "precision", "base_rate", "pairs"]
#: The CSV headers and summary.json's keys as the report wrote them before each part had its own module
#: and typed record (issue 20): the records must render the same files.
HEADERS = {
    "part1_theorem2.csv": "ensemble,index,direction,kind,max_abs_estimate,max_certain,median_halfwidth",
    "part2_certificates.csv": "ensemble,index,label,y_we,y_mme,we_paper,we_tight,we_soft,mme_paper,mme_tight,"
                              "pair_paper,pair_tight,pair_members,cohen_we,cohen_mme,we_necessary_fails_at,eri",
    "part2_attacks.csv": "target,index,y0,attack_radius,distance,objective_estimate,confirmed_adversarial",
    "part4_5_pairs.csv": "ensemble,index,pair,r_we,r_mme,r_member_i,r_member_k,r_eas," + ",".join(
        f"cor1_{k}_{c}" for k in ("we", "mme") for c in ("C", "cos", "delta", "R", "predicts_larger"))
        + ",cor4_p,cor4_threshold,cor4_predicts_ebs",
    "part7_attacks.csv": "protocol,index,certified,radius,distance,predict",
    "power_attacks.csv": "part,target,index,inflation,attack_radius,distance,own_estimate_crossed,broken",
    "figure6.csv": "index,lambda1,lambda2,mu,s,s_f,identical,symmetric,lambda_ratio,X,outcome",
}


def _check_layout(out):
    for name, header in HEADERS.items():
        assert (out / name).read_text().splitlines()[0] == header, name
    s = json.loads((out / "summary.json").read_text())
    assert list(s) == ["profile", "timings", "part1", "part2", "part2_attacks", "part3", "part4", "part5", "part6",
                       "part6_retest", "part2_power", "part7_power", "part7"]
    assert list(s["timings"]) == ["drt_samples_s", "control_samples_s", "soft_attacks_s", "hard_attacks_s",
                                  "power_s", "figure6_s", "total_s"]
    for stage in ("drt", "control"):
        assert list(s["part1"][stage]) == ["gradient", "random", "tight", "paper", "sigma"]
        assert list(s["part1"][stage]["random"]) == ["count", "max_estimate", "max_certain", "max_upper", "above_tight",
                                                     "max_estimate_over_tight", "max_estimate_over_paper",
                                                     "halfwidth_median"]
        assert list(s["part2"][stage]) == ["we_paper", "we_tight", "we_soft", "mme_paper", "mme_tight", "pair_paper",
                                           "pair_tight", "cohen_we", "cohen_mme"]
        assert list(s["part2"][stage]["pair_tight"]) == ["certified", "median", "mean", "reference", "median_ratio",
                                                         "max_ratio", "spearman"]
        assert list(s["part2"][stage]["cohen_we"]) == ["certified", "median", "mean"]
        assert list(s["part3"][stage]) == ["spearman", "quartiles"]
        assert list(s["part4"][stage]) == ["images", "we", "mme", "cor1_we", "cor1_mme"]
        assert list(s["part4"][stage]["mme"]) == ["beats_best", "loses_to_best", "ties"]
        assert list(s["part4"][stage]["cor1_we"]) == CONFUSION + ["cos_median"]
        assert list(s["part5"][stage]) == ["images", "eas_larger", "ebs_larger", "ties", "cor4"]
        assert list(s["part5"][stage]["cor4"]) == CONFUSION
    assert list(s["part3"]["shift"]) == ["median_difference", "n", "lower_share", "wilcoxon_p"]
    assert list(s["part2_attacks"]) == ["delta", "we", "mme", "we_necessary"]
    assert list(s["part2_attacks"]["we"]) == ["attacked", "confirmed", "refuted", "median_objective"]
    assert list(s["part2_attacks"]["we_necessary"]) == ["images_failing", "found"]
    assert list(s["part6"])[:12] == ["images", "mme_wins", "we_wins", "ties", "ties_zero", "ties_ceiling",
                                     "ties_equal", "n_images", "n_defined", "positives", "hypotheses_hold",
                                     "s_f_below_s"]
    for part in ("part2_power", "part7_power"):
        assert list(s[part]) == ["we", "mme"] and list(s[part]["we"]) == ["by_inflation", "images", "tests_certificate"]
    assert list(s["part7"]) == ["we", "mme"]
    assert list(s["part7"]["we"]) == ["attacked", "disagree", "abstain", "disagree_rate", "p_value"]
    assert list(s["part7"]["we"]["disagree_rate"]) == PROPORTION


def test_certificate_check_sees_a_tampered_row(smoke_run, tmp_path, tiny_profile):
    """Change one radius in a copy of the run: the check names the image and protocol."""
    import shutil
    copy = tmp_path / "run"
    shutil.copytree(smoke_run, copy)
    tsv = copy / "certify" / "drt" / "we.tsv"
    lines = tsv.read_text().splitlines()
    fields = lines[1].split("\t")
    if fields[2] == "-1":  # an abstention: turn it into a certificate
        fields[2], fields[3] = fields[1], "0.01"
    else:
        fields[3] = repr(float(fields[3]) * 0.5 + 1e-3)
    lines[1] = "\t".join(fields)
    tsv.write_text("\n".join(lines) + "\n")
    C.crosscheck(copy, tmp_path / "out", profile=tiny_profile, progress=False, log=None)
    text = (tmp_path / "out" / "crosscheck.md").read_text()
    assert "MISMATCHES" in text and f"({int(fields[0])}, 'we')" in text


def test_misaligned_noise_draws_the_certificate_noise_again(smoke_run, tmp_path, monkeypatch):
    """A bank that does not start with the certificate's noise block redraws it: still all equal."""
    monkeypatch.setitem(C.PROFILES, "odd", C.Profile(**{**TINY.__dict__, "bank": 1500}))
    C.crosscheck(smoke_run, tmp_path / "o", profile="odd", progress=False, log=None)
    assert (tmp_path / "o" / "crosscheck.md").read_text().count(": all equal.") == 2


def _cli(*args):
    env = dict(os.environ, DRT_DATA_DIR=str(require_mnist()))
    return subprocess.run([sys.executable, "-m", "verify", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def test_cli_bad_run_dir_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = _cli("crosscheck", str(tmp_path / "nope"), "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not out.exists()
    for bad in (["--images", "0"], ["--device", "tpu"], ["--batch-size", "0"]):
        proc = _cli("crosscheck", str(tmp_path), "--out", str(out), *bad)
        assert proc.returncode == 2 and proc.stderr.startswith("error: ") and not out.exists(), bad
        assert bad[0] in proc.stderr or "device" in proc.stderr


def test_cli_refuses_certificates_of_another_checkpoint(smoke_run, tmp_path):
    import shutil
    copy = tmp_path / "run"
    shutil.copytree(smoke_run, copy)
    shutil.copy(copy / "checkpoints" / "control.pt", copy / "checkpoints" / "drt.pt")
    proc = _cli("crosscheck", str(copy), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "another checkpoint" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_refuses_a_bf16_run(smoke_run, tmp_path):
    """The cross-check evaluates the fp32 model: certificates of --cert-precision bf16 are not its."""
    import shutil
    copy = tmp_path / "run"
    shutil.copytree(smoke_run, copy)
    path = copy / "certify" / "drt" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "precision": "bf16"}))
    proc = _cli("crosscheck", str(copy), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "bf16" in proc.stderr and "fp32" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_figure6_from_run(smoke_run, tmp_path):
    C.figure6_from_run(smoke_run, tmp_path, progress=False)
    assert (tmp_path / "figure6.png").stat().st_size > 1000
    rows = (tmp_path / "figure6.csv").read_text().splitlines()
    assert rows[0].startswith("index,lambda1,lambda2") and len(rows) == 1 + 5


def test_a_failed_report_leaves_the_previous_one(smoke_run, tmp_path, tiny_profile, monkeypatch):
    """An error while the report is written (here: in the CSVs) leaves the previous report as it was
    and no staging directory behind."""
    from verify.crosscheck import report

    out = tmp_path / "out"
    C.crosscheck(smoke_run, out, profile=tiny_profile, progress=False, log=None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report, "_csvs", broken)
    with pytest.raises(OSError, match="disk full"):
        C.crosscheck(smoke_run, out, profile=tiny_profile, progress=False, log=None)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
