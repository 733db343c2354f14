"""Command line of drt_min: ``python -m drt_min {run,train,certify,report,compare,merge,download} ...``.

Bad input ends in one line on stderr, ``error: <message>``, and exit status 2: the package's own
:class:`drt_min.errors.UserError` (raised wherever an input is read or checked, naming the file or
option and the fix), an ``OSError`` of the operating system (a full disk, a vanished directory:
its text names the path), and argparse's usage errors (one line too). ``--debug`` (before the
subcommand) or ``DRT_DEBUG=1`` shows the traceback instead. Anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from drt_min import cli_certify, cli_train
from drt_min.errors import OneLineArgumentParser, UserError


#: argparse with one-line usage errors (shared with ``python -m verify``)
_Parser = OneLineArgumentParser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m drt_min",
        description="Train DRT ensembles and certify them with randomized smoothing.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error (also DRT_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_train.register(sub)
    cli_certify.register(sub)
    return parser


def _debug(args: argparse.Namespace | None) -> bool:
    return bool(getattr(args, "debug", False)) or os.environ.get("DRT_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, OSError) as exc:
        if _debug(args):
            raise
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(f"error: {text}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
