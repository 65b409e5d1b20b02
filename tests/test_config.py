"""Configuration files (berrykin.config): validation, safe expressions, overrides, models.

References: closed forms (massive Dirac group velocity v^2 p/(2|Delta|), Delta of Eq. 41) and
the built-in MassiveDirac2D (an independent implementation of the same Hamiltonian).
"""

from __future__ import annotations

import math
import os
import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berrykin.config import ConfigError, build_model, load_config, validate, with_overrides
from berrykin.errors import BerrykinError, ParameterError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))

README = """
[model]
type = "expression"
dim = 2
eps = "0"
gap = ["v*p_x", "v*p_y", "M"]

[model.parameters]
v = 1.0
M = 0.5

[experiment]
type = "trajectories"
"""

BASE = {
    "model": {"type": "MassiveDirac2D", "parameters": {"m": 1.0, "v": 1.0}},
    "field": {"b": 0.1},
    "experiment": {"type": "trajectories", "p0": [0.5, 0.0], "t_span": [0.0, 2.0], "n_output": 5},
    "numerics": {"rtol": 1e-9},
    "output": {"dir": "out"},
}
EXPRESSION = {
    "model": {"type": "expression", "dim": 2, "eps": "0", "gap": ["v*p_x", "v*p_y", "M"],
              "parameters": {"v": 1.0, "M": 0.5}},
    "experiment": {"type": "ske", "t_span": [0.0, 1.0]},
    "grid": {"type": "polar", "n_k": 8, "n_phi": 4},
}


# -- the README example and the examples -----------------------------------------------------
def test_readme_example_validates_and_matches_group_velocity():
    """Delta = (v p_x, v p_y, M): upper band eps_+ = |Delta|/2, rdot = v^2 p/(2|Delta|); without
    r or t dependence F_{r p} = F_{t .} = 0, so Eq. 24 reduces to the group velocity."""
    from berrykin.config import run_experiment

    cfg = load_config(README)
    assert cfg.experiment_type == "trajectories" and cfg.model.parameters == {"v": 1.0, "M": 0.5}
    res = run_experiment(cfg)
    v, M, p = 1.0, 0.5, np.array([0.5, 0.0])
    speed = v * v * p / (2 * math.hypot(v * p[0], M))
    np.testing.assert_allclose(res.r[:, 0, :], res.t[:, None] * speed, atol=1e-9)
    np.testing.assert_allclose(res.p[:, 0, :], np.broadcast_to(p, (res.t.size, 2)), atol=1e-12)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_validate(path):
    if "mass_ramp" in path.stem:
        pytest.importorskip("berrykin.experiments.mass_ramp", reason="mass_ramp not in this version")
    cfg = load_config(path)
    assert validate(cfg.to_dict()) == cfg


def test_to_dict_round_trip_and_immutability():
    cfg = validate(BASE)
    assert validate(cfg.to_dict()) == cfg
    with pytest.raises(Exception):
        cfg.model.type = "QWZ"  # frozen
    data = cfg.to_dict()
    assert data["experiment"]["band"] == 1 and data["numerics"] == {"rtol": 1e-9}


# -- expression model against the built-in massive Dirac model ---------------------------------
@pytest.mark.parametrize("m,v,m_dot", [(1.0, 1.0, 0.0), (-0.7, 1.3, 0.0), (0.4, 0.8, 0.25)])
def test_expression_model_equals_massive_dirac(m, v, m_dot):
    """gap = 2 (v p_x, v p_y, (m + m_dot t) v^2) is MassiveDirac2D (Eq. 41): same Delta, same F_IJ."""
    import berrykin as bk
    from berrykin.models import MassiveDirac2D

    cfg = load_config({
        "model": {"type": "expression", "dim": 2, "eps": 0,
                  "gap": ["2*v*p_x", "2*v*p_y", "2*(m + m_dot*t)*v**2"],
                  "parameters": {"m": m, "v": v, "m_dot": m_dot}},
        "experiment": {"type": "trajectories"}})
    expr = build_model(cfg)
    ref = MassiveDirac2D(m=m, v=v, m_dot=m_dot)
    assert not expr.depends_on_r
    rng = np.random.default_rng(7)
    r = rng.normal(size=(20, 2))
    p = rng.normal(size=(20, 2)) * 2
    t = rng.uniform(-1, 1, size=20)
    np.testing.assert_allclose(bk.gap_vector(expr, r, p, t), bk.gap_vector(ref, r, p, t), rtol=1e-13, atol=1e-13)
    F1 = bk.berry_curvature(expr, r, p, t)
    F2 = bk.berry_curvature(ref, r, p, t)
    np.testing.assert_allclose(F1, F2, rtol=1e-11, atol=1e-12)
    E = np.sqrt(v**2 * np.sum(p**2, axis=1) + ((m + m_dot * t) * v**2) ** 2)
    np.testing.assert_allclose(F1[:, 2, 3], (m + m_dot * t) * v**4 / E**3, rtol=1e-10)  # B_k (v = 1: m/E^3)


