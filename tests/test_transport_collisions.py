"""Collision operators (berrykin.kinetic.collisions): conservation, closed-form relaxation,
continuity of the discrete density in mu, the linearisation."""

import math

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.kinetic import (
    EquilibriumInflow, HomogeneousGrid, KineticFrame, KineticSolver, PolarGrid, RelaxationTime,
    RelaxationToFixed, Scheme, SKETerms,
)
from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformElectricField

MODEL = MassiveDirac2D(m=1.0)
GRID = HomogeneousGrid(PolarGrid.uniform(0.0, 3.0, 12, 8))


def _solver(col, e=(0.0, 0.0), inflow=None, scheme=None):
    frame = KineticFrame(MinimalCoupling(MODEL, UniformElectricField(e=e)))
    return KineticSolver(frame, GRID, SKETerms.full(), scheme or Scheme(), inflow, time_dependent=False,
                         collisions=col)


def _integral(a):
    return (a.reshape(2, -1) @ np.broadcast_to(GRID.volumes(), GRID.shape).reshape(-1)) * GRID.measure


def _perturbed(op, mu=2.0, seed=3):
    rng = np.random.default_rng(seed)
    return op.occ(mu) + 0.05 * rng.standard_normal((2,) + GRID.shape)


@pytest.mark.parametrize("T", [0.0, 0.3])
def test_local_relaxation_conserves_particles_to_round_off(T):
    op = RelaxationTime(2.0, tau_minus=0.7, T=T).bind(_solver(()))
    n = _perturbed(op)
    C = op.rate(n)
    per_band = _integral(C)
    scale = _integral(np.abs(n)).sum() / min(2.0, 0.7)  # magnitude of the summed terms
    assert abs(per_band.sum()) < 1e-14 * scale
    assert np.abs(per_band).max() > 1e-4  # it does move particles between the bands


def test_fixed_relaxation_changes_the_number_by_the_closed_form():
    op = RelaxationToFixed(2.0, mu=2.0, tau_minus=0.5).bind(_solver(()))
    n = _perturbed(op)
    rho_n, rho_0 = _integral(n), _integral(op.occ(2.0))
    expected = -(rho_n - rho_0) / np.array([2.0, 0.5])  # Int C_s = -(rho_s - rho_s^0)/tau_s
    np.testing.assert_allclose(_integral(op.rate(n)), expected, rtol=1e-12, atol=1e-17)


def test_ledger_closes_with_collisions_and_a_field():
    s = _solver((RelaxationTime(1.5),), e=(0.3, 0.1), inflow=EquilibriumInflow(MODEL, 2.0))
    n0 = s._bound[0].occ(2.0)
    _, _, led = s.solve(n0, (0.0, 3.0))
    assert led.kinds[-1] == "relaxation"
    assert led.relative(led.band_residual()) < 1e-12
    assert led.relative(led.conservation_residual()) < 1e-12
    src = led.sources[-1, -1]
    assert abs(src.sum()) < 1e-14 and np.abs(src).max() > 0


def test_fixed_relaxation_breaks_the_conservation_ledger_by_its_integral():
    s = _solver((RelaxationToFixed(1.0, mu=1.5),))
    n0 = s._bound[0].occ(2.0)  # density above that of f0: relaxation removes particles
    _, _, led = s.solve(n0, (0.0, 1.0))
    res = led.conservation_residual()[-1]
    np.testing.assert_allclose(res, led.sources[-1, -1].sum(), rtol=1e-10)
    assert res < -1e-4


