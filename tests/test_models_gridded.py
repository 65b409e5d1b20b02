"""GriddedTexture: interpolation order, masks, periodicity, and the skyrmion's Berry flux.

References: analytic textures written out here in jax.numpy (a Belavin-Polyakov skyrmion
n = (2 L x, 2 L y, rho^2 - L^2)/(rho^2 + L^2), smooth periodic and 3D textures) and their exact
derivatives; the topological charge -1 of a skyrmion with core -z and far field +z; the closed
form density -4 L^2/(rho^2 + L^2)^2 of the BP skyrmion integrated by adaptive quadrature
(scipy.integrate.dblquad). Orders of accuracy are fitted over a refinement sequence.
"""

from __future__ import annotations

import math
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import dblquad

import berrykin as bk
from berrykin.errors import ParameterError, ShapeError, TextureDomainError
from berrykin.models import GriddedTexture, InvalidPoints, Skyrmion, TexturedFerromagnet2D


@pytest.fixture(autouse=True)
def _float64():
    """float64 inside this module only (no global JAX setting)."""
    with jax.enable_x64(True):
        yield


def bp_skyrmion(lam):
    """The pure Belavin-Polyakov skyrmion (core -z, far field +z), charge -1 in the plane."""
    def n(r):
        rho2 = r[0] ** 2 + r[1] ** 2
        return jnp.stack([2 * lam * r[0], 2 * lam * r[1], rho2 - lam**2]) / (rho2 + lam**2)
    return n


def periodic_texture(period):
    """A smooth unit-vector field with period ``period`` along x and y."""
    k = 2 * math.pi / period

    def n(r):
        a = k * r[0] + 0.4 * jnp.sin(k * r[1])
        b = 1.1 + 0.5 * jnp.sin(k * r[1]) * jnp.cos(k * r[0])
        return jnp.stack([jnp.cos(a) * jnp.sin(b), jnp.sin(a) * jnp.sin(b), jnp.cos(b)])
    return n


def texture_3d(r):
    v = jnp.stack([jnp.sin(0.7 * r[0] + 0.3 * r[2]), jnp.cos(0.5 * r[1]) * jnp.sin(0.4 * r[2]),
                   1.5 + jnp.cos(0.6 * r[0] - 0.2 * r[1])])
    return v / jnp.linalg.norm(v)


def _errors(grid, exact, points):
    """Max |n - n_exact| and max |d n/d r - exact| over points (N, d)."""
    both = jax.jit(jax.vmap(lambda r: (grid(r), jax.jacfwd(grid)(r))))
    ref = jax.jit(jax.vmap(lambda r: (exact(r), jax.jacfwd(exact)(r))))
    (n, dn), (n0, dn0) = both(points), ref(points)
    return float(jnp.max(jnp.abs(n - n0))), float(jnp.max(jnp.abs(dn - dn0)))


def _fitted_orders(exact, lower, upper, sizes, points, **options):
    errs = np.array([_errors(GriddedTexture.sample(exact, lower, upper, (n,) * len(lower), **options),
                             exact, points) for n in sizes])
    logh = -np.log(np.asarray(sizes, dtype=float))
    return [np.polyfit(logh, np.log(errs[:, k]), 1)[0] for k in range(2)], errs


def test_interpolates_the_samples_exactly():
    tex = GriddedTexture.sample(Skyrmion(), (-6, -6), (6, 6), (24, 20))
    n = jax.jit(jax.vmap(tex))(jnp.asarray(tex.cell_centers.reshape(-1, 2)))
    assert np.max(np.abs(np.asarray(n) - tex.unit_values.reshape(-1, 3))) < 1e-15
    assert tex.cell_centers.shape == (24, 20, 2)
    assert np.allclose(tex.bounds, ((-6.0, -6.0), (6.0, 6.0)), rtol=0, atol=1e-14)


