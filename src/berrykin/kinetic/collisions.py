"""Collision operators of the sKE in the relaxation-time approximation (issue 9, docs/transport.md).

A collision operator is one more part of the right-hand side of the sKE,

    d_t n_s + d_i(...) = R_s + C_s[n],

passed to :class:`~berrykin.kinetic.KineticSolver` as ``collisions=(...)``. Each has its own
ledger source group (named by its ``name``), so the particles it moves can be read from the
result. Two operators are provided; they differ in what they relax towards:

* :class:`RelaxationTime` (**conserving**): ``C_s = -(n_s - f_s^loc)/tau_s`` towards the *local*
  equilibrium ``f_s^loc = <f(eps_s; mu_loc, T)>_cell`` whose chemical potential ``mu_loc`` is
  fixed, per block of cells (the whole momentum grid of a homogeneous run; every space cell of a
  phase-space grid), by the conservation law ``sum_s (1/tau_s) Int n_s = sum_s (1/tau_s) Int
  f_s^loc``. Its integral over a block is zero to round-off, so the ledger's conservation
  residual stays at round-off with collisions on.
* :class:`RelaxationToFixed` (**not conserving**, the naive form): ``C_s = -(n_s - f_s^0)/tau_s``
  towards a fixed ``f^0 = <f(eps_s; mu_0, T)>_cell``. It changes the particle number whenever
  the density of ``n`` differs from that of ``f^0`` (the ledger shows it).

Band-resolved times: ``tau`` is ``tau_+`` (upper band, s = +1), ``tau_minus`` is ``tau_-``
(default ``tau``). Names: ``tau`` here is a relaxation *time* (units 1/energy, hbar = 1), not
the pseudospin ``tau = sigma/2`` of the Hamiltonian.

Occupations (cell averages, continuous and monotone in mu also at T = 0). ``f_s`` is averaged
over each momentum cell with ``order`` Gauss-Legendre points per axis (metric included, as
:func:`~berrykin.kinetic.fermi_dirac`). At ``T = 0`` the step of each Gauss point is replaced by
a linear ramp ``clip((mu - eps_q)/delta + 1/2, 0, 1)`` of width ``delta = (max_q eps - min_q
eps)/(2 order^2)`` of the cell (narrower than the distance of the outer Gauss points from the
cell edges, so a Fermi surface on a cell edge gives the exact cell averages), so the discrete
density ``rho(mu)`` is a continuous, piecewise-linear, non-decreasing function of mu and the
equation ``rho(mu) = rho[n]`` is solved by a bracketed root find (``scipy.optimize.brentq`` for
one block, vectorised bisection for many). After the root find the remaining mismatch of the
integral (at the root tolerance) is removed by the first-order correction
``f^loc += (target - rho(mu)) d_mu f / d_mu rho``, which makes the conservation exact to
round-off. Bands of the *bare* model at the kinetic momentum (ERRATA choice 7), evaluated once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..geometry import band_energies, gap_vector, momentum_berry_field
from .coefficients import as_kinetic_grid
from .grids import HomogeneousGrid
from .initial import _field_vector

__all__ = ["RelaxationTime", "RelaxationToFixed", "CellOccupation"]


_GEOMETRY = {}


def _geometry(model, mg, order, fields=False):
    """Bare band energies ``(..., Q, 2)`` at the Gauss points of a momentum grid (r-independent
    model) and, with ``fields``, ``B_k (..., Q, 3)`` and ``|Delta| (..., Q)``; kept for the last
    few (model, grid, order) (grids compare by identity) so that the solvers of one conductivity
    (zero and +-drive, every node operator) evaluate them once."""
    try:
        key = (model, mg, int(order), bool(fields))
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in _GEOMETRY:
        return _GEOMETRY[key]
    pts, _ = mg.quadrature(order)
    out = (band_energies(model, None, pts, 0.0),)
    if fields:
        out += (momentum_berry_field(model, None, pts, 0.0), np.linalg.norm(gap_vector(model, None, pts, 0.0), axis=-1))
    if key is not None:
        if len(_GEOMETRY) >= 8:
            _GEOMETRY.pop(next(iter(_GEOMETRY)))
        _GEOMETRY[key] = out
    return out


def _positive(name, value):
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ParameterError(name, value, "a finite relaxation time > 0 (units 1/energy)")
    return v


class CellOccupation:
    """Cell-averaged occupations ``<f(eps_s; mu, T)>_cell`` on a kinetic grid (module docstring).

    ``model`` is the bare model; ``grid`` a momentum, homogeneous or phase-space grid. Calls:
    ``occ(mu)`` (mu a float or an array of the space-grid shape) -> ``(2,) + grid.shape``;
    ``occ.dmu(mu)`` its derivative with respect to mu (same shape).
    """

    def __init__(self, model, grid, T=0.0, order=None, b=None, energy_shift=False):
        grid = as_kinetic_grid(grid)
        T = float(T)
        if not (math.isfinite(T) and T >= 0):
            raise ParameterError("T", T, "a temperature >= 0")
        self.grid, self.T = grid, T
        order = (4 if T == 0 else 4) if order is None else int(order)
        if order < 1:
            raise ParameterError("order", order, "an integer >= 1")
        self.order = order
        mg = grid.momentum
        pts, w = mg.quadrature(order)
        self.n_space = 0 if isinstance(grid, HomogeneousGrid) else grid.n_space
        if self.n_space and model.depends_on_r:
            rc = grid.space.cell_points()
            d = grid.dim
            r = rc.reshape(rc.shape[:-1] + (1,) * (mg.ndim + 1) + (d,))
            p = pts.reshape((1,) * self.n_space + pts.shape)
            shape = np.broadcast_shapes(r.shape, p.shape)
            e = band_energies(model, np.broadcast_to(r, shape), np.broadcast_to(p, shape), 0.0)
            wq = np.broadcast_to(w.reshape((1,) * self.n_space + w.shape), shape[:-1])
        else:
            r = None
            if model.depends_on_r:
                r0 = np.asarray(grid.r0) if isinstance(grid, HomogeneousGrid) else np.zeros(grid.dim)
                r = np.broadcast_to(r0, pts.shape)
            e = band_energies(model, r, pts, 0.0) if r is not None else _geometry(model, mg, order)[0]
            wq = w
            if self.n_space:  # uniform in r: size-1 space axes, broadcast by _expand
                e = e.reshape((1,) * self.n_space + e.shape)
                wq = w.reshape((1,) * self.n_space + w.shape)
        self.eps = np.ascontiguousarray(np.moveaxis(e, -1, 0))  # (2, [space], mom, Q)
        self.w = np.asarray(wq)
        self.bB = None  # b.B_k at the Gauss points: the adiabatic equilibrium in a field b
        if b is not None and np.any(np.asarray(b, dtype=float) != 0):
            if model.depends_on_r:
                raise ParameterError("b", b, "None for an r-dependent model (adiabatic equilibrium: homogeneous models)")
            _, B, gap = _geometry(model, mg, order, True) if r is None else (
                None, momentum_berry_field(model, r, pts, 0.0), np.linalg.norm(gap_vector(model, r, pts, 0.0), axis=-1))
            bB = B @ _field_vector(b, grid.dim)
            self.bB = bB.reshape((1,) * self.n_space + bB.shape) if self.n_space else bB
            if energy_shift:  # occupations of the corrected energies eps_s - |Delta| F/4 (Eq. 23)
                shift = -0.25 * gap * bB
                self.eps = self.eps + (shift.reshape((1,) * self.n_space + shift.shape) if self.n_space else shift)[None]
        spread = self.eps.max(axis=-1, keepdims=True) - self.eps.min(axis=-1, keepdims=True)
        scale = max(float(np.max(np.abs(self.eps))), 1e-300)
        self.delta = np.maximum(spread / (2.0 * order * order), 1e-12 * scale)
        self.e_min = float(self.eps.min() - self.delta.max())
        self.e_max = float(self.eps.max() + self.delta.max())
        self.full_shape = (2,) + grid.shape
        self._dmu_last = None

    def _mu(self, mu):
        mu = np.asarray(mu, dtype=float)
        if mu.ndim == 0:
            return mu
        return mu.reshape((1,) + mu.shape + (1,) * (self.eps.ndim - 1 - mu.ndim))

    def _expand(self, a):
        return np.ascontiguousarray(np.broadcast_to(a, self.full_shape))

    def __call__(self, mu):
        x = self._mu(mu) - self.eps
        if self.T == 0:
            f = np.clip(x / self.delta + 0.5, 0.0, 1.0)
        else:
            f = 0.5 * (1.0 + np.tanh(x / (2.0 * self.T)))
        return self._expand(np.sum(self._adiabatic(f) * self.w, axis=-1))

    def _adiabatic(self, f):
        """``f_s + (f_+ - f_-) b.B_k/4`` (the adiabatic state, ERRATA choice 8) where b is set."""
        return f if self.bB is None else f + 0.25 * (f[0] - f[1])[None] * self.bB

    def dmu(self, mu):
        key = float(mu) if np.ndim(mu) == 0 else None
        if key is not None and self._dmu_last is not None and self._dmu_last[0] == key:
            return self._dmu_last[1]  # the linear solves ask for the same mu at every product
        out = self._dmu(mu)
        if key is not None:
            out.setflags(write=False)
            self._dmu_last = (key, out)
        return out

    def _dmu(self, mu):
        x = self._mu(mu) - self.eps
        if self.T == 0:
            u = x / self.delta + 0.5
            g = np.where((u > 0.0) & (u < 1.0), 1.0 / self.delta, 0.0)
        else:
            c = np.cosh(np.clip(x / (2.0 * self.T), -350.0, 350.0))
            g = 0.25 / (self.T * c * c)
        return self._expand(np.sum(self._adiabatic(g) * self.w, axis=-1))

    def bracket(self):
        """A bracket of every root: all states empty below, all filled above."""
        pad = 40.0 * self.T + 1.0
        return self.e_min - pad, self.e_max + pad


def _band_times(tau, tau_minus):
    tp = _positive("tau", tau)
    tm = tp if tau_minus is None else _positive("tau_minus", tau_minus)
    return tp, tm


class _BandTimes:
    """Shared validation and ``rates`` of the relaxation operators (fields tau, tau_minus, T)."""

    def _validate(self):
        _band_times(self.tau, self.tau_minus)
        if not (math.isfinite(float(self.T)) and float(self.T) >= 0):
            raise ParameterError("T", self.T, "a temperature >= 0")

    @property
    def rates(self):
        """``(1/tau_+, 1/tau_-)``."""
        tp, tm = _band_times(self.tau, self.tau_minus)
        return (1.0 / tp, 1.0 / tm)


@dataclass(frozen=True)
class RelaxationTime(_BandTimes):
    """Conserving relaxation ``C_s = -(n_s - f_s^loc)/tau_s`` to the local equilibrium (module
    docstring): the chemical potential of ``f^loc`` is fixed by the density of each block of
    cells, so particle number is conserved exactly on the grid.

    Attributes
    ----------
    tau : relaxation time of the upper band ``tau_+`` (1/energy; not the pseudospin tau).
    tau_minus : of the lower band ``tau_-`` (default: ``tau``).
    T : temperature of the local equilibrium (energy units, >= 0).
    order : Gauss points per axis of the cell averages (default 4).
    name : the ledger source group.
    b : None, or the uniform field ``b = eB`` (3-vector, or a float along z) of a homogeneous
        run: the local equilibrium is then the adiabatic state ``f_s + (f_+ - f_-) b.B_k/4``
        at ``mu_loc`` (ERRATA choice 8, :func:`~berrykin.kinetic.adiabatic_state`), the e = 0
        steady state in b (relaxing to the bare ``f_s`` would give 2/3 of the chiral anomaly).
    energy_shift : with ``b``, occupations of the corrected energies ``eps_s - |Delta| b.B_k/4``
        (Eq. 23), the thermal equilibrium in b: only then does a shift of mu carry the full
        chiral-magnetic current ``chi b/(4 pi^2)`` per unit mu (docs/transport.md, Weyl pair).

    >>> RelaxationTime(5.0).rates
    (0.2, 0.2)
    """

    tau: float
    tau_minus: float | None = None
    T: float = 0.0
    order: int | None = None
    name: str = "relaxation"
    b: float | tuple | None = None
    energy_shift: bool = False

    conserves_particles = True

    def __post_init__(self):
        self._validate()
        if self.b is not None and np.ndim(self.b) != 0:
            object.__setattr__(self, "b", tuple(float(x) for x in np.ravel(self.b)))

    def bind(self, solver):
        """The operator on ``solver``'s grid (precomputes the band energies)."""
        return _Bound(self, solver.frame.bare_model, solver.grid, None)


