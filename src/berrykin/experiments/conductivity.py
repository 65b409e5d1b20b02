"""Steady-state linear conductivity from the sKE with collisions (issue 9; docs/transport.md).

A uniform field ``e`` (``e = eE``, scalar gauge ``phi = -e.r``) drives the homogeneous sKE in the
kinetic frame; :class:`~berrykin.kinetic.RelaxationTime` (the conserving relaxation to the local
equilibrium) relaxes it. To first order in e the steady state is ``n = n0 + dn`` with
``n0 = <f(eps_s; mu, T)>_cell`` and the current of Eq. (30) (:mod:`berrykin.observables.current`)

    j_i = sum_s Int d^dk/(2 pi)^d [dn_s rdot_s^(0) + w_r dn_{-s}] + sum_s Int n0_s (rdot_s(e) - rdot_s(0))

so ``sigma[i, j] = d j_i / d e_j`` (hbar = e = 1: ``e^2/h = 1/(2 pi)``, so ``2 pi sigma_xy`` is
in units of e^2/h) splits into

* ``'drude'``: ``dn`` times the bare band velocity ``d_k eps_s`` (intraband, ~ tau),
* ``'chiral'``: ``dn`` times the rest of ``rdot^(0)`` and the interband flux (the b-dependent
  velocities: chiral-magnetic and energy-shift terms; zero at b = 0),
* ``'anomalous'``: the equilibrium times the anomalous velocity ``-q_s e x Omega``-type terms of
  Eq. (24) (the intrinsic anomalous Hall effect, independent of tau),
* ``'magnetisation'``: zero -- Eq. (30) is the transport current, and a homogeneous state has no
  magnetisation current (no curl term).

``dn`` comes from :func:`~berrykin.kinetic.linear_response` (``method='direct'``: GMRES on the
linearised operator of the same right-hand side) or from :func:`~berrykin.kinetic.evolve_to_steady`
at ``+-e_probe`` (``method='evolution'``, odd part kept); they agree to 1e-6 (tested).
Massive Dirac at T = 0 reaches ``sigma_xx = tau (mu^2 - m^2 v^4)/(4 pi |mu|)`` and
``2 pi sigma_xy = -m v^2/(2 |mu|)`` (docs/transport.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from ..errors import ParameterError
from ..kinetic import (
    CartesianMomentumGrid, EquilibriumInflow, HomogeneousGrid, KineticFrame, KineticSolver, Limiter,
    PolarGrid, RelaxationTime, Scheme, SKETerms,
)
from ..kinetic.steady import LINEAR_LIMITERS, centered_drive, evolve_to_steady, linear_response
from ..models import MassiveDirac2D, MinimalCoupling, UniformElectricField
from ..observables.current import current_density
from .conductivity_grid import TransportPolarGrid, conductivity_grid

__all__ = ["conductivity", "ConductivityResult", "SteadyMethod", "PARTS"]

#: Names of the parts of the current, in the order of ``ConductivityResult.parts``.
PARTS = ("drude", "chiral", "anomalous", "magnetisation")


class SteadyMethod(str, Enum):
    """How the steady state is found."""

    DIRECT = "direct"  #: GMRES on the linearised sKE (first order in e)
    EVOLUTION = "evolution"  #: time evolution at +-e_probe to the stationary state


@dataclass(frozen=True)
class ConductivityResult:
    """Result of :func:`conductivity`.

    Attributes
    ----------
    sigma : (d, d) ``d j_i / d e_j`` (hbar = e = 1; multiply by 2 pi for units of e^2/h).
    parts : (4, d, d) the parts of :data:`PARTS` (their sum is ``sigma``; by evolution the
        sum differs from sigma by the O(e_probe^2) remainder).
    collision_integral : (d, 2) per drive direction and band, the integral of the collision
        operator over the grid for the response (zero to round-off: the relaxation conserves
        particles; band exchange shows as opposite entries).
    residual : the largest relative residual of the steady-state solves (GMRES residual or
        ledger residual of the evolution).
    method, parameters : how it was obtained.
    """

    sigma: np.ndarray
    parts: np.ndarray
    collision_integral: np.ndarray
    residual: float
    method: str
    parameters: dict = field(default_factory=dict)

    def part(self, name):
        """The (d, d) tensor of one part (:data:`PARTS`)."""
        if name not in PARTS:
            raise ParameterError("name", name, f"one of {PARTS}")
        return self.parts[PARTS.index(name)]

    def to_dataset(self):
        """An ``xarray.Dataset`` (dims i, j, part, band; attrs: parameters, units)."""
        import xarray as xr

        d = self.sigma.shape[0]
        comp = ["x", "y", "z"][:d]
        units = "e^2/hbar (hbar = e = 1); 2 pi sigma is in e^2/h"
        ds = xr.Dataset(
            {"sigma": (("i", "j"), self.sigma, {"units": units, "definition": "d j_i / d e_j, j of Eq. (30)"}),
             "sigma_part": (("part", "i", "j"), self.parts, {"units": units}),
             "collision_integral": (("j", "band"), self.collision_integral,
                                    {"units": "particles/(length^d time) per unit e"}),
             "residual": ((), self.residual)},
            coords={"i": comp, "j": comp, "part": list(PARTS), "band": [1, -1]},
            attrs={k: str(v) for k, v in self.parameters.items()})
        ds.attrs["experiment"] = "conductivity"
        ds.attrs["method"] = self.method
        return ds


def _default_grid(model, mu):
    if model.momentum_period is not None:
        return CartesianMomentumGrid.brillouin_zone(model.dim, 64, model.momentum_period)
    if isinstance(model, MassiveDirac2D):
        return conductivity_grid(model, mu)
    raise ParameterError("grid", None, f"a momentum grid for {type(model).__name__} (defaults exist for "
                         "MassiveDirac2D and lattice models)")


def _transport_grid(grid):
    """A grid on which a uniform force is transported exactly: a :class:`PolarGrid` becomes the
    :class:`TransportPolarGrid` of the same cells (docs/transport.md, free-stream preservation);
    Cartesian grids as they are; other grids are refused."""
    mg = grid.momentum if isinstance(grid, HomogeneousGrid) else grid
    if isinstance(mg, TransportPolarGrid) or isinstance(mg, CartesianMomentumGrid):
        return mg
    if isinstance(mg, PolarGrid):
        return TransportPolarGrid(mg.k, mg.phi)
    raise ParameterError("grid", type(mg).__name__,
                         "a PolarGrid, TransportPolarGrid or CartesianMomentumGrid (other grids do not "
                         "transport a uniform force exactly: the conductivity would be wrong)")


def _frame(model, e):
    return KineticFrame(MinimalCoupling(model, UniformElectricField(e=tuple(map(float, e)))))


def conductivity(model, mu, *, tau, T=0.0, b=None, tau_v=None, grid=None, terms=None, scheme=None,
                 method=SteadyMethod.DIRECT, tau_minus=None, e_probe=1e-6, tol=1e-9, order=None, columns=None,
                 b_angle=None):
    """Linear conductivity tensor of a homogeneous two-band model from the steady sKE.

    Parameters
    ----------
    model : a model without r dependence, d = 2 or 3 (e.g. ``MassiveDirac2D(m=1.0)``).
    mu, T : chemical potential and temperature of the equilibrium (energy units, T >= 0).
    tau : relaxation time of :class:`~berrykin.kinetic.RelaxationTime` (1/energy, hbar = 1;
        not the pseudospin tau); ``tau_minus``: of the lower band (default tau).
    b, tau_v : a magnetic field ``b = eB`` and the internode time: for a
        :class:`~berrykin.models.WeylPair` (``tau_v`` required, ``T > 0``; see
        :func:`~.conductivity_weyl.conductivity_weyl_pair`); for two-band models anything but
        None (or a zero b) raises ParameterError.
    columns, b_angle : Weyl pair only: the drive directions computed (default all) and the angle
        (degrees) of b, a magnitude, from the x axis in the x-y plane (planar Hall).
    grid : momentum grid (default :func:`~.conductivity_grid.conductivity_grid` for massive
        Dirac, the 64^d Brillouin zone for lattices). A ``PolarGrid`` is used as the
        :class:`~.conductivity_grid.TransportPolarGrid` of the same cells; grids other than
        polar and Cartesian raise ParameterError.
    terms : :class:`~berrykin.kinetic.SKETerms` (default full).
    scheme : :class:`~berrykin.kinetic.Scheme` with a linear limiter (default first-order upwind).
    method : :class:`SteadyMethod` (or its value ``'direct'`` / ``'evolution'``).
    e_probe : field of the evolution runs (None: 1e-6) (energy/length); tol: their convergence criterion.
        The odd part of an upwind steady state differs from the linear response by the
        numerical diffusion ``~ |e| dk``: relatively ``~ e_probe tau/dk`` (measured 4e-7 for
        e_probe = 1e-6, tau = 3, dk = 0.14; proportional to e_probe).
    order : Gauss points per axis of the cell-averaged occupations (default 4).

    Returns :class:`ConductivityResult`.

    >>> from berrykin.models import MassiveDirac2D
    >>> r = conductivity(MassiveDirac2D(m=1.0), 2.0, tau=5.0)             # doctest: +SKIP
    >>> round(r.sigma[0, 0] / (5.0 * 3.0 / (8 * math.pi)), 3)               # doctest: +SKIP
    1.0
    """
    try:
        method = SteadyMethod(method)
    except ValueError:
        raise ParameterError("method", method, "'direct' or 'evolution'") from None
    from ..models.weyl_pair import WeylPair

    if isinstance(model, WeylPair):  # two nodes with internode scattering (docs/transport.md)
        from .conductivity_weyl import conductivity_weyl_pair

        if tau_v is None or tau_minus is not None:
            raise ParameterError("tau_v, tau_minus", (tau_v, tau_minus),
                                 "an internode time tau_v (and no tau_minus) for a WeylPair")
        return conductivity_weyl_pair(model, mu, tau=tau, tau_v=tau_v, T=T, b=b, grid=grid, terms=terms,
                                      scheme=scheme, method=method, e_probe=e_probe, tol=tol, order=order,
                                      columns=columns, b_angle=b_angle)
    if columns is not None or b_angle is not None:
        raise ParameterError("columns, b_angle", (columns, b_angle), "None for a two-band model (Weyl pair only)")
    if model.depends_on_r or model.dim not in (2, 3):
        raise ParameterError("model", model, "a model of d = 2 or 3 that does not depend on r")
    if not math.isfinite(float(mu)):
        raise ParameterError("mu", mu, "a finite chemical potential")
    if b is not None and np.any(np.asarray(b, dtype=float) != 0):
        raise ParameterError("b", b, "None or 0 for a two-band model (in a field b: model=WeylPair(...))")
    if tau_v is not None:
        raise ParameterError("tau_v", tau_v, "None for a two-band model (internode scattering: model=WeylPair(...))")
    e_probe = 1e-6 if e_probe is None else e_probe
    if not (float(e_probe) > 0 and math.isfinite(float(e_probe))):
        raise ParameterError("e_probe", e_probe, "a small positive field (energy/length)")
    d = model.dim
    grid = HomogeneousGrid(_transport_grid(grid) if grid is not None else _default_grid(model, mu))
    terms = terms or SKETerms.full()
    scheme = scheme or Scheme(limiter=Limiter.FIRST_ORDER, rk_stages=3)
    if scheme.limiter not in LINEAR_LIMITERS:
        raise ParameterError("scheme.limiter", scheme.limiter, "Limiter.FIRST_ORDER or Limiter.UNLIMITED")
    col = (RelaxationTime(tau, tau_minus=tau_minus, T=T, order=order),)
    bounded = any(n is not None for a in range(grid.ndim) for n in grid.boundary_names(a))
    inflow = EquilibriumInflow(model, float(mu), float(T)) if bounded else None
    zero = np.zeros(d)

    def solver(e, inflow_):
        return KineticSolver(_frame(model, e), grid, terms, scheme, inflow_, time_dependent=False,
                             uniform_in_r=True, collisions=col)

    s0 = solver(zero, None)
    op = s0._bound[0]
    n0 = op.occ(float(mu))
    vol = np.broadcast_to(grid.volumes(), grid.shape) * grid.measure
    boltz = SKETerms.boltzmann()
    f0 = _frame(model, zero)
    parts = np.zeros((len(PARTS), d, d))
    sigma = np.zeros((d, d))
    cint = np.zeros((d, 2))
    residual = 0.0
    h = 1e-3  # exact: the right side is homogeneous of degree one in e at b = 0 (centred)
    for j in range(d):
        ej = np.zeros(d)
        ej[j] = 1.0
        dn_drive = h if method is SteadyMethod.DIRECT else float(e_probe)
        sp, sm = solver(dn_drive * ej, inflow), solver(-dn_drive * ej, inflow)
        anomalous = (current_density(_frame(model, dn_drive * ej), grid, n0, terms=terms).total
                     - current_density(_frame(model, -dn_drive * ej), grid, n0, terms=terms).total) / (2 * dn_drive)
        if method is SteadyMethod.DIRECT:
            lr = linear_response(s0, centered_drive(sp, sm, n0, h), float(mu))
            dn, residual = lr.dn, max(residual, lr.residual)
            sigma[:, j] = current_density(f0, grid, dn, terms=terms).total + anomalous
        else:
            plus = evolve_to_steady(sp, n0, tol=tol)
            minus = evolve_to_steady(sm, n0, tol=tol)
            dn = (plus.n - minus.n) / (2 * dn_drive)
            jp = current_density(_frame(model, dn_drive * ej), grid, plus.n, terms=terms).total
            jm = current_density(_frame(model, -dn_drive * ej), grid, minus.n, terms=terms).total
            sigma[:, j] = (jp - jm) / (2 * dn_drive)
            for st in (plus, minus):
                L = st.ledger
                residual = max(residual, L.relative(L.band_residual()), L.relative(L.conservation_residual()))
        drude = current_density(model, grid, dn, terms=boltz).total
        full = current_density(f0, grid, dn, terms=terms).total
        parts[0, :, j], parts[1, :, j], parts[2, :, j] = drude, full - drude, anomalous
        cint[j] = (op.linear(dn, float(mu)).reshape(2, -1) @ vol.reshape(-1))
    return ConductivityResult(
        sigma=sigma, parts=parts, collision_integral=cint, residual=float(residual), method=method.value,
        parameters=dict(model=repr(model), mu=float(mu), T=float(T), tau=float(tau), tau_minus=tau_minus,
                        grid=f"{type(grid.momentum).__name__}{grid.shape}", terms=repr(terms), scheme=repr(scheme),
                        e_probe=float(e_probe) if method is SteadyMethod.EVOLUTION else None))
