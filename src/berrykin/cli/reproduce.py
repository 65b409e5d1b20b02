"""``berrykin reproduce``: the geometry of the built-in models against the paper's closed forms.

Each case computes a number with the public berrykin API and sets it beside its reference
(a closed form of the paper, corrected by the errata where needed, or a topological integer
obtained by counting), with the absolute difference. The report directory holds
``report.md`` (the table), ``summary.json`` (one entry per case) and PNG figures, each file
written atomically (temporary file in the same directory, then :func:`os.replace`). Progress
goes to stderr, one line per section with its time (a bar on a terminal; see
:class:`berrykin.cli.progress.SectionProgress`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import math
import os
import time
from dataclasses import dataclass

import numpy as np

import berrykin as bk

from ..io import atomic_write
from ..models import (
    QWZ,
    MassiveDirac2D,
    MinimalCoupling,
    RiceMele,
    TexturedFerromagnet2D,
    UniformMagneticField,
    Weyl3D,
)
from ..plot import (
    berry_field_rate,
    plot_cyclotron,
    integrate_map,
    plot_dirac_fields,
    plot_faraday,
    plot_texture,
    save_figure,
    texture_map,
)
from ..plot.data import STENCIL_5, default_time_step

log = logging.getLogger("berrykin.cli")

#: Relative tolerance of every comparison; references equal to 0 use it as an absolute one.
RTOL = 1e-8


@dataclass(frozen=True)
class Settings:
    """Sizes of one run (``quick``: smaller grids and fewer sKE cases, within 5 minutes on 2 cores)."""

    quick: bool

    @property
    def map_points(self):  # points per side of the texture maps (figures)
        return 80 if self.quick else 200

    @property
    def curve_points(self):  # points of the Fig. 5 / Fig. 7 curves
        return 200 if self.quick else 600

    @property
    def quad_points(self):  # points per side of the Berry-flux quadratures
        return 97 if self.quick else 257

    @property
    def chern_grid(self):  # plaquettes per side for berrykin.chern_number
        return 48 if self.quick else 200


def tolerance(reference: float) -> float:
    """``RTOL * max(|reference|, 1)``: relative, or absolute for references of order <= 1."""
    return RTOL * max(abs(reference), 1.0)


def _row(case, quantity, params, computed, reference, note="", tol=None):
    """One table row; ``tol`` overrides the default :func:`tolerance` (time-integrated and
    exact-versus-semiclassical cases carry their own, stated in the note)."""
    computed = float(computed)
    reference = float(reference)
    diff = abs(computed - reference) if math.isfinite(computed) else math.inf
    tol = tolerance(reference) if tol is None else float(tol)
    return {"case": case, "quantity": quantity, "params": params, "computed": computed,
            "reference": reference, "difference": diff, "tolerance": tol,
            "passed": bool(diff <= tol), "note": note}


def _polar(k, angle):
    return np.array([k * math.cos(angle), k * math.sin(angle)])


def _optional(name, call):
    """``(value, note)`` from ``call(getattr(berrykin, name))``; ``(None, None)`` when berrykin has
    no such function, ``(nan, message)`` when it fails (the row then shows as failed)."""
    fn = getattr(bk, name, None)
    if fn is None:
        log.info("berrykin.%s not available: its rows are skipped", name)
        return None, None
    try:
        return float(call(fn)), f"berrykin.{name}"
    except Exception as exc:  # another module's failure must show in the report, not abort it
        log.warning("berrykin.%s failed: %s", name, exc)
        return math.nan, f"berrykin.{name} failed: {exc}"


# -- the cases -------------------------------------------------------------------------------
def dirac_cases(settings):
    """Sec. III A: B_k = m/E^3 z and M_k = m/(2E^2) z (Eq. 35) for massive Dirac (v = 1)."""
    rows, angle = [], 0.3
    for m in (1.0, -0.5):
        ks = np.array([0.0, 0.5, 1.0, 2.0]) * abs(m)
        p = np.stack([_polar(k, angle) for k in ks])
        model = MassiveDirac2D(m=m)
        B = bk.momentum_berry_field(model, p=p)[:, 2]
        M = bk.magnetic_moment(model, p=p)[:, 2]
        for k, b, mk in zip(ks, B, M):
            E = math.hypot(k, m)
            prm = {"m": m, "k": float(k), "angle": angle}
            rows.append(_row(f"Dirac B_k, m={m:g}, k={k:g}", "dirac_berry_field", prm, b, m / E**3))
            rows.append(_row(f"Dirac M_k, m={m:g}, k={k:g}", "dirac_magnetic_moment", prm, mk,
                             m / (2 * E**2)))
    return rows


def weyl_cases(settings):
    """Eq. 51: B_k = chirality k/k^3, a monopole: flux 4 pi chirality through a sphere."""
    rows = []
    kvec = np.array([0.3, -0.4, 1.2])
    kn = float(np.linalg.norm(kvec))
    # Gauss-Legendre in cos(theta) times the periodic trapezoid in phi, sphere radius R.
    R, n_th = 0.8, 16 if settings.quick else 32
    x, w = np.polynomial.legendre.leggauss(n_th)
    phi = np.linspace(0.0, 2 * np.pi, 2 * n_th, endpoint=False)
    X, P = np.meshgrid(x, phi, indexing="ij")
    S = np.sqrt(1 - X**2)
    normal = np.stack([S * np.cos(P), S * np.sin(P), X], axis=-1)
    for chi in (1, -1):
        model = Weyl3D(chirality=chi)
        B = bk.momentum_berry_field(model, p=kvec)
        radial = float(B @ kvec) / kn
        transverse = float(np.linalg.norm(np.cross(B, kvec))) / kn
        prm = {"chirality": chi, "k": kvec.tolist()}
        rows.append(_row(f"Weyl B_k . k-hat, chirality {chi:+d}", "weyl_berry_radial", prm,
                         radial, chi / kn**2))
        rows.append(_row(f"Weyl |B_k x k-hat|, chirality {chi:+d}", "weyl_berry_transverse", prm,
                         transverse, 0.0))
        Bs = bk.momentum_berry_field(model, p=R * normal)
        flux = float(np.sum(w[:, None] * np.einsum("ijk,ijk->ij", Bs, normal)) * R**2
                     * (2 * np.pi / phi.size))
        rows.append(_row(f"Weyl Berry flux through sphere R={R:g}, chirality {chi:+d}",
                         "weyl_monopole_flux", {"chirality": chi, "radius": R}, flux,
                         4 * np.pi * chi, note=f"Gauss-Legendre {n_th}x{2 * n_th}"))
        charge, note = _optional("monopole_charge", lambda f: f(model, radius=R, n=n_th).charge)
        if charge is not None:
            rows.append(_row(f"Weyl monopole charge (monopole_charge), chirality {chi:+d}",
                             "weyl_monopole_charge", {"chirality": chi, "radius": R}, charge, chi,
                             note=f"{note}, n={n_th}"))
    return rows


def _curl_z(model, p, t, h):
    """``(curl_k calE)_z`` by fourth-order central differences of momentum_electric_field."""
    out = 0.0
    for j, wt in STENCIL_5:
        ex = np.array([j * h, 0.0])
        ey = np.array([0.0, j * h])
        out = out + wt * (bk.momentum_electric_field(model, p=p + ex, t=t)[..., 1]
                          - bk.momentum_electric_field(model, p=p + ey, t=t)[..., 0])
    return out / h


def faraday_cases(settings):
    """Sec. III B, m(t) = m + mdot t: calE_k = (mdot/E^3) z x k, d_t B = mdot (k^2-2m^2)/E^5,
    and Faraday's law d_t B + curl_k calE = 0 (App. E, Eq. E4)."""
    rows, angle = [], 0.3
    for m, mdot in ((1.0, 0.1), (-0.7, 0.25)):
        model = MassiveDirac2D(m=m, m_dot=mdot)
        dt = default_time_step(m, mdot)
        ks = np.array([0.3, 1 / math.sqrt(2), 2.5]) * abs(m)
        p = np.stack([_polar(k, angle) for k in ks])
        phi_hat = np.array([-math.sin(angle), math.cos(angle)])
        Ek = bk.momentum_electric_field(model, p=p) @ phi_hat
        dB = berry_field_rate(model, p, 0.0, dt)[:, 2]
        curl = _curl_z(model, p, 0.0, 1e-3 * abs(m))
        for k, e_, db, c in zip(ks, Ek, dB, curl):
            E = math.hypot(k, m)
            prm = {"m": m, "m_dot": mdot, "k": float(k), "angle": angle}
            tag = f"m={m:g}, mdot={mdot:g}, k={k:.4g}"
            rows.append(_row(f"calE_k . phi-hat, {tag}", "faraday_electric_field", prm, e_,
                             mdot * k / E**3))
            rows.append(_row(f"d_t B_k, {tag}", "faraday_berry_rate", prm, db,
                             mdot * (k * k - 2 * m * m) / E**5,
                             note=f"5-point difference in t, dt={dt:g}"))
            rows.append(_row(f"d_t B_k + curl_k calE_k, {tag}", "faraday_law_residual", prm,
                             db + c, 0.0, note="5-point differences in t and k"))
    return rows


