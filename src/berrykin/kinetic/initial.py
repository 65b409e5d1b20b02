"""Initial states and inflow values: Fermi-Dirac distributions and the adiabatic state in b.

Equilibrium distributions are functions of the bare band energies
``eps_s = (eps + s |Delta|)/2`` (Eq. 13) of the uncoupled model at the (kinetic) momentum
(ERRATA choice 7, footnote 50): ``n_s = f((eps_s - mu)/T)``.

In a magnetic field the initial state must be the adiabatically prepared one (ERRATA choice 8):
turning a uniform b on slowly, the homogeneous sKE reduces to Eq. (44) as corrected by ERRATA 3,
``d_t n_s = +(1/4) n_z d_t(b.B_k)`` with ``n_z = n_+ - n_-`` constant, so the ramp from b = 0
ends at :func:`adiabatic_state`, ``n_s = f(eps_s) + (n_z/4) b.B_k``. Starting instead from
``f(eps_s)`` with b already on is not a state the dynamics can reach; for a Weyl node in parallel
e and b it gives 2/3 of the chiral anomaly (ERRATA choice 8, :mod:`berrykin.experiments.anomaly`).

Zero temperature (documented smoothing): the step ``Theta(mu - eps_s)`` is replaced by its
cell average computed with ``order`` Gauss-Legendre points per axis (metric included), i.e.
the Fermi surface is resolved to about 1/order of a cell. The average is exact where a cell
edge lies on the Fermi surface (as the Streda and anomaly experiments' default grids arrange).

Arrays: states have shape ``(2,) + grid.shape`` with bands ordered (s = +1, s = -1).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ParameterError
from ..geometry import band_energies, momentum_berry_field
from .coefficients import as_kinetic_grid
from .grids import HomogeneousGrid

__all__ = ["fermi", "fermi_dirac", "adiabatic_state", "EquilibriumInflow", "AdiabaticInflow"]


def fermi(energy, mu, T):
    """Fermi-Dirac occupation ``1/(exp((energy - mu)/T) + 1)``; ``T = 0``: the step
    ``Theta(mu - energy)`` with value 1/2 at ``energy = mu``."""
    x = np.asarray(energy, dtype=float) - mu
    if T == 0:
        return np.where(x < 0, 1.0, np.where(x > 0, 0.0, 0.5))
    return 0.5 * (1.0 - np.tanh(x / (2.0 * T)))


def _bands(model, p, r=None, t=0.0):
    """Bare band energies (2, ...) at momenta p (..., d)."""
    e = band_energies(model, None if not model.depends_on_r else r, p, t)
    return np.moveaxis(e, -1, 0)


#: Times at which :func:`model_is_time_dependent` probes a model (1/energy).
_PROBE_TIMES = (0.0, 0.731, 2.93, 17.3, 101.7)


def model_is_time_dependent(model):
    """Whether the bare bands of ``model`` change in time: the model's own ``time_dependent``
    attribute when it has one, else a probe of eps_s at eight fixed (r, p) points at the times
    :data:`_PROBE_TIMES` (equal to 1e-13 relative means static). Used to decide whether inflow
    values may be cached."""
    flag = getattr(model, "time_dependent", None)
    if isinstance(flag, bool):
        return flag
    d = model.dim
    rng = np.random.default_rng(7)
    p = rng.uniform(-1.3, 1.3, (8, d))
    r = rng.uniform(-2.1, 2.1, (8, d))
    e = [_bands(model, p, r, t) for t in _PROBE_TIMES]
    scale = max(float(np.max(np.abs(e[0]))), 1e-300)
    return any(float(np.max(np.abs(x - e[0]))) > 1e-13 * scale for x in e[1:])


def _field_vector(b, d):
    """b as the 3-vector of ``b.B_k`` (a float is the z component)."""
    if np.ndim(b) == 0:
        if not np.isfinite(b):
            raise ParameterError("b", b, "a finite field")
        return np.array([0.0, 0.0, float(b)])
    v = np.asarray(b, dtype=float).ravel()
    if v.size != 3 or not np.all(np.isfinite(v)) or (d == 2 and (v[0] != 0 or v[1] != 0)):
        raise ParameterError("b", b, "a finite 3-vector (along z in 2D)")
    return v


def _occupations(model, p, r, t, mu, T, bvec):
    """``f(eps_s) + (n_z/4) b.B_k`` at points p (..., d), shape (2, ...); bvec None: f only."""
    f = fermi(_bands(model, p, r, t), mu, T)
    if bvec is None or not np.any(bvec):
        return f
    B = momentum_berry_field(model, None if not model.depends_on_r else r, p, t)
    return f + 0.25 * (f[0] - f[1]) * (B @ bvec)


def _check(mu, T):
    if not np.isfinite(mu):
        raise ParameterError("mu", mu, "a finite chemical potential")
    if not T >= 0:
        raise ParameterError("T", T, "a temperature >= 0")


def _cell_state(model, grid, mu, T, order, t, bvec):
    """Cell averages of :func:`_occupations` on any kinetic grid, shape (2,) + grid.shape."""
    _check(mu, T)
    grid = as_kinetic_grid(grid)
    mg = grid.momentum
    order = (8 if T == 0 else 4) if order is None else int(order)
    if order < 1:
        raise ParameterError("order", order, "an integer >= 1")
    if isinstance(grid, HomogeneousGrid) or not model.depends_on_r:
        r0 = np.asarray(grid.r0) if isinstance(grid, HomogeneousGrid) else None
        pts, w = mg.quadrature(order)
        r = None if r0 is None else np.broadcast_to(r0, pts.shape)
        nk = np.sum(_occupations(model, pts, r, t, mu, T, bvec) * w, axis=-1)
        if isinstance(grid, HomogeneousGrid):
            return nk
        full = (2,) + (1,) * grid.n_space + mg.shape
        return np.ascontiguousarray(np.broadcast_to(nk.reshape(full), (2,) + grid.shape))
    # r-dependent model on a phase-space grid: midpoint in r, Gauss average over momentum cells
    pts, w = mg.quadrature(order)
    rc = grid.space.cell_points()
    ns, d = grid.n_space, grid.dim
    r = rc.reshape(rc.shape[:-1] + (1,) * (mg.ndim + 1) + (d,))
    p = pts.reshape((1,) * ns + pts.shape)
    shape = np.broadcast_shapes(r.shape, p.shape)
    occ = _occupations(model, np.broadcast_to(p, shape), np.broadcast_to(r, shape), t, mu, T, bvec)
    return np.ascontiguousarray(np.sum(occ * w, axis=-1))


def fermi_dirac(model, grid, mu, T=0.0, order=None, t=0.0):
    """Cell averages of ``f(eps_s)`` on ``grid``, shape ``(2,) + grid.shape``.

    Parameters
    ----------
    model : the bare (uncoupled) model, e.g. ``frame.bare_model``.
    grid : momentum grid, :class:`HomogeneousGrid` or :class:`PhaseSpaceGrid` (momentum cell
        averages; for a model depending on r, evaluated at the centres of the space cells).
    mu, T : chemical potential and temperature (energy units of the model), T >= 0.
    order : Gauss-Legendre points per axis (default 8 at T = 0, else 4).

    >>> from berrykin.models import MassiveDirac2D
    >>> from berrykin.kinetic import PolarGrid
    >>> n = fermi_dirac(MassiveDirac2D(m=1.0), PolarGrid.uniform(0, 2, 4, 4), mu=0.0)
    >>> float(n[0].max()), float(n[1].min())
    (0.0, 1.0)
    """
    return _cell_state(model, grid, mu, T, order, t, None)


def adiabatic_state(model, grid, mu, T=0.0, b=0.0, order=None, t=0.0):
    """Cell averages of the adiabatically prepared state ``n_s = f(eps_s) + (n_z/4) b.B_k``.

    The first-order result of turning a uniform ``b`` on slowly from zero (Eq. 44 with the sign
    of ERRATA 3: ``d_t n_s = +(1/4) n_z d_t(b.B_k)``, ``n_z = f(eps_+) - f(eps_-)``; ERRATA choice
    8). Both bands change by the same amount, so ``n_z`` is unchanged. ``B_k`` is the momentum
    Berry field of the bare model (``F_{k_i k_j} = eps_ijl (B_k)_l``; Weyl: ``chirality k/k^3``,
    massive Dirac: ``m/E^3 z``), evaluated at the kinetic momentum (ERRATA choice 7).

    Parameters
    ----------
    model, grid, mu, T, order, t : as for :func:`fermi_dirac` (the product ``f (b.B_k)`` is
        cell-averaged pointwise with the same quadrature).
    b : the field ``b = eB`` (units 1/length^2): a 3-vector, or a float for its z component
        (the only one in 2D).

    Returns the cell averages, shape ``(2,) + grid.shape`` (bands s = +1, -1), dimensionless.

    >>> from berrykin.models import MassiveDirac2D
    >>> from berrykin.kinetic import PolarGrid
    >>> g = PolarGrid.from_edges([0.0, 1.0], 1)
    >>> n = adiabatic_state(MassiveDirac2D(m=1.0), g, mu=0.0, b=0.1)   # n_z = -1
    >>> round(float(n[0, 0, 0]), 6)   # -(b/4) <m/E^3> = -(0.1/4) 2 (1 - 1/sqrt(2))
    -0.014645
    """
    grid = as_kinetic_grid(grid)
    return _cell_state(model, grid, mu, T, order, t, _field_vector(b, grid.dim))


@dataclass(frozen=True)
class EquilibriumInflow:
    """Inflow boundary values ``f(eps_s(p))`` of the bare model (e.g. beyond a momentum cutoff,
    Sec. II C). Call signature ``(r, p, t) -> (2, ...)`` as required by the solver."""

    model: object
    mu: float
    T: float = 0.0

    @functools.cached_property
    def time_dependent(self):
        """Whether the values change in time (the model's bands; :func:`model_is_time_dependent`)."""
        return model_is_time_dependent(self.model)

    def __call__(self, r, p, t):
        p = np.asarray(p, dtype=float)
        r = np.broadcast_to(np.asarray(r, dtype=float), np.broadcast_shapes(np.shape(r), p.shape))
        e = _bands(self.model, np.broadcast_to(p, r.shape), r, t)
        return fermi(e, self.mu, self.T)


@dataclass(frozen=True)
class AdiabaticInflow:
    """Inflow boundary values of the adiabatic state, ``f(eps_s) + (n_z/4) b(t).B_k``, at the
    face points (e.g. beyond an outer momentum cutoff or inside an inner sphere around a node).

    ``b(t) = b profile(t)`` (``profile`` None: constant; a callable of t, e.g. the same
    jax-traceable ramp given to :class:`~berrykin.models.UniformMagneticField`), so a slowly
    ramped field has the boundary values of the adiabatic state at every instant. Call signature
    ``(r, p, t) -> (2, ...)`` as required by the solver; ``model`` is the bare model.

    >>> import numpy as np
    >>> from berrykin.models import Weyl3D
    >>> inflow = AdiabaticInflow(Weyl3D(), mu=0.0, b=(0.0, 0.0, 0.04))
    >>> np.round(inflow(np.zeros(3), np.array([0.0, 0.0, 2.0]), 0.0), 6)  # b/k^2 = 0.01, n_z = -1
    array([-0.0025,  0.9975])
    """

    model: object
    mu: float
    T: float = 0.0
    b: float | tuple = 0.0
    profile: Callable | None = None

    def __post_init__(self):
        _check(self.mu, self.T)
        vec = _field_vector(self.b, self.model.dim)
        object.__setattr__(self, "b", float(vec[2]) if np.ndim(self.b) == 0 else tuple(map(float, vec)))

    @functools.cached_property
    def time_dependent(self):
        """Whether the values change in time (a field profile or a time-dependent model)."""
        return self.profile is not None or model_is_time_dependent(self.model)

    def field_at(self, t):
        """``b(t)`` as a 3-vector."""
        s = 1.0 if self.profile is None else float(self.profile(t))
        return s * _field_vector(self.b, self.model.dim)

    def __call__(self, r, p, t):
        p = np.asarray(p, dtype=float)
        r = np.broadcast_to(np.asarray(r, dtype=float), np.broadcast_shapes(np.shape(r), p.shape))
        return _occupations(self.model, np.broadcast_to(p, r.shape), r, t, self.mu, self.T,
                            self.field_at(t))