def test_expression_functions_and_position_dependence():
    import jax

    from berrykin.config import compile_expression

    f = compile_expression("atan2(y, x) + sqrt(abs(-p_x)) * exp(-t) - log(cosh(z)) + tanh(0)*pi",
                           "e", 3, [])
    with jax.enable_x64(True):
        val = float(f({"x": 1.0, "y": 1.0, "z": 0.3, "p_x": 4.0, "t": 0.0}))
    assert val == pytest.approx(math.pi / 4 + 2.0 - math.log(math.cosh(0.3)), rel=1e-14)
    cfg = load_config({"model": {"type": "expression", "dim": 1, "gap": ["x", "p_x", 1]},
                       "experiment": {"type": "trajectories"}})
    assert build_model(cfg).depends_on_r


# -- injection attempts ------------------------------------------------------------------------
ATTACKS = [
    "__import__('os').system('touch {s}')",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: __import__('os').system('touch {s}'))()",
    "open('{s}', 'w')",
    "f\"{{__import__('os').system('touch {s}')}}\"",
    "exec(\"open('{s}', 'w')\")",
    "eval('1')",
    "[c for c in ()]",
    "(x := 1)",
    "x if x else y",
    "sin.__globals__",
    "p_x[0]",
    "sin(x=1)",
    "sin(*p_x)",
    "globals()",
    "__builtins__",
    "'string'",
    "b'bytes'",
    "1j",
    "x < y",
    "x and y",
    "not x",
    "x % 2",
    "x // 2",
    "x @ y",
    "-" * 5000 + "1",
    "sin(" * 100 + "1" + ")" * 100,
    "1e999",
    "10" + "0" * 400,
    "import os",
    "x; open('{s}', 'w')",
    "\x00",
    "",
]


@pytest.mark.parametrize("attack", ATTACKS, ids=range(len(ATTACKS)))
def test_injection_is_rejected_without_executing(attack, tmp_path):
    sentinel = tmp_path / "SENTINEL"
    text = attack.replace("{s}", str(sentinel))
    for where in ("eps", "gap"):
        data = {"model": {"type": "expression", "dim": 2, "gap": ["p_x", "p_y", "1"],
                          "parameters": {}}, "experiment": {"type": "trajectories"}}
        if where == "eps":
            data["model"]["eps"] = text
        else:
            data["model"]["gap"][1] = text
        with pytest.raises(ConfigError) as exc:
            validate(data)
        assert str(exc.value).startswith(f"model.{where}"), str(exc.value)
    assert not sentinel.exists()
    assert not os.path.exists("SENTINEL")


def test_injection_in_field_profile_and_parameter_names(tmp_path):
    sentinel = tmp_path / "S"
    with pytest.raises(ConfigError, match="field.profile"):
        validate({**BASE, "field": {"b": 0.1, "profile": f"__import__('os').system('touch {sentinel}')"}})
    with pytest.raises(ConfigError, match="field.profile"):
        validate({**BASE, "field": {"b": 0.1, "profile": "x*t"}})  # only t in a profile
    for name in ("__class__", "sin", "p_x", "lambda", "1a", "a-b"):
        with pytest.raises(ConfigError, match="model.parameters"):
            validate({"model": {"type": "expression", "dim": 2, "gap": ["p_x", "p_y", "1"],
                                "parameters": {name: 1.0}}, "experiment": {"type": "trajectories"}})
    assert not sentinel.exists()


# -- messages name the key path, the value and what is allowed ---------------------------------
def _set(data, path, value):
    import copy

    out = copy.deepcopy(data)
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    return out