def cyclotron_cases(settings):
    """Sec. III A in uniform b (symmetric gauge, canonical p = k + a(r)): F = b B_k (Eq. F3),
    delta eps = -b M_k = -b m/(2E^2) (Eq. 35), and the band-independent group-velocity
    correction rdot_s - s k/E = b m k/(2E^4) (Eq. 42, errata 2)."""
    rows = []
    r = np.array([0.4, -0.7])
    k = np.array([0.6, 0.3])
    kn = float(np.linalg.norm(k))
    for m, b in ((1.0, 0.05), (-0.6, 0.1)):
        model = MinimalCoupling(MassiveDirac2D(m=m), UniformMagneticField(b=b))
        a = 0.5 * b * np.array([-r[1], r[0]])
        p = k + a
        E = math.hypot(kn, m)
        prm = {"m": m, "b": b, "r": r.tolist(), "k": k.tolist()}
        tag = f"m={m:g}, b={b:g}"
        rows.append(_row(f"F = b.B_k, {tag}", "minimal_coupling_curvature", prm,
                         bk.curvature_scalar(model, r, p), b * m / E**3))
        rows.append(_row(f"delta eps = -b M_k, {tag}", "minimal_coupling_energy_shift", prm,
                         bk.energy_shift(model, r, p), -b * m / (2 * E**2)))
        for s in (1, -1):
            v = bk.phase_space_velocity(model, r, p, band=s)[:2]
            dv = float((v - s * k / E) @ k) / kn
            rows.append(_row(f"rdot_s - s k/E along k, band {s:+d}, {tag}", "cyclotron_velocity",
                             dict(prm, band=s), dv, b * m * kn / (2 * E**4)))
    return rows