def test_interpolation_order_bounded_including_edge_cells():
    """Documented order: 3 for n, 2 for d n (Catmull-Rom, quadratic ghosts at the edges)."""
    rng = np.random.default_rng(1)
    pts = jnp.asarray(rng.uniform(-6.0, 6.0, (300, 2)))
    pts = jnp.concatenate([pts, jnp.asarray([[-6.0, -6.0], [6.0, 5.99], [-5.999, 0.3]])])
    (p_val, p_der), errs = _fitted_orders(bp_skyrmion(1.5), (-6, -6), (6, 6), (24, 48, 96, 192), pts)
    assert 2.7 < p_val < 3.4, (p_val, errs)
    assert 1.8 < p_der < 2.4, (p_der, errs)
    assert errs[-1, 0] < 1e-4


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
def test_interpolation_order_periodic_and_wrapping():
    L = 5.0
    exact = periodic_texture(L)
    rng = np.random.default_rng(2)
    pts = jnp.asarray(rng.uniform(-L, 2 * L, (300, 2)))  # outside one period: wraps
    (p_val, p_der), errs = _fitted_orders(exact, (0, 0), (L, L), (16, 32, 64, 128), pts, periodic=True)
    assert 2.7 < p_val < 3.4, (p_val, errs)
    assert 1.8 < p_der < 2.4, (p_der, errs)


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
def test_interpolation_order_3d():
    rng = np.random.default_rng(3)
    pts = jnp.asarray(rng.uniform(0.0, 2.0, (200, 3)))
    (p_val, p_der), errs = _fitted_orders(texture_3d, (0, 0, 0), (2, 2, 2), (8, 16, 32), pts)
    assert 2.6 < p_val < 3.5, (p_val, errs)
    assert 1.7 < p_der < 2.5, (p_der, errs)


def _gl_points(lower, upper, cells, order=3):
    """Gauss-Legendre nodes (N, 2) and weights (N,), ``order`` per interval and axis, on the
    intervals between the outer faces and the cell centres of ``cells`` cells: the interpolant
    is smooth on each of them (its pieces join at the cell centres)."""
    x, w = np.polynomial.legendre.leggauss(order)
    axes, weights = [], []
    for lo, hi, n in zip(lower, upper, cells):
        h = (hi - lo) / n
        breaks = np.concatenate([[lo], lo + h * (np.arange(n) + 0.5), [hi]])
        left, width = breaks[:-1], np.diff(breaks)
        axes.append((left[:, None] + width[:, None] * (x[None, :] + 1) / 2).ravel())
        weights.append((width[:, None] * w[None, :] / 2).ravel())
    X, Y = np.meshgrid(*axes, indexing="ij")
    return np.stack([X.ravel(), Y.ravel()], axis=-1), np.outer(*weights).ravel()


def _real_space_flux(texture, lower, upper, cells):
    """(1/4 pi) Int F_xy dx dy of TexturedFerromagnet2D(texture) at p = 0 (berrykin.geometry)."""
    model = TexturedFerromagnet2D(texture=texture, rashba=0.3)
    pts, w = _gl_points(lower, upper, cells)
    F = bk.berry_curvature(model, r=pts, p=np.zeros(2))[..., 0, 1]
    return float(np.sum(w * F) / (4 * math.pi))


def test_skyrmion_flux_after_ovf_round_trip(tmp_path):
    """Localised BP skyrmion (berrykin's Skyrmion) on 128^2 through OVF: flux = charge -1."""
    sk = Skyrmion(radius=2.0, width=2.0)
    lower, upper = (-10.0, -10.0), (10.0, 10.0)
    path = tmp_path / "skyrmion.ovf"
    GriddedTexture.sample(sk, lower, upper, (128, 128)).to_ovf(path, format="binary 8")
    tex = GriddedTexture.from_ovf(path)
    q_grid = _real_space_flux(tex, lower, upper, (128, 128))
    q_exact = _real_space_flux(sk, lower, upper, (128, 128))
    assert abs(q_grid - (-1.0)) < 1e-3
    assert abs(q_exact - (-1.0)) < 1e-3
    assert abs(q_grid - q_exact) < 1e-3


