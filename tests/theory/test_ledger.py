"""The ledger: complete, consistent with the tests it cites, and rendered to docs/ledger.md."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from theory.__main__ import main as theory_main
from theory.ledger import KINDS, PARTS, STATUSES, Statement, all_statements, by_id, substantive_errors
from theory.ledger.render import render_markdown

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=None)
def _test_functions(path: str) -> dict[str, list[ast.expr]]:
    """Test functions of a file, keyed 'name' or 'Class::name', with their decorators."""
    tree = ast.parse((ROOT / path).read_text())
    found: dict[str, list[ast.expr]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = node.decorator_list
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}::{item.name}"] = item.decorator_list
    return found


def _decorator_text(decorators: list[ast.expr]) -> str:
    return " ".join(ast.unparse(d) for d in decorators)


def test_ledger_covers_the_paper():
    entries = all_statements()
    assert len(entries) >= 40
    assert {e.part for e in entries} == set(PARTS)
    for e in entries:
        assert e.status in STATUSES
        assert e.evidence and e.statement.strip() and e.title and e.location


def test_every_evidence_test_exists_and_runs_by_default():
    for e in all_statements():
        for node_id in e.evidence:
            path, _, name = node_id.partition("::")
            assert path.startswith("tests/") and (ROOT / path).is_file(), f"{e.id}: no file {path}"
            functions = _test_functions(path)
            assert name in functions, f"{e.id}: {node_id} does not exist"
            assert "slow" not in _decorator_text(functions[name]), f"{e.id}: {node_id} is left out of the default run"


def test_refuted_statements_keep_a_strict_xfail_counterexample():
    for e in all_statements():
        if e.status != "refuted" and not any("refuted" in r for r in e.readings):
            continue
        decorators = [_decorator_text(_test_functions(n.partition("::")[0])[n.partition("::")[2]]) for n in e.evidence]
        assert any("xfail" in d and "strict=True" in d for d in decorators), f"{e.id}: no strict-xfail counterexample"


def test_every_code_reference_resolves():
    for e in all_statements():
        for dotted in e.code:
            module_name, _, attr = dotted.rpartition(".")
            module = importlib.import_module(module_name)
            assert hasattr(module, attr), f"{e.id}: {dotted} does not exist"


def test_statement_rejects_incomplete_records():
    base = dict(id="x", title="t", location="l", statement="s", assumptions=(), verification="numeric",
                evidence=("tests/theory/test_ledger.py::test_ledger_covers_the_paper",))
    with pytest.raises(ValueError):
        Statement(**base, status="proved")
    with pytest.raises(ValueError):
        Statement(**base, status="loose")  # a loose statement must say what the tight constant is
    with pytest.raises(ValueError):
        Statement(**{**base, "evidence": ()}, status="verified")


def test_docs_ledger_is_current():
    committed = (ROOT / "docs" / "ledger.md").read_text()
    assert committed == render_markdown(), "regenerate: python -m theory ledger --markdown > docs/ledger.md"


def test_cli_json_lists_every_statement(capsys):
    assert theory_main(["ledger", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == len(all_statements())
    for row in data:
        assert {"id", "title", "status", "evidence"} <= row.keys()


def test_cli_table_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "theory", "ledger"], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert "statements:" in out and "thm2" in out


def test_every_non_verified_entry_has_a_kind_and_ambiguities_give_both_readings():
    for e in all_statements():
        assert e.status == "verified" or e.kind in KINDS, e.id
        if e.kind == "extraction ambiguity":
            assert len(e.readings) >= 2, e.id
    base = dict(id="x", title="t", location="l", statement="s", assumptions=(), verification="numeric",
                evidence=("tests/theory/test_ledger.py::test_ledger_covers_the_paper",), note="n")
    with pytest.raises(ValueError):
        Statement(**base, status="loose")  # no kind
    with pytest.raises(ValueError):
        Statement(**base, status="loose", kind="extraction ambiguity")  # no readings
    with pytest.raises(ValueError):
        Statement(**base, status="loose", kind="substantive error")  # a substantive error is refuted
    with pytest.raises(ValueError):
        Statement(**base, status="refuted", kind="typo")


# The review of the verdicts: (status, kind) of each entry it concerns.
_REVIEWED = {
    "cor6-3": ("verified", "scale inconsistency"), "cor6-12": ("verified", "scale inconsistency"),
    "thm8": ("loose", "loose constant"), "thm9": ("loose", "extraction ambiguity"),
    "thm3": ("verified", ""), "propB4": ("verified", "extraction ambiguity"), "lemA1": ("verified", "extraction ambiguity"),
    "lemB1": ("verified-with-correction", "boundary tie"), "thm4": ("verified-with-correction", "boundary tie"),
    "propB2": ("verified-with-correction", "boundary tie"), "factB1": ("verified-with-correction", "boundary tie"),
    "thm5": ("refuted", "substantive error"), "eq8": ("verified", ""),
    "cor1-we": ("refuted", "substantive error"), "cor1-mme": ("refuted", "substantive error"),
    "eri-beta": ("refuted", "slip"), "mme-n": ("verified", ""), "mme-n-conj": ("open", "conjecture"),
    "cor1-remark": ("verified-with-correction", "slip"),
}


@pytest.mark.parametrize("entry_id", sorted(_REVIEWED))
def test_reviewed_verdicts(entry_id):
    e = by_id(entry_id)
    assert (e.status, e.kind) == _REVIEWED[entry_id]


def test_substantive_errors_are_the_known_ones():
    assert {e.id for e in substantive_errors()} == {"thm5", "cor1-we", "cor1-mme"}
    assert not by_id("mme-n").in_paper and by_id("mme-n-conj").in_paper
    assert "\\le" in by_id("eq8").statement and "<" not in by_id("eq8").statement.replace("\\le", "")


def test_cli_summarises_by_kind(capsys):
    assert theory_main(["ledger"]) == 0
    out = capsys.readouterr().out
    assert "By kind:" in out and "Wrong in substance:" in out and "(thm5)" in out.split("Wrong in substance:")[1]
    assert theory_main(["ledger", "--kind", "boundary tie", "--json"]) == 0
    assert {row["id"] for row in json.loads(capsys.readouterr().out)} >= {"lemB1", "thm4", "propB2", "factB1"}


# --------------------------------------------------------------------------- the second fairness pass (issue 18)


def _study_summary():
    import csv

    from verify.mme_many import StudyRow, summarize

    ints = {"n_models", "trial", "d"}
    rows = []
    with open(ROOT / "docs" / "verify" / "mme_many.csv", newline="") as fh:
        for raw in csv.DictReader(fh):
            rows.append(StudyRow(**{k: raw[k] if k == "move" else int(raw[k]) if k in ints else float(raw[k])
                                    for k in StudyRow.__dataclass_fields__}))
    return summarize(rows)


def test_mme_n_conj_is_open_and_reports_both_tallies():
    e = by_id("mme-n-conj")
    assert e.status == "open" and e.kind == "conjecture"
    tendency, sum_form, margins = e.readings
    assert tendency.startswith("tendency") and ": open." in tendency
    assert sum_form.startswith("sum form") and ": refuted." in sum_form
    assert margins.startswith("margins") and "C = 2" in margins and "assumption (2)" in margins
    div = _study_summary()["diversify"]
    text = " ".join(e.readings) + " " + e.note
    assert f"raised the exact radius {div['raised']} times" in tendency
    assert f"lowered it {div['lowered']} times" in tendency and div["raised"] > div["lowered"] > 0
    assert f"{div['radius_grew_exact']} rose, {div['radius_dropped_exact']} fell" in text
    # the three-class margin counterexample is held in the note
    assert "(0.2, 0.425, 0.375)" in e.note and "(0.24, 0.425, 0.335)" in e.note and "1.517" in e.note


def test_mme_n_says_suffices_and_how_conservative():
    e = by_id("mme-n")
    assert "suffices" in e.note and "needs" not in e.note and "not necessary" in e.statement
    part = _study_summary()["partner"]
    assert f"{part['ensembles']} two-class" in e.note
    assert f"median {part['median']:.3g}" in e.note and f"maximum {part['max']:.3g}" in e.note
    assert f"percentile {part['p90']:.3g}" in e.note and part["certifies_nothing"] == 0


def test_eri_beta_is_a_slip_not_a_substantive_error():
    e = by_id("eri-beta")
    assert (e.status, e.kind) == ("refuted", "slip") and "min for max" in e.note
    assert e not in substantive_errors()


def test_cor1_remark_is_an_equality_slip():
    e = by_id("cor1-remark")
    assert e.kind == "slip" and "equality" in e.note and "tie rule" not in e.note


def test_propB4_sigma_reading_fails_above_two():
    reading = by_id("propB4").readings[1]
    assert "refuted for sigma > 2" in reading and "sigma > 1:" not in reading


def test_thm5_note_gives_the_minimal_repair():
    e = by_id("thm5")
    assert "Minimal repair" in e.note and "-0.227 sigma" in e.note and "0.253 sigma" in e.note
    assert "theory.strategies.eas_radius_repaired" in e.code


def test_readme_ledger_section_matches_the_ledger():
    """README's kinds list and counts are the ledger's, and it states the second pass's verdicts."""
    import re

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The ledger"):readme.index("## Verification and the Appendix D figures")]
    entries = all_statements()
    listed = {k: int(n) for k, n in re.findall(r"^- ([a-z ]+) \((\d+)\)", section, flags=re.M)}
    assert listed == {k: sum(e.kind == k for e in entries) for k in KINDS if any(e.kind == k for e in entries)}
    counts = ", ".join(f"{sum(e.status == s for e in entries)} {s}" for s in STATUSES)
    assert f"({len(entries)} statements: {counts})" in " ".join(section.split())
    flat = " ".join(section.split())
    for phrase in ("*suffices*", "It is not necessary", "status open", "certainly raised the exact radius 87 times",
                   "certainly lowered it 10 times", "fails for sigma > 2", "min for max", "0.253 sigma",
                   "(-0.227 sigma)"):
        assert phrase in flat, phrase
    drt = " ".join(readme[readme.index("The DRT loss has three named readings"):].split())
    assert "`paper-mnist` trains `public-code`" in drt
