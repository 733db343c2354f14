"""The coefficient rows of verify.crosscheck.functions against theory's own margins and pair sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.conditions import margins, mme_pair_taylor_terms, we_margins, we_scores
import torch

from theory.conditions import mme_condition_value, we_condition_value
from verify.crosscheck import functions as fn
from verify.crosscheck import parts as P
from verify.crosscheck.attacks import mme_confirmed, mme_objective, we_confirmed, we_objective


def _case(seed, n, c):
    rng = np.random.default_rng(seed)
    conf = rng.dirichlet(np.ones(c), size=n)                  # (N, C)
    w = rng.uniform(0.1, 1.0, n)
    return conf, w / w.sum(), int(rng.integers(c))


@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(2, 5))
def test_rows_reproduce_theory(seed, n, c):
    conf, w, y0 = _case(seed, n, c)
    f = conf.reshape(-1)
    np.testing.assert_allclose(fn.class_score_rows(w, c) @ f, we_scores(conf, w), atol=1e-12)
    np.testing.assert_allclose(fn.we_margin_rows(w, c, y0) @ f, we_margins(conf, w, y0), atol=1e-12)
    np.testing.assert_allclose(fn.member_margin_rows(n, c, y0) @ f, margins(conf, y0).reshape(-1), atol=1e-12)
    s, _ = mme_pair_taylor_terms(conf, np.zeros(conf.shape + (1,)), y0)
    np.testing.assert_allclose(fn.pair_sum_rows(n, c, y0) @ f, s.reshape(-1), atol=1e-12)
    diffs = (fn.member_difference_rows(n, c) @ f).reshape(n, c, c - 1)
    for j in range(n):
        for a in range(c):
            np.testing.assert_allclose(diffs[j, a], conf[j, a] - np.delete(conf[j], a), atol=1e-12)


def test_figure6_outcome_is_mme_wins_we_wins_or_tie():
    proxies = [{"lambda1": 0.5, "lambda2": 0.6, "mu": 0.9, "s": 0.1, "s_f": 0.05}] * 4
    out = P.figure6_table(proxies, r_mme=[1.0, 0.5, 0.5, 0.0], r_we=[0.5, 1.0, 0.5, 0.0], n_members=3,
                          resamples=10)
    assert out["y"].tolist() == [1, 0, -1, -1] and out["ties"] == 2 and out["positives"] == 1
    assert (out["mme_wins"], out["we_wins"], out["ties_zero"], out["ties_equal"]) == (1, 1, 1, 1)


def test_binomial_excess_is_the_binomial_tail():
    assert P.binomial_excess(0, 50, 0.002) == 1.0
    assert P.binomial_excess(1, 1, 0.002) == pytest.approx(0.002)
    assert P.binomial_excess(2, 10, 0.1) == pytest.approx(1 - 0.9 ** 10 - 10 * 0.1 * 0.9 ** 9)


@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(2, 5))
def test_attack_objectives_are_the_theory_conditions(seed, n, c):
    """The PGD objectives are minus Proposition B.2's and Lemma B.1's condition values."""
    conf, w, y0 = _case(seed, n, c)
    g = torch.as_tensor(conf)[None]
    y = torch.tensor([y0])
    assert float(we_objective(g, y, torch.as_tensor(w))[0]) == pytest.approx(-float(we_condition_value(conf, w, y0)))
    assert float(mme_objective(g, y)[0]) == pytest.approx(-float(mme_condition_value(conf, y0)))


def _diff_bounds(conf, slack):
    n, c = conf.shape
    d = (fn.member_difference_rows(n, c) @ conf.reshape(-1)).reshape(n, c, c - 1)
    return d - slack, d + slack


def test_adversarial_confirmation_needs_proof():
    """WE: some lower bound on G^y - G^y0 must be positive. MME: a member provably on another class
    whose gap provably beats every member that may still say y0."""
    assert we_confirmed(np.array([0.01, -0.3])) and not we_confirmed(np.array([-0.01, -0.3]))
    conf = np.array([[0.2, 0.7, 0.1],     # member 0: class 1, gap 0.5
                     [0.6, 0.3, 0.1]])    # member 1: class 0 (= y0), gap 0.3
    assert mme_confirmed(*_diff_bounds(conf, 0.05), 0)
    assert not mme_confirmed(*_diff_bounds(conf, 0.15), 0)       # the gaps' bounds overlap
    closer = np.array([[0.2, 0.7, 0.1], [0.85, 0.1, 0.05]])      # member 1's y0 gap 0.75 beats 0.5
    assert not mme_confirmed(*_diff_bounds(closer, 0.01), 0)
    other = np.array([[0.2, 0.7, 0.1], [0.1, 0.05, 0.85]])       # member 1 says class 2: harmless
    assert mme_confirmed(*_diff_bounds(other, 0.01), 0)
