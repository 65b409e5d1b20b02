"""Fused single-pass stage kernel for 4D and 6D phase space with r- and p-dependent coefficients.

The same stage as :mod:`.fused4d` -- ``out = alpha n0 + (1 - alpha)(n + dt L(n))`` for both
bands in one sweep: MUSCL faces upwinded by the normal velocity, the interband flux, the cell
sources ``R_s`` (G, K), the stage combination and the ledger (boundary-face fluxes per axis,
side and band; source integrals per band) -- for any ``d = 2, 3`` (x, y, [z], kx, ky, [kz]),
with coefficients that depend on r and p given in factored form (:mod:`.factored`):
``U[c](r, p) = sum_k A_k(r) B_k[c](p)`` per axis (rank 1 with ``A = 1`` when they do not depend
on r, e.g. Weyl3D in a uniform b), or as full arrays where no small rank reproduces them
(a warning states the memory). Every axis may be periodic or bounded (inflow ghosts from
``solver.inflow``): bounded or periodic space, bounded box or Brillouin zone in momentum.

One kernel serves every dimension: the state is viewed as rows ``(2, N_rows, N_last)`` (the
last momentum axis contiguous), the other 2d - 1 axes are "row axes" addressed through strides
and neighbour tables. Rows are visited in lexicographic order inside parallel blocks of the last
space axis (``BLOCK`` planes); each face is computed once: the upper-face flux and slope of
every row axis are carried to the next cell along that axis in a ring buffer of one block
stride (the first cell of a block recomputes its lower face). Coefficient rows are rebuilt per
face from the factors (``K`` multiply-adds per value), so the coefficients never exist at
phase-space size. The reference is the general path; the tests compare to round-off.

Bytes per cell (float64, two bands; docs/kernels_textured.md): the state traffic is that of
fused4d (80 B/cell per SSP-RK2 step); stored coefficients ``8 K (N_r + 3 N_p)`` per axis
instead of ``8 (6d + 2)`` B per cell for full arrays.
"""

from __future__ import annotations

import warnings

import numpy as np
from numba import njit, prange

from .stencil import limiter_fn
from .textured_data import MAX_RANK, cfl_rate, eligible, stage_data

__all__ = ["eligible", "step", "stage_data", "cfl_rate", "BLOCK", "FULL_WARN_BYTES"]

#: planes of the last space axis per parallel block
BLOCK = 4
_OPT = dict(fastmath={"contract", "arcp", "nsz", "reassoc"}, nogil=True)
#: full coefficient arrays above this many bytes are announced with a warning
FULL_WARN_BYTES = 64 << 20


@njit(**_OPT)
def coef(Af, Bf, mp, cidx, comp, rf, pst, length, scr):
    """Upwind split of component ``comp`` of matrix ``cidx`` on one row (space point ``rf``,
    momentum offset ``pst``): offsets ``(P, M)`` into ``Bf`` and ``mult`` with ``max(U, 0) =
    mult Bf[P + i]``, ``min(U, 0) = mult Bf[M + i]``. Rank 1: the stored splits ``max(B, 0),
    min(B, 0)`` (swapped where the factor ``A < 0``), ``mult = A``; full arrays (K < 0): the
    stored splits, ``mult = 1``; rank 0 or > 1: the sum built and split in the scratch rows at
    ``scr`` (a per-block region at the end of ``Bf``). ``mp[cidx] = (offA, offB, K, N_r, N_p, n_c)``.
    Offsets, not views: no reference counting in the row loop."""
    offA, offB, K, nr, npp, nc = mp[cidx, 0], mp[cidx, 1], mp[cidx, 2], mp[cidx, 3], mp[cidx, 4], mp[cidx, 5]
    if K < 0:
        bp = offB + (2 * comp * nr + rf) * npp + pst
        return bp, bp + nr * npp, 1.0
    if K == 1:
        a = Af[offA + rf]
        bp = offB + 2 * comp * npp + pst
        if a >= 0.0:
            return bp, bp + npp, a
        return bp + npp, bp, a
    sp = scr
    sm = scr + length
    for i in range(length):
        Bf[sp + i] = 0.0
    for k in range(K):
        a = Af[offA + k * nr + rf]
        bp = offB + 2 * (k * nc + comp) * npp + pst
        for i in range(length):
            Bf[sp + i] += a * (Bf[bp + i] + Bf[bp + npp + i])
    for i in range(length):
        v = Bf[sp + i]
        Bf[sp + i] = max(v, 0.0)
        Bf[sm + i] = min(v, 0.0)
    return sp, sm, 1.0


