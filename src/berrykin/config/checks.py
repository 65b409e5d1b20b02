"""Semantic checks of validated sections that need the model: expressions and parameter names,
vector lengths against the model's dimension, what each experiment requires of the model,
[field] and [numerics] keys each experiment uses, and the experiment function's keywords.

Each check raises :class:`~berrykin.config.errors.ConfigError` naming the key path.
"""

from __future__ import annotations

from .build import build_field_section, build_model_section, builtin_models
from .errors import ConfigError
from .experiments import EXPERIMENTS, ExternalExperiment, check_keywords, signature_names, spec_name
from .expressions import check_expression, check_parameter_name, constant_value
from .schema import FieldSection, ModelSection, NumericsSection

__all__ = ["check_model", "check_field", "check_experiment", "check_numerics"]

_EXPRESSION_KEYS = ("dim", "eps", "gap", "momentum_period", "name")


def check_model(sec: ModelSection):
    """Check ``[model]`` and return the model (a :class:`berrykin.models.Model`)."""
    builtins = builtin_models()
    if sec.type == "expression":
        if sec.dim is None:
            raise ConfigError("model.dim", None, "1, 2 or 3 (required with type = \"expression\")")
        if sec.gap is None:
            raise ConfigError("model.gap", None, "three expressions [Delta_x, Delta_y, Delta_z] "
                                                 "(required with type = \"expression\")")
        if sec.texture is not None:
            raise ConfigError("model.texture", sec.texture.type, "only for TexturedFerromagnet2D")
        for name, value in sec.parameters.items():
            check_parameter_name(name, f"model.parameters.{name}")
            if not isinstance(value, (int, float)):
                raise ConfigError(f"model.parameters.{name}", value, "a number")
        _check_expression_values(sec)
    elif sec.type in builtins:
        for key in _EXPRESSION_KEYS:
            if getattr(sec, key) is not None:
                raise ConfigError(f"model.{key}", getattr(sec, key),
                                  f"only with type = \"expression\" (not for {sec.type})")
        if sec.texture is not None and sec.type != "TexturedFerromagnet2D":
            raise ConfigError("model.texture", sec.texture.type, "only for TexturedFerromagnet2D")
    else:
        raise ConfigError("model.type", sec.type, f"\"expression\" or a built-in model: {', '.join(builtins)}")
    return build_model_section(sec)  # checks the expressions, or the built-in's parameters


def _check_expression_values(sec: ModelSection) -> None:
    """Parameters no expression uses, constant parts that are not finite (``1/0``, ``log(0)``,
    ``10**400``) and a gap that is zero everywhere are ConfigErrors (naming the key)."""
    names = list(sec.parameters)
    exprs = [("model.eps", "0" if sec.eps is None else sec.eps)]
    exprs += [(f"model.gap[{i}]", g) for i, g in enumerate(sec.gap)]
    used = set().union(*(check_expression(text, path, sec.dim, names) for path, text in exprs))
    for name, value in sec.parameters.items():
        if name not in used:
            uses = ", ".join(n for n in names if n in used) or "none"
            raise ConfigError(f"model.parameters.{name}", value,
                              f"a parameter that model.eps or model.gap uses (they use: {uses}); "
                              f"remove {name} or use it in an expression")
    values = {k: float(v) for k, v in sec.parameters.items()}
    consts = [constant_value(text, path, sec.dim, values) for path, text in exprs]
    if all(c == 0.0 for c in consts[1:]):
        raise ConfigError("model.gap", list(sec.gap), "a gap vector Delta that is not zero "
                                                      "everywhere (the two bands touch at every point, "
                                                      "where the texture and F are undefined)")


def check_field(sec: FieldSection, dim: int):
    """Check ``[field]`` against the model dimension and return the gauge field (or None)."""
    if sec.b is not None:
        want = {2: "a number (b_z)", 3: "a list of 3 numbers"}.get(dim, "no b in 1D")
        if dim == 1 or (dim == 2) != isinstance(sec.b, float):
            raise ConfigError("field.b", sec.b, f"{want} for a {dim}D model")
    if sec.e is not None:
        length = 1 if isinstance(sec.e, float) else len(sec.e)
        if length != dim:
            raise ConfigError("field.e", sec.e, f"a list of {dim} numbers for a {dim}D model")
    if sec.profile is not None:
        if sec.vector_gauge:
            raise ConfigError("field.vector_gauge", True, "false when a time profile is given")
        constant_value(sec.profile, "field.profile", 0, {})
    return build_field_section(sec, dim)


