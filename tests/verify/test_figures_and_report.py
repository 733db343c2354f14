"""Figures 4-5 are written as PNG and CSV from their settings; the report fails on a failed check."""

from __future__ import annotations

import csv

import pytest
from scipy import stats

from theory import statistical as stat
from theory.smoothing import clopper_pearson_lower
from verify import report as report_module
from verify.checks import Check, CheckOutcome, Mutation
from verify.figures import Figure4Settings, figure4, figure5, smoothing_radius


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_figure4_writes_png_and_csv(tmp_path):
    settings = Figure4Settings(num_models=(3, 10), instances=30, samples=2000, seed=1)
    summary = figure4(tmp_path, settings, progress=False)
    assert (tmp_path / "figure4.png").stat().st_size > 10_000
    rows = _rows(tmp_path / "figure4.csv")
    assert len(rows) == 60 and {int(r["N"]) for r in rows} == {3, 10}
    for r in rows:
        assert 0.8 / 0.95 <= float(r["lambda1_over_lambda2"]) < 1.0
        assert 0.3 <= float(r["a"]) <= float(r["b"]) <= 1.0
        assert float(r["radius_mme_minus_we"]) == pytest.approx(float(r["radius_mme"]) - float(r["radius_we"]))
    assert set(summary) == {3, 10}


def test_figure4_is_reproducible_from_its_seed(tmp_path):
    settings = Figure4Settings(num_models=(3,), instances=10, samples=500, seed=7)
    figure4(tmp_path / "a", settings, progress=False)
    figure4(tmp_path / "b", settings, progress=False)
    assert (tmp_path / "a" / "figure4.csv").read_text() == (tmp_path / "b" / "figure4.csv").read_text()


def test_figure5_matches_the_theorems(tmp_path):
    data = figure5(tmp_path, num_models=range(2, 8))
    assert (tmp_path / "figure5.png").stat().st_size > 10_000
    rows = _rows(tmp_path / "figure5.csv")
    we = [r for r in rows if r["panel"] == "0" and r["curve"] == "MME (Thm 9)" and r["N"] == "5"][0]
    assert float(we["probability_bound"]) == pytest.approx(float(stat.uniform_mme_bound(0.01, 0.2, 0.3, 0.31, 5)))
    assert len(data) == 2


def test_smoothing_radius_follows_clopper_pearson():
    k, n = 9_990, 10_000
    expected = stats.norm.ppf(float(clopper_pearson_lower(k, n, 0.001)))
    assert smoothing_radius(k, n, 0.001, 1.0) == pytest.approx(expected)
    assert smoothing_radius(0, n, 0.001, 1.0) == 0.0
    assert smoothing_radius(5000, n, 0.001, 2.0) == 0.0  # lower bound below 1/2: abstain


def _fake_checks(passes: bool, mutation_caught: bool):
    ok = lambda p, s: CheckOutcome(True, 10, 1e-6, "fine")  # noqa: E731
    bad = lambda p, s: CheckOutcome(False, 10, 1e-6, "violated")  # noqa: E731
    return [Check("thm0", "fake", "exact", "paper", "ours", ok if passes else bad,
                  (Mutation("halved", bad if mutation_caught else ok),))]


@pytest.mark.parametrize("passes,caught,expected", [(True, True, True), (False, True, False), (True, False, False)])
def test_report_fails_on_a_failed_check_or_an_uncaught_mutation(tmp_path, monkeypatch, passes, caught, expected):
    monkeypatch.setattr(report_module, "all_checks", lambda: _fake_checks(passes, caught))
    path, ok = report_module.write_report(tmp_path, progress=False, figures=False)
    assert ok is expected
    text = path.read_text()
    assert "| `thm0` | fake |" in text
    assert ("FAIL" in text) is (not passes)


def test_a_crashing_check_counts_as_failed(tmp_path, monkeypatch):
    def boom(p, s):
        raise RuntimeError("no")

    monkeypatch.setattr(report_module, "all_checks",
                        lambda: [Check("thm0", "crash", "exact", "paper", "ours", boom, ())])
    _, ok = report_module.write_report(tmp_path, progress=False, figures=False)
    assert not ok and "RuntimeError" in (tmp_path / "report.md").read_text()
