"""Landau levels of two-band continuum models in a uniform b: closed forms and oscillator basis.

Units hbar = e = 1, charge absorbed (``b = eB``; for electrons ``b > 0`` means ``B_z < 0``).
The kinetic momenta ``K = p - a`` obey ``[K_x, K_y] = i b``; with a ladder operator
``[A, A^dagger] = 1``,

    K_x = sqrt(|b|/2) (A + A^dagger),   K_y = -i sgn(b) sqrt(|b|/2) (A - A^dagger)

(``A = (K_x + i sgn(b) K_y)/sqrt(2|b|)``). Every level is ``|b|/(2 pi)``-fold degenerate per unit
area (guiding centres); the oscillator basis describes one guiding centre.

Massive Dirac (paper Eq. 41), ``H = v sigma.K + m v^2 sigma_z``: ``E_{n,+-} = +-sqrt(m^2 v^4 +
2 |b| v^2 n)`` for ``n >= 1`` and one zero mode ``E_0 = m v^2 sgn(b)``. Derivation for b > 0
(v = 1): ``H = [[m, sqrt(2b) A^dagger], [sqrt(2b) A, -m]]`` couples ``(|n>, 0)`` with
``(0, |n-1>)`` in blocks ``[[m, sqrt(2bn)], [sqrt(2bn), -m]]`` and leaves ``(|0>, 0)`` alone,
at energy ``+m``; for b < 0 the roles of A and A^dagger swap and ``(0, |0>)`` is left, at ``-m``.
So the zero mode is the top of the lower band's fan (``E_0 = -|m|``) when ``b m < 0`` and the
bottom of the upper one (``+|m|``) when ``b m > 0``; semiclassically it is the ``n = 0`` orbit of
that band, shifted by ``-M_k . b`` (Eq. 35, ERRATA 5).

Weyl node (Eq. 51), ``H = chi v sigma.K`` at fixed ``p_z``: ``chi`` times the Dirac problem
with ``m v^2 -> v p_z``, so ``E_{n,+-} = +-v sqrt(p_z^2 + 2|b|n)`` and the chiral branch
``E_0 = chi v p_z sgn(b)`` (Eq. 53 with ERRATA 7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..models.base import Model, check_finite

#: Eigenvector weight on the top ``n_edge`` oscillator states above which a level is
#: considered touched by the truncation and discarded.
EDGE_TOL = 1e-10
#: Relative accuracy required of a symbol to count as a polynomial of degree <= 2.
POLY_TOL = 1e-10


@dataclass(frozen=True)
class LandauLevels:
    """Landau levels ``energies`` (ascending) with ``index`` n (-1: unknown) and ``branch``
    (+1 / -1: sign of E - (zero mode); 0: the zero mode / chiral branch; numerical: sign of E)."""

    energies: np.ndarray
    index: np.ndarray
    branch: np.ndarray
    b: float
    method: str
    n_oscillators: int = 0
    max_change: float = 0.0     # numerical: largest change of a kept level when the basis grows

    @property
    def degeneracy_per_area(self) -> float:
        """``|b|/(2 pi)`` states per unit area in every level."""
        return abs(self.b) / (2 * math.pi)

    def to_dataset(self):
        import xarray as xr

        return xr.Dataset(
            {"energy": ("level", self.energies), "index": ("level", self.index),
             "branch": ("level", self.branch)},
            attrs={"b": self.b, "method": self.method, "n_oscillators": self.n_oscillators,
                   "max_change": self.max_change, "degeneracy_per_area": self.degeneracy_per_area,
                   "units": "hbar = e = 1, b = eB"})


def _nonzero_b(b):
    b = check_finite("b", b)
    if b == 0:
        raise ParameterError("b", b, "a non-zero field b = eB")
    return b


def _levels(zero, n_max, gap0, step, b, method):
    n = np.arange(1, int(n_max) + 1)
    e = np.sqrt(gap0**2 + step * n)
    E = np.concatenate([[zero], e, -e])
    idx = np.concatenate([[0], n, n])
    br = np.concatenate([[0], np.ones_like(n), -np.ones_like(n)])
    o = np.argsort(E, kind="stable")
    return LandauLevels(E[o], idx[o], br[o], b, method)


def dirac_landau_levels(mass: float, b: float, n_max: int = 20, v: float = 1.0) -> LandauLevels:
    """Closed-form levels of :class:`~berrykin.models.MassiveDirac2D` (see module docstring).

    >>> L = dirac_landau_levels(1.0, 0.5, n_max=1)
    >>> [round(float(e), 12) for e in L.energies]      # -sqrt(2), E_0 = m sgn(b), +sqrt(2)
    [-1.414213562373, 1.0, 1.414213562373]
    """
    b, m, v = _nonzero_b(b), check_finite("mass", mass), check_finite("v", v)
    return _levels(m * v * v * math.copysign(1.0, b), n_max, m * v * v, 2 * abs(b) * v * v, b,
                   "closed form (massive Dirac)")


def weyl_landau_levels(p_z: float, b: float, n_max: int = 20, chirality: int = 1,
                       v: float = 1.0) -> LandauLevels:
    """Closed-form levels of :class:`~berrykin.models.Weyl3D` at fixed ``p_z`` (field along z)."""
    b, pz, v = _nonzero_b(b), check_finite("p_z", p_z), check_finite("v", v)
    if chirality not in (1, -1):
        raise ParameterError("chirality", chirality, "+1 or -1")
    return _levels(chirality * v * pz * math.copysign(1.0, b), n_max, v * pz, 2 * abs(b) * v * v, b,
                   "closed form (Weyl node)")


def polynomial_symbol(model: Model, p_z: float = 0.0, t: float = 0.0) -> dict:
    """Coefficients ``C`` (2x2) of ``H(k) = sum C_mono k^mono`` for the in-plane momentum.

    Keys ``'1', 'x', 'y', 'xx', 'xy', 'yy'``. The model's Hamiltonian ``eps/2 + Delta.sigma/2``
    at ``p = (kx, ky[, p_z])`` must be a polynomial of degree <= 2 in (kx, ky), independent of
    r (checked at random points; else :class:`ParameterError`).
    """
    if not isinstance(model, Model) or model.dim not in (2, 3):
        raise ParameterError("model", model, "a berrykin Model in 2D (or 3D at fixed p_z)")
    tail = [] if model.dim == 2 else [float(p_z)]

    def H(kx, ky, r=None):
        return model.hamiltonian(r, [kx, ky] + tail, t)

    C = {"1": H(0, 0)}
    hp, hm, kp, km = H(1, 0), H(-1, 0), H(0, 1), H(0, -1)
    C["x"], C["xx"] = (hp - hm) / 2, (hp + hm) / 2 - C["1"]
    C["y"], C["yy"] = (kp - km) / 2, (kp + km) / 2 - C["1"]
    C["xy"] = H(1, 1) - C["1"] - C["x"] - C["y"] - C["xx"] - C["yy"]
    rng = np.random.default_rng(0)
    for _ in range(3):
        kx, ky = rng.uniform(-3, 3, 2)
        r = rng.uniform(-3, 3, model.dim) if model.depends_on_r else None
        exact = H(kx, ky, r)
        poly = C["1"] + kx * C["x"] + ky * C["y"] + kx * kx * C["xx"] + kx * ky * C["xy"] + ky * ky * C["yy"]
        if np.max(np.abs(exact - poly)) > POLY_TOL * max(1.0, np.max(np.abs(exact))):
            raise ParameterError("model", model, "a Hamiltonian polynomial of degree <= 2 in the in-plane "
                                 "momentum and independent of r (e.g. MassiveDirac2D, Weyl3D)")
    return C


def oscillator_hamiltonian(coefficients: dict, b: float, n: int) -> np.ndarray:
    """The Weyl-ordered symbol on ``n`` oscillator states: ``(2n, 2n)``, index ``2 j + orbital``.

    Products ``K_i K_j`` are formed on ``n + 2`` states and then truncated (exact on the
    kept block); ``k_x k_y -> (K_x K_y + K_y K_x)/2``.
    """
    b = _nonzero_b(b)
    m = int(n) + 2
    A = np.diag(np.sqrt(np.arange(1, m, dtype=np.float64)), k=1).astype(np.complex128)
    s = math.sqrt(abs(b) / 2)
    Kx = s * (A + A.conj().T)
    Ky = -1j * math.copysign(1.0, b) * s * (A - A.conj().T)
    ops = {"1": np.eye(m), "x": Kx, "y": Ky, "xx": Kx @ Kx, "yy": Ky @ Ky, "xy": (Kx @ Ky + Ky @ Kx) / 2}
    H = sum(np.kron(ops[key][:n, :n], coefficients[key]) for key in ops)
    return 0.5 * (H + H.conj().T)


def _interior(C, b, n):
    E, V = np.linalg.eigh(oscillator_hamiltonian(C, b, n))
    n_edge = max(4, n // 8)
    edge = np.sum(np.abs(V[2 * (n - n_edge):, :]) ** 2, axis=0)
    return E[edge < EDGE_TOL]


def landau_levels(model: Model, b: float, *, n_oscillators: int = 64, p_z: float = 0.0,
                  t: float = 0.0, tol: float = 1e-11) -> LandauLevels:
    """Landau levels of ``model`` in a uniform ``b`` along z, numerically (oscillator basis).

    ``model``: a 2D model (or a 3D one at fixed ``p_z``) whose symbol is a polynomial of degree
    <= 2 in the in-plane momentum (:func:`polynomial_symbol`). The symbol is quantised with
    Weyl ordering on ``n_oscillators`` ladder states. Truncation: levels whose eigenvector has
    weight > :data:`EDGE_TOL` on the top ``max(4, n/8)`` oscillator states are discarded, and the
    rest must reappear within ``tol`` in a basis larger by ``max(8, n/4)`` states (else
    :class:`ParameterError`). Returns the kept levels, ascending (``index = -1``).
    """
    b = _nonzero_b(b)
    n = int(n_oscillators)
    if n < 16:
        raise ParameterError("n_oscillators", n_oscillators, "at least 16 oscillator states")
    C = polynomial_symbol(model, p_z, t)
    E1 = _interior(C, b, n)
    E2 = _interior(C, b, n + max(8, n // 4))
    change = np.min(np.abs(E1[:, None] - E2[None, :]), axis=1) if E2.size else np.full(E1.shape, np.inf)
    worst = float(change.max()) if change.size else 0.0
    if worst > tol * max(1.0, float(np.max(np.abs(E1)))):
        raise ParameterError("n_oscillators", n_oscillators,
                             f"a basis in which the kept levels converge (they moved by {worst:.3g})")
    return LandauLevels(E1, -np.ones(E1.size, dtype=int), np.sign(E1).astype(int), b,
                        "oscillator basis", n, worst)
