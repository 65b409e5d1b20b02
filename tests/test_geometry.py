"""Geometry of the phase-space texture against independent references.

Every assertion compares berrykin with something it does not compute itself: a closed form
from the paper or ERRATA.md, an identity (Bianchi, Eqs. E1-E3, 25, 27), or an independent
numerical calculation written here (``numpy.linalg.eigh`` eigenvectors, finite differences,
small-loop Berry phases). Tolerances are stated next to each assertion.

JAX compilation dominates the run time, so models and point-array shapes are shared and the
pointwise derivative checks run eagerly (no jit) under ``jax.enable_x64(True)``.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import berrykin
from berrykin.errors import ParameterError
from berrykin.geometry import pointwise as pw
from berrykin.geometry.kinetic_frame import (
    em_fields,
    kinetic_frame_velocity,
    to_kinetic_frame,
    vector_potential,
)
from berrykin.models import (
    DomainWall,
    GaugePotential,
    MassiveDirac2D,
    MinimalCoupling,
    Skyrmion,
    TexturedFerromagnet2D,
    TwoBandModel,
    UniformElectricField,
    UniformMagneticField,
    Weyl3D,
)

SIGMA = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)
BANDS = (1, -1)
N = 16  # points per vectorised call (one compiled shape)


def rng(seed):
    return np.random.default_rng(seed)


# -- shared models ---------------------------------------------------------------------------
M_DIRAC = 0.7
DIRAC = MassiveDirac2D(m=M_DIRAC)
SKYRMION = TexturedFerromagnet2D(exchange=1.0, rashba=0.4, mass=1.3,
                                 texture=Skyrmion(radius=1.6, width=2.0, helicity=0.4))
WALL = TexturedFerromagnet2D(exchange=1.0, rashba=0.4, mass=0.8, texture=DomainWall(width=1.3, angle=0.6))


def _driven_eps(r, p, t, P):
    return (p[0] ** 2 + p[1] ** 2) / P["mass"] + P["V"] * jnp.cos(r[0] - 0.5 * r[1]) * jnp.cos(P["w"] * t)


def _driven_gap(r, p, t, P):
    # A helix along x drifting in time, confined in y, plus Rashba and a p- and t-dependent z field.
    ph = P["q"] * r[0] - P["w"] * t
    s, c = 1.0 / jnp.cosh(r[1] / P["L"]), jnp.tanh(r[1] / P["L"])
    n = jnp.stack([s * jnp.cos(ph), s * jnp.sin(ph), c])
    so = jnp.stack([p[1], -p[0], P["beta"] * p[0] * p[1] + P["h"] * jnp.sin(P["w"] * t + r[1])])
    return 2.0 * (n + P["lam"] * so)


#: A 2D model whose texture depends on r, p and t together, and eps on r, p, t.
DRIVEN = TwoBandModel(2, _driven_eps, _driven_gap,
                      params=dict(mass=1.2, V=0.3, w=0.8, q=0.9, L=1.5, lam=0.35, beta=0.5, h=0.3),
                      name="driven")


def _gap3(r, p, t, P):
    return jnp.stack([p[0] + 0.5 * jnp.sin(r[1] + P["w"] * t),
                      p[1] + 0.3 * r[2] * jnp.cos(p[0]) + 0.3 * jnp.sin(r[0] - p[2]),
                      P["m"] + p[2] * jnp.cos(0.5 * r[0]) + 0.2 * p[0] * p[1] + 0.2 * jnp.sin(t)])


#: A 3D model with r, p and t dependence (index conventions in 3D).
DRIVEN3 = TwoBandModel(3, lambda r, p, t, P: 0.5 * (p @ p) + 0.1 * r[0] * t, _gap3,
                       params=dict(m=1.1, w=0.6), name="driven3")


def phase_space_points(model, n, seed, p_scale=0.8, r_scale=3.0):
    g = rng(seed)
    d = model.dim
    return np.concatenate([g.uniform(-r_scale, r_scale, (n, d)), g.uniform(-p_scale, p_scale, (n, d)),
                           g.uniform(-2.0, 2.0, (n, 1))], axis=1)


def split(model, X):
    d = model.dim
    return X[..., :d], X[..., d : 2 * d], X[..., 2 * d]


def symplectic(d):
    """J with J^{r_l p_l} = +1 (paper Eq. 10), built here independently."""
    eye, zero = np.eye(d), np.zeros((d, d))
    return np.block([[zero, eye], [-eye, zero]])


def hamiltonians(model, X):
    """eps/2 + Delta.sigma/2 at the points X (n, 2d+1), float64, built here in NumPy."""
    d = model.dim
    with jax.enable_x64(True), jax.disable_jit():
        Xj = jnp.asarray(X, dtype=jnp.float64)
        e = np.asarray(jax.vmap(lambda x: model.eps(x[:d], x[d : 2 * d], x[2 * d]))(Xj))
        D = np.asarray(jax.vmap(lambda x: model.gap(x[:d], x[d : 2 * d], x[2 * d]))(Xj))
    return 0.5 * e[:, None, None] * np.eye(2) + 0.5 * np.einsum("na,aij->nij", D, SIGMA)


def eigvecs(model, X):
    """Eigenvectors from numpy.linalg.eigh: (n, 2 bands (s=+1, s=-1), 2 components)."""
    _, U = np.linalg.eigh(hamiltonians(model, X))
    return np.stack([U[:, :, 1], U[:, :, 0]], axis=1)


# -- Sec. III A: massive Dirac -----------------------------------------------------------------
def test_dirac_berry_field_and_magnetic_moment():
    k = rng(1).uniform(-2, 2, (N, 2))
    E = np.sqrt((k**2).sum(-1) + M_DIRAC**2)
    zero = np.zeros_like(E)
    # B_k = m/E^3 z, M_k = m/(2E^2) z (Sec. III A, Eq. 35); float64 closed forms, rtol 1e-12.
    np.testing.assert_allclose(berrykin.momentum_berry_field(DIRAC, p=k),
                               np.stack([zero, zero, M_DIRAC / E**3], -1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(berrykin.magnetic_moment(DIRAC, p=k),
                               np.stack([zero, zero, M_DIRAC / (2 * E**2)], -1), rtol=1e-12, atol=1e-15)


B_UNIFORM = 0.3
DIRAC_B = MinimalCoupling(DIRAC, UniformMagneticField(b=B_UNIFORM))


def test_dirac_uniform_field_curvature_is_b_dot_Bk():
    X = phase_space_points(DIRAC_B, N, 2, p_scale=2.0)
    r, p, t = split(DIRAC_B, X)
    k = p - 0.5 * B_UNIFORM * np.stack([-r[:, 1], r[:, 0]], -1)  # symmetric gauge a = b(-y, x)/2
    E = np.sqrt((k**2).sum(-1) + M_DIRAC**2)
    # F = b . B_k (Eq. F3) at random r, with k = p - a(r): rtol 1e-12.
    np.testing.assert_allclose(berrykin.curvature_scalar(DIRAC_B, r, p, t), B_UNIFORM * M_DIRAC / E**3,
                               rtol=1e-12)
    # and delta eps = -M_k . b = -b m/(2E^2) (Eq. 35).
    np.testing.assert_allclose(berrykin.energy_shift(DIRAC_B, r, p, t), -B_UNIFORM * M_DIRAC / (2 * E**2),
                               rtol=1e-12)


@pytest.mark.parametrize("band", BANDS)
def test_dirac_uniform_field_group_velocity_correction(band):
    """Eq. (42) with ERRATA 2: rdot_s = (s + b m/(2E^3)) k/E and kdot_s = b rdot_s x z, exactly."""
    X = phase_space_points(DIRAC_B, N, 3, p_scale=2.0)
    r, k, t = split(DIRAC_B, X)
    E = np.sqrt((k**2).sum(-1) + M_DIRAC**2)[:, None]
    rdot, kdot = kinetic_frame_velocity(DIRAC_B, r, k, t, band)
    assert rdot.shape == kdot.shape == (N, 2)
    # correction to the group velocity s k/E: b m k/(2E^4); scale |rdot| ~ 1, atol 1e-13.
    np.testing.assert_allclose(rdot - band * k / E, B_UNIFORM * M_DIRAC * k / (2 * E**4), rtol=0, atol=1e-13)
    np.testing.assert_allclose(kdot, B_UNIFORM * np.stack([rdot[:, 1], -rdot[:, 0]], -1), rtol=0, atol=1e-13)


# -- Sec. III C: Weyl ----------------------------------------------------------------------------
@pytest.mark.parametrize("chirality", [1, -1])
def test_weyl_monopole(chirality):
    k = rng(4).uniform(-2, 2, (N, 3))
    kn = np.linalg.norm(k, axis=-1, keepdims=True)
    # B_k = chirality k/k^3 (Sec. III C, Weyl3D docstring): rtol 1e-12.
    np.testing.assert_allclose(berrykin.momentum_berry_field(Weyl3D(chirality), p=k), chirality * k / kn**3,
                               rtol=1e-12, atol=1e-14)


# -- Sec. III B: time-dependent mass ----------------------------------------------------------------
M_DOT = 0.05
DIRAC_T = MassiveDirac2D(m=M_DIRAC, m_dot=M_DOT)


def _z_cross(k):
    return np.stack([-k[..., 1], k[..., 0]], -1)


def test_time_dependent_mass_fictitious_electric_field():
    g = rng(5)
    k = g.uniform(-2, 2, (N, 2))
    t = g.uniform(-2, 2, N)
    mt = M_DIRAC + M_DOT * t
    E = np.sqrt((k**2).sum(-1) + mt**2)[:, None]
    # calE_k,i = F_{k_i t} = (mdot/E^3) z x k (Sec. III B; sign derived by hand from
    # F = m.(d_k m x d_t m) at k = (k, 0): F_{k_y t} = +k mdot/E^3): rtol 1e-12.
    calE = berrykin.momentum_electric_field(DIRAC_T, p=k, t=t)
    np.testing.assert_allclose(calE, M_DOT * _z_cross(k) / E**3, rtol=1e-12, atol=1e-15)
    # ERRATA 8: delta rdot_s = q_s F_{tk} = -q_s calE_k = (s/2)(mdot/E^3) z x k, and pdot = 0.
    for band in BANDS:
        v = berrykin.phase_space_velocity(DIRAC_T, p=k, t=t, band=band)
        np.testing.assert_allclose(v[:, :2] - band * k / E, 0.5 * band * M_DOT * _z_cross(k) / E**3,
                                   rtol=0, atol=1e-14)
        np.testing.assert_allclose(v[:, 2:], 0.0, rtol=0, atol=1e-15)


def test_time_dependent_mass_faraday_law_and_peak():
    g = rng(6)
    X = np.concatenate([np.zeros((4, 2)), g.uniform(-2, 2, (4, 2)), g.uniform(-2, 2, (4, 1))], 1)
    with jax.enable_x64(True), jax.disable_jit():
        dF = np.asarray(jax.vmap(jax.jacfwd(lambda x: pw.berry_tensor(DIRAC_T, x)))(jnp.asarray(X)))
    # indices: 2 = k_x, 3 = k_y, 4 = t; dF[n, I, J, K] = d_K F_IJ (exact autodiff).
    dtB = dF[:, 2, 3, 4]
    curlE = dF[:, 3, 4, 2] - dF[:, 2, 4, 3]  # d_kx calE_y - d_ky calE_x
    k2 = (X[:, 2:4] ** 2).sum(-1)
    mt = M_DIRAC + M_DOT * X[:, 4]
    E = np.sqrt(k2 + mt**2)
    # d_t B = mdot (k^2 - 2m^2)/E^5 (Sec. III B): rtol 1e-12.
    np.testing.assert_allclose(dtB, M_DOT * (k2 - 2 * mt**2) / E**5, rtol=1e-12)
    # Faraday's law d_t B_k + curl_k calE_k = 0 (Eq. E4): round-off, |terms| ~ 0.1 -> atol 1e-15.
    np.testing.assert_allclose(dtB + curlE, 0.0, atol=1e-15)

    # |calE_k| peaks at k = m/sqrt(2): maximise numerically along a direction (zooming grid).
    u = np.array([np.cos(0.7), np.sin(0.7)])
    lo, hi = 0.0, 3 * M_DIRAC
    for _ in range(24):  # the bracket shrinks by 15/4 per pass
        kk = np.linspace(lo, hi, N)
        mag = np.linalg.norm(berrykin.momentum_electric_field(DIRAC_T, p=kk[:, None] * u), axis=-1)
        i = int(np.argmax(mag))
        step = kk[1] - kk[0]
        lo, hi = max(kk[i] - 2 * step, 0.0), kk[i] + 2 * step
    # flat maximum: location resolvable to ~sqrt(machine eps); rtol 1e-6.
    np.testing.assert_allclose(kk[i], M_DIRAC / np.sqrt(2), rtol=1e-6)


# -- App. E identities, Eqs. (25), (27) and (H1) on textured models ----------------------------
TEXTURED = {"skyrmion": SKYRMION, "domain_wall": WALL, "driven": DRIVEN}


def _derivatives(model, X):
    """Exact (autodiff, float64) d_K F_IJ, d_K F, d eps_s and d_K xdot_s^i at the points X."""
    d = model.dim
    with jax.enable_x64(True), jax.disable_jit():  # eager: far cheaper than compiling 3rd derivatives
        Xj = jnp.asarray(X)
        dF = jax.vmap(jax.jacfwd(lambda x: pw.berry_tensor(model, x)))(Xj)
        deps = jax.vmap(jax.jacfwd(lambda x: pw.band_energies(model, x, False)))(Xj)
        dv = {s: jax.vmap(jax.jacfwd(lambda x, s=s: pw.velocity(model, x, s)))(Xj) for s in BANDS}
    idx = np.arange(d)
    dFs = np.asarray(dF)[:, idx, d + idx, :].sum(1)  # d_K F with F = sum_l F_{r_l p_l}
    return np.asarray(dF), dFs, np.asarray(deps), {s: np.asarray(v) for s, v in dv.items()}


@pytest.fixture(scope="module")
def textured_derivatives():
    return {name: (model, X, _derivatives(model, X))
            for name, model in TEXTURED.items()
            for X in [phase_space_points(model, 4, 7)]}


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
@pytest.mark.parametrize("name", list(TEXTURED))
def test_bianchi_and_contracted_identity(name, textured_derivatives):
    model, X, (dF, dFs, _, _) = textured_derivatives[name]
    d = model.dim
    n = 2 * d + 1
    scale = max(1.0, np.abs(dF).max())
    # (E1) d_I F_JK + d_J F_KI + d_K F_IJ = 0 for all triples: atol 1e-10 * max|dF|.
    worst = 0.0
    for I, J, K in itertools.combinations(range(n), 3):
        cyc = dF[:, J, K, I] + dF[:, K, I, J] + dF[:, I, J, K]
        worst = max(worst, np.abs(cyc).max())
    assert worst <= 1e-10 * scale, worst
    # (E2) d_i F^i_K + d_K F = 0 with F^i_K = J^{ij} F_{jK}, for every K incl. t: same tolerance.
    Jm = symplectic(d)
    # lhs[n, K] = sum_ij J^{ij} d_i F_{jK}
    lhs = np.einsum("ij,njKi->nK", Jm, dF[:, : 2 * d, :, : 2 * d])
    assert np.abs(lhs + dFs).max() <= 1e-10 * scale
    # the curvature varies here (the identities are not vacuous)
    assert np.abs(dF).max() > 1e-2 and np.abs(dFs).max() > 1e-3


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
@pytest.mark.parametrize("name", list(TEXTURED))
def test_phase_space_divergence_is_advective_derivative_of_F(name, textured_derivatives):
    """Eqs. (25), (27): d_i xdot_s^i = q_s (d_t + d^i eps_s d_i) F, d^i = J^{ij} d_j, exactly."""
    model, X, (_, dFs, deps, dv) = textured_derivatives[name]
    d = model.dim
    Jm = symplectic(d)
    for band, b_idx in zip(BANDS, (0, 1)):
        div = np.einsum("nii->n", dv[band][:, :, : 2 * d])  # sum_i d_i xdot^i over phase space
        raised = np.einsum("ij,nj->ni", Jm, deps[:, b_idx, : 2 * d])  # d^i eps_s
        rhs = -0.5 * band * (dFs[:, 2 * d] + np.einsum("ni,ni->n", raised, dFs[:, : 2 * d]))
        # 1e-10 relative to the size of the terms
        assert np.abs(div - rhs).max() <= 1e-10 * max(1.0, np.abs(rhs).max()), (band, div, rhs)
        assert np.abs(rhs).max() > 1e-3  # non-trivial
    if name == "driven":
        assert np.abs(dFs[:, 2 * d]).max() > 1e-3  # d_t F != 0: the time dependence is exercised


def _wave_packet_shift(model, X, h=1e-4):
    """delta eps_s = sum_i Im <d_{r_i} u_s|(H - eps_s)|d_{p_i} u_s> (Eq. H1), from eigh.

    Central differences (step h) of eigenvectors whose phase is fixed by making the
    component that is largest at X real and positive. Returns (n, 2 bands).
    """
    d = model.dim
    n = X.shape[0]
    H0 = hamiltonians(model, X)
    w0, U0 = np.linalg.eigh(H0)
    w0 = w0[:, ::-1]  # (s = +1, s = -1)
    U0 = np.stack([U0[:, :, 1], U0[:, :, 0]], axis=1)
    comp = np.argmax(np.abs(U0), axis=-1)  # (n, band)

    def fixed(Y):
        U = eigvecs(model, Y)
        ph = np.take_along_axis(U, comp[:, :, None], axis=-1)
        return U * np.exp(-1j * np.angle(ph))

    def du(i):
        e = np.zeros(2 * d + 1)
        e[i] = h
        return (fixed(X + e) - fixed(X - e)) / (2 * h)

    out = np.zeros((n, 2))
    for i in range(d):
        dr, dp = du(i), du(d + i)
        for b in range(2):
            A = H0 - w0[:, b, None, None] * np.eye(2)
            out[:, b] += np.einsum("ni,nij,nj->n", dr[:, b].conj(), A, dp[:, b]).imag
    return out


@pytest.mark.parametrize("name", list(TEXTURED))
def test_energy_shift_equals_wave_packet_formula(name):
    model = TEXTURED[name]
    X = phase_space_points(model, N, 8)
    r, p, t = split(model, X)
    shift = berrykin.energy_shift(model, r, p, t)
    ref = _wave_packet_shift(model, X)
    # delta eps = -|Delta| F/4 (Eq. 23, ERRATA 5) for both bands; finite-difference error
    # O(h^2) ~ 1e-8 of the scale -> atol 1e-7 * max|delta eps|.
    scale = np.abs(ref).max()
    assert scale > 1e-2
    for b in range(2):
        np.testing.assert_allclose(shift, ref[:, b], rtol=0, atol=1e-7 * scale)


# -- band Berry curvature from small plaquettes of eigh eigenvectors ------------------------------
@pytest.mark.parametrize("model", [DRIVEN, DRIVEN3], ids=["2D", "3D"])
def test_plaquette_berry_curvature_is_q_s_F(model):
    """Omega_IJ = -arg(<u1|u2><u2|u3><u3|u4><u4|u1>)/h^2 on a centred square = q_s F_IJ."""
    d = model.dim
    n = 2 * d + 1
    X = phase_space_points(model, 3, 9)
    h = 5e-4
    pairs = list(itertools.combinations(range(n), 2))
    corners = []
    for I, J in pairs:
        for sI, sJ in ((-1, -1), (1, -1), (1, 1), (-1, 1)):  # 1=(I,J), 2=(I+h,J), 3, 4: counterclockwise
            e = np.zeros(n)
            e[I], e[J] = sI * h / 2, sJ * h / 2
            corners.append(X + e)
    U = eigvecs(model, np.concatenate(corners)).reshape(len(pairs), 4, X.shape[0], 2, 2)
    loop = np.ones((len(pairs), X.shape[0], 2), dtype=complex)
    for c in range(4):
        loop *= np.einsum("pnbi,pnbi->pnb", U[:, c].conj(), U[:, (c + 1) % 4])
    omega = -np.angle(loop) / h**2  # (pair, point, band)
    r, p, t = split(model, X)
    F = berrykin.berry_curvature(model, r, p, t)
    assert np.abs(np.linalg.norm(berrykin.gap_vector(model, r, p, t), axis=-1)).min() > 0.2
    for b, band in enumerate(BANDS):
        ref = np.stack([-0.5 * band * F[:, I, J] for I, J in pairs])
        # O(h^2) error of the centred plaquette: 1e-6 relative to max |F| at the point.
        scale = np.abs(F).reshape(X.shape[0], -1).max(-1)
        np.testing.assert_array_less(np.abs(omega[:, :, b] - ref), np.broadcast_to(1e-6 * scale, ref.shape))
    assert all(np.abs(F[:, I, J]).max() > 1e-3 for I, J in pairs)  # every component exercised


# -- electromagnetic fields and the kinetic-momentum frame ------------------------------------
def _a2(r, t):
    x, y = r[0], r[1]
    return jnp.stack([-0.3 * y + 0.1 * jnp.sin(x) * t, 0.4 * x + 0.05 * x * y**2 + 0.2 * jnp.cos(t) * y])


def _phi2(r, t):
    return 0.1 * r[0] * r[1] + 0.2 * jnp.sin(t + r[1])


def _a3(r, t):
    x, y, z = r[0], r[1], r[2]
    return jnp.stack([-0.3 * y + 0.1 * jnp.sin(z) * t, 0.4 * x + 0.05 * x * y**2, 0.2 * jnp.cos(t) * y + 0.1 * x * z])


def _phi3(r, t):
    return 0.1 * r[0] * r[1] * r[2] + 0.2 * jnp.sin(t + r[1])


FIELD2 = GaugePotential(2, _a2, _phi2)
FIELD3 = GaugePotential(3, _a3, _phi3)


def _fields2_closed_form(r, t):
    x, y = r[..., 0], r[..., 1]
    e = np.stack([-0.1 * y - 0.1 * np.sin(x), -0.1 * x - 0.2 * np.cos(t + y) + 0.2 * np.sin(t) * y], -1)
    bz = (0.4 + 0.05 * y**2) - (-0.3)
    return e, np.stack([0 * bz, 0 * bz, bz], -1)


def _fields3_closed_form(r, t):
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    e = -np.stack([0.1 * y * z + 0.1 * np.sin(z), 0.1 * x * z + 0.2 * np.cos(t + y),
                   0.1 * x * y - 0.2 * np.sin(t) * y], -1)
    b = np.stack([0.2 * np.cos(t), 0.1 * np.cos(z) * t - 0.1 * z, 0.4 + 0.05 * y**2 + 0.3], -1)
    return e, b


def test_em_fields_closed_forms():
    g = rng(10)
    # non-uniform user potentials, 2D and 3D: e = -grad phi - d_t a, b = curl a; atol 1e-14.
    for field, ref, d in ((FIELD2, _fields2_closed_form, 2), (FIELD3, _fields3_closed_form, 3)):
        r = g.uniform(-2, 2, (N, d))
        t = g.uniform(-2, 2, N)
        e, b = em_fields(field, r, t)
        e_ref, b_ref = ref(r, t)
        assert e.shape == (N, d) and b.shape == (N, 3)
        np.testing.assert_allclose(e, e_ref, rtol=0, atol=1e-14)
        np.testing.assert_allclose(b, b_ref, rtol=0, atol=1e-14)
    # uniform b in 3D with a time profile: b(t) = b profile(t), e = -d_t a = -profile'(t) b x r/2.
    bvec = np.array([0.2, -0.1, 0.4])
    field = UniformMagneticField(b=tuple(bvec), profile=lambda t: jnp.tanh(t))
    r = g.uniform(-2, 2, (N, 3))
    t = g.uniform(-2, 2, N)
    e, b = em_fields(field, r, t)
    np.testing.assert_allclose(b, np.tanh(t)[:, None] * bvec, rtol=0, atol=1e-14)
    np.testing.assert_allclose(e, -(1 - np.tanh(t) ** 2)[:, None] * np.cross(bvec, r) / 2, rtol=0, atol=1e-14)
    # uniform e in both gauges; 2D b has only a z component (zero here).
    for vg in (False, True):
        e, b = em_fields(UniformElectricField(e=(0.3, -0.2), vector_gauge=vg), r[:, :2], t)
        np.testing.assert_allclose(e, np.broadcast_to([0.3, -0.2], (N, 2)), rtol=0, atol=1e-15)
        np.testing.assert_array_equal(b, 0.0)
    a, phi = vector_potential(UniformMagneticField(b=B_UNIFORM), r[:, :2], 0.0)
    np.testing.assert_allclose(a, 0.5 * B_UNIFORM * np.stack([-r[:, 1], r[:, 0]], -1), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(phi, 0.0)


FRAME_CASES = {"dirac2d": MinimalCoupling(DIRAC, FIELD2), "weyl3d": MinimalCoupling(Weyl3D(-1), FIELD3)}


# One band per dimension (each band of the canonical route costs a compilation of Eq. 24;
# both bands of each function are checked against closed forms above).
@pytest.mark.parametrize("name, band", [("dirac2d", -1), ("weyl3d", 1)])
def test_canonical_and_kinetic_frames_agree(name, band):
    """kinetic_frame_velocity (Eqs. 37-38) == to_kinetic_frame (Eq. 24 + ERRATA 15), 1e-10."""
    coupled = FRAME_CASES[name]
    d = coupled.dim
    g = rng(11)
    # broadcasting: r (4, 1, d), k (1, 4, d), t (4, 1) -> leading shape (4, 4) = N points
    r = g.uniform(-2, 2, (4, 1, d))
    k = g.uniform(-1.5, 1.5, (1, 4, d))
    t = g.uniform(-2, 2, (4, 1))
    a, _ = vector_potential(coupled.field, r, t)
    p = k + a
    rk, kk = kinetic_frame_velocity(coupled, r, k, t, band)
    rc, kc = to_kinetic_frame(coupled, r, p, t, band)
    assert rk.shape == kk.shape == rc.shape == kc.shape == (4, 4, d)
    scale = max(np.abs(rk).max(), np.abs(kk).max())
    assert np.abs(rk - rc).max() <= 1e-10 * scale
    assert np.abs(kk - kc).max() <= 1e-10 * scale
    # the O(hbar) terms matter here: rdot differs from the group velocity s k/|k| or s k/E
    # (Dirac, v = 1) by >> 1e-10, so the agreement is not just that of the plain Lorentz motion
    mass2 = coupled.model.m**2 if d == 2 else 0.0
    v_plain = band * k / np.sqrt((k**2).sum(-1, keepdims=True) + mass2)
    assert np.abs(rc - v_plain).max() > 1e-2 * scale
    # F = b(r) . B_k (Eq. F3) for the non-uniform field: rtol 1e-12 of max |F|.
    _, b = em_fields(coupled.field, r, t)
    Bk = berrykin.momentum_berry_field(coupled.model, p=np.broadcast_to(k, (4, 4, d)))
    F = berrykin.curvature_scalar(coupled, r, p, t)
    np.testing.assert_allclose(F, (b * Bk).sum(-1), rtol=0, atol=1e-12 * np.abs(F).max())


def test_kinetic_frame_rejects_textures_depending_on_r_or_t():
    X = phase_space_points(DIRAC_B, N, 12)
    r, k, t = split(DIRAC_B, X)
    for model in (SKYRMION, DIRAC_T):  # m depends on r, or on t
        with pytest.raises(ParameterError, match="depends on k only"):
            kinetic_frame_velocity(MinimalCoupling(model, UniformMagneticField(b=0.2)), r, k, t, 1)
    with pytest.raises(ParameterError, match="band"):
        kinetic_frame_velocity(DIRAC_B, r, k, t, 0)
    with pytest.raises(ParameterError, match="MinimalCoupling"):
        to_kinetic_frame(DIRAC, r, k, t, 1)
