"""Finding 6: one TSV reader everywhere (``compare`` included), naming the file and line.
Finding 8: ``manifest.json`` is schema-checked: keys, types and ranges."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.helpers.reliability import assert_clean_error


def _edit_row(tsv, column, value, line=1):
    lines = tsv.read_text().splitlines()
    fields = lines[line].split("\t")
    if column is None:
        fields = fields[:3]
    else:
        fields[column] = value
    lines[line] = "\t".join(fields)
    tsv.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("column,value,message", [
    (3, "nan", "radius must be finite"), (3, "-1.0", "radius"), (None, "", "columns"),
    (0, "x", "malformed"), (5, "inf", "time"), (4, "7", "correct"),
])
def test_bad_tsv_rows_name_the_file_and_line_in_compare_and_report(column, value, message,
                                                                   tiny_run, tmp_path, capsys):
    twin = tmp_path / "twin"
    shutil.copytree(tiny_run, twin)
    tsv = tiny_run / "mme.tsv"
    _edit_row(tsv, column, value)
    for argv in (["compare", tiny_run, twin, "--out", tmp_path / "cmp"], ["report", tiny_run]):
        assert_clean_error(capsys, argv, names=[f"{tsv}, line 2", message], unchanged=[tmp_path])


def test_missing_or_binary_tsv(tiny_run, tmp_path, capsys):
    (tiny_run / "we.tsv").unlink()
    assert_clean_error(capsys, ["report", tiny_run], names=[tiny_run / "we.tsv", "not found"],
                       unchanged=[tmp_path])
    (tiny_run / "we.tsv").write_bytes(b"\xff\xfe\x00binary")
    assert_clean_error(capsys, ["report", tiny_run], names=[tiny_run / "we.tsv"],
                       unchanged=[tmp_path])


@pytest.mark.parametrize("text,message", [
    ("[1, 2, 3]", "JSON object"),
    ("{", "not valid JSON"),
    ("", "not valid JSON"),
    ("[" * 100_000, "not valid JSON"),
    (None, "lacks sigma"),
    ({"sigma": "abc"}, "sigma"),
    ({"sigma": -1}, "sigma"),
    ({"n": 0}, "n must be"),
    ({"n": 1.5}, "n must be"),
    ({"alpha": 2}, "alpha"),
    ({"indices": "abc"}, "indices"),
    ({"indices": [0, 0]}, "indices"),
    ({"protocols": []}, "protocols"),
    ({"protocols": ["we", 3]}, "protocols"),
    ({"status": "done"}, "status"),
    ({"shard": [3, 2]}, "shard"),
    ({"weights": ["x"]}, "weights"),
    ({"elapsed_s": -1}, "elapsed_s"),
    ({"extra": [1]}, "extra"),
])
def test_manifest_schema(text, message, tiny_run, tmp_path, capsys):
    twin = tmp_path / "twin"
    shutil.copytree(tiny_run, twin)
    path = tiny_run / "manifest.json"
    manifest = json.loads(path.read_text())
    if text is None:
        del manifest["sigma"]
        text = json.dumps(manifest)
    elif isinstance(text, dict):
        text = json.dumps({**manifest, **text})
    path.write_text(text)
    for argv in (["report", tiny_run], ["compare", twin, tiny_run, "--out", tmp_path / "cmp"]):
        assert_clean_error(capsys, argv, names=[path, message], unchanged=[tmp_path])
    shard = tmp_path / "m" / "shards" / "0-of-1"
    shutil.copytree(tiny_run, shard)
    assert_clean_error(capsys, ["merge", tmp_path / "m"], names=[shard], unchanged=[tmp_path])


def test_a_missing_manifest_names_the_directory(tmp_path, capsys):
    assert_clean_error(capsys, ["report", tmp_path], names=[tmp_path, "manifest.json"],
                       unchanged=[tmp_path])
    assert_clean_error(capsys, ["merge", tmp_path], names=[tmp_path / "shards"],
                       unchanged=[tmp_path])


@pytest.mark.parametrize("change,message", [
    ({"n": 10**400}, "n must be"),
    ({"n0": 10**12}, "n0 must be"),
    ({"seed": 2**80}, "seed"),
    ({"seed": -1}, "seed"),
    ({"indices": [0, 10**30, 2]}, "indices"),
    ({"num_classes": 10**400}, "num_classes"),
    ({"num_members": 10**9}, "num_members"),
    ({"noise_block": 10**400}, "noise_block"),
    ({"shard": [0, 10**400]}, "shard"),
])
def test_every_integer_of_the_manifest_is_bounded(change, message, tiny_run, tmp_path, capsys):
    """Third round, finding 10: ``n = 10**400`` was an OverflowError traceback in ``report``."""
    path = tiny_run / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    assert_clean_error(capsys, ["report", tiny_run], names=[path, message], unchanged=[tmp_path])


@pytest.mark.parametrize("column,value", [(0, str(10**30)), (1, str(10**30)), (2, str(10**30))])
def test_huge_integers_in_a_tsv_row_are_refused(column, value, tiny_run, tmp_path, capsys):
    _edit_row(tiny_run / "we.tsv", column, value)
    assert_clean_error(capsys, ["report", tiny_run], names=[tiny_run / "we.tsv", "line 2"],
                       unchanged=[tmp_path])