def test_bp_skyrmion_flux_in_a_box_against_closed_form(tmp_path):
    """Pure BP skyrmion (algebraic tails): flux through the box = closed-form integral."""
    lam, a = 1.5, 6.0
    ref, _ = dblquad(lambda y, x: -4 * lam**2 / (x * x + y * y + lam**2) ** 2 / (4 * math.pi),
                     -a, a, -a, a, epsabs=1e-12, epsrel=1e-12)
    path = tmp_path / "bp.ovf"
    GriddedTexture.sample(bp_skyrmion(lam), (-a, -a), (a, a), (128, 128)).to_ovf(path, format="text")
    tex = GriddedTexture.from_ovf(path)
    q = _real_space_flux(tex, (-a, -a), (a, a), (128, 128))
    disc = lambda R: -R * R / (R * R + lam * lam)  # closed form: charge inside a disc of radius R
    assert disc(a * math.sqrt(2)) < ref < disc(a)   # the box lies between its in- and circumcircle
    assert abs(q - ref) < 1e-3


def _disc_texture(invalid=InvalidPoints.RAISE):
    """BP skyrmion sampled on 40^2 cells with zero magnetisation outside a disc of radius 4."""
    tex = GriddedTexture.sample(bp_skyrmion(1.0), (-5, -5), (5, 5), (40, 40))
    centers = tex.cell_centers
    vals = np.array(tex.values)
    vals[np.hypot(centers[..., 0], centers[..., 1]) > 4.0] = 0.0
    return GriddedTexture(3.0 * vals, tex.spacing, tex.origin, invalid=invalid), tex


def test_masked_cells_are_masked_not_normalised():
    tex, full = _disc_texture()
    outside = np.hypot(tex.cell_centers[..., 0], tex.cell_centers[..., 1]) > 4.0
    assert np.array_equal(tex.mask, outside)
    assert np.all(tex.unit_values[outside] == 0.0) and np.all(tex.values[outside] == 0.0)
    assert np.allclose(np.linalg.norm(tex.unit_values[~outside], axis=-1), 1.0, atol=1e-15)
    # deep inside the sample the masked texture equals the full one (same stencils)
    r = jnp.asarray([[0.3, -0.7], [2.0, 1.0], [-1.1, 2.2]])
    assert np.allclose(jax.jit(jax.vmap(tex))(r), jax.jit(jax.vmap(full))(r), atol=1e-14)


def test_evaluating_next_to_a_masked_cell_raises_or_gives_nan():
    tex, _ = _disc_texture()
    bad = jnp.asarray([4.6, 0.0])  # between masked cells, inside the grid
    with pytest.raises(TextureDomainError, match="masked"):
        tex(bad)
    with pytest.raises(Exception, match="TextureDomainError.*masked"):  # from compiled code
        jax.jit(jax.vmap(tex))(jnp.stack([jnp.zeros(2), bad])).block_until_ready()
    # the geometry functions re-raise the original berrykin error, not JAX's wrapper
    with pytest.raises(TextureDomainError, match="masked"):
        bk.berry_curvature(TexturedFerromagnet2D(texture=tex), r=np.asarray(bad), p=np.zeros(2))
    nan_tex, _ = _disc_texture(InvalidPoints.NAN)
    out = np.asarray(jax.jit(jax.vmap(nan_tex))(jnp.stack([jnp.zeros(2), bad])))
    assert np.all(np.isfinite(out[0])) and np.all(np.isnan(out[1]))
    ok = tex.valid(np.array([[0.0, 0.0], [4.6, 0.0], [5.5, 0.0]]))
    assert ok.tolist() == [True, False, False]


