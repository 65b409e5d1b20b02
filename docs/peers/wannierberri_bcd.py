"""Peer measurement: WannierBerri's Berry-curvature dipole of the tilted QWZ lattice model.

Run once, in a throw-away virtual environment that is NOT berrykin's (WannierBerri is not a
dependency of berrykin):

    python -m venv wb-venv && . wb-venv/bin/activate
    pip install wannierberri pythtb numba     # numba: WannierBerri imports it at run time
    python docs/peers/wannierberri_bcd.py 600     # NK (default 600); about 30 min on 2 cores

Model (lattice constant a = 1 Angstrom, both orbitals at the cell origin, energies read as eV)::

    H(k) = t sin kx s0 + sin kx sx + sin ky sy + (m + cos kx + cos ky) sz,   m = 1.6, t = 0.3

i.e. berrykin's ``QWZ(m)`` plus the tilt ``t sin kx``; as a tight-binding model
``<0|H|R> = T_R``: ``T_0 = m sz``, ``T_{+x} = (sz - i sx)/2 - (i t/2) s0``,
``T_{+y} = (sz - i sy)/2`` (PythTB's ``set_hop(T_R[i, j], i, j, R)`` uses the same
convention, ``H_ij(k) = sum_R <i,0|H|j,R> e^{i k.R}``).

WannierBerri embeds the 2D model in 3D with a third lattice vector c = 1 Angstrom
(non-periodic) and reports, per Fermi level,

- ``BerryDipole_FermiSea``: ``D_{ab} = Int [dk] f d_a Omega_b`` (dimensionless in 3D;
  ``[dk] = d^3k/(2 pi)^3``), so the 2D dipole ``Int d^2k/(2 pi)^2 f d_a Omega_z`` in units of
  the lattice constant equals ``D_{a z} * c/a = D_{a z}`` (numerically, for a = c = 1 A);
- ``AHC``: ``O_z = -(e^2/hbar) Int [dk] Omega_z f`` in S/m; ``sigma_xy = O_z`` and the 2D
  conductance in units of e^2/h is ``O_z * c / (e^2/h)`` -- the sign check against the
  conventions table (QWZ m = 1, lower band filled: WannierBerri AHC = +1 e^2/h = berrykin nu).

Prints one line per Fermi level; the numbers are recorded in docs/kubo.md and
tests/reference/peers.py.
"""

import os
import sys
import tempfile

import numpy as np
import pythtb
import wannierberri as wb
from scipy.constants import angstrom, e as e_charge, h as planck


def tilted_qwz(m, t):
    lat = [[1.0, 0.0], [0.0, 1.0]]
    model = pythtb.tb_model(2, 2, lat, [[0.0, 0.0], [0.0, 0.0]])
    model.set_onsite([m, -m])
    sx = np.array([[0, 1], [1, 0]], complex)
    sy = np.array([[0, -1j], [1j, 0]], complex)
    sz = np.array([[1, 0], [0, -1]], complex)
    hops = {(1, 0): (sz - 1j * sx) / 2 - 0.5j * t * np.eye(2), (0, 1): (sz - 1j * sy) / 2}
    for R, T in hops.items():
        for i in range(2):
            for j in range(2):
                if abs(T[i, j]) > 0:
                    model.set_hop(T[i, j], i, j, list(R))
    return model


def run(m, t, efermi, nk):
    system = wb.system.System_PythTB(tilted_qwz(m, t), berry=True)
    grid = wb.Grid(system, NK=[nk, nk, 1], use_symmetry=False)
    calcs = {
        "bcd": wb.calculators.static.BerryDipole_FermiSea(Efermi=efermi, tetra=False),
        "ahc": wb.calculators.static.AHC(Efermi=efermi, tetra=False),
    }
    with tempfile.TemporaryDirectory() as tmp:        # WannierBerri writes result-*.dat files
        res = wb.run(system, grid=grid, calculators=calcs, use_irred_kpt=False, symmetrize=False,
                     parallel=False, print_progress_step_time=1e9,
                     fout_name=os.path.join(tmp, "result"))
    bcd = res.results["bcd"].data            # (nE, 3, 3): [E, a, b] = Int f d_a Omega_b
    ahc = res.results["ahc"].data            # (nE, 3): O_x, O_y, O_z in S/m
    return bcd, ahc


if __name__ == "__main__":
    nk = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    print("wannierberri", wb.__version__, "pythtb", pythtb.__version__, "NK", nk)
    efermi = np.linspace(0.5, 1.0, 6)       # WannierBerri needs a uniform Fermi-level grid
    bcd, ahc = run(1.6, 0.3, efermi, nk)
    e2h_per_c = e_charge**2 / planck / angstrom          # e^2/h divided by c = 1 A, in S/m
    for E, d, o in zip(efermi, bcd, ahc):
        print(f"tilted QWZ m=1.6 t=0.3 mu={E:.2f}: D_xz={d[0, 2]:+.8e} D_yz={d[1, 2]:+.8e} "
              f"AHC_z[e^2/h]={o[2] / e2h_per_c:+.8f}")
    # sign check of the conventions table: QWZ m = 1 (t = 0), mu in the gap (lower band filled)
    _, ahc0 = run(1.0, 0.0, np.array([0.0]), 200)
    print(f"QWZ m=1 t=0 mu=0: AHC_z[e^2/h]={ahc0[0, 2] / e2h_per_c:+.8f}")
