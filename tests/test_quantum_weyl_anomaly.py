"""Exact chiral anomaly of the two-node lattice Weyl semimetal in parallel e and b (issue 4).

References: the anomaly chirality * b e/(4 pi^2) per node (paper Eq. 53 with ERRATA 6-7); a
dense real-space density-matrix evolution with the Peierls phases of berrykin.quantum.lattice
(for the k-resolved evolution, gauge and sign of e); the 2D Hofstadter reduction of
berrykin.quantum.hofstadter (for the 3D magnetic Bloch Hamiltonian); the ordinary Bloch
Hamiltonian at integer flux; eigendecompositions (for the matrix exponential and the Fermi
projector); step halving (Magnus order 4); particle-number conservation.

Sign chain: node (0, 0, -k0) of LatticeWeyl is right-handed (chirality +1). With b, e > 0 its
chiral Landau band E_0 = +v dk_z rises while k_z(t) = k_z0 + e t grows (a_z = -e t), so states
are pushed above mu there: charge and particles grow at +b e/(4 pi^2); the node at +k0 loses
the same (holes below mu). Flipping the sign of b or of e flips every rate.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.models import LatticeWeyl, TightBinding
from berrykin.models.tight_binding import PAULI
from berrykin.quantum.hofstadter import magnetic_bloch_hamiltonian
from berrykin.quantum.lattice import real_space_hamiltonian
from berrykin.quantum.magnetic3d import (
    expm_hermitian,
    fermi_projector,
    fermi_sea_occupations,
    kz_harmonics,
    magnetic_bloch_hamiltonian_3d,
    ramp_shift,
    shift_propagators,
)
from berrykin.quantum.real_time import evolve_density_matrix
from berrykin.quantum.weyl_anomaly import exact_anomaly_rate, weyl_anomaly

MODEL = LatticeWeyl()
SMALL = dict(n_kz=32)            # k_z grid of the quick runs


def anomaly(b, e):
    return b * e / (4 * math.pi**2)


@pytest.mark.parametrize("sb, se", [(1, 1), (-1, 1), (1, -1), (-1, -1)])
def test_pumping_rate_and_signs(sb, se):
    """Flux +-1/10, e = +-0.05 (gamma = 0.04): each node's charge changes at chirality b e/4pi^2,
    the particles appear at the node whose chiral band rises and the holes at the other."""
    res = weyl_anomaly(MODEL, Fraction(sb, 10), se * 0.05, **SMALL)
    ref = anomaly(2 * math.pi * sb / 10, se * 0.05)
    chi = res.chirality
    assert list(chi) == [-1, +1] and np.allclose(res.node_kz, [MODEL.k0, -MODEL.k0])
    assert np.allclose(res.reference, chi * ref, rtol=1e-14)
    assert np.all(np.abs(res.rate / (chi * ref) - 1) < 0.02)
    assert np.all(np.abs(res.rate / (chi * ref) - 1) < 1e-8)          # spectral flow: exact
    source = int(np.argmax(chi * np.sign(ref)))                         # chirality b e > 0
    sink = 1 - source
    assert abs(res.particle_rate[source] / abs(ref) - 1) < 1e-3
    assert abs(res.hole_rate[sink] / abs(ref) - 1) < 1e-3
    assert abs(res.particle_rate[sink]) < 1e-3 * abs(ref)
    assert abs(res.hole_rate[source]) < 1e-3 * abs(ref)
    # particle number: the two nodes' charges sum to zero at all times; unitary evolution
    assert np.max(np.abs(res.charge.sum(axis=1))) < 1e-12
    assert res.unitarity_error < 1e-12 and res.charge[0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("flux, e, mu", [(Fraction(1, 8), 0.05, 0.0), (Fraction(1, 14), 0.04, 0.1),
                                         (Fraction(2, 17), 0.05, -0.05)])
def test_rate_at_several_fluxes(flux, e, mu):
    """b = 2 pi p/q for p/q = 1/8, 1/14 and 2/17 (two chiral magnetic bands per node)."""
    res = weyl_anomaly(MODEL, flux, e, mu, **SMALL)
    ref = anomaly(2 * math.pi * float(flux), e) * res.chirality
    assert np.all(np.abs(res.rate / ref - 1) < 1e-8)
    src = 1
    assert abs(res.particle_rate[src] / ref[src] - 1) < 1e-3 and abs(res.hole_rate[0] / ref[1] - 1) < 1e-3


def test_excitation_rate_approaches_anomaly_as_e_decreases():
    """The particles pumped above mu include non-adiabatic excitations (switch-on, Landau-Zener
    pairs) controlled by gamma = e sin(k0)/(2b): their deviation from b e/4pi^2 falls as e -> 0."""
    devs = []
    for e in (0.2, 0.1, 0.05):
        res = weyl_anomaly(MODEL, Fraction(1, 10), e, **SMALL)
        ref = anomaly(res.b, e)
        devs.append(max(abs(res.particle_rate[1] / ref - 1), abs(res.particle_rate[0] / ref),
                        abs(res.hole_rate[0] / ref - 1), abs(res.hole_rate[1] / ref)))
        assert np.isclose(res.adiabatic_parameter, e / (2 * res.b))
    assert devs[0] > devs[1] > devs[2] and devs[2] < 2e-5 and devs[0] < 0.02, devs


def test_magnetic_bloch_3d_matches_hofstadter_slices_and_bloch():
    """At fixed k_z, LatticeWeyl is a 2D model with onsite (2 - cos k0 + cos k_z) sz; the 3D
    reduction must equal the 2D Hofstadter one. At flux 1 (no net phase) the spectrum is H(k)'s."""
    k0, kz = 1.1, 0.37
    sz = np.diag([1.0, -1.0]).astype(complex)
    sx = np.array([[0, 1], [1, 0]], complex)
    sy = np.array([[0, -1j], [1j, 0]])
    slice2d = TightBinding.from_half((2 - math.cos(k0) + math.cos(kz)) * sz,
                                     {(1, 0): -(sz + 1j * sx) / 2, (0, 1): -(sz + 1j * sy) / 2}, dim=2)
    kxy = np.array([[0.03, -0.4], [0.11, 2.0]])
    for flux in (Fraction(1, 7), Fraction(-3, 11)):
        H3 = magnetic_bloch_hamiltonian_3d(LatticeWeyl(k0), flux, np.c_[kxy, [kz, kz]])
        assert np.max(np.abs(H3 - magnetic_bloch_hamiltonian(slice2d, flux, kxy))) < 1e-14
    k = np.array([0.3, -1.2, 2.5])
    E1 = np.linalg.eigvalsh(magnetic_bloch_hamiltonian_3d(MODEL, 1, k))
    assert np.allclose(E1, np.linalg.eigvalsh(MODEL.tight_binding().bloch_hamiltonian(k)), atol=1e-14)


