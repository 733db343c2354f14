"""The three tests every part's check registry gets (tests/verify/test_checks_<part>.py).

Each part keeps its own named test functions, because the ledger cites them by file; their bodies
are these helpers: the check passes on the ``ci`` profile, each mutation (a perturbed statement) is
caught, and the part's statements with mutations are exactly the expected ledger ids.
"""

from __future__ import annotations

from verify.checks import PROFILES


def mutation_ids(checks) -> list[tuple[str, str]]:
    """(check name, mutation name) of every mutation, for ``pytest.mark.parametrize``."""
    return [(check.name, mutation.name) for check in checks for mutation in check.mutations]


def _named(checks, name):
    return next(check for check in checks if check.name == name)


def assert_check_passes(checks, name: str, *, max_false_alarm: float = 0.0,
                        sampled: bool = True) -> None:
    """The check passes; its false-alarm probability is stated and, for a ``sampled`` check (not
    a closed-form comparison), at least one sample was drawn."""
    outcome = _named(checks, name).run(PROFILES["ci"], 0)
    assert outcome.passed, outcome.detail
    assert 0.0 <= outcome.false_alarm <= max_false_alarm
    assert outcome.samples > 0 or not sampled


def assert_mutation_caught(checks, name: str, mutation: str) -> None:
    run = next(m.run for m in _named(checks, name).mutations if m.name == mutation)
    outcome = run(PROFILES["ci"], 0)
    assert not outcome.passed, outcome.detail


def assert_part_covered(checks, expected_ids, entries, *, every_check_mutated: bool = False
                        ) -> None:
    """The ledger ids with a mutated check are ``expected_ids``, all of them entries of the part
    (with ``every_check_mutated``, each registered check also carries a mutation)."""
    covered = {check.ledger_id for check in checks if check.mutations}
    assert covered == set(expected_ids)
    assert covered <= {entry.id for entry in entries}
    if every_check_mutated:
        assert all(check.mutations for check in checks)


def assert_checks_pass_on_seed(checks, seed: int) -> None:
    """Every check passes on another seed too (the ci profile)."""
    for check in checks:
        outcome = check.run(PROFILES["ci"], seed)
        assert outcome.passed, (check.name, outcome.detail)
