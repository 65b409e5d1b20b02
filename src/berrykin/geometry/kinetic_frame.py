"""Electromagnetic fields and the kinetic-momentum frame of minimal coupling (paper Sec. II D).

Under minimal coupling (Eq. 32, :class:`berrykin.models.MinimalCoupling`) the canonical
momentum ``p`` and the kinetic momentum ``k = p - a(r, t)`` differ. This module gives

* :func:`em_fields` -- ``e = -grad phi - d_t a`` and ``b = curl a``, exact (JAX autodiff);
* :func:`kinetic_frame_velocity` -- ``(rdot, kdot)`` of Eqs. (37)-(38) (first equalities),
  written with the gauge-invariant quantities ``e``, ``b``, ``B_k`` and ``delta eps``;
* :func:`to_kinetic_frame` -- the canonical velocities of Eq. (24) transformed to the kinetic
  frame with ``kdot = pdot - d_t a - (rdot . grad) a`` (ERRATA 15), for any coupled model.

The two routes agree exactly (not only to linear order in the fields) when the texture of
the uncoupled model depends on k only; the tests check this to round-off (Dirac in 2D, Weyl
in 3D, with non-uniform, time-dependent a and phi).

Units and signs: hbar = e = 1, the charge is absorbed in the fields (``b = e B``, ``e = e E``),
see :mod:`berrykin.conventions`. Every function takes ``r`` of shape ``(..., d)``, a
momentum of shape ``(..., d)`` and ``t`` (scalar or broadcastable) and returns NumPy float64
arrays whose leading shape ``...`` is the broadcast of the three. Derivatives are exact
(forward-mode automatic differentiation in float64), never finite differences.
"""

from __future__ import annotations

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np

from ..conventions import q as charge
from ..errors import ParameterError
from ..models.fields import GaugeField, MinimalCoupling
from . import pointwise as pw
from ._vectorize import as_points, evaluate
from .api import phase_space_velocity

__all__ = ["em_fields", "kinetic_frame_velocity", "to_kinetic_frame", "vector_potential"]

#: Largest |d_r m| or |d_t m| (relative to 1 + max |d_k m|) of the uncoupled texture that
#: :func:`kinetic_frame_velocity` accepts as "m depends on k only".
TEXTURE_TOLERANCE = 1e-10


# -- pointwise cores (one point; vectorised through _vectorize.evaluate) ----------------------
def _pad3(v):
    """Embed a d-vector (d <= 3) in 3D by appending zeros."""
    d = v.shape[0]
    if d == 3:
        return v
    return jnp.concatenate([v, jnp.zeros((3 - d,), dtype=v.dtype)])


def _curl(jac_a, d, dtype):
    """``b = curl a`` as a 3-vector from ``jac_a[i, j] = d_{r_j} a_i`` (d x d)."""
    if d == 1:
        return jnp.zeros((3,), dtype=dtype)
    if d == 2:
        z = jnp.zeros((), dtype=dtype)
        return jnp.stack([z, z, jac_a[1, 0] - jac_a[0, 1]])
    return jnp.stack(
        [jac_a[2, 1] - jac_a[1, 2], jac_a[0, 2] - jac_a[2, 0], jac_a[1, 0] - jac_a[0, 1]]
    )


def _fields_at(field, r, t):
    """``(e, b, jac_a)`` at one point: e (d,), b (3,), ``jac_a[i, J] = d_J a_i`` over (r, t)."""
    d = r.shape[0]
    Y = jnp.concatenate([r, jnp.reshape(t, (1,))])
    a_of = lambda Z: field.a(Z[:d], Z[d])  # noqa: E731
    phi_of = lambda Z: field.phi(Z[:d], Z[d])  # noqa: E731
    jac_a = jax.jacfwd(a_of)(Y)  # (d, d+1)
    grad_phi = jax.jacfwd(phi_of)(Y)  # (d+1,)
    e = -grad_phi[:d] - jac_a[:, d]
    b = _curl(jac_a[:, :d], d, r.dtype)
    return e, b, jac_a


