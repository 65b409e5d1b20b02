"""Exact lattice dynamics of an electron wave packet crossing a magnetic skyrmion (issue 4).

The lattice model :class:`~berrykin.models.LatticeTexturedFerromagnet2D` (Bloch symbol
``eps/2 + Delta.sigma/2``, Eq. 12, with ``Delta = 2 [J n(r) + (lambda/a)(sin a k_y, -sin a k_x, 0)]``)
is put on a finite square lattice of ``shape = (L_x, L_y)`` cells at ``r = a (i, j)``, i.e. the
texture (skyrmion centre included) is given in these coordinates, ``0 <= x < a L_x``. The
initial state is a Gaussian wave packet projected on band ``s`` of the local Bloch Hamiltonian
at its centre ``r_0`` (where the texture is nearly uniform):

    psi(r) = (1/N) sum_k g(k) u_s(k; r_0) exp(i k.r),   g = FFT of exp(-|r - r_0|^2/(4 w^2) + i k_0.r)

so ``|psi|^2`` has standard deviation ``w`` per direction and the momenta ``1/(2 w)``. The gauge
of ``u_s`` makes its dominant component at ``k_0`` real and positive (smooth near ``k_0``). The
state is evolved with the sparse Hamiltonian of :func:`~berrykin.quantum.lattice.real_space_hamiltonian`
by :func:`scipy.sparse.linalg.expm_multiply` (Al-Mohy-Higham, exact to ~1e-13 in norm) and the
centre of mass ``<r>(t) = sum_r r |psi(r)|^2`` is recorded. Its displacement across the direction
of ``k_0``, ``(<r>(t) - <r>(0)) . (z x k_0/|k_0|)``, is the transverse (topological Hall) drift;
in the adiabatic regime the semiclassical Eq. 24 predicts it from the emergent magnetic field
``q_s F_xy`` of the texture (:func:`berrykin.experiments.skyrmion.skyrmion_drift`).

:func:`kicked_fermi_sea` is the many-electron counterpart: a Fermi sea on a torus whose momenta
are all kicked by ``dk`` at ``t = 0``; the exact centre-of-mass displacement per particle
follows from the spectral decomposition of the kicked Hamiltonian. In the adiabatic regime its
transverse acceleration is the Lorentz force of the quantised emergent flux ``q_s 4 pi Q`` on
the drifting sea (see the function).
Units: hbar = e = 1, lengths in the model's units, time 1/energy.

This module imports only :mod:`berrykin.models`, :mod:`berrykin.errors` and
:mod:`berrykin.conventions` (independent of the semiclassics it validates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..models import LatticeTexturedFerromagnet2D
from ..models.base import check_finite
from .lattice import lattice_sites, real_space_hamiltonian

__all__ = ["GaussianPacket", "PacketEvolution", "packet_state", "evolve_packet", "FermiSeaEvolution",
           "kicked_fermi_sea", "fermi"]


@dataclass(frozen=True)
class GaussianPacket:
    """A Gaussian wave packet of band ``band`` (+1 upper, -1 lower): centre ``position`` (x, y),
    mean lattice momentum ``momentum`` (k_x, k_y) (wave numbers, non-zero), and ``width`` w > 0,
    the standard deviation of ``|psi|^2`` per direction (momentum spread ``1/(2 w)``)."""

    position: tuple
    momentum: tuple
    width: float
    band: int = -1

    def __post_init__(self):
        for name in ("position", "momentum"):
            v = getattr(self, name)
            try:
                c = tuple(check_finite(name, x) for x in v)
            except TypeError:
                raise ParameterError(name, v, "two finite numbers (x, y)") from None
            if len(c) != 2:
                raise ParameterError(name, v, "two finite numbers (x, y)")
            object.__setattr__(self, name, c)
        if math.hypot(*self.momentum) == 0.0:
            raise ParameterError("momentum", self.momentum, "a non-zero mean momentum (it sets the direction)")
        w = check_finite("width", self.width)
        if w <= 0:
            raise ParameterError("width", self.width, "a width > 0")
        object.__setattr__(self, "width", w)
        if isinstance(self.band, bool) or self.band not in (1, -1):
            raise ParameterError("band", self.band, "+1 (upper) or -1 (lower)")
        object.__setattr__(self, "band", int(self.band))

    @property
    def direction(self) -> np.ndarray:
        """Unit vector along the mean momentum."""
        k = np.asarray(self.momentum)
        return k / np.linalg.norm(k)

    @property
    def transverse(self) -> np.ndarray:
        """Unit vector ``z x k_0/|k_0|`` (to the left of the motion)."""
        e = self.direction
        return np.array([-e[1], e[0]])


def _check(model, shape):
    if not isinstance(model, LatticeTexturedFerromagnet2D):
        raise ParameterError("model", model, "a berrykin.models.LatticeTexturedFerromagnet2D")
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise ParameterError("shape", shape, "two cell counts (L_x, L_y)") from None
    if len(shape) != 2 or min(shape) < 8:
        raise ParameterError("shape", shape, "two cell counts (L_x, L_y), each >= 8")
    return shape


def _band_vectors(H, band):
    """Eigenvectors (..., 2) of 2x2 Hermitian H (..., 2, 2) for the upper (+1) / lower (-1) level."""
    _, vec = np.linalg.eigh(H)
    return vec[..., :, 1 if band == 1 else 0]


def packet_state(model, shape, packet: GaussianPacket) -> np.ndarray:
    """The band-projected Gaussian packet (module docstring) as a vector of length ``2 L_x L_y``
    (index ``2 * site + orbital``, sites in row-major order), normalised to 1."""
    shape = _check(model, shape)
    if not isinstance(packet, GaussianPacket):
        raise ParameterError("packet", packet, "a GaussianPacket(position, momentum, width, band)")
    a = model.lattice_constant
    x0, k0 = np.asarray(packet.position), np.asarray(packet.momentum)
    if packet.width < a:
        raise ParameterError("packet.width", packet.width, f"a width >= the lattice constant {a}")
    r = a * lattice_sites(shape).reshape(shape + (2,)).astype(float)
    env = np.exp(-np.sum((r - x0) ** 2, axis=-1) / (4 * packet.width**2) + 1j * (r @ k0))
    G = np.fft.fft2(env)
    kx = 2 * np.pi * np.fft.fftfreq(shape[0], d=a)
    ky = 2 * np.pi * np.fft.fftfreq(shape[1], d=a)
    K = np.stack(np.meshgrid(kx, ky, indexing="ij"), axis=-1)
    tb = model.tight_binding()
    u = _band_vectors(tb.bloch_hamiltonian(K, r=x0), packet.band)          # (Lx, Ly, 2)
    u0 = _band_vectors(tb.bloch_hamiltonian(k0, r=x0), packet.band)
    c = int(np.argmax(np.abs(u0)))
    u = u * np.exp(-1j * np.angle(u[..., c]))[..., None]                   # gauge: u_c > 0
    psi = np.stack([np.fft.ifft2(G * u[..., o]) for o in range(2)], axis=-1)
    psi = psi.reshape(-1)
    return psi / np.linalg.norm(psi)


@dataclass(frozen=True)
class PacketEvolution:
    """Exact evolution of a wave packet on the lattice (module docstring).

    ``times`` (T,); ``center`` (T, 2) the centre of mass ``<r>``; ``spread`` (T, 2) its standard
    deviations; ``drift`` (T,) the transverse displacement ``(<r> - <r>(0)) . (z x k_0)/|k_0|``
    and ``advance`` (T,) the displacement along ``k_0``; ``alignment`` (T,) ``<s m(r).sigma>``
    with the local texture ``m = n(r)`` (1 for a packet fully in band s when rashba = 0);
    ``edge_weight`` the largest probability found within 4 cells of the lattice edge (should be
    ~0: the packet must not reach the boundary); ``norm_error`` ``max | ||psi|| - 1 |``.
    """

    times: np.ndarray
    center: np.ndarray
    spread: np.ndarray
    drift: np.ndarray
    advance: np.ndarray
    alignment: np.ndarray
    edge_weight: float
    norm_error: float
    shape: tuple
    periodic: bool
    packet: GaussianPacket
    model: str

    def to_dataset(self):
        import xarray as xr

        return xr.Dataset(
            {"center": (("time", "axis"), self.center, {"units": "length", "long_name": "<r>"}),
             "spread": (("time", "axis"), self.spread, {"units": "length"}),
             "drift": ("time", self.drift, {"units": "length",
                                            "long_name": "transverse drift (<r> - <r>(0)).(z x k0/|k0|)"}),
             "advance": ("time", self.advance, {"units": "length"}),
             "alignment": ("time", self.alignment, {"long_name": "<s n(r).sigma>"})},
            coords={"time": ("time", self.times, {"units": "1/energy (hbar = 1)"}), "axis": ["x", "y"]},
            attrs={"method": "exact lattice evolution, scipy expm_multiply (sparse)",
                   "model": self.model, "shape": list(self.shape), "periodic": int(self.periodic),
                   "band": self.packet.band, "position": list(self.packet.position),
                   "momentum": list(self.packet.momentum), "width": self.packet.width,
                   "edge_weight": self.edge_weight, "norm_error": self.norm_error,
                   "units": "hbar = e = 1"})


def evolve_packet(model, packet: GaussianPacket, times, shape, *, periodic=False) -> PacketEvolution:
    """Evolve :func:`packet_state` exactly under the lattice Hamiltonian (module docstring).

    ``times``: increasing times >= 0, equally spaced and starting at 0 (e.g. ``np.linspace(0, T, n)``).
    ``shape``: cells (L_x, L_y); ``periodic``: torus or open lattice. Cost ~ ``T ||H||`` sparse
    products with ``2 L_x L_y`` amplitudes.

    >>> from berrykin.models import Skyrmion
    >>> m = LatticeTexturedFerromagnet2D(rashba=0.0, lattice_constant=1.0,
    ...                                  texture=Skyrmion(radius=3.0, width=3.0, center=(20.0, 12.0)))
    >>> ev = evolve_packet(m, GaussianPacket((8.0, 12.0), (1.0, 0.0), 2.5), [0.0, 2.0], (32, 24))
    >>> bool(ev.norm_error < 1e-10 and ev.advance[-1] > 1.0)
    True
    """
    from scipy.sparse.linalg import expm_multiply

    shape = _check(model, shape)
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or t.size < 2 or t[0] != 0.0 or np.any(np.diff(t) <= 0) \
            or not np.allclose(np.diff(t), t[1] - t[0], rtol=1e-9, atol=0.0):
        raise ParameterError("times", times, "equally spaced increasing times starting at 0")
    H = real_space_hamiltonian(model.tight_binding(), shape, periodic=periodic, sparse=True)
    psi0 = packet_state(model, shape, packet)
    psis = expm_multiply(-1j * H, psi0, start=0.0, stop=float(t[-1]), num=t.size, endpoint=True)
    psis = psis.reshape(t.size, -1, 2)

    a = model.lattice_constant
    sites = lattice_sites(shape)
    r = a * sites.astype(float)
    rho = np.sum(np.abs(psis) ** 2, axis=-1)                                # (T, N)
    norm = rho.sum(axis=1)
    center = rho @ r / norm[:, None]
    spread = np.sqrt(np.maximum(rho @ r**2 / norm[:, None] - center**2, 0.0))
    dr = center - center[0]
    edge = np.any((sites < 4) | (sites >= np.asarray(shape) - 4), axis=1)
    n_field = model.exchange_field(r) / abs(model.exchange) if model.exchange != 0 else None
    if n_field is None:
        alignment = np.full(t.size, np.nan)
    else:
        spin = np.einsum("tni,nij,tnj->tn", psis.conj(), n_field, psis).real
        alignment = packet.band * spin.sum(axis=1) / norm
    return PacketEvolution(
        times=t, center=center, spread=spread, drift=dr @ packet.transverse,
        advance=dr @ packet.direction, alignment=alignment,
        edge_weight=float(np.max(rho[:, edge].sum(axis=1))),
        norm_error=float(np.max(np.abs(np.sqrt(norm) - 1.0))), shape=shape,
        periodic=bool(periodic), packet=packet, model=repr(model))


# --- (b) a kicked Fermi sea on a torus ----------------------------------------------------------

def fermi(E, mu, temperature):
    """Fermi function ``1/(exp((E - mu)/T) + 1)``; a step (1/2 at E = mu) for T = 0."""
    E = np.asarray(E, dtype=np.float64)
    if temperature == 0:
        return np.where(E < mu, 1.0, np.where(E == mu, 0.5, 0.0))
    return 0.5 * (1.0 - np.tanh((E - mu) / (2.0 * temperature)))


@dataclass(frozen=True)
class FermiSeaEvolution:
    """Exact drift of a kicked Fermi sea (:func:`kicked_fermi_sea`), per particle.

    ``times`` (T,); ``current`` (T, 2) the mean velocity ``Tr[rho V]/N``; ``displacement`` (T, 2)
    its time integral (exact, from the spectral decomposition); ``drift`` (T,) and ``advance``
    (T,) its components across (``z x kick``) and along the kick; ``n_particles`` ``Tr rho``.
    """

    times: np.ndarray
    current: np.ndarray
    displacement: np.ndarray
    drift: np.ndarray
    advance: np.ndarray
    n_particles: float
    mu: float
    temperature: float
    kick: tuple
    shape: tuple
    model: str

    def to_dataset(self):
        import xarray as xr

        return xr.Dataset(
            {"current": (("time", "axis"), self.current, {"units": "length/time", "long_name": "Tr[rho v]/N"}),
             "displacement": (("time", "axis"), self.displacement, {"units": "length",
                                                                    "long_name": "Int_0^t Tr[rho v]/N"}),
             "drift": ("time", self.drift, {"units": "length", "long_name": "displacement . (z x kick)/|kick|"}),
             "advance": ("time", self.advance, {"units": "length"})},
            coords={"time": ("time", self.times, {"units": "1/energy (hbar = 1)"}), "axis": ["x", "y"]},
            attrs={"method": "exact one-body density matrix on a torus, spectral decomposition",
                   "n_particles": self.n_particles, "mu": self.mu, "temperature": self.temperature,
                   "kick": list(self.kick), "shape": list(self.shape), "model": self.model,
                   "units": "hbar = e = 1"})


def _velocity_operators(H, shape, a):
    """``V_i = i[H, x_i]`` on the torus (minimal-image hop vectors): ``(V_i)_mn = i H_mn (x_n - x_m)``."""
    import scipy.sparse as sp

    Hc = sp.coo_matrix(H)
    pos = a * lattice_sites(shape).astype(float)
    L = a * np.asarray(shape, dtype=float)
    d = pos[Hc.col // 2] - pos[Hc.row // 2]
    d -= L * np.round(d / L)
    return [sp.csr_matrix((1j * Hc.data * d[:, i], (Hc.row, Hc.col)), shape=H.shape) for i in range(2)]


def kicked_fermi_sea(model, shape, kick, times, *, mu: float, temperature: float = 0.0) -> FermiSeaEvolution:
    """Exact dynamics of a Fermi sea on a torus after a sudden uniform kick of every momentum.

    The equilibrium one-body density matrix ``rho = f(H_0)`` (Fermi function at ``mu``,
    ``temperature``) of the lattice Hamiltonian ``H_0`` on an ``L_x x L_y`` torus (texture at
    the cell positions ``r = a (i, j)``) is kicked at ``t = 0`` by a uniform vector potential
    ``a = -kick`` (Peierls phases; an impulsive field ``e = kick delta(t)``), which shifts
    every kinetic momentum ``k = p - a`` by ``kick``. It then evolves under the kicked ``H_1``:
    ``rho(t) = exp(-i H_1 t) rho exp(i H_1 t)``. The mean velocity per particle is
    ``Tr[rho(t) V]/N`` with ``V = i[H_1, r]`` (hops as minimal-image vectors) and its time
    integral, the displacement of the centre of mass, is exact: with ``H_1 = sum E_m |m><m|``,
    ``Int_0^t Tr[rho V] = sum_mn rho_mn V_nm (1 - exp(-i w_mn t))/(i w_mn)``, ``w_mn = E_m - E_n``.
    Cost: two dense diagonalisations of size ``2 L_x L_y`` plus O(size^3) products (L = 24: s).
    """
    shape = _check(model, shape)
    kick = tuple(check_finite("kick", k) for k in kick)
    if len(kick) != 2 or math.hypot(*kick) == 0:
        raise ParameterError("kick", kick, "a non-zero momentum kick (k_x, k_y)")
    mu = check_finite("mu", mu)
    temperature = check_finite("temperature", temperature)
    if temperature < 0:
        raise ParameterError("temperature", temperature, ">= 0")
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(~np.isfinite(t)):
        raise ParameterError("times", times, "a 1-D array of finite times")
    tb = model.tight_binding()
    a = model.lattice_constant
    H0 = real_space_hamiltonian(tb, shape, periodic=True)
    shift = -np.asarray(kick)
    H1s = real_space_hamiltonian(tb, shape, periodic=True, sparse=True,
                                 field=lambda r: np.broadcast_to(shift, np.shape(r)).copy())
    E0, U0 = np.linalg.eigh(H0)
    f = fermi(E0, mu, temperature)
    keep = f > 1e-14
    E1, U1 = np.linalg.eigh(H1s.toarray())
    C = U1.conj().T @ (U0[:, keep] * np.sqrt(f[keep]))
    rho = C @ C.conj().T                                        # rho in the eigenbasis of H_1
    N = float(np.sum(f))
    V = [U1.conj().T @ (Vi @ U1) for Vi in _velocity_operators(H1s, shape, a)]
    M = [rho * Vi.T for Vi in V]                                 # rho_mn V_nm
    w = E1[:, None] - E1[None, :]
    small = np.abs(w) < 1e-12
    cur, disp = np.empty((t.size, 2)), np.empty((t.size, 2))
    for j, tj in enumerate(t):
        ph = np.exp(-1j * w * tj)
        g = np.where(small, tj, (1.0 - ph) / np.where(small, 1.0, 1j * w))
        for i in range(2):
            cur[j, i] = np.sum(M[i] * ph).real / N
            disp[j, i] = np.sum(M[i] * g).real / N
    e_par = np.asarray(kick) / math.hypot(*kick)
    e_perp = np.array([-e_par[1], e_par[0]])
    return FermiSeaEvolution(times=t, current=cur, displacement=disp, drift=disp @ e_perp,
                             advance=disp @ e_par, n_particles=N, mu=mu, temperature=temperature,
                             kick=kick, shape=shape, model=repr(model))
