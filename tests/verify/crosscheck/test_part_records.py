"""Each part's typed record renders what the report's nested dicts held before the parts had modules
(issue 20, "one part, one module"): the same summary.json entries, keys in the same order, the same
table rows. On small synthetic inputs, no model; the end-to-end layout is checked in test_cli.py."""

from __future__ import annotations

from dataclasses import asdict
from types import SimpleNamespace

import numpy as np
import pytest

from drt_min.results import Row
from verify.crosscheck import parts as P
from verify.crosscheck.inputs import Ensemble
from verify.crosscheck.pairs import PairOutcome, confusion, pairs_csv
from verify.crosscheck.part1_theorem2 import part1
from verify.crosscheck.part2_certificates import CSV_COLUMNS, CertificateRow, certificate_stats
from verify.crosscheck.part3_eri import part3
from verify.crosscheck.part4_members import members_stats
from verify.crosscheck.part5_eas import eas_stats
from verify.crosscheck.part7_predict import PredictRow, part7
from verify.crosscheck.power import PowerRow, power_csv_rows, power_table

PROPORTION = ["k", "n", "rate", "low", "high"]
CONFUSION = ["n", "tp", "fp", "fn", "tn", "accuracy", "precision", "base_rate", "pairs"]


def _ensemble(radii: dict[str, list[float]]) -> Ensemble:
    certs = {p: {i: Row(i, 0, 0 if v > 0 else -1, v, int(v > 0), 0.0) for i, v in enumerate(vals)}
             for p, vals in radii.items()}
    n = len(next(iter(radii.values())))
    return Ensemble("drt", None, {}, {"all_indices": list(range(n)), "protocols": list(radii), "alpha": 0.001,
                                      "n": 1000}, certs)


def test_part1_summary_is_theorem2_summary():
    """Part 1's record holds parts.theorem2_summary's numbers under the same keys, in the same order."""
    rng = np.random.default_rng(0)
    second = [{k: rng.normal(size=(5, 6)) for k in ("estimate", "lower", "upper", "halfwidth")} for _ in range(3)]
    bank = SimpleNamespace(ensemble=SimpleNamespace(weights=(0.5, 0.5, 0.0)),
                           records=[{"index": i, "second": s} for i, s in enumerate(second)])
    p = part1({"drt": bank}, sigma=0.25, tight=7.7, paper=32.0, random_directions=2)
    old = P.theorem2_summary(second, 3, 0.25, 7.7, 32.0)
    assert p.summary()["drt"] == old
    assert list(p.summary()["drt"]) == list(old) and list(p.summary()["drt"]["gradient"]) == list(old["gradient"])
    header, rows = p.csvs()["part1_theorem2.csv"]
    assert header[:4] == ["ensemble", "index", "direction", "kind"] and len(rows) == 3 * 5
    assert [r[3] for r in rows[:5]] == ["gradient"] * 3 + ["random"] * 2


def test_part2_certificate_stats_layout():
    """Soft certificates carry their reference and comparison; the two Cohen rows only the radii."""
    rows = [CertificateRow(index=i, label=0, y_we=0, y_mme=0, we_paper=0.1 * i, we_tight=0.2 * i, we_soft=0.3,
                           mme_paper=0.0, mme_tight=0.1, pair_paper=0.0, pair_tight=0.2, pair_members="01",
                           cohen_we=0.5, cohen_mme=0.4 * i, we_necessary_fails_at=np.inf, eri=1.0)
            for i in range(4)]
    cert = {k: asdict(v) for k, v in certificate_stats(rows, 0.05).items()}
    assert list(cert) == ["we_paper", "we_tight", "we_soft", "mme_paper", "mme_tight", "pair_paper", "pair_tight",
                          "cohen_we", "cohen_mme"]
    assert list(cert["we_tight"]) == ["certified", "median", "mean", "reference", "median_ratio", "max_ratio",
                                      "spearman"]
    assert list(cert["cohen_mme"]) == ["certified", "median", "mean"]
    assert cert["we_tight"]["certified"]["k"] == 3 and cert["we_tight"]["reference"] == "cohen_we"
    assert cert["we_tight"]["median_ratio"] == pytest.approx(np.median([0.4, 0.8, 1.2]))
    assert cert["mme_tight"]["max_ratio"] == pytest.approx(0.1 / 0.4)
    assert CSV_COLUMNS == [f for f in CertificateRow.__dataclass_fields__]


def test_part3_summary_leaves_out_the_per_image_columns():
    def bank(eri):
        ens = _ensemble({"we": [0.1, 0.2, 0.3, 0.4, 0.5]})
        return SimpleNamespace(ensemble=ens, records=[{"index": i, "eri": e} for i, e in enumerate(eri)])
    p = part3({"drt": bank([1.0, 2.0, 3.0, 4.0, 5.0]), "control": bank([2.0, 2.5, 3.5, 4.5, 5.0])},
              sigma=0.5, level=0.05)
    s = p.summary()
    assert list(s) == ["drt", "control", "shift"] and list(s["drt"]) == ["spearman", "quartiles"]
    assert list(s["shift"]) == ["median_difference", "n", "lower_share", "wilcoxon_p"]
    assert s["drt"]["spearman"]["rho"] == pytest.approx(1.0) and s["drt"]["quartiles"] == [2.0, 3.0, 4.0]
    assert s["shift"]["lower_share"]["k"] == 4 and s["shift"]["median_difference"] == pytest.approx(-0.5)
    assert "| drt | 2 | 3 | 4 | 1 | " in "\n".join(p.markdown())
    alone = part3({"drt": bank([1.0, 2.0, 3.0, 4.0, 5.0])}, sigma=0.5, level=0.05)
    assert alone.shift is None and "shift" not in alone.summary()


