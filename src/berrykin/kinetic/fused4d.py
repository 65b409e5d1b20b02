"""Fused single-pass stage kernel for 4D phase space (x, y, kx, ky) (Numba; the fast path).

One Runge-Kutta stage ``out = alpha n0 + (1 - alpha) (n + dt L(n))`` of both bands in one
sweep over the state: the flux divergences of all four axes (MUSCL, upwinded by the face
normal velocity, interband flux included), the cell sources ``R_s`` and the stage
combination, with the boundary-face fluxes and source integrals reduced on the fly for the
ledger. It applies when the space axes are uniform and periodic, the momentum grid is a
bounded Cartesian box and the coefficients do not depend on r (so every coefficient array is
at most 2D: ``U_x, U_y`` of shape (2, Nkx, Nky), ``U_kx`` (2, Nkx+1, Nky), ...). The
reference is the general path (:func:`.reference.axis_flux` per axis plus
:func:`.reference.cell_sources`); the tests compare the two.

Loop order: parallel over blocks of y rows; inside, x (periodic, so the x neighbours of a block
are reused from cache), y, kx, and the contiguous ky row, which is vectorised.

Storage: float64, or float32 with ``Scheme(precision=Precision.FLOAT32)`` (the same kernel
compiled for float32 state arrays: loads widened to float64, face arithmetic, sources and the
ledger sums in float64, the result rounded once to float32 on store). :data:`FLOPS_VAN_LEER`
counts its arithmetic for the roofline of benchmarks/kinetic.py (docs/kernels.md: method,
figures, and the measured alternatives that were not faster).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .stencil import limiter_fn, upwind_flux

__all__ = ["fused_stage", "BLOCK", "FLOPS_VAN_LEER"]

#: rows of y per parallel block (the x-neighbour working set is 5 BLOCK N_kx N_ky 16 bytes)
BLOCK = 8


def _make(lim):
    L = limiter_fn(lim)
    flux = upwind_flux

    @njit(inline="always")
    def face(ca, cb, p1a, p1b, p2a, p2b, Sa, Sb, Fa, Fb, ua, ub, w, cf, gp, div_a, div_b, N3):
        """Upper face of one axis for a whole ky row: new slopes of the upper neighbour (times
        gp: 0 for a ghost), face flux, divergence update; the lower face flux Fa, Fb and the
        slopes Sa, Sb of the current cells come in from the previous row and are replaced."""
        for i in range(N3):
            sa = gp * L(p1a[i] - ca[i], p2a[i] - p1a[i])
            sb = gp * L(p1b[i] - cb[i], p2b[i] - p1b[i])
            La = ca[i] + 0.5 * Sa[i]
            Lb = cb[i] + 0.5 * Sb[i]
            Ra = p1a[i] - 0.5 * sa
            Rb = p1b[i] - 0.5 * sb
            fa = flux(ua[i], w[i], La, Ra, Lb, Rb)
            fb = flux(ub[i], w[i], Lb, Rb, La, Ra)
            div_a[i] -= cf * (fa - Fa[i])
            div_b[i] -= cf * (fb - Fb[i])
            Fa[i] = fa
            Fb[i] = fb
            Sa[i] = sa
            Sb[i] = sb

    @njit(inline="always")
    def init_face(m2a, m2b, m1a, m1b, ca, cb, p1a, p1b, ua, ub, w, gm, Sa, Sb, Fa, Fb, N3):
        """Flux Fa, Fb through the face between cells m1 and c, and the slopes Sa, Sb of c."""
        for i in range(N3):
            sma = gm * L(m1a[i] - m2a[i], ca[i] - m1a[i])
            smb = gm * L(m1b[i] - m2b[i], cb[i] - m1b[i])
            sa = L(ca[i] - m1a[i], p1a[i] - ca[i])
            sb = L(cb[i] - m1b[i], p1b[i] - cb[i])
            La = m1a[i] + 0.5 * sma
            Lb = m1b[i] + 0.5 * smb
            Ra = ca[i] - 0.5 * sa
            Rb = cb[i] - 0.5 * sb
            Fa[i] = flux(ua[i], w[i], La, Ra, Lb, Rb)
            Fb[i] = flux(ub[i], w[i], Lb, Rb, La, Ra)
            Sa[i] = sa
            Sb[i] = sb

    @njit(inline="always")
    def ky_row(c_a, c_b, lo_a, lo_b, hi_a, hi_b, Ua, Ub, W, cf3, rb, sl, f3, da, db, N3):
        """ky faces of one row (inflow ghosts lo, hi with zero slope): fluxes f3 (2, N3+1) and
        the divergence ``da, db = -cf3 (f3[j+1] - f3[j])``."""
        for s in range(2):
            rb[s, 0] = lo_a if s == 0 else lo_b
            rb[s, 1] = rb[s, 0]
            rb[s, N3 + 2] = hi_a if s == 0 else hi_b
            rb[s, N3 + 3] = rb[s, N3 + 2]
        for i in range(N3):
            rb[0, i + 2] = c_a[i]
            rb[1, i + 2] = c_b[i]
        for i in range(N3 + 2):
            sl[0, i] = L(rb[0, i + 1] - rb[0, i], rb[0, i + 2] - rb[0, i + 1])
            sl[1, i] = L(rb[1, i + 1] - rb[1, i], rb[1, i + 2] - rb[1, i + 1])
        sl[0, 0] = 0.0
        sl[1, 0] = 0.0
        sl[0, N3 + 1] = 0.0
        sl[1, N3 + 1] = 0.0
        for j in range(N3 + 1):
            La = rb[0, j + 1] + 0.5 * sl[0, j]
            Ra = rb[0, j + 2] - 0.5 * sl[0, j + 1]
            Lb = rb[1, j + 1] + 0.5 * sl[1, j]
            Rb = rb[1, j + 2] - 0.5 * sl[1, j + 1]
            f3[0, j] = flux(Ua[j], W[j], La, Ra, Lb, Rb)
            f3[1, j] = flux(Ub[j], W[j], Lb, Rb, La, Ra)
        for i in range(N3):
            da[i] = -cf3[i] * (f3[0, i + 1] - f3[0, i])
            db[i] = -cf3[i] * (f3[1, i + 1] - f3[1, i])

    @njit(inline="always")
    def src_row(c_a, c_b, z_a, z_b, o_a, o_b, g_, k_, v_, da, db, sc, alpha, beta, dt, N3):
        """Cell sources R_s (options.SKETerms.source_coefficients) and the stage combination
        of one row; returns the two source integrals (float64 accumulation)."""
        ca_, cb_, cp, cm, ep, em = sc[0], sc[1], sc[2], sc[3], sc[4], sc[5]
        sa = 0.0
        sb = 0.0
        for i in range(N3):
            na = np.float64(c_a[i])
            nb = np.float64(c_b[i])
            tot = na + nb
            ra = (ca_ * na + cb_ * nb) * g_[i] + (cp * tot) * k_[i] + (ep * na) * k_[i]
            rr = (ca_ * nb + cb_ * na) * g_[i] + (cm * tot) * k_[i] + (em * nb) * k_[i]
            sa += ra * v_[i]
            sb += rr * v_[i]
            o_a[i] = alpha * z_a[i] + beta * (na + dt * (da[i] + ra))
            o_b[i] = alpha * z_b[i] + beta * (nb + dt * (db[i] + rr))
        return sa, sb

    @njit(parallel=True, fastmath={"contract", "arcp", "nsz", "reassoc"})
    def stage(n, n0, out, alpha, dt, U0, W0, U1, W1, U2, W2, U3, W3, cf0, cf1, cf2, cf3,
              G, K, sc, b2lo, b2hi, b3lo, b3hi, w2b, w3b, vol, acc):
        _, N0, N1, N2, N3 = n.shape
        nblk = (N1 + BLOCK - 1) // BLOCK
        beta = 1.0 - alpha
        for blk in prange(nblk):
            j_lo = blk * BLOCK
            j_hi = min(N1, j_lo + BLOCK)
            S0 = np.empty((2, BLOCK, N2, N3))
            F0 = np.empty((2, BLOCK, N2, N3))
            S1 = np.empty((2, N2, N3))
            F1 = np.empty((2, N2, N3))
            S2 = np.empty((2, N3))
            F2 = np.empty((2, N3))
            rb = np.empty((2, N3 + 4))
            sl = np.empty((2, N3 + 2))
            f3 = np.empty((2, N3 + 1))
            div = np.empty((2, N3))
            a_ = np.zeros(12)
            # x faces at i0 = -1/2 and the slopes of the cells i0 = 0, for the block
            for i1 in range(j_lo, j_hi):
                for i2 in range(N2):
                    init_face(n[0, N0 - 2, i1, i2], n[1, N0 - 2, i1, i2], n[0, N0 - 1, i1, i2], n[1, N0 - 1, i1, i2],
                              n[0, 0, i1, i2], n[1, 0, i1, i2], n[0, 1 % N0, i1, i2], n[1, 1 % N0, i1, i2],
                              U0[0, i2], U0[1, i2], W0[i2], 1.0,
                              S0[0, i1 - j_lo, i2], S0[1, i1 - j_lo, i2], F0[0, i1 - j_lo, i2], F0[1, i1 - j_lo, i2], N3)
            for i0 in range(N0):
                x1 = (i0 + 1) % N0
                x2 = (i0 + 2) % N0
                # y faces at i1 = j_lo - 1/2 for this x plane
                for i2 in range(N2):
                    y2, y1, yp = (j_lo - 2) % N1, (j_lo - 1) % N1, (j_lo + 1) % N1
                    init_face(n[0, i0, y2, i2], n[1, i0, y2, i2], n[0, i0, y1, i2], n[1, i0, y1, i2],
                              n[0, i0, j_lo, i2], n[1, i0, j_lo, i2], n[0, i0, yp, i2], n[1, i0, yp, i2],
                              U1[0, i2], U1[1, i2], W1[i2], 1.0, S1[0, i2], S1[1, i2], F1[0, i2], F1[1, i2], N3)
                for i1 in range(j_lo, j_hi):
                    q1 = (i1 + 1) % N1
                    q2 = (i1 + 2) % N1
                    # kx boundary face -1/2: ghost value b2lo (no slope), inner cell 0
                    init_face(b2lo[0], b2lo[1], b2lo[0], b2lo[1], n[0, i0, i1, 0], n[1, i0, i1, 0],
                              n[0, i0, i1, 1], n[1, i0, i1, 1], U2[0, 0], U2[1, 0], W2[0], 0.0,
                              S2[0], S2[1], F2[0], F2[1], N3)
                    for i in range(N3):
                        a_[0] += F2[0, i] * w2b[i]
                        a_[1] += F2[1, i] * w2b[i]
                    for i2 in range(N2):
                        c_a = n[0, i0, i1, i2]
                        c_b = n[1, i0, i1, i2]
                        da = div[0]
                        db = div[1]
                        # -- ky (contiguous): a row with ghosts, slopes, every face once
                        ky_row(c_a, c_b, b3lo[0, i2], b3lo[1, i2], b3hi[0, i2], b3hi[1, i2],
                               U3[0, i2], U3[1, i2], W3[i2], cf3, rb, sl, f3, da, db, N3)
                        a_[6] += f3[0, 0] * w3b[i2]
                        a_[7] += f3[1, 0] * w3b[i2]
                        a_[8] -= f3[0, N3] * w3b[i2]
                        a_[9] -= f3[1, N3] * w3b[i2]
                        # -- x, y (periodic) and kx (bounded): the upper face of each axis
                        li = i1 - j_lo
                        face(c_a, c_b, n[0, x1, i1, i2], n[1, x1, i1, i2], n[0, x2, i1, i2], n[1, x2, i1, i2],
                             S0[0, li, i2], S0[1, li, i2], F0[0, li, i2], F0[1, li, i2],
                             U0[0, i2], U0[1, i2], W0[i2], cf0, 1.0, da, db, N3)
                        face(c_a, c_b, n[0, i0, q1, i2], n[1, i0, q1, i2], n[0, i0, q2, i2], n[1, i0, q2, i2],
                             S1[0, i2], S1[1, i2], F1[0, i2], F1[1, i2],
                             U1[0, i2], U1[1, i2], W1[i2], cf1, 1.0, da, db, N3)
                        if i2 + 2 < N2:
                            face(c_a, c_b, n[0, i0, i1, i2 + 1], n[1, i0, i1, i2 + 1], n[0, i0, i1, i2 + 2],
                                 n[1, i0, i1, i2 + 2], S2[0], S2[1], F2[0], F2[1],
                                 U2[0, i2 + 1], U2[1, i2 + 1], W2[i2 + 1], cf2[i2], 1.0, da, db, N3)
                        elif i2 + 1 < N2:
                            face(c_a, c_b, n[0, i0, i1, i2 + 1], n[1, i0, i1, i2 + 1], b2hi[0], b2hi[1],
                                 S2[0], S2[1], F2[0], F2[1],
                                 U2[0, i2 + 1], U2[1, i2 + 1], W2[i2 + 1], cf2[i2], 1.0, da, db, N3)
                        else:  # upper boundary face: ghost b2hi, zero ghost slope
                            face(c_a, c_b, b2hi[0], b2hi[1], b2hi[0], b2hi[1],
                                 S2[0], S2[1], F2[0], F2[1],
                                 U2[0, N2], U2[1, N2], W2[N2], cf2[i2], 0.0, da, db, N3)
                            for i in range(N3):
                                a_[2] -= F2[0, i] * w2b[i]
                                a_[3] -= F2[1, i] * w2b[i]
                        # -- cell sources and the stage combination
                        o_a = out[0, i0, i1, i2]
                        o_b = out[1, i0, i1, i2]
                        z_a = n0[0, i0, i1, i2]
                        z_b = n0[1, i0, i1, i2]
                        sa, sb = src_row(c_a, c_b, z_a, z_b, o_a, o_b, G[i2], K[i2], vol[i2], da, db, sc,
                                         alpha, beta, dt, N3)
                        a_[10] += sa
                        a_[11] += sb
            for q in range(12):
                acc[blk, q] = a_[q]

    return stage


_cache = {}


def fused_stage(lim):
    """The compiled stage kernel for limiter code ``lim`` (compiled on first use)."""
    if lim not in _cache:
        _cache[lim] = _make(int(lim))
    return _cache[lim]


#: floating-point operations per cell and stage, both bands, van Leer, counted from the code
#: of ``face``, ``ky_row`` and ``src_row`` (4 faces per cell: the upper x, y, kx faces and one
#: ky face; docs/kernels.md): part -> (flops: add, sub, mul, div, an FMA counted as 2;
#: other FP ops: max, min, abs, compare, select; divisions among the flops).
FLOPS_VAN_LEER = {
    "slopes (8: 2 differences, a b, a + b, t + |t|, division)": (8 * 6, 8 * 3, 8),
    "reconstruction (4 faces x 4 states n +- s/2)": (4 * 8, 0, 0),
    "upwind flux (4 faces x 2 bands: 4 products + 3 sums; max/min split)": (4 * 14, 4 * 8, 0),
    "divergence (3 faces x 2 bands x 3, ky 2 bands x 2)": (3 * 6 + 4, 0, 0),
    "sources R_s (2 bands, n_+ + n_- shared)": (21, 0, 0),
    "stage combination (2 x 6) + ledger source sums (2 x 2)": (16, 0, 0),
}


def n_blocks(n1):
    return (n1 + BLOCK - 1) // BLOCK


# --------------------------------------------------------------------------- driver
def eligible(solver):
    """Whether ``solver`` can use the fused 4D kernel (see the module docstring)."""
    from .grids import CartesianMomentumGrid, PhaseSpaceGrid

    g = solver.grid
    if not isinstance(g, PhaseSpaceGrid) or g.n_space != 2 or solver.scheme.backend != "numba":
        return False
    if not isinstance(g.momentum, CartesianMomentumGrid) or any(ax.periodic for ax in g.momentum.axes):
        return False
    if min(g.shape) < 3:
        return False
    for ax in g.space.axes:
        if not ax.periodic or not np.allclose(ax.widths, ax.widths[0], rtol=1e-14, atol=0):
            return False
    return bool(solver._uniform)


def _stage_data(solver, t):
    """Coefficient arrays (at most 2D) for the stage kernel at time t (cached when the
    coefficients are static and there is no inflow or a time-independent one)."""
    static = solver._time_dependent is False and not getattr(solver.inflow, "time_dependent", solver.inflow is not None)
    cache = solver.__dict__.setdefault("_fused_data", {})
    if static and "static" in cache:
        return cache["static"]
    data = _compute_stage_data(solver, t)
    if static:
        cache["static"] = data
    return data


def _compute_stage_data(solver, t):
    g = solver.grid
    N2, N3 = g.momentum.shape
    co = solver.coefficients_at(t)
    (U0, W0), (U1, W1), (U2, W2), (U3, W3) = co.axes
    c = lambda a, shape: np.ascontiguousarray(np.broadcast_to(a, shape))  # noqa: E731
    a_, b_, c_, e_ = solver._coeffs
    mg, d = g.momentum, g.dim
    centre = np.array([0.5 * (ax.edges[0] + ax.edges[-1]) for ax in g.space.axes])
    bcs = []
    for am in range(2):
        for side in (0, -1):
            if solver.inflow is None:
                bcs.append(np.zeros((2, mg.shape[1 - am])))
            else:
                p = np.take(mg.face_points(am), side, axis=am)
                bcs.append(c(solver.inflow(centre.reshape(1, d), p, t), (2, mg.shape[1 - am])))
    vs = float(np.prod([ax.widths[0] for ax in g.space.axes]))  # uniform space cells
    vk = g.momentum.volumes()
    tk = [np.broadcast_to(g.momentum.transverse(a), (N2, N3)) for a in range(2)]
    return dict(
        U0=c(U0.reshape(2, N2, N3), (2, N2, N3)), W0=c(W0.reshape(N2, N3), (N2, N3)),
        U1=c(U1.reshape(2, N2, N3), (2, N2, N3)), W1=c(W1.reshape(N2, N3), (N2, N3)),
        U2=c(U2.reshape(2, N2 + 1, N3), (2, N2 + 1, N3)), W2=c(W2.reshape(N2 + 1, N3), (N2 + 1, N3)),
        U3=c(U3.reshape(2, N2, N3 + 1), (2, N2, N3 + 1)), W3=c(W3.reshape(N2, N3 + 1), (N2, N3 + 1)),
        cf0=float(np.ravel(g.cell_factor(0))[0]), cf1=float(np.ravel(g.cell_factor(1))[0]),
        cf2=c(np.ravel(g.cell_factor(2)), (N2,)), cf3=c(np.ravel(g.cell_factor(3)), (N3,)),
        G=c(np.reshape(co.G, np.shape(co.G)[-2:]), (N2, N3)), K=c(np.reshape(co.K, np.shape(co.K)[-2:]), (N2, N3)),
        sc=np.array([a_, b_, c_[0], c_[1], e_[0], e_[1]], dtype=float),
        b2lo=bcs[0], b2hi=bcs[1], b3lo=bcs[2], b3hi=bcs[3],
        w2b=c(vs * tk[0][0, :], (N3,)), w3b=c(vs * tk[1][:, 0], (N2,)), vol=c(vs * vk, (N2, N3)),
    )


_ORDER = ("U0", "W0", "U1", "W1", "U2", "W2", "U3", "W3", "cf0", "cf1", "cf2", "cf3", "G", "K", "sc",
          "b2lo", "b2hi", "b3lo", "b3hi", "w2b", "w3b", "vol")


def run_stage(solver, data, u, n0, out, alpha, dt):
    """One fused stage; returns ``(inflow (n_groups, 2), sources (2, 2))`` rates of ``u``."""
    acc = np.zeros((n_blocks(u.shape[2]), 12))
    fused_stage(int(solver.scheme.limiter))(u, n0, out, float(alpha), float(dt),
                                            *[data[k] for k in _ORDER], acc)
    tot = acc.sum(axis=0) * solver.grid.measure
    inflow = np.zeros((len(solver.groups), 2))
    for (a, side), lo in (((2, 0), 0), ((2, 1), 2), ((3, 0), 6), ((3, 1), 8)):
        if (a, side) in solver._group_of:
            inflow[solver._group_of[(a, side)]] = tot[lo : lo + 2]
    return inflow, np.array([tot[10:12], [0.0, 0.0]])


#: this fast path accepts ``Scheme(precision=Precision.FLOAT32)`` (see :func:`step`)
FLOAT32_STORAGE = True


def step(solver, n, t, dt, rk, work=None):
    """A full SSP-RK step through the fused kernel. ``work``: optional list of two state-sized
    buffers (reused; the result is written into one of them). With
    ``Scheme(precision=Precision.FLOAT32)`` the state is stored in float32 (a float64 input is
    converted once; the result is float32); the kernel then reads and writes float32 and does
    its face arithmetic, sources and ledger sums in float64 (docs/kernels.md)."""
    dtype = np.float32 if int(getattr(solver.scheme, "precision", 64)) == 32 else np.float64
    if n.dtype != dtype:
        n = np.ascontiguousarray(n, dtype=dtype)
    if work is None or any(w.dtype != dtype or w.shape != n.shape for w in work):
        work = [np.empty_like(n), np.empty_like(n)]
    A, B = work
    inflow = np.zeros((len(solver.groups), 2))
    sources = np.zeros((2, 2))
    u, bufs = n, [A, B, A]
    for k, (alpha, c, b) in enumerate(zip(rk["alpha"], rk["c"], rk["b"])):
        data = _stage_data(solver, t + c * dt)
        out = bufs[k]
        fin, src = run_stage(solver, data, u, n, out, alpha, dt)
        inflow += dt * b * fin
        sources += dt * b * src
        u = out
    return u, inflow, sources
