"""The paper's Fig. 5 (Berry field and orbital moment) and Fig. 7 (momentum-space Faraday law)."""

from __future__ import annotations

import math

from ._common import fit_title, target_axes
from .data import dirac_field_curves, faraday_curves

_X_LABEL = r"$k/|m|$ (dimensionless; $\hbar = e = v = 1$)"



def plot_dirac_fields(m: float = 1.0, ax=None, k_max: float = 4.0, n: int = 400):
    """Fig. 5: ``m^2 B_k`` (solid) and ``m M_k`` (dashed) of massive 2D Dirac versus ``k/|m|``.

    Data from :func:`berrykin.plot.data.dirac_field_curves` (``B_k = m/E^3``, ``M_k = m/(2E^2)``,
    paper Sec. III A and Eq. 35). Draws on ``ax`` if given, else on a new Agg figure; returns
    the :class:`~matplotlib.figure.Figure`. Writes no files (see :func:`save_figure`).
    """
    data = dirac_field_curves(m, k_max, n)
    fig, ax = target_axes(ax)
    x = data["k_over_m"]
    ax.plot(x, data["m2_berry"], "-", color="C0", label=r"$m^2\mathcal{B}_k$ (Berry field)")
    ax.plot(x, data["m_moment"], "--", color="C1", label=r"$m\mathcal{M}_k$ (orbital moment)")
    ax.axhline(0.0, color="0.7", lw=0.6)
    ax.set_xlabel(_X_LABEL)
    ax.set_ylabel(r"$m^2\mathcal{B}_k$, $m\mathcal{M}_k$ (dimensionless)")
    fit_title(ax, f"Massive Dirac, m = {m:g} (paper Fig. 5)", fontsize="medium")
    ax.set_xlim(x[0], x[-1])
    ax.legend(frameon=False)
    return fig


def plot_faraday(m: float = 1.0, m_dot: float = 0.1, ax=None, k_max: float = 4.0, n: int = 400,
                 dt: float | None = None):
    """Fig. 7: ``(m^2/m_dot) calE_k`` (solid) and ``(m^3/m_dot) d_t B_k`` (dashed) versus ``k/|m|``.

    Massive Dirac with ``m(t) = m + m_dot t`` (Sec. III B), at t = 0. ``calE_k`` is the
    azimuthal component of :func:`berrykin.momentum_electric_field` (``(m_dot/E^3) z x k``,
    peak at ``k = m/sqrt 2``, marked); ``d_t B_k`` is a fourth-order central difference in t
    of :func:`berrykin.momentum_berry_field` with step ``dt`` (default: the mass changes by
    1e-3 |m| per step), closed form ``m_dot (k^2 - 2m^2)/E^5``. Returns the Figure.
    """
    data = faraday_curves(m, m_dot, k_max, n, dt)
    fig, ax = target_axes(ax)
    x = data["k_over_m"]
    ax.plot(x, data["m2_efield"], "-", color="C0",
            label=r"$(m^2/\dot m)\,\mathcal{E}_k\cdot\hat\varphi$ (fictitious electric field)")
    ax.plot(x, data["m3_berry_rate"], "--", color="C3",
            label=r"$(m^3/\dot m)\,\partial_t\mathcal{B}_k$ (Berry flux variation)")
    ax.axvline(1 / math.sqrt(2), color="0.6", lw=0.8, ls=":", label=r"$k = |m|/\sqrt{2}$")
    ax.axhline(0.0, color="0.7", lw=0.6)
    ax.set_xlabel(_X_LABEL)
    ax.set_ylabel(r"$(m^2/\dot m)\mathcal{E}_k$, $(m^3/\dot m)\dot{\mathcal{B}}_k$ (dimensionless)")
    fit_title(ax, f"Momentum-space Faraday law, m = {m:g}, ṁ = {m_dot:g} (paper Fig. 7)",
              fontsize="medium")
    ax.set_xlim(x[0], x[-1])
    ax.legend(frameon=False, fontsize="small")
    return fig
