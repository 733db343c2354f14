"""Checks of Appendix D (statistical robustness) against exact ground truth.

Models. ``N`` base models, ``C`` classes, true class ``y0 = C - 1`` (the last one, so that ``argmax`` resolves
every tie against it). The true-class confidences ``f_i(x0 + eps)_{y0}`` are i.i.d. draws of a known law
(uniform, symmetric Beta, truncated normal, symmetric three- and two-point laws; asymmetric laws only where
an assumption is dropped on purpose). The wrong classes share ``1 - f_i``: on a "confident" sample the top
wrong class takes at most the ``lam`` share (exactly ``lam`` in the worst case, with one wrong class common
to every member), the other wrong classes at most as much; on a "bad" sample, drawn independently with
probability ``p``, one common wrong class takes all of ``1 - f_i`` (confidence ratio 1 > lam). So the model
is (eps, lam, p)-single, -WE and -MME confident with exactly this ``p`` (Definitions 8-10), and the moments of
the true-class law are exact (closed forms; ``Var(min_i f_i)`` by adaptive quadrature of the survival
function or by exact sums over atoms).

Monte-Carlo checks (Proposition D.1, Theorems 6-9, the Hoeffding remark, Proposition D.2) count correct
predictions of the actual ensemble decisions (Definitions 2-3) and alarm when the one-sided Clopper-Pearson
upper bound falls below the claimed lower bound; the check's false-alarm probability 1e-6 is split over its
instances (Bonferroni). Moment checks (Lemmas D.3, D.5, Fact D.1) compare sample means of bounded
variables with the exact values through the empirical Bernstein bound (Maurer and Pontil, 2009, Thm 4);
variances use the unbiased pair statistic ``(X - X')^2 / 2``. Lemma D.1 (exact CDFs), Lemma D.2 (on the
empirical measure of the drawn samples, for which it must hold exactly), Corollaries 5-6 (comparisons
of computed bounds) and Lemma D.4 (both sides of Eq. (46) evaluated directly; instances within 1e-9 of the
threshold are undecidable in floating point and skipped) are exact and deterministic.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import integrate, special, stats

from drt_min.seeding import numpy_stream
from theory import statistical as stat
from theory.smoothing import clopper_pearson_lower, clopper_pearson_upper
from verify.stats import FALSE_ALARM

from . import Check, CheckOutcome, Mutation, Profile
from ._common import mutation

__all__ = [
    "CHECKS",
    "Law",
    "Scenario",
    "law_sample",
    "law_cdf",
    "law_mean",
    "law_var",
    "law_min_var",
    "sample_confidences",
    "we_correct",
    "mme_correct",
    "single_correct",
    "empirical_bernstein_halfwidth",
    "general_scenarios",
    "uniform_scenarios",
]

TIE = 1e-12  # margins within this of 0 count as "<= 0" (rounding of exact ties such as f = B(lam))
_CHUNK = 20_000


# ---------------------------------------------------------------------------------------------
# laws of the true-class confidence
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Law:
    """A law on ``[center - half, center + half]``.

    kinds: ``uniform``; ``beta`` (Beta(shape, shape), U-shaped for shape < 1); ``truncnorm`` (normal cut at
    +-shape standard deviations); ``three_point`` (center -+ half with probability shape/2 each, center
    otherwise; Lemma D.1's extremal law); ``two_point`` (center +- half, 1/2 each); asymmetric:
    ``asym_beta`` (Beta(shape, shape2)) and ``asym_two_point`` (center - half with probability shape).
    """

    kind: str
    center: float
    half: float
    shape: float = 1.0
    shape2: float = 1.0

    @property
    def lo(self) -> float:
        return self.center - self.half

    @property
    def hi(self) -> float:
        return self.center + self.half

    @property
    def symmetric(self) -> bool:
        return not self.kind.startswith("asym")


def _atoms(law: Law) -> tuple[np.ndarray, np.ndarray] | None:
    if law.kind == "three_point":
        return np.array([law.lo, law.center, law.hi]), np.array([law.shape / 2, 1 - law.shape, law.shape / 2])
    if law.kind == "two_point":
        return np.array([law.lo, law.hi]), np.array([0.5, 0.5])
    if law.kind == "asym_two_point":
        return np.array([law.lo, law.hi]), np.array([law.shape, 1 - law.shape])
    return None


def _continuous(law: Law):
    width = 2 * law.half
    if law.kind == "uniform":
        return stats.uniform(loc=law.lo, scale=width)
    if law.kind == "beta":
        return stats.beta(law.shape, law.shape, loc=law.lo, scale=width)
    if law.kind == "asym_beta":
        return stats.beta(law.shape, law.shape2, loc=law.lo, scale=width)
    if law.kind == "truncnorm":
        return stats.truncnorm(-law.shape, law.shape, loc=law.center, scale=law.half / law.shape)
    raise ValueError(f"unknown law {law.kind!r}")


def law_sample(law: Law, rng: np.random.Generator, size) -> np.ndarray:
    """Draws of ``law`` (vectorised; truncated normals by inversion of the CDF)."""
    atoms = _atoms(law)
    if atoms is not None:
        values, probs = atoms
        return values[rng.choice(len(values), size=size, p=probs)]
    if law.kind == "uniform":
        return rng.uniform(law.lo, law.hi, size=size)
    if law.kind in ("beta", "asym_beta"):
        b = law.shape if law.kind == "beta" else law.shape2
        return law.lo + 2 * law.half * rng.beta(law.shape, b, size=size)
    if law.kind == "truncnorm":
        k = law.shape
        u = rng.uniform(special.ndtr(-k), special.ndtr(k), size=size)
        return np.clip(law.center + law.half / k * special.ndtri(u), law.lo, law.hi)
    raise ValueError(f"unknown law {law.kind!r}")


def law_cdf(law: Law, x: float) -> float:
    """Exact ``Pr(f <= x)`` (atoms included)."""
    atoms = _atoms(law)
    if atoms is not None:
        values, probs = atoms
        return float(probs[values <= x].sum())
    return float(_continuous(law).cdf(x))


def law_mean(law: Law) -> float:
    atoms = _atoms(law)
    if atoms is not None:
        return float(atoms[0] @ atoms[1])
    return float(_continuous(law).mean())


def law_var(law: Law) -> float:
    atoms = _atoms(law)
    if atoms is not None:
        values, probs = atoms
        return float(probs @ (values - values @ probs) ** 2)
    return float(_continuous(law).var())


@functools.lru_cache(maxsize=4096)
def law_min_var(law: Law, n: int) -> float:
    """Exact ``Var(min of n i.i.d. draws)``: sums over atoms, or adaptive quadrature of ``sf^n`` (error < 1e-11)."""
    atoms = _atoms(law)
    if atoms is not None:
        values, probs = atoms
        order = np.argsort(values)
        values, probs = values[order], probs[order]
        tail = np.cumsum(probs[::-1])[::-1]  # Pr(f >= v_k)
        pmf = tail**n - np.append(tail[1:], 0.0) ** n
        mean = pmf @ values
        return float(pmf @ (values - mean) ** 2)
    dist, lo = _continuous(law), law.lo
    m1 = integrate.quad(lambda x: dist.sf(x) ** n, lo, law.hi, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    m2 = integrate.quad(lambda x: 2 * (x - lo) * dist.sf(x) ** n, lo, law.hi, epsabs=1e-13, epsrel=1e-12,
                        limit=200)[0]
    return max(m2 - m1**2, 0.0)


# ---------------------------------------------------------------------------------------------
# confident ensembles and their decisions (Definitions 2-3, 8-10)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """An ensemble of ``n_members`` models on ``n_classes`` classes, (eps, lam, p)-confident by construction."""

    law: Law
    n_members: int
    n_classes: int
    lam: float
    p: float
    weights: tuple[float, ...]
    worst: bool = True

    @property
    def w(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64)


def _wrong_shares(sc: Scenario, rng: np.random.Generator, size: int) -> np.ndarray:
    """Shares of ``1 - f_i`` over the ``C - 1`` wrong classes on confident samples, shape (S, N, C - 1).

    The top share is at most ``lam``: the worst case puts exactly ``lam`` on wrong class 0 for every member and
    spreads the rest evenly (each part ``(1 - lam)/(C - 2) <= lam`` as ``lam >= 1/(C - 1)``); otherwise each
    member mixes a worst-case vector on its own random wrong class with the even split.
    """
    n, k = sc.n_members, sc.n_classes - 1
    if k == 1:
        return np.ones((size, n, 1))
    rest = (1.0 - sc.lam) / (k - 1)
    if sc.worst:
        shares = np.full((size, n, k), rest)
        shares[..., 0] = sc.lam
        return shares
    top = rng.integers(0, k, size=(size, n))
    peaked = np.full((size, n, k), rest)
    np.put_along_axis(peaked, top[..., None], sc.lam, axis=-1)
    theta = rng.uniform(size=(size, n, 1))
    return theta * peaked + (1 - theta) / k


def sample_confidences(sc: Scenario, rng: np.random.Generator, size: int):
    """``(conf (S, N, C), f (S, N), bad (S,))`` for the scenario; ``y0 = C - 1``."""
    f = law_sample(sc.law, rng, (size, sc.n_members))
    bad = rng.uniform(size=size) < sc.p
    shares = _wrong_shares(sc, rng, size)
    if bad.any():
        shares[bad] = 0.0
        shares[bad, :, 0] = 1.0
    conf = np.concatenate([(1.0 - f)[..., None] * shares, f[..., None]], axis=-1)
    return conf, f, bad


def we_correct(conf: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Definition 2: ``argmax_c sum_i w_i f_i(x)_c == y0`` (``y0`` last; ties go against it)."""
    scores = np.einsum("snc,n->sc", conf, weights)
    return np.argmax(scores, axis=-1) == conf.shape[-1] - 1


def mme_correct(conf: np.ndarray) -> np.ndarray:
    """Definition 3: the top class of the member with the largest top-1 minus top-2 margin is ``y0``."""
    top2 = np.partition(conf, -2, axis=-1)[..., -2:]
    member = np.argmax(top2[..., 1] - top2[..., 0], axis=-1)
    chosen = np.take_along_axis(conf, member[:, None, None], axis=1)[:, 0, :]
    return np.argmax(chosen, axis=-1) == conf.shape[-1] - 1


def single_correct(conf: np.ndarray) -> np.ndarray:
    """The first member alone (its true-class confidence has the same law)."""
    return np.argmax(conf[:, 0, :], axis=-1) == conf.shape[-1] - 1


# ---------------------------------------------------------------------------------------------
# scenarios
# ---------------------------------------------------------------------------------------------

_SYMMETRIC_KINDS = ("uniform", "beta", "truncnorm", "three_point")


def _random_shape(kind: str, rng: np.random.Generator) -> float:
    if kind == "beta":
        return float(np.exp(rng.uniform(np.log(0.05), np.log(5.0))))
    if kind == "truncnorm":
        return float(rng.uniform(0.5, 3.0))
    if kind == "three_point":
        return float(rng.uniform(0.05, 1.0))
    return 1.0


def _random_weights(n: int, rng: np.random.Generator) -> tuple[float, ...]:
    if rng.uniform() < 0.3:
        return (1.0,) * n
    w = rng.exponential(size=n) * (rng.uniform(size=n) > 0.2)
    if w.sum() <= 0:
        w[0] = 1.0
    return tuple(float(v) for v in w)


def _random_scenario(rng: np.random.Generator, kind: str, max_members: int = 10) -> Scenario:
    """A random confident ensemble: ``C`` in 2..8, ``lam`` in [1/(C-1), 1), mean above B(lam), support in [0, 1].

    A third of the scenarios keep the support inside [0, 1/2], where every bad sample is misclassified, so that
    ``p`` is felt by the decision.
    """
    c = int(rng.integers(2, 9))
    if c == 2:
        lam, p = 1.0, 0.0  # two classes: the ratio is always 1, so lam = 1 and p = 0
    else:
        lam = float(rng.uniform(1.0 / (c - 1), 0.98))
        p = 0.0 if rng.uniform() < 0.3 else float(rng.uniform(0.0, 0.3))
    level = lam / (1 + lam)
    top = 0.5 if (lam < 1 and rng.uniform() < 1 / 3) else 1.0
    mu = level + rng.uniform(0.1, 0.9) * (top - level)
    t = rng.uniform(0.4, 1.5)  # (mu - B) / half
    half = min(mu, top - mu, (mu - level) / t)
    law = Law(kind, float(mu), float(half), _random_shape(kind, rng))
    n = int(rng.integers(1, max_members + 1))
    return Scenario(law, n, c, lam, p, _random_weights(n, rng), worst=bool(rng.uniform() < 0.7))


def _fixed_general() -> list[Scenario]:
    """Extremal scenarios included in every run (they make the mutations fail)."""
    return [
        # Lemma D.1's three-point law on {B, mu, 2 mu - B}: Propositions/Theorems attained exactly at N = 1
        Scenario(Law("three_point", 0.7, 0.2, 0.5), 1, 2, 1.0, 0.0, (1.0,)),
        # U-shaped Beta: close to the two-point law, tail near Chebyshev's 1/2
        Scenario(Law("beta", 0.7, 0.21, 0.05), 1, 2, 1.0, 0.0, (1.0,)),
        # two-point law on {0, 1} with lam -> 0: Hoeffding's exponent constant 2 is nearly attained
        Scenario(Law("two_point", 0.5, 0.5), 1, 101, 0.01, 0.0, (1.0,)),
        # support in [0.2, 0.5] with p = 0.3: every bad sample is misclassified
        Scenario(Law("uniform", 0.35, 0.15), 3, 5, 0.25, 0.3, (1.0, 2.0, 0.5)),
        # ties at X = 0 with N = 2 (exact in floating point: f = 1/2, lam = 1)
        Scenario(Law("three_point", 0.7, 0.2, 0.9), 2, 2, 1.0, 0.0, (1.0, 1.0)),
    ]


def _fixed_asymmetric() -> list[Scenario]:
    """Asymmetric laws (symmetry dropped): f in {1/2, 1} with Pr(1/2) = 0.2, and a skewed Beta."""
    return [
        Scenario(Law("asym_two_point", 0.75, 0.25, 0.2), 1, 2, 1.0, 0.0, (1.0,)),
        Scenario(Law("asym_beta", 0.7, 0.2, 0.3, 3.0), 1, 2, 1.0, 0.0, (1.0,)),
        Scenario(Law("asym_two_point", 0.75, 0.25, 0.2), 3, 2, 1.0, 0.0, (1.0, 1.0, 1.0)),
    ]


def general_scenarios(count: int, seed: int) -> list[Scenario]:
    rng = numpy_stream(seed, "statistical:general-scenarios")
    kinds = rng.choice(_SYMMETRIC_KINDS, size=count)
    return _fixed_general() + [_random_scenario(rng, str(k)) for k in kinds]


def _fixed_uniform() -> list[Scenario]:
    return [
        Scenario(Law("uniform", 0.6, 0.3), 1, 2, 1.0, 0.0, (1.0,)),  # Prop. D.2 attained: Pr = 2/3
        Scenario(Law("uniform", 0.74, 0.26), 1, 2, 1.0, 0.0, (1.0,)),  # a just below B: Theorems 8-9 near-tight
        Scenario(Law("uniform", 0.74, 0.26), 3, 2, 1.0, 0.0, (1.0, 1.0, 1.0)),
        Scenario(Law("uniform", 0.8, 0.2), 1, 2, 1.0, 0.0, (1.0,)),  # a > B: the clip is needed
        Scenario(Law("uniform", 0.35, 0.15), 3, 5, 0.25, 0.3, (1.0, 2.0, 0.5)),  # p felt by the decision
    ]


def uniform_scenarios(count: int, seed: int) -> list[Scenario]:
    rng = numpy_stream(seed, "statistical:uniform-scenarios")
    return _fixed_uniform() + [_random_scenario(rng, "uniform") for _ in range(count)]


def _u_shaped(sc: Scenario) -> Scenario:
    """The same support with a U-shaped symmetric Beta(0.05, 0.05) instead of the uniform law."""
    return replace(sc, law=Law("beta", sc.law.center, sc.law.half, 0.05))


# ---------------------------------------------------------------------------------------------
# tallies of the ensemble decisions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Counts over ``samples`` draws, per model ("single", "we", "mme")."""

    samples: int
    correct: dict
    not_confident: dict  # confidence ratio > lam (empirical p times samples)
    margin_le: dict  # X <= TIE
    margin_lt: dict  # X < -TIE
    pointwise: dict  # confident, X > TIE, yet misclassified (Lemma D.2 says never)


def _margins(sc: Scenario, f: np.ndarray) -> dict:
    lam = sc.lam
    return {"single": (1 + lam) * f[:, 0] - lam, "we": stat.we_margin(f, sc.w, lam), "mme": stat.mme_margin(f, lam)}


def _ratios(sc: Scenario, conf: np.ndarray) -> dict:
    y0 = sc.n_classes - 1
    return {"single": stat.single_confidence_ratio(conf[:, 0, :], y0), "we": stat.we_confidence_ratio(conf, sc.w, y0),
            "mme": stat.mme_confidence_ratio(conf, y0)}


def _tally(sc: Scenario, samples: int, rng: np.random.Generator) -> Tally:
    keys = ("single", "we", "mme")
    acc = {name: {k: 0 for k in keys} for name in ("correct", "not_confident", "margin_le", "margin_lt", "pointwise")}
    done = 0
    while done < samples:
        size = min(_CHUNK, samples - done)
        conf, f, _ = sample_confidences(sc, rng, size)
        correct = {"single": single_correct(conf), "we": we_correct(conf, sc.w), "mme": mme_correct(conf)}
        margins, ratios = _margins(sc, f), _ratios(sc, conf)
        for k in keys:
            confident = ratios[k] <= sc.lam
            acc["correct"][k] += int(correct[k].sum())
            acc["not_confident"][k] += int((~confident).sum())
            acc["margin_le"][k] += int((margins[k] <= TIE).sum())
            acc["margin_lt"][k] += int((margins[k] < -TIE).sum())
            acc["pointwise"][k] += int((confident & (margins[k] > TIE) & ~correct[k]).sum())
        done += size
    return Tally(samples, **acc)


def _ensemble_samples(profile: Profile) -> int:
    """Samples per instance: the profile's on ci; a quarter on thorough, which has ten times the instances."""
    return profile.samples if profile.name == "ci" else profile.samples // 4


@functools.lru_cache(maxsize=16)
def _family(name: str, profile: Profile, seed: int) -> tuple[tuple[Scenario, Tally], ...]:
    """Scenarios of a family with their tallies; cached so that mutations reuse the samples."""
    makers = {
        "general": lambda: general_scenarios(profile.instances, seed),
        "asymmetric": _fixed_asymmetric,
        "uniform": lambda: uniform_scenarios(profile.instances, seed),
        "u_shaped": lambda: [_u_shaped(sc) for sc in uniform_scenarios(profile.instances, seed)],
    }
    scenarios = makers[name]()
    rng = numpy_stream(seed, "statistical:ensemble", len(name))
    samples = _ensemble_samples(profile)
    return tuple((sc, _tally(sc, samples, rng)) for sc in scenarios)


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
    pairs = list(_family("general", profile, seed))
    if with_asymmetric:
        pairs += list(_family("asymmetric", profile, seed))
    return pairs


def _level(sc: Scenario) -> float:
    return sc.lam / (1 + sc.lam)


def _prop_d1_bound(scale: float = 1.0, use_p: bool = True):
    def bound(sc):
        mu, level = law_mean(sc.law), _level(sc)
        if mu <= level:
            return None
        return (1 - (sc.p if use_p else 0.0)) - scale * law_var(sc.law) / (2 * (mu - level) ** 2)
    return bound


def _theorem6_bound(scale: float = 1.0, use_p: bool = True):
    def bound(sc):
        mu, level = law_mean(sc.law), _level(sc)
        if mu <= level:
            return None
        penalty = 1 - sc.p - float(stat.we_bound(sc.p, mu, math.sqrt(law_var(sc.law)), sc.lam, sc.w))
        return (1 - (sc.p if use_p else 0.0)) - scale * penalty
    return bound


def _theorem7_bound(scale: float = 1.0, use_p: bool = True):
    def bound(sc):
        mu, level = law_mean(sc.law), _level(sc)
        if mu <= level:
            return None
        s_f = math.sqrt(law_min_var(sc.law, sc.n_members) + 1e-11)  # quadrature error on the safe side
        penalty = 1 - sc.p - float(stat.mme_bound(sc.p, mu, s_f, sc.lam))
        return (1 - (sc.p if use_p else 0.0)) - scale * penalty
    return bound


def _hoeffding_bound(exponent_scale: float = 1.0):
    def bound(sc):
        mu, level = law_mean(sc.law), _level(sc)
        if mu <= level:
            return None
        return 1 - sc.p - math.exp(-2 * exponent_scale * (mu - level) ** 2 / float(stat.weight_ratio(sc.w)))
    return bound


def _symmetric_run(model: str, bound_of):
    """The check of a bound for symmetric laws (Proposition D.1, Theorems 6-7), as a function of its perturbation:
    the penalty scaled, p dropped, asymmetric laws added, the inequality flipped."""
    def run(scale=1.0, use_p=True, asym=False, at_most=False):
        return lambda profile, seed: _lower_bound_check(_symmetric_pairs(profile, seed, asym), model,
                                                        bound_of(scale, use_p), at_most=at_most)
    return run


_run_prop_d1 = _symmetric_run("single", _prop_d1_bound)
_run_theorem6 = _symmetric_run("we", _theorem6_bound)
_run_theorem7 = _symmetric_run("mme", _theorem7_bound)


def _symmetric_mutations(run) -> tuple[Mutation, ...]:
    """Proposition D.1 and Theorems 6-7 perturbed: the penalty halved, p dropped, the symmetry assumption dropped."""
    return (Mutation("penalty halved", run(scale=0.5)), Mutation("p dropped", run(use_p=False)),
            Mutation("symmetry dropped", run(asym=True)))


def _run_hoeffding(exponent_scale=1.0, at_most=False):
    # no symmetry is needed: the asymmetric laws are included
    return lambda profile, seed: _lower_bound_check(_symmetric_pairs(profile, seed, True), "we",
                                                    _hoeffding_bound(exponent_scale), at_most=at_most)


# uniform case (Appendix D.4)


def _ab(sc: Scenario) -> tuple[float, float]:
    return sc.law.lo, sc.law.hi


def _prop_d2_bound(clip: bool = True, scale: float = 1.0, use_p: bool = True):
    def bound(sc):
        a, b = _ab(sc)
        frac = (_level(sc) - a) / (b - a)
        frac = min(max(frac, 0.0), 1.0) if clip else frac
        return (1 - (sc.p if use_p else 0.0)) - scale * frac
    return bound


def _theorem8_bound(denominator: float = 24.0, use_p: bool = True):
    def bound(sc):
        a, b = _ab(sc)
        if (a + b) / 2 <= _level(sc):
            return None
        penalty = 1 - sc.p - float(stat.uniform_we_bound(sc.p, a, b, sc.lam, sc.w))  # d_w K1^2 / 24
        return (1 - (sc.p if use_p else 0.0)) - penalty * 24.0 / denominator
    return bound


def _theorem9_bound(exact: bool = True, scale: float = 1.0, use_p: bool = True):
    def bound(sc):
        a, b = _ab(sc)
        if (a + b) / 2 <= _level(sc):
            return None
        penalty = 1 - sc.p - float(stat.uniform_mme_bound(sc.p, a, b, sc.lam, sc.n_members, exact=exact))
        return (1 - (sc.p if use_p else 0.0)) - scale * penalty
    return bound


def _uniform_run(model: str, bound, family: str = "uniform", at_most: bool = False,
                 false_alarm: float = FALSE_ALARM):
    return lambda profile, seed: _lower_bound_check(list(_family(family, profile, seed)), model, bound,
                                                    at_most=at_most, false_alarm=false_alarm)


def _uniform_mutations(model: str, bound_of) -> tuple[Mutation, ...]:
    """Theorems 8-9 perturbed: p dropped, the uniform law replaced by a U-shaped Beta, the inequality flipped."""
    return (Mutation("p dropped", _uniform_run(model, bound_of(use_p=False))),
            Mutation("uniform assumption dropped (U-shaped Beta on [a, b])",
                     _uniform_run(model, bound_of(), family="u_shaped")),
            Mutation("inequality flipped", _uniform_run(model, bound_of(), at_most=True)))


def _both(model: str, first, second):
    """Two claims on the same samples, each at half the false-alarm budget; both must pass."""
    def run(profile, seed):
        a = _uniform_run(model, first, false_alarm=FALSE_ALARM / 2)(profile, seed)
        b = _uniform_run(model, second, false_alarm=FALSE_ALARM / 2)(profile, seed)
        return CheckOutcome(a.passed and b.passed, a.samples + b.samples, a.false_alarm + b.false_alarm,
                            f"{a.detail} | {b.detail}")
    return run


# ---------------------------------------------------------------------------------------------
# Lemma D.2 on the empirical measure (exact)
# ---------------------------------------------------------------------------------------------


def _run_lemma_d2(strict: bool = False, use_p: bool = True, flipped: bool = False):
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


# ---------------------------------------------------------------------------------------------
# Lemma D.1 with exact CDFs
# ---------------------------------------------------------------------------------------------


def _lemma_d1_laws(count: int, seed: int, symmetric: bool = True) -> list[Law]:
    """Random laws symmetric about a positive mean (or, with ``symmetric=False``, skewed ones)."""
    rng = numpy_stream(seed, "statistical:lemma-d1-laws")
    fixed = [Law("three_point", 1.0, 1.0, 0.2), Law("three_point", 0.5, 0.5, 1.0), Law("uniform", 1.0, 0.5),
             Law("two_point", 1.0, 2.0)]
    if not symmetric:
        fixed = [Law("asym_two_point", 0.5, 0.5, 0.2), Law("asym_beta", 0.6, 0.6, 0.3, 3.0)]
    laws = []
    for _ in range(count):
        kind = str(rng.choice(_SYMMETRIC_KINDS + ("two_point",))) if symmetric else str(
            rng.choice(["asym_two_point", "asym_beta"]))
        center = float(np.exp(rng.uniform(-3, 2)))
        half = center * float(np.exp(rng.uniform(-1.5, 1.5)))
        shape = _random_shape(kind, rng)
        if kind == "asym_two_point":
            shape = float(rng.uniform(0.05, 0.45))
        laws.append(Law(kind, center, half, shape, float(rng.uniform(2.0, 6.0))))
    return fixed + laws


def _run_lemma_d1(factor: float = 0.5, flipped: bool = False, symmetric: bool = True):
    """``Pr(X <= 0) <= factor Var X / (E X)^2`` (factor 1/2 in the lemma), exactly, on random laws.

    Also checks sharpness: the three-point law on {0, EX, 2 EX} attains the bound, and no law exceeds
    ``min(1/2, bound)``.
    """
    def run(profile, seed):
        laws = _lemma_d1_laws(profile.instances, seed, symmetric)
        failures, attained = [], 0
        for law in laws:
            mean, var = law_mean(law), law_var(law)
            tail, bound = law_cdf(law, 0.0), factor * var / mean**2
            ok = tail >= bound - 1e-12 if flipped else tail <= bound + 1e-12
            if not flipped and symmetric:
                ok = ok and tail <= float(stat.symmetric_tail_sup(mean, var)) + 1e-12
            if law.kind == "three_point" and abs(law.half - law.center) < 1e-15:
                attained += abs(tail - bound) < 1e-12
            if not ok:
                failures.append(f"{law}: Pr(X <= 0) = {tail:.6g} vs {'>=' if flipped else '<='} {bound:.6g}")
        detail = (f"{len(laws)} laws, exact CDFs; bound attained by {attained} three-point laws"
                  + (f"; {len(failures)} fail, first: {failures[0]}" if failures else ""))
        return CheckOutcome(not failures, 0, 0.0, detail)
    return run


# ---------------------------------------------------------------------------------------------
# moments (Lemma D.3, Lemma D.5, Fact D.1) with empirical Bernstein bounds
# ---------------------------------------------------------------------------------------------


def empirical_bernstein_halfwidth(z: np.ndarray, value_range: float, delta: float) -> float:
    """Two-sided half-width for the mean of i.i.d. ``z`` in an interval of length ``value_range``.

    Maurer and Pontil (2009), Theorem 4, on each side at ``delta/2``: with probability at least ``1 - delta``,
    ``|E z - mean(z)| <= sqrt(2 V ln(4/delta) / n) + 7 R ln(4/delta) / (3 (n - 1))`` with ``V`` the unbiased sample
    variance and ``R`` the range.
    """
    return _Summary.of(np.asarray(z, dtype=np.float64), value_range).halfwidth(delta)


@dataclass(frozen=True)
class _Summary:
    """Sample mean, unbiased sample variance, count and range of a bounded i.i.d. sample."""

    mean: float
    var: float
    n: int
    value_range: float

    @classmethod
    def of(cls, z: np.ndarray, value_range: float) -> "_Summary":
        if z.size < 2 or value_range <= 0:
            raise ValueError("need n >= 2 and a positive range")
        return cls(float(np.mean(z)), float(np.var(z, ddof=1)), int(z.size), float(value_range))

    def halfwidth(self, delta: float) -> float:
        log_term = math.log(4 / delta)
        return math.sqrt(2 * self.var * log_term / self.n) + 7 * self.value_range * log_term / (3 * (self.n - 1))


@dataclass(frozen=True)
class _Claim:
    """A moment claim: E z vs ``value`` with ``side`` '=', '<=' (E z <= value) or '>=' (E z >= value)."""

    name: str
    summary: _Summary
    value: float
    side: str = "="


def _claim_ok(claim: _Claim, delta: float) -> tuple[bool, float]:
    """Whether the claim survives a two-sided band at ``delta``; also the relative excess over the band."""
    mean, half = claim.summary.mean, claim.summary.halfwidth(delta)
    scale = max(abs(claim.value), 1e-300)
    if claim.side == "=":
        return abs(mean - claim.value) <= half, (abs(mean - claim.value) - half) / scale
    if claim.side == "<=":
        return mean - half <= claim.value, (mean - half - claim.value) / scale
    return mean + half >= claim.value, (claim.value - mean - half) / scale


def _pair_variance(x: np.ndarray) -> np.ndarray:
    """``(X - X')^2 / 2`` over disjoint halves: i.i.d. with mean ``Var X``."""
    half = x.size // 2
    return (x[:half] - x[half: 2 * half]) ** 2 / 2


def _moment_check(instances, claims_of) -> CheckOutcome:
    """Run every claim of every instance at a Bonferroni share of the false-alarm budget."""
    all_claims = [(inst, c) for inst in instances for c in claims_of(inst)]
    delta = FALSE_ALARM / len(all_claims)
    failures, samples, worst = [], 0, -math.inf
    for inst, claim in all_claims:
        ok, excess = _claim_ok(claim, delta)
        worst = max(worst, excess)
        samples += claim.summary.n
        if not ok:
            failures.append(f"{claim.name} ({inst.law.kind}, N={inst.n}): mean {claim.summary.mean:.6g} vs "
                            f"{claim.side} {claim.value:.6g}")
    detail = (f"{len(instances)} instances, {len(all_claims)} moment claims, largest relative excess over the "
              f"confidence band {worst:+.3f}" + (f"; {len(failures)} fail, first: {failures[0]}" if failures else ""))
    return CheckOutcome(not failures, samples, FALSE_ALARM, detail)


@dataclass(frozen=True)
class _MomentInstance:
    law: Law
    n: int
    lam: float
    weights: tuple[float, ...]
    stats: dict  # name -> _Summary for x1, x1var, x2, x2var, min_var, max_var

    @property
    def w(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64)


def _summaries(law: Law, lam: float, w: np.ndarray, f: np.ndarray) -> dict:
    width = law.hi - law.lo
    x1, x2 = stat.we_margin(f, w, lam), stat.mme_margin(f, lam)
    r1, r2 = (1 + lam) * w.sum() * width, 2 * (1 + lam) * width
    return {"x1": _Summary.of(x1, r1), "x1var": _Summary.of(_pair_variance(x1), r1**2 / 2),
            "x2": _Summary.of(x2, r2), "x2var": _Summary.of(_pair_variance(x2), r2**2 / 2),
            "min_var": _Summary.of(_pair_variance(f.min(axis=1)), width**2 / 2),
            "max_var": _Summary.of(_pair_variance(f.max(axis=1)), width**2 / 2)}


@functools.lru_cache(maxsize=16)
def _moment_instances(profile: Profile, seed: int, kinds: tuple[str, ...], stream: str,
                      symmetric: bool = True) -> tuple[_MomentInstance, ...]:
    """Random laws centred in [0.2, 0.8] inside [0, 1], N in 1..10 (N = 1 for every fourth), lam, weights;
    f (S, N) drawn from the law and reduced to summaries (cached, so mutations reuse the samples)."""
    rng = numpy_stream(seed, stream)
    out = []
    for i in range(profile.instances):
        kind = kinds[i % len(kinds)]
        center = float(rng.uniform(0.2, 0.8))
        half = float(rng.uniform(0.1, 1.0)) * min(center, 1 - center)
        shape = _random_shape(kind, rng) if symmetric else float(rng.uniform(0.3, 0.6))
        law = Law(kind, center, half, shape, float(rng.uniform(2.5, 5.0)))
        n = 1 if i % 4 == 0 else int(rng.integers(2, 11))
        lam = float(np.exp(rng.uniform(np.log(0.1), np.log(5.0))))
        w = np.asarray(_random_weights(n, rng))
        f = law_sample(law, rng, (_ensemble_samples(profile), n))
        out.append(_MomentInstance(law, n, lam, tuple(w), _summaries(law, lam, w, f)))
    return tuple(out)


def _lemma_d3_claims(var1_scale=1.0, mean2_offset=2.0, upper=4.0, lower=2.0):
    def claims(inst: _MomentInstance):
        law, n, lam, w, z = inst.law, inst.n, inst.lam, inst.w, inst.stats
        mu, s, s_f2 = law_mean(law), math.sqrt(law_var(law)), law_min_var(law, n)
        e1, v1 = stat.we_margin_moments(mu, s, lam, w)
        _, v2_upper = stat.mme_margin_moments(mu, math.sqrt(s_f2), lam)
        return [
            _Claim("E X1", z["x1"], float(e1)),
            _Claim("Var X1", z["x1var"], var1_scale * float(v1)),
            _Claim("E X2", z["x2"], 2 * (1 + lam) * mu - mean2_offset * lam),
            _Claim("Var X2 upper", z["x2var"], float(v2_upper) * upper / 4, "<="),
            _Claim("Var X2 lower", z["x2var"], float(v2_upper) * lower / 4, ">="),
        ]
    return claims


def _run_lemma_d3(symmetric=True, **kw):
    kinds = _SYMMETRIC_KINDS if symmetric else ("asym_beta",)
    instances = functools.partial(_moment_instances, kinds=kinds, stream="statistical:lemma-d3-moments",
                                  symmetric=symmetric)
    return lambda profile, seed: _moment_check(instances(profile, seed),
                                               _lemma_d3_claims(**kw))


def _lemma_d5_claims(var1_denominator=12.0, exact_var2=True, mean1_half=0.5):
    def claims(inst: _MomentInstance):
        a, b, n, lam, w, z = inst.law.lo, inst.law.hi, inst.n, inst.lam, inst.w, inst.stats
        l1 = w.sum()
        _, v1 = stat.uniform_we_margin_moments(a, b, lam, w)
        e2, v2_exact = stat.uniform_mme_margin_moments(a, b, lam, n, exact=True)
        _, v2_printed = stat.uniform_mme_margin_moments(a, b, lam, n)
        return [
            _Claim("E X1", z["x1"], mean1_half * (1 + lam) * l1 * (a + b) - lam * l1),
            _Claim("Var X1", z["x1var"], float(v1) * 12.0 / var1_denominator),
            _Claim("E X2", z["x2"], float(e2)),
            _Claim("Var X2", z["x2var"], float(v2_exact) if exact_var2 else float(v2_printed)),
            _Claim("Var X2 <= printed", z["x2var"], float(v2_printed), "<="),
        ]
    return claims


def _run_lemma_d5(**kw):
    return lambda profile, seed: _moment_check(_moment_instances(profile, seed, ("uniform",),
                                                                         "statistical:lemma-d5-moments"),
                                               _lemma_d5_claims(**kw))


def _fact_d1_claims(scale=1.0, shift=0):
    def claims(inst: _MomentInstance):
        value = scale * float(stat.uniform_extreme_variance(inst.law.lo, inst.law.hi, inst.n + shift))
        return [_Claim("Var min", inst.stats["min_var"], value), _Claim("Var max", inst.stats["max_var"], value)]
    return claims


def _run_fact_d1(**kw):
    return lambda profile, seed: _moment_check(_moment_instances(profile, seed, ("uniform",),
                                                                         "statistical:fact-d1-moments"),
                                               _fact_d1_claims(**kw))


# ---------------------------------------------------------------------------------------------
# Corollaries 5 and 6: comparisons of computed certificates (exact, deterministic)
# ---------------------------------------------------------------------------------------------

_REL = 1e-9  # ratios this close to a threshold are not judged (rounding)


def _lambda1_grid(mu: float, rng: np.random.Generator, count: int = 24) -> np.ndarray:
    top = mu / (1 - mu) * 0.999
    return np.sort(np.concatenate([np.geomspace(top * 1e-6, top, count // 2),
                                   rng.uniform(0, top, count - count // 2) + 1e-12]))


def _weight_sets(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    one_hot = np.zeros(n)
    one_hot[0] = 1.0
    return [one_hot, np.ones(n)] + [rng.exponential(size=n) + 1e-3 for _ in range(3)]


def _comparison_check(instances, describe, labels=("decided 'WE better'", "decided 'MME better'")) -> CheckOutcome:
    """``instances`` yields (ok, first condition, second condition, failure text) per parameter point; both
    conditions must occur somewhere, or the check is vacuous and fails."""
    failures, counts = [], np.zeros(2, dtype=int)
    total = 0
    for ok, we_dec, mme_dec, text in instances:
        total += 1
        counts += (we_dec, mme_dec)
        if not ok:
            failures.append(text)
    vacuous = counts.min() == 0
    detail = (f"{total} parameter points; {counts[0]} {labels[0]}, {counts[1]} {labels[1]}; {describe}"
              + (f"; {len(failures)} fail, first: {failures[0]}" if failures else "")
              + ("; vacuous (a bullet never applied)" if vacuous else ""))
    return CheckOutcome(not failures and not vacuous, 0, 0.0, detail)


def _corollary5_points(profile: Profile, seed: int, c1_sqrt_n: bool = False, c2_sqrt_n: bool = True):
    rng = numpy_stream(seed, "statistical:corollary5")
    for i in range(profile.instances):
        kind = str(_SYMMETRIC_KINDS[i % len(_SYMMETRIC_KINDS)])
        mu = float(rng.uniform(0.55, 0.95))
        law = Law(kind, mu, float(rng.uniform(0.1, 1.0)) * min(mu, 1 - mu), _random_shape(kind, rng))
        n = int(rng.integers(1, 13))
        s, s_f = math.sqrt(law_var(law)), math.sqrt(law_min_var(law, n))
        lam2 = float(rng.uniform(0.02, 0.98)) * mu / (1 - mu)
        c1 = (math.sqrt(n) if c1_sqrt_n else 1.0) * s_f / s
        c2 = (math.sqrt(n) if c2_sqrt_n else 1.0) * s_f / s
        thr1, thr2 = float(stat.lemma_d4_threshold(mu, lam2, c1)), float(stat.lemma_d4_threshold(mu, lam2, c2))
        weights = _weight_sets(n, rng)
        for lam1 in _lambda1_grid(mu, rng):
            ratio = lam1 / lam2
            mme = float(stat.mme_bound(0.0, mu, s_f, lam2))
            we = np.array([float(stat.we_bound(0.0, mu, s, lam1, w)) for w in weights])
            we_dec = ratio < thr1 * (1 - _REL) - 1e-15
            mme_dec = ratio > thr2 * (1 + _REL) + 1e-15
            ok = (not we_dec or np.all(we > mme)) and (not mme_dec or np.all(mme > we))
            # remark (2): for equal weights the second threshold alone decides
            equal_gap = mme - we[1]
            if c2_sqrt_n and abs(ratio - thr2) > _REL * max(abs(thr2), 1e-12) and abs(equal_gap) > 1e-12:
                ok = ok and ((equal_gap > 0) == (ratio > thr2))
            yield ok, we_dec, mme_dec, (f"{law.kind} N={n} mu={mu:.4f} lam1={lam1:.4g} lam2={lam2:.4g}: "
                                        f"thresholds {thr1:.4g}, {thr2:.4g}; WE {we.min():.6f}..{we.max():.6f}, "
                                        f"MME {mme:.6f}")


def _run_corollary5(**kw):
    return lambda profile, seed: _comparison_check(_corollary5_points(profile, seed, **kw),
                                                   "Theorem 6 for one-hot, equal and random weights vs Theorem 7")


def _uniform_parameters(rng: np.random.Generator):
    a = float(rng.uniform(0.0, 0.8))
    b = float(rng.uniform(a + 0.05, 1.0))
    mu = (a + b) / 2
    lam2 = float(rng.uniform(0.02, 0.98)) * mu / (1 - mu)
    return a, b, mu, lam2


def _corollary6_points(profile: Profile, seed: int, scale1: float = 12.0, scale2: float = 12.0):
    rng = numpy_stream(seed, "statistical:corollary6")
    for _ in range(profile.instances):
        a, b, mu, lam2 = _uniform_parameters(rng)
        n = int(rng.integers(1, 31))
        thr1, _ = stat.corollary6_thresholds(mu, lam2, n, scale=scale1)
        _, thr2 = stat.corollary6_thresholds(mu, lam2, n, scale=scale2)
        thr1, thr2 = float(thr1), float(thr2)
        weights = _weight_sets(n, rng)
        mme = float(stat.uniform_mme_bound(0.0, a, b, lam2, n))
        for lam1 in _lambda1_grid(mu, rng):
            ratio = lam1 / lam2
            we = np.array([float(stat.uniform_we_bound(0.0, a, b, lam1, w)) for w in weights])
            we_dec = ratio < thr1 * (1 - _REL) - 1e-15
            mme_dec = ratio > thr2 * (1 + _REL) + 1e-15
            ok = (not we_dec or np.all(we > mme)) and (not mme_dec or np.all(mme > we))
            yield ok, we_dec, mme_dec, (f"U[{a:.4f}, {b:.4f}] N={n} lam1={lam1:.4g} lam2={lam2:.4g}: thresholds "
                                        f"{thr1:.4g}, {thr2:.4g}; WE {we.min():.6f}..{we.max():.6f}, MME {mme:.6f}")


def _run_corollary6_bullets(scale1=12.0, scale2=12.0):
    return lambda profile, seed: _comparison_check(
        _corollary6_points(profile, seed, scale1, scale2),
        f"Theorem 8 (/24) vs Theorem 9 (c_N K2^2/2), Lemma D.4 with C^2 = {scale1:g} c_N and {scale2:g} N c_N")


def _corollary6_bullet3_points(profile: Profile, seed: int, scale: float = 12.0):
    """Premise ``N > scale (1 - B(lam2)/mu)^-2 - 2``; claim: Eq. (50) >= Eq. (49) for every lam1 and weights."""
    rng = numpy_stream(seed, "statistical:corollary6-bullet3")
    ledger_example = (0.6, 1.0, 0.8, 0.25)  # N = 10 > 8.67 (printed premise), yet WE's certificate is larger
    for i in range(profile.instances + 1):
        a, b, mu, lam2 = ledger_example if i == 0 else _uniform_parameters(rng)
        n12 = float(stat.corollary6_min_n(mu, lam2))
        n_min = float(stat.corollary6_min_n(mu, lam2, scale=scale))
        if n12 > 400:
            continue  # keep N moderate
        # N spread over both sides of the premise, plus the smallest N it admits
        candidates = {int(math.floor(n_min)) + 1, int(math.floor(n12)) + 1, int(rng.integers(1, int(1.5 * n12) + 3))}
        for n in sorted(candidates | ({10} if i == 0 else set())):
            if n < 1:
                continue
            premise = n > n_min
            mme = float(stat.uniform_mme_bound(0.0, a, b, lam2, n))
            weights = [np.ones(n)] + [rng.exponential(size=n) + 1e-3 for _ in range(2)]
            lam1s = np.concatenate([[1e-12], _lambda1_grid(mu, rng, 12)])
            we = np.array([[float(stat.uniform_we_bound(0.0, a, b, l1, w)) for w in weights] for l1 in lam1s])
            dominates = bool(np.all(mme >= we - 1e-12))
            ok = dominates or not premise
            # the exact condition: MME >= WE for every lam1 iff 12 N^2/((N+1)^2(N+2)) <= (1 - B/mu)^2
            exact = bool(stat.corollary6_mme_dominates(mu, lam2, n))
            if abs(mme - we[0, 0]) > 1e-9:
                ok = ok and exact == (mme >= we[0, 0])
            yield ok, premise, exact, (f"U[{a:.4f}, {b:.4f}] (mu = {mu:.4f}) lam2={lam2:.4g} (B/mu = "
                                       f"{lam2 / (1 + lam2) / mu:.4f}) N={n} > {n_min:.3f}: MME {mme:.6f} < WE "
                                       f"{we.max():.6f} at lam1 -> 0, equal weights")


def _run_corollary6_bullet3(scale=12.0):
    return lambda profile, seed: _comparison_check(
        _corollary6_bullet3_points(profile, seed, scale),
        "MME >= WE checked for lam1 in [1e-12, mu/(1-mu)) and equal and random weights",
        labels=(f"meet the premise N > {scale:g} (1 - B/mu)^-2 - 2", "meet the exact condition"))


# ---------------------------------------------------------------------------------------------
# Lemma D.4 (exact up to floating point)
# ---------------------------------------------------------------------------------------------


def _lemma_d4(profile: Profile, seed: int, c_scale: float = 1.0) -> CheckOutcome:
    """Lemma D.4, Eq. (46): ratio < C iff lam1/lam2 < threshold(C), on random (mu, lam1, lam2, C) with C up to 3."""
    rng = numpy_stream(seed, "statistical:lemma-d4")
    n = profile.samples
    lam1, lam2 = np.exp(rng.uniform(-4, 2, size=(2, n)))
    lo = np.maximum(stat.confidence_level(lam1), stat.confidence_level(lam2))
    mu = rng.uniform(lo, 1.0)
    c = np.exp(rng.uniform(np.log(0.05), np.log(3.0), size=n))
    left = stat.lemma_d4_ratio(mu, lam1, lam2) - c
    right = lam1 / lam2 - stat.lemma_d4_threshold(mu, lam2, c * c_scale)
    decided = (np.abs(left) > 1e-9) & (np.abs(right) > 1e-9)
    agree = np.sign(left[decided]) == np.sign(right[decided])
    return CheckOutcome(bool(agree.all()), int(decided.sum()), 0.0,
                        f"{int((~agree).sum())} disagreements among {int(decided.sum())} decided instances "
                        f"(C > 1 in {int((c[decided] > 1).sum())})")


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------

_MC = "Clopper-Pearson on the actual ensemble decisions; models confident by construction with exact p, mu, s, s_f"

CHECKS = [
    Check(
        ledger_id="lemD1", name="lemma_d1_exact_tails",
        ground_truth="exact CDFs of random symmetric laws (uniform, symmetric Beta, truncated normal, two- and "
                     "three-point), including atoms at 0",
        paper_claim="Pr(X <= 0) <= Var X / (2 (EX)^2) for X symmetric about EX > 0",
        our_claim="same, and sharp: attained by the three-point law on {0, EX, 2EX}; sup = min(1/2, bound)",
        run=_run_lemma_d1(),
        mutations=(Mutation("constant halved (1/4)", _run_lemma_d1(factor=0.25)),
                   Mutation("inequality flipped", _run_lemma_d1(flipped=True)),
                   Mutation("symmetry dropped (skewed laws)", _run_lemma_d1(symmetric=False))),
    ),
    Check(
        ledger_id="propD1", name="prop_d1_single_model_sampled",
        ground_truth=_MC,
        paper_claim="Pr(F correct) >= 1 - p - s^2 / (2 (mu - B(lam3))^2)",
        our_claim="same (attained at the three-point law with p = 0)",
        run=_run_prop_d1(),
        mutations=_symmetric_mutations(_run_prop_d1),
    ),
    Check(
        ledger_id="lemD2", name="lemma_d2_empirical_measure",
        ground_truth="exact counts on the empirical law of the drawn samples (the lemma holds for every law of eps): "
                     "confident and X > 0 implies correct, and #correct >= S - #not-confident - #(X <= 0)",
        paper_claim="Pr(correct) >= 1 - p - Pr(X < 0) for WE (X1) and MME (X2)",
        our_claim="Pr(correct) >= 1 - p - Pr(X <= 0); the strict form fails on ties",
        run=_run_lemma_d2(),
        mutations=(Mutation("printed strict Pr(X < 0)", _run_lemma_d2(strict=True)),
                   Mutation("p dropped", _run_lemma_d2(use_p=False)),
                   Mutation("inequality flipped", _run_lemma_d2(flipped=True))),
    ),
    Check(
        ledger_id="lemD3", name="lemma_d3_margin_moments",
        ground_truth="sample moments of X1, X2 (pair statistic for variances) vs exact mu, s^2 and Var(min) "
                     "(quadrature); empirical Bernstein bounds",
        paper_claim="E X1, Var X1 = (1+lam1)^2 s^2 ||w||_2^2, E X2 = 2(1+lam2) mu - 2 lam2, "
                    "Var X2 <= 4(1+lam2)^2 s_f^2",
        our_claim="same, and Var X2 >= 2(1+lam2)^2 s_f^2 (the upper bound is attained only at N = 1)",
        run=_run_lemma_d3(),
        mutations=(Mutation("Var X1 doubled", _run_lemma_d3(var1_scale=2.0)),
                   Mutation("E X2 with lam2 instead of 2 lam2", _run_lemma_d3(mean2_offset=1.0)),
                   Mutation("Var X2 bound constant 4 -> 2", _run_lemma_d3(upper=2.0)),
                   Mutation("lower constant 2 -> 4 (bound claimed attained)", _run_lemma_d3(lower=4.0)),
                   Mutation("symmetry dropped", _run_lemma_d3(symmetric=False))),
    ),
    Check(
        ledger_id="thm6", name="theorem6_we_sampled",
        ground_truth=_MC,
        paper_claim="Pr(M_WE correct) >= 1 - p - d_w s^2 / (2 (mu - B(lam1))^2)",
        our_claim="same (attained at N = 1 by the three-point law)",
        run=_run_theorem6(),
        mutations=_symmetric_mutations(_run_theorem6),
    ),
    Check(
        ledger_id="thm7", name="theorem7_mme_sampled",
        ground_truth=_MC,
        paper_claim="Pr(M_MME correct) >= 1 - p - s_f^2 / (2 (mu - B(lam2))^2), s_f^2 = Var(min_i f_i)",
        our_claim="same (attained at N = 1 by the three-point law)",
        run=_run_theorem7(),
        mutations=_symmetric_mutations(_run_theorem7),
    ),
    Check(
        ledger_id="mcdiarmid", name="hoeffding_we_sampled",
        ground_truth=_MC + "; skewed laws included (no symmetry needed)",
        paper_claim="Pr(M_WE correct) >= 1 - p - exp(-c ||w||_1^2/||w||_2^2 (mu - B(lam1))^2), c lost in extraction",
        our_claim="c = 2, nearly attained by a two-point law on {0, 1} as lam1 -> 0",
        run=_run_hoeffding(),
        mutations=(Mutation("exponent constant doubled (4)", _run_hoeffding(exponent_scale=2.0)),
                   Mutation("inequality flipped", _run_hoeffding(at_most=True))),
    ),
    Check(
        ledger_id="propD2", name="prop_d2_uniform_single_sampled",
        ground_truth=_MC + "; f ~ U[a, b]",
        paper_claim="Pr(F correct) >= 1 - p - clip((B(lam3) - a)/(b - a))",
        our_claim="same; exact at p = 0 in the worst case",
        run=_uniform_run("single", _prop_d2_bound()),
        mutations=(Mutation("clip dropped", _uniform_run("single", _prop_d2_bound(clip=False))),
                   Mutation("penalty halved", _uniform_run("single", _prop_d2_bound(scale=0.5))),
                   Mutation("p dropped", _uniform_run("single", _prop_d2_bound(use_p=False))),
                   Mutation("uniform assumption dropped (U-shaped Beta on [a, b])",
                            _uniform_run("single", _prop_d2_bound(), family="u_shaped"))),
    ),
    Check(
        ledger_id="lemD5", name="lemma_d5_uniform_moments",
        ground_truth="sample moments of X1, X2 under U[a, b] vs exact values; empirical Bernstein bounds",
        paper_claim="E X1, Var X1 = (1/12)(1+lam1)^2 ||w||_2^2 (b-a)^2, E X2, Var X2 <= (1+lam2)^2 (4/(N+1))(2/(N+2) "
                    "- 1/(N+1)) (b-a)^2",
        our_claim="same, and Var X2 = 2(1+lam2)^2 (b-a)^2/((N+1)(N+2)) exactly (printed bound 2N/(N+1) larger)",
        run=_run_lemma_d5(),
        mutations=(Mutation("printed bound taken as the exact Var X2", _run_lemma_d5(exact_var2=False)),
                   Mutation("Var X1 with 1/6 for 1/12", _run_lemma_d5(var1_denominator=6.0)),
                   Mutation("E X1 without the factor 1/2", _run_lemma_d5(mean1_half=1.0))),
    ),
    Check(
        ledger_id="factD1", name="fact_d1_extreme_variance",
        ground_truth="sample variances of min and max of N i.i.d. U[a, b] (pair statistic); empirical Bernstein",
        paper_claim="Var min = Var max = (1/(N+1))(2/(N+2) - 1/(N+1))(b-a)^2",
        our_claim="same, = N (b-a)^2 / ((N+1)^2 (N+2))",
        run=_run_fact_d1(),
        mutations=(Mutation("doubled (c_N'^2 = 2 c_N)", _run_fact_d1(scale=2.0)),
                   Mutation("N shifted to N + 1", _run_fact_d1(shift=1))),
    ),
    Check(
        ledger_id="thm8", name="theorem8_uniform_we_sampled",
        ground_truth=_MC + "; f_i i.i.d. U[a, b]",
        paper_claim="Pr(M_WE correct) >= 1 - p - d_w K1^2 / 12",
        our_claim="1 - p - d_w K1^2 / 24 (Lemma D.1 with Lemma D.5); the printed /12 is implied",
        run=_both("we", _theorem8_bound(), _theorem8_bound(denominator=12.0)),
        mutations=_uniform_mutations("we", _theorem8_bound),
    ),
    Check(
        ledger_id="thm9", name="theorem9_uniform_mme_sampled",
        ground_truth=_MC + "; f_i i.i.d. U[a, b]",
        paper_claim="Pr(M_MME correct) >= 1 - p - c_N^2 K2^2 / 4 (numerator of c_N^2 lost in extraction)",
        our_claim="c_N^2 = (2/(N+1))(2/(N+2) - 1/(N+1)); sharper: 1 - p - K2^2 / (4 (N+1)(N+2)); both hold",
        run=_both("mme", _theorem9_bound(), _theorem9_bound(exact=False)),
        mutations=_uniform_mutations("mme", _theorem9_bound),
    ),
    Check(
        ledger_id="cor5", name="corollary5_certificate_order",
        ground_truth="exact comparison of the computed certificates of Theorems 6-7 (s, s_f of real laws)",
        paper_claim="ratio below RHS46(C = s_f/s): WE better for all w; above RHS46(C = sqrt(N) s_f/s): MME better; "
                    "assumes s_f < s",
        our_claim="same without s_f < s; for equal weights the second threshold alone decides",
        run=_run_corollary5(),
        mutations=(Mutation("bullet 1 with C = sqrt(N) s_f/s", _run_corollary5(c1_sqrt_n=True)),
                   Mutation("bullet 2 with C = s_f/s", _run_corollary5(c2_sqrt_n=False))),
    ),
    Check(
        ledger_id="cor6-12", name="corollary6_thresholds_certificate_order",
        ground_truth="exact comparison of the computed certificates of Theorems 8 (/24) and 9",
        paper_claim="Eqs. (51)-(52), constants lost in extraction (the bullet-3 proof implies C_2^2 = 6 N c_N)",
        our_claim="6 is right against the printed Theorem 8 (/12); on the proofs' common scale (/24): C_1^2 = 12 c_N, "
                  "C_2^2 = 12 N c_N",
        run=_run_corollary6_bullets(),
        mutations=(Mutation("bullet 2 at scale 6", _run_corollary6_bullets(scale2=6.0)),
                   Mutation("bullet 1 at scale 24", _run_corollary6_bullets(scale1=24.0))),
    ),
    Check(
        ledger_id="cor6-3", name="corollary6_bullet3_certificate_order",
        ground_truth="exact comparison of the computed certificates of Theorems 8 (/24) and 9 over lam1 (to 1e-12) "
                     "and weights",
        paper_claim="N > 6 (1 - B(lam2)/mu)^-2 - 2 => MME >= WE for any lam1",
        our_claim="holds against the printed Theorem 8 (/12); against its proved /24: N > 12 (1 - B(lam2)/mu)^-2 - 2 "
                  "suffices; exactly iff 12 N^2/((N+1)^2(N+2)) <= (1 - B/mu)^2",
        run=_run_corollary6_bullet3(),
        mutations=(Mutation("printed premise (scale 6)", _run_corollary6_bullet3(scale=6.0)),),
    ),
    Check(
        ledger_id="lemD4", name="lemma_d4_equivalence",
        ground_truth="direct evaluation of both sides of Eq. (46)",
        paper_claim="ratio < C iff lam1/lam2 < threshold, for C < 1",
        our_claim="holds for every C > 0 (C < 1 is not needed)",
        run=_lemma_d4,
        mutations=(mutation("threshold with C doubled", _lemma_d4, c_scale=2.0),),
    ),
]
