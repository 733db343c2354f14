"""Third round, finding 4 and the probes of killed processes: one writer per run directory (and
per checkpoint), a stale lock of a killed process blocks nothing, and a ``merge`` or ``train``
killed with SIGKILL leaves nothing that a rerun does not clean up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from drt_min import results as res
from drt_min.__main__ import main

LOCK_NAME = ".lock"  # drt_min.lock.LOCK_NAME, spelled out so that the test also runs on older code
from tests.helpers.reliability import TINY_CERT, TINY_TRAIN, assert_clean_error, snapshot
from tests.reliability.test_outputs import _sharded

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _python(code: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=REPO, DRT_OFFLINE="1")
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _hold_lock(directory, name=LOCK_NAME) -> subprocess.Popen:
    """A process that holds the lock of ``directory`` until it is killed."""
    proc = _python(f"""
        import fcntl, os, time
        fd = os.open(os.path.join({str(directory)!r}, {name!r}), os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, b"%d\\n" % os.getpid())
        print("locked", flush=True)
        time.sleep(120)
    """)
    assert proc.stdout.readline().strip() == "locked", proc.stderr.read()
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.communicate()


def test_a_second_certify_into_the_same_out_fails_at_once_and_touches_nothing(
        tiny_ckpt, tiny_run, tmp_path, capsys):
    holder = _hold_lock(tiny_run)
    try:
        line = assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", tiny_run, *TINY_CERT],
                                  names=[tiny_run, f"process {holder.pid}", "--out"],
                                  unchanged=[tmp_path / "tiny.pt"])
        assert "in use" in line
        # also into a fresh directory that another process has just created and locked
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        other = _hold_lock(fresh)
        try:
            before = snapshot(fresh)
            assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", fresh, *TINY_CERT],
                               names=[f"process {other.pid}"])
            assert snapshot(fresh) == before
        finally:
            _stop(other)
    finally:
        _stop(holder)
    # the killed holder left its lock file behind: it does not block a rerun
    assert (tiny_run / LOCK_NAME).exists()
    rows = {n: res.read_tsv(tiny_run / f"{n}.tsv") for n in res.read_manifest(tiny_run)["protocols"]}
    assert main(["certify", str(tiny_ckpt), "--out", str(tiny_run), *TINY_CERT]) == 0
    assert {n: res.read_tsv(tiny_run / f"{n}.tsv") for n in rows} == rows   # resumed: unchanged
    assert not (tiny_run / LOCK_NAME).exists()


def test_two_certify_processes_at_once_write_every_image_once(tiny_ckpt, tmp_path):
    out = tmp_path / "c"
    argv = [sys.executable, "-m", "drt_min", "certify", str(tiny_ckpt), "--out", str(out),
            *TINY_CERT, "--cert-max-images", "12", "--cert-batch", "10"]
    env = dict(os.environ, PYTHONPATH=REPO, DRT_OFFLINE="1", OMP_NUM_THREADS="1")
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outcomes = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        outcomes.append((p.returncode, err))
    codes = sorted(rc for rc, _ in outcomes)
    assert codes in ([0, 0], [0, 2]), outcomes
    for rc, err in outcomes:
        if rc == 2:
            assert err.count("\n") == 1 and "in use" in err and "Traceback" not in err, err
    manifest = res.read_manifest(out)
    assert manifest["status"] == "complete"
    for name in manifest["protocols"]:
        assert [r.idx for r in res.read_tsv(out / f"{name}.tsv")] == manifest["indices"]


def test_a_second_train_into_the_same_checkpoint_fails_naming_the_holder(tmp_path, capsys):
    holder = _hold_lock(tmp_path, name=".t.pt.lock")
    try:
        assert_clean_error(capsys, ["train", "--out", tmp_path / "t.pt", *TINY_TRAIN],
                           names=[tmp_path / "t.pt", f"process {holder.pid}"],
                           unchanged=[tmp_path])
    finally:
        _stop(holder)
    assert main(["train", "--out", str(tmp_path / "t.pt"), *TINY_TRAIN]) == 0


def _killed_at_replace(argv, count: int = 1) -> None:
    """Run ``python -m drt_min ARGV`` in a process that SIGKILLs itself at its ``count``-th
    ``os.replace`` (a crash in the middle of publishing files)."""
    proc = _python(f"""
        import os, signal
        real, calls = os.replace, []
        def replace(*a, **k):
            calls.append(1)
            if len(calls) == {count}:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*a, **k)
        os.replace = replace
        from drt_min.__main__ import main
        main({[str(a) for a in argv]!r})
    """)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL


def test_merge_killed_midway_is_repaired_by_a_rerun(tiny_run, tmp_path):
    root = _sharded(tiny_run, tmp_path / "m")
    _killed_at_replace(["merge", root], count=2)
    assert list(root.glob(".*.tmp")), "the kill left temporary files (the probe works)"
    assert main(["merge", str(root)]) == 0
    for name in res.read_manifest(root)["protocols"]:
        assert res.read_tsv(root / f"{name}.tsv") == res.read_tsv(tiny_run / f"{name}.tsv")
    assert not list(root.glob(".*.tmp")) and not (root / LOCK_NAME).exists()


def test_train_killed_while_saving_is_repaired_by_a_rerun(tmp_path):
    ckpt = tmp_path / "t.pt"
    _killed_at_replace(["train", "--out", ckpt, *TINY_TRAIN], count=1)
    assert not ckpt.exists() and list(tmp_path.glob(".t.pt.*.tmp"))
    assert main(["train", "--out", str(ckpt), *TINY_TRAIN]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.pt"]


@pytest.mark.parametrize("count", [3])
def test_certify_killed_midway_resumes(tiny_ckpt, tiny_run, tmp_path, count):
    out = tmp_path / "c"
    _killed_at_replace(["certify", tiny_ckpt, "--out", out, *TINY_CERT], count=count)
    assert main(["certify", str(tiny_ckpt), "--out", str(out), *TINY_CERT]) == 0
    for name in res.read_manifest(out)["protocols"]:
        strip = [(r.idx, r.label, r.predict, r.radius) for r in res.read_tsv(out / f"{name}.tsv")]
        assert strip == [(r.idx, r.label, r.predict, r.radius)
                         for r in res.read_tsv(tiny_run / f"{name}.tsv")]
    assert not list(out.glob(".*"))
