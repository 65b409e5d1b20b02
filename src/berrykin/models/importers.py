"""Two-orbital tight-binding models from other codes: PythTB objects and Wannier90 ``_hr.dat``.

Both importers return an :class:`ImportedTightBinding`, a berrykin model whose symbol is the
source's Bloch Hamiltonian written as ``H(p) = eps/2 + Delta . sigma/2`` (paper Eq. 12,
``tau = sigma/2``; :func:`~berrykin.models.tight_binding.symbol`).

Coordinates. Positions and lattice vectors are *reduced* (in units of the lattice vectors) and
the momentum is ``p_i = 2 pi k_i`` with ``k_i`` the reduced wave vector of both codes (units of
the reciprocal lattice vectors), so every ``p_i`` has the Brillouin-zone period ``2 pi`` as for
the built-in lattice models. For a lattice with ``det(lat) > 0`` this map keeps the orientation
of the ``(p_x, p_y)`` plane, hence Chern numbers; with ``det(lat) < 0`` their sign flips.
Energies are in the source's units (eV for Wannier90).

Bloch conventions (with ``<i, 0| H |j, R> = t_ij(R)``):

* Wannier90 (and berrykin's :class:`~berrykin.models.TightBinding`): no orbital positions,
  ``H_ij(k) = sum_R t_ij(R) exp(i p . R)``; periodic, ``H(p + 2 pi e_l) = H(p)``.
* PythTB: orbital positions ``tau_i`` (``_orb``) in the phases,
  ``H_ij(k) = sum_R t_ij(R) exp(i p . (R + tau_j - tau_i))`` = ``U(p)^dag H_W90(p) U(p)`` with
  ``U = diag(exp(i p . tau_i))``. Same bands and Chern number; the local Berry curvature differs
  by a curl of a periodic function, and ``H`` is periodic only up to ``U``.

:func:`from_pythtb` uses the periodic convention by default (``orbital_phases=False``) so that
the model has a Brillouin zone (``momentum_period = 2 pi``) for :func:`berrykin.chern_number`
and the periodic kinetic grids; ``orbital_phases=True`` reproduces PythTB's matrix exactly (the
model then has ``momentum_period = None`` unless the two orbitals sit at equivalent positions).
"""

from __future__ import annotations

import math
import pathlib
import re
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from ..errors import ParameterError
from .base import Model
from .tight_binding import IDENTITY, PAULI, TightBinding

__all__ = ["ImportedTightBinding", "from_pythtb", "from_wannier90"]

