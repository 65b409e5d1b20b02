"""Exact magnetic-Bloch spectrum, Chern numbers and gap densities of a skyrmion lattice (issue 11).

The lattice textured ferromagnet :class:`~berrykin.models.LatticeTexturedFerromagnet2D` with a
texture of period ``L a`` along x and y (one skyrmion per magnetic unit cell of ``L x L`` sites)
is translation invariant by the cell vectors ``L a e_x``, ``L a e_y``. Its magnetic Bloch
Hamiltonian on the ``2 L^2`` amplitudes of one cell (index ``2 * site + orbital``, sites in
row-major order at ``r = a (i, j)``) is

    H(k)_mn = H^torus_mn exp(i k . W_mn),   W_mn = r_m + d_mn - r_n,

with ``H^torus`` the Hamiltonian of the ``L x L`` torus (:func:`~berrykin.quantum.lattice.
real_space_hamiltonian`), ``d_mn`` the minimal-image hop vector and ``W_mn`` the cell vector
a hop crosses (Bloch condition ``psi(r + W) = exp(i k.W) psi(r)``). ``H(k + G) = H(k)`` for the
reciprocal vectors ``G = 2 pi/(L a) e_i``, so the Chern number of a group of bands follows from
the lattice field strength of Fukui, Hatsugai and Suzuki (J. Phys. Soc. Jpn. 74, 1674 (2005)) on
an ``n_k x n_k`` grid of the magnetic zone, with ``det`` of the overlap matrices (exact integer
for any grid fine enough; degeneracies inside the group allowed):

    C = -(1/2 pi) sum_plaquettes arg det(U_1 U_2 U_3^-1 U_4^-1),  U = <u(k)|u(k + dk)>

(``arg prod U`` around a plaquette is minus its Berry phase ``Int Omega``). Sign:
``C = (1/2 pi) Int Omega`` with ``Omega = curl i<u|grad u>`` (the usual Chern number); the
Hall index of berrykin (Streda, ``delta rho = nu delta b/(2 pi)``, :mod:`berrykin.conventions`)
with the Fermi level in a gap is ``nu = -sum C`` over the bands below (ERRATA choice 9). Every
magnetic band holds exactly one state per magnetic cell, so the integrated density of states
(IDOS) in the gap above ``j`` bands is ``j`` per cell. The skyrmion number of the sampled
texture is the Berg-Luescher lattice charge (sum of signed solid angles of the two triangles of
every plaquette over ``4 pi``; an exact integer for a texture without antipodal neighbours).

Units: hbar = e = 1, lengths in the model's units. This module imports only models, errors and
quantum.lattice (independent of the semiclassics it validates).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..models import LatticeTexturedFerromagnet2D
from ..models.gridded import GriddedTexture
from .lattice import lattice_sites, real_space_hamiltonian

__all__ = ["square_skyrmion_lattice", "lattice_skyrmion_number", "supercell_bloch_hamiltonian",
           "SkyrmionLatticeBands", "skyrmion_lattice_bands"]


def square_skyrmion_lattice(period: float, samples: int, offset: float = 1.0) -> GriddedTexture:
    """A square skyrmion lattice of period ``period``, sampled with ``samples`` points per period.

    ``n = v/|v|``, ``v = (-sin Q x, -sin Q y, cos Q x + cos Q y + offset)``, ``Q = 2 pi/period``
    (smooth, periodic; ``0 < offset < 2``: one skyrmion per cell, core ``n = -z`` at the cell
    centre ``(period/2, period/2)``, ``n = +z`` at the corners, Neel-like in-plane part). Returned
    as a periodic :class:`~berrykin.models.GriddedTexture` with samples at ``(i, j) period/samples``
    (origin 0), so that a lattice model with ``lattice_constant = period/samples`` sees the
    analytic values exactly at its sites.
    """
    period = float(period)
    if not np.isfinite(period) or period <= 0:
        raise ParameterError("period", period, "a length > 0")
    if isinstance(samples, bool) or int(samples) != samples or samples < 4:
        raise ParameterError("samples", samples, "an integer >= 4 (points per period)")
    if not 0.0 < float(offset) < 2.0:
        raise ParameterError("offset", offset, "a number in (0, 2) (one skyrmion per cell)")
    h = period / int(samples)
    x = h * np.arange(int(samples))
    X, Y = np.meshgrid(x, x, indexing="ij")
    Q = 2 * np.pi / period
    v = np.stack([-np.sin(Q * X), -np.sin(Q * Y), np.cos(Q * X) + np.cos(Q * Y) + float(offset)], axis=-1)
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    return GriddedTexture(values=v, spacing=(h, h), origin=(0.0, 0.0), periodic=True)


#: Texture evaluations are padded to a multiple of this many points, so that the compiled
#: evaluation of a (gridded) texture is shared by every call of one model (one shape).
_BUCKET = 4096


def _exchange(model, r):
    """``model.exchange_field(r)`` with r padded to a multiple of :data:`_BUCKET` points."""
    r = np.asarray(r, dtype=np.float64).reshape(-1, 2)
    n = r.shape[0]
    m = -(-n // _BUCKET) * _BUCKET
    return model.exchange_field(np.concatenate([r, np.repeat(r[-1:], m - n, axis=0)]))[:n]


def _tight_binding(model):
    """``model.tight_binding()`` whose onsite field uses :func:`_exchange`."""
    tb = copy.copy(model.tight_binding())
    object.__setattr__(tb, "onsite_field", lambda r: _exchange(model, r))
    return tb


def _check_cell(model, cells):
    if not isinstance(model, LatticeTexturedFerromagnet2D):
        raise ParameterError("model", model, "a LatticeTexturedFerromagnet2D with a periodic texture")
    if isinstance(cells, bool) or int(cells) != cells or cells < 3:
        raise ParameterError("cells", cells, "an integer >= 3 (sites per side of the magnetic cell)")
    cells = int(cells)
    a = model.lattice_constant
    sites = a * lattice_sites((cells, cells)).astype(float)
    shifts = np.array([[0.0, 0.0], [cells * a, 0.0], [0.0, cells * a]])
    n = _exchange(model, (sites[None] + shifts[:, None]).reshape(-1, 2)).reshape(3, -1, 2, 2)
    for i in (1, 2):
        if not np.allclose(n[i], n[0], rtol=0, atol=1e-10 * max(1.0, abs(model.exchange))):
            raise ParameterError("cells", cells, f"the texture's period in sites (n(r) differs from n(r + "
                                 f"{tuple(shifts[i])})); e.g. square_skyrmion_lattice(period=cells * a, samples=cells)")
    return cells, n[0]


def lattice_skyrmion_number(model, cells: int) -> float:
    """Berg-Luescher skyrmion number of the texture sampled at the sites of one ``cells x cells``
    magnetic cell (module docstring); an integer up to round-off."""
    cells, H = _check_cell(model, cells)                            # exchange n.sigma at the sites
    n = np.stack([H[:, 0, 1].real, -H[:, 0, 1].imag, H[:, 0, 0].real], axis=-1) / model.exchange
    n = n.reshape(cells, cells, 3)
    n1, n2 = n, np.roll(n, -1, axis=0)
    n3, n4 = np.roll(n2, -1, axis=1), np.roll(n, -1, axis=1)

    def omega(p, q, s):
        num = np.einsum("...i,...i", p, np.cross(q, s))
        den = 1 + np.einsum("...i,...i", p, q) + np.einsum("...i,...i", q, s) + np.einsum("...i,...i", s, p)
        return 2 * np.arctan2(num, den)

    return float(np.sum(omega(n1, n2, n3) + omega(n1, n3, n4)) / (4 * np.pi))


def _as_system(system, cells, field):
    """(tight-binding form, cells) of a periodic textured model, or of a translation-invariant
    TightBinding / lattice model (then ``field``, e.g. a LandauGauge, may add Peierls phases)."""
    from ..models.tight_binding import TightBinding

    if isinstance(system, LatticeTexturedFerromagnet2D):
        return _tight_binding(system), _check_cell(system, cells)[0]
    tb = system if isinstance(system, TightBinding) else getattr(system, "tight_binding", lambda: None)()
    if not isinstance(tb, TightBinding) or tb.dim != 2:
        raise ParameterError("system", system, "a LatticeTexturedFerromagnet2D or a 2D TightBinding")
    if isinstance(cells, bool) or int(cells) != cells or cells < 3:
        raise ParameterError("cells", cells, "an integer >= 3 (sites per side of the magnetic cell)")
    return tb, int(cells)


def _torus_parts(tb, cells, field):
    """Dense torus Hamiltonian and the cell vectors ``W_mn`` (module docstring) of its entries."""
    a = tb.lattice_constant
    H0 = real_space_hamiltonian(tb, (cells, cells), periodic=True, field=field)
    pos = a * lattice_sites((cells, cells)).astype(float)
    L = a * cells
    m, n = np.nonzero(np.abs(H0) > 0)
    d = pos[n // 2] - pos[m // 2]
    dmin = d - L * np.round(d / L)
    return H0, m, n, dmin - d


def supercell_bloch_hamiltonian(system, cells: int, k, *, field=None) -> np.ndarray:
    """``H(k)`` (module docstring) at magnetic-zone momenta ``k`` (..., 2) -> (..., 2 L^2, 2 L^2).

    ``system``: a :class:`~berrykin.models.LatticeTexturedFerromagnet2D` whose texture has period
    ``cells`` sites, or a 2D :class:`~berrykin.models.TightBinding`; ``field``: an optional vector
    potential that fits the ``cells x cells`` torus (e.g. ``LandauGauge.for_flux(p, cells)``)."""
    tb, cells = _as_system(system, cells, field)
    H0, m, n, W = _torus_parts(tb, cells, field)
    k = np.asarray(k, dtype=float)
    out = np.broadcast_to(H0, k.shape[:-1] + H0.shape).copy()
    out[..., m, n] = H0[m, n] * np.exp(1j * (k @ W.T))
    return out


@dataclass(frozen=True)
class SkyrmionLatticeBands:
    """Exact magnetic-Bloch bands of a skyrmion lattice (module docstring).

    ``energies`` (n_k, n_k, n_bands) the lowest ``n_bands`` bands on the ``n_k x n_k`` grid of
    the magnetic zone; ``band_min``, ``band_max`` (n_bands,); ``gaps`` (n_bands - 1,) the gap
    above band j (``band_min[j+1] - band_max[j]``, <= 0 where bands overlap); ``chern`` (n_bands,)
    the Chern number of the group of the lowest ``j + 1`` bands (meaningful where ``gaps[j] > 0``);
    ``hall_index`` ``-chern`` (berrykin's nu); ``idos`` (n_bands,) states per magnetic cell below
    each gap (``j + 1``); ``skyrmion_number`` of the sampled texture; ``cells`` sites per side.
    """

    energies: np.ndarray
    band_min: np.ndarray
    band_max: np.ndarray
    gaps: np.ndarray
    chern: np.ndarray
    hall_index: np.ndarray
    idos: np.ndarray
    skyrmion_number: float
    cells: int
    model: str

    def to_dataset(self):
        import xarray as xr

        j = np.arange(1, self.band_min.size + 1)
        gap = np.append(self.gaps, np.nan)
        return xr.Dataset(
            {"band_min": ("band", self.band_min, {"units": "energy"}),
             "band_max": ("band", self.band_max, {"units": "energy"}),
             "gap_above": ("band", gap, {"units": "energy"}),
             "chern": ("band", self.chern, {"long_name": "Chern number of the lowest j bands"}),
             "hall_index": ("band", self.hall_index, {"long_name": "nu = -C (Fermi level above band j)"}),
             "idos": ("band", self.idos, {"units": "states per magnetic cell"})},
            coords={"band": ("band", j)},
            attrs={"method": "magnetic Bloch diagonalisation of the supercell; Fukui-Hatsugai-Suzuki Chern",
                   "skyrmion_number": self.skyrmion_number, "cells": self.cells, "model": self.model,
                   "n_k": int(self.energies.shape[0]), "units": "hbar = e = 1"})


def skyrmion_lattice_bands(model, cells: int, *, n_bands: int = 4, n_k: int = 8,
                           field=None) -> SkyrmionLatticeBands:
    """Lowest ``n_bands`` magnetic bands, group Chern numbers and IDOS of a skyrmion lattice.

    ``model``: :class:`~berrykin.models.LatticeTexturedFerromagnet2D` whose texture has period
    ``cells`` sites in x and y (e.g. :func:`square_skyrmion_lattice`), or any 2D TightBinding
    with a ``field`` (as in :func:`supercell_bloch_hamiltonian`; then ``skyrmion_number`` is
    NaN). Cost: ``n_k^2`` dense diagonalisations of size ``2 cells^2``.
    """
    tb, cells = _as_system(model, cells, field)
    if isinstance(n_bands, bool) or int(n_bands) != n_bands or not 1 <= n_bands <= 2 * cells * cells:
        raise ParameterError("n_bands", n_bands, f"an integer from 1 to {2 * cells * cells}")
    if isinstance(n_k, bool) or int(n_k) != n_k or n_k < 3:
        raise ParameterError("n_k", n_k, "an integer >= 3 (k points per magnetic-zone axis)")
    n_bands, n_k = int(n_bands), int(n_k)
    G = 2 * np.pi / (cells * tb.lattice_constant)
    ks = G * np.arange(n_k) / n_k
    K = np.stack(np.meshgrid(ks, ks, indexing="ij"), axis=-1)
    E, U = np.linalg.eigh(supercell_bloch_hamiltonian(model, cells, K, field=field))
    E, U = E[..., :n_bands], U[..., :n_bands]                       # (n_k, n_k, dim, n_bands)
    chern = np.zeros(n_bands)
    for j in range(1, n_bands + 1):
        u = U[..., :j]
        ux, uy = np.roll(u, -1, axis=0), np.roll(u, -1, axis=1)
        uxy = np.roll(ux, -1, axis=1)

        def link(p, q):
            return np.linalg.det(np.einsum("abij,abik->abjk", p.conj(), q))

        loop = link(u, ux) * link(ux, uxy) * np.conj(link(uy, uxy)) * np.conj(link(u, uy))
        chern[j - 1] = -np.sum(np.angle(loop)) / (2 * np.pi)   # arg prod U = -(Berry phase)
    bmin, bmax = E.min(axis=(0, 1)), E.max(axis=(0, 1))
    return SkyrmionLatticeBands(
        energies=E, band_min=bmin, band_max=bmax, gaps=bmin[1:] - bmax[:-1], chern=chern,
        hall_index=-chern, idos=np.arange(1, n_bands + 1, dtype=float),
        skyrmion_number=(lattice_skyrmion_number(model, cells) if isinstance(model, LatticeTexturedFerromagnet2D)
                         else float("nan")), cells=cells, model=repr(model))