def test_outside_the_grid_and_unresolved_raise():
    tex = GriddedTexture.sample(Skyrmion(), (-4, -4), (4, 4), (16, 16))
    with pytest.raises(TextureDomainError, match="outside the grid"):
        tex(jnp.asarray([4.01, 0.0]))
    assert tex.valid(np.array([[3.99, -3.99], [-4.0, 4.0]])).all()
    checker = np.zeros((8, 8, 3))
    checker[..., 2] = np.where((np.arange(8)[:, None] + np.arange(8)[None, :]) % 2 == 0, 1.0, -1.0)
    with pytest.raises(TextureDomainError, match="does not resolve"):
        GriddedTexture(checker, (1.0, 1.0))(jnp.asarray([3.0, 3.0]))  # between four centres


def test_model_integration_hashing_and_validation():
    tex = GriddedTexture.sample(Skyrmion(), (-4, -4), (4, 4), (16, 16))
    same = GriddedTexture(np.array(tex.values), tex.spacing, tex.origin)
    assert tex == same and hash(tex) == hash(same)
    assert TexturedFerromagnet2D(texture=tex) == TexturedFerromagnet2D(texture=same)
    tex(jnp.zeros(2))  # compiles the eager evaluator; pickling must still work
    again = pickle.loads(pickle.dumps(tex))
    assert again == tex and np.array_equal(np.asarray(again(jnp.zeros(2))), np.asarray(tex(jnp.zeros(2))))
    tex3 = GriddedTexture.sample(texture_3d, (0, 0, 0), (1, 1, 1), (4, 4, 4))
    with pytest.raises(ParameterError, match="2D GriddedTexture"):
        TexturedFerromagnet2D(texture=tex3)
    with pytest.raises(ShapeError):
        GriddedTexture(np.zeros((4, 4, 2)), (1.0, 1.0))
    with pytest.raises(ParameterError, match="spacing"):
        GriddedTexture(np.ones((4, 4, 3)), (1.0, -1.0))
    with pytest.raises(ParameterError, match="at least 2 cells"):
        GriddedTexture(np.ones((4, 1, 3)), (1.0, 1.0))
    assert GriddedTexture(np.ones((4, 1, 3)), (1.0, 1.0), periodic=True).shape == (4, 1)
    with pytest.raises(ParameterError, match="invalid"):
        GriddedTexture(np.ones((4, 4, 3)), (1.0, 1.0), invalid="ignore")


@pytest.mark.slow  # two sEOM integrations through a compiled gridded texture (~1 min on 2 cores)
def test_skyrmion_drift_through_a_gridded_texture_converges_to_the_analytic_one(tmp_path):
    """sEOM drift of a packet through a gridded skyrmion (from OVF) -> that of the analytic
    texture (the sEOM drift is checked against the exact lattice evolution in
    test_skyrmion_drift.py), with the error falling at least as h^2 (the order of F_xy)."""
    from berrykin.experiments.skyrmion import GaussianPacket, skyrmion_drift
    from berrykin.geometry.pointwise import CurvatureTerms

    sk = Skyrmion(radius=3.0, width=3.0)
    packet = GaussianPacket((-12.0, 0.5), (1.0, 0.0), 2.0)

    def run(tex):
        model = TexturedFerromagnet2D(exchange=2.0, rashba=0.0, texture=tex)
        return skyrmion_drift(model, packet, [0.0, 12.0], quadrature=1, curvature={"all": CurvatureTerms()})

    ref = run(sk).final()["all"]
    errs = []
    for n in (64, 128):
        path = tmp_path / f"sk{n}.ovf"
        GriddedTexture.sample(sk, (-16, -16), (16, 16), (n, n)).to_ovf(path)
        errs.append(abs(run(GriddedTexture.from_ovf(path)).final()["all"] - ref))
    assert ref > 0.9 and errs[1] < 1e-3 * ref
    assert errs[0] / errs[1] > 2**1.8, errs


def test_docstring_example():
    import doctest

    import berrykin.models.gridded as mod

    result = doctest.testmod(mod)
    assert result.attempted >= 4 and result.failed == 0
