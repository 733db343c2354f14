"""Checks of the robustness conditions (Section 2.2, Appendix B.1-B.3) against exact ground truth.

Statements (ledger ids): Definitions 2-3 (``def2``, ``def3``), Proposition B.2, Theorem 4, Lemmas B.1-B.2 and
Fact B.1 (``propB2``, ``thm4``, ``lemB1``, ``lemB2``, ``factB1``), Theorems 1 and 3 and Proposition B.3 (``thm1``,
``thm3``, ``propB3``), the ERI of Eq. (6) and its beta reading (``eri6``, ``eri-beta``), Corollary 1 with its
weights and remark (``cor1-we``, ``cor1-mme``, ``cor1-weights``, ``cor1-remark``) and Proposition B.1 (``propB1``).
Corollaries 2-3 (``cor2``, ``cor3``) are checked with the smoothing statements (verify/checks/smoothing.py).

Ground truth:

- Quadratic ensembles: every class score is ``f_{j,c}(x0 + delta) = a + g.delta + delta^T H delta / 2`` with
  ``||H||_2 <= beta``, so each base model is beta-smooth (Definition 4) and every margin is again a quadratic.
  The exact robust radius of the WE (Proposition B.2) and of a single model (Fact B.1) is the minimum over the
  wrong classes of :func:`verify.trust_region.quadratic_robust_radius` (trust-region subproblem, machine
  precision). For the two-model MME the radius of the pair sums ``f_1^{y0/y1} + f_2^{y0/y2}`` (Lemma B.1 with
  N = 2) is a rigorous lower bound on the MME radius, and equals it whenever assumption (2) of Theorem 4 holds
  on the ball (Lemma B.2); that is certified per instance by the exact radius of the margins of y0 over the
  classes other than each model's top-two. Instance families: random Hessians, and the extremal ones that
  attain the bounds (``H = -+beta I`` on ``y0`` and ``+-beta I`` on the other classes).
- Confidence vectors on the simplex (Dirichlet draws, integer grids with exact ties, near-ties at 1e-9):
  the conditions are compared with the actual predictions of Definitions 2-3, written here independently of
  theory/, including the most and least favourable tie rules. Exact and deterministic.
- Corollary 1's remark: exact rational arithmetic (``fractions.Fraction`` of the float inputs).

Every check here is deterministic given its seed; false-alarm probability 0. Radii computed by root finding
are compared with a relative slack of 1e-9 (the trust-region radii are accurate to ~1e-14).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from theory import comparison as cp
from theory import conditions as cd
from verify.trust_region import minimize_quadratic_on_ball, quadratic_robust_radius

from . import Check, CheckOutcome, Mutation, Profile

__all__ = ["CHECKS", "QuadraticEnsemble", "random_ensemble", "we_margin_coeffs", "single_margin_coeffs",
           "pair_coeffs", "exact_min_radius", "we_radius", "single_radius", "pair_radius",
           "assumption2_radius", "flip_witness", "simplex_batch", "reference_we_predict",
           "reference_mme_predict", "mme_tie_rules", "cor1_instance", "affine_tie_ensemble", "Cor1Instance",
           "ABOVE", "BELOW", "TOL"]

TOL = 1e-9  # relative slack between a statement's radius and the exact radius
ABOVE = 1.0 + np.array([1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0])  # test radii beyond the exact radius
BELOW = 1.0 - np.array([1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.3, 0.6, 0.9])  # test radii inside it
_UNBOUNDED = np.geomspace(1e-2, 1e2, 9)  # test radii when the exact radius is infinite
_AMBIGUOUS = 1e-12  # a score gap in (0, this) could be a rounding artefact of the summation order


def _rng(seed: int, tag: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(ord(c) * 31**i for i, c in enumerate(tag)) % 2**32])


def _outcome(violations: list[str], samples: int, summary: str) -> CheckOutcome:
    head = f"{summary}; {len(violations)} violation(s)"
    if violations:
        head += ": " + "; ".join(violations[:3])
    return CheckOutcome(not violations, samples, 0.0, head)


# =====================================================================================================
# quadratic ensembles and their exact radii
# =====================================================================================================


@dataclass(frozen=True, eq=False)
class QuadraticEnsemble:
    """``f_{j,c}(x0 + delta) = a[j,c] + g[j,c].delta + delta^T H[j,c] delta / 2`` with ``||H[j,c]||_2 <= beta``."""

    a: np.ndarray  # (N, C)
    g: np.ndarray  # (N, C, d)
    H: np.ndarray  # (N, C, d, d)
    beta: float
    w: np.ndarray  # (N,)
    y0: int

    @property
    def shape(self) -> tuple[int, int, int]:
        n, c, d = self.g.shape
        return n, c, d

    def combine(self, coeffs: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """The quadratic ``sum_{j,c} coeffs[j,c] f_{j,c}`` as ``(value, gradient, Hessian)`` at ``x0``."""
        return (float(np.einsum("nc,nc->", coeffs, self.a)), np.einsum("nc,ncd->d", coeffs, self.g),
                np.einsum("nc,ncde->de", coeffs, self.H))

    def scores(self, deltas: np.ndarray) -> np.ndarray:
        """Class scores of every base model at ``x0 + delta``: ``(M, d) -> (M, N, C)``."""
        lin = np.einsum("md,ncd->mnc", deltas, self.g)
        quad = np.einsum("md,ncde,me->mnc", deltas, self.H, deltas)
        return self.a + lin + 0.5 * quad


def we_margin_coeffs(ens: QuadraticEnsemble, y: int) -> np.ndarray:
    """Coefficients of the WE margin ``sum_j w_j f_j^{y0/y}`` (Proposition B.2)."""
    k = np.zeros(ens.a.shape)
    k[:, ens.y0] += ens.w
    k[:, y] -= ens.w
    return k


def single_margin_coeffs(ens: QuadraticEnsemble, j: int, y: int) -> np.ndarray:
    """Coefficients of base model ``j``'s margin ``f_j^{y0/y}`` (Fact B.1)."""
    k = np.zeros(ens.a.shape)
    k[j, ens.y0] += 1.0
    k[j, y] -= 1.0
    return k


def pair_coeffs(ens: QuadraticEnsemble, y1: int, y2: int) -> np.ndarray:
    """Coefficients of ``f_1^{y0/y1} + f_2^{y0/y2}`` (Lemma B.1 and Theorem 3, two models)."""
    return single_margin_coeffs(ens, 0, y1) + single_margin_coeffs(ens, 1, y2)


def _taylor_lower_radius(c: float, g: np.ndarray, H: np.ndarray) -> float:
    """A rigorous lower bound on the radius: ``q >= c - |g| t - ||H|| t^2 / 2`` on the ball of radius ``t``."""
    return float(cd.largest_radius(np.linalg.norm(H, 2) / 2, np.linalg.norm(g), c))


def exact_min_radius(quads: list[tuple[float, np.ndarray, np.ndarray]]) -> tuple[float, int]:
    """Exact ``min_k`` radius of ``{q_k > 0}`` and its index: trust-region radii, pruned by Taylor lower bounds."""
    lows = np.array([_taylor_lower_radius(*q) for q in quads])
    best, arg = np.inf, -1
    for k in np.argsort(lows, kind="stable"):
        if lows[k] >= best:
            break
        radius = quadratic_robust_radius(*quads[k])
        if radius < best:
            best, arg = radius, int(k)
    return best, arg


def _wrong(ens: QuadraticEnsemble) -> list[int]:
    return [y for y in range(ens.shape[1]) if y != ens.y0]


def we_radius(ens: QuadraticEnsemble) -> float:
    """Exact r of Definition 1 for ``M_WE`` (Proposition B.2: every weighted margin stays positive)."""
    return exact_min_radius([ens.combine(we_margin_coeffs(ens, y)) for y in _wrong(ens)])[0]


