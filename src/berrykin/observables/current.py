"""Particle current density (paper Eq. 30) and the momentum-boundary source (Eq. 31).

Summing the corrected sKE (Eq. 26, ERRATA 1) over bands and momenta gives the continuity
equation ``d_t rho + d_r . j = S`` (Eq. 29) with the current (Eq. 30, used as printed; the
errata list Eqs. 29-31 as consistent)::

    j = sum_s Int d^dp/(2 pi)^d n_s [d_p eps_s - (|Delta|/4) d_p F
                                     + q_s (F_{tp} + F_{p p_l} d_{r_l} eps_s - F_{p r_l} d_{p_l} eps_s)]
      = sum_s Int d^dp/(2 pi)^d (n_s rdot_s + w_r n_{-s}),      w = (F/4) v_z,  v_z^i = d^i|Delta|

since ``rdot_s = d_p bar-eps_s + q_s(...)`` (Eq. 24) contains ``-(1/4) d_p(|Delta| F)`` of which
Eq. 30 keeps only ``-(|Delta|/4) d_p F``; the rest, ``+(F/4) d_p|Delta| = w_r``, is the
interband face flux of the corrected Eq. (26). So ``j`` is the sum of the r-fluxes the solver
transports, and ``band_flux[s] = Int (n_s rdot_s + w_r n_{-s})`` is the band-resolved flux of
the band continuity equations. ``band[s] = Int n_s (rdot_s + w_r)`` are the band terms of
Eq. (30) as printed (same sum). There is no separate curl (magnetisation) term: Eq. (30) is the
transport current of the sKE.

The momentum-boundary source (Eq. 31) is the flux of ``n_s pdot_s + w_p n_{-s}`` (``w_p``: the
momentum part of w) through the boundary of the momentum region, counted into the region::

    S = -sum_s Oint dS_p/(2 pi)^d . (n_s pdot_s + w_p n_{-s}),     dS pointing out of the region

(kinetic frame: ``kdot_s`` and ``w_k``). For the adiabatic Weyl state it reproduces ERRATA 6-7:
``+b.e/(4 pi^2)`` through the outer cutoff, ``-b.e/(4 pi^2)`` through an inner sphere at mu = 0.
Units (hbar = e = 1): j in particles/(length^(d-1) time), S in particles/(length^d time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, ShapeError
from ..kinetic.coefficients import as_kinetic_grid
from ..kinetic.frames import CanonicalFrame, KineticFrame, evaluate_frame
from ..kinetic.grids import HomogeneousGrid, MomentumGrid, PhaseSpaceGrid
from ..kinetic.options import SKETerms
from ..models.base import Model

__all__ = ["CurrentDensity", "BoundarySource", "current_density", "current_series", "momentum_boundary_source"]


def _frame(frame):
    if isinstance(frame, Model):
        return CanonicalFrame(frame)
    if not isinstance(frame, (CanonicalFrame, KineticFrame)):
        raise ParameterError("frame", frame, "a Model, CanonicalFrame or KineticFrame")
    return frame


def _coefficients(frame, r, p, t, terms, homogeneous=False):
    """Frame coefficients at points r (..., d), p (..., d), t (...): (..., 6d + 2 [+ 3]).
    ``homogeneous=True`` reuses the (costlier) compiled function of a homogeneous solver run."""
    d = frame.dim
    t = np.asarray(t, dtype=float)
    lead = np.broadcast_shapes(r.shape[:-1], p.shape[:-1], t.shape)
    Y = np.empty(lead + (2 * d + 1,))
    Y[..., :d], Y[..., d : 2 * d], Y[..., 2 * d] = r, p, t
    C = evaluate_frame(frame, Y.reshape(-1, 2 * d + 1), homogeneous, terms.energy_shift, terms.anomalous)
    return C.reshape(lead + (C.shape[-1],))


@dataclass(frozen=True)
class CurrentDensity:
    """Result of :func:`current_density` (or :func:`current_series`: then ``t`` is an array and
    every array has a leading time axis). Arrays end with the vector axis (d,); a phase-space
    state has the space-grid axes before it; the band axis (s = +1, -1) leads ``band`` and
    ``band_flux``. ``total`` = the sum of either over bands."""

    total: np.ndarray
    band: np.ndarray
    band_flux: np.ndarray
    t: float | np.ndarray = 0.0

    def to_dataset(self):
        import xarray as xr

        series = np.ndim(self.t) == 1
        lead = ("time",) if series else ()
        sp = lead + tuple(f"r_{i}" for i in range(self.total.ndim - 1 - len(lead)))
        attrs = {"units": "particles/(length^(d-1) time) (hbar = e = 1)"}
        band_dims = lead + ("band",) + sp[len(lead):] + ("component",)
        return xr.Dataset(
            {"j": (sp + ("component",), self.total, {**attrs, "definition": "Eq. (30)"}),
             "j_band": (band_dims, self.band,
                        {**attrs, "definition": "Int n_s (rdot_s + (F/4) d_p|Delta|): band terms of Eq. (30)"}),
             "j_band_flux": (band_dims, self.band_flux,
                             {**attrs, "definition":
                              "Int (n_s rdot_s + (F/4) d_p|Delta| n_-s): band r-flux of Eq. (26)"})},
            coords={"band": [1, -1], **({"time": self.t} if series else {})},
            attrs={"observable": "particle current density", **({} if series else {"t": self.t})})


def current_density(frame, grid, n, t=0.0, terms=None):
    """Particle current density of Eq. (30) of the state ``n`` (see module docstring).

    Parameters
    ----------
    frame : a model (canonical frame), :class:`~berrykin.kinetic.CanonicalFrame` or
        :class:`~berrykin.kinetic.KineticFrame` (rdot is the same in both frames).
    grid : momentum grid / :class:`~berrykin.kinetic.HomogeneousGrid` (state uniform in r,
        evaluated at ``grid.r0``) or :class:`~berrykin.kinetic.PhaseSpaceGrid`.
    n : cell values ``(2, *grid.shape)`` (bands s = +1, -1); the momentum integral is the cell
        sum ``sum_c n_c rdot(p_c) vol_c / (2 pi)^d`` (midpoint rule, second order).
    terms : :class:`~berrykin.kinetic.SKETerms` of the sKE the state solves (default full):
        the current is then the sum of that equation's r-fluxes.

    Returns :class:`CurrentDensity`: ``total`` of shape (d,) or ``space.shape + (d,)``.

    >>> from berrykin.models import MassiveDirac2D
    >>> from berrykin.kinetic import PolarGrid
    >>> g = PolarGrid.uniform(0.0, 2.0, 8, 8)
    >>> j = current_density(MassiveDirac2D(m=1.0), g, np.stack([np.zeros((8, 8)), np.ones((8, 8))]))
    >>> bool(np.allclose(j.total, 0.0, atol=1e-14))   # a filled band at rest carries no current
    True
    """
    frame, terms = _frame(frame), terms or SKETerms.full()
    grid = as_kinetic_grid(grid)
    n = np.asarray(n, dtype=float)
    if n.shape != (2,) + grid.shape:
        raise ShapeError("n", n.shape, f"(2, {', '.join(map(str, grid.shape))})")
    d, mg = grid.dim, grid.momentum
    pk = mg.cell_points()
    if isinstance(grid, HomogeneousGrid):
        r = np.broadcast_to(np.asarray(grid.r0), pk.shape)
        ns = 0
    elif isinstance(grid, PhaseSpaceGrid):
        ns = grid.n_space
        rc = grid.space.cell_points()
        r = rc.reshape(rc.shape[:-1] + (1,) * mg.ndim + (d,))
        pk = pk.reshape((1,) * ns + pk.shape)
    else:  # pragma: no cover - as_kinetic_grid returns one of the two
        raise ParameterError("grid", grid, "a momentum, homogeneous or phase-space grid")
    C = _coefficients(frame, r, pk, t, terms)
    band, flux = _integrate(C, n[..., None], grid, terms, 1)
    return CurrentDensity(band.sum(axis=0), band, flux, float(t))


def current_series(frame, grid, states, times, terms=None):
    """:func:`current_density` of homogeneous states ``states (n_t, 2, *grid.shape)`` at
    ``times (n_t,)`` in one evaluation; arrays of the result get a leading time axis."""
    frame, terms = _frame(frame), terms or SKETerms.full()
    grid = as_kinetic_grid(grid)
    if not isinstance(grid, HomogeneousGrid):
        raise ParameterError("grid", grid, "a momentum or homogeneous grid")
    states, times = np.asarray(states, dtype=float), np.asarray(times, dtype=float)
    if times.ndim != 1 or states.shape != times.shape + (2,) + grid.shape:
        raise ShapeError("states", states.shape, f"({times.size}, 2, {', '.join(map(str, grid.shape))})")
    mg = grid.momentum
    pk = mg.cell_points()[None]
    tt = times.reshape((-1,) + (1,) * mg.ndim)
    C = _coefficients(frame, np.broadcast_to(np.asarray(grid.r0), pk.shape), pk, tt, terms, True)
    band, flux = _integrate(C, states[..., None], grid, terms, 2)
    return CurrentDensity(band.sum(axis=1), band, flux, times)


def _integrate(C, n, grid, terms, first):
    """Band terms and band fluxes of Eq. (30) from coefficients C and states n (..., 2, cells, 1)."""
    d, mg = grid.dim, grid.momentum
    rdot = np.stack([C[..., 0:d], C[..., 2 * d : 3 * d]], axis=first - 1)
    wr = np.expand_dims(terms.interband_flux_coefficient * C[..., 4 * d : 5 * d], first - 1)
    vol = np.broadcast_to(mg.volumes(), mg.shape)[..., None] * grid.measure
    axes = tuple(range(n.ndim - 1 - mg.ndim, n.ndim - 1))
    band = np.sum(n * (rdot + wr) * vol, axis=axes)
    flux = np.sum((n * rdot + np.flip(n, axis=first - 1) * wr) * vol, axis=axes)
    return band, flux


@dataclass(frozen=True)
class BoundarySource:
    """Result of :func:`momentum_boundary_source`: ``rates[g, s]`` is the rate at which band
    ``s`` particles enter the momentum region through boundary group ``groups[g]``
    (particles/(length^d time)); ``total`` sums groups and bands (the source of Eq. 31)."""

    groups: tuple
    rates: np.ndarray
    t: float = 0.0

    @property
    def total(self) -> float:
        return float(self.rates.sum())

    def group_total(self, name) -> float:
        """Both bands through one group (e.g. ``'k_outer'``)."""
        if name not in self.groups:
            raise ParameterError("name", name, f"one of {self.groups}")
        return float(self.rates[self.groups.index(name)].sum())

    def to_dataset(self):
        import xarray as xr

        return xr.Dataset(
            {"rate": (("group", "band"), self.rates,
                      {"units": "particles/(length^d time)",
                       "definition": "-Oint dS.(n_s pdot_s + w_p n_-s)/(2pi)^d, Eq. (31)"}),
             "total": ((), self.total)},
            coords={"group": list(self.groups), "band": [1, -1]}, attrs={"t": self.t})


def momentum_boundary_source(frame, grid, n, t=0.0, r0=None, terms=None):
    """Particle source of Eq. (31) through the bounded faces of a momentum grid, per group.

    Parameters
    ----------
    frame : model, :class:`~berrykin.kinetic.CanonicalFrame` or :class:`~berrykin.kinetic.KineticFrame`.
    grid : a momentum grid (or :class:`~berrykin.kinetic.HomogeneousGrid`) with bounded axes,
        e.g. a :class:`~berrykin.kinetic.SphericalGrid` (groups ``'k_inner'``, ``'k_outer'``).
    n : either the cell values ``(2, *grid.shape)`` (the boundary cells' values are used on
        the faces: first order), or a callable ``n(p) -> (2, ...)`` of momenta ``p (..., d)``
        evaluated at the face centres (midpoint rule on the surface: second order).
    r0 : position (default ``grid.r0`` or the origin).

    Returns :class:`BoundarySource`. Face areas are the grid's exact ones (``face_factor *
    volume * cell_factor``, e.g. ``k^2 dcos(theta) dphi`` on a sphere).
    """
    frame, terms = _frame(frame), terms or SKETerms.full()
    g = as_kinetic_grid(grid)
    if not isinstance(g, HomogeneousGrid):
        raise ParameterError("grid", grid, "a momentum grid (the source is per point of space)")
    mg: MomentumGrid = g.momentum
    d = g.dim
    r = np.asarray(g.r0 if r0 is None else r0, dtype=float)
    if r.shape != (d,):
        raise ShapeError("r0", r.shape, f"({d},)")
    if not callable(n):
        n = np.asarray(n, dtype=float)
        if n.shape != (2,) + g.shape:
            raise ShapeError("n", n.shape, f"(2, {', '.join(map(str, g.shape))}) or a callable n(p)")
    groups, rates = [], []
    for a in range(mg.ndim):
        for side, name in enumerate(mg.boundary_names(a)):
            if name is None:
                continue
            idx = 0 if side == 0 else -1
            pf = np.take(mg.face_points(a), idx, axis=a)
            normal = np.take(mg.face_normals(a), idx, axis=a) * (1.0 if side else -1.0)
            ff = np.take(np.broadcast_to(mg.face_factor(a), mg.face_shape(a)), idx, axis=a)
            area = ff * np.take(np.broadcast_to(mg.transverse(a), mg.shape), 0, axis=a)
            C = _coefficients(frame, np.broadcast_to(r, pf.shape), pf, t, terms)
            pdot = np.stack([C[..., d : 2 * d], C[..., 3 * d : 4 * d]])
            wp = terms.interband_flux_coefficient * C[..., 5 * d : 6 * d]
            nf = np.asarray(n(pf), dtype=float) if callable(n) else np.take(n, idx, axis=1 + a)
            un = np.sum(pdot * normal, axis=-1)
            wn = np.sum(wp * normal, axis=-1)
            out = nf * un + nf[::-1] * wn
            rates.append(-g.measure * np.sum(out * area, axis=tuple(range(1, out.ndim))))
            groups.append(name)
    if not groups:
        raise ParameterError("grid", grid, "a momentum grid with at least one bounded face")
    return BoundarySource(tuple(groups), np.asarray(rates), float(t))