_SIGMA4 = np.concatenate([IDENTITY[None], PAULI])  # sigma_0..sigma_3, (4, 2, 2)
#: Largest |t_ji(-R)^* - t_ij(R)| (relative to max |t|) symmetrised away on import (printed
#: precision of Wannier90 files); larger differences are refused as non-Hermitian.
IMPORT_HERMITIAN_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class ImportedTightBinding(Model):
    """``H(p) = sum_h M_h exp(i p . d_h)`` (2x2) from imported tight-binding data.

    Attributes
    ----------
    tight_binding_data : the :class:`TightBinding` (integer R, periodic convention).
    orbital_positions : (2, dim) reduced orbital positions (zeros when unknown, Wannier90).
    orbital_phases : whether the Bloch phases include the orbital positions (PythTB).
    lattice_vectors : (dim, dim) Cartesian lattice vectors (rows) or None when unknown.
    source : where the model came from (e.g. the file path).

    ``eps(p) = sum_h Re(Tr(M_h) e^{i p.d_h})`` and ``Delta_a(p) = sum_h Re(Tr(M_h sigma_a) e^{i p.d_h})``
    (the imaginary parts cancel between h and its Hermitian partner).
    """

    tight_binding_data: TightBinding
    orbital_positions: np.ndarray
    orbital_phases: bool = False
    lattice_vectors: np.ndarray | None = None
    source: str = ""

    def __post_init__(self):
        tb = self.tight_binding_data
        tau = np.array(self.orbital_positions, dtype=float).reshape(2, tb.dim)
        tau.setflags(write=False)
        object.__setattr__(self, "orbital_positions", tau)
        vecs, mats = [np.zeros(tb.dim)], [tb.onsite]
        for R, T in zip(tb.displacements, tb.matrices):
            vecs.append(R.astype(float))
            mats.append(T)
        if self.orbital_phases:  # split every matrix into elements with their own shift
            ev, em = [], []
            for d, M in zip(vecs, mats):
                for a in range(2):
                    for b in range(2):
                        if M[a, b] != 0:
                            E = np.zeros((2, 2), dtype=complex)
                            E[a, b] = M[a, b]
                            ev.append(d + tau[b] - tau[a])
                            em.append(E)
            vecs, mats = ev or [np.zeros(tb.dim)], em or [np.zeros((2, 2), dtype=complex)]
        coef = np.einsum("hij,aji->ha", np.asarray(mats), _SIGMA4)  # Tr(M sigma_a), (n, 4)
        for k, v in (("_d", np.asarray(vecs, dtype=float)), ("_cr", coef.real.copy()), ("_ci", coef.imag.copy())):
            v.setflags(write=False)
            object.__setattr__(self, k, v)
        shift = tau[1] - tau[0]
        periodic = not self.orbital_phases or np.allclose(shift, np.round(shift), atol=1e-12)
        object.__setattr__(self, "_period", 2 * math.pi if periodic else None)

    @property
    def dim(self):  # type: ignore[override]
        return self.tight_binding_data.dim

    @property
    def momentum_period(self):  # type: ignore[override]
        return self._period

    @property
    def name(self) -> str:
        return self.tight_binding_data.name

    def _terms(self, p):
        theta = jnp.asarray(self._d) @ p
        c, s = jnp.cos(theta), jnp.sin(theta)
        return c @ jnp.asarray(self._cr) - s @ jnp.asarray(self._ci)  # (4,)

    def eps(self, r, p, t):
        return self._terms(p)[0]

    def gap(self, r, p, t):
        return self._terms(p)[1:]

    def bloch_hamiltonian(self, p):
        """The 2x2 Bloch matrix ``H(p)`` of the chosen convention (NumPy); p (..., dim) -> (..., 2, 2)."""
        p = np.asarray(p, dtype=float)
        if p.ndim == 0 or p.shape[-1] != self.dim:
            raise ParameterError("p", p.shape, f"momenta of shape (..., {self.dim})")
        th = p @ self._d.T
        c = np.cos(th) @ self._cr - np.sin(th) @ self._ci       # (..., 4): eps, Delta
        return 0.5 * np.einsum("...a,aij->...ij", c.astype(complex), _SIGMA4)

    def tight_binding(self) -> TightBinding:
        """The real-space data (orbitals at the cell position, as :mod:`berrykin.quantum` uses)."""
        return self.tight_binding_data


def _hermitian_tb(dim, onsite, blocks, name):
    """TightBinding from ``{R: t(R)}`` (R tuples incl. both signs), symmetrising rounding."""
    scale = max([1.0] + [float(np.max(np.abs(T))) for T in blocks.values()] + [float(np.max(np.abs(onsite)))])
    H0 = np.asarray(onsite, dtype=complex)
    if np.max(np.abs(H0 - H0.conj().T)) > IMPORT_HERMITIAN_TOL * scale:
        raise ParameterError("onsite block (R = 0)", H0.tolist(), "a Hermitian 2x2 matrix")
    hop = {}
    for R, T in blocks.items():  # a missing -R block counts as zero
        minus = tuple(-x for x in R)
        Tm = blocks.get(minus, np.zeros((2, 2), dtype=complex))
        if np.max(np.abs(T - Tm.conj().T)) > IMPORT_HERMITIAN_TOL * scale:
            raise ParameterError(f"hopping block R = {R}", T.tolist(),
                                 f"a Hermitian model: t(-R) = t(R)^dagger for R and -R = {minus}")
        T = 0.5 * (T + Tm.conj().T)
        if np.any(T != 0):
            hop[R] = T
            hop[minus] = T.conj().T
    return TightBinding(dim, 0.5 * (H0 + H0.conj().T), hop, name=name)


