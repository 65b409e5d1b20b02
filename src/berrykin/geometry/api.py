"""Public geometry of a two-band model, vectorised over leading axes.

Every function takes ``r`` of shape ``(..., d)`` (or None for models without r dependence),
``p`` of shape ``(..., d)`` and ``t`` (scalar or broadcastable), and returns NumPy float64
arrays whose leading shape is the broadcast of the three. Units: hbar = e = 1; see
:mod:`berrykin.conventions` for signs.

Gap closings (docs/conventions.md): every quantity that divides by |Delta| (the texture, F_IJ
and everything built from it, the corrected energies, the velocities) is undefined where
``|Delta| <= GAP_FLOOR`` (1e-100, numerically zero). There the functions raise
:class:`~berrykin.errors.GapClosingError` naming the first such point, unless they are called
with ``nan_at_gap_closing=True``, which returns NaN at exactly those points (e.g. for plots).
``gap_vector`` and the uncorrected ``band_energies`` are defined everywhere.
"""

from __future__ import annotations

import numpy as np

from ..conventions import q as charge
from ..errors import ParameterError
from . import pointwise as pw
from .pointwise import CurvatureTerms
from ._vectorize import GAP_FLOOR, as_points, evaluate, evaluate_checked, raise_gap_closing


def _reshape(vals, lead):
    return vals.reshape(lead + vals.shape[1:])


def gap_vector(model, r=None, p=None, t=0.0):
    """Delta(r, p, t), shape (..., 3)."""
    X, lead = as_points(model, r, p, t)
    return _reshape(evaluate(pw.gap_vector, model, X), lead)


def texture(model, r=None, p=None, t=0.0, *, nan_at_gap_closing=False):
    """The spin texture ``m = Delta/|Delta|`` (paper after Eq. 12), shape (..., 3).

    Undefined where the gap closes: GapClosingError, or NaN with ``nan_at_gap_closing=True``.
    """
    X, lead = as_points(model, r, p, t)
    D = evaluate(pw.gap_vector, model, X)
    norm = np.linalg.norm(D, axis=-1, keepdims=True)
    if not np.min(norm, initial=np.inf) > GAP_FLOOR:
        bad = ~(norm[:, 0] > GAP_FLOOR)
        if not nan_at_gap_closing:
            raise_gap_closing(model, X, norm[:, 0] ** 2, bad, "texture")
        norm = np.where(bad[:, None], np.nan, norm)
    return _reshape(D / norm, lead)


def berry_curvature(model, r=None, p=None, t=0.0, *, nan_at_gap_closing=False):
    """The phase-space-time Berry curvature ``F_IJ = m . (d_I m x d_J m)`` (Eq. 18, ERRATA).

    Shape (..., 2d+1, 2d+1), coordinates ordered (r_1..r_d, p_1..p_d, t); antisymmetric.
    The band Berry curvature in the usual convention is ``q_s F_IJ`` with ``q_s = -s/2``.

    >>> from berrykin.models import MassiveDirac2D
    >>> F = berry_curvature(MassiveDirac2D(m=1.0), p=[0.0, 0.0])
    >>> round(float(F[2, 3]), 12)   # F_{p_x p_y} = B_k = m/E^3 at k = 0
    1.0

    Where the gap closes (``|Delta| <= GAP_FLOOR``) F is undefined: GapClosingError naming the
    point, or NaN there with ``nan_at_gap_closing=True``.
    """
    X, lead = as_points(model, r, p, t)
    return _reshape(evaluate_checked(pw.berry_tensor, model, X, quantity="berry_curvature",
                                     nan_at_gap_closing=nan_at_gap_closing), lead)


def curvature_scalar(model, r=None, p=None, t=0.0, *, nan_at_gap_closing=False):
    """``F = sum_l F_{r_l p_l}`` (paper after Eq. 21), shape (...). For minimal coupling
    ``F = b . B_k`` (Eq. F3). Gap closings as in :func:`berry_curvature`."""
    d = model.dim
    F = berry_curvature(model, r, p, t, nan_at_gap_closing=nan_at_gap_closing)
    idx = np.arange(d)
    return F[..., idx, d + idx].sum(axis=-1)


def band_energies(model, r=None, p=None, t=0.0, corrected=False, *, nan_at_gap_closing=False):
    """Band energies ``eps_s = (eps + s|Delta|)/2`` (Eq. 13), shape (..., 2), bands (+1, -1).

    With ``corrected=True`` both include ``delta eps = -|Delta| F/4`` (Eq. 23; ERRATA 5), which
    is undefined where the gap closes (see :func:`berry_curvature`); the uncorrected energies
    are defined everywhere.
    """
    X, lead = as_points(model, r, p, t)
    if not corrected:
        return _reshape(evaluate(pw.band_energies, model, X, False), lead)
    return _reshape(evaluate_checked(pw.band_energies, model, X, True, quantity="band_energies(corrected=True)",
                                     nan_at_gap_closing=nan_at_gap_closing), lead)


def energy_shift(model, r=None, p=None, t=0.0, *, nan_at_gap_closing=False):
    """``delta eps = -|Delta| F / 4`` (Eq. 23; the same for both bands), shape (...).
    Gap closings as in :func:`berry_curvature`."""
    D = np.linalg.norm(gap_vector(model, r, p, t), axis=-1)
    return -D * curvature_scalar(model, r, p, t, nan_at_gap_closing=nan_at_gap_closing) / 4.0


def liouville_factor(model, r=None, p=None, t=0.0, band=+1, *, nan_at_gap_closing=False):
    """Phase-space density-of-states factor ``D_s = 1 - q_s F`` (Eq. 28, linear order).
    Gap closings as in :func:`berry_curvature`."""
    return 1.0 - charge(band) * curvature_scalar(model, r, p, t, nan_at_gap_closing=nan_at_gap_closing)


