"""Throughput of berrykin's geometry kernels against plain NumPy references (same run, same machine).

    .venv/bin/python benchmarks/geometry.py [--quick]

(a) ``berrykin.berry_curvature`` on 10^6 random points of ``TexturedFerromagnet2D()``
    (r in [-5, 5]^2, p in [-2, 2]^2). Compilation is excluded by a warm-up call with one chunk
    of the compiled shape. Reference: F_IJ from numpy.linalg.eigh eigenvectors, as the Berry
    phase of a small centred plaquette in each of the (I, J) planes (F = phase / (q_s h^2)), on a
    subset of points, scaled to a per-point rate. Goal: 1e7 points/s.
(b) ``berrykin.chern_number`` of QWZ(m=1) on a 2000 x 2000 Brillouin-zone grid. Reference:
    numpy.linalg.eigh eigenvectors and the link-variable Fukui-Hatsugai-Suzuki sum. Goal: >= 10x.

Times are the best of a few repeats (the machine may be shared; the median is printed too).
The first full-size call in a fresh process can be several times slower than the rest: on
some virtual machines the first touch of fresh memory pages is expensive; it is printed apart.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import berrykin
from berrykin.geometry import _vectorize
from berrykin.models import QWZ, TexturedFerromagnet2D

GOAL_POINTS_PER_SECOND = 1e7
GOAL_CHERN_SPEEDUP = 10.0

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
SZ = np.array([[1, 0], [0, -1]], dtype=complex)
ONE = np.eye(2, dtype=complex)


def timed(fn, repeats):
    """(best, median, first) wall time of ``fn()`` over ``repeats`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), times[0], out


# -- NumPy references ------------------------------------------------------------------------
def textured_hamiltonian(X, exchange=1.0, rashba=0.5, mass=1.0, radius=2.0, width=2.0):
    """H = eps/2 + Delta . sigma/2 of TexturedFerromagnet2D(Skyrmion()) at points X (..., 5)."""
    x, y, px, py = X[..., 0], X[..., 1], X[..., 2], X[..., 3]
    rho2 = x * x + y * y
    lam = radius * np.exp((radius**2 - rho2) / (2 * width**2))
    den = rho2 + lam * lam
    n = np.stack([2 * lam * x / den, 2 * lam * y / den, (rho2 - lam * lam) / den], axis=-1)
    D = 2 * (exchange * n + rashba * np.stack([py, -px, 0 * px], axis=-1))
    eps = (px * px + py * py) / mass
    return (eps / 2)[..., None, None] * ONE + 0.5 * (
        D[..., 0, None, None] * SX + D[..., 1, None, None] * SY + D[..., 2, None, None] * SZ)


def lower_vectors(H):
    return np.linalg.eigh(H)[1][..., :, 0]


def link(u, v):
    return np.sum(np.conj(u) * v, axis=-1)


def curvature_eigh(X, h=1e-3):
    """F_IJ (N, 5, 5) from lower-band Berry phases of centred h x h plaquettes (NumPy eigh)."""
    n = X.shape[1]
    F = np.zeros((X.shape[0], n, n))
    for i in range(n):
        for j in range(i + 1, n):
            ei, ej = np.eye(n)[i] * h / 2, np.eye(n)[j] * h / 2
            corners = [X - ei - ej, X + ei - ej, X + ei + ej, X - ei + ej]
            u = [lower_vectors(textured_hamiltonian(c)) for c in corners]
            prod = link(u[0], u[1]) * link(u[1], u[2]) * link(u[2], u[3]) * link(u[3], u[0])
            F[:, i, j] = -np.angle(prod) / (0.5 * h * h)  # phase = q_{-1} F h^2, q_{-1} = 1/2
            F[:, j, i] = -F[:, i, j]
    return F


def qwz_chern_eigh(m, n):
    """Lower-band Chern number of QWZ on an n x n grid: eigh + link-variable FHS."""
    k = -np.pi + 2 * np.pi * np.arange(n) / n
    kx, ky = np.meshgrid(k, k, indexing="ij")
    H = (np.sin(kx)[..., None, None] * SX + np.sin(ky)[..., None, None] * SY
         + (m + np.cos(kx) + np.cos(ky))[..., None, None] * SZ)
    u = lower_vectors(H)
    u2, u4 = np.roll(u, -1, axis=0), np.roll(u, -1, axis=1)
    u3 = np.roll(u2, -1, axis=1)
    prod = link(u, u2) * link(u2, u3) * link(u3, u4) * link(u4, u)
    return float(np.sum(-np.angle(prod))) / (2 * np.pi)


# -- benchmarks ------------------------------------------------------------------------------
def bench_curvature(quick):
    model = TexturedFerromagnet2D()
    rng = np.random.default_rng(0)
    n = 10**6
    r = rng.uniform(-5, 5, (n, 2))
    p = rng.uniform(-2, 2, (n, 2))
    chunk = min(_vectorize.CHUNK, n)
    berrykin.berry_curvature(model, r[:chunk], p[:chunk])  # compile (one chunk of the compiled shape)
    repeats = 5 if quick else 10
    best, med, first, F = timed(lambda: berrykin.berry_curvature(model, r, p), repeats)
    rate, rate_med = n / best, n / med

    n_ref = 2000 if quick else 10000
    X = np.concatenate([r[:n_ref], p[:n_ref], np.zeros((n_ref, 1))], axis=1)
    ref_best, _, _, F_ref = timed(lambda: curvature_eigh(X), 1 if quick else 2)
    ref_rate = n_ref / ref_best
    err = np.max(np.abs(F_ref - F[:n_ref])) / np.max(np.abs(F[:n_ref]))
    print(f"geometry.points_per_second {rate:.3g}  ratio_to_numpy_eigh {rate / ref_rate:.0f}x  "
          f"ratio_to_goal(1e7) {rate / GOAL_POINTS_PER_SECOND:.2f}")
    print(f"  berry_curvature 1e6 points: best of {repeats} {best:.3f} s, median {med:.3f} s "
          f"({rate_med:.3g} points/s), first call {first:.3f} s; numpy eigh reference {ref_rate:.3g} points/s on {n_ref} "
          f"points (10 plaquettes of 4 eigh each), max rel. difference {err:.1e}")


def bench_chern(quick):
    model = QWZ(m=1.0)
    n = 2000
    berrykin.chern_number(model, shape=(n, n))  # compile
    repeats = 5 if quick else 10
    best, med, _, res = timed(lambda: berrykin.chern_number(model, shape=(n, n)), repeats)
    ref_best, _, _, c_ref = timed(lambda: qwz_chern_eigh(1.0, n), 1 if quick else 2)
    assert abs(res.chern - c_ref) < 1e-9, (res.chern, c_ref)
    print(f"geometry.chern_qwz_2000x2000_seconds {best:.3f}  ratio_to_numpy_eigh "
          f"{ref_best / best:.0f}x  ratio_to_goal(10x) {ref_best / best / GOAL_CHERN_SPEEDUP:.2f}")
    print(f"  chern_number QWZ(m=1) lower band = {res.chern:+.12f} (eigh FHS {c_ref:+.12f}); "
          f"berrykin best of {repeats} {best:.3f} s, median {med:.3f} s; numpy eigh reference {ref_best:.2f} s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and a smaller reference subset")
    args = ap.parse_args(argv)
    bench_curvature(args.quick)
    bench_chern(args.quick)


if __name__ == "__main__":
    main()
