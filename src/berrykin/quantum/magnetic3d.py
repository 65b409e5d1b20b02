"""Magnetic Bloch reduction of a 3D lattice in a uniform b along z, and exact propagation in k_z.

Flux ``phi = p/q`` flux quanta per x-y plaquette of a 3D :class:`~berrykin.models.TightBinding`
with unit lattice constant is ``b = 2 pi phi`` along z (hbar = e = 1, ``b = eB``; the Peierls
phases ``exp(-i Int a.dl)`` of :mod:`berrykin.quantum.lattice`, minimal coupling ``p -> p - a``).
In the Landau gauge ``a = (0, b x, 0)`` the phase of hop ``R`` from cell ``x = j`` is
``theta = 2 pi phi R_y (j + R_x/2)`` (it does not depend on ``R_z``), so, exactly as in
:mod:`berrykin.quantum.hofstadter`, a q-cell magnetic cell along x gives the ``2q x 2q`` magnetic
Bloch Hamiltonian on ``k_x in [0, 2 pi/q)``, ``k_y, k_z in [-pi, pi)``. It is a Fourier series in
``k_z``::

    H(k_x, k_y, k_z) = sum_m H_m(k_x, k_y) exp(i m k_z),   H_{-m} = H_m^dagger,
    (H_m)_{j, (j + R_x) mod q} += T_R exp(i (k_x R_x + k_y R_y)) exp(-i theta(j, R))  (R_z = m).

A uniform electric field ``e`` along z in the vector gauge ``a_z = -e t`` (``e = -d_t a``) shifts
the kinetic momentum, ``k_z(t) = k_z0 + e t``. :func:`shift_propagators` returns the exact
(fourth-order Magnus, ``substeps`` steps) propagators ``W_j`` that carry a state from kinetic
momentum ``kz_j`` to ``kz_j + delta`` in the time ``delta/e``; :func:`ramp_propagators` those of a
smooth switch-on ``e(t) = e s(t/t_r)``, ``s(x) = x - sin(2 pi x)/(2 pi)`` for ``0 <= x <= 1`` (the
field and its time derivative are continuous at ``t = 0`` and at ``t = t_r``), under
which ``k_z(t) = kz_0 + e K(t)``, ``K = t_r (x^2/2 + (cos(2 pi x) - 1)/(4 pi^2))``, ``K(t_r) = t_r/2``.
:func:`fermi_sea_occupations` evolves the states below a Fermi level with them
(:mod:`berrykin.quantum.weyl_anomaly`). The linear algebra uses only products and inverses
(:func:`expm_hermitian`, :func:`fermi_projector`) on one BLAS thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import math
import os
from fractions import Fraction

import numpy as np

from ..errors import ParameterError
from ..models.tight_binding import TightBinding
from .evolution import GAUSS_NODES


def as_tight_binding_3d(system) -> TightBinding:
    """The translation-invariant 3D :class:`TightBinding` of ``system`` (or ParameterError)."""
    tb = system if isinstance(system, TightBinding) else getattr(system, "tight_binding", lambda: None)()
    if not isinstance(tb, TightBinding) or tb.dim != 3 or tb.onsite_field is not None:
        raise ParameterError("system", system, "a translation-invariant 3D TightBinding or a 3D lattice "
                             "model with tight_binding() (e.g. LatticeWeyl)")
    if tb.lattice_constant != 1.0:
        raise ParameterError("system", system, "a lattice with unit lattice constant")
    return tb


def as_flux(flux) -> Fraction:
    """``flux`` as a non-zero Fraction p/q (floats are rounded to denominators <= 10^4)."""
    try:
        f = Fraction(flux).limit_denominator(10**4) if isinstance(flux, float) else Fraction(flux)
    except (TypeError, ValueError):
        raise ParameterError("flux", flux, "a non-zero rational number p/q, e.g. Fraction(1, 16)") from None
    if f == 0:
        raise ParameterError("flux", flux, "a non-zero rational number p/q, e.g. Fraction(1, 16)")
    return f


def kz_harmonics(system, flux, kxy) -> tuple[np.ndarray, np.ndarray]:
    """Fourier components of the magnetic Bloch Hamiltonian in ``k_z`` (see module docstring).

    ``kxy``: (..., 2) in the magnetic zone. Returns ``(m, H_m)``: the harmonics m (n_m,) int and
    the matrices (..., n_m, 2q, 2q) complex128; basis index ``2 j + orbital``, j = 0..q-1.
    """
    tb, f = as_tight_binding_3d(system), as_flux(flux)
    p, q = f.numerator, f.denominator
    kxy = np.asarray(kxy, dtype=np.float64)
    R = tb.displacements
    ms = np.unique(np.concatenate([[0], R[:, 2]]))
    H = np.zeros(kxy.shape[:-1] + (ms.size, 2 * q, 2 * q), dtype=np.complex128)
    j = np.arange(q)
    for Rv, T in zip(R, tb.matrices):
        m = int(np.searchsorted(ms, Rv[2]))
        bloch = np.exp(1j * (kxy @ Rv[:2].astype(float)))                       # (...)
        peierls = np.exp(-2j * np.pi * p / q * Rv[1] * (j + 0.5 * Rv[0]))       # (q,)
        jt = np.mod(j + Rv[0], q)
        for o1 in range(2):
            for o2 in range(2):
                H[..., m, 2 * j + o1, 2 * jt + o2] += T[o1, o2] * bloch[..., None] * peierls
    m0 = int(np.searchsorted(ms, 0))
    for o1 in range(2):
        for o2 in range(2):
            H[..., m0, 2 * j + o1, 2 * j + o2] += tb.onsite[o1, o2]
    return ms, H


def evaluate_harmonics(ms, Hm, kz) -> np.ndarray:
    """``sum_m H_m exp(i m k_z)`` for one set of harmonics (n_m, D, D) and kz (...) -> (..., D, D)."""
    phase = np.exp(1j * np.multiply.outer(np.asarray(kz, dtype=np.float64), ms))
    return np.einsum("...m,mij->...ij", phase, Hm)


def magnetic_bloch_hamiltonian_3d(system, flux, k) -> np.ndarray:
    """The ``2q x 2q`` magnetic Bloch Hamiltonian at flux p/q per x-y plaquette, k (..., 3).

    >>> from fractions import Fraction
    >>> from berrykin.models import LatticeWeyl
    >>> H = magnetic_bloch_hamiltonian_3d(LatticeWeyl(), Fraction(1, 5), [0.1, 0.2, 0.3])
    >>> H.shape, bool(np.allclose(H, H.conj().T))
    ((10, 10), True)
    """
    k = np.asarray(k, dtype=np.float64)
    ms, H = kz_harmonics(system, flux, k[..., :2])
    phase = np.exp(1j * k[..., 2, None] * ms)
    return np.einsum("...m,...mij->...ij", phase, H)


#: Largest Frobenius norm of the scaled exponent in :func:`expm_hermitian` and Taylor degree.
_EXPM_NORM, _EXPM_DEGREE = 0.5, 16


@functools.lru_cache(maxsize=1)
def _openblas():
    """(get, set) thread-count functions of NumPy's bundled OpenBLAS, or None."""
    import numpy

    libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs", "*openblas*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, put in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                         ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                         ("openblas_get_num_threads", "openblas_set_num_threads")):
            if hasattr(lib, get) and hasattr(lib, put):
                getter, setter = getattr(lib, get), getattr(lib, put)
                getter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
                return getter, setter
    return None


