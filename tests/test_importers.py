"""Model import from PythTB objects and Wannier90 _hr.dat files.

References: the source's own Bloch Hamiltonian (a PythTB stand-in implementing PythTB's
documented ``_gen_ham`` formula; the closed-form QWZ matrix written out as _hr.dat), closed-form
bands, the Chern numbers of QWZ from docs/conventions.md (C_lower = 0, +1, -1, 0 for
m = -3, -1, 1, 3) and an independent eigenvector Fukui-Hatsugai-Suzuki computation
(flux of a plaquette = Berry phase = -arg <u1|u2><u2|u3><u3|u4><u4|u1>, counter-clockwise).
"""

import math

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.geometry import band_energies, chern_number
from berrykin.models.importers import ImportedTightBinding, from_pythtb, from_wannier90

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]])
SZ = np.diag([1.0, -1.0]).astype(complex)


class PythTBStandIn:
    """Mimics the attributes of ``pythtb.tb_model`` (spinless) and its documented Hamiltonian:
    ``set_hop(amp, i, j, R)`` stores ``[amp, i, j, R]`` for ``<i, 0|H|j, R> = amp`` (the
    conjugate hopping is implied) and ``H_ij(k) = sum amp exp(2 pi i k . (R + tau_j - tau_i))``
    + h.c., k in reduced coordinates (PythTB's ``_gen_ham``)."""

    def __init__(self, dim_k, dim_r, lat, orb, per=None):
        self._dim_k, self._dim_r, self._nspin = dim_k, dim_r, 1
        self._lat = np.array(lat, dtype=float)
        self._orb = np.array(orb, dtype=float)
        self._norb = len(self._orb)
        self._per = list(range(dim_k)) if per is None else list(per)
        self._site_energies = np.zeros(self._norb)
        self._hoppings = []

    def set_onsite(self, values):
        self._site_energies = np.array(values, dtype=float)

    def set_hop(self, amp, i, j, R):
        self._hoppings.append([amp, i, j, np.array(R)])

    def _gen_ham(self, k):
        ham = np.diag(self._site_energies.astype(complex))
        for amp, i, j, R in self._hoppings:
            rv = (-self._orb[i] + self._orb[j] + R)[self._per]
            term = amp * np.exp(2j * np.pi * np.dot(k, rv))
            ham[i, j] += term
            ham[j, i] += np.conj(term)
        return ham


def haldane(delta=0.2, t=-1.0, t2=0.15):
    """PythTB's Haldane example (examples/haldane.py)."""
    m = PythTBStandIn(2, 2, [[1.0, 0.0], [0.5, math.sqrt(3.0) / 2.0]], [[1 / 3, 1 / 3], [2 / 3, 2 / 3]])
    t2 = t2 * np.exp(1j * np.pi / 2)
    t2c = t2.conjugate()
    m.set_onsite([-delta, delta])
    for amp, i, j, R in ((t, 0, 1, [0, 0]), (t, 1, 0, [1, 0]), (t, 1, 0, [0, 1]), (t2, 0, 0, [1, 0]),
                         (t2, 1, 1, [1, -1]), (t2, 1, 1, [0, 1]), (t2c, 1, 1, [1, 0]), (t2c, 0, 0, [1, -1]),
                         (t2c, 0, 0, [0, 1])):
        m.set_hop(amp, i, j, R)
    return m


def fhs_chern_lower(hamiltonian, n=24):
    """Independent lower-band Chern number: FHS with numpy eigenvectors on the reduced BZ."""
    ks = np.arange(n) / n
    u = np.empty((n, n, 2), dtype=complex)
    for a, k1 in enumerate(ks):
        for b, k2 in enumerate(ks):
            u[a, b] = np.linalg.eigh(hamiltonian(np.array([k1, k2])))[1][:, 0]
    total = 0.0
    for a in range(n):
        for b in range(n):
            u1, u2, u3, u4 = u[a, b], u[(a + 1) % n, b], u[(a + 1) % n, (b + 1) % n], u[a, (b + 1) % n]
            loop = np.vdot(u1, u2) * np.vdot(u2, u3) * np.vdot(u3, u4) * np.vdot(u4, u1)
            total -= np.angle(loop)
    return total / (2 * np.pi)


def random_k(n, dim, seed=0):
    return np.random.default_rng(seed).uniform(-0.5, 0.5, (n, dim))