def test_k_resolved_evolution_matches_dense_real_space_evolution():
    """A tilted, kz-asymmetric Weyl lattice (so that the sign of e matters) on a 3 x 1 x 8 torus
    at flux 1/3: the one-body density matrix evolved densely in real space (Peierls phases of
    berrykin.quantum.lattice for a = (0, b x, -e K(t) - delta/2), the twist putting k_z on the
    same grid) gives the same particles above and holes below mu as the magnetic Bloch evolution,
    at every sample; the run with -e differs."""
    sx, sy, sz = PAULI
    tb = TightBinding.from_half((2 - math.cos(1.2)) * sz + 0.1 * sx,
                                {(1, 0, 0): -(sz + 1j * sx) / 2, (0, 1, 0): -(sz + 1j * sy) / 2,
                                 (0, 0, 1): sz / 2 - 0.15j * np.eye(2)}, dim=3)
    q, nz, e, mu, ramp, shifts, sub = 3, 8, 0.3, 0.05, 1, 2, 3
    b, delta = 2 * math.pi / q, 2 * math.pi / nz
    kz = -math.pi + delta * (np.arange(nz) + 0.5)
    above, below, *_ = fermi_sea_occupations(tb, Fraction(1, q), np.zeros(2), kz, e, mu, ramp=ramp,
                                             shifts=shifts, substeps=sub)
    t_r = 2 * ramp * delta / e

    def hamiltonian(t):
        az = -delta / 2 - e * (ramp_shift(t, t_r) if t <= t_r else t - t_r / 2)
        return real_space_hamiltonian(tb, (q, 1, nz), field=lambda r: np.stack(
            [0 * r[:, 0], b * r[:, 0], az + 0 * r[:, 0]], axis=-1))

    def below_mu(H):
        w, V = np.linalg.eigh(H)
        return V[:, w < mu] @ np.conj(V[:, w < mu]).T

    def observe(t, rho):
        P = below_mu(hamiltonian(t))
        overlap = np.real(np.trace(rho @ P))
        return np.array([np.real(np.trace(rho)) - overlap, np.real(np.trace(P)) - overlap])

    steps = (2 * ramp + shifts) * sub
    dense = evolve_density_matrix(hamiltonian, below_mu(hamiltonian(0.0)), 0.0, delta / (e * sub), steps,
                                  observe).observed
    samples = [0] + [(2 * ramp + n) * sub for n in range(shifts + 1)]
    exact = np.stack([above.sum(axis=1), below.sum(axis=1)], axis=-1)
    assert np.max(np.abs(dense[samples] - exact)) < 1e-10
    flipped, *_ = fermi_sea_occupations(tb, Fraction(1, q), np.zeros(2), kz, -e, mu, ramp=ramp,
                                        shifts=shifts, substeps=sub)
    assert np.max(np.abs(flipped.sum(axis=1) - exact[:, 0])) > 1e-3