@contextlib.contextmanager
def single_threaded_blas():
    """Run NumPy's OpenBLAS on one thread inside the block (restored on exit; no-op elsewhere).

    The batched products and inverses of small (<= ~100) matrices used here are fastest on one
    thread; a threaded BLAS on a loaded machine makes them up to ~200 times slower.
    """
    fns = _openblas()
    if fns is None:
        yield
        return
    old = fns[0]()
    fns[1](1)
    try:
        yield
    finally:
        fns[1](max(1, old))


def _dagger(A):
    return np.conj(np.swapaxes(A, -1, -2))


def expm_hermitian(M) -> np.ndarray:
    """``exp(-i M)`` for Hermitian M (..., D, D) by scaling and squaring a degree-16 Taylor series.

    Only matrix products (robust and fast for small batched matrices, unlike LAPACK eigensolvers
    under threaded BLAS on a loaded machine); truncation error ``< 0.5^17/17! ~ 2e-20`` per scaled
    step, unitary to ~1e-15 times the number of squarings.
    """
    M = np.asarray(M, dtype=np.complex128)
    norm = float(np.max(np.linalg.norm(M, axis=(-2, -1)), initial=0.0))
    s = max(0, math.ceil(math.log2(norm / _EXPM_NORM))) if norm > 0 else 0
    X = -1j * M / 2**s
    out = np.broadcast_to(np.eye(M.shape[-1], dtype=np.complex128), M.shape).copy()
    for k in range(_EXPM_DEGREE, 0, -1):                 # Horner: I + X/1 (I + X/2 (I + ...))
        out = np.eye(M.shape[-1]) + (X @ out) / k
    for _ in range(s):
        out = out @ out
    return out