def _em_point(field, X, d):
    """(e (d,), b (3,), a (d,), phi) at X = (r, p-slot unused, t); concatenated."""
    r, t = X[:d], X[2 * d]
    e, b, _ = _fields_at(field, r, t)
    a = jnp.asarray(field.a(r, t), dtype=X.dtype)
    phi = jnp.reshape(jnp.asarray(field.phi(r, t), dtype=X.dtype), (1,))
    return jnp.concatenate([e, b, a, phi])


def _momentum_berry_vector(F, d):
    """B_k as a 3-vector from the tensor F over (r, k, t): ``F_{k_i k_j} = eps_ijl (B_k)_l``."""
    if d == 1:
        return jnp.zeros((3,), dtype=F.dtype)
    if d == 2:
        z = jnp.zeros((), dtype=F.dtype)
        return jnp.stack([z, z, F[2, 3]])
    return jnp.stack([F[4, 5], F[5, 3], F[3, 4]])


def _kinetic_point(coupled, X, energy_shift, anomalous):
    """Eqs. (37)-(38), first equalities, at one point ``X = (r, k, t)`` (kinetic momentum).

    Both bands at once (they share b, B_k and delta eps, and one compilation): returns
    ``[rdot_+, kdot_+, rdot_-, kdot_-]``, shape (4d,).
    """
    model, field = coupled.model, coupled.field
    d = model.dim

    def b_of(Y):
        return _fields_at(field, Y[:d], Y[2 * d])[1]

    def energies(Y):
        # (eps + 2 phi, |Delta|) at fixed kinetic momentum k (Eqs. 13, 32).
        r, k, t = pw.split(model, Y)
        return jnp.stack([model.eps(r, k, t) + 2.0 * field.phi(r, t),
                          jnp.linalg.norm(model.gap(r, k, t))])

    def berry_k(Y):
        return _momentum_berry_vector(pw.berry_tensor(model, Y), d)

    def delta_eps(Y):
        # delta eps = -|Delta| F/4 with F = b . B_k (Eqs. 23, 35, F3).
        return -0.25 * jnp.linalg.norm(pw.gap_vector(model, Y)) * jnp.dot(b_of(Y), berry_k(Y))

    _, b, jac_a = _fields_at(field, X[:d], X[2 * d])
    grad_en = jax.jacfwd(energies)(X)  # (2, 2d+1)
    Bk = berry_k(X)
    if energy_shift:
        g = jax.jacfwd(delta_eps)(X)
        dk_de, dr_de = _pad3(g[d : 2 * d]), _pad3(g[:d])
    out = []
    for band in (1, -1):
        q = -0.5 * band
        grad_es = 0.5 * (grad_en[0] + band * grad_en[1])  # d eps_s, eps_s = (eps + s|Delta|)/2
        v = _pad3(grad_es[d : 2 * d])  # v_ks = d_k eps_s
        # f_s = -d_r eps_s|_k - d_t a + v x b: this is e + v x b, as d_r eps_s|_k = d_r phi
        # when eps and |Delta| of the uncoupled model do not depend on r.
        f = _pad3(-grad_es[:d] - jac_a[:, d]) + jnp.cross(v, b)
        rdot, kdot = v, f
        if energy_shift:
            rdot = rdot + dk_de
            kdot = kdot - dr_de + jnp.cross(dk_de, b)  # + delta f_s
        if anomalous:
            fxB = jnp.cross(f, Bk)
            rdot = rdot - q * fxB
            kdot = kdot - q * jnp.cross(fxB, b)
        out += [rdot[:d], kdot[:d]]

    return jnp.concatenate(out)


def _texture_dependence_point(model, X):
    """``(max(|d_r m|, |d_t m|), max |d_k m|)`` of the uncoupled texture m = Delta/|Delta| at X."""
    d = model.dim

    def m_of(Y):
        D = pw.gap_vector(model, Y)
        return D / jnp.linalg.norm(D)

    jm = pw.jacobian(m_of, X)  # (3, 2d+1)
    resid = jnp.max(jnp.abs(jnp.concatenate([jm[:, :d], jm[:, 2 * d :]], axis=1)))
    return jnp.stack([resid, jnp.max(jnp.abs(jm[:, d : 2 * d]))])


