"""Validated sections -> berrykin objects: models (Eq. 12), gauge fields (Eq. 32), grids, options.

Every builder raises :class:`~berrykin.config.errors.ConfigError` naming the key path when the
objects' own checks (:class:`~berrykin.errors.ParameterError`) refuse a value, so
:func:`berrykin.config.validate` can call them before anything runs (they are cheap).
"""

from __future__ import annotations

import dataclasses

from ..errors import ParameterError
from .errors import ConfigError, key_path
from .expressions import check_expression, compile_expression, phase_space_symbols
from .schema import GRID_KEYS, SPACE_KEYS

__all__ = ["build_model_section", "build_field_section", "build_grid_section", "build_scheme",
           "build_terms", "builtin_models", "grid_type"]

_TEXTURE_MODEL = "TexturedFerromagnet2D"


def builtin_models() -> dict:
    from ..models import BUILTIN_MODELS

    return dict(BUILTIN_MODELS)


def _convert(cls, values: dict, prefix: tuple, skip=("texture",)) -> dict:
    """Check ``values`` against the dataclass fields of ``cls`` (names, and the type of each
    default: float, int, or a tuple of floats of fixed length)."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
    out = {}
    for name, value in values.items():
        path = key_path(*prefix, name)
        if name not in fields:
            raise ConfigError(path, value, f"unknown parameter of {cls.__name__}; allowed: "
                                           f"{', '.join(fields) or 'none'}")
        f = fields[name]
        default = f.default if f.default is not dataclasses.MISSING else None
        if isinstance(default, tuple):
            if not isinstance(value, list) or len(value) != len(default):
                raise ConfigError(path, value, f"a list of {len(default)} numbers")
            out[name] = tuple(float(v) for v in value)
        elif isinstance(default, int) and not isinstance(default, bool):
            if not isinstance(value, int):
                raise ConfigError(path, value, "an integer")
            out[name] = value
        else:
            if isinstance(value, list):
                raise ConfigError(path, value, "a number")
            out[name] = float(value)
    return out


def _construct(cls, kwargs: dict, prefix: tuple):
    try:
        return cls(**kwargs)
    except ParameterError as exc:
        name = exc.field if exc.field in kwargs else None
        raise ConfigError(key_path(*prefix, name) if name else key_path(*prefix), exc.value,
                          exc.allowed) from None


def _expression_model(sec):
    from ..models import TwoBandModel

    dim = sec.dim
    names = list(sec.parameters)
    eps_text = "0" if sec.eps is None else sec.eps
    eps = compile_expression(eps_text, "model.eps", dim, names)
    gap = [compile_expression(g, f"model.gap[{i}]", dim, names) for i, g in enumerate(sec.gap)]
    symbols = phase_space_symbols(dim)
    used = set(check_expression(eps_text, "model.eps", dim, names)).union(
        *(check_expression(g, f"model.gap[{i}]", dim, names) for i, g in enumerate(sec.gap)))

    def env(r, p, t, params):
        e = dict(params)
        e.update(zip(symbols[:dim], (r[i] for i in range(dim))))
        e.update(zip(symbols[dim : 2 * dim], (p[i] for i in range(dim))))
        e["t"] = t
        return e

    def eps_fn(r, p, t, params):
        return eps(env(r, p, t, params))

    def gap_fn(r, p, t, params):
        import jax.numpy as jnp

        values = env(r, p, t, params)
        return jnp.stack([jnp.asarray(g(values), dtype=p.dtype) for g in gap])

    return _construct(TwoBandModel, dict(
        dim=dim, eps=eps_fn, gap=gap_fn, params={k: float(v) for k, v in sec.parameters.items()},
        depends_on_r=bool(used & set(symbols[:dim])), momentum_period=sec.momentum_period,
        name=sec.name or "expression"), ("model",))


def build_model_section(sec):
    """The model of a checked ``[model]`` section (see :class:`~.schema.ModelSection`)."""
    if sec.type == "expression":
        return _expression_model(sec)
    cls = builtin_models()[sec.type]
    kwargs = _convert(cls, sec.parameters, ("model", "parameters"))
    if sec.type == _TEXTURE_MODEL and sec.texture is not None:
        from ..models import textures

        tcls = getattr(textures, sec.texture.type)
        tkw = _convert(tcls, sec.texture.parameters, ("model", "texture", "parameters"), skip=())
        kwargs["texture"] = _construct(tcls, tkw, ("model", "texture", "parameters"))
    return _construct(cls, kwargs, ("model", "parameters"))


def build_field_section(sec, dim: int):
    """The gauge field of a checked ``[field]`` section in ``dim`` dimensions, or None."""
    import jax.numpy as jnp

    from ..models import CombinedField, GaugePotential, UniformElectricField, UniformMagneticField

    profile = None
    if sec.profile is not None:
        f = compile_expression(sec.profile, "field.profile", 0, [])  # symbols: t only
        profile = _Profile(f)
    parts = []
    if sec.b is not None:
        b = sec.b if isinstance(sec.b, float) else tuple(sec.b)
        parts.append(_construct(UniformMagneticField, dict(b=b, profile=profile), ("field",)))
    if sec.e is not None:
        e = (sec.e,) if isinstance(sec.e, float) else tuple(sec.e)
        if profile is None:
            parts.append(_construct(UniformElectricField, dict(e=e, vector_gauge=sec.vector_gauge),
                                    ("field",)))
        else:
            vec = e

            def phi(r, t, vec=vec, profile=profile):
                return -profile(t) * jnp.dot(jnp.asarray(vec, dtype=r.dtype), r)

            parts.append(GaugePotential(dim_=dim, phi_fn=phi))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else CombinedField(tuple(parts))


@dataclasses.dataclass(frozen=True)
class _Profile:
    """A time profile f(t) compiled from an expression (jax-traceable)."""

    fn: object

    def __call__(self, t):
        return self.fn({"t": t})


def grid_type(sec, model) -> str:
    """The grid type of ``[grid]`` (``auto`` resolved for ``model``)."""
    kind = "auto" if sec is None else sec.type
    if kind == "auto":
        if model.momentum_period is not None:
            return "brillouin_zone"
        return "polar" if model.dim == 2 else "cartesian"
    return kind


def build_grid_section(sec, model):
    """The sKE grid of ``[grid]`` (or the default) for ``model``."""
    from ..kinetic import (AxisymmetricGrid, CartesianMomentumGrid, PhaseSpaceGrid, PolarGrid,
                           SpaceGrid, SphericalGrid)

    kind = grid_type(sec, model)
    given = {} if sec is None else {k: v for k, v in sec.model_dump().items()
                                    if v is not None and k != "type"}
    dims = {"polar": (2,), "spherical": (3,), "axisymmetric": (3,)}
    if model.dim not in dims.get(kind, (1, 2, 3)):
        raise ConfigError("grid.type", kind, f"a grid for d = {model.dim}: "
                                             + ("polar, " if model.dim == 2 else "")
                                             + ("spherical, axisymmetric, " if model.dim == 3 else "")
                                             + "cartesian or brillouin_zone")
    if kind == "brillouin_zone" and model.momentum_period is None:
        raise ConfigError("grid.type", kind, "a continuum grid (polar, cartesian, ...): the model "
                                             "has no momentum_period")
    allowed = dict(GRID_KEYS[kind], **SPACE_KEYS)
    for key, value in given.items():
        if key not in allowed:
            raise ConfigError(f"grid.{key}", value, f"a key of {kind} grids: {', '.join(allowed)}")
    v = dict(GRID_KEYS[kind], **{k: x for k, x in given.items() if k in GRID_KEYS[kind]})
    if "k_max" in v and v["k_min"] >= v["k_max"]:
        raise ConfigError("grid.k_min", v["k_min"], f"a radius below k_max = {v['k_max']}")
    if kind == "brillouin_zone":
        mom = CartesianMomentumGrid.brillouin_zone(model.dim, v["n"], model.momentum_period)
    elif kind == "cartesian":
        mom = CartesianMomentumGrid.box(model.dim, v["half_width"], v["n"])
    elif kind == "polar":
        mom = PolarGrid.uniform(v["k_min"], v["k_max"], v["n_k"], v["n_phi"])
    elif kind == "spherical":
        mom = SphericalGrid.uniform(v["k_min"], v["k_max"], v["n_k"], v["n_theta"], v["n_phi"])
    else:
        mom = AxisymmetricGrid.uniform(v["k_min"], v["k_max"], v["n_k"], v["n_theta"])
    if not any(k in given for k in SPACE_KEYS):
        return mom
    s = dict(SPACE_KEYS, **{k: x for k, x in given.items() if k in SPACE_KEYS})
    space = SpaceGrid.box(model.dim, s["space_half_width"], s["space_n"], s["space_periodic"])
    return PhaseSpaceGrid(space, mom)


def build_scheme(numerics):
    """:class:`~berrykin.kinetic.Scheme` from the scheme keys of ``[numerics]`` (None if unset)."""
    from ..kinetic import Limiter, Scheme

    keys = dict(numerics.scheme_keys)
    if not keys:
        return None
    if "limiter" in keys:
        keys["limiter"] = Limiter[keys["limiter"].upper()]
    return _construct(Scheme, keys, ("numerics",))


def build_terms(name: str, interband_sign: int):
    """:class:`~berrykin.kinetic.SKETerms` preset ``name`` with ``interband_sign``."""
    from ..kinetic import SKETerms

    terms = {"full": SKETerms.full, "wave_packet": SKETerms.wave_packet,
             "boltzmann": SKETerms.boltzmann}[name]()
    return dataclasses.replace(terms, interband_sign=interband_sign)
