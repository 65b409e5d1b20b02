"""Exact quantum references for the semiclassics (paper Secs. III A-C; issue 4).

This package imports only :mod:`berrykin.models`, :mod:`berrykin.errors` and
:mod:`berrykin.conventions` -- never the geometry, dynamics or kinetic code it validates
(``tests/test_quantum_imports.py`` checks this).

- :mod:`.lattice`: finite real-space lattices with Peierls phases for any vector potential.
- :mod:`.hofstadter`: magnetic Bloch reduction at flux p/q and the Streda coefficient.
- :mod:`.landau`: Landau levels of massive Dirac and Weyl nodes, closed form and oscillator basis.
- :mod:`.evolution`, :mod:`.pump`: exact evolution of Bloch states; the Thouless pump.
- :mod:`.real_time`: dense one-body density-matrix evolution (the real-space reference).
- :mod:`.magnetic3d`, :mod:`.weyl_anomaly`: 3D magnetic Bloch reduction; the exact chiral
  anomaly of the two-node lattice Weyl semimetal in parallel E and B.
"""

from .evolution import magnus4, magnus4_reference
from .hofstadter import (
    FilledBands,
    StredaResult,
    filled_bands,
    hofstadter_bands,
    magnetic_bloch_hamiltonian,
    streda_coefficient,
    tknn_diophantine,
)
from .landau import (
    LandauLevels,
    dirac_landau_levels,
    landau_levels,
    oscillator_hamiltonian,
    polynomial_symbol,
    weyl_landau_levels,
)
from .magnetic3d import magnetic_bloch_hamiltonian_3d
from .weyl_anomaly import WeylAnomalyResult, exact_anomaly_rate, weyl_anomaly
from .flux_ramp import FluxPair, FluxRampResult, band_projector_tight_binding, flux_ramp
from .skyrmion import (
    FermiSeaEvolution,
    GaussianPacket,
    PacketEvolution,
    evolve_packet,
    kicked_fermi_sea,
    packet_state,
)
from .lattice import LandauGauge, lattice_sites, line_integrals, real_space_hamiltonian
from .pump import PumpResult, model_time, thouless_pump
from .real_time import (
    DensityMatrixEvolution,
    evolve_density_matrix,
    ground_state_density_matrix,
    magnus4_unitary,
)

__all__ = [
    "magnus4", "magnus4_reference", "FilledBands", "StredaResult", "filled_bands",
    "hofstadter_bands", "magnetic_bloch_hamiltonian", "streda_coefficient", "tknn_diophantine",
    "LandauLevels", "dirac_landau_levels", "landau_levels", "oscillator_hamiltonian",
    "polynomial_symbol", "weyl_landau_levels", "LandauGauge", "lattice_sites", "line_integrals",
    "real_space_hamiltonian", "PumpResult", "model_time", "thouless_pump",
    "DensityMatrixEvolution", "evolve_density_matrix", "ground_state_density_matrix",
    "magnus4_unitary", "magnetic_bloch_hamiltonian_3d", "WeylAnomalyResult", "exact_anomaly_rate",
    "weyl_anomaly", "GaussianPacket", "PacketEvolution", "packet_state", "evolve_packet",
    "FermiSeaEvolution", "kicked_fermi_sea", "FluxPair", "FluxRampResult",
    "band_projector_tight_binding", "flux_ramp",
]

from .kubo import KuboConductivity, kubo_conductivity  # noqa: E402  (issue 9: docs/kubo.md)

__all__ += ["KuboConductivity", "kubo_conductivity"]
from .kubo_landau import LandauConductivity, landau_conductivity_zz  # noqa: E402

__all__ += ["LandauConductivity", "landau_conductivity_zz"]
from .skyrmion_lattice import (  # noqa: E402
    SkyrmionLatticeBands,
    skyrmion_lattice_bands,
    square_skyrmion_lattice,
    supercell_bloch_hamiltonian,
)

__all__ += ["SkyrmionLatticeBands", "skyrmion_lattice_bands", "square_skyrmion_lattice",
            "supercell_bloch_hamiltonian"]
