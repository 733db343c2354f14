"""An exclusive lock on a run directory, so that two processes never write into the same one.

:func:`directory_lock` takes ``fcntl.flock(LOCK_EX | LOCK_NB)`` on the file ``.lock`` in the
directory and writes the holder's process id into it. A second process fails at once with a
:class:`~drt_min.errors.UserError` naming the process that holds the lock, and changes nothing.
The kernel releases a flock when its process dies, so the ``.lock`` file a killed process leaves
behind does not block a rerun. The file is removed when the lock is released; to make that safe
the lock is only taken on the file that is still at ``.lock`` (a process that opened a file another
one then removed tries again).
"""

from __future__ import annotations

import errno
import fcntl
import os
import pathlib

from drt_min.errors import UserError

__all__ = ["LOCK_NAME", "DirectoryLock", "directory_lock"]

LOCK_NAME = ".lock"


def _holder(path: pathlib.Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        return "another process"
    return f"process {text}" if text.isdigit() else "another process"


class DirectoryLock:
    """An exclusive lock on ``directory`` (which must exist), taken on construction.

    Use it as a context manager, or call :meth:`release` (idempotent). ``name`` is the lock
    file's name in the directory (a checkpoint is locked by ``.NAME.pt.lock`` beside it), ``what``
    what the message calls the locked thing (the directory by default)."""

    def __init__(self, directory, option: str = "--out", *, name: str = LOCK_NAME,
                 what=None):
        self.directory = pathlib.Path(directory)
        self.path = self.directory / name
        what = self.directory if what is None else what
        self._fd: int | None = None
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
                raise UserError(f"{option} {what} is in use: {_holder(self.path)} is "
                                f"writing into it (it holds {self.path}); wait for it to finish "
                                f"or choose another {option}") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder that just released it removed this file: take the new one
        self._fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def __enter__(self) -> "DirectoryLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def directory_lock(directory, option: str = "--out") -> DirectoryLock:
    """:class:`DirectoryLock` of ``directory``: ``with directory_lock(run_dir): ...``."""
    return DirectoryLock(directory, option)
