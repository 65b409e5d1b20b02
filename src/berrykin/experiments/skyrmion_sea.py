"""Topological Hall drift of a Fermi sea through a skyrmion (lattice) from the full sKE (issue 11,
item 3; derivations in docs/skyrmion_sea.md).

A Fermi sea ``f(eps_s(r, k))`` of a textured model (x, y periodic over one skyrmion-lattice cell
of size ``cell``; kx, ky a box around the sea) is kicked at ``t = 0`` by ``kick`` (every
momentum shifted, as in :func:`berrykin.quantum.skyrmion.kicked_fermi_sea`) and/or driven by a
uniform ``force`` (vector gauge ``a = -force t``, kinetic-momentum frame). The sKE (corrected
Eq. 26, :class:`~berrykin.kinetic.KineticSolver`) evolves it on the 4D grid, with the Berry
curvature blocks F_rr, F_rp, F_pp, F_t of the velocities switched as for the sEOM
(:func:`berrykin.experiments.skyrmion.default_variants`; ``CanonicalFrame(curvature=...)``).

Reported per particle: the mean velocity ``u(t) = J(t)/N`` with the total particle current

    J = (2 pi)^-2 Int d^2r d^2k [n_+ rdot_+ + n_- rdot_- + c w_r (n_+ + n_-)]

(band fluxes plus the interband flux of the sKE; ``N`` the particles of the unkicked sea), its
time integral (trapezoid over the output times) the displacement, and ``drift`` its component
across the drive (``z x e``, e the unit vector of the kick, else of the force). The response
returned is the part odd in the drive: the sKE is linear in n, so for a kick alone one run of
``(f(k - kick) - f(k + kick))/2`` gives it exactly; with a force the runs at ``+drive`` and
``-drive`` are differenced. The equilibrium sea itself carries no net current.

In the adiabatic regime a majority electron sees the emergent field ``b_s = q_s F_xy`` with
flux ``Phi_s = q_s 4 pi Q`` per cell; a sea moving at ``u_0`` is bent like a charge in the mean
field ``b = Phi_s/A``: :func:`emergent_drift_estimate`, ``drift = -u_0 (1 - cos w t)/w``,
``w = b/m`` (parabolic band; exact for a uniform field, the short-time limit otherwise).
Units: hbar = e = 1, lengths as the model's, time 1/energy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..dynamics import TrajectoryOptions, integrate_trajectories
from ..errors import ParameterError
from ..geometry import band_energies
from ..geometry.pointwise import CurvatureTerms
from ..kinetic import (CanonicalFrame, CartesianMomentumGrid, KineticFrame, KineticSolver, PhaseSpaceGrid,
                       Scheme, SKETerms, SpaceGrid, fermi_dirac)
from ..kinetic.frames import evaluate_frame
from ..kinetic.grids import Axis
from ..models import MinimalCoupling, UniformElectricField
from ..models.base import Model, check_finite
from ..models.gridded import GriddedTexture
from .skyrmion import _times, _variants

__all__ = ["SeaDrift", "skyrmion_sea", "sea_grid", "skyrmion_sea_trajectories", "emergent_drift_estimate",
           "texture_cell"]


def texture_cell(model, cell=None) -> tuple:
    """The periodic cell ``(L_x, L_y)``: ``cell`` if given, else the period of a periodic
    :class:`~berrykin.models.GriddedTexture` (samples times spacing)."""
    if cell is not None:
        try:
            c = tuple(check_finite("cell", x) for x in cell)
        except TypeError:
            raise ParameterError("cell", cell, "two lengths (L_x, L_y)") from None
        if len(c) != 2 or min(c) <= 0:
            raise ParameterError("cell", cell, "two lengths (L_x, L_y) > 0")
        return c
    tex = getattr(model, "texture", None)
    if isinstance(tex, GriddedTexture) and all(tex.periodic):
        return tuple(n * h for n, h in zip(tex.shape, tex.spacing))
    raise ParameterError("cell", cell, "the periodic cell (L_x, L_y) of the texture (needed unless the texture "
                         "is a periodic GriddedTexture, e.g. quantum.skyrmion_lattice.square_skyrmion_lattice)")


def _vec(name, v):
    if v is None:
        return np.zeros(2)
    try:
        c = np.array([check_finite(name, x) for x in v])
    except TypeError:
        raise ParameterError(name, v, "two finite numbers (x, y)") from None
    if c.shape != (2,):
        raise ParameterError(name, v, "two finite numbers (x, y)")
    return c


def sea_grid(model, *, mu, T=0.0, kick=None, force=None, t_end=0.0, cell=None, n_space=16, n_k=20,
             origin=(0.0, 0.0), tail=1e-5) -> PhaseSpaceGrid:
    """Default 4D grid: x, y periodic over ``cell`` from ``origin`` (``n_space`` cells each);
    kx, ky a box of ``n_k`` cells per axis holding the sea (states with ``f > tail``, sampled at
    the cell centre on a 256^2 momentum grid) shifted by ``|kick| + |force| t_end``, plus 15%;
    the periodic Brillouin zone of a lattice model when that box would reach the zone boundary."""
    L = texture_cell(model, cell)
    drive = float(np.linalg.norm(_vec("kick", kick)) + np.linalg.norm(_vec("force", force)) * t_end)
    period = model.momentum_period
    k_lim = 0.5 * period if period is not None else max(4.0, 4.0 * math.sqrt(abs(mu) + 10 * T + 1.0))
    k = np.linspace(-k_lim, k_lim, 256)
    K = np.stack(np.meshgrid(k, k, indexing="ij"), axis=-1).reshape(-1, 2)
    r0 = np.broadcast_to(np.asarray(origin) + 0.5 * np.asarray(L), K.shape)
    e = band_energies(model, r=r0, p=K)
    occ = np.max(_fermi(e, mu, T), axis=-1) > tail
    if not np.any(occ):
        raise ParameterError("mu", mu, "a chemical potential inside the bands (the sea is empty)")
    half = 1.15 * (float(np.max(np.abs(K[occ]))) + drive) + 2 * (2 * k_lim / 256)
    sp = SpaceGrid(tuple(Axis.uniform(c, o, o + l, n_space, periodic=True) for c, o, l in zip("xy", origin, L)))
    if period is not None and half >= 0.5 * period:   # the sea reaches the zone boundary
        return PhaseSpaceGrid(sp, CartesianMomentumGrid.brillouin_zone(2, n_k, period))
    return PhaseSpaceGrid(sp, CartesianMomentumGrid.box(2, half, n_k))


def _fermi(e, mu, T):
    x = np.asarray(e) - mu
    return np.where(x < 0, 1.0, 0.0) if T == 0 else 0.5 * (1.0 - np.tanh(x / (2 * T)))


def _shifted(grid, dk):
    """The grid with its momentum cells moved by ``dk`` (cell averages of f(k + dk))."""
    axes = tuple(Axis(ax.name, ax.edges + d, ax.periodic) for ax, d in zip(grid.momentum.axes, dk))
    return PhaseSpaceGrid(grid.space, CartesianMomentumGrid(axes))


def emergent_drift_estimate(times, *, u0, flux, area, mass) -> np.ndarray:
    """Closed-form transverse drift (left of the motion) of a sea moving at ``u0`` in the mean
    emergent field ``b = flux/area`` (parabolic band of mass ``mass``): ``-u0 (1 - cos w t)/w``,
    ``w = b/mass`` (``pdot = rdot x b z``); ``-(1/2) u0 w t^2`` at short times."""
    t = np.asarray(times, dtype=float)
    w = flux / area / mass
    return -u0 * (1.0 - np.cos(w * t)) / w if w != 0 else np.zeros_like(t)


@dataclass(frozen=True)
class SeaDrift:
    """Drift of the driven Fermi sea per curvature variant (module docstring).

    ``variants`` (V,) names, ``curvature`` their :class:`CurvatureTerms`; ``times`` (T,);
    ``velocity`` (V, T, 2) the mean velocity per particle ``J/N``; ``displacement`` (V, T, 2)
    its time integral; ``drift`` (V, T) across and ``advance`` (V, T) along the drive;
    ``n_particles`` N of the unkicked sea; ``conservation`` (V,) the largest ledger residual of
    each variant's runs over N (round-off; the odd part itself holds no net particles, so the
    ledger's own relative measure is not meaningful); ``ledgers`` the
    :class:`~berrykin.kinetic.Ledger` of each run.
    """

    variants: tuple
    curvature: tuple
    times: np.ndarray
    velocity: np.ndarray
    displacement: np.ndarray
    drift: np.ndarray
    advance: np.ndarray
    n_particles: float
    conservation: np.ndarray
    ledgers: tuple
    direction: tuple
    method: str
    grid_shape: tuple
    model: str

    def __getitem__(self, variant: str) -> np.ndarray:
        """Transverse drift (T,) of one variant."""
        try:
            return self.drift[self.variants.index(variant)]
        except ValueError:
            raise ParameterError("variant", variant, f"one of {self.variants}") from None

    def contributions(self) -> dict:
        """Final drift of each variant and, for each group g with variant ``no_g`` present, the
        part it carries: ``drift[all] - drift[no_g]``."""
        fin = {v: float(self.drift[i, -1]) for i, v in enumerate(self.variants)}
        out = {"final": fin}
        if "all" in fin:
            out["group"] = {g: fin["all"] - fin[f"no_{g}"] for g in CurvatureTerms.GROUPS if f"no_{g}" in fin}
        return out

    def table(self) -> str:
        """Markdown table: variant, final drift, final advance."""
        rows = ["| variant | drift (final) | advance (final) |", "|---|---|---|"]
        rows += [f"| {v} | {self.drift[i, -1]:+.5g} | {self.advance[i, -1]:+.5g} |" for i, v in enumerate(self.variants)]
        return "\n".join(rows)

    def to_dataset(self):
        import json

        import xarray as xr

        dims = ("variant", "time")
        return xr.Dataset(
            {"drift": (dims, self.drift, {"units": "length", "long_name": "displacement per particle . (z x e)"}),
             "advance": (dims, self.advance, {"units": "length", "long_name": "displacement per particle . e"}),
             "velocity": (dims + ("axis",), self.velocity, {"units": "length/time", "long_name": "J/N"}),
             "displacement": (dims + ("axis",), self.displacement, {"units": "length"}),
             "conservation": ("variant", self.conservation, {"long_name": "max |ledger residual| / N"})},
            coords={"variant": list(self.variants), "time": ("time", self.times, {"units": "1/energy"}),
                    "axis": ["x", "y"]},
            attrs={"method": self.method, "n_particles": self.n_particles, "direction": list(self.direction),
                   "curvature": json.dumps({v: c.as_dict() for v, c in zip(self.variants, self.curvature)}),
                   "grid_shape": list(self.grid_shape), "model": self.model, "units": "hbar = e = 1",
                   "sign": "q_s = -s/2; emergent field b_s = q_s F_xy; drift > 0 to the left of e"})


def _curvature_variants(curvature):
    """As :func:`berrykin.experiments.skyrmion._variants`, plus the config names ``'table'``
    (the default table) and ``'all'`` (every block only)."""
    if isinstance(curvature, str):
        if curvature not in ("table", "all"):
            raise ParameterError("curvature", curvature, "'table', 'all', a CurvatureTerms or a mapping")
        return _variants(None if curvature == "table" else {"all": CurvatureTerms()})
    return _variants(curvature)


def _drive(kick, force):
    k, f = _vec("kick", kick), _vec("force", force)
    if not np.any(k) and not np.any(f):
        raise ParameterError("kick", kick, "a non-zero kick and/or force (x, y)")
    e = k if np.any(k) else f
    return k, f, e / np.linalg.norm(e)


def _current(frame, grid, terms, n, co):
    """Total particle current (2,) of the state n (2, ...) from the cell-centre coefficients."""
    d = 2
    c = terms.interband_flux_coefficient
    vol = np.broadcast_to(grid.volumes(), grid.shape)
    flux = n[0, ..., None] * co[..., 0:d] + n[1, ..., None] * co[..., 2 * d: 3 * d] \
        + c * (n[0] + n[1])[..., None] * co[..., 4 * d: 5 * d]
    return np.tensordot(vol, flux, axes=vol.ndim) * grid.measure


def skyrmion_sea(model, *, mu, kick=None, force=None, times, grid=None, curvature=None, T=0.0,
                 cell=None, terms=None, scheme=None, n_space=16, n_k=20, order=3) -> SeaDrift:
    """Drift of a Fermi sea driven through a texture, from the sKE (module docstring).

    Parameters
    ----------
    model : a 2D textured :class:`~berrykin.models.Model` (e.g. ``LatticeTexturedFerromagnet2D``
        or ``TexturedFerromagnet2D``) whose texture is periodic over ``cell``.
    mu, T : chemical potential and temperature of the sea (energy).
    kick, force : momentum kick at t = 0 and uniform force (x, y); at least one non-zero.
    times : output times, increasing from 0 (1/energy); the displacement is integrated over them.
    grid : a :class:`~berrykin.kinetic.PhaseSpaceGrid` (default :func:`sea_grid` with ``n_space``,
        ``n_k``); curvature : as for :func:`~berrykin.experiments.skyrmion.skyrmion_drift`, or
        ``'table'`` (that default table) / ``'all'``.
    terms, scheme : :class:`SKETerms` (default full) and :class:`Scheme`.
    order : Gauss-Legendre points per momentum axis of the initial cell averages.

    Cost: ``V`` (x2 with a force) sKE runs on the 4D grid (general or fast path of the solver).
    """
    if not isinstance(model, Model) or model.dim != 2 or not model.depends_on_r:
        raise ParameterError("model", model, "a 2D textured model, e.g. LatticeTexturedFerromagnet2D(texture=...)")
    mu, T = check_finite("mu", mu), check_finite("T", T)
    if T < 0:
        raise ParameterError("T", T, "a temperature >= 0")
    t = _times(times)
    k, f, e = _drive(kick, force)
    variants = _curvature_variants(curvature)
    if grid is None:
        grid = sea_grid(model, mu=mu, T=T, kick=k, force=f, t_end=float(t[-1]), cell=cell, n_space=n_space, n_k=n_k)
    terms = terms or SKETerms.full()
    occ = lambda g: fermi_dirac(model, g, mu, T, order=order)  # noqa: E731
    N = float(np.sum(grid.integrate(occ(grid))) * grid.measure)
    if np.any(f):   # odd part from the runs at +drive and -drive
        signs = (1.0, -1.0)
        init = {s: occ(_shifted(grid, -s * k)) for s in signs}
    else:           # linear in n: one run of the odd part of the kicked sea
        signs = (1.0,)
        init = {1.0: 0.5 * (occ(_shifted(grid, -k)) - occ(_shifted(grid, k)))}
    rc, pc = grid.space.cell_points(), grid.momentum.cell_points()
    shape = grid.shape
    Y = np.zeros(shape + (5,))
    Y[..., 0:2] = rc.reshape(rc.shape[:2] + (1, 1, 2))
    Y[..., 2:4] = pc.reshape((1, 1) + pc.shape)
    vel, cons, ledgers = [], [], []
    for terms_v in variants.values():
        w = tuple(terms_v.weights())
        u, worst = np.zeros((t.size, 2)), 0.0
        for s in signs:
            frame = (CanonicalFrame(model, curvature=w) if not np.any(f) else
                     KineticFrame(MinimalCoupling(model, UniformElectricField(e=tuple(s * f), vector_gauge=True)),
                                  curvature=w))
            solver = KineticSolver(frame, grid, terms, scheme or Scheme(), time_dependent=False, uniform_in_r=False)
            ts, states, ledger = solver.solve(init[s], (0.0, float(t[-1])), save_at=t)
            co = evaluate_frame(frame, Y.reshape(-1, 5), False, terms.energy_shift, terms.anomalous)
            co = co.reshape(shape + (-1,))
            cur = np.array([_current(frame, grid, terms, n, co) for n in states]) / N
            u += (0.5 if len(signs) == 2 else 1.0) * s * cur
            ledgers.append(ledger)
            worst = max(worst, float(np.max(np.abs(ledger.conservation_residual()))) / N)
        vel.append(u)
        cons.append(worst)
    vel = np.array(vel)
    disp = np.concatenate([np.zeros((len(variants), 1, 2)),
                           np.cumsum(0.5 * (vel[:, 1:] + vel[:, :-1]) * np.diff(t)[None, :, None], axis=1)], axis=1)
    e_perp = np.array([-e[1], e[0]])
    return SeaDrift(variants=tuple(variants), curvature=tuple(variants.values()), times=t, velocity=vel,
                    displacement=disp, drift=disp @ e_perp, advance=disp @ e, n_particles=N,
                    conservation=np.array(cons), ledgers=tuple(ledgers), direction=tuple(map(float, e)),
                    method="sKE (corrected Eq. 26) on a 4D phase-space grid, odd part in the drive",
                    grid_shape=tuple(shape), model=repr(model))


def skyrmion_sea_trajectories(model, *, mu, kick, times, grid=None, curvature=None, T=0.0, cell=None,
                              n_space=16, n_k=20, order=3, threshold=1e-6, rtol=1e-8, atol=1e-10) -> SeaDrift:
    """The sEOM ensemble of the same kicked sea: one canonical sEOM trajectory (Eq. 24) per
    phase-space cell of ``grid`` (centre), weighted by the cell's odd part of the kicked
    occupation ``(f(k - kick) - f(k + kick))/2`` times its volume (cells below ``threshold``
    of the largest weight dropped); displacement per particle ``sum w (r(t) - r(0)) / N``."""
    t = _times(times)
    k, _, e = _drive(kick, None)
    variants = _curvature_variants(curvature)
    if grid is None:
        grid = sea_grid(model, mu=mu, T=T, kick=k, cell=cell, n_space=n_space, n_k=n_k)
    occ = lambda g: fermi_dirac(model, g, mu, T, order=order)  # noqa: E731
    N = float(np.sum(grid.integrate(occ(grid))) * grid.measure)
    dn = 0.5 * (occ(_shifted(grid, -k)) - occ(_shifted(grid, k)))
    wts = dn * np.broadcast_to(grid.volumes(), grid.shape) * grid.measure
    rc, pc = grid.space.cell_points(), grid.momentum.cell_points()
    R = np.broadcast_to(rc.reshape(rc.shape[:2] + (1, 1, 2)), grid.shape + (2,))
    P = np.broadcast_to(pc.reshape((1, 1) + pc.shape), grid.shape + (2,))
    disp = np.zeros((len(variants), t.size, 2))
    for b, band in enumerate((1, -1)):
        keep = np.abs(wts[b]) > threshold * np.max(np.abs(wts))
        if not np.any(keep):
            continue
        w, r0, p0 = wts[b][keep], R[keep], P[keep]
        for i, terms_v in enumerate(variants.values()):
            opts = TrajectoryOptions(rtol=rtol, atol=atol, t_eval=tuple(t), curvature=terms_v)
            res = integrate_trajectories(model, r0, p0, (0.0, float(t[-1])), band=band, options=opts)
            disp[i] += np.einsum("n,tnd->td", w, res.r - res.r[:1]) / N
    vel = np.gradient(disp, t, axis=1)
    e_perp = np.array([-e[1], e[0]])
    return SeaDrift(variants=tuple(variants), curvature=tuple(variants.values()), times=t, velocity=vel,
                    displacement=disp, drift=disp @ e_perp, advance=disp @ e, n_particles=N,
                    conservation=np.zeros(len(variants)), ledgers=(), direction=tuple(map(float, e)),
                    method="ensemble of canonical sEOM trajectories (Eq. 24), one per phase-space cell",
                    grid_shape=tuple(grid.shape), model=repr(model))
