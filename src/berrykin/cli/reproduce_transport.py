"""``berrykin reproduce`` section for steady-state transport from the sKE (issue 9).

``conductivity_dirac(settings, row)`` returns ``(rows, datasets, figures)`` like the sections
of :mod:`berrykin.cli.reproduce_kinetic`. It checks the conductivity of massive Dirac
(T = 0, mu in a band, conserving relaxation, direct linear solve, default grid) against the
closed forms of docs/transport.md:

* ``sigma_xx / [tau (mu^2 - m^2)/(4 pi |mu|)]`` against 1 (Drude), tolerance 5e-3;
* ``2 pi sigma_xy`` against ``-m/(2|mu|)`` (intrinsic anomalous Hall, e^2/h), tolerance 2e-3
  (the default cutoff removes ``|m|/(2 E(k_max))`` = 1.25e-4 of it).

``nonlinear_hall_qwz(settings, row)`` checks the Berry-curvature dipole ``D_x = chi_yxx/tau`` of
:func:`~berrykin.experiments.nonlinear_hall` on the tilted QWZ lattice (m = 1.6, t = 0.3, the
128^2 Brillouin zone) against WannierBerri's ``BerryDipole_FermiSea`` (a peer value, tolerance
2e-4 absolute, about 1%; docs/transport.md "Nonlinear Hall").

``son_spivak_weyl(settings, row)`` checks the chiral-anomaly magnetoconductance of a
:class:`~berrykin.models.WeylPair` (v = 1, mu = 1, T = 0.05, tau = 0.5, tau_v = 50, e and b
along z, the default axisymmetric grid): ``[sigma_zz(b) - sigma_zz(0)] / [tau_v b^2 v^3/(8 pi^2)
sum_chi 1/((mu - E_chi)^2 + pi^2 T^2/3)]`` against 1, tolerance 2e-2 (docs/transport.md, "Weyl
pair in a magnetic field": the intranode corrections ~ tau/tau_v are outside the closed form).
"""

from __future__ import annotations

import math

__all__ = ["conductivity_dirac", "nonlinear_hall_qwz", "son_spivak_weyl", "SECTIONS"]

#: WannierBerri 26.10 ``BerryDipole_FermiSea`` D_xz of the tilted QWZ model m = 1.6, t = 0.3 at
#: NK = 600 (a peer's number, measured once by docs/peers/wannierberri_bcd.py; recorded with
#: the full provenance in docs/kubo.md and tests/reference/peers.py).
WANNIERBERRI_D_XZ = {0.8: -2.68543726e-02, 1.0: -2.12981449e-02}


def drude_dirac(m, mu, tau):
    """``tau (mu^2 - m^2)/(4 pi |mu|)`` (v = 1, T = 0, |mu| > |m|; docs/transport.md)."""
    return tau * (mu ** 2 - m ** 2) / (4 * math.pi * abs(mu))


def conductivity_dirac(settings, row):
    from ..experiments.conductivity import conductivity
    from ..models import MassiveDirac2D

    cases = ((1.0, 2.0, 5.0), (-1.0, -2.0, 5.0)) if settings.quick else (
        (1.0, 2.0, 5.0), (-1.0, 2.0, 5.0), (1.0, -2.0, 2.0), (-1.0, -2.0, 2.0), (0.5, 1.5, 10.0))
    rows, data = [], {}
    for m, mu, tau in cases:
        r = conductivity(MassiveDirac2D(m=m), mu, tau=tau)
        prm = {"m": m, "mu": mu, "tau": tau}
        rows.append(row(f"sKE Drude sigma_xx ratio, Dirac m={m:g}, mu={mu:g}, tau={tau:g}", "drude_ratio", prm,
                        r.sigma[0, 0] / drude_dirac(m, mu, tau), 1.0,
                        note="steady sKE with conserving relaxation, tolerance 5e-3", tol=5e-3))
        rows.append(row(f"sKE anomalous Hall 2 pi sigma_xy, Dirac m={m:g}, mu={mu:g}", "ahe_dirac", prm,
                        2 * math.pi * r.sigma[0, 1], -m / (2 * abs(mu)),
                        note="e^2/h; intrinsic, tau independent; tolerance 2e-3", tol=2e-3))
        data[f"conductivity_m{m:g}_mu{mu:g}.nc"] = r.to_dataset()
    return rows, data, {}


