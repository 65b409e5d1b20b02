"""The numbers behind the paper's figures, computed from the berrykin geometry API.

These functions only compute (NumPy arrays); the drawing is in :mod:`berrykin.plot.dirac`
and :mod:`berrykin.plot.texture`. Units: hbar = e = 1 and v = 1 for massive Dirac.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..geometry import magnetic_moment, momentum_berry_field, momentum_electric_field
from ..models import MassiveDirac2D
from ..models.base import check_finite

#: Fourth-order central-difference stencil (offsets in steps, weights): error O(h^4 f^(5)/30).
STENCIL_5 = ((-2, 1.0 / 12.0), (-1, -8.0 / 12.0), (1, 8.0 / 12.0), (2, -1.0 / 12.0))


def _nonzero(name, value):
    x = check_finite(name, value)
    if x == 0.0:
        raise ParameterError(name, value, "a finite non-zero number")
    return x


def _radial_grid(m, k_max, n):
    k_max = check_finite("k_max", k_max)
    if k_max <= 0:
        raise ParameterError("k_max", k_max, "> 0 (in units of |m|)")
    if int(n) < 2:
        raise ParameterError("n", n, "an integer >= 2")
    x = np.linspace(0.0, k_max, int(n))
    k = x * abs(m)
    return x, np.stack([k, np.zeros_like(k)], axis=-1)


def default_time_step(m: float, m_dot: float) -> float:
    """Step used for d/dt of the Berry field: the mass changes by 1e-3 |m| per step."""
    return 1e-3 * abs(m) / abs(m_dot)


def berry_field_rate(model, p, t=0.0, dt=1e-3, r=None):
    """``d_t B_k`` (shape (..., 3)) from :func:`berrykin.momentum_berry_field` at four times.

    Fourth-order central difference ``[B(t-2h) - 8B(t-h) + 8B(t+h) - B(t+2h)]/(12h)`` with
    ``h = dt``: truncation error ``h^4 |d_t^5 B|/30`` plus round-off ``~1e-16 |B|/h``. For
    massive Dirac with ``h`` = :func:`default_time_step` both are below 1e-11 relative.
    """
    dt = check_finite("dt", dt)
    if dt <= 0:
        raise ParameterError("dt", dt, "a time step > 0")
    return sum(w * momentum_berry_field(model, r, p, t + j * dt) for j, w in STENCIL_5) / dt


def dirac_field_curves(m: float = 1.0, k_max: float = 4.0, n: int = 400) -> dict:
    """Data of the paper's Fig. 5: ``m^2 B_k`` and ``m M_k`` versus ``k/|m|`` (Sec. III A).

    Computed with :func:`berrykin.momentum_berry_field` and :func:`berrykin.magnetic_moment`
    on ``MassiveDirac2D(m)`` along ``k x-hat`` (the fields are isotropic); closed forms
    ``B_k = m/E^3`` and ``M_k = m/(2E^2)``, ``E = sqrt(k^2 + m^2)``. Returns a dict of arrays
    ``k_over_m``, ``m2_berry`` and ``m_moment`` (all dimensionless).
    """
    m = _nonzero("m", m)
    x, p = _radial_grid(m, k_max, n)
    model = MassiveDirac2D(m=m)
    B = momentum_berry_field(model, p=p)[:, 2]
    M = magnetic_moment(model, p=p)[:, 2]
    return {"k_over_m": x, "m2_berry": m * m * B, "m_moment": m * M}


def faraday_curves(m: float = 1.0, m_dot: float = 0.1, k_max: float = 4.0, n: int = 400,
                   dt: float | None = None) -> dict:
    """Data of the paper's Fig. 7 (Sec. III B): massive Dirac with ``m(t) = m + m_dot t`` at t = 0.

    ``(m^2/m_dot) calE_k . phi-hat`` with ``calE_k`` from :func:`berrykin.momentum_electric_field`
    (closed form ``(m_dot/E^3) z x k``, so this is ``m^2 k/E^3``, peaked at ``k = m/sqrt 2``),
    and ``(m^3/m_dot) d_t B_k`` with ``d_t B_k`` from :func:`berry_field_rate` (closed form
    ``m_dot (k^2 - 2m^2)/E^5``). ``phi-hat = z x k-hat``. Returns a dict of arrays
    ``k_over_m``, ``m2_efield``, ``m3_berry_rate`` and the step ``dt`` used.
    """
    m = _nonzero("m", m)
    m_dot = _nonzero("m_dot", m_dot)
    dt = default_time_step(m, m_dot) if dt is None else dt
    x, p = _radial_grid(m, k_max, n)
    model = MassiveDirac2D(m=m, m_dot=m_dot)
    E_phi = momentum_electric_field(model, p=p)[:, 1]  # k along x: phi-hat = y-hat
    dB = berry_field_rate(model, p, 0.0, dt)[:, 2]
    return {"k_over_m": x, "m2_efield": m * m / m_dot * E_phi,
            "m3_berry_rate": m**3 / m_dot * dB, "dt": float(dt)}
