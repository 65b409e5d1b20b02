"""Exact time evolution of independent two-level (Bloch) states: fourth-order Magnus steps.

Each state ``psi_k`` (2 components) obeys ``i d_t psi = H_k(t) psi`` with
``H = e(t) + h(t) . sigma`` (``e = eps/2``, ``h = Delta/2`` in berrykin's notation, Eq. 12). One
step of length dt uses the two Gauss-Legendre nodes ``t_{1,2} = t + (1/2 -+ sqrt(3)/6) dt``
(Blanes-Casas-Oteo-Ros fourth-order Magnus expansion; [H2, H1] = 2i (h2 x h1).sigma):

    psi(t + dt) = exp(-i (e1 + e2) dt/2) exp(-i g . sigma) psi(t),
    g = (h1 + h2) dt/2 + (sqrt(3)/6) dt^2 (h2 x h1),
    exp(-i g.sigma) = cos|g| - i sin|g| (g/|g|).sigma,

which is unitary to round-off and has a global error O(dt^4). :func:`magnus4` is a Numba
kernel; :func:`magnus4_reference` is the plain NumPy version it is tested against.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..errors import ShapeError

#: Gauss-Legendre nodes of one step, as fractions of dt.
GAUSS_NODES = (0.5 - math.sqrt(3) / 6, 0.5 + math.sqrt(3) / 6)
_C = math.sqrt(3) / 6


def _check(h, e, psi0):
    h = np.ascontiguousarray(h, dtype=np.float64)
    if h.ndim != 4 or h.shape[1] != 2 or h.shape[3] != 3:
        raise ShapeError("h", h.shape, "(steps, 2 Gauss nodes, n_states, 3)")
    e = np.zeros(h.shape[:3]) if e is None else np.ascontiguousarray(np.broadcast_to(e, h.shape[:3]), dtype=np.float64)
    psi0 = np.ascontiguousarray(psi0, dtype=np.complex128)
    if psi0.shape != (h.shape[2], 2):
        raise ShapeError("psi0", psi0.shape, f"({h.shape[2]}, 2)")
    return h, e, psi0


@numba.njit(cache=True, fastmath=False)
def _magnus4_kernel(h, e, psi0, dt, out):  # pragma: no cover - compiled
    steps, _, n, _ = h.shape
    for k in range(n):
        a, b = psi0[k, 0], psi0[k, 1]
        for s in range(steps):
            h1x, h1y, h1z = h[s, 0, k, 0], h[s, 0, k, 1], h[s, 0, k, 2]
            h2x, h2y, h2z = h[s, 1, k, 0], h[s, 1, k, 1], h[s, 1, k, 2]
            c2 = _C * dt * dt
            gx = 0.5 * dt * (h1x + h2x) + c2 * (h2y * h1z - h2z * h1y)
            gy = 0.5 * dt * (h1y + h2y) + c2 * (h2z * h1x - h2x * h1z)
            gz = 0.5 * dt * (h1z + h2z) + c2 * (h2x * h1y - h2y * h1x)
            g = math.sqrt(gx * gx + gy * gy + gz * gz)
            c = math.cos(g)
            sn = math.sin(g) / g if g > 0.0 else 1.0
            # exp(-i g.sigma) = c - i sn (gx sx + gy sy + gz sz)
            u00 = complex(c, -sn * gz)
            u11 = complex(c, sn * gz)
            u01 = complex(-sn * gy, -sn * gx)
            u10 = complex(sn * gy, -sn * gx)
            ph = 0.5 * dt * (e[s, 0, k] + e[s, 1, k])
            f = complex(math.cos(ph), -math.sin(ph))
            a, b = f * (u00 * a + u01 * b), f * (u10 * a + u11 * b)
            out[s, k, 0] = a
            out[s, k, 1] = b


def magnus4(h, psi0, dt: float, e=None) -> np.ndarray:
    """Evolve states ``psi0`` (n, 2) through ``steps`` Magnus steps of length ``dt``.

    ``h``: (steps, 2, n, 3), the vector ``h = Delta/2`` at the two Gauss nodes of every step;
    ``e``: optional (steps, 2, n) scalar part ``eps/2`` (a phase). Returns the states at the end
    of every step, (steps, n, 2) complex128.
    """
    h, e, psi0 = _check(h, e, psi0)
    out = np.empty((h.shape[0], h.shape[2], 2), dtype=np.complex128)
    _magnus4_kernel(h, e, psi0, float(dt), out)
    return out


def magnus4_reference(h, psi0, dt: float, e=None) -> np.ndarray:
    """NumPy reference of :func:`magnus4` (vectorised over states, loop over steps)."""
    h, e, psi0 = _check(h, e, psi0)
    out = np.empty((h.shape[0], h.shape[2], 2), dtype=np.complex128)
    psi = psi0.copy()
    for s in range(h.shape[0]):
        h1, h2 = h[s, 0], h[s, 1]
        g = 0.5 * dt * (h1 + h2) + _C * dt * dt * np.cross(h2, h1)
        norm = np.linalg.norm(g, axis=-1)
        c = np.cos(norm)
        sn = np.where(norm > 0, np.sin(norm) / np.where(norm > 0, norm, 1.0), 1.0)
        U = np.empty((g.shape[0], 2, 2), dtype=np.complex128)
        U[:, 0, 0] = c - 1j * sn * g[:, 2]
        U[:, 1, 1] = c + 1j * sn * g[:, 2]
        U[:, 0, 1] = -1j * sn * (g[:, 0] - 1j * g[:, 1])
        U[:, 1, 0] = -1j * sn * (g[:, 0] + 1j * g[:, 1])
        psi = np.exp(-0.5j * dt * (e[s, 0] + e[s, 1]))[:, None] * np.einsum("kij,kj->ki", U, psi)
        out[s] = psi
    return out