@dataclass(frozen=True)
class RelaxationToFixed(_BandTimes):
    """Naive (NOT conserving) relaxation ``C_s = -(n_s - f_s^0)/tau_s`` to the fixed cell-averaged
    equilibrium at ``mu`` and ``T`` (module docstring). Attributes as :class:`RelaxationTime`,
    plus ``mu``, the chemical potential of ``f^0``."""

    tau: float
    mu: float
    tau_minus: float | None = None
    T: float = 0.0
    order: int | None = None
    name: str = "fixed_relaxation"

    conserves_particles = False

    def __post_init__(self):
        self._validate()
        if not math.isfinite(float(self.mu)):
            raise ParameterError("mu", self.mu, "a finite chemical potential")

    def bind(self, solver):
        return _Bound(self, solver.frame.bare_model, solver.grid, float(self.mu))


class _Bound:
    """A collision operator bound to a grid: ``rate(n)``, ``linear(v, mu)``, ``max_rate``."""

    def __init__(self, spec, model, grid, mu_fixed):
        self.spec = spec
        self.name = spec.name
        self.grid = as_kinetic_grid(grid)
        self.occ = CellOccupation(model, self.grid, spec.T, spec.order, getattr(spec, "b", None),
                                  getattr(spec, "energy_shift", False))
        g = self.grid
        self.vol = np.ascontiguousarray(np.broadcast_to(g.volumes(), g.shape)) * g.measure
        self.nu = np.array(spec.rates).reshape((2,) + (1,) * len(g.shape))
        self.max_rate = float(max(spec.rates))
        self.n_space = self.occ.n_space
        self.f0 = None if mu_fixed is None else self.occ(mu_fixed)

    # weighted block integrals sum_s nu_s Int a_s, shape: () or space.shape
    def _block(self, a):
        wa = (self.nu * a * self.vol).sum(axis=0)
        return wa.reshape(wa.shape[: self.n_space] + (-1,)).sum(axis=-1)

    def _expand_block(self, b):
        return np.asarray(b).reshape(np.shape(b) + (1,) * (len(self.grid.shape) - self.n_space))

    def local_mu(self, n):
        """Chemical potential(s) of the local equilibrium of ``n`` (() or space.shape)."""
        lo, hi = self.occ.bracket()
        if self.n_space == 0:
            from scipy.optimize import brentq

            # block of the cell differences: exact zeros where n = f (a filled sea far below mu),
            # so the round-off of a large total density does not enter
            rho = lambda m: float(self._block(self.occ(m) - n))  # noqa: E731
            flo, fhi = rho(lo), rho(hi)
            if flo > 0 or fhi < 0:
                raise ParameterError("n", f"density {float(self._block(n)):.6g}",
                                     "a density between the empty and the filled grid (check the state)")
            if flo == 0:
                return lo
            if fhi == 0:
                return hi
            return brentq(rho, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
        a = np.full(self.grid.shape[: self.n_space], lo)
        b = np.full(self.grid.shape[: self.n_space], hi)
        for _ in range(64):
            m = 0.5 * (a + b)
            below = self._block(self.occ(m) - n) < 0.0
            a = np.where(below, m, a)
            b = np.where(below, b, m)
        return 0.5 * (a + b)

    def equilibrium(self, n):
        """``f^loc`` of ``n`` with the exact-conservation correction (module docstring)."""
        if self.f0 is not None:
            return self.f0
        mu = self.local_mu(n)
        f = self.occ(mu)
        mismatch = self._block(n - f)
        df = self.occ.dmu(mu)
        slope = self._block(df)
        safe = np.where(slope > 0, slope, 1.0)
        corr = np.where(slope > 0, mismatch / safe, 0.0)
        f = f + df * self._expand_block(corr)
        # no states at the Fermi level (gap at T = 0): spread the tiny mismatch over the volume
        flat = np.where(slope > 0, 0.0, mismatch / self._block(np.ones_like(n)))
        return f + self._expand_block(flat)

    def rate(self, n):
        """``C_s[n]``, shape of n."""
        return -self.nu * (n - self.equilibrium(n))

    def linear(self, v, mu):
        """The derivative at the equilibrium of chemical potential ``mu`` applied to ``v``:
        ``-nu_s (v_s - d_mu f_s dmu[v])`` with ``dmu = Int nu v / Int nu d_mu f`` (conserving),
        ``-nu_s v_s`` (fixed)."""
        if self.f0 is not None:
            return -self.nu * v
        df = self.occ.dmu(mu)
        slope = self._block(df)
        dm = np.where(slope > 0, self._block(v) / np.where(slope > 0, slope, 1.0), 0.0)
        return -self.nu * (v - df * self._expand_block(dm))

    def conserved_modes(self, mu):
        """Null vectors of :meth:`linear` (conserving: ``d_mu f`` per block, one for a homogeneous
        grid); None when the operator does not conserve."""
        if self.f0 is not None:
            return None
        return self.occ.dmu(mu)
