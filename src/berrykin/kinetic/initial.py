"""Initial states and inflow values: Fermi-Dirac distributions of the bare bands.

Equilibrium distributions are functions of the bare band energies
``eps_s = (eps + s |Delta|)/2`` (Eq. 13) of the uncoupled model at the (kinetic) momentum
(ERRATA choice 7, footnote 50): ``n_s = f((eps_s - mu)/T)``.

Zero temperature (documented smoothing): the step ``Theta(mu - eps_s)`` is replaced by its
cell average computed with ``order`` Gauss-Legendre points per axis (metric included), i.e.
the Fermi surface is resolved to about 1/order of a cell. The average is exact where a cell
edge lies on the Fermi surface (as the Streda experiment's default grid arranges).

Arrays: states have shape ``(2,) + grid.shape`` with bands ordered (s = +1, s = -1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..geometry import band_energies
from .coefficients import as_kinetic_grid
from .grids import HomogeneousGrid

__all__ = ["fermi", "fermi_dirac", "EquilibriumInflow"]


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
    if not T >= 0:
        raise ParameterError("T", T, "a temperature >= 0")
    grid = as_kinetic_grid(grid)
    mg = grid.momentum
    order = (8 if T == 0 else 4) if order is None else int(order)
    if isinstance(grid, HomogeneousGrid) or not model.depends_on_r:
        r0 = np.asarray(grid.r0) if isinstance(grid, HomogeneousGrid) else None
        nk = np.stack([mg.cell_average(lambda p, s=s: fermi(_bands(model, p, r0, t)[s], mu, T), order)
                       for s in (0, 1)])
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
    e = _bands(model, np.broadcast_to(p, np.broadcast_shapes(r.shape, p.shape)), r, t)
    return np.ascontiguousarray(np.sum(fermi(e, mu, T) * w, axis=-1))


@dataclass(frozen=True)
class EquilibriumInflow:
    """Inflow boundary values ``f(eps_s(p))`` of the bare model (e.g. beyond a momentum cutoff,
    Sec. II C). Call signature ``(r, p, t) -> (2, ...)`` as required by the solver."""

    model: object
    mu: float
    T: float = 0.0

    @property
    def time_dependent(self):
        """Whether the values change in time (only for explicitly time-dependent models)."""
        return bool(getattr(self.model, "m_dot", 0.0))

    def __call__(self, r, p, t):
        p = np.asarray(p, dtype=float)
        r = np.broadcast_to(np.asarray(r, dtype=float), np.broadcast_shapes(np.shape(r), p.shape))
        e = _bands(self.model, np.broadcast_to(p, r.shape), r, t)
        return fermi(e, self.mu, self.T)
