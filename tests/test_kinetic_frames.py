"""sKE coefficients against the paper's closed forms and identities.

* canonical velocities equal Eq. (24) as implemented in :mod:`berrykin.geometry`;
* the non-Liouville divergence identity Eq. (27): ``d_i xdot_s^i = q_s (d_t + d^i eps_s d_i) F``
  (computed here by automatic differentiation of the velocities, compared with ``q_s H_s``);
* kinetic frame, massive Dirac in a static uniform b: Eq. (42) velocities, the interband
  vector ``(bB/4)(v_z, v_z x b)`` of Eq. (36) (third line) and ``K = b e . grad_k B_k``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import berrykin
from berrykin.kinetic import CanonicalFrame, KineticFrame
from berrykin.kinetic.frames import canonical_coefficients, evaluate_frame
from berrykin.models import (
    CombinedField,
    MassiveDirac2D,
    MinimalCoupling,
    TwoBandModel,
    UniformElectricField,
    UniformMagneticField,
)


def _gap(r, p, t, P):
    return 2.0 * jnp.stack([p[0] + P["a"] * jnp.sin(r[1] - P["w"] * t), p[1] + P["a"] * r[0] * p[0],
                            P["m"] + P["c"] * r[0] * p[1] + P["a"] * t * r[1]])


def _eps(r, p, t, P):
    return p[0] * p[0] + p[1] * p[1] + P["c"] * r[1] * t


#: a texture depending on r, p and t together (F, G, K all non-zero)
TEXTURED = TwoBandModel(2, _eps, _gap, params=dict(a=0.6, w=0.8, m=0.7, c=0.5), name="textured")


@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
def test_canonical_velocities_equal_eq24_of_geometry():
    X = np.random.default_rng(0).normal(size=(6, 5))
    C = evaluate_frame(CanonicalFrame(TEXTURED), X)
    for i, s in enumerate((1, -1)):
        ref = berrykin.phase_space_velocity(TEXTURED, X[:, :2], X[:, 2:4], X[:, 4], band=s)
        assert np.allclose(C[:, 4 * i : 4 * i + 4], ref, rtol=1e-13, atol=1e-14)


def test_velocity_divergence_is_q_s_H_s_eq27():
    """Eq. (27): d_i xdot_s^i = q_s (d_t + d^i eps_s d_i) F = q_s (K + s G/2), to round-off."""
    X = np.random.default_rng(1).normal(size=(4, 5))
    C = evaluate_frame(CanonicalFrame(TEXTURED), X)

    def divergences(Y):
        jac = jax.jacfwd(lambda Z: canonical_coefficients(TEXTURED, Z)[:8])(Y)
        return jnp.stack([jnp.trace(jac[:4, :4]), jnp.trace(jac[4:8, :4])])

    with jax.enable_x64(True):
        div = np.asarray(jax.jit(jax.vmap(divergences))(jnp.asarray(X)))
    G, K = C[:, -2], C[:, -1]
    assert np.all(np.abs(G) > 1e-3) and np.all(np.abs(K) > 1e-3)  # a non-trivial check
    for i, s in enumerate((1, -1)):
        assert np.allclose(div[:, i], -0.5 * s * (K + 0.5 * s * G), rtol=1e-11, atol=1e-13)


def test_kinetic_frame_dirac_in_static_b_eq42_and_interband_vector():
    m, b = 0.8, 0.3
    frame = KineticFrame(MinimalCoupling(MassiveDirac2D(m=m), UniformMagneticField(b=b)))
    rng = np.random.default_rng(2)
    k = rng.normal(size=(8, 2))
    r = rng.normal(size=(8, 2))
    Y = np.concatenate([r, k, np.zeros((8, 1))], axis=1)
    C = evaluate_frame(frame, Y)
    E = np.sqrt(np.sum(k ** 2, axis=1) + m ** 2)[:, None]
    zx = np.stack([k[:, 1], -k[:, 0]], axis=1)  # k x z
    for i, s in enumerate((1, -1)):
        rdot = (s + b * m / (2 * E ** 3)) * k / E  # Eq. (42)
        kdot = b * np.stack([rdot[:, 1], -rdot[:, 0]], axis=1)  # b rdot x z
        assert np.allclose(C[:, 4 * i : 4 * i + 2], rdot, rtol=1e-12, atol=1e-14)
        assert np.allclose(C[:, 4 * i + 2 : 4 * i + 4], kdot, rtol=1e-12, atol=1e-14)
    F = b * m / E ** 3  # F = b . B_k
    vz = 2 * k / E
    assert np.allclose(C[:, 8:10], F / 4 * vz, rtol=1e-12, atol=1e-15)  # (bB/4) v_z
    assert np.allclose(C[:, 10:12], F / 4 * b * 2 * zx / E, rtol=1e-12, atol=1e-15)  # (bB/4) v_z x b
    assert np.allclose(C[:, 12:14], 0.0, atol=1e-14)  # G = K = 0 (isotropic, static)


def test_kinetic_frame_electric_field_source_K():
    """With a uniform e (vector gauge), K = d_t F = b e . grad_k B_k, grad_k B = -3 m k / E^5."""
    m, b, e = 0.8, 0.3, np.array([0.2, -0.15])
    field = CombinedField((UniformMagneticField(b=b), UniformElectricField(e=tuple(e), vector_gauge=True)))
    frame = KineticFrame(MinimalCoupling(MassiveDirac2D(m=m), field))
    k = np.random.default_rng(3).normal(size=(6, 2))
    Y = np.concatenate([np.zeros((6, 2)), k, np.full((6, 1), 0.7)], axis=1)
    C = evaluate_frame(frame, Y)
    E = np.sqrt(np.sum(k ** 2, axis=1) + m ** 2)
    gradB = -3 * m * k / E[:, None] ** 5
    assert np.allclose(C[:, 13], b * np.sum(e * gradB, axis=1), rtol=1e-11, atol=1e-15)
    assert np.allclose(C[:, 12], 0.0, atol=1e-14)
    # Eqs. (37)-(38), 2D: rdot = Z v + d_k delta_eps - q_s B e x z, kdot = e + b rdot x z (Eq. 40)
    for i, s in enumerate((1, -1)):
        B = m / E ** 3
        rdot = ((1 - 0.5 * s * b * B) * s / E + b * m / E ** 4)[:, None] * k \
            + 0.5 * s * B[:, None] * np.stack([e[1] + 0 * E, -e[0] + 0 * E], axis=1)
        kdot = e + b * np.stack([rdot[:, 1], -rdot[:, 0]], axis=1)
        assert np.allclose(C[:, 4 * i : 4 * i + 2], rdot, rtol=1e-12, atol=1e-14)
        assert np.allclose(C[:, 4 * i + 2 : 4 * i + 4], kdot, rtol=1e-12, atol=1e-14)
