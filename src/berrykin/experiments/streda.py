"""Streda response by adiabatic turn-on of a uniform magnetic field (paper Sec. III A).

The field ``b(t) = b ramp(t/ramp_time)`` (symmetric gauge ``a = b z x r/2``, circulating
``e = -bdot z x r/2``) is switched on smoothly, ``ramp(s) = (1 - cos(pi s))/2``, and the sKE is
integrated in the kinetic frame on the homogeneous momentum grid at the centre r = 0 (where
the circulating e vanishes but its curl does not). For a homogeneous isotropic state the sKE
reduces to ``d_t n_s = +(1/4) n_z d_t(b B_k)`` (Eq. 44 as corrected by ERRATA 3); the particles
enter from the surrounding space through the local r-divergence of the velocities (the ledger
group ``'spatial_divergence'``). The Hall coefficient is ``nu = 2 pi delta rho / delta b``
(Eq. 45; ERRATA 4 normalisation ``nu = (1/4 pi) Int d^2k n_z B_k``). By default the run is
repeated with -b and the odd part is kept (removes O(b^2) terms; exact for isotropic Dirac).

Defaults (grid, ramp, field) meet ``|nu - exact| < 1e-3`` for continuum massive Dirac with
mu in the gap or in a band; the polar grid has a cell edge on the Fermi surface and a
geometric radial spacing up to the cutoff ``k_max = 4000 |m| v`` (the truncated Berry flux
costs ``|m| v^2 / (2 E(k_max))`` in nu).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError, ResolutionWarning
from ..geometry import gap_vector, momentum_berry_field, phase_space_velocity
from ..kinetic import (
    CartesianMomentumGrid,
    HomogeneousGrid,
    KineticFrame,
    KineticSolver,
    PolarGrid,
    Scheme,
    SKETerms,
    fermi_dirac,
)
from ..models import MassiveDirac2D, MinimalCoupling, UniformMagneticField
from ..observables import band_densities, hall_coefficient_berry_flux, streda_coefficient

__all__ = ["streda", "StredaResult", "streda_grid", "streda_scales", "zone_resolution",
           "check_zone_resolution"]


@dataclass(frozen=True)
class SmoothRamp:
    """``(1 - cos(pi s))/2`` for ``s = t/duration`` clipped to [0, 1] (jax-traceable).

    With ``mirror_at`` set, times ``t >= mirror_at`` give ``-ramp(t - mirror_at)``: the -b run
    of :func:`streda` is integrated over ``[mirror_at, mirror_at + duration]`` with the same
    field object (so the same compiled coefficients).
    """

    duration: float
    mirror_at: float | None = None

    def __call__(self, t):
        if isinstance(t, (int, float, np.floating)):  # plain numbers: no jax dispatch
            t = float(t)
            if self.mirror_at is not None and t >= self.mirror_at:
                return -SmoothRamp(self.duration)(t - self.mirror_at)
            return 0.5 * (1.0 - math.cos(math.pi * min(max(t / self.duration, 0.0), 1.0)))
        if self.mirror_at is None:
            s = jnp.clip(t / self.duration, 0.0, 1.0)
            return 0.5 * (1.0 - jnp.cos(jnp.pi * s))
        up = SmoothRamp(self.duration)
        return jnp.where(t < self.mirror_at, up(t), -up(t - self.mirror_at))


#: Smallest Brillouin-zone grid of the default (cells per axis), and the largest the default
#: picks from the gap (beyond it :func:`streda_grid` warns).
ZONE_CELLS, ZONE_CELLS_MAX = 64, 512
#: Default cell width over the Berry-curvature radius ``gap/v`` of the smallest Dirac cone.
#: Measured (QWZ m = 1.9, gap 0.1): ``h v/gap = 1.13`` (64 cells) gives nu off by 2.4e-3,
#: ``0.56`` (128 cells) 2.9e-6; :func:`check_zone_resolution` warns above 1.
CELLS_PER_CONE = 0.5


def zone_resolution(model, grid):
    """``(h v/gap, gap, v)``: the largest cell width h of a Cartesian momentum grid over the
    Berry-curvature radius ``gap/v`` of the smallest Dirac cone of a lattice model, with the
    scales of :func:`streda_scales` taken on a 256 x 256 probe zone, the minimum of the gap
    then refined by zooming in on its best cell (:func:`_refined_gap`). Raises ParameterError
    where the gap closes (|Delta|/2 < 1e-9 v)."""
    mg = grid.momentum if isinstance(grid, HomogeneousGrid) else grid
    probe = CartesianMomentumGrid.brillouin_zone(2, 256, model.momentum_period)
    gap, vel = streda_scales(model, probe)
    gap, k_min = _refined_gap(model, probe, gap)
    if not gap > 1e-9 * vel:
        raise ParameterError("model", model, f"a gapped model (|Delta|/2 = {gap:.3g} at p = "
                                             f"({k_min[0]:.6g}, {k_min[1]:.6g})): the Streda nu is "
                                             "undefined where the gap closes")
    h = max(float(np.max(ax.widths)) for ax in mg.axes)
    return h * vel / gap, gap, vel


def _refined_gap(model, probe, gap, rounds=4, n=17):
    """``(min |Delta|/2, its momentum)`` refined around the best cell of ``probe``: ``rounds``
    zooms of an ``n x n`` patch spanning two probe cells each way, 8 times smaller each round."""
    pts = probe.cell_points().reshape(-1, 2)
    half = 0.5 * np.linalg.norm(gap_vector(model, None, pts), axis=-1)
    k0 = pts[int(np.argmin(half))]
    width = 2.0 * max(float(np.max(ax.widths)) for ax in probe.axes)
    for _ in range(rounds):
        u = np.linspace(-width, width, n)
        patch = (k0 + np.stack(np.meshgrid(u, u, indexing="ij"), axis=-1)).reshape(-1, 2)
        half = 0.5 * np.linalg.norm(gap_vector(model, None, patch), axis=-1)
        i = int(np.argmin(half))
        k0, gap = patch[i], min(gap, float(half[i]))
        width /= 8.0
    return gap, k0


def check_zone_resolution(model, grid, stacklevel=2):
    """Warn (:class:`~berrykin.errors.ResolutionWarning`) when a Brillouin-zone grid of a
    lattice model is coarser than the Berry curvature of its smallest Dirac cone
    (``h v/gap > 1``, :func:`zone_resolution`), where the Streda nu is off by more than
    about 1e-3. Returns ``h v/gap``."""
    ratio, gap, vel = zone_resolution(model, grid)
    if ratio > 1.0:
        need = _cells_needed(model.momentum_period, gap, vel)
        warnings.warn(ResolutionWarning(
            f"grid: cells of width {ratio * gap / vel:.3g} do not resolve the smallest gap "
            f"{gap:.3g} (Berry-curvature radius gap/v = {gap / vel:.3g}); nu may be off by more "
            f"than 1e-3: use a Brillouin zone of at least {need} cells per axis "
            "(CartesianMomentumGrid.brillouin_zone(2, n)) or the default grid"), stacklevel=stacklevel + 1)
    return ratio


def _cells_needed(period, gap, vel):
    """Cells per axis with width ``<= CELLS_PER_CONE gap/v``, a multiple of 16, >= ZONE_CELLS."""
    need = period * vel / (CELLS_PER_CONE * gap)
    return max(ZONE_CELLS, 16 * int(math.ceil(need / 16)))


def _zone_cells(model):
    """Cells per axis of the default zone: ``2 pi v/(CELLS_PER_CONE gap)`` rounded up to a
    multiple of 16, at least :data:`ZONE_CELLS`; capped at :data:`ZONE_CELLS_MAX` with a
    ResolutionWarning."""
    _, gap, vel = zone_resolution(model, CartesianMomentumGrid.brillouin_zone(2, ZONE_CELLS,
                                                                              model.momentum_period))
    n = _cells_needed(model.momentum_period, gap, vel)
    if n > ZONE_CELLS_MAX:
        warnings.warn(ResolutionWarning(
            f"model: the smallest gap {gap:.3g} needs about {n} zone cells per axis to resolve "
            f"its Berry curvature; using {ZONE_CELLS_MAX} (nu may be off by more than 1e-3): "
            "pass grid= to choose"), stacklevel=4)
        n = ZONE_CELLS_MAX
    return n


def streda_grid(model, mu, k_max_factor=4000.0, h0=0.04, ratio=1.06, n_phi=4):
    """Default momentum grid: a polar grid for isotropic continuum models (uniform spacing
    ``h0 |m| v`` up to ``2 |m| v``, then geometric with ``ratio`` up to ``k_max_factor |m| v``,
    with an edge on the Fermi surface); for lattices the periodic Brillouin zone with at least
    64 x 64 cells and enough that the cell width is at most half the Berry-curvature radius
    ``gap/v`` of the smallest Dirac cone (:data:`CELLS_PER_CONE`, :func:`zone_resolution`;
    e.g. 64 for QWZ at m = 1, 160 at m = 1.9)."""
    if model.momentum_period is not None:
        return CartesianMomentumGrid.brillouin_zone(2, _zone_cells(model), model.momentum_period)
    if not isinstance(model, MassiveDirac2D) or model.m == 0:
        raise ParameterError("model", model, "MassiveDirac2D with m != 0, a lattice model, or pass grid=")
    km = abs(model.m) * model.v
    edges = list(np.arange(0.0, 2.0 * km + 1e-12, h0 * km))
    while edges[-1] < k_max_factor * km:
        edges.append(edges[-1] * ratio)
    edges = np.array(edges)
    E = abs(mu)
    gap = abs(model.m) * model.v ** 2
    if E > gap:  # put an edge on the Fermi surface E(k_F) = |mu|
        kF = math.sqrt(E ** 2 - gap ** 2) / model.v
        i = int(np.argmin(np.abs(edges - kF)))
        if i == 0:
            i = 1
        edges[i] = kF
        edges = np.unique(edges)
    return PolarGrid.from_edges(edges, n_phi)


def streda_scales(model, momentum_grid):
    """``(gap, v)`` setting the default field ``b = 0.01 gap^2/v^2`` and ramp ``20/gap``.

    Massive Dirac: ``gap = |m| v^2`` (= min E) and its v. Lattice models: ``gap = min_k |Delta|/2``
    (half the direct band gap, the smallest mass of the Dirac cones, e.g. ``||m| - 2|`` or ``|m|``
    for QWZ) and ``v = max_k |d_k eps_s|`` (band velocity, unit lattice constant) over the cells
    of the momentum grid."""
    if isinstance(model, MassiveDirac2D):
        return (abs(model.m) * model.v ** 2 or 1.0), model.v
    pts = momentum_grid.cell_points().reshape(-1, model.dim)
    half = 0.5 * np.linalg.norm(gap_vector(model, None, pts), axis=-1)
    gap = float(np.min(half))
    vel = float(np.max(np.linalg.norm(
        phase_space_velocity(model, None, pts, band=+1, energy_shift=False, anomalous=False)[:, : model.dim],
        axis=-1)))
    if not gap > 1e-9 * float(np.max(half)):
        raise ParameterError("model", model, "a gapped model (min |Delta| > 0 on the grid), or pass b= and ramp_time=")
    return gap, (vel if vel > 0 else 1.0)


def ramp_defaults(model, momentum_grid, b, ramp_time, terms, scheme):
    """Resolve the documented defaults of a Streda ramp: ``b = 0.01 gap^2/v^2``, ramp time
    ``20/gap`` (:func:`streda_scales`), the full sKE, SSP-RK3 with at least 40 steps per ramp.
    Returns ``(b, ramp_time, terms, scheme)``; raises ParameterError for a zero or non-finite b
    or a non-positive ramp time."""
    if b is None or ramp_time is None:
        gap, vel = streda_scales(model, momentum_grid)
    b = 0.01 * gap ** 2 / vel ** 2 if b is None else float(b)
    ramp_time = 20.0 / gap if ramp_time is None else float(ramp_time)
    if b == 0 or not math.isfinite(b):
        raise ParameterError("b", b, "a finite non-zero field b = eB")
    if not ramp_time > 0:
        raise ParameterError("ramp_time", ramp_time, "a ramp duration > 0")
    terms = terms or SKETerms.full()
    scheme = scheme or Scheme(rk_stages=3, max_dt=ramp_time / 40.0)
    return b, ramp_time, terms, scheme


@dataclass(frozen=True)
class StredaResult:
    """Result of :func:`streda`.

    Attributes
    ----------
    nu : Hall coefficient ``2 pi delta rho / delta b`` from the sKE time integration (e^2/h).
    nu_band : per-band ``2 pi delta rho_s / delta b`` (s = +1, -1).
    nu_wave_packet_band : per-band single-band (wave-packet) Streda values
        ``(1/4 pi) Int d^2k s n_s B_k`` of the initial state, whose sum is nu.
    streda_violation : ``nu_band - nu_wave_packet_band`` (per band; Sec. III A: the sKE
        violates the Streda relation band by band).
    nu_berry_flux : ``(1/4 pi) Int d^2k n_z B_k`` of the initial state (ERRATA 4), for comparison.
    delta_rho : per-band density change at +b (particles per area).
    times, rho : time axis and band densities (2 columns) of the +b run; ``b_of_t``: the field.
    inflow, groups : cumulative inflow per boundary group and band (n_t, n_groups, 2) of the
        +b run (no groups on the periodic Brillouin zone).
    sources, source_kinds : cumulative volume sources per kind and band (n_t, n_kinds, 2):
        ``'cell_source'`` (the band exchange R_s, cancelling between the bands) and
        ``'spatial_divergence'`` (particles entering from the surrounding space). The per-band
        ledger closes from the result alone: ``rho[i] - rho[0] = inflow[i].sum(axis=0) +
        sources[i].sum(axis=0)`` (round-off).
    ledger_residual : largest relative band and conservation residuals of the ledgers.
    parameters : model, mu, T, b, ramp time, grid and scheme descriptions.
    """

    nu: float
    nu_band: tuple
    nu_wave_packet_band: tuple
    streda_violation: tuple
    nu_berry_flux: float
    delta_rho: tuple
    times: np.ndarray
    rho: np.ndarray
    b_of_t: np.ndarray
    ledger_residual: float
    inflow: np.ndarray = None
    groups: tuple = ()
    sources: np.ndarray = None
    source_kinds: tuple = ()
    parameters: dict = field(default_factory=dict)

    def to_dataset(self):
        """An ``xarray.Dataset`` with the time series and every scalar (attrs: parameters)."""
        import xarray as xr

        band = [1, -1]
        ds = xr.Dataset(
            {
                "rho": (("time", "band"), self.rho, {"units": "1/length^2"}),
                "b": (("time",), self.b_of_t, {"units": "1/length^2 (b = eB, hbar = 1)"}),
                "nu_band": (("band",), np.asarray(self.nu_band), {"units": "e^2/h"}),
                "nu_wave_packet_band": (("band",), np.asarray(self.nu_wave_packet_band)),
                "streda_violation": (("band",), np.asarray(self.streda_violation)),
                "delta_rho": (("band",), np.asarray(self.delta_rho)),
                "nu": ((), self.nu, {"units": "e^2/h", "definition": "2 pi d rho / d b (Eq. 45)"}),
                "nu_berry_flux": ((), self.nu_berry_flux, {"definition": "(1/4pi) Int n_z B_k (ERRATA 4)"}),
                "ledger_residual": ((), self.ledger_residual),
                "source": (("time", "kind", "band"), self.sources,
                           {"units": "1/length^2", "definition": "cumulative volume sources per kind "
                                                                 "(cell_source: band exchange)"}),
            },
            coords={"time": self.times, "band": band, "kind": list(self.source_kinds)},
            attrs={k: str(v) for k, v in self.parameters.items()},
        )
        if self.groups:  # boundary groups (none on the periodic zone)
            ds["inflow"] = xr.DataArray(np.asarray(self.inflow), dims=("time", "group", "band"),
                                        coords={"group": list(self.groups)},
                                        attrs={"units": "1/length^2",
                                               "definition": "cumulative inflow per boundary group"})
        ds.attrs["experiment"] = "streda"
        return ds


def _run(model, grid, mu, T, b, ramp_time, terms, scheme, sign):
    """One ramp to ``sign * b``; returns (n0, n_final, ledger, worst relative residual)."""
    prof = SmoothRamp(ramp_time, mirror_at=4.0 * ramp_time)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=b, profile=prof)))
    solver = KineticSolver(frame, grid, terms, scheme, time_dependent=True)
    n0 = fermi_dirac(model, grid, mu, T)
    t0 = 0.0 if sign > 0 else prof.mirror_at
    ts, states, ledger = solver.solve(n0, (t0, t0 + ramp_time))
    res = max(ledger.relative(ledger.band_residual()), ledger.relative(ledger.conservation_residual()))
    return n0, states[-1], ledger, res


def streda(model, mu, *, T=0.0, b=None, ramp_time=None, grid=None, terms=None, scheme=None,
           antisymmetrize=True):
    """Hall coefficient nu of a 2D two-band model from an adiabatic turn-on of a uniform b.

    Parameters
    ----------
    model : a 2D model without r dependence (e.g. ``MassiveDirac2D(m=...)`` or ``QWZ(m=...)``).
    mu, T : chemical potential and temperature of the initial Fermi-Dirac state ``f(eps_s)``
        (T = 0: the step, cell-averaged; see :func:`berrykin.kinetic.fermi_dirac`).
    b : final field (``b = eB``, units 1/length^2); default ``0.01 gap^2/v^2`` with the scales
        of :func:`streda_scales` (massive Dirac: ``gap = |m| v^2``; lattices: half the direct
        gap and the largest band velocity on the grid).
    ramp_time : duration of the smooth ramp; default ``20/gap``.
    grid : momentum grid (default :func:`streda_grid`).
    terms : :class:`~berrykin.kinetic.SKETerms` (default the full corrected sKE).
    scheme : :class:`~berrykin.kinetic.Scheme` (default SSP-RK3, van Leer, at least 40 steps
        per ramp).
    antisymmetrize : also run with -b and keep the odd part.

    Returns
    -------
    :class:`StredaResult`.

    Example
    -------
    >>> from berrykin.models import MassiveDirac2D
    >>> r = streda(MassiveDirac2D(m=1.0), mu=0.0)     # doctest: +SKIP
    >>> round(r.nu, 3)                                 # doctest: +SKIP
    -0.5
    """
    if model.dim != 2 or model.depends_on_r:
        raise ParameterError("model", model, "a 2D model that does not depend on r")
    if grid is not None and model.momentum_period is not None:
        mg = grid.momentum if isinstance(grid, HomogeneousGrid) else grid
        if isinstance(mg, CartesianMomentumGrid):
            check_zone_resolution(model, mg)
    grid = HomogeneousGrid(grid if grid is not None else streda_grid(model, mu))
    b, ramp_time, terms, scheme = ramp_defaults(model, grid.momentum, b, ramp_time, terms, scheme)
    n0, n1, ledger, res = _run(model, grid, mu, T, b, ramp_time, terms, scheme, +1)
    d_plus = band_densities(grid, n1) - band_densities(grid, n0)
    if antisymmetrize:
        _, n1m, ledger_m, res_m = _run(model, grid, mu, T, b, ramp_time, terms, scheme, -1)
        d_minus = band_densities(grid, n1m) - band_densities(grid, n0)
        d_odd = 0.5 * (d_plus - d_minus)
        res = max(res, res_m)
    else:
        d_odd = d_plus
    nu_band = streda_coefficient(d_odd, b)
    Bz = momentum_berry_field(model, None, grid.momentum.cell_points())[..., 2]
    vol = grid.volumes()
    wp = tuple(float(s * np.sum(n0[i] * Bz * vol) / (4 * math.pi)) for i, s in enumerate((1, -1)))
    times = ledger.times
    prof = SmoothRamp(ramp_time)
    return StredaResult(
        nu=float(np.sum(nu_band)),
        nu_band=tuple(map(float, nu_band)),
        nu_wave_packet_band=wp,
        streda_violation=tuple(float(x - y) for x, y in zip(nu_band, wp)),
        nu_berry_flux=hall_coefficient_berry_flux(model, grid, n0),
        delta_rho=tuple(map(float, d_plus)),
        times=times,
        rho=ledger.numbers,
        b_of_t=b * np.asarray([float(prof(t)) for t in times]),
        ledger_residual=float(res),
        inflow=ledger.inflow, groups=tuple(ledger.groups), sources=ledger.sources,
        source_kinds=tuple(ledger.kinds),
        parameters=dict(model=repr(model), mu=mu, T=T, b=b, ramp_time=ramp_time,
                        grid=f"{type(grid.momentum).__name__}{grid.shape}", terms=repr(terms),
                        scheme=repr(scheme), antisymmetrize=antisymmetrize),
    )
