"""Time and peak memory of berrykin's exact references against dense real-space versions of the
same problems, measured in the same run on the same machine.

    .venv/bin/python benchmarks/exact.py [--quick]

(a) Hofstadter-Streda coefficient of QWZ(m=1) at flux 1/40 per plaquette (reference flux 0,
    Fermi level 0): ``berrykin.quantum.streda_coefficient`` by magnetic Bloch reduction
    (80 x 80 Bloch matrices on a 4 x 4 magnetic k grid) versus a dense real-space count on a
    40 x 40 torus (two 3200 x 3200 ``eigvalsh``, fluxes 1/40 and 0). Both must give nu = +1.
    (For scale, issue 4 quotes 86 s for a dense 40 x 40 Streda with another package.)
(b) Thouless pump of RiceMele(period=100) over one cycle, 1000 Magnus-4 steps:
    ``berrykin.quantum.thouless_pump`` (64 Bloch momenta, 2x2 steps) versus the dense one-body
    density matrix of the 64-cell ring (128 x 128, ``evolve_density_matrix``). The two currents
    agree to round-off (same momenta, same steps).

Each case runs in its own Python process (so that its peak resident memory is its own); the
process reports the wall time of the first call (including JIT compilation where there is any)
and of a second, warm call, the tracemalloc peak of a third call (NumPy buffers; LAPACK
workspaces and JAX/XLA buffers are not traced) and the growth of the peak resident set size
over the process's size after imports during the first call (this includes compilation).
``--quick`` uses 20 x 20 (flux 1/20) and a 32-cell ring (period 40) for a smoke test;
``--threads`` sets the BLAS threads of every case (default 1).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from fractions import Fraction

import numpy as np

SIZES = {False: {"L": 40, "cells": 64, "period": 100.0, "steps": 1000},
         True: {"L": 20, "cells": 32, "period": 40.0, "steps": 400}}


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- the four computations -----------------------------------------------------------------
def streda_bloch(size):
    from berrykin.models import QWZ
    from berrykin.quantum import streda_coefficient

    return streda_coefficient(QWZ(m=1.0), Fraction(1, size["L"]), k_points=(4, 4)).coefficient


def streda_dense(size):
    from berrykin.models import QWZ
    from berrykin.quantum import LandauGauge, real_space_hamiltonian

    L = size["L"]
    tb = QWZ(m=1.0).tight_binding()
    counts = []
    for field in (LandauGauge.for_flux(1, L), None):
        E = np.linalg.eigvalsh(real_space_hamiltonian(tb, (L, L), field=field))
        counts.append(int(np.sum(E < 0.0)))
    return (counts[0] - counts[1]) / (L * L) * L       # (rho(phi) - rho(0))/phi, phi = 1/L


def pump_bloch(size):
    from berrykin.models import RiceMele
    from berrykin.quantum import thouless_pump

    r = thouless_pump(RiceMele(period=size["period"]), n_k=size["cells"], steps=size["steps"])
    return r.charge


def pump_dense(size):
    from berrykin.models import RiceMele, TightBinding
    from berrykin.quantum import (evolve_density_matrix, ground_state_density_matrix, model_time,
                                  real_space_hamiltonian)

    N, T, steps = size["cells"], size["period"], size["steps"]
    model = RiceMele(period=T)

    def H(t):
        return real_space_hamiltonian(model.tight_binding(float(model_time(t, T))), (N,))

    def J(t):
        tb = model.tight_binding(float(model_time(t, T)))
        return real_space_hamiltonian(
            TightBinding(1, np.zeros((2, 2)), [(R, 1j * R[0] * M) for R, M in tb.hoppings]), (N,))

    ev = evolve_density_matrix(H, ground_state_density_matrix(H(0.0), N), 0.0, T / steps, steps,
                               observe=lambda t, r: np.real(np.trace(r @ J(t))) / N)
    w = np.ones(steps + 1)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return float(T / steps / 3 * w @ ev.observed)


CASES = {"streda_bloch": streda_bloch, "streda_dense": streda_dense,
         "pump_bloch": pump_bloch, "pump_dense": pump_dense}


def run_case(name, quick):
    """Child process: time and memory of one case; prints one JSON line."""
    import berrykin.quantum  # noqa: F401  (imports are not part of the measurement)

    size = SIZES[quick]
    base = _rss_kib()
    t0 = time.perf_counter()
    value = CASES[name](size)
    cold = time.perf_counter() - t0
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux
    t0 = time.perf_counter()
    CASES[name](size)
    warm = time.perf_counter() - t0
    tracemalloc.start()          # steady state: a third call, traced (compilation excluded)
    CASES[name](size)
    peak_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"case": name, "value": value, "cold_s": cold, "warm_s": warm,
                      "traced_MiB": peak_traced / 2**20, "rss_growth_MiB": max(0, peak_rss - base) / 1024}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/OpenMP threads of every case (default 1: the same for all cases; on a "
                         "loaded machine multithreaded BLAS on small matrices is erratic)")
    ap.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        return run_case(args.case, args.quick)

    size = SIZES[args.quick]
    rows = {}
    for name in CASES:
        cmd = [sys.executable, __file__, "--case", name] + (["--quick"] if args.quick else [])
        env = dict(os.environ, **{v: str(args.threads) for v in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")})
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"exact-reference benchmark (sizes: {size}; {args.threads} BLAS thread(s); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"{'case':14s} {'value':>20s} {'cold s':>9s} {'warm s':>9s} {'traced MiB':>11s} {'RSS+ MiB':>9s}")
    for name, r in rows.items():
        print(f"{name:14s} {r['value']:20.12f} {r['cold_s']:9.3f} {r['warm_s']:9.3f} "
              f"{r['traced_MiB']:11.1f} {r['rss_growth_MiB']:9.1f}")
    for kind in ("streda", "pump"):
        b, d = rows[f"{kind}_bloch"], rows[f"{kind}_dense"]
        print(f"{kind}: dense/Bloch time (warm) {d['warm_s'] / b['warm_s']:8.1f}x, (cold) "
              f"{d['cold_s'] / b['cold_s']:6.1f}x; traced memory {d['traced_MiB'] / max(b['traced_MiB'], 1e-3):6.1f}x; "
              f"|value difference| {abs(d['value'] - b['value']):.2e}")
    ok = (abs(rows["streda_bloch"]["value"] - 1) < 1e-9 and abs(rows["streda_dense"]["value"] - 1) < 1e-9
          and abs(rows["pump_bloch"]["value"] - rows["pump_dense"]["value"]) < 1e-9)
    print("agreement:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
