"""Benchmark: the JAX backend of the sKE, on one device against Numba, and weak scaling over devices.

Problem (as benchmarks/kinetic.py): massive Dirac fermions (m = 0.8) in a uniform b = 0.4,
kinetic frame, every sKE term, periodic x, y and a bounded kx, ky box with equilibrium inflow;
SSP-RK2, van Leer. Velocities do not depend on r (compact 2D coefficients).

1. One device, N^4 cells (default N = 32): time per SSP-RK2 step and cell-updates per second of
   the fused JAX stage (``Scheme(backend="jax")``) and of the fused Numba kernel
   (``Scheme(backend="numba")``, :mod:`berrykin.kinetic.fused4d`) on the same grid, and their
   ratio. Two JAX figures: ``solver.step`` (NumPy in and out, as :meth:`KineticSolver.solve`
   uses it: the state is moved to the device and back every step) and the device stages alone
   (the state kept on the device, as a GPU run would want).
2. Weak scaling: the per-device grid fixed at ``(Mx, N, N, N)`` (default Mx = 8), the first
   space axis ``x`` split over D = 1, 2, 4 devices (``Scheme(backend="jax", devices=D)``, halo
   exchange of 2 layers); time per step and the weak-scaling efficiency ``t(1) / t(D)``.

On a CPU the devices are emulated (``XLA_FLAGS=--xla_force_host_platform_device_count=4``, set
below before JAX is imported unless already set): the emulated devices share the host's cores,
so with fewer cores than devices the efficiency measures the sharding overhead on shared
hardware (ideal: ``min(1, cores / D)``), not the scaling of separate accelerators; the printed
"per-core" efficiency divides that ideal out.

Run: ``python benchmarks/kinetic_sharded.py [N] [Mx] [repeats]``.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")

import numpy as np  # noqa: E402

from berrykin.kinetic import (  # noqa: E402
    Axis,
    CartesianMomentumGrid,
    EquilibriumInflow,
    KineticFrame,
    KineticSolver,
    Limiter,
    PhaseSpaceGrid,
    Scheme,
    SKETerms,
    SpaceGrid,
    fermi_dirac,
)
from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField  # noqa: E402


def problem(nx, n, backend, devices=1):
    model = MassiveDirac2D(m=0.8)
    frame = KineticFrame(MinimalCoupling(model, UniformMagneticField(b=0.4)))
    lx = 10.0 * nx / n  # the cell size of every split
    space = SpaceGrid((Axis.uniform("x", -lx, lx, nx, True), Axis.uniform("y", -10.0, 10.0, n, True)))
    grid = PhaseSpaceGrid(space, CartesianMomentumGrid.box(2, 3.0, n))
    solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(limiter=Limiter.VAN_LEER, rk_stages=2,
                                                                  backend=backend, devices=devices),
                           inflow=EquilibriumInflow(model, mu=0.5, T=0.2))
    n0 = fermi_dirac(model, grid, mu=0.3, T=0.2)
    return solver, n0


def time_steps(solver, n0, repeats):
    dt = 0.5 * solver.max_dt(0.0)
    t0 = time.perf_counter()
    solver.step(n0, 0.0, dt)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        solver.step(n0, 0.0, dt)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), first


def time_device_stages(solver, n0, repeats):
    """Median time of the two SSP-RK2 stages with the state kept on the device."""
    import jax

    from berrykin.kinetic import jax_backend

    dt = 0.5 * solver.max_dt(0.0)
    with jax.enable_x64(True):
        runner = jax_backend._runner(solver)
        data = jax_backend._device_data(solver, runner, 0.0)
        u0 = runner.put_state(n0)

        def two_stages():
            u, _, _ = runner.run(u0, u0, (0.0, 1.0, dt), data)
            u, f, s = runner.run(u, u0, (0.5, 0.5, dt), data)
            return jax.block_until_ready((u, f, s))

        two_stages()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            two_stages()
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(N=32, Mx=8, repeats=5):
    import jax

    cores = os.cpu_count()
    print(f"JAX {jax.__version__}, devices: {len(jax.devices())} x {jax.devices()[0].platform}, host cores: {cores}")
    # 1. one device: JAX against the fused Numba kernel
    sj, n0 = problem(N, N, "jax")
    t_jax, first = time_steps(sj, n0, repeats)
    t_dev = time_device_stages(sj, n0, repeats)
    sn, _ = problem(N, N, "numba")
    t_nb, first_nb = time_steps(sn, n0, repeats)
    cells = sj.grid.size
    print(f"grid {sj.grid.shape} = {cells / 1e6:.2f} M cells, SSP-RK2, float64")
    print(f"JAX fused stage: {t_jax * 1e3:.1f} ms per step ({cells / t_jax / 1e6:.1f} M cell-updates/s; "
          f"device stages alone {t_dev * 1e3:.1f} ms, {cells / t_dev / 1e6:.1f} M/s); compile + first step {first:.1f} s")
    print(f"Numba fused kernel: {t_nb * 1e3:.1f} ms per step ({cells / t_nb / 1e6:.1f} M cell-updates/s); "
          f"compile + first step {first_nb:.1f} s")
    print(f"JAX / Numba cell-update rate (one device): {t_nb / t_jax:.2f} (device stages alone: {t_nb / t_dev:.2f})")
    # 2. weak scaling
    print(f"weak scaling, per-device grid ({Mx}, {N}, {N}, {N}), x split over D devices:")
    base = None
    for D in (1, 2, 4):
        if D > len(jax.devices()):
            print(f"  D = {D}: skipped (only {len(jax.devices())} devices)")
            continue
        s, n0 = problem(Mx * D, N, "jax", devices=D)
        t, _ = time_steps(s, n0, repeats)
        td = time_device_stages(s, n0, repeats)
        base = base or (t, td)
        ideal = min(1.0, cores / D) if jax.devices()[0].platform == "cpu" else 1.0
        print(f"  D = {D}: grid {s.grid.shape}, {t * 1e3:.1f} ms per step (device stages {td * 1e3:.1f} ms), "
              f"weak-scaling efficiency {base[0] / t:.1%} (device stages {base[1] / td:.1%}; "
              f"per-core {base[1] / td / ideal:.1%})")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
