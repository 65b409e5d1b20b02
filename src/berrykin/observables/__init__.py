"""Observables of kinetic states: densities and the Hall coefficient (paper Sec. II C, III A)."""

from .density import band_densities, total_density
from .hall import hall_coefficient_berry_flux, streda_coefficient

__all__ = ["band_densities", "total_density", "hall_coefficient_berry_flux", "streda_coefficient"]
