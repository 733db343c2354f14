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
