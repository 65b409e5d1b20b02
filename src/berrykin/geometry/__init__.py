"""Geometry of the phase-space texture: m, F_IJ, energies, moments, velocities, Berry fluxes."""

from .api import (
    band_energies,
    berry_curvature,
    curvature_scalar,
    energy_shift,
    gap_vector,
    liouville_factor,
    magnetic_moment,
    momentum_berry_field,
    momentum_electric_field,
    phase_space_velocity,
    texture,
)
from .chern import BerryFlux, MonopoleCharge, chern_number, monopole_charge
from .pointwise import CurvatureTerms
from .kinetic_frame import em_fields, kinetic_frame_velocity, to_kinetic_frame, vector_potential

__all__ = [
    "band_energies", "berry_curvature", "curvature_scalar", "energy_shift", "gap_vector",
    "liouville_factor", "magnetic_moment", "momentum_berry_field", "momentum_electric_field",
    "phase_space_velocity", "texture", "BerryFlux", "MonopoleCharge", "chern_number",
    "monopole_charge", "em_fields", "kinetic_frame_velocity", "to_kinetic_frame",
    "vector_potential", "CurvatureTerms",
]
