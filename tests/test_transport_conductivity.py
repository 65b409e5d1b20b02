"""Steady-state conductivity of massive Dirac (berrykin.experiments.conductivity) against the
Drude closed form (docs/transport.md), the Streda ramp (an independent time-dependent
calculation), tau independence, and the agreement of the direct solve with time evolution."""

import math

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.experiments import TransportPolarGrid, conductivity, conductivity_grid, streda
from berrykin.kinetic import (
    HomogeneousGrid, KineticFrame, KineticSolver, Limiter, PolarGrid, RelaxationTime, Scheme, SKETerms,
)
from berrykin.kinetic.steady import linear_response
from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformElectricField


def drude(m, mu, tau, v=1.0):
    """sigma_xx = tau k_F v_F / (4 pi) = tau (mu^2 - m^2 v^4) / (4 pi |mu|) (docs/transport.md)."""
    return tau * (mu ** 2 - m ** 2 * v ** 4) / (4 * math.pi * abs(mu))


def small_grid(model, mu, n_phi=48):
    return conductivity_grid(model, mu, n_phi=n_phi, k_max_factor=60.0)


@pytest.mark.parametrize("m,mu", [(1.0, 2.0), (-1.0, 2.0), (1.0, -2.0), (-0.7, -1.5)])
def test_drude_closed_form_both_signs(m, mu):
    model = MassiveDirac2D(m=m)
    r = conductivity(model, mu, tau=4.0, grid=small_grid(model, mu))
    ref = drude(m, mu, 4.0)
    assert abs(r.sigma[0, 0] / ref - 1) < 5e-3
    assert abs(r.sigma[1, 1] / ref - 1) < 5e-3
    np.testing.assert_allclose(r.parts.sum(axis=0), r.sigma, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r.part("drude")[0, 0], r.sigma[0, 0], rtol=1e-12)  # b = 0: all Drude
    assert np.all(r.part("chiral") == 0) or np.abs(r.part("chiral")).max() < 1e-12
    # intrinsic AHE: 2 pi sigma_xy = -m/(2|mu|), less the truncated Berry flux |m|/(2 E(k_max))
    kmax = 60.0 * abs(m)
    ahe = -m / (2 * abs(mu)) + math.copysign(abs(m) / (2 * math.hypot(kmax, m)), m)
    assert abs(2 * math.pi * r.sigma[0, 1] - ahe) < 1e-3
    assert abs(r.sigma[1, 0] + r.sigma[0, 1]) < 1e-10
    assert np.abs(r.collision_integral.sum(axis=1)).max() < 1e-13


def test_tau_dependence_drude_linear_hall_independent():
    model = MassiveDirac2D(m=1.0)
    g = small_grid(model, 2.0, n_phi=16)
    a, b = conductivity(model, 2.0, tau=2.0, grid=g), conductivity(model, 2.0, tau=8.0, grid=g)
    assert abs(b.sigma[0, 0] / a.sigma[0, 0] - 4.0) < 1e-10
    assert abs(b.sigma[0, 1] - a.sigma[0, 1]) < 1e-12
    assert abs(b.sigma[0, 1]) > 0.03


def test_hall_equals_dynamic_streda_nu():
    """Same radial edges: the Streda ramp (sKE in a slowly switched b, no e, no collisions)
    integrates the same truncated Berry flux by an independent route."""
    model = MassiveDirac2D(m=1.0)
    g = small_grid(model, 2.0, n_phi=16)
    r = conductivity(model, 2.0, tau=3.0, grid=g)
    nu = streda(model, 2.0, grid=PolarGrid.from_edges(g.k.edges, 4)).nu
    assert abs(2 * math.pi * r.sigma[0, 1] - nu) < 2e-3
    # sanity of the reference: -m/(2|mu|) less the Berry flux beyond k_max = 60 |m|
    assert abs(nu - (-0.25 + 1.0 / (2 * math.hypot(60.0, 1.0)))) < 1e-3


def test_direct_solve_equals_time_evolution():
    model = MassiveDirac2D(m=1.0)
    g = conductivity_grid(model, 2.0, n_phi=12, n_fermi=12, k_max_factor=4.0)
    d = conductivity(model, 2.0, tau=3.0, grid=g)
    e = conductivity(model, 2.0, tau=3.0, grid=g, method="evolution")
    assert np.abs(e.sigma - d.sigma).max() < 1e-6 * np.abs(d.sigma).max()
    assert e.residual < 1e-12  # the evolution's ledgers close with the collisions on


def test_uniform_force_is_transported_exactly_on_the_transport_grid():
    """div(e n) = 0 for uniform n: zero on TransportPolarGrid, O(dphi^2) on PolarGrid."""
    model = MassiveDirac2D(m=1.0)
    frame = KineticFrame(MinimalCoupling(model, UniformElectricField(e=(0.3, -0.2))))
    edges = np.linspace(0.0, 2.0, 9)
    out = []
    for cls in (TransportPolarGrid, PolarGrid):
        mg = cls.from_edges(edges, 8) if cls is PolarGrid else TransportPolarGrid(*PolarGrid.from_edges(edges, 8).axes)
        s = KineticSolver(frame, HomogeneousGrid(mg), SKETerms.full(), Scheme(limiter=Limiter.FIRST_ORDER),
                          None, time_dependent=False)
        n = np.ones((2,) + mg.shape)
        rhs = s.rhs(n, 0.0)[0][:, :-1]  # interior cells (the outer ones see the empty outside)
        out.append(np.abs(rhs).max())
    assert out[0] < 1e-15 and out[1] > 1e-3


def test_errors():
    model = MassiveDirac2D(m=1.0)
    with pytest.raises(ParameterError):
        conductivity(model, 2.0, tau=1.0, b=0.1)
    with pytest.raises(ParameterError):
        conductivity(model, 2.0, tau=1.0, tau_v=10.0)
    with pytest.raises(ParameterError):
        conductivity(model, 2.0, tau=-1.0, grid=PolarGrid.uniform(0, 3, 4, 4))
    with pytest.raises(ParameterError):
        conductivity(model, 2.0, tau=1.0, method="newton")
    with pytest.raises(ParameterError):
        conductivity(model, 2.0, tau=1.0, scheme=Scheme())  # van Leer: not linear
    g = HomogeneousGrid(PolarGrid.uniform(0, 3, 4, 4))
    s = KineticSolver(KineticFrame(MinimalCoupling(model, UniformElectricField(e=(0.0, 0.0)))), g,
                      collisions=(RelaxationTime(1.0),), time_dependent=False)
    with pytest.raises(ParameterError):
        linear_response(s, np.zeros((2,) + g.shape), 2.0)  # nonlinear limiter


def test_dataset():
    model = MassiveDirac2D(m=1.0)
    r = conductivity(model, 2.0, tau=1.0, grid=conductivity_grid(model, 2.0, n_phi=8, n_fermi=8, k_max_factor=4.0))
    ds = r.to_dataset()
    assert ds["sigma"].shape == (2, 2) and list(ds["part"].values) == ["drude", "chiral", "anomalous", "magnetisation"]
    np.testing.assert_allclose(ds["sigma_part"].sum("part").values, r.sigma, atol=1e-14)
