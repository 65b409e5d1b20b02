"""Typed sections of a berrykin configuration file (pydantic v2, strict, unknown keys rejected).

Each class is one TOML table; docs/configuration.md lists every key, its default, units and
allowed values. The semantic checks that need the model (expression names, parameter names,
vector lengths) live in :mod:`berrykin.config.validate`. Units: hbar = e = 1 (energies and
momenta in the model's units, time in 1/energy, ``b = eB``, ``e = eE``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat

__all__ = ["Section", "ModelSection", "TextureSection", "FieldSection", "GRID_TYPES", "GridSection",
           "NumericsSection", "OutputSection", "Number", "Expression", "LIMITERS"]

#: A finite float (an integer is accepted; bool, strings, nan and inf are not).
Number = FiniteFloat
PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(ge=1, le=100_000)]
#: An expression (string, see :mod:`berrykin.config.expressions`) or a number.
Expression = Union[Annotated[str, Field(max_length=1000)], FiniteFloat]
ParamValue = Union[int, FiniteFloat, list[FiniteFloat]]


class Section(BaseModel):
    """Base of every table: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class TextureSection(Section):
    """``[model.texture]`` of TexturedFerromagnet2D: ``type`` and the texture's parameters."""

    type: Literal["Skyrmion", "DomainWall", "Uniform"] = "Skyrmion"
    parameters: dict[Annotated[str, Field(max_length=64)], ParamValue] = {}


class ModelSection(Section):
    """``[model]``: a built-in model by name with ``[model.parameters]``, or
    ``type = "expression"`` with ``dim``, ``eps``, ``gap`` (3 expressions), parameters,
    optional ``momentum_period`` (lattice models) and ``name``."""

    type: Annotated[str, Field(max_length=64)]
    parameters: dict[Annotated[str, Field(max_length=64)], ParamValue] = {}
    dim: Optional[Literal[1, 2, 3]] = None
    eps: Optional[Expression] = None
    gap: Optional[Annotated[list[Expression], Field(min_length=3, max_length=3)]] = None
    momentum_period: Optional[PositiveNumber] = None
    name: Optional[Annotated[str, Field(max_length=64)]] = None
    texture: Optional[TextureSection] = None


class FieldSection(Section):
    """``[field]``: uniform magnetic field ``b`` (2D: a number, the z component; 3D: a
    3-vector), uniform electric field ``e`` (a d-vector; a number in 1D), both scaled by the
    time ``profile`` (an expression in t, default 1), and the gauge of e."""

    b: Optional[Union[FiniteFloat, Annotated[list[FiniteFloat], Field(min_length=3, max_length=3)]]] = None
    e: Optional[Union[FiniteFloat, Annotated[list[FiniteFloat], Field(min_length=1, max_length=3)]]] = None
    profile: Optional[Expression] = None
    vector_gauge: bool = False


GRID_TYPES = ("auto", "polar", "cartesian", "brillouin_zone", "spherical", "axisymmetric")


class GridSection(Section):
    """``[grid]``: the momentum grid of the sKE (and of streda), optionally times a Cartesian
    real-space box (``space_half_width``, ``space_n``, ``space_periodic``).

    ``auto``: ``brillouin_zone`` for lattice models, ``polar`` in 2D, ``cartesian`` otherwise.
    Keys that the chosen type does not use are rejected by the validator."""

    type: Literal["auto", "polar", "cartesian", "brillouin_zone", "spherical", "axisymmetric"] = "auto"
    k_min: Optional[NonNegative] = None
    k_max: Optional[PositiveNumber] = None
    half_width: Optional[PositiveNumber] = None
    n: Optional[PositiveInt] = None
    n_k: Optional[PositiveInt] = None
    n_phi: Optional[PositiveInt] = None
    n_theta: Optional[PositiveInt] = None
    space_half_width: Optional[PositiveNumber] = None
    space_n: Optional[PositiveInt] = None
    space_periodic: Optional[bool] = None


#: Keys of [grid] used by each grid type, with their defaults.
GRID_KEYS = {
    "polar": {"k_min": 0.0, "k_max": 4.0, "n_k": 32, "n_phi": 8},
    "cartesian": {"half_width": 4.0, "n": 24},
    "brillouin_zone": {"n": 32},
    "spherical": {"k_min": 0.0, "k_max": 4.0, "n_k": 12, "n_theta": 8, "n_phi": 8},
    "axisymmetric": {"k_min": 0.0, "k_max": 4.0, "n_k": 16, "n_theta": 8},
}
SPACE_KEYS = {"space_half_width": 4.0, "space_n": 8, "space_periodic": True}

LIMITERS = ("first_order", "minmod", "van_leer", "mc", "unlimited")


class NumericsSection(Section):
    """``[numerics]``: tolerances of the trajectory integrator (``rtol``, ``atol``,
    ``max_step``) and the sKE scheme (``limiter``, ``rk_stages``, ``cfl``, ``max_dt``,
    ``backend``, ``devices``, ``precision``). Unset keys keep the solver's (or experiment's) own default."""

    rtol: Optional[Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]] = None
    atol: Optional[Annotated[float, Field(gt=0, allow_inf_nan=False)]] = None
    max_step: Optional[PositiveNumber] = None
    limiter: Optional[Literal["first_order", "minmod", "van_leer", "mc", "unlimited"]] = None
    rk_stages: Optional[Literal[2, 3]] = None
    cfl: Optional[Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]] = None
    max_dt: Optional[PositiveNumber] = None
    backend: Optional[Literal["numba", "numpy", "jax"]] = None
    #: JAX devices over which the first space axis is split (backend "jax"; docs/gpu.md)
    devices: Optional[PositiveInt] = None
    #: bits of the stored distributions (32: float32 storage, fused 4D kernel; docs/kernels.md)
    precision: Optional[Literal[32, 64]] = None

    @property
    def scheme_keys(self) -> dict:
        """The sKE scheme keys that were set."""
        keys = ("limiter", "rk_stages", "cfl", "max_dt", "backend", "devices", "precision")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


class OutputSection(Section):
    """``[output]``: default output directory of ``berrykin run`` (``--out`` overrides it),
    whether to also draw ``result.png``, and how many sKE save times lie between checkpoints."""

    dir: Annotated[str, Field(min_length=1, max_length=4096)] = "berrykin-run"
    plot: bool = False
    checkpoint_every: PositiveInt = 1
