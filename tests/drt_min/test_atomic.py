"""Atomic writes: complete new file or untouched old one, no leftovers, ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from drt_min.atomic import atomic_open, atomic_write_text


def test_write_replaces_and_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "f", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o644


def test_an_error_keeps_the_old_file(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(target, "wb") as fh:
            fh.write(b"partial")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_a_failed_check_keeps_the_old_file(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def reject(tmp):
        assert tmp.read_text() == "new"
        raise ValueError("bad checksum")

    with pytest.raises(ValueError, match="bad checksum"):
        with atomic_open(target, "w", check=reject) as fh:
            fh.write("new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_only_write_modes(tmp_path):
    with pytest.raises(ValueError):
        with atomic_open(tmp_path / "f", "a"):
            pass


def test_write_group_is_complete_or_absent(tmp_path, monkeypatch):
    from drt_min import atomic

    files = {tmp_path / "a.tsv": "a\n", tmp_path / "b.tsv": "b\n"}
    marker = tmp_path / "manifest.json"
    marker.write_text("old\n")
    real_replace, calls = atomic.os.replace, []

    def fail_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", fail_second)
    with pytest.raises(OSError):
        atomic.atomic_write_group(files, marker, "new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no marker, no half group, no temp
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    atomic.atomic_write_group(files, marker, "new\n")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "a.tsv": "a\n", "b.tsv": "b\n", "manifest.json": "new\n"}


def test_publish_dir_moves_a_complete_group_or_nothing(tmp_path, monkeypatch):
    """atomic_publish_dir places every staged file, the marker last; a failed move removes what was
    placed and the old marker, so no marker describes a partial set."""
    import os

    from drt_min.atomic import atomic_publish_dir

    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("old")
    staging = out / ".stage"
    staging.mkdir()
    for name in ("a.csv", "b.png", "report.md"):
        (staging / name).write_text(name)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        atomic_publish_dir(staging, out, "report.md")
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == []
    monkeypatch.setattr(os, "replace", real)
    staging.mkdir(exist_ok=True)
    for name in ("a.csv", "b.png", "report.md"):
        (staging / name).write_text(name)
    placed = atomic_publish_dir(staging, out, "report.md")
    assert [p.name for p in placed] == ["a.csv", "b.png", "report.md"] and not staging.exists()
    assert (out / "report.md").read_text() == "report.md"