@njit(**_OPT)
def _copy_rows(dst, src, offs, k, N3):
    """``dst[k NL : (k+1) NL] = src[offs : offs + NL]`` (ghost rows into a block scratch)."""
    for i in range(N3):
        dst[k * N3 + i] = src[offs + i]


def _make(lim):
    L = limiter_fn(lim)
    H = njit(inline="always")(lambda a, b: 0.5 * L(a, b))  # the half slope of the face states

    @njit(inline="always")
    def face(X, ca, cb, p1a, p1b, p2a, p2b, SF, sa_, sb_, fa_, fb_, Bf, Pa, Ma, Pb, Mb, Pw, Mw, am, cf, gp,
             div, N3):
        """Upper face of a row axis for the row: the cells at offsets ``ca, cb`` of X, their
        upper neighbours ``p1``, ``p2`` (X is the state, or a scratch copy with ghost rows);
        half slopes of p1 (gp = 0: a ghost), the upwind flux ``am (P L + M R + P_w L' + M_w R')``
        (:func:`.stencil.upwind_flux` with split velocities), the divergence update. The carry
        ``SF`` holds at ``sa_, sb_`` the half slopes and at ``fa_, fb_`` the lower-face fluxes of
        the current cells (in) and of the upper neighbours / upper face (out)."""
        for i in range(N3):
            c1 = X[ca + i]
            c2 = X[cb + i]
            q1 = X[p1a + i]
            q2 = X[p1b + i]
            sa = gp * H(q1 - c1, X[p2a + i] - q1)
            sb = gp * H(q2 - c2, X[p2b + i] - q2)
            La = c1 + SF[sa_ + i]
            Lb = c2 + SF[sb_ + i]
            Ra = q1 - sa
            Rb = q2 - sb
            fa = am * (Bf[Pa + i] * La + Bf[Ma + i] * Ra + Bf[Pw + i] * Lb + Bf[Mw + i] * Rb)
            fb = am * (Bf[Pb + i] * Lb + Bf[Mb + i] * Rb + Bf[Pw + i] * La + Bf[Mw + i] * Ra)
            div[i] -= cf * (fa - SF[fa_ + i])
            div[N3 + i] -= cf * (fb - SF[fb_ + i])
            SF[fa_ + i] = fa
            SF[fb_ + i] = fb
            SF[sa_ + i] = sa
            SF[sb_ + i] = sb

    @njit(inline="always")
    def init_face(X, m2a, m2b, m1a, m1b, ca, cb, p1a, p1b, SF, sa_, sb_, fa_, fb_, Bf, Pa, Ma, Pb, Mb, Pw, Mw,
                  am, gm, N3):
        """Flux through the lower face of the current cells and their half slopes (offsets into X)."""
        for i in range(N3):
            u1 = X[m1a + i]
            u2 = X[m1b + i]
            c1 = X[ca + i]
            c2 = X[cb + i]
            La = u1 + gm * H(u1 - X[m2a + i], c1 - u1)
            Lb = u2 + gm * H(u2 - X[m2b + i], c2 - u2)
            sa = H(c1 - u1, X[p1a + i] - c1)
            sb = H(c2 - u2, X[p1b + i] - c2)
            Ra = c1 - sa
            Rb = c2 - sb
            SF[fa_ + i] = am * (Bf[Pa + i] * La + Bf[Ma + i] * Ra + Bf[Pw + i] * Lb + Bf[Mw + i] * Rb)
            SF[fb_ + i] = am * (Bf[Pb + i] * Lb + Bf[Mb + i] * Rb + Bf[Pw + i] * La + Bf[Mw + i] * Ra)
            SF[sa_ + i] = sa
            SF[sb_ + i] = sb

    @njit(**_OPT)
    def block(blk, n, n0, out, NQ, NL, alpha, dt, dims, NR, per, nb, nboff, gstr, bax, bsize, cf, cfoff,
              Af, Bf, scr0, mp, crs, cps, Gf, goff, gband, gtab, sc, vs, vm, vl, acc):
        """One parallel block: the planes ``[lo, hi)`` of the last space axis, every row. The
        state arrays are flat: band b, row q, cell i at ``(b NQ + q) NL + i``."""
        D1 = dims.size
        D = D1 + 1
        BS = NQ * NL
        beta = 1.0 - alpha
        ca_, cb_, cp, cm, ep, em = sc[0], sc[1], sc[2], sc[3], sc[4], sc[5]
        lo = blk * bsize
        hi = min(dims[bax], lo + bsize)
        lstr = np.empty(D1, np.int64)
        coff = np.empty(D1 + 1, np.int64)
        tot = 1
        for a in range(D1 - 1, -1, -1):
            lstr[a] = tot
            tot *= (hi - lo) if a == bax else dims[a]
        coff[0] = 0
        for a in range(D1):
            coff[a + 1] = coff[a] + lstr[a]
        nslot = coff[D1]
        SF = np.empty(4 * nslot * NL)  # per slot: half slopes a, b, fluxes a, b
        scr = scr0 + blk * 6 * (NL + 1)  # coefficient scratch rows in Bf
        X8 = np.empty(8 * NL)  # rows c, p1, p2 (or m2, m1, c, p1) of both bands, with ghosts
        rb = np.empty((2, NL + 4))
        sl = np.empty((2, NL + 2))
        f3 = np.empty((2, NL + 1))
        div = np.empty(2 * NL)
        a_ = np.zeros(4 * D + 2)
        idx = np.zeros(D1, np.int64)
        idx[bax] = lo
        for ql in range(tot):
            q = 0
            for a in range(D1):
                q += idx[a] * gstr[a]
            s = q // NR
            m = q - s * NR
            vrow = vs[s] * vm[m]
            oa = q * NL
            ob = BS + q * NL
            # -- the last momentum axis (contiguous): a row with ghosts, every face once
            rf = 0
            pst = 0
            for b in range(D1):
                rf += idx[b] * crs[D1, b]
                pst += idx[b] * cps[D1, b]
            Pa, Ma, am = coef(Af, Bf, mp, D1, 0, rf, pst, NL + 1, scr)
            Pb, Mb, _ = coef(Af, Bf, mp, D1, 1, rf, pst, NL + 1, scr + 2 * (NL + 1))
            Pw, Mw, _ = coef(Af, Bf, mp, D1, 2, rf, pst, NL + 1, scr + 4 * (NL + 1))
            for i in range(NL):
                rb[0, i + 2] = n[oa + i]
                rb[1, i + 2] = n[ob + i]
            if per[D1]:
                for k in (0, 1, NL + 2, NL + 3):
                    j = (k - 2) % NL
                    rb[0, k] = n[oa + j]
                    rb[1, k] = n[ob + j]
            else:
                g = 0
                for b in range(D1):
                    g += idx[b] * gtab[D1, b]
                for side in range(2):
                    for band in range(2):
                        v = Gf[goff[D1, side] + band * gband[D1] + g]
                        rb[band, side * (NL + 2)] = v
                        rb[band, side * (NL + 2) + 1] = v
            for i in range(NL + 2):
                sl[0, i] = H(rb[0, i + 1] - rb[0, i], rb[0, i + 2] - rb[0, i + 1])
                sl[1, i] = H(rb[1, i + 1] - rb[1, i], rb[1, i + 2] - rb[1, i + 1])
            if not per[D1]:
                sl[0, 0] = 0.0
                sl[1, 0] = 0.0
                sl[0, NL + 1] = 0.0
                sl[1, NL + 1] = 0.0
            for j in range(NL + 1):
                La = rb[0, j + 1] + sl[0, j]
                Ra = rb[0, j + 2] - sl[0, j + 1]
                Lb = rb[1, j + 1] + sl[1, j]
                Rb = rb[1, j + 2] - sl[1, j + 1]
                f3[0, j] = am * (Bf[Pa + j] * La + Bf[Ma + j] * Ra + Bf[Pw + j] * Lb + Bf[Mw + j] * Rb)
                f3[1, j] = am * (Bf[Pb + j] * Lb + Bf[Mb + j] * Rb + Bf[Pw + j] * La + Bf[Mw + j] * Ra)
            o3 = cfoff[D1]
            for i in range(NL):
                div[i] = -cf[o3 + i] * (f3[0, i + 1] - f3[0, i])
                div[NL + i] = -cf[o3 + i] * (f3[1, i + 1] - f3[1, i])
            if not per[D1]:
                w0 = vrow * vl[0] * cf[o3]
                w1 = vrow * vl[NL - 1] * cf[o3 + NL - 1]
                a_[4 * D1] += f3[0, 0] * w0
                a_[4 * D1 + 1] += f3[1, 0] * w0
                a_[4 * D1 + 2] -= f3[0, NL] * w1
                a_[4 * D1 + 3] -= f3[1, NL] * w1
            # -- the row axes: upper face of each (lower face carried, or computed at a start)
            for a in range(D1):
                ia = idx[a]
                slot = coff[a] + ql % lstr[a]
                sa_ = slot * NL
                sb_ = (nslot + slot) * NL
                fa_ = (2 * nslot + slot) * NL
                fb_ = (3 * nslot + slot) * NL
                rf = 0
                pst = 0
                g = 0
                for b in range(D1):
                    rf += idx[b] * crs[a, b]
                    pst += idx[b] * cps[a, b]
                    g += idx[b] * gtab[a, b]
                cfa = cf[cfoff[a] + ia]
                k1 = nb[nboff[a] + ia, 2]
                k2 = nb[nboff[a] + ia, 3]
                if ia == (lo if a == bax else 0):
                    km1 = nb[nboff[a] + ia, 1]
                    km2 = nb[nboff[a] + ia, 0]
                    Pa, Ma, am = coef(Af, Bf, mp, a, 0, rf, pst, NL, scr)
                    Pb, Mb, _ = coef(Af, Bf, mp, a, 1, rf, pst, NL, scr + 2 * (NL + 1))
                    Pw, Mw, _ = coef(Af, Bf, mp, a, 2, rf, pst, NL, scr + 4 * (NL + 1))
                    gm = 1.0 if km1 >= 0 else 0.0
                    if km1 >= 0 and km2 >= 0 and k1 >= 0:
                        d2 = (km2 - ia) * gstr[a] * NL
                        d1 = (km1 - ia) * gstr[a] * NL
                        dp = (k1 - ia) * gstr[a] * NL
                        init_face(n, oa + d2, ob + d2, oa + d1, ob + d1, oa, ob, oa + dp, ob + dp,
                                  SF, sa_, sb_, fa_, fb_, Bf, Pa, Ma, Pb, Mb, Pw, Mw, am, gm, NL)
                    else:  # ghosts: rows m2, m1, c, p1 of both bands (a, b) into X8
                        for k, kk, side in ((0, km2, 0), (1, km1, 0), (2, ia, 0), (3, k1, 1)):
                            if kk >= 0:
                                dd = (kk - ia) * gstr[a] * NL
                                _copy_rows(X8, n, oa + dd, 2 * k, NL)
                                _copy_rows(X8, n, ob + dd, 2 * k + 1, NL)
                            else:
                                o = goff[a, side] + g
                                _copy_rows(X8, Gf, o, 2 * k, NL)
                                _copy_rows(X8, Gf, o + gband[a], 2 * k + 1, NL)
                        init_face(X8, 0, NL, 2 * NL, 3 * NL, 4 * NL, 5 * NL, 6 * NL, 7 * NL,
                                  SF, sa_, sb_, fa_, fb_, Bf, Pa, Ma, Pb, Mb, Pw, Mw, am, gm, NL)
                    if km1 < 0:
                        sa = 0.0
                        sb = 0.0
                        for i in range(NL):
                            sa += SF[fa_ + i] * vl[i]
                            sb += SF[fb_ + i] * vl[i]
                        a_[4 * a] += sa * vrow * cfa
                        a_[4 * a + 1] += sb * vrow * cfa
                rf += crs[a, a]
                pst += cps[a, a]
                Pa, Ma, am = coef(Af, Bf, mp, a, 0, rf, pst, NL, scr)
                Pb, Mb, _ = coef(Af, Bf, mp, a, 1, rf, pst, NL, scr + 2 * (NL + 1))
                Pw, Mw, _ = coef(Af, Bf, mp, a, 2, rf, pst, NL, scr + 4 * (NL + 1))
                gp = 1.0 if k1 >= 0 else 0.0
                if k1 >= 0 and k2 >= 0:
                    d1 = (k1 - ia) * gstr[a] * NL
                    d2 = (k2 - ia) * gstr[a] * NL
                    face(n, oa, ob, oa + d1, ob + d1, oa + d2, ob + d2, SF, sa_, sb_, fa_, fb_,
                         Bf, Pa, Ma, Pb, Mb, Pw, Mw, am, cfa, gp, div, NL)
                else:  # ghosts: rows c, p1, p2 of both bands (a, b) into X8
                    _copy_rows(X8, n, oa, 0, NL)
                    _copy_rows(X8, n, ob, 1, NL)
                    for k, kk in ((1, k1), (2, k2)):
                        if kk >= 0:
                            dd = (kk - ia) * gstr[a] * NL
                            _copy_rows(X8, n, oa + dd, 2 * k, NL)
                            _copy_rows(X8, n, ob + dd, 2 * k + 1, NL)
                        else:
                            o = goff[a, 1] + g
                            _copy_rows(X8, Gf, o, 2 * k, NL)
                            _copy_rows(X8, Gf, o + gband[a], 2 * k + 1, NL)
                    face(X8, 0, NL, 2 * NL, 3 * NL, 4 * NL, 5 * NL, SF, sa_, sb_, fa_, fb_,
                         Bf, Pa, Ma, Pb, Mb, Pw, Mw, am, cfa, gp, div, NL)
                if k1 < 0:
                    sa = 0.0
                    sb = 0.0
                    for i in range(NL):
                        sa += SF[fa_ + i] * vl[i]
                        sb += SF[fb_ + i] * vl[i]
                    a_[4 * a + 2] -= sa * vrow * cfa
                    a_[4 * a + 3] -= sb * vrow * cfa
            # -- cell sources and the stage combination
            rf = 0
            pst = 0
            for b in range(D1):
                rf += idx[b] * crs[D, b]
                pst += idx[b] * cps[D, b]
            gP, gM, ag = coef(Af, Bf, mp, D, 0, rf, pst, NL, scr)
            kP, kM, _ = coef(Af, Bf, mp, D, 1, rf, pst, NL, scr + 2 * (NL + 1))
            sa = 0.0
            sb = 0.0
            for i in range(NL):
                na = n[oa + i]
                nb_ = n[ob + i]
                tot_ = na + nb_
                gi = ag * (Bf[gP + i] + Bf[gM + i])
                ki = ag * (Bf[kP + i] + Bf[kM + i])
                ra = (ca_ * na + cb_ * nb_) * gi + (cp * tot_) * ki + (ep * na) * ki
                rr = (ca_ * nb_ + cb_ * na) * gi + (cm * tot_) * ki + (em * nb_) * ki
                sa += ra * vl[i]
                sb += rr * vl[i]
                out[oa + i] = alpha * n0[oa + i] + beta * (na + dt * (div[i] + ra))
                out[ob + i] = alpha * n0[ob + i] + beta * (nb_ + dt * (div[NL + i] + rr))
            a_[4 * D] += sa * vrow
            a_[4 * D + 1] += sb * vrow
            # -- next row (odometer over the block)
            for a in range(D1 - 1, -1, -1):
                idx[a] += 1
                if idx[a] < (hi if a == bax else dims[a]):
                    break
                idx[a] = lo if a == bax else 0
        for k in range(4 * D + 2):
            acc[blk, k] = a_[k]

    @njit(parallel=True)
    def stage(n, n0, out, NQ, NL, alpha, dt, dims, NR, per, nb, nboff, gstr, bax, bsize, cf, cfoff,
              Af, Bf, scr0, mp, crs, cps, Gf, goff, gband, gtab, sc, vs, vm, vl, acc):
        nblk = (dims[bax] + bsize - 1) // bsize
        for blk in prange(nblk):
            block(blk, n, n0, out, NQ, NL, alpha, dt, dims, NR, per, nb, nboff, gstr, bax, bsize, cf, cfoff,
                  Af, Bf, scr0, mp, crs, cps, Gf, goff, gband, gtab, sc, vs, vm, vl, acc)

    return stage


