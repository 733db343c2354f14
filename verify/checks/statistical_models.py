"""The models of the Appendix D checks: true-class laws with exact moments, confident ensembles built on them
with exact p, and the tallies of their decisions (shared by :mod:`verify.checks.statistical_bounds`,
:mod:`verify.checks.statistical_moments` and :mod:`verify.checks.statistical_comparisons`).

A law (:class:`Law`: uniform, symmetric Beta, truncated normal, two- and three-point) gives the i.i.d.
true-class confidences ``f_i(x0 + eps)_{y0}``; its mean, variance and ``Var(min_i f_i)`` are exact (closed
forms, adaptive quadrature of the survival function or sums over atoms). A :class:`Scenario` adds the wrong
classes: on a confident sample the top wrong class takes the ``lam`` share of ``1 - f_i``, on a bad sample
(probability ``p``) one common wrong class takes it all, so the ensemble is (eps, lam, p)-confident with
exactly this ``p`` (Definitions 8-10). Decisions are those of Definitions 2-3 (ties against ``y0``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
from scipy import integrate, special, stats

from drt_min.seeding import numpy_stream
from theory import statistical as stat

from . import Profile

__all__ = ["TIE", "Law", "Scenario", "Tally", "law_sample", "law_cdf", "law_mean", "law_var", "law_min_var",
           "sample_confidences", "we_correct", "mme_correct", "single_correct", "general_scenarios",
           "uniform_scenarios"]


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

SYMMETRIC_KINDS = ("uniform", "beta", "truncnorm", "three_point")


def random_shape(kind: str, rng: np.random.Generator) -> float:
    if kind == "beta":
        return float(np.exp(rng.uniform(np.log(0.05), np.log(5.0))))
    if kind == "truncnorm":
        return float(rng.uniform(0.5, 3.0))
    if kind == "three_point":
        return float(rng.uniform(0.05, 1.0))
    return 1.0


def random_weights(n: int, rng: np.random.Generator) -> tuple[float, ...]:
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
    law = Law(kind, float(mu), float(half), random_shape(kind, rng))
    n = int(rng.integers(1, max_members + 1))
    return Scenario(law, n, c, lam, p, random_weights(n, rng), worst=bool(rng.uniform() < 0.7))


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
    kinds = rng.choice(SYMMETRIC_KINDS, size=count)
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


def ensemble_samples(profile: Profile) -> int:
    """Samples per instance: the profile's on ci; a quarter on thorough, which has ten times the instances."""
    return profile.samples if profile.name == "ci" else profile.samples // 4


@functools.lru_cache(maxsize=16)
def scenario_family(name: str, profile: Profile, seed: int) -> tuple[tuple[Scenario, Tally], ...]:
    """Scenarios of a family with their tallies; cached so that mutations reuse the samples."""
    makers = {
        "general": lambda: general_scenarios(profile.instances, seed),
        "asymmetric": _fixed_asymmetric,
        "uniform": lambda: uniform_scenarios(profile.instances, seed),
        "u_shaped": lambda: [_u_shaped(sc) for sc in uniform_scenarios(profile.instances, seed)],
    }
    scenarios = makers[name]()
    rng = numpy_stream(seed, "statistical:ensemble", len(name))
    samples = ensemble_samples(profile)
    return tuple((sc, _tally(sc, samples, rng)) for sc in scenarios)
