"""Part 6 of the cross-check: Figure 6 (Appendix D.5.3), Corollary 5's prediction of which ensemble
certifies more.

X = lambda1/lambda2 - RHS of Eq. (48) (Corollary 5) per image, from the lambda proxies on the
``PROXY`` noise stream, against Y = MME wins / WE wins from the run's EBS certificates; ties are
counted and never folded into either class (:func:`verify.crosscheck.parts.figure6_table`). Beside
it, Y's test-retest: the run's certificates against a second certification of the same protocol on
the cross-check's own, independent samples.

This module computes the part (:func:`lambda_table`, :func:`part6`), holds its record
(:class:`Part6`) and renders its section, ``figure6.csv`` and ``figure6.png`` (:func:`figure6_markdown`,
:func:`write_figure6`). ``python -m verify figure6`` (:mod:`verify.crosscheck.figure6_study`) and
``python -m verify figures --run`` render the same figure from their own certificates.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from drt_min.curves import radius_at_label
from drt_min.smoothing import max_certifiable_radius

from . import parts as P
from .fmt import prop, table, write_table
from .inputs import Ensemble
from .sampling import PROXY, member_confidences

__all__ = ["PAPER_FIGURE6_AUC", "Part6", "lambda_table", "certificate_ceiling", "figure6_data", "part6",
           "write_figure6", "figure6_markdown"]

#: The AUC that Appendix D.5.3 reports for Figure 6 (shown beside ours; never used as an expectation).
PAPER_FIGURE6_AUC = 0.66


# ------------------------------------------------------------------------------------------ computation


def lambda_table(ens: Ensemble, images, labels, samples: int, device, batch_size: int,
                 progress: bool) -> list[dict]:
    """Figure 6's proxies for every certified image from ``samples`` draws (0: the certificate's n)
    of the ``PROXY`` noise stream: independent of the certificates' noise (phases 0 and 1), so that X
    and Y share no Monte-Carlo error."""
    man = ens.manifest
    num = samples or int(man["n"])
    indices = list(man["all_indices"])
    out = []
    chunk = max(1, 20_000 // num)
    for start in tqdm(range(0, len(indices), chunk), desc="figure 6: proxies", unit="chunk",
                      disable=None if progress else True, dynamic_ncols=True):
        idx = indices[start:start + chunk]
        confs = member_confidences(ens.model, images[idx].to(device), idx, [(PROXY, num)],
                                   sigma=ens.sigma, seed=int(man["seed"]), batch_size=batch_size)
        for i, (conf,) in zip(idx, confs):
            out.append({"index": int(i), **P.lambda_proxies(conf, ens.weights, int(labels[i]))})
    return out


def certificate_ceiling(manifest: dict) -> float:
    """The largest radius the run's certifier can give (:func:`drt_min.smoothing.max_certifiable_radius`
    of the manifest's n, alpha and sigma: every sample votes for the class)."""
    return max_certifiable_radius(int(manifest["n"]), float(manifest["alpha"]), float(manifest["sigma"]))


def figure6_data(ens: Ensemble, lambdas: list[dict], bootstrap: int) -> dict:
    """:func:`verify.crosscheck.parts.figure6_table` on the run's MME and WE certificates, with the
    images' indices, their proxies and the certifier's ceiling (the record the renderers read)."""
    idx = [p["index"] for p in lambdas]
    fig = P.figure6_table(lambdas, ens.radius("mme", idx), ens.radius("we", idx), len(ens.weights),
                          resamples=bootstrap, seed=0, ceiling=certificate_ceiling(ens.manifest))
    fig["index"] = idx
    fig["proxies"] = lambdas
    fig["ceiling"] = certificate_ceiling(ens.manifest)
    return fig


def retest(ens: Ensemble, records: list[dict], level: float) -> dict | None:
    """Figure 6's outcome from the run's certificates against a second certification of the same
    protocol on independent noise (the cross-check's own samples, :func:`verify.crosscheck.bank.bank`
    keeps it as ``retest``), on parts 1-5's images; None when the bank is too small to hold one."""
    recs = [r for r in records if "retest" in r]
    if not recs:
        return None
    protocols = [p for p in ens.manifest["protocols"] if p != "eas"]
    j_we, j_mme = protocols.index("we"), protocols.index("mme")
    idx = [r["index"] for r in recs]

    def at_label(r, j):
        pred, radius = r["retest"]
        return radius_at_label(pred[j], radius[j], r["label"])

    first = (ens.radius("mme", idx), ens.radius("we", idx))
    second = (np.array([at_label(r, j_mme) for r in recs]), np.array([at_label(r, j_we) for r in recs]))
    return P.outcome_agreement(first, second, level)


