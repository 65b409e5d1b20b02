"""Steady-state drivers (berrykin.kinetic.steady): the relaxation of a driven state to its
closed-form steady state, refusals and the convergence error."""

import numpy as np
import pytest

from berrykin.errors import IntegrationError, ParameterError
from berrykin.kinetic import (
    HomogeneousGrid, KineticFrame, KineticSolver, PolarGrid, RelaxationToFixed, Scheme, SKETerms,
    evolve_to_steady,
)
from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformElectricField

MODEL = MassiveDirac2D(m=1.0)
GRID = HomogeneousGrid(PolarGrid.uniform(0.0, 3.0, 10, 8))


def _solver(col):
    frame = KineticFrame(MinimalCoupling(MODEL, UniformElectricField(e=(0.0, 0.0))))
    return KineticSolver(frame, GRID, SKETerms.full(), Scheme(), None, time_dependent=False, collisions=col)


def test_relaxation_to_fixed_target_reaches_it():
    """e = 0: d_t n = -(n - f0)/tau has the steady state f0 (closed form), from any start."""
    s = _solver((RelaxationToFixed(2.0, mu=1.5),))
    f0 = s._bound[0].occ(1.5)
    start = f0 + 0.1 * np.random.default_rng(0).standard_normal(f0.shape)
    st = evolve_to_steady(s, start, tol=1e-9)
    assert np.abs(st.n - f0).max() < 1e-8 * 0.1 * 40  # r < tol: |n - f0| ~ tol |n0 - f0|
    assert st.rates[-1] < 1e-9 and st.t > 30.0


def test_refusals_and_non_convergence():
    with pytest.raises(ParameterError):
        evolve_to_steady(_solver(()), np.zeros((2,) + GRID.shape))
    s = _solver((RelaxationToFixed(2.0, mu=1.5),))
    with pytest.raises(IntegrationError):
        evolve_to_steady(s, np.zeros((2,) + GRID.shape), max_time=4.0)


def test_a_round_off_floor_raises_a_clear_error_early():
    """tol far below round-off: the rate stalls at ~1e-14, and the error says what to do well
    before max_time (400 tau) instead of running on."""
    s = _solver((RelaxationToFixed(2.0, mu=1.5),))
    f0 = s._bound[0].occ(1.5)
    with pytest.raises(IntegrationError, match="stalled.*direct linear solve") as info:
        evolve_to_steady(s, f0 + 0.1, tol=1e-30)
    t = float(info.value.args[0].split("by t=")[1].split()[0])
    assert 100.0 < t < 120.0     # STALL_WINDOW = 50 tau_slow = 100, checked every 5 steps
