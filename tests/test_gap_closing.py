"""Gap closings are never silent (issue 12, item 4): geometry, Chern numbers, sKE coefficients.

References: closed forms (massless Dirac ``Delta = 2 v k``: texture ``k/|k|``, ``B_k = 0`` for
``k != 0``, band energies ``+-v|k|``; Weyl node ``B_k = c k/k^3``), the textbook QWZ lower-band
Chern number ``C_lower = -1`` for ``0 < m < 2`` and the exact location of the QWZ band touchings
at ``m = 0`` (the X points ``(pi, 0)`` and ``(0, pi)``).
"""

from __future__ import annotations

import math
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import berrykin
from berrykin.errors import BerrykinError, GapClosingError, IntegrationError, ResolutionWarning
from berrykin.geometry import CurvatureTerms
from berrykin.models import QWZ, MassiveDirac2D, TwoBandModel, Weyl3D

DIRAC0 = MassiveDirac2D(m=0.0)
P = np.array([[0.3, -0.4], [0.0, 0.0], [-1.2, 0.5]])  # the middle point is the node

UNDEFINED = [
    ("texture", lambda m, p, **kw: berrykin.texture(m, p=p, **kw)),
    ("berry_curvature", lambda m, p, **kw: berrykin.berry_curvature(m, p=p, **kw)),
    ("curvature_scalar", lambda m, p, **kw: berrykin.curvature_scalar(m, p=p, **kw)),
    ("energy_shift", lambda m, p, **kw: berrykin.energy_shift(m, p=p, **kw)),
    ("liouville_factor", lambda m, p, **kw: berrykin.liouville_factor(m, p=p, **kw)),
    ("momentum_berry_field", lambda m, p, **kw: berrykin.momentum_berry_field(m, p=p, **kw)),
    ("momentum_electric_field", lambda m, p, **kw: berrykin.momentum_electric_field(m, p=p, **kw)),
    ("magnetic_moment", lambda m, p, **kw: berrykin.magnetic_moment(m, p=p, **kw)),
    ("band_energies(corrected)", lambda m, p, **kw: berrykin.band_energies(m, p=p, corrected=True, **kw)),
    ("phase_space_velocity", lambda m, p, **kw: berrykin.phase_space_velocity(m, p=p, **kw)),
    ("phase_space_velocity(curvature)", lambda m, p, **kw: berrykin.phase_space_velocity(
        m, p=p, curvature=CurvatureTerms(real=False), **kw)),
]


@pytest.mark.parametrize("name, fn", UNDEFINED, ids=[u[0] for u in UNDEFINED])
def test_geometry_raises_at_the_node_and_masks_on_request(name, fn):
    """Massless Dirac at k = 0: GapClosingError naming the point and |Delta| = 0; with
    nan_at_gap_closing=True exactly that point is NaN and the others are the regular values."""
    with pytest.raises(GapClosingError) as info:
        fn(DIRAC0, P)
    err = info.value
    assert err.point["p_x"] == 0.0 and err.point["p_y"] == 0.0 and err.gap == 0.0
    assert "p_x=0, p_y=0" in str(err) and "nan_at_gap_closing=True" in str(err)
    assert "\n" not in str(err) and isinstance(err, BerrykinError)
    masked = fn(DIRAC0, P, nan_at_gap_closing=True)
    node = np.isnan(masked[1])
    assert node.all()
    regular = fn(DIRAC0, P[[0, 2]])
    np.testing.assert_array_equal(masked[[0, 2]], regular)
    assert np.all(np.isfinite(regular))


def test_values_next_to_the_node_follow_the_closed_forms():
    """Massless Dirac (Delta = 2k): m = k/|k|, B_k = m/E^3 = 0, eps_s = s|k|; the uncorrected
    energies and Delta are defined at the node itself (0 there)."""
    k = P[[0, 2]]
    np.testing.assert_allclose(berrykin.texture(DIRAC0, p=k)[:, :2], k / np.linalg.norm(k, axis=-1)[:, None],
                               atol=1e-15)
    np.testing.assert_allclose(berrykin.momentum_berry_field(DIRAC0, p=k), 0.0, atol=1e-15)
    E = berrykin.band_energies(DIRAC0, p=P)
    np.testing.assert_allclose(E[:, 0], np.linalg.norm(P, axis=-1), atol=1e-15)
    np.testing.assert_allclose(E[:, 1], -np.linalg.norm(P, axis=-1), atol=1e-15)
    np.testing.assert_array_equal(berrykin.gap_vector(DIRAC0, p=P)[1], 0.0)


