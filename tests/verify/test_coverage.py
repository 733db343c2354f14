"""Every quantitative statement of the ledger has a sampling check with mutations, and the algebra checks run."""

from __future__ import annotations

import pytest

from theory.ledger import all_statements
from verify.checks import PROFILES, all_checks
from verify.checks.algebra import CHECKS as ALGEBRA_CHECKS

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


@pytest.mark.parametrize("check", ALGEBRA_CHECKS, ids=lambda c: c.name)
def test_algebra_check_passes_and_mutations_fail(check):
    outcome = check.run(PROFILES["ci"], 0)
    assert outcome.passed, outcome.detail
    for mutation in check.mutations:
        assert not mutation.run(PROFILES["ci"], 0).passed, mutation.name
