"""Shared pieces of tests/reliability: in-process CLI calls and snapshots of directories.

Every bad input must end in exit status 2, exactly one line on stderr (``error: ...``) without a
traceback, naming the file or option, and must leave the directories it was given unchanged.
"""

from __future__ import annotations

import pathlib

from drt_min.__main__ import main

#: A tiny synthetic training: 2 members, 3 classes, one epoch (about a second on one core).
TINY_TRAIN = ["--preset", "smoke", "--synthetic", "4", "--num-classes", "3", "--num-members", "2",
              "--batch-size", "16", "--epochs", "1", "--no-progress", "--device", "cpu"]
#: A small certification protocol (3 images, n = 100).
TINY_CERT = ["--cert-n", "100", "--cert-n0", "10", "--cert-every", "1", "--cert-max-images", "3",
             "--no-progress"]


def snapshot(*roots) -> dict[str, bytes | None]:
    """Every file (with its bytes) and directory under ``roots``; absent roots map to None."""
    out: dict[str, bytes | None] = {}
    for root in roots:
        root = pathlib.Path(root)
        if not root.exists():
            out[str(root)] = None
            continue
        if root.is_file():
            out[str(root)] = root.read_bytes()
            continue
        out[str(root)] = b"<dir>"
        for p in sorted(root.rglob("*")):
            out[str(p)] = p.read_bytes() if p.is_file() else b"<dir>"
    return out


def cli(capsys, *argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``python -m drt_min ARGV`` run in this process."""
    capsys.readouterr()
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's usage errors
        rc = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_clean_error(capsys, argv, *, names=(), unchanged=()) -> str:
    """Run ``argv`` and check: status 2, one stderr line ``error: ...`` without a traceback that
    contains every string in ``names``, and every path in ``unchanged`` exactly as before."""
    before = snapshot(*unchanged)
    rc, _, err = cli(capsys, *argv)
    lines = err.strip().splitlines()
    assert rc == 2, (rc, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "weights_only=False" not in err, err
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    assert snapshot(*unchanged) == before, "a failed command changed its directories"
    return lines[0]