@pytest.mark.parametrize("path,value,fragment", [
    ("model.parameters.v", -1.0, "velocity > 0"),
    ("model.parameters.m", float("nan"), "finite"),
    ("model.parameters.m", "1.0", "number"),
    ("model.parameters.q", 1.0, "unknown parameter"),
    ("model.type", "Graphene", "built-in model"),
    ("model.eps", "0", 'only with type = "expression"'),
    ("field.b", [0.0, 0.0, 1.0], "a number (b_z)"),
    ("field.e", [1.0], "2 numbers"),
    ("field.z", 1.0, "unknown key"),
    ("experiment.band", 2, "1"),
    ("experiment.p0", [1.0, 2.0, 3.0], "2 coordinates"),
    ("experiment.t_span", [1.0, 1.0], "two different times"),
    ("experiment.n_output", True, "integer"),
    ("experiment.color", "red", "unknown key"),
    ("experiment.type", "nonsense", "one of trajectories"),
    ("numerics.cfl", 0.5, "not used by the trajectories"),
    ("numerics.rtol", float("inf"), "finite"),
    ("output.plot", "yes", "boolean"),
    ("grid.type", "polar", "no [grid] for the trajectories"),
    ("bogus.key", 1, "unknown section"),
])
def test_error_names_path_value_and_allowed(path, value, fragment):
    with pytest.raises(ConfigError) as exc:
        validate(_set(BASE, path, value))
    msg = str(exc.value)
    section = path.split(".")[0]
    assert msg.startswith(section), msg
    assert "is not allowed" in msg and fragment in msg, msg
    assert "\n" not in msg
    assert isinstance(exc.value, ParameterError) and isinstance(exc.value, BerrykinError)


@pytest.mark.parametrize("path,value,fragment", [
    ("grid.n", 8, "a key of polar grids"),
    ("grid.type", "brillouin_zone", "no momentum_period"),
    ("grid.k_min", 5.0, "below k_max"),
    ("grid.type", "spherical", "a grid for d = 2"),
    ("experiment.t_span", [1.0, 0.0], "t1 > t0"),
    ("model.gap", ["p_x", "p_y"], "at least 3"),
    ("model.dim", 4, "1, 2 or 3"),
    ("model.gap", ["p_x", "p_y", "p_z"], "unknown name 'p_z'"),
])
def test_expression_and_grid_errors(path, value, fragment):
    with pytest.raises(ConfigError) as exc:
        validate(_set(EXPRESSION, path, value))
    assert fragment in str(exc.value), str(exc.value)