# -- PythTB ---------------------------------------------------------------------------------------
def test_pythtb_haldane_hamiltonian_bands_and_chern():
    src = haldane()
    exact = from_pythtb(src, orbital_phases=True)
    periodic = from_pythtb(src)
    assert isinstance(periodic, ImportedTightBinding) and periodic.dim == 2
    assert periodic.momentum_period == pytest.approx(2 * np.pi) and exact.momentum_period is None
    k = random_k(40, 2)
    p = 2 * np.pi * k
    H_src = np.array([src._gen_ham(kk) for kk in k])
    # PythTB convention: the same matrix; periodic convention: U H U^dag, U = diag(e^{i p.tau})
    np.testing.assert_allclose(exact.bloch_hamiltonian(p), H_src, atol=1e-14)
    U = np.exp(1j * p @ np.array(src._orb).T)
    np.testing.assert_allclose(periodic.bloch_hamiltonian(p),
                               U[:, :, None] * H_src * U.conj()[:, None, :], atol=1e-14)
    # the symbol eps/2 + Delta.sigma/2 seen by berrykin's geometry has the source's bands
    ev = np.linalg.eigvalsh(H_src)[:, ::-1]          # (s = +1, s = -1)
    for model in (exact, periodic):
        np.testing.assert_allclose(band_energies(model, None, p), ev, atol=1e-13)
    np.testing.assert_allclose(periodic.bloch_hamiltonian(p + 2 * np.pi * np.array([1.0, -1.0])),
                               periodic.bloch_hamiltonian(p), atol=1e-13)
    # Chern number of the lower band: berrykin (periodic model) = independent FHS = +-1
    ref = fhs_chern_lower(lambda kk: periodic.bloch_hamiltonian(2 * np.pi * kk))
    ref_src = fhs_chern_lower(lambda kk: np.diag(np.exp(2j * np.pi * kk @ np.array(src._orb).T))
                              @ src._gen_ham(kk) @ np.diag(np.exp(-2j * np.pi * kk @ np.array(src._orb).T)))
    got = chern_number(periodic, shape=(24, 24))
    assert got.closed and abs(got.chern - round(ref)) < 1e-9 and round(ref) == round(ref_src)
    assert abs(round(ref)) == 1            # Haldane: |M| = 0.2 < 3 sqrt(3) t2 = 0.78
    # the PythTB-convention model: the same flux through the (open, non-periodic) zone
    flux = chern_number(exact, shape=(48, 48), bounds=((-np.pi, np.pi), (-np.pi, np.pi)))
    assert not flux.closed and abs(flux.chern - round(ref)) < 0.02


def test_pythtb_trivial_phase_and_chain():
    assert chern_number(from_pythtb(haldane(delta=1.0)), shape=(16, 16)).nearest_integer == 0
    # a 1D Rice-Mele-like chain in 2D real space with one periodic direction
    src = PythTBStandIn(1, 2, [[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.5, 0.2]], per=[0])
    src.set_onsite([0.3, -0.3])
    src.set_hop(1.0, 0, 1, [0, 0])
    src.set_hop(0.6 + 0.1j, 1, 0, [1, 0])
    model = from_pythtb(src, orbital_phases=True)
    k = random_k(20, 1, seed=3)
    np.testing.assert_allclose(model.bloch_hamiltonian(2 * np.pi * k), [src._gen_ham(kk) for kk in k], atol=1e-14)
    assert model.dim == 1 and model.momentum_period is None
    tb = from_pythtb(src).tight_binding()
    assert tb.dim == 1 and dict(tb.hoppings)[(1,)][1, 0] == pytest.approx(0.6 + 0.1j)


def test_pythtb_bad_input():
    with pytest.raises(ParameterError):
        from_pythtb(object())
    three = PythTBStandIn(2, 2, np.eye(2), [[0, 0], [0.5, 0], [0, 0.5]])
    with pytest.raises(ParameterError, match="2 orbitals"):
        from_pythtb(three)
    bad = haldane()
    bad._hoppings.append([1.0, 0, 2, np.array([1, 0])])
    with pytest.raises(ParameterError):
        from_pythtb(bad)


# -- Wannier90 ------------------------------------------------------------------------------------
def qwz_blocks(m):
    """QWZ, H = sin kx sx + sin ky sy + (m + cos kx + cos ky) sz, as hoppings <0|H|R>."""
    return {(0, 0, 0): m * SZ, (1, 0, 0): (SZ - 1j * SX) / 2, (-1, 0, 0): (SZ + 1j * SX) / 2,
            (0, 1, 0): (SZ - 1j * SY) / 2, (0, -1, 0): (SZ + 1j * SY) / 2,
            (2, -1, 0): np.zeros((2, 2)), (-2, 1, 0): np.zeros((2, 2))}


