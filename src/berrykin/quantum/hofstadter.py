"""Hofstadter spectra by magnetic Bloch reduction and the Streda coefficient from state counting.

Flux ``phi = p/q`` flux quanta per plaquette of a 2D :class:`~berrykin.models.TightBinding`
(lattice constant a) is ``b = 2 pi phi/a^2`` (hbar = e = 1, charge absorbed: ``b = eB``; the
hoppings get ``exp(-i Int a.dl)``, :mod:`berrykin.quantum.lattice`). In the Landau gauge
``a = (0, b x)`` the Peierls phase of hop R from cell ``x = j`` is
``theta = 2 pi phi R_y (j + R_x/2)``, periodic in j with period q, so a q-cell magnetic unit cell
(along x) gives the ``2q x 2q`` magnetic Bloch Hamiltonian on the magnetic Brillouin zone
``k_x in [0, 2 pi/(q a))``, ``k_y in [0, 2 pi/a)``::

    H_{j, (j + R_x) mod q}(k) += T_R exp(i a k.R) exp(-i theta(j, R)).

Every magnetic band holds one state per magnetic cell (area ``q a^2``), so with the Fermi level
in a gap below which ``r`` bands lie, the density is ``rho = r/(q a^2)`` exactly. Streda (paper
Eq. 45 with errata 3, 4; :mod:`berrykin.conventions`): ``delta rho = nu delta b/(2 pi)``, hence

    nu = 2 pi (rho(b) - rho(b_ref))/(b - b_ref) = (r/q - r_ref/q_ref)/(phi - phi_ref),

berrykin's Hall coefficient (``sigma_xy = nu e^2/h``); for a filled lower band ``nu = -C_lower``
(ERRATA choice 9). The TKNN Diophantine equation ``r = q s + p t`` (``|t| <= q/2``) gives the
same integer ``t``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..errors import ParameterError
from ..models.tight_binding import TightBinding

#: Smallest gap (energy units) around the Fermi level accepted as a gap on the k grid.
MIN_GAP = 1e-6


def _as_tb(system) -> TightBinding:
    if isinstance(system, TightBinding):
        tb = system
    elif hasattr(system, "tight_binding"):
        tb = system.tight_binding()
    else:
        raise ParameterError("system", system, "a TightBinding or a lattice model with tight_binding()")
    if tb.dim != 2 or tb.onsite_field is not None:
        raise ParameterError("system", system, "a translation-invariant 2D tight-binding model")
    return tb


def _as_flux(flux) -> Fraction:
    """``flux`` as a reduced Fraction: a Fraction, an int, a ``(p, q)`` pair or a float that is a
    ratio with a denominator up to 10^6 (within 1e-12; otherwise a ParameterError)."""
    try:
        if isinstance(flux, tuple) and len(flux) == 2:
            f = Fraction(*flux)
        elif isinstance(flux, float):
            f = Fraction(flux).limit_denominator(10**6)
            if abs(float(f) - flux) > 1e-12 * max(1.0, abs(flux)):
                raise ParameterError("flux", flux, "a rational p/q with q <= 10^6: give a "
                                     "Fraction, e.g. Fraction(1, 40)")
        else:
            f = Fraction(flux)
    except (TypeError, ValueError, ZeroDivisionError):
        raise ParameterError("flux", flux, "a rational number p/q, e.g. Fraction(1, 40)") from None
    return f


def flux_note(flux, reduced: Fraction) -> str:
    """How ``flux`` as given became ``reduced`` (empty if unchanged): the magnetic unit cell is
    ``reduced.denominator`` plaquettes, whatever common factor p/q had (same flux, same nu)."""
    if isinstance(flux, tuple) and len(flux) == 2:
        given = f"{flux[0]}/{flux[1]}"
    elif isinstance(flux, float):
        given = repr(flux)
    else:
        return ""
    if given == f"{reduced.numerator}/{reduced.denominator}":
        return ""
    return (f"flux {given} taken as the reduced fraction {reduced} (magnetic unit cell of "
            f"{reduced.denominator} plaquettes)")


def magnetic_bloch_hamiltonian(system, flux, k) -> np.ndarray:
    """The ``2q x 2q`` magnetic Bloch Hamiltonian at flux ``p/q`` per plaquette.

    ``system``: 2D TightBinding or a lattice model with ``tight_binding()``; ``flux``: a
    Fraction (or int); ``k``: (..., 2) in the magnetic Brillouin zone (units 1/a). Returns
    (..., 2q, 2q); basis index ``2 j + orbital`` for cell j = 0..q-1 of the magnetic cell.
    """
    tb, f = _as_tb(system), _as_flux(flux)
    p, q = f.numerator, f.denominator
    k = np.asarray(k, dtype=np.float64)
    a = tb.lattice_constant
    H = np.zeros(k.shape[:-1] + (2 * q, 2 * q), dtype=np.complex128)
    j = np.arange(q)
    for R, T in zip(tb.displacements, tb.matrices):
        bloch = np.exp(1j * a * (k @ R.astype(float)))                        # (...)
        peierls = np.exp(-2j * np.pi * p / q * R[1] * (j + 0.5 * R[0]))       # (q,)
        jt = np.mod(j + R[0], q)
        for o1 in range(2):
            for o2 in range(2):
                H[..., 2 * j + o1, 2 * jt + o2] += T[o1, o2] * bloch[..., None] * peierls
    for o1 in range(2):
        for o2 in range(2):
            H[..., 2 * j + o1, 2 * j + o2] += tb.onsite[o1, o2]
    return H


def hofstadter_bands(system, flux, k_points=(4, 4)) -> np.ndarray:
    """Band energies (nkx, nky, 2q), ascending, on a uniform grid of the magnetic zone."""
    tb, f = _as_tb(system), _as_flux(flux)
    q, a = f.denominator, tb.lattice_constant
    nx, ny = (int(x) for x in k_points)
    kx = 2 * np.pi / (q * a) * np.arange(nx) / nx
    ky = 2 * np.pi / a * np.arange(ny) / ny
    K = np.stack(np.meshgrid(kx, ky, indexing="ij"), axis=-1)
    return np.linalg.eigvalsh(magnetic_bloch_hamiltonian(tb, f, K))


def tknn_diophantine(r: int, p: int, q: int) -> tuple[int, int]:
    """The solution ``(s, t)`` of ``r = q s + p t`` with ``|t| <= q/2`` (TKNN), for ``gcd(p, q) = 1``."""
    if q == 1:
        return r - p * 0, 0
    inv = pow(p % q, -1, q)
    t = (r * inv) % q
    if t > q / 2:
        t -= q
    return (r - p * t) // q, t


@dataclass(frozen=True)
class FilledBands:
    """States below the Fermi level at one flux: ``bands`` filled magnetic bands out of 2q."""

    flux: Fraction
    bands: int
    density: float                 # r/(q a^2), states per unit area
    gap: tuple                     # (highest energy below, lowest energy above) on the grid


def filled_bands(system, flux, fermi_level=0.0, k_points=(4, 4)) -> FilledBands:
    """Count the magnetic bands below ``fermi_level`` and check it lies in a gap on the grid."""
    tb, f = _as_tb(system), _as_flux(flux)
    E = hofstadter_bands(tb, f, k_points).reshape(-1, 2 * f.denominator)
    counts = np.sum(E < fermi_level, axis=-1)
    below = E[E < fermi_level]
    above = E[E >= fermi_level]
    lo = float(below.max()) if below.size else -math.inf
    hi = float(above.min()) if above.size else math.inf
    if np.any(counts != counts[0]) or hi - lo < MIN_GAP:
        raise ParameterError("fermi_level", fermi_level,
                             f"an energy inside a gap at flux {f} (bands around it: {lo:.6g}, {hi:.6g})")
    r = int(counts[0])
    return FilledBands(f, r, r / (f.denominator * tb.lattice_constant**2), (lo, hi))


@dataclass(frozen=True)
class StredaResult:
    """Streda coefficient ``nu = 2 pi d rho/d b`` from two state counts (see module docstring).

    ``coefficient`` is exact rational arithmetic turned into a float; ``diophantine`` is the TKNN
    ``(s, t)`` of the count at ``flux``.
    """

    coefficient: float
    nearest_integer: int
    flux: Fraction
    reference_flux: Fraction
    fermi_level: float
    at_flux: FilledBands
    at_reference: FilledBands
    diophantine: tuple
    k_points: tuple = field(default=(4, 4))
    system: str = ""
    #: how the flux as given was reduced (e.g. ``(2, 40)`` -> 1/20, or a float rationalised);
    #: empty when it was already a reduced Fraction. ``flux`` is always the reduced p/q.
    flux_note: str = ""

    def to_dataset(self):
        """An ``xarray.Dataset`` with the two counts along a ``flux`` dimension."""
        import xarray as xr

        fl = [float(self.reference_flux), float(self.flux)]
        cells = [self.at_reference, self.at_flux]
        return xr.Dataset(
            {"filled_bands": ("flux", [c.bands for c in cells]),
             "density": ("flux", [c.density for c in cells], {"units": "1/a^2"}),
             "gap_below": ("flux", [c.gap[0] for c in cells]),
             "gap_above": ("flux", [c.gap[1] for c in cells])},
            coords={"flux": ("flux", fl, {"units": "flux quanta per plaquette"})},
            attrs={"streda_coefficient": self.coefficient, "nearest_integer": self.nearest_integer,
                   "fermi_level": self.fermi_level, "tknn_s": self.diophantine[0],
                   "tknn_t": self.diophantine[1], "system": self.system,
                   "flux_note": self.flux_note,
                   "convention": "nu = 2 pi d rho/d b, b = eB (berrykin.conventions)"})


def streda_coefficient(system, flux=Fraction(1, 40), *, fermi_level: float = 0.0,
                       reference_flux=Fraction(0), k_points=(4, 4)) -> StredaResult:
    """Streda coefficient ``nu = 2 pi d rho/d b`` by counting magnetic bands below a gap.

    ``flux`` and ``reference_flux``: fluxes per plaquette (Fractions, ``(p, q)`` pairs or exact
    floats); the Fermi level must lie in a gap at both (checked on the k grid). A flux p/q with a
    common factor is reduced (the magnetic unit cell is the reduced q); the result's ``flux``
    is the reduced fraction and ``flux_note`` says so. Cost: ``k_points`` diagonalisations of
    ``2q x 2q``.

    >>> from fractions import Fraction
    >>> from berrykin.models import QWZ
    >>> streda_coefficient(QWZ(m=1.0), Fraction(1, 10)).nearest_integer   # nu = -C_lower
    1
    """
    tb, f, f0 = _as_tb(system), _as_flux(flux), _as_flux(reference_flux)
    if f == f0:
        raise ParameterError("flux", flux, f"a flux different from reference_flux={f0}")
    at, ref = filled_bands(tb, f, fermi_level, k_points), filled_bands(tb, f0, fermi_level, k_points)
    nu = (Fraction(at.bands, f.denominator) - Fraction(ref.bands, f0.denominator)) / (f - f0)
    return StredaResult(float(nu), int(round(nu)), f, f0, float(fermi_level), at, ref,
                        tknn_diophantine(at.bands, f.numerator, f.denominator),
                        tuple(int(x) for x in k_points), tb.name,
                        "; ".join(n for n in (flux_note(flux, f), flux_note(reference_flux, f0)) if n))
