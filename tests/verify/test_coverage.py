"""Every quantitative statement of the ledger has a sampling check with mutations, and the checks are laid out
as the theory is: ``theory/<part>.py`` is checked in ``verify/checks/<part>.py`` under the ledger ids of
``theory/ledger/entries_<part>.py``, and tested in ``tests/verify/test_checks_<part>.py``."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from theory.ledger import PARTS, all_statements
from verify.checks import CHECK_MODULES, all_checks

ROOT = Path(__file__).resolve().parents[2]

# Definitions: they make no quantitative claim of their own; the checks of the statements built on
# them (and the drt_min loss tests, for the DRT objective) exercise them.
DEFINITIONS = {"def1", "def4", "def7", "def8", "def9", "def10", "defD1", "defD2", "eri7",
               "eq9", "eq10", "ltrain", "eq54", "eq55"}


def test_every_quantitative_statement_has_a_check_with_a_mutation():
    checked = {c.ledger_id for c in all_checks() if c.mutations}
    ledger = {e.id for e in all_statements()}
    assert DEFINITIONS <= ledger
    assert ledger - DEFINITIONS <= checked, sorted(ledger - DEFINITIONS - checked)


def test_every_check_names_a_ledger_entry():
    ledger = {e.id for e in all_statements()}
    assert {c.ledger_id for c in all_checks()} <= ledger


def test_check_modules_are_the_parts_of_the_ledger_in_paper_order():
    assert CHECK_MODULES == PARTS


@pytest.mark.parametrize("part", PARTS)
def test_each_part_has_its_theory_module_check_module_and_tests(part):
    for path in (f"theory/{part}.py", f"verify/checks/{part}.py", f"tests/verify/test_checks_{part}.py"):
        assert (ROOT / path).is_file(), path
    ids = {e.id for e in importlib.import_module(f"theory.ledger.entries_{part}").ENTRIES}
    checks = importlib.import_module(f"verify.checks.{part}").CHECKS
    assert checks and {c.ledger_id for c in checks} <= ids, sorted({c.ledger_id for c in checks} - ids)