# -- PythTB ---------------------------------------------------------------------------------------
def from_pythtb(model_obj, *, orbital_phases: bool = False) -> ImportedTightBinding:
    """A berrykin model from a PythTB ``tb_model`` with two orbitals and no spin (duck-typed).

    Reads ``_dim_k``, ``_norb``, ``_nspin`` (1), ``_site_energies`` (2,), ``_hoppings``
    (``[amp, i, j, R]`` meaning ``<i, 0|H|j, R> = amp``, the conjugate added implicitly),
    ``_orb`` (orbital positions, reduced), ``_per`` (periodic directions) and ``_lat``.
    The Bloch Hamiltonian at PythTB's reduced ``k`` is the model's at ``p = 2 pi k``: exactly
    with ``orbital_phases=True``, and up to ``U = diag(e^{i p.tau})`` otherwise (module docs).

    >>> from types import SimpleNamespace          # stands in for pythtb.tb_model(1, 1, ...)
    >>> chain = SimpleNamespace(_dim_k=1, _norb=2, _nspin=1, _site_energies=[0.5, -0.5],
    ...                         _orb=[[0.0], [0.5]], _hoppings=[[1.0, 0, 1, [0]], [1.0, 1, 0, [1]]])
    >>> from_pythtb(chain).bloch_hamiltonian([0.0]).real.tolist()   # H(k=0): hoppings 1 + 1
    [[0.5, 2.0], [2.0, -0.5]]
    """
    try:
        dim_k, norb = int(model_obj._dim_k), int(model_obj._norb)
        nspin = int(getattr(model_obj, "_nspin", 1))
        site = np.asarray(model_obj._site_energies)
        hops = list(model_obj._hoppings)
        orb = np.asarray(model_obj._orb, dtype=float)
    except (AttributeError, TypeError, ValueError):
        raise ParameterError("model_obj", type(model_obj).__name__,
                             "a PythTB tb_model (attributes _dim_k, _norb, _site_energies, _hoppings, _orb)") from None
    if norb != 2 or nspin != 1:
        raise ParameterError("model_obj", f"{norb} orbitals, nspin={nspin}", "a spinless PythTB model with 2 orbitals")
    if dim_k not in (1, 2, 3):
        raise ParameterError("model_obj._dim_k", dim_k, "1, 2 or 3 periodic directions")
    per = [int(x) for x in getattr(model_obj, "_per", range(dim_k))]
    orb = orb.reshape(norb, -1)
    if site.shape != (2,) or not np.all(np.isfinite(site.real)) or np.any(np.abs(np.imag(site)) > 0):
        raise ParameterError("model_obj._site_energies", site, "two real on-site energies")
    onsite = np.diag(site.real.astype(complex))
    blocks: dict = {}
    for h in hops:
        amp, i, j = complex(h[0]), int(h[1]), int(h[2])
        R = np.asarray(h[3] if len(h) > 3 else np.zeros(orb.shape[1]), dtype=float)
        Rp = R[per] if R.size > len(per) else R
        if not np.all(Rp == np.round(Rp)) or i not in (0, 1) or j not in (0, 1):
            raise ParameterError("model_obj._hoppings", h, "[amp, i, j, R] with orbitals 0/1 and integer R")
        key = tuple(int(x) for x in np.round(Rp))
        if not any(key):
            onsite[i, j] += amp
            onsite[j, i] += amp.conjugate()
            continue
        minus = tuple(-x for x in key)
        blocks.setdefault(key, np.zeros((2, 2), dtype=complex))[i, j] += amp
        blocks.setdefault(minus, np.zeros((2, 2), dtype=complex))[j, i] += amp.conjugate()
    tb = _hermitian_tb(dim_k, onsite, blocks, name="PythTB model")
    lat = getattr(model_obj, "_lat", None)
    lat = None if lat is None else np.asarray(lat, dtype=float)[np.ix_(per, per)] if np.ndim(lat) == 2 else None
    return ImportedTightBinding(tb, orb[:, per], bool(orbital_phases), lat, source="pythtb")


