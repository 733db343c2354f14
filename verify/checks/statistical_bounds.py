"""Appendix D's lower bounds on Pr(correct) against the counted decisions of confident ensembles.

Proposition D.1, Theorems 6-7 (symmetric laws), the Hoeffding remark after Theorem 6, Proposition D.2 and
Theorems 8-9 (uniform laws): the one-sided Clopper-Pearson upper bound on the counted Pr(correct) must not
fall below the claimed lower bound (false alarm 1e-6, Bonferroni over instances). Lemma D.2 holds for every
law of eps, so it is checked exactly on the empirical measure of the drawn samples.
"""

from __future__ import annotations

import math

from theory import statistical as stat
from theory.smoothing import clopper_pearson_lower, clopper_pearson_upper
from verify.stats import FALSE_ALARM

from . import CheckOutcome, Mutation
from .statistical_models import Scenario, law_mean, law_min_var, law_var, scenario_family

# ---------------------------------------------------------------------------------------------
# Monte-Carlo comparison of Pr(correct) with a lower bound
# ---------------------------------------------------------------------------------------------


def _lower_bound_check(pairs, model: str, bound, *, at_most: bool = False,
                       false_alarm: float = FALSE_ALARM) -> CheckOutcome:
    """Alarm where the Clopper-Pearson upper bound on Pr(correct) is below ``bound(scenario)``.

    ``bound`` returns None where the claim does not apply. With ``at_most`` the claim is flipped
    (Pr(correct) <= bound) and the alarm uses the lower confidence bound.
    """
    items = [(sc, t, bound(sc)) for sc, t in pairs]
    items = [(sc, t, b) for sc, t, b in items if b is not None]
    if not items:
        return CheckOutcome(False, 0, 0.0, "no applicable instance")
    level = false_alarm / len(items)
    worst, failures, samples, informative = math.inf, [], 0, 0
    for sc, t, b in items:
        k = t.correct[model]
        samples += t.samples
        if at_most:
            margin = b - float(clopper_pearson_lower(k, t.samples, level))
        else:
            margin = float(clopper_pearson_upper(k, t.samples, level)) - b
            informative += b > 0
        if margin < 0:
            failures.append(f"{sc.law.kind} N={sc.n_members} C={sc.n_classes} lam={sc.lam:.3g} p={sc.p:.3g}: "
                            f"{k}/{t.samples} correct vs claim {'<=' if at_most else '>='} {b:.5f}")
        worst = min(worst, margin)
    detail = (f"{len(items)} instances ({informative} non-vacuous), smallest confidence-bound margin "
              f"{worst:+.4f}" + (f"; {len(failures)} alarms, first: {failures[0]}" if failures else ""))
    return CheckOutcome(not failures, samples, false_alarm, detail)


def _symmetric_pairs(profile, seed, with_asymmetric: bool = False):
    pairs = list(scenario_family("general", profile, seed))
    if with_asymmetric:
        pairs += list(scenario_family("asymmetric", profile, seed))
    return pairs


def _level(sc: Scenario) -> float:
    return sc.lam / (1 + sc.lam)


def _bound_above_level(penalty_of, scale: float = 1.0, use_p: bool = True):
    """The claim ``Pr(correct) >= 1 - p - penalty`` where ``mu > B(lam)`` (None elsewhere: the bounds need it),
    with ``penalty_of(sc, mu, level)``; perturbed by ``scale`` (the penalty scaled) and ``use_p=False`` (p
    dropped). (Scaling by 1 or 0.5 is exact, so the unperturbed claims are the bounds as written.)"""
    def bound(sc):
        mu, level = law_mean(sc.law), _level(sc)
        if mu <= level:
            return None
        return (1 - (sc.p if use_p else 0.0)) - scale * penalty_of(sc, mu, level)
    return bound


def _prop_d1_bound(scale: float = 1.0, use_p: bool = True):
    """Proposition D.1: penalty ``s^2 / (2 (mu - B(lam3))^2)``."""
    return _bound_above_level(lambda sc, mu, level: law_var(sc.law) / (2 * (mu - level) ** 2), scale, use_p)


def _theorem6_bound(scale: float = 1.0, use_p: bool = True):
    """Theorem 6 (:func:`theory.statistical.we_bound`)."""
    def penalty(sc, mu, level):
        return 1 - sc.p - float(stat.we_bound(sc.p, mu, math.sqrt(law_var(sc.law)), sc.lam, sc.w))
    return _bound_above_level(penalty, scale, use_p)


def _theorem7_bound(scale: float = 1.0, use_p: bool = True):
    """Theorem 7 (:func:`theory.statistical.mme_bound`) with ``s_f^2 = Var(min_i f_i)``."""
    def penalty(sc, mu, level):
        s_f = math.sqrt(law_min_var(sc.law, sc.n_members) + 1e-11)  # quadrature error on the safe side
        return 1 - sc.p - float(stat.mme_bound(sc.p, mu, s_f, sc.lam))
    return _bound_above_level(penalty, scale, use_p)


def _hoeffding_bound(exponent_scale: float = 1.0):
    """The Hoeffding remark after Theorem 6: penalty ``exp(-2 (mu - B(lam1))^2 / d_w)``."""
    return _bound_above_level(lambda sc, mu, level: math.exp(-2 * exponent_scale * (mu - level) ** 2
                                                             / float(stat.weight_ratio(sc.w))))


