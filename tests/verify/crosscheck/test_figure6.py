"""Figure 6 as the paper defines it: Y contrasts MME wins with WE wins, ties are counted and never folded
into either class, each treatment of undefined X has its own AUC, and the proxies' noise is independent of
the certificates'. Oracles are brute-force pair counts on hand-made inputs (no sampling)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from theory.statistical import corollary5_thresholds
from verify.crosscheck import parts as P
from verify.crosscheck.sampling import ESTIMATION, PROXY, SELECTION, standard_noise

LAM2, MU, S, S_F, N = 0.5, 0.9, 0.1, 0.05, 3
RHS = float(corollary5_thresholds(MU, LAM2, S, S_F, N)[1])


def _proxies(x, identical=True, symmetric=True):
    """Proxies whose X is exactly ``x`` (NaN: undefined, mu below B(lambda2))."""
    out = []
    for v in x:
        if np.isnan(v):
            out.append({"lambda1": 0.3, "lambda2": LAM2, "mu": 0.2, "s": S, "s_f": S_F,
                        "identical": identical, "symmetric": symmetric})
        else:
            out.append({"lambda1": (v + RHS) * LAM2, "lambda2": LAM2, "mu": MU, "s": S, "s_f": S_F,
                        "identical": identical, "symmetric": symmetric})
    return out


def _pair_auc(pos, neg) -> float:
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    twice = 2 * int(np.sum(pos[:, None] > neg[None, :])) + int(np.sum(pos[:, None] == neg[None, :]))
    return float(Fraction(twice, 2 * pos.size * neg.size))


CEIL = 3.09
# 12 images: MME wins 0-3, WE wins 4-7, ties 8-11 (both 0; both at the ceiling twice; equal 0.4)
R_MME = np.array([1.0, 0.8, 0.6, 0.5, 0.1, 0.2, 0.3, 0.0, 0.0, CEIL, CEIL, 0.4])
R_WE = np.array([0.5, 0.2, 0.1, 0.3, 0.6, 0.9, 0.7, 0.2, 0.0, CEIL, CEIL, 0.4])
# X: MME wins score high, WE wins mixed, ties score lowest (so folding them into WE inflates the AUC)
X = np.array([0.9, 0.1, 0.5, -0.2, 0.3, -0.4, 0.6, 0.0, -2.0, -3.0, -2.5, -1.5])


def test_ties_are_counted_exactly_and_never_folded_into_either_class():
    out = P.figure6_table(_proxies(X), R_MME, R_WE, N, resamples=200, ceiling=CEIL)
    assert (out["mme_wins"], out["we_wins"], out["ties"]) == (4, 4, 4)
    assert (out["ties_zero"], out["ties_ceiling"], out["ties_equal"]) == (1, 2, 1)
    assert out["y"].tolist() == [1] * 4 + [0] * 4 + [-1] * 4
    headline = _pair_auc(X[:4], X[4:8])
    folded = _pair_auc(X[:4], X[4:])                    # ties counted as WE wins
    assert folded != pytest.approx(headline)            # the data tell the two rules apart
    assert out["auc_x"] == pytest.approx(headline, abs=1e-12) and out["auc_x_n"] == 8
    assert (out["auc_x_positives"], out["auc_x_negatives"]) == (4, 4)
    lo, hi = out["auc_x_bootstrap"]
    assert lo <= out["auc_x"] <= hi
    # the tie-inclusive rule is reported, as its own finding
    assert out["tie_inclusive"]["auc"] == pytest.approx(folded, abs=1e-12)
    # -X predicting "tie": ties (positives) against decided images
    assert out["ties_from_x"]["auc"] == pytest.approx(_pair_auc(-X[8:], -X[:8]), abs=1e-12)
    assert out["ties_from_x"]["auc"] == 1.0


def test_ties_folded_into_mme_would_also_change_the_headline():
    """Exchanging which ensemble is called MME maps the headline to 1 - AUC exactly, ties untouched."""
    a = P.figure6_table(_proxies(X), R_MME, R_WE, N, resamples=50, ceiling=CEIL)
    b = P.figure6_table(_proxies(X), R_WE, R_MME, N, resamples=50, ceiling=CEIL)
    assert a["auc_x"] + b["auc_x"] == pytest.approx(1.0, abs=1e-12)
    assert a["ties"] == b["ties"] == 4


def test_each_undefined_x_choice_has_its_own_auc():
    x = X.copy()
    x[[1, 3, 5]] = np.nan                               # two MME wins and one WE win have no X
    out = P.figure6_table(_proxies(x), R_MME, R_WE, N, resamples=50, ceiling=CEIL)
    assert out["n_defined"] == 9
    mme, we = [0, 2], [4, 6, 7]
    excluded = _pair_auc(x[mme], x[we])
    assert out["auc_x"] == pytest.approx(excluded, abs=1e-12) and out["auc_x_n"] == 5
    assert out["undefined"]["excluded"]["auc"] == pytest.approx(excluded, abs=1e-12)
    low, high = np.nanmin(x) - 1, np.nanmax(x) + 1
    for how, fill in (("lowest", low), ("highest", high)):
        filled = np.where(np.isnan(x), fill, x)
        expected = _pair_auc(filled[[0, 1, 2, 3]], filled[[4, 5, 6, 7]])
        assert out["undefined"][how]["auc"] == pytest.approx(expected, abs=1e-12), how
        assert out["undefined"][how]["n"] == 8
    # the choices differ on these data, so a mix-up is seen
    values = [out["undefined"][h]["auc"] for h in P.UNDEFINED_X]
    assert len({round(v, 12) for v in values}) == 3


def test_auc_on_images_where_the_screened_hypotheses_hold():
    proxies = _proxies(X)
    for j in (0, 4):
        proxies[j] = dict(proxies[j], symmetric=False)
    proxies[2] = dict(proxies[2], s_f=proxies[2]["s"] * 2)   # s_f > s: fails the screen (X changes too)
    out = P.figure6_table(proxies, R_MME, R_WE, N, resamples=50, ceiling=CEIL)
    assert out["hypotheses_hold"] == 12 - 3
    assert out["hypotheses"]["n"] == 8 - 3
    assert out["hypotheses"]["auc"] == pytest.approx(_pair_auc(X[[1, 3]], X[[5, 6, 7]]), abs=1e-12)


def test_corollary5_screen_sees_members_that_differ_or_are_skewed():
    rng = np.random.default_rng(0)
    same = rng.normal(0.5, 0.05, (400, 3))
    assert P._corollary5_screen(same) == {"identical": True, "symmetric": True}
    shifted = same.copy()
    shifted[:, 2] += 0.05
    assert not P._corollary5_screen(shifted)["identical"]
    skewed = 1.0 - rng.exponential(0.05, (400, 3))
    assert not P._corollary5_screen(skewed)["symmetric"]


def test_proxy_noise_is_independent_of_the_certificate_noise(monkeypatch):
    """The proxies come from their own phase, whose samples differ from the selection and estimation
    streams' (which the certificates used); lambda_table asks for that phase."""
    assert PROXY not in (SELECTION, ESTIMATION)
    shape = (1, 4, 4)
    proxy = standard_noise(1000, 3, PROXY, 64, shape)
    for phase in (SELECTION, ESTIMATION):
        other = standard_noise(1000, 3, phase, 64, shape)
        assert not np.allclose(proxy.numpy(), other.numpy())
        assert abs(np.corrcoef(proxy.numpy().ravel(), other.numpy().ravel())[0, 1]) < 0.1
    from types import SimpleNamespace

    import torch

    from verify.crosscheck import crosscheck as C
    from verify.crosscheck import part6_figure6

    asked = []

    def fake(model, images, indices, phases, **kw):
        asked.extend(p for p, _ in phases)
        return [[np.full((5, 3, 3), 1 / 3)] for _ in indices]

    monkeypatch.setattr(part6_figure6, "member_confidences", fake)
    ens = SimpleNamespace(manifest={"n": 1000, "all_indices": [0, 1], "seed": 1000}, model=None, sigma=1.0,
                          weights=(1 / 3,) * 3)
    C.lambda_table(ens, torch.zeros(2, 1, 4, 4), torch.zeros(2, dtype=torch.long),
                   C.PROFILES["ci"].lambda_samples, "cpu", 100, False)
    assert asked and set(asked) == {PROXY}


def test_outcome_agreement_counts_the_three_way_outcome_and_the_winner():
    first = (np.array([1.0, 0.2, 0.0, 0.5, 0.3]), np.array([0.5, 0.4, 0.0, 0.5, 0.1]))   # mme, we, tie, tie, mme
    second = (np.array([0.9, 0.6, 0.0, 0.2, 0.1]), np.array([0.1, 0.4, 0.3, 0.5, 0.4]))  # mme, mme, we, we, we
    out = P.outcome_agreement(first, second, 0.05)
    assert (out["three_way"]["k"], out["three_way"]["n"]) == (1, 5)
    assert (out["winner_when_decided"]["k"], out["winner_when_decided"]["n"]) == (1, 3)
    same = P.outcome_agreement(first, first, 0.05)
    assert same["three_way"]["k"] == 5 and same["kappa"] == pytest.approx(1.0)