def single_radius(ens: QuadraticEnsemble, j: int = 0) -> float:
    """Exact r of Definition 1 for base model ``j`` (Fact B.1)."""
    return exact_min_radius([ens.combine(single_margin_coeffs(ens, j, y)) for y in _wrong(ens)])[0]


def pair_radius(ens: QuadraticEnsemble) -> float:
    """Exact radius of ``{min_{y1,y2} f_1^{y0/y1} + f_2^{y0/y2} > 0}``: a lower bound on the two-model MME radius."""
    wrong = _wrong(ens)
    return exact_min_radius([ens.combine(pair_coeffs(ens, y1, y2)) for y1 in wrong for y2 in wrong])[0]


def assumption2_radius(ens: QuadraticEnsemble) -> float:
    """A radius on whose ball assumption (2) of Theorem 4 holds: each model's y0 beats every class except one.

    The exempt class of model ``j`` is its top or runner-up at ``x0`` other than ``y0``; 0 when ``y0`` is below
    second place at ``x0``. Where this exceeds :func:`pair_radius`, the MME radius equals it (Lemma B.2).
    """
    quads = []
    for j in range(ens.shape[0]):
        order = np.argsort(-ens.a[j], kind="stable")
        if ens.y0 not in order[:2]:
            return 0.0
        exempt = int(order[1] if order[0] == ens.y0 else order[0])
        quads += [ens.combine(single_margin_coeffs(ens, j, y)) for y in _wrong(ens) if y != exempt]
    return exact_min_radius(quads)[0] if quads else np.inf


def flip_witness(ens: QuadraticEnsemble, coeffs: np.ndarray, radius: float) -> np.ndarray:
    """The minimiser of the quadratic ``coeffs`` over the ball of ``radius`` (a point where it is <= 0 beyond r)."""
    return minimize_quadratic_on_ball(*ens.combine(coeffs), radius).argmin


def _dimension(rng: np.random.Generator) -> int:
    return int(np.clip(np.round(np.exp(rng.uniform(0.0, np.log(50.0)))), 1, 50))


def _unit_symmetric(rng: np.random.Generator, shape: tuple[int, ...], d: int) -> np.ndarray:
    """Random symmetric matrices of spectral norm 1."""
    m = rng.normal(size=shape + (d, d))
    m = (m + np.swapaxes(m, -1, -2)) / 2
    return m / np.linalg.norm(m, 2, axis=(-2, -1))[..., None, None]


def _hessians(rng, n, c, d, y0, beta, curvature: str) -> np.ndarray:
    """Hessians with ``||H|| <= beta``: ``neg`` and ``pos`` attain the Taylor bounds of Theorems 1 and 3."""
    eye = np.broadcast_to(np.eye(d), (n, c, d, d)).copy()
    sign = np.where(np.arange(c) == y0, -1.0, 1.0)[None, :, None, None]
    extremal = {"neg": sign * eye, "pos": -sign * eye}
    if curvature in extremal:
        return beta * extremal[curvature]
    unit = _unit_symmetric(rng, (n, c), d) * rng.uniform(0.0, 1.0, size=(n, c, 1, 1))
    if curvature == "mixed":
        t = rng.uniform(0.0, 1.0)
        unit = t * extremal[str(rng.choice(["neg", "pos"]))] + (1 - t) * unit
    return beta * unit


def random_ensemble(rng: np.random.Generator, *, n_models: int, n_classes: int, d: int, beta: float,
                    curvature: str = "random", rule: str = "we", weights: np.ndarray | None = None,
                    top_two: bool = False, all_predict: bool = False) -> QuadraticEnsemble:
    """A quadratic ensemble predicting ``y0`` at ``x0`` by ``rule`` (``we``, ``mme``, ``single``) with margin > 1e-3.

    Scores at ``x0`` are Dirichlet draws (``top_two``: mass concentrated on two classes per model, so that
    assumption (2) tends to hold on a large ball; ``all_predict``: every model's top class is moved to class 0,
    so that every sub-ensemble predicts ``y0 = 0``); gradient scales are log-uniform in [0.02, 2].
    """
    w = rng.uniform(0.1, 3.0, size=n_models) if weights is None else np.asarray(weights, float)
    for _ in range(100):
        a = rng.dirichlet(np.ones(n_classes), size=n_models)
        if top_two and n_classes > 2:
            pair = np.argsort(rng.random((n_models, n_classes)), axis=1)[:, :2]
            boost = np.zeros_like(a)
            np.put_along_axis(boost, pair, rng.dirichlet([1.0, 1.0], size=n_models), axis=1)
            a = 0.3 * a + 0.7 * boost
        if all_predict:
            top = np.argmax(a, axis=1)
            for j in range(n_models):
                a[j, [0, top[j]]] = a[j, [top[j], 0]]
        if rule == "we":
            scores = w @ a
        elif rule == "mme":
            scores = a[int(np.argmax(cd.mme_gaps(a)))]
        else:
            scores = a[0]
        top = np.sort(scores)[-2:]
        if top[1] - top[0] > 1e-3 and (rule != "mme" or np.sort(cd.mme_gaps(a))[-1] > 1e-3):
            break
    y0 = int(np.argmax(scores))
    scale = np.exp(rng.uniform(np.log(0.02), np.log(2.0)))
    g = rng.normal(size=(n_models, n_classes, d)) * scale / np.sqrt(d)
    H = _hessians(rng, n_models, n_classes, d, y0, beta, curvature)
    return QuadraticEnsemble(a, g, H, float(beta), w, y0)


def _beta(rng) -> float:
    return float(np.exp(rng.uniform(np.log(1e-3), np.log(1.0))))


_CURVATURES = ("random", "neg", "pos", "mixed")


@functools.lru_cache(maxsize=32)
def _quadratic_cases(rule: str, count: int, seed: int) -> tuple[tuple[QuadraticEnsemble, float, float], ...]:
    """``count`` instances of a rule with their exact radius (and, for the MME, the assumption-(2) radius)."""
    rng = _rng(seed, f"quadratic-{rule}")
    cases = []
    for i in range(count):
        curvature = _CURVATURES[i % len(_CURVATURES)]
        d = _dimension(rng)
        n = {"we": int(rng.integers(2, 11)), "mme": 2, "single": 1}[rule]
        c = int(rng.integers(2, 11)) if rule != "mme" else int(rng.integers(2, 7))
        ens = random_ensemble(rng, n_models=n, n_classes=c, d=d, beta=_beta(rng), curvature=curvature,
                              rule=rule, top_two=rule == "mme" and i % 2 == 0)
        if rule == "we":
            cases.append((ens, we_radius(ens), np.nan))
        elif rule == "single":
            cases.append((ens, single_radius(ens), np.nan))
        else:
            cases.append((ens, pair_radius(ens), assumption2_radius(ens)))
    return tuple(cases)