def _points(value, dim: int, path: str):
    pts = value if value and isinstance(value[0], list) else [value]
    for i, p in enumerate(pts):
        if len(p) != dim:
            raise ConfigError(path if len(pts) == 1 else f"{path}[{i}]", p,
                              f"{dim} coordinates per point for a {dim}D model")
    return len(pts)


def check_experiment(exp, model, field_sec, grid_sec):
    """Check ``[experiment]`` against the model, ``[field]`` and ``[grid]`` (and, for the
    experiments of :mod:`berrykin.experiments`, against the function's signature)."""
    kind = exp.type
    if kind in ("trajectories", "ske") and exp.t_span[0] == exp.t_span[1]:
        raise ConfigError("experiment.t_span", exp.t_span, "two different times [t0, t1]")
    if kind == "ske" and exp.t_span[1] < exp.t_span[0]:
        raise ConfigError("experiment.t_span", exp.t_span, "[t0, t1] with t1 > t0")
    if kind == "trajectories":
        counts = [_points(getattr(exp, k), model.dim, f"experiment.{k}")
                  for k in ("r0", "p0") if getattr(exp, k) is not None]
        if len(counts) == 2 and 1 not in counts and counts[0] != counts[1]:
            raise ConfigError("experiment.r0", exp.r0, f"one point or {counts[1]} points like p0")
    spec = EXPERIMENTS[kind]
    if field_sec is not None and kind not in ("trajectories", "ske"):
        given = [k for k in ("b", "e", "profile") if getattr(field_sec, k) is not None]
        bad = [k for k in given if k not in spec.field_keys]
        if bad:
            allowed = ", ".join(spec.field_keys) or "none"
            raise ConfigError(f"field.{bad[0]}", getattr(field_sec, bad[0]),
                              f"not used by the {kind} experiment (it applies its own fields; "
                              f"[field] keys it takes: {allowed})")
    if kind == "streda":
        if model.dim != 2 or model.depends_on_r:
            raise ConfigError("model.type", type(model).__name__, "a 2D model without r dependence "
                                                                   "for the streda experiment")
        from ..models import MassiveDirac2D

        default_ok = model.momentum_period is not None or (isinstance(model, MassiveDirac2D) and model.m != 0)
        if grid_sec is None and not default_ok:
            raise ConfigError("grid", None, "a [grid] table: streda's default grid exists only for "
                                            "MassiveDirac2D with m != 0 and lattice models")
    if kind in ("skyrmion", "skyrmion_sea") and (model.dim != 2 or not model.depends_on_r):
        raise ConfigError("model.type", type(model).__name__, "a 2D model with a real-space texture "
                                                               f"(e.g. TexturedFerromagnet2D) for {kind}")
    if kind == "mass_ramp" and (model.dim != 2 or model.depends_on_r or not hasattr(model, "m")):
        raise ConfigError("model.type", type(model).__name__, "a 2D model with a mass parameter m "
                                                               "(MassiveDirac2D, QWZ) for mass_ramp")
    if kind == "chiral_anomaly" and (model.dim != 3 or model.depends_on_r):
        raise ConfigError("model.type", type(model).__name__, "a 3D model without r dependence "
                                                               "(e.g. Weyl3D) for chiral_anomaly")
    if kind == "pump" and (model.dim != 1 or model.momentum_period is None or model.depends_on_r):
        raise ConfigError("model.type", type(model).__name__, "a 1D lattice model without r "
                                                               "dependence (e.g. RiceMele) for pump")
    if isinstance(exp, ExternalExperiment):
        keys = {k: v for k, v in exp.keywords(field_sec).items() if k != "interband_sign"}
        if exp.interband_sign is not None:
            keys.setdefault("terms", "full")
        check_keywords(kind, keys)
        if grid_sec is not None and "grid" not in signature_names(kind):
            raise ConfigError("grid", grid_sec.type, f"no [grid]: {spec_name(kind)} takes no grid")


def check_numerics(numerics: NumericsSection, kind: str) -> None:
    """Reject [numerics] keys that the experiment does not use."""
    if kind == "trajectories":
        used = ("rtol", "atol", "max_step")
    elif kind == "skyrmion":
        used = ("rtol", "atol")
    elif kind in ("ske", "streda") or "scheme" in signature_names(kind):
        used = ("limiter", "rk_stages", "cfl", "max_dt", "backend", "devices", "precision")
    else:
        used = ()
    for key, value in numerics.model_dump(exclude_none=True).items():
        if key not in used:
            raise ConfigError(f"numerics.{key}", value, f"not used by the {kind} experiment"
                                                        + (f" (it uses {', '.join(used)})" if used else ""))
