"""Quadratic ensembles and their exact robust radii: the ground truth of the robustness-condition checks.

Every class score is ``f_{j,c}(x0 + delta) = a + g.delta + delta^T H delta / 2`` with ``||H||_2 <= beta``, so each
base model is beta-smooth (Definition 4) and every margin is again a quadratic. The exact robust radius of the WE
(Proposition B.2) and of a single model (Fact B.1) is the minimum over the wrong classes of
:func:`verify.trust_region.quadratic_robust_radius` (trust-region subproblem, machine precision). For the
two-model MME the radius of the pair sums ``f_1^{y0/y1} + f_2^{y0/y2}`` (Lemma B.1 with N = 2) is a rigorous lower
bound on the MME radius, and equals it whenever assumption (2) of Theorem 4 holds on the ball (Lemma B.2).
Used by :mod:`verify.checks.conditions` (Theorems 1, 3, Proposition B.3, the ERI) and
:mod:`verify.checks.comparison` (Corollary 1, Proposition B.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory import conditions as cd
from verify.trust_region import minimize_quadratic_on_ball, quadratic_robust_radius

__all__ = ["QuadraticEnsemble", "we_margin_coeffs", "single_margin_coeffs", "pair_coeffs", "exact_min_radius",
           "wrong_classes", "we_radius", "single_radius", "pair_radius", "assumption2_radius", "flip_witness",
           "random_dimension", "unit_symmetric", "random_ensemble", "random_beta", "describe", "CURVATURES", "TOL"]

TOL = 1e-9  # relative slack between a statement's radius and the exact radius (accurate to ~1e-14)
CURVATURES = ("random", "neg", "pos", "mixed")  # Hessian families of random_ensemble, cycled by the checks

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


def wrong_classes(ens: QuadraticEnsemble) -> list[int]:
    """The classes other than ``y0``."""
    return [y for y in range(ens.shape[1]) if y != ens.y0]


def we_radius(ens: QuadraticEnsemble) -> float:
    """Exact r of Definition 1 for ``M_WE`` (Proposition B.2: every weighted margin stays positive)."""
    return exact_min_radius([ens.combine(we_margin_coeffs(ens, y)) for y in wrong_classes(ens)])[0]


def single_radius(ens: QuadraticEnsemble, j: int = 0) -> float:
    """Exact r of Definition 1 for base model ``j`` (Fact B.1)."""
    return exact_min_radius([ens.combine(single_margin_coeffs(ens, j, y)) for y in wrong_classes(ens)])[0]


def pair_radius(ens: QuadraticEnsemble) -> float:
    """Exact radius of ``{min_{y1,y2} f_1^{y0/y1} + f_2^{y0/y2} > 0}``: a lower bound on the two-model MME radius."""
    wrong = wrong_classes(ens)
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
        quads += [ens.combine(single_margin_coeffs(ens, j, y)) for y in wrong_classes(ens) if y != exempt]
    return exact_min_radius(quads)[0] if quads else np.inf


def flip_witness(ens: QuadraticEnsemble, coeffs: np.ndarray, radius: float) -> np.ndarray:
    """The minimiser of the quadratic ``coeffs`` over the ball of ``radius`` (a point where it is <= 0 beyond r)."""
    return minimize_quadratic_on_ball(*ens.combine(coeffs), radius).argmin


def random_dimension(rng: np.random.Generator) -> int:
    """An input dimension, log-uniform in 1-50."""
    return int(np.clip(np.round(np.exp(rng.uniform(0.0, np.log(50.0)))), 1, 50))


def unit_symmetric(rng: np.random.Generator, shape: tuple[int, ...], d: int) -> np.ndarray:
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
    unit = unit_symmetric(rng, (n, c), d) * rng.uniform(0.0, 1.0, size=(n, c, 1, 1))
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


def random_beta(rng) -> float:
    """A smoothness constant, log-uniform in [1e-3, 1]."""
    return float(np.exp(rng.uniform(np.log(1e-3), np.log(1.0))))


def describe(ens: QuadraticEnsemble) -> str:
    """The instance's size and beta, for a violation message."""
    n, c, d = ens.shape
    return f"N={n} C={c} d={d} beta={ens.beta:.3g}"
