"""``benchmarks/figure6_study.py`` end to end on the smoke preset (its CPU dry run): the grid, the
choice of the balanced point, both seeds' studies and the summary written from them."""

from __future__ import annotations

import importlib.util
import json

from drt_min.config import FINETUNE_SEED_OFFSET
from tests.helpers.training import REPO, require_mnist


def _driver():
    spec = importlib.util.spec_from_file_location("figure6_study_driver", REPO / "benchmarks" / "figure6_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_driver_runs_the_grid_the_seeds_and_writes_what_the_studies_measured(tmp_path):
    data_dir = require_mnist()
    drv = _driver()
    out, report = tmp_path / "runs", tmp_path / "report"
    assert drv.main(["--out", str(out), "--preset", "smoke", "--grid", "0,0", "1,1", "--seeds", "0", "1",
                     "--grid-cert-every", "2000", "--cert-n", "200", "--cert-every", "1000",
                     "--cert-max-images", "6", "--report", str(report), "--data-dir", str(data_dir)]) == 0
    grid = {rho: drv._balance(out / "seed0" / f"rho{rho[0]:g}_{rho[1]:g}") for rho in ((0.0, 0.0), (1.0, 1.0))}
    best = drv.most_balanced(grid)
    text = (report / "README.md").read_text()
    assert f"## 2. Figure 6 at rho = ({best[0]:g}, {best[1]:g})" in text
    for seed in (0, 1):
        summary = json.loads((report / f"seed{seed}" / "figure6_study.json").read_text())
        assert summary["protocol"]["cert_n"] == 200
        assert summary["train_config"]["seed"] == seed + FINETUNE_SEED_OFFSET   # the DRT stage's seed
        assert (summary["train_config"]["rho1"], summary["train_config"]["rho2"]) == best
        three = summary["retest"]["three_way"]
        assert f"| {seed} |" in text and f"{three['k']}/{three['n']} = {three['rate']:.3f}" in text
        assert (report / f"seed{seed}" / "certify" / "second" / "we.tsv").is_file()
    for rho, b in grid.items():
        assert f"| {rho[0]:g} | {rho[1]:g} | {b['mme_wins']} | {b['we_wins']} | {b['ties']} |" in text


def test_the_most_balanced_point_is_the_share_nearest_one_half():
    drv = _driver()

    def point(k, n):
        return {"mme_share": {"k": k, "n": n, "rate": k / n if n else float("nan")}}

    grid = {(2.0, 0.5): point(44, 100), (0.5, 2.0): point(46, 100), (5.0, 5.0): point(57, 100),
            (9.0, 9.0): point(0, 0)}
    assert drv.most_balanced(grid) == (0.5, 2.0)          # |0.46 - 0.5| < |0.44 - 0.5| < |0.57 - 0.5|
    grid[(1.0, 1.0)] = point(1, 2)
    assert drv.most_balanced(grid) == (1.0, 1.0)
