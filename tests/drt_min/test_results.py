"""TSV rows, validation, atomic writes, resume bookkeeping and the report of drt_min."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drt_min import results as res
from drt_min.report import PAPER_RADII, average_certified_radius, certified_accuracy, write_report


def _rows():
    return [res.Row(0, 3, 3, 0.24999999999999997, 1, 0.5), res.Row(10, 1, -1, 0.0, 0, 0.25),
            res.Row(20, 7, 2, 1.2345678901234567, 0, 0.125), res.Row(30, 2, 2, 2.5, 1, 1.0)]


def test_tsv_round_trip_at_full_precision(tmp_path):
    path = tmp_path / "we.tsv"
    res.write_tsv(path, _rows())
    text = path.read_text()
    assert text.splitlines()[0] == "idx\tlabel\tpredict\tradius\tcorrect\ttime"
    assert "0.24999999999999997" in text  # not rounded up to 0.25
    assert res.read_tsv(path) == _rows()


@pytest.mark.parametrize("row", [
    res.Row(0, 1, 1, 0.5, 0, 0.1),    # correct must be 1 when predict == label
    res.Row(0, 1, 2, 0.5, 1, 0.1),    # and 0 otherwise
    res.Row(0, 1, -1, 0.5, 0, 0.1),   # an abstention has radius 0
    res.Row(0, 1, 1, -0.1, 1, 0.1),   # radii are >= 0
    res.Row(0, 1, 1, float("nan"), 1, 0.1),
    res.Row(0, 1, -2, 0.0, 0, 0.1),
    res.Row(0, 1, 1, 0.5, 1, -1.0),
])
def test_invalid_rows_are_rejected_on_write_and_read(tmp_path, row):
    with pytest.raises(ValueError):
        res.format_row(row)
    path = tmp_path / "bad.tsv"
    line = "\t".join(str(v) for v in (row.idx, row.label, row.predict, row.radius, row.correct, row.time))
    path.write_text("idx\tlabel\tpredict\tradius\tcorrect\ttime\n" + line + "\n")
    with pytest.raises(ValueError):
        res.read_tsv(path)


def test_read_rejects_bad_headers_duplicates_and_unterminated_rows(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("idx\tlabel\tpredict\tradius\tcorrect\n")
    with pytest.raises(ValueError, match="header"):
        res.read_tsv(path)
    path.write_text(res.HEADER + "\n" + res.format_row(_rows()[0]) + "\n" + res.format_row(_rows()[0]) + "\n")
    with pytest.raises(ValueError, match="duplicate"):
        res.read_tsv(path)
    path.write_text(res.HEADER + "\n" + res.format_row(_rows()[0]) + "\n10\t1\t-")
    with pytest.raises(ValueError, match="newline"):
        res.read_tsv(path)
    assert res.read_tsv(path, allow_partial=True) == _rows()[:1]


def test_extra_columns_after_the_six_are_allowed(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text(res.HEADER + "\tmember\n0\t3\t3\t0.5\t1\t0.1\t2\n")
    assert res.read_tsv(path) == [res.Row(0, 3, 3, 0.5, 1, 0.1)]


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    res.atomic_write_text(tmp_path / "a.txt", "x")
    res.atomic_write_text(tmp_path / "a.txt", "y")
    assert (tmp_path / "a.txt").read_text() == "y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def _manifest(indices, protocols=("we", "mme")):
    return {"sigma": 0.25, "n0": 10, "n": 100, "alpha": 0.001, "seed": 0, "noise_block": 1000,
            "indices": list(indices), "weights": [0.5, 0.5], "protocols": list(protocols),
            "num_classes": 10, "extra": None}


def test_resume_prefix_truncates_uneven_files(tmp_path):
    rows = _rows()
    man = _manifest([r.idx for r in rows])
    assert res.resume_prefix(tmp_path, man) == 0
    res.write_manifest(tmp_path, man)
    res.write_tsv(tmp_path / "we.tsv", rows[:3])
    # mme was cut in the middle of its third row
    (tmp_path / "mme.tsv").write_text(res.HEADER + "\n" + "".join(res.format_row(r) + "\n" for r in rows[:2])
                                      + "20\t7\t2\t1.23")
    assert res.resume_prefix(tmp_path, man) == 2
    assert res.read_tsv(tmp_path / "we.tsv") == rows[:2]
    assert res.read_tsv(tmp_path / "mme.tsv") == rows[:2]


def test_resume_refuses_other_settings_and_foreign_rows(tmp_path):
    rows = _rows()
    man = _manifest([r.idx for r in rows])
    res.write_manifest(tmp_path, man)
    with pytest.raises(ValueError, match="sigma"):
        res.resume_prefix(tmp_path, {**man, "sigma": 0.5})
    res.write_tsv(tmp_path / "we.tsv", [rows[1]])
    with pytest.raises(ValueError, match="expected"):
        res.resume_prefix(tmp_path, man)


def test_resume_refuses_tsvs_without_a_manifest(tmp_path):
    res.write_tsv(tmp_path / "we.tsv", _rows())
    with pytest.raises(ValueError, match="manifest"):
        res.resume_prefix(tmp_path, _manifest([0]))


def test_certified_accuracy_and_acr():
    rows = _rows()
    assert certified_accuracy(rows, 0.0) == 0.5
    assert certified_accuracy(rows, 0.24999999999999997) == 0.5
    assert certified_accuracy(rows, 0.25) == 0.25           # just below 0.25 does not count there
    assert certified_accuracy(rows, 2.5) == 0.25
    assert certified_accuracy(rows, 2.5000001) == 0.0
    assert average_certified_radius(rows) == pytest.approx((0.25 + 2.5) / 4)
    assert PAPER_RADII[0] == 0.0 and PAPER_RADII[-1] == 2.5 and len(PAPER_RADII) == 11


def test_write_report(tmp_path):
    rows = _rows()
    man = {**_manifest([r.idx for r in rows]), "status": "complete", "device": "cpu"}
    res.write_manifest(tmp_path, man)
    res.write_tsv(tmp_path / "we.tsv", rows)
    res.write_tsv(tmp_path / "mme.tsv", [res.Row(r.idx, r.label, r.label, 1.0, 1, 0.0) for r in rows])
    summary = write_report(tmp_path)
    text = summary.read_text()
    assert "| we | 50.0 | 25.0 |" in text
    assert "| mme | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 | 0.0 |" in text
    csv = (tmp_path / "summary.csv").read_text().splitlines()
    assert csv[0].startswith("protocol,0.00,0.25") and csv[0].endswith("ACR,abstain")
    we = csv[1].split(",")
    assert float(we[-2]) == pytest.approx(0.6875) and float(we[-1]) == 0.25
    assert (tmp_path / "certified_accuracy.png").stat().st_size > 1000
    curve = np.loadtxt(tmp_path / "certified_accuracy.csv", delimiter=",", skiprows=1)
    assert curve[0, 1:].tolist() == [0.5, 1.0]
    assert np.all(np.diff(curve[:, 1]) <= 0)


def test_report_refuses_an_incomplete_run(tmp_path):
    res.write_manifest(tmp_path, {**_manifest([0]), "status": "running"})
    with pytest.raises(ValueError, match="complete"):
        write_report(tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "running"