@dataclass
class Part6:
    """Figure 6 of the run's DRT ensemble: the :func:`figure6_data` record, Y's test-retest, and the
    sample counts its section names."""

    figure: dict               # figure6_data: X, Y, the AUCs and tie counts, per-image proxies
    retest: dict | None        # parts.outcome_agreement of the run's certificates and the bank's
    proxy_samples: int         # samples per image behind the proxies
    cert_n: int                # the run's n (Y's certificates)

    def summary(self) -> dict:
        """summary.json's ``part6``: the scalar findings (per-image columns left to figure6.csv)."""
        return {k: v for k, v in self.figure.items() if k.startswith(
            ("auc", "n_", "positives", "ties", "mme_wins", "we_wins", "images", "undefined", "tie_inclusive",
             "hypotheses", "s_f_below_s", "ceiling"))}

    def markdown(self) -> list[str]:
        return figure6_markdown({**self.figure, "retest": self.retest}, self.proxy_samples, self.cert_n)

    def write_files(self, out_dir: pathlib.Path) -> None:
        """figure6.png and figure6.csv."""
        _figure6_plot(out_dir, self.figure)
        write_table(out_dir / "figure6.csv", *_figure6_table(self.figure))


def part6(ens: Ensemble, lambdas: list[dict], records: list[dict], *, bootstrap: int, proxy_samples: int,
          level: float) -> Part6:
    """Part 6 from the proxies (:func:`lambda_table`) and the DRT bank's records (the retest)."""
    return Part6(figure=figure6_data(ens, lambdas, bootstrap), retest=retest(ens, records, level),
                 proxy_samples=proxy_samples or ens.manifest["n"], cert_n=ens.manifest["n"])


# ------------------------------------------------------------------------------------------ rendering