def test_homogeneous_relaxation_follows_the_exponential():
    """e = 0, b = 0: d_t n_s = -(n_s - f_s)/tau_s with f fixed by the conserved density; for a
    perturbation that leaves the density (and so mu) unchanged, n - f = (n0 - f) exp(-t/tau_s)."""
    col = (RelaxationTime(2.0, tau_minus=0.8),)
    s = _solver(col, scheme=Scheme(max_dt=0.01))
    op = s._bound[0]
    f = op.occ(2.0)
    pert = np.zeros_like(f)
    pert[0, 2, :] = -0.1  # k ~ 0.6 < k_F: f_+ = 1 there
    pert[0, 3, :] = 0.1 * (GRID.volumes()[2, 0] / GRID.volumes()[3, 0])  # net zero in band +
    pert[1, 5, :] = -0.05
    pert[1, 6, :] = 0.05 * (GRID.volumes()[5, 0] / GRID.volumes()[6, 0])
    assert abs(_integral(pert).sum()) < 1e-16
    ts, states, _ = s.solve(f + pert, (0.0, 2.0))
    dev = states[-1] - f
    np.testing.assert_allclose(dev[0], pert[0] * math.exp(-2.0 / 2.0), rtol=1e-6, atol=1e-12)  # SSP-RK3, dt = 0.01
    np.testing.assert_allclose(dev[1], pert[1] * math.exp(-2.0 / 0.8), rtol=1e-6, atol=1e-12)  # SSP-RK3, dt = 0.01


def test_discrete_density_is_continuous_and_monotone_in_mu_at_zero_temperature():
    op = RelaxationTime(1.0).bind(_solver(()))
    mus = np.linspace(1.0, 3.0, 4001)
    rho = np.array([_integral(op.occ(m)).sum() for m in mus])
    assert np.all(np.diff(rho) >= -1e-15)
    # Lipschitz: no jump larger than (largest d rho/d mu) * step
    slope = max(_integral(op.occ.dmu(m)).sum() for m in mus[::50])
    assert np.max(np.diff(rho)) < 3.0 * slope * (mus[1] - mus[0])


def test_local_mu_inverts_the_density():
    op = RelaxationTime(1.0, T=0.0).bind(_solver(()))
    n = op.occ(1.7321)
    assert abs(op.local_mu(n) - 1.7321) < 1e-9
    np.testing.assert_allclose(op.equilibrium(n), n, atol=1e-12)


def test_linearisation_is_the_derivative_at_finite_temperature():
    op = RelaxationTime(1.3, tau_minus=0.6, T=0.2).bind(_solver(()))
    f = op.occ(2.0)
    v = np.random.default_rng(1).standard_normal(f.shape)
    h = 1e-6
    fd = (op.rate(f + h * v) - op.rate(f - h * v)) / (2 * h)
    np.testing.assert_allclose(op.linear(v, 2.0), fd, rtol=1e-6, atol=1e-8)


def test_bad_parameters_raise():
    with pytest.raises(ParameterError):
        RelaxationTime(-1.0)
    with pytest.raises(ParameterError):
        RelaxationTime(1.0, tau_minus=0.0)
    with pytest.raises(ParameterError):
        RelaxationToFixed(1.0, mu=float("nan"))
    with pytest.raises(ParameterError):
        _solver((RelaxationTime(1.0), RelaxationTime(2.0)))  # two groups of the same name


def test_phase_space_grid_conserves_per_space_cell():
    """One local chemical potential per space cell: each is recovered from its density, and the
    collision integral over the momenta of every space cell vanishes."""
    from types import SimpleNamespace

    from berrykin.kinetic import PhaseSpaceGrid, SpaceGrid

    g = PhaseSpaceGrid(SpaceGrid.box(2, 1.0, 3), PolarGrid.uniform(0.0, 3.0, 6, 4))
    op = RelaxationTime(1.0, tau_minus=0.5, T=0.1).bind(SimpleNamespace(frame=SimpleNamespace(bare_model=MODEL), grid=g))
    mus = np.linspace(1.2, 2.4, 9).reshape(3, 3)
    n = op.occ(mus)
    np.testing.assert_allclose(op.local_mu(n), mus, atol=1e-12)
    n = n + 0.02 * np.random.default_rng(5).standard_normal(n.shape)
    C = op.rate(n)
    vol = np.broadcast_to(g.volumes(), g.shape) * g.measure
    per_cell = (C * vol).sum(axis=(0, 3, 4))
    scale = (np.abs(n) * vol).sum(axis=(0, 3, 4)).max() / 0.5
    assert np.abs(per_cell).max() < 1e-14 * scale
    assert np.abs((C * vol).sum(axis=(3, 4))).max() > 1e-6  # but bands exchange particles
