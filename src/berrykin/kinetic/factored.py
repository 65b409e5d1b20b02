"""Separable (low-rank) representation of the sKE coefficients over phase space, ``C(r, p)``.

Every coefficient array of one grid axis (the face velocities ``U_+, U_-`` and the interband
velocity ``W``; or, for the cell sources, ``G, K``) is treated as a matrix ``M[r, (c, p)]``:
rows are the real-space points where it lives (faces of a space axis, else cell centres),
columns the components ``c`` times the momentum points (cell centres for a space axis, the
faces of a momentum axis). It is stored as

    ``M[r, c, p] = sum_{k < K} A[k, r] B[k, c, p]``      (rank K; memory ``K (N_r + n_c N_p)``)

or, where no small rank reproduces it, as the full array (``full``; memory ``n_c N_r N_p``).

The factors are found from a few point evaluations of the frame (:func:`.frames.evaluate_frame`)
by adaptive cross approximation with partial pivoting (Bebendorf 2000): evaluate one r-row
(all p), take the largest residual entry as pivot, evaluate its p-column (all r), subtract the
rank-1 cross ``col row / pivot`` and continue from the row of the largest residual in that
column, until the pivot residual is below ``tol`` of the largest coefficient magnitude of
all axes. The result is then *verified* at ``n_check`` random (r, c, p) entries, evaluated
independently, to ``tol`` (default 1e-12) of that magnitude; where the check fails the
approximation restarts from the row of the worst entry. Ranks above ``max_rank`` give None
(the caller stores the full array and warns). Cost: ``K + 1`` evaluations of ``N_p`` points and
``K`` of ``N_r`` points per axis, never a full phase-space evaluation.

Examples (measured, ``rashba = 0``: the texture enters only through ``F_rr(r)``):
``TexturedFerromagnet2D`` has rank 1 on every axis (``U_x = p_x/m``; ``U_kx = q_s F_xy(r) p_y/m``)
and rank 0 for ``W, G, K``; the canonical frame of a model in a uniform b (symmetric gauge)
has rank <= d + 1 (affine in r); ``rashba != 0`` is full rank (fallback).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frames import evaluate_frame

__all__ = ["Factored", "axis_matrices", "cross_approximation", "factor_coefficients", "from_compact"]


@dataclass(frozen=True, eq=False)
class Factored:
    """``M[c, r, p] = sum_k A[k, r] B[k, c, p]`` (``full`` False) or ``M = B[0]`` reshaped
    ``(n_c, N_r, N_p)`` (``full`` True). ``A`` (K, N_r), ``B`` (K, n_c, N_p) float64."""

    A: np.ndarray
    B: np.ndarray
    full: bool = False

    @property
    def rank(self):
        """K, or -1 for a full array."""
        return -1 if self.full else int(self.A.shape[0])

    @property
    def nbytes(self):
        return int(self.A.nbytes + self.B.nbytes)

    def dense(self):
        """The array ``(n_c, N_r, N_p)`` (for tests and small grids)."""
        if self.full:
            return self.B[0]
        return np.einsum("kr,kcp->crp", self.A, self.B)

    def entries(self, r, c, p):
        """Values at index arrays ``r, c, p`` (same shape)."""
        if self.full:
            return self.B[0][c, r, p]
        return np.einsum("kn,kn->n", self.A[:, r], self.B[:, c, p]) if self.A.shape[0] else np.zeros(np.shape(r))

    @classmethod
    def from_full(cls, arr):
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        return cls(np.zeros((0, arr.shape[1])), arr[None], True)


@dataclass(frozen=True, eq=False)
class AxisMatrix:
    """The points of one coefficient matrix: ``r`` (N_r, d), ``p`` (N_p, d), and which
    entries of the frame's point vector (:func:`.frames.evaluate_frame`) are its components,
    with their factors (``cols``, ``scales``)."""

    r: np.ndarray
    p: np.ndarray
    cols: tuple
    scales: tuple

    def extract(self, C):
        return np.stack([s * C[:, j] for j, s in zip(self.cols, self.scales)], axis=-1)


def axis_matrices(grid, cw):
    """The 2d + 1 matrices of a :class:`PhaseSpaceGrid` with a Cartesian momentum grid: one
    per axis (space axes first) and the sources; ``cw`` the interband flux coefficient."""
    d = grid.dim
    sp, mg = grid.space, grid.momentum
    rc = sp.cell_points().reshape(-1, d)
    pc = mg.cell_points().reshape(-1, d)
    out = []
    for a in range(d):
        out.append(AxisMatrix(sp.face_points(a).reshape(-1, d), pc, (a, 2 * d + a, 4 * d + a), (1.0, 1.0, cw)))
    for am in range(d):
        out.append(AxisMatrix(rc, mg.face_points(am).reshape(-1, d), (d + am, 3 * d + am, 5 * d + am), (1.0, 1.0, cw)))
    out.append(AxisMatrix(rc, pc, (6 * d, 6 * d + 1), (1.0, 1.0)))
    return out


def _evaluator(frame, terms, t):
    def ev(r, p):
        r, p = np.broadcast_arrays(np.atleast_2d(r), np.atleast_2d(p))
        Y = np.concatenate([r, p, np.full((r.shape[0], 1), float(t))], axis=1)
        return evaluate_frame(frame, Y, False, terms.energy_shift, terms.anomalous)
    return ev


def cross_approximation(row, column, sample, n_r, n_c, n_p, scale, tol=1e-12, max_rank=8,
                        n_check=2048, rng=None, start=0):
    """Adaptive cross approximation of ``M[r, c, p]`` (module docstring).

    ``row(i) -> (n_c, n_p)``, ``column(j) -> (n_r, n_c)`` (all components at momentum point j),
    ``sample(ri, pj) -> (n, n_c)``; ``scale`` the magnitude the tolerances refer to. Returns
    ``(Factored or None, max verified error)``."""
    rng = rng or np.random.default_rng(0)
    A, B = [], []
    used = set()
    ri = rng.integers(0, n_r, n_check)
    pj = rng.integers(0, n_p, n_check)
    ref = None
    i = int(start)
    pivot_tol = tol * scale
    err = np.inf
    for _ in range(2 * max_rank + 2):
        R = np.asarray(row(i), dtype=float).reshape(-1)
        for a, b in zip(A, B):
            R = R - a[i] * b
        used.add(i)
        j = int(np.argmax(np.abs(R)))
        if abs(R[j]) <= pivot_tol:
            if ref is None:
                ref = np.asarray(sample(ri, pj), dtype=float)  # (n_check, n_c)
            fac = _make(A, B, n_c, n_p)
            approx = np.stack([fac.entries(ri, np.full(n_check, c), pj) for c in range(n_c)], axis=-1)
            diff = np.abs(approx - ref)
            err = float(diff.max()) if diff.size else 0.0
            if err <= tol * scale:
                return fac, err
            i = int(ri[np.unravel_index(np.argmax(diff), diff.shape)[0]])
            if i in used:
                return None, err
            continue
        if len(A) == max_rank:
            return None, err
        c, p = divmod(j, n_p)
        col = np.asarray(column(p), dtype=float)[:, c]
        for a, b in zip(A, B):
            col = col - a * b[j]
        A.append(col / R[j])
        B.append(R)
        cand = np.abs(col)
        cand[list(used)] = -1.0
        i = int(np.argmax(cand))
    return None, err


def _make(A, B, n_c, n_p):
    if not A:
        return Factored(np.zeros((0, 1)), np.zeros((0, n_c, n_p)))
    return Factored(np.array(A), np.array(B).reshape(len(B), n_c, n_p))


def factor_coefficients(frame, terms, grid, t, tol=1e-12, max_rank=8, n_check=2048, seed=0):
    """Cross approximations of the 2d + 1 coefficient matrices (:func:`axis_matrices`) at time t.

    Returns ``(factors, scale, errors)``: a list with a :class:`Factored` or None (rank above
    ``max_rank`` or verification failed) per matrix, the largest coefficient magnitude seen
    (the reference of ``tol``), and the verified maximum error of each."""
    mats = axis_matrices(grid, terms.interband_flux_coefficient)
    ev = _evaluator(frame, terms, t)
    rng = np.random.default_rng(seed)
    # the reference magnitude: one central row and random entries of every matrix
    first, scale = [], 0.0
    for M in mats:
        i0 = M.r.shape[0] // 2
        R = M.extract(ev(M.r[i0], M.p)).T  # (n_c, n_p)
        S = M.extract(ev(M.r[rng.integers(0, M.r.shape[0], 256)], M.p[rng.integers(0, M.p.shape[0], 256)]))
        first.append((i0, R))
        scale = max(scale, float(np.abs(R).max(initial=0.0)), float(np.abs(S).max(initial=0.0)))
    scale = scale if scale > 0 else 1.0
    out, errs = [], []
    for M, (i0, R0) in zip(mats, first):
        def row(i, M=M, i0=i0, R0=R0):
            return R0 if i == i0 else M.extract(ev(M.r[i], M.p)).T

        def column(j, M=M):
            return M.extract(ev(M.r, M.p[j]))

        def sample(ri, pj, M=M):
            return M.extract(ev(M.r[ri], M.p[pj]))

        fac, err = cross_approximation(row, column, sample, M.r.shape[0], len(M.cols), M.p.shape[0], scale,
                                       tol, max_rank, n_check, rng, start=i0)
        out.append(fac)
        errs.append(err)
    return out, scale, errs


def from_compact(arrays, r_shape, p_shape):
    """A :class:`Factored` from compact coefficient arrays (the components, each broadcastable
    to ``r_shape + p_shape``, size 1 along the axes where they do not vary): exactly rank 1
    (``A = 1``, ``B`` the momentum array) when no array varies along a space axis, else the
    full array."""
    ns = len(r_shape)
    full = tuple(r_shape) + tuple(p_shape)
    n_r, n_p = int(np.prod(r_shape)), int(np.prod(p_shape))
    arrays = [np.asarray(x, dtype=np.float64) for x in arrays]
    arrays = [x.reshape((1,) * (len(full) - x.ndim) + x.shape) for x in arrays]
    if all(x.shape[i] == 1 for x in arrays for i in range(ns)):
        B = np.stack([np.ascontiguousarray(np.broadcast_to(x[(0,) * ns], tuple(p_shape))).reshape(-1) for x in arrays])
        return Factored(np.ones((1, n_r)), B[None])
    return Factored.from_full(np.stack([np.broadcast_to(x, full).reshape(n_r, n_p) for x in arrays]))
