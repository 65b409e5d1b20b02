"""Observables of kinetic states: densities, currents (Eq. 30), momentum-boundary sources
(Eq. 31), the Hall coefficient (Sec. III A) and semiclassical Landau levels (Onsager)."""

from .current import BoundarySource, CurrentDensity, current_density, current_series, momentum_boundary_source
from .density import band_densities, total_density
from .hall import hall_coefficient_berry_flux, streda_coefficient
from .onsager import onsager_level

__all__ = ["band_densities", "total_density", "hall_coefficient_berry_flux", "streda_coefficient",
           "BoundarySource", "CurrentDensity", "current_density", "current_series",
           "momentum_boundary_source", "onsager_level"]
