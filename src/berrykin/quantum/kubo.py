"""Exact Kubo-Bastin conductivity of a two-band lattice model with a constant broadening.

For a lattice model with Bloch Hamiltonian ``H_k`` (from its
:class:`~berrykin.models.TightBinding`), the retarded Green's function
``G^R(E) = (E - H_k + i Gamma)^-1`` with a constant broadening ``Gamma > 0`` and the velocity
``v_i = dH_k/dk_i`` give the Bastin formula at T = 0, split as Streda did into a Fermi-surface
term (I) and a Fermi-sea term (II) (docs/kubo.md, Eqs. K1-K3):

    sigma_ij = sigma^I_ij + sigma^II_ij,
    sigma^I_ij  = (1/4 pi) Int [dk] Tr[v_i (G^R - G^A) v_j G^A - v_i G^R v_j (G^R - G^A)]_{E = mu}
    sigma^II_ij = (1/4 pi) Int [dk] Int_{-inf}^{mu} dE Tr[v_i G^R v_j G^R' - v_i G^R' v_j G^R - (R -> A)]

with ``[dk] = d^dk/(2 pi)^d`` over the Brillouin zone and ``G' = dG/dE``. The energy integral of
II is done in closed form in the band basis (:mod:`.kubo_terms`), so it has no quadrature error.
Units hbar = e = 1: ``sigma[i, j] = d j_i / d e_j`` in units of e^2/hbar, so ``e^2/h = 1/(2 pi)``
and ``nu = 2 pi sigma_xy`` (:mod:`berrykin.conventions`; QWZ m = 1 with mu in the gap has
nu = +1). In d = 3 sigma is a conductivity (per length), in d = 2 a sheet conductance.

Limits (docs/kubo.md): for mu in a band and Gamma -> 0, ``sigma_xx * Gamma`` tends to the
Boltzmann value with ``tau = 1/(2 Gamma)``, ``(1/2) Int [dk] v_x^2 delta(E - mu)``, and
``sigma_xy`` to the intrinsic Fermi-sea Berry-curvature integral ``-Int [dk] sum_n f_n Omega_n``.

The k sum is the trapezoidal (periodic) rule on a uniform grid, exponentially accurate once
the grid resolves the Green's function: its poles lie a distance ``|mu - E_n + i Gamma|/|v_n|``
from the real k axis, so the error is about ``exp(-2 pi / r)`` with the resolution ratio
``r = max_k,n |v_n| dk / |mu - E_n + i Gamma|``. A grid with ``r > MAX_RESOLUTION_RATIO`` raises
:class:`~berrykin.errors.UnresolvedBroadeningError`, one with
``DEFAULT_RESOLUTION_RATIO < r <= MAX_RESOLUTION_RATIO`` warns (:class:`ResolutionWarning`); by
default the grid is chosen so that ``r <= DEFAULT_RESOLUTION_RATIO``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError, ResolutionWarning, UnresolvedBroadeningError
from ..models.tight_binding import TightBinding, symbol
from .kubo_terms import integrands

#: A grid coarser than this resolution ratio r (error ~ exp(-2 pi/r) ~ 2e-3) raises.
MAX_RESOLUTION_RATIO = 1.0
#: Target of the default grid (error ~ exp(-4 pi) ~ 3e-6).
DEFAULT_RESOLUTION_RATIO = 0.5
#: The default grid never exceeds this many k points (give ``shape`` to go beyond).
MAX_DEFAULT_POINTS = 2 ** 23
#: Points per vectorised chunk (memory ~ 3 kB per point in 3D).
CHUNK = 2 ** 15
#: |h| below this (relative to the largest |h|) at a grid point is a band touching on the grid.
TOUCHING_TOL = 1e-10


@dataclass(frozen=True)
class KuboConductivity:
    """Kubo-Bastin conductivity tensor (d, d) of a lattice model at T = 0 (docs/kubo.md).

    ``sigma = intraband + interband_surface + fermi_sea``; ``fermi_surface`` (sigma^I) is the first
    two. ``intraband`` is the band-diagonal (Kubo-Greenwood, Drude-like, ~ 1/Gamma) part of
    sigma^I, ``interband_surface`` its band-off-diagonal part and ``fermi_sea`` the Streda term
    sigma^II. Units e^2/hbar (hbar = e = 1; e^2/h = 1/(2 pi)), per length^(d-2).
    """

    sigma: np.ndarray
    intraband: np.ndarray
    interband_surface: np.ndarray
    fermi_sea: np.ndarray
    mu: float
    gamma: float
    shape: tuple
    offset: float
    resolution_ratio: float
    model: str = ""
    lattice_constant: float = 1.0
    coords: tuple = field(default=("x", "y", "z"), repr=False)

    @property
    def fermi_surface(self) -> np.ndarray:
        """sigma^I = intraband + interband_surface, shape (d, d)."""
        return self.intraband + self.interband_surface

    @property
    def nu(self) -> float:
        """``2 pi sigma_xy`` (Hall conductance in units of e^2/h; d = 2)."""
        return float(2 * np.pi * self.sigma[0, 1])

    def to_dataset(self):
        """An ``xarray.Dataset`` over (i, j) with the parts, units and definitions in attrs."""
        import xarray as xr

        d = self.sigma.shape[0]
        names = list(self.coords[:d])
        unit = "e^2/hbar" + ("" if d == 2 else f" * a^{2 - d}")

        def var(arr, text):
            return (("i", "j"), np.asarray(arr), {"units": unit, "definition": text})

        return xr.Dataset(
            {"sigma": var(self.sigma, "d j_i / d e_j, Kubo-Bastin at T = 0 (docs/kubo.md K1)"),
             "intraband": var(self.intraband, "band-diagonal part of the Fermi-surface term I"),
             "interband_surface": var(self.interband_surface, "band-off-diagonal part of term I"),
             "fermi_sea": var(self.fermi_sea, "Streda Fermi-sea term II (closed-form energy integral)")},
            coords={"i": ("i", names), "j": ("j", names)},
            attrs={"mu": self.mu, "gamma": self.gamma, "shape": list(self.shape),
                   "offset": self.offset, "resolution_ratio": self.resolution_ratio,
                   "model": self.model, "lattice_constant": self.lattice_constant,
                   "convention": "hbar = e = 1, e^2/h = 1/(2 pi), nu = 2 pi sigma_xy",
                   "method": "Kubo-Bastin, constant broadening G = (mu - H + i Gamma)^-1"})


def _tight_binding(model) -> TightBinding:
    if isinstance(model, TightBinding):
        tb = model
    elif hasattr(model, "tight_binding"):
        tb = model.tight_binding()
    else:
        raise ParameterError("model", model, "a lattice model with tight_binding() (e.g. QWZ, "
                             "LatticeWeyl) or a TightBinding")
    if tb.onsite_field is not None:
        raise ParameterError("model", getattr(tb, "name", tb), "a translation-invariant lattice "
                             "model (its tight-binding form has a position-dependent onsite term)")
    return tb


def _points(tb, shape, offset, start, stop):
    """k points (n, d) of the flattened grid indices [start, stop)."""
    idx = np.stack(np.unravel_index(np.arange(start, stop), shape), axis=-1)
    return 2 * np.pi * (idx + offset) / (tb.lattice_constant * np.asarray(shape, dtype=float))


def _default_shape(tb, mu, gamma, offset):
    """Smallest isotropic grid with resolution ratio <= DEFAULT_RESOLUTION_RATIO (coarse probe)."""
    d = tb.dim
    n0 = {1: 4096, 2: 128, 3: 32}[d]
    shape0 = (n0,) * d
    dk0 = 2 * np.pi / (tb.lattice_constant * n0)
    k = _points(tb, shape0, offset, 0, n0**d)
    eps, delta = symbol(tb.bloch_hamiltonian(k))
    V = tb.bloch_velocity(k)
    _, _, _, _, E, vband = integrands(mu, gamma, eps / 2, delta / 2, V)
    v = np.linalg.norm(vband, axis=-1)
    # nearest approach of the band to mu within a coarse cell bounds the fine-grid maximum
    dist = np.maximum(np.abs(mu - E) - v * dk0 * math.sqrt(d), 0.0)
    inv = float(np.max(v / np.hypot(dist, gamma)))
    n = max(n0 // 4, math.ceil(2 * np.pi * inv / (tb.lattice_constant * DEFAULT_RESOLUTION_RATIO)))
    if n**d > MAX_DEFAULT_POINTS:
        raise UnresolvedBroadeningError(
            "gamma", gamma, f"the default grid would need {n}^{d} k points to resolve Gamma "
            f"(|v|/Gamma up to {inv:.3g}); give a larger gamma or an explicit shape")
    return (n,) * d


def check_resolution(caller: str, shape, ratio: float, gamma: float, remedy: str) -> None:
    """Raise :class:`UnresolvedBroadeningError` for ``ratio > MAX_RESOLUTION_RATIO``, warn
    (:class:`ResolutionWarning`) for ``ratio > DEFAULT_RESOLUTION_RATIO`` (module docstring)."""
    if ratio > MAX_RESOLUTION_RATIO:
        raise UnresolvedBroadeningError(
            "shape", shape, f"a k grid that resolves Gamma = {gamma}: resolution ratio "
            f"max |v| dk/|mu - E + i Gamma| = {ratio:.3g} > {MAX_RESOLUTION_RATIO}; {remedy}")
    if ratio > DEFAULT_RESOLUTION_RATIO:
        warnings.warn(f"{caller}: the k grid {shape} barely resolves Gamma = {gamma} (resolution "
                      f"ratio {ratio:.3g}, k-sum error ~ {math.exp(-2 * math.pi / ratio):.1g} "
                      f"relative); {remedy}", ResolutionWarning, stacklevel=3)


def kubo_conductivity(model, mu: float, gamma: float, *, shape=None, offset: float = 0.5,
                      chunk: int = CHUNK) -> KuboConductivity:
    """The Kubo-Bastin conductivity ``sigma[i, j] = d j_i / d e_j`` at T = 0 (docs/kubo.md K1-K6).

    Parameters
    ----------
    model : a lattice model with ``tight_binding()`` (``QWZ``, ``LatticeWeyl``, ...) or a
        :class:`~berrykin.models.TightBinding` (no position-dependent onsite term).
    mu : chemical potential (energy).
    gamma : constant broadening Gamma > 0 (energy); the quasiparticle lifetime is
        ``tau = 1/(2 Gamma)``.
    shape : k points per direction ``(N_1, ..., N_d)``; None chooses the smallest isotropic
        grid with resolution ratio ``r <= 0.5`` (module docstring; needs ``dk << Gamma/|v|`` near
        the Fermi surface).
    offset : grid shift in units of the spacing, ``k_i = 2 pi (n_i + offset)/(a N_i)`` (0.5 keeps
        high-symmetry points, where band touchings sit, off the grid).
    chunk : k points per vectorised block (memory only; the result does not depend on it).

    Returns a :class:`KuboConductivity` (sigma and its parts, shape (d, d), units e^2/hbar).
    Raises :class:`UnresolvedBroadeningError` when the grid's resolution ratio exceeds
    ``MAX_RESOLUTION_RATIO`` (warns, :class:`ResolutionWarning`, above
    ``DEFAULT_RESOLUTION_RATIO``) and :class:`ParameterError` for a band touching on a grid point.

    Example
    -------
    >>> from berrykin.models import QWZ
    >>> res = kubo_conductivity(QWZ(m=1.0), mu=0.0, gamma=0.05, shape=(64, 64))
    >>> round(res.nu, 2)          # lower band filled: nu = -C_lower = +1
    1.0
    """
    tb = _tight_binding(model)
    d = tb.dim
    try:
        mu, gamma, offset = float(mu), float(gamma), float(offset)
    except (TypeError, ValueError):
        raise ParameterError("mu, gamma, offset", (mu, gamma, offset), "real numbers") from None
    if not math.isfinite(mu):
        raise ParameterError("mu", mu, "a finite energy")
    if not (math.isfinite(gamma) and gamma > 0):
        raise ParameterError("gamma", gamma, "a broadening Gamma > 0 (energy)")
    if not math.isfinite(offset):
        raise ParameterError("offset", offset, "a finite grid shift (e.g. 0.5)")
    if not (isinstance(chunk, (int, np.integer)) and chunk >= 1):
        raise ParameterError("chunk", chunk, "a positive number of k points per block")
    shape = _default_shape(tb, mu, gamma, offset) if shape is None else tuple(np.atleast_1d(shape))
    if len(shape) != d or any(int(s) != s or s < 1 for s in shape):
        raise ParameterError("shape", shape, f"{d} positive integers (k points per direction)")
    shape = tuple(int(s) for s in shape)
    total = int(np.prod(shape))
    dk = 2 * np.pi / (tb.lattice_constant * np.asarray(shape, dtype=float))

    acc = np.zeros((3, d, d))
    worst, hmin, hmax, where = 0.0, np.inf, 0.0, None
    for start in range(0, total, int(chunk)):
        k = _points(tb, shape, offset, start, min(total, start + int(chunk)))
        eps, delta = symbol(tb.bloch_hamiltonian(k))
        intra, inter, sea, habs, E, vband = integrands(mu, gamma, eps / 2, delta / 2,
                                                       tb.bloch_velocity(k))
        acc += [intra.sum(0), inter.sum(0), sea.sum(0)]
        worst = max(worst, float(np.max(np.max(np.abs(vband * dk), axis=-1)
                                        / np.abs(mu - E + 1j * gamma))))
        i = int(np.argmin(habs))
        if habs[i] < hmin:
            hmin, where = float(habs[i]), k[i]
        hmax = max(hmax, float(np.max(habs)))
    if hmin <= TOUCHING_TOL * max(hmax, 1.0):
        raise ParameterError("shape", shape, f"a grid that misses the band touching at k = "
                             f"{np.round(where, 6).tolist()} (change offset or shape)")
    need = np.ceil(np.asarray(shape) * worst / DEFAULT_RESOLUTION_RATIO).astype(int)
    check_resolution("kubo_conductivity", shape, worst, gamma,
                     f"use shape >= {tuple(need.tolist())} (or shape=None) or a larger gamma")
    norm = 1.0 / (4 * np.pi * total * tb.lattice_constant**d)
    intra, inter, sea = (norm * a for a in acc)
    return KuboConductivity(sigma=intra + inter + sea, intraband=intra, interband_surface=inter,
                            fermi_sea=sea, mu=mu, gamma=gamma, shape=shape, offset=offset,
                            resolution_ratio=worst, model=str(tb.name),
                            lattice_constant=tb.lattice_constant)
