"""The ledger: one record per statement of the paper, with its reconstruction and status.

Each part of the paper keeps its records in an ``entries_<part>.py`` module beside this file,
as a list ``ENTRIES`` of :class:`Statement`. :func:`all_statements` joins them in paper order.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field

from .evidence_verify import CROSSCHECK_FINDINGS, VERIFY_EVIDENCE

__all__ = ["Statement", "STATUSES", "KINDS", "VERIFICATIONS", "PARTS", "all_statements", "by_id", "substantive_errors"]

STATUSES = ("verified", "verified-with-correction", "loose", "refuted", "open")
# ``open``: a conjecture that is neither proved nor refuted as a whole; its readings give the verdict of each
# (a reading can be refuted while the statement, read as the paper words it, stays open).
# What a departure from the paper is, besides its status. Every entry not plainly ``verified`` has one; a
# verified entry may carry one as a caveat (a reading or a scale the verdict depends on).
KINDS = {
    "substantive error": "the statement is false inside its own hypotheses, under the reading its proof supports",
    "loose constant": "true, with a constant that can be improved (the note gives the tight one)",
    "boundary tie": "true except at an equality case decided by a tie rule the paper never fixes",
    "extraction ambiguity": "the PDF extraction admits several readings; each is given with its verdict",
    "scale inconsistency": "true as printed, but it compares bounds proved on different scales",
    "conjecture": "a conjecture the paper states without proof, tested here",
    "slip": "a slip in the printed form (min for max, <= for <) in a passage nothing downstream uses; the note "
            "gives the intended form, which holds",
}
# Kinds whose entries may list readings, each with its verdict (an extraction ambiguity must list two or more).
_READING_KINDS = ("extraction ambiguity", "conjecture")
VERIFICATIONS = ("symbolic", "numeric", "both")
# Paper order: conditions (Sec. 2.2, App. B.1-B.2), comparisons (App. B.1.2), smoothing
# (Sec. 2.3, App. A, B.4-B.5), strategies (App. C), statistical robustness (App. D), DRT (Sec. 3, App. E).
PARTS = ("conditions", "comparison", "smoothing", "strategies", "statistical", "drt")


@dataclass(frozen=True)
class Statement:
    """One statement of the paper.

    ``statement`` is the reconstruction in LaTeX (what we claim is true and test);
    ``printed`` is the paper's form where it differs; ``note`` says how it differs and,
    for a ``loose`` statement, gives the tight constant, for a ``refuted`` one the counterexample.
    ``evidence`` lists pytest node ids (``tests/...py::test_name``) that check it.
    ``code`` lists the dotted names of the functions that implement it.
    ``kind`` (one of :data:`KINDS`) says what the departure from the paper is; ``readings`` gives, for an
    extraction ambiguity or a conjecture read several ways, each reading with its verdict; ``in_paper`` is False for statements of ours;
    ``trained`` says what the cross-check of a trained DRT ensemble found (agrees or disagrees with the
    paper), from :data:`theory.ledger.evidence_verify.CROSSCHECK_FINDINGS`.
    """

    id: str
    title: str
    location: str
    statement: str
    assumptions: tuple[str, ...]
    verification: str
    status: str
    evidence: tuple[str, ...]
    code: tuple[str, ...] = ()
    printed: str = ""
    note: str = ""
    kind: str = ""
    readings: tuple[str, ...] = ()
    in_paper: bool = True
    trained: str = ""
    part: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.id}: status {self.status!r} not in {STATUSES}")
        if self.verification not in VERIFICATIONS:
            raise ValueError(f"{self.id}: verification {self.verification!r} not in {VERIFICATIONS}")
        if not self.evidence:
            raise ValueError(f"{self.id}: a ledger entry needs at least one test as evidence")
        if self.status != "verified" and not self.note:
            raise ValueError(f"{self.id}: status {self.status!r} needs a note saying why")
        if self.kind and self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind {self.kind!r} not in {tuple(KINDS)}")
        if self.status != "verified" and not self.kind:
            raise ValueError(f"{self.id}: status {self.status!r} needs a kind")
        if self.kind == "extraction ambiguity" and len(self.readings) < 2:
            raise ValueError(f"{self.id}: an extraction ambiguity lists >= 2 readings with verdicts")
        if self.readings and (self.kind not in _READING_KINDS or len(self.readings) < 2):
            raise ValueError(f"{self.id}: only {_READING_KINDS} list readings, and then >= 2 of them")
        if self.status == "open" and (self.kind != "conjecture" or len(self.readings) < 2):
            raise ValueError(f"{self.id}: an open statement is a conjecture whose readings give their verdicts")
        if self.kind == "substantive error" and self.status != "refuted":
            raise ValueError(f"{self.id}: a substantive error is refuted")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["assumptions"] = list(self.assumptions)
        d["evidence"] = list(self.evidence)
        d["code"] = list(self.code)
        d["readings"] = list(self.readings)
        return d


def all_statements() -> list[Statement]:
    """Every ledger entry, in paper order; ids are unique."""
    out: list[Statement] = []
    seen: set[str] = set()
    for part in PARTS:
        module = importlib.import_module(f"theory.ledger.entries_{part}")
        for entry in module.ENTRIES:
            if entry.id in seen:
                raise ValueError(f"duplicate ledger id {entry.id!r}")
            seen.add(entry.id)
            extra = tuple(t for t in VERIFY_EVIDENCE.get(entry.id, ()) if t not in entry.evidence)
            verification = entry.verification
            if extra and verification == "symbolic":
                verification = "both"
            out.append(Statement(**{**asdict(entry), "part": part, "evidence": entry.evidence + extra,
                                    "verification": verification,
                                    "trained": CROSSCHECK_FINDINGS.get(entry.id, entry.trained)}))
    unknown = (set(VERIFY_EVIDENCE) | set(CROSSCHECK_FINDINGS)) - seen
    if unknown:
        raise ValueError(f"verify evidence for unknown ledger ids: {sorted(unknown)}")
    return out


def by_id(statement_id: str) -> Statement:
    for entry in all_statements():
        if entry.id == statement_id:
            return entry
    raise KeyError(f"no ledger entry {statement_id!r}")


def substantive_errors(entries: list[Statement] | None = None) -> list[Statement]:
    """The paper's statements that are wrong in substance (kind ``substantive error``)."""
    entries = all_statements() if entries is None else entries
    return [e for e in entries if e.kind == "substantive error" and e.in_paper]
