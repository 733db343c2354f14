"""The one CSV writer of the package: data tables of ``drt_min`` (summaries, comparisons, curves)
and of ``verify`` (figures, cross-check tables), written atomically (:mod:`drt_min.atomic`).

Cells go through :mod:`csv` (minimal quoting), so a name holding a comma stays one cell. The line
ending is part of each file on record: ``drt_min``'s tables end lines with ``"\\n"``, ``verify``'s
with the :mod:`csv` default ``"\\r\\n"``.
"""

from __future__ import annotations

import csv

from drt_min.atomic import atomic_open

__all__ = ["write_csv"]


def write_csv(path, header: list[str], rows, *, line_end: str = "\r\n") -> None:
    """Write a header row, then ``rows`` (cells already formatted, or numbers), atomically to ``path``."""
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator=line_end)
        writer.writerow(header)
        writer.writerows(rows)
