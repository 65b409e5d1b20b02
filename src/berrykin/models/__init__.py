"""Two-band phase-space Hamiltonians ``eps/2 + Delta . tau`` (paper Eq. 12), textures and fields."""

from .base import Model, TwoBandModel
from .continuum import MassiveDirac2D, Weyl3D
from .fields import (
    CombinedField,
    GaugeField,
    GaugePotential,
    MinimalCoupling,
    UniformElectricField,
    UniformMagneticField,
)
from .importers import ImportedTightBinding, from_pythtb, from_wannier90
from .lattice import QWZ, RiceMele
from .lattice_textured import LatticeTexturedFerromagnet2D
from .lattice_weyl import LatticeWeyl
from .textured import TexturedFerromagnet2D
from .textures import DomainWall, Skyrmion, Uniform
from .tight_binding import TightBinding

#: Built-in models by name (used by the command line).
BUILTIN_MODELS = {
    "MassiveDirac2D": MassiveDirac2D,
    "Weyl3D": Weyl3D,
    "QWZ": QWZ,
    "RiceMele": RiceMele,
    "TexturedFerromagnet2D": TexturedFerromagnet2D,
}

__all__ = [
    "Model", "TwoBandModel", "MassiveDirac2D", "Weyl3D", "QWZ", "RiceMele",
    "TexturedFerromagnet2D", "Skyrmion", "DomainWall", "Uniform", "GaugeField",
    "UniformMagneticField", "UniformElectricField", "GaugePotential", "CombinedField",
    "MinimalCoupling", "BUILTIN_MODELS", "LatticeWeyl", "LatticeTexturedFerromagnet2D",
    "TightBinding", "ImportedTightBinding", "from_pythtb", "from_wannier90",
]
from .gridded import GriddedTexture, InvalidPoints  # noqa: E402
from .ovf import OVFFormat, read_ovf, write_ovf  # noqa: E402

__all__ += ["GriddedTexture", "InvalidPoints", "OVFFormat", "read_ovf", "write_ovf"]
from .weyl_pair import WeylNode, WeylPair  # noqa: E402

BUILTIN_MODELS["WeylPair"] = WeylPair
__all__ += ["WeylNode", "WeylPair"]
