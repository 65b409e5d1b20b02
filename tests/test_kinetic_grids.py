"""Finite-volume grids against closed-form volumes, areas and quadratures.

Each metric quantity is compared with an independent formula written here (areas of annular
sectors, spherical shells and cones), and the identity ``area/volume = face_factor *
cell_factor`` that makes the update exactly conservative is checked face by face.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from berrykin.errors import ParameterError
from berrykin.kinetic import (
    Axis,
    AxisymmetricGrid,
    CartesianMomentumGrid,
    HomogeneousGrid,
    PhaseSpaceGrid,
    PolarGrid,
    SpaceGrid,
    SphericalGrid,
)


def test_axis_validation():
    with pytest.raises(ParameterError):
        Axis("k", [0.0, 1.0, 0.5])
    ax = Axis.uniform("x", -1, 1, 4, periodic=True)
    assert ax.n == 4 and ax.periodic and np.allclose(ax.widths, 0.5)
    with pytest.raises(ValueError):
        ax.edges[0] = 3.0  # read-only


def test_polar_metric_matches_annular_sectors():
    edges = np.array([0.0, 0.3, 0.7, 1.5, 3.0])
    g = PolarGrid.from_edges(edges, 6)
    V = g.volumes()
    # annulus sector areas: (k1^2 - k0^2) dphi / 2; total pi K^2
    assert np.isclose(V.sum(), math.pi * 9.0, rtol=1e-14)
    dphi = 2 * math.pi / 6
    # radial face at k_i: arc length k_i dphi; phi face: dk
    for i in range(4):
        for j in range(6):
            assert np.isclose(g.face_factor(0)[i, 0] * g.cell_factor(0)[i, 0], edges[i] * dphi / V[i, j])
            assert np.isclose(g.face_factor(1)[0, 0] * g.cell_factor(1)[i, j], (edges[i + 1] - edges[i]) / V[i, j])
    assert g.boundary_names(0) == (None, "k_outer")  # zero-area inner face at k = 0
    assert PolarGrid.from_edges(edges + 0.1, 6).boundary_names(0) == ("k_inner", "k_outer")


def test_spherical_metric_matches_shells_and_cones():
    g = SphericalGrid.uniform(0.5, 2.0, 3, 4, 5)
    V = g.volumes()
    assert np.isclose(V.sum(), 4 * math.pi / 3 * (8.0 - 0.125), rtol=1e-14)
    k, th, dphi = g.k.edges, g.theta.edges, 2 * math.pi / 5
    i, j, l = 1, 2, 3
    Vc = (k[i + 1] ** 3 - k[i] ** 3) / 3 * (math.cos(th[j]) - math.cos(th[j + 1])) * dphi
    assert np.isclose(V[i, j, l], Vc)
    area_k = k[i] ** 2 * (math.cos(th[j]) - math.cos(th[j + 1])) * dphi  # sphere patch
    area_t = math.sin(th[j]) * (k[i + 1] ** 2 - k[i] ** 2) / 2 * dphi  # cone patch
    area_p = (k[i + 1] ** 2 - k[i] ** 2) / 2 * (th[j + 1] - th[j])  # half-plane patch
    for a, area in ((0, area_k), (1, area_t), (2, area_p)):
        ff = np.broadcast_to(g.face_factor(a), g.face_shape(a))
        cf = np.broadcast_to(g.cell_factor(a), g.shape)
        assert np.isclose(ff[i, j, l] * cf[i, j, l], area / Vc, rtol=1e-13)
    assert g.boundary_names(1) == (None, None)


@pytest.mark.parametrize("grid", [
    PolarGrid.from_edges([0.1, 0.4, 1.0, 2.2], 5),
    SphericalGrid.uniform(0.2, 2.0, 3, 4, 3),
    AxisymmetricGrid.uniform(0.2, 2.0, 4, 5),
    CartesianMomentumGrid.box(2, 1.5, 4),
    PhaseSpaceGrid(SpaceGrid.box(2, 1.0, 3, periodic=False), PolarGrid.uniform(0.0, 1.0, 3, 4)),
])
def test_transverse_measure_is_constant_along_each_axis(grid):
    """volume * cell_factor_a is the same on both sides of every face: exact telescoping."""
    for a in range(grid.ndim):
        tau = np.broadcast_to(grid.transverse(a), grid.shape)
        assert np.allclose(np.diff(tau, axis=a), 0.0, atol=1e-14 * np.abs(tau).max())


def test_axisymmetric_equals_spherical_summed_over_phi():
    s = SphericalGrid.uniform(0.2, 2.0, 3, 4, 7)
    a = AxisymmetricGrid.uniform(0.2, 2.0, 3, 4)
    assert np.allclose(a.volumes(), s.volumes().sum(axis=2), rtol=1e-14)


@pytest.mark.parametrize("grid", [
    PolarGrid.from_edges([0.0, 0.5, 1.1, 2.0], 6),
    SphericalGrid.uniform(0.3, 1.7, 3, 3, 4),
    CartesianMomentumGrid.box(2, 1.0, 3),
    CartesianMomentumGrid.box(3, 1.0, 2),
])
def test_cell_average_integrates_polynomials_exactly(grid):
    """sum_c volume_c <f>_c = Int f over the grid (closed forms): f = 1 + |p|^4 on curvilinear
    grids (a polynomial in the radial coordinate), f = 1 + px^2 py^2 on Cartesian ones."""
    if isinstance(grid, CartesianMomentumGrid):
        f = lambda p: 1.0 + p[..., 0] ** 2 * p[..., 1] ** 2  # noqa: E731
        exact = 2.0 ** grid.dim + 2.0 ** (grid.dim - 2) * (2 / 3) ** 2
    else:
        f = lambda p: 1.0 + np.sum(p ** 2, axis=-1) ** 2  # noqa: E731
        k0, k1 = grid.k.edges[0], grid.k.edges[-1]
        if isinstance(grid, PolarGrid):
            exact = math.pi * (k1 ** 2 - k0 ** 2) + 2 * math.pi * (k1 ** 6 - k0 ** 6) / 6
        else:
            exact = 4 * math.pi * ((k1 ** 3 - k0 ** 3) / 3 + (k1 ** 7 - k0 ** 7) / 7)
    total = float(np.sum(grid.cell_average(f, 4) * grid.volumes()))
    assert np.isclose(total, exact, rtol=1e-12)


def test_product_grid_factorises():
    sp = SpaceGrid.box(2, 1.0, 3, periodic=True)
    mg = PolarGrid.uniform(0.0, 2.0, 4, 5)
    g = PhaseSpaceGrid(sp, mg)
    assert g.shape == (3, 3, 4, 5) and g.dim == 2 and g.n_space == 2
    assert np.isclose(np.broadcast_to(g.volumes(), g.shape).sum(), 4.0 * math.pi * 4.0)
    # compact factors: space axes carry no momentum dependence and vice versa
    assert g.cell_factor(0).shape == (3, 1, 1, 1) and g.face_factor(2).shape == (1, 1, 5, 1)
    assert g.boundary_names(0) == (None, None) and g.boundary_names(2) == (None, "k_outer")
    h = HomogeneousGrid(mg, r0=(0.5, -0.5))
    assert h.shape == mg.shape and h.r0 == (0.5, -0.5) and np.isclose(h.measure, 1 / (2 * math.pi) ** 2)