def _potential_jacobian_point(field, X, d):
    """``d_J a_i`` over J = (r_1..r_d, t) at X = (r, p-slot unused, t), flattened (d*(d+1),)."""
    return jnp.ravel(_fields_at(field, X[:d], X[2 * d])[2])


# -- public, vectorised ------------------------------------------------------------------------
def _field_dim(field, r):
    d = field.dim
    if d is None:
        d = int(np.shape(r)[-1]) if np.ndim(r) > 0 else 0
    if d not in (1, 2, 3):
        raise ParameterError("r", np.shape(r), "positions of shape (..., d) with d = 1, 2 or 3")
    return d


def _em_all(field, r, t):
    if not isinstance(field, GaugeField):
        raise ParameterError("field", field, "a GaugeField (e.g. UniformMagneticField(b=0.1))")
    d = _field_dim(field, r)
    shim = SimpleNamespace(dim=d, depends_on_r=True)
    X, lead = as_points(shim, r, np.zeros(d), t)
    out = evaluate(_em_point, field, X, d)
    out = out.reshape(lead + out.shape[1:])
    return d, out


def em_fields(field, r, t=0.0):
    """Electric and magnetic fields of a gauge field, ``e = -grad phi - d_t a``, ``b = curl a``.

    Exact derivatives of the potentials ``field.a(r, t)``, ``field.phi(r, t)`` (Sec. II D,
    after Eq. 36). Charges are absorbed (``e = eE``, ``b = eB``).

    Parameters
    ----------
    field : a :class:`~berrykin.models.GaugeField` (or ``MinimalCoupling.field``).
    r : positions, shape (..., d).
    t : time, scalar or broadcastable to the leading shape.

    Returns
    -------
    e : shape (..., d), in energy per length.
    b : shape (..., 3), the axial vector ``curl a`` in 1/length^2; in 2D only the z component
        ``d_x a_y - d_y a_x`` is non-zero, in 1D ``b = 0``.
    """
    d, out = _em_all(field, r, t)
    return out[..., :d], out[..., d : d + 3]


def vector_potential(field, r, t=0.0):
    """The potentials ``(a, phi)`` of a gauge field: a of shape (..., d), phi of shape (...).

    Useful to convert momenta, ``k = p - a(r, t)`` (Eq. 33).
    """
    d, out = _em_all(field, r, t)
    return out[..., d + 3 : 2 * d + 3], out[..., 2 * d + 3]


def _check_coupled(coupled, band):
    charge(band)
    if not isinstance(coupled, MinimalCoupling):
        raise ParameterError("coupled", coupled, "a MinimalCoupling(model, field)")


