"""Helpers shared by the check modules: sample sizes, outcomes and mutations (seeds: drt_min.seeding)."""

from __future__ import annotations

import functools

from . import CheckOutcome, Mutation, Profile

__all__ = ["instance_count", "outcome", "counted_outcome", "mutation"]


def instance_count(profile: Profile, divisor: int, low: int = 4) -> int:
    """A check's instance count: the profile's divided by the check's cost ``divisor``, at least ``low``."""
    return max(low, profile.instances // divisor)


def outcome(problems: list[str], samples: int, false_alarm: float, detail: str, *, shown: int | None = 2,
            lead: str = "; FAIL: ") -> CheckOutcome:
    """A check's outcome: passed when ``problems`` is empty; the first ``shown`` follow ``lead`` in the detail."""
    if problems:
        detail += lead + "; ".join(problems[:shown])
    return CheckOutcome(not problems, samples, false_alarm, detail)


def counted_outcome(violations: list[str], samples: int, summary: str) -> CheckOutcome:
    """The outcome of an exact, deterministic check (false alarm 0): the summary, the count, the first three."""
    return outcome(violations, samples, 0.0, f"{summary}; {len(violations)} violation(s)", shown=3, lead=": ")


def mutation(name: str, fn, **kwargs) -> Mutation:
    """The check ``fn`` run with a perturbed statement (``kwargs``)."""
    return Mutation(name, functools.partial(fn, **kwargs))
