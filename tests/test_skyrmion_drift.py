"""Electrons crossing a skyrmion: Berry-curvature switches of Eq. 24 and the topological Hall
drift, semiclassical (sEOM ensembles) against exact lattice evolution (issue 4)."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from berrykin.dynamics.result import TrajectoryOptions
from berrykin.dynamics.trajectories import compiled_rhs
from berrykin.errors import ParameterError
from berrykin.experiments.skyrmion import (
    default_variants,
    exact_skyrmion_drift,
    skyrmion_drift,
    wigner_quadrature,
)
from berrykin.geometry.api import band_energies, berry_curvature, phase_space_velocity
from berrykin.geometry.pointwise import CurvatureTerms
from berrykin.models import LatticeTexturedFerromagnet2D, Skyrmion, TwoBandModel
from berrykin.quantum.skyrmion import GaussianPacket, evolve_packet, packet_state

# --- a time-dependent textured model: moving skyrmion + Rashba + a potential -----------------
_TEX = Skyrmion(radius=1.5, width=2.0, helicity=0.4)


def _moving_gap(r, p, t, P):
    n = _TEX(r - jnp.stack([P["vx"] * t, P["vy"] * t]))
    return 2.0 * (P["J"] * n + P["lam"] * jnp.stack([p[1], -p[0], 0.3 * p[0] * p[1]]))


def _moving_eps(r, p, t, P):
    return (p[0] ** 2 + p[1] ** 2) / P["m"] + 0.4 * jnp.sin(0.7 * r[0]) * jnp.cos(0.5 * r[1] - 0.2 * t)


MOVING = TwoBandModel(2, _moving_eps, _moving_gap, {"J": 1.0, "lam": 0.4, "m": 1.3, "vx": 0.3, "vy": -0.2},
                      name="moving skyrmion")
RNG = np.random.default_rng(7)
R_PTS = RNG.uniform(-2.0, 2.0, (5, 2))
P_PTS = RNG.uniform(-1.0, 1.0, (5, 2))
T_PTS = RNG.uniform(0.0, 3.0, 5)


def _fd_grad(fn, X, h=1e-5):
    """Central differences of fn over the 4 phase-space coordinates of X (N, 5) -> (N, 4)."""
    out = []
    for i in range(4):
        e = np.zeros(5)
        e[i] = h
        out.append((fn(X + e) - fn(X - e)) / (2 * h))
    return np.stack(out, axis=-1)


def _reference_velocity(model, band, terms):
    """Eq. 24 written out component by component (NumPy), blocks of F zeroed by hand."""
    q = -0.5 * band
    idx = 0 if band == 1 else 1
    X = np.concatenate([R_PTS, P_PTS, T_PTS[:, None]], axis=1)

    def eps(corrected):
        return lambda Y: band_energies(model, Y[:, :2], Y[:, 2:4], Y[:, 4], corrected=corrected)[:, idx]

    ge, gbar = _fd_grad(eps(False), X), _fd_grad(eps(True), X)
    F = berry_curvature(model, R_PTS, P_PTS, T_PTS).copy()
    r_, p_, t_ = [0, 1], [2, 3], [4]
    for name, (A, B) in (("real", (r_, r_)), ("mixed", (r_, p_)), ("momentum", (p_, p_))):
        if not getattr(terms, name):
            F[:, np.ix_(A, B)[0], np.ix_(A, B)[1]] = 0.0
            F[:, np.ix_(B, A)[0], np.ix_(B, A)[1]] = 0.0
    if not terms.time:
        F[:, 4, :] = 0.0
        F[:, :, 4] = 0.0
    dr, dp = ge[:, :2], ge[:, 2:]
    rdot = np.empty((5, 2))
    pdot = np.empty((5, 2))
    for a in range(2):
        pa, ra = 2 + a, a
        rdot[:, a] = gbar[:, 2 + a] + q * (F[:, 4, pa] + sum(F[:, pa, 2 + l] * dr[:, l] - F[:, pa, l] * dp[:, l]
                                                           for l in range(2)))
        pdot[:, a] = -gbar[:, a] - q * (F[:, 4, ra] + sum(F[:, ra, 2 + l] * dr[:, l] - F[:, ra, l] * dp[:, l]
                                                          for l in range(2)))
    return np.concatenate([rdot, pdot], axis=1)


ONE_OFF = [CurvatureTerms()] + [CurvatureTerms.without(g) for g in CurvatureTerms.GROUPS] + [CurvatureTerms.none()]


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
def test_switches_match_componentwise_eq24():
    """Each block of F zeroed (and all, none) reproduces Eq. 24 assembled independently, for
    both bands, in a model where every block (F_rr, F_rp, F_pp, F_t) is non-zero."""
    F = berry_curvature(MOVING, R_PTS, P_PTS, T_PTS)
    for blk in ((slice(0, 2), slice(0, 2)), (slice(0, 2), slice(2, 4)), (slice(2, 4), slice(2, 4)),
                (slice(4, 5), slice(0, 4))):
        assert np.abs(F[:, blk[0], blk[1]]).max() > 1e-2
    for band in (+1, -1):
        for terms in ONE_OFF:
            v = phase_space_velocity(MOVING, R_PTS, P_PTS, T_PTS, band=band, curvature=terms)
            ref = _reference_velocity(MOVING, band, terms)
            np.testing.assert_allclose(v, ref, atol=2e-7, rtol=0, err_msg=f"{band} {terms}")


def test_switch_identities():
    """Eq. 24 is linear in F: for all 16 choices the velocity is the plain one plus the sum of
    the contributions of the blocks kept."""
    def vel(terms):
        return phase_space_velocity(MOVING, R_PTS, P_PTS, T_PTS, band=-1, curvature=terms)

    base = vel(CurvatureTerms.none())
    only = {g: vel(CurvatureTerms(**{h: h == g for h in CurvatureTerms.GROUPS})) - base
            for g in CurvatureTerms.GROUPS}
    for flags in itertools.product([True, False], repeat=4):
        expected = base + sum(w * only[g] for g, w in zip(CurvatureTerms.GROUPS, flags))
        np.testing.assert_allclose(vel(CurvatureTerms(*flags)), expected, atol=1e-12)
    assert all(np.abs(c).max() > 1e-3 for c in only.values())


@pytest.mark.slow
def test_switch_paths_agree():
    """The trajectory right-hand side (traced weights), the API with explicit blocks and the
    original velocity (curvature=None) agree."""
    full = phase_space_velocity(MOVING, R_PTS, P_PTS, 1.3, band=+1)
    np.testing.assert_allclose(phase_space_velocity(MOVING, R_PTS, P_PTS, 1.3, band=+1,
                                                    curvature=CurvatureTerms()), full, atol=1e-13)
    y = np.concatenate([R_PTS, P_PTS], axis=1).reshape(-1)
    with jax.enable_x64(True):
        f = compiled_rhs(MOVING)
        np.testing.assert_allclose(np.asarray(f(1.3, y, 1.0)).reshape(5, 4), full, atol=1e-13)
        for flags in itertools.product([True, False], repeat=4):
            terms = CurvatureTerms(*flags)
            api = phase_space_velocity(MOVING, R_PTS, P_PTS, 1.3, band=+1, curvature=terms)
            np.testing.assert_allclose(np.asarray(f(1.3, y, 1.0, terms)).reshape(5, 4), api, atol=1e-13)


def test_bad_input():
    with pytest.raises(ParameterError):
        CurvatureTerms(real=1)
    with pytest.raises(ParameterError):
        CurvatureTerms.without("spin")
    with pytest.raises(ParameterError):
        phase_space_velocity(MOVING, R_PTS, P_PTS, curvature={"real": False})
    with pytest.raises(ParameterError):
        TrajectoryOptions(curvature=(True, True, True, True))
    with pytest.raises(ParameterError):
        GaussianPacket((0.0, 0.0), (0.0, 0.0), 2.0)
    with pytest.raises(ParameterError):
        GaussianPacket((0.0, 0.0), (1.0, 0.0), -1.0)
    with pytest.raises(ParameterError):
        GaussianPacket((0.0, 0.0), (1.0, 0.0), 2.0, band=0)
    pk = GaussianPacket((10.0, 10.0), (1.0, 0.0), 2.0)
    with pytest.raises(ParameterError):
        skyrmion_drift(MOVING, pk, [0.0, 1.0], quadrature=0)
    with pytest.raises(ParameterError):
        skyrmion_drift(MOVING, pk, [1.0, 2.0])
    with pytest.raises(ParameterError):
        skyrmion_drift(MOVING, pk, [0.0, 1.0], curvature=[("a", 1)])
    with pytest.raises(ParameterError):
        evolve_packet(LatticeTexturedFerromagnet2D(), pk, [0.0, 1.0, 3.0], (20, 20))
    with pytest.raises(ParameterError):
        exact_skyrmion_drift(MOVING, pk, [0.0, 1.0])


# --- the wave packet: exact lattice dynamics vs semiclassics ------------------------------------

def _skyrmion_number(texture, center, half=40.0, n=401):
    """(1/4 pi) Int n.(d_x n x d_y n) d^2r by centred differences on a grid (independent of F)."""
    x = np.linspace(center[0] - half, center[0] + half, n)
    y = np.linspace(center[1] - half, center[1] + half, n)
    X, Y = np.meshgrid(x, y, indexing="ij")
    with jax.enable_x64(True):
        nn = np.asarray(jax.vmap(texture)(jnp.stack([X.ravel(), Y.ravel()], axis=-1))).reshape(n, n, 3)
    h = x[1] - x[0]
    dx = np.gradient(nn, h, axis=0)
    dy = np.gradient(nn, h, axis=1)
    return float(np.sum(np.einsum("ijk,ijk->ij", nn, np.cross(dx, dy))) * h * h / (4 * np.pi))


CENTER = (45.0, 45.0)
ADIABATIC = LatticeTexturedFerromagnet2D(exchange=1.0, rashba=0.0, mass=1.0, lattice_constant=1.0,
                                         texture=Skyrmion(radius=8.0, width=8.0, center=CENTER))
PACKET = GaussianPacket((17.0, 45.0), (1.0, 0.0), 4.0, band=-1)
TIMES = np.linspace(0.0, 75.0, 16)


@pytest.fixture(scope="module")
def adiabatic_runs():
    sc = skyrmion_drift(ADIABATIC, PACKET, TIMES, quadrature=3)
    ex = exact_skyrmion_drift(ADIABATIC, PACKET, TIMES, semiclassical=sc)
    return sc, ex


def test_exact_packet_is_sound(adiabatic_runs):
    """Unitarity, a packet that stays inside the lattice, adiabatic spin (anti-aligned with n for
    s = -1), and the initial state: band-projected, centred at r_0 with widths w."""
    _, ex = adiabatic_runs
    assert ex.norm_error < 1e-10
    assert ex.edge_weight < 1e-2
    assert ex.alignment.min() > 0.99
    np.testing.assert_allclose(ex.center[0], PACKET.position, atol=1e-3)   # tails cut by the edge
    np.testing.assert_allclose(ex.spread[0], [PACKET.width] * 2, rtol=2e-3)
    psi = packet_state(ADIABATIC, ex.shape, PACKET)
    assert abs(np.linalg.norm(psi) - 1) < 1e-12


def test_topological_hall_drift_agrees_with_exact(adiabatic_runs):
    """Adiabatic regime (2J = 2 >> v |grad n| ~ 0.2, k_0 R = 8): the sEOM ensemble reproduces the
    exact transverse drift within 10% once it is appreciable (> 1 cell); the ensemble spread too."""
    sc, ex = adiabatic_runs
    full = sc["all"]
    big = np.abs(ex.drift) > 1.0
    assert big.sum() >= 5 and abs(ex.drift[-1]) > 5.0
    np.testing.assert_allclose(full[big], ex.drift[big], rtol=0.10)
    assert abs(full[-1] / ex.drift[-1] - 1) < 0.05
    np.testing.assert_allclose(sc.advance[0], ex.advance, rtol=0.03, atol=0.3)
    np.testing.assert_allclose(sc.spread[0, -1], ex.spread[-1], rtol=0.15)


def test_curvature_table_is_physical(adiabatic_runs):
    """rashba = 0 and a static texture: only F_rr is non-zero. Without it the drift vanishes
    exactly (no topological Hall effect; the exact drift does not), F_rp, F_pp and F_t switched
    off change nothing, and the deflection has the sign of the Lorentz force of the emergent
    field b_s = q_s F_xy: opposite to sign(q_s Q) (k_0 along +x, drift measured along z x k_0)."""
    sc, ex = adiabatic_runs
    assert sc.variants == tuple(default_variants())
    table = sc.final()
    assert abs(table["no_real"]) < 1e-9 and abs(table["none"]) < 1e-9
    i = sc.variants.index("no_real")
    np.testing.assert_allclose(sc.momentum[i], np.broadcast_to(sc.momentum[i, 0], sc.momentum[i].shape), atol=1e-9)
    for v in ("no_mixed", "no_momentum", "no_time"):
        assert table[v] == pytest.approx(table["all"], abs=1e-9)
    Q = _skyrmion_number(ADIABATIC.texture, CENTER)
    assert abs(abs(Q) - 1) < 2e-3
    q_s = -PACKET.band / 2
    assert np.sign(table["all"]) == -np.sign(q_s * Q) == np.sign(ex.drift[-1])
    assert abs(ex.drift[-1]) > 5.0 and abs(table["no_real"] - ex.drift[-1]) > 0.9 * abs(ex.drift[-1])
    ds = sc.to_dataset()
    assert ds["drift"].dims == ("variant", "time") and ds["drift"].attrs["units"] == "length"
    assert "z x k0" in ex.to_dataset()["drift"].attrs["long_name"]


def test_wigner_quadrature_moments():
    """The Gauss-Hermite rule has the packet's Wigner moments: std w in r and 1/(2w) in k."""
    pk = GaussianPacket((3.0, -1.0), (0.5, 0.2), 2.5)
    r, k, w = wigner_quadrature(pk, 3)
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w @ r, pk.position, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(w @ (r - pk.position) ** 2), [2.5, 2.5], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(w @ (k - pk.momentum) ** 2), [0.2, 0.2], rtol=1e-12)