def test_linear_algebra_helpers_against_eigendecomposition():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(5, 12, 12)) + 1j * rng.normal(size=(5, 12, 12))
    A = A + np.conj(np.swapaxes(A, -1, -2))
    w, V = np.linalg.eigh(A)
    U = (V * np.exp(-1j * w)[:, None, :]) @ np.conj(np.swapaxes(V, -1, -2))
    assert np.max(np.abs(expm_hermitian(A) - U)) < 1e-12
    mu = 0.5 * (w[0, 5] + w[0, 6])
    P, gap = fermi_projector(A, mu)
    Pref = np.einsum("nij,nkj,nj->nik", V, np.conj(V), (w < mu).astype(float))
    assert np.max(np.abs(P - Pref)) < 1e-12
    assert np.all(gap <= np.min(np.abs(w - mu), axis=1) + 1e-14) and np.all(gap > 0)


def test_kz_propagation_is_fourth_order():
    """Propagators over a k_z shift of 0.2 at e = 0.2 near a node, dt = 0.5 ... 0.0625: the error
    against 128 Magnus steps falls as dt^4 (fitted order within 4 +- 0.15)."""
    ms, Hm = kz_harmonics(MODEL, Fraction(1, 6), np.array([0.1, 0.2]))
    kz = np.array([-1.9, -1.5])
    ref = shift_propagators(ms, Hm, kz, 0.2, 0.2, 128)
    n = np.array([2, 4, 8, 16])
    err = [np.max(np.abs(shift_propagators(ms, Hm, kz, 0.2, 0.2, s) - ref)) for s in n]
    order = -np.polyfit(np.log(n), np.log(err), 1)[0]
    assert abs(order - 4) < 0.15, (order, err)


def test_exact_anomaly_rate_picks_a_nearby_flux_and_dataset():
    b = 2 * math.pi / 12 * 1.003
    res = exact_anomaly_rate(MODEL, 0.05, b, 0.0, max_denominator=16, **SMALL)
    assert res.flux == Fraction(1, 12) and math.isclose(res.b, 2 * math.pi / 12)
    assert np.allclose(res.rate, res.chirality * anomaly(res.b, 0.05), rtol=1e-8)
    ds = res.to_dataset()
    assert ds["charge"].dims == ("t", "node") and ds["rate"].attrs["units"]
    assert ds.attrs["flux"] == "1/12" and "b e/(4 pi^2)" in ds["reference"].attrs["definition"]
    assert np.array_equal(ds["chirality"].values, [-1, 1])


@pytest.mark.parametrize("kwargs, field", [
    (dict(e=0.0), "e"), (dict(flux=0), "flux"), (dict(n_kz=31), "n_kz"), (dict(mu=1.2), "mu"),
    (dict(shifts=40), "ramp, shifts"), (dict(k_points=(0, 1)), "k_points")])
def test_bad_input_raises(kwargs, field):
    args = dict(flux=Fraction(1, 8), e=0.05, n_kz=16)
    args.update(kwargs)
    with pytest.raises(ParameterError) as info:
        weyl_anomaly(MODEL, **args)
    assert info.value.field == field


def test_bad_model_and_field():
    with pytest.raises(ParameterError):
        weyl_anomaly(object(), Fraction(1, 8))
    with pytest.raises(ParameterError):
        exact_anomaly_rate(MODEL, 0.05, 1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("model, flux, e, mu, k_points", [
    (LatticeWeyl(), Fraction(1, 24), 0.03, 0.0, (1, 1)),
    (LatticeWeyl(1.0), Fraction(-1, 12), 0.05, 0.1, (2, 2)),
    (LatticeWeyl(1.3), Fraction(2, 25), -0.04, -0.05, (1, 2))])
def test_other_nodes_fluxes_and_zone_grids(model, flux, e, mu, k_points):
    res = weyl_anomaly(model, flux, e, mu, n_kz=48, k_points=k_points)
    ref = res.chirality * anomaly(2 * math.pi * float(flux), e)
    assert np.all(np.abs(res.rate / ref - 1) < 1e-8)
    source = int(np.argmax(ref))
    assert abs(res.particle_rate[source] / ref[source] - 1) < 1e-3
    assert abs(res.hole_rate[1 - source] / ref[source] - 1) < 1e-3


@pytest.mark.parametrize("name", ["berrykin.quantum.weyl_anomaly", "berrykin.quantum.magnetic3d"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