def test_missing_sections_and_toml_errors(tmp_path):
    with pytest.raises(ConfigError, match="experiment"):
        validate({"model": {"type": "QWZ"}})
    with pytest.raises(ConfigError, match="TOML"):
        load_config("[model\ntype = 1")
    with pytest.raises(ConfigError, match="readable"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe[model]")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(bad)


def test_builtin_parameters_and_texture():
    cfg = load_config({"model": {"type": "TexturedFerromagnet2D", "parameters": {"exchange": 2.0},
                                 "texture": {"type": "DomainWall", "parameters": {"width": 3.0}}},
                       "experiment": {"type": "skyrmion"}})
    model = build_model(cfg)
    assert model.exchange == 2.0 and model.texture.width == 3.0
    with pytest.raises(ConfigError, match="model.texture.parameters.width"):
        validate(_set(cfg.to_dict(), "model.texture.parameters.width", -1.0))
    with pytest.raises(ConfigError, match="model.parameters.chirality"):
        validate({"model": {"type": "Weyl3D", "parameters": {"chirality": 1.0}},
                  "experiment": {"type": "trajectories"}})
    for model, kind in (("QWZ", "pump"), ("RiceMele", "mass_ramp"), ("QWZ", "chiral_anomaly"),
                        ("QWZ", "skyrmion"), ("Weyl3D", "streda")):
        with pytest.raises(ConfigError, match="model.type"):  # what each experiment needs
            validate({"model": {"type": model}, "experiment": {"type": kind}})


def test_external_experiment_keys_follow_the_function_signature():
    pytest.importorskip("berrykin.experiments.pump")
    base = {"model": {"type": "RiceMele", "parameters": {"period": 30.0}},
            "experiment": {"type": "pump", "samples": 8, "mu": 0.0, "terms": "wave_packet"}}
    cfg = validate(base)
    kw = cfg.experiment.keywords()
    assert kw["samples"] == 8 and kw["mu"] == 0.0 and kw["terms"] == "wave_packet"
    for key, value, fragment in [("samples", "8", "an integer"), ("samples", 2.5, "an integer"),
                                 ("color", 1, "unknown key"), ("cycles", 0, "greater than"),
                                 ("terms", "magic", "full")]:
        with pytest.raises(ConfigError) as exc:
            validate(_set(base, f"experiment.{key}", value))
        assert str(exc.value).startswith(f"experiment.{key}") and fragment in str(exc.value), str(exc.value)
    with pytest.raises(ConfigError, match="field.b"):  # pump applies no field
        validate(_set(base, "field", {"e": 0.1, "b": 0.1}))
    assert validate(README) == load_config(README)  # validate() also takes TOML text


def test_field_builds_minimal_coupling():
    from berrykin.models import MinimalCoupling, UniformMagneticField

    cfg = validate(BASE)
    coupled = build_model(cfg, coupled=True)
    assert isinstance(coupled, MinimalCoupling) and coupled.field == UniformMagneticField(b=0.1)
    import berrykin as bk

    # F = b . B_k at the kinetic momentum (Eq. F3): b m/E^3 at k = 0 (r = 0, a = 0)
    assert bk.curvature_scalar(coupled, [0.0, 0.0], [0.0, 0.0]) == pytest.approx(0.1, rel=1e-12)
    prof = validate(_set(BASE, "field", {"e": [0.2, 0.0], "profile": "sin(t)"}))
    f = build_model(prof, coupled=True)
    e, b = bk.em_fields(f.field, [0.3, -0.2], 0.7)
    np.testing.assert_allclose(np.asarray(e), [0.2 * math.sin(0.7), 0.0], atol=1e-14)


# -- overrides ---------------------------------------------------------------------------------
def test_with_overrides():
    cfg = validate(BASE)
    new = with_overrides(cfg, {"model.parameters.m": 0.3, "field.b": 0.2, "experiment.n_output": 7.0})
    assert new.model.parameters["m"] == 0.3 and new.field.b == 0.2 and new.experiment.n_output == 7
    assert cfg.model.parameters["m"] == 1.0  # the original is unchanged
    assert with_overrides(cfg, {"model.m": -0.5}).model.parameters["m"] == -0.5  # short form
    assert with_overrides(load_config(README), {"model.gap[2]": "2*M"}).model.gap[2] == "2*M"
    with pytest.raises(ConfigError, match="model.parameters.v"):
        with_overrides(cfg, {"model.parameters.v": -1.0})
    with pytest.raises(ConfigError, match="key path"):
        with_overrides(cfg, {"model..m": 1.0})
    with pytest.raises(ConfigError, match="experiment.n_output"):
        with_overrides(cfg, {"experiment.n_output": 7.5})


# -- property-based: random and malformed configurations ---------------------------------------
KEYS = ["model", "field", "experiment", "grid", "numerics", "output", "type", "parameters", "dim",
        "eps", "gap", "b", "e", "profile", "band", "p0", "r0", "t_span", "n_output", "mu", "T",
        "n_k", "n_phi", "cfl", "rtol", "texture", "m", "v", "M", "x", "__class__", ""]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=20), st.sampled_from(["QWZ", "expression", "trajectories", "ske",
                                                           "streda", "pump", "polar", "p_x", "1/0"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)), max_leaves=12)
EXPR_ALPHABET = string.ascii_letters[:8] + "_xyzpt0123456789.+-*/()[]{}'\",:;=<>!@#%^&|~ \\" + "sincoexplqrtah"
EXPRESSIONS = st.one_of(
    st.text(alphabet=EXPR_ALPHABET, max_size=40),
    st.lists(st.sampled_from(["p_x", "x", "t", "v", "M", "sin(", "cos(", ")", "(", "+", "-", "*", "/",
                              "**", "1", "2.5", "pi", "atan2(", ",", ".", "__", "lambda", "[0]",
                              "import", "'a'", "abs(", "q"]), max_size=12).map("".join))