# --- slow: Rashba (all four blocks of a static texture) and the upper band ----------------------
# the set-up of ADIABATIC moved up by 15 cells (room for deflections to -y); rashba = 0
HIGH = LatticeTexturedFerromagnet2D(exchange=1.0, rashba=0.0, mass=1.0, lattice_constant=1.0,
                                    texture=Skyrmion(radius=8.0, width=8.0, center=(45.0, 60.0)))


@pytest.mark.slow
def test_rashba_table_and_exact():
    """rashba = 0.1 << J: F_rp and F_pp appear, and the spin-orbit field also deflects through
    eps_s(r, k) (no Berry curvature involved). The sEOM still agree with the exact drift within
    10%; dropping F_rr loses the topological part, whose size (all - no_real) is that of the
    rashba = 0 drift (10%); F_t = 0 for a static texture; F_pp ~ (lambda/J)^2 barely matters."""
    model = LatticeTexturedFerromagnet2D(exchange=1.0, rashba=0.1, mass=1.0, lattice_constant=1.0,
                                         texture=HIGH.texture)
    pk = GaussianPacket((17.0, 60.0), (1.0, 0.0), 4.0, band=-1)
    sc = skyrmion_drift(model, pk, TIMES, quadrature=3)
    ex = exact_skyrmion_drift(model, pk, TIMES, semiclassical=sc)
    table = sc.final()
    assert ex.edge_weight < 1e-2 and ex.alignment.min() > 0.99
    assert abs(table["all"] / ex.drift[-1] - 1) < 0.10
    assert abs(table["no_real"] - ex.drift[-1]) > abs(ex.drift[-1])
    assert table["no_time"] == pytest.approx(table["all"], abs=1e-9)
    assert abs(table["no_momentum"] - table["all"]) < 0.01 * abs(table["all"])
    assert abs(table["no_mixed"] - table["all"]) < 0.05 * abs(table["all"])
    ref = skyrmion_drift(HIGH, pk, TIMES, quadrature=3, curvature={"all": CurvatureTerms()}).final()["all"]
    assert abs((table["all"] - table["no_real"]) / ref - 1) < 0.10


