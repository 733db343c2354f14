"""``python -m verify figure6``: two certifications on independent noise, Y's test-retest, Figure 6."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from drt_min import config
from drt_min.curves import certified_radii
from drt_min.results import read_certificates, read_manifest
from drt_min.run import run
from tests.helpers.training import REPO, require_mnist
from verify.crosscheck import parts as P
from verify.crosscheck.figure6_study import figure6_study, retest_seed
from verify.crosscheck.report import certificate_ceiling

OVERRIDES = {"cert_n": 300, "cert_n0": 20, "cert_every": 500, "cert_max_images": 12}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    data_dir = require_mnist()
    out = tmp_path_factory.mktemp("smoke") / "run"
    cfg = config.replace(config.get_preset("smoke"), train={"device": "cpu", "data_dir": str(data_dir)},
                         control=False)
    run(cfg, out, progress=False, log=None)
    return out / "checkpoints" / "drt.pt"


@pytest.fixture(scope="module")
def study(checkpoint, tmp_path_factory):
    out = tmp_path_factory.mktemp("study") / "f6"
    return out, figure6_study(checkpoint, out, overrides=OVERRIDES, progress=False, log=None)


def _radii(cert_dir):
    man = read_manifest(cert_dir)
    return tuple(certified_radii(read_certificates(cert_dir, p, man)) for p in ("mme", "we"))


def test_the_two_certifications_differ_only_in_their_noise_seed(study):
    out, summary = study
    a, b = read_manifest(out / "certify" / "first"), read_manifest(out / "certify" / "second")
    differ = {k for k in a if k not in ("started", "elapsed_s", "finished", "extra", "seed") and a[k] != b.get(k)}
    assert not differ
    assert a["n"] == OVERRIDES["cert_n"] and len(a["indices"]) == OVERRIDES["cert_max_images"]
    assert b["seed"] == retest_seed(a["seed"]) != a["seed"] and summary["retest_seed"] == b["seed"]
    # independent noise: the estimation counts, hence the radii, are not all the same
    assert any(not np.array_equal(x, y) for x, y in zip(_radii(out / "certify" / "first"),
                                                          _radii(out / "certify" / "second")))


def test_retest_and_figure6_are_those_of_the_written_certificates(study):
    """The summary's agreement and outcome counts, recomputed from the TSVs; the report states them."""
    out, summary = study
    first, second = _radii(out / "certify" / "first"), _radii(out / "certify" / "second")
    expect = P.outcome_agreement(first, second, 0.05)
    assert summary["retest"]["three_way"] == pytest.approx(expect["three_way"])
    assert summary["retest"]["kappa"] == pytest.approx(expect["kappa"], nan_ok=True)
    ceiling = certificate_ceiling(read_manifest(out / "certify" / "first"))
    counts = P.figure6_outcomes(*first, ceiling)["counts"]
    assert {k: summary["figure6"][k] for k in counts} == counts
    text = (out / "figure6_study.md").read_text()
    three = summary["retest"]["three_way"]
    assert f"for {three['k']}/{three['n']} = {three['rate']:.3f}" in text
    assert f"MME wins on {counts['mme_wins']}, WE wins on {counts['we_wins']}" in text
    for name in ("figure6.png", "figure6.csv", "figure6_study.json"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "figure6_study.json").read_text())["checkpoint_sha256"] == summary["checkpoint_sha256"]


def test_the_retest_compares_the_second_certification(checkpoint, study, tmp_path):
    """Turn one image's outcome around in a copy's second certification (WE abstains where both
    certified): the resumed study's agreement drops by one. A study comparing the first
    certification with itself, or ignoring the second, keeps its old agreement and fails."""
    import shutil

    out, summary = study
    copy = tmp_path / "f6"
    shutil.copytree(out, copy)
    first, second = _radii(copy / "certify" / "first"), _radii(copy / "certify" / "second")
    outcome_1 = np.sign(first[0] - first[1])
    candidates = [j for j in range(len(outcome_1)) if second[0][j] > 0 and second[1][j] > 0 and outcome_1[j] != 1]
    assert candidates, "the smoke study has no image that both protocols certify"
    j = candidates[0]
    tsv = copy / "certify" / "second" / "we.tsv"
    lines = tsv.read_text().splitlines()
    fields = lines[1 + j].split("\t")
    fields[2:5] = ["-1", "0.0", "0"]                  # abstain: radius 0, not correct
    lines[1 + j] = "\t".join(fields)
    tsv.write_text("\n".join(lines) + "\n")
    again = figure6_study(checkpoint, copy, overrides=OVERRIDES, progress=False, log=None)
    assert again["retest"]["three_way"]["k"] == summary["retest"]["three_way"]["k"] - 1