def skyrmion_cases(settings):
    """Real-space Berry flux of the skyrmion texture at p = 0: Int F_xy dx dy = -4 pi (core -z,
    far field +z, vorticity +1: winding -1)."""
    model = TexturedFerromagnet2D()
    tex = model.texture
    half = tex.radius + 5 * tex.width
    n = 2 * settings.quad_points
    data = texture_map(model, ("x", "y"), {"p_x": 0.0, "p_y": 0.0},
                       (-half, half, -half, half), n)
    flux = integrate_map(data)
    return [_row("Skyrmion Int F_xy dx dy (p = 0)", "skyrmion_flux",
                 {"radius": tex.radius, "width": tex.width, "helicity": tex.helicity},
                 flux, -4 * np.pi, note=f"trapezoid {n}x{n} on [-{half:g}, {half:g}]^2")]


def qwz_cone_nu(m: float) -> float:
    """nu of QWZ with the lower band filled from its four Dirac cones (ERRATA choice 9):
    Gamma (chirality +1, mass m+2), M (+1, m-2), X and Y (-1, m) each give -chi sgn(mass)/2."""
    cones = ((+1, m + 2), (+1, m - 2), (-1, m), (-1, m))
    return sum(-chi * math.copysign(0.5, mass) for chi, mass in cones)


def qwz_cases(settings):
    """nu = (1/4 pi) Int n_z B_k = -C_lower (errata 4, choice 9) for m = -3, -1, 1, 3, from the
    BZ quadrature of F_{p_x p_y} and, when available, from berrykin.chern_number."""
    rows = []
    n = settings.quad_points
    for m in (-3.0, -1.0, 1.0, 3.0):
        model = QWZ(m=m)
        flux = integrate_map(texture_map(model, ("p_x", "p_y"), None, None, n))
        rows.append(_row(f"QWZ nu = -(1/4pi) Int F_kxky, m={m:g}", "qwz_nu_quadrature", {"m": m},
                         -flux / (4 * np.pi), qwz_cone_nu(m), note=f"trapezoid {n}x{n} over the BZ"))
        N = settings.chern_grid
        c, note = _optional("chern_number", lambda f: f(
            model, plane=("p_x", "p_y"), band=-1, shape=(N, N)).chern)
        if c is not None:
            rows.append(_row(f"QWZ nu = -C_lower (chern_number), m={m:g}", "qwz_nu_chern",
                             {"m": m}, -c, qwz_cone_nu(m), note=f"{note}, {N}x{N}"))
    return rows


