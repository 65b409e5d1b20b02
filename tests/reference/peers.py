"""Numbers computed by peer codes, with how they were obtained (never by berrykin).

WANNIERBERRI_BCD: WannierBerri's ``BerryDipole_FermiSea`` (and ``AHC``) for the tilted QWZ
model ``H = t sin kx s0 + sin kx sx + sin ky sy + (m + cos kx + cos ky) sz``, m = 1.6, t = 0.3,
unit lattice constant (1 Angstrom, both orbitals at the cell origin), built with PythTB and
evaluated on an NK x NK x 1 grid without symmetries (``use_irred_kpt=False,
symmetrize=False``, ``tetra=False``). Script: docs/peers/wannierberri_bcd.py; versions and the
full record in docs/kubo.md ("WannierBerri peer value").

Units: WannierBerri embeds the 2D model in 3D with c = 1 Angstrom; its dimensionless
``D_{x z} = Int d^3k/(2 pi)^3 f d_x Omega_z`` equals the 2D dipole
``Int d^2k/(2 pi)^2 sum_n f_n d_x Omega_n`` in units of the lattice constant (factor c/a = 1).
Omega is the usual band Berry curvature ``curl i<u|grad u>`` = berrykin's ``q_s F_{k_x k_y}``
(docs/conventions.md). ``ahc`` is WannierBerri's AHC O_z converted to e^2/h (times c, divided
by e^2/h), which has the sign of berrykin's nu (conventions table).
"""

WANNIERBERRI_BCD = {
    "code": "wannierberri 26.10 (PythTB 1.8.0, NumPy 2.4.6)",
    "script": "docs/peers/wannierberri_bcd.py 600",
    "model": {"m": 1.6, "t": 0.3},
    "nk": 600,
    # mu -> (D_xz, AHC_z in e^2/h); D_yz was < 1e-17 at every mu (zero by symmetry)
    "values": {
        0.5: (-3.05528705e-02, +0.79294651),
        0.6: (-3.21929970e-02, +0.67710650),
        0.7: (-2.99364120e-02, +0.58415644),
        0.8: (-2.68543726e-02, +0.50648345),
        0.9: (-2.38819795e-02, +0.43964770),
        1.0: (-2.12981449e-02, +0.38073281),
    },
    # the same calls at NK = 300 (grid-convergence record): D_xz
    "d_xz_nk300": {0.5: -3.04798848e-02, 0.6: -3.23207643e-02, 0.7: -3.00581769e-02,
                   0.8: -2.69554558e-02, 0.9: -2.39359816e-02, 1.0: -2.13296496e-02},
    # sign check: QWZ m = 1 (t = 0), Efermi = 0 (lower band filled), NK = 200: AHC in e^2/h
    "qwz_m1_gap_ahc": +1.00000000,
}