# -- Wannier90 ------------------------------------------------------------------------------------
#: Numbers of a data line; also splits fixed-width fields that touch (``5I5,2F12.6`` with
#: large values, e.g. ``2-1234.123456``) and Fortran ``D`` exponents.
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eEdD][-+]?\d+)?")


def _float(text):
    return float(text.replace("D", "E").replace("d", "e"))


def _tokens(lines, start, count, what, path):
    out, i = [], start
    while len(out) < count:
        if i >= len(lines):
            raise ParameterError("path", str(path), f"a complete _hr.dat file ({what} ended early)")
        out.extend(lines[i].split())
        i += 1
    return out, i


def from_wannier90(path, *, dim: int | None = None) -> ImportedTightBinding:
    """A berrykin model from a two-orbital Wannier90 ``seedname_hr.dat`` file.

    Format: a comment line; ``num_wann``; ``nrpts``; ``nrpts`` degeneracies (15 per line); then
    ``nrpts * num_wann^2`` lines ``R1 R2 R3 m n Re Im`` with ``<m, 0|H|n, R> = (Re + i Im)/deg(R)``
    (orbitals counted from 1). Bloch Hamiltonian: ``H_mn(p) = sum_R e^{i p.R} <m,0|H|n,R>``
    at ``p = 2 pi k`` (reduced k). ``dim``: the number of lattice directions (default: up to the
    last direction in which some R is non-zero); the other R components must vanish.
    """
    path = pathlib.Path(path)
    try:
        lines = [ln for ln in path.read_text().splitlines()]
    except OSError as exc:
        raise ParameterError("path", str(path), f"a readable Wannier90 _hr.dat file ({exc.strerror})") from None
    try:
        num_wann, nrpts = int(lines[1].split()[0]), int(lines[2].split()[0])
        degen, i = _tokens(lines, 3, nrpts, "degeneracies", path)
        degen = [int(x) for x in degen[:nrpts]]
        rows = [_NUMBER.findall(ln) for ln in lines[i:] if ln.strip()]
        if any(len(r) != 7 for r in rows):
            raise ValueError("7 numbers per line")
        data = [(tuple(int(x) for x in r[:3]), int(r[3]), int(r[4]), _float(r[5]) + 1j * _float(r[6])) for r in rows]
    except (IndexError, ValueError):
        raise ParameterError("path", str(path), "a Wannier90 _hr.dat file (header, num_wann, nrpts, "
                             "degeneracies, lines 'R1 R2 R3 m n Re Im')") from None
    if num_wann != 2:
        raise ParameterError("num_wann", num_wann, "2 (berrykin models have two bands)")
    n2 = num_wann * num_wann
    if len(data) != nrpts * n2 or any(d < 1 for d in degen):
        raise ParameterError("path", str(path), f"{nrpts} R points x {n2} matrix elements and degeneracies >= 1")
    H: dict = {}
    for k, (R, m, n, val) in enumerate(data):
        if R != data[k - k % n2][0] or not (1 <= m <= 2 and 1 <= n <= 2):
            raise ParameterError("path", f"line {i + 1 + k}", "R blocks of num_wann^2 lines, orbitals 1 or 2")
        block = H.setdefault(R, np.zeros((2, 2), dtype=complex))
        block[m - 1, n - 1] += val / degen[k // n2]
    Rs = np.array(list(H), dtype=int).reshape(-1, 3)
    used = [a for a in range(3) if np.any(Rs[:, a] != 0)]
    need = (max(used) + 1) if used else 1
    dim = need if dim is None else dim
    if dim not in (1, 2, 3) or dim < need:
        raise ParameterError("dim", dim, f"{need}..3 (R has non-zero components up to direction {need})")
    onsite = H.pop((0, 0, 0), np.zeros((2, 2), dtype=complex))
    blocks = {R[:dim]: T for R, T in H.items()}
    tb = _hermitian_tb(dim, onsite, blocks, name=f"Wannier90 {path.name}")
    return ImportedTightBinding(tb, np.zeros((2, dim)), False, None, source=str(path))
