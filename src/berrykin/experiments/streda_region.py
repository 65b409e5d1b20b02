"""Streda response of a finite region of r (paper Sec. III A, Fig. 6): a 4D run (x, y, kx, ky).

The field ``b(t) = b ramp(t/ramp_time)`` of :func:`~berrykin.experiments.streda.streda`
(symmetric gauge ``a = b z x r/2``) is switched on over a square region ``|x|, |y| <= L`` of a
:class:`~berrykin.kinetic.PhaseSpaceGrid`; in the kinetic frame the circulating field
``e = -bdot z x r/2`` drives the anomalous Hall velocity ``-q_s e x B_k`` (Eq. 46), and particles
enter or leave through the spatial boundary (Fig. 6; ledger groups ``'x-'``, ``'x+'``, ``'y-'``,
``'y+'``). Beyond every bounded face (space, and momentum for a bounded momentum grid) the
distribution is the homogeneous adiabatic state (ERRATA choice 8, Eq. 44 with ERRATA 3)::

    n_s(k, t) = f(eps_s(k)) + (n_z(k)/4) b(t) B_k(k),     n_z = f(eps_+) - f(eps_-)

(f cell-averaged like the initial state on the momentum cells of the space faces). The Hall
coefficient at the centre is ``nu_c = 2 pi delta rho(r ~ 0)/delta b`` (Eq. 45, ERRATA 4), compared
with the homogeneous reduction on the same momentum grid. Units: hbar = e = 1; densities in
particles per length^2; b = eB in 1/length^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..geometry import band_energies, momentum_berry_field
from ..kinetic import KineticFrame, KineticSolver, PhaseSpaceGrid, SpaceGrid, fermi, fermi_dirac
from ..models import MinimalCoupling, UniformMagneticField
from ..observables import band_densities
from .streda import SmoothRamp, ramp_defaults, streda, streda_grid

__all__ = ["streda_region", "StredaRegionResult"]


class _AdiabaticInflow:
    """``(r, p, t) -> (2, ...)``: ``f(eps_s) + (n_z/4) b(t) B_k`` (module docstring). Momentum
    cell points get the cell averages ``f_cells`` (consistent with the initial state); other
    momenta (faces of a bounded momentum grid) point values. r is only broadcast."""

    time_dependent = True

    def __init__(self, model, mu, T, field, momentum, f_cells):
        self.model, self.mu, self.T, self.field, self.momentum = model, mu, T, field, momentum
        self._cells = momentum.cell_points()
        bz = momentum_berry_field(model, None, self._cells)[..., 2]
        self._cell_vals = (np.asarray(f_cells, dtype=float), 0.25 * (f_cells[0] - f_cells[1]) * bz)
        self._memo = {}

    def _values(self, p):
        if p.shape[-1 - self.momentum.ndim :] == self._cells.shape:
            flat = p.reshape((-1,) + self._cells.shape)
            if np.array_equal(flat[0], self._cells) and np.all(flat == flat[0]):
                lead = p.shape[: -1 - self.momentum.ndim]
                f, g = self._cell_vals
                return f.reshape((2,) + (1,) * len(lead) + f.shape[1:]), g.reshape((1,) * len(lead) + g.shape)
        key = (p.shape, p.tobytes())
        if key not in self._memo:
            e = np.moveaxis(band_energies(self.model, None, p), -1, 0)
            f = fermi(e, self.mu, self.T)
            self._memo[key] = (f, 0.25 * (f[0] - f[1]) * momentum_berry_field(self.model, None, p)[..., 2])
        return self._memo[key]

    def __call__(self, r, p, t):
        p = np.asarray(p, dtype=float)
        f, g = self._values(p)
        bt = float(self.field.b) * float(1.0 if self.field.profile is None else self.field.profile(t))
        lead = np.broadcast_shapes(np.shape(r)[:-1], p.shape[:-1])
        return np.broadcast_to(f + bt * g, (2,) + lead)


@dataclass(frozen=True)
class StredaRegionResult:
    """Result of :func:`streda_region`.

    Attributes
    ----------
    nu_centre, nu_centre_band : ``2 pi delta rho / delta b`` of the central cells (total, per band).
    nu_homogeneous, nu_homogeneous_band : the homogeneous reduction on the same momentum grid.
    nu_map : (Nx, Ny) ``2 pi delta rho(r) / delta b`` over the region.
    delta_N : (2,) change of the band particle numbers in the region (+b run; particles).
    inflow : dict ledger group -> (2,) inflow (+b run, positive into the region); space groups
        ``'x-', 'x+', 'y-', 'y+'``, momentum groups of a bounded momentum grid.
    spatial_inflow, momentum_inflow, cell_source : (2,) sums of the space groups, momentum groups
        and the band-exchange source (sums to zero over the bands).
    number_balance : ``max_s |delta_N_s - inflow_s - source_s| / max |N|``; ``total_balance``:
        ``|sum_s (delta_N_s - inflow_s)| / max |N|`` (both round-off: the ledger identity).
    times, numbers : time axis and band particle numbers (+b run).
    parameters : model, mu, T, b, ramp time, grids, scheme.
    """

    nu_centre: float
    nu_centre_band: tuple
    nu_homogeneous: float
    nu_homogeneous_band: tuple
    nu_map: np.ndarray
    delta_N: np.ndarray
    inflow: dict
    spatial_inflow: np.ndarray
    momentum_inflow: np.ndarray
    cell_source: np.ndarray
    number_balance: float
    total_balance: float
    times: np.ndarray
    numbers: np.ndarray
    parameters: dict = field(default_factory=dict)

    def to_dataset(self):
        """An ``xarray.Dataset`` (dims time, band, x, y, group) with units in attrs."""
        import xarray as xr

        groups = list(self.inflow)
        x, y = self.parameters["x"], self.parameters["y"]
        ds = xr.Dataset(
            {
                "N": (("time", "band"), self.numbers, {"units": "particles"}),
                "nu_map": (("x", "y"), self.nu_map, {"units": "e^2/h", "definition": "2 pi d rho(r)/d b"}),
                "inflow": (("group", "band"), np.array([self.inflow[g] for g in groups]),
                           {"units": "particles", "definition": "ledger inflow, positive into the region"}),
                "delta_N": (("band",), self.delta_N, {"units": "particles"}),
                "cell_source": (("band",), self.cell_source, {"units": "particles"}),
                "nu_centre": ((), self.nu_centre, {"units": "e^2/h", "definition": "2 pi d rho(0)/d b (Eq. 45)"}),
                "nu_homogeneous": ((), self.nu_homogeneous, {"units": "e^2/h"}),
                "number_balance": ((), self.number_balance),
            },
            coords={"time": self.times, "band": [1, -1], "x": x, "y": y, "group": groups},
            attrs={k: str(v) for k, v in self.parameters.items() if k not in ("x", "y")},
        )
        ds.attrs["experiment"] = "streda_region"
        return ds


def _space_grid(region, n_space):
    if isinstance(region, SpaceGrid):
        if region.dim != 2 or any(ax.periodic for ax in region.axes):
            raise ParameterError("region", region, "a bounded (non-periodic) 2D SpaceGrid or a half-width > 0")
        return region
    L = float(region)
    if not (L > 0 and math.isfinite(L)):
        raise ParameterError("region", region, "a half-width > 0 or a bounded 2D SpaceGrid")
    if int(n_space) < 1:
        raise ParameterError("n_space", n_space, "a number of cells per space axis >= 1")
    return SpaceGrid.box(2, L, int(n_space), periodic=False)


def _run(model, grid, mu, T, b, ramp_time, terms, scheme, sign):
    prof = SmoothRamp(ramp_time, mirror_at=4.0 * ramp_time)
    fld = UniformMagneticField(b=b, profile=prof)
    n0 = fermi_dirac(model, grid, mu, T)
    f_cells = n0[(slice(None),) + (0,) * grid.n_space]
    inflow = _AdiabaticInflow(model, mu, T, fld, grid.momentum, f_cells)
    solver = KineticSolver(KineticFrame(MinimalCoupling(model, fld)), grid, terms, scheme, inflow=inflow,
                           time_dependent=True, uniform_in_r=False)
    t0 = 0.0 if sign > 0 else prof.mirror_at
    _, states, ledger = solver.solve(n0, (t0, t0 + ramp_time))
    return n0, states[-1], ledger


def streda_region(model, mu, *, region=4.0, n_space=9, T=0.0, b=None, ramp_time=None, momentum_grid=None,
                  terms=None, scheme=None, antisymmetrize=True):
    """Streda response of a finite square region in r with inflow through its boundary (Fig. 6).

    Parameters
    ----------
    model : a 2D model without r dependence (``MassiveDirac2D``, ``QWZ``, ...).
    mu, T : chemical potential and temperature of the initial state ``f(eps_s)``.
    region : half-width L of the square ``[-L, L]^2`` (length units), or a bounded 2D
        :class:`~berrykin.kinetic.SpaceGrid`; ``n_space`` cells per axis for a half-width (odd
        puts a cell at the centre).
    b, ramp_time : final field and ramp duration (defaults as in :func:`streda`).
    momentum_grid : momentum grid of every space cell (default :func:`streda_grid`).
    terms, scheme : :class:`~berrykin.kinetic.SKETerms`, :class:`~berrykin.kinetic.Scheme`.
    antisymmetrize : also ramp to -b and keep the odd part of the density change.

    Returns
    -------
    :class:`StredaRegionResult`; ``nu_centre`` -> ``nu_homogeneous`` as the space cells shrink.

    Example
    -------
    >>> from berrykin.models import QWZ
    >>> from berrykin.kinetic import CartesianMomentumGrid
    >>> r = streda_region(QWZ(m=1.0), 0.0, momentum_grid=CartesianMomentumGrid.brillouin_zone(2, 16))  # doctest: +SKIP
    >>> round(r.nu_centre, 3)                                                                # doctest: +SKIP
    1.0
    """
    if model.dim != 2 or model.depends_on_r:
        raise ParameterError("model", model, "a 2D model that does not depend on r")
    space = _space_grid(region, n_space)
    mg = momentum_grid if momentum_grid is not None else streda_grid(model, mu)
    b, ramp_time, terms, scheme = ramp_defaults(model, mg, b, ramp_time, terms, scheme)
    grid = PhaseSpaceGrid(space, mg)
    n0, n1, ledger = _run(model, grid, mu, T, b, ramp_time, terms, scheme, +1)
    d_rho = band_densities(grid, n1) - band_densities(grid, n0)  # (2, Nx, Ny)
    ledgers = [ledger]
    if antisymmetrize:
        _, n1m, ledger_m = _run(model, grid, mu, T, b, ramp_time, terms, scheme, -1)
        d_rho = 0.5 * (d_rho - (band_densities(grid, n1m) - band_densities(grid, n0)))
        ledgers.append(ledger_m)
    rc = space.cell_points()
    half = np.array([0.5 * np.max(ax.widths) for ax in space.axes]) * (1 + 1e-9)
    centre = np.all(np.abs(rc) <= half, axis=-1)
    if not centre.any():
        raise ParameterError("region", region, "a space grid containing r = 0")
    nu_c = 2 * math.pi * d_rho[:, centre].mean(axis=1) / b
    hom = streda(model, mu, T=T, b=b, ramp_time=ramp_time, grid=mg, terms=terms, scheme=scheme,
                 antisymmetrize=antisymmetrize)
    N = ledger.numbers
    names = ledger.groups
    inflow = {g: ledger.inflow[-1, i].copy() for i, g in enumerate(names)}
    space_groups = [g for g in names if g in ("x-", "x+", "y-", "y+")]
    sp_in = sum((inflow[g] for g in space_groups), np.zeros(2))
    k_in = sum((inflow[g] for g in names if g not in space_groups), np.zeros(2))
    src = ledger.sources[-1, ledger.kinds.index("cell_source")]
    dN = N[-1] - N[0]
    scale = max(float(np.max(np.abs(L_.numbers))) for L_ in ledgers)
    balance = max(float(np.max(np.abs(L_.band_residual()[-1]))) for L_ in ledgers) / scale
    total = max(abs(float(np.sum(L_.numbers[-1] - L_.numbers[0] - L_.inflow[-1].sum(axis=0)))) for L_ in ledgers) / scale
    return StredaRegionResult(
        nu_centre=float(nu_c.sum()), nu_centre_band=tuple(map(float, nu_c)),
        nu_homogeneous=hom.nu, nu_homogeneous_band=hom.nu_band,
        nu_map=2 * math.pi * d_rho.sum(axis=0) / b, delta_N=dN, inflow=inflow,
        spatial_inflow=sp_in, momentum_inflow=k_in, cell_source=src,
        number_balance=balance, total_balance=total, times=ledger.times, numbers=N,
        parameters=dict(model=repr(model), mu=mu, T=T, b=b, ramp_time=ramp_time, region=repr(space.shape),
                        momentum_grid=f"{type(mg).__name__}{mg.shape}", terms=repr(terms), scheme=repr(scheme),
                        antisymmetrize=antisymmetrize, x=space.axes[0].centres, y=space.axes[1].centres),
    )
