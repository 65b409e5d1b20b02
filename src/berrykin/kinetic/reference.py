"""Plain NumPy reference implementations of the per-cell kernels (tests compare Numba to these).

Finite-volume flux along one axis (second-order MUSCL, upwinded by the face normal velocity):

* slopes ``s_i = limiter(n_i - n_{i-1}, n_{i+1} - n_i)`` in index space (second order on
  smooth, possibly non-uniform grids); zero in the ghost cells of a bounded axis;
* face states ``L_j = n_{j-1} + s_{j-1}/2``, ``R_j = n_j - s_j/2`` at face ``j`` (between cells
  j-1 and j), ghost cells of a bounded axis hold the inflow value given by the boundary;
* face flux of band s (``U_s = u_n face_factor``, ``W`` the interband velocity, same factor)::

      Phi_s = U_s^+ L_s + U_s^- R_s + W^+ L_{-s} + W^- R_{-s},   x^+ = max(x, 0), x^- = min(x, 0)

* ``rhs_s -= cell_factor (Phi_{j+1} - Phi_j)``.

Arrays: ``n`` has shape ``(2, *shape)`` (bands s = +1, -1); ``U`` is ``(2, ...)`` and ``W``
``(...)`` broadcastable to the face shape of the axis; ``cell_factor`` broadcastable to
``shape``; boundary values ``(2, *slab)`` broadcastable to ``n`` without the axis.
"""

from __future__ import annotations

import numpy as np

from .options import Limiter

__all__ = ["limit", "axis_flux", "cell_sources"]


def limit(a, b, limiter):
    """Limited slope from the backward and forward differences ``a``, ``b`` (NumPy)."""
    limiter = Limiter(limiter)
    if limiter == Limiter.FIRST_ORDER:
        return np.zeros_like(a)
    if limiter == Limiter.UNLIMITED:
        return 0.5 * (a + b)
    same = a * b > 0
    if limiter == Limiter.MINMOD:
        s = np.sign(a) * np.minimum(np.abs(a), np.abs(b))
    elif limiter == Limiter.VAN_LEER:
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 2.0 * a * b / (a + b)
    else:  # MC
        s = np.sign(a) * np.minimum(np.minimum(2 * np.abs(a), 2 * np.abs(b)), 0.5 * np.abs(a + b))
    return np.where(same, s, 0.0)


def axis_flux(n, U, W, cell_factor, axis, periodic, limiter, bc_lo=None, bc_hi=None):
    """Flux divergence along grid axis ``axis`` (0-based, without the band axis).

    Returns ``(rhs, phi_lo, phi_hi)``: the contribution to ``d_t n`` (shape of n) and the face
    fluxes through the lower and upper boundary faces, shape ``(2, *slab)`` (zeros when
    periodic). ``phi_lo > 0`` flows into the domain, ``phi_hi > 0`` out of it.
    """
    ax = axis + 1
    N = n.shape[ax]
    if periodic:
        ext = np.take(n, range(-2, N + 2), axis=ax, mode="wrap")
    else:
        slab = list(n.shape)
        slab[ax] = 1
        lo = np.broadcast_to(np.expand_dims(bc_lo, ax), slab)
        hi = np.broadcast_to(np.expand_dims(bc_hi, ax), slab)
        ext = np.concatenate([lo, lo, n, hi, hi], axis=ax)
    # slopes of cells -1..N (ext indices 1..N+2)
    sl = limit(np.take(ext, range(1, N + 3), axis=ax) - np.take(ext, range(0, N + 2), axis=ax),
               np.take(ext, range(2, N + 4), axis=ax) - np.take(ext, range(1, N + 3), axis=ax), limiter)
    if not periodic:
        idx = [slice(None)] * n.ndim
        for g in (0, N + 1):
            idx[ax] = g
            sl[tuple(idx)] = 0.0
    cells = np.take(ext, range(1, N + 3), axis=ax)  # cells -1..N
    left = np.take(cells, range(0, N + 1), axis=ax) + 0.5 * np.take(sl, range(0, N + 1), axis=ax)
    right = np.take(cells, range(1, N + 2), axis=ax) - 0.5 * np.take(sl, range(1, N + 2), axis=ax)
    Up, Um = np.maximum(U, 0.0), np.minimum(U, 0.0)
    Wp, Wm = np.maximum(W, 0.0), np.minimum(W, 0.0)
    other = [1, 0]
    phi = Up * left + Um * right + Wp * left[other] + Wm * right[other]
    rhs = -cell_factor * (np.take(phi, range(1, N + 1), axis=ax) - np.take(phi, range(0, N), axis=ax))
    if periodic:
        z = np.zeros(np.take(phi, 0, axis=ax).shape)
        return rhs, z, z
    return rhs, np.take(phi, 0, axis=ax), np.take(phi, N, axis=ax)


def cell_sources(n, G, K, coeffs, local=None):
    """Cell sources ``(R, L)`` of both bands (shape of n).

    ``R_s = (a n_s + b n_{-s}) G + c_s n K + e_s n_s K`` (the sKE right side without its flux
    part, :meth:`SKETerms.source_coefficients`), and for the homogeneous reduction the local
    r-divergence ``L_s = -(n_s div_r rdot_s + n_{-s} div_r w_r)`` with ``local = (div_+, div_-,
    c_w div_w)`` (``None``: zero).
    """
    a, b, c, e = coeffs
    npl, nmi = n[0], n[1]
    tot = npl + nmi
    R = np.stack([(a * npl + b * nmi) * G + (c[0] * tot) * K + (e[0] * npl) * K,
                  (a * nmi + b * npl) * G + (c[1] * tot) * K + (e[1] * nmi) * K])
    if local is None:
        return R, np.zeros_like(n)
    dp, dm, dw = local
    L = np.stack([-(npl * dp + nmi * dw), -(nmi * dm + npl * dw)])
    return R, L
