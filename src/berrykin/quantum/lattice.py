"""Finite real-space lattices with Peierls phases for any vector potential.

Minimal coupling ``p -> p - a(r, t)`` (charge absorbed: ``b = curl a = eB``, see
:mod:`berrykin.conventions`) turns the hoppings of a :class:`~berrykin.models.TightBinding` into

    <r| H |r + a R> = T_R exp(-i theta(r, R)),   theta(r, R) = Int_r^{r + a R} a . dl

along the straight segment (Gauss-Legendre quadrature, exact for polynomial ``a`` of degree
< 2 * ``order``), and adds ``phi(r)`` (the scalar potential; it adds ``2 phi`` to eps) to the
onsite term. For a uniform ``a`` this is ``H(k) -> H(k - a)``, the symbol of
:class:`~berrykin.models.MinimalCoupling`; the flux of b through a plaquette is the phase
``sum of theta`` counter-clockwise around it. Basis ordering: index ``2 * site + orbital`` with
sites in row-major (C) order of ``shape``; positions ``r = a * n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, ShapeError
from ..models.fields import GaugeField
from ..models.tight_binding import TightBinding

#: Largest mismatch (radians, mod 2 pi) between the Peierls phases of a hop and of its image one
#: period away along a periodic direction; a larger one means a gauge that does not fit the torus.
GAUGE_TOL = 1e-9


@dataclass(frozen=True)
class LandauGauge:
    """Uniform ``b`` along z in the Landau gauge ``a = (0, b x)`` (2D) or ``(0, b x, 0)`` (3D).

    Callable on positions (N, d) -> (N, d) (NumPy). On a torus of ``L_x`` cells with lattice
    constant ``a`` it is consistent iff ``b a^2 L_x`` is a multiple of ``2 pi``; use
    :meth:`for_flux` with ``q`` dividing ``L_x``.
    """

    b: float

    @classmethod
    def for_flux(cls, p: int, q: int, lattice_constant: float = 1.0) -> "LandauGauge":
        """Flux ``p/q`` flux quanta (``2 pi``) per plaquette: ``b = 2 pi p/(q a^2)``."""
        return cls(2 * np.pi * p / (q * lattice_constant**2))

    def __call__(self, r):
        r = np.asarray(r, dtype=np.float64)
        out = np.zeros_like(r)
        out[..., 1] = self.b * r[..., 0]
        return out


def lattice_sites(shape) -> np.ndarray:
    """Integer cell coordinates (N, d) in row-major order of ``shape`` (N = prod(shape))."""
    shape = tuple(int(s) for s in shape)
    return np.stack(np.meshgrid(*[np.arange(s) for s in shape], indexing="ij"), axis=-1).reshape(-1, len(shape))


def _vector_potential(field, t):
    """A NumPy function r (N, d) -> a (N, d) and one r -> phi (N,) (or None) from ``field``."""
    if isinstance(field, GaugeField):
        import jax
        import jax.numpy as jnp

        def a_fn(r):
            with jax.enable_x64(True):
                return np.asarray(jax.vmap(lambda x: field.a(x, jnp.float64(t)))(jnp.asarray(r)))

        def phi_fn(r):
            with jax.enable_x64(True):
                return np.asarray(jax.vmap(lambda x: field.phi(x, jnp.float64(t)))(jnp.asarray(r)))

        return a_fn, phi_fn
    if callable(field):
        return (lambda r: np.asarray(field(r), dtype=np.float64)), None
    raise ParameterError("field", field, "None, a GaugeField or a callable a(r): (N, d) -> (N, d)")


def line_integrals(a_fn, starts, ends, order: int = 8) -> np.ndarray:
    """``Int_start^end a . dl`` along straight segments; starts, ends (N, d) -> (N,).

    Gauss-Legendre with ``order`` nodes per segment (exact for polynomial a of degree
    < 2 order).
    """
    starts = np.asarray(starts, dtype=np.float64)
    ends = np.asarray(ends, dtype=np.float64)
    if starts.shape != ends.shape or starts.ndim != 2:
        raise ShapeError("starts, ends", (starts.shape, ends.shape), "two equal shapes (N, d)")
    x, w = np.polynomial.legendre.leggauss(int(order))
    s, w = 0.5 * (x + 1.0), 0.5 * w
    seg = ends - starts
    pts = starts[None] + s[:, None, None] * seg[None]                        # (order, N, d)
    a = a_fn(pts.reshape(-1, starts.shape[1])).reshape(pts.shape)
    return np.einsum("o,ond,nd->n", w, a, seg)


def real_space_hamiltonian(tb: TightBinding, shape, *, periodic=True, field=None, t: float = 0.0,
                           sparse: bool = False, order: int = 8):
    """The real-space Hamiltonian of ``tb`` on a finite lattice, with Peierls phases.

    Parameters
    ----------
    tb : :class:`~berrykin.models.TightBinding` (any ``onsite_field`` is evaluated per cell).
    shape : cells per direction ``(L_1, ..., L_d)``.
    periodic : bool or one bool per direction (torus / open boundaries).
    field : None, a :class:`~berrykin.models.GaugeField` (``a(r, t)`` and ``phi(r, t)``), or a
        NumPy callable ``a(r)``: (N, d) -> (N, d), e.g. :class:`LandauGauge`.
    t : time at which a GaugeField is evaluated.
    sparse : return ``scipy.sparse.csr_matrix`` instead of a dense array.

    Returns the Hermitian matrix of shape ``(2 N, 2 N)``, ``N = prod(shape)`` (complex128).
    Hops that cross a periodic boundary use the segment starting inside the lattice. Along a
    periodic direction every hop's phase must equal (mod 2 pi) that of its image one period
    away, so that the field is uniform across the seam (else :class:`ParameterError`: the
    gauge does not fit the torus; a uniform b needs the Landau gauge with ``q | L_x``).
    """
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    d = tb.dim
    if len(shape) != d or min(shape) < 1:
        raise ParameterError("shape", shape, f"{d} positive cell counts")
    per = np.broadcast_to(np.asarray(periodic, dtype=bool), (d,))
    sites = lattice_sites(shape)
    n, a0 = sites.shape[0], tb.lattice_constant
    a_fn, phi_fn = (None, None) if field is None else _vector_potential(field, t)

    rows, cols, vals = [], [], []
    onsite = tb.onsite_at(a0 * sites)
    if phi_fn is not None:
        onsite = onsite + phi_fn(a0 * sites.astype(float))[:, None, None] * np.eye(2)
    idx = np.arange(n)
    for o1 in range(2):
        for o2 in range(2):
            rows.append(2 * idx + o1), cols.append(2 * idx + o2), vals.append(0.5 * onsite[:, o1, o2])
    L = np.asarray(shape)
    for R, T in zip(tb.displacements, tb.matrices):
        nz = R[np.nonzero(R)[0][0]]
        if nz < 0:           # one of each pair (R, -R); the conjugate is added below
            continue
        target = sites + R
        wrapped = (target < 0) | (target >= L)
        keep = ~np.any(wrapped & ~per, axis=1)
        src, tgt = sites[keep], np.mod(target[keep], L)
        phase = np.ones(src.shape[0], dtype=np.complex128)
        if a_fn is not None:
            theta = line_integrals(a_fn, a0 * src, a0 * (src + R), order)
            for axis in np.nonzero(per)[0]:   # the same hop one period away: same phase mod 2 pi
                shift = np.zeros(d, dtype=np.int64)
                shift[axis] = L[axis]
                image = line_integrals(a_fn, a0 * (src + shift), a0 * (src + shift + R), order)
                mism = np.abs(np.angle(np.exp(1j * (image - theta))))
                if mism.size and mism.max() > GAUGE_TOL:
                    raise ParameterError("field", field, "a vector potential that fits the torus (Peierls "
                                         f"phases differ by {mism.max():.3g} rad one period apart along "
                                         f"axis {axis}): e.g. LandauGauge.for_flux(p, q) with q dividing L_x")
            phase = np.exp(-1j * theta)
        i_src = np.ravel_multi_index(src.T, shape)
        i_tgt = np.ravel_multi_index(tgt.T, shape)
        for o1 in range(2):
            for o2 in range(2):
                if T[o1, o2] != 0:
                    rows.append(2 * i_src + o1), cols.append(2 * i_tgt + o2)
                    vals.append(T[o1, o2] * phase)
    import scipy.sparse as sp

    half = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(2 * n, 2 * n)).tocsr()
    H = half + half.getH()
    return H.tocsr() if sparse else H.toarray()