@pytest.mark.slow
def test_docstring_examples():
    import doctest
    import importlib

    for name in ("berrykin.geometry.pointwise", "berrykin.geometry.api", "berrykin.quantum.skyrmion",
                 "berrykin.experiments.skyrmion"):
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, name


@pytest.mark.slow
def test_upper_band_drifts_the_other_way():
    """q_{+1} = -q_{-1}: the upper-band packet (spin along n) is deflected to the other side, by
    the same amount semiclassically (rashba = 0: eps_+ = eps_- + 2J) and within 10% exactly."""
    model = HIGH
    up, dn = (GaussianPacket((17.0, 60.0), PACKET.momentum, PACKET.width, band=b) for b in (+1, -1))
    sc_up = skyrmion_drift(model, up, TIMES, quadrature=3, curvature={"all": CurvatureTerms()})
    sc_dn = skyrmion_drift(model, dn, TIMES, quadrature=3, curvature={"all": CurvatureTerms()})
    np.testing.assert_allclose(sc_up["all"], -sc_dn["all"], atol=1e-6)
    ex_up = exact_skyrmion_drift(model, up, TIMES, semiclassical=sc_up)
    assert ex_up.alignment.min() > 0.99 and ex_up.edge_weight < 1e-2
    assert abs(sc_up["all"][-1] / ex_up.drift[-1] - 1) < 0.10


