"""``berrykin reproduce`` section for steady-state transport from the sKE (issue 9).

``conductivity_dirac(settings, row)`` returns ``(rows, datasets, figures)`` like the sections
of :mod:`berrykin.cli.reproduce_kinetic`. It checks the conductivity of massive Dirac
(T = 0, mu in a band, conserving relaxation, direct linear solve, default grid) against the
closed forms of docs/transport.md:

* ``sigma_xx / [tau (mu^2 - m^2)/(4 pi |mu|)]`` against 1 (Drude), tolerance 5e-3;
* ``2 pi sigma_xy`` against ``-m/(2|mu|)`` (intrinsic anomalous Hall, e^2/h), tolerance 2e-3
  (the default cutoff removes ``|m|/(2 E(k_max))`` = 1.25e-4 of it).
"""

from __future__ import annotations

import math

__all__ = ["conductivity_dirac", "SECTIONS"]


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


#: section name -> function, for the lead to hook into ``berrykin reproduce``.
SECTIONS = {"conductivity_dirac": conductivity_dirac}
