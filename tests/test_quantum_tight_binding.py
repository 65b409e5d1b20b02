"""Tight-binding forms of the lattice models and Peierls phases on finite lattices.

References: each model's phase-space symbol ``eps/2 + Delta.sigma/2`` (``model.hamiltonian``),
jax derivatives of it, and closed-form fluxes of the gauge fields. Tolerances: 1e-12 absolute
for O(1-10) matrix elements evaluated in float64.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import berrykin
from berrykin.errors import ParameterError
from berrykin.models import (
    QWZ,
    LatticeTexturedFerromagnet2D,
    LatticeWeyl,
    RiceMele,
    Skyrmion,
    TexturedFerromagnet2D,
    TightBinding,
    UniformElectricField,
    UniformMagneticField,
)
from berrykin.models.tight_binding import PAULI, pauli_matrix, symbol
from berrykin.quantum import LandauGauge, lattice_sites, line_integrals, real_space_hamiltonian

RNG = np.random.default_rng(2024)
ATOL = 1e-12


def lattice_cases():
    T = 13.0
    return [
        (QWZ(m=-1.3), lambda t: QWZ(m=-1.3).tight_binding()),
        (QWZ(m=2.7), lambda t: QWZ(m=2.7).tight_binding()),
        (RiceMele(hopping=0.8, dimerization=0.3, staggered=0.6, period=T),
         lambda t: RiceMele(hopping=0.8, dimerization=0.3, staggered=0.6, period=T).tight_binding(t)),
        (LatticeWeyl(k0=1.1), lambda t: LatticeWeyl(k0=1.1).tight_binding()),
        (LatticeTexturedFerromagnet2D(rashba=0.7, lattice_constant=0.4),
         lambda t: LatticeTexturedFerromagnet2D(rashba=0.7, lattice_constant=0.4).tight_binding()),
    ]


@pytest.mark.parametrize("case", range(5))
def test_bloch_hamiltonian_equals_phase_space_symbol(case):
    """``sum_R T_R e^{i a k.R}`` (+ the onsite field at r) = ``eps/2 + Delta.sigma/2`` at random
    (r, k, t), to 1e-12; its k derivative equals the jax derivative of the symbol."""
    model, tb_at = lattice_cases()[case]
    d = model.dim
    for _ in range(4):
        k = RNG.uniform(-5, 5, d)
        r = RNG.uniform(-4, 4, d)
        t = RNG.uniform(0, 13)
        tb = tb_at(t)
        H = tb.bloch_hamiltonian(k, r=r)
        assert np.max(np.abs(H - model.hamiltonian(r, k, t))) < ATOL
        with jax.enable_x64(True):
            def h_of(kk):
                return jnp.concatenate([model.eps(jnp.asarray(r), kk, t)[None], model.gap(jnp.asarray(r), kk, t)])
            J = np.asarray(jax.jacfwd(h_of)(jnp.asarray(k)))          # (4, d)
        dH = tb.bloch_velocity(k)
        for i in range(d):
            assert np.max(np.abs(dH[i] - pauli_matrix(J[0, i], J[1:, i]))) < ATOL


def test_symbol_round_trip_and_vectorisation():
    eps, delta = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3, 3))
    e2, d2 = symbol(pauli_matrix(eps, delta))
    assert np.allclose(e2, eps, atol=1e-14) and np.allclose(d2, delta, atol=1e-14)
    tb = QWZ(m=0.4).tight_binding()
    k = RNG.uniform(-3, 3, (4, 6, 2))
    H = tb.bloch_hamiltonian(k)
    assert H.shape == (4, 6, 2, 2)
    assert np.allclose(H[2, 3], tb.bloch_hamiltonian(k[2, 3]), atol=1e-15)


def test_tight_binding_validation_and_immutability():
    sx = PAULI[0]
    with pytest.raises(ParameterError, match="hoppings"):
        TightBinding(1, np.zeros((2, 2)), [((1,), sx)])                   # -R missing
    with pytest.raises(ParameterError, match="hoppings"):
        TightBinding(1, np.zeros((2, 2)), [((1,), 1j * sx), ((-1,), 1j * sx)])  # not T^dagger
    with pytest.raises(ParameterError, match="onsite"):
        TightBinding(1, [[0, 1], [0, 0]], [])
    with pytest.raises(ParameterError, match="lattice_constant"):
        TightBinding(1, np.zeros((2, 2)), [], lattice_constant=-1.0)
    with pytest.raises(ParameterError, match="dim"):
        TightBinding(4, np.zeros((2, 2)), [])
    tb = QWZ().tight_binding()
    with pytest.raises(ValueError):
        tb.matrices[0, 0, 0] = 5.0
    with pytest.raises(AttributeError):
        tb.lattice_constant = 2.0
    assert len(tb.hoppings) == 4


def test_lattice_weyl_nodes_and_chirality():
    """The gap closes at (0, 0, +-k0) only, with monopole charges -1 (at +k0) and +1 (at -k0)."""
    model = LatticeWeyl(k0=1.2)
    g = np.linspace(-math.pi, math.pi, 25, endpoint=False)
    K = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    gap = np.linalg.norm(berrykin.gap_vector(model, p=K), axis=-1)
    off = np.linalg.norm(K - np.array([0, 0, 1.2]), axis=-1) * np.linalg.norm(K + np.array([0, 0, 1.2]), axis=-1)
    assert gap[off > 0.3].min() > 0.1
    for node, chi in model.nodes():
        assert np.linalg.norm(berrykin.gap_vector(model, p=np.array(node))) < 1e-14
        assert berrykin.monopole_charge(model, center=node, radius=0.05).nearest_integer == chi
    with pytest.raises(ParameterError, match="k0"):
        LatticeWeyl(k0=4.0)


def test_lattice_textured_ferromagnet_continuum_limit_and_real_space():
    """The lattice symbol tends to TexturedFerromagnet2D's as a -> 0 at order a^2; the real-space
    onsite blocks are ``4 t + J n(r).sigma``."""
    cont = TexturedFerromagnet2D(rashba=0.6)
    r, p = np.array([0.7, -1.1]), np.array([0.9, 0.5])
    errs = []
    for a in (0.2, 0.1, 0.05):
        lat = LatticeTexturedFerromagnet2D(rashba=0.6, lattice_constant=a)
        errs.append(np.max(np.abs(lat.hamiltonian(r, p) - cont.hamiltonian(r, p))))
    order = np.polyfit(np.log([0.2, 0.1, 0.05]), np.log(errs), 1)[0]
    assert abs(order - 2.0) < 0.05, (errs, order)
    # the semiclassics accept the lattice model (r- and p-dependent texture)
    F = berrykin.berry_curvature(LatticeTexturedFerromagnet2D(), r=[[0.5, 0.2]], p=[[0.3, -0.1]])
    assert F.shape == (1, 5, 5) and np.all(np.isfinite(F)) and abs(F[0, 0, 1]) > 1e-3
    lat = LatticeTexturedFerromagnet2D(lattice_constant=0.5, texture=Skyrmion(radius=1.5, width=1.0))
    H = real_space_hamiltonian(lat.tight_binding(), (6, 7), periodic=False)
    assert np.max(np.abs(H - H.conj().T)) == 0.0
    sites = 0.5 * lattice_sites((6, 7))
    i = 17
    with jax.enable_x64(True):
        n = np.asarray(lat.texture(jnp.asarray(sites[i])))
    expect = 4.0 / (2 * lat.mass * 0.25) * np.eye(2) + lat.exchange * np.einsum("i,ijk->jk", n, PAULI)
    assert np.max(np.abs(H[2 * i:2 * i + 2, 2 * i:2 * i + 2] - expect)) < ATOL


def test_uniform_vector_potential_shifts_the_bloch_momentum():
    """With a constant ``a`` the torus Hamiltonian in the Bloch basis ``e^{i k.r}/sqrt(N)`` is
    ``H(k - a)`` block by block (not ``H(k + a)``): the Peierls sign is minimal coupling."""
    tb = QWZ(m=0.8).tight_binding()
    L, avec = 5, np.array([0.31, -0.17])
    H = real_space_hamiltonian(tb, (L, L), field=lambda r: np.broadcast_to(avec, r.shape))
    sites = lattice_sites((L, L))
    for k in 2 * math.pi * np.array([[1, 3], [4, 0], [2, 2]]) / L:
        phase = np.exp(1j * sites @ k) / L
        Phi = np.kron(phase[:, None], np.eye(2))                   # (2N, 2)
        block = Phi.conj().T @ H @ Phi
        assert np.max(np.abs(block - tb.bloch_hamiltonian(k - avec))) < 1e-12
        assert np.max(np.abs(block - tb.bloch_hamiltonian(k + avec))) > 1e-2


def test_peierls_flux_per_plaquette_symmetric_gauge():
    """On an open lattice in the symmetric gauge of UniformMagneticField (a GaugeField), the
    Peierls phases around any plaquette add up to ``b a^2`` (counter-clockwise), and the
    line integrals of a quadratic potential are exact."""
    b, a0 = 0.37, 0.5
    field = UniformMagneticField(b=b)
    start = RNG.uniform(-3, 3, (6, 2))
    corners = [start, start + [a0, 0], start + [a0, a0], start + [0, a0], start]
    a_fn = lambda r: b * np.stack([-r[..., 1], r[..., 0]], axis=-1) / 2
    loop = sum(line_integrals(a_fn, corners[i], corners[i + 1]) for i in range(4))
    assert np.allclose(loop, b * a0 * a0, atol=1e-14)
    quad = lambda r: np.stack([r[..., 1] ** 2, r[..., 0] * r[..., 1]], axis=-1)
    s, e = np.array([[0.0, 1.0]]), np.array([[2.0, 3.0]])   # r(u) = (2u, 1 + 2u)
    exact = 8 + 16 / 3                                       # Int_0^1 [(1+2u)^2 + 2u(1+2u)] 2 du
    assert abs(line_integrals(quad, s, e)[0] - exact) < 1e-13
    tb = TightBinding.from_half(np.zeros((2, 2)), {(1, 0): np.eye(2), (0, 1): np.eye(2)}, dim=2,
                                lattice_constant=a0)
    H = real_space_hamiltonian(tb, (4, 4), periodic=False, field=field)
    idx = lambda i, j: 2 * (4 * i + j)
    # <r|H|r+R> = exp(-i theta): the loop r -> r+x -> r+x+y -> r+y -> r multiplies H^* elements
    prod = (H[idx(1, 1), idx(2, 1)] * H[idx(2, 1), idx(2, 2)] * H[idx(2, 2), idx(1, 2)]
            * H[idx(1, 2), idx(1, 1)])
    assert abs(np.angle(prod) + b * a0 * a0) < 1e-13
    # a scalar potential phi adds phi (eps += 2 phi) to the onsite blocks
    efield = UniformElectricField(e=(0.1, -0.2))
    H = real_space_hamiltonian(tb, (3, 3), periodic=False, field=efield)
    r = a0 * lattice_sites((3, 3))[5]
    assert np.allclose(H[10:12, 10:12], -(0.1 * r[0] - 0.2 * r[1]) * np.eye(2), atol=1e-15)


def test_torus_rejects_a_gauge_that_does_not_fit():
    tb = QWZ().tight_binding()
    real_space_hamiltonian(tb, (12, 3), field=LandauGauge.for_flux(1, 6))
    with pytest.raises(ParameterError, match="field"):
        real_space_hamiltonian(tb, (10, 3), field=LandauGauge.for_flux(1, 6))
    with pytest.raises(ParameterError, match="shape"):
        real_space_hamiltonian(tb, (4,))
