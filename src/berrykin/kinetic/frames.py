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

import copy
import dataclasses
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
_SMALL = 1024  # the two compiled shapes: _SMALL and CHUNK (compilation dominates small grids)


def n_coefficients(d, homogeneous=False):
    """Length of the per-point coefficient vector (``6d + 2``, plus 3 when homogeneous)."""
    return 6 * d + 2 + (3 if homogeneous else 0)


def canonical_coefficients(model, X, energy_shift=True, anomalous=True, curvature=None):
    """``[xdot_+, xdot_-, w, G, K]`` at the canonical point X (see module docstring).

    ``curvature``: None (every block) or 4 weights ``(real, mixed, momentum, time)`` (e.g.
    ``CurvatureTerms.weights()``) multiplying the blocks of F_IJ in the q_s velocity terms only,
    as for the sEOM (:func:`berrykin.geometry.pointwise.velocity`); w, G, K keep the full F.

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
    if anomalous and curvature is not None:
        Ften = Ften * pw.curvature_mask(d, curvature, Ften.dtype)
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


def _with_homogeneous_terms(point, Y, d):
    """``point(Y)`` followed by ``[div_r rdot_+, div_r rdot_-, div_r w_r]`` at fixed momentum.

    One forward-mode pass with the d spatial tangents batched (the primal is computed once)."""
    eye = jnp.eye(Y.shape[0], dtype=Y.dtype)[:d]
    C, dC = jax.vmap(lambda v: jax.jvp(point, (Y,), (v,)), out_axes=(None, 0))(eye)
    div = jnp.zeros((3,), dtype=Y.dtype)
    for l in range(d):
        div = div + jnp.stack([dC[l, l], dC[l, 2 * d + l], dC[l, 4 * d + l]])
    return jnp.concatenate([C, div])


@dataclass(frozen=True)
class CanonicalFrame:
    """The canonical phase space ``(r, p)`` of any model (Eq. 24, 26).

    >>> from berrykin.models import MassiveDirac2D
    >>> CanonicalFrame(MassiveDirac2D()).dim
    2
    """

    model: Model
    #: None, or 4 float weights (real, mixed, momentum, time) of the F blocks in the velocities
    curvature: tuple | None = None

    def __post_init__(self):
        if not isinstance(self.model, Model):
            raise ParameterError("model", self.model, "a berrykin Model")
        _check_curvature(self)

    @property
    def dim(self):
        return self.model.dim

    @property
    def bare_model(self):
        """The model whose bare band energies define equilibrium states."""
        return self.model

    def point(self, Y, energy_shift=True, anomalous=True):
        return canonical_coefficients(self.model, Y, energy_shift, anomalous, self.curvature)


@dataclass(frozen=True)
class KineticFrame:
    """The kinetic-momentum frame ``(r, k = p - a(r, t))`` of a minimally coupled model
    (Sec. II D, Eqs. 33-38). Momentum coordinates of the grid are kinetic momenta.

    >>> from berrykin.models import MassiveDirac2D, MinimalCoupling, UniformMagneticField
    >>> KineticFrame(MinimalCoupling(MassiveDirac2D(), UniformMagneticField(b=0.1))).dim
    2
    """

    coupled: MinimalCoupling
    curvature: tuple | None = None  #: as for :class:`CanonicalFrame`

    def __post_init__(self):
        if not isinstance(self.coupled, MinimalCoupling):
            raise ParameterError("coupled", self.coupled, "a MinimalCoupling(model, field)")
        _check_curvature(self)

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
        C = canonical_coefficients(self.coupled, X, energy_shift, anomalous, self.curvature)
        jac = jax.jacfwd(lambda Z: field.a(Z[:d], Z[d]))(jnp.concatenate([r, Y[2 * d :]]))
        Ar, At = jac[:, :d], jac[:, d]
        parts = []
        for s in range(2):
            v = C[2 * d * s : 2 * d * (s + 1)]
            parts += [v[:d], v[d:] - Ar @ v[:d] - At]
        w = C[4 * d : 6 * d]
        parts += [w[:d], w[d:] - Ar @ w[:d], C[6 * d :]]
        return jnp.concatenate(parts)


def _check_curvature(frame):
    """Curvature weights of a frame as 4 floats (run-time arguments of the compiled
    coefficients: one compilation serves every choice of blocks), or None."""
    w = frame.curvature
    if w is None:
        return
    if hasattr(w, "weights"):
        w = w.weights()
    try:
        w = tuple(float(x) for x in w)
    except (TypeError, ValueError):
        w = ()
    if len(w) != 4 or not all(np.isfinite(w)):
        raise ParameterError("curvature", frame.curvature, "None, a CurvatureTerms or 4 weights "
                             "(real, mixed, momentum, time)")
    object.__setattr__(frame, "curvature", w)


def _point_fn(frame, homogeneous, energy_shift, anomalous):
    d = frame.dim

    def f(Y):
        if homogeneous:
            return _with_homogeneous_terms(lambda Z: frame.point(Z, energy_shift, anomalous), Y, d)
        return frame.point(Y, energy_shift, anomalous)

    return f


@functools.lru_cache(maxsize=64)
def _compiled(frame, homogeneous, energy_shift, anomalous):
    return jax.jit(jax.vmap(_point_fn(frame, homogeneous, energy_shift, anomalous)))


# -- one compilation per frame *structure*: float parameters are run-time arguments ------------
def _split(obj, leaves):
    """Hashable structure key of a tree of frozen dataclasses / tuples; appends its float
    parameters to ``leaves`` (they become run-time arguments of the compiled function)."""
    if isinstance(obj, float) or isinstance(obj, np.floating):
        leaves.append(float(obj))
        return "#"
    if isinstance(obj, tuple):
        return ("tuple",) + tuple(_split(v, leaves) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj),) + tuple((f.name, _split(getattr(obj, f.name), leaves)) for f in dataclasses.fields(obj))
    hash(obj)  # static (ints, flags, callables, None): part of the key; TypeError if unhashable
    return obj


def _rebuild(obj, it):
    """``obj`` with its float parameters replaced, in :func:`_split` order, from iterator ``it``
    (tracers), bypassing ``__init__`` validation (the values were validated on construction)."""
    if isinstance(obj, float) or isinstance(obj, np.floating):
        return next(it)
    if isinstance(obj, tuple):
        return tuple(_rebuild(v, it) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        new = copy.copy(obj)
        for f in dataclasses.fields(obj):
            object.__setattr__(new, f.name, _rebuild(getattr(obj, f.name), it))
        return new
    return obj


_PARAMETRIC_FAILED = set()
_PARAMETRIC_OK = set()


_PARAMETRIC = {}


def _compiled_parametric(key, template, homogeneous, energy_shift, anomalous):
    """The compiled function of a frame structure (the first frame seen is the template)."""
    k = (key, homogeneous, energy_shift, anomalous)
    if k not in _PARAMETRIC:
        def f(leaves, Y):
            frame = _rebuild(template, iter(leaves))
            return _point_fn(frame, homogeneous, energy_shift, anomalous)(Y)

        _PARAMETRIC[k] = jax.jit(jax.vmap(f, in_axes=(None, 0)))
    return _PARAMETRIC[k]


def _compiled_for(frame, homogeneous, energy_shift, anomalous):
    """A function of the points: parametric (one compilation for every frame of the same
    structure) when the frame's functions trace with parameters as arguments, else the frame
    itself is static (compiled per frame; e.g. models branching on a parameter in Python)."""
    flags = (bool(homogeneous), bool(energy_shift), bool(anomalous))
    try:
        leaves = []
        key = _split(frame, leaves)
    except TypeError:
        key = None
    if key is not None and (key, flags) not in _PARAMETRIC_FAILED:
        f = _compiled_parametric(key, frame, *flags)
        arg = jnp.asarray(leaves, dtype=jnp.float64)
        return lambda block: f(arg, block), (key, flags)
    try:
        return _compiled(frame, *flags), None
    except TypeError:  # unhashable frame
        return jax.jit(jax.vmap(_point_fn(frame, *flags))), None


def evaluate_frame(frame, X, homogeneous=False, energy_shift=True, anomalous=True):
    """Coefficients at the points ``X`` (shape ``(N, 2d+1)``), float64, shape ``(N, n_coeff)``.

    Compiled (``jax.jit(jax.vmap(...))``) once per frame structure and flag set, with the
    float parameters of the model, field and profile as run-time arguments (so frames that
    differ only in parameter values share the compilation; frames whose functions cannot be
    traced that way are compiled per frame), evaluated in chunks inside ``jax.enable_x64(True)``.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    with jax.enable_x64(True):
        f, pkey = _compiled_for(frame, homogeneous, energy_shift, anomalous)
        if pkey is not None and pkey not in _PARAMETRIC_OK:
            try:  # trace once; a model that needs concrete parameters falls back to static
                f(np.zeros((_SMALL, 2 * frame.dim + 1)))
                _PARAMETRIC_OK.add(pkey)
            except Exception:  # noqa: BLE001 - a genuine error re-raises on the static path
                _PARAMETRIC_FAILED.add(pkey)
                f, _ = _compiled_for(frame, homogeneous, energy_shift, anomalous)
        n = X.shape[0]
        size = _SMALL if n < 8 * CHUNK else CHUNK
        outs = []
        for start in range(0, n, size):
            block = X[start : start + size]
            m = block.shape[0]
            if m < size:
                block = np.concatenate([block, np.repeat(block[-1:], size - m, axis=0)])
            outs.append(np.asarray(f(block))[:m])
        return np.concatenate(outs) if outs else np.zeros((0, n_coefficients(frame.dim, homogeneous)))
