"""Atomic file writes: a reader sees the old file or the complete new one, never a half-written one.

The data go to a temporary file beside the target (created with the usual permissions, so the
umask applies), are flushed and fsync'ed, optionally checked, and then ``os.replace`` the target.
On any error the temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import pathlib
import secrets
from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["atomic_open", "atomic_write_text", "atomic_save_figure"]


@contextmanager
def atomic_open(path, mode: str = "w", *, check: Callable[[pathlib.Path], None] | None = None,
                **open_kwargs) -> Iterator:
    """Open a temporary file for writing; on a clean exit it replaces ``path``.

    ``mode`` is ``"w"`` or ``"wb"``; ``check(tmp_path)`` runs after the data are on disk and before
    the replace (raise to reject them).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, mode.replace("w", "x"), **open_kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable where the platform allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_save_figure(fig, path, *, dpi: int = 120, **savefig_kwargs) -> None:
    """Save a matplotlib figure as a PNG at ``path`` atomically (the one way every plot is saved)."""
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, **savefig_kwargs)