PATHS = ["model.type", "model.parameters.v", "model.parameters.M", "model.dim", "model.eps",
         "model.gap", "field.b", "field.e", "field.profile", "experiment.type", "experiment.band",
         "experiment.p0", "experiment.t_span", "experiment.n_output", "grid.type", "grid.n_k",
         "numerics.rtol", "output.dir", "output.plot", "model", "experiment", "title", "extra.key"]


def _check(data):
    """Either a Config, or a ConfigError with a one-line message; never another exception."""
    try:
        validate(data)
    except ConfigError as exc:
        msg = str(exc)
        assert msg and "is not allowed" in msg and "\n" not in msg
        return False
    return True


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(VALUES, st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)))
def test_random_structures_give_config_errors(data):
    _check(data)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from([BASE, EXPRESSION]), path=st.sampled_from(PATHS),
       value=st.one_of(VALUES, EXPRESSIONS), drop=st.booleans())
def test_mutated_configs_give_config_errors(base, path, value, drop):
    data = _set(base, path, value)
    if drop:  # remove a whole section as well
        data.pop(path.split(".")[0], None)
    _check(data)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(exprs=st.lists(EXPRESSIONS, min_size=3, max_size=3), eps=EXPRESSIONS)
def test_malformed_expressions(exprs, eps):
    data = _set(_set(EXPRESSION, "model.gap", exprs), "model.eps", eps)
    if _check(data):  # accepted: then it only uses whitelisted syntax and compiles
        build_model(validate(data))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=200))
def test_random_toml_text(text):
    try:
        load_config(text if ("\n" in text or "=" in text or text.lstrip().startswith("[")) else text + "\n")
    except ConfigError as exc:
        assert "is not allowed" in str(exc)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(base=st.sampled_from([BASE, EXPRESSION]),
       section=st.sampled_from(["model", "experiment", "numerics", "output", "model.parameters", "field"]),
       key=st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=12), value=SCALARS)
def test_unknown_keys_are_always_rejected(base, section, key, value):
    from berrykin.config.schema import FieldSection, ModelSection, NumericsSection, OutputSection
    from berrykin.config.experiments import SKEExperiment, TrajectoriesExperiment

    known = set(ModelSection.model_fields) | set(FieldSection.model_fields) | set(NumericsSection.model_fields) \
        | set(OutputSection.model_fields) | set(SKEExperiment.model_fields) | set(TrajectoriesExperiment.model_fields) \
        | {"m", "v", "m_dot", "M"}
    if key in known:
        return  # (an expression model's unknown parameters are unused ones: rejected as well)
    with pytest.raises(ConfigError) as exc:
        validate(_set(base, f"{section}.{key}", value))
    assert key in str(exc.value) or section.split(".")[0] in str(exc.value)


# -- unused parameters, non-finite constants, gap shapes (issue 12, items 2 and 5) ---------------
def test_unused_expression_parameter_is_a_one_line_config_error():
    with pytest.raises(ConfigError) as info:
        validate(_set(EXPRESSION, "model.parameters.Q", 2.0))
    msg = str(info.value)
    assert info.value.path == "model.parameters.Q" and msg.startswith("model.parameters.Q = 2.0 is not allowed")
    assert "they use: v, M" in msg and "\n" not in msg


@pytest.mark.parametrize("path, value, shown", [
    ("model.gap", ["v*p_x", "v*p_y", "M + 1/0"], "division by 0"),
    ("model.gap", ["v*p_x", "v*p_y", "M*log(0)"], "-inf"),
    ("model.gap", ["v*p_x", "v*p_y", "M*10**400"], "inf"),
    ("model.gap", ["v*p_x", "v*p_y", "sqrt(M - 1)"], "nan"),
    ("model.gap", ["v*p_x/(M - 0.5)", "v*p_y", "M"], "M = 0.5"),   # 1/0 through a parameter
    ("model.eps", "exp(M*2000)*v", "inf"),
    ("field.profile", "1/0", "division by 0"),
])
def test_non_finite_constants_fail_in_validate(path, value, shown):
    data = _set(EXPRESSION, path, value)
    if path == "field.profile":
        data = _set(_set(data, "field.b", 0.1), "experiment", {"type": "trajectories"})
        data.pop("grid")
    with pytest.raises(ConfigError) as info:
        validate(data)
    assert info.value.path.startswith(path) and shown in str(info.value) and "finite" in str(info.value)


