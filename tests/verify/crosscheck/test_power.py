"""The power of parts 2 and 7: attacks at inflated certified radii, on the same images, with
Clopper-Pearson intervals; and the report's "does not test the certificate" sentence when nothing breaks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from drt_min.ensemble import ProtocolClassifier
from drt_min.results import Row
from drt_min.smoothing import Smooth
from tests.helpers.crosscheck import ridge_ensemble
from verify.crosscheck import crosscheck as C
from verify.crosscheck import parts as P
from verify.crosscheck import part2_certificates as part2
from verify.crosscheck import part7_predict as part7
from verify.crosscheck.power import power_markdown as _power_markdown, power_table

SIGMA, SEED = 0.5, 7
DOES_NOT_TEST = "this part does not test the certificate"


def _rows(broken_by_factor: dict) -> list[dict]:
    return [{"index": i, "inflation": f, "broken": b} for f, flags in broken_by_factor.items()
            for i, b in enumerate(flags)]


def test_power_table_counts_per_inflation_with_clopper_pearson_intervals():
    rows = _rows({1.25: [0, 0, 0, 1], 1.5: [0, 1, 0, 1], 2.0: [1, 1, 1, 1]})
    t = P.power_table(rows, 0.05)
    assert t["images"] == 4 and t["tests_certificate"]
    assert [t["by_inflation"][f]["k"] for f in (1.25, 1.5, 2.0)] == [1, 2, 4]
    for f in (1.25, 1.5, 2.0):
        v = t["by_inflation"][f]
        ref = P.proportion(v["k"], 4, 0.05)      # the package's one Clopper-Pearson implementation
        assert (v["low"], v["high"], v["rate"]) == (ref["low"], ref["high"], ref["rate"])


def test_the_report_says_a_part_does_not_test_the_certificate_when_nothing_breaks():
    silent = P.power_table(_rows({f: [0] * 5 for f in P.INFLATIONS}), 0.05)
    assert not silent["tests_certificate"]
    text = "\n".join(_power_markdown({"we": silent}, "", 0.05))
    assert DOES_NOT_TEST in text and "0/5" in text
    # one break at 2x is enough for the part to test something; a break only at 1x (the true radius)
    # is not power
    some = P.power_table(_rows({1.25: [0] * 5, 1.5: [0] * 5, 2.0: [0, 0, 1, 0, 0]}), 0.05)
    assert some["tests_certificate"] and DOES_NOT_TEST not in "\n".join(_power_markdown({"we": some}, "", 0.05))
    only_true = P.power_table(_rows({1.0: [1, 0], 1.25: [0, 0]}), 0.05)
    assert not only_true["tests_certificate"]


def test_part2_power_attacks_at_the_inflated_radius():
    """soft_jobs multiplies the largest certified radius of each soft ensemble by the factor."""
    rec = {"radii": {"we_paper": 0.2, "we_tight": 0.3, "we_soft": 0.5, "mme_paper": 0.1, "mme_tight": 0.4},
           "y_we": 1, "y_mme": 2}
    for factor in P.INFLATIONS:
        jobs = part2.soft_jobs([rec], factor)
        assert jobs["we"][0][1] == pytest.approx(factor * 0.5) and jobs["mme"][0][1] == pytest.approx(factor * 0.4)
    unc = dict(rec, radii=dict(rec["radii"], mme_paper=0.0, mme_tight=0.0))
    assert part2.power_records([unc, rec], 5) == [rec]           # images certified by both ensembles only


@pytest.fixture(scope="module")
def sharp_run():
    """A sharp ridge ensemble certified (WE and MME, Algorithm CERTIFY with n = 20,000, so that the
    certified radii are close to the true ones) at 12 points, as a run's Ensemble (PREDICT: n = 2,000)."""
    model = ridge_ensemble(4, sharpness=40.0, members=3, classes=3)
    rng = np.random.default_rng(1)
    idx = list(range(12))
    u = model.u_np
    xs = torch.stack([torch.tensor(np.linalg.lstsq(u, rng.uniform(-1.0, 1.0, 3), rcond=None)[0]
                                   .reshape(model.shape), dtype=torch.float32) for _ in idx])
    certs = {}
    for protocol in ("we", "mme"):
        smooth = Smooth(ProtocolClassifier(model, protocol, [1 / 3] * 3), 3, SIGMA)
        certs[protocol] = {}
        for i, x in zip(idx, xs):
            c, r = smooth.certify(x, 100, 20_000, 0.001, 20_000, seed=SEED, index=i)
            certs[protocol][i] = Row(i, c, c, r, 1, 0.0)
    ens = SimpleNamespace(model=model, certificates=certs, sigma=SIGMA, weights=(1 / 3,) * 3, stage="drt",
                          manifest={"seed": SEED, "n": 2000, "alpha": 0.001})
    return ens, xs, idx


def test_part7_power_grows_with_inflation_on_the_same_images(sharp_run):
    """SmoothAdv + PREDICT at 1.25x, 1.5x, 2x the certified radius: the same images at every factor, more
    broken at 2x than at 1.25x, and some broken at 2x (an attack that ignored the factor, at the true
    radius, breaks none: the 1x control)."""
    ens, xs, idx = sharp_run
    prof = C.Profile(images=12, bank=1000, direction_samples=100, random_directions=1, lambda_samples=100,
                     attack_steps=30, attack_draws=64, verify_samples=500, bootstrap=100, power_images=12)
    out = part7.power(ens, xs, idx, prof, "cpu", 2000, False)
    for protocol in ("we", "mme"):
        rows = out[protocol]
        images = {f: sorted(r.index for r in rows if r.inflation == f) for f in P.INFLATIONS}
        assert images[1.25] == images[1.5] == images[2.0] and len(images[2.0]) >= 6
        t = power_table(rows, 0.05)["by_inflation"]
        assert t[2.0]["k"] > 0 and t[2.0]["k"] >= t[1.25]["k"], (protocol, t)
        for r in rows:   # the attack stayed within the inflated radius
            radius = ens.certificates[protocol][r.index].radius
            assert r.attack_radius == r.inflation * radius
            assert r.distance <= r.inflation * radius * (1 + 1e-5)
    certified = [ens.certificates["we"][i] for i in idx if ens.certificates["we"][i].radius > 0]
    control = part7.attack_rows(ens, xs, certified, "we", 0.99, prof, "cpu", 2000, False, "control")
    assert sum(r.disagrees for r in control) == 0
