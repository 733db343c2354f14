"""Third round, findings 7, 8 and 13, and the probe of huge cross-check arguments: ``python -m
verify`` validates a run as ``drt_min report`` does before any sampling, reports bad input in one
``error:`` line with exit status 2, leaves no empty ``--out`` and no stale staging directory."""

from __future__ import annotations

import json
import shutil

import pytest

from drt_min import results as res
from drt_min.errors import UserError
from tests.helpers.reliability import snapshot
from verify.__main__ import main as verify_main
from verify.crosscheck import bank, part6_figure6
from verify.crosscheck import report as R


def _run_dir(tiny_ckpt, tiny_run, root):
    """A `drt_min run` directory made of the tiny checkpoint and its certification."""
    (root / "checkpoints").mkdir(parents=True)
    shutil.copy(tiny_ckpt, root / "checkpoints" / "drt.pt")
    (root / "certify").mkdir()
    shutil.copytree(tiny_run, root / "certify" / "drt")
    return root


def verify_error(capsys, argv, *, names=(), unchanged=()) -> str:
    """``python -m verify ARGV``: exit status 2, one line ``error: ...`` naming ``names``."""
    before = snapshot(*unchanged)
    capsys.readouterr()
    try:
        rc = verify_main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 2, (rc, err)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    assert snapshot(*unchanged) == before
    return lines[0]


def _drop_row(cert):
    tsv = cert / "mme.tsv"
    lines = tsv.read_text().splitlines(keepends=True)
    tsv.write_text("".join(lines[:-1]))


def _manifest(cert, **changes):
    path = cert / "manifest.json"
    path.write_text(json.dumps(dict(json.loads(path.read_text()), **changes)))


@pytest.mark.parametrize("damage,names", [
    (_drop_row, ["mme.tsv"]),
    (lambda cert: _manifest(cert, num_classes=4), ["num_classes"]),
    (lambda cert: _manifest(cert, num_members=3, weights=[0.25, 0.25, 0.5]), ["num_members"]),
    (lambda cert: _manifest(cert, weights=[0.25, 0.25, 0.5]), ["weights"]),
])
def test_a_damaged_run_is_one_error_line_before_any_sampling(damage, names, tiny_ckpt, tiny_run,
                                                             tmp_path, capsys, monkeypatch):
    tmp_path = tmp_path / "w"
    run = _run_dir(tiny_ckpt, tiny_run, tmp_path / "run")
    damage(run / "certify" / "drt")

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampling started before the run was validated")

    for module in (bank, part6_figure6):   # the samples of parts 1-5, and of Figure 6's proxies
        monkeypatch.setattr(module, "member_confidences", no_sampling)
    for argv in (["crosscheck", run, "--out", tmp_path / "cc", "--no-progress"],
                 ["figures", "--run", run, "--out", tmp_path / "fig"],
                 ["report", "--run", run, "--out", tmp_path / "rep"]):
        verify_error(capsys, argv, names=names, unchanged=[run])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]   # no empty --out left behind


def test_labels_must_agree_with_the_data_set(tiny_ckpt, tiny_run, tmp_path, capsys):
    run = _run_dir(tiny_ckpt, tiny_run, tmp_path / "w" / "run")
    cert = run / "certify" / "drt"
    for name in res.read_manifest(cert)["protocols"]:   # the same wrong label in every TSV
        tsv = cert / f"{name}.tsv"
        lines = tsv.read_text().splitlines()
        fields = lines[1].split("\t")
        fields[1] = str((int(fields[1]) + 1) % 3)
        fields[4] = str(int(fields[1] == fields[2]))
        lines[1] = "\t".join(fields)
        tsv.write_text("\n".join(lines) + "\n")
    verify_error(capsys, ["crosscheck", run, "--out", tmp_path / "cc", "--no-progress"],
                 names=["we.tsv", "label"], unchanged=[run])


@pytest.mark.parametrize("argv,option", [
    (["check", "thm5", "--seed", "-1"], "--seed"),
    (["report", "--out", "{tmp}/r", "--seed", "-1"], "--seed"),
    (["figures", "--out", "{tmp}/f", "--seed", str(2**64)], "--seed"),
    (["crosscheck", "{tmp}", "--images", str(10**12)], "--images"),
    (["crosscheck", "{tmp}", "--batch-size", str(10**12)], "--batch-size"),
    (["crosscheck", "{tmp}", "--batch-size", "0"], "--batch-size"),
    (["check", "--profile", "nonsense"], "--profile"),
    (["frobnicate"], "frobnicate"),
    ([], "command"),
])
def test_argument_errors_are_one_line_usage_errors(argv, option, tmp_path, capsys):
    verify_error(capsys, [a.format(tmp=tmp_path) for a in argv], names=[option],
                 unchanged=[tmp_path])
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_ledger_id_lists_the_valid_ones(capsys):
    line = verify_error(capsys, ["check", "no-such-id"], names=["no-such-id", "thm5", "cor2"])
    assert "unknown ledger id" in line


def test_allocation_failure_in_crosscheck_names_the_batch_option(tiny_ckpt, tiny_run, tmp_path,
                                                                  capsys, monkeypatch):
    run = _run_dir(tiny_ckpt, tiny_run, tmp_path / "w" / "run")

    def too_big(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't "
                           "allocate memory: you tried to allocate 3136000000000 bytes.")

    monkeypatch.setattr(bank, "member_confidences", too_big)   # the first samples a cross-check draws
    verify_error(capsys, ["crosscheck", run, "--out", tmp_path / "cc", "--no-progress",
                          "--batch-size", "1000000"],
                 names=["--batch-size", "out of memory"], unchanged=[run])
    assert not (tmp_path / "cc").exists()


def test_a_killed_crosschecks_staging_directory_is_removed_by_the_next(tmp_path, monkeypatch):
    out = tmp_path / "out"
    stale = out / ".crosscheck-k1ll3d"
    stale.mkdir(parents=True)
    (stale / "part1_theorem2.csv").write_text("half\n")

    def write_all(staging, data):
        (staging / "crosscheck.md").write_text("# report\n")
        return []

    monkeypatch.setattr(R, "_write_all", write_all)
    R.write_report(out, {})
    assert sorted(p.name for p in out.iterdir()) == ["crosscheck.md"]
    # while another process writes into out, a second cross-check fails and removes nothing
    from drt_min.lock import DirectoryLock

    stale.mkdir()
    with DirectoryLock(out):
        with pytest.raises(UserError, match="in use"):
            R.write_report(out, {})
        assert stale.exists()