def fermi_projector(H, mu: float, tol: float = 1e-13, max_iter: int = 100):
    """Projector on the eigenstates of Hermitian H (..., D, D) below ``mu``, and a gap bound.

    ``P = (1 - sign(H - mu))/2`` with the sign function from the scaled Newton iteration
    ``X -> (g X + X^{-1}/g)/2``, ``g = sqrt(|X^{-1}|_F/|X|_F)`` (quadratic convergence; only
    inverses and products). Returns ``(P, gap)`` with ``gap = 1/|(H - mu)^{-1}|_F``, a lower bound
    of ``min |E - mu|`` (...).
    """
    A = np.asarray(H, dtype=np.complex128) - mu * np.eye(np.shape(H)[-1])
    X, gap = A, None
    for _ in range(int(max_iter)):
        try:
            Xi = np.linalg.inv(X)
        except np.linalg.LinAlgError:
            raise ParameterError("mu", mu, "a Fermi level that is not an eigenvalue (shift it slightly)") from None
        if gap is None:
            gap = 1.0 / np.linalg.norm(Xi, axis=(-2, -1))
        nx, ni = np.linalg.norm(X, axis=(-2, -1)), np.linalg.norm(Xi, axis=(-2, -1))
        g = np.sqrt(ni / nx)[..., None, None]
        new = 0.5 * (g * X + Xi / g)
        new = 0.5 * (new + _dagger(new))
        done = np.max(np.linalg.norm(new - X, axis=(-2, -1)) / np.linalg.norm(new, axis=(-2, -1))) < tol
        X = new
        if done:
            break
    else:
        raise ParameterError("mu", mu, "a Fermi level away from the eigenvalues (the sign iteration "
                             "did not converge)")
    return 0.5 * (np.eye(A.shape[-1]) - X), gap


def _magnus_unitaries(H1, H2, dt):
    """Batched ``exp(-i M)``, ``M = (H1 + H2) dt/2 - i (sqrt 3/12) dt^2 [H2, H1]`` (Magnus 4)."""
    M = 0.5 * dt * (H1 + H2) - 1j * (math.sqrt(3) / 12) * dt * dt * (H2 @ H1 - H1 @ H2)
    return expm_hermitian(0.5 * (M + _dagger(M)))


def shift_propagators(ms, Hm, kz, delta: float, e: float, substeps: int) -> np.ndarray:
    """Exact propagators ``W_j`` over the time ``|delta/e|`` with ``k_z(t) = kz_j + e t``.

    ``ms, Hm``: harmonics from :func:`kz_harmonics` at one (k_x, k_y) (Hm: (n_m, D, D));
    ``kz``: (N,) start momenta; ``delta``: the k_z shift, with the sign of ``e``. Each ``W_j``
    is the ordered product of ``substeps`` fourth-order Magnus steps of length
    ``dt = delta/(e substeps)`` (global error O(dt^4)). Returns (N, D, D) unitaries.
    """
    kz = np.asarray(kz, dtype=np.float64)
    dt = delta / (e * substeps)
    if not dt > 0:
        raise ParameterError("delta, e", (delta, e), "a k_z shift delta with the sign of e")
    c1, c2 = GAUSS_NODES
    W = np.broadcast_to(np.eye(Hm.shape[-1], dtype=np.complex128), kz.shape + Hm.shape[-2:]).copy()
    for s in range(int(substeps)):
        k_start = kz + s * e * dt
        U = _magnus_unitaries(evaluate_harmonics(ms, Hm, k_start + c1 * e * dt),
                              evaluate_harmonics(ms, Hm, k_start + c2 * e * dt), dt)
        W = U @ W
    return W


