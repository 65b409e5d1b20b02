"""Tight-binding forms of two-band lattice models (immutable data, NumPy).

A :class:`TightBinding` describes a lattice of unit cells at positions ``r = a n`` (``n`` an
integer vector, ``a`` the lattice constant), two orbitals per cell sitting at the cell position,
an onsite 2x2 matrix ``T_0`` (optionally plus a position-dependent onsite term ``V(r)``, e.g. an
exchange field ``J n(r) . sigma``) and hoppings ``(R, T_R)`` with integer displacements R.
Real-space matrix elements and Bloch Hamiltonian::

    <r| H |r + a R> = T_R                       (<r|H|r> = T_0 + V(r))
    H(k) = T_0 + V(r) + sum_R T_R exp(i a k . R)      (2x2, periodic in k with period 2 pi/a)

Every R comes with -R and ``T_{-R} = T_R^dagger`` (H Hermitian). Under minimal coupling
``p -> p - a_vec`` (charge absorbed, :mod:`berrykin.conventions`) the hoppings acquire Peierls
phases ``T_R -> T_R exp(-i Int_r^{r + a R} a_vec . dl)``; :mod:`berrykin.quantum.lattice` builds
them for any vector potential. For the built-in lattice models ``H(k)`` equals the phase-space
symbol ``eps/2 + Delta . sigma/2`` (paper Eq. 12, tau = sigma/2); see :func:`symbol`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ParameterError, ShapeError

#: Pauli matrices sigma_x, sigma_y, sigma_z (complex128, read-only), shape (3, 2, 2).
PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=np.complex128)
PAULI.setflags(write=False)
IDENTITY = np.eye(2, dtype=np.complex128)
IDENTITY.setflags(write=False)

#: Largest |T_{-R} - T_R^dagger| (relative to max |T|) accepted as Hermitian.
HERMITIAN_TOL = 1e-13


def pauli_matrix(eps, delta):
    """``eps/2 + Delta . sigma/2`` for eps of shape (...) and Delta of shape (..., 3) -> (..., 2, 2)."""
    eps = np.asarray(eps, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    return 0.5 * (eps[..., None, None] * IDENTITY + np.einsum("...i,ijk->...jk", delta, PAULI))


def symbol(H):
    """Inverse of :func:`pauli_matrix`: ``eps = Tr H`` and ``Delta_i = Tr(H sigma_i)``.

    H: Hermitian matrices (..., 2, 2). Returns ``(eps (...), Delta (..., 3))`` (float64).
    """
    H = np.asarray(H)
    if H.shape[-2:] != (2, 2):
        raise ShapeError("H", H.shape, "(..., 2, 2)")
    eps = np.real(np.trace(H, axis1=-2, axis2=-1))
    delta = np.real(np.einsum("...jk,ikj->...i", H, PAULI))
    return eps, delta


def _matrix(name, value):
    m = np.array(value, dtype=np.complex128)
    if m.shape != (2, 2) or not np.all(np.isfinite(m)):
        raise ParameterError(name, value, "a finite 2x2 matrix")
    m.setflags(write=False)
    return m


@dataclass(frozen=True, eq=False)
class TightBinding:
    """Immutable tight-binding description of a two-orbital lattice model (see module docstring).

    Parameters
    ----------
    onsite : 2x2 Hermitian matrix ``T_0``.
    hoppings : mapping or sequence of ``(R, T_R)``; R an integer vector of length ``dim``
        (non-zero, each once), ``T_R`` a 2x2 matrix; ``-R`` must be present with ``T_R^dagger``
        (use :meth:`from_half` to add the conjugates automatically).
    lattice_constant : a > 0 (length unit of positions; k in 1/length).
    onsite_field : optional ``V(r)``: positions (N, dim) -> Hermitian (N, 2, 2) (NumPy), added
        to the onsite term at each cell (e.g. exchange ``J n(r) . sigma``).
    name : a label.

    Example
    -------
    >>> import numpy as np
    >>> chain = TightBinding.from_half(np.zeros((2, 2)), {(1,): np.eye(2)}, dim=1)
    >>> float(chain.bloch_hamiltonian([0.0])[0, 0].real)   # 2 cos 0
    2.0
    """

    dim: int
    onsite: np.ndarray
    displacements: np.ndarray      # (n_hop, dim) int64, read-only
    matrices: np.ndarray           # (n_hop, 2, 2) complex128, read-only
    lattice_constant: float = 1.0
    onsite_field: Callable | None = None
    name: str = ""

    def __init__(self, dim, onsite, hoppings, lattice_constant=1.0, onsite_field=None, name=""):
        if dim not in (1, 2, 3):
            raise ParameterError("dim", dim, "1, 2 or 3")
        T0 = _matrix("onsite", onsite)
        items = list(hoppings.items()) if isinstance(hoppings, dict) else list(hoppings)
        R = np.zeros((len(items), dim), dtype=np.int64)
        T = np.zeros((len(items), 2, 2), dtype=np.complex128)
        for i, (disp, mat) in enumerate(items):
            d = np.asarray(disp)
            if d.shape != (dim,) or not np.all(np.equal(np.round(d), d)) or not np.any(d):
                raise ParameterError("hoppings", disp, f"non-zero integer displacements of length {dim}")
            R[i] = d.astype(np.int64)
            T[i] = _matrix(f"hoppings[{tuple(d)}]", mat)
        keys = [tuple(r) for r in R]
        if len(set(keys)) != len(keys):
            raise ParameterError("hoppings", keys, "each displacement at most once")
        scale = max(1.0, float(np.max(np.abs(T), initial=0.0)), float(np.max(np.abs(T0))))
        if np.max(np.abs(T0 - T0.conj().T)) > HERMITIAN_TOL * scale:
            raise ParameterError("onsite", onsite, "a Hermitian 2x2 matrix")
        index = {k: i for i, k in enumerate(keys)}
        for i, k in enumerate(keys):
            j = index.get(tuple(-x for x in k))
            if j is None or np.max(np.abs(T[j] - T[i].conj().T)) > HERMITIAN_TOL * scale:
                raise ParameterError("hoppings", k, "every R together with -R and T_{-R} = T_R^dagger "
                                     "(TightBinding.from_half adds the conjugates)")
        a = float(lattice_constant)
        if not np.isfinite(a) or a <= 0:
            raise ParameterError("lattice_constant", lattice_constant, "a length > 0")
        if onsite_field is not None and not callable(onsite_field):
            raise ParameterError("onsite_field", onsite_field, "None or a callable r (N, dim) -> (N, 2, 2)")
        R.setflags(write=False)
        T.setflags(write=False)
        for k, v in (("dim", int(dim)), ("onsite", T0), ("displacements", R), ("matrices", T),
                     ("lattice_constant", a), ("onsite_field", onsite_field), ("name", str(name))):
            object.__setattr__(self, k, v)

    @classmethod
    def from_half(cls, onsite, half_hoppings, dim, **kwargs) -> "TightBinding":
        """Build from one of each pair ``(R, T_R)``; ``(-R, T_R^dagger)`` is added."""
        items = list(half_hoppings.items()) if isinstance(half_hoppings, dict) else list(half_hoppings)
        full = []
        for disp, mat in items:
            m = np.asarray(mat, dtype=np.complex128)
            full.append((tuple(disp), m))
            full.append((tuple(-np.asarray(disp)), m.conj().T))
        return cls(dim, onsite, full, **kwargs)

    @property
    def hoppings(self) -> tuple:
        """``((R, T_R), ...)`` as tuples and read-only arrays."""
        return tuple((tuple(int(x) for x in r), t) for r, t in zip(self.displacements, self.matrices))

    def _check_k(self, k):
        k = np.asarray(k, dtype=np.float64)
        if k.ndim == 0 or k.shape[-1] != self.dim:
            raise ShapeError("k", k.shape, f"(..., {self.dim})")
        return k

    def onsite_at(self, r):
        """``T_0 + V(r)`` for positions r (N, dim) -> (N, 2, 2)."""
        r = np.asarray(r, dtype=np.float64).reshape(-1, self.dim)
        out = np.broadcast_to(self.onsite, (r.shape[0], 2, 2)).copy()
        if self.onsite_field is not None:
            out += np.asarray(self.onsite_field(r), dtype=np.complex128).reshape(r.shape[0], 2, 2)
        return out

    def bloch_hamiltonian(self, k, r=None):
        """``H(k) = T_0 + V(r) + sum_R T_R exp(i a k.R)``; k (..., dim) -> (..., 2, 2).

        ``r`` (dim,) freezes the position-dependent onsite term at one point (the local Bloch
        Hamiltonian of a textured model); without it V is left out.
        """
        k = self._check_k(k)
        phase = np.exp(1j * self.lattice_constant * (k @ self.displacements.T))   # (..., n_hop)
        H = np.einsum("...h,hij->...ij", phase, self.matrices) + self.onsite
        if r is not None and self.onsite_field is not None:
            r = np.asarray(r, dtype=np.float64).reshape(1, self.dim)
            H = H + np.asarray(self.onsite_field(r), dtype=np.complex128).reshape(2, 2)
        return H

    def bloch_velocity(self, k):
        """``dH/dk_i = sum_R i a R_i T_R exp(i a k.R)``; k (..., dim) -> (..., dim, 2, 2)."""
        k = self._check_k(k)
        a = self.lattice_constant
        phase = np.exp(1j * a * (k @ self.displacements.T))
        return np.einsum("...h,hd,hij->...dij", 1j * a * phase, self.displacements.astype(float), self.matrices)