def kinetic_frame_velocity(coupled, r=None, k=None, t=0.0, band=+1, energy_shift=True,
                           anomalous=True):
    """Kinetic-frame velocities ``(rdot, kdot)`` of band s, Eqs. (37)-(38) (first equalities).

    For ``coupled = MinimalCoupling(model, field)`` whose uncoupled texture ``m`` depends on
    the kinetic momentum k only (Sec. II D: the real-space and time dependence comes only from
    the gauge potentials; ``eps`` and ``|Delta|`` of ``model`` may depend on r and t)::

        rdot = v_ks + d_k delta_eps - q_s f_s x B_k                      (37)
        kdot = f_s + delta_f_s - q_s (f_s x B_k) x b                      (38)

    with ``q_s = -s/2``, ``v_ks = d_k eps_s`` (``eps_s`` includes ``phi``: eps has ``2 phi``),
    the Lorentz force ``f_s = e + v_ks x b`` (in general ``-d_r eps_s - d_t a + v_ks x b``, the
    same when ``model.eps`` and ``|Delta|`` do not depend on r), the magnetic-moment energy
    ``delta_eps = -|Delta| b . B_k / 4`` (Eqs. 23, 35, F3) and
    ``delta_f_s = -d_r delta_eps + d_k delta_eps x b``. ``d_r`` and ``d_t`` act at fixed k
    (Eq. 33, ERRATA choice 7). In 2D the vectors are embedded in 3D (``b``, ``B_k`` along z)
    and the in-plane components returned; in 1D ``b = B_k = 0``.

    Parameters
    ----------
    coupled : :class:`~berrykin.models.MinimalCoupling`.
    r : positions, shape (..., d) (None if ``coupled`` does not depend on r).
    k : kinetic momenta ``k = p - a(r, t)``, shape (..., d).
    t : time, scalar or broadcastable.
    band : +1 or -1.
    energy_shift : include ``delta_eps`` (the ``d_k delta_eps`` and ``delta_f_s`` terms).
    anomalous : include the ``q_s`` Berry-curvature terms.

    Returns
    -------
    rdot : shape (..., d), velocity (length/time).
    kdot : shape (..., d), force (1/(length time)).

    Raises
    ------
    ParameterError : if ``coupled`` is not a MinimalCoupling, ``band`` is not +-1, or the
        uncoupled texture depends on r or t (use :func:`to_kinetic_frame` then).
    """
    _check_coupled(coupled, band)
    if k is None:
        raise ParameterError("k", None, f"kinetic momenta of shape (..., {coupled.dim})")
    X, lead = as_points(coupled, r, k, t)
    # validate first (a small compilation) before compiling Eqs. (37)-(38)
    chk = evaluate(_texture_dependence_point, coupled.model, X)
    if chk.size and np.max(chk[:, 0]) > TEXTURE_TOLERANCE * (1.0 + np.max(chk[:, 1])):
        raise ParameterError(
            "coupled.model", coupled.model,
            "a model whose texture m = Delta/|Delta| depends on k only "
            f"(max |d_r m|, |d_t m| = {np.max(chk[:, 0]):.3g}); use to_kinetic_frame for "
            "textures that depend on r or t",
        )
    out = evaluate(_kinetic_point, coupled, X, bool(energy_shift), bool(anomalous))
    d = coupled.dim
    start = 0 if band == 1 else 2 * d
    out = out[:, start : start + 2 * d].reshape(lead + (2 * d,))
    return out[..., :d], out[..., d:]


def to_kinetic_frame(coupled, r=None, p=None, t=0.0, band=+1, energy_shift=True, anomalous=True):
    """Canonical velocities of Eq. (24) transformed to the kinetic frame (ERRATA 15).

    ``(rdot, pdot)`` of :func:`berrykin.phase_space_velocity` at the canonical point
    ``(r, p, t)``, and ``kdot = pdot - d_t a - (rdot . grad) a``, i.e.
    ``kdot_i = pdot_i - d_t a_i - rdot_j d_{r_j} a_i`` (the time derivative of
    ``k = p - a(r(t), t)`` along the trajectory). Valid for any model coupled by
    :class:`~berrykin.models.MinimalCoupling` (textures depending on r, p and t included); for
    a texture depending on k only it equals :func:`kinetic_frame_velocity` at
    ``k = p - a(r, t)``.

    Parameters
    ----------
    coupled : :class:`~berrykin.models.MinimalCoupling`.
    r : positions, shape (..., d) (None if ``coupled`` does not depend on r).
    p : canonical momenta, shape (..., d).
    t, band, energy_shift, anomalous : as in :func:`berrykin.phase_space_velocity`.

    Returns
    -------
    rdot : shape (..., d); kdot : shape (..., d).
    """
    _check_coupled(coupled, band)
    if p is None:
        raise ParameterError("p", None, f"canonical momenta of shape (..., {coupled.dim})")
    d = coupled.dim
    xdot = phase_space_velocity(coupled, r, p, t, band, energy_shift, anomalous)
    rdot, pdot = xdot[..., :d], xdot[..., d:]
    X, lead = as_points(coupled, r, p, t)
    jac = evaluate(_potential_jacobian_point, coupled.field, X, d).reshape(lead + (d, d + 1))
    kdot = pdot - jac[..., d] - np.einsum("...ij,...j->...i", jac[..., :d], rdot)
    return rdot, kdot