def write_hr(path, blocks, degeneracies, fmt="{:12.6f}"):
    """Wannier90 format: lines 'R1 R2 R3 m n Re Im' (5I5, 2F12.6), H(R) * ndegen(R) stored."""
    Rs = list(blocks)
    deg = [degeneracies[i % len(degeneracies)] for i in range(len(Rs))]
    lines = [" written on 24Nov2026 at 10:00:00 ", f"{2:12d}", f"{len(Rs):12d}"]
    lines += ["".join(f"{d:5d}" for d in deg[i:i + 15]) for i in range(0, len(deg), 15)]
    for R, d in zip(Rs, deg):
        for n in range(2):
            for m in range(2):
                v = blocks[R][m, n] * d
                lines.append("".join(f"{x:5d}" for x in (*R, m + 1, n + 1)) + fmt.format(v.real) + fmt.format(v.imag))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("m, chern", [(-1.0, 1), (3.0, 0)])
def test_wannier90_qwz_round_trip(tmp_path, m, chern):
    path = write_hr(tmp_path / "qwz_hr.dat", qwz_blocks(m), [1, 2, 3, 4, 1, 2, 4], fmt="{:22.15e}")
    model = from_wannier90(path)
    assert model.dim == 2 and model.momentum_period == pytest.approx(2 * np.pi)
    p = 2 * np.pi * random_k(50, 2, seed=1)
    kx, ky = p[:, 0], p[:, 1]
    H = (np.sin(kx)[:, None, None] * SX + np.sin(ky)[:, None, None] * SY
         + (m + np.cos(kx) + np.cos(ky))[:, None, None] * SZ)
    np.testing.assert_allclose(model.bloch_hamiltonian(p), H, atol=1e-14)
    E = np.sqrt(np.sin(kx) ** 2 + np.sin(ky) ** 2 + (m + np.cos(kx) + np.cos(ky)) ** 2)
    np.testing.assert_allclose(band_energies(model, None, p), np.stack([E, -E], axis=-1), atol=1e-13)
    got = chern_number(model, shape=(20, 20))
    assert got.closed and got.nearest_integer == chern and abs(got.chern - chern) < 1e-9


def test_wannier90_printed_precision_chain_and_errors(tmp_path):
    # F12.6 rounding: symmetrised, bands to the printed precision; a 1D chain gives dim = 1
    t, v = 0.7123456789, 1.1
    blocks = {(0, 0, 0): v * SX, (1, 0, 0): t * (SX - 1j * SY) / 2, (-1, 0, 0): t * (SX + 1j * SY) / 2}
    model = from_wannier90(write_hr(tmp_path / "chain_hr.dat", blocks, [1]))
    assert model.dim == 1
    k = np.linspace(-np.pi, np.pi, 7)[:, None]
    E = np.abs(v + t * np.exp(1j * k[:, 0]))
    np.testing.assert_allclose(band_energies(model, None, k)[:, 0], E, atol=2e-6)
    assert from_wannier90(tmp_path / "chain_hr.dat", dim=3).dim == 3
    with pytest.raises(ParameterError, match="dim"):
        from_wannier90(write_hr(tmp_path / "q_hr.dat", qwz_blocks(1.0), [1]), dim=1)
    # non-Hermitian, wrong size, truncated, missing file
    bad = dict(qwz_blocks(1.0))
    bad[(1, 0, 0)] = bad[(1, 0, 0)] + 0.1
    with pytest.raises(ParameterError, match="Hermitian"):
        from_wannier90(write_hr(tmp_path / "bad_hr.dat", bad, [1]))
    text = (tmp_path / "q_hr.dat").read_text().splitlines()
    (tmp_path / "cut_hr.dat").write_text("\n".join(text[:-3]))
    with pytest.raises(ParameterError):
        from_wannier90(tmp_path / "cut_hr.dat")
    (tmp_path / "three_hr.dat").write_text("x\n3\n1\n1\n")
    with pytest.raises(ParameterError, match="num_wann"):
        from_wannier90(tmp_path / "three_hr.dat")
    with pytest.raises(ParameterError):
        from_wannier90(tmp_path / "missing_hr.dat")


def test_docstring_examples():
    import doctest

    import berrykin.models.importers

    result = doctest.testmod(berrykin.models.importers)
    assert result.failed == 0 and result.attempted > 0
