"""Command line: ``python -m theory ledger [--json | --markdown]``."""

from __future__ import annotations

import argparse
import sys

from theory.ledger import KINDS, STATUSES, all_statements
from theory.ledger.render import render_json, render_markdown, render_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m theory", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ledger = sub.add_parser("ledger", help="print the ledger of every statement of the paper")
    fmt = ledger.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the ledger as a JSON list")
    fmt.add_argument("--markdown", action="store_true", help="print the Markdown of docs/ledger.md")
    ledger.add_argument("--status", choices=list(STATUSES),
                        help="only entries with this status")
    ledger.add_argument("--kind", choices=list(KINDS), help="only entries of this kind")
    args = parser.parse_args(argv)

    entries = all_statements()
    if args.status:
        entries = [e for e in entries if e.status == args.status]
    if args.kind:
        entries = [e for e in entries if e.kind == args.kind]
    if not entries:
        print("no entries", file=sys.stderr)
        return 1
    if args.json:
        print(render_json(entries))
    elif args.markdown:
        sys.stdout.write(render_markdown(entries))
    else:
        print(render_table(entries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
