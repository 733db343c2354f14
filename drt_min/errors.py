"""The package's own errors: bad input, reported as one line by the command line.

:class:`UserError` is raised wherever a file, an option or a value given by the user is wrong; its
message names the file or option and says what would fix it. It subclasses ``ValueError``, so
library callers that catch ``ValueError`` keep working. :class:`MissingInputError` is the same for
an input that does not exist (it is also a ``FileNotFoundError``).

``python -m drt_min`` prints ``error: <message>`` on one line and exits with status 2 for these
(:func:`drt_min.__main__.main`); ``--debug`` or ``DRT_DEBUG=1`` shows the traceback instead. The
library exceptions that signal bad input (an unpicklable or truncated checkpoint, a corrupt gzip,
invalid JSON, an unwritable path) are turned into a :class:`UserError` where the file is read or
written, not by a catch-all.

The certification settings that enter from the user (the command line, :class:`drt_min.smoothing.Smooth`,
:func:`drt_min.certify.certify_dataset`) are checked once there, each rule with its one message:
:func:`check_alpha` and :func:`check_sigma`; the functions they call assert them instead.

The helpers check output locations before anything is created: :func:`check_output_dir` and
:func:`check_output_file` (the path is not the wrong kind of file, and its nearest existing
ancestor is a writable directory), and :func:`child_path` (a name taken from data stays inside its
directory).
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
import pathlib
import re
import sys
from contextlib import contextmanager

__all__ = ["UserError", "MissingInputError", "check_output_dir", "check_output_file",
           "child_path", "SAFE_NAME", "one_line", "is_allocation_failure", "lower_on_oom",
           "OneLineArgumentParser", "check_alpha", "check_sigma"]

#: Names taken from data that become file names (protocols): letters, digits, '_' and '-'.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")


class UserError(ValueError):
    """Bad input: the message names the file or option and what would fix it."""


class MissingInputError(UserError, FileNotFoundError):
    """An input file or directory that does not exist."""


def _is_real(value) -> bool:
    """A real number of Python or numpy (numpy registers its scalars as ``numbers.Real``), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_alpha(alpha, option: str = "alpha") -> float:
    """The one check of a confidence level: alpha in (0, 1) (a failure probability of 0 or 1 bounds nothing)."""
    if not (_is_real(alpha) and 0.0 < alpha < 1.0):
        raise UserError(f"{option} must lie in (0, 1), got {alpha!r}")
    return float(alpha)


def check_sigma(sigma, option: str = "sigma") -> float:
    """The one check of a noise level: sigma finite and > 0 (sigma = 0 is no smoothing)."""
    if not (_is_real(sigma) and math.isfinite(sigma) and sigma > 0):
        raise UserError(f"{option} must be a finite number > 0, got {sigma!r}")
    return float(sigma)


def one_line(exc: BaseException) -> str:
    """The first line of an exception's text (library messages can run over many lines)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _nearest_existing(path: pathlib.Path) -> pathlib.Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_ancestor(path: pathlib.Path, option: str) -> None:
    anc = _nearest_existing(path.parent if not path.exists() else path)
    if not anc.is_dir():
        raise UserError(f"{option} {path}: {anc} is a file, not a directory; choose another path")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: {anc} is not writable; choose a writable location")


def check_output_dir(path, option: str = "--out") -> pathlib.Path:
    """Check, creating nothing, that ``path`` is (or can be created as) a writable directory."""
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{option} {path} is a file; give a directory (existing or new)")
    _check_ancestor(path, option)
    return path


def check_output_file(path, option: str = "--out") -> pathlib.Path:
    """Check, creating nothing, that ``path`` can be written as a file."""
    path = pathlib.Path(path)
    if path.is_dir():
        raise UserError(f"{option} {path} is a directory; give a file path such as {path}/model.pt")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise UserError(f"{option} {path}: {parent} is a file, not a directory")
    _check_ancestor(parent if not parent.exists() else parent / "x", option)
    return path


def child_path(directory, name: str, suffix: str = "", *, what: str = "name") -> pathlib.Path:
    """``directory / (name + suffix)``, refusing names that would leave ``directory``."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        raise UserError(f"{directory}: {what} {name!r} is not a plain file name (letters, digits, "
                        "'_' and '-' only); the manifest is corrupt or was tampered with")
    directory = pathlib.Path(directory)
    path = directory / (name + suffix)
    if os.path.commonpath([directory.resolve(), path.resolve()]) != str(directory.resolve()):
        raise UserError(f"{directory}: {what} {name!r} leads outside the directory")
    return path


def is_allocation_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says that memory could not be allocated (host or GPU)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "allocate" in text)


@contextmanager
def lower_on_oom(option: str, value):
    """Turn an allocation failure in the block into a :class:`UserError` naming the option whose
    value (within its limits) asked for more memory than the machine has."""
    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        if not is_allocation_failure(exc):
            raise
        text = one_line(exc)
        text = text if len(text) <= 120 else text[:117] + "..."
        raise UserError(f"out of memory ({text}); lower {option} (now {value})") from exc


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse with one-line usage errors (``error: <prog>: <message>``), exit status 2; its
    subcommands' parsers are of this class too."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        print(f"error: {self.prog}: {message} (see {self.prog} --help)".replace("\n", " "),
              file=sys.stderr)
        raise SystemExit(2)