def _test_radii(radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Radii beyond and inside the exact radius (an unbounded radius has only inside ones)."""
    if not np.isfinite(radius):
        return np.empty(0), _UNBOUNDED
    if radius == 0:
        return np.array([0.05, 0.2, 1.0]), np.empty(0)
    return radius * ABOVE, radius * BELOW


# =====================================================================================================
# Theorems 1, 3 and Proposition B.3: sufficient => robust => necessary, against exact radii
# =====================================================================================================


@dataclass(frozen=True)
class Statement:
    """A sufficient condition, a necessary condition and the largest radius the sufficient one certifies."""

    sufficient: object  # (ens, r (K,)) -> bool (K,)
    necessary: object
    certified: object  # ens -> float


def _thm1(beta_scale=1.0, necessary_term=1.0, literal_printed=False) -> Statement:
    def suff(e, r):
        if literal_printed:  # Eq. (4) read literally: 'r sum_j w_j f_j' instead of (1/r) sum_j w_j f_j
            s, g, w = cd.we_taylor_terms(e.a, e.g, e.w, e.y0)
            return np.all(g <= r[:, None] * s - (e.beta * r * w)[:, None], axis=-1)
        return cd.theorem1_sufficient(e.a, e.g, e.w, e.y0, beta_scale * e.beta, r)

    def nec(e, r):
        return cd.theorem1_necessary(e.a, e.g, e.w, e.y0, necessary_term * e.beta, r)

    def cert(e):
        if literal_printed:
            return np.nan
        return float(cd.theorem1_certified_radius(e.a, e.g, e.w, e.y0, beta_scale * e.beta))

    return Statement(suff, nec, cert)


def _propB3(beta_scale=1.0, necessary_term=1.0) -> Statement:
    return Statement(lambda e, r: cd.propB3_sufficient(e.a[0], e.g[0], e.y0, beta_scale * e.beta, r),
                     lambda e, r: cd.propB3_necessary(e.a[0], e.g[0], e.y0, necessary_term * e.beta, r),
                     lambda e: float(cd.propB3_certified_radius(e.a[0], e.g[0], e.y0, beta_scale * e.beta)))


def _thm3(beta_scale=1.0, necessary_term=1.0, strict=True) -> Statement:
    return Statement(lambda e, r: cd.theorem3_sufficient(e.a, e.g, e.y0, beta_scale * e.beta, r, strict=strict),
                     lambda e, r: cd.theorem3_necessary(e.a, e.g, e.y0, necessary_term * e.beta, r),
                     lambda e: float(cd.theorem3_certified_radius(e.a, e.g, e.y0, beta_scale * e.beta)))


def affine_tie_ensemble() -> QuadraticEnsemble:
    """The ledger's equality case of Eq. (12): ``f_1 = (0.6 + x, 0.4 - x)``, ``f_2 = (0.4 - x, 0.6 + x)``, beta = 0.

    Both gaps are ``|0.2 + 2x|`` for every ``x``: the lowest-index tie rule lets model 1 decide, and it predicts
    class 1 for ``x < -0.1``. The pair sum is identically 0 (radius 0), so Eq. (12) holds with equality.
    """
    a = np.array([[0.6, 0.4], [0.4, 0.6]])
    g = np.array([[[1.0], [-1.0]], [[-1.0], [1.0]]])
    return QuadraticEnsemble(a, g, np.zeros((2, 2, 1, 1)), 0.0, np.ones(2), 0)


def _condition_check(rule: str, statement: Statement, profile: Profile, seed: int,
                     divisor: int = 1) -> CheckOutcome:
    """Sufficient at r => r <= exact radius; r < exact radius => necessary at r; certified radius <= exact."""
    count = max(8, profile.instances // divisor)
    cases = list(_quadratic_cases(rule, count, seed))
    if rule == "mme":
        cases.append((affine_tie_ensemble(), 0.0, np.inf))
    violations, tested, exact_mme = [], 0, 0
    for idx, (ens, radius, rho2) in enumerate(cases):
        above, below = _test_radii(radius)
        tested += above.size + below.size
        if above.size and np.any(hit := statement.sufficient(ens, above)):
            r = float(above[np.argmax(hit)])
            note = ""
            if rule == "mme":  # the witness is sought at the largest radius the condition certifies
                note = _mme_flip_note(ens, radius, float(above[hit].max()), rho2)
            violations.append(f"#{idx} {_describe(ens)}: sufficient holds at r = {r:.6g} > exact radius "
                              f"{radius:.6g}{note}")
        if below.size and not np.all(ok := statement.necessary(ens, below)):
            r = float(below[np.argmin(ok)])
            violations.append(f"#{idx} {_describe(ens)}: robust at r = {r:.6g} < {radius:.6g} but necessary fails")
        cert = statement.certified(ens)
        if np.isfinite(cert) and cert > radius * (1 + TOL) and not (radius == 0 and cert == np.inf and rule == "mme"):
            violations.append(f"#{idx} {_describe(ens)}: certified radius {cert:.9g} > exact {radius:.9g}")
        exact_mme += rule == "mme" and rho2 > radius
    truth = {"we": "exact WE radius", "single": "exact radius", "mme": "exact pair-sum radius"}[rule]
    summary = f"{len(cases)} quadratic instances (d 1-50), {tested} test radii vs {truth}"
    if rule == "mme":
        summary += f" ({exact_mme} with assumption (2) certified on the ball, where it is the MME radius)"
    return _outcome(violations, tested, summary)


def _mme_flip_note(ens: QuadraticEnsemble, radius: float, r: float, rho2: float) -> str:
    """For a violation of Theorem 3: does the MME itself flip inside the ball of radius r?"""
    if radius == 0:  # the affine equality case: walk along -x
        point = np.array([[-(radius + r) * 0.75]])
    else:
        wrong = _wrong(ens)
        pairs = [(y1, y2) for y1 in wrong for y2 in wrong]
        k = int(np.argmin([quadratic_robust_radius(*ens.combine(pair_coeffs(ens, *p))) for p in pairs]))
        point = flip_witness(ens, pair_coeffs(ens, *pairs[k]), (radius + r) / 2)[None, :]
    pred = int(reference_mme_predict(ens.scores(point))[0])
    status = "assumption (2) holds there" if rho2 > r else "assumption (2) not certified"
    return f" (M_MME at |delta| = {np.linalg.norm(point):.4g} predicts {pred}, y0 = {ens.y0}; {status})"


def _describe(ens: QuadraticEnsemble) -> str:
    n, c, d = ens.shape
    return f"N={n} C={c} d={d} beta={ens.beta:.3g}"


# =====================================================================================================
# ERI (Eq. 6) and the impact of beta
# =====================================================================================================


def _reference_eri(ens: QuadraticEnsemble, r: np.ndarray) -> np.ndarray:
    """Eq. (6) from the quadratic's coefficients: ``||grad m_y|| / ||w||_1 - m_y / (r ||w||_1)``; shape (K, C - 1)."""
    out = []
    for y in _wrong(ens):
        s, g, _ = ens.combine(we_margin_coeffs(ens, y))
        out.append(np.linalg.norm(g) / ens.w.sum() - s / (r * ens.w.sum()))
    return np.stack(out, axis=-1)


def _eri_check(profile: Profile, seed: int, eri_fn=None) -> CheckOutcome:
    """Eq. (6): the ERI equals its definition, and max I <= -beta r (resp. > beta r) matches Eq. (4) (resp. (5))
    and the exact radius: robust, resp. not robust."""
    eri_fn = eri_fn or (lambda e, r: cd.eri(e.a, e.g, e.w, e.y0, r))
    violations, tested = [], 0
    for idx, (ens, radius, _) in enumerate(_quadratic_cases("we", profile.instances, seed)):
        above, below = _test_radii(radius)
        r = np.concatenate([above, below])
        tested += r.size
        values = eri_fn(ens, r)
        ref = _reference_eri(ens, r)
        if not np.allclose(values, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max()):
            violations.append(f"#{idx} {_describe(ens)}: ERI differs from Eq. (6) by {np.abs(values - ref).max():.3g}")
        worst = values.max(axis=-1)
        robust_claim = worst <= -ens.beta * r
        eq4 = cd.theorem1_sufficient(ens.a, ens.g, ens.w, ens.y0, ens.beta, r)
        clear = np.abs(worst + ens.beta * r) > 1e-9 * (np.abs(worst) + ens.beta * r)
        if np.any((robust_claim != eq4) & clear):
            violations.append(f"#{idx}: max I <= -beta r disagrees with Eq. (4)")
        if np.any(robust_claim & (r > radius * (1 + TOL))):
            violations.append(f"#{idx} {_describe(ens)}: max I <= -beta r at r = {r[robust_claim].max():.6g} > exact "
                              f"radius {radius:.6g}")
        if np.any((worst > ens.beta * r) & (r < radius)):
            violations.append(f"#{idx} {_describe(ens)}: max I > beta r inside the exact radius {radius:.6g}")
    return _outcome(violations, tested, f"{profile.instances} quadratic WE instances, {tested} radii: ERI vs Eq. (6), "
                                        f"Eqs. (4)-(5) and the exact radius")


def _printed_eri(e, r):
    """Eq. (7)'s extracted form with r in place of 1/(r ||w||_1) (the reading the ledger corrects)."""
    s, g, w = cd.we_taylor_terms(e.a, e.g, e.w, e.y0)
    return g / w - r[:, None] * s


def _verdict_corrected(values, beta, r):
    return cd.eri_verdict(values, beta, r)


def _verdict_printed_min(values, beta, r):
    """Section 2.2 as printed: robust if min_y I_y <= -beta r, not robust if min_y I_y > beta r."""
    best = values.min(axis=-1)
    return np.where(best <= -beta * r, 1, np.where(best > beta * r, -1, 0))


def _eri_beta_check(profile: Profile, seed: int, verdict=_verdict_corrected) -> CheckOutcome:
    """Verdict 1 only at radii <= the exact radius, verdict -1 only beyond it (random instances, C = 2-10)."""
    violations, tested, decided = [], 0, 0
    for idx, (ens, radius, _) in enumerate(_quadratic_cases("we", profile.instances, seed)):
        above, below = _test_radii(radius)
        r = np.concatenate([above, below])
        tested += r.size
        v = verdict(cd.eri(ens.a, ens.g, ens.w, ens.y0, r), ens.beta, r)
        decided += int(np.count_nonzero(v))
        if np.any((v == 1) & (r > radius * (1 + TOL))):
            violations.append(f"#{idx} {_describe(ens)}: verdict 'robust' at r = {r[v == 1].max():.6g} > exact radius "
                              f"{radius:.6g}")
        if np.any((v == -1) & (r < radius)):
            violations.append(f"#{idx} {_describe(ens)}: verdict 'not robust' at r = {r[v == -1].min():.6g} < exact "
                              f"radius {radius:.6g}")
    return _outcome(violations, tested, f"{profile.instances} quadratic WE instances, {tested} radii, {decided} decided "
                                        f"verdicts vs the exact radius")


# =====================================================================================================
# confidence vectors on the simplex: Definitions 2-3, Prop. B.2, Fact B.1, Lemmas B.1-B.2, Theorem 4
# =====================================================================================================


def simplex_batch(rng: np.random.Generator, kind: str, m: int, n: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` confidence arrays ``(m, n, c)`` and weights ``(n,)``.

    ``dirichlet``: Dirichlet(alpha) rows; ``grid``: integer scores summing to 6 or 10 with integer weights (all
    sums exact, so ties are exact and common; predictions are scale-invariant); ``near``: grid rows divided by
    their total plus 1e-9 noise (near-ties that are not ties).
    """
    if kind == "dirichlet":
        alpha = float(rng.choice([0.3, 1.0, 3.0]))
        return rng.dirichlet(np.full(c, alpha), size=(m, n)), rng.uniform(0.1, 3.0, size=n)
    total = int(rng.choice([6, 10]))
    p = rng.dirichlet(np.ones(c), size=(m, n))
    grid = np.stack([rng.multinomial(total, row) for row in p.reshape(-1, c)]).reshape(m, n, c).astype(float)
    if kind == "grid":
        return grid, rng.integers(1, 4, size=n).astype(float)
    return grid / total + 1e-9 * rng.normal(size=grid.shape), rng.uniform(0.1, 3.0, size=n)


def _lowest_argmax(scores: np.ndarray) -> np.ndarray:
    """``arg max`` over the last axis with ties to the lowest index, by explicit comparison."""
    best = scores[..., 0].copy()
    idx = np.zeros(scores.shape[:-1], dtype=int)
    for k in range(1, scores.shape[-1]):
        better = scores[..., k] > best
        idx[better], best[better] = k, scores[..., k][better]
    return idx


def reference_we_predict(conf: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Definition 2 summed model by model: ``arg max_i sum_j w_j f_j(x)_i`` (ties to the lowest class)."""
    total = np.zeros(conf.shape[:-2] + conf.shape[-1:])
    for j in range(conf.shape[-2]):
        total = total + w[j] * conf[..., j, :]
    return _lowest_argmax(total)


def _top_gaps(conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each model's top class (lowest index) and top-1 minus runner-up gap, by explicit comparison."""
    top = _lowest_argmax(conf)
    masked = conf.copy()
    np.put_along_axis(masked, top[..., None], -np.inf, axis=-1)
    top_val = np.take_along_axis(conf, top[..., None], axis=-1)[..., 0]
    return top, top_val - masked.max(axis=-1)


def reference_mme_predict(conf: np.ndarray) -> np.ndarray:
    """Definition 3: the model with the largest gap (lowest index among ties) gives its top class."""
    top, gaps = _top_gaps(conf)
    chosen = _lowest_argmax(gaps)
    return np.take_along_axis(top, chosen[..., None], axis=-1)[..., 0]


def mme_tie_rules(conf: np.ndarray, y0: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether ``M_MME = y0`` under every tie rule, and under some tie rule (models and classes), shape ``(M,)``.

    A tie rule may pick any model with the largest gap and any of its top classes.
    """
    _, gaps = _top_gaps(conf)
    tied_model = gaps == gaps.max(axis=-1, keepdims=True)
    top_set = conf == conf.max(axis=-1, keepdims=True)
    only_y0 = top_set[..., y0] & (top_set.sum(axis=-1) == 1)
    every = np.all(~tied_model | only_y0, axis=-1)
    some = np.any(tied_model & top_set[..., y0], axis=-1)
    return every, some


def _assumption2(conf: np.ndarray, y0: int) -> np.ndarray:
    """Theorem 4 (2), written here: at most one class strictly above y0 in every model."""
    above = (conf > conf[..., y0:y0 + 1]).sum(axis=-1)
    return np.all(above <= 1, axis=-1)


_KINDS = ("dirichlet", "grid", "near")


@functools.lru_cache(maxsize=8)
def _simplex_cases(count: int, m: int, seed: int) -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
    rng = _rng(seed, "simplex")
    cases = []
    for i in range(count):
        kind = _KINDS[i % 3]
        conf, w = simplex_batch(rng, kind, m, int(rng.integers(1, 11)), int(rng.integers(2, 11)))
        cases.append((kind, conf, w))
    return tuple(cases)


def _simplex(profile: Profile, seed: int):
    return _simplex_cases(profile.instances, max(20, profile.samples // 100), seed)


def _ambiguous(scores: np.ndarray) -> np.ndarray:
    """Points whose top-two scores differ by less than rounding error could sum to either order."""
    two = np.sort(scores, axis=-1)[..., -2:]
    gap = two[..., 1] - two[..., 0]
    return (gap > 0) & (gap < _AMBIGUOUS * np.maximum(1.0, np.abs(two[..., 1])))


def _def2_check(profile: Profile, seed: int, predict=None) -> CheckOutcome:
    """Definition 2: ``theory.conditions.we_predict`` against the model-by-model sum (ties to the lowest class)."""
    predict = predict or cd.we_predict
    violations, total, ties = [], 0, 0
    for idx, (kind, conf, w) in enumerate(_simplex(profile, seed)):
        scores = np.einsum("mnc,n->mc", conf, w)
        keep = ~_ambiguous(scores)
        ref = reference_we_predict(conf, w)
        got = predict(conf, w)
        total += int(keep.sum())
        ties += int(np.sum(np.sort(scores, axis=-1)[:, -1] == np.sort(scores, axis=-1)[:, -2]))
        if np.any((ref != got) & keep):
            violations.append(f"batch #{idx} ({kind}): {int(np.sum((ref != got) & keep))} points differ")
    return _outcome(violations, total, f"{total} confidence arrays ({ties} with tied top classes)")


def _def3_check(profile: Profile, seed: int, predict=None) -> CheckOutcome:
    """Definition 3: ``theory.conditions.mme_predict`` against the reference (gaps, lowest-index ties)."""
    predict = predict or cd.mme_predict
    violations, total = [], 0
    for idx, (kind, conf, _) in enumerate(_simplex(profile, seed)):
        ref = reference_mme_predict(conf)
        got = predict(conf)
        total += conf.shape[0]
        if np.any(ref != got):
            violations.append(f"batch #{idx} ({kind}): {int(np.sum(ref != got))} points differ")
    return _outcome(violations, total, f"{total} confidence arrays (ties included)")


def _pointwise_check(profile: Profile, seed: int, *, target: str, strict: bool = True) -> CheckOutcome:
    """Prop. B.2 (``we``) / Fact B.1 (``single``): value > 0 => predicts y0 => value >= 0, for every y0.

    ``strict=False`` is the printed 'iff >= 0': value >= 0 taken as sufficient.
    """
    violations, total, zero = [], 0, 0
    for idx, (kind, conf, w) in enumerate(_simplex(profile, seed)):
        if target == "single":
            conf, scores, pred = conf[:, 0, :], conf[:, 0, :], _lowest_argmax(conf[:, 0, :])
        else:
            scores, pred = np.einsum("mnc,n->mc", conf, w), reference_we_predict(conf, w)
        keep = ~_ambiguous(scores)
        for y0 in range(conf.shape[-1]):
            value = cd.single_condition_value(conf, y0) if target == "single" else cd.we_condition_value(conf, w, y0)
            suff = value > 0 if strict else value >= 0
            zero += int(np.sum(value == 0))
            total += int(keep.sum())
            bad_suff = suff & (pred != y0) & keep
            bad_nec = (pred == y0) & (value < 0) & keep
            if bad_suff.any():
                k = int(np.argmax(bad_suff))
                violations.append(f"batch #{idx} ({kind}) y0={y0}: condition {value[k]:.3g} "
                                  f"{'>' if strict else '>='} 0 but the prediction is {pred[k]}")
            if bad_nec.any():
                violations.append(f"batch #{idx} ({kind}) y0={y0}: predicts y0 with condition < 0")
    return _outcome(violations, total, f"{total} (point, y0) pairs, {zero} with condition exactly 0")


def _lemB1_check(profile: Profile, seed: int, strict: bool = True) -> CheckOutcome:
    """Lemma B.1 (corrected): max a + min a > 0 => M_MME = y0 under every tie rule."""
    violations, total, zero = [], 0, 0
    for idx, (kind, conf, _) in enumerate(_simplex(profile, seed)):
        for y0 in range(conf.shape[-1]):
            value = cd.mme_condition_value(conf, y0)
            every, _ = mme_tie_rules(conf, y0)
            cond = value > 0 if strict else value >= 0
            total += conf.shape[0]
            zero += int(np.sum(value == 0))
            if np.any(bad := cond & ~every):
                k = int(np.argmax(bad))
                violations.append(f"batch #{idx} ({kind}) y0={y0}: value {value[k]:.3g} but a tie rule picks another "
                                  f"class; f = {np.round(conf[k], 4).tolist()}")
    return _outcome(violations, total, f"{total} (point, y0) pairs, {zero} with value exactly 0 (adversarial ties)")


def _lemB2_check(profile: Profile, seed: int, assume: bool = True) -> CheckOutcome:
    """Lemma B.2: assumption (2) and M_MME = y0 under some tie rule => max a + min a >= 0."""
    violations, total, held = [], 0, 0
    for idx, (kind, conf, _) in enumerate(_simplex(profile, seed)):
        for y0 in range(conf.shape[-1]):
            value = cd.mme_condition_value(conf, y0)
            _, some = mme_tie_rules(conf, y0)
            a2 = _assumption2(conf, y0) if assume else np.ones(conf.shape[0], bool)
            total += conf.shape[0]
            held += int(np.sum(a2 & some))
            if np.any(bad := a2 & some & (value < 0)):
                k = int(np.argmax(bad))
                violations.append(f"batch #{idx} ({kind}) y0={y0}: M_MME = y0 but value {value[k]:.3g} < 0; "
                                  f"f = {np.round(conf[k], 4).tolist()}")
    return _outcome(violations, total, f"{total} (point, y0) pairs, {held} meeting the premises")


def _thm4_check(profile: Profile, seed: int, strict: bool = True, assume: bool = True) -> CheckOutcome:
    """Theorem 4 on finite balls: each batch is the model's values on a set of points of a ball.

    Any finite assignment of confidence vectors to distinct points extends to a smooth model, so Theorem 4 on
    such sets is the statement at its most demanding. 'If': value > 0 on the set => M_MME = y0 on the set
    (every tie rule); 'only if': (2) and M_MME = y0 (some tie rule) on the set => value >= 0 on the set. Each batch
    is split into balls of 5 points.
    """
    violations, balls = [], 0
    for idx, (kind, conf, _) in enumerate(_simplex(profile, seed)):
        sets = conf[: conf.shape[0] // 5 * 5].reshape(-1, 5, *conf.shape[1:])
        for y0 in range(conf.shape[-1]):
            value = cd.mme_condition_value(sets, y0)
            every, some = mme_tie_rules(sets, y0)
            a2 = _assumption2(sets, y0) if assume else np.ones(value.shape, bool)
            cond = np.all(value > 0 if strict else value >= 0, axis=-1)
            balls += value.shape[0]
            if np.any(cond & ~np.all(every, axis=-1)):
                violations.append(f"batch #{idx} ({kind}) y0={y0}: condition on the ball but not r-robust")
            premise = np.all(a2 & some, axis=-1)
            if np.any(premise & np.any(value < 0, axis=-1)):
                violations.append(f"batch #{idx} ({kind}) y0={y0}: r-robust under (2) but the value is < 0 somewhere")
    return _outcome(violations, balls, f"{balls} (ball, y0) pairs of 5 points each")


# =====================================================================================================
# Corollary 1 and the remark after it; optimal weights; Proposition B.1
# =====================================================================================================


def _anti_parallel_ensemble(rng, d, c, *, equal_margins: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two models whose margin gradients are anti-parallel for every class, with extremal negative curvature.

    Model 1's gradients are large (small base radius), model 2's small; wrong classes share the remaining mass
    equally, so ``C_MME`` (equal margins) or ``C_WE`` at the optimal weights is 1/2: the printed radius of
    Corollary 1 is then large for cos(theta) near -1. Class 1 moves fastest (the other wrong classes at 0.1-0.5
    of its rate), so that y0 stays top or runner-up of each model near the flip (assumption (2) of Theorem 4).
    """
    p = rng.uniform(1.0 / c + 0.1, 0.95, size=2)
    if equal_margins:
        p[1] = p[0]
    a = np.stack([np.r_[q, np.full(c - 1, (1 - q) / (c - 1))] for q in p])
    e = rng.normal(size=d)
    e /= np.linalg.norm(e)
    alpha = np.array([rng.uniform(2.0, 10.0), rng.uniform(0.01, 0.2)])
    g = np.zeros((2, c, d))
    rates = np.r_[1.0, rng.uniform(0.1, 0.5, size=c - 2)]
    g[0, 1:] = -alpha[0] * rates[:, None] * e
    g[1, 1:] = alpha[1] * rates[:, None] * e
    unit = np.broadcast_to(np.eye(d), (2, c, d, d)) * np.where(np.arange(c) == 0, -1.0, 1.0)[None, :, None, None]
    return a, g, unit


def _random_two_models(rng, d, c) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two models both predicting class 0 at x0 (Dirichlet, top class moved to 0), random gradients and Hessians."""
    a = rng.dirichlet(np.ones(c), size=2)
    top = np.argmax(a, axis=1)
    for j in range(2):
        a[j, [0, top[j]]] = a[j, [top[j], 0]]
    a[:, 0] += 1e-3
    a /= a.sum(axis=1, keepdims=True)
    g = rng.normal(size=(2, c, d)) * np.exp(rng.uniform(np.log(0.05), np.log(3.0))) / np.sqrt(d)
    unit = _unit_symmetric(rng, (2, c), d) * rng.uniform(0.0, 1.0, size=(2, c, 1, 1))
    return a, g, unit


@dataclass(frozen=True, eq=False)
class Cor1Instance:
    ens: QuadraticEnsemble
    r: float
    delta: float
    cos_theta: float
    radius: float  # the statement's R
    truth: float  # exact WE radius, or the exact pair-sum radius (<= MME radius)
    family: str


def cor1_instance(rng: np.random.Generator, rule: str, family: str, corrected: bool) -> Cor1Instance | None:
    """An instance meeting every hypothesis of Corollary 1 for the statement (printed or corrected radius).

    cos(theta) is the largest actual cosine plus a slack; ``c = max(R/r, 1)`` does not depend on r (R is linear
    in r), so r is drawn below both exact base radii and below ``sqrt(Delta min f^{y0/y} / (beta c^2))``.
    Returns None when no positive r exists (the printed R infinite).
    """
    d, c = _dimension(rng), int(rng.integers(2, 11))
    if family == "adversarial":
        a, g, unit = _anti_parallel_ensemble(rng, d, c, equal_margins=rule == "mme")
        delta, slack = rng.uniform(0.02, 0.3), rng.uniform(0.002, 0.03)
        beta = float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-2))))
    else:
        a, g, unit = _random_two_models(rng, d, c)
        delta, slack = rng.uniform(0.0, 0.95), rng.uniform(0.0, 0.1)
        beta = _beta(rng)
    m = cd.margins(a, 0)
    if rule == "we":
        w = cp.optimal_we_weights(m[0], m[1])[0] if family == "adversarial" else rng.uniform(0.1, 3.0, size=2)
        cos = cp.margin_gradient_cosines_we(g, 0).max()
    else:
        w = np.ones(2)
        cos = cp.margin_gradient_cosines_mme(g, 0).max()
    cos_theta = float(min(1.0, cos + slack))
    unit_radius = _cor1_radius(rule, a, w, 1.0, delta, cos_theta, corrected)
    if not np.isfinite(unit_radius):
        return None
    ens = QuadraticEnsemble(a, g, beta * unit, beta, w, 0)
    cc = max(unit_radius, 1.0)
    r_max = min(single_radius(ens, 0), single_radius(ens, 1), np.sqrt(delta * m.min() / (beta * cc**2)))
    r = float(r_max * rng.uniform(0.3, 1.0))
    hyp = (cp.corollary1_we_hypotheses(a, g, w, 0, beta, r, delta, cos_theta, corrected=corrected) if rule == "we"
           else cp.corollary1_mme_hypotheses(a, g, 0, beta, r, delta, cos_theta, corrected=corrected))
    if not hyp:
        return None
    truth = we_radius(ens) if rule == "we" else pair_radius(ens)
    return Cor1Instance(ens, r, float(delta), cos_theta, unit_radius * r, truth, family)


def _cor1_radius(rule, a, w, r, delta, cos_theta, corrected):
    if rule == "we":
        return float(cp.corollary1_we_radius(a, w, 0, r, delta, cos_theta, corrected=corrected))
    return float(cp.corollary1_mme_radius(a, 0, r, delta, cos_theta, corrected=corrected))


@functools.lru_cache(maxsize=8)
def _cor1_cases(rule: str, count: int, seed: int, corrected: bool) -> tuple[Cor1Instance, ...]:
    rng = _rng(seed, f"cor1-{rule}-{corrected}")
    cases = []
    for i in range(count):
        inst = cor1_instance(rng, rule, "adversarial" if i % 3 == 0 else "random", corrected)
        if inst is not None:
            cases.append(inst)
    return tuple(cases)


def _cor1_check(profile: Profile, seed: int, rule: str, corrected: bool = True) -> CheckOutcome:
    """Corollary 1: under its hypotheses (checked exactly), R <= the exact ensemble radius."""
    cases = _cor1_cases(rule, max(8, profile.instances // 2), seed, corrected)
    violations, beats = [], 0
    for idx, inst in enumerate(cases):
        beats += inst.radius > inst.r
        if inst.radius > inst.truth * (1 + TOL):
            violations.append(f"#{idx} ({inst.family}, {_describe(inst.ens)}, r={inst.r:.4g}, Delta={inst.delta:.3g}, "
                              f"cos(theta)={inst.cos_theta:.4f}): R = {inst.radius:.6g} > exact radius "
                              f"{inst.truth:.6g}{_cor1_flip_note(inst, rule)}")
    truth = "exact WE radius" if rule == "we" else "exact pair-sum radius (<= MME radius)"
    return _outcome(violations, len(cases), f"{len(cases)} two-model quadratic instances meeting the hypotheses "
                                            f"(d 1-50, C 2-10; {beats} with R > r) vs the {truth}")


def _cor1_flip_note(inst: Cor1Instance, rule: str) -> str:
    """The ensemble's own prediction at the worst point of the ball of radius R (Definitions 2-3)."""
    ens, wrong = inst.ens, _wrong(inst.ens)
    coeffs = ([we_margin_coeffs(ens, y) for y in wrong] if rule == "we"
              else [pair_coeffs(ens, y1, y2) for y1 in wrong for y2 in wrong])
    worst = min((minimize_quadratic_on_ball(*ens.combine(k), inst.radius) for k in coeffs), key=lambda m: m.value)
    scores = ens.scores(worst.argmin[None, :])
    pred = int(reference_we_predict(scores, ens.w)[0] if rule == "we" else reference_mme_predict(scores)[0])
    return f" (the {rule.upper()} predicts {pred} at |delta| = {np.linalg.norm(worst.argmin):.4g}, y0 = 0)"


def _exact_beats(constant: float, delta: float, cos: float) -> bool:
    """R > r in exact arithmetic of the given floats: ((1 - D)/(1 + D))^2 > 1 - C (1 - cos)."""
    c, dl, cs = Fraction(constant), Fraction(delta), Fraction(cos)
    return ((1 - dl) / (1 + dl)) ** 2 > 1 - c * (1 - cs)


def _remark_points(rng: np.random.Generator, count: int) -> list[tuple[float, float, float]]:
    """Random (C, Delta, cos) plus exact equality points (Delta = 0, cos = 1) and near-equality ones."""
    pts = [(float(rng.uniform(1e-3, 0.5)), 0.0, 1.0) for _ in range(max(2, count // 10))]
    pts += [(0.5, 0.0, 1.0)]
    for _ in range(count):
        c, dl = float(rng.uniform(1e-3, 0.5)), float(rng.uniform(0.0, 0.99))
        pts.append((c, dl, float(rng.uniform(-1.0, 1.0))))
        t = float(cp.ensemble_beats_single_threshold(c, dl))
        if -1.0 <= t <= 1.0:
            pts.append((c, dl, float(np.clip(t + rng.choice([-1, 1]) * 1e-6, -1, 1))))
    return pts


def _remark_check(profile: Profile, seed: int, beats=None) -> CheckOutcome:
    """The remark after Corollary 1 (for the corrected radius, i.e. at max(cos, 0)) against exact arithmetic."""
    beats = beats or cp.ensemble_beats_single
    violations, skipped = [], 0
    pts = _remark_points(_rng(seed, "remark"), 4 * profile.instances)
    for c, dl, cos in pts:
        eff = max(cos, 0.0)
        truth = _exact_beats(c, dl, eff)
        t = Fraction(1) - 4 * Fraction(dl) / (Fraction(c) * (1 + Fraction(dl)) ** 2)
        if t != Fraction(eff) and abs(float(t - Fraction(eff))) < 1e-13:
            skipped += 1  # within rounding of the threshold (not an exact tie): float verdict is ambiguous
            continue
        radius_ratio = float(cp.corollary1_radius(1.0, dl, c, cos)) if 1 - c * (1 - eff) > 0 else np.inf
        if bool(beats(c, dl, eff)) != truth or ((radius_ratio > 1.0) != truth and t != Fraction(eff)):
            violations.append(f"C={c:.6g} Delta={dl:.6g} cos={cos:.6g}: claim {bool(beats(c, dl, eff))}, exact {truth}")
    return _outcome(violations, len(pts) - skipped, f"{len(pts)} (C, Delta, cos) points incl. exact ties "
                                                    f"(Delta = 0, cos = 1), {skipped} within rounding skipped")


def _weights_check(profile: Profile, seed: int, optimum=None) -> CheckOutcome:
    """Optimal WE weights: C_WE at the stated weights equals the stated C*, and no weight does better.

    Exact certificate: with ``s = log(w2/w1)`` each term is ``(1/2) sech^2((s + l_y)/2)``, decreasing in
    ``|s + l_y|``, so ``min_y`` is maximised exactly where ``max_y |s + l_y|`` is smallest, at the midpoint of
    ``-l_max`` and ``-l_min`` (compared to 1e-12, plus a grid of 4001 weights as a sanity check).
    """
    optimum = optimum or cp.optimal_we_weights
    rng = _rng(seed, "weights")
    violations = []
    for i in range(profile.instances):
        k = 1 if i % 4 == 0 else int(rng.integers(2, 10))
        a, b = rng.uniform(0.01, 1.0, size=k), rng.uniform(0.01, 1.0, size=k)
        w, cstar = optimum(a, b)
        ell = np.log(b) - np.log(a)
        s = float(np.log(w[1] / w[0]))
        achieved = float(cp.we_constant(a, b, w))
        best = float(0.5 / np.cosh((ell.max() - ell.min()) / 4) ** 2)
        grid = np.linspace(-ell.max() - 1, -ell.min() + 1, 4001)
        on_grid = float(cp.weight_objective(grid, a, b).max())
        if not (abs(achieved - float(cstar)) <= 1e-12 and abs(achieved - best) <= 1e-12 and on_grid <= best + 1e-12
                and abs(s + (ell.max() + ell.min()) / 2) <= 1e-9):
            violations.append(f"K={k}: stated C* {float(cstar):.9g}, achieved {achieved:.9g}, optimum {best:.9g}")
        if k == 1 and not (abs(w[0] / w[1] - b[0] / a[0]) <= 1e-9 * b[0] / a[0] and abs(achieved - 0.5) <= 1e-12):
            violations.append("one wrong class: w is not proportional to (f_2^{y0/y}, f_1^{y0/y}) with C = 1/2")
    return _outcome(violations, profile.instances, f"{profile.instances} margin pairs (K = 1-9 wrong classes)")


def _swapped_weights(a, b):
    w, _ = cp.optimal_we_weights(a, b)
    return w[..., ::-1], cp.we_constant(a, b, w)


def _half_exponent_weights(a, b):
    w, _ = cp.optimal_we_weights(a, b)
    ell = np.log(b) - np.log(a)
    return w, 0.5 / np.cosh((ell.max() - ell.min()) / 2) ** 2


@functools.lru_cache(maxsize=8)
def _propB1_cases(count: int, seed: int) -> tuple[tuple[QuadraticEnsemble, int, bool], ...]:
    """WE instances split into two sub-ensembles; every fifth has the second half a copy of the first (colinear)."""
    rng = _rng(seed, "propB1")
    cases = []
    for i in range(count):
        n = int(rng.integers(2, 11))
        ens = random_ensemble(rng, n_models=n, n_classes=int(rng.integers(2, 11)), d=_dimension(rng),
                              beta=_beta(rng), curvature=_CURVATURES[i % 4], rule="we", all_predict=True)
        split = int(rng.integers(1, n))
        if i % 5 == 4:  # colinear halves: the union is the first half counted twice
            half = max(1, n // 2)
            idx = np.r_[np.arange(half), np.arange(half)]
            ens = QuadraticEnsemble(ens.a[idx], ens.g[idx], ens.H[idx], ens.beta, ens.w[idx], ens.y0)
            split = half
        cases.append((ens, split, i % 5 == 4))
    return tuple(cases)


def _sub(ens: QuadraticEnsemble, idx: np.ndarray) -> QuadraticEnsemble:
    return QuadraticEnsemble(ens.a[idx], ens.g[idx], ens.H[idx], ens.beta, ens.w[idx], ens.y0)


def _propB1_check(profile: Profile, seed: int, require_hypothesis: bool = True, compare_to: str = "min") -> CheckOutcome:
    """Proposition B.1: both halves satisfy Eq. (4) at r = min of their certified radii (and the union's margin
    gradients are not colinear) => the union satisfies Eq. (4) strictly at r, certifies r' > r, and is r'-robust.

    Computed certified radii (closed-form roots) and the exact union radius; ``compare_to='max'`` is the
    stronger, false reading 'the union beats the better half'.
    """
    violations, used = [], 0
    for idx, (ens, split, colinear) in enumerate(_propB1_cases(profile.instances, seed)):
        n = ens.shape[0]
        halves = (_sub(ens, np.arange(split)), _sub(ens, np.arange(split, n)))
        if any(cd.we_condition_value(h.a, h.w, ens.y0) <= 0 for h in halves):
            continue  # a half does not predict y0 at x0: Theorem 1's assumption fails for it
        radii = [float(cd.theorem1_certified_radius(h.a, h.g, h.w, ens.y0, ens.beta)) for h in halves]
        grads = [cd.margin_gradients(np.einsum("ncd,n->cd", h.g, h.w), ens.y0) for h in halves]
        norms = [np.linalg.norm(gr, axis=-1) for gr in grads]
        cos = np.einsum("cd,cd->c", *grads) / np.maximum(norms[0] * norms[1], 1e-300)
        hypothesis = bool(np.all(norms[0] > 0) and np.all(norms[1] > 0) and np.all(cos < 1 - 1e-6))
        if require_hypothesis and not hypothesis:
            continue
        used += 1
        r = min(radii) if compare_to == "min" else max(radii)
        union = float(cd.theorem1_certified_radius(ens.a, ens.g, ens.w, ens.y0, ens.beta))
        slack = cp.we_slack(ens.a, ens.g, ens.w, ens.y0, ens.beta, min(radii))
        if not (union > r and (compare_to == "max" or np.all(slack > 0))):
            violations.append(f"#{idx} {_describe(ens)} (halves {split}+{n - split}{', colinear' if colinear else ''}): "
                              f"union certifies {union:.9g}, halves {radii[0]:.9g} and {radii[1]:.9g}")
        if union > we_radius(ens) * (1 + TOL):
            violations.append(f"#{idx}: union certified {union:.6g} beyond its exact radius")
    return _outcome(violations, used, f"{used} splits of quadratic WE instances meeting the hypotheses (N 2-10)")


# =====================================================================================================
# registry
# =====================================================================================================


def _m(name: str, fn, **kw) -> Mutation:
    return Mutation(name, functools.partial(fn, **kw))


def _cond(rule, statement, divisor=1):
    return functools.partial(_condition_check, rule, statement, divisor=divisor)


def _cond_m(name, rule, statement, divisor=1) -> Mutation:
    return Mutation(name, _cond(rule, statement, divisor))


_QT = ("exact trust-region radii of quadratic ensembles (||H|| <= beta; random and extremal Hessians), "
       "radii 1e-6 to 3x beyond and inside the exact radius")
_SX = "Dirichlet, integer-grid (exact ties) and near-tie confidence arrays; predictions of Defs. 2-3 written independently"

CHECKS = [
    Check("def2", "def2_we_prediction_reference", _SX, "M_WE = argmax_i sum_j w_j f_j(x)_i",
          "same, ties to the lowest class", _def2_check,
          (_m("ties to the highest class", _def2_check,
              predict=lambda f, w: f.shape[-1] - 1 - np.argmax(cd.we_scores(f, w)[..., ::-1], axis=-1)),
           _m("unweighted sum", _def2_check, predict=lambda f, w: cd.we_predict(f, np.ones_like(w))))),
    Check("def3", "def3_mme_prediction_reference", _SX, "M_MME = F_c(x), c = argmax_i (top-1 minus runner-up of f_i)",
          "same, ties to the lowest model and class", _def3_check,
          (_m("largest top-1 confidence decides", _def3_check,
              predict=lambda f: np.argmax(np.take_along_axis(
                  f, np.argmax(f.max(axis=-1), axis=-1)[..., None, None], axis=-2)[..., 0, :], axis=-1)),
           _m("smallest gap decides", _def3_check,
              predict=lambda f: np.argmax(np.take_along_axis(
                  f, np.argmin(cd.mme_gaps(f), axis=-1)[..., None, None], axis=-2)[..., 0, :], axis=-1)))),
    Check("factB1", "factB1_single_condition_pointwise", _SX,
          "r-robust iff min_y f^{y0/y} >= 0 on the closed ball", "> 0 sufficient, >= 0 necessary (ties)",
          functools.partial(_pointwise_check, target="single"),
          (_m("printed: >= 0 sufficient", _pointwise_check, target="single", strict=False),)),
    Check("propB2", "propB2_we_condition_pointwise", _SX,
          "r-robust iff min_y sum_j w_j f_j^{y0/y} >= 0 on the closed ball", "> 0 sufficient, >= 0 necessary (ties)",
          functools.partial(_pointwise_check, target="we"),
          (_m("printed: >= 0 sufficient", _pointwise_check, target="we", strict=False),)),
    Check("lemB1", "lemB1_mme_sufficient_any_tie_rule", _SX + "; adversarial tie rule",
          "max a + min a >= 0 => M_MME = y0", "> 0 => M_MME = y0 under every tie rule", _lemB1_check,
          (_m("printed >= 0 under adversarial ties", _lemB1_check, strict=False),)),
    Check("lemB2", "lemB2_mme_necessary_under_assumption2", _SX + "; favourable tie rule",
          "(2) and M_MME = y0 => max a + min a >= 0", "same (under any tie rule)", _lemB2_check,
          (_m("assumption (2) dropped", _lemB2_check, assume=False),)),
    Check("thm4", "thm4_mme_condition_on_finite_balls", _SX + "; sets of 5 points as balls",
          "r-robust iff max a + min a >= 0 on the ball (under (2))", "> 0 on the ball sufficient; >= 0 necessary "
          "under (2)", _thm4_check,
          (_m("printed >= 0 sufficient", _thm4_check, strict=False),
           _m("assumption (2) dropped", _thm4_check, assume=False))),
    Check("thm1", "thm1_we_quadratic_exact_radius", _QT + "; N 2-10, C 2-10",
          "Eq. (4) => r-robust => Eq. (5) (printed 'r sum w f' in (4))",
          "same with (1/r) sum w f; both bounds attained", _cond("we", _thm1()),
          (_cond_m("beta halved in Eq. (4)", "we", _thm1(beta_scale=0.5)),
           _cond_m("Eq. (5) without + beta r sum w", "we", _thm1(necessary_term=0.0)),
           _cond_m("Eq. (4) read literally (r times the margin)", "we", _thm1(literal_printed=True)))),
    Check("propB3", "propB3_single_quadratic_exact_radius", _QT + "; C 2-10",
          "Eq. (31) => r-robust => Eq. (32)", "same, both attained", _cond("single", _propB3()),
          (_cond_m("beta halved in Eq. (31)", "single", _propB3(beta_scale=0.5)),
           _cond_m("Eq. (32) without + beta r", "single", _propB3(necessary_term=0.0)))),
    Check("thm3", "thm3_mme_quadratic_pair_radius", _QT + "; two models, C 2-6; pair-sum radius (the MME radius "
          "where assumption (2) is certified on the ball) and the affine equality case",
          "Eq. (12) with <= => r-robust => Eq. (13)", "Eq. (12) strict (<= fails only for beta = G = S = 0)",
          _cond("mme", _thm3(), divisor=2),
          (_cond_m("2 beta r replaced by beta r in Eq. (12)", "mme", _thm3(beta_scale=0.5), divisor=2),
           _cond_m("Eq. (13) without + 2 beta r", "mme", _thm3(necessary_term=0.0), divisor=2),
           _cond_m("printed <= in Eq. (12) (affine equality case)", "mme", _thm3(strict=False), divisor=2))),
    Check("eri6", "eri6_indicator_quadratic", "Eq. (6) recomputed from the quadratic coefficients; " + _QT,
          "I_y = ||sum w grad f^{y0/y}||/||w||_1 - sum w f^{y0/y}/(r ||w||_1)",
          "same; max I <= -beta r iff Eq. (4), max I <= beta r iff Eq. (5)", _eri_check,
          (_m("r in place of 1/(r ||w||_1) (extracted Eq. 7)", _eri_check, eri_fn=_printed_eri),)),
    Check("eri-beta", "eri_beta_verdict_quadratic", _QT,
          "min_y I <= -beta r => robust; min_y I > beta r => not robust",
          "max_y I <= -beta r => robust; max_y I > beta r => not robust (printed (1) false)", _eri_beta_check,
          (_m("printed min rule", _eri_beta_check, verdict=_verdict_printed_min),)),
    Check("cor1-we", "cor1_we_quadratic_exact_radius",
          "exact WE radius of two-model quadratic ensembles meeting every hypothesis (exact base radii); random and "
          "anti-parallel-gradient families", "R = r (1-D)/(1+D) (1 - C_WE (1 - cos theta))^-1/2 for any cos theta",
          "same with max(cos theta, 0) (printed false for cos theta < 0)",
          functools.partial(_cor1_check, rule="we"),
          (_m("printed radius (cos theta < 0 allowed)", _cor1_check, rule="we", corrected=False),)),
    Check("cor1-mme", "cor1_mme_quadratic_pair_radius",
          "exact pair-sum radius (<= MME radius) of two-model quadratic ensembles meeting every hypothesis; random and "
          "anti-parallel-gradient families", "R = r (1-D)/(1+D) (1 - C_MME (1 - cos theta))^-1/2 for any cos theta",
          "same with max(cos theta, 0)", functools.partial(_cor1_check, rule="mme"),
          (_m("printed radius (cos theta < 0 allowed)", _cor1_check, rule="mme", corrected=False),)),
    Check("cor1-weights", "cor1_optimal_weights_exact", "exact optimality certificate (midpoint of -l_max, -l_min) and "
          "a 4001-point grid", "one class: w ~ (f_2^{y0/y}, f_1^{y0/y}), C = 1/2; else optimise w2",
          "log(w2/w1) = -(l_max + l_min)/2, C* = sech^2((l_max - l_min)/4)/2", _weights_check,
          (_m("weights swapped", _weights_check, optimum=_swapped_weights),
           _m("C* with /2 for /4", _weights_check, optimum=_half_exponent_weights))),
    Check("cor1-remark", "cor1_remark_exact_arithmetic", "exact rational arithmetic of the float inputs",
          "R > r iff cos theta <= 1 - 4D/(C (1+D)^2)", "strict <; applies to max(cos theta, 0)", _remark_check,
          (_m("printed <=", _remark_check, beats=lambda c, d, cos: np.asarray(cos) <= cp.ensemble_beats_single_threshold(c, d)),
           _m("2 Delta for 4 Delta", _remark_check,
              beats=lambda c, d, cos: np.asarray(cos) < 1 - 2 * d / (c * (1 + d) ** 2)))),
    Check("propB1", "propB1_union_certifies_more", "closed-form certified radii of quadratic WE sub-ensembles and the "
          "exact union radius", "Eq. (4) for both halves at r, non-colinear => union certified radius r' > r",
          "same (with the weights in Eqs. 16-20); not beyond the better half", _propB1_check,
          (_m("colinearity assumption dropped", _propB1_check, require_hypothesis=False),
           _m("union beats the better half", _propB1_check, compare_to="max"))),
]
