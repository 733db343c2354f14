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
        if e.status != "refuted":
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
    "eri-beta": ("refuted", "substantive error"), "mme-n": ("verified", ""), "mme-n-conj": ("refuted", "conjecture"),
}


@pytest.mark.parametrize("entry_id", sorted(_REVIEWED))
def test_reviewed_verdicts(entry_id):
    e = by_id(entry_id)
    assert (e.status, e.kind) == _REVIEWED[entry_id]


def test_substantive_errors_are_the_known_ones():
    assert {e.id for e in substantive_errors()} == {"thm5", "cor1-we", "cor1-mme", "eri-beta"}
    assert not by_id("mme-n").in_paper and by_id("mme-n-conj").in_paper
    assert "\\le" in by_id("eq8").statement and "<" not in by_id("eq8").statement.replace("\\le", "")


def test_cli_summarises_by_kind(capsys):
    assert theory_main(["ledger"]) == 0
    out = capsys.readouterr().out
    assert "By kind:" in out and "Wrong in substance:" in out and "(thm5)" in out.split("Wrong in substance:")[1]
    assert theory_main(["ledger", "--kind", "boundary tie", "--json"]) == 0
    assert {row["id"] for row in json.loads(capsys.readouterr().out)} >= {"lemB1", "thm4", "propB2", "factB1"}