@pytest.mark.slow
def test_quadrature_converges_to_exact(adiabatic_runs):
    """More Gauss-Hermite nodes: the ensemble drift settles (orders 3, 4 and 5 within 1%), at the
    exact value within 3% (the rest is beyond first order in gradients)."""
    sc, ex = adiabatic_runs
    finals = [sc["all"][-1]] + [skyrmion_drift(ADIABATIC, PACKET, TIMES, quadrature=q,
                                               curvature={"all": CurvatureTerms()})["all"][-1] for q in (4, 5)]
    assert max(finals) / min(finals) - 1 < 0.01
    assert abs(finals[1] / ex.drift[-1] - 1) < 0.03


# --- a kicked Fermi sea on a torus: the emergent flux is quantised --------------------------------

@pytest.mark.slow
def test_kicked_fermi_sea_hall_acceleration():
    """Every momentum of a Fermi sea (lower band, mu in the band, rashba = 0, 2J = 4) is kicked by
    dk. Without a texture the centre of mass moves straight (exactly). With one skyrmion on the
    torus the drifting sea (uniform density, drift velocity v_d) feels the Lorentz force of the
    emergent field, whose total flux is quantised: Int b_s = q_s 4 pi Q. The transverse
    acceleration per particle is then a = (v_d/dk) v_d |q_s 4 pi Q|/A (A the torus area, v_d/dk
    the inverse mass of the sea, both measured on the exact run), with the sign of -q_s Q."""
    from berrykin.models import Uniform
    from berrykin.quantum.skyrmion import kicked_fermi_sea

    L, kick = 16, (0.05, 0.0)
    times = np.linspace(0.0, 16.0, 9)
    tex = Skyrmion(radius=4.0, width=2.0, center=(L / 2, L / 2))
    runs = {}
    for name, texture in (("skyrmion", tex), ("uniform", Uniform())):
        model = LatticeTexturedFerromagnet2D(exchange=2.0, rashba=0.0, mass=1.0, lattice_constant=1.0, texture=texture)
        runs[name] = kicked_fermi_sea(model, (L, L), kick, times, mu=-1.0, temperature=0.1)
    assert np.abs(runs["uniform"].drift).max() < 1e-10
    sea = runs["skyrmion"]
    assert 20 < sea.n_particles < 100
    v_d = np.polyfit(times, sea.advance, 1)[0]
    assert v_d == pytest.approx(np.polyfit(times, runs["uniform"].advance, 1)[0], rel=0.05)
    late = times >= 4.0                      # after the spin transient (~1/J)
    accel = 2 * np.polyfit(times[late], sea.drift[late], 2)[0]
    Q = _skyrmion_number(tex, tex.center, half=L / 2, n=401)
    q_s = 0.5
    predicted = (v_d / kick[0]) * v_d * abs(q_s * 4 * np.pi * Q) / L**2
    assert abs(Q) > 0.99 and np.sign(accel) == -np.sign(q_s * Q)
    assert abs(accel) == pytest.approx(predicted, rel=0.10)
    assert sea.to_dataset()["drift"].dims == ("time",)