def write_figure6(out_dir, ens, lambdas: list[dict], *, bootstrap: int) -> dict:
    """Figure 6 alone (``python -m verify figures --run``): figure6.png and figure6.csv."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    f6 = figure6_data(ens, lambdas, bootstrap)
    _figure6_plot(out_dir, f6)
    write_table(out_dir / "figure6.csv", *_figure6_table(f6))
    return f6


def _figure6_plot(out_dir: pathlib.Path, f6: dict) -> None:
    """ROC of X (and lambda1/lambda2) for MME wins against WE wins; ties left out."""
    from .roc import plot_roc, roc_curve

    curves = []
    decided = f6["y"] >= 0
    for name, label in (("x", "X = lambda1/lambda2 - RHS(48)"), ("ratio", "lambda1/lambda2")):
        score = f6[name]
        ok = np.isfinite(score) & decided
        if np.isfinite(f6[f"auc_{name}"]):
            fpr, tpr, _ = roc_curve(score[ok], f6["y"][ok] == 1)
            curves.append((fpr, tpr, f"{label}: AUC {f6[f'auc_{name}']:.3f} (n = {int(ok.sum())})"))
    if not curves:  # one class only (or X is nowhere defined): the chance line and why
        curves = [(np.array([0.0, 1.0]), np.array([0.0, 1.0]),
                   f"no ROC: MME wins {f6['mme_wins']}, WE wins {f6['we_wins']}, X defined on "
                   f"{f6['n_defined']} of {f6['n_images']}")]
    plot_roc(out_dir / "figure6.png", curves, title=f"Figure 6: MME wins vs WE wins ({f6['ties']} ties left out)",
             reference_auc=PAPER_FIGURE6_AUC, reference_label="paper")


def _figure6_table(f6: dict) -> tuple[list[str], list[list]]:
    outcome = {1: "mme", 0: "we", -1: "tie"}
    return (["index", "lambda1", "lambda2", "mu", "s", "s_f", "identical", "symmetric", "lambda_ratio", "X",
             "outcome"],
            [[i, p["lambda1"], p["lambda2"], p["mu"], p["s"], p["s_f"], int(p.get("identical", 0)),
              int(p.get("symmetric", 0)), float(r), float(x), outcome[int(y)]]
             for i, p, r, x, y in zip(f6["index"], f6["proxies"], f6["ratio"], f6["x"], f6["y"])])


def _auc_cells(a: dict) -> list:
    if not np.isfinite(a["auc"]):
        return [a["n"], f"{a['positives']}/{a['negatives']}", "undefined (one class)", "-", "-"]
    b, d = a["bootstrap"], a["delong"]
    return [a["n"], f"{a['positives']}/{a['negatives']}", f"{a['auc']:.3f}", f"[{b[0]:.3f}, {b[1]:.3f}]",
            f"[{d[0]:.3f}, {d[1]:.3f}]" if np.isfinite(d[0]) else "-"]


def figure6_markdown(f6: dict, proxy_samples: int, cert_n: int, *,
                     heading: str = "## 6. Figure 6 (Appendix D.5.3)", certificates: str = "the run's",
                     retest_text: list[str] | None = None) -> list[str]:
    """Section 6: the ties-excluded headline, the tie counts, and each variant as its own finding.

    ``certificates`` names whose certificates Y compares; ``retest_text`` replaces the paragraph on
    Y's test-retest (the cross-check measures it on its own bank of samples; ``python -m verify
    figure6`` on a second full certification)."""
    head = {"n": f6["auc_x_n"], "positives": f6["auc_x_positives"], "negatives": f6["auc_x_negatives"],
            "auc": f6["auc_x"], "bootstrap": f6["auc_x_bootstrap"], "delong": f6["auc_x_delong"]}
    n_img = f6["n_images"]
    lines = [heading, "",
             f"lambda1, lambda2 (the paper's average confidence portions), mu, s, s_f from {proxy_samples} "
             "samples per image of the cross-check's own `PROXY` noise stream, independent of the noise "
             "behind the certificates (so X and Y share no Monte-Carlo error); X = lambda1/lambda2 - RHS of "
             f"Eq. (48). The outcome compares {certificates} EBS certificates (hard-vote, Cohen) of MME and WE at "
             f"n = {cert_n}: MME wins on {f6['mme_wins']}, WE wins on {f6['we_wins']}, and **{f6['ties']} of "
             f"{n_img} images are ties** (both radii 0: {f6['ties_zero']}; both at the certifier's ceiling "
             f"r = {f6['ceiling']:.4g}: {f6['ties_ceiling']}; other equal radii: {f6['ties_equal']}). "
             "A tie is neither an MME win nor a WE win: ties are counted here and left out of Y.", "",
             f"X is defined (Corollary 5 needs mu > lambda2/(1 + lambda2) and s, s_f > 0) on {f6['n_defined']} of "
             f"{n_img} images. Corollary 5's other hypotheses (members i.i.d. with a symmetric distribution, "
             f"s_f < s), screened per image (no pairwise Kolmogorov-Smirnov test and no skewness test rejects "
             f"at 5%, Bonferroni; s_f < s), hold on {f6['hypotheses_hold']} of {n_img} images "
             f"({f6['hypotheses_hold'] / max(1, n_img):.1%}); s_f < s alone on {f6['s_f_below_s']}.", ""]
    rows = [["**X, MME wins vs WE wins (headline)**", *_auc_cells(head)],
            ["lambda1/lambda2, MME wins vs WE wins", f6["auc_ratio_n"], "-",
             f"{f6['auc_ratio']:.3f}" if np.isfinite(f6["auc_ratio"]) else "undefined", "-", "-"]]
    rows += [[f"X, undefined X {how}" + (" (= headline)" if how == "excluded" else
                                         f" (scored {'below' if how == 'lowest' else 'above'} every defined X)"),
              *_auc_cells(f6["undefined"][how])] for how in P.UNDEFINED_X]
    rows += [["X, only images where Corollary 5's screened hypotheses hold", *_auc_cells(f6["hypotheses"])],
             ["X, ties counted as WE wins (Y = 1[r_MME > r_WE]; not the paper's contrast)",
              *_auc_cells(f6["tie_inclusive"])],
             ["-X predicting a tie (tie vs not)", *_auc_cells(f6["ties_from_x"])]]
    lines += table(["score and outcome", "images", "positives/negatives", "AUC", "95% bootstrap", "95% DeLong"],
                   rows)
    if np.isfinite(head["auc"]):
        low, high = head["bootstrap"]
        verdict = ("above chance" if low > 0.5 else "below chance" if high < 0.5 else
                   "not distinguishable from chance")
        lines += ["", f"Headline: with ties left out, X's AUC is {head['auc']:.3f} [{low:.3f}, {high:.3f}] on "
                  f"{head['n']} images: {verdict}. The tie-inclusive rows and '-X predicting a tie' are separate "
                  "findings: they measure how X relates to ties, not Corollary 5's prediction of which "
                  "ensemble certifies more."]
    rt = f6.get("retest")
    if retest_text is not None:
        lines += [""] + retest_text
    elif rt:
        lines += ["", f"Y at n = {cert_n} is noisy. Test-retest: the run's certificates against a second "
                  f"certification of the same protocol on independent noise (n0 and n = {cert_n} samples of the "
                  f"cross-check's bank beyond the certificate's) on the first {rt['three_way']['n']} images: "
                  f"the outcome (MME win, WE win, tie) agrees on {prop(rt['three_way'])}, Cohen's kappa "
                  f"{rt['kappa']:.2f}; where both certifications have a winner, the winner agrees on "
                  f"{prop(rt['winner_when_decided'])}. `python -m verify figure6` measures it at a larger n, on "
                  "two full certifications."]
    else:
        lines += ["", f"Y's test-retest agreement at n = {cert_n} on independent noise is not measured in this "
                  "report (the bank is smaller than a second certification); `python -m verify figure6` "
                  "measures it at a chosen n, on two full certifications."]
    lines += ["", f"The paper reports AUC {PAPER_FIGURE6_AUC} for X at n = 100,000. ![figure 6](figure6.png)", ""]
    return lines
