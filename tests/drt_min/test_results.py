"""TSV rows, validation, atomic writes, the manifest, resume bookkeeping, curves and the report."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from drt_min import results as res
from drt_min.curves import PAPER_RADII, average_certified_radius, certified_accuracy
from drt_min.report import write_report


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


@pytest.mark.parametrize("body, why", [
    ("0\t3\t3\tnan\t1\t0.1\n", "finite"),              # a NaN radius
    ("0\t3\t3\t0.5\t1\n", "columns"),                    # a short row
    ("0\t3\tthree\t0.5\t1\t0.1\n", "malformed"),
    ("0\t3\t3\t0.5\t1\t0.1\n0\t3\t3\t0.5\t1\t0.1\n", "duplicate"),
])
def test_read_errors_name_the_file(tmp_path, body, why):
    path = tmp_path / "we.tsv"
    path.write_text(res.HEADER + "\n" + body)
    with pytest.raises(ValueError, match=re.escape(str(path))) as info:
        res.read_tsv(path)
    assert why in str(info.value)


def test_read_names_the_file_and_line_of_a_bad_row(tmp_path):
    path = tmp_path / "mme.tsv"
    path.write_text(res.HEADER + "\n" + res.format_row(_rows()[0]) + "\n10\t1\t1\tnan\t1\t0.1\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 3: radius must be finite")):
        res.read_tsv(path)


def test_read_bad_header_and_empty_file_name_the_file(tmp_path):
    path = tmp_path / "we.tsv"
    for text in ("idx\tlabel\tpredict\tr\tcorrect\ttime\n", ""):
        path.write_text(text)
        with pytest.raises(ValueError, match=re.escape(f"{path}: the header")):
            res.read_tsv(path)


def test_require_rows_rejects_an_empty_table(tmp_path):
    path = tmp_path / "we.tsv"
    res.write_tsv(path, [])
    assert res.read_tsv(path) == []
    with pytest.raises(ValueError, match=re.escape(f"{path}: no certificates")):
        res.read_tsv(path, require_rows=True)


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
    return {"sigma": 1.0, "n0": 10, "n": 100_000, "alpha": 0.001, "seed": 0, "noise_block": 1000,
            "indices": list(indices), "weights": [0.5, 0.5], "protocols": list(protocols),
            "num_classes": 10, "extra": None}


def test_manifest_round_trip_keeps_lists_of_scalars_on_one_line(tmp_path):
    man = {**_manifest(range(0, 10_000, 10)), "extra": {"b": [1, [2, 3]], "a": (0.1, None, "x")},
           "shard": [0, 2], "empty": {}, "none": []}
    path = res.write_manifest(tmp_path, man)
    text = path.read_text()
    back = res.read_manifest(tmp_path)
    assert back == json.loads(json.dumps(man))       # the values json.dumps would have written
    assert list(back) == sorted(back) and list(back["extra"]) == ["a", "b"]
    lines = text.splitlines()
    assert '  "indices": [' + ", ".join(str(i) for i in range(0, 10_000, 10)) + "]," in lines
    assert '  "weights": [0.5, 0.5]' in lines and '  "shard": [0, 2],' in lines
    assert '    "b": [' in lines and '      [2, 3]' in lines  # a list holding a list is laid out
    assert '    "a": [0.1, null, "x"],' in lines
    assert '  "empty": {},' in lines and '  "none": [],' in lines
    assert len(lines) < 40 and text.endswith("}\n")


def test_manifest_without_lists_is_laid_out_as_json_dumps_indent_2():
    man = {"sigma": 0.25, "extra": {"z": 1, "a": {"k": "v"}}, "shard": None, "ok": True}
    assert res.manifest_text(man) == json.dumps(man, indent=2, sort_keys=True) + "\n"


def test_read_manifest_reads_the_old_layout_and_names_a_bad_file(tmp_path):
    man = _manifest([0, 10, 20])
    (tmp_path / res.MANIFEST).write_text(json.dumps(man, indent=2, sort_keys=True) + "\n")
    assert res.read_manifest(tmp_path) == man
    res.write_manifest(tmp_path, man)
    assert res.read_manifest(tmp_path) == man
    (tmp_path / res.MANIFEST).write_text('{"sigma": 0.25,')
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / res.MANIFEST))):
        res.read_manifest(tmp_path)


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
    # correct: images 0 (radius 0.24999999999999997) and 30 (2.5); 10 abstains, 20 is wrong
    rows = _rows()
    assert certified_accuracy(rows, 0.0) == 0.5
    assert certified_accuracy(rows, 0.24999999999999997) == 0.5
    assert certified_accuracy(rows, 0.25) == 0.25           # just below 0.25 does not count there
    assert certified_accuracy(rows, 2.5) == 0.25
    assert certified_accuracy(rows, 2.5000001) == 0.0
    assert average_certified_radius(rows) == pytest.approx((0.25 + 2.5) / 4)
    assert PAPER_RADII[0] == 0.0 and PAPER_RADII[-1] == 2.5 and len(PAPER_RADII) == 11
    with pytest.raises(ValueError):
        certified_accuracy([], 0.0)
    with pytest.raises(ValueError):
        average_certified_radius([])


def test_curves_on_a_hand_computed_example():
    # (label, predict, radius): correct at 0.0, 0.5, 0.5, 1.0 and 2.0; wrong with radius 1.5 and
    # 0.7 (a wrong radius never counts); one abstention
    spec = [(1, 1, 0.0), (2, 2, 0.5), (3, 3, 0.5), (4, 4, 1.0), (5, 5, 2.0), (6, 0, 1.5),
            (7, 0, 0.7), (8, -1, 0.0)]
    rows = [res.Row(i, lab, pred, rad, int(lab == pred), 0.0) for i, (lab, pred, rad) in enumerate(spec)]
    expected = {0.0: 5, 0.25: 4, 0.5: 4, 0.75: 2, 1.0: 2, 1.25: 1, 2.0: 1, 2.25: 0}
    for radius, count in expected.items():
        assert certified_accuracy(rows, radius) == count / 8
    assert average_certified_radius(rows) == (0.0 + 0.5 + 0.5 + 1.0 + 2.0) / 8


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
