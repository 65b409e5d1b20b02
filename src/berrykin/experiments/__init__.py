"""Named physical protocols assembling solver and observables into typed results.

Every experiment returns a frozen result with ``to_dataset()`` (xarray, units and sign
conventions in attrs):

- :func:`streda` (Sec. III A, homogeneous), :func:`streda_region` (finite 2D region, 4D grid),
- :func:`mass_ramp` (Sec. III B, momentum-space Faraday law),
- :func:`chiral_anomaly` (Sec. III C, Weyl node in parallel e and b),
- :func:`pump` (Thouless pump, homogeneous 1D sKE),
- :func:`skyrmion_drift` / :func:`exact_skyrmion_drift` (topological Hall drift),
- :func:`validation_report` (semiclassics versus exact quantum dynamics).
"""

from .anomaly import AnomalyResult, chiral_anomaly
from .mass_ramp import MassRamped, MassRampResult, mass_ramp
from .pump import PumpResult as SKEPumpResult
from .pump import exact_pump_charge, pump
from .skyrmion import SkyrmionDrift, exact_skyrmion_drift, skyrmion_drift
from .streda import StredaResult, streda, streda_grid, streda_scales
from .streda_region import StredaRegionResult, streda_region
from .validation import ValidationReport, validation_report

__all__ = [
    "streda", "StredaResult", "streda_grid", "streda_region", "StredaRegionResult", "mass_ramp",
    "MassRampResult", "MassRamped", "streda_scales", "chiral_anomaly", "AnomalyResult", "pump", "SKEPumpResult", "exact_pump_charge",
    "skyrmion_drift", "exact_skyrmion_drift", "SkyrmionDrift", "validation_report", "ValidationReport",
]
from .conductivity import PARTS as CONDUCTIVITY_PARTS  # noqa: E402
from .conductivity import ConductivityResult, SteadyMethod, conductivity  # noqa: E402
from .conductivity_grid import TransportPolarGrid, conductivity_grid  # noqa: E402

__all__ += ["conductivity", "ConductivityResult", "SteadyMethod", "CONDUCTIVITY_PARTS", "TransportPolarGrid",
            "conductivity_grid"]
from .nonlinear_hall import NONLINEAR_PARTS, NonlinearHallResult, nonlinear_hall  # noqa: E402

__all__ += ["nonlinear_hall", "NonlinearHallResult", "NONLINEAR_PARTS"]
from .skyrmion_sea import SeaDrift, skyrmion_sea, skyrmion_sea_trajectories  # noqa: E402
from .emergent_streda import EmergentStreda, emergent_streda  # noqa: E402

__all__ += ["skyrmion_sea", "skyrmion_sea_trajectories", "SeaDrift", "emergent_streda", "EmergentStreda"]
from .conductivity_weyl import (  # noqa: E402
    TransportSphericalGrid, conductivity_weyl_pair, son_spivak, weyl_pair_grids,
)

__all__ += ["conductivity_weyl_pair", "TransportSphericalGrid", "son_spivak", "weyl_pair_grids"]
