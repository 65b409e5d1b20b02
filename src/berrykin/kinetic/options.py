"""Typed options of the kinetic solver: which sKE terms, and which numerical scheme.

The semiclassical kinetic equation (sKE) in conservative form, paper Eq. (26) with the
interband sign of ERRATA 1::

    d_t n_s + d_i (n_s xdot_s^i) = -(1/4) F v_z^i d_i n_{-s} + q_s (n/2) (d_t + d^i eps_s d_i) F

with ``v_z^i = d^i |Delta|``, ``q_s = -s/2``, ``n = n_+ + n_-`` and the phase-space velocities
``xdot_s`` of Eq. (24). berrykin writes the right side as a flux plus a cell source::

    S_s = -(sigma/4) d_i (F v_z^i n_{-s}) + R_s,
    R_s = (sigma/4) n_{-s} G + q_s (n/2) H_s,    G = d^i|Delta| d_i F,  H_s = (d_t + d^i eps_s d_i) F

(``d_i(F v_z^i) = v_z^i d_i F`` because ``d_i d^i = 0``). With the corrected sign ``sigma = +1``
one has ``R_+ + R_- = 0`` pointwise (``sum_s q_s = 0`` and ``sum_s q_s d^i eps_s =
-(1/2) d^i|Delta|``), so the discrete total particle number changes only through boundary
fluxes. ``sigma = -1`` is the sign printed in the paper (for demonstrating that it violates
conservation).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ..errors import ParameterError

__all__ = ["SKETerms", "Limiter", "Precision", "Scheme", "CORRECTED_INTERBAND_SIGN", "PRINTED_INTERBAND_SIGN"]

#: ``interband_sign`` of the corrected Eq. (26) (ERRATA 1): ``-(1/4) F v_z^i d_i n_{-s}``.
CORRECTED_INTERBAND_SIGN = +1
#: ``interband_sign`` reproducing the sign printed in the paper: ``+(1/4) F v_z^i d_i n_{-s}``.
PRINTED_INTERBAND_SIGN = -1


@dataclass(frozen=True)
class SKETerms:
    """Which O(hbar) terms of the sKE are kept.

    Attributes
    ----------
    energy_shift : the band-energy shift ``delta eps = -|Delta| F/4`` (Eq. 23) in the velocities.
    anomalous : the Berry-curvature (``q_s``) terms of the velocities, Eq. (24).
    liouville : keep the conservative (flux) form ``d_i(n_s xdot_s^i)``, i.e. the non-Liouville
        divergence ``n_s d_i xdot_s^i = n_s q_s H_s`` (Eqs. 25, 27). ``False`` solves the
        advective form ``d_t n_s + xdot_s^i d_i n_s = ...`` (adds the source ``+n_s q_s H_s``).
    nz_source : the source ``q_s (n/2) H_s`` of Eq. (26) (the ``n_z dF`` term of Eq. 21).
    interband : the interband gradient coupling ``-(sigma/4) F v_z^i d_i n_{-s}``.
    interband_sign : ``sigma``: +1 the corrected sign (ERRATA 1), -1 the printed one.

    Presets: :meth:`full` (the sKE), :meth:`wave_packet` (single-band sEOM with the density of
    states ``D_s``: ``d_t n_s + d_i(n_s xdot_s^i) = 0``), :meth:`boltzmann` (no Berry terms).

    >>> SKETerms.full().conserves_particles
    True
    >>> SKETerms.full(interband_sign=PRINTED_INTERBAND_SIGN).conserves_particles
    False
    """

    energy_shift: bool = True
    anomalous: bool = True
    liouville: bool = True
    nz_source: bool = True
    interband: bool = True
    interband_sign: int = CORRECTED_INTERBAND_SIGN

    def __post_init__(self):
        if self.interband_sign not in (1, -1):
            raise ParameterError("interband_sign", self.interband_sign,
                                 "+1 (corrected, ERRATA 1) or -1 (as printed in Eq. 26)")

    @classmethod
    def full(cls, interband_sign: int = CORRECTED_INTERBAND_SIGN) -> "SKETerms":
        """Every O(hbar) term of the sKE (corrected Eq. 26)."""
        return cls(interband_sign=interband_sign)

    @classmethod
    def wave_packet(cls) -> "SKETerms":
        """Wave-packet theory: ``d_t n_s + d_i(n_s xdot_s^i) = 0`` with Eq. (24) velocities."""
        return cls(nz_source=False, interband=False)

    @classmethod
    def boltzmann(cls) -> "SKETerms":
        """Plain Boltzmann (Vlasov) equation with the bare band energies eps_s."""
        return cls(energy_shift=False, anomalous=False, nz_source=False, interband=False)

    @property
    def conserves_particles(self) -> bool:
        """Whether ``sum_s R_s = 0`` pointwise, so that the total particle number changes only
        through boundary fluxes: ``a + b = 0`` and ``e = 0`` in :meth:`source_coefficients`."""
        a, b, _, e = self.source_coefficients()
        return a + b == 0.0 and e[0] == 0.0

    def source_coefficients(self):
        """Coefficients of the cell source, per band s, in
        ``R_s = (a n_s + b n_{-s}) G + c_s n K + e_s n_s K`` with ``K = d_t F + (1/2) d^i eps d_i F``
        (so ``H_s = K + (s/2) G``). Returns ``(a, b, (c_+, c_-), (e_+, e_-))``.

        Derivation: ``R_s = I sigma/4 n_{-s} G + N q_s (n/2) H_s + L' n_s q_s H_s`` with
        ``I, N`` the interband and nz switches and ``L' = 1`` when the Liouville divergence is
        removed (only then non-zero: without the anomalous velocities ``d_i xdot_s^i = 0``);
        ``q_s H_s = -(s/2) K - G/4``.
        """
        I = 1.0 if self.interband else 0.0
        N = 1.0 if self.nz_source else 0.0
        L = 1.0 if (not self.liouville and self.anomalous) else 0.0
        sig = float(self.interband_sign)
        a = -N / 8.0 - L / 4.0
        b = I * sig / 4.0 - N / 8.0
        c = (-N / 4.0, N / 4.0)
        e = (-L / 2.0, L / 2.0)
        return a, b, c, e

    @property
    def interband_flux_coefficient(self) -> float:
        """Factor ``c`` of the interband face flux ``c (F/4) v_z n_{-s}`` (0 when switched off)."""
        return float(self.interband_sign) if self.interband else 0.0


class Limiter(IntEnum):
    """Slope limiter of the MUSCL reconstruction (integer codes used by the kernels)."""

    FIRST_ORDER = 0  #: piecewise constant (first-order upwind)
    MINMOD = 1
    VAN_LEER = 2
    MC = 3  #: monotonised central
    UNLIMITED = 4  #: centred slope (Fromm), second order but not monotone


class Precision(IntEnum):
    """Storage of the distributions (bits per value). FLOAT32 stores the state in float32 with
    float64 face arithmetic and ledger sums (fused 4D kernel only; docs/kernels.md)."""

    FLOAT64 = 64
    FLOAT32 = 32


@dataclass(frozen=True)
class Scheme:
    """Numerical scheme.

    Attributes
    ----------
    limiter : :class:`Limiter` of the second-order MUSCL reconstruction (upwinded by the sign of
        the face normal velocity).
    rk_stages : 2 (SSP-RK2, Heun) or 3 (Shu-Osher SSP-RK3).
    cfl : Courant number; the step is ``dt = cfl / max_c sum_a cell_factor_a (|U_a| + |W_a|)``.
    max_dt : upper bound on the step (e.g. to resolve a slow ramp in time); None for none.
    backend : ``'numba'`` (compiled kernels), ``'numpy'`` (the reference implementation) or
        ``'jax'`` (jit-compiled XLA, CPU or GPU; float64; :mod:`.jax_backend`, docs/gpu.md).
    devices : number of JAX devices of a 1D mesh over which the first space axis of a
        :class:`~.grids.PhaseSpaceGrid` is split (``backend='jax'`` only; results bit-identical
        to one device; :mod:`.jax_sharded`). 1: no sharding.
    precision : :class:`Precision` of the stored distributions; ``FLOAT32`` halves the memory
        traffic (float64 arithmetic and ledger sums) and is accepted only by the fused 4D kernel
        (:mod:`.fused4d`; other paths raise ParameterError naming ``precision``).
    """

    limiter: Limiter = Limiter.VAN_LEER
    rk_stages: int = 3
    cfl: float = 0.4
    max_dt: float | None = None
    backend: str = "numba"
    devices: int = 1
    precision: Precision = Precision.FLOAT64

    def __post_init__(self):
        object.__setattr__(self, "limiter", Limiter(self.limiter))
        if self.rk_stages not in (2, 3):
            raise ParameterError("rk_stages", self.rk_stages, "2 (SSP-RK2) or 3 (SSP-RK3)")
        if not 0 < float(self.cfl) <= 1:
            raise ParameterError("cfl", self.cfl, "a Courant number in (0, 1]")
        if self.max_dt is not None and not float(self.max_dt) > 0:
            raise ParameterError("max_dt", self.max_dt, "a positive time step or None")
        if self.backend not in ("numba", "numpy", "jax"):
            raise ParameterError("backend", self.backend, "'numba', 'numpy' or 'jax'")
        dev = getattr(self.devices, "__index__", None)
        if isinstance(self.devices, bool) or dev is None or dev() < 1 or (dev() > 1 and self.backend != "jax"):
            raise ParameterError("devices", self.devices, "an integer >= 1; more than 1 only with backend='jax'")
        object.__setattr__(self, "devices", int(dev()))
        if self.precision not in (32, 64) or isinstance(self.precision, bool):
            raise ParameterError("precision", self.precision, "Precision.FLOAT64 or Precision.FLOAT32")
        object.__setattr__(self, "precision", Precision(self.precision))