def rice_mele_degree(hopping, dimerization, staggered) -> int:
    """Degree of the (k, t) -> Delta/|Delta| map of :class:`RiceMele` by counting preimages of
    the north pole: one, at k = pi and cos(W t) = 0 with sin(W t) = sgn(staggered), of
    orientation sgn det d(Delta_x, Delta_y)/d(k, t) = -sgn(dimerization hopping staggered)."""
    return -int(np.sign(dimerization * hopping * staggered))


def rice_mele_cases(settings):
    """Thouless pump: (1/4 pi) Int F_{p_x t} dk dt over the BZ and one cycle equals the degree
    of the texture, i.e. the lower-band (k, t) Chern number C_lower = (1/2pi) Int q_{-1} F."""
    model = RiceMele()
    n = settings.quad_points
    flux = integrate_map(texture_map(model, ("p_x", "t"), None, None, n))
    ref = rice_mele_degree(model.hopping, model.dimerization, model.staggered)
    prm = {"hopping": model.hopping, "dimerization": model.dimerization,
           "staggered": model.staggered, "period": model.period}
    rows = [_row("Rice-Mele (1/4pi) Int F_kt dk dt (one cycle)", "rice_mele_pump", prm,
                 flux / (4 * np.pi), ref, note=f"trapezoid {n}x{n}")]
    N = settings.chern_grid
    c, note = _optional("chern_number", lambda f: f(
        model, plane=("p_x", "t"), band=-1, shape=(N, N), bounds=(None, (0.0, model.period))).chern)
    if c is not None:
        rows.append(_row("Rice-Mele (k, t) C_lower (chern_number)", "rice_mele_pump_chern", prm,
                         c, ref, note=f"{note}, {N}x{N}"))
    return rows


CASES = (dirac_cases, weyl_cases, faraday_cases, cyclotron_cases, skyrmion_cases, qwz_cases,
         rice_mele_cases)


def compute_rows(settings, section=None):
    """The rows of every geometry case; ``section(name)`` (a context manager, e.g.
    :meth:`berrykin.cli.progress.SectionProgress.section`) is entered around each case."""
    rows = []
    for case in CASES:
        with (section or contextlib.nullcontext)(case.__name__.removesuffix("_cases")):
            rows.extend(case(settings))
    return rows


# -- figures --------------------------------------------------------------------------------
def make_figures(settings):
    """name -> Figure: Figs. 5 and 7 of the paper and three texture maps."""
    n, c = settings.map_points, settings.curve_points
    return {
        "fig5_dirac_fields.png": plot_dirac_fields(1.0, n=c),
        "fig7_faraday.png": plot_faraday(1.0, 0.1, n=c),
        "texture_skyrmion.png": plot_texture(TexturedFerromagnet2D(), ("x", "y"), n=n),
        "texture_qwz_m1.png": plot_texture(QWZ(m=1.0), ("p_x", "p_y"), n=n),
        "texture_rice_mele.png": plot_texture(RiceMele(), ("p_x", "t"), n=n),
        "cyclotron_orbits.png": plot_cyclotron(1.0, 0.2, 0.8),
    }


def write_datasets(datasets, out):
    """Write each Dataset to ``out/data/NAME`` as NetCDF, atomically (with provenance when
    :mod:`berrykin.io.netcdf` is available). Returns the written names."""
    if not datasets:
        return []
    folder = os.path.join(out, "data")
    os.makedirs(folder, exist_ok=True)
    try:
        from ..io.netcdf import write_dataset
    except ImportError:  # pragma: no cover - io.netcdf ships with berrykin
        write_dataset = None
    names = []
    for name, ds in datasets.items():
        path = os.path.join(folder, name)
        if write_dataset is not None:
            write_dataset(ds, path, config={"command": "berrykin reproduce"})
        else:
            atomic_write(path, lambda fh, ds=ds: fh.write(ds.to_netcdf()), binary=True)
        names.append(f"data/{name}")
    return names