def ramp_shift(t, t_ramp: float):
    """``K(t)`` of the smooth switch-on (module docstring): the k_z shift per unit field."""
    x = np.clip(np.asarray(t, dtype=np.float64) / t_ramp, 0.0, 1.0)
    return t_ramp * (x * x / 2 + (np.cos(2 * np.pi * x) - 1) / (4 * np.pi**2))


def ramp_propagators(ms, Hm, kz, e: float, t_ramp: float, steps: int) -> np.ndarray:
    """Propagators (N, D, D) over the switch-on ``[0, t_ramp]`` with ``k_z(t) = kz_j + e K(t)``.

    ``steps`` fourth-order Magnus steps of length ``t_ramp/steps`` (module docstring).
    """
    kz = np.asarray(kz, dtype=np.float64)
    dt = t_ramp / int(steps)
    c1, c2 = GAUSS_NODES
    W = np.broadcast_to(np.eye(Hm.shape[-1], dtype=np.complex128), kz.shape + Hm.shape[-2:]).copy()
    for s in range(int(steps)):
        t = s * dt
        U = _magnus_unitaries(evaluate_harmonics(ms, Hm, kz + e * ramp_shift(t + c1 * dt, t_ramp)),
                              evaluate_harmonics(ms, Hm, kz + e * ramp_shift(t + c2 * dt, t_ramp)), dt)
        W = U @ W
    return W


def fermi_sea_occupations(system, flux, kxy, kz, e: float, mu: float, *, ramp: int, shifts: int,
                          substeps: int):
    """Exact evolution of the states below ``mu`` on a k_z grid at one ``(k_x, k_y)``.

    ``kz``: uniform grid (N,) of spacing ``delta`` covering the zone. The field is switched on
    over ``t_r = 2 ramp delta/|e|`` (:func:`ramp_propagators`, ``2 ramp substeps`` steps), then the
    grid moves by ``delta`` per sample (:func:`shift_propagators`). Samples: ``t = 0`` and
    ``t_r + n delta/|e|``, n = 0..shifts. With ``P_j`` the projector below mu at ``kz_j`` and
    ``U_j`` the propagator of the states that started there, now at grid index ``i = at[n, j]``::

        above[n, j] = Tr[U P_j U^+ (1 - P_i)],    below[n, j] = Tr[(1 - U P_j U^+) P_i]

    (particles above and holes below mu). Returns ``(above, below, at)`` of shape
    (shifts + 2, N), the gap bound (N,) of :func:`fermi_projector` and ``max |U^+ U - 1|``.
    """
    kz = np.asarray(kz, dtype=np.float64)
    n_kz, step = kz.size, (1 if e > 0 else -1)
    delta = float(kz[1] - kz[0])
    ms, Hm = kz_harmonics(system, flux, kxy)
    P, gap = fermi_projector(evaluate_harmonics(ms, Hm, kz), mu)                  # (N, D, D), (N,)
    r = np.real(np.trace(P, axis1=-2, axis2=-1))                                  # states below mu
    above, below = np.zeros((2, shifts + 2, n_kz))
    at = np.empty((shifts + 2, n_kz), dtype=np.int64)
    U = np.broadcast_to(np.eye(P.shape[-1], dtype=np.complex128), P.shape).copy()
    W = shift_propagators(ms, Hm, kz, step * delta, e, substeps)
    for n in range(-1, shifts + 1):
        if n == 0:
            U = ramp_propagators(ms, Hm, kz, e, 2 * ramp * delta / abs(e), 2 * ramp * substeps) @ U
        elif n > 0:
            U = W[(np.arange(n_kz) + step * (ramp + n - 1)) % n_kz] @ U
        at[n + 1] = (np.arange(n_kz) + step * (0 if n < 0 else ramp + n)) % n_kz
        overlap = np.real(np.einsum("jab,jba->j", U @ P @ _dagger(U), P[at[n + 1]]))
        above[n + 1], below[n + 1] = r - overlap, r[at[n + 1]] - overlap
    return above, below, at, gap, float(np.max(np.abs(_dagger(U) @ U - np.eye(U.shape[-1]))))
