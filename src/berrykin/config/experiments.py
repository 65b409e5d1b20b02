"""``[experiment]`` tables: one typed section per experiment ``type``, and where each one runs.

============== ==================================================== =====================
type           runs                                                 result
============== ==================================================== =====================
trajectories   berrykin.dynamics.integrate_trajectories (Eq. 24)    TrajectoryResult
skyrmion       berrykin.experiments.skyrmion.skyrmion_drift         SkyrmionDrift
skyrmion_sea   berrykin.experiments.skyrmion_sea.skyrmion_sea       SeaDrift
streda         berrykin.experiments.streda.streda (Sec. III A)      StredaResult
mass_ramp      berrykin.experiments.mass_ramp.mass_ramp             (its result)
chiral_anomaly berrykin.experiments.anomaly.chiral_anomaly          AnomalyResult
pump           berrykin.experiments.pump.pump                       PumpResult
conductivity   berrykin.experiments.conductivity.conductivity       ConductivityResult
nonlinear_hall berrykin.experiments.nonlinear_hall.nonlinear_hall   NonlinearHallResult
ske            berrykin.kinetic.KineticSolver (Eq. 26, ERRATA 1)    SKERunResult
============== ==================================================== =====================

trajectories, skyrmion, streda and ske have fixed keys with documented defaults. The other
experiments take their documented keys plus any further keyword argument of the function
(checked against its signature before anything runs); a key left out keeps the function's
own default.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, Optional, Union

from pydantic import ConfigDict, Field, FiniteFloat

from .errors import ConfigError
from .schema import NonNegative, PositiveInt, PositiveNumber, Section

__all__ = ["EXPERIMENTS", "ExperimentSpec", "TrajectoriesExperiment", "StredaExperiment",
           "SKEExperiment", "ExternalExperiment", "experiment_function"]

Vector = Annotated[list[FiniteFloat], Field(min_length=1, max_length=3)]
Points = Union[Vector, Annotated[list[Vector], Field(min_length=1, max_length=10_000)]]
TimeSpan = Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)]
TermsName = Literal["full", "wave_packet", "boltzmann"]


class TrajectoriesExperiment(Section):
    """Semiclassical trajectories of one band (Eq. 24). ``r0``/``p0``: one point (d numbers)
    or a list of points; default r0 = 0 and p0 = (0.5, 0, ...)."""

    type: Literal["trajectories"]
    band: Literal[1, -1] = 1
    r0: Optional[Points] = None
    p0: Optional[Points] = None
    t_span: TimeSpan = [0.0, 10.0]
    n_output: Annotated[int, Field(ge=2, le=1_000_000)] = 101
    energy_shift: bool = True
    anomalous: bool = True


class StredaExperiment(Section):
    """Hall coefficient from an adiabatic turn-on of b (Sec. III A, Eq. 45). ``b`` and
    ``ramp_time`` default to the function's (``0.01 gap^2/v^2``, ``20/gap``); ``b`` also comes
    from ``[field] b``."""

    type: Literal["streda"]
    mu: FiniteFloat = 0.0
    T: NonNegative = 0.0
    b: Optional[FiniteFloat] = None
    ramp_time: Optional[PositiveNumber] = None
    antisymmetrize: bool = True
    terms: TermsName = "full"
    interband_sign: Literal[1, -1] = 1


class SKEExperiment(Section):
    """A custom sKE run from a Fermi-Dirac state ``f(eps_s)`` of the bare bands at ``mu``,
    ``T``, saved at ``n_save`` equally spaced times of ``t_span``; ``frame``: ``auto`` (kinetic
    with a [field], canonical without), ``canonical`` or ``kinetic``; ``inflow``: equilibrium
    values beyond bounded momentum boundaries, or ``none`` (empty)."""

    type: Literal["ske"]
    mu: FiniteFloat = 0.0
    T: NonNegative = 0.0
    t_span: TimeSpan = [0.0, 1.0]
    n_save: Annotated[int, Field(ge=2, le=10_000)] = 5
    terms: TermsName = "full"
    interband_sign: Literal[1, -1] = 1
    frame: Literal["auto", "canonical", "kinetic"] = "auto"
    inflow: Literal["equilibrium", "none"] = "equilibrium"


ExtraValue = Union[bool, int, FiniteFloat, Annotated[str, Field(max_length=256)],
                   Annotated[list[FiniteFloat], Field(max_length=10_000)]]


class ExternalExperiment(Section):
    """An experiment implemented in :mod:`berrykin.experiments`: its documented keys plus
    any keyword argument of the function (values: numbers, booleans, strings, lists of
    numbers)."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)
    __pydantic_extra__: dict[str, ExtraValue]

    type: str
    terms: Optional[TermsName] = None
    interband_sign: Optional[Literal[1, -1]] = None

    #: Values of required arguments that neither the experiment nor [field] set.
    fallback: ClassVar[dict] = {}

    def keywords(self, field_sec=None) -> dict:
        """The keyword arguments of the run: the keys that were set (extras included), then
        the experiment's ``field_keys`` from ``[field]``, then :attr:`fallback`."""
        out = {k: v for k, v in self.model_dump().items() if v is not None and k != "type"}
        for key in EXPERIMENTS[self.type].field_keys:
            value = None if field_sec is None else getattr(field_sec, key, None)
            if value is not None:
                out.setdefault(key, value)
        for key, value in self.fallback.items():
            out.setdefault(key, value)
        return out


