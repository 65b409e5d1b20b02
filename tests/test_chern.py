"""Berry fluxes, Chern numbers and monopole charges (berrykin.geometry.chern).

References used here are independent of berrykin's geometry code: an eigenvector (numpy.linalg.eigh)
link-variable Fukui-Hatsugai-Suzuki sum on Hamiltonians written out in NumPy, closed-form solid
angles, and textbook Chern numbers. Sign conventions: the usual Berry phase of a loop is
``-arg(<u1|u2><u2|u3>...<uN|u1>)`` (= Oint i<u|du>), the usual lower-band Chern number of QWZ is
``C_lower = 0, +1, -1, 0`` for ``m = -3, -1, 1, 3`` and berrykin's ``nu = -C_lower`` (ERRATA 9).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import berrykin
from berrykin.errors import GapClosingError, ParameterError
from berrykin.geometry import chern as chern_mod
from berrykin.geometry.chern import BerryFlux, MonopoleCharge, plaquette_phase, solid_angle
from berrykin.models import QWZ, MassiveDirac2D, RiceMele, TexturedFerromagnet2D, Weyl3D

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
SZ = np.array([[1, 0], [0, -1]], dtype=complex)


# -- independent reference: eigenvectors + link variables ----------------------------------
def h_from_vector(h):
    """``h . sigma`` for h of shape (..., 3)."""
    h = np.asarray(h, dtype=float)
    return h[..., 0, None, None] * SX + h[..., 1, None, None] * SY + h[..., 2, None, None] * SZ


def eigh_band(H, band):
    """Eigenvectors (..., 2) of band +1 (upper) or -1 (lower) of Hermitian 2x2 matrices."""
    _, vecs = np.linalg.eigh(H)
    return vecs[..., :, 1] if band == 1 else vecs[..., :, 0]


def fhs_eigh(hfun, a, b, band=-1, wrap=(True, True)):
    """Link-variable FHS sum of plaquette Berry phases on the grid a x b (usual convention).

    Plaquettes (a_i, b_j) -> (a_i+1, b_j) -> (a_i+1, b_j+1) -> (a_i, b_j+1); a wrapping
    direction joins its last grid line to the first.
    """
    A, B = np.meshgrid(a, b, indexing="ij")
    u = eigh_band(h_from_vector(hfun(A, B)), band)
    if wrap[0]:
        u = np.concatenate([u, u[:1]], axis=0)
    if wrap[1]:
        u = np.concatenate([u, u[:, :1]], axis=1)

    def link(x, y):
        return np.sum(np.conj(x) * y, axis=-1)

    u1, u2, u3, u4 = u[:-1, :-1], u[1:, :-1], u[1:, 1:], u[:-1, 1:]
    prod = link(u1, u2) * link(u2, u3) * link(u3, u4) * link(u4, u1)
    return float(np.sum(-np.angle(prod)))


def qwz_h(m):
    return lambda kx, ky: np.stack([np.sin(kx), np.sin(ky), m + np.cos(kx) + np.cos(ky)], axis=-1)


def periodic_grid(n, lo=-np.pi, hi=np.pi):
    return lo + (hi - lo) * np.arange(n) / n


# -- the spin-1/2 identity ----------------------------------------------------------------------
def random_unit(rng, shape):
    v = rng.normal(size=shape + (3,))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@pytest.mark.parametrize("band", [1, -1])
def test_plaquette_phase_equals_eigenvector_berry_phase(band):
    rng = np.random.default_rng(1)
    # large random plaquettes and small ones (near a common direction)
    big = [random_unit(rng, (500,)) for _ in range(4)]
    c = random_unit(rng, (500,))
    small = [c + 0.2 * random_unit(rng, (500,)) for _ in range(4)]
    small = [v / np.linalg.norm(v, axis=-1, keepdims=True) for v in small]
    for ns in (big, small):
        got = plaquette_phase(*ns, band=band)
        us = [eigh_band(h_from_vector(n), band) for n in ns]
        prod = np.ones(500, dtype=complex)
        for k in range(4):
            prod = prod * np.sum(np.conj(us[k]) * us[(k + 1) % 4], axis=-1)
        ref = -np.angle(prod)
        assert np.all(np.abs(got) <= np.pi + 1e-15)
        assert np.max(np.abs(np.angle(np.exp(1j * (got - ref))))) < 1e-10
        # away from the branch cut the principal values agree exactly
        ok = np.abs(np.abs(ref) - np.pi) > 1e-6
        np.testing.assert_allclose(got[ok], ref[ok], atol=1e-10)


def test_solid_angle_octant_and_orientation():
    ex, ey, ez = np.eye(3)
    assert solid_angle(ex, ey, ez) == pytest.approx(np.pi / 2, abs=1e-14)  # 4 pi / 8
    assert solid_angle(ex, ez, ey) == pytest.approx(-np.pi / 2, abs=1e-14)
    assert solid_angle(ex, ex, ey) == 0.0


# -- QWZ ----------------------------------------------------------------------------------------
QWZ_C_LOWER = {-3.0: 0, -1.0: 1, 1.0: -1, 3.0: 0}


@pytest.mark.parametrize("m", sorted(QWZ_C_LOWER))
def test_qwz_chern_numbers_lower_band(m):
    res = berrykin.chern_number(QWZ(m=m), ("p_x", "p_y"), band=-1, shape=(60, 60))
    assert isinstance(res, BerryFlux)
    assert res.closed and res.periodic == (True, True)
    assert abs(res.chern - round(res.chern)) < 1e-9
    assert res.nearest_integer == QWZ_C_LOWER[m]
    nu = -res.nearest_integer  # berrykin's Hall coefficient, ERRATA choice 9
    assert nu == {-3.0: 0, -1.0: -1, 1.0: 1, 3.0: 0}[m]
    ref = fhs_eigh(qwz_h(m), periodic_grid(60), periodic_grid(60), band=-1)
    assert res.flux == pytest.approx(ref, abs=1e-9)
    assert res.chern == pytest.approx(ref / (2 * np.pi), abs=1e-9)
    # the upper band carries the opposite Chern number
    up = berrykin.chern_number(QWZ(m=m), band=1, shape=(60, 60))
    assert up.nearest_integer == -QWZ_C_LOWER[m] and abs(up.chern + res.chern) < 1e-9


@pytest.mark.filterwarnings("ignore::berrykin.errors.ResolutionWarning")  # coarse on purpose
@pytest.mark.parametrize("shape", [(7, 9), (3, 11)])
@pytest.mark.parametrize("m", [-1.0, 1.5])
def test_qwz_coarse_grids_are_exact_integers(shape, m):
    res = berrykin.chern_number(QWZ(m=m), shape=shape)
    assert res.closed and abs(res.chern - round(res.chern)) < 1e-12
    ref = fhs_eigh(qwz_h(m), periodic_grid(shape[0]), periodic_grid(shape[1]))
    assert res.flux == pytest.approx(ref, abs=1e-10)  # same integer as the eigenvector FHS
    if shape == (7, 9):  # fine enough to resolve the curvature: the converged integer
        assert res.nearest_integer == {-1.0: 1, 1.5: -1}[m]


def test_qwz_plane_orientation_and_shifted_zone():
    # swapping the plane reverses the orientation; shifting the zone changes nothing
    xy = berrykin.chern_number(QWZ(m=1.0), ("p_x", "p_y"), shape=(60, 60))
    yx = berrykin.chern_number(QWZ(m=1.0), ("p_y", "p_x"), shape=(60, 60))
    sh = berrykin.chern_number(QWZ(m=1.0), shape=(60, 60),
                               bounds=((0.0, 2 * np.pi), (-1.0, 2 * np.pi - 1.0)))
    assert xy.nearest_integer == -1 and yx.nearest_integer == 1
    assert sh.closed and abs(sh.chern + 1) < 1e-9


def test_row_blocks_give_the_same_flux(monkeypatch):
    whole = berrykin.chern_number(QWZ(m=-1.0), shape=(37, 23))
    monkeypatch.setattr(chern_mod, "BLOCK_POINTS", 5 * 24)  # 4 plaquette rows per call
    blocks = berrykin.chern_number(QWZ(m=-1.0), shape=(37, 23))
    assert blocks.flux == pytest.approx(whole.flux, abs=1e-12)
    assert blocks.max_plaquette_phase == pytest.approx(whole.max_plaquette_phase, abs=1e-14)


# -- Rice-Mele pump: (k, t) over one period --------------------------------------------------
def test_rice_mele_pump_chern_number():
    model = RiceMele(hopping=1.0, dimerization=0.5, staggered=0.5, period=20.0)
    res = berrykin.chern_number(model, ("p_x", "t"), bounds=(None, (0.0, 20.0)), shape=(24, 30))
    assert res.closed
    assert abs(res.chern - round(res.chern)) < 1e-9
    assert res.nearest_integer == -1

    def h(k, t):  # H = (v + w cos k) sx + w sin k sy + u sz, written out independently
        wt = 2 * np.pi * t / 20.0
        v, w, u = 1.0 + 0.5 * np.cos(wt), 1.0 - 0.5 * np.cos(wt), 0.5 * np.sin(wt)
        return np.stack([v + w * np.cos(k), w * np.sin(k), u + 0 * k], axis=-1)

    ref = fhs_eigh(h, periodic_grid(24), periodic_grid(30, 0.0, 20.0))
    assert res.flux == pytest.approx(ref, abs=1e-9)
    assert abs(ref / (2 * np.pi) + 1) < 1e-9
    # half a cycle is an open cylinder: not quantised
    half = berrykin.chern_number(model, ("p_x", "t"), bounds=(None, (0.0, 10.0)), shape=(24, 30))
    assert half.periodic == (True, False) and not half.closed


# -- massive Dirac: open surfaces ----------------------------------------------------------------
def box_solid_angle(K, m):
    """Flux of F = m/E^3 over the square [-K, K]^2: sgn(m) x solid angle of the square seen
    from height |m|."""
    return 4 * np.sign(m) * np.arctan(K * K / (abs(m) * np.sqrt(m * m + 2 * K * K)))


def disc_flux(K, m):
    return 2 * np.pi * np.sign(m) * (1 - abs(m) / np.sqrt(K * K + m * m))


@pytest.mark.filterwarnings("ignore::berrykin.errors.ResolutionWarning")  # K = 30: coarse on purpose
@pytest.mark.parametrize("m", [0.7, -1.3])
@pytest.mark.parametrize("K", [3.0, 30.0])
def test_massive_dirac_open_box_flux(m, K):
    model = MassiveDirac2D(m=m)
    lo = berrykin.chern_number(model, bounds=((-K, K), (-K, K)), shape=(40, 40), band=-1)
    assert not lo.closed and lo.periodic == (False, False)
    flux_F = lo.flux / chern_mod.charge(-1)  # q_{-1} = +1/2
    # the image of a straight edge is a great-circle arc: exact on any grid
    assert flux_F == pytest.approx(box_solid_angle(K, m), abs=1e-9)
    inner, outer = disc_flux(K, m), disc_flux(np.sqrt(2) * K, m)
    assert min(inner, outer) <= flux_F <= max(inner, outer)
    assert abs(flux_F - 2 * np.pi * np.sign(m)) <= 2 * np.pi * abs(m) / K
    up = berrykin.chern_number(model, bounds=((-K, K), (-K, K)), shape=(40, 40), band=1)
    assert up.flux == pytest.approx(-lo.flux, abs=1e-12)


def test_open_flux_matches_integral_of_curvature_in_a_mixed_plane():
    # flux of q_{-1} F_{x p_y} through a small rectangle of the (x, p_y) plane of a textured
    # ferromagnet vs the midpoint rule on the autodiff curvature
    model = TexturedFerromagnet2D()
    bounds = ((0.5, 1.5), (-0.3, 0.4))
    point = {"y": 0.7, "p_x": 0.2}
    res = berrykin.chern_number(model, ("x", "p_y"), bounds=bounds, shape=(60, 60), point=point)
    n = 200
    xs = 0.5 + (np.arange(n) + 0.5) / n
    ps = -0.3 + 0.7 * (np.arange(n) + 0.5) / n
    X, P = np.meshgrid(xs, ps, indexing="ij")
    r = np.stack([X, np.full_like(X, 0.7)], axis=-1)
    p = np.stack([np.full_like(X, 0.2), P], axis=-1)
    F = berrykin.berry_curvature(model, r, p)[..., 0, 3]  # F_{x p_y}
    integral = 0.5 * F.sum() * (1.0 / n) * (0.7 / n)
    assert abs(integral) > 0.01
    assert res.flux == pytest.approx(integral, rel=1e-4)


def test_skyrmion_number_in_real_space():
    # at p = 0 the texture is the skyrmion n(r); reference: Int n.(d_x n x d_y n) by central
    # differences of the closed-form profile (radius 2, width 2), written out here
    def n_of(x, y, R=2.0, w=2.0):
        rho2 = x * x + y * y
        lam = R * np.exp((R * R - rho2) / (2 * w * w))
        den = rho2 + lam * lam
        return np.stack([2 * lam * x / den, 2 * lam * y / den, (rho2 - lam * lam) / den], axis=-1)

    L, n, h = 8.0, 400, 1e-5
    xs = -L + 2 * L * (np.arange(n) + 0.5) / n
    X, Y = np.meshgrid(xs, xs, indexing="ij")
    nx = (n_of(X + h, Y) - n_of(X - h, Y)) / (2 * h)
    ny = (n_of(X, Y + h) - n_of(X, Y - h)) / (2 * h)
    ref = np.sum(n_of(X, Y) * np.cross(nx, ny)) * (2 * L / n) ** 2
    assert ref == pytest.approx(-4 * np.pi, abs=1e-3)
    model = TexturedFerromagnet2D()
    res = berrykin.chern_number(model, ("x", "y"), bounds=((-L, L), (-L, L)), shape=(200, 200))
    assert not res.closed
    assert res.flux / 0.5 == pytest.approx(ref, abs=1e-4)
    # far enough out the texture is uniform on the edges: a closed surface, an exact integer
    big = berrykin.chern_number(model, ("x", "y"), bounds=((-20, 20), (-20, 20)), shape=(200, 200))
    assert big.closed and big.periodic == (True, True)
    assert big.flux / 0.5 == pytest.approx(-4 * np.pi, abs=1e-9)


# -- monopoles ------------------------------------------------------------------------------------
@pytest.mark.parametrize("c", [1, -1])
def test_weyl_monopole_charge(c):
    res = berrykin.monopole_charge(Weyl3D(chirality=c), (0.0, 0.0, 0.0))
    assert isinstance(res, MonopoleCharge)
    assert res.nearest_integer == c
    assert res.flux == pytest.approx(4 * np.pi * c, abs=1e-9)
    assert res.charge == pytest.approx(c, abs=1e-10)
    off = berrykin.monopole_charge(Weyl3D(chirality=c), (0.003, -0.002, 0.001), radius=0.01, n=8)
    assert off.flux == pytest.approx(4 * np.pi * c, abs=1e-9)
    away = berrykin.monopole_charge(Weyl3D(chirality=c), (0.5, 0.0, 0.0), radius=0.1)
    assert abs(away.flux) < 1e-9 and away.nearest_integer == 0


@pytest.mark.parametrize("m_dot", [0.5, -2.0])
def test_moving_mass_monopole_in_p_t_space(m_dot):
    # Delta = 2 (p_x, p_y, m + m_dot t) vanishes at (0, 0, -m/m_dot): charge sgn(m_dot)
    model = MassiveDirac2D(m=0.4, m_dot=m_dot)
    res = berrykin.monopole_charge(model, (0.0, 0.0, -0.4 / m_dot), ("p_x", "p_y", "t"),
                                   radius=0.05, n=16)
    assert res.nearest_integer == np.sign(m_dot)
    assert res.flux == pytest.approx(4 * np.pi * np.sign(m_dot), abs=1e-9)


# -- results and errors ---------------------------------------------------------------------------
def test_results_are_frozen_and_export_to_xarray():
    res = berrykin.chern_number(QWZ(m=1.0), shape=(20, 24))
    with pytest.raises(AttributeError):
        res.flux = 0.0
    ds = res.to_dataset()
    assert float(ds["chern"]) == pytest.approx(res.chern)
    assert int(ds["nearest_integer"]) == -1
    assert list(ds["axis"].values) == ["p_x", "p_y"]
    assert list(ds["shape"].values) == [20, 24]
    np.testing.assert_allclose(ds["bounds"].values, [[-np.pi, np.pi], [-np.pi, np.pi]])
    assert ds.attrs["band"] == -1 and ds.attrs["closed"] == 1
    mono = berrykin.monopole_charge(Weyl3D(chirality=1), (0, 0, 0)).to_dataset()
    assert int(mono["nearest_integer"]) == 1


def _raises(field, fn, *args, **kw):
    with pytest.raises(ParameterError) as info:
        fn(*args, **kw)
    err = info.value
    assert err.field == field and field in str(err) and err.allowed
    return err


def test_bad_plane_names():
    err = _raises("plane", berrykin.chern_number, QWZ(), ("k_x", "k_y"))
    assert "p_x" in err.allowed and err.value == ("k_x", "k_y")
    _raises("plane", berrykin.chern_number, QWZ(), ("p_x", "p_x"))
    _raises("plane", berrykin.chern_number, QWZ(), "p_x")
    _raises("plane", berrykin.chern_number, QWZ(), ("p_x", "p_y", "t"))
    _raises("plane", berrykin.chern_number, QWZ(), ("p_x", "p_z"))  # no p_z in 2D
    _raises("coords", berrykin.monopole_charge, Weyl3D(), (0, 0, 0), ("p_x", "p_y"))


def test_missing_or_bad_bounds():
    err = _raises("bounds", berrykin.chern_number, MassiveDirac2D(), ("p_x", "p_y"))
    assert "p_x" in err.allowed
    err = _raises("bounds", berrykin.chern_number, RiceMele(), ("p_x", "t"))
    assert "'t'" in err.allowed
    _raises("bounds", berrykin.chern_number, QWZ(), bounds=((1.0, -1.0), None))
    _raises("bounds", berrykin.chern_number, QWZ(), bounds=((0.0, np.inf), None))
    _raises("bounds", berrykin.chern_number, QWZ(), bounds=(None,))
    # the gap closes on the grid (massless Dirac at p = 0, a grid point): GapClosingError there
    with pytest.raises(GapClosingError) as info:
        berrykin.chern_number(MassiveDirac2D(m=0.0), bounds=((-1, 1), (-1, 1)), shape=(10, 10))
    assert abs(info.value.point["p_x"]) < 1e-12 and abs(info.value.point["p_y"]) < 1e-12


def test_other_bad_arguments():
    _raises("band", berrykin.chern_number, QWZ(), band=0)
    _raises("shape", berrykin.chern_number, QWZ(), shape=(1, 10))
    _raises("shape", berrykin.chern_number, QWZ(), shape=10)
    _raises("point", berrykin.chern_number, QWZ(), point={"p_x": 0.1})
    _raises("point", berrykin.chern_number, QWZ(), point={"q": 0.1})
    _raises("radius", berrykin.monopole_charge, Weyl3D(), (0, 0, 0), radius=-1.0)
    _raises("center", berrykin.monopole_charge, Weyl3D(), (0, 0))
    _raises("n", berrykin.monopole_charge, Weyl3D(), (0, 0, 0), n=1)
    assert math.isfinite(berrykin.chern_number(QWZ(), point={"t": 1.0}, shape=(16, 16)).flux)
