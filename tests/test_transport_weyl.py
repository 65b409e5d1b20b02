"""Weyl pair with internode scattering: chiral-anomaly (Son-Spivak) magnetoconductance and the
planar Hall effect from the sKE (issue 9; closed forms derived in docs/transport.md, "Weyl pair
in a magnetic field", and written out here, not taken from the code under test)."""

import math

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # Weyl-pair grids: long on 2 cores

from berrykin.errors import ParameterError
from berrykin.experiments import conductivity
from berrykin.experiments.conductivity_weyl import TransportSphericalGrid, weyl_pair_grids
from berrykin.kinetic import (
    AdiabaticInflow, Axis, HomogeneousGrid, KineticFrame, KineticSolver, Limiter, RelaxationTime, Scheme,
    SKETerms, SphericalGrid, evolve_to_steady,
)
from berrykin.kinetic.internode import InternodeScattering, NodePairSolver
from berrykin.models import MinimalCoupling, UniformElectricField, UniformMagneticField, Weyl3D
from berrykin.models.weyl_pair import WeylPair

MU, T, TAU = 1.0, 0.05, 0.5


def son_spivak(b, tau_v, mu=MU, energies=(0.0, 0.0), v=1.0, temp=T):
    """tau_v |b|^2 v^3/(8 pi^2) sum_chi 1/((mu - E_chi)^2 + pi^2 T^2/3): the anomaly
    chi b.e/(4 pi^2) per node, balanced by internode relaxation, makes the node density
    rho_chi = chi tau_v b e/(4 pi^2), i.e. dmu_chi = rho_chi/g_chi with the density of states
    g_chi = ((mu - E)^2 + pi^2 T^2/3)/(2 pi^2 v^3), which drives the chiral-magnetic current
    sum_chi chi dmu_chi b/(4 pi^2)."""
    return tau_v * b * b * v ** 3 / (8 * math.pi ** 2) * sum(1.0 / ((mu - e) ** 2 + math.pi ** 2 * temp ** 2 / 3)
                                                            for e in energies)


def coarse(pair=WeylPair(), **kw):
    return weyl_pair_grids(pair, MU, T, **{"n_theta": 12, "cells_per_T": 2.0, **kw})


def sigma_zz(pair, b, tau_v, grid, **kw):
    r = conductivity(pair, MU, tau=TAU, tau_v=tau_v, T=T, b=(0.0, 0.0, b), columns=(2,), grid=grid, **kw)
    return r


def test_weyl_pair_model():
    pair = WeylPair(v=1.3, energy_plus=0.2, energy_minus=-0.1)
    nodes = pair.nodes()
    assert [n.chirality for n in nodes] == [1, -1]
    from berrykin.geometry import band_energies, momentum_berry_field

    q = np.array([0.3, -0.4, 1.2])
    for n, e0, chi in zip(nodes, (0.2, -0.1), (1, -1)):
        np.testing.assert_allclose(band_energies(n, None, q), [e0 + 1.3 * np.linalg.norm(q), e0 - 1.3 * np.linalg.norm(q)],
                                   rtol=1e-14)
        np.testing.assert_allclose(momentum_berry_field(n, None, q), chi * q / np.linalg.norm(q) ** 3, rtol=1e-12)
    # node with E = 0 is Weyl3D
    w = WeylPair().nodes()[1]
    np.testing.assert_allclose(momentum_berry_field(w, None, q), momentum_berry_field(Weyl3D(chirality=-1), None, q))
    with pytest.raises(ParameterError):
        WeylPair(v=-1.0)


def test_transport_spherical_grid_moves_uniform_force_exactly():
    """The face-averaged normals make the discrete divergence of a uniform force of any
    direction vanish (the face vectors of a closed cell sum to zero); the plain grid does not."""
    k, th, ph = Axis("k", np.linspace(0.5, 2.0, 7)), Axis.uniform("theta", 0.0, math.pi, 6), \
        Axis.uniform("phi", 0.0, 2 * math.pi, 8, True)
    out = []
    for cls in (TransportSphericalGrid, SphericalGrid):
        g = cls(k, th, ph)
        frame = KineticFrame(MinimalCoupling(Weyl3D(), UniformElectricField(e=(0.3, -0.2, 0.5))))
        s = KineticSolver(frame, g, SKETerms.boltzmann(), Scheme(limiter=Limiter.FIRST_ORDER, backend="numpy"),
                          lambda r, p, t: np.ones((2,) + np.shape(p)[:-1]), time_dependent=False)
        out.append(np.abs(s.rhs(np.ones((2,) + g.shape), 0.0)[0]).max())
    assert out[0] < 1e-13 and out[1] > 1e-3


