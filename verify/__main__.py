"""Command line: ``python -m verify {report,figures,crosscheck,figure6,check} ...``."""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys

from drt_min.config import CertifyConfig, add_arguments, overrides_from_args, replace
from drt_min.errors import OneLineArgumentParser, UserError, lower_on_oom

from .crosscheck.crosscheck import PROFILES, crosscheck, figure6_from_run
from .crosscheck.figure6_study import figure6_study
from .figures import Figure4Settings, figure4, figure5
from .mme_many import figure_mme_many, study_rows
from .report import run_checks, write_report


#: Largest seed, number of images and batch size the command line takes (as ``drt_min``'s).
MAX_SEED = 2**62
MAX_COUNT = 10**6
#: The certification protocol options that ``figure6`` takes (``drt_min certify``'s names).
_FIGURE6_OPTIONS = ("cert_n0", "cert_n", "cert_alpha", "cert_batch", "cert_start", "cert_every",
                    "cert_max_images", "cert_seed")


def _bounded_int(low: int, high: int, what: str, high_text: str):
    """An argparse type: an integer in [low, high) (a bad value is a usage error, exit 2)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if not low <= value < high:
            raise argparse.ArgumentTypeError(f"{what} must lie in [{low}, {high_text}"
                                             f"{'' if high_text.endswith(']') else ')'}, got {value}")
        return value
    parse.__name__ = what
    return parse


_seed = _bounded_int(0, MAX_SEED, "seed", "2**62")
_count = _bounded_int(1, MAX_COUNT + 1, "the value", "1e6]")


def _add_sampling_options(parser: argparse.ArgumentParser, data_default: str) -> None:
    """--device, --data-dir, --batch-size and --no-progress of the commands that sample a checkpoint."""
    parser.add_argument("--device", default="cpu", help="'cpu', 'cuda', 'cuda:1', ...")
    parser.add_argument("--data-dir", default="", help=f"directory holding mnist/ (default: {data_default}, "
                        "else $DRT_DATA_DIR)")
    parser.add_argument("--batch-size", type=_count, default=4000,
                        help="noisy inputs per forward batch (at most 1e6)")
    parser.add_argument("--no-progress", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m verify`` (one-line usage errors, exit status 2)."""
    parser = OneLineArgumentParser(prog="python -m verify",
                                   description="Sampling checks of the paper's statements and the Appendix D figures.")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="run every check and the figures; write report.md")
    rep.add_argument("--out", required=True, help="output directory")
    rep.add_argument("--profile", choices=["ci", "thorough"], default="ci")
    rep.add_argument("--seed", type=_seed, default=0)
    rep.add_argument("--no-figures", action="store_true", help="skip Figures 4 and 5")
    rep.add_argument("--run", default=None, help="a `drt_min run` directory: add Figure 6 of its DRT ensemble")
    rep.add_argument("--data-dir", default="", help="directory holding mnist/ (with --run)")
    fig = sub.add_parser("figures", help="regenerate Figures 4 and 5 of Appendix D and the N > 2 MME figure (PNG + CSV)")
    fig.add_argument("--out", required=True, help="output directory")
    fig.add_argument("--seed", type=_seed, default=0)
    fig.add_argument("--run", default=None, help="a `drt_min run` directory: add Figure 6 from its "
                     "DRT ensemble (PNG + CSV)")
    fig.add_argument("--data-dir", default="", help="directory holding mnist/ (with --run)")
    cc = sub.add_parser("crosscheck", help="hold a trained run's certificates up against the theorems "
                        "(seven parts, Figure 6); write crosscheck.md, CSVs and plots")
    cc.add_argument("run_dir", help="the --out directory of `python -m drt_min run`")
    cc.add_argument("--out", default=None, help="output directory (default: RUN_DIR/crosscheck)")
    cc.add_argument("--images", type=_count, default=None,
                    help="images of parts 1-5 and 7 (default: the profile's; Figure 6 uses all)")
    cc.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    _add_sampling_options(cc, "the run's")
    f6 = sub.add_parser("figure6", help="Figure 6 at a chosen n: certify a checkpoint twice on "
                        "independent noise, report Y's test-retest agreement and the AUC")
    f6.add_argument("checkpoint", help="a DRT checkpoint written by `python -m drt_min run` or `train`")
    f6.add_argument("--out", required=True, help="output directory (resumes a killed study)")
    add_arguments(f6, CertifyConfig, only=_FIGURE6_OPTIONS, defaults="the checkpoint's protocol")
    f6.add_argument("--profile", choices=sorted(PROFILES), default="ci",
                    help="the cross-check profile giving the proxies' samples and the bootstrap")
    _add_sampling_options(f6, "the training's")
    chk = sub.add_parser("check", help="run the checks of one ledger id (or all) and print the outcomes")
    chk.add_argument("ledger_id", nargs="?", default=None)
    chk.add_argument("--profile", choices=["ci", "thorough"], default="ci")
    chk.add_argument("--seed", type=_seed, default=0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    if args.command == "report":
        try:
            with _cleanup_on_error(args.out):
                path, ok = write_report(args.out, args.profile, args.seed,
                                        figures=not args.no_figures, run_dir=args.run,
                                        data_dir=args.data_dir)
        except (UserError, OSError) as exc:
            return _error(exc)
        print(f"wrote {path}: {'all checks passed' if ok else 'SOME CHECKS FAILED'}")
        return 0 if ok else 1
    if args.command in ("crosscheck", "figures", "figure6"):
        try:
            out = args.out or os.path.join(args.run_dir, "crosscheck")
            with _cleanup_on_error(out), lower_on_oom("--batch-size",
                                                      getattr(args, "batch_size", 4000)):
                return _run_data_command(args)
        except (UserError, OSError) as exc:
            return _error(exc)
    if args.ledger_id is not None:
        from .checks import all_checks

        ids = sorted({c.ledger_id for c in all_checks()})
        if args.ledger_id not in ids:
            return _error(UserError(f"unknown ledger id {args.ledger_id!r}; the ids with checks "
                                    f"are: {', '.join(ids)}"))
    rows = run_checks(args.profile, args.seed, only=args.ledger_id)
    for r in rows:
        status = "pass" if r.outcome.passed else "FAIL"
        print(f"{status}  {r.check.ledger_id:<14} {r.check.name}  mutations caught "
              f"{sum(r.mutations_caught)}/{len(r.mutations_caught)}  {r.outcome.detail}")
    return 0 if all(r.ok for r in rows) else 1


def _error(exc: Exception) -> int:
    """Bad input: one line and exit status 2, as ``python -m drt_min`` does (DRT_DEBUG=1: traceback)."""
    if os.environ.get("DRT_DEBUG", "") not in ("", "0"):
        raise exc
    print(f"error: {' '.join(str(exc).split()) or type(exc).__name__}", file=sys.stderr)
    return 2


class _cleanup_on_error:
    """On an error, remove the output directory if this command created it and it is empty (or
    holds only empty directories): a failed command leaves nothing behind."""

    def __init__(self, out):
        self.out = pathlib.Path(out)
        self.existed = self.out.exists()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not self.existed and self.out.is_dir() and \
                not any(p.is_file() or p.is_symlink() for p in self.out.rglob("*")):
            shutil.rmtree(self.out, ignore_errors=True)
        return False


def _run_data_command(args) -> int:
    if args.command == "figure6":
        overrides = overrides_from_args(args)
        replace(CertifyConfig(), **overrides)  # the options checked before anything is read
        figure6_study(args.checkpoint, args.out, overrides=overrides, profile=args.profile,
                      device=args.device, data_dir=args.data_dir, batch_size=args.batch_size,
                      progress=not args.no_progress)
        return 0
    if args.command == "crosscheck":
        out = args.out or os.path.join(args.run_dir, "crosscheck")
        crosscheck(args.run_dir, out, images=args.images, profile=args.profile, device=args.device,
                   data_dir=args.data_dir, batch_size=args.batch_size, progress=not args.no_progress)
        return 0
    written = []
    if args.run:  # inputs first: a bad run directory fails before anything is written
        figure6_from_run(args.run, args.out, data_dir=args.data_dir)
        written.append("figure6.png, figure6.csv")
    figure4(args.out, Figure4Settings(seed=args.seed))
    figure5(args.out)
    figure_mme_many(args.out, list(study_rows("ci", args.seed)))
    written.insert(0, "figure4.png, figure4.csv, figure5.png, figure5.csv, mme_many.png, mme_many.csv")
    print(f"wrote {', '.join(written)} into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