def _pair(index, r_we, r_mme, r_i, r_k, r_eas, cor1=None, cor4=None):
    return PairOutcome(index=index, pair="01", r_we=r_we, r_mme=r_mme, r_i=r_i, r_k=r_k, r_eas=r_eas,
                       cor1_we=cor1, cor1_mme=None, cor4=cor4)


def test_parts4_5_layout_and_confusions():
    ens = _ensemble({"we": [1.0, 0.5, 0.0, 0.3], "mme": [0.2, 0.6, 0.0, 0.3], "member0": [0.5, 0.5, 0.1, 0.3],
                     "member1": [0.7, 0.4, 0.0, 0.3], "eas": [0.1, 0.7, 0.0, 0.3]})
    yes = {"C": 1.0, "cos": 0.2, "delta": 0.1, "R": 0.9, "predicts_larger": True}
    no = dict(yes, cos=0.6, predicts_larger=False)
    pairs = [_pair(0, 0.9, 0.3, 0.5, 0.4, 0.2, yes, {"p": 0.9, "threshold": 0.5, "predicts_ebs": True}),
             _pair(1, 0.3, 0.3, 0.5, 0.4, 0.4, yes, {"p": 0.1, "threshold": 0.5, "predicts_ebs": False}),
             _pair(2, 0.1, 0.1, 0.5, 0.4, 0.0, no), _pair(3, 0.0, 0.0, 0.0, 0.0, 0.0)]
    p4 = asdict(members_stats(ens, pairs, 0.05))
    assert list(p4) == ["images", "we", "mme", "cor1_we", "cor1_mme"]
    assert list(p4["we"]) == ["beats_best", "loses_to_best", "ties"]
    assert list(p4["cor1_we"]) == CONFUSION + ["cos_median"]
    c = p4["cor1_we"]   # predicted larger on pairs 0, 1; larger observed on pair 0 only
    assert (c["n"], c["tp"], c["fp"], c["fn"], c["tn"], c["pairs"]) == (3, 1, 1, 0, 1, 4)
    assert c["cos_median"] == pytest.approx(0.2) and p4["cor1_mme"]["n"] == 0
    p5 = asdict(eas_stats(ens, pairs, 0.05))
    assert list(p5) == ["images", "eas_larger", "ebs_larger", "ties", "cor4"] and list(p5["cor4"]) == CONFUSION
    assert (p5["cor4"]["tp"], p5["cor4"]["tn"], p5["cor4"]["n"]) == (1, 1, 2)
    header, rows = pairs_csv({"drt": pairs})
    assert len(header) == len(rows[0]) == 21 and rows[3][8:] == [""] * 13
    assert asdict(confusion(np.array([], bool), np.array([], bool), 0.05, 0))["accuracy"]["n"] == 0


def test_part7_summary_markdown_and_csvs():
    rows = {"we": [PredictRow(0, 1, 2, 0.1, 0.2), PredictRow(1, 2, 3, 0.1, 0.2), PredictRow(2, 0, -1, 0.1, 0.3)],
            "mme": [PredictRow(0, 1, 1, 0.1, 0.2)]}
    power_rows = {"we": [PowerRow(0, f, f * 0.2, 0.1, f == 2.0) for f in P.INFLATIONS], "mme": []}
    prof = SimpleNamespace(attack_steps=3, attack_draws=8)
    ens = SimpleNamespace(manifest={"alpha": 0.001, "n": 1000})
    p = part7(ens, rows, power_rows, prof, family_level=1e-3, level=0.05)
    s = p.summary()
    assert list(s) == ["we", "mme"] and list(s["we"]) == ["attacked", "disagree", "abstain", "disagree_rate",
                                                          "p_value"]
    assert (s["we"]["attacked"], s["we"]["disagree"], s["we"]["abstain"]) == (3, 2, 1)
    assert s["we"]["disagree_rate"] == P.proportion(2, 3, 0.05)
    assert s["we"]["p_value"] == P.binomial_excess(2, 3, 0.002) < 1e-3
    text = "\n".join(p.markdown())
    assert "**The disagreements exceed what alpha allows at level 0.001: a certificate is wrong.**" in text
    assert "| WE | 3 | 2 | 1 | 2/3 = 0.667" in text and "Power: the same attack" in text
    header, csv = p.csv()
    assert header == ["protocol", "index", "certified", "radius", "distance", "predict"]
    assert csv[1] == ["we", 1, 2, 0.2, 0.1, 3] and csv[-1][0] == "mme"
    assert p.power_csv_rows()[-1] == ["part7", "we", 0, 2.0, 0.4, 0.1, "", 1]


def test_power_rows_are_the_power_table_rows():
    rows = [PowerRow(i, f, f, 0.5, b, r) for f in P.INFLATIONS for i, (b, r) in enumerate([(f > 1.3, True),
                                                                                         (False, False)])]
    dicts = [{"index": r.index, "inflation": r.inflation, "broken": r.broken, "reached": r.reached} for r in rows]
    assert power_table(rows, 0.05) == P.power_table(dicts, 0.05)
    assert power_csv_rows("part2", "we", rows[:1]) == [["part2", "we", 0, 1.25, 1.25, 0.5, 1, 0]]