def test_weyl_node_is_named_and_masked():
    """A Weyl node at k = 0 (B_k = c k/k^3 elsewhere), inside a larger batch (chunked path)."""
    rng = np.random.default_rng(3)
    p = rng.normal(size=(70_000, 3))
    p[12_345] = 0.0
    with pytest.raises(GapClosingError) as info:
        berrykin.momentum_berry_field(Weyl3D(chirality=-1), p=p)
    assert info.value.point == {"p_x": 0.0, "p_y": 0.0, "p_z": 0.0, "t": 0.0} and info.value.count == 1
    B = berrykin.momentum_berry_field(Weyl3D(chirality=-1), p=p, nan_at_gap_closing=True)
    bad = np.isnan(B).any(axis=-1)
    assert np.flatnonzero(bad).tolist() == [12_345]
    k = np.delete(p, 12_345, axis=0)
    ref = -k / np.linalg.norm(k, axis=-1)[:, None] ** 3
    np.testing.assert_allclose(np.delete(B, 12_345, axis=0), ref, rtol=1e-10)


def test_non_finite_delta_is_reported_too():
    """A user gap that is NaN somewhere is no gap closing but is not silent either."""
    model = TwoBandModel(2, lambda r, p, t, P: 0.0,
                         lambda r, p, t, P: jnp.stack([p[0], p[1], jnp.sqrt(p[0] - 1.0)]))
    with pytest.raises(GapClosingError, match="Delta is not finite"):
        berrykin.berry_curvature(model, p=[0.5, 0.0])


# -- chern_number ---------------------------------------------------------------------------
def test_chern_raises_where_the_gap_closes_on_the_grid():
    """QWZ m = 0: the bands touch at X = (pi, 0) and (0, pi), both on the default grid."""
    with pytest.raises(GapClosingError) as info:
        berrykin.chern_number(QWZ(m=0.0), shape=(40, 40))
    err = info.value
    node = (abs(abs(err.point["p_x"]) - math.pi), abs(err.point["p_y"]))
    other = (abs(err.point["p_x"]), abs(abs(err.point["p_y"]) - math.pi))
    assert max(node) < 1e-12 or max(other) < 1e-12, err.point
    assert err.gap < 1e-12 and "chern_number" in str(err)


def test_chern_warns_when_the_grid_cannot_resolve_the_smallest_gap():
    """QWZ m = 2 - 1e-3: the cone at M has mass -1e-3, far below a 10 x 10 spacing."""
    with pytest.warns(ResolutionWarning, match="refine shape"):
        berrykin.chern_number(QWZ(m=2.0 - 1e-3), shape=(10, 10))


def test_chern_resolved_grid_is_silent_and_right():
    """QWZ m = 1 on 40 x 40: no error, no warning, C_lower = -1 (textbook)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = berrykin.chern_number(QWZ(m=1.0), shape=(40, 40))
    assert res.nearest_integer == -1 and abs(res.chern + 1) < 1e-12


# -- the sKE coefficients ---------------------------------------------------------------------
def test_kinetic_solver_names_a_gap_closing_on_a_face():
    """Delta = (p_x, p_y - 1/4, 0) closes on the p_x face at (0, 1/4) of a 4 x 4 box: the solver
    raised IntegrationError ("reduce Scheme.cfl") before; now it names the face."""
    from berrykin.kinetic import CanonicalFrame, CartesianMomentumGrid, KineticSolver

    model = TwoBandModel(2, lambda r, p, t, P: 0.0,
                         lambda r, p, t, P: jnp.stack([p[0], p[1] - 0.25, 0.0 * p[0]]))
    grid = CartesianMomentumGrid.box(2, 1.0, 4)
    solver = KineticSolver(CanonicalFrame(model), grid)
    n0 = np.zeros((2,) + grid.shape)
    n0[1] = 1.0
    with pytest.raises(GapClosingError) as info:
        solver.solve(n0, (0.0, 0.1))
    assert not isinstance(info.value, IntegrationError)
    assert info.value.point == {"p_x": 0.0, "p_y": 0.25, "t": 0.0}
