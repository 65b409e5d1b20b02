"""Pointwise sKE coefficients in the canonical and kinetic-momentum frames (pure JAX).

At one phase-space point ``Y = (r, p, t)`` (shape ``(2d+1,)``) a frame returns the vector

    ``[xdot_+ (2d), xdot_- (2d), w (2d), G, K]``  (length ``6d + 2``)

* ``xdot_s``: the phase-space velocity of band s, Eq. (24) (canonical frame), or the same
  transformed to the kinetic momentum ``k = p - a(r, t)``: ``kdot = pdot - d_t a - (rdot.grad) a``
  (ERRATA 15; equal to Eqs. 37-38). Units: (length, momentum)/time.
* ``w = (1/4) F v_z``, ``v_z^i = d^i |Delta|``: the interband flux velocity of the corrected
  Eq. (26) (multiplied by ``SKETerms.interband_flux_coefficient`` in the solver). It is a
  phase-space vector field, so in the kinetic frame ``w_k = w_p - (w_r.grad) a`` (no d_t a).
* ``G = d^i|Delta| d_i F`` and ``K = d_t F + (1/2) d^i eps d_i F`` (scalars), so that
  ``H_s = (d_t + d^i eps_s d_i) F = K + (s/2) G`` (Eqs. 26, 27).

The change of frame ``(r, p) -> (r, k)`` has unit Jacobian, so the conservative form
``d_t n + d_i(n xdot^i + ...) = R`` keeps its shape with the transformed vectors and the same
scalar sources (ERRATA choice 7: ``d_t`` and ``d_r`` at fixed k). With ``homogeneous=True`` the
point function also returns ``[div_r rdot_+, div_r rdot_-, div_r w_r]`` (at fixed k), the local
terms of the homogeneous reduction. Index conventions: :mod:`berrykin.conventions`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError
from ..geometry import pointwise as pw
from ..models.base import Model
from ..models.fields import MinimalCoupling

__all__ = ["CanonicalFrame", "KineticFrame", "canonical_coefficients", "evaluate_frame", "n_coefficients"]

#: Points per compiled call; larger inputs are evaluated in chunks (padded to this size).
CHUNK = 1 << 14
_SIZES = (64, 1024, CHUNK)  # the few compiled shapes (compilation dominates small grids)


def n_coefficients(d, homogeneous=False):
    """Length of the per-point coefficient vector (``6d + 2``, plus 3 when homogeneous)."""
    return 6 * d + 2 + (3 if homogeneous else 0)


def canonical_coefficients(model, X, energy_shift=True, anomalous=True):
    """``[xdot_+, xdot_-, w, G, K]`` at the canonical point X (see module docstring).

    ``xdot^j = -J^{ij} (d_i bar-eps_s + q_s F_{ti}) - q_s d_i eps_s F^{ij}`` (Eq. 24), with
    ``bar-eps_s = eps_s - |Delta| F/4`` (Eq. 23) and ``F^{ij} = (J F J^T)_{ij}``;
    ``d_i F = (d_i(|Delta| F) - F d_i|Delta|)/|Delta|``.
    """
    d = model.dim
    n2 = 2 * d
    vals, g, Ften = pw.local_geometry(model, X)
    Dn = vals[1]
    Fs = vals[2] / Dn
    dF = (g[2] - Fs * g[1]) / Dn
    J = pw.symplectic(d, X.dtype)
    out = []
    for s in (1, -1):
        q = -0.5 * s
        ges = 0.5 * (g[0, :n2] + s * g[1, :n2])
        gbar = ges - 0.25 * g[2, :n2] if energy_shift else ges
        xdot = -gbar @ J
        if anomalous:
            Fup = J @ Ften[:n2, :n2] @ J.T
            xdot = xdot - q * (Ften[n2, :n2] @ J) - q * (ges @ Fup)
        out.append(xdot)
    vz = J @ g[1, :n2]
    w = 0.25 * Fs * vz
    G = vz @ dF[:n2]
    K = dF[n2] + 0.5 * (J @ g[0, :n2]) @ dF[:n2]
    return jnp.concatenate(out + [w, jnp.stack([G, K])])


def _homogeneous_terms(point, Y, d):
    """``[div_r rdot_+, div_r rdot_-, div_r w_r]`` of ``point`` at fixed momentum."""
    eye = jnp.eye(Y.shape[0], dtype=Y.dtype)
    div = jnp.zeros((3,), dtype=Y.dtype)
    for l in range(d):
        dC = jax.jvp(point, (Y,), (eye[l],))[1]
        div = div + jnp.stack([dC[l], dC[2 * d + l], dC[4 * d + l]])
    return div


@dataclass(frozen=True)
class CanonicalFrame:
    """The canonical phase space ``(r, p)`` of any model (Eq. 24, 26).

    >>> from berrykin.models import MassiveDirac2D
    >>> CanonicalFrame(MassiveDirac2D()).dim
    2
    """

    model: Model

    def __post_init__(self):
        if not isinstance(self.model, Model):
            raise ParameterError("model", self.model, "a berrykin Model")

    @property
    def dim(self):
        return self.model.dim

    @property
    def bare_model(self):
        """The model whose bare band energies define equilibrium states."""
        return self.model

    def point(self, Y, energy_shift=True, anomalous=True):
        return canonical_coefficients(self.model, Y, energy_shift, anomalous)


@dataclass(frozen=True)
class KineticFrame:
    """The kinetic-momentum frame ``(r, k = p - a(r, t))`` of a minimally coupled model
    (Sec. II D, Eqs. 33-38). Momentum coordinates of the grid are kinetic momenta.

    >>> from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField
    >>> KineticFrame(MinimalCoupling(MassiveDirac2D(), UniformMagneticField(b=0.1))).dim
    2
    """

    coupled: MinimalCoupling

    def __post_init__(self):
        if not isinstance(self.coupled, MinimalCoupling):
            raise ParameterError("coupled", self.coupled, "a MinimalCoupling(model, field)")

    @property
    def dim(self):
        return self.coupled.dim

    @property
    def bare_model(self):
        return self.coupled.model

    def point(self, Y, energy_shift=True, anomalous=True):
        d = self.dim
        field = self.coupled.field
        r, k, t = Y[:d], Y[d : 2 * d], Y[2 * d]
        X = jnp.concatenate([r, k + field.a(r, t), Y[2 * d :]])
        C = canonical_coefficients(self.coupled, X, energy_shift, anomalous)
        jac = jax.jacfwd(lambda Z: field.a(Z[:d], Z[d]))(jnp.concatenate([r, Y[2 * d :]]))
        Ar, At = jac[:, :d], jac[:, d]
        parts = []
        for s in range(2):
            v = C[2 * d * s : 2 * d * (s + 1)]
            parts += [v[:d], v[d:] - Ar @ v[:d] - At]
        w = C[4 * d : 6 * d]
        parts += [w[:d], w[d:] - Ar @ w[:d], C[6 * d :]]
        return jnp.concatenate(parts)


def _point_fn(frame, homogeneous, energy_shift, anomalous):
    d = frame.dim

    def f(Y):
        C = frame.point(Y, energy_shift, anomalous)
        if homogeneous:
            return jnp.concatenate([C, _homogeneous_terms(lambda Z: frame.point(Z, energy_shift, anomalous), Y, d)])
        return C

    return f


@functools.lru_cache(maxsize=64)
def _compiled(frame, homogeneous, energy_shift, anomalous):
    return jax.jit(jax.vmap(_point_fn(frame, homogeneous, energy_shift, anomalous)))


def evaluate_frame(frame, X, homogeneous=False, energy_shift=True, anomalous=True):
    """Coefficients at the points ``X`` (shape ``(N, 2d+1)``), float64, shape ``(N, n_coeff)``.

    Compiled once per frame and flag set (``jax.jit(jax.vmap(...))``), evaluated in chunks of
    :data:`CHUNK` points inside ``jax.enable_x64(True)``.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    with jax.enable_x64(True):
        try:
            f = _compiled(frame, bool(homogeneous), bool(energy_shift), bool(anomalous))
        except TypeError:  # unhashable frame
            f = jax.jit(jax.vmap(_point_fn(frame, homogeneous, energy_shift, anomalous)))
        n = X.shape[0]
        if n <= _SIZES[1]:
            size = _SIZES[0] if n <= _SIZES[0] else _SIZES[1]
        else:
            size = _SIZES[1] if n < 8 * CHUNK else CHUNK
        outs = []
        for start in range(0, n, size):
            block = X[start : start + size]
            m = block.shape[0]
            if m < size:
                block = np.concatenate([block, np.repeat(block[-1:], size - m, axis=0)])
            outs.append(np.asarray(f(block))[:m])
        return np.concatenate(outs) if outs else np.zeros((0, n_coefficients(frame.dim, homogeneous)))
