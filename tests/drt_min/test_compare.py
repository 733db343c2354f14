"""drt_min.compare reads certificates only through the validated reader and saves files atomically."""

from __future__ import annotations

import re

import pytest

from drt_min import compare
from drt_min.smoothing import max_certifiable_radius
from drt_min import results as res
from drt_min.curves import average_certified_radius, certified_accuracy

# (label, predict, radius) per image; DRT and control share the images 0..5
DRT = [(1, 1, 0.3), (2, 2, 1.2), (3, 3, 0.0), (4, 0, 0.9), (5, 5, 0.6), (6, -1, 0.0)]
CONTROL = [(1, 1, 0.5), (2, 2, 0.2), (3, 0, 0.4), (4, 4, 0.8), (5, 5, 0.6), (6, 6, 0.1)]


def _rows(spec):
    return [res.Row(i, lab, pred, rad, int(lab == pred), 0.01) for i, (lab, pred, rad) in enumerate(spec)]


def _run(directory, spec, protocols=("mme", "we")):
    rows = _rows(spec)
    for protocol in protocols:
        res.write_tsv(directory / f"{protocol}.tsv", rows)
    res.write_manifest(directory, {"sigma": 0.5, "n0": 10, "n": 100_000, "alpha": 0.001, "seed": 7,
                                   "all_indices": [r.idx for r in rows], "indices": [r.idx for r in rows],
                                   "protocols": list(protocols), "status": "complete", "extra": None})
    return rows


def _nan_radius(path):
    lines = path.read_text().splitlines()
    fields = lines[1].split("\t")
    fields[3] = "nan"
    lines[1] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n")


def test_table_uses_the_shared_curves(tmp_path):
    drt = _run(tmp_path / "drt", DRT)
    ctl = _run(tmp_path / "ctl", CONTROL)
    radii = (0.0, 0.25, 0.5, 1.0)
    table = compare.comparison_table(tmp_path / "drt", tmp_path / "ctl", radii=radii)
    assert [(r["ensemble"], r["protocol"]) for r in table] == [
        ("DRT", "MME"), ("control (rho=0)", "MME"), ("DRT", "WE"), ("control (rho=0)", "WE")]
    for row, rows in zip(table, (drt, ctl, drt, ctl)):
        assert row["images"] == 6
        assert row["accuracy"] == [certified_accuracy(rows, r) for r in radii]
        assert row["acr"] == average_certified_radius(rows)
    # by hand: DRT correct on 0 (0.3), 1 (1.2), 2 (0.0), 4 (0.6); image 3 is wrong, 5 abstains
    assert table[0]["accuracy"] == [4 / 6, 3 / 6, 2 / 6, 1 / 6]
    assert table[0]["acr"] == pytest.approx((0.3 + 1.2 + 0.0 + 0.6) / 6)


def test_paired_tests_use_the_certified_radii(tmp_path):
    _run(tmp_path / "drt", DRT, ("mme",))
    _run(tmp_path / "ctl", CONTROL, ("mme",))
    (row,) = compare.paired_tests(tmp_path / "drt", tmp_path / "ctl", protocols=("mme",),
                                  radii=(0.0, 0.5), bootstrap=200)
    # r = 0: DRT alone on 2, control alone on 3 and 5; r = 0.5: DRT alone on 1, control alone on 0, 3
    assert row["drt_only"] == [1, 1] and row["control_only"] == [2, 2]
    drt = [0.3, 1.2, 0.0, 0.0, 0.6, 0.0]
    ctl = [0.5, 0.2, 0.0, 0.8, 0.6, 0.1]
    assert row["acr_diff"] == pytest.approx(sum(drt) / 6 - sum(ctl) / 6)


@pytest.mark.parametrize("call", ["table", "paired", "compare"])
def test_a_nan_radius_is_rejected_naming_the_file(tmp_path, call):
    _run(tmp_path / "drt", DRT)
    _run(tmp_path / "ctl", CONTROL)
    bad = tmp_path / "ctl" / "mme.tsv"
    _nan_radius(bad)
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        if call == "table":
            compare.comparison_table(tmp_path / "drt", tmp_path / "ctl")
        elif call == "paired":
            compare.paired_tests(tmp_path / "drt", tmp_path / "ctl", bootstrap=10)
        else:
            compare.compare_certifications(tmp_path / "drt", tmp_path / "ctl", tmp_path / "out",
                                           plot=False)


def test_an_empty_table_is_rejected_naming_the_file(tmp_path):
    _run(tmp_path / "drt", DRT)
    _run(tmp_path / "ctl", CONTROL)
    res.write_tsv(tmp_path / "drt" / "we.tsv", [])
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'drt' / 'we.tsv'}: no certificates")):
        compare.comparison_table(tmp_path / "drt", tmp_path / "ctl")


def test_an_inconsistent_row_is_rejected(tmp_path):
    # the former reader accepted correct = 1 for a wrong prediction
    _run(tmp_path / "drt", DRT)
    _run(tmp_path / "ctl", CONTROL)
    path = tmp_path / "drt" / "mme.tsv"
    path.write_text(res.HEADER + "\n0\t1\t2\t0.5\t1\t0.1\n")
    with pytest.raises(ValueError, match=re.escape(str(path))):
        compare.comparison_table(tmp_path / "drt", tmp_path / "ctl")


def test_compare_writes_every_file_atomically(tmp_path):
    _run(tmp_path / "drt", DRT)
    _run(tmp_path / "ctl", CONTROL)
    out = tmp_path / "out"
    md = compare.compare_certifications(tmp_path / "drt", tmp_path / "ctl", out)
    assert md == out / "comparison.md" and "McNemar" in md.read_text()
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.md",
                                                       "comparison.png"]
    assert (out / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_max_certifiable_radius():
    from scipy.stats import norm

    # all n samples agree: the Clopper-Pearson lower bound is alpha^(1/n)
    assert max_certifiable_radius(1000, 0.001, 1.0) == pytest.approx(
        norm.ppf(0.001 ** (1 / 1000)), rel=1e-9)
