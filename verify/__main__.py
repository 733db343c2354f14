"""Command line: ``python -m verify {report,figures,check} ...``."""

from __future__ import annotations

import argparse
import sys

from .figures import Figure4Settings, figure4, figure5
from .mme_many import figure_mme_many, study_rows
from .report import run_checks, write_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verify",
                                     description="Sampling checks of the paper's statements and the Appendix D figures.")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="run every check and the figures; write report.md")
    rep.add_argument("--out", required=True, help="output directory")
    rep.add_argument("--profile", choices=["ci", "thorough"], default="ci")
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--no-figures", action="store_true", help="skip Figures 4 and 5")
    fig = sub.add_parser("figures", help="regenerate Figures 4 and 5 of Appendix D and the N > 2 MME figure (PNG + CSV)")
    fig.add_argument("--out", required=True, help="output directory")
    fig.add_argument("--seed", type=int, default=0)
    chk = sub.add_parser("check", help="run the checks of one ledger id (or all) and print the outcomes")
    chk.add_argument("ledger_id", nargs="?", default=None)
    chk.add_argument("--profile", choices=["ci", "thorough"], default="ci")
    chk.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.command == "report":
        path, ok = write_report(args.out, args.profile, args.seed, figures=not args.no_figures)
        print(f"wrote {path}: {'all checks passed' if ok else 'SOME CHECKS FAILED'}")
        return 0 if ok else 1
    if args.command == "figures":
        figure4(args.out, Figure4Settings(seed=args.seed))
        figure5(args.out)
        figure_mme_many(args.out, list(study_rows("ci", args.seed)))
        print(f"wrote figure4.png, figure4.csv, figure5.png, figure5.csv, mme_many.png, mme_many.csv into {args.out}")
        return 0
    rows = run_checks(args.profile, args.seed, only=args.ledger_id)
    if not rows:
        print(f"no checks for {args.ledger_id!r}", file=sys.stderr)
        return 2
    for r in rows:
        status = "pass" if r.outcome.passed else "FAIL"
        print(f"{status}  {r.check.ledger_id:<14} {r.check.name}  mutations caught "
              f"{sum(r.mutations_caught)}/{len(r.mutations_caught)}  {r.outcome.detail}")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
