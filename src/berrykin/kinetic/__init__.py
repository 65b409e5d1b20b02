"""Finite-volume solver of the semiclassical kinetic equation (sKE) on phase-space grids.

Grids (:mod:`.grids`), the sKE coefficients in the canonical and kinetic frames
(:mod:`.frames`, :mod:`.coefficients`), typed options (:mod:`.options`), compiled kernels with
NumPy references (:mod:`.kernels`, :mod:`.reference`), time stepping (:mod:`.solver`), the
particle ledger (:mod:`.ledger`) and initial states (:mod:`.initial`).
"""

from .frames import CanonicalFrame, KineticFrame
from .grids import (
    Axis,
    AxisymmetricGrid,
    CartesianMomentumGrid,
    HomogeneousGrid,
    PhaseSpaceGrid,
    PolarGrid,
    SpaceGrid,
    SphericalGrid,
)
from .initial import AdiabaticInflow, EquilibriumInflow, adiabatic_state, fermi, fermi_dirac
from .ledger import Ledger
from .options import (
    CORRECTED_INTERBAND_SIGN,
    PRINTED_INTERBAND_SIGN,
    Limiter,
    Scheme,
    SKETerms,
)
from . import kernels, reference
from .solver import KineticSolver

__all__ = [
    "Axis", "AxisymmetricGrid", "CartesianMomentumGrid", "HomogeneousGrid", "PhaseSpaceGrid",
    "PolarGrid", "SpaceGrid", "SphericalGrid", "CanonicalFrame", "KineticFrame",
    "EquilibriumInflow", "AdiabaticInflow", "adiabatic_state", "fermi", "fermi_dirac", "Ledger", "Limiter", "Scheme", "SKETerms",
    "CORRECTED_INTERBAND_SIGN", "PRINTED_INTERBAND_SIGN", "KineticSolver",
]
from .collisions import CellOccupation, RelaxationTime, RelaxationToFixed  # noqa: E402
from .steady import LinearResponse, SteadyState, evolve_to_steady, linear_response  # noqa: E402

__all__ += ["CellOccupation", "RelaxationTime", "RelaxationToFixed", "LinearResponse", "SteadyState",
            "evolve_to_steady", "linear_response"]
from .internode import InternodeScattering, NodePairSolver, PairGrid  # noqa: E402

__all__ += ["InternodeScattering", "NodePairSolver", "PairGrid"]
from .options import Precision  # noqa: E402

__all__ += ["Precision"]
