"""The committed `cpu` preset results (benchmarks/results/cpu-preset) are what the package computes
from their own certificates, on any CPU.

Training on a CPU is bit-for-bit only on the same kernel path, so no test retrains the preset and
expects its weights. What must hold everywhere is the step from the committed TSVs to the committed
tables: reading (validated), certified accuracy, ACR, McNemar's exact test and the seeded bootstrap
are float64 arithmetic on the TSVs' numbers, printed to 6 (CSV) or 3 (markdown) decimals, far above
any summation-order difference (about 1e-16 relative).
"""

from __future__ import annotations

import pathlib

import pytest

from drt_min.compare import compare_certifications

RESULTS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "cpu-preset"


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("| DRT", "| control", "| MME", "| WE"))]


@pytest.mark.parametrize("seed", ["seed0", "seed1"])
def test_committed_comparison_is_recomputed_from_the_committed_certificates(seed, tmp_path):
    run = RESULTS / seed
    compare_certifications(run / "drt", run / "control", tmp_path, plot=False)
    assert (tmp_path / "comparison.csv").read_text() == (run / "comparison.csv").read_text()
    ours, committed = _table_rows((tmp_path / "comparison.md").read_text()), _table_rows(
        (run / "comparison.md").read_text())
    assert len(committed) == 6 and ours == committed  # 4 accuracy rows, 2 paired-test rows
