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

__all__ = ["atomic_open", "atomic_write_text", "atomic_save_figure", "atomic_write_group", "atomic_publish_dir",
           "fsync_dir", "with_filename"]


def _temporary_name(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


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
    tmp = _temporary_name(path)
    try:
        with open(tmp, mode.replace("w", "x"), **open_kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        raise with_filename(exc, path)
    fsync_dir(path.parent)  # make the rename itself durable where the platform allows it


def with_filename(exc: BaseException, path) -> BaseException:
    """``exc``, or for an ``OSError`` that names no file (a full disk: ENOSPC from write or fsync)
    the same error naming ``path``, so that the one-line message says which file failed."""
    if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
        new = OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))
        new.__cause__ = exc
        return new
    return exc


def fsync_dir(path) -> None:
    """fsync a directory, so that renames into it survive a crash (a no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_save_figure(fig, path, *, dpi: int = 120, **savefig_kwargs) -> None:
    """Save a matplotlib figure as a PNG at ``path`` atomically (the one way every plot is saved)."""
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi, **savefig_kwargs)


def atomic_write_group(files: dict, marker, marker_text: str) -> None:
    """Write several text files so that the group is complete or absent.

    ``marker`` (a manifest, say) is what readers require before they read the others. Every file
    goes to a temporary name first; the old marker is removed, the files are moved into place and
    the new marker last. On any error the temporary files and the files already moved are
    removed, so no marker describes a partial set of files.
    """
    marker = pathlib.Path(marker)
    staged: dict[pathlib.Path, pathlib.Path] = {}
    try:
        for path, text in list(files.items()) + [(marker, marker_text)]:
            path = pathlib.Path(path)
            tmp = _temporary_name(path)
            with open(tmp, "x") as fh:
                staged[path] = tmp
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException as exc:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise with_filename(exc, path)
    _place_group(staged, marker)


def atomic_publish_dir(staging, out_dir, marker_name: str) -> list[pathlib.Path]:
    """Move every file of the directory ``staging`` into ``out_dir`` as one group, the file
    ``marker_name`` last (as :func:`atomic_write_group` does), then remove ``staging``.

    For outputs that are written by several writers (plots, tables): they are written into
    ``staging`` (on the same file system), and only a complete set reaches ``out_dir``. Returns the
    paths placed.
    """
    staging, out_dir = pathlib.Path(staging), pathlib.Path(out_dir)
    marker = out_dir / marker_name
    staged = {out_dir / f.name: f for f in sorted(staging.iterdir()) if f.is_file()}
    if marker not in staged:
        raise ValueError(f"{staging} holds no {marker_name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _place_group(staged, marker)
    staging.rmdir()
    return sorted(staged)


def _place_group(staged: dict[pathlib.Path, pathlib.Path], marker: pathlib.Path) -> None:
    """Move the staged files (target -> file on disk) into place, the marker last; on an error remove
    what is staged and what was already placed, so the marker never describes a partial set."""
    staged = dict(staged)
    placed: list[pathlib.Path] = []
    try:
        marker.unlink(missing_ok=True)
        for path in list(staged):
            if path != marker:
                os.replace(staged[path], path)
                del staged[path]  # only once it is in place: a failed move keeps its cleanup
                placed.append(path)
        os.replace(staged[marker], marker)
        del staged[marker]
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    fsync_dir(marker.parent)
