"""Conductivity of a Weyl pair in a magnetic field from the sKE with intranode and internode
scattering: chiral-anomaly (Son-Spivak) magnetoconductance and the planar Hall effect (issue 9;
derivation in docs/transport.md, "Weyl pair in a magnetic field").

Each node of the :class:`~berrykin.models.WeylPair` is solved on its own homogeneous momentum
shell ``k_in < |q| < k_out`` around the node, in the kinetic frame of uniform ``e`` and ``b``
(both in the lab frame, polar axis of the grids = z), with the intranode relaxation
:class:`~berrykin.kinetic.RelaxationTime` (time ``tau``, conserving each node's density) and the
internode :class:`~berrykin.kinetic.InternodeScattering` (time ``tau_v``), both relaxing towards
the adiabatic equilibrium in b (ERRATA choice 8). Beyond the shell the distribution is that
equilibrium (:class:`~berrykin.kinetic.AdiabaticInflow`), so the anomaly enters through the outer
cutoff, ``chi (b.e)/(4 pi^2)`` per node (:mod:`.anomaly`). The steady state to first order in
e comes from :func:`~berrykin.kinetic.linear_response` on the :class:`~berrykin.kinetic.NodePairSolver`
(``method='direct'``) or from :func:`~berrykin.kinetic.evolve_to_steady` at ``+-e_probe``
(``method='evolution'``); the current of Eq. (30) is summed over the nodes and split into the
parts of :data:`~.conductivity.PARTS`.

Closed forms (:func:`son_spivak`, :func:`orbital_magnetoconductance`; docs/transport.md):
``Delta sigma_par = tau_v b^2 v^3/(8 pi^2) sum_chi 1/((mu - E_chi)^2 + pi^2 T^2/3)`` (for
``E_chi = 0``, ``T = 0``: ``b^2 v^3 tau_v/(4 pi^2 mu^2)``), and the planar Hall harmonics
``sigma_xx = sigma_perp + (sigma_par - sigma_perp) cos^2 theta``, ``sigma_yx = (sigma_par -
sigma_perp) sin theta cos theta`` for b at angle theta to e.

Grids: :func:`weyl_pair_grids`, a :class:`~berrykin.kinetic.AxisymmetricGrid` (e and b along z
only) or a :class:`TransportSphericalGrid` (any directions). ``T > 0`` is required: the density
of states at mu of the cell-averaged T = 0 occupations vanishes between Gauss points, so the
linearised relaxation could not place the anomaly's particles at the Fermi surface.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, ResolutionWarning
from ..kinetic import (
    AdiabaticInflow, Axis, AxisymmetricGrid, HomogeneousGrid, KineticFrame, KineticSolver, Limiter,
    RelaxationTime, Scheme, SKETerms, SphericalGrid,
)
from ..kinetic.internode import InternodeScattering, NodePairSolver
from ..kinetic.steady import LINEAR_LIMITERS, centered_drive, evolve_to_steady, linear_response
from ..models import MinimalCoupling, UniformElectricField, UniformMagneticField
from ..models.weyl_pair import WeylPair
from ..observables.current import current_series

__all__ = ["conductivity_weyl_pair", "weyl_pair_grids", "TransportSphericalGrid", "son_spivak",
           "orbital_magnetoconductance", "drude_weyl_pair"]


@dataclass(frozen=True, eq=False)
class TransportSphericalGrid(SphericalGrid):
    """:class:`~berrykin.kinetic.SphericalGrid` whose faces carry the face-averaged normals
    ``Int n dA / A`` (radial faces: ``(<sin th cos ph>, <sin th sin ph>, <cos th>)`` over the
    solid angle of the face; polar faces: the x, y parts times ``sinc(dphi/2)``), so that a
    uniform force of any direction has an exactly vanishing discrete divergence (the face
    vectors of each closed cell sum to zero; tested). Same cells, volumes and quadrature."""

    def face_normals(self, a):
        n = super().face_normals(a)
        if a == 2:
            return n
        h = 0.5 * self.phi.widths
        sinc = (np.sin(h) / h)[None, None, :]
        if a == 1:
            return n * np.stack([sinc, sinc, np.ones_like(sinc)], axis=-1)
        t0, t1 = self.theta.edges[:-1], self.theta.edges[1:]
        dcos = np.cos(t0) - np.cos(t1)
        # <sin th> over the polar cell with weight sin th dth: Int sin^2 / Int sin
        mean_sin = (0.5 * (t1 - t0) - 0.25 * (np.sin(2 * t1) - np.sin(2 * t0))) / dcos
        ts = np.sin(np.arccos(0.5 * (np.cos(t0) + np.cos(t1))))  # sin of the sample angle
        fac = (mean_sin / ts)[None, :, None] * sinc
        return n * np.stack([fac, fac, np.ones_like(fac)], axis=-1)


def _radial_edges(k_f, w, n_in, n_window, n_out, n_edge):
    """``[k_in, k_F - w]`` geometric (n_in cells), ``[k_F - w, k_F + w]`` uniform (n_window, even,
    an edge on k_F), ``[k_F + w, k_out]`` geometric (n_out) with its last cell halved ``n_edge``
    times towards k_out; ``k_in = (k_F - w)/2``, ``k_out = 2 (k_F + w)``.

    The halving: the anomaly enters through the outer face, where the upwind outflow takes the
    outermost cell's average of the adiabatic term ``~ 1/k^2`` instead of its face value, an
    error of the order of that cell's relative width (measured: the particle production
    ``1 + 0.117/n_out`` of the anomaly without halving)."""
    a, c = k_f - w, k_f + w
    k_in, k_out = 0.5 * a, 2.0 * c
    inner = k_in * (a / k_in) ** (np.arange(n_in) / n_in)
    window = np.linspace(a, c, n_window + 1)
    outer = c * (k_out / c) ** (np.arange(1, n_out + 1) / n_out)
    last = outer[-1] - outer[-2]
    fine = k_out - last * 0.5 ** np.arange(1, int(n_edge) + 1)
    return np.concatenate([inner, window, outer[:-1], fine, [k_out]])


def weyl_pair_grids(pair, mu, T, *, n_theta=24, n_phi=None, cells_per_T=4.0, window=8.0, n_in=4, n_out=6,
                    n_edge=8):
    """Node grids for :func:`conductivity_weyl_pair` (one per node, the same shape).

    Radial edges (:func:`_radial_edges`): the Fermi window ``|v q - |mu - E_chi|| < window T``
    uniformly with ``cells_per_T`` cells per ``T/v`` (an even number, an edge on the Fermi
    surface), a few geometric cells down to ``k_in = (k_F - window T/v)/2`` and up to ``k_out =
    2 (k_F + window T/v)``. ``n_phi=None``: :class:`~berrykin.kinetic.AxisymmetricGrid`
    (``n_theta`` polar cells; e and b along z only); else a :class:`TransportSphericalGrid`.
    The window must fit: ``window T < 0.75 |mu - E_chi|``.
    """
    T = float(T)
    if not (math.isfinite(T) and T > 0):
        raise ParameterError("T", T, "T > 0 for the Weyl pair (the T = 0 cell occupations have no density of "
                             "states at mu between Gauss points), e.g. T = 0.05 |mu|")
    k_fs = pair.fermi_momenta(mu)
    w = window * T / pair.v
    for k_f, e in zip(k_fs, pair.energies):
        if not w < 0.75 * k_f:
            raise ParameterError("T", T, f"T < {0.75 * abs(mu - e) / window:.3g}: the Fermi window of "
                                 f"{window:g} T must fit inside |mu - E_chi| = {abs(mu - e):.3g} (or lower window=)")
    n_window = 2 * max(2, int(math.ceil(cells_per_T * window)))
    grids = []
    for k_f in k_fs:
        k = Axis("k", _radial_edges(k_f, w, int(n_in), n_window, int(n_out), int(n_edge)))
        th = Axis.uniform("theta", 0.0, math.pi, int(n_theta))
        if n_phi is None:
            grids.append(AxisymmetricGrid(k, th))
        else:
            grids.append(TransportSphericalGrid(k, th, Axis.uniform("phi", 0.0, 2 * math.pi, int(n_phi), True)))
    return tuple(grids)


def son_spivak(pair, mu, b, tau_v, T=0.0):
    """Chiral-anomaly magnetoconductance along b (docs/transport.md): ``Delta sigma_par =
    tau_v |b|^2 v^3/(8 pi^2) sum_chi 1/((mu - E_chi)^2 + pi^2 T^2/3)`` (hbar = e = 1)."""
    b2 = float(np.sum(np.square(b)))
    return tau_v * b2 * pair.v ** 3 / (8 * math.pi ** 2) * sum(
        1.0 / ((mu - e) ** 2 + math.pi ** 2 * T * T / 3.0) for e in pair.energies)


def drude_weyl_pair(pair, mu, tau_tr, T=0.0):
    """``sigma_0 = tau_tr v^2 sum_chi g_chi/3`` (isotropic cones; ``tau_tr = 1/(1/tau + 1/tau_v)``)."""
    return tau_tr * pair.v ** 2 * sum(pair.density_of_states(mu, T)) / 3.0


def orbital_magnetoconductance(pair, b_perp, tau_tr):
    """Lorentz-force (orbital) part of sigma perpendicular to b, to order b^2:
    ``-tau_tr^3 v^3 b_perp^2/(3 pi^2)`` for the pair (``-tau^3 v^3 b^2/(6 pi^2)`` per node,
    independent of mu and T)."""
    return -2.0 * tau_tr ** 3 * pair.v ** 3 * b_perp ** 2 / (6 * math.pi ** 2)


def _vec(x, name):
    if x is None:
        return np.zeros(3)
    v = np.array([0.0, 0.0, float(x)]) if np.ndim(x) == 0 else np.asarray(x, dtype=float).ravel()
    if v.size != 3 or not np.all(np.isfinite(v)):
        raise ParameterError(name, x, "a finite 3-vector (or a float along z)")
    return v


def _node_grids(grid, pair, mu, T, bvec, columns):
    if grid is None:
        along_z = not np.any(bvec[:2]) and tuple(columns) == (2,)
        grids = weyl_pair_grids(pair, mu, T, n_phi=None if along_z else 24, n_theta=24 if along_z else 12)
    elif isinstance(grid, (tuple, list)):
        grids = tuple(g.momentum if isinstance(g, HomogeneousGrid) else g for g in grid)
    else:
        grids = ((grid.momentum if isinstance(grid, HomogeneousGrid) else grid),) * 2
    if len(grids) != 2:
        raise ParameterError("grid", grid, "None, one node grid or a pair of node grids")
    for g in grids:
        if isinstance(g, AxisymmetricGrid):
            if np.any(bvec[:2]) or tuple(columns) != (2,):
                raise ParameterError("grid", g, "a TransportSphericalGrid (an AxisymmetricGrid holds only b and e along z: "
                                     "columns=(2,))")
        elif not isinstance(g, TransportSphericalGrid):
            raise ParameterError("grid", type(g).__name__, "an AxisymmetricGrid or TransportSphericalGrid (others do not "
                                 "transport a uniform force exactly)")
    return tuple(HomogeneousGrid(g) for g in grids)


def conductivity_weyl_pair(pair, mu, *, tau, tau_v, T, b=None, grid=None, terms=None, scheme=None,
                           method="direct", e_probe=1e-6, tol=1e-9, order=None, columns=None, b_angle=None,
                           h=1e-4):
    """Linear conductivity of a :class:`~berrykin.models.WeylPair` in a field b (module docstring).

    Parameters
    ----------
    pair : the Weyl pair; mu, T : chemical potential and temperature (T > 0, energy units).
    tau, tau_v : intranode and internode relaxation times (1/energy, hbar = 1).
    b : ``b = eB`` (3-vector in the lab frame, or a float along z; 1/length^2); None: 0.
    b_angle : None, or the angle (degrees) of b from the x axis in the x-y plane; ``b`` is then
        its magnitude (planar Hall: e along x, column 0, gives sigma_xx and sigma_yx).
    grid : None (:func:`weyl_pair_grids`: axisymmetric when b is along z and ``columns=(2,)``,
        else spherical with 12 x 24 angles), one node grid for both nodes, or a pair of them.
    columns : drive directions j of ``sigma[:, j]`` to compute (default all three; the others
        are NaN). An axisymmetric grid computes column z only.
    method : ``'direct'`` (linear solve) or ``'evolution'`` (time evolution at ``+-e_probe``).
    h : field of the centred difference of the drive in the direct solve (the right side is
        linear in e up to O(e^2 b) terms, removed by the centring).

    Returns :class:`~.conductivity.ConductivityResult` (``collision_integral``: intranode plus
    internode parts over both nodes).
    """
    from .conductivity import PARTS, ConductivityResult, SteadyMethod

    if not isinstance(pair, WeylPair):
        raise ParameterError("model", pair, "a WeylPair")
    method = SteadyMethod(method)
    if b_angle is not None:
        if np.ndim(b) != 0 or not math.isfinite(float(b_angle)):
            raise ParameterError("b, b_angle", (b, b_angle), "a magnitude b (a number) and a finite angle in degrees")
        a = math.radians(float(b_angle))
        b = (float(b) * math.cos(a), float(b) * math.sin(a), 0.0)
    bvec = _vec(b, "b")
    columns = (0, 1, 2) if columns is None else tuple(int(c) for c in columns)
    if not columns or any(c not in (0, 1, 2) for c in columns):
        raise ParameterError("columns", columns, "a non-empty subset of (0, 1, 2)")
    grids = _node_grids(grid, pair, float(mu), T, bvec, columns)
    k_min = min(pair.fermi_momenta(mu))
    if float(np.linalg.norm(bvec)) > 0.1 * k_min ** 2:
        warnings.warn(ResolutionWarning(f"|b| = {np.linalg.norm(bvec):.3g} is not << k_F^2 = {k_min ** 2:.3g}: "
                                        "outside the semiclassical regime of Son-Spivak"), stacklevel=2)
    terms = terms or SKETerms.full()
    scheme = scheme or Scheme(limiter=Limiter.FIRST_ORDER, rk_stages=3, backend="numba")
    if scheme.limiter not in LINEAR_LIMITERS:
        raise ParameterError("scheme.limiter", scheme.limiter, "Limiter.FIRST_ORDER or Limiter.UNLIMITED")
    nodes = pair.nodes()
    bt = tuple(map(float, bvec))
    # the equilibrium in b: adiabatic state of the corrected energies when the sKE has the shift
    es = bool(terms.energy_shift)
    intra = (RelaxationTime(tau, T=T, order=order, b=bt, energy_shift=es),)
    inter = InternodeScattering(tau_v, T=T, order=order, b=bt, energy_shift=es)

    def frame(node, e):
        fields = UniformMagneticField(b=bt) + UniformElectricField(e=tuple(map(float, e)))
        return KineticFrame(MinimalCoupling(node, fields))

    def pair_solver(e, inflow):
        ss = [KineticSolver(frame(nd, e), g, terms, scheme, AdiabaticInflow(nd, float(mu), T, b=bt) if inflow else None,
                            time_dependent=False, uniform_in_r=True, collisions=intra) for nd, g in zip(nodes, grids)]
        return NodePairSolver(ss, inter)

    zero = np.zeros(3)
    p0 = pair_solver(zero, False)
    op = p0.internode_operator
    n0 = op._f(float(mu))
    vol = p0.grid.volumes() * p0.grid.measure
    sigma = np.full((3, 3), np.nan)
    parts = np.full((len(PARTS), 3, 3), np.nan)
    cint = np.full((3, 2), np.nan)
    residual = 0.0

    def current(e, n):  # Eq. (30) summed over the nodes (the solver's compiled coefficients)
        return sum(current_series(frame(nd, e), g, n[None, :, i], np.zeros(1), terms=terms).total[0]
                   for i, (nd, g) in enumerate(zip(nodes, grids)))

    def drude(n):  # dn times the bare band velocity s v q/|q| of each cone
        out = np.zeros(3)
        for i, g in enumerate(grids):
            q = g.momentum.cell_points()
            qh = q / np.linalg.norm(q, axis=-1, keepdims=True)
            w = (n[0, i] - n[1, i]) * np.broadcast_to(g.volumes(), g.shape) * g.measure * pair.v
            out += np.tensordot(w, qh, axes=w.ndim)
        return out

    axisym = isinstance(grids[0].momentum, AxisymmetricGrid)
    for j in columns:
        ej = np.zeros(3)
        ej[j] = 1.0
        step = float(h) if method is SteadyMethod.DIRECT else float(e_probe)
        sp, sm = pair_solver(step * ej, True), pair_solver(-step * ej, True)
        anomalous = (current(step * ej, n0) - current(-step * ej, n0)) / (2 * step)
        if method is SteadyMethod.DIRECT:
            lr = linear_response(p0, centered_drive(sp, sm, n0, step), float(mu))
            dn, residual = lr.dn, max(residual, lr.residual)
            col = current(zero, dn) + anomalous
        else:
            plus, minus = evolve_to_steady(sp, n0, tol=tol), evolve_to_steady(sm, n0, tol=tol)
            dn = (plus.n - minus.n) / (2 * step)
            col = (current(step * ej, plus.n) - current(-step * ej, minus.n)) / (2 * step)
            for st in (plus, minus):
                L = st.ledger
                residual = max(residual, L.relative(L.band_residual()), L.relative(L.conservation_residual()))
        bare = drude(dn)
        full = current(zero, dn)
        if axisym:  # the axisymmetric state carries current along z only
            col, bare, full, anomalous = (np.array([0.0, 0.0, x[2]]) for x in (col, bare, full, anomalous))
        sigma[:, j] = col
        parts[0, :, j], parts[1, :, j], parts[2, :, j], parts[3, :, j] = bare, full - bare, anomalous, 0.0
        lin = sum(o.linear(dn, float(mu)) for o in p0._bound)
        cint[j] = lin.reshape(2, -1) @ vol.reshape(-1)
    return ConductivityResult(
        sigma=sigma, parts=parts, collision_integral=cint, residual=float(residual), method=method.value,
        parameters=dict(model=repr(pair), mu=float(mu), T=float(T), tau=float(tau), tau_v=float(tau_v), b=bt,
                        b_angle=b_angle, columns=columns, grid=f"{type(grids[0].momentum).__name__}{grids[0].shape} per node",
                        terms=repr(terms), scheme=repr(scheme),
                        e_probe=float(e_probe) if method is SteadyMethod.EVOLUTION else None))
