"""The JAX backend (``Scheme(backend="jax")``) against the Numba backend and the NumPy reference,
and the sharded stage against the single-device one (JAX on the CPU).

References: :func:`berrykin.kinetic.reference.axis_flux` (NumPy; the Numba sweep equals it to
1e-14, tests/test_kinetic_kernels.py) for the per-axis sweep; the Numba backend's general
per-axis path (and, in the slow test, its fused 4D kernel) for whole runs, state and every
ledger group to 1e-13 relative; the particle ledger identity ``N_s(t) - N_s(0) = inflow +
sources`` (round-off) of the JAX runs themselves; bit-identity of 4 emulated host devices with
one device (a subprocess: ``XLA_FLAGS`` must be set before JAX is imported).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # JAX compilation of every stage: minutes on 2 cores

from berrykin.errors import ParameterError
from berrykin.kinetic import (
    Axis,
    CanonicalFrame,
    CartesianMomentumGrid,
    EquilibriumInflow,
    KineticFrame,
    KineticSolver,
    Limiter,
    PhaseSpaceGrid,
    PolarGrid,
    RelaxationTime,
    Scheme,
    SKETerms,
    SpaceGrid,
    fermi_dirac,
    reference,
)
from berrykin.kinetic import jax_backend
from berrykin.models import MassiveDirac2D, MinimalCoupling, Skyrmion, TexturedFerromagnet2D, UniformMagneticField, Weyl3D


def _rel(x, y):
    return float(np.max(np.abs(np.asarray(x) - np.asarray(y))) / max(np.max(np.abs(y)), 1e-300))


def _assert_ledgers_equal(a, b, rtol=1e-13):
    """Every boundary group and source kind of two ledgers, relative to its own size (floored
    at 1e-9 of the ledger scale for amounts that cancel analytically, like the cell source)."""
    floor = 1e-9 * b.scale()
    for name, x, y in ([(g, a.inflow[:, i], b.inflow[:, i]) for i, g in enumerate(b.groups)]
                       + [(k, a.sources[:, i], b.sources[:, i]) for i, k in enumerate(b.kinds)]):
        assert np.max(np.abs(x - y)) <= rtol * max(np.max(np.abs(y)), floor), name
    assert _rel(a.numbers, b.numbers) <= rtol


def _dirac_4d():
    model = MassiveDirac2D(m=0.8)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=0.4)))
    kx = np.sort(np.random.default_rng(1).uniform(-3, 3, 6))  # non-uniform kx
    grid = PhaseSpaceGrid(SpaceGrid((Axis.uniform("x", -5, 5, 5, True), Axis.uniform("y", -4, 4, 7, True))),
                          CartesianMomentumGrid((Axis("k_x", kx), Axis.uniform("k_y", -2.5, 2.5, 7))))
    return model, frame, grid


def _skyrmion_4d():
    """r-dependent coefficients: a skyrmion (decayed to the uniform state at the periodic box
    faces, so that the ledger closes)."""
    model = TexturedFerromagnet2D(texture=Skyrmion(radius=1.0, width=1.0))
    grid = PhaseSpaceGrid(SpaceGrid.box(2, 6.0, 6, periodic=True), CartesianMomentumGrid.box(2, 2.0, 6))
    return model, CanonicalFrame(model), grid


def _run(model, frame, grid, backend, t_end=0.1, rk=3, fused=None, seed=0):
    solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(rk_stages=rk, backend=backend),
                           inflow=EquilibriumInflow(model, 0.6, 0.3))
    if fused is False:
        solver._fused = False  # the Numba general per-axis path
    n0 = fermi_dirac(model, grid, 0.3, 0.3) + 0.2 * np.random.default_rng(seed).uniform(size=(2,) + grid.shape)
    ts, states, ledger = solver.solve(n0, (0.0, t_end))
    return solver, states[-1], ledger


# --------------------------------------------------------------------------- per-axis sweep
def _axis_case(rng, shape, n_space, axis, full):
    fshape = list(shape)
    fshape[axis] += 1
    ushape = fshape if full else [1] * n_space + fshape[n_space:]
    U, W = rng.normal(size=[2] + ushape), 0.3 * rng.normal(size=ushape)
    cf = rng.uniform(0.5, 2.0, size=[s if i == axis else 1 for i, s in enumerate(shape)])
    slab = shape[:axis] + shape[axis + 1 :]
    return U, W, cf, rng.normal(size=(2,) + slab), rng.normal(size=(2,) + slab)


@pytest.mark.parametrize("axis", range(4))
def test_jax_axis_flux_equals_the_reference(axis):
    """Every axis of a 4D grid, bounded with compact coefficients and periodic with full
    (r-dependent) ones; every limiter on the last axis. Measured: <= 3e-16 relative."""
    rng = np.random.default_rng(axis)
    shape, n_space = (4, 3, 6, 5), 2
    n = rng.normal(size=(2,) + shape)
    cases = [(False, False, Limiter.VAN_LEER), (True, True, Limiter.VAN_LEER)]
    if axis == 3:
        cases += [(False, False, lim) for lim in Limiter if lim != Limiter.VAN_LEER]
    for periodic, full, lim in cases:
        U, W, cf, lo, hi = _axis_case(rng, shape, n_space, axis, full)
        ref, plo, phi = reference.axis_flux(n, U, W, cf, axis, periodic, lim, lo, hi)
        out = np.zeros_like(n)
        qlo, qhi = jax_backend.axis_flux(n, U, W, cf, axis, periodic, lim, lo, hi, out)
        scale = np.abs(ref).max()
        assert np.max(np.abs(out - ref)) <= 1e-14 * scale, (periodic, lim)
        assert np.max(np.abs(qlo - plo)) <= 1e-14 * scale and np.max(np.abs(qhi - phi)) <= 1e-14 * scale


# --------------------------------------------------------------------------- fused stage
def test_fused_jax_4d_equals_numba_uniform_in_r():
    """MassiveDirac2D in a uniform b (kinetic frame, velocities independent of r), SSP-RK3,
    inflow on a non-uniform kx box: the fused JAX stage against the Numba general path."""
    model, frame, grid = _dirac_4d()
    sj, nj, lj = _run(model, frame, grid, "jax")
    sn, nn, ln = _run(model, frame, grid, "numba", fused=False)
    assert sj._fast is jax_backend and sj._uniform
    assert _rel(nj, nn) <= 1e-13
    _assert_ledgers_equal(lj, ln)
    assert lj.relative(lj.band_residual()) <= 1e-13


def test_fused_jax_4d_equals_numba_with_a_skyrmion_texture():
    """r-dependent coefficients (full phase-space arrays): the fused JAX stage against the
    Numba general path; the JAX ledger closes. Measured: state 6e-16, ledger 2e-16."""
    model, frame, grid = _skyrmion_4d()
    sj, nj, lj = _run(model, frame, grid, "jax", rk=2)
    sn, nn, ln = _run(model, frame, grid, "numba", rk=2, fused=False)
    assert sj._fast is jax_backend and not sj._uniform
    assert _rel(nj, nn) <= 1e-13
    _assert_ledgers_equal(lj, ln)
    assert lj.relative(lj.band_residual()) <= 1e-12


def _periodic_field(r, t):
    """A periodic, time-dependent vector potential on [-pi, pi]^3: b = curl a and e = -d_t a
    vary in r and t."""
    import jax.numpy as jnp

    return 0.1 * (1.0 + 2.0 * t) * jnp.stack([jnp.sin(r[1]), jnp.sin(r[2]), jnp.sin(r[0])])


@pytest.mark.parametrize("case", ["uniform", pytest.param("r_and_t_dependent", marks=pytest.mark.slow)])
def test_fused_jax_6d_equals_numba(case):
    """6D (x, y, z, kx, ky, kz), Weyl node, kinetic frame: in a uniform b (coefficients uniform
    in r) and in the periodic time-dependent potentials of :func:`_periodic_field` plus a scalar
    potential ``0.2 cos x`` (full phase-space coefficients, recomputed every stage)."""
    import jax.numpy as jnp

    from berrykin.models import GaugePotential

    w = Weyl3D(chirality=1)
    grid = PhaseSpaceGrid(SpaceGrid.box(3, np.pi, 4, periodic=True), CartesianMomentumGrid.box(3, 1.5, 4))
    if case == "uniform":
        frame = KineticFrame(MinimalCoupling(w, UniformMagneticField(b=(0.0, 0.0, 0.3))))
    else:
        field = GaugePotential(dim_=3, a_fn=_periodic_field, phi_fn=lambda r, t: 0.2 * jnp.cos(r[0]))
        frame = KineticFrame(MinimalCoupling(w, field))
    sj, nj, lj = _run(w, frame, grid, "jax", t_end=0.05, rk=2)
    sn, nn, ln = _run(w, frame, grid, "numba", t_end=0.05, rk=2, fused=False)
    assert sj._fast is jax_backend and sj._uniform is (case == "uniform")
    assert sj._time_dependent is (case != "uniform")
    assert _rel(nj, nn) <= 1e-13
    _assert_ledgers_equal(lj, ln)
    assert lj.relative(lj.band_residual()) <= 1e-12


@pytest.mark.slow  # compiles the fused 4D Numba kernel (~30 s on 2 cores)
def test_fused_jax_4d_equals_the_fused_numba_kernel():
    model, frame, grid = _dirac_4d()
    sj, nj, lj = _run(model, frame, grid, "jax", rk=2)
    sn, nn, ln = _run(model, frame, grid, "numba", rk=2)
    assert sn._fast is not None and sn._fast.__name__.endswith("fused4d")
    assert _rel(nj, nn) <= 1e-13
    _assert_ledgers_equal(lj, ln)


# --------------------------------------------------------------------------- general path
def test_jax_general_path_on_a_polar_homogeneous_grid():
    """The homogeneous reduction on a polar momentum grid (bounded k with inflow, periodic
    phi), with a relaxation-time collision operator (the solver's general rhs path): JAX per-axis
    sweep against Numba, one SSP-RK3 step and the rhs with every ledger rate."""
    model = MassiveDirac2D(m=0.5)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=0.3)))
    grid = PolarGrid.uniform(0.2, 2.5, 9, 8)
    n0 = fermi_dirac(model, grid, 0.4, 0.2) + 0.1 * np.random.default_rng(2).uniform(size=(2,) + grid.shape)
    res = {}
    for be in ("jax", "numba"):
        s = KineticSolver(frame, grid, SKETerms.full(), Scheme(backend=be), inflow=EquilibriumInflow(model, 0.4, 0.2),
                          collisions=(RelaxationTime(5.0, T=0.2),))
        res[be] = (s.rhs(n0, 0.0), s.step(n0, 0.0, 0.5 * s.max_dt(0.0)))
    (rj, sj), (rn, sn) = res["jax"], res["numba"]
    for x, y in zip(rj + sj, rn + sn):
        assert np.max(np.abs(x - y)) <= 1e-13 * max(np.abs(y).max(), 1e-300)


# --------------------------------------------------------------------------- options, errors
def test_scheme_devices_option_is_checked():
    assert Scheme(backend="jax", devices=4).devices == 4
    for bad in (0, 2.5, True, "4"):
        with pytest.raises(ParameterError, match="devices"):
            Scheme(backend="jax", devices=bad)
    with pytest.raises(ParameterError, match="backend='jax'"):
        Scheme(devices=2)
    with pytest.raises(ParameterError, match="backend"):
        Scheme(backend="cuda")


def test_sharding_errors_name_the_remedy():
    model, frame, grid = _skyrmion_4d()
    n0 = fermi_dirac(model, grid, 0.3, 0.3)
    import jax

    avail = len(jax.devices())
    s = KineticSolver(frame, grid, SKETerms.full(), Scheme(backend="jax", devices=avail + 1))
    with pytest.raises(ParameterError, match="xla_force_host_platform_device_count"):
        s.step(n0, 0.0, 0.01)
    dirac = MassiveDirac2D(m=0.5)
    polar = KineticSolver(KineticFrame(MinimalCoupling(dirac, UniformMagneticField(b=0.3))),
                          PolarGrid.uniform(0.2, 2.0, 4, 4), SKETerms.full(), Scheme(backend="jax", devices=2))
    with pytest.raises(ParameterError, match="PhaseSpaceGrid"):
        polar.step(np.ones((2, 4, 4)), 0.0, 0.01)


_SHARDED = r"""
import json, sys
import numpy as np
import jax
from berrykin.errors import ParameterError
from berrykin.kinetic import (CanonicalFrame, CartesianMomentumGrid, EquilibriumInflow, KineticSolver,
                              PhaseSpaceGrid, Scheme, SKETerms, SpaceGrid, fermi_dirac)
from berrykin.models import Skyrmion, TexturedFerromagnet2D

model = TexturedFerromagnet2D(texture=Skyrmion(radius=1.0, width=1.0))
grid = PhaseSpaceGrid(SpaceGrid.box(2, 6.0, 8, periodic=True), CartesianMomentumGrid.box(2, 2.0, 6))
n0 = fermi_dirac(model, grid, 0.3, 0.3) + 0.2 * np.random.default_rng(0).uniform(size=(2,) + grid.shape)
res, out = {}, {"n_devices": len(jax.devices())}
for d in (1, 2, 4):
    s = KineticSolver(CanonicalFrame(model), grid, SKETerms.full(), Scheme(rk_stages=2, backend="jax", devices=d),
                      inflow=EquilibriumInflow(model, 0.6, 0.3))
    ts, st, led = s.solve(n0, (0.0, 0.06))
    res[d] = (st[-1], led)
    out[f"steps_{d}"] = len(led.times)
for d in (2, 4):
    out[f"bitwise_{d}"] = bool(np.array_equal(res[d][0], res[1][0]))
    a, b = res[d][1], res[1][1]
    out[f"ledger_{d}"] = float(max(np.abs(a.inflow - b.inflow).max(), np.abs(a.sources - b.sources).max(),
                                   np.abs(a.numbers - b.numbers).max()) / b.scale())
try:
    KineticSolver(CanonicalFrame(model), grid, SKETerms.full(), Scheme(backend="jax", devices=3)).step(n0, 0.0, 0.01)
except ParameterError as e:
    out["error_3"] = str(e)
print(json.dumps(out))
"""


def test_sharded_stage_is_bit_identical_on_4_emulated_devices():
    """The skyrmion (r-dependent: x-face coefficients split into overlapping blocks) on 8 x 8
    cells in x, y over 2 and 4 emulated host devices (halo exchange of 2 layers by ppermute):
    the state bit for bit equal to one device, the ledger to 1e-14 of its scale; 8 cells over
    3 devices raise ParameterError. About 15 s (a fresh Python with JAX)."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", _SHARDED], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["n_devices"] == 4 and out["steps_1"] == out["steps_2"] == out["steps_4"] >= 3
    for d in (2, 4):
        assert out[f"bitwise_{d}"], d
        assert out[f"ledger_{d}"] <= 1e-14
    assert "divisor of the 8 cells" in out["error_3"]
