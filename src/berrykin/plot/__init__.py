"""Figures of berrykin (matplotlib): the paper's Figs. 5 and 7 and texture/curvature maps.

Every ``plot_*`` function computes from the public geometry API, draws on a new figure with
the Agg canvas (chosen inside the function; importing this package sets no backend and does
not import pyplot) or on a given ``ax``, and returns the :class:`~matplotlib.figure.Figure`.
Nothing here writes files except :func:`save_figure`, which writes atomically.
Units: hbar = e = 1 (see :mod:`berrykin.conventions`).
"""

from ._common import save_figure
from .data import berry_field_rate, dirac_field_curves, faraday_curves
from .dirac import plot_dirac_fields, plot_faraday
from .kinetic import plot_comparison_table, plot_cyclotron, plot_phase_space, plot_trajectories
from .results import (
    plot_anomaly_fluxes,
    plot_mass_ramp,
    plot_nu_vs_mu,
    plot_result,
    plot_skyrmion_drift,
    plot_time_series,
)
from .texture import integrate_map, plot_texture, texture_map

__all__ = [
    "plot_dirac_fields", "plot_faraday", "plot_texture", "save_figure", "texture_map",
    "integrate_map", "dirac_field_curves", "faraday_curves", "berry_field_rate",
    "plot_trajectories", "plot_cyclotron", "plot_phase_space", "plot_comparison_table",
    "plot_result", "plot_time_series", "plot_nu_vs_mu", "plot_anomaly_fluxes", "plot_skyrmion_drift", "plot_mass_ramp",
]