def _symmetric_run(model: str, bound_of):
    """The check of a bound for symmetric laws (Proposition D.1, Theorems 6-7), as a function of its perturbation:
    the penalty scaled, p dropped, asymmetric laws added, the inequality flipped."""
    def run(scale=1.0, use_p=True, asym=False, at_most=False):
        return lambda profile, seed: _lower_bound_check(_symmetric_pairs(profile, seed, asym), model,
                                                        bound_of(scale, use_p), at_most=at_most)
    return run


run_prop_d1 = _symmetric_run("single", _prop_d1_bound)
run_theorem6 = _symmetric_run("we", _theorem6_bound)
run_theorem7 = _symmetric_run("mme", _theorem7_bound)


def symmetric_mutations(run) -> tuple[Mutation, ...]:
    """Proposition D.1 and Theorems 6-7 perturbed: the penalty halved, p dropped, the symmetry assumption dropped."""
    return (Mutation("penalty halved", run(scale=0.5)), Mutation("p dropped", run(use_p=False)),
            Mutation("symmetry dropped", run(asym=True)))


def run_hoeffding(exponent_scale=1.0, at_most=False):
    # no symmetry is needed: the asymmetric laws are included
    return lambda profile, seed: _lower_bound_check(_symmetric_pairs(profile, seed, True), "we",
                                                    _hoeffding_bound(exponent_scale), at_most=at_most)


# uniform case (Appendix D.4)


def _ab(sc: Scenario) -> tuple[float, float]:
    return sc.law.lo, sc.law.hi


def prop_d2_bound(clip: bool = True, scale: float = 1.0, use_p: bool = True):
    def bound(sc):
        a, b = _ab(sc)
        frac = (_level(sc) - a) / (b - a)
        frac = min(max(frac, 0.0), 1.0) if clip else frac
        return (1 - (sc.p if use_p else 0.0)) - scale * frac
    return bound


def theorem8_bound(denominator: float = 24.0, use_p: bool = True):
    def bound(sc):
        a, b = _ab(sc)
        if (a + b) / 2 <= _level(sc):
            return None
        penalty = 1 - sc.p - float(stat.uniform_we_bound(sc.p, a, b, sc.lam, sc.w))  # d_w K1^2 / 24
        return (1 - (sc.p if use_p else 0.0)) - penalty * 24.0 / denominator
    return bound


def theorem9_bound(exact: bool = True, scale: float = 1.0, use_p: bool = True):
    def bound(sc):
        a, b = _ab(sc)
        if (a + b) / 2 <= _level(sc):
            return None
        penalty = 1 - sc.p - float(stat.uniform_mme_bound(sc.p, a, b, sc.lam, sc.n_members, exact=exact))
        return (1 - (sc.p if use_p else 0.0)) - scale * penalty
    return bound


def uniform_run(model: str, bound, family: str = "uniform", at_most: bool = False,
                 false_alarm: float = FALSE_ALARM):
    return lambda profile, seed: _lower_bound_check(list(scenario_family(family, profile, seed)), model, bound,
                                                    at_most=at_most, false_alarm=false_alarm)


def uniform_mutations(model: str, bound_of) -> tuple[Mutation, ...]:
    """Theorems 8-9 perturbed: p dropped, the uniform law replaced by a U-shaped Beta, the inequality flipped."""
    return (Mutation("p dropped", uniform_run(model, bound_of(use_p=False))),
            Mutation("uniform assumption dropped (U-shaped Beta on [a, b])",
                     uniform_run(model, bound_of(), family="u_shaped")),
            Mutation("inequality flipped", uniform_run(model, bound_of(), at_most=True)))


def both(model: str, first, second):
    """Two claims on the same samples, each at half the false-alarm budget; both must pass."""
    def run(profile, seed):
        a = uniform_run(model, first, false_alarm=FALSE_ALARM / 2)(profile, seed)
        b = uniform_run(model, second, false_alarm=FALSE_ALARM / 2)(profile, seed)
        return CheckOutcome(a.passed and b.passed, a.samples + b.samples, a.false_alarm + b.false_alarm,
                            f"{a.detail} | {b.detail}")
    return run


# ---------------------------------------------------------------------------------------------
# Lemma D.2 on the empirical measure (exact)
# ---------------------------------------------------------------------------------------------


def run_lemma_d2(strict: bool = False, use_p: bool = True, flipped: bool = False):
    """Lemma D.2 holds for every law of eps, so for the empirical law of the drawn samples: exact counts."""
    def run(profile, seed):
        pairs = _symmetric_pairs(profile, seed, True)
        failures, samples = [], 0
        for sc, t in pairs:
            samples += t.samples
            for model in ("single", "we", "mme"):
                tail = t.margin_lt[model] if strict else t.margin_le[model]
                floor = t.samples - (t.not_confident[model] if use_p else 0) - tail
                ok = t.correct[model] <= floor if flipped else t.correct[model] >= floor
                if not flipped:
                    ok = ok and t.pointwise[model] == 0
                if not ok:
                    failures.append(f"{model} {sc.law.kind} N={sc.n_members}: {t.correct[model]} correct, "
                                    f"floor {floor}, pointwise violations {t.pointwise[model]}")
        detail = f"{len(pairs)} instances x 3 models" + (f"; {len(failures)} fail, first: {failures[0]}"
                                                          if failures else "; every count satisfies the lemma")
        return CheckOutcome(not failures, samples, 0.0, detail)
    return run