class MassRampExperiment(ExternalExperiment):
    """Slow mass ramp ``m0 -> m_final`` at fixed uniform b (Sec. III B, Eq. 50); ``b`` comes
    from the experiment, else from [field], else 0.01; ``m_final`` defaults to 1.5."""

    type: Literal["mass_ramp"]
    mu: FiniteFloat = 0.0
    T: NonNegative = 0.0
    b: Optional[FiniteFloat] = None
    m_final: Optional[FiniteFloat] = None
    ramp_time: Optional[PositiveNumber] = None
    fallback: ClassVar[dict] = {"b": 0.01, "m_final": 1.5}


class ChiralAnomalyExperiment(ExternalExperiment):
    """Weyl-node particle production in parallel e and b (Eq. 52, ERRATA 6); ``e`` and ``b``
    (numbers along z, or parallel 3-vectors) come from the experiment, else from [field],
    else 0.01."""

    type: Literal["chiral_anomaly"]
    e: Optional[Union[FiniteFloat, Vector]] = None
    b: Optional[Union[FiniteFloat, Vector]] = None
    mu: FiniteFloat = 0.5
    T: NonNegative = 0.0
    duration: Optional[PositiveNumber] = None
    fallback: ClassVar[dict] = {"e": 0.01, "b": 0.01}


class PumpExperiment(ExternalExperiment):
    type: Literal["pump"]
    period: Optional[PositiveNumber] = None
    cycles: Optional[PositiveInt] = None
    n_k: Optional[PositiveInt] = None


class ConductivityExperiment(ExternalExperiment):
    """Steady-state linear conductivity with the conserving relaxation time (docs/transport.md);
    ``tau`` (1/energy) defaults to 10, ``method`` to the direct linear solve."""

    type: Literal["conductivity"]
    mu: FiniteFloat = 0.0
    T: NonNegative = 0.0
    tau: PositiveNumber = 10.0
    tau_minus: Optional[PositiveNumber] = None
    method: Literal["direct", "evolution"] = "direct"
    e_probe: Optional[PositiveNumber] = None
    #: Weyl pair (model WeylPair): the field b (a number along z, or a 3-vector; with
    #: b_angle its magnitude at b_angle degrees from x in the x-y plane) and the internode time.
    b: Optional[Union[FiniteFloat, Vector]] = None
    b_angle: Optional[FiniteFloat] = None
    tau_v: Optional[PositiveNumber] = None


class NonlinearHallExperiment(ExternalExperiment):
    """Second-order (nonlinear Hall) steady response, Berry-curvature dipole and nonlinear Drude
    parts (docs/transport.md, "Nonlinear Hall"); ``tau`` (1/energy) defaults to 10."""

    type: Literal["nonlinear_hall"]
    mu: FiniteFloat = 0.0
    T: NonNegative = 0.0
    tau: PositiveNumber = 10.0
    tau_minus: Optional[PositiveNumber] = None


Vector2 = Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)]


class SkyrmionSeaExperiment(ExternalExperiment):
    """A Fermi sea (``mu``, ``T``) kicked by ``kick`` and/or driven by ``force`` through a
    periodic texture, sKE drift per particle at ``times`` (docs/skyrmion_sea.md); ``curvature``:
    ``table`` (all, each block of F off in turn, none) or ``all``; ``cell`` the periodic cell
    (default: the period of a periodic gridded texture); grid: ``n_space``, ``n_k`` cells."""

    type: Literal["skyrmion_sea"]
    mu: FiniteFloat = 0.0
    T: NonNegative = 0.0
    curvature: Literal["table", "all"] = "all"


