"""berrykin: Berry-phase kinetics in phase space for two-band Hamiltonians eps/2 + Delta . tau.

Public names only; see :mod:`berrykin.conventions` for units and signs.
"""

from . import conventions, errors, models
from .geometry import (
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

__version__ = "0.1.0"
