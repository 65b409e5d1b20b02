"""Kubo conductivity along a uniform b (z) of a 3D lattice model, from its magnetic Bloch bands.

At flux ``phi = p/q`` per x-y plaquette (``b = 2 pi phi`` along z, unit lattice constant; the
Landau gauge and magnetic cell of :mod:`berrykin.quantum.magnetic3d`) the Bloch Hamiltonian is the
``2q x 2q`` matrix ``H(k)`` on the magnetic zone ``k_x in [0, 2 pi/q)``, ``k_y, k_z in [-pi, pi)``,
and ``v_z = dH/dk_z = sum_m i m H_m exp(i m k_z)`` exactly. With a constant broadening Gamma the
Bastin Fermi-sea term of a diagonal component vanishes identically (docs/kubo.md, K5), so

    sigma_zz = (1/(4 pi q)) < sum_{n, m} |<n|v_z|m>|^2 Re(A_n conj(g_m) - g_n A_m) >_k ,

``g_n = 1/(mu - E_n + i Gamma)``, ``A_n = g_n - conj(g_n)`` (Eq. K3 + K4 in the eigenbasis of H(k);
``< >_k`` the mean over the magnetic-zone grid, ``1/q`` the inverse magnetic-cell volume).
``intraband`` is the ``n = m`` part (Kubo-Greenwood, ~ 1/Gamma). Units e^2/(hbar a).

In the quantum limit of a Weyl pair (mu between the chiral and the first Landau levels) only the
two chiral levels cross mu, each with ``b/(2 pi)`` states per area; then
``sigma_zz Gamma -> (1/2) (b/2 pi) (1/2 pi) sum_chiral |v_z| = b v/(4 pi^2)`` as Gamma -> 0, with v
the chiral level's velocity at mu (docs/kubo.md, "Landau levels"; for ``LatticeWeyl`` at mu = 0,
``v -> sin k0`` as b -> 0).

The grid must resolve Gamma along k_z (``|v_z| dk_z <= |mu - E + i Gamma|``) and the in-plane
band dispersion (the change of a band between neighbouring in-plane grid points, relative to
``|mu - E + i Gamma|``); the larger of the two is the ``resolution_ratio`` (raise above 1, warn
above 0.5, as in :mod:`berrykin.quantum.kubo`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from .kubo import check_resolution
from .magnetic3d import as_flux, as_tight_binding_3d, kz_harmonics, single_threaded_blas

#: k_z points per vectorised block (bounds the memory: ~ 40 n_x n_y (2q)^2 Z_CHUNK bytes).
Z_CHUNK = 64


@dataclass(frozen=True)
class LandauConductivity:
    """``sigma_zz`` (e^2/(hbar a)) along b = 2 pi p/q (z) with a constant broadening Gamma."""

    sigma_zz: float
    intraband: float
    interband: float
    flux: str
    b: float
    mu: float
    gamma: float
    shape: tuple
    resolution_ratio: float
    model: str = ""

    def to_dataset(self):
        """An ``xarray.Dataset`` of the scalars with units and definitions in attrs."""
        import xarray as xr

        unit = "e^2/(hbar a)"
        return xr.Dataset(
            {"sigma_zz": ((), self.sigma_zz, {"units": unit, "definition": "d j_z/d e_z, Kubo-Bastin"}),
             "intraband": ((), self.intraband, {"units": unit, "definition": "n = m part"}),
             "interband": ((), self.interband, {"units": unit, "definition": "n != m part"})},
            attrs={"flux": self.flux, "b": self.b, "mu": self.mu, "gamma": self.gamma,
                   "shape": list(self.shape), "resolution_ratio": self.resolution_ratio,
                   "model": self.model, "method": "magnetic Bloch bands, constant broadening"})


def landau_conductivity_zz(model, flux, mu: float, gamma: float, *, shape=(2, 2, 256),
                           offset: float = 0.5) -> LandauConductivity:
    """``sigma_zz`` of a 3D lattice model in ``b = 2 pi flux`` along z (module docstring).

    Parameters
    ----------
    model : a 3D lattice model with ``tight_binding()`` (e.g. ``LatticeWeyl``) or a 3D
        TightBinding with unit lattice constant.
    flux : ``p/q`` flux quanta per x-y plaquette (Fraction, or a float rounded to q <= 10^4).
    mu, gamma : chemical potential and broadening Gamma > 0 (energies).
    shape : grid ``(n_x, n_y, n_z)`` of the magnetic zone, ``k = zone * (n + offset)/shape``.

    Example
    -------
    >>> from fractions import Fraction
    >>> from berrykin.models import LatticeWeyl
    >>> r = landau_conductivity_zz(LatticeWeyl(), Fraction(1, 16), 0.0, 0.05, shape=(2, 2, 320))
    >>> round(r.sigma_zz * r.gamma * 4 * 3.14159265 ** 2 / r.b, 2)   # b v/(4 pi^2), v = 0.98
    0.98
    """
    tb, f = as_tight_binding_3d(model), as_flux(flux)
    q = f.denominator
    mu, gamma = float(mu), float(gamma)
    if not math.isfinite(mu):
        raise ParameterError("mu", mu, "a finite energy")
    if not (math.isfinite(gamma) and gamma > 0):
        raise ParameterError("gamma", gamma, "a broadening Gamma > 0 (energy)")
    shape = tuple(np.atleast_1d(shape))
    if len(shape) != 3 or any(int(s) != s or s < 1 for s in shape):
        raise ParameterError("shape", shape, "3 positive integers (n_x, n_y, n_z)")
    shape = tuple(int(s) for s in shape)
    zone = np.array([2 * np.pi / q, 2 * np.pi, 2 * np.pi])
    axes = [zone[i] * (np.arange(shape[i]) + offset) / shape[i] - (np.pi if i else 0.0)
            for i in range(3)]
    kx, ky = np.meshgrid(axes[0], axes[1], indexing="ij")
    ms, Hm = kz_harmonics(tb, f, np.stack([kx, ky], axis=-1))         # (nx, ny, n_m, D, D)
    intra = full = ratio = 0.0
    for z0 in range(0, shape[2], Z_CHUNK):                             # bounded memory
        kz = axes[2][z0:z0 + Z_CHUNK]
        phase = np.exp(1j * np.multiply.outer(kz, ms))                 # (nz, n_m)
        H = np.einsum("zm,xymij->xyzij", phase, Hm)
        Vz = np.einsum("zm,m,xymij->xyzij", phase, 1j * ms, Hm)
        with single_threaded_blas():                                   # many small matrices
            E, U = np.linalg.eigh(H)                                   # (nx, ny, nz, D)
            v = np.conj(np.swapaxes(U, -1, -2)) @ Vz @ U                # <n|v_z|m>
        M = np.abs(v) ** 2
        g = 1.0 / (mu - E + 1j * gamma)
        A = g - np.conj(g)
        W = (A[..., :, None] * np.conj(g)[..., None, :] - g[..., :, None] * A[..., None, :]).real
        intra += float(np.einsum("...nn->...", M * W).sum())
        full += float(np.sum(M * W))
        dist = np.abs(mu - E + 1j * gamma)
        vband = np.abs(np.einsum("...nn->...n", v).real)
        ratio = max(ratio, float(np.max(vband * zone[2] / shape[2] / dist)))
        for axis in (0, 1):
            if shape[axis] > 1:
                jump = np.abs(np.diff(E, axis=axis, append=np.take(E, [0], axis=axis)))
                ratio = max(ratio, float(np.max(jump / dist)))
    norm = 1.0 / (4 * np.pi * q * np.prod(shape))
    intra, full = norm * intra, norm * full
    check_resolution("landau_conductivity_zz", shape, ratio, gamma,
                     "refine n_z (|v_z| dk_z) or n_x, n_y (in-plane dispersion), or use a larger gamma")
    return LandauConductivity(sigma_zz=float(full), intraband=float(intra),
                              interband=float(full - intra), flux=str(f), b=2 * np.pi * float(f),
                              mu=mu, gamma=gamma, shape=shape, resolution_ratio=ratio,
                              model=str(tb.name))
