"""Per-k integrands of the Kubo-Bastin conductivity of a two-band Bloch Hamiltonian.

With a constant broadening Gamma the retarded Green's function is diagonal in the band basis,

    G^R(E) = (E - H_k + i Gamma)^-1 = sum_n P_n / (E - a_n),    a_n = E_n - i Gamma,

``P_s = (1 + s h_hat . sigma)/2`` the band projectors of ``H_k = h0 + h . sigma`` (bands ordered
(s = +1, s = -1), :mod:`berrykin.conventions`) and ``E_s = h0 + s |h|``. With the velocity
matrix elements ``M^{ij}_{nm} = Tr(v_i P_n v_j P_m)`` (``v_i = dH/dk_i``) the Bastin-Streda
integrands at T = 0 (docs/kubo.md, Eqs. K2-K5) are, per k point,

    I_intra = sum_n M_nn 4 Gamma^2 / ((mu - E_n)^2 + Gamma^2)^2                  (Fermi surface)
    I_inter = sum_{n != m} M_nm (A_n conj(g_m) - g_n A_m),  g_n = 1/(mu - a_n), A_n = g_n - conj(g_n)
    II      = 2 Re sum_{n != m} M_nm (E_n - E_m) J(mu; a_n, a_m),
    J(mu; a, b) = Int_{-inf}^{mu} dx / ((x - a)^2 (x - b)^2)                      (closed form)

and ``sigma = (1/4 pi) Int d^dk/(2 pi)^d (I_intra + I_inter + II)``. Pure NumPy, vectorised
over the leading k axis.
"""

from __future__ import annotations

import numpy as np

from ..models.tight_binding import PAULI

#: Below this |delta| = |d/u| the closed form of J loses digits; the series is used instead.
SERIES_BELOW = 0.05
_N_SERIES = 14           # terms of the series; |delta|^12 < 3e-16 for |delta| < 0.05


def band_projectors(h):
    """Band energies' spin part and projectors from ``h`` (N, 3) (``H = h0 + h . sigma``).

    Returns ``(habs (N,), P (N, 2, 2, 2))`` with ``P[:, n]`` the projector of band
    ``s = (+1, -1)[n]``. Raises nothing: the caller checks ``habs > 0``.
    """
    habs = np.linalg.norm(h, axis=-1)
    hhat = h / np.where(habs > 0, habs, 1.0)[:, None]
    hs = np.einsum("ki,iab->kab", hhat, PAULI)
    eye = np.eye(2)
    P = np.stack([0.5 * (eye + hs), 0.5 * (eye - hs)], axis=1)
    return habs, P


def velocity_elements(V, P):
    """``M[k, i, j, n, m] = Tr(v_i P_n v_j P_m)``; V (N, d, 2, 2), P (N, 2, 2, 2) -> (N, d, d, 2, 2)."""
    VP = np.einsum("kiab,knbc->kinac", V, P)            # v_i P_n
    return np.einsum("kinab,kjmba->kijnm", VP, VP)      # Tr(v_i P_n v_j P_m)


def sea_energy_integral(mu, a, b):
    """``J = Int_{-inf}^{mu} dx / ((x - a)^2 (x - b)^2)`` for Im a = Im b < 0 and a - b real != 0.

    Closed form (partial fractions, docs/kubo.md Eq. K6), with ``u = mu - a``, ``d = a - b``:
    ``J = [-1/u - 1/(u + d) + (2/d) ln(1 + d/u)] / d^2``, the logarithm taken as
    ``ln(mu - b) - ln(mu - a)`` with principal branches (both arguments lie in the upper half
    plane, so the path x in (-inf, mu] never crosses a cut). For ``|d/u| < SERIES_BELOW`` the series
    ``J = u^-3 sum_{n>=2} (-1)^n (1 - n)/(n + 1) (d/u)^(n-2)`` replaces the cancelling closed form.
    Broadcasts over a, b (complex arrays).
    """
    a = np.asarray(a, dtype=np.complex128)
    b = np.asarray(b, dtype=np.complex128)
    u = mu - a
    w = mu - b
    d = a - b
    delta = d / u
    small = np.abs(delta) < SERIES_BELOW
    d_safe = np.where(small, 1.0, d)
    closed = (-1.0 / u - 1.0 / w + (2.0 / d_safe) * (np.log(w) - np.log(u))) / d_safe**2
    series = np.zeros_like(u)
    for n in range(_N_SERIES + 1, 1, -1):       # Horner in delta
        series = series * delta + (-1) ** n * (1 - n) / (n + 1)
    return np.where(small, series / u**3, closed)


def integrands(mu, gamma, h0, h, V):
    """The three Bastin-Streda integrands at every k point (see module docstring).

    Parameters: ``mu`` and ``gamma`` (energies), ``h0`` (N,), ``h`` (N, 3) with
    ``H_k = h0 + h . sigma``, ``V`` (N, d, 2, 2) the velocity matrices ``dH/dk_i``.

    Returns ``(intra, inter, sea, habs, E, vband)``: the integrands (N, d, d) (real), ``|h|``
    (N,), band energies ``E`` (N, 2) and band velocities ``vband = Tr(P_n v_i)`` (N, 2, d).
    """
    habs, P = band_projectors(h)
    E = h0[:, None] + np.array([1.0, -1.0]) * habs[:, None]
    M = velocity_elements(V, P)
    g = 1.0 / (mu - E + 1j * gamma)                           # (N, 2)
    A = g - np.conj(g)
    lor2 = 4.0 * gamma**2 / ((mu - E) ** 2 + gamma**2) ** 2   # -A^2
    diag = np.einsum("kijnn->kijn", M).real
    intra = np.einsum("kijn,kn->kij", diag, lor2)
    inter = np.zeros_like(intra)
    sea = np.zeros_like(intra)
    for n, m in ((0, 1), (1, 0)):
        Mnm = M[:, :, :, n, m]
        inter += (Mnm * (A[:, n] * np.conj(g[:, m]) - g[:, n] * A[:, m])[:, None, None]).real
        J = sea_energy_integral(mu, E[:, n] - 1j * gamma, E[:, m] - 1j * gamma)
        sea += 2.0 * (Mnm * ((E[:, n] - E[:, m]) * J)[:, None, None]).real
    vband = np.einsum("knab,kiba->kni", P, V).real
    return intra, inter, sea, habs, E, vband
