"""Registry of the sampling and property checks, keyed by ledger id.

A :class:`Check` compares one statement of the paper with exact or rigorous ground truth. Its ``run``
takes a :class:`Profile` (sample sizes) and a seed and returns a :class:`CheckOutcome`; every Monte-Carlo
decision uses exact binomial (Clopper-Pearson) or other stated confidence bounds, and the outcome states
the check's false-alarm probability (at most 1e-6; 0 for exact, deterministic checks). Each check also
carries ``mutations``: the same check run against a perturbed statement (a constant halved or doubled,
an inequality flipped, an assumption dropped), each of which must fail.

Each part of the paper registers its checks in ``verify/checks/<part>.py`` as a list ``CHECKS``, one module
per module of ``theory/`` and per ``theory/ledger/entries_<part>.py``, under the ledger ids of that part
(:data:`CHECK_MODULES` is :data:`theory.ledger.PARTS`, in paper order). A large part writes its checks in
modules ``verify/checks/<part>_<group>.py``, one per group of statements, and ``<part>.py`` registers them
in the ledger's order. Helpers shared by the check modules are in ``verify/checks/_common.py``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Profile", "PROFILES", "CheckOutcome", "Check", "Mutation", "all_checks", "CHECK_MODULES"]

CHECK_MODULES = ("conditions", "comparison", "smoothing", "strategies", "statistical", "drt")


@dataclass(frozen=True)
class Profile:
    """Sample sizes of a run: ``ci`` is fast (minutes for all checks), ``thorough`` is ~10x larger."""

    name: str
    instances: int  # random instances (models, parameter draws) per check
    samples: int  # Monte-Carlo samples per instance or per check


PROFILES = {
    "ci": Profile("ci", instances=60, samples=20_000),
    "thorough": Profile("thorough", instances=600, samples=200_000),
}


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    samples: int
    false_alarm: float
    detail: str


@dataclass(frozen=True)
class Mutation:
    """A perturbed statement; ``run`` is the check applied to it and must come back failed."""

    name: str
    run: Callable[[Profile, int], CheckOutcome]


@dataclass(frozen=True)
class Check:
    ledger_id: str
    name: str
    ground_truth: str
    paper_claim: str
    our_claim: str
    run: Callable[[Profile, int], CheckOutcome]
    mutations: tuple[Mutation, ...] = field(default=())


def all_checks() -> list[Check]:
    checks: list[Check] = []
    for name in CHECK_MODULES:
        checks.extend(importlib.import_module(f"verify.checks.{name}").CHECKS)
    return checks
