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
from theory.ledger import PARTS, STATUSES, Statement, all_statements
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
