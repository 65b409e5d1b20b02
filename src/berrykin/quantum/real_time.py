"""Exact evolution of a one-body density matrix under a time-dependent lattice Hamiltonian (dense).

Non-interacting fermions: the one-body density matrix ``rho_ij = <c_j^dagger c_i>`` obeys
``i d_t rho = [H(t), rho]``, so ``rho(t + dt) = U rho U^dagger`` with the fourth-order Magnus
propagator (Gauss nodes ``t_{1,2} = t + (1/2 -+ sqrt(3)/6) dt``)

    U = exp(-i M),   M = (H1 + H2) dt/2 - i (sqrt(3)/12) dt^2 [H2, H1]   (M Hermitian),

evaluated by diagonalising M. Cost per step: two Hamiltonians, one ``eigh`` and three dense
products of size ``D = 2 N``: this is the dense real-space reference that the k-resolved solvers
(:mod:`berrykin.quantum.pump`) are checked and benchmarked against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ParameterError, ShapeError
from .evolution import GAUSS_NODES


@dataclass(frozen=True)
class DensityMatrixEvolution:
    """``times`` (steps+1,), ``observed`` (steps+1, ...) from ``observe(t, rho)``, final ``rho``."""

    times: np.ndarray
    observed: np.ndarray
    rho: np.ndarray

    def to_dataset(self):
        import xarray as xr

        dims = ("t",) + tuple(f"component_{i}" for i in range(self.observed.ndim - 1))
        return xr.Dataset({"observed": (dims, self.observed)}, coords={"t": self.times},
                          attrs={"method": "Magnus 4, dense one-body density matrix"})


def ground_state_density_matrix(H: np.ndarray, n_particles: int) -> np.ndarray:
    """``rho = sum of |psi><psi|`` over the ``n_particles`` lowest eigenstates of H (D, D)."""
    E, V = np.linalg.eigh(H)
    n = int(n_particles)
    if not 0 <= n <= H.shape[0]:
        raise ParameterError("n_particles", n_particles, f"0..{H.shape[0]}")
    if 0 < n < H.shape[0] and E[n] - E[n - 1] < 1e-10:
        raise ParameterError("n_particles", n_particles, "a filling with a gap above the last state")
    return V[:, :n] @ V[:, :n].conj().T


def magnus4_unitary(H1: np.ndarray, H2: np.ndarray, dt: float) -> np.ndarray:
    """``exp(-i M)`` with ``M = (H1 + H2) dt/2 - i (sqrt 3/12) dt^2 [H2, H1]`` (dense)."""
    M = 0.5 * dt * (H1 + H2) - 1j * (math.sqrt(3) / 12) * dt * dt * (H2 @ H1 - H1 @ H2)
    M = 0.5 * (M + M.conj().T)
    w, V = np.linalg.eigh(M)
    return (V * np.exp(-1j * w)) @ V.conj().T


def evolve_density_matrix(hamiltonian: Callable[[float], np.ndarray], rho0, t0: float, dt: float,
                          steps: int, observe: Callable | None = None) -> DensityMatrixEvolution:
    """Evolve ``rho0`` (D, D) from ``t0`` through ``steps`` Magnus-4 steps of length ``dt``.

    ``hamiltonian(t)`` returns the dense Hermitian (D, D) matrix at time t (e.g. from
    :func:`berrykin.quantum.lattice.real_space_hamiltonian`); ``observe(t, rho)`` returns an
    array recorded at ``t0`` and after every step (default: ``trace(rho)``).
    """
    rho = np.array(rho0, dtype=np.complex128)
    if rho.ndim != 2 or rho.shape[0] != rho.shape[1]:
        raise ShapeError("rho0", rho.shape, "(D, D)")
    steps = int(steps)
    if steps < 1 or not dt > 0:
        raise ParameterError("steps, dt", (steps, dt), "steps >= 1 and dt > 0")
    observe = observe or (lambda t, r: np.real(np.trace(r)))
    times = t0 + dt * np.arange(steps + 1)
    out = [np.asarray(observe(times[0], rho))]
    c1, c2 = GAUSS_NODES
    for s in range(steps):
        U = magnus4_unitary(hamiltonian(times[s] + c1 * dt), hamiltonian(times[s] + c2 * dt), dt)
        rho = U @ rho @ U.conj().T
        out.append(np.asarray(observe(times[s + 1], rho)))
    return DensityMatrixEvolution(times, np.stack(out), rho)
