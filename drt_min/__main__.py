"""Command line of drt_min: ``python -m drt_min {run,train,certify,report,compare,merge,download} ...``."""

from __future__ import annotations

import argparse
import sys

from drt_min import cli_certify, cli_train


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drt_min",
        description="Train DRT ensembles and certify them with randomized smoothing.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cli_train.register(sub)
    cli_certify.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
