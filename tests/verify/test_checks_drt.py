"""Checks of the DRT identities (verify/checks/drt.py): every check passes on the ci profile and every mutation
is caught."""

from __future__ import annotations

import pytest

from tests.helpers.verify_registry import (assert_check_passes, assert_mutation_caught, assert_part_covered,
                                          mutation_ids)
from theory.ledger.entries_drt import ENTRIES
from verify.checks.drt import CHECKS

_BY_NAME = {check.name: check for check in CHECKS}
_MUTATIONS = mutation_ids(CHECKS)
_PART = {"gd-pairwise", "gd-cosine"}


@pytest.mark.parametrize("name", sorted(_BY_NAME))
def test_check_passes(name):
    assert_check_passes(CHECKS, name)


@pytest.mark.parametrize("name, mutation", _MUTATIONS)
def test_mutation_is_caught(name, mutation):
    assert_mutation_caught(CHECKS, name, mutation)


def test_every_statement_of_the_part_has_a_check_with_mutations():
    assert_part_covered(CHECKS, _PART, ENTRIES)
