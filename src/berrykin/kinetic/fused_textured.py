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
phase-space size. The row loop is compiled without reference counting (its work arrays
come from the caller) and carries the flat row offsets along the odometer (docs/kernels_textured.md,
"Performance"). The reference is the general path; the tests compare to round-off.

Bytes per cell (float64, two bands; docs/kernels_textured.md): the state traffic is that of
fused4d (80 B/cell per SSP-RK2 step); stored coefficients ``8 K (N_r + 3 N_p)`` per axis
instead of ``8 (6d + 2)`` B per cell for full arrays.
"""

from __future__ import annotations

import warnings

import numpy as np
from numba import njit, prange

from .stencil import limiter_fn, upwind_flux
from .textured_data import MAX_RANK, cfl_rate, eligible, stage_data

__all__ = ["eligible", "step", "stage_data", "cfl_rate", "BLOCK", "FULL_WARN_BYTES"]

#: planes of the last space axis per parallel block
BLOCK = 4
_OPT = dict(fastmath={"contract", "arcp", "nsz", "reassoc"}, nogil=True)
#: full coefficient arrays above this many bytes are announced with a warning
FULL_WARN_BYTES = 64 << 20


@njit(inline="always")
def coef(Af, Bf, mp, cidx, comp, rf, pst, length, scratch):
    """Row of component ``comp`` of matrix ``cidx`` at space point ``rf``, momentum offset
    ``pst``, as ``(row, multiplier)``: a view of B and the factor A (rank 1), a view of the
    full array (K < 0), or built in ``scratch`` (rank 0 or > 1).
    ``mp[cidx] = (offA, offB, K, N_r, N_p, n_c)``."""
    offA, offB, K, nr, npp, nc = mp[cidx, 0], mp[cidx, 1], mp[cidx, 2], mp[cidx, 3], mp[cidx, 4], mp[cidx, 5]
    if K < 0:
        base = offB + (comp * nr + rf) * npp + pst
        return Bf[base : base + length], 1.0
    base = offB + comp * npp + pst
    if K == 1:
        return Bf[base : base + length], Af[offA + rf]
    for i in range(length):
        scratch[i] = 0.0
    for k in range(K):
        a = Af[offA + k * nr + rf]
        base = offB + (k * nc + comp) * npp + pst
        for i in range(length):
            scratch[i] += a * Bf[base + i]
    return scratch[:length], 1.0


@njit(inline="always")
def block_strides(dims, bax, lo, hi, lstr, coff):
    """Row strides ``lstr`` of the row axes inside the block ``[lo, hi)`` of axis ``bax`` and the
    ring-buffer offsets ``coff`` (one slot per stride); returns the ring-buffer rows ``coff[-1]``."""
    D1 = dims.size
    tot = 1
    for a in range(D1 - 1, -1, -1):
        lstr[a] = tot
        tot *= (hi - lo) if a == bax else dims[a]
    coff[0] = 0
    for a in range(D1):
        coff[a + 1] = coff[a] + lstr[a]
    return coff[D1]


def _make(lim):
    L = limiter_fn(lim)
    flux = upwind_flux

    @njit(inline="always")
    def face(ca, cb, p1a, p1b, p2a, p2b, Sa, Sb, Fa, Fb, ua, ub, w, am, cf, gp, div_a, div_b, N3):
        """Upper face of a row axis (as :mod:`.fused4d`, velocities ``am * (ua, ub, w)``): slopes of
        the upper neighbour (gp = 0: a ghost), face flux, divergence; Fa, Fb, Sa, Sb carry the
        lower face flux and the slopes of the current cells in and the upper ones out."""
        for i in range(N3):
            sa = gp * L(p1a[i] - ca[i], p2a[i] - p1a[i])
            sb = gp * L(p1b[i] - cb[i], p2b[i] - p1b[i])
            La = ca[i] + 0.5 * Sa[i]
            Lb = cb[i] + 0.5 * Sb[i]
            Ra = p1a[i] - 0.5 * sa
            Rb = p1b[i] - 0.5 * sb
            wi = am * w[i]
            fa = flux(am * ua[i], wi, La, Ra, Lb, Rb)
            fb = flux(am * ub[i], wi, Lb, Rb, La, Ra)
            div_a[i] -= cf * (fa - Fa[i])
            div_b[i] -= cf * (fb - Fb[i])
            Fa[i] = fa
            Fb[i] = fb
            Sa[i] = sa
            Sb[i] = sb

    @njit(inline="always")
    def init_face(m2a, m2b, m1a, m1b, ca, cb, p1a, p1b, ua, ub, w, am, gm, Sa, Sb, Fa, Fb, N3):
        """Flux through the lower face of the current cells and their slopes."""
        for i in range(N3):
            sma = gm * L(m1a[i] - m2a[i], ca[i] - m1a[i])
            smb = gm * L(m1b[i] - m2b[i], cb[i] - m1b[i])
            sa = L(ca[i] - m1a[i], p1a[i] - ca[i])
            sb = L(cb[i] - m1b[i], p1b[i] - cb[i])
            wi = am * w[i]
            Fa[i] = flux(am * ua[i], wi, m1a[i] + 0.5 * sma, ca[i] - 0.5 * sa, m1b[i] + 0.5 * smb, cb[i] - 0.5 * sb)
            Fb[i] = flux(am * ub[i], wi, m1b[i] + 0.5 * smb, cb[i] - 0.5 * sb, m1a[i] + 0.5 * sma, ca[i] - 0.5 * sa)
            Sa[i] = sa
            Sb[i] = sb

    @njit(_nrt=False, **_OPT)
    def block(blk, n, n0, out, alpha, dt, dims, NR, per, nb, nboff, gstr, bax, bsize, cf, cfoff,
              Af, Bf, mp, crs, cps, Gf, goff, gband, gtab, sc, vs, vm, vl, acc,
              S, F, u, gk, rb, sl, f3, div, a_, idx, lstr, coff, rv, pv, gv, rs):
        """One parallel block: the planes ``[lo, hi)`` of the last space axis, every row, with the
        work arrays of :func:`stage` and the block's row strides ``lstr`` and ring-buffer offsets
        ``coff`` (:func:`block_strides`); compiled without reference counting: no allocation here,
        and the row views cost no atomic increments."""
        _, NQ, NL = n.shape
        D1 = dims.size
        D = D1 + 1
        beta = 1.0 - alpha
        ca_, cb_, cp, cm, ep, em = sc[0], sc[1], sc[2], sc[3], sc[4], sc[5]
        lo = blk * bsize
        hi = min(dims[bax], lo + bsize)
        tot = lstr[0] * ((hi - lo) if bax == 0 else dims[0])  # rows of the block
        for k in range(4 * D + 2):
            a_[k] = 0.0
        for a in range(D1):
            idx[a] = 0
        idx[bax] = lo
        da = div[0]
        db = div[1]
        # flat offsets of the current row, updated by the odometer: state row q, space point rv[c]
        # and momentum offset pv[c] of coefficient matrix c (D1 + 2 of them), ghost offset gv[a],
        # ring-buffer slot rs[a] = ql mod lstr[a]
        q = lo * gstr[bax]
        for c in range(D + 1):
            rv[c] = lo * crs[c, bax]
            pv[c] = lo * cps[c, bax]
        for c in range(D):
            gv[c] = lo * gtab[c, bax]
        for a in range(D1):
            rs[a] = 0
        for ql in range(tot):
            s = q // NR
            m = q - s * NR
            vrow = vs[s] * vm[m]
            c_a = n[0, q]
            c_b = n[1, q]
            # -- the last momentum axis (contiguous): a row with ghosts, every face once
            rf = rv[D1]
            pst = pv[D1]
            u0, am = coef(Af, Bf, mp, D1, 0, rf, pst, NL + 1, u[0])
            u1, _ = coef(Af, Bf, mp, D1, 1, rf, pst, NL + 1, u[1])
            u2, _ = coef(Af, Bf, mp, D1, 2, rf, pst, NL + 1, u[2])
            for i in range(NL):
                rb[0, i + 2] = c_a[i]
                rb[1, i + 2] = c_b[i]
            if per[D1]:
                for k in (0, 1, NL + 2, NL + 3):
                    j = (k - 2) % NL
                    rb[0, k] = c_a[j]
                    rb[1, k] = c_b[j]
            else:
                g = gv[D1]
                for side in range(2):
                    for band in range(2):
                        v = Gf[goff[D1, side] + band * gband[D1] + g]
                        rb[band, side * (NL + 2)] = v
                        rb[band, side * (NL + 2) + 1] = v
            for i in range(NL + 2):
                sl[0, i] = L(rb[0, i + 1] - rb[0, i], rb[0, i + 2] - rb[0, i + 1])
                sl[1, i] = L(rb[1, i + 1] - rb[1, i], rb[1, i + 2] - rb[1, i + 1])
            if not per[D1]:
                sl[0, 0] = 0.0
                sl[1, 0] = 0.0
                sl[0, NL + 1] = 0.0
                sl[1, NL + 1] = 0.0
            for j in range(NL + 1):
                La = rb[0, j + 1] + 0.5 * sl[0, j]
                Ra = rb[0, j + 2] - 0.5 * sl[0, j + 1]
                Lb = rb[1, j + 1] + 0.5 * sl[1, j]
                Rb = rb[1, j + 2] - 0.5 * sl[1, j + 1]
                wj = am * u2[j]
                f3[0, j] = flux(am * u0[j], wj, La, Ra, Lb, Rb)
                f3[1, j] = flux(am * u1[j], wj, Lb, Rb, La, Ra)
            cfl = cf[cfoff[D1] : cfoff[D1] + NL]
            for i in range(NL):
                da[i] = -cfl[i] * (f3[0, i + 1] - f3[0, i])
                db[i] = -cfl[i] * (f3[1, i + 1] - f3[1, i])
            if not per[D1]:
                w0 = vrow * vl[0] * cfl[0]
                w1 = vrow * vl[NL - 1] * cfl[NL - 1]
                a_[4 * D1] += f3[0, 0] * w0
                a_[4 * D1 + 1] += f3[1, 0] * w0
                a_[4 * D1 + 2] -= f3[0, NL] * w1
                a_[4 * D1 + 3] -= f3[1, NL] * w1
            # -- the row axes: upper face of each (lower face carried, or computed at a start)
            for a in range(D1):
                ia = idx[a]
                slot = coff[a] + rs[a]
                Sa = S[0, slot]
                Sb = S[1, slot]
                Fa = F[0, slot]
                Fb = F[1, slot]
                rf = rv[a]
                pst = pv[a]
                g = gv[a]
                cfa = cf[cfoff[a] + ia]
                k1 = nb[nboff[a] + ia, 2]
                k2 = nb[nboff[a] + ia, 3]
                if k1 >= 0:
                    p1a = n[0, q + (k1 - ia) * gstr[a]]
                    p1b = n[1, q + (k1 - ia) * gstr[a]]
                else:
                    o = goff[a, 1] + g
                    p1a = Gf[o : o + NL]
                    p1b = Gf[o + gband[a] : o + gband[a] + NL]
                if k2 >= 0:
                    p2a = n[0, q + (k2 - ia) * gstr[a]]
                    p2b = n[1, q + (k2 - ia) * gstr[a]]
                else:
                    o = goff[a, 1] + g
                    p2a = Gf[o : o + NL]
                    p2b = Gf[o + gband[a] : o + gband[a] + NL]
                if ia == (lo if a == bax else 0):
                    km1 = nb[nboff[a] + ia, 1]
                    km2 = nb[nboff[a] + ia, 0]
                    if km1 >= 0:
                        m1a = n[0, q + (km1 - ia) * gstr[a]]
                        m1b = n[1, q + (km1 - ia) * gstr[a]]
                    else:
                        o = goff[a, 0] + g
                        m1a = Gf[o : o + NL]
                        m1b = Gf[o + gband[a] : o + gband[a] + NL]
                    if km2 >= 0:
                        m2a = n[0, q + (km2 - ia) * gstr[a]]
                        m2b = n[1, q + (km2 - ia) * gstr[a]]
                    else:
                        o = goff[a, 0] + g
                        m2a = Gf[o : o + NL]
                        m2b = Gf[o + gband[a] : o + gband[a] + NL]
                    u0, am = coef(Af, Bf, mp, a, 0, rf, pst, NL, u[0])
                    u1, _ = coef(Af, Bf, mp, a, 1, rf, pst, NL, u[1])
                    u2, _ = coef(Af, Bf, mp, a, 2, rf, pst, NL, u[2])
                    init_face(m2a, m2b, m1a, m1b, c_a, c_b, p1a, p1b, u0, u1, u2, am,
                              1.0 if km1 >= 0 else 0.0, Sa, Sb, Fa, Fb, NL)
                    if km1 < 0:
                        sa = 0.0
                        sb = 0.0
                        for i in range(NL):
                            sa += Fa[i] * vl[i]
                            sb += Fb[i] * vl[i]
                        a_[4 * a] += sa * vrow * cfa
                        a_[4 * a + 1] += sb * vrow * cfa
                rf += crs[a, a]
                pst += cps[a, a]
                u0, am = coef(Af, Bf, mp, a, 0, rf, pst, NL, u[0])
                u1, _ = coef(Af, Bf, mp, a, 1, rf, pst, NL, u[1])
                u2, _ = coef(Af, Bf, mp, a, 2, rf, pst, NL, u[2])
                face(c_a, c_b, p1a, p1b, p2a, p2b, Sa, Sb, Fa, Fb, u0, u1, u2, am, cfa,
                     1.0 if k1 >= 0 else 0.0, da, db, NL)
                if k1 < 0:
                    sa = 0.0
                    sb = 0.0
                    for i in range(NL):
                        sa += Fa[i] * vl[i]
                        sb += Fb[i] * vl[i]
                    a_[4 * a + 2] -= sa * vrow * cfa
                    a_[4 * a + 3] -= sb * vrow * cfa
            # -- cell sources and the stage combination
            rf = rv[D]
            pst = pv[D]
            g_, ag = coef(Af, Bf, mp, D, 0, rf, pst, NL, gk[0])
            k_, _ = coef(Af, Bf, mp, D, 1, rf, pst, NL, gk[1])
            o_a = out[0, q]
            o_b = out[1, q]
            z_a = n0[0, q]
            z_b = n0[1, q]
            sa = 0.0
            sb = 0.0
            for i in range(NL):
                na = c_a[i]
                nb_ = c_b[i]
                tot_ = na + nb_
                gi = ag * g_[i]
                ki = ag * k_[i]
                ra = (ca_ * na + cb_ * nb_) * gi + (cp * tot_) * ki + (ep * na) * ki
                rr = (ca_ * nb_ + cb_ * na) * gi + (cm * tot_) * ki + (em * nb_) * ki
                sa += ra * vl[i]
                sb += rr * vl[i]
                o_a[i] = alpha * z_a[i] + beta * (na + dt * (da[i] + ra))
                o_b[i] = alpha * z_b[i] + beta * (nb_ + dt * (db[i] + rr))
            a_[4 * D] += sa * vrow
            a_[4 * D + 1] += sb * vrow
            # -- next row (odometer over the block; the offsets follow the index change k of axis a)
            for a in range(D1):
                rs[a] += 1
                if rs[a] == lstr[a]:
                    rs[a] = 0
            for a in range(D1 - 1, -1, -1):
                idx[a] += 1
                k = 1
                last = idx[a] < (hi if a == bax else dims[a])
                if not last:
                    k = (lo if a == bax else 0) - idx[a] + 1
                    idx[a] = lo if a == bax else 0
                q += k * gstr[a]
                for c in range(D + 1):
                    rv[c] += k * crs[c, a]
                    pv[c] += k * cps[c, a]
                for c in range(D):
                    gv[c] += k * gtab[c, a]
                if last:
                    break
        for k in range(4 * D + 2):
            acc[blk, k] = a_[k]

    @njit(parallel=True)
    def stage(n, n0, out, alpha, dt, dims, NR, per, nb, nboff, gstr, bax, bsize, cf, cfoff,
              Af, Bf, mp, crs, cps, Gf, goff, gband, gtab, sc, vs, vm, vl, acc):
        nblk = (dims[bax] + bsize - 1) // bsize
        NL = n.shape[2]
        D1 = dims.size
        for blk in prange(nblk):
            lo = blk * bsize
            lstr = np.empty(D1, np.int64)
            coff = np.empty(D1 + 1, np.int64)
            rows = block_strides(dims, bax, lo, min(dims[bax], lo + bsize), lstr, coff)
            # int64 index: prange's own index type would compile ``block`` a second time (uint64)
            block(np.int64(blk), n, n0, out, alpha, dt, dims, NR, per, nb, nboff, gstr, bax, bsize, cf, cfoff,
                  Af, Bf, mp, crs, cps, Gf, goff, gband, gtab, sc, vs, vm, vl, acc,
                  np.empty((2, rows, NL)), np.empty((2, rows, NL)), np.empty((3, NL + 1)), np.empty((2, NL)),
                  np.empty((2, NL + 4)), np.empty((2, NL + 2)), np.empty((2, NL + 1)), np.empty((2, NL)),
                  np.empty(4 * D1 + 6), np.empty(D1, np.int64), lstr, coff,
                  np.empty(D1 + 2, np.int64), np.empty(D1 + 2, np.int64), np.empty(D1 + 1, np.int64),
                  np.empty(D1, np.int64))

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
    v = lambda x: x.reshape(2, -1, x.shape[-1])  # noqa: E731
    fused_stage(int(solver.scheme.limiter))(
        v(u), v(n0), v(out), float(alpha), float(dt), lay["dims"], lay["NR"], lay["per"], lay["nb"],
        lay["nboff"], lay["gstr"], lay["bax"], lay["bsize"], lay["cf"], lay["cfoff"],
        data["Af"], data["Bf"], data["mp"], lay["crs"], lay["cps"], data["Gf"], data["goff"], data["gband"],
        data["gtab"], data["sc"], lay["vs"], lay["vm"], lay["vl"], acc)
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