_cache = {}


def fused_stage(lim):
    """The compiled stage kernel for limiter code ``lim`` (compiled on first use)."""
    if lim not in _cache:
        _cache[lim] = _make(int(lim))
    return _cache[lim]


def run_stage(solver, data, u, n0, out, alpha, dt):
    """One fused stage; returns ``(inflow (n_groups, 2), sources (2, 2))`` rates of ``u``."""
    lay = data["layout"]
    nblk = -(-lay["dims"][lay["bax"]] // lay["bsize"])
    D = solver.grid.ndim
    acc = np.zeros((nblk, 4 * D + 2))
    NL = u.shape[-1]
    fused_stage(int(solver.scheme.limiter))(
        u.reshape(-1), n0.reshape(-1), out.reshape(-1), u[0].size // NL, NL, float(alpha), float(dt),
        lay["dims"], lay["NR"], lay["per"], lay["nb"], lay["nboff"], lay["gstr"], lay["bax"], lay["bsize"],
        lay["cf"], lay["cfoff"], data["Af"], data["Bf"], data["scr0"], data["mp"], lay["crs"], lay["cps"],
        data["Gf"], data["goff"], data["gband"], data["gtab"], data["sc"], lay["vs"], lay["vm"], lay["vl"], acc)
    tot = acc.sum(axis=0) * solver.grid.measure
    inflow = np.zeros((len(solver.groups), 2))
    for (a, side), g in solver._group_of.items():
        inflow[g] = tot[4 * a + 2 * side : 4 * a + 2 * side + 2]
    return inflow, np.array([tot[4 * D : 4 * D + 2], [0.0, 0.0]])


def step(solver, n, t, dt, rk, work=None):
    """A full SSP-RK step through the fused kernel (``work``: optional two state-sized buffers)."""
    if work is None:
        work = [np.empty_like(n), np.empty_like(n)]
    A, B = work
    inflow = np.zeros((len(solver.groups), 2))
    sources = np.zeros((2, 2))
    u, bufs = n, [A, B, A]
    for k, (alpha, c, b) in enumerate(zip(rk["alpha"], rk["c"], rk["b"])):
        data = stage_data(solver, t + c * dt)
        out = bufs[k]
        fin, src = run_stage(solver, data, u, n, out, alpha, dt)
        inflow += dt * b * fin
        sources += dt * b * src
        u = out
    return u, inflow, sources


def _warn_full(what, nbytes, cells):
    from ..errors import PerformanceWarning

    warnings.warn(f"fused textured kernel: the coefficients of {what} have no separable form of rank <= "
                  f"{MAX_RANK} (1e-12); stored as full arrays: {nbytes / 2**20:.1f} MiB "
                  f"({nbytes / max(1, cells):.0f} B per cell)", PerformanceWarning, stacklevel=4)
