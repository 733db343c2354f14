"""Finding 5: ``merge`` is complete or absent, and names taken from manifests cannot lead outside
the run directory; ``elapsed_s`` counts a killed segment too."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from drt_min import certify as certify_mod
from drt_min import results as res
from drt_min.certification import certify_checkpoint
from tests.helpers.reliability import assert_clean_error


def _sharded(tiny_run, root, k=2):
    """A run directory with the tiny run split into k complete shards."""
    manifest = res.read_manifest(tiny_run)
    indices = manifest["indices"]
    for i in range(k):
        part = indices[i * len(indices) // k:(i + 1) * len(indices) // k]
        d = root / "shards" / f"{i}-of-{k}"
        d.mkdir(parents=True)
        for name in manifest["protocols"]:
            rows = [r for r in res.read_tsv(tiny_run / f"{name}.tsv") if r.idx in part]
            res.write_tsv(d / f"{name}.tsv", rows)
        res.write_manifest(d, dict(manifest, indices=part, all_indices=indices, shard=[i, k]))
    return root


def test_merge_that_fails_midway_writes_nothing(tiny_run, tmp_path, capsys):
    root = _sharded(tiny_run, tmp_path / "m")
    last = root / "shards" / "1-of-2" / "eas.tsv"    # the last file merge reads
    last.write_text(last.read_text()[:-5])             # cut short
    assert_clean_error(capsys, ["merge", root], names=[last], unchanged=[tmp_path])
    assert sorted(p.name for p in root.iterdir()) == ["shards"]


def test_merge_is_complete_when_it_succeeds(tiny_run, tmp_path, capsys):
    root = _sharded(tiny_run, tmp_path / "m")
    from drt_min.__main__ import main

    assert main(["merge", str(root)]) == 0
    for name in res.read_manifest(root)["protocols"]:
        assert res.read_tsv(root / f"{name}.tsv") == res.read_tsv(tiny_run / f"{name}.tsv")
    assert not list(root.glob(".*.tmp"))


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "..", "a/b", "", "we.tsv\nx"])
def test_protocol_names_from_a_manifest_stay_inside_the_run_directory(name, tiny_run, tmp_path,
                                                                      capsys):
    root = _sharded(tiny_run, tmp_path / "a" / "b" / "m", k=1)
    shard = root / "shards" / "0-of-1"
    manifest = json.loads((shard / "manifest.json").read_text())
    manifest["protocols"] = manifest["protocols"] + [name]
    (shard / "manifest.json").write_text(json.dumps(manifest))
    shutil.copy(shard / "we.tsv", shard / "x.tsv")
    assert_clean_error(capsys, ["merge", root], names=["protocols"], unchanged=[tmp_path])
    (tiny_run / "manifest.json").write_text(json.dumps(dict(json.loads(
        (tiny_run / "manifest.json").read_text()), protocols=["we", name])))
    assert_clean_error(capsys, ["report", tiny_run], names=["protocols"], unchanged=[tmp_path])


def test_elapsed_counts_a_killed_segment(tiny_ckpt, tmp_path, monkeypatch):
    from drt_min.config import CertifyConfig

    monkeypatch.setattr(certify_mod, "ELAPSED_EVERY_S", 0.0)
    protocol = CertifyConfig(cert_n=100, cert_n0=10, cert_every=1, cert_max_images=4,
                             cert_batch=10)                      # one image per chunk
    real, real_write = certify_mod.count_votes, res.write_manifest
    calls, written_before_kill = [], []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # a kill in the middle of the second image
        return real(*args, **kwargs)

    def write(out_dir, manifest):
        if len(calls) < 2:  # what a SIGKILL would leave: the writes made before it
            written_before_kill.append(manifest["elapsed_s"])
        return real_write(out_dir, manifest)

    monkeypatch.setattr(certify_mod, "count_votes", dies_on_the_second_chunk)
    monkeypatch.setattr(res, "write_manifest", write)
    out = tmp_path / "c"
    with pytest.raises(KeyboardInterrupt):
        certify_checkpoint(tiny_ckpt, out, protocol, device="cpu", progress=False)
    first = res.read_manifest(out)
    assert first["status"] == "running" and first["elapsed_s"] > 0
    assert written_before_kill[-1] > 0, "the first image's time was on disk before the kill"
    monkeypatch.setattr(certify_mod, "count_votes", real)
    certify_checkpoint(tiny_ckpt, out, protocol, device="cpu", progress=False)
    final = res.read_manifest(out)
    assert final["status"] == "complete" and final["resumed_at_image"] >= 1
    assert final["elapsed_s"] >= first["elapsed_s"]


# --- third round: allocation failures and a full disk ---------------------------------------------

@pytest.mark.parametrize("error", [
    lambda: torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
    lambda: RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                         "3136000000000 bytes. Error code 12 (Cannot allocate memory)"),
    lambda: MemoryError(),
])
def test_an_allocation_failure_names_the_batch_option(error, tiny_ckpt, tmp_path, capsys,
                                                       monkeypatch):
    """Finding 9: a batch within its limits but too large for memory is one line naming the
    option to lower (certify: --cert-batch; train: --batch-size)."""
    from drt_min import train as train_mod
    from tests.helpers.reliability import TINY_CERT, TINY_TRAIN

    from drt_min.__main__ import main

    def too_big(*args, **kwargs):
        raise error()

    real_count = certify_mod.count_votes
    monkeypatch.setattr(certify_mod, "count_votes", too_big)
    monkeypatch.setattr(train_mod, "training_step", too_big)
    assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", tmp_path / "c", *TINY_CERT,
                                "--cert-batch", "1000000"],
                       names=["--cert-batch", "1000000", "out of memory"])
    with monkeypatch.context() as m:  # the advice works: a smaller batch resumes the same --out
        m.setattr(certify_mod, "count_votes", real_count)
        assert main(["certify", str(tiny_ckpt), "--out", str(tmp_path / "c"), *TINY_CERT,
                     "--cert-batch", "50"]) == 0
    assert_clean_error(capsys, ["train", "--out", tmp_path / "t.pt", *TINY_TRAIN],
                       names=["--batch-size", "out of memory"])
    assert not (tmp_path / "t.pt").exists()


def _enospc(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_line_and_keeps_the_previous_result(tiny_run, tiny_ckpt, tmp_path,
                                                               capsys, monkeypatch):
    """Probe: ENOSPC while a report, a checkpoint or certificates are written: one line naming
    the file, nothing half-written, the previous result intact, and a rerun completes."""
    from drt_min import atomic
    from drt_min.__main__ import main
    from tests.helpers.reliability import TINY_CERT, TINY_TRAIN, snapshot

    assert main(["report", str(tiny_run)]) == 0
    before = snapshot(tiny_run)
    ckpt = tmp_path / "t.pt"
    assert main(["train", "--out", str(ckpt), *TINY_TRAIN]) == 0
    saved = ckpt.read_bytes()
    with monkeypatch.context() as m:
        m.setattr(atomic.os, "fsync", _enospc)
        assert_clean_error(capsys, ["report", tiny_run], names=["No space left", tiny_run],
                           unchanged=[tiny_run])
        assert_clean_error(capsys, ["train", "--out", ckpt, *TINY_TRAIN, "--epochs", "2"],
                           names=["No space left", ckpt])
        assert ckpt.read_bytes() == saved and sorted(p.name for p in tmp_path.iterdir()) == [
            "run", "t.pt", "tiny.pt"]
    assert snapshot(tiny_run) == before
    # certificates: the disk fills up after the first image's rows
    out = tmp_path / "c"
    real, calls = res.TsvAppender.write, []

    class FullDisk:
        def __init__(self, fh):
            fh.close()

        def write(self, text):
            _enospc()

        flush = close = lambda self: None

    def write(self, rows):
        calls.append(1)
        if len(calls) > 5 and not isinstance(self._fh, FullDisk):
            self._fh = FullDisk(self._fh)
        return real(self, rows)

    with monkeypatch.context() as m:
        m.setattr(res.TsvAppender, "write", write)
        assert_clean_error(capsys, ["certify", tiny_ckpt, "--out", out, *TINY_CERT,
                                    "--cert-batch", "10"], names=["No space left", out])
    assert main(["certify", str(tiny_ckpt), "--out", str(out), *TINY_CERT,
                 "--cert-batch", "10"]) == 0
    for name in res.read_manifest(out)["protocols"]:
        strip = [(r.idx, r.predict, r.radius) for r in res.read_tsv(out / f"{name}.tsv")]
        assert strip == [(r.idx, r.predict, r.radius) for r in res.read_tsv(tiny_run / f"{name}.tsv")]


def test_a_disk_that_fills_up_in_the_middle_of_a_checkpoint(tmp_path, capsys, monkeypatch):
    """Probe (a 200 KiB tmpfs): torch's zip writer turned ENOSPC into a RuntimeError traceback
    about file positions. The checkpoint is one line naming it, and the previous one is kept."""
    import errno

    from drt_min import atomic
    from drt_min.__main__ import main
    from tests.helpers.reliability import TINY_TRAIN

    ckpt = tmp_path / "t.pt"
    assert main(["train", "--out", str(ckpt), *TINY_TRAIN]) == 0
    saved = ckpt.read_bytes()

    class FillsUp:
        def __init__(self, fh):
            self.fh, self.left = fh, 4096

        def write(self, data):
            if len(data) > self.left:
                self.fh.write(bytes(data[:self.left]))
                raise OSError(errno.ENOSPC, "No space left on device")
            self.left -= len(data)
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)

    def small_disk(path, mode="r", *args, **kwargs):
        fh = open(path, mode, *args, **kwargs)
        return FillsUp(fh) if "b" in mode and "x" in mode else fh

    monkeypatch.setattr(atomic, "open", small_disk, raising=False)
    assert_clean_error(capsys, ["train", "--out", ckpt, *TINY_TRAIN, "--epochs", "2"],
                       names=["No space left", ckpt])
    assert ckpt.read_bytes() == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.pt"]
