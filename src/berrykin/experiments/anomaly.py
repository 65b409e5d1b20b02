"""Chiral anomaly of a Weyl node in parallel e and b (paper Sec. III C, Eqs. 51-53; ERRATA 6-8).

The sKE (corrected Eq. 26) is integrated in the kinetic frame (Eqs. 36-38) on the homogeneous
momentum shell ``k_inner < |k| < k_outer`` around the node: the axisymmetric ``(k, theta)`` grid
about the common axis of e and b (default) or a full :class:`~berrykin.kinetic.SphericalGrid`.
Beyond the outer cutoff and inside the inner sphere the distribution is the adiabatically
prepared equilibrium ``n_s = f(eps_s) + (n_z/4) b.B_k`` (ERRATA choice 8,
:class:`~berrykin.kinetic.initial.AdiabaticInflow`), which is also the initial state.

The density of the shell changes only through its two surfaces (the cell sources cancel
between the bands, ERRATA 1); the ledger groups give them separately (ERRATA choice 6,
surfaces oriented out of the shell, a rate is positive when particles enter):

* ``outer_rate`` (group ``'k_outer'``): ``-(b.e)/(2 (2 pi)^3) Oint dS.B_k n_z`` over the cutoff
  (Eq. 52 with the prefactor of ERRATA 6) = ``+chirality b.e/(4 pi^2)``, the anomaly
  (ERRATA 7), independent of mu;
* ``inner_rate`` (group ``'k_inner'``): the same integral over the inner sphere,
  ``chirality b.e n_z(k_inner)/(4 pi^2)``: ``-chirality b.e/(4 pi^2)`` at mu = 0 (the value
  printed in Eq. 53), zero when the inner sphere lies inside the Fermi sea (mu != 0).

Units: hbar = e = 1, ``b = eB`` (1/length^2), ``e = eE`` (energy/length), rates in particles
per volume per time. The field axis is rotated onto z (the model must then be isotropic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..geometry import band_energies, momentum_berry_field
from ..kinetic import (
    Axis, AxisymmetricGrid, HomogeneousGrid, KineticFrame, KineticSolver, Scheme, SKETerms, SphericalGrid,
)
from ..kinetic.initial import AdiabaticInflow, EquilibriumInflow, adiabatic_state, fermi, fermi_dirac
from ..models import MinimalCoupling, UniformElectricField, UniformMagneticField

__all__ = ["chiral_anomaly", "AnomalyResult"]

INITIAL_STATES = ("adiabatic", "fermi_dirac")
_ALIASES = {"fermi": "fermi_dirac", "equilibrium": "fermi_dirac", "bare": "fermi_dirac",
            "non_adiabatic": "fermi_dirac"}


@dataclass(frozen=True)
class AnomalyResult:
    """Result of :func:`chiral_anomaly`; rates are window averages of ``d rho/dt``.

    Attributes
    ----------
    inner_rate, outer_rate : rates through the inner sphere and the outer cutoff (ledger groups
        ``'k_inner'``, ``'k_outer'``, summed over bands), particles/(volume time).
    total_rate : ``d rho/dt`` of the shell (inner + outer + the homogeneous r-divergence, ~0).
    inner_rate_band, outer_rate_band, total_rate_band : the same per band (s = +1, -1); the
        band totals include the band exchange (``'cell_source'``), which cancels in the sum.
    reference : ``chirality b.e/(4 pi^2)`` (ERRATA 7); ``chirality`` the monopole charge of B_k.
    inner_reference, outer_reference : Eq. (52) with ERRATA 6 on each surface,
        ``+-chirality b.e n_z(k)/(4 pi^2)`` with the equilibrium n_z at the radius.
    times, rho, inflow : ledger times, band densities (n_t, 2), cumulative inflow per group and
        band (n_t, n_groups, 2); ``groups`` the group names; ``window`` the averaging window.
    sources : cumulative volume sources per kind and band (n_t, n_kinds, 2), kinds
        ``source_kinds``: ``'cell_source'`` (the band exchange R_s, which cancels between the
        bands) and ``'spatial_divergence'`` (the homogeneous reduction's r-divergence). With
        them the per-band ledger closes from the result alone:
        ``rho[i] - rho[0] = inflow[i].sum(axis=0) + sources[i].sum(axis=0)`` (round-off).
    ledger_residual : largest relative band and conservation residual of the ledger.
    parameters : model, fields, mu, T, grid, cutoffs, duration, initial state, terms, scheme.
    """

    inner_rate: float
    outer_rate: float
    total_rate: float
    inner_rate_band: tuple
    outer_rate_band: tuple
    total_rate_band: tuple
    reference: float
    inner_reference: float
    outer_reference: float
    chirality: float
    times: np.ndarray
    rho: np.ndarray
    inflow: np.ndarray
    groups: tuple
    window: tuple
    ledger_residual: float
    sources: np.ndarray = None
    source_kinds: tuple = ()
    parameters: dict = field(default_factory=dict)

    def to_dataset(self):
        """An ``xarray.Dataset``: time series (dims time, group, band) and every rate."""
        import xarray as xr

        rate = {"units": "particles/(length^3 time)"}
        ds = xr.Dataset(
            {
                "rho": (("time", "band"), self.rho, {"units": "1/length^3"}),
                "inflow": (("time", "group", "band"), self.inflow,
                           {"units": "1/length^3", "definition": "cumulative particles entering per surface"}),
                "source": (("time", "kind", "band"), self.sources,
                           {"units": "1/length^3", "definition": "cumulative volume sources per kind "
                                                                 "(cell_source: band exchange)"}),
                **{f"{k}_rate_band": (("band",), np.asarray(getattr(self, f"{k}_rate_band")), rate)
                   for k in ("inner", "outer", "total")},
                **{f"{k}_rate": ((), getattr(self, f"{k}_rate"), rate) for k in ("inner", "outer", "total")},
                "reference": ((), self.reference, dict(rate, definition="chirality b.e/(4 pi^2) (ERRATA 7)")),
                "inner_reference": ((), self.inner_reference, dict(rate, definition="Eq. 52, ERRATA 6")),
                "outer_reference": ((), self.outer_reference, dict(rate, definition="Eq. 52, ERRATA 6")),
                "ledger_residual": ((), self.ledger_residual),
            },
            coords={"time": self.times, "group": list(self.groups), "kind": list(self.source_kinds),
                    "band": [1, -1]},
            attrs={k: str(v) for k, v in self.parameters.items()},
        )
        ds.attrs.update(experiment="chiral_anomaly", window=str(self.window),
                        sign_convention="rates > 0: particles entering the shell (ERRATA choice 6)")
        return ds


def _as_grid(grid, k_inner, k_outer, defaults, n_theta):
    """The homogeneous momentum grid of the shell (checks a user grid), cos-midpoint sampled."""
    if grid is None:
        edges = defaults(k_inner, k_outer)
        return HomogeneousGrid(AxisymmetricGrid(Axis("k", edges), Axis.uniform("theta", 0.0, math.pi, n_theta)))
    mg = grid.momentum if isinstance(grid, HomogeneousGrid) else grid
    if not isinstance(mg, (AxisymmetricGrid, SphericalGrid)):
        raise ParameterError("grid", grid, "an AxisymmetricGrid or SphericalGrid (or its HomogeneousGrid)")
    ke = mg.k.edges
    th = mg.theta.edges
    if ke[0] <= 0 or th[0] > 1e-14 or th[-1] < math.pi - 1e-14:
        raise ParameterError("grid", grid, "a shell k_edges[0] > 0 over the full theta range [0, pi]")
    for name, val, edge in (("k_inner", k_inner, ke[0]), ("k_outer", k_outer, ke[-1])):
        if val is not None and abs(val - edge) > 1e-12 * edge:
            raise ParameterError(name, val, f"None or the grid's radius {edge}")
    return HomogeneousGrid(mg)


def chiral_anomaly(model, e, b, mu, *, T=0.0, grid=None, k_inner=None, k_outer=None, duration=None,
                   terms=None, scheme=None, initial="adiabatic", n_theta=24, cells_per_octave=8):
    """Particle production ``d rho/dt`` of a Weyl node in parallel e and b, from the sKE.

    Parameters
    ----------
    model : :class:`~berrykin.models.Weyl3D` (or another 3D r-independent model with a single
        isotropic node at k = 0: band energies depend on |k| only, B_k radial).
    e, b : the fields ``e = eE``, ``b = eB``: floats (along z) or parallel 3-vectors; both non-zero.
    mu, T : chemical potential and temperature of the equilibrium (T = 0: cell-averaged step).
    grid : None (axisymmetric ``(k, theta)`` shell, geometric in k with ``cells_per_octave``
        cells per factor 2 and a cell edge on the Fermi surface, ``n_theta`` uniform cells) or an
        :class:`~berrykin.kinetic.AxisymmetricGrid` / :class:`~berrykin.kinetic.SphericalGrid`
        shell about the field axis. Both sample velocities at the cos-midpoint polar angles, where
        a uniform force along the axis is exactly divergence free.
        Default accuracy: total rate 1.0041 x the anomaly (first order in the radial cell size).
    k_inner, k_outer : cutoff radii (default ``k_F/2`` and ``4 k_F`` with the Fermi radius k_F
        of mu; at mu = 0: ``2 sqrt|b|`` and 8 times that).
    duration : integration time (default ``0.1 d/|e|``: the Fermi sea moves by a tenth of the
        smallest distance d among k_inner, |k_F - k_inner|, |k_outer - k_F|); rates are averaged
        over its second half.
    terms, scheme : :class:`~berrykin.kinetic.SKETerms` (default full sKE),
        :class:`~berrykin.kinetic.Scheme` (default SSP-RK3, van Leer, CFL 0.4, >= 20 steps).
    initial : ``'adiabatic'`` (state and inflow ``f(eps_s) + (n_z/4) b.B_k``, ERRATA choice 8) or
        ``'fermi_dirac'`` (also ``'fermi'``, ``'equilibrium'``, ``'bare'``, ``'non_adiabatic'``:
        ``f(eps_s)`` with b already on, state and inflow; the outer rate is then 2/3 of the
        anomaly, ERRATA choice 8).

    Returns
    -------
    :class:`AnomalyResult`.

    >>> from berrykin.models import Weyl3D
    >>> r = chiral_anomaly(Weyl3D(chirality=1), e=0.01, b=0.01, mu=0.5)   # doctest: +SKIP
    >>> round(r.total_rate / r.reference, 3)                               # doctest: +SKIP
    1.004
    """
    initial = _ALIASES.get(initial, initial) if isinstance(initial, str) else initial
    if initial not in INITIAL_STATES:
        raise ParameterError("initial", initial, f"one of {INITIAL_STATES}")
    if not (np.isfinite(mu) and T >= 0):
        raise ParameterError("mu, T", (mu, T), "a finite mu and T >= 0")
    ez, bz, axis = field_axis(e, b)
    k_f, chirality = check_node_model(model, mu)
    order = 4 if grid is None else None  # default grid: Fermi surface on a cell edge, smooth cells
    grid = _as_grid(grid, k_inner, k_outer, lambda ki, ko: default_shell(k_f, bz, ki, ko, cells_per_octave),
                    int(n_theta))
    k_in, k_out = grid.momentum.k.edges[0], grid.momentum.k.edges[-1]
    gaps = [k_in] + ([abs(k_f - k_in), abs(k_out - k_f)] if k_f is not None else [])
    duration = 0.1 * min(gaps) / abs(ez) if duration is None else float(duration)
    if not duration > 0:
        raise ParameterError("duration", duration, "a positive time")
    terms = terms or SKETerms.full()
    if scheme is None:  # small default grids: the NumPy kernels need no JIT compilation
        scheme = Scheme(rk_stages=3, max_dt=duration / 20.0, backend="numpy" if grid.size <= 1 << 14 else "numba")
    bvec = (0.0, 0.0, bz)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=bvec) + UniformElectricField(e=(0.0, 0.0, ez))))
    if initial == "adiabatic":
        n0, inflow = adiabatic_state(model, grid, mu, T, b=bvec, order=order), AdiabaticInflow(model, mu, T, b=bvec)
    else:
        n0, inflow = fermi_dirac(model, grid, mu, T, order=order), EquilibriumInflow(model, mu, T)
    solver = KineticSolver(frame, grid, terms, scheme, inflow=inflow, time_dependent=False)
    _, _, ledger = solver.solve(n0, (0.0, duration), save_at=[0.0, 0.5 * duration, duration])
    t = ledger.times
    i0 = int(np.argmin(np.abs(t - 0.5 * duration)))
    span = t[-1] - t[i0]
    flux = (ledger.inflow[-1] - ledger.inflow[i0]) / span  # (groups, 2)
    rho = ledger.numbers  # particles per volume (the ledger carries the (2 pi)^-3 measure)
    band_total = (rho[-1] - rho[i0]) / span
    g = {name: flux[i] for i, name in enumerate(solver.groups)}
    ref = chirality * bz * ez / (4 * math.pi ** 2)
    nz = [_nz(model, k, mu, T) for k in (k_in, k_out)]
    res = max(ledger.relative(ledger.band_residual()), ledger.relative(ledger.conservation_residual()))
    return AnomalyResult(
        inner_rate=float(g["k_inner"].sum()), outer_rate=float(g["k_outer"].sum()),
        total_rate=float(band_total.sum()),
        inner_rate_band=tuple(map(float, g["k_inner"])), outer_rate_band=tuple(map(float, g["k_outer"])),
        total_rate_band=tuple(map(float, band_total)),
        reference=ref, inner_reference=ref * nz[0], outer_reference=-ref * nz[1], chirality=float(chirality),
        times=t, rho=rho, inflow=ledger.inflow, groups=tuple(solver.groups),
        window=(float(t[i0]), float(t[-1])), ledger_residual=float(res),
        sources=ledger.sources, source_kinds=tuple(ledger.kinds),
        parameters=dict(model=repr(model), e=ez, b=bz, field_axis=tuple(axis), mu=mu, T=T,
                        grid=f"{type(grid.momentum).__name__}{grid.shape}", k_inner=k_in, k_outer=k_out,
                        duration=duration, initial=initial, terms=repr(terms), scheme=repr(scheme)),
    )


def _nz(model, k, mu, T):
    """Equilibrium ``n_z = f(eps_+) - f(eps_-)`` at radius k (isotropic model, along z)."""
    f = fermi(band_energies(model, None, np.array([0.0, 0.0, k])), mu, T)
    return float(f[0] - f[1])


def field_axis(e, b):
    """``(e_z, b_z, axis)``: the signed components along the common unit axis (z for floats)."""
    if np.ndim(e) == 0 and np.ndim(b) == 0:
        ez, bz, axis = float(e), float(b), np.array([0.0, 0.0, 1.0])
    else:
        ev, bv = (np.array([0.0, 0.0, x]) if np.ndim(x) == 0 else np.asarray(x, dtype=float).ravel() for x in (e, b))
        if ev.size != 3 or bv.size != 3:
            raise ParameterError("e, b", (e, b), "floats along z or 3-vectors")
        nb, ne = np.linalg.norm(bv), np.linalg.norm(ev)
        if nb == 0 or ne == 0 or np.linalg.norm(np.cross(ev, bv)) > 1e-10 * ne * nb:
            raise ParameterError("e, b", (e, b), "non-zero parallel (or antiparallel) 3-vectors")
        axis = bv / nb
        if abs(abs(axis[2]) - 1.0) < 1e-15:
            axis = np.array([0.0, 0.0, 1.0])
        ez, bz = float(ev @ axis), float(bv @ axis)
    if not (np.isfinite(ez) and np.isfinite(bz) and ez != 0 and bz != 0):
        raise ParameterError("e, b", (e, b), "finite non-zero fields")
    return ez, bz, axis


def check_node_model(model, mu):
    """Check a 3D isotropic node model; return ``(k_F or None, chirality)``.

    ``chirality = k^2 B_k . k-hat`` (the monopole charge; +-1 for Weyl3D) must be the same in
    every sampled direction and radius, B_k radial and the band energies functions of |k|.
    ``k_F`` solves ``eps_s(k_F) = mu`` in the band s = sgn(mu - eps_node) (None at the node)."""
    if getattr(model, "dim", None) != 3 or model.depends_on_r or model.momentum_period is not None:
        raise ParameterError("model", model, "a 3D continuum model without r dependence (e.g. Weyl3D)")
    rng = np.random.default_rng(7)
    dirs = rng.normal(size=(6, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    radii = np.array([0.1, 1.0, 10.0])
    p = radii[:, None, None] * dirs[None]
    eps = band_energies(model, None, p)
    B = momentum_berry_field(model, None, p)
    charge = np.einsum("rdi,di->rd", B, dirs) * radii[:, None] ** 2
    chi = float(np.round(charge[0, 0]))
    radial = np.linalg.norm(np.cross(B, dirs[None]), axis=-1) * radii[:, None] ** 2
    if chi == 0 or np.max(np.abs(charge - chi)) > 1e-8 or np.max(radial) > 1e-8 or \
            np.max(np.abs(eps - eps[:, :1])) > 1e-10 * (1.0 + np.max(np.abs(eps))):
        raise ParameterError("model", model, "an isotropic node: eps_s(|k|) and B_k = chirality k/k^3")
    e0 = float(np.mean(band_energies(model, None, np.array([0.0, 0.0, 1e-12]))))
    if abs(mu - e0) <= 1e-12 * (1.0 + abs(mu)):
        return None, chi
    band = 0 if mu > e0 else 1  # the band crossing mu; |eps_s - e0| grows with |k|
    def h(k):
        return abs(float(band_energies(model, None, np.array([0.0, 0.0, k]))[band]) - e0) - abs(mu - e0)

    lo, hi = 0.0, 1.0
    while h(hi) < 0:
        lo, hi = hi, 2.0 * hi
        if hi > 1e12:
            raise ParameterError("mu", mu, "a chemical potential reached by a band")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if h(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi), chi


def default_shell(k_f, bz, k_inner, k_outer, per_octave):
    """Radial edges: geometric, ``per_octave`` cells per factor 2 (at least 4 between the Fermi
    surface and a cutoff), with a cell edge on the Fermi surface."""
    scale = k_f if k_f is not None else 2.0 * math.sqrt(abs(bz))
    k_in = 0.5 * scale if k_f is not None and k_inner is None else (scale if k_inner is None else float(k_inner))
    k_out = (4.0 if k_f is not None else 8.0) * scale if k_outer is None else float(k_outer)
    if not (0 < k_in < k_out < np.inf):
        raise ParameterError("k_inner, k_outer", (k_inner, k_outer), "radii 0 < k_inner < k_outer")
    if int(per_octave) < 1:
        raise ParameterError("cells_per_octave", per_octave, "an integer >= 1")
    knots = [k_in] + ([k_f] if k_f is not None and k_in < k_f < k_out else []) + [k_out]
    edges = [k_in]
    for a, c in zip(knots[:-1], knots[1:]):
        n = max(4, int(round(per_octave * math.log2(c / a))))  # >= 4 cells between surfaces
        edges += list(a * (c / a) ** (np.arange(1, n + 1) / n))
    edges[-1] = k_out
    return np.array(edges)
