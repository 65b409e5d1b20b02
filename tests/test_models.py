"""Built-in models against their documented Hamiltonians, validation and immutability.

Every reference below is written out independently in NumPy from the documented form
(paper Eqs. 41, 51, 32 and the model docstrings); tolerances are stated per assertion.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import berrykin
from berrykin.errors import ParameterError
from berrykin.models import (
    QWZ,
    DomainWall,
    GaugePotential,
    MassiveDirac2D,
    MinimalCoupling,
    RiceMele,
    Skyrmion,
    TexturedFerromagnet2D,
    TwoBandModel,
    Uniform,
    UniformElectricField,
    UniformMagneticField,
    Weyl3D,
)

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
SZ = np.array([[1, 0], [0, -1]], dtype=complex)
I2 = np.eye(2, dtype=complex)

RNG = np.random.default_rng(12345)
NPTS = 6  # points per model (one compiled shape per model)

# Matrix elements are O(1-10); the models evaluate in float64 -> 1e-12 absolute.
ATOL_H = 1e-12


def skyrmion_n(x, y, radius, width, center=(0.0, 0.0), helicity=0.0):
    """Skyrmion texture of the Skyrmion docstring, written independently."""
    x, y = x - center[0], y - center[1]
    rho2 = x * x + y * y
    lam = radius * math.exp((radius**2 - rho2) / (2 * width**2))
    cg, sg = math.cos(helicity), math.sin(helicity)
    den = rho2 + lam * lam
    return np.array([2 * lam * (cg * x - sg * y) / den, 2 * lam * (sg * x + cg * y) / den,
                     (rho2 - lam * lam) / den])


def domain_wall_n(x, width, center=0.0, angle=0.0):
    u = (x - center) / width
    return np.array([math.cos(angle) / math.cosh(u), math.sin(angle) / math.cosh(u), -math.tanh(u)])


def qwz_h(k, m):
    return (math.sin(k[0]) * SX + math.sin(k[1]) * SY
            + (m + math.cos(k[0]) + math.cos(k[1])) * SZ)


def dirac_h(p, m, v):  # Eq. (41) without fields
    return v * (p[0] * SX + p[1] * SY) + m * v * v * SZ


def weyl_h(p, chi, v):  # Eq. (51) with chirality
    return chi * v * (p[0] * SX + p[1] * SY + p[2] * SZ)


def rice_mele_h(k, t, hop, dim, stag, period):
    w_t = 2 * math.pi * t / period
    v = hop + dim * math.cos(w_t)
    w = hop - dim * math.cos(w_t)
    u = stag * math.sin(w_t)
    return (v + w * math.cos(k)) * SX + w * math.sin(k) * SY + u * SZ


def ferro_h(r, p, exchange, rashba, mass, n):
    return ((p[0] ** 2 + p[1] ** 2) / (2 * mass) * I2 + exchange * (n[0] * SX + n[1] * SY + n[2] * SZ)
            + rashba * (SX * p[1] - SY * p[0]))


# (model, reference H(r, p, t)) pairs; each built-in with non-default parameters.
SKY = Skyrmion(radius=1.5, width=2.5, center=(0.3, -0.2), helicity=0.7)
WALL = DomainWall(width=1.2, center=0.4, angle=0.9)
CASES = {
    "QWZ": (QWZ(m=1.3), lambda r, p, t: qwz_h(p, 1.3)),
    "Dirac": (MassiveDirac2D(m=0.6, v=1.7, m_dot=0.25),
              lambda r, p, t: dirac_h(p, 0.6 + 0.25 * t, 1.7)),
    "Weyl+": (Weyl3D(chirality=1, v=0.8), lambda r, p, t: weyl_h(p, 1, 0.8)),
    "Weyl-": (Weyl3D(chirality=-1, v=1.2), lambda r, p, t: weyl_h(p, -1, 1.2)),
    "RiceMele": (RiceMele(hopping=1.1, dimerization=0.4, staggered=0.6, period=7.0),
                 lambda r, p, t: rice_mele_h(p[0], t, 1.1, 0.4, 0.6, 7.0)),
    "FerroSkyrmion": (TexturedFerromagnet2D(exchange=0.9, rashba=0.35, mass=1.4, texture=SKY),
                      lambda r, p, t: ferro_h(r, p, 0.9, 0.35, 1.4,
                                              skyrmion_n(r[0], r[1], 1.5, 2.5, (0.3, -0.2), 0.7))),
    "FerroWall": (TexturedFerromagnet2D(exchange=1.1, rashba=0.2, mass=0.7, texture=WALL),
                  lambda r, p, t: ferro_h(r, p, 1.1, 0.2, 0.7, domain_wall_n(r[0], 1.2, 0.4, 0.9))),
    "FerroUniform": (TexturedFerromagnet2D(texture=Uniform((1.0, 2.0, 2.0))),
                     lambda r, p, t: ferro_h(r, p, 1.0, 0.5, 1.0, np.array([1.0, 2.0, 2.0]) / 3.0)),
}


def _points(dim):
    r = RNG.uniform(-3, 3, size=(NPTS, dim))
    p = RNG.uniform(-2, 2, size=(NPTS, dim))
    t = RNG.uniform(-2, 2, size=NPTS)
    return r, p, t


@pytest.mark.parametrize("name", list(CASES))
def test_hamiltonian_matches_documented_form_and_bands_match_eigvalsh(name):
    model, ref = CASES[name]
    r, p, t = _points(model.dim)
    hs = []
    for i in range(NPTS):
        H = model.hamiltonian(r[i], p[i], t[i])
        assert H.shape == (2, 2) and H.dtype == np.complex128
        np.testing.assert_allclose(H, ref(r[i], p[i], t[i]), rtol=0, atol=ATOL_H)
        hs.append(H)
    # Band energies (s = +1, s = -1) equal the eigenvalues of H (descending), 1e-12 absolute.
    E = berrykin.band_energies(model, r, p, t)
    assert E.shape == (NPTS, 2)
    np.testing.assert_allclose(E, np.linalg.eigvalsh(np.array(hs))[:, ::-1], rtol=0, atol=1e-12)


def test_skyrmion_texture_documented_properties():
    sky = Skyrmion(radius=2.0, width=2.0)
    pts = np.concatenate([[[0.0, 0.0], [2.0, 0.0], [12.0, 5.0]], RNG.uniform(-4, 4, size=(5, 2))])
    with jax.enable_x64(True):
        n = np.asarray(jax.vmap(sky)(jnp.asarray(pts)))
    np.testing.assert_allclose(n[0], [0, 0, -1], atol=1e-15)  # core antiparallel to z
    np.testing.assert_allclose(n[1, 2], 0.0, atol=1e-15)  # n_z = 0 at rho = radius
    np.testing.assert_allclose(n[2], [0, 0, 1], atol=1e-7)  # far field +z (L ~ 1e-8 there)
    np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=1e-15)  # unit vectors


def test_models_are_immutable():
    objs = [(QWZ(), "m"), (MassiveDirac2D(), "m_dot"), (Weyl3D(), "chirality"), (RiceMele(), "period"),
            (TexturedFerromagnet2D(), "rashba"), (Skyrmion(), "radius"), (DomainWall(), "width"),
            (UniformMagneticField(b=0.1), "b"), (UniformElectricField(e=(0.1, 0.0)), "e"),
            (MinimalCoupling(QWZ(), UniformMagneticField(0.1)), "field"),
            (TwoBandModel(1, lambda r, p, t, P: 0.0, lambda r, p, t, P: jnp.stack([p[0], 1.0 + 0 * p[0], 0 * p[0]])),
             "name")]
    for obj, attr in objs:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, 2.0)


_dummy_gap = lambda r, p, t, P: jnp.stack([p[0], p[1], 1.0 + 0 * p[0]])  # noqa: E731
BAD = [
    (lambda: MassiveDirac2D(v=0.0), "v", 0.0),
    (lambda: MassiveDirac2D(m=float("nan")), "m", float("nan")),
    (lambda: MassiveDirac2D(m="heavy"), "m", "heavy"),
    (lambda: MassiveDirac2D(m_dot=math.inf), "m_dot", math.inf),
    (lambda: Weyl3D(chirality=2), "chirality", 2),
    (lambda: Weyl3D(v=-1.0), "v", -1.0),
    (lambda: QWZ(m=None), "m", None),
    (lambda: RiceMele(period=0.0), "period", 0.0),
    (lambda: RiceMele(staggered=math.nan), "staggered", math.nan),
    (lambda: TexturedFerromagnet2D(mass=-1.0), "mass", -1.0),
    (lambda: TexturedFerromagnet2D(texture="skyrmion"), "texture", "skyrmion"),
    (lambda: Skyrmion(radius=0.0), "radius", 0.0),
    (lambda: Skyrmion(center=(1.0, 2.0, 3.0)), "center", (1.0, 2.0, 3.0)),
    (lambda: DomainWall(width=-2.0), "width", -2.0),
    (lambda: UniformMagneticField(b=(1.0, 2.0)), "b", (1.0, 2.0)),
    (lambda: UniformElectricField(e=(1.0, 2.0, 3.0, 4.0)), "e", (1.0, 2.0, 3.0, 4.0)),
    (lambda: TwoBandModel(4, lambda *a: 0.0, _dummy_gap), "dim", 4),
    (lambda: TwoBandModel(2, 3.0, _dummy_gap), "eps", 3.0),
    (lambda: TwoBandModel(2, lambda *a: 0.0, _dummy_gap, params={"m": math.inf}), "params['m']", math.inf),
    (lambda: TwoBandModel(2, lambda *a: 0.0, _dummy_gap, momentum_period=-1.0), "momentum_period", -1.0),
    (lambda: TwoBandModel(2, lambda *a: 0.0, _dummy_gap, params={"m": 1.0}).replace(mass=2.0), "mass", 2.0),
    (lambda: MinimalCoupling("dirac", UniformMagneticField(0.1)), "model", "dirac"),
    (lambda: MinimalCoupling(MassiveDirac2D(), 0.1), "field", 0.1),
    (lambda: berrykin.phase_space_velocity(QWZ(), p=[0.1, 0.2], band=0), "band", 0),
]


@pytest.mark.parametrize("make, field, value", BAD, ids=[f"{b[1]}={b[2]!r}" for b in BAD])
def test_bad_parameters_raise_parameter_error_naming_field_and_value(make, field, value):
    with pytest.raises(ParameterError) as info:
        make()
    err = info.value
    assert err.field == field
    assert str(err).startswith(f"{field}={value!r}")  # the message names the field and value
    assert isinstance(err, ValueError)


def test_minimal_coupling_field_dimension_mismatch():
    with pytest.raises(ParameterError) as info:
        MinimalCoupling(MassiveDirac2D(), UniformMagneticField(b=(0.0, 0.0, 1.0)))
    assert info.value.field == "field" and "2 dimensions" in str(info.value)


def test_two_band_user_model_and_replace():
    gap = lambda r, p, t, P: 2 * jnp.stack([P["v"] * p[0], P["v"] * p[1], P["m"] + 0 * p[0]])  # noqa: E731
    user = TwoBandModel(2, lambda r, p, t, P: P["mu"] * 2.0, gap, params={"m": 0.5, "v": 1.0, "mu": 0.1},
                        depends_on_r=False, name="dirac")
    assert user.dim == 2 and not user.depends_on_r and user.momentum_period is None
    assert user.parameters == {"m": 0.5, "mu": 0.1, "v": 1.0}
    k = RNG.uniform(-2, 2, size=(NPTS, 2))
    # H = mu + sigma.k + m sigma_z, E = mu +- sqrt(k^2 + m^2), B_k = m/E^3 (Sec. III A), 1e-12.
    for m in (0.5, -0.3):
        model = user if m == 0.5 else user.replace(m=m)
        E = np.sqrt((k**2).sum(-1) + m * m)
        np.testing.assert_allclose(model.hamiltonian(None, k[0]), 0.1 * I2 + dirac_h(k[0], m, 1.0), atol=ATOL_H)
        np.testing.assert_allclose(berrykin.band_energies(model, p=k), np.stack([0.1 + E, 0.1 - E], -1),
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(berrykin.momentum_berry_field(model, p=k)[:, 2], m / E**3, rtol=1e-12)
    new = user.replace(m=-0.3)
    assert new.parameters["m"] == -0.3 and user.parameters["m"] == 0.5  # original unchanged
    assert new.name == "dirac" and new.eps_fn is user.eps_fn


def test_minimal_coupling_eps_at_kinetic_momentum_plus_two_phi():
    a_fn = lambda r, t: jnp.stack([-0.4 * r[1] + 0.1 * t, 0.3 * r[0] * r[1]])  # noqa: E731
    phi_fn = lambda r, t: 0.2 * r[0] - 0.1 * jnp.sin(r[1] * t)  # noqa: E731
    a_np = lambda r, t: np.array([-0.4 * r[1] + 0.1 * t, 0.3 * r[0] * r[1]])  # noqa: E731
    phi_np = lambda r, t: 0.2 * r[0] - 0.1 * math.sin(r[1] * t)  # noqa: E731
    base = TexturedFerromagnet2D(exchange=0.9, rashba=0.35, mass=1.4, texture=SKY)
    coupled = MinimalCoupling(base, GaugePotential(2, a_fn, phi_fn))
    assert coupled.dim == 2 and coupled.depends_on_r
    r, p, t = _points(2)
    hs = []
    for i in range(NPTS):
        k = p[i] - a_np(r[i], t[i])
        n = skyrmion_n(r[i, 0], r[i, 1], 1.5, 2.5, (0.3, -0.2), 0.7)
        ref = ferro_h(r[i], k, 0.9, 0.35, 1.4, n) + phi_np(r[i], t[i]) * I2  # eps -> eps(p - a) + 2 phi
        H = coupled.hamiltonian(r[i], p[i], t[i])
        np.testing.assert_allclose(H, ref, rtol=0, atol=ATOL_H)
        np.testing.assert_allclose(np.trace(H).real, (k @ k) / 1.4 + 2 * phi_np(r[i], t[i]), atol=ATOL_H)
        hs.append(H)
    E = berrykin.band_energies(coupled, r, p, t)
    np.testing.assert_allclose(E, np.linalg.eigvalsh(np.array(hs))[:, ::-1], rtol=0, atol=1e-12)


# -- user models: what the one trace at construction finds (issue 12, item 5) -------------------
def _dirac_gap(r, p, t, P):
    return 2 * jnp.stack([p[0], p[1], P["m"] + 0 * p[0]])


def test_user_model_detects_that_it_does_not_depend_on_r():
    """No depends_on_r given: p-only functions are detected, so r may be omitted, and B_k is
    the massive Dirac closed form m/E^3 (Sec. III A)."""
    user = TwoBandModel(2, lambda r, p, t, P: 0.0, _dirac_gap, params={"m": 0.5})
    assert user.depends_on_r is False and user.replace(m=-0.2).depends_on_r is False
    k = RNG.uniform(-2, 2, size=(NPTS, 2))
    E = np.sqrt((k**2).sum(-1) + 0.25)
    np.testing.assert_allclose(berrykin.momentum_berry_field(user, p=k)[:, 2], 0.5 / E**3, rtol=1e-12)


@pytest.mark.parametrize("where", ["eps", "gap"])
def test_user_model_detects_r_dependence(where):
    eps = (lambda r, p, t, P: 0.1 * r[1]) if where == "eps" else (lambda r, p, t, P: 0.0)
    gap = (lambda r, p, t, P: _dirac_gap(r, p, t, P) + jnp.stack([r[0], 0.0, 0.0])) if where == "gap" else _dirac_gap
    user = TwoBandModel(2, eps, gap, params={"m": 0.5})
    assert user.depends_on_r is True
    with pytest.raises(ParameterError, match="depends on r"):
        berrykin.band_energies(user, p=[0.1, 0.2])
    # an explicit choice is kept (e.g. to pass r anyway)
    assert TwoBandModel(2, lambda r, p, t, P: 0.0, _dirac_gap, {"m": 0.5}, depends_on_r=True).depends_on_r


@pytest.mark.parametrize("n", [1, 2, 4])
def test_user_gap_with_the_wrong_number_of_components_is_rejected(n):
    """A 2- or 4-component gap gave F = 0 silently; now a ShapeError names the shape."""
    from berrykin.errors import ShapeError

    gap = lambda r, p, t, P: jnp.stack([p[0], p[1], 1.0 + 0 * p[0], p[0]][:n])  # noqa: E731
    with pytest.raises(ShapeError) as info:
        TwoBandModel(2, lambda r, p, t, P: 0.0, gap)
    assert info.value.shape == (n,) and "(3,)" in str(info.value)
    with pytest.raises(ShapeError, match=r"shape \(2,\)"):
        TwoBandModel(2, lambda r, p, t, P: jnp.stack([p[0], p[1]]), _dummy_gap)  # eps not scalar


@pytest.mark.parametrize("gap", [
    lambda r, p, t, P: np.array([np.sin(p[0]), p[1], 1.0]),      # NumPy on a tracer
    lambda r, p, t, P: jnp.stack([float(p[0]), p[1], 1.0]),      # float()
    lambda r, p, t, P: jnp.stack([math.sin(p[0]), p[1], 1.0]),   # math.*
    lambda r, p, t, P: _dummy_gap(r, p, t, P) if p[0] > 0 else -_dummy_gap(r, p, t, P),  # Python if
], ids=["numpy", "float", "math", "if"])
def test_user_gap_not_written_with_jax_numpy_says_so(gap):
    with pytest.raises(ParameterError) as info:
        TwoBandModel(2, lambda r, p, t, P: 0.0, gap)
    assert info.value.field == "gap" and "jax.numpy" in str(info.value)
    assert "\n" not in str(info.value)


def test_user_model_asking_for_an_unknown_parameter():
    with pytest.raises(ParameterError, match="asked for 'mass'") as info:
        TwoBandModel(2, lambda r, p, t, P: 0.0, lambda r, p, t, P: jnp.stack([p[0], p[1], P["mass"]]),
                     params={"m": 1.0})
    assert info.value.field == "gap"