def momentum_berry_field(model, r=None, p=None, t=0.0, *, nan_at_gap_closing=False):
    """Momentum-space Berry field B_k with ``F_{k_i k_j} = eps_ijl (B_k)_l`` (App. E).

    Shape (..., 3); in 2D only the z component is non-zero (``B_k = m/E^3 z`` for massive
    Dirac). Requires d >= 2. Gap closings as in :func:`berry_curvature`.
    """
    d = model.dim
    if d < 2:
        raise ParameterError("model.dim", d, "d = 2 or 3 for a momentum-space Berry field")
    F = berry_curvature(model, r, p, t, nan_at_gap_closing=nan_at_gap_closing)
    Fk = F[..., d : 2 * d, d : 2 * d]
    B = np.zeros(Fk.shape[:-2] + (3,))
    if d == 2:
        B[..., 2] = Fk[..., 0, 1]
    else:
        B[..., 0], B[..., 1], B[..., 2] = Fk[..., 1, 2], Fk[..., 2, 0], Fk[..., 0, 1]
    if nan_at_gap_closing:  # a masked point is NaN in every component
        B[np.isnan(Fk).any(axis=(-2, -1))] = np.nan
    return B


def momentum_electric_field(model, r=None, p=None, t=0.0, *, nan_at_gap_closing=False):
    """Momentum-space fictitious electric field ``calE_{k,i} = F_{k_i t}`` (App. E), shape (..., d).

    For massive Dirac with m(t): ``calE_k = (mdot/E^3) z x k`` (Sec. III B). Gap closings as in
    :func:`berry_curvature`.
    """
    d = model.dim
    F = berry_curvature(model, r, p, t, nan_at_gap_closing=nan_at_gap_closing)
    return F[..., d : 2 * d, 2 * d]


def magnetic_moment(model, r=None, p=None, t=0.0, *, nan_at_gap_closing=False):
    """Orbital moment ``M_k = |Delta| B_k / 4`` (Eq. 35), shape (..., 3), so that
    ``delta eps = -M_k . b`` under minimal coupling. Massive Dirac: ``m/(2E^2) z``.
    Gap closings as in :func:`berry_curvature`."""
    D = np.linalg.norm(gap_vector(model, r, p, t), axis=-1)
    return D[..., None] * momentum_berry_field(model, r, p, t, nan_at_gap_closing=nan_at_gap_closing) / 4.0


def phase_space_velocity(model, r=None, p=None, t=0.0, band=+1, energy_shift=True, anomalous=True,
                         curvature=None, *, nan_at_gap_closing=False):
    """Semiclassical phase-space velocity ``(rdot, pdot)`` of band s (Eq. 24), shape (..., 2d).

    ``rdot = d_p bar-eps_s + q_s (F_{tp} + F_{p p_l} d_{r_l} eps_s - F_{p r_l} d_{p_l} eps_s)``
    ``pdot = -d_r bar-eps_s - q_s (F_{tr} + F_{r p_l} d_{r_l} eps_s - F_{r r_l} d_{p_l} eps_s)``
    with ``bar-eps_s = eps_s - |Delta| F / 4``. Canonical momentum. ``energy_shift=False`` drops
    the Eq. 23 shift, ``anomalous=False`` the q_s Berry terms (plain Boltzmann velocities).
    ``curvature``: a :class:`CurvatureTerms` selecting the blocks of F_IJ kept in the q_s terms
    (F_rr, F_rp, F_pp, F_t; None: all), e.g. ``CurvatureTerms(real=False)`` drops the emergent
    magnetic field of a real-space texture. With ``curvature`` given, the band and the blocks are
    passed as data, so one compilation serves both bands and every choice. Where the gap closes
    the velocity (d|Delta| and F) is undefined: GapClosingError, or NaN with
    ``nan_at_gap_closing=True``.

    >>> from berrykin.models import TexturedFerromagnet2D
    >>> m = TexturedFerromagnet2D(rashba=0.0)
    >>> v = phase_space_velocity(m, [1.0, 0.5], [0.3, 0.0], band=-1, curvature=CurvatureTerms(real=False))
    >>> round(float(v[3]), 12)   # without F_rr (and rashba = 0) nothing bends the path
    0.0
    """
    charge(band)
    if curvature is not None:
        check_curvature(curvature)
    X, lead = as_points(model, r, p, t)
    opts = dict(quantity="phase_space_velocity", nan_at_gap_closing=nan_at_gap_closing)
    if curvature is None:
        return _reshape(evaluate_checked(pw.velocity, model, X, int(band), bool(energy_shift),
                                         bool(anomalous), **opts), lead)
    # band and blocks as data: one compilation for both bands and all 16 choices of blocks
    extra = np.concatenate([[float(band)], check_curvature(curvature).weights()])
    XW = np.concatenate([X, np.broadcast_to(extra, (X.shape[0], 5))], axis=1)
    return _reshape(evaluate_checked(pw.velocity_weighted, model, XW, bool(energy_shift),
                                     bool(anomalous), **opts), lead)


def check_curvature(curvature):
    """``curvature`` as a :class:`CurvatureTerms` (None -> all blocks on) or ParameterError."""
    if curvature is None:
        return pw.ALL_CURVATURE
    if not isinstance(curvature, CurvatureTerms):
        raise ParameterError("curvature", curvature,
                             "a berrykin.geometry.pointwise.CurvatureTerms(real=..., mixed=..., momentum=..., time=...)")
    return curvature