def test_drude_at_zero_field_has_the_transport_time():
    """b = 0: sigma = tau_tr v^2 (g_+ + g_-)/3 with 1/tau_tr = 1/tau + 1/tau_v (the internode
    operator relaxes the anisotropic part too); isotropic cones at T: g = (mu^2 + pi^2 T^2/3)/(2 pi^2 v^3).
    The polar cells of the axisymmetric grid are second order: the error over n_theta = 12, 24, 48
    falls with a fitted order >= 1.8 (measured -1.14%, -0.30%, -0.08%), and is < 0.1% on the finest."""
    tau_v = 5.0
    tau_tr = 1.0 / (1.0 / TAU + 1.0 / tau_v)
    ref = tau_tr * 2 * (MU ** 2 + math.pi ** 2 * T ** 2 / 3) / (2 * math.pi ** 2) / 3
    errs = []
    for n_theta in (12, 24, 48):
        r = sigma_zz(WeylPair(), 0.0, tau_v, coarse(n_theta=n_theta))
        errs.append(abs(r.sigma[2, 2] / ref - 1))
        assert np.all(np.abs(r.collision_integral[2]) < 1e-14 * ref)
    order = np.polyfit(np.log([12, 24, 48]), np.log(errs), 1)[0]
    assert -order >= 1.8 and errs[-1] < 1e-3, (errs, order)


def test_son_spivak_closed_form_over_b():
    """sigma_zz(b) - sigma_zz(0) = the Son-Spivak form within 2% for 8 fields b << mu^2,
    tau_v/tau = 100 (intranode corrections ~ -0.55 tau/tau_v, docs/transport.md)."""
    tau_v = 100 * TAU
    g = coarse()
    s0 = sigma_zz(WeylPair(), 0.0, tau_v, g).sigma[2, 2]
    bs = [0.005, 0.008, 0.012, 0.018, 0.025, 0.035, 0.05, 0.07]
    ratios = [(sigma_zz(WeylPair(), b, tau_v, g).sigma[2, 2] - s0) / son_spivak(b, tau_v) for b in bs]
    assert max(abs(x - 1) for x in ratios) < 0.02, ratios


def test_son_spivak_proportional_to_tau_v_and_held_out_energies():
    """Delta sigma is proportional to tau_v (two tau_v), and nodes at different energies (each on
    its own grid) follow sum_chi 1/(mu - E_chi)^2."""
    g = coarse()
    b = 0.03
    d = []
    for tau_v in (50.0, 100.0):
        d.append(sigma_zz(WeylPair(), b, tau_v, g).sigma[2, 2] - sigma_zz(WeylPair(), 0.0, tau_v, g).sigma[2, 2])
    assert abs(d[1] / d[0] - 2.0) < 0.02 * 2.0
    pair = WeylPair(energy_plus=0.15, energy_minus=-0.1)
    gs = coarse(pair)
    assert gs[0].k.edges[-1] != gs[1].k.edges[-1]
    tau_v = 60.0
    dd = sigma_zz(pair, b, tau_v, gs).sigma[2, 2] - sigma_zz(pair, 0.0, tau_v, gs).sigma[2, 2]
    assert abs(dd / son_spivak(b, tau_v, energies=(0.15, -0.1)) - 1) < 0.02


def test_planar_hall_harmonics():
    """b at angle theta to e (both in the x-y plane): sigma_xx = a + c cos^2 theta,
    sigma_yx = c sin theta cos theta with c = sigma_par - sigma_perp = Son-Spivak + the orbital
    (Lorentz) term 2 tau_tr^3 v^3 b^2/(6 pi^2) of sigma_perp; harmonics fitted over 3 angles."""
    tau_v, b = 50.0, 0.04
    g = weyl_pair_grids(WeylPair(), MU, T, n_theta=8, n_phi=12, cells_per_T=1.5)
    angles = [10.0, 55.0, 110.0]
    xx, yx = [], []
    for a in angles:
        r = conductivity(WeylPair(), MU, tau=TAU, tau_v=tau_v, T=T, b=b, b_angle=a, columns=(0,), grid=g)
        xx.append(r.sigma[0, 0])
        yx.append(r.sigma[1, 0])
        assert np.isnan(r.sigma[0, 1])
    th = np.radians(angles)
    A = np.stack([np.ones_like(th), np.cos(th) ** 2], axis=1)
    (a0, c_xx), *_ = np.linalg.lstsq(A, np.array(xx), rcond=None)
    c_yx = np.linalg.lstsq((np.sin(th) * np.cos(th))[:, None], np.array(yx), rcond=None)[0][0]
    tau_tr = 1.0 / (1.0 / TAU + 1.0 / tau_v)
    ref = son_spivak(b, tau_v) + 2 * tau_tr ** 3 * b * b / (6 * math.pi ** 2)
    assert abs(c_xx / ref - 1) < 0.02 and abs(c_yx / ref - 1) < 0.02, (c_xx / ref, c_yx / ref)