# -- output ---------------------------------------------------------------------------------
def write_text_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`berrykin.io.atomic_write`)."""
    atomic_write(path, lambda fh: fh.write(text))


def _fmt(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.12g}"


def _md_cell(text: str) -> str:
    """A markdown table cell: ``|`` escaped (case names such as ``|B_k x k-hat|`` hold it)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table_lines(rows, markdown: bool):
    head = ("case", "computed", "reference", "|difference|", "ok")
    body = [(r["case"], _fmt(r["computed"]), _fmt(r["reference"]), f"{r['difference']:.2e}",
             "yes" if r["passed"] else "NO") for r in rows]
    if markdown:
        cells = lambda row: "| " + " | ".join(_md_cell(c) for c in row) + " |"  # noqa: E731
        return [cells(head), "|" + "---|" * len(head)] + [cells(b) for b in body]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [fmt(head), fmt(tuple("-" * w for w in widths))] + [fmt(b) for b in body]


def report_markdown(rows, figures, settings, elapsed, data_files=()):
    failed = sum(not r["passed"] for r in rows)
    notes = sorted({f"{r['case']}: {r['note']}" for r in rows if r["note"]})
    for name in ("chern_number", "monopole_charge"):
        if not hasattr(bk, name):
            notes.append(f"rows using berrykin.{name}: skipped (not in this version)")
    when = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    lines = [
        "# berrykin reproduce report",
        "",
        f"berrykin {bk.__version__}, {'quick' if settings.quick else 'full'} mode, {when}, "
        f"{elapsed:.1f} s.",
        "Paper: C. H. Wong and Y. Tserkovnyak, arXiv:1102.1121, with the errata in docs/errata.md.",
        "Units hbar = e = 1 (v = 1 for Dirac); conventions in docs/conventions.md.",
        f"Tolerance: |difference| <= {RTOL:g} max(|reference|, 1) for closed forms evaluated "
        "pointwise; time-integrated sKE and exact-versus-semiclassical cases state theirs in "
        "the notes (column tolerance of summary.json). "
        f"{len(rows) - failed} of {len(rows)} cases within tolerance.",
        "",
        *table_lines(rows, markdown=True),
        "",
        "## Notes",
        "",
        *[f"- {line}" for line in notes],
        "",
        "## Figures",
        "",
        *[f"![{name}]({name})" for name in figures],
        "",
        "## Data (NetCDF)",
        "",
        *[f"- {name}" for name in data_files],
        "",
    ]
    return "\n".join(lines)


def _json_number(x):
    return x if math.isfinite(x) else None


def run(out: str, quick: bool, quiet: bool = False, echo=print) -> int:
    """Compute, write the report directory ``out`` and print the table; returns the exit code
    (0 when every case is within tolerance, 1 otherwise)."""
    from .progress import SectionProgress
    from .reproduce_kinetic import SECTIONS, kinetic_sections

    settings = Settings(quick=quick)
    t0 = time.perf_counter()
    with SectionProgress(len(CASES) + len(SECTIONS) + 2, "berrykin reproduce",
                         enabled=not quiet) as progress:
        rows = compute_rows(settings, progress.section)
        with progress.section("figures"):
            figures = make_figures(settings)
        krows, datasets, kfigs = kinetic_sections(settings, _row, progress.section)
        rows += krows
        figures.update(kfigs)
        with progress.section("writing files"):
            os.makedirs(out, exist_ok=True)
            for name, fig in figures.items():
                save_figure(fig, os.path.join(out, name))
            data_files = write_datasets(datasets, out)
    log.debug("section times: %s", ", ".join(f"{k} {v:.1f} s" for k, v in progress.times.items()))
    elapsed = time.perf_counter() - t0
    summary = [{"case": r["case"], "quantity": r["quantity"], "params": r["params"],
                "computed": _json_number(r["computed"]), "reference": r["reference"],
                "difference": _json_number(r["difference"]), "tolerance": r["tolerance"],
                "passed": r["passed"], "note": r["note"]} for r in rows]
    write_text_atomic(os.path.join(out, "summary.json"), json.dumps(summary, indent=2) + "\n")
    write_text_atomic(os.path.join(out, "report.md"),
                      report_markdown(rows, figures, settings, elapsed, data_files))
    failed = [r for r in rows if not r["passed"]]
    if not quiet:
        echo("\n".join(table_lines(rows, markdown=False)))
        echo(f"\n{len(rows) - len(failed)} of {len(rows)} cases within tolerance; "
             f"report written to {out} ({elapsed:.1f} s)")
    for r in failed:
        log.error("outside tolerance: %s (computed %s, reference %s)", r["case"],
                  _fmt(r["computed"]), _fmt(r["reference"]))
    return 1 if failed else 0
