"""Formatting shared by the parts' renderers: numbers in tables and CSV cells, proportions with
their intervals, Markdown tables. Pure text, no numbers computed here."""

from __future__ import annotations

import numpy as np

from drt_min.csvtable import write_csv

__all__ = ["cells", "fmt", "prop", "table", "write_table"]


def cells(rows) -> list[list]:
    """Table rows with floats at 6 significant digits (the CSVs are for reading and plotting)."""
    return [[f"{v:.6g}" if isinstance(v, float) else v for v in row] for row in rows]


def fmt(v, digits: int = 3) -> str:
    """A number for a Markdown cell: ``digits`` significant digits, '-' for None and non-finite."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "-"
    return f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def prop(p: dict) -> str:
    """A :func:`verify.crosscheck.parts.proportion` as ``k/n = rate [low, high]``."""
    if p["n"] == 0:
        return "- (0 cases)"
    return f"{p['k']}/{p['n']} = {p['rate']:.3f} [{p['low']:.3f}, {p['high']:.3f}]"


def table(header: list[str], rows) -> list[str]:
    """A Markdown table, one line per row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def write_table(path, header: list[str], rows) -> None:
    """One CSV of a table (:func:`drt_min.csvtable.write_csv`, floats by :func:`cells`)."""
    write_csv(path, header, cells(rows))
