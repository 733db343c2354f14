"""``benchmarks/gpu.sh``: the dry run on CPU (every step at tiny sizes), the budget and the file
limits of its output folder."""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
import time

import pytest

from tests.helpers.training import REPO, require_mnist

SCRIPT = REPO / "benchmarks" / "gpu.sh"
STEPS = ("env", "tests", "smoke", "paper", "certify", "train", "crosscheck", "bf16")
LIMIT = 16_000_000


def _run(out, *args, env_extra=None, timeout=600):
    env = dict(os.environ, DRT_DATA_DIR=str(require_mnist()), **(env_extra or {}))
    env.pop("OUT", None)
    return subprocess.run(["bash", str(SCRIPT), "--out", str(out), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _statuses(summary: str) -> dict[str, str]:
    rows = re.findall(r"^\| (\d+) \| (\w+) \| ([^|]+) \|", summary, flags=re.M)
    return {name: status.strip() for _, name, status in rows}


def _check_limits(out):
    files = sorted(p for p in out.iterdir())
    assert all(p.is_file() for p in files), files
    assert len(files) < 8, [p.name for p in files]
    assert all(p.stat().st_size < LIMIT for p in files), [(p.name, p.stat().st_size) for p in files]
    return {p.name for p in files}


def test_dry_run_runs_every_step_and_keeps_the_file_limits(tmp_path):
    out = tmp_path / "out"
    t0 = time.perf_counter()
    proc = _run(out, "--dry-run")
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    names = _check_limits(out)
    assert {"gpu.log", "summary.md", "results.tar.gz", "drt.pt", "control.pt",
            "pretrain.pt"} == names
    summary = (out / "summary.md").read_text()
    assert _statuses(summary) == {name: "ok" for name in STEPS}, summary
    log = (out / "gpu.log").read_text()
    for i, name in enumerate(STEPS, 1):
        assert f"=== step {i} {name}: cap" in log and f"=== step {i} {name}: ok after" in log
    assert "device: cpu" in summary and "dry run: 1" in summary
    with tarfile.open(out / "results.tar.gz") as tar:
        members = set(tar.getnames())
    for path in ("env.txt", "runs/smoke/comparison.md", "runs/paper/run_config.json",
                 "runs/paper/paper_run.json", "runs/paper/certify/drt/mme.tsv",
                 "runs/paper/crosscheck/crosscheck.md", "results/certify-cpu.md",
                 "results/train-cpu.md", "results/certify-bf16-cpu.md"):
        assert path in members, path
    assert not any(m.endswith(".pt") for m in members)
    print(f"gpu.sh --dry-run: {seconds:.0f} s")


def test_a_spent_budget_skips_steps_and_still_writes_the_summary(tmp_path):
    out = tmp_path / "out"
    proc = _run(out, "--dry-run", "--budget", "1", timeout=120)
    assert proc.returncode == 1
    statuses = _statuses((out / "summary.md").read_text())
    assert statuses == {name: "skipped (budget spent)" for name in STEPS}
    _check_limits(out)


def test_an_archive_over_the_limit_is_split_within_the_file_count(tmp_path):
    out = tmp_path / "out"
    limit = 100  # the (nearly empty) archive of a spent budget is larger than this
    proc = _run(out, "--dry-run", "--budget", "1", env_extra={"GPU_MAX_FILE_BYTES": str(limit)},
                timeout=120)
    assert proc.returncode == 1
    files = sorted(p.name for p in out.iterdir())
    parts = [f for f in files if f.startswith("results.tar.gz.part")]
    assert len(files) < 8 and len(parts) >= 2 and "results.tar.gz" not in files, files
    assert all((out / f).stat().st_size < limit for f in parts + ["gpu.log"]), files
    joined = b"".join((out / f).read_bytes() for f in parts)
    (tmp_path / "joined.tar.gz").write_bytes(joined)
    with tarfile.open(tmp_path / "joined.tar.gz") as tar:
        assert "runs" in tar.getnames()
    assert "split into parts" in proc.stdout + (out / "summary.md").read_text() or \
        "results.tar.gz.part00" in (out / "summary.md").read_text()


@pytest.mark.parametrize("args, message", [(["--budget", "x"], "--budget"),
                                           (["--bogus"], "unknown option")])
def test_bad_options_are_refused(tmp_path, args, message):
    proc = _run(tmp_path / "out", *args, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr


def test_a_non_empty_output_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old").write_text("x")
    proc = _run(out, "--dry-run", timeout=60)
    assert proc.returncode == 2 and "not empty" in proc.stderr