def test_the_proxies_are_drawn_as_the_summary_says(checkpoint, study):
    """figure6.csv's lambda1 and lambda2 are the proxies of the first certification's ensemble from
    the summary's number of PROXY samples (another count, stream or ensemble gives other values)."""
    import csv

    from verify.crosscheck.inputs import load_certified, load_images
    from verify.crosscheck.part6_figure6 import lambda_table

    out, summary = study
    ens = load_certified(checkpoint, out / "certify" / "first", "drt", "cpu")
    images, labels = load_images(ens)
    expect = lambda_table(ens, images, labels, summary["lambda_samples"], "cpu", 4000, False)
    rows = list(csv.DictReader((out / "figure6.csv").read_text().splitlines()))
    assert [int(r["index"]) for r in rows] == [p["index"] for p in expect]
    for r, p in zip(rows, expect):
        assert float(r["lambda1"]) == pytest.approx(p["lambda1"], rel=1e-5, abs=1e-12)   # 6 digits written
        assert float(r["lambda2"]) == pytest.approx(p["lambda2"], rel=1e-5, abs=1e-12)


def test_a_rerun_resumes_to_the_same_summary(checkpoint, study, tmp_path):
    out, summary = study
    again = figure6_study(checkpoint, out, overrides=OVERRIDES, progress=False, log=None)
    drop = lambda s: {k: v for k, v in s.items() if k != "times"}  # noqa: E731
    assert json.dumps(drop(again), sort_keys=True) == json.dumps(drop(summary), sort_keys=True)


@pytest.mark.parametrize("args, message", [
    (["--cert-n", "0"], "--cert-n"),
    (["--cert-every", "abc"], "--cert-every"),
    (["--profile", "nope"], "--profile"),
])
def test_bad_options_are_one_line_errors_and_write_nothing(checkpoint, tmp_path, args, message):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "verify", "figure6", str(checkpoint), "--out", str(out),
                           *args], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert message in lines[-1] and "Traceback" not in proc.stderr
    assert not out.exists()


def test_a_missing_checkpoint_is_named(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "verify", "figure6", str(tmp_path / "none.pt"), "--out",
                           str(tmp_path / "out")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "none.pt" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_the_committed_study_states_what_its_certificates_give():
    """docs/verify/figure6-study: each seed's outcome counts and test-retest agreement, recomputed
    from its committed TSVs, are the ones its JSON and the study's README state."""
    root = REPO / "docs" / "verify" / "figure6-study"
    readme = (root / "README.md").read_text()
    seeds = sorted(root.glob("seed*"))
    assert len(seeds) >= 2
    pooled = [0, 0]
    for d in seeds:
        summary = json.loads((d / "figure6_study.json").read_text())
        first, second = _radii(d / "certify" / "first"), _radii(d / "certify" / "second")
        assert read_manifest(d / "certify" / "first")["n"] == summary["protocol"]["cert_n"] >= 10_000
        counts = P.figure6_outcomes(*first, certificate_ceiling(read_manifest(d / "certify" / "first")))["counts"]
        assert {k: summary["figure6"][k] for k in counts} == counts
        # the committed wins are unequal, so a study that exchanged MME and WE would fail the line above
        assert counts["mme_wins"] != counts["we_wins"]
        three = P.outcome_agreement(first, second, 0.05)["three_way"]
        assert summary["retest"]["three_way"] == pytest.approx(three)
        assert f"| {three['k']}/{three['n']} = {three['rate']:.3f}" in readme
        pooled = [pooled[0] + three["k"], pooled[1] + three["n"]]
    assert f"pooled over the seeds: {pooled[0]}/{pooled[1]}" in readme


def test_the_committed_n10000_retest_is_what_its_certificates_give():
    """The n = 10,000 test-retest on the cross-check's checkpoint that README.md and the study's
    README state, recomputed from its two committed certifications."""
    d = REPO / "docs" / "verify" / "figure6-study" / "n10000-crosscheck-drt"
    first, second = read_manifest(d / "first"), read_manifest(d / "second")
    assert first["n"] == second["n"] == 10_000 and first["indices"] == second["indices"]
    assert first["seed"] != second["seed"]
    three = P.outcome_agreement(_radii(d / "first"), _radii(d / "second"), 0.05)["three_way"]
    text = (d / "README.md").read_text()
    assert f"agrees between them on {three['k']} of the {three['n']} images" in text
    assert f"{three['k']}/{three['n']} = {three['rate']:.2f} [{three['low']:.2f}, {three['high']:.2f}]" in \
        (REPO / "README.md").read_text()