class SkyrmionExperiment(Section):
    """Transverse drift of a Gaussian packet (band, centre ``r0``, momentum ``k0``, ``width``)
    crossing a real-space texture, at ``n_times`` times in ``[0, t_end]``; ``curvature``:
    ``table`` (all blocks of F, each block off in turn, none) or ``all`` (full Eq. 24 only);
    ``quadrature``: Gauss-Hermite nodes per phase-space axis (1: one trajectory)."""

    type: Literal["skyrmion"]
    band: Literal[1, -1] = -1
    r0: Vector2 = [-12.0, 0.0]
    k0: Vector2 = [1.0, 0.0]
    width: PositiveNumber = 2.0
    t_end: PositiveNumber = 24.0
    n_times: Annotated[int, Field(ge=2, le=100_000)] = 25
    quadrature: Annotated[int, Field(ge=1, le=8)] = 1
    curvature: Literal["table", "all"] = "table"
    energy_shift: bool = True


@dataclass(frozen=True)
class ExperimentSpec:
    """Where an experiment type runs: ``module.function(model, **keywords)``; ``field_keys`` are
    the experiment keys that default to the same key of ``[field]``."""

    schema: type
    module: str
    function: str
    field_keys: tuple = ()


EXPERIMENTS = {
    "trajectories": ExperimentSpec(TrajectoriesExperiment, "berrykin.dynamics", "integrate_trajectories"),
    "streda": ExperimentSpec(StredaExperiment, "berrykin.experiments.streda", "streda", ("b",)),
    "mass_ramp": ExperimentSpec(MassRampExperiment, "berrykin.experiments.mass_ramp", "mass_ramp",
                                ("b",)),
    "chiral_anomaly": ExperimentSpec(ChiralAnomalyExperiment, "berrykin.experiments.anomaly",
                                     "chiral_anomaly", ("e", "b")),
    "pump": ExperimentSpec(PumpExperiment, "berrykin.experiments.pump", "pump"),
    "conductivity": ExperimentSpec(ConductivityExperiment, "berrykin.experiments.conductivity", "conductivity"),
    "nonlinear_hall": ExperimentSpec(NonlinearHallExperiment, "berrykin.experiments.nonlinear_hall",
                                     "nonlinear_hall"),
    "skyrmion": ExperimentSpec(SkyrmionExperiment, "berrykin.experiments.skyrmion", "skyrmion_drift"),
    "skyrmion_sea": ExperimentSpec(SkyrmionSeaExperiment, "berrykin.experiments.skyrmion_sea", "skyrmion_sea"),
    "ske": ExperimentSpec(SKEExperiment, "berrykin.kinetic", "KineticSolver"),
}


def experiment_function(kind: str):
    """The function that runs experiment ``kind`` (imported now); ConfigError if this
    installation does not have it."""
    spec = EXPERIMENTS[kind]
    try:
        module = importlib.import_module(spec.module)
        return getattr(module, spec.function)
    except (ImportError, AttributeError):
        raise ConfigError("experiment.type", kind, f"an experiment available in this installation "
                                                   f"({spec.module}.{spec.function} is missing)") from None


def signature_names(kind: str) -> list:
    """Names of the keyword parameters of the experiment's function (after the model)."""
    params = list(inspect.signature(experiment_function(kind)).parameters.items())[1:]
    return [n for n, p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def check_keywords(kind: str, keys: dict) -> None:
    """Raise ConfigError unless every key is a parameter of the experiment's function and every
    parameter without a default is among the keys (for the external experiments, whose keys
    pass through as keyword arguments)."""
    fn = experiment_function(kind)
    try:
        params = list(inspect.signature(fn).parameters.items())[1:]
    except (TypeError, ValueError):  # pragma: no cover - callables without a signature
        return
    names = [n for n, p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for _, p in params):
        for key, value in keys.items():
            if key not in names:
                raise ConfigError(f"experiment.{key}", value, f"unknown key; {spec_name(kind)} "
                                                            f"takes {', '.join(names) or 'no options'}")
    for name, p in params:
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) \
                and name not in keys:
            raise ConfigError(f"experiment.{name}", None, f"a value (required by {spec_name(kind)})")
        if name in keys and name != "terms":
            _check_like_default(name, keys[name], p.default)


def _check_like_default(name, value, default) -> None:
    """A value must have the type of the function's default (bool, int, float or str; any
    value when the default is None or missing)."""
    if isinstance(default, bool):
        ok, what = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, what = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif isinstance(default, float):
        ok, what = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    elif isinstance(default, str):
        ok, what = isinstance(value, str), "a string"
    else:
        return
    if not ok:
        raise ConfigError(f"experiment.{name}", value, f"{what} (like the default {default!r})")


def spec_name(kind: str) -> str:
    spec = EXPERIMENTS[kind]
    return f"{spec.module}.{spec.function}"
