"""ROC curve and AUC (verify/crosscheck/roc.py, Appendix D.5.3 / Figure 6): symmetries, agreement of the rank
form with the trapezoidal area and a brute-force pair count, the bootstrap and DeLong intervals (with a Monte-Carlo
coverage check whose false-alarm probability is bounded with binomial tails), the plot, and input validation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from verify.crosscheck.roc import auc, auc_bootstrap_interval, auc_delong_interval, plot_roc, roc_curve


@st.composite
def tied_data(draw, max_size=40):
    """Scores on a coarse grid (many ties, within and across classes) with at least one label of each class."""
    n = draw(st.integers(2, max_size))
    grid = draw(st.sampled_from([1.0, 0.1, 1e-3, 7.5]))
    scores = np.array(draw(st.lists(st.integers(-4, 4), min_size=n, max_size=n)), dtype=float) * grid
    labels = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if labels.min() == labels.max():  # force both classes
        labels[draw(st.integers(0, n - 1))] = 1 - labels[0]
    return scores, labels


def _trapezoid(x, y):
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def _brute_force_auc(scores, labels) -> Fraction:
    pos, neg = scores[labels == 1], scores[labels == 0]
    twice = 2 * int(np.sum(pos[:, None] > neg[None, :])) + int(np.sum(pos[:, None] == neg[None, :]))
    return Fraction(twice, 2 * pos.size * neg.size)


def _binormal(rng, d, n_pos, n_neg):
    scores = np.concatenate((rng.normal(d, 1.0, n_pos), rng.normal(0.0, 1.0, n_neg)))
    return scores, np.concatenate((np.ones(n_pos, int), np.zeros(n_neg, int)))


# ---------------------------------------------------------------------------------------------
# the AUC: symmetries and agreement with the curve and the pair count
# ---------------------------------------------------------------------------------------------


@given(tied_data())
def test_exchanging_labels_gives_exactly_one_minus_auc(data):
    scores, labels = data
    assert auc(scores, 1 - labels) == 1.0 - auc(scores, labels)


@given(tied_data())
def test_negating_scores_gives_exactly_one_minus_auc(data):
    scores, labels = data
    assert auc(-scores, labels) == 1.0 - auc(scores, labels)


@given(tied_data())
def test_auc_equals_trapezoidal_area_and_pair_count(data):
    scores, labels = data
    value = auc(scores, labels)
    fpr, tpr, _ = roc_curve(scores, labels)
    assert value == pytest.approx(_trapezoid(fpr, tpr), abs=1e-12)
    assert abs(value - float(_brute_force_auc(scores, labels))) <= 2.0 ** -53  # auc rounds to a 2**-53 grid


def test_auc_on_larger_random_data_with_ties():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 30, 3000).astype(float)
    labels = (rng.random(3000) < 0.3 + 0.01 * scores).astype(int)
    fpr, tpr, _ = roc_curve(scores, labels)
    exact = _brute_force_auc(scores, labels)
    assert abs(auc(scores, labels) - float(exact)) <= 2.0 ** -53
    assert _trapezoid(fpr, tpr) == pytest.approx(float(exact), abs=1e-12)


def test_extreme_cases():
    scores = np.arange(10.0)
    labels = (scores >= 5).astype(int)
    assert auc(scores, labels) == 1.0
    assert auc(-scores, labels) == 0.0
    assert auc(np.full(10, 2.5), labels) == 0.5
    fpr, tpr, thresholds = roc_curve(np.full(10, 2.5), labels)
    np.testing.assert_array_equal(fpr, [0.0, 1.0])
    np.testing.assert_array_equal(tpr, [0.0, 1.0])
    np.testing.assert_array_equal(thresholds, [np.inf, 2.5])


# ---------------------------------------------------------------------------------------------
# the curve
# ---------------------------------------------------------------------------------------------


@given(tied_data())
def test_roc_curve_points_are_the_rates_at_each_distinct_threshold(data):
    scores, labels = data
    fpr, tpr, thresholds = roc_curve(scores, labels)
    assert (fpr[0], tpr[0], thresholds[0]) == (0.0, 0.0, np.inf)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert thresholds.size == np.unique(scores).size + 1
    assert np.all(np.diff(thresholds) < 0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    positive = labels == 1
    for f, t, th in zip(fpr, tpr, thresholds):
        predicted = scores >= th
        assert f == np.sum(predicted & ~positive) / np.sum(~positive)
        assert t == np.sum(predicted & positive) / np.sum(positive)


def test_tied_scores_across_classes_make_one_diagonal_step():
    fpr, tpr, thresholds = roc_curve([3.0, 2.0, 2.0, 2.0, 1.0], [1, 1, 0, 0, 0])
    np.testing.assert_array_equal(thresholds, [np.inf, 3.0, 2.0, 1.0])
    np.testing.assert_allclose(fpr, [0.0, 0.0, 2 / 3, 1.0])
    np.testing.assert_allclose(tpr, [0.0, 0.5, 1.0, 1.0])
    assert auc([3.0, 2.0, 2.0, 2.0, 1.0], [1, 1, 0, 0, 0]) == pytest.approx((3 + (2 * 0.5 + 1)) / 6)  # 3.0 beats 3; 2.0 ties 2, beats 1


# ---------------------------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------------------------


def test_bootstrap_interval_contains_auc_is_reproducible_and_matches_delong_width():
    scores, labels = _binormal(np.random.default_rng(11), 0.8, 200, 200)
    value = auc(scores, labels)
    low, high = auc_bootstrap_interval(scores, labels, seed=5)
    assert 0.0 <= low < value < high <= 1.0
    assert auc_bootstrap_interval(scores, labels, seed=5) == (low, high)
    assert auc_bootstrap_interval(scores, labels, seed=6) != (low, high)
    d_low, d_high = auc_delong_interval(scores, labels)
    assert d_low < value < d_high
    assert 1 / 1.5 < (high - low) / (d_high - d_low) < 1.5
    assert abs((low + high) / 2 - (d_low + d_high) / 2) < 0.25 * (d_high - d_low)


def test_bootstrap_keeps_both_classes_and_narrows_with_level():
    # one positive among 30: unstratified resampling would often lose it (and fail); stratified keeps it
    scores, labels = np.arange(30.0), (np.arange(30) == 20).astype(int)
    low, high = auc_bootstrap_interval(scores, labels, resamples=500)
    assert 0.0 <= low <= auc(scores, labels) <= high <= 1.0
    data = _binormal(np.random.default_rng(2), 0.5, 80, 120)
    wide = auc_bootstrap_interval(*data, level=0.99)
    narrow = auc_bootstrap_interval(*data, level=0.5)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_delong_variance_matches_the_pairwise_definition():
    """DeLong's structural components from ranks agree with their definition as averages of psi over pairs."""
    rng = np.random.default_rng(4)
    scores = rng.integers(0, 6, 60).astype(float)
    labels = np.r_[np.ones(25, int), np.zeros(35, int)]
    pos, neg = scores[:25], scores[25:]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    variance = np.var(psi.mean(axis=1), ddof=1) / 25 + np.var(psi.mean(axis=0), ddof=1) / 35
    half = stats.norm.ppf(0.95) * np.sqrt(variance)
    low, high = auc_delong_interval(scores, labels, level=0.9)
    assert low == pytest.approx(psi.mean() - half, abs=1e-12)
    assert high == pytest.approx(psi.mean() + half, abs=1e-12)