def nonlinear_hall_qwz(settings, row):
    import jax.numpy as jnp

    from ..experiments.nonlinear_hall import nonlinear_hall
    from ..kinetic import CartesianMomentumGrid
    from ..models import TwoBandModel

    m, t = 1.6, 0.3
    model = TwoBandModel(  # H = t sin kx + sin kx sx + sin ky sy + (m + cos kx + cos ky) sz
        2, lambda r, p, tt, P: 2 * P["t"] * jnp.sin(p[0]),
        lambda r, p, tt, P: 2 * jnp.stack([jnp.sin(p[0]), jnp.sin(p[1]), P["m"] + jnp.cos(p[0]) + jnp.cos(p[1])]),
        params={"m": m, "t": t}, depends_on_r=False, momentum_period=2 * math.pi, name="tilted QWZ")
    rows, data = [], {}
    for mu in ((0.8,) if settings.quick else (0.8, 1.0)):
        r = nonlinear_hall(model, mu, tau=1.0, grid=CartesianMomentumGrid.brillouin_zone(2, 128))
        rows.append(row(f"sKE Berry-curvature dipole D_x, tilted QWZ m={m:g}, t={t:g}, mu={mu:g}", "bcd_tilted_qwz",
                        {"m": m, "t": t, "mu": mu}, r.berry_dipole()[0], WANNIERBERRI_D_XZ[mu],
                        note="chi_yxx/tau of the second-order sKE; WannierBerri BerryDipole_FermiSea (peer); "
                             "tolerance 2e-4 (~1%)", tol=2e-4))
        data[f"nonlinear_hall_qwz_mu{mu:g}.nc"] = r.to_dataset()
    return rows, data, {}


def son_spivak_weyl(settings, row):
    from ..experiments.conductivity import conductivity
    from ..models import WeylPair

    mu, T, tau, tau_v, v = 1.0, 0.05, 0.5, 50.0, 1.0
    pair = WeylPair(v=v)

    def sigma_zz(b):
        return conductivity(pair, mu, tau=tau, tau_v=tau_v, T=T, b=b, columns=(2,))

    s0 = sigma_zz(0.0).sigma[2, 2]
    rows, data = [], {}
    for b in ((0.03,) if settings.quick else (0.01, 0.03, 0.06)):
        r = sigma_zz(b)
        closed = tau_v * b * b * v ** 3 / (8 * math.pi ** 2) * sum(
            1.0 / ((mu - e) ** 2 + math.pi ** 2 * T * T / 3) for e in (pair.energy_plus, pair.energy_minus))
        rows.append(row(f"sKE Son-Spivak magnetoconductance ratio, Weyl pair b={b:g}, tau_v={tau_v:g}", "son_spivak_ratio",
                        {"b": b, "mu": mu, "T": T, "tau": tau, "tau_v": tau_v, "v": v},
                        (r.sigma[2, 2] - s0) / closed, 1.0,
                        note="e, b along z; intranode and internode relaxation; tolerance 2e-2", tol=2e-2))
        data[f"conductivity_weyl_b{b:g}.nc"] = r.to_dataset()
    return rows, data, {}


#: section name -> function, for the lead to hook into ``berrykin reproduce``.
SECTIONS = {"conductivity_dirac": conductivity_dirac, "nonlinear_hall_qwz": nonlinear_hall_qwz,
            "son_spivak_weyl": son_spivak_weyl}
