"""Finite-volume grids of phase space: momentum grids, real-space grids and their product.

Every grid is immutable and orthogonal: a product of 1D axes (:class:`Axis`, cell edges). The
finite-volume update of axis ``a`` is written so that it is exactly conservative::

    d_t nbar_c = -cell_factor_a[c] (Phi_{c+1/2} - Phi_{c-1/2}),   Phi = u_n face_factor_a n_face

with ``u_n`` the physical normal velocity at the face centre and the identity
``area(face) / volume(cell) = face_factor_a(face) cell_factor_a(cell)`` for both cells of a
face. ``volume * cell_factor_a`` (the *transverse measure*, :meth:`Grid.transverse`) is the
same on both sides of every face, so sum_c volume_c d_t nbar_c telescopes to the boundary
faces. Metric factors (units: momentum^d, or length^d momentum^d for phase space):

=================  ======================  ===============  ===================================
grid               cell volume             face factor      cell factor
=================  ======================  ===============  ===================================
Cartesian x_a      prod_a dx_a             1                1/dx_a
polar k            (k1^2-k0^2)/2 dphi      k_face           2/(k1^2-k0^2)
polar phi                                  1                1/(kbar dphi), kbar=(k0+k1)/2
spherical k        (k1^3-k0^3)/3 dcos dphi k_face^2         3/(k1^3-k0^3)
spherical theta    (dcos = cos t0-cos t1)  sin(theta_face)  3(k1^2-k0^2)/(2(k1^3-k0^3) dcos)
spherical phi                              1                3(k1^2-k0^2) dtheta/(2(k1^3-k0^3) dcos dphi)
=================  ======================  ===============  ===================================

The axisymmetric grid is the spherical one with ``dphi = 2 pi`` and no phi axis. Arrays with a
band axis have shape ``(2,) + grid.shape`` (bands s = +1, -1). Momentum integrals carry the
measure ``1/(2 pi)^d`` (paper after Eq. 6) through :attr:`Grid.measure`.
"""

from .base import Axis, Grid, MomentumGrid
from .cartesian import CartesianMomentumGrid, SpaceGrid
from .curvilinear import AxisymmetricGrid, PolarGrid, SphericalGrid
from .phase_space import HomogeneousGrid, PhaseSpaceGrid

__all__ = [
    "Axis", "Grid", "MomentumGrid", "CartesianMomentumGrid", "PolarGrid", "SphericalGrid",
    "AxisymmetricGrid", "SpaceGrid", "PhaseSpaceGrid", "HomogeneousGrid",
]