def test_delong_interval_coverage():
    """Coverage of the 95% DeLong interval on binormal data (true AUC Phi(d / sqrt 2)), 100 + 100 points.

    Assumption: the actual coverage at this size lies in [0.93, 0.97] (it is about 0.944, by five runs of 4000
    replications with other seeds). Then each one-sided assertion below fails by chance with probability at most
    1e-6 (binomial tails), so at most 2e-6 in all over the choice of seed. A standard error off by a factor
    sqrt(2) either way (coverage 0.83 or 0.994) fails it.
    """
    replications, d, p_low, p_high, false_alarm = 2000, 1.0, 0.93, 0.97, 1e-6
    lowest = int(stats.binom.ppf(false_alarm, replications, p_low))  # P(Binom(R, p_low) < lowest) <= 1e-6
    highest = int(stats.binom.isf(false_alarm, replications, p_high))  # P(Binom(R, p_high) > highest) <= 1e-6
    assert stats.binom.cdf(lowest - 1, replications, p_low) <= false_alarm
    assert stats.binom.sf(highest, replications, p_high) <= false_alarm
    truth = stats.norm.cdf(d / np.sqrt(2))
    rng = np.random.default_rng(20220101)
    hits = 0
    for _ in range(replications):
        low, high = auc_delong_interval(*_binormal(rng, d, 100, 100))
        hits += low <= truth <= high
    assert lowest <= hits <= highest, (hits, lowest, highest)


