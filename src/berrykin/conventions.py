"""Units, signs and coordinate order used everywhere in berrykin (documented once, here).

Units
    hbar = e = 1. Fields carry the charge: ``b = e B`` and ``e = e E`` (paper Sec. II D); for
    electrons (charge -|e|) ``b > 0`` means ``B_z < 0``. Momenta are wave numbers, energies are in
    the units of the model's parameters, time is 1/energy.

Hamiltonian (paper Eq. 12)
    eps_hat(r, p, t) = eps/2 + Delta . tau with tau = sigma/2, so ``eps = Tr eps_hat`` and a
    scalar potential phi adds ``2 phi`` to eps. Bands (Eq. 13): ``eps_s = (eps + s |Delta|)/2``,
    ``s = +1`` is the band whose spin is aligned with Delta (the upper band). Arrays with a band
    axis order the bands ``(s = +1, s = -1)``.

Charges and curvature
    Fictitious charge ``q_s = -s/2``. Texture ``m = Delta/|Delta|``.
    ``F_IJ = m . (d_I m x d_J m) = Delta . (d_I Delta x d_J Delta)/|Delta|^3`` (Eq. 18, gauge free).
    The usual band Berry curvature ``Omega_s = curl i<u_s|grad u_s>`` is ``q_s F`` (ERRATA,
    conventions). Scalar ``F = sum_l F_{r_l p_l}``. Momentum-space fields:
    ``F_{k_i k_j} = eps_ijl (B_k)_l`` and ``calE_k,i = F_{k_i t}`` (App. E).

Coordinates
    Phase space plus time, in this order: ``(r_1..r_d, p_1..p_d, t)``; indices 0..d-1 are r,
    d..2d-1 are p, 2d is t. Symplectic raising ``d^i = J^{ij} d_j`` with ``J^{r_l p_l} = +1``.

Hall coefficient nu (errata 3, 4)
    ``nu = (1/4 pi) z . Int d^2k n_z B_k`` with ``n_z = n_{+1} - n_{-1}``: the Streda response of
    the density, ``delta rho = nu delta b / (2 pi)``, ``sigma_xy = nu e^2/h``. For a lattice model
    with the lower band filled, ``nu = -C_lower`` where ``C_lower`` is the usual Chern number
    ``(1/2 pi) Int Omega_{-1}`` (ERRATA choice 9).

Other codes (QWZ, H = sin kx sx + sin ky sy + (m + cos kx + cos ky) sz, m = 1, lower band filled)
    See :data:`PEER_CONVENTIONS`.
"""

from __future__ import annotations

HBAR = 1.0
CHARGE = 1.0

#: Band labels in the order used by every array with a band axis.
BANDS = (+1, -1)


def q(band: int) -> float:
    """Fictitious charge ``q_s = -s/2`` of band ``s`` (paper after Eq. 21)."""
    if band not in (1, -1):
        from .errors import ParameterError

        raise ParameterError("band", band, "+1 (upper, aligned with Delta) or -1 (lower)")
    return -0.5 * band


def coordinate_names(dim: int) -> tuple[str, ...]:
    """Names of the ``2*dim + 1`` coordinates in berrykin order, e.g. ``('x','y','p_x','p_y','t')``."""
    axes = "xyz"[:dim]
    return tuple(axes) + tuple(f"p_{a}" for a in axes) + ("t",)


#: What other codes report for QWZ at m = 1 (lower band filled), and how to convert.
#: Values of the peers as reported by their users (see docs/conventions.md).
PEER_CONVENTIONS = {
    "berrykin C_lower = (1/2pi) Int q_{-1} F_kxky": {"QWZ m=1": -1, "to_berrykin_nu": -1},
    "berrykin nu (Hall coefficient, errata 4)": {"QWZ m=1": +1, "to_berrykin_nu": +1},
    "PythTB berry_flux / Chern of band 0": {"QWZ m=1": -1, "to_berrykin_nu": -1},
    "Kwant KPM conductivity sigma_xy [e^2/h]": {"QWZ m=1": -1, "to_berrykin_nu": -1},
    "WannierBerri AHC [e^2/h]": {"QWZ m=1": +1, "to_berrykin_nu": +1},
}
