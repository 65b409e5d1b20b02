"""berrykin: Berry-phase kinetics in phase space for two-band Hamiltonians eps/2 + Delta . tau.

Public names only; see :mod:`berrykin.conventions` for units and signs.

``import berrykin`` is light: it loads :mod:`berrykin.conventions` and :mod:`berrykin.errors`
only. The subpackages (``berrykin.models``, ``.geometry``, ``.dynamics``, ``.kinetic``,
``.quantum``, ``.observables``, ``.experiments``, ``.io``, ``.plot``, ``.config``, ``.sweep``,
``.cli``) and the re-exported geometry and trajectory functions (``berrykin.berry_curvature``,
...) are imported on first use through a module ``__getattr__`` (PEP 562, as in SciPy), so
``import berrykin as bk; bk.experiments.streda`` and ``from berrykin import berry_curvature``
both work, and the command line does not pay for JAX when it only prints help.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from . import conventions, errors

__version__ = "0.1.0"

#: Subpackages reachable as attributes of the package (imported on first access).
_SUBPACKAGES = ("models", "geometry", "dynamics", "kinetic", "quantum", "observables",
               "experiments", "io", "plot", "config", "sweep", "cli")

#: Re-exported names -> the subpackage that defines them (imported on first access).
_REEXPORTS = {
    **dict.fromkeys(("TrajectoryOptions", "TrajectoryResult", "integrate_trajectories"),
                    "dynamics"),
    **dict.fromkeys((
        "BerryFlux", "MonopoleCharge", "band_energies", "berry_curvature", "chern_number",
        "curvature_scalar", "em_fields", "energy_shift", "gap_vector", "kinetic_frame_velocity",
        "liouville_factor", "magnetic_moment", "momentum_berry_field",
        "momentum_electric_field", "monopole_charge", "phase_space_velocity", "texture",
        "to_kinetic_frame", "vector_potential"), "geometry"),
}

__all__ = ["conventions", "errors", "__version__", *_SUBPACKAGES, *_REEXPORTS]

if TYPE_CHECKING:  # static tools see the eager imports
    from . import (cli, config, dynamics, experiments, geometry, io, kinetic,  # noqa: F401
                   models, observables, plot, quantum, sweep)
    from .dynamics import TrajectoryOptions, TrajectoryResult, integrate_trajectories  # noqa: F401
    from .geometry import (  # noqa: F401
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


def __getattr__(name: str):
    """Import a subpackage or a re-exported name on first access (PEP 562)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")  # also sets the package attribute
    home = _REEXPORTS.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