# ---------------------------------------------------------------------------------------------
# the plot
# ---------------------------------------------------------------------------------------------


def test_plot_roc_writes_a_png_and_no_temporary_file(tmp_path):
    scores, labels = _binormal(np.random.default_rng(0), 0.6, 50, 70)
    fpr, tpr, _ = roc_curve(scores, labels)
    path = tmp_path / "figure6.png"
    plot_roc(path, [(fpr, tpr, f"recomputed: AUC {auc(scores, labels):.2f}")], title="Figure 6",
             reference_auc=0.5, reference_label="reference")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000
    assert list(tmp_path.iterdir()) == [path]
    plot_roc(path, [(fpr, tpr, "again"), (fpr, tpr, "twice")], title="no reference")  # replaces it
    assert list(tmp_path.iterdir()) == [path]


def test_plot_roc_closes_its_figure(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_roc(tmp_path / "a.png", [([0.0, 1.0], [0.0, 1.0], "diagonal")], title="t")
    assert plt.get_fignums() == before


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------

_ALL = [roc_curve, auc, auc_bootstrap_interval, auc_delong_interval]


@pytest.mark.parametrize("function", _ALL)
@pytest.mark.parametrize("scores, labels, message", [
    ([0.1, 0.2, 0.3], [0, 1], "lengths differ"),
    ([0.1, 0.2, 0.3], [0, 1, 2], "0 or 1"),
    ([0.1, 0.2, 0.3], [0, 1, 0.5], "0 or 1"),
    ([0.1, 0.2, 0.3], [0, 1, -1], "0 or 1"),
    ([0.1, 0.2, 0.3], ["0", "1", "0"], "0 or 1"),
    ([0.1, np.nan, 0.3], [0, 1, 0], "finite"),
    ([0.1, np.inf, 0.3], [0, 1, 0], "finite"),
    ([0.1, 0.2, 0.3], [1, 1, 1], "at least one positive and one negative"),
    ([0.1, 0.2, 0.3], [0, 0, 0], "at least one positive and one negative"),
    ([], [], "at least one positive and one negative"),
    ([[0.1, 0.2]], [[0, 1]], "1-D"),
])
def test_invalid_inputs_raise(function, scores, labels, message):
    with pytest.raises(ValueError, match=message):
        function(scores, labels)


def test_boolean_and_float_labels_are_accepted():
    scores = np.array([0.3, 0.1, 0.2, 0.4])
    assert auc(scores, [True, False, False, True]) == auc(scores, [1.0, 0.0, 0.0, 1.0]) == 1.0


def test_interval_arguments_are_validated():
    scores, labels = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0, 1, 0, 1])
    for level in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="level"):
            auc_bootstrap_interval(scores, labels, level=level)
        with pytest.raises(ValueError, match="level"):
            auc_delong_interval(scores, labels, level=level)
    for resamples in (0, -3, 2.5):
        with pytest.raises(ValueError, match="resamples"):
            auc_bootstrap_interval(scores, labels, resamples=resamples)
    with pytest.raises(ValueError, match="two positives and two negatives"):
        auc_delong_interval([0.1, 0.2, 0.3], [0, 1, 0])
    with pytest.raises(ValueError, match="at least one"):
        plot_roc("unused.png", [], title="t")
