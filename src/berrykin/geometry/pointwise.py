"""Geometry of the texture at a single point X = (r_1..r_d, p_1..p_d, t), as pure JAX functions.

These are the compiled cores behind :mod:`berrykin.geometry.api`; each takes the model and one
point ``X`` of shape ``(2d+1,)`` and is vectorised there with ``jax.vmap``. Derivatives are exact
(forward-mode automatic differentiation), never finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError


@dataclass(frozen=True)
class CurvatureTerms:
    """Which blocks of the Berry curvature F_IJ enter the anomalous (q_s) terms of Eq. 24.

    ``real``: F_{r_i r_j} (the emergent magnetic field of a real-space texture, e.g. a skyrmion);
    ``mixed``: F_{r_i p_j} = -F_{p_j r_i}; ``momentum``: F_{p_i p_j} (momentum-space curvature,
    anomalous Hall velocity); ``time``: F_{t r_i}, F_{t p_i} (emergent electric fields, e.g. of a
    moving texture or a pump). A block switched off is set to zero in ``F_IJ`` before it is raised
    with J, so every term of Eq. 24 containing it vanishes. The default keeps all of them (the
    full Eq. 24). The Eq. 23 energy shift ``-|Delta| F/4`` (F the trace of the mixed block) is not
    affected; it has its own ``energy_shift`` switch.

    >>> CurvatureTerms(real=False).off
    ('real',)
    """

    real: bool = True
    mixed: bool = True
    momentum: bool = True
    time: bool = True

    GROUPS = ("real", "mixed", "momentum", "time")

    def __post_init__(self):
        for name in self.GROUPS:
            v = getattr(self, name)
            if not isinstance(v, (bool, np.bool_)):
                raise ParameterError(f"curvature.{name}", v, "True or False")
            object.__setattr__(self, name, bool(v))

    @classmethod
    def none(cls) -> "CurvatureTerms":
        """Every block off (the Eq. 24 velocity without its q_s terms)."""
        return cls(False, False, False, False)

    @classmethod
    def without(cls, *groups: str) -> "CurvatureTerms":
        """All blocks on except ``groups`` (names from :attr:`GROUPS`)."""
        for g in groups:
            if g not in cls.GROUPS:
                raise ParameterError("groups", g, f"one of {cls.GROUPS}")
        return cls(**{g: g not in groups for g in cls.GROUPS})

    @property
    def off(self) -> tuple:
        """Names of the blocks switched off."""
        return tuple(g for g in self.GROUPS if not getattr(self, g))

    def weights(self) -> np.ndarray:
        """``(real, mixed, momentum, time)`` as float64 0/1 weights (a traceable form)."""
        return np.array([float(getattr(self, g)) for g in self.GROUPS])

    def as_dict(self) -> dict:
        return {g: getattr(self, g) for g in self.GROUPS}


ALL_CURVATURE = CurvatureTerms()


def split(model, X):
    """``(r, p, t)`` from a point ``X`` of shape ``(2d+1,)``."""
    d = model.dim
    return X[:d], X[d : 2 * d], X[2 * d]


def gap_vector(model, X):
    """Delta at X, shape (3,)."""
    r, p, t = split(model, X)
    return model.gap(r, p, t)


def eps_scalar(model, X):
    """eps = Tr eps_hat at X."""
    r, p, t = split(model, X)
    return model.eps(r, p, t)


def symplectic(d, dtype=jnp.float64):
    """The 2d x 2d symplectic matrix with ``J^{r_l p_l} = +1`` (paper Eq. 10)."""
    eye = jnp.eye(d, dtype=dtype)
    zero = jnp.zeros((d, d), dtype=dtype)
    return jnp.block([[zero, eye], [-eye, zero]])


def curvature_from_jacobian(D, jac):
    """``F_IJ = Delta . (d_I Delta x d_J Delta) / |Delta|^3`` (Eq. 18 with the ERRATA form).

    D: (3,), jac: (3, n) with ``jac[a, I] = d_I Delta_a``. Returns (n, n), antisymmetric.
    Written with element-wise products only (no small matmuls), which XLA fuses well.
    """
    x, y, z = jac[0], jac[1], jac[2]
    c0 = y[:, None] * z[None, :] - z[:, None] * y[None, :]
    c1 = z[:, None] * x[None, :] - x[:, None] * z[None, :]
    c2 = x[:, None] * y[None, :] - y[:, None] * x[None, :]
    norm2 = D[0] * D[0] + D[1] * D[1] + D[2] * D[2]
    return (D[0] * c0 + D[1] * c1 + D[2] * c2) / (norm2 * jnp.sqrt(norm2))


def jacobian(fn, X):
    """Exact Jacobian of ``fn`` at X, one forward-mode pass per coordinate.

    The tangents are constant one-hot vectors, so XLA removes the work of coordinates a
    function does not depend on (e.g. t for a static texture). Returns (out..., n).
    """
    n = X.shape[0]
    eye = jnp.eye(n, dtype=X.dtype)
    cols = [jax.jvp(fn, (X,), (eye[i],))[1] for i in range(n)]
    return jnp.stack(cols, axis=-1)


def gap_jacobian(model, X):
    """``(Delta, d Delta)`` at X: shapes (3,) and (3, 2d+1), ``jac[a, I] = d_I Delta_a``.

    Same exact forward-mode derivatives as :func:`jacobian`, but each column differentiates
    ``model.gap`` with respect to one of ``r``, ``p`` or ``t`` only, so the other two enter as
    constants: JAX then skips their tangents altogether (symbolic zeros), e.g. the texture n(r)
    is not differentiated in the p columns and the t column of a static model costs nothing.
    (With one-hot tangents over all of X the zero tangents are carried through every
    operation.) ~20% less work for the textured ferromagnet; equal to :func:`jacobian` up to
    rounding.
    """
    r, p, t = split(model, X)
    D = model.gap(r, p, t)
    eye = jnp.eye(model.dim, dtype=X.dtype)
    cols = [jax.jvp(lambda r_: model.gap(r_, p, t), (r,), (eye[i],))[1] for i in range(model.dim)]
    cols += [jax.jvp(lambda p_: model.gap(r, p_, t), (p,), (eye[i],))[1] for i in range(model.dim)]
    cols.append(jax.jvp(lambda t_: model.gap(r, p, t_), (t,), (jnp.ones_like(t),))[1])
    return D, jnp.stack([jnp.broadcast_to(c, D.shape).astype(D.dtype) for c in cols], axis=-1)


def berry_tensor(model, X):
    """F_IJ over all 2d+1 coordinates at X, shape (2d+1, 2d+1)."""
    return curvature_from_jacobian(*gap_jacobian(model, X))


def scalar_curvature(F, d):
    """``F = sum_l F_{r_l p_l}`` from the tensor (paper after Eq. 21)."""
    idx = jnp.arange(d)
    return jnp.sum(F[idx, d + idx])


def _energy_terms(model, X):
    """(eps, |Delta|, |Delta| F) at X, with F_IJ as auxiliary output."""
    d = model.dim
    F = berry_tensor(model, X)
    Dn = jnp.linalg.norm(gap_vector(model, X))
    return jnp.stack([eps_scalar(model, X), Dn, Dn * scalar_curvature(F, d)]), F


def local_geometry(model, X):
    """Everything the sEOM need at X.

    Returns ``(vals, grads, F)`` with ``vals = (eps, |Delta|, |Delta| F)``, ``grads`` their
    derivatives over the 2d+1 coordinates (shape (3, 2d+1)) and ``F`` the tensor F_IJ.
    """
    vals, F = _energy_terms(model, X)
    grads = jacobian(lambda Y: _energy_terms(model, Y)[0], X)
    return vals, grads, F


def band_energies(model, X, corrected):
    """``(eps_+, eps_-)`` (Eq. 13), optionally plus ``delta eps = -|Delta| F / 4`` (Eq. 23)."""
    F = berry_tensor(model, X)
    e = eps_scalar(model, X)
    Dn = jnp.linalg.norm(gap_vector(model, X))
    shift = -Dn * scalar_curvature(F, model.dim) / 4.0 if corrected else 0.0
    return jnp.stack([(e + Dn) / 2 + shift, (e - Dn) / 2 + shift])


def curvature_mask(d, weights, dtype=jnp.float64):
    """(2d+1, 2d+1) block mask of F_IJ from weights ``(real, mixed, momentum, time)``.

    ``weights`` may be traced (0/1 floats), so one compiled velocity serves every combination.
    """
    w = jnp.asarray(weights, dtype=dtype)
    blk = jnp.array([0] * d + [1] * d + [2], dtype=jnp.int32)
    # group of the pair (I, J): rr -> real, rp/pr -> mixed, pp -> momentum, any t -> time
    table = jnp.stack([jnp.stack([w[0], w[1], w[3]]), jnp.stack([w[1], w[2], w[3]]),
                       jnp.stack([w[3], w[3], w[3]])])
    return table[blk[:, None], blk[None, :]]


def _weights(curvature):
    if curvature is None:
        return None
    if isinstance(curvature, CurvatureTerms):
        return None if curvature == ALL_CURVATURE else curvature.weights()
    return curvature  # an array of 4 weights (e.g. traced)


def velocity(model, X, band, energy_shift=True, anomalous=True, curvature=None):
    """Phase-space velocity ``(rdot, pdot)`` of band ``band`` at X (paper Eq. 24).

    ``xdot^j = -J^{ij} (d_i bar-eps_s + q_s F_{ti}) - q_s d_i eps_s F^{ij}`` with
    ``F^{ij} = (J F J^T)_{ij}`` and ``bar-eps_s = eps_s - |Delta| F/4``. ``energy_shift`` and
    ``anomalous`` switch off the Eq. 23 shift and the Berry-curvature (q_s) terms.
    ``curvature`` (a :class:`CurvatureTerms`, or its 4 :meth:`~CurvatureTerms.weights`, possibly
    traced) zeroes blocks of F_IJ in the q_s terms; None or the default keeps them all.
    """
    d = model.dim
    q = -0.5 * band
    _, g, F = local_geometry(model, X)
    w = _weights(curvature)
    if w is not None:
        F = F * curvature_mask(d, w, F.dtype)
    grad_eps_s = 0.5 * (g[0, : 2 * d] + band * g[1, : 2 * d])
    grad_bar = grad_eps_s - (0.25 * g[2, : 2 * d] if energy_shift else 0.0)
    J = symplectic(d, X.dtype)
    xdot = -grad_bar @ J
    if anomalous:
        Fps = F[: 2 * d, : 2 * d]
        Ft = F[2 * d, : 2 * d]  # F_{t i}
        Fup = J @ Fps @ J.T
        xdot = xdot - q * (Ft @ J) - q * (grad_eps_s @ Fup)
    return xdot


def velocity_weighted(model, XW, energy_shift=True, anomalous=True):
    """:func:`velocity` at ``X = XW[:2d+1]`` for band ``XW[2d+1]`` with the curvature weights
    ``XW[2d+2:]`` (4 values, see :meth:`CurvatureTerms.weights`) passed as data: one compilation
    serves both bands and every choice of blocks."""
    n = 2 * model.dim + 1
    return velocity(model, XW[:n], XW[n], energy_shift, anomalous, XW[n + 1 :])