def _pair(b, e, tau_v, grids, inflow=True):
    pair = WeylPair()
    bt = (0.0, 0.0, b)
    solvers = []
    for node, g in zip(pair.nodes(), grids):
        frame = KineticFrame(MinimalCoupling(node, UniformMagneticField(b=bt) + UniformElectricField(e=(0.0, 0.0, e))))
        solvers.append(KineticSolver(frame, HomogeneousGrid(g), SKETerms.full(), Scheme(limiter=Limiter.FIRST_ORDER),
                                     AdiabaticInflow(node, MU, T, b=bt) if inflow else None, time_dependent=False,
                                     uniform_in_r=True,
                                     collisions=(RelaxationTime(TAU, T=T, b=bt, energy_shift=True),)))
    return NodePairSolver(solvers, InternodeScattering(tau_v, T=T, b=bt, energy_shift=True))


def test_internode_operator_conserves_and_relaxes_the_chiral_density():
    grids = coarse(n_theta=6)
    p = _pair(0.03, 0.0, 7.0, grids)
    op = p.internode_operator
    rng = np.random.default_rng(3)
    n0 = op._f(MU)
    n = np.clip(n0 + 0.05 * rng.standard_normal(n0.shape), 0, 1)
    rates = op.node_rates(n)
    scale = np.abs(op.rate(n) * op.vol).sum()
    assert abs(rates.sum()) < 1e-14 * scale and abs(rates[0].sum()) > 1e-3 * scale
    # a chemical-potential imbalance dmu (+ on node +, - on node -) decays only by tau_v
    df = op._df(MU)
    v = df * np.array([1.0, -1.0])[None, :, None, None]
    np.testing.assert_allclose(op.linear(v, MU), -v / 7.0, atol=1e-15)
    for intra in p._bound[:-1]:
        np.testing.assert_allclose(intra.linear(v, MU), 0.0, atol=1e-13)


def test_ledger_closes_and_anomaly_balances_internode():
    """Evolution to the steady state with e, b and both collision operators: the ledger closes
    to 1e-12, the internode source integrates to zero over both nodes, and per node the
    particles entering through the outer cutoff (the anomaly chi b e/(4 pi^2)) leave by
    internode scattering."""
    grids = coarse(n_theta=6)
    b, e, tau_v = 0.04, 1e-3, 1.0
    p = _pair(b, e, tau_v, grids)
    st = evolve_to_steady(p, p.internode_operator._f(MU), tol=1e-7)
    L = st.ledger
    assert L.relative(L.band_residual()) < 1e-12 and L.relative(L.conservation_residual()) < 1e-12
    kind = L.kinds.index("internode")
    assert abs(L.sources[-1, kind].sum()) < 1e-12 * L.scale()
    node = p.internode_operator.node_rates(st.n).sum(axis=1)
    inflow = p.rhs(st.n, st.t)[1]
    anomaly = b * e / (4 * math.pi ** 2)
    for i, tag in enumerate(("+", "-")):
        outer = inflow[p.groups.index(f"{tag}:k_outer")].sum() + inflow[p.groups.index(f"{tag}:k_inner")].sum()
        assert abs(outer / ((1 - 2 * i) * anomaly) - 1) < 0.01
        assert abs((outer + node[i]) / anomaly) < 1e-5


def test_direct_solve_equals_time_evolution():
    grids = coarse(n_theta=6, cells_per_T=1.0)
    kw = dict(tau=TAU, tau_v=1.0, T=T, b=0.04, columns=(2,), grid=grids)
    d = conductivity(WeylPair(), MU, **kw)
    e = conductivity(WeylPair(), MU, method="evolution", e_probe=1e-6, tol=5e-8, **kw)
    assert abs(e.sigma[2, 2] / d.sigma[2, 2] - 1) < 1e-6
    np.testing.assert_allclose(e.parts[:, 2, 2], d.parts[:, 2, 2], rtol=1e-5, atol=1e-12)


def test_errors():
    pair = WeylPair()
    with pytest.raises(ParameterError):  # T = 0: no density of states at mu on the grid
        conductivity(pair, MU, tau=1.0, tau_v=10.0, T=0.0, b=0.01)
    with pytest.raises(ParameterError):
        conductivity(pair, MU, tau=1.0, T=T, b=0.01)  # tau_v missing
    with pytest.raises(ParameterError):  # Fermi window wider than the Fermi sea
        conductivity(pair, 0.2, tau=1.0, tau_v=10.0, T=0.05, b=0.001)
    with pytest.raises(ParameterError):  # the axisymmetric grid holds b and e along z only
        conductivity(pair, MU, tau=1.0, tau_v=10.0, T=T, b=(0.01, 0, 0), columns=(2,), grid=coarse())
