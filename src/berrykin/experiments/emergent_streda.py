"""Real-space Streda response of a skyrmion lattice in its emergent field (issue 11, item 4;
derivation in docs/skyrmion_sea.md).

In the strong-exchange (adiabatic) limit an electron of band s of the textured ferromagnet
follows the local spin direction and sees the emergent magnetic field ``b_s = q_s F_xy`` of the
texture (``q_s = -s/2``, ``F_xy = n.(d_x n x d_y n)``; paper Eq. 24 with only the F_rr block).
On a skyrmion lattice with skyrmion number Q per magnetic cell of area A the emergent flux per
cell is ``Phi_s = q_s Int_cell F_xy = q_s 4 pi Q``, one flux quantum (2 pi) for |Q| = 1, and the
mean field is ``b_s = Phi_s/A``. The semiclassical picture is that of Landau levels in ``b_s``:

* Onsager: the orbit of level n encloses ``S(E_n) = 2 pi |b_s| (n + 1/2)`` of k space, i.e.
  the zero-field integrated density of states of band s reaches ``(n + 1/2) |Phi_s|/(2 pi)``
  states per cell (computed from the model's band energies on a fine k grid);
* every level holds ``|Phi_s|/(2 pi)`` states per cell, so with the Fermi level in the gap
  above ``j`` levels the IDOS is ``j |Phi_s|/(2 pi)`` per cell;
* Streda (berrykin's convention ``delta rho = nu delta b/(2 pi)``, :mod:`berrykin.conventions`):
  ``rho = j |b_s|/(2 pi)`` gives the Hall index ``nu_j = 2 pi d rho/d b_s = j sgn(b_s)``.

The exact side (:mod:`berrykin.quantum.skyrmion_lattice`) diagonalises the magnetic Bloch
Hamiltonian of the lattice model and returns the Chern numbers (``nu = -C``) and IDOS of its
gaps. :func:`emergent_streda` puts both side by side. The band bottom is also shifted by the
O(hbar^2) geometric potential ``<(grad n)^2>/(8 m)`` of the adiabatic projection (not part of
the first-order semiclassics); it is reported separately (``geometric_shift``).
Units: hbar = e = 1, energies as the model's, lengths as its lattice constant.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError
from ..geometry import band_energies, berry_curvature
from ..models import LatticeTexturedFerromagnet2D, Uniform
from ..quantum.skyrmion_lattice import SkyrmionLatticeBands, skyrmion_lattice_bands

__all__ = ["EmergentStreda", "emergent_flux", "onsager_levels", "emergent_streda"]


def emergent_flux(model, cells: int, band: int = -1, quadrature: int = 48) -> tuple[float, float]:
    """``(Phi_s, <(grad n)^2>)``: the emergent flux ``q_s Int_cell F_xy`` per magnetic cell of
    ``cells x cells`` sites (from :func:`berrykin.geometry.berry_curvature` of the model at
    p = 0, midpoint rule with ``quadrature^2`` points, spectrally accurate for a smooth periodic
    texture) and the cell average of ``sum_i |d_i n|^2`` (for the geometric potential)."""
    if band not in (1, -1):
        raise ParameterError("band", band, "+1 or -1")
    L = cells * model.lattice_constant
    x = L * (np.arange(quadrature) + 0.5) / quadrature
    r = np.stack(np.meshgrid(x, x, indexing="ij"), axis=-1).reshape(-1, 2)
    F = berry_curvature(model, r=r, p=np.zeros_like(r))[:, 0, 1]
    with jax.enable_x64(True):
        J = np.asarray(jax.vmap(jax.jacfwd(model.texture))(jnp.asarray(r)))     # (N, 3, 2)
    q = -0.5 * band
    return float(q * F.mean() * L * L), float(np.mean(np.sum(J**2, axis=(1, 2))))


def onsager_levels(model, cells: int, n_levels: int, flux: float, band: int = -1, n_k: int = 512):
    """Onsager Landau levels ``E_n`` (n = 0..n_levels-1) of band s in the mean emergent field,
    where the zero-field IDOS of the band reaches ``(n + 1/2) |flux|/(2 pi)`` states per
    magnetic cell (``cells^2`` sites), and the gap energies between them (IDOS ``n |flux|/2pi``).
    Band energies from :func:`berrykin.geometry.band_energies` on an ``n_k^2`` zone grid with the
    texture replaced by a uniform one (rashba = 0: the bands do not depend on n)."""
    a = model.lattice_constant
    k = (2 * np.pi / a) * ((np.arange(n_k) + 0.5) / n_k - 0.5)
    K = np.stack(np.meshgrid(k, k, indexing="ij"), axis=-1).reshape(-1, 2)
    uniform = dataclasses.replace(model, texture=Uniform())    # same bands: rashba = 0, |n| = 1
    e = np.sort(band_energies(uniform, r=np.zeros_like(K), p=K)[:, 0 if band == 1 else 1])
    per_state = 1.0 / (cells * cells)            # fraction of the zone per state per magnetic cell
    frac = lambda idos: np.quantile(e, min(idos * per_state, 1.0))  # noqa: E731
    quanta = abs(flux) / (2 * np.pi)
    levels = np.array([frac((n + 0.5) * quanta) for n in range(n_levels)])
    gaps = np.array([frac((n + 1) * quanta) for n in range(n_levels)])
    return levels, gaps


@dataclass(frozen=True)
class EmergentStreda:
    """Semiclassical (emergent Landau levels) versus exact (magnetic Bloch) gaps of a skyrmion
    lattice, row j = gap above the lowest j bands / levels (module docstring).

    ``flux`` emergent flux per cell (radians; 2 pi = one quantum); ``skyrmion_number`` of the
    lattice texture; per gap (J,): ``nu_semiclassical`` ``j sgn(flux)``, ``nu_exact`` ``-C``,
    ``idos_semiclassical`` ``j |flux|/2pi`` and ``idos_exact`` (states per cell), ``gap_exact``
    (width, <= 0: closed), ``open`` (exact gap > 0); per level (J,): ``level_onsager`` (Onsager
    energies), ``level_exact`` (band centres, (min + max)/2); ``geometric_shift`` ``<(grad n)^2>/(8m)``.
    """

    flux: float
    skyrmion_number: float
    nu_semiclassical: np.ndarray
    nu_exact: np.ndarray
    idos_semiclassical: np.ndarray
    idos_exact: np.ndarray
    gap_exact: np.ndarray
    open: np.ndarray
    level_onsager: np.ndarray
    level_exact: np.ndarray
    geometric_shift: float
    exact: SkyrmionLatticeBands

    def table(self) -> str:
        """The side-by-side table (markdown)."""
        rows = ["| j | nu semicl. | nu exact | IDOS semicl. | IDOS exact | exact gap | E_j Onsager | "
                "E_j Onsager + geom. | E_j exact |", "|---|---|---|---|---|---|---|---|---|"]
        for j in range(self.nu_exact.size):
            rows.append(f"| {j + 1} | {self.nu_semiclassical[j]:+.0f} | {self.nu_exact[j]:+.3f} | "
                        f"{self.idos_semiclassical[j]:.3f} | {self.idos_exact[j]:.0f} | {self.gap_exact[j]:.4f}"
                        f"{'' if self.open[j] else ' (closed)'} | {self.level_onsager[j]:.4f} | "
                        f"{self.level_onsager[j] + self.geometric_shift:.4f} | {self.level_exact[j]:.4f} |")
        return "\n".join(rows)

    def to_dataset(self):
        import xarray as xr

        dims = ("gap",)
        return xr.Dataset(
            {"nu_semiclassical": (dims, self.nu_semiclassical, {"long_name": "j sgn(Phi_em)"}),
             "nu_exact": (dims, self.nu_exact, {"long_name": "-C (Chern sum of the bands below)"}),
             "idos_semiclassical": (dims, self.idos_semiclassical, {"units": "states per magnetic cell"}),
             "idos_exact": (dims, self.idos_exact, {"units": "states per magnetic cell"}),
             "gap_exact": (dims, self.gap_exact, {"units": "energy"}),
             "open": (dims, self.open.astype(int)),
             "level_onsager": (dims, self.level_onsager, {"units": "energy"}),
             "level_exact": (dims, self.level_exact, {"units": "energy"})},
            coords={"gap": ("gap", np.arange(1, self.nu_exact.size + 1))},
            attrs={"method": "emergent Landau levels (Onsager, Streda) vs magnetic Bloch diagonalisation",
                   "flux": self.flux, "skyrmion_number": self.skyrmion_number,
                   "geometric_shift": self.geometric_shift, "convention": "nu = 2 pi d rho/d b",
                   "units": "hbar = e = 1"})


def emergent_streda(model, cells: int, *, n_gaps: int = 4, n_k: int = 6, band: int = -1) -> EmergentStreda:
    """Side-by-side Hall indices and IDOS of the lowest ``n_gaps`` gaps of band s (default the
    majority, lower band) of a skyrmion-lattice ``model``
    (:class:`~berrykin.models.LatticeTexturedFerromagnet2D`, texture of period ``cells`` sites,
    e.g. :func:`~berrykin.quantum.skyrmion_lattice.square_skyrmion_lattice`), module docstring.
    ``n_k``: k points per magnetic-zone axis of the exact Chern numbers. The exact bands are
    those of the whole spectrum from its bottom, so ``band=-1`` needs the lower band to lie below
    the upper one (|exchange| larger than the kinetic band width of the filled levels)."""
    if not isinstance(model, LatticeTexturedFerromagnet2D) or model.rashba != 0.0:
        raise ParameterError("model", model, "a LatticeTexturedFerromagnet2D with rashba = 0 (the "
                             "adiabatic emergent-field picture; |Delta| uniform)")
    if band != -1:
        raise ParameterError("band", band, "-1 (the lower, majority band at the bottom of the spectrum)")
    if isinstance(n_gaps, bool) or int(n_gaps) != n_gaps or n_gaps < 1:
        raise ParameterError("n_gaps", n_gaps, "an integer >= 1")
    n_gaps = int(n_gaps)
    exact = skyrmion_lattice_bands(model, cells, n_bands=n_gaps + 1, n_k=n_k)
    flux, grad2 = emergent_flux(model, cells, band)
    if abs(flux) < 0.5:
        raise ParameterError("model.texture", model.texture, "a skyrmion lattice with non-zero emergent "
                             f"flux per cell (found {flux:.3g}; |flux| ~ 2 pi for one skyrmion per cell)")
    j = np.arange(1, n_gaps + 1, dtype=float)
    levels, _ = onsager_levels(model, cells, n_gaps, flux, band)
    return EmergentStreda(
        flux=flux, skyrmion_number=exact.skyrmion_number, nu_semiclassical=j * math.copysign(1.0, flux),
        nu_exact=exact.hall_index[:n_gaps], idos_semiclassical=j * abs(flux) / (2 * np.pi),
        idos_exact=exact.idos[:n_gaps], gap_exact=exact.gaps[:n_gaps], open=exact.gaps[:n_gaps] > 0,
        level_onsager=levels, level_exact=0.5 * (exact.band_min + exact.band_max)[:n_gaps],
        geometric_shift=grad2 / (8 * model.mass), exact=exact)
