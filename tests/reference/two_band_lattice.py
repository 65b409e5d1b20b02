"""Closed forms for the (tilted) QWZ lattice model, written independently of berrykin.

``H(k) = t sin kx s0 + sin kx sx + sin ky sy + (m + cos kx + cos ky) sz`` (unit lattice
constant). Bands ``E_s = t sin kx + s |h|``; the band Berry curvature (the usual
``Omega_n = curl i<u_n|grad u_n>``) of ``h . sigma`` is ``Omega_s = -(s/2) h.(d_x h x d_y h)/|h|^3``
(textbook result: the lower band of ``h . sigma`` carries +1/2 the solid-angle density).
The Fermi-surface and Fermi-pocket integrals use polar coordinates around a point inside a
star-shaped pocket: root finding (bisection) along rays and Gauss-Legendre in the radius, the
periodic trapezoidal rule in the angle -- spectrally accurate, no k grid.
"""

from __future__ import annotations

import numpy as np


def h_vector(kx, ky, m):
    return np.stack([np.sin(kx), np.sin(ky), m + np.cos(kx) + np.cos(ky)], axis=-1)


def band_energy(kx, ky, m, s, t=0.0):
    return t * np.sin(kx) + s * np.linalg.norm(h_vector(kx, ky, m), axis=-1)


def band_velocity(kx, ky, m, s, t=0.0):
    """(dE_s/dkx, dE_s/dky) from the analytic dispersion."""
    h = h_vector(kx, ky, m)
    habs = np.linalg.norm(h, axis=-1)
    dhx = np.stack([np.cos(kx), 0 * kx, -np.sin(kx)], axis=-1)
    dhy = np.stack([0 * ky, np.cos(ky), -np.sin(ky)], axis=-1)
    vx = t * np.cos(kx) + s * np.sum(h * dhx, axis=-1) / habs
    vy = s * np.sum(h * dhy, axis=-1) / habs
    return vx, vy


def berry_curvature(kx, ky, m, s):
    """Omega_s(k) of band s (independent of the tilt, which is proportional to the identity)."""
    h = h_vector(kx, ky, m)
    dhx = np.stack([np.cos(kx), 0 * kx, -np.sin(kx)], axis=-1)
    dhy = np.stack([0 * ky, np.cos(ky), -np.sin(ky)], axis=-1)
    solid = np.sum(h * np.cross(dhx, dhy), axis=-1) / np.linalg.norm(h, axis=-1) ** 3
    return -0.5 * s * solid


def fermi_radius(m, s, t, mu, center, n_theta, q_max=np.pi):
    """q_F(theta) with E_s(center + q (cos, sin)) = mu, by bisection; checks star-shapedness."""
    th = 2 * np.pi * np.arange(n_theta) / n_theta
    c, sn = np.cos(th), np.sin(th)

    def f(q):
        return band_energy(center[0] + q * c, center[1] + q * sn, m, s, t) - mu

    f0 = f(np.zeros_like(th))
    qs = np.linspace(0, q_max, 400)[1:]
    vals = np.array([f(q + 0 * th) for q in qs])
    crossings = np.sum(np.diff(np.sign(np.vstack([f0, vals])), axis=0) != 0, axis=0)
    assert np.all(crossings == 1), "pocket not star-shaped around the center"
    lo, hi = np.zeros_like(th), np.full_like(th, q_max)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        inside = np.sign(f(mid)) == np.sign(f0)
        lo, hi = np.where(inside, mid, lo), np.where(inside, hi, mid)
    return th, 0.5 * (lo + hi)


def fermi_surface_integral(g, m, s, t, mu, center, n_theta=512):
    """``Int d^2k/(2 pi)^2 g(kx, ky) delta(E_s - mu)`` = (1/(2pi)^2) Int dtheta q_F g/|dE/dq|."""
    th, qf = fermi_radius(m, s, t, mu, center, n_theta)
    kx, ky = center[0] + qf * np.cos(th), center[1] + qf * np.sin(th)
    vx, vy = band_velocity(kx, ky, m, s, t)
    dEdq = np.abs(vx * np.cos(th) + vy * np.sin(th))
    return np.mean(qf * g(kx, ky) / dEdq) * 2 * np.pi / (2 * np.pi) ** 2


def pocket_integral(g, m, s, t, mu, center, n_theta=512, n_q=64):
    """``Int_{pocket} d^2k/(2 pi)^2 g`` over the region around ``center`` bounded by E_s = mu."""
    th, qf = fermi_radius(m, s, t, mu, center, n_theta)
    x, w = np.polynomial.legendre.leggauss(n_q)
    q = 0.5 * (x[:, None] + 1) * qf[None]
    wq = 0.5 * w[:, None] * qf[None]
    kx, ky = center[0] + q * np.cos(th), center[1] + q * np.sin(th)
    return np.sum(wq * q * g(kx, ky)) * (2 * np.pi / n_theta) / (2 * np.pi) ** 2


def bz_integral(g, n=256):
    """``Int_BZ d^2k/(2 pi)^2 g`` of a smooth periodic g (trapezoidal rule, spectral)."""
    k = 2 * np.pi * (np.arange(n) + 0.5) / n
    kx, ky = np.meshgrid(k, k, indexing="ij")
    return np.mean(g(kx, ky))


def tilted_qwz_tight_binding(m, t):
    """The tilted QWZ model as a berrykin TightBinding (the input of the Kubo code, not a value):
    ``T_0 = m sz``, ``T_{+x} = (sz - i sx)/2 - (i t/2) s0``, ``T_{+y} = (sz - i sy)/2``."""
    from berrykin.models.tight_binding import PAULI, TightBinding

    sx, sy, sz = PAULI
    return TightBinding.from_half(m * sz, {(1, 0): (sz - 1j * sx) / 2 - 0.5j * t * np.eye(2),
                                           (0, 1): (sz - 1j * sy) / 2}, dim=2,
                                  name=f"tilted QWZ(m={m}, t={t})")