def test_all_zero_gap_fails_in_validate():
    with pytest.raises(ConfigError, match="not zero everywhere") as info:
        validate(_set(EXPRESSION, "model.gap", ["0*v", "0", "M - 0.5"]))
    assert info.value.path == "model.gap"
    # a constant non-zero gap is a valid (flat-band, F = 0) model
    validate(_set(EXPRESSION, "model.gap", ["0*v", "0", "M"]))


GOOD_ATOMS = ["p_x", "p_y", "M", "M", "v", "Q", "0", "1", "2.5", "pi", "0*p_x"]
BAD_ATOMS = ["1/0", "log(0)", "10**400", "sqrt(-1)", "M/0", "exp(1000)"]  # 1 in 8 leaves
SAFE_EXPRESSIONS = st.recursive(
    st.sampled_from(GOOD_ATOMS * 4 + BAD_ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(st.sampled_from(["sin", "cos"]), inner).map(lambda t: f"{t[0]}({t[1]})")),
    max_leaves=6)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(gap=st.sampled_from([3] * 5 + [1, 2, 4, 5]).flatmap(
           lambda n: st.lists(SAFE_EXPRESSIONS, min_size=n, max_size=n)), eps=SAFE_EXPRESSIONS,
       params=st.fixed_dictionaries({"M": st.one_of(st.just(0.0), st.floats(-3, 3))},
                                    optional={"v": st.floats(-3, 3), "Q": st.floats(-3, 3)}),
       use_all=st.booleans())
def test_generated_expression_models_are_valid_or_one_line_errors(gap, eps, params, use_all):
    """Every generated model is either rejected with a one-line ConfigError, or valid: then it
    has a 3-component gap, every parameter is used, and Delta is finite (no non-finite constant
    survives validation; without divisions the non-constant parts are bounded). ``use_all``
    adds ``0*name`` for every parameter to eps (otherwise unused parameters are common)."""
    if use_all:
        eps = " + ".join([f"({eps})"] + [f"0*{name}" for name in params])
    data = _set(_set(_set(EXPRESSION, "model.gap", gap), "model.eps", eps), "model.parameters", params)
    if not _check(data):
        return
    import berrykin as bk

    assert len(gap) == 3
    text = " ".join(gap + [eps])
    assert all(name in text for name in params)
    model = build_model(validate(data))
    D = bk.gap_vector(model, p=[[0.3, -0.2], [1.1, 0.7]])
    assert np.all(np.isfinite(D)) and D.shape == (2, 3)
    assert np.all(np.isfinite(bk.band_energies(model, p=[[0.3, -0.2], [1.1, 0.7]])))


def test_berrykin_validate_rejects_them_in_one_line(tmp_path, capsys):
    """The CLI: `berrykin validate` exits 2 with the one-line ConfigError (no run needed)."""
    from berrykin.cli.main import main

    for gap, fragment in ((["v*p_x", "v*p_y", "M + 1/0"], "division by 0"),
                          (["v*p_x", "v*p_y", "M*10**400"], "is inf")):
        path = tmp_path / "bad.toml"
        path.write_text(README.replace('gap = ["v*p_x", "v*p_y", "M"]', f"gap = {gap!r}".replace("'", '"')))
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert fragment in err and "model.gap[2]" in err and len(err.splitlines()) == 1
    path.write_text(README.replace("M = 0.5", "M = 0.5\nQ = 1.0"))
    assert main(["validate", str(path)]) == 2
    assert "model.parameters.Q" in capsys.readouterr().err


def test_numerics_backend_devices_precision_build_a_scheme():
    """[numerics] backend = "jax", devices, precision reach the Scheme; devices > 1 without JAX
    is a one-line ConfigError naming numerics.devices."""
    from berrykin.config.build import build_scheme
    from berrykin.config.schema import NumericsSection
    from berrykin.kinetic import Precision

    s = build_scheme(NumericsSection(backend="jax", devices=2))
    assert (s.backend, s.devices) == ("jax", 2)
    assert build_scheme(NumericsSection(precision=32)).precision is Precision.FLOAT32
    with pytest.raises(ConfigError) as exc:
        build_scheme(NumericsSection(devices=2))
    msg = str(exc.value)
    assert msg.startswith("numerics.devices") and "backend='jax'" in msg and "\n" not in msg, msg
