"""Chiral anomaly of a lattice Weyl semimetal in parallel e and b: exact evolution of the Fermi sea.

Setting (hbar = e = 1, fields carry the charge, :mod:`berrykin.conventions`): a 3D lattice model
with Weyl nodes on the k_z axis (e.g. :class:`~berrykin.models.LatticeWeyl`) in ``b = 2 pi p/q``
along z (flux p/q per x-y plaquette; Landau gauge, q-cell magnetic cell,
:mod:`berrykin.quantum.magnetic3d`) and ``e`` along z in the vector gauge ``a_z = -e t``
(``e = -d_t a``): every Bloch state keeps ``(k_x, k_y, k_z0)`` and its kinetic momentum is
``k_z(t) = k_z0 + e t``. At ``t = 0`` the states below ``mu`` are filled (the exact ground state with
b on, i.e. adiabatically prepared, ERRATA choice 8); e is switched on smoothly over ``ramp_time``.
Each state is evolved exactly (Magnus 4, O(dt^4)); the ``k_z0`` form a grid of spacing
``delta = 2 pi/n_kz``, sampled whenever it has moved by a whole spacing.

Observables, per unit volume, in the k_z region of every node (kinetic k_z closer to it than to
the other node): ``particles`` above ``mu`` and ``holes`` below ``mu`` (occupations of the
instantaneous eigenstates) and the node's charge ``particles - holes`` (its density relative to
equilibrium). Rates are least-squares slopes after the switch-on. Paper Eq. (53) with ERRATA 6-7
(Landau-level spectral flow; a right-handed node, chirality +1, gains ``+b e/(4 pi^2)``)::

    d charge_node/dt = chirality b e/(4 pi^2)                     (``rate`` vs ``reference``)

Particle number is conserved at every k, so a node's charge changes only by the states that
cross its region's boundaries: ``rate`` is the spectral flow, exact (to round-off) whenever ``mu``
is in a gap there (the number of magnetic bands below mu differs by p between the boundary
slices, TKNN/Streda). The evolution decides where the pumped states go: at the node whose chiral
band rises (``chirality b e > 0``) the ``particles`` grow at ``|b e|/(4 pi^2) (1 + P)`` and at the
other node the ``holes``, where P counts Landau-Zener (Schwinger) pairs. For a node
``H ~ sum_ia e_i^a dk_i sigma_a`` the adiabatic parameter and the continuum pair fraction are::

    gamma = |e| v_z/(2 |b| v_perp^2),  v_perp^2 = |e_x x e_y|,  v_z = |det e|/v_perp^2,
    P = sum_{n >= 1} exp(-pi n/gamma) = 1/(exp(pi/gamma) - 1)

(``gamma = |e| sin(k0)/(2 |b|)`` for LatticeWeyl). ``particle_rate`` and ``hole_rate`` approach
the anomaly as gamma -> 0 (deviation ~4e-6 at gamma = 0.04, ~1e-5 at 0.08, ~1e-3 at 0.16 for
flux 1/10, n_kz = 32; the switch-on's length in k_z is capped by the distance between the nodes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import ParameterError
from ..models.base import check_finite
from ..models.tight_binding import PAULI, symbol
from .magnetic3d import as_flux, as_tight_binding_3d, fermi_sea_occupations, single_threaded_blas

#: Smallest |E - mu| (energy units) accepted for states that cross a region boundary in the run.
BOUNDARY_GAP = 0.05


def pair_fraction(gamma: float) -> float:
    """Landau-Zener pairs per pumped state, ``P = 1/(exp(pi/gamma) - 1)`` (module docstring)."""
    return 0.0 if gamma <= 0 else 1.0 / math.expm1(math.pi / gamma)


def node_velocities(tb, k_node) -> tuple[float, float]:
    """``(v_perp^2, v_z)`` of the node at ``k_node`` (``e_i^a = Tr(sigma_a dH/dk_i)/2``, module doc)."""
    dH = tb.bloch_velocity(np.asarray(k_node, dtype=np.float64))                    # (3, 2, 2)
    e = 0.5 * np.real(np.einsum("iab,cba->ic", dH, PAULI))                          # (3 k, 3 spin)
    area = float(np.linalg.norm(np.cross(e[0], e[1])))
    return area, float(abs(np.linalg.det(e))) / area if area > 0 else 0.0


@dataclass(frozen=True)
class WeylAnomalyResult:
    """Exact chiral pumping (module docstring). Arrays over nodes follow ``model.nodes()``.

    Densities per unit volume (unit lattice constant), rates per unit time; ``times`` (n_t,),
    ``charge``, ``particles``, ``holes`` (n_t, n_nodes); the first sample is ``t = 0``, the others
    follow the switch-on (``ramp_time``) at intervals ``delta/|e|``; ``fit_from`` is the time of the
    first sample in the fits. ``boundary_gap``: lower bound of ``|E - mu|`` of the states that cross
    a region boundary; ``unitarity_error``: ``max |U^+ U - 1|`` of the propagators.
    """

    rate: np.ndarray
    reference: np.ndarray
    particle_rate: np.ndarray
    hole_rate: np.ndarray
    times: np.ndarray
    charge: np.ndarray
    particles: np.ndarray
    holes: np.ndarray
    node_kz: np.ndarray
    chirality: np.ndarray
    flux: Fraction
    b: float
    e: float
    mu: float
    adiabatic_parameter: float
    n_kz: int
    k_points: tuple
    substeps: int
    dt: float
    ramp_time: float
    fit_from: float
    boundary_gap: float
    unitarity_error: float
    model: str

    @property
    def relative_error(self) -> np.ndarray:
        """``rate/reference - 1`` per node."""
        return self.rate / self.reference - 1.0

    @property
    def pair_fraction(self) -> float:
        """Continuum Landau-Zener estimate ``P`` for these fields (module docstring)."""
        return pair_fraction(self.adiabatic_parameter)

    def to_dataset(self):
        """An ``xarray.Dataset`` over (t, node) with units and definitions in attrs."""
        import xarray as xr

        def dens(text):
            return {"units": "1/a^3 (particles per unit volume)", "definition": text}

        def rate(text):
            return {"units": "1/(a^3 time)", "definition": text}

        tn = ("t", "node")
        return xr.Dataset(
            {"charge": (tn, self.charge, dens("particles - holes in the node's k_z region")),
             "particles": (tn, self.particles, dens("occupation of the eigenstates above mu")),
             "holes": (tn, self.holes, dens("vacancies of the eigenstates below mu")),
             "rate": ("node", self.rate, rate("d charge/dt, least squares from t = fit_from")),
             "reference": ("node", self.reference, rate("chirality b e/(4 pi^2) (Eq. 53, errata 6-7)")),
             "particle_rate": ("node", self.particle_rate, rate("d particles/dt")),
             "hole_rate": ("node", self.hole_rate, rate("d holes/dt"))},
            coords={"t": ("t", self.times, {"units": "1/energy"}),
                    "node": ("node", np.arange(self.node_kz.size)),
                    "node_kz": ("node", self.node_kz, {"units": "1/a"}),
                    "chirality": ("node", self.chirality)},
            attrs={"flux": str(self.flux), "b": self.b, "e": self.e, "mu": self.mu,
                   "adiabatic_parameter": self.adiabatic_parameter, "n_kz": self.n_kz,
                   "k_points": list(self.k_points), "substeps": self.substeps, "dt": self.dt,
                   "ramp_time": self.ramp_time, "fit_from": self.fit_from, "boundary_gap": self.boundary_gap,
                   "unitarity_error": self.unitarity_error, "model": self.model,
                   "convention": "hbar = e = 1, b = eB = 2 pi flux, k_z(t) = k_z0 + e t (a_z = -e t)",
                   "method": "magnetic Bloch reduction + Magnus 4 per Bloch state"})


def _nodes(model):
    nodes = getattr(model, "nodes", None)
    if nodes is None:
        raise ParameterError("model", model, "a lattice Weyl model with nodes() on the k_z axis")
    kz = np.array([float(k[2]) for k, _ in nodes()])
    chi = np.array([int(c) for _, c in nodes()])
    d = np.abs(np.angle(np.exp(1j * (kz[:, None] - kz[None, :]))))
    if kz.size < 2 or np.min(d + np.eye(kz.size) * 7) < 1e-6:
        raise ParameterError("model", model, "at least two Weyl nodes at distinct k_z")
    return np.array([k for k, _ in nodes()], dtype=float), kz, chi


def _region(kz, node_kz):
    """Index of the node closest (periodically) to each kinetic k_z."""
    return np.argmin(np.abs(np.angle(np.exp(1j * (kz[:, None] - node_kz[None, :])))), axis=1)


def _check_pockets(tb, node_kz, mu, n=48):
    """ParameterError unless the zero-field bands on the region boundaries are gapped at mu."""
    ang = np.sort(np.mod(node_kz, 2 * math.pi))
    planes = 0.5 * (ang + np.roll(ang, -1) + 2 * math.pi * (np.arange(ang.size) == ang.size - 1))
    g = 2 * math.pi * np.arange(n) / n
    k = np.stack(np.broadcast_arrays(g[:, None, None], g[None, :, None], planes[None, None, :]), -1)
    eps, delta = symbol(tb.bloch_hamiltonian(k.reshape(-1, 3)))
    bands = 0.5 * (eps[:, None] + np.array([1.0, -1.0]) * np.linalg.norm(delta, axis=-1)[:, None])
    dist = float(np.min(np.abs(bands - mu)))
    if dist < BOUNDARY_GAP:
        where = np.round(np.angle(np.exp(1j * planes)), 4)
        raise ParameterError("mu", mu, f"a Fermi level in the gap of the planes k_z = {where} between the "
                             f"nodes (bands come within {dist:.3g} of mu): the nodes' Fermi pockets must be "
                             "separate")


def weyl_anomaly(model, flux=Fraction(1, 16), e: float = 0.05, mu: float = 0.0, *, n_kz: int = 64,
                 shifts: int | None = None, ramp: int | None = None, k_points=(1, 1),
                 dt_max: float = 0.5, fit_from: float = 0.25) -> WeylAnomalyResult:
    """Exact chiral pumping between the Weyl nodes of ``model`` in parallel e and b along z.

    Paper Eq. (53) with ERRATA 6-7; see the module docstring for the protocol and observables.

    Parameters
    ----------
    model : a 3D lattice model with ``tight_binding()`` and ``nodes()`` (nodes at distinct k_z),
        e.g. ``LatticeWeyl(k0)``; unit lattice constant.
    flux : p/q flux quanta per x-y plaquette (Fraction; sign included), ``b = 2 pi p/q``.
    e : field along z (sign included); kinetic ``k_z(t) = k_z0 + e t``.
    mu : Fermi level of the initial state; it must lie in the zero-field gap of the planes
        between the nodes (separate Fermi pockets) and in a gap of the magnetic bands there.
    n_kz : even number of k_z momenta (grid spacing ``delta = 2 pi/n_kz``).
    ramp : length of the smooth switch-on, in grid spacings of k_z shift (``t_r = 2 ramp
        delta/|e|``); default: two Landau periods ``2 pi/sqrt(2 |b| v_perp^2)`` or less.
    shifts : samples after the switch-on, one per grid spacing (default: the rest of 80% of the
        way from a node to its region boundary, so that the pumped states stay in the region).
    k_points : (n_x, n_y) grid of the magnetic zone ``k_x in [0, 2 pi/q)``, ``k_y in [-pi, pi)``.
    dt_max : largest Magnus step (time units); ``fit_from``: fraction of the samples after the
        switch-on left out of the linear fits.

    Returns a :class:`WeylAnomalyResult` (rates in particles per unit volume and time). Cost:
    ``n_x n_y n_kz (2 ramp + 1) ceil(delta/(|e| dt_max))`` Magnus steps of ``2q x 2q`` matrices.

    >>> from berrykin.models import LatticeWeyl
    >>> res = weyl_anomaly(LatticeWeyl(), Fraction(1, 8), e=0.05, n_kz=32)
    >>> bool(np.allclose(res.rate, res.reference, rtol=1e-6))
    True
    """
    tb = as_tight_binding_3d(model)
    f = as_flux(flux)
    e = check_finite("e", e)
    mu = check_finite("mu", mu)
    if e == 0:
        raise ParameterError("e", e, "a non-zero electric field along z")
    n_kz = int(n_kz)
    if n_kz < 8 or n_kz % 2:
        raise ParameterError("n_kz", n_kz, "an even number >= 8")
    nx, ny = (int(x) for x in k_points)
    if min(nx, ny) < 1:
        raise ParameterError("k_points", k_points, "two positive integers")
    if not (check_finite("dt_max", dt_max) > 0 and 0 <= check_finite("fit_from", fit_from) < 1):
        raise ParameterError("dt_max, fit_from", (dt_max, fit_from), "dt_max > 0 and 0 <= fit_from < 1")
    knodes, node_kz, chi = _nodes(model)
    _check_pockets(tb, node_kz, mu)
    q, b = f.denominator, 2 * math.pi * float(f)
    vel = np.array([node_velocities(tb, k) for k in knodes])                       # (n_nodes, 2)
    v2 = float(np.min(vel[:, 0]))
    gamma = float(np.max(abs(e) * vel[:, 1] / (2 * abs(b) * vel[:, 0])))         # worst node
    delta = 2 * math.pi / n_kz
    kz = -math.pi + delta * (np.arange(n_kz) + 0.5)
    region = _region(kz, node_kz)
    gaps = np.abs(np.angle(np.exp(1j * (node_kz[:, None] - node_kz[None, :]))))
    half = 0.5 * np.min(gaps + 7 * np.eye(node_kz.size))                         # node to its boundary
    room, most = int(0.8 * half / delta), int(half / delta)                       # in grid spacings
    if ramp is None:
        ramp = max(1, min(math.ceil(abs(e) * 2 * math.pi / math.sqrt(2 * abs(b) * v2) / delta), room // 2))
    ramp = int(ramp)
    shifts = room - ramp if shifts is None else int(shifts)
    if ramp < 1 or shifts < 2 or ramp + shifts > most:
        raise ParameterError("ramp, shifts", (ramp, shifts), f"ramp >= 1, shifts >= 2 and ramp + shifts <= "
                             f"{most} (the pumped states must stay in their node's region); increase n_kz")
    step = 1 if e > 0 else -1                      # direction of the k_z motion on the grid
    substeps = max(1, math.ceil(delta / (abs(e) * dt_max)))
    # grid points that cross a region boundary during the run must be gapped at mu
    path = np.stack([region[(np.arange(n_kz) + step * n) % n_kz] for n in range(ramp + shifts + 1)])
    crossing = np.any(path != path[0], axis=0)

    kx = 2 * math.pi / q * (np.arange(nx) + 0.5) / nx
    ky = -math.pi + 2 * math.pi * (np.arange(ny) + 0.5) / ny
    acc = np.zeros((2, shifts + 2, node_kz.size))
    bgap, unit_err = math.inf, 0.0
    with single_threaded_blas():
        for kxy in np.stack(np.meshgrid(kx, ky, indexing="ij"), axis=-1).reshape(-1, 2):
            above, below, at, gap, err = fermi_sea_occupations(
                tb, f, kxy, kz, e, mu, ramp=ramp, shifts=shifts, substeps=substeps)
            for i in range(node_kz.size):
                sel = region[at] == i                                             # (n_t, N)
                acc[0, :, i] += np.sum(above * sel, axis=1)
                acc[1, :, i] += np.sum(below * sel, axis=1)
            unit_err = max(unit_err, err)
            if np.any(crossing):
                bgap = min(bgap, float(np.min(gap[crossing])))
    if bgap < BOUNDARY_GAP:
        raise ParameterError("mu", mu, f"a Fermi level in a gap (>= {BOUNDARY_GAP}) where the states cross "
                             f"the node regions' boundaries (found |E - mu| = {bgap:.3g}); move mu "
                             "towards the nodes")
    acc /= nx * ny * n_kz * q
    t_r = 2 * ramp * delta / abs(e)
    times = np.concatenate([[0.0], t_r + delta / abs(e) * np.arange(shifts + 1)])
    fit = np.arange(shifts + 2) >= 1 + min(math.ceil(fit_from * shifts), shifts - 1)

    def slope(y):
        return np.polyfit(times[fit], y[fit], 1)[0]

    particles, holes = acc
    charge = particles - holes
    return WeylAnomalyResult(
        slope(charge), chi * b * e / (4 * math.pi**2), slope(particles), slope(holes), times, charge,
        particles, holes, node_kz, chi, f, b, e, mu, gamma, n_kz, (nx, ny),
        substeps, delta / (abs(e) * substeps), t_r, float(times[fit][0]), bgap, unit_err, repr(model))


def exact_anomaly_rate(model, e: float, b: float, mu: float = 0.0, *, max_denominator: int = 40,
                       **options) -> WeylAnomalyResult:
    """:func:`weyl_anomaly` at the flux ``p/q`` closest to ``b/(2 pi)`` with ``q <= max_denominator``.

    The result's ``b`` is the field actually used (``2 pi p/q``); compare with a semiclassical
    rate at that ``b``. Cost grows like ``q^3``.
    """
    b = check_finite("b", b)
    f = Fraction(b / (2 * math.pi)).limit_denominator(int(max_denominator))
    if f == 0:
        raise ParameterError("b", b, f"|b| >= pi/max_denominator = {math.pi / max_denominator:.3g} "
                             "(or a larger max_denominator)")
    return weyl_anomaly(model, f, e, mu, **options)
