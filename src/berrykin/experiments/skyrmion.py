"""Electrons crossing a magnetic skyrmion: semiclassical transverse (topological Hall) drift with
groups of Berry-curvature terms switched off, and its exact lattice counterpart (issue 4).

A wave packet of band s (:class:`~berrykin.quantum.skyrmion.GaussianPacket`: centre ``r_0``,
momentum ``k_0``, width w) moves through a real-space texture ``n(r)``. Semiclassically its
centre follows the canonical sEOM (paper Eq. 24). In the adiabatic regime (|Delta| large
compared with ``v |grad n|``) the texture acts through its real-space curvature, an emergent
magnetic field ``b_s = q_s F_xy`` (``q_s = -s/2``; ``F_xy = n.(d_x n x d_y n)`` integrates to
``4 pi`` times the skyrmion number), so ``pdot = rdot x b_s z`` deflects the packet to one side:

    Delta p_perp ~= -q_s Int F_xy dl   along the (straight) path, sign fixed by b_s and k_0.

The packet is represented either by one trajectory from ``(r_0, k_0)`` (``quadrature=1``) or by
the average over its Wigner distribution, a Gaussian with standard deviations w in r and
``1/(2 w)`` in k, on a tensor Gauss-Hermite rule with ``quadrature`` nodes per axis (``q^4``
trajectories). The transverse drift is ``(<r>(t) - <r>(0)) . (z x k_0/|k_0|)``. Each variant
keeps a chosen set of blocks of F_IJ (:class:`~berrykin.geometry.pointwise.CurvatureTerms`):
by default all, then each of F_rr, F_rp, F_pp, F_t off in turn, then none. The exact reference
(:func:`exact_skyrmion_drift`) evolves the same packet on the lattice of
:class:`~berrykin.models.LatticeTexturedFerromagnet2D` (:mod:`berrykin.quantum.skyrmion`).
Units: hbar = e = 1, lengths in the model's units, time 1/energy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..dynamics import TrajectoryOptions, integrate_trajectories
from ..errors import ParameterError
from ..geometry.pointwise import CurvatureTerms
from ..models import LatticeTexturedFerromagnet2D
from ..models.base import Model
from ..quantum.skyrmion import GaussianPacket, PacketEvolution, evolve_packet

__all__ = ["SkyrmionDrift", "skyrmion_drift", "exact_skyrmion_drift", "default_variants",
           "wigner_quadrature", "GaussianPacket"]


def default_variants() -> dict:
    """``{'all': all blocks, 'no_real', 'no_mixed', 'no_momentum', 'no_time', 'none'}``."""
    out = {"all": CurvatureTerms()}
    out.update({f"no_{g}": CurvatureTerms.without(g) for g in CurvatureTerms.GROUPS})
    out["none"] = CurvatureTerms.none()
    return out


def wigner_quadrature(packet: GaussianPacket, order: int):
    """Nodes ``(r (M, 2), k (M, 2))`` and weights (M,) (sum 1), ``M = order^4``, of the tensor
    Gauss-Hermite rule for the packet's Wigner Gaussian (std w in r, ``1/(2 w)`` in k); exact
    for polynomials of degree < 2 order in each variable. ``order = 1``: the centre only."""
    x, w = np.polynomial.hermite_e.hermegauss(int(order))   # weight exp(-x^2/2)
    w = w / w.sum()
    grids = np.meshgrid(x, x, x, x, indexing="ij")
    wt = np.prod(np.meshgrid(w, w, w, w, indexing="ij"), axis=0).reshape(-1)
    z = np.stack([g.reshape(-1) for g in grids], axis=-1)
    r = np.asarray(packet.position) + packet.width * z[:, :2]
    k = np.asarray(packet.momentum) + z[:, 2:] / (2 * packet.width)
    return r, k, wt


@dataclass(frozen=True)
class SkyrmionDrift:
    """Semiclassical drift of a packet with curvature variants (module docstring).

    ``variants`` (V,) names; ``curvature`` the matching :class:`CurvatureTerms`; ``times`` (T,);
    ``center`` (V, T, 2) the ensemble centre ``<r>``; ``drift`` (V, T) transverse and
    ``advance`` (V, T) longitudinal displacement; ``spread`` (V, T, 2) the ensemble's standard
    deviations of x and y; ``momentum`` (V, T, 2) the mean canonical momentum. Arrays are read-only.
    """

    variants: tuple
    curvature: tuple
    times: np.ndarray
    center: np.ndarray
    drift: np.ndarray
    advance: np.ndarray
    spread: np.ndarray
    momentum: np.ndarray
    packet: GaussianPacket
    quadrature: int
    energy_shift: bool
    model: str

    def __post_init__(self):
        for name in ("times", "center", "drift", "advance", "spread", "momentum"):
            a = np.array(getattr(self, name), dtype=float)
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    def final(self) -> dict:
        """``{variant: transverse drift at the last time}``."""
        return {v: float(self.drift[i, -1]) for i, v in enumerate(self.variants)}

    def __getitem__(self, variant: str) -> np.ndarray:
        """Transverse drift (T,) of one variant."""
        try:
            return self.drift[self.variants.index(variant)]
        except ValueError:
            raise ParameterError("variant", variant, f"one of {self.variants}") from None

    def to_dataset(self):
        import json

        import xarray as xr

        dims = ("variant", "time")
        return xr.Dataset(
            {"drift": (dims, np.array(self.drift), {
                "units": "length", "long_name": "transverse drift (<r> - <r>(0)).(z x k0/|k0|)"}),
             "advance": (dims, np.array(self.advance), {"units": "length",
                                                        "long_name": "displacement along k0"}),
             "center": (dims + ("axis",), np.array(self.center), {"units": "length", "long_name": "<r>"}),
             "spread": (dims + ("axis",), np.array(self.spread), {"units": "length",
                                                                  "long_name": "ensemble std of r"}),
             "momentum": (dims + ("axis",), np.array(self.momentum),
                          {"units": "wave number", "long_name": "mean canonical momentum"})},
            coords={"variant": list(self.variants), "time": ("time", np.array(self.times),
                                                             {"units": "1/energy (hbar = 1)"}),
                    "axis": ["x", "y"]},
            attrs={"method": "ensemble of canonical sEOM trajectories (paper Eq. 24) over the Wigner "
                             "Gaussian of the packet (tensor Gauss-Hermite)",
                   "curvature": json.dumps({v: c.as_dict() for v, c in zip(self.variants, self.curvature)}),
                   "model": self.model, "band": self.packet.band,
                   "position": list(self.packet.position), "momentum0": list(self.packet.momentum),
                   "width": self.packet.width, "quadrature": self.quadrature,
                   "energy_shift": int(self.energy_shift),
                   "units": "hbar = e = 1", "sign": "q_s = -s/2; emergent field b_s = q_s F_xy"})


def _variants(curvature):
    if curvature is None:
        return default_variants()
    if isinstance(curvature, CurvatureTerms):
        return {"custom" if curvature.off else "all": curvature}
    try:
        items = dict(curvature)
    except (TypeError, ValueError):
        raise ParameterError("curvature", curvature, "None, a CurvatureTerms, or a mapping name -> "
                             "CurvatureTerms") from None
    if not items or not all(isinstance(v, CurvatureTerms) for v in items.values()):
        raise ParameterError("curvature", curvature, "a non-empty mapping name -> CurvatureTerms")
    return {str(k): v for k, v in items.items()}


def _times(times):
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size < 2 or t[0] != 0.0 or np.any(np.diff(t) <= 0) or not np.all(np.isfinite(t)):
        raise ParameterError("times", times, "increasing finite times starting at 0, e.g. np.linspace(0, T, 16)")
    return t


def skyrmion_drift(model, packet: GaussianPacket, times, *, curvature=None, quadrature: int = 3,
                   energy_shift: bool = True, rtol: float = 1e-9, atol: float = 1e-11) -> SkyrmionDrift:
    """Semiclassical transverse drift of ``packet`` in a 2D textured ``model`` (module docstring).

    Parameters
    ----------
    model : a 2D :class:`~berrykin.models.Model` depending on r, e.g.
        :class:`~berrykin.models.LatticeTexturedFerromagnet2D` or
        :class:`~berrykin.models.TexturedFerromagnet2D` with a :class:`~berrykin.models.Skyrmion`.
    packet : :class:`GaussianPacket` (band, r_0, k_0, width).
    times : output times, increasing from 0 (1/energy).
    curvature : None (the default table: all, each block off in turn, none), one
        :class:`CurvatureTerms`, or a mapping ``name -> CurvatureTerms``.
    quadrature : Gauss-Hermite nodes per phase-space axis (1: a single trajectory).
    energy_shift : keep ``delta eps = -|Delta| F/4`` (Eq. 23) in every variant.

    Returns :class:`SkyrmionDrift` (drift (V, T)). Cost: ``V`` integrations of ``quadrature^4``
    trajectories (one compiled right-hand side for all variants).

    >>> from berrykin.models import TexturedFerromagnet2D, Skyrmion
    >>> m = TexturedFerromagnet2D(exchange=2.0, rashba=0.0, texture=Skyrmion(radius=3.0, width=3.0))
    >>> res = skyrmion_drift(m, GaussianPacket((-12.0, 0.0), (1.0, 0.0), 2.0), [0.0, 24.0], quadrature=1)
    >>> res.final()["no_real"], res.final()["all"] > 1.0   # lower band, q = +1/2: bent to the left
    (0.0, True)
    """
    if not isinstance(model, Model) or model.dim != 2 or not model.depends_on_r:
        raise ParameterError("model", model, "a 2D model with a real-space texture, e.g. "
                             "LatticeTexturedFerromagnet2D(texture=Skyrmion(...))")
    if not isinstance(packet, GaussianPacket):
        raise ParameterError("packet", packet, "a GaussianPacket(position, momentum, width, band)")
    if isinstance(quadrature, bool) or not isinstance(quadrature, (int, np.integer)) or not 1 <= quadrature <= 8:
        raise ParameterError("quadrature", quadrature, "an integer from 1 to 8")
    t = _times(times)
    variants = _variants(curvature)
    r0, k0, w = wigner_quadrature(packet, int(quadrature))
    e_perp, e_par = packet.transverse, packet.direction
    centers, spreads, moms = [], [], []
    for terms in variants.values():
        opts = TrajectoryOptions(rtol=rtol, atol=atol, t_eval=tuple(t), energy_shift=bool(energy_shift),
                                 curvature=terms)
        res = integrate_trajectories(model, r0, k0, (0.0, float(t[-1])), band=packet.band, options=opts)
        c = np.einsum("n,tnd->td", w, res.r)
        centers.append(c)
        spreads.append(np.sqrt(np.maximum(np.einsum("n,tnd->td", w, res.r**2) - c**2, 0.0)))
        moms.append(np.einsum("n,tnd->td", w, res.p))
    center = np.array(centers)
    dr = center - center[:, :1]
    return SkyrmionDrift(
        variants=tuple(variants), curvature=tuple(variants.values()), times=t, center=center,
        drift=dr @ e_perp, advance=dr @ e_par, spread=np.array(spreads), momentum=np.array(moms), packet=packet,
        quadrature=int(quadrature), energy_shift=bool(energy_shift), model=repr(model))


def lattice_box(model, semiclassical: SkyrmionDrift, n_std: float = 3.5, margin_cells: int = 4):
    """Cells ``(L_x, L_y)`` of a lattice from the origin that holds the packet: the semiclassical
    centre of variant 'all' (or the first) plus ``n_std`` ensemble standard deviations and
    ``margin_cells``, at all times; the skyrmion centre lies inside as well."""
    a = model.lattice_constant
    i = semiclassical.variants.index("all") if "all" in semiclassical.variants else 0
    lo = np.min(semiclassical.center[i] - n_std * semiclassical.spread[i], axis=0)
    hi = np.max(semiclassical.center[i] + n_std * semiclassical.spread[i], axis=0)
    if np.any(lo < 0):
        raise ParameterError("packet.position", semiclassical.packet.position,
                             f"a set-up at positive coordinates (the lattice starts at r = 0; the packet "
                             f"reaches {lo.round(2).tolist()}): shift the packet and the skyrmion centre")
    hi = np.maximum(hi, np.asarray(getattr(model.texture, "center", (0.0, 0.0))))
    return tuple(int(math.ceil(h / a)) + margin_cells for h in hi)


def exact_skyrmion_drift(model, packet: GaussianPacket, times, *, shape=None, periodic: bool = False,
                         semiclassical: SkyrmionDrift | None = None) -> PacketEvolution:
    """The exact counterpart of :func:`skyrmion_drift`: the same packet evolved on the lattice of
    ``model`` (:func:`berrykin.quantum.skyrmion.evolve_packet`), with the same drift definition.

    The lattice has cells at ``r = a (i, j)``, ``0 <= i < L_x``; ``shape`` defaults to
    :func:`lattice_box` (from ``semiclassical``, computed with ``quadrature=2`` if not given).
    Check ``result.edge_weight`` (~0 when the box is large enough). ``times`` must be equally
    spaced from 0.
    """
    if not isinstance(model, LatticeTexturedFerromagnet2D):
        raise ParameterError("model", model, "a LatticeTexturedFerromagnet2D (the exact reference is "
                             "on its lattice)")
    t = _times(times)
    if semiclassical is not None and semiclassical.packet != packet:
        raise ParameterError("semiclassical", semiclassical.packet, f"a result for the same packet {packet}")
    if shape is None:
        if semiclassical is None:
            semiclassical = skyrmion_drift(model, packet, t, curvature=CurvatureTerms(), quadrature=2)
        shape = lattice_box(model, semiclassical)
    return evolve_packet(model, packet, t, shape, periodic=periodic)
