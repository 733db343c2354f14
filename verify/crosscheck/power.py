"""The power of parts 2 and 7's attacks: the same attack at the certified radius inflated 1.25x, 1.5x
and 2x, on the same images (an attack that finds nothing inside a certificate says something only if it
finds points once the certificate is known to be too large).

Shared by part 2 (soft-smoothed ensembles, Corollaries 2-3) and part 7 (the run's hard EBS
ensembles, Algorithm PREDICT): one row type, the table and the section's paragraph and table.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import parts as P
from .fmt import prop, table

__all__ = ["PowerRow", "power_table", "power_markdown", "POWER_CSV_HEADER", "power_csv_rows"]

#: Header of ``power_attacks.csv`` (part 2's rows, then part 7's).
POWER_CSV_HEADER = ["part", "target", "index", "inflation", "attack_radius", "distance",
                    "own_estimate_crossed", "broken"]


@dataclass(frozen=True)
class PowerRow:
    """One image attacked at an inflated radius."""

    index: int
    inflation: float              # the factor the certified radius was multiplied by
    attack_radius: float          # inflation x the certified radius
    distance: float               # ||x_adv - x0||
    broken: bool                  # the attacked classifier provably (part 2) or per PREDICT (part 7) left the class
    reached: bool | None = None   # part 2: the attack's own estimate crossed the boundary (part 7: not measured)


def power_table(rows: list[PowerRow], level: float) -> dict:
    """:func:`verify.crosscheck.parts.power_table` of one target's rows."""
    return P.power_table([{"index": r.index, "inflation": r.inflation, "broken": r.broken,
                           **({} if r.reached is None else {"reached": r.reached})} for r in rows], level)


def power_csv_rows(part: str, target: str, rows: list[PowerRow]) -> list[list]:
    """``power_attacks.csv`` rows of one target (``own_estimate_crossed`` empty where not measured)."""
    return [[part, target, r.index, r.inflation, r.attack_radius, r.distance,
             "" if r.reached is None else int(r.reached), int(r.broken)] for r in rows]


def power_markdown(power: dict, what: str, level: float) -> list[str]:
    """The power table of one part: per target and inflation, images broken with their interval."""
    rows = []
    for target, t in power.items():
        for factor, v in t["by_inflation"].items():
            rows.append([target.upper(), f"{factor:g}x", prop(v),
                         "not measured" if v["reached"] is None else v["reached"]])
    lines = [f"Power: the same attack at the certified radius inflated 1.25x, 1.5x and 2x, on the same "
             f"images (the first certified by both ensembles). {what} Intervals: "
             f"{100 * (1 - level):g}% Clopper-Pearson.", ""]
    lines += table(["target", "radius x", "broken", "attack's own estimate crossed the boundary"], rows)
    for target, t in power.items():
        if not t["tests_certificate"]:
            lines += ["", f"**{target.upper()}: the attack broke no image even at 2x the certified radius, so this "
                      "part does not test the certificate**: finding no point inside the true radius says nothing "
                      "about whether the certificate holds."]
        else:
            lines += ["", f"{target.upper()}: the attack does break inflated certificates, so finding none inside "
                      "the true radius is evidence (of the power shown above) for the certificate."]
    return lines + [""]
