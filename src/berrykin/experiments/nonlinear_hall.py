"""Second-order (nonlinear Hall) steady response of the sKE with relaxation (issue 9;
derivation in docs/transport.md, "Nonlinear Hall").

A uniform field ``e`` (``e = eE``, the force on a particle of charge +1) drives the homogeneous
sKE with :class:`~berrykin.kinetic.RelaxationTime`. Write the steady equation as
``R(n; e) = R_0 n + sum_b e_b G_b n + C[n] = 0`` (``G_b``: the drive operator, the
e-derivative of the flux part; at b = 0 ``R_0 = 0``). Order by order in e, with
``n = n0 + n1 + n2``,

    J n1 = -sum_c e_c G_c n0,          J n2 = -sum_{b c} e_b e_c G_b N1^c,       J = R_0 + C'

(the second variation of the conserving relaxation vanishes: ``mu_loc`` does not move at
first order, ``Int n1 = 0``), both solved by :func:`~berrykin.kinetic.linear_response` (the
same linearised operator, constraint ``Int dn = 0``). The current of Eq. (30) to second order,
``j_a = chi_abc e_b e_c`` with ``chi`` symmetric in (b, c), has two parts:

* ``'berry_dipole'``: ``n1`` times the e-linear anomalous velocity (``~ tau``):
  ``chi_abc = -(tau/2) (eps_abd D_cd + eps_acd D_bd)``, ``D_cd = Int [dk] sum_s f0_s d_c Omega_d``
  (2D: ``d = z``), ``Omega_s = q_s F`` the band curvature;
* ``'drude'``: ``n2`` times the zero-field velocity (``~ tau^2``):
  ``chi_abc = tau^2 Int [dk] sum_s f0_s d_a d_b d_c eps_s`` (the nonlinear Drude term).

The split is exact order by order (``n1 ~ tau``, ``n2 ~ tau^2`` for one relaxation time; tested
by solving at two taus). The sKE has no tau^0 second-order term at b = 0 (the anomalous velocity
is linear in e; a field-induced Berry connection is not part of the theory).

Units (hbar = e = 1): ``chi`` in particles/(length^(d-1) time) per (energy/length)^2. Relation
to Sodemann and Fu (PRL 115, 216806 (2015), charge -e, ``E(t) = Re E e^{i w t}``):
``chi^ours = 2 sym_bc chi^SF`` with ``e^3 -> -1`` (docs/transport.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..kinetic import EquilibriumInflow, HomogeneousGrid, KineticSolver, Limiter, RelaxationTime, Scheme, SKETerms
from ..kinetic.steady import LINEAR_LIMITERS, centered_drive, linear_response
from ..models.base import Model
from ..observables.current import current_density
from .conductivity import _default_grid, _frame, _transport_grid

__all__ = ["nonlinear_hall", "NonlinearHallResult", "NONLINEAR_PARTS"]

#: Names of the parts of chi, in the order of ``NonlinearHallResult.parts``, and their tau powers.
NONLINEAR_PARTS = ("berry_dipole", "drude")
TAU_POWERS = (1, 2)


@dataclass(frozen=True)
class NonlinearHallResult:
    """Result of :func:`nonlinear_hall`.

    Attributes
    ----------
    chi : (d, d, d) ``j_a = chi_abc e_b e_c``, symmetric in (b, c) (hbar = e = 1).
    parts : (2, d, d, d) the parts of :data:`NONLINEAR_PARTS` (``'berry_dipole'`` ~ tau,
        ``'drude'`` ~ tau^2); their sum is ``chi``.
    tau : the relaxation time (upper band); ``tau_minus`` that of the lower band.
    residual : the largest relative GMRES residual of the first- and second-order solves.
    parameters : how it was obtained.
    """

    chi: np.ndarray
    parts: np.ndarray
    tau: float
    tau_minus: float
    residual: float
    parameters: dict = field(default_factory=dict)

    def part(self, name):
        """The (d, d, d) tensor of one part (:data:`NONLINEAR_PARTS`)."""
        if name not in NONLINEAR_PARTS:
            raise ParameterError("name", name, f"one of {NONLINEAR_PARTS}")
        return self.parts[NONLINEAR_PARTS.index(name)]

    def coefficients(self):
        """``{part: chi_part / tau^power}`` (one relaxation time only): the tau-independent
        coefficients of the tau and tau^2 parts."""
        if self.tau_minus != self.tau:
            raise ParameterError("tau_minus", self.tau_minus,
                                 f"equal to tau={self.tau} (band-resolved times mix the tau powers)")
        return {n: self.parts[i] / self.tau ** p for i, (n, p) in enumerate(zip(NONLINEAR_PARTS, TAU_POWERS))}

    def berry_dipole(self):
        """The Berry-curvature dipole ``D_c = Int [dk] sum_s f0_s d_c Omega_s`` (2D, one
        relaxation time) recovered from the ``'berry_dipole'`` part: ``chi_yxx = tau D_x``,
        ``chi_xyy = -tau D_y`` (docs/transport.md). Returns (D_x, D_y), in units of length."""
        c = self.coefficients()["berry_dipole"]
        if c.shape[0] != 2:
            raise ParameterError("dim", c.shape[0], "2 (in 3D read D_cd off chi_abc = "
                                 "-(tau/2)(eps_abd D_cd + eps_acd D_bd); its trace does not enter)")
        return np.array([c[1, 0, 0], -c[0, 1, 1]])

    def to_dataset(self):
        """An ``xarray.Dataset`` (dims a, b, c, part; attrs: parameters, units, tau powers)."""
        import xarray as xr

        d = self.chi.shape[0]
        comp = ["x", "y", "z"][:d]
        units = "particles/(length^(d-1) time) per (energy/length)^2 (hbar = e = 1)"
        ds = xr.Dataset(
            {"chi": (("a", "b", "c"), self.chi, {"units": units, "definition": "j_a = chi_abc e_b e_c, j of Eq. (30)"}),
             "chi_part": (("part", "a", "b", "c"), self.parts, {"units": units}),
             "tau_power": (("part",), np.asarray(TAU_POWERS)),
             "residual": ((), self.residual)},
            coords={"a": comp, "b": comp, "c": comp, "part": list(NONLINEAR_PARTS)},
            attrs={k: str(v) for k, v in self.parameters.items()})
        ds.attrs["experiment"] = "nonlinear_hall"
        return ds


def nonlinear_hall(model, mu, *, tau, T=0.0, grid=None, terms=None, scheme=None, tau_minus=None, order=None):
    """Second-order steady current ``j_a = chi_abc e_b e_c`` of a homogeneous two-band model
    from the sKE with :class:`~berrykin.kinetic.RelaxationTime` (module docstring).

    Parameters
    ----------
    model : a model without r dependence, d = 2 or 3 (e.g. a tilted massive Dirac model, or a
        lattice model on its Brillouin zone).
    mu, T : chemical potential and temperature of the equilibrium (energy units, T >= 0).
    tau : relaxation time (1/energy; not the pseudospin tau); ``tau_minus``: of the lower band.
    grid : momentum grid (defaults as :func:`~berrykin.experiments.conductivity`: massive Dirac
        :func:`~.conductivity_grid.conductivity_grid`, lattices the 64^d Brillouin zone; a
        pocket of a lattice model usually needs a finer zone, e.g. 256^2 for 1%). A
        ``PolarGrid`` is used as the ``TransportPolarGrid`` of the same cells.
    terms, scheme, order : as for :func:`~berrykin.experiments.conductivity` (the scheme must
        be linear; default first-order upwind, whose centred drive is the central difference).

    Returns :class:`NonlinearHallResult`.
    """
    if not isinstance(model, Model):
        raise ParameterError("model", type(model).__name__, "a berrykin Model (e.g. a TwoBandModel; a TightBinding "
                             "is an input of berrykin.quantum only)")
    if model.depends_on_r or model.dim not in (2, 3):
        raise ParameterError("model", model, "a model of d = 2 or 3 that does not depend on r")
    if not math.isfinite(float(mu)):
        raise ParameterError("mu", mu, "a finite chemical potential")
    d = model.dim
    grid = HomogeneousGrid(_transport_grid(grid) if grid is not None else _default_grid(model, mu))
    terms = terms or SKETerms.full()
    scheme = scheme or Scheme(limiter=Limiter.FIRST_ORDER, rk_stages=3)
    if scheme.limiter not in LINEAR_LIMITERS:
        raise ParameterError("scheme.limiter", scheme.limiter, "Limiter.FIRST_ORDER or Limiter.UNLIMITED")
    col = (RelaxationTime(tau, tau_minus=tau_minus, T=T, order=order),)
    bounded = any(nm is not None for a in range(grid.ndim) for nm in grid.boundary_names(a))
    inflow = EquilibriumInflow(model, float(mu), float(T)) if bounded else None

    def solver(e, inflow_):
        return KineticSolver(_frame(model, e), grid, terms, scheme, inflow_, time_dependent=False,
                             uniform_in_r=True, collisions=col)

    h = 1e-3  # exact: the right side is affine in e at b = 0 (centred difference)
    unit = np.eye(d)
    s0 = solver(np.zeros(d), None)
    n0 = s0._bound[0].occ(float(mu))
    f0 = _frame(model, np.zeros(d))
    drives = [(solver(h * unit[c], None), solver(-h * unit[c], None)) for c in range(d)]
    residual = 0.0
    n1 = []
    for c in range(d):  # first order: the inflow carries the equilibrium beyond bounded grids
        g = centered_drive(solver(h * unit[c], inflow), solver(-h * unit[c], inflow), n0, h) if bounded \
            else centered_drive(*drives[c], n0, h)
        lr = linear_response(s0, g, float(mu))
        n1.append(lr.dn)
        residual = max(residual, lr.residual)
    raw = np.zeros((2, d, d, d))  # [part, a, b, c] before symmetrisation in (b, c)
    for b in range(d):
        fp, fm = _frame(model, h * unit[b]), _frame(model, -h * unit[b])
        for c in range(d):
            raw[0, :, b, c] = (current_density(fp, grid, n1[c], terms=terms).total
                               - current_density(fm, grid, n1[c], terms=terms).total) / (2 * h)
            lr = linear_response(s0, centered_drive(*drives[b], n1[c], h), float(mu))
            residual = max(residual, lr.residual)
            raw[1, :, b, c] = current_density(f0, grid, lr.dn, terms=terms).total
    parts = 0.5 * (raw + raw.transpose(0, 1, 3, 2))
    tm = float(tau) if tau_minus is None else float(tau_minus)
    return NonlinearHallResult(
        chi=parts.sum(axis=0), parts=parts, tau=float(tau), tau_minus=tm, residual=float(residual),
        parameters=dict(model=repr(model), mu=float(mu), T=float(T), tau=float(tau), tau_minus=tm,
                        grid=f"{type(grid.momentum).__name__}{grid.shape}", terms=repr(terms), scheme=repr(scheme)))
