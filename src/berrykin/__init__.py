"""berrykin: Berry-phase kinetics in phase space for two-band Hamiltonians eps/2 + Delta . tau.

Public names only; see :mod:`berrykin.conventions` for units and signs.
"""

from . import conventions, errors, models
from .dynamics import TrajectoryOptions, TrajectoryResult, integrate_trajectories
from .geometry import (
    BerryFlux,
    MonopoleCharge,
    band_energies,
    berry_curvature,
    chern_number,
    curvature_scalar,
    em_fields,
    energy_shift,
    gap_vector,
    kinetic_frame_velocity,
    liouville_factor,
    magnetic_moment,
    momentum_berry_field,
    momentum_electric_field,
    monopole_charge,
    phase_space_velocity,
    texture,
    to_kinetic_frame,
    vector_potential,
)

__version__ = "0.1.0"

# Subpackages above geometry (importable as berrykin.kinetic, ... ; not imported eagerly so that
# ``import berrykin`` stays light): dynamics, kinetic, quantum, observables, experiments, cli.
