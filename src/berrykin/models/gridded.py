"""A unit-vector texture n(r) sampled on a regular 2D or 3D grid (docs/textures.md).

:class:`GriddedTexture` is used wherever an analytic texture is (``__call__(r) -> (3,)`` in
``jax.numpy``, differentiable), e.g. ``TexturedFerromagnet2D(texture=GriddedTexture(...))``.

Interpolation (docs/textures.md, "Interpolation"): tensor-product Catmull-Rom cubic
convolution of the Cartesian components through the 4^d nearest cell centres, then
renormalisation ``n = v/|v|``. It passes through the samples, is C^1, reproduces quadratics,
and has error O(h^3) in n and O(h^2) in its first derivatives (hence in F_xy); geometry takes
the derivatives of this interpolant exactly by autodiff, so they are consistent with it. At a
bounded edge (or next to a masked cell) the missing outer stencil value is replaced by the
quadratic extrapolation ``3 f_0 - 3 f_1 + f_2`` (linear when both outer values are missing),
which keeps the order; a bounded grid is defined up to the outer cell faces.

Masks: cells whose vector has norm ``<= mask_below`` (zero magnetisation) are masked, not
normalised. A point is valid when, along every axis, its two nearest cell centres (the 2^d
corners around it) are unmasked and the interpolated |v| >= ``MIN_NORM``. Elsewhere the texture
is undefined: ``InvalidPoints.RAISE`` (default) raises
:class:`~berrykin.errors.TextureDomainError` (from compiled code JAX re-raises it as its
runtime error carrying the same message); ``InvalidPoints.NAN`` returns NaN there.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import OVFError, ParameterError, ShapeError, TextureDomainError
from .base import check_finite

#: Smallest |v| of the interpolated (not yet renormalised) vector accepted: below it, adjacent
#: samples differ by more than ~120 degrees and the grid does not resolve the texture.
MIN_NORM = 0.5

_LENGTH_UNITS = {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9, "pm": 1e-12, "A": 1e-10}
_REASONS = {1: "outside the grid", 2: "next to a masked (zero-magnetisation) cell",
            3: "the grid does not resolve the texture there (interpolated |n| < 0.5)"}


class InvalidPoints(enum.Enum):
    """What a :class:`GriddedTexture` does where it is undefined (outside, masked, unresolved)."""

    RAISE = "raise"
    NAN = "nan"


def _catmull_rom(f, ok, u):
    """Reduce the stencil axis (-2 of f (..., 4, 3), -1 of ok (..., 4)) at local coordinate u."""
    f0, f1, f2, f3 = f[..., 0, :], f[..., 1, :], f[..., 2, :], f[..., 3, :]
    v0, v3 = ok[..., 0, None], ok[..., 3, None]
    g0 = jnp.where(v0, f0, jnp.where(v3, 3 * f1 - 3 * f2 + f3, 2 * f1 - f2))
    g3 = jnp.where(v3, f3, jnp.where(v0, 3 * f2 - 3 * f1 + f0, 2 * f2 - f1))
    u2, u3 = u * u, u * u * u
    w0, w1 = (-u3 + 2 * u2 - u) / 2, (3 * u3 - 5 * u2 + 2) / 2
    w2, w3 = (-3 * u3 + 4 * u2 + u) / 2, (u3 - u2) / 2
    return w0 * g0 + w1 * f1 + w2 * f2 + w3 * g3, ok[..., 1] & ok[..., 2]


def _raise_invalid(code, r):
    code, r = np.asarray(code), np.asarray(r)
    bad = code != 0
    if not np.any(bad):
        return
    flat_code, flat_r = code.reshape(-1), r.reshape(-1, r.shape[-1])
    i = int(np.argmax(flat_code != 0))
    point = tuple(round(float(x), 12) for x in flat_r[i])
    raise TextureDomainError(point, _REASONS[int(flat_code[i])],
                             "evaluate it inside the sample only (texture.valid(points) tells where), "
                             "or build it with invalid=InvalidPoints.NAN to get NaN there",
                             count=int(np.count_nonzero(bad)))


#: The TextureDomainError last raised on the host side of a compiled call (JAX re-raises it as
#: its own JaxRuntimeError; :func:`pending_domain_error` lets callers re-raise the original).
_PENDING: list = []


def pending_domain_error():
    """Pop the :class:`TextureDomainError` raised inside the last failed compiled call, or None.

    A caller that catches ``jax.errors.JaxRuntimeError`` around compiled code re-raises this
    original error (a berrykin error with the point and the remedy) instead of JAX's wrapper.
    """
    return _PENDING.pop() if _PENDING else None


def _check_invalid(code, r):
    """Host side of the RAISE check (batched: code (..., ), r (..., d)); returns zeros."""
    code, r = np.asarray(code), np.asarray(r)
    lead = np.broadcast_shapes(code.shape, r.shape[:-1])
    try:
        _raise_invalid(np.broadcast_to(code, lead), np.broadcast_to(r, lead + r.shape[-1:]))
    except TextureDomainError as err:
        _PENDING[:] = [err]
        raise
    return np.zeros(lead, dtype=np.int32)  # int32: the same with and without x64 (callback thread)


@dataclass(frozen=True, eq=False, repr=False)
class GriddedTexture:
    """A unit-vector field sampled at the cell centres of a regular grid, interpolated in jnp.

    values : (nx, ny, 3) or (nx, ny, nz, 3) vectors as given (e.g. m or M from a file; any
        magnitude); they are kept for :meth:`to_ovf`. Cells of norm <= ``mask_below`` are masked.
    spacing : (d,) cell sizes > 0. origin : (d,) centre of cell 0 (default ``spacing/2``, a grid
        whose lower faces are at 0). Lengths in ``mesh_unit`` (a label).
    periodic : bool or (d,) bools; a periodic axis has period ``n h``. A bounded axis is defined on
        ``[origin - h/2, origin + (n - 1/2) h]`` and needs n >= 2.
    invalid : :class:`InvalidPoints`, behaviour where the texture is undefined.
    title, value_unit, mesh_unit, thickness : labels for OVF output; ``thickness`` =
        (z of the layer centre, cell size in z) of a 2D texture (default (h_x/2, h_x)).

    ``texture(r)`` with ``r`` of shape (d,) returns n(r), shape (3,) (use ``jax.vmap`` for
    batches). Example (F_xy at the core of berrykin's Skyrmion is -4/L^2, L = 2 e^{1/2}):

    >>> import berrykin as bk
    >>> from berrykin.models import Skyrmion, TexturedFerromagnet2D
    >>> tex = GriddedTexture.sample(Skyrmion(), lower=(-8, -8), upper=(8, 8), shape=(64, 64))
    >>> tex.shape, tex.spacing, tex.cell_centers.shape
    ((64, 64), (0.25, 0.25), (64, 64, 2))
    >>> F = bk.berry_curvature(TexturedFerromagnet2D(texture=tex), r=[0.0, 0.0], p=[0.0, 0.0])
    >>> abs(float(F[0, 1]) - (-4 / (4 * 2.718281828459045))) < 2e-3   # O(h^2) interpolation error
    True
    """

    values: Any
    spacing: Any
    origin: Any = None
    periodic: Any = False
    invalid: InvalidPoints = InvalidPoints.RAISE
    mask_below: float = 0.0
    title: str = "m"
    value_unit: str = "1"
    mesh_unit: str = "1"
    thickness: Any = None
    _unit: Any = field(init=False, repr=False)
    _valid: Any = field(init=False, repr=False)
    _key: Any = field(init=False, repr=False)

    def __post_init__(self):
        vals = np.array(self.values, dtype=np.float64)
        if vals.ndim not in (3, 4) or vals.shape[-1] != 3:
            raise ShapeError("values", vals.shape, "(nx, ny, 3) or (nx, ny, nz, 3): 3-vectors on a 2D or 3D grid")
        if not np.all(np.isfinite(vals)):
            raise ParameterError("values", "NaN/inf entries", "finite vectors (zero vectors for masked cells)")
        d, shape = vals.ndim - 1, vals.shape[:-1]
        spacing = self._vector("spacing", self.spacing, d)
        if min(spacing) <= 0:
            raise ParameterError("spacing", self.spacing, "cell sizes > 0")
        origin = tuple(h / 2 for h in spacing) if self.origin is None else self._vector("origin", self.origin, d)
        per = self.periodic
        per = (bool(per),) * d if isinstance(per, (bool, np.bool_)) else tuple(bool(p) for p in per)
        if len(per) != d:
            raise ParameterError("periodic", self.periodic, f"a bool or {d} bools")
        for a in range(d):
            if not per[a] and shape[a] < 2:
                raise ParameterError("values", vals.shape, f"at least 2 cells along bounded axis {a} "
                                     "(or periodic=True; for one layer of a film use a 2D texture)")
        try:
            invalid = InvalidPoints(self.invalid.value if isinstance(self.invalid, InvalidPoints) else self.invalid)
        except ValueError:
            raise ParameterError("invalid", self.invalid, "InvalidPoints.RAISE or InvalidPoints.NAN") from None
        mask_below = check_finite("mask_below", self.mask_below, "a norm >= 0")
        if mask_below < 0:
            raise ParameterError("mask_below", self.mask_below, "a norm >= 0")
        norm = np.linalg.norm(vals, axis=-1)
        valid = norm > mask_below
        unit = np.where(valid[..., None], vals / np.where(valid, norm, 1.0)[..., None], 0.0)
        thick = None
        if d == 2:
            thick = (spacing[0] / 2, spacing[0]) if self.thickness is None else self._vector("thickness", self.thickness, 2)
        for arr in (vals, unit, valid):
            arr.setflags(write=False)
        for name, value in (("values", vals), ("spacing", spacing), ("origin", origin), ("periodic", per),
                            ("invalid", invalid), ("mask_below", mask_below), ("thickness", thick),
                            ("_unit", unit), ("_valid", valid)):
            object.__setattr__(self, name, value)
        digest = hashlib.sha1(vals.tobytes()).hexdigest()
        object.__setattr__(self, "_key", (digest, vals.shape, spacing, origin, per, invalid, mask_below))

    @staticmethod
    def _vector(name, value, n):
        try:
            vec = tuple(check_finite(name, v) for v in value)
        except TypeError:
            raise ParameterError(name, value, f"{n} finite numbers") from None
        if len(vec) != n:
            raise ParameterError(name, value, f"{n} finite numbers")
        return vec

    # -- identity: hashable so that compiled geometry is cached per texture ----------------
    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, GriddedTexture) and self._key == other._key

    def __getstate__(self):  # pickling (e.g. Dask sweeps): drop the compiled evaluator
        return {k: v for k, v in self.__dict__.items() if k not in ("_evaluate_compiled", "_device_cache")}

    def __repr__(self):
        return (f"GriddedTexture(shape={self.shape}, spacing={self.spacing}, origin={self.origin}, "
                f"periodic={self.periodic}, masked={int(np.count_nonzero(~self._valid))}, "
                f"invalid={self.invalid}, mesh_unit={self.mesh_unit!r})")

    # -- grid ------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Spatial dimension d (2 or 3)."""
        return self.values.ndim - 1

    @property
    def shape(self) -> tuple:
        """Cells per axis, (nx, ny) or (nx, ny, nz)."""
        return self.values.shape[:-1]

    @property
    def cell_centers(self) -> np.ndarray:
        """Positions of the samples, shape (nx, ny[, nz], d), in ``mesh_unit``."""
        axes = [o + h * np.arange(n) for o, h, n in zip(self.origin, self.spacing, self.shape)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)

    @property
    def mask(self) -> np.ndarray:
        """True at masked (zero-magnetisation) cells, shape (nx, ny[, nz])."""
        return ~self._valid

    @property
    def unit_values(self) -> np.ndarray:
        """The samples normalised, n = v/|v| (zero at masked cells), shape (..., 3)."""
        return self._unit

    @property
    def bounds(self) -> tuple:
        """(lower, upper) corners of the grid: the outer cell faces, each (d,)."""
        lo = tuple(o - h / 2 for o, h in zip(self.origin, self.spacing))
        return lo, tuple(lo_ + n * h for lo_, n, h in zip(lo, self.shape, self.spacing))

    # -- evaluation --------------------------------------------------------------------------
    def _device_arrays(self):
        """Samples and validity padded by 1 cell below and 2 above each axis (periodic: wrapped;
        bounded: invalid), so that every 4^d stencil is one contiguous block (dynamic_slice).
        Device arrays, made once per float precision and outside any trace."""
        x64 = jnp.asarray(1.0).dtype == jnp.float64
        cache = self.__dict__.setdefault("_device_cache", {})
        if x64 not in cache:
            unit, valid = self._unit, self._valid
            for a, per in enumerate(self.periodic):
                pad = [(0, 0)] * unit.ndim
                pad[a] = (1, 2)
                mode = "wrap" if per else "constant"
                unit, valid = np.pad(unit, pad, mode=mode), np.pad(valid, pad[:-1], mode=mode)
            with jax.ensure_compile_time_eval():  # concrete arrays even when called while tracing
                cache[x64] = (jnp.asarray(unit), jnp.asarray(valid))
        return cache[x64]

    def _evaluate(self, r):
        """(n (3,) with NaN where undefined, reason code: 0 ok, 1 outside, 2 masked, 3 unresolved)."""
        d = self.dim
        r = jnp.asarray(r)
        starts, us, inside = [], [], jnp.bool_(True)
        for a in range(d):
            n, s = self.shape[a], (r[a] - self.origin[a]) / self.spacing[a]
            if self.periodic[a]:
                i = jnp.floor(s)
                us.append(s - i)
                starts.append(i.astype(jnp.int32) % n)  # padded index of cell i - 1
            else:
                i = jnp.clip(jnp.floor(s), 0, n - 2)
                us.append(s - i)
                starts.append(i.astype(jnp.int32))
                inside = inside & (s >= -0.5) & (s <= n - 0.5)
        unit, valid = self._device_arrays()
        zero = jnp.zeros((), jnp.int32)
        f = jax.lax.dynamic_slice(unit, starts + [zero], (4,) * d + (3,))
        ok = jax.lax.dynamic_slice(valid, starts, (4,) * d)
        for a in reversed(range(d)):
            f, ok = _catmull_rom(f, ok, us[a])
        norm = jnp.sqrt(jnp.sum(f * f))
        resolved = norm >= MIN_NORM
        good = inside & ok & resolved
        code = jnp.where(~inside, 1, jnp.where(~ok, 2, jnp.where(~resolved, 3, 0)))
        out = jnp.where(good, f / jnp.where(good, norm, 1.0), jnp.nan)
        return out, code

    @functools.cached_property
    def _evaluate_compiled(self):
        return jax.jit(self._evaluate)

    def __call__(self, r):
        traced = isinstance(r, jax.core.Tracer)
        out, code = self._evaluate(r) if traced else self._evaluate_compiled(jnp.asarray(r))
        if self.invalid is InvalidPoints.RAISE:
            if traced:
                # one vectorised host check per compiled call; its zero output keeps it alive
                zero = jax.pure_callback(_check_invalid, jax.ShapeDtypeStruct((), jnp.int32), code,
                                         jax.lax.stop_gradient(r), vmap_method="expand_dims")
                out = out + zero.astype(out.dtype)
            else:
                _raise_invalid(code, np.asarray(r)[None])
        return out

    def valid(self, points) -> np.ndarray:
        """True where the texture is defined, for points (..., d); NumPy bool array (...)."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim == 0 or pts.shape[-1] != self.dim:
            raise ShapeError("points", pts.shape, f"(..., {self.dim})")
        with jax.enable_x64(True):
            code = jax.jit(jax.vmap(lambda x: self._evaluate(x)[1]))(pts.reshape(-1, self.dim))
        return (np.asarray(code) == 0).reshape(pts.shape[:-1])

    # -- construction and files --------------------------------------------------------------
    @classmethod
    def sample(cls, texture, lower, upper, shape, **options) -> "GriddedTexture":
        """Sample ``texture(r)`` (e.g. an analytic Skyrmion) at the cell centres of the grid
        with outer faces ``lower``, ``upper`` (d,) and ``shape`` cells; options as the class."""
        shape = tuple(int(n) for n in shape)
        d = len(shape)
        lo, hi = cls._vector("lower", lower, d), cls._vector("upper", upper, d)
        h = tuple((b - a) / n for a, b, n in zip(lo, hi, shape))
        origin = tuple(a + s / 2 for a, s in zip(lo, h))
        axes = [o + s * np.arange(n) for o, s, n in zip(origin, h, shape)]
        pts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
        with jax.enable_x64(True):
            vals = np.asarray(jax.jit(jax.vmap(texture))(jnp.asarray(pts)), dtype=np.float64)
        return cls(vals.reshape(shape + (3,)), h, origin, **options)

    @classmethod
    def from_ovf(cls, path, layer=0, length_unit=None, **options) -> "GriddedTexture":
        """Read an OVF 1.0/2.0 file (mumax3, OOMMF; text, binary 4, binary 8).

        ``layer``: the z index of the 2D texture returned (default 0), or None for the 3D
        texture of all layers. ``length_unit``: None keeps lengths as in the file (its
        ``meshunit``); a number L divides every length by L; a name ('nm', 'um', 'mm', 'm',
        'pm', 'A') converts from a file in metres. Zero vectors are masked; other options
        (``periodic``, ``invalid``, ``mask_below``) as the class.
        """
        from .ovf import read_ovf

        ovf = read_ovf(path)
        if ovf.data.shape[-1] != 3:
            raise OVFError(str(path), f"valuedim {ovf.data.shape[-1]}: a texture needs 3 components")
        scale, unit = 1.0, ovf.mesh_unit
        if isinstance(length_unit, str):
            if length_unit not in _LENGTH_UNITS or ovf.mesh_unit != "m":
                raise ParameterError("length_unit", length_unit, f"one of {sorted(_LENGTH_UNITS)} for a file "
                                     f"in metres (this file's meshunit is {ovf.mesh_unit!r}), or a number")
            scale, unit = _LENGTH_UNITS[length_unit], length_unit
        elif length_unit is not None:
            scale = check_finite("length_unit", length_unit, "a length > 0 in the file's meshunit")
            if scale <= 0:
                raise ParameterError("length_unit", length_unit, "a length > 0 in the file's meshunit")
            unit = f"{scale!r} {ovf.mesh_unit}"
        base = tuple(b / scale for b in ovf.base)
        step = tuple(h / scale for h in ovf.step)
        common = dict(title=ovf.title, value_unit=ovf.value_units[0], mesh_unit=unit)
        if layer is None:
            return cls(ovf.data, step, base, **common, **options)
        nz = ovf.data.shape[2]
        if not isinstance(layer, (int, np.integer)) or not -nz <= layer < nz:
            raise ParameterError("layer", layer, f"a z index 0..{nz - 1}, or None for the 3D texture")
        k = int(layer) % nz
        return cls(ovf.data[:, :, k, :], step[:2], base[:2], thickness=(base[2] + k * step[2], step[2]),
                   **common, **options)

    def to_ovf(self, path, format="binary 8", version=2):
        """Write the samples (``values`` as given, masked cells as zeros) as an OVF file.

        ``format``: :class:`~berrykin.models.ovf.OVFFormat` or 'text', 'binary 4', 'binary 8';
        ``version``: 2 (OVF 2.0, as mumax3 writes) or 1 (OVF 1.0). Lengths in ``mesh_unit``.
        Text and binary 8 reproduce the values bit for bit; binary 4 rounds them to float32.
        """
        from .ovf import write_ovf

        data, base, step = self.values, self.origin, self.spacing
        if self.dim == 2:
            data, base, step = data[:, :, None, :], base + (self.thickness[0],), step + (self.thickness[1],)
        write_ovf(path, data, base, step, format=format, version=version, title=self.title,
                  mesh_unit=self.mesh_unit, value_unit=self.value_unit)
