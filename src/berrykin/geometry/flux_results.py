"""Results of :mod:`berrykin.geometry.chern`: Berry fluxes through 2D grid surfaces and monopole
charges, each with ``to_dataset()``. Conventions: ``q_s = -s/2``; a band's flux is the integral
of its usual Berry curvature ``Omega_s = q_s F`` (see :mod:`berrykin.conventions`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BerryFlux", "MonopoleCharge"]


@dataclass(frozen=True)
class BerryFlux:
    """Berry flux of one band through a 2D grid surface in phase space + time.

    Attributes
    ----------
    flux : sum over the plaquettes of the band's FHS Berry phases, ``~ Int q_s F_IJ dI dJ``
        (usual convention: the integral of the band Berry curvature ``Omega_s = q_s F``).
    chern : ``flux / (2 pi)``; an integer up to rounding when ``closed``.
    nearest_integer : ``round(chern)``.
    closed : both directions periodic (texture equal on opposite edges): the surface is a torus
        and ``chern`` is a Chern number.
    periodic : per direction, whether the grid wraps.
    plane : the two coordinates ``(I, J)``; the orientation is ``dI ^ dJ``.
    band : ``s`` (+1 upper, -1 lower).
    shape : plaquettes ``(N_I, N_J)``.
    bounds : ``((lo_I, hi_I), (lo_J, hi_J))``.
    point : the values of the other coordinates, as ``((name, value), ...)``.
    max_plaquette_phase : the largest ``|phase|`` of a plaquette; close to ``pi`` means the grid
        is too coarse to resolve the curvature (the integer may then be wrong).
    min_gap : the smallest ``|Delta|`` on the grid; tiny values mean the surface (nearly)
        crosses a band touching, where the flux is not defined.
    model : ``repr`` of the model.
    """

    flux: float
    chern: float
    nearest_integer: int
    closed: bool
    periodic: tuple[bool, bool]
    plane: tuple[str, str]
    band: int
    shape: tuple[int, int]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    point: tuple[tuple[str, float], ...]
    max_plaquette_phase: float
    min_gap: float
    model: str = ""

    def to_dataset(self):
        """The result as an :class:`xarray.Dataset` (scalars plus per-axis grid information)."""
        import xarray as xr

        return xr.Dataset(
            data_vars={
                "flux": ((), self.flux, {"description": "sum of band Berry phases (rad)"}),
                "chern": ((), self.chern, {"description": "flux / 2 pi"}),
                "nearest_integer": ((), self.nearest_integer),
                "max_plaquette_phase": ((), self.max_plaquette_phase),
                "min_gap": ((), self.min_gap, {"description": "smallest |Delta| on the grid"}),
                "bounds": (("axis", "edge"), np.asarray(self.bounds, dtype=float)),
                "shape": (("axis",), np.asarray(self.shape, dtype=np.int64)),
                "periodic": (("axis",), np.asarray(self.periodic, dtype=bool)),
            },
            coords={"axis": list(self.plane), "edge": ["lo", "hi"]},
            attrs={
                "quantity": "Berry flux (FHS)",
                "band": self.band,
                "closed": int(self.closed),
                "point": ", ".join(f"{k}={v!r}" for k, v in self.point),
                "model": self.model,
                "convention": "flux = sum of band Berry phases ~ Int q_s F_IJ dI dJ, q_s = -s/2",
            },
        )


@dataclass(frozen=True)
class MonopoleCharge:
    """Berry flux of ``F`` (not ``q_s F``) out of a small sphere, and the monopole charge.

    Attributes: ``flux`` (sum of the signed solid angles of the triangulated image, ``4 pi N``
    for a closed sphere), ``charge = flux / (4 pi)``, ``nearest_integer``, ``coords`` (the three
    coordinates spanning the sphere, outward orientation ``dc1 ^ dc2 ^ dc3``), ``center``,
    ``radius``, ``n`` (latitude rings; ``2 n`` meridians), ``point`` (the other coordinates),
    ``model``.
    """

    flux: float
    charge: float
    nearest_integer: int
    coords: tuple[str, str, str]
    center: tuple[float, float, float]
    radius: float
    n: int
    point: tuple[tuple[str, float], ...]
    model: str = ""

    def to_dataset(self):
        """The result as an :class:`xarray.Dataset`."""
        import xarray as xr

        return xr.Dataset(
            data_vars={
                "flux": ((), self.flux, {"description": "Berry flux of F out of the sphere (rad)"}),
                "charge": ((), self.charge, {"description": "flux / 4 pi"}),
                "nearest_integer": ((), self.nearest_integer),
                "center": (("axis",), np.asarray(self.center, dtype=float)),
            },
            coords={"axis": list(self.coords)},
            attrs={
                "quantity": "monopole charge",
                "radius": self.radius,
                "n": self.n,
                "point": ", ".join(f"{k}={v!r}" for k, v in self.point),
                "model": self.model,
            },
        )
